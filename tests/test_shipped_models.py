"""The image MAE that ships in ``data/pretrained/mae_scenes_cpu/`` (issue 11, point 8):
made by ``python -m maelearn.experiments ablations --scale cpu``, loaded by lesson 08 with
``load_shipped_mae`` and probed by ``python -m maelearn probe``."""

from __future__ import annotations

import math
import re

import pytest
import torch

from maelearn.__main__ import main
from maelearn.checkpoint import read_checkpoint
from maelearn.config import ROOT
from maelearn.data.scenes import SCENE_CLASSES, scene_benchmark
from maelearn.experiments.ablations import load_shipped_mae
from maelearn.mae import MAE

FOLDER = ROOT / "data" / "pretrained" / "mae_scenes_cpu"
MAX_BYTES = 5 * 1024 * 1024  # issue 11: at most 5 MB


@pytest.fixture(autouse=True)
def keep_threads():
    """The CLI sets torch's thread count for its process; put it back for other tests."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def shipped():
    loaded = load_shipped_mae("cpu")
    assert loaded is not None, f"no checkpoint in {FOLDER}; `python -m maelearn.experiments ablations --scale cpu` makes it"
    return loaded


def test_shipped_checkpoint_is_small_and_loads_as_an_eval_mode_scenes_mae(shipped):
    model, _ = shipped
    size = (FOLDER / "checkpoint.pt").stat().st_size
    assert size <= MAX_BYTES, f"checkpoint.pt is {size / 2**20:.2f} MiB, over the 5 MB the issue allows"
    assert isinstance(model, MAE) and not model.training
    cfg = model.config
    assert (cfg.img_size, cfg.patch_size, cfg.in_chans) == (32, 4, 3)


def test_provenance_says_how_the_model_was_made_and_matches_the_checkpoint(shipped):
    _, info = shipped
    for key in ("command", "seed", "epochs", "final_loss", "results", "data", "date"):
        assert key in info, f"provenance.json lacks {key!r}"
    assert info["command"].startswith("python -m maelearn.experiments ablations")
    assert isinstance(info["seed"], int) and isinstance(info["epochs"], int) and info["epochs"] >= 1
    assert math.isfinite(info["final_loss"])
    for metric in ("linear_probe", "knn", "fine_tune"):
        value = info["results"].get(metric)
        assert value is not None and 0.0 <= value <= 1.0, f"results[{metric!r}] = {value!r}"
    # The provenance describes this very checkpoint: same epoch count, same last-epoch loss.
    state = read_checkpoint(FOLDER / "checkpoint.pt")
    assert state["epoch"] == info["epochs"], (
        f"checkpoint.pt is at epoch {state['epoch']}, provenance.json says {info['epochs']} epochs: "
        "the two files come from different runs (the sweep writes the provenance after evaluating)")
    assert state["history"]["epoch_loss"][-1] == pytest.approx(info["final_loss"], abs=1e-6)
    assert state["meta"]["dataset"] == "scenes"


def test_shipped_model_reconstructs_a_scenes_batch(shipped):
    model, _ = shipped
    _, test = scene_benchmark(n_train=1, n_test=6, seed=0)
    assert test.classes == list(SCENE_CLASSES)
    noise = model.make_noise(6, 0.75, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        recon = model.reconstruct(test.images, 0.75, noise=noise)
    for key in ("masked", "reconstruction", "pasted", "original"):
        assert recon[key].shape == (6, 3, 32, 32), key
        assert torch.isfinite(recon[key]).all(), key
    assert recon["mask"].shape == (6, model.num_patches)
    assert int(recon["mask"].sum(1)[0]) == model.num_patches - model.config.num_visible(model.grid, 0.75)
    assert torch.isfinite(recon["loss"]) and float(recon["loss"]) > 0


def test_cli_probe_reads_the_scenes_from_the_shipped_checkpoint(capsys):
    """``python -m maelearn probe data/pretrained/mae_scenes_cpu``, offline, no --dataset:
    the checkpoint's meta names the scenes."""
    code = main(["probe", str(FOLDER), "--n-images", "64", "--n-test", "32", "--threads", "1", "--device", "cpu"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"scenes silhouette \(10 classes\) \(64 train / 32 test\): linear probe \[CLS\]: "
                     r"pretrained [01]\.\d{3} vs random init [01]\.\d{3}", out), out


LONG_SEEDS = sorted({0} | {int(p.stem[4:]) for p in (ROOT / "data" / "pretrained" / "mae_scenes_long").glob("seed*.pt")})


@pytest.mark.parametrize("seed", LONG_SEEDS)
def test_the_long_trained_mae_is_what_its_results_file_says(seed):
    """data/pretrained/mae_scenes_long/seed<N>.pt (issue 23): a 200-epoch MAE, small,
    loadable, whose last probe row in data/pretraining_length_cpu.json is what its frozen
    encoder scores when probed again now (the probe is deterministic). Seed 0 must exist;
    every other shipped seed is checked the same way."""
    from maelearn.experiments import pretraining_length as pl

    path = pl.SHIPPED / f"seed{seed}.pt"
    assert path.exists(), f"{path} is missing: `python -m maelearn.experiments length --seeds {seed}` makes it"
    assert path.stat().st_size <= MAX_BYTES
    model, info = pl.load_shipped(seed)
    assert isinstance(model, MAE) and not model.training and info["epochs"] >= 100
    last = info["curve"][-1]
    assert last["epochs"] == info["epochs"] and math.isclose(last["loss"], info["final_loss"], rel_tol=1e-6)
    from maelearn.experiments.ablations import ablation_data

    _, train, test = ablation_data("cpu", 0)
    again = pl.probe(model.encoder, train, test, seed)
    assert again["knn"] == pytest.approx(last["knn"], abs=1e-9)
    assert again["linear_probe"] == pytest.approx(last["linear_probe"], abs=2e-3)  # float sums in another order: <= 4 of 2,000
