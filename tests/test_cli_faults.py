"""The command lines under faults and bad input (issue 16): nothing lost, nothing mixed, no
raw tracebacks.

Every expected failure is ONE line on stderr naming the argument and the value, exit status 2
(130 after an interrupt), and no "Traceback". The cases that touch a finished run (rerun
without --resume, resume with other settings, a second run into a folder in use) prove that
no file of the finished run changed, by hashing every file before and after.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from interrupt import interruptible
import torch

from maelearn import cli
from maelearn.__main__ import main
from maelearn.checkpoint import read_checkpoint
from maelearn.runs import LOCK_NAME, RunFolder, check_resume

BASE = ["--preset", "tiny", "--n-images", "64", "--n-test", "32", "--batch-size", "32", "--threads", "1",
        "--device", "cpu"]
TINY = [*BASE, "--epochs", "1"]


@pytest.fixture(autouse=True)
def keep_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def env(**extra: str) -> dict:
    e = {k: v for k, v in os.environ.items() if k not in ("MAELEARN_DEVICE", "MAELEARN_DEBUG")}
    e.update(OMP_NUM_THREADS="1", **extra)
    return e


def run_cli(*args: str, module: str = "maelearn", timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    # Run from a scratch folder so that a default --out never lands in the checkout.
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          timeout=timeout, env=env(**extra), cwd=tempfile.gettempdir())


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str, code: int = 2) -> str:
    """Exit ``code``, no traceback anywhere, and stderr's last line is the error naming
    every needle (earlier lines may only be one-line warnings)."""
    text = proc.stdout + proc.stderr
    assert proc.returncode == code, text
    assert "Traceback" not in text, text
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines, text
    errors = [line for line in lines if ": warning: " not in line and not line.startswith("pretrain:")]
    assert len(errors) == 1, text
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (hidden ones too), by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished tiny run (1 epoch), made once for the module."""
    out = tmp_path_factory.mktemp("faults") / "run"
    proc = run_cli("pretrain", *TINY, "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "\r" not in proc.stdout + proc.stderr  # no carriage-return bar when not a terminal
    assert not (out / LOCK_NAME).exists()  # the lock is released on exit
    return out


# --- values: one line naming the argument and the value ---------------------------------------


@pytest.mark.parametrize("args,needles", [
    (["pretrain", "--device", "bogus"], ["--device", "'bogus'"]),
    (["pretrain", "--device", "meta"], ["--device", "'meta'"]),
    (["pretrain", "--device", "xpu"], ["--device", "'xpu'"]),
    (["pretrain", "--lr", "nan"], ["--lr", "'nan'", "finite"]),
    (["pretrain", "--lr", "inf"], ["--lr", "'inf'"]),
    (["pretrain", "--blr", "nan"], ["--blr", "'nan'"]),
    (["pretrain", "--clip-grad", "inf"], ["--clip-grad", "'inf'"]),
    (["pretrain", "--warmup-epochs", "nan"], ["--warmup-epochs", "'nan'"]),
    (["pretrain", "--weight-decay", "inf"], ["--weight-decay", "'inf'"]),
    (["pretrain", "--seed", str(2**64)], ["--seed", str(2**64)]),
    (["pretrain", "--data-seed", "-1"], ["--data-seed", "'-1'"]),
    (["pretrain", "--out", ""], ["--out", "''"]),
    (["pretrain", "--mask-ratio", "1"], ["--mask-ratio", "'1'", "[0, 1)"]),
    (["pretrain", "--epochs", "0"], ["--epochs", "'0'"]),
    (["probe", "x.pt", "--n-images", "0"], ["--n-images", "'0'"]),
    (["probe", "x.pt", "--n-test", "-3"], ["--n-test", "'-3'"]),
])
def test_bad_values_are_one_line(args, needles, capsys):
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert all(n in lines[0] for n in needles), lines[0]


def test_bad_values_through_the_real_command_line():
    assert_one_line_error(run_cli("pretrain", "--device", "bogus"), "--device", "'bogus'")
    assert_one_line_error(run_cli("pretrain", "--lr", "nan"), "--lr", "'nan'")
    assert_one_line_error(run_cli("probe", "ckpt.pt", "--n-images", "0"), "--n-images", "'0'")


def test_device_from_the_environment_is_named(tmp_path):
    proc = run_cli("pretrain", "--out", str(tmp_path / "r"), MAELEARN_DEVICE="bogus")
    assert_one_line_error(proc, "$MAELEARN_DEVICE", "'bogus'")


@pytest.mark.parametrize("var, value", [("MAELEARN_MODE", "bogus"), ("MAELEARN_DEVICE", "bogus"),
                                        ("MAELEARN_STRICT", "maybe")])
def test_welcome_names_a_bad_setting_before_starting_the_lesson(var, value, monkeypatch, capsys):
    # The notebook's kernel would inherit the setting and fail with a coloured traceback.
    monkeypatch.setenv(var, value)
    assert main(["welcome"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and var in err and repr(value) in err and "Traceback" not in err, err


def test_threads_above_the_core_count_are_capped_with_a_warning(tmp_path):
    proc = run_cli("probe", str(tmp_path / "none.pt"), "--threads", "100000", "--device", "cpu")
    assert_one_line_error(proc, "no checkpoint at")
    assert f"warning: threads=100000 is more than the {os.cpu_count()} CPU core(s) here" in proc.stderr


def test_n_images_beyond_memory_is_refused_before_generating(tmp_path, capsys):
    t0 = time.perf_counter()
    code = main(["pretrain", "--dataset", "shapes", "--n-images", str(10**9), "--out", str(tmp_path / "r"),
                 "--device", "cpu", "--threads", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "--n-images 1000000000" in err and "GiB of memory available" in err, err
    assert time.perf_counter() - t0 < 30 and not (tmp_path / "r").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_bench_device_cuda_without_cuda():
    proc = run_cli("--device", "cuda", "--peers", "none", module="maelearn.bench")
    assert_one_line_error(proc, "--device", "'cuda'", "no CUDA GPU")


def test_bench_refuses_bad_settings_before_timing(tmp_path, capsys):
    from maelearn.bench import main as bench_main

    cases = [
        (["--compile", "on", "--compile-backend", "bogus"], ("--compile-backend", "'bogus'", "inductor")),
        (["--compile", "on", "--compile-mode", "fast"], ("--compile-mode", "'fast'", "max-autotune")),
        (["--out", str(tmp_path)], ("--out", str(tmp_path), "folder")),
        (["--out", str(tmp_path / "no" / "r.json")], ("--out", "does not exist")),
        (["--mask-ratio", "1"], ("--mask-ratio", "[0, 1)")),
        (["--steps", "0"], ("--steps", "'0'")),
    ]
    def status(args):
        try:
            return bench_main(["--device", "cpu", "--peers", "none", *args])
        except SystemExit as stop:  # argparse's own usage errors
            return stop.code

    for args, needles in cases:
        assert status(args) == 2, args
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and all(n in err for n in needles), err
    proc = run_cli("--peers", "none", module="maelearn.bench", MAELEARN_DEVICE="bogus")
    assert_one_line_error(proc, "$MAELEARN_DEVICE", "'bogus'")


def test_bench_and_course_use_the_same_policy(tmp_path):
    assert_one_line_error(run_cli("--device", "bogus", module="maelearn.bench"), "--device", "'bogus'")
    proc = run_cli("build", "--root", str(tmp_path), module="maelearn.course")
    assert_one_line_error(proc, str(tmp_path))


def test_debug_shows_the_traceback():
    for proc in (run_cli("pretrain", "--device", "bogus", "--debug"),
                 run_cli("pretrain", "--device", "bogus", MAELEARN_DEBUG="1")):
        assert proc.returncode == 1 and "Traceback" in proc.stderr and "'bogus'" in proc.stderr



def test_debug_variable_takes_only_documented_values(monkeypatch, capsys):
    monkeypatch.setenv("MAELEARN_DEBUG", "maybe")
    assert main(["pretrain"]) == 2
    assert capsys.readouterr().err == ("python -m maelearn: error: $MAELEARN_DEBUG must be 1 or 0 (or true/false, "
                                       "yes/no, on/off), got 'maybe'\n")


# --- the error policy itself ------------------------------------------------------------------


def test_guard_turns_expected_failures_into_one_line_and_keeps_bugs(capsys, monkeypatch):
    monkeypatch.delenv("MAELEARN_DEBUG", raising=False)

    def failing(exc):
        @cli.guarded("prog")
        def main(argv=None):
            raise exc

        return main

    cases = [
        (cli.UsageError("--x 3: expected 1 or 2"), 2, "prog: error: --x 3: expected 1 or 2"),
        (OSError(errno.ENOSPC, "No space left on device", "/data/run"), 2, "prog: error: disk full: /data/run"),
        (OSError(errno.EROFS, "Read-only file system", "/mnt/ro"), 2, "prog: error: read-only file system: /mnt/ro"),
        (PermissionError(errno.EACCES, "Permission denied", "/root/x"), 2, "prog: error: permission denied: /root/x"),
        (FileNotFoundError("no checkpoint at a.pt"), 2, "prog: error: no checkpoint at a.pt"),
        (ValueError("two\nlines"), 2, "prog: error: two lines"),
        (KeyboardInterrupt(), 130, "prog: interrupted"),
        (cli.Interrupted("interrupted at epoch 3"), 130, "prog: interrupted at epoch 3"),
    ]
    for exc, code, line in cases:
        assert failing(exc)([]) == code
        assert capsys.readouterr().err == line + "\n"
    assert failing(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))([]) == 2
    assert capsys.readouterr().err == ("prog: error: out of GPU memory (CUDA out of memory. Tried to allocate 2.00 GiB); "
                                       "use a smaller --batch-size or --preset\n")
    with pytest.raises(TypeError):  # a bug keeps its traceback
        failing(TypeError("unsupported operand"))([])
    with pytest.raises(RuntimeError):
        failing(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))([])
    with pytest.raises(ValueError):  # --debug lets expected failures through too
        failing(ValueError("x"))(["--debug"])


def test_value_types():
    lr = cli.finite(minimum=0, strict=True)
    assert lr("0.5") == 0.5
    for bad in ("nan", "inf", "-inf", "0", "-1", "x"):
        with pytest.raises(Exception, match=f"expected a finite number > 0, got '{bad}'"):
            lr(bad)
    assert cli.seed(str(cli.MAX_SEED)) == cli.MAX_SEED
    with pytest.raises(Exception, match="expected an integer from 0 to 4294967295"):
        cli.seed(str(2**64))


# --- checkpoints that cannot be read ---------------------------------------------------------


@pytest.fixture
def bad_checkpoints(tmp_path, finished):
    real = (finished / "checkpoint.pt").read_bytes()
    files = {
        "empty": b"",
        "truncated": real[: len(real) // 2],
        "random": os.urandom(4096),
        "text": b"hello, I am not a checkpoint\n",
    }
    paths = []
    for name, data in files.items():
        p = tmp_path / f"{name}.pt"
        p.write_bytes(data)
        paths.append(p)
    folder = tmp_path / "folder" / "checkpoint.pt"
    folder.mkdir(parents=True)
    paths.append(folder)
    return paths


def test_unreadable_checkpoints_are_named(bad_checkpoints, capsys):
    for path in bad_checkpoints:
        assert main(["probe", str(path), "--device", "cpu", "--threads", "1"]) == 2
        err = capsys.readouterr().err
        assert f"not a readable checkpoint: {path}" in err and len(err.splitlines()) == 1, err
    proc = run_cli("probe", str(bad_checkpoints[1]), "--device", "cpu")
    assert_one_line_error(proc, f"not a readable checkpoint: {bad_checkpoints[1]}")


# --- the run folder: nothing lost, nothing mixed ---------------------------------------------


def test_rerun_without_resume_changes_nothing(finished):
    before = digest(finished)
    proc = run_cli("pretrain", *TINY, "--out", str(finished))
    assert_one_line_error(proc, f"--out {finished} already holds a run", "--resume", "--overwrite")
    assert digest(finished) == before


def test_resume_with_other_settings_is_refused_naming_each_field(finished):
    before = digest(finished)
    # Extending --epochs is allowed; the others are not.
    proc = run_cli("pretrain", *BASE, "--epochs", "2", "--out", str(finished), "--resume", "--mask-ratio", "0.5", "--n-test", "16",
                   "--data-seed", "4")
    line = assert_one_line_error(proc, "mask_ratio: checkpoint 0.75, command line 0.5",
                                 "n_test: checkpoint 32, command line 16", "data_seed: checkpoint 0, command line 4")
    assert "epochs" not in line.split("(")[1].split(")")[0]  # epochs may change, so it is not listed as a clash
    proc = run_cli("pretrain", *TINY, "--out", str(finished), "--resume", "--preset", "small")
    assert_one_line_error(proc, "preset: checkpoint 'tiny', command line 'small'")
    assert digest(finished) == before


def test_resume_with_a_different_model_names_the_field(finished, tmp_path):
    import shutil

    from maelearn.checkpoint import atomic_save

    run = tmp_path / "copy"
    shutil.copytree(finished, run)
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    state["model_config"]["mlp_ratio"] = 2.0  # as if the library's preset had changed since
    atomic_save(state, run / "checkpoint.pt")
    before = digest(run)
    proc = run_cli("pretrain", *BASE, "--epochs", "2", "--out", str(run), "--resume")
    line = assert_one_line_error(proc, f"cannot resume {run / 'checkpoint.pt'}: it holds a different model",
                                 "mlp_ratio: checkpoint 2.0, now 4.0")
    assert "{" not in line  # the field, not both dicts
    assert digest(run) == before


def test_resume_of_a_complete_run_changes_nothing_and_removes_orphans(finished):
    orphan = finished / ".checkpoint.pt.k2j3h4.tmp"
    orphan.write_bytes(b"half a checkpoint")
    before = digest(finished)
    proc = run_cli("pretrain", *TINY, "--out", str(finished), "--resume")
    assert proc.returncode == 0, proc.stderr
    assert "already complete (1 of 1 epochs); nothing to do" in proc.stdout
    assert "removed 1 temporary file(s)" in proc.stdout and not orphan.exists()
    del before[orphan.name]
    assert digest(finished) == before


def test_second_run_into_a_folder_in_use_is_refused(finished):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (finished / LOCK_NAME).write_text(json.dumps({"pid": owner.pid, "host": os.uname().nodename}))
        before = digest(finished)
        for extra in (["--overwrite"], ["--resume", "--epochs", "2"]):
            proc = run_cli("pretrain", *BASE, *(extra if "--epochs" in extra else [*extra, "--epochs", "1"]),
                           "--out", str(finished))
            assert_one_line_error(proc, f"--out {finished} is in use by another run (pid {owner.pid}")
        assert digest(finished) == before
    finally:
        owner.kill()
        owner.wait()
    # The owner is gone: its lock is stale and no longer blocks (here: nothing to do, exit 0).
    proc = run_cli("pretrain", *TINY, "--out", str(finished), "--resume")
    assert proc.returncode == 0, proc.stderr
    assert not (finished / LOCK_NAME).exists()


def test_out_that_cannot_be_written(tmp_path, capsys, monkeypatch):
    a_file = tmp_path / "results.txt"
    a_file.write_text("not a folder")
    assert_one_line_error(run_cli("pretrain", *TINY, "--out", str(a_file)), f"--out {a_file} is a file, not a folder")
    assert main(["pretrain", *TINY, "--out", str(a_file / "run")]) == 2
    assert f"{a_file} is a file, not a folder" in capsys.readouterr().err

    import maelearn.runs as runs

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / "ro"))

    monkeypatch.setattr(runs.tempfile, "mkstemp", read_only)
    assert main(["pretrain", *TINY, "--out", str(tmp_path / "ro")]) == 2
    assert capsys.readouterr().err.strip() == f"python -m maelearn: error: read-only file system: {tmp_path / 'ro'}"
    monkeypatch.undo()

    class Usage:
        free = 1000

    monkeypatch.setattr(runs.shutil, "disk_usage", lambda p: Usage)
    assert main(["pretrain", *TINY, "--out", str(tmp_path / "full")]) == 2
    err = capsys.readouterr().err
    assert f"error: disk full: {tmp_path / 'full'} (the run needs about" in err and "MiB free" in err, err


def test_interrupted_evaluation_says_so_and_resume_finishes_it(tmp_path, monkeypatch, capsys):
    import maelearn.__main__ as entry

    out = tmp_path / "run"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:  # Ctrl-C after the last epoch, while the held-out loss is computed
        m.setattr(entry, "heldout_loss", interrupted)
        assert main(["pretrain", *TINY, "--out", str(out)]) == 130
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "interrupted during the evaluation after training" in err and str(out / "checkpoint.pt") in err, err
    assert "--resume" in err and not (out / "summary.json").exists()
    trained = digest(out)["checkpoint.pt"]
    assert main(["pretrain", *TINY, "--out", str(out), "--resume"]) == 0  # evaluates, trains nothing
    assert "evaluating it now" in capsys.readouterr().out
    assert json.loads((out / "summary.json").read_text())["epochs"] == 1
    assert digest(out)["checkpoint.pt"] == trained
    assert main(["pretrain", *TINY, "--out", str(out), "--resume"]) == 0  # now finished: nothing to do
    assert "nothing to do" in capsys.readouterr().out


def test_settings_that_train_nothing_are_warned_and_a_missing_resume_is_said(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MAELEARN_LOG_EVERY", "bogus")  # refused before the run folder exists
    assert main(["pretrain", *TINY, "--out", str(tmp_path / "a")]) == 2
    assert "$MAELEARN_LOG_EVERY" in capsys.readouterr().err and not (tmp_path / "a").exists()
    monkeypatch.delenv("MAELEARN_LOG_EVERY")
    many = str((os.cpu_count() or 1) + 50)
    assert main(["pretrain", *TINY, "--out", str(tmp_path / "b"), "--resume", "--mask-ratio", "0",
                 "--warmup-epochs", "1", "--num-workers", many]) == 0
    captured = capsys.readouterr()
    assert f"--num-workers {many} is more than" in captured.err
    assert "--warmup-epochs 1 >= --epochs 1: the whole run is warm-up" in captured.err
    assert "--mask-ratio 0 removes no patch" in captured.err
    assert f"--resume: no checkpoint at {tmp_path / 'b' / 'checkpoint.pt'} yet" in captured.out


def test_a_set_too_large_for_memory_names_the_flag_that_is_too_large():
    from maelearn.__main__ import check_memory_for_images

    with pytest.raises(cli.UsageError, match=r"^--n-test 1000000000000: .* use --n-test \d+ or less"):
        check_memory_for_images(64, 10**12, 32)  # probe's --n-images 64, a huge --n-test
    with pytest.raises(cli.UsageError, match=r"^--n-images 1000000000000: .* use --n-images \d+ or less"):
        check_memory_for_images(10**12, 64, 32)


def test_finetune_names_the_flag_for_too_many_blocks(finished, capsys):
    assert main(["finetune", str(finished), "--last-k-blocks", "100", "--device", "cpu", "--threads", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--last-k-blocks 100" in err and "expected 0 to" in err, err


def test_a_broken_solution_fence_names_its_file(tmp_path):
    (tmp_path / "solutions").mkdir()
    src = tmp_path / "solutions" / "08_mae.py"
    src.write_text("# %%\nx = 1\n### END SOLUTION\n")
    proc = run_cli("build", "--root", str(tmp_path), module="maelearn.course")
    assert_one_line_error(proc, str(src), "line 3", "END SOLUTION without BEGIN")


def test_run_folder_lock_and_resume_rules(tmp_path):
    with pytest.raises(cli.UsageError, match="contradict"):
        RunFolder(tmp_path, resume=True, overwrite=True)
    folder = tmp_path / "a"
    lock = folder / LOCK_NAME
    with RunFolder(folder):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert not lock.exists()  # released on exit
    lock.write_text(json.dumps({"pid": os.getppid(), "host": os.uname().nodename}))  # a live owner
    with pytest.raises(cli.UsageError, match=rf"is in use by another run \(pid {os.getppid()}"):
        RunFolder(folder).__enter__()
    # the owner's pid now belongs to another process (it started at another time): stale
    lock.write_text(json.dumps({"pid": os.getppid(), "host": os.uname().nodename, "started": -1}))
    with RunFolder(folder):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    lock.write_text("garbled")  # unreadable: treated as stale and replaced
    with RunFolder(folder):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
    # --overwrite deletes the old run's files before anything new is written; without it, refusal.
    for name in ("checkpoint.pt", "summary.json"):
        (folder / name).write_text("old run")
    with pytest.raises(cli.UsageError, match=r"already holds a run \(checkpoint.pt, summary.json\)"):
        RunFolder(folder).__enter__()
    assert not lock.exists()  # a refusal releases the lock it took
    with RunFolder(folder, overwrite=True) as run:
        assert run.removed == ["checkpoint.pt", "summary.json"] and run.existing_run() == []
    assert check_resume({"epochs": 2, "seed": 0}, {"epochs": 4, "seed": 0}, "x") == {"epochs": (2, 4)}
    with pytest.raises(cli.UsageError, match="seed: checkpoint 0, command line 1"):
        check_resume({"seed": 0}, {"seed": 1}, "x")


# --- interrupt ------------------------------------------------------------------------------


#: Epochs no run reaches before the test interrupts it, however fast the machine.
LONG = 100_000


def test_concurrent_run_refused_and_sigint_says_where_to_continue(tmp_path):
    out = tmp_path / "run"
    proc = interruptible([sys.executable, "-m", "maelearn", "pretrain", *BASE, "--epochs", str(LONG), "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(),
                         cwd=tempfile.gettempdir())
    try:
        deadline = time.time() + 240
        while not (out / "checkpoint.pt").exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.5)
        assert (out / "checkpoint.pt").exists(), "no checkpoint appeared"
        # A real second run into the same folder, while the first one trains: refused by the lock.
        second = run_cli("pretrain", *BASE, "--epochs", str(LONG), "--out", str(out), "--resume")
        assert_one_line_error(second, f"--out {out} is in use by another run (pid {proc.pid}")
        assert proc.poll() is None  # the first run is unaffected
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    done = read_checkpoint(out)["epoch"]
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stdout + stderr and "\r" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"python -m maelearn: interrupted at epoch {done + 1} of {LONG}; "
                           f"the last checkpoint is at {out / 'checkpoint.pt'} (epoch {done}); continue with --resume"), last
    assert not (out / LOCK_NAME).exists() and not list(out.glob(".checkpoint.pt.*.tmp"))
    # The advice works: --resume continues from that checkpoint (here for one more epoch).
    proc = run_cli("pretrain", *BASE, "--epochs", str(done + 1), "--out", str(out), "--resume")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"resuming at epoch {done}: " in proc.stdout and read_checkpoint(out)["epoch"] == done + 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["segments"][-1]["changed"] == {"epochs": {"checkpoint": LONG, "now": done + 1}}


def test_interrupt_tests_do_not_depend_on_how_pytest_was_started():
    """Started as a background job of a script, pytest (and every child) inherits SIGINT
    ignored. The interrupt tests start their child with :func:`interrupt.interruptible`,
    which gives it Python's KeyboardInterrupt handler back; a plain Popen would not."""
    probe = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    parent = ("import signal, subprocess, sys\n"
              "sys.path.insert(0, sys.argv[1])\n"
              "from interrupt import interruptible\n"
              "signal.signal(signal.SIGINT, signal.SIG_IGN)  # what `cmd &` in a script does\n"
              f"plain = subprocess.run([sys.executable, '-c', {probe!r}], capture_output=True, text=True).stdout.strip()\n"
              f"ours = interruptible([sys.executable, '-c', {probe!r}], stdout=subprocess.PIPE, text=True).communicate()[0].strip()\n"
              "print(plain, ours)\n")
    got = subprocess.run([sys.executable, "-c", parent, str(Path(__file__).parent)], capture_output=True, text=True, timeout=60)
    assert got.stdout.split() == ["False", "True"], got.stdout + got.stderr
