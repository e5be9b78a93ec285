"""``python -m maelearn.interop`` under bad input (issue 16): one line on stderr naming the
argument, the value and what was expected, exit status 2, no traceback, and nothing lost.

An OUT that cannot be written is refused before anything is converted; an existing OUT is
refused (and left byte for byte as it was) unless ``--overwrite`` is given; an unreadable
input gets a short reason and never the advice to load it with ``weights_only=False``; a
setting the weights cannot tell is asked for by its flag (``--heads``)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch
from test_interop import official_mae_checkpoint

from maelearn.checkpoint import load_checkpoint, read_checkpoint
from maelearn.interop import __main__ as interop
from maelearn.runs import check_destination

PROG = "python -m maelearn.interop"
HEADS = ["--heads", "4", "--decoder-heads", "2"]


def one_line(capsys, *needles: str) -> str:
    """stderr held exactly one line, the error, naming every needle."""
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{PROG}: error: "), err
    assert "Traceback" not in out + err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def digest(path: Path) -> dict[str, str]:
    """sha256 of a file, or of every file under a folder, by relative path."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {str(p.relative_to(path.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def run_cli(*args: str, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MAELEARN_DEBUG"}
    env.update(OMP_NUM_THREADS="1", **extra)
    return subprocess.run([sys.executable, "-m", "maelearn.interop", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tempfile.gettempdir())


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A tiny official MAE file and our checkpoint of it, made once."""
    folder = tmp_path_factory.mktemp("interop_cli")
    src = folder / "mae_tiny.pth"
    torch.save(official_mae_checkpoint(), src)
    ckpt = folder / "ours.pt"
    assert interop.main(["import", str(src), str(ckpt), *HEADS]) == 0
    return {"src": src, "ckpt": ckpt}


# --- 1. an OUT that cannot be written: refused before converting ---------------------------


def unwritable_outs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file").write_bytes(b"keep me")
    outs = {
        "folder": (tmp_path / "a_folder", "is a folder; expected the path of"),
        "file in the way": (tmp_path / "a_file" / "mae.pth", "a_file is a file, not a folder"),
    }
    if Path("/proc").is_dir() and sys.platform.startswith("linux"):
        outs["/proc"] = (Path("/proc/x.pth"), "cannot write in /proc (it does not accept new files)")
    if hasattr(os, "geteuid") and os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "read_only"
        ro.mkdir(mode=0o500)
        outs["no permission"] = (ro / "mae.pth", f"cannot write in {ro} (permission denied)")
    return outs


@pytest.mark.parametrize("command", ["export", "import"])
def test_an_out_that_cannot_be_written_is_named_before_converting(files, tmp_path, capsys, command):
    for name, (out, why) in unwritable_outs(tmp_path).items():
        before = digest(tmp_path)
        # The input does not exist: OUT is refused first, so nothing is read or converted.
        args = (["export", str(tmp_path / "missing.pt"), str(out), "--to", "official"] if command == "export"
                else ["import", str(tmp_path / "missing.pth"), str(out)])
        assert interop.main(args) == 2, name
        line = one_line(capsys, f"OUT {out}", why)
        assert "missing" not in line, line
        assert digest(tmp_path) == before, name  # nothing written, nothing left behind


def test_unwritable_out_in_a_real_command_line(files):
    proc = run_cli("export", str(files["ckpt"]), "/proc/x.pth", "--to", "official")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines() == [f"{PROG}: error: OUT /proc/x.pth: cannot write in /proc (it does not "
                                        "accept new files); expected a path in a writable folder"]
    proc = run_cli("export", str(files["ckpt"]), "/proc/x.pth", "--to", "official", MAELEARN_DEBUG="1")
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "UsageError" in proc.stderr


# --- 2. --to hf onto a file -----------------------------------------------------------------


def test_export_hf_onto_a_file_is_refused_and_the_file_kept(files, tmp_path, capsys):
    pytest.importorskip("transformers")
    afile = tmp_path / "afile"
    afile.write_bytes(b"not a folder")
    for extra in ([], ["--overwrite"]):  # --overwrite replaces a folder's model, never a file by a folder
        assert interop.main(["export", str(files["ckpt"]), str(afile), "--to", "hf", *extra]) == 2
        one_line(capsys, f"OUT {afile} is a file; expected a folder for the Hugging Face model")
        assert afile.read_bytes() == b"not a folder"
    hf = tmp_path / "hf"
    assert interop.main(["export", str(files["ckpt"]), str(hf), "--to", "hf"]) == 0
    capsys.readouterr()  # transformers' progress bar
    before = digest(hf)
    assert interop.main(["export", str(files["ckpt"]), str(hf), "--to", "hf"]) == 2
    one_line(capsys, f"OUT {hf} already exists and holds 2 file(s) (config.json, model.safetensors)", "--overwrite")
    assert digest(hf) == before
    assert interop.main(["export", str(files["ckpt"]), str(hf), "--to", "hf", "--overwrite"]) == 0


def test_a_missing_transformers_is_one_line(files, tmp_path, capsys, monkeypatch):
    def missing():
        raise ImportError(f"Hugging Face models need the transformers package: {interop.INSTALL_HINT}")

    monkeypatch.setattr(interop, "_transformers", missing)
    assert interop.main(["export", str(files["ckpt"]), str(tmp_path / "hf"), "--to", "hf"]) == 2
    one_line(capsys, "need the transformers package", "pip install")
    assert not (tmp_path / "hf").exists()


# --- 3. nothing replaced without --overwrite -------------------------------------------------


def test_import_onto_a_finished_run_s_checkpoint_is_refused(files, tmp_path, capsys):
    run = tmp_path / "run"
    assert interop.main(["import", str(files["src"]), str(run / "checkpoint.pt"), *HEADS]) == 0
    (run / "summary.json").write_text('{"epochs": 1}\n')
    (run / "history.json").write_text("{}\n")
    capsys.readouterr()
    before = digest(run)
    assert interop.main(["import", str(files["src"]), str(run / "checkpoint.pt"), *HEADS, "--no-norm-pix-loss"]) == 2
    one_line(capsys, f"OUT {run / 'checkpoint.pt'} is the checkpoint of the run in {run}",
             "history.json, summary.json", "add --overwrite")
    assert digest(run) == before
    # With --overwrite it is replaced, and a warning says what no longer matches.
    assert interop.main(["import", str(files["src"]), str(run / "checkpoint.pt"), *HEADS, "--no-norm-pix-loss",
                         "--overwrite"]) == 0
    err = capsys.readouterr().err
    assert f"{PROG}: warning: OUT {run / 'checkpoint.pt'} replaces the checkpoint of the run" in err, err
    assert load_checkpoint(run)[0].config.norm_pix_loss is False


@pytest.mark.parametrize("command", ["import", "export"])
def test_an_existing_out_file_is_refused_byte_identical(files, tmp_path, capsys, command):
    out = tmp_path / "existing.pth"
    out.write_bytes(b"somebody's file")
    args = (["import", str(files["src"]), str(out), *HEADS] if command == "import"
            else ["export", str(files["ckpt"]), str(out), "--to", "official"])
    assert interop.main(args) == 2
    one_line(capsys, f"OUT {out} already exists; add --overwrite to replace it")
    assert out.read_bytes() == b"somebody's file"
    assert interop.main([*args, "--overwrite"]) == 0
    assert out.read_bytes() != b"somebody's file"
    (read_checkpoint if command == "import" else interop.read_state_dict)(out)  # a complete file now
    assert [p.name for p in tmp_path.iterdir()] == ["existing.pth"]  # no temporary file left


def test_existing_destination_refused_in_a_real_command_line(files, tmp_path):
    out = tmp_path / "checkpoint.pt"
    out.write_bytes(b"x" * 100)
    proc = run_cli("import", str(files["src"]), str(out), *HEADS)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines() == [f"{PROG}: error: OUT {out} already exists; add --overwrite to replace it, "
                                        "or choose another path"]
    assert out.read_bytes() == b"x" * 100


def test_check_destination_for_a_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    assert check_destination(tmp_path / "empty", folder=True) == tmp_path / "empty"
    assert check_destination(tmp_path / "new" / "deeper", folder=True) == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    assert check_destination(tmp_path, folder=True, overwrite=True) == tmp_path


# --- 4. unreadable inputs: a short reason, no unsafe advice ----------------------------------


class Foreign:
    """Any class a file might pickle: the weights-only loader refuses it."""


def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    import io

    buf = io.BytesIO()
    torch.save(official_mae_checkpoint(), buf)
    real = buf.getvalue()
    legacy = io.BytesIO()
    torch.save(official_mae_checkpoint(), legacy, _use_new_zipfile_serialization=False)

    contents = {
        "empty": (b"", "empty file"),
        "text": (b"hello, I am not a checkpoint\n", "not a torch file"),
        "random": (os.urandom(4096), "not a torch file"),
        "truncated": (real[: len(real) // 2], "truncated or corrupt zip"),
        "old format, truncated": (legacy.getvalue()[:300], "truncated or corrupt file, old torch format"),
    }
    out = {}
    for i, (name, (data, why)) in enumerate(contents.items()):
        path = tmp_path / f"bad{i}.pth"
        path.write_bytes(data)
        out[name] = (path, why)
    code = tmp_path / "code.pth"
    torch.save({"model": {}, "x": Foreign()}, code)
    out["code"] = (code, f"refused unsafe pickle content: {__name__}.Foreign")
    return out


def test_unreadable_inputs_get_a_short_reason(tmp_path, capsys):
    for name, (path, why) in bad_inputs(tmp_path).items():
        for read in (read_checkpoint, interop.read_state_dict):
            with pytest.raises(ValueError) as info:
                read(path)
            msg = str(info.value)
            assert msg.startswith(f"not a readable checkpoint: {path} ({why}"), (name, msg)
            assert msg.endswith(")") and "weights_only" not in msg and "torch.load" not in msg, (name, msg)
            assert len(msg) < len(str(path)) + 100, (name, msg)
        for args in (["import", str(path), str(tmp_path / "out.pt")],
                     ["export", str(path), str(tmp_path / "out.pth"), "--to", "official"]):
            assert interop.main(args) == 2
            line = one_line(capsys, f"not a readable checkpoint: {path} ({why}")
            assert "weights_only" not in line, line
        assert not (tmp_path / "out.pt").exists() and not (tmp_path / "out.pth").exists()


def test_unreadable_input_in_a_real_command_line(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint\n")
    proc = run_cli("import", str(text), str(tmp_path / "out.pt"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines() == [f"{PROG}: error: not a readable checkpoint: {text} (not a torch file)"]


def test_a_bad_safetensors_file_is_named(tmp_path):
    pytest.importorskip("safetensors")
    bad = tmp_path / "model.safetensors"
    bad.write_bytes(b"definitely not safetensors")
    with pytest.raises(ValueError, match=f"not a readable checkpoint: {bad} \\(truncated or not a safetensors file\\)"):
        interop.read_state_dict(bad)


# --- 5. settings the weights cannot tell: the flag is named ----------------------------------


def test_missing_heads_name_the_flag(files, tmp_path, capsys):
    out = tmp_path / "out.pt"
    assert interop.main(["import", str(files["src"]), str(out)]) == 2
    line = one_line(capsys, "attention heads of a 32-d encoder", "pass --heads N")
    assert "heads=" not in line, line
    assert interop.main(["import", str(files["src"]), str(out), "--heads", "4"]) == 2
    line = one_line(capsys, "attention heads of a 16-d decoder", "pass --decoder-heads N")
    assert "decoder_heads=" not in line, line
    assert not out.exists()
    # In Python the keyword is named.
    with pytest.raises(interop.MissingSettingError, match="pass heads="):
        interop.from_official(files["src"])
    with pytest.raises(ValueError, match="pass decoder_heads="):
        interop.from_official(files["src"], heads=4)
