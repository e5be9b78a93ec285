"""``python -m maelearn.experiments video|audio`` under bad input and Ctrl-C (issue 16): every
expected failure is ONE stderr line naming the argument and the value, exit status 2, no
"Traceback", before any training (the refusals run at the default ``--scale cpu``, hours of
work, within seconds); a file that is not this study's results is never overwritten; an
interrupt keeps every finished run and says how to resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from interrupt import interruptible

from maelearn.config import ROOT

PROG = "python -m maelearn.experiments"


def run(*args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAELEARN_DEVICE", "MAELEARN_DEBUG")}
    env.update(OMP_NUM_THREADS="1", **extra)
    return subprocess.run([sys.executable, "-m", "maelearn.experiments", *args], check=False, capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=tempfile.gettempdir())


def one_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, no traceback, stderr exactly one line naming every needle."""
    text = proc.stdout + proc.stderr
    assert proc.returncode == 2, text
    assert "Traceback" not in text, text
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def test_no_command_or_an_unknown_one_is_one_line():
    for args, needle in (((), "expected a command;"), (("vidoe",), "expected a command, got 'vidoe'")):
        proc = run(*args)
        line = one_line(proc, needle, "ablations | video | audio")
        assert line.startswith(f"{PROG}: error: ") and proc.stdout == ""
    assert run("--help").returncode == 0


@pytest.mark.parametrize("kind", ["video", "audio"])
def test_bad_out_is_refused_before_any_work(kind, tmp_path):
    one_line(run(kind, "--out", str(tmp_path)), f"{PROG} {kind}: error: --out {tmp_path} is a folder",
             str(tmp_path / f"{kind}_cpu.json"))
    missing = tmp_path / "missing" / "r.json"
    one_line(run(kind, "--out", str(missing)), f"--out {missing}: the folder {missing.parent} does not exist")
    if Path("/proc").is_dir():  # a folder nobody can write in, even root
        one_line(run(kind, "--out", "/proc/r.json"), "--out /proc/r.json: cannot write in /proc")
    for name, text in (("notes.json", "not JSON at all\n"), ("other.json", '{"experiments": {"a": 1}}\n'),
                       ("list.json", "[1, 2]\n")):
        path = tmp_path / name
        path.write_text(text)
        before = path.read_bytes()
        one_line(run(kind, "--out", str(path)), f"--out {path}")
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.json", "notes.json", "other.json"]  # no probe left


def test_results_of_another_kind_or_other_settings_are_refused_not_overwritten(tmp_path):
    audio = tmp_path / "audio.json"
    shutil.copy(ROOT / "data" / "audio_cpu.json", audio)
    video = tmp_path / "video.json"
    shutil.copy(ROOT / "data" / "video_cpu.json", video)
    before = audio.read_bytes(), video.read_bytes()
    one_line(run("video", "--out", str(audio)), f"--out {audio} holds the audio study's results, not the video study's",
             "nothing is overwritten")
    one_line(run("video", "--scale", "quick", "--out", str(video)),
             f"--out {video} holds the video study at scale cpu with other settings", "epochs", "nothing is overwritten")
    assert (audio.read_bytes(), video.read_bytes()) == before


@pytest.mark.parametrize("args, needles", [
    (["--seeds", "-1"], ["argument --seeds", "'-1'", "from 0 to 4294967295"]),
    (["--seeds", str(2**70)], ["argument --seeds", f"'{2**70}'"]),
    (["--seeds", "1", "0", "1"], ["--seeds 1 0 1", "each seed once", "got 1 more than once"]),
    (["--device", "bogus"], ["--device must be one of", "'bogus'"]),
    (["--threads", "0"], ["argument --threads", "'0'", ">= 1"]),
    (["--scael", "quick"], ["unrecognized arguments: --scael quick", f"(see {PROG} video --help)"]),
])
def test_bad_values_are_one_line_before_any_work(args, needles, tmp_path):
    out = tmp_path / "r.json"
    one_line(run("video", *args, "--out", str(out)), f"{PROG} video: error: ", *needles)
    assert not out.exists()


