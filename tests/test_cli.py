"""The command line: ``python -m maelearn pretrain | probe | welcome``."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import torch

from maelearn.__main__ import main
from maelearn.config import ROOT
from maelearn.checkpoint import read_checkpoint

FINAL = re.compile(
    r"^final: masked-patch loss (?P<train>\d+\.\d+) \(train, last epoch\) / (?P<held>\d+\.\d+) \(held out\) \| "
    r"digit \(10 classes\): linear probe \[CLS\]: pretrained (?P<acc>[01]\.\d+) vs random init (?P<rand>[01]\.\d+) \| "
    r"linear probe mean-pool: pretrained (?P<mean>[01]\.\d+) vs random init (?P<meanrand>[01]\.\d+) \| "
    r"kNN: pretrained (?P<knn>[01]\.\d+) vs random init (?P<knnrand>[01]\.\d+) \| \d+ s$",
    re.M,
)


@pytest.fixture(autouse=True)
def keep_threads():
    """The CLI sets torch's thread count for its process; put it back for other tests."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


SMOKE = ["pretrain", "--epochs", "1", "--n-images", "128", "--n-test", "64", "--batch-size", "64",
         "--threads", "1", "--device", "cpu"]


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    """One tiny pretraining run shared by the tests that read its files (run once per module,
    whichever test asks first, so each test also passes when run alone)."""
    run_dir = tmp_path_factory.mktemp("cli") / "run"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*SMOKE, "--out", str(run_dir)])
    return run_dir, code, out.getvalue()


@pytest.fixture
def run_dir(smoke_run):
    return smoke_run[0]


def test_pretrain_smoke_writes_checkpoint_figure_and_final_line(smoke_run):
    run_dir, code, out = smoke_run
    assert code == 0, out
    m = FINAL.search(out)
    assert m, out
    assert 0.0 <= float(m["acc"]) <= 1.0 and 0.0 <= float(m["rand"]) <= 1.0
    state = read_checkpoint(run_dir / "checkpoint.pt")  # weights_only load
    assert state["epoch"] == 1 and state["step"] == 2  # 128 images / 64 per step
    assert state["meta"]["dataset"] == "digits" and state["meta"]["n_images"] == 128
    png = (run_dir / "reconstructions.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000  # a real image, not an empty canvas
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["linear_cls_pretrained"] == pytest.approx(float(m["acc"]), abs=5e-4)  # printed with 3 decimals
    assert summary["knn_random_init"] == pytest.approx(float(m["knnrand"]), abs=5e-4)
    assert summary["linear_mean_pretrained"] == pytest.approx(float(m["mean"]), abs=5e-4)
    assert summary["heldout_masked_loss"] == pytest.approx(float(m["held"]), abs=5e-5)
    hist = json.loads((run_dir / "history.json").read_text())
    assert len(hist["loss"]) == 2 and hist["epoch_loss"][0] == pytest.approx(float(m["train"]), abs=5e-5)


def test_probe_on_saved_checkpoint(run_dir, capsys):
    assert (run_dir / "checkpoint.pt").exists()
    code = main(["probe", str(run_dir / "checkpoint.pt"), "--threads", "1", "--device", "cpu"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"epoch 1, step 2", out), out
    m = re.search(r"\(128 train / 64 test\): linear probe \[CLS\]: pretrained ([01]\.\d+) vs random init ([01]\.\d+)", out)
    assert m, out
    # Same data, same encoder, same deterministic probe as at the end of pretraining.
    summary = json.loads((run_dir / "summary.json").read_text())
    assert float(m[1]) == pytest.approx(summary["linear_cls_pretrained"], abs=5e-4)
    assert float(m[2]) == pytest.approx(summary["linear_cls_random_init"], abs=5e-4)


def test_bad_arguments_are_clear_errors(tmp_path, capsys):
    code = main(["pretrain", "--dataset", "digits", "--n-images", "5000", "--out", str(tmp_path), "--threads", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "has 1797 images" in err and "--n-images 1297" in err
    assert main(["probe", str(tmp_path / "missing.pt")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["pretrain", "--dataset", "imagenet"])


def test_module_entry_point_help():
    proc = subprocess.run([sys.executable, "-m", "maelearn", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and all(c in proc.stdout for c in ("pretrain", "probe", "finetune", "welcome"))


@pytest.mark.skipif(not (ROOT / "lessons" / "00_welcome.ipynb").exists(), reason="lessons/ not in this checkout")
def test_welcome_runs_lesson_00(capsys):
    assert main(["welcome"]) == 0
    out = capsys.readouterr().out
    assert "lesson run time (s)" in out  # lesson 00's "What we measured" table came back
    assert "jupyter lab" in out and "lessons/" in out and "solutions/" in out


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """A folder of 2 classes x 16 small PNGs (red-ish and blue-ish noise)."""
    import numpy as np
    from PIL import Image

    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for c, channel in (("red", 0), ("blue", 2)):
        (root / c).mkdir()
        for i in range(16):
            a = (rng.random((36, 40, 3)) * 80).astype(np.uint8)
            a[..., channel] += 150
            Image.fromarray(a).save(root / c / f"{i}.png")
    return root


def test_pretrain_probe_and_finetune_on_a_folder_of_images(image_folder, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["pretrain", "--data-path", str(image_folder), "--epochs", "1", "--batch-size", "8", "--n-test", "8",
                 "--threads", "1", "--device", "cpu", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert f"on 32 {image_folder} images" in text
    m = re.search(r"final: masked-patch loss \d+\.\d+ \(train, last epoch\) / \d+\.\d+ \(probe-test images, also "
                  r"pretrained on\) \| class \(2 folders\): linear probe \[CLS\]: pretrained ([01]\.\d+)", text)
    assert m, text
    state = read_checkpoint(out)
    assert state["meta"]["data_source"] == {"kind": "folder", "data_path": str(image_folder.resolve())}
    assert state["step"] == 4  # 32 images / 8 per step
    summary = json.loads((out / "summary.json").read_text())
    assert summary["linear_cls_pretrained"] == pytest.approx(float(m[1]), abs=5e-4)
    # probe and finetune read the same folder back from the checkpoint
    assert main(["probe", str(out), "--threads", "1", "--device", "cpu"]) == 0
    text = capsys.readouterr().out
    assert f"{image_folder.resolve()} class (2 folders) (24 train / 8 test): linear probe [CLS]: pretrained {m[1]}" in text
    assert main(["finetune", str(out), "--epochs", "1", "--batch-size", "8", "--threads", "1", "--device", "cpu"]) == 0
    m2 = re.search(r"final: class \(2 folders\) test accuracy ([01]\.\d+) \(8 test images, full fine-tuning\)",
                   capsys.readouterr().out)
    assert m2 and 0 <= float(m2[1]) <= 1


def test_real_data_arguments_are_checked(image_folder, tmp_path, capsys):
    out = str(tmp_path / "run")
    cases = [
        (["--dataset", "cifar10"], "--dataset cifar10 needs --data-root DIR"),
        (["--dataset", "stl10", "--data-root", str(tmp_path / "none")],
         "use an offline set: digits, natural, scenes, shapes"),  # not there: named, no download attempted
        (["--data-path", str(image_folder), "--dataset", "digits"], "give one of them"),
        (["--data-path", str(image_folder), "--data-root", str(tmp_path)], "--data-root and --download go with"),
        (["--dataset", "shapes", "--download"], "shapes is an offline set"),
        (["--data-path", str(tmp_path / "missing")], f"data folder {tmp_path / 'missing'} does not exist"),
    ]
    for extra, needle in cases:
        assert main(["pretrain", *extra, "--out", out, "--device", "cpu", "--threads", "1"]) == 2, extra
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "run").exists()  # refused before the run folder was made


def test_probe_on_a_checkpoint_without_a_data_source(run_dir, tmp_path, capsys):
    """Imported checkpoints (maelearn.interop) carry meta={"source": <a name>, ...}, no data source."""
    from maelearn.checkpoint import atomic_save

    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    state["meta"] = {"source": "facebook/vit-mae-base", "converted_by": "maelearn.interop"}
    atomic_save(state, tmp_path / "imported.pt")
    assert main(["probe", str(tmp_path / "imported.pt"), "--dataset", "digits", "--n-images", "64", "--n-test", "32",
                 "--threads", "1", "--device", "cpu"]) == 0
    assert "digits digit (10 classes) (64 train / 32 test)" in capsys.readouterr().out
    # Without --dataset it falls back to the shapes (3 channels): a named mismatch, not a crash.
    assert main(["probe", str(tmp_path / "imported.pt"), "--threads", "1", "--device", "cpu", "--n-images", "8",
                 "--n-test", "8"]) == 2
    err = capsys.readouterr().err
    assert "--dataset shapes: its images have 3 channels" in err and len(err.strip().splitlines()) == 1, err