def test_device_from_the_environment_and_debug(tmp_path):
    out = tmp_path / "r.json"
    one_line(run("audio", "--out", str(out), MAELEARN_DEVICE="bogus"), "$MAELEARN_DEVICE must be one of", "'bogus'")
    for proc in (run("--debug", "audio", "--out", str(tmp_path)), run("audio", "--out", str(tmp_path), MAELEARN_DEBUG="1")):
        assert proc.returncode == 1 and "Traceback" in proc.stderr and "is a folder" in proc.stderr, proc.stderr
    assert not out.exists()


SLOW_SUPERVISED = """
import sys, time
from pathlib import Path
from maelearn.experiments import media

def slow(*a, **k):  # the last run of the study: Ctrl-C arrives while it trains
    Path(sys.argv[1]).touch()
    time.sleep(300)

media.supervised = slow
sys.exit(media.main(sys.argv[2:]))
"""


def test_sigint_keeps_every_finished_run_and_the_same_command_resumes(tmp_path):
    out, marker = tmp_path / "audio.json", tmp_path / "in-supervised"
    args = ["audio", "--scale", "quick", "--seeds", "0", "--threads", "1", "--device", "cpu", "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k not in ("MAELEARN_DEVICE", "MAELEARN_DEBUG")}
    proc = interruptible([sys.executable, "-c", SLOW_SUPERVISED, str(marker), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env={**env, "OMP_NUM_THREADS": "1"},
                         cwd=tempfile.gettempdir())
    try:
        deadline = time.time() + 240
        while not marker.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert marker.exists(), proc.communicate(timeout=10)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert stderr.strip().splitlines()[-1] == (f"{PROG} audio: interrupted; every finished run is in {out}; "
                                                "run the same command again to resume")
    kept = json.loads(out.read_text())
    assert kept["baselines"]["supervised"]["runs"] == []
    done = {name: v["runs"] for sect in ("variants", "baselines") for name, v in kept[sect].items() if name != "supervised"}
    assert all(len(runs) == 1 for runs in done.values()), done
    # The same command again trains only what is missing and keeps what was there.
    again = run(*args)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "supervised seed 0" in again.stdout and "random_init seed 0" not in again.stdout
    final = json.loads(out.read_text())
    assert {name: final[s][name]["runs"] for s in ("variants", "baselines") for name in final[s]
            if name != "supervised"} == done
    assert len(final["baselines"]["supervised"]["runs"]) == 1


def test_library_refuses_other_settings_and_bad_seeds_before_any_work(tmp_path, monkeypatch):
    from dataclasses import replace

    from maelearn.experiments import media

    for kind in media.KINDS:  # the shipped files resume with the default command
        assert media.check_output(kind, "cpu", media.SCALES[kind]["cpu"], ROOT / "data" / f"{kind}_cpu.json")

    def boom(*a, **k):
        raise AssertionError("work started")

    monkeypatch.setattr(media, "study_data", boom)
    shipped = tmp_path / "video.json"
    shipped.write_bytes((ROOT / "data" / "video_cpu.json").read_bytes())
    before = shipped.read_bytes()
    other = replace(media.SCALES["video"]["cpu"], epochs=6)
    with pytest.raises(ValueError, match=r"other settings \(epochs differ from scale custom's\)"):
        media.run_study("video", other, out=shipped, device="cpu", log=None)
    assert shipped.read_bytes() == before
    for seeds, match in (((), "at least one seed"), ((0, -1), "got -1"), ((3, 3), "each seed once"),
                         ((True,), "got True"), ((2**32,), "from 0 to 4294967295")):
        with pytest.raises(ValueError, match=match):
            media.run_study("audio", "quick", seeds=seeds, device="cpu", log=None)
