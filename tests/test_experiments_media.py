"""The video and audio studies (python -m maelearn.experiments video|audio): the shipped
JSON files' schema, a tiny end-to-end run, resuming, and the masking comparison's fairness."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from maelearn.config import ROOT
from maelearn.experiments import media
from maelearn.stats import interval
from maelearn.video import build_videomae


def _check_schema(results: dict, kind: str) -> None:
    for key in ("command", "hardware", "torch", "date", "dataset", "settings", "variants", "baselines", "chance"):
        assert key in results, key
    assert results["command"].startswith(f"python -m maelearn.experiments {kind}")
    groups = [v["group"] for v in results["variants"].values()]
    assert groups.count("baseline") == 1
    for name, v in results["variants"].items():
        for run in v["runs"]:
            assert {"seed", "probe", "final_loss"} <= set(run), (name, run)
            assert 0 <= run["probe"] <= 1 and run["final_loss"] > 0
    assert set(results["baselines"]) == set(media.BASELINES[kind])
    for name, b in results["baselines"].items():
        for run in b["runs"]:
            assert {"seed", "probe"} <= set(run) and 0 <= run["probe"] <= 1, (name, run)
    if kind == "video":
        v = results["variants"]
        assert (v["tube 0.9"]["masking"], v["tube 0.9"]["mask_ratio"]) == ("tube", 0.9)
        assert (v["random 0.9"]["masking"], v["random 0.9"]["mask_ratio"]) == ("random", 0.9)
        assert (v["tube 0.75"]["masking"], v["tube 0.75"]["mask_ratio"]) == ("tube", 0.75)


@pytest.mark.parametrize("kind", media.KINDS)
def test_shipped_results_schema(kind):
    path = ROOT / "data" / f"{kind}_cpu.json"
    if not path.exists():
        pytest.skip(f"{path.name} not made yet")
    results = json.loads(path.read_text())
    _check_schema(results, kind)
    # The summary a lesson prints is recomputed from the runs, never stored numbers alone.
    summary = media.summarize(kind, results)
    for name, v in results["variants"].items():
        if v["runs"]:
            assert summary["probe"][name]["mean"] == pytest.approx(interval(r["probe"] for r in v["runs"]).mean)


@pytest.mark.parametrize("kind", media.KINDS)
def test_printed_intervals_stay_within_possible_accuracies(kind):
    """The shipped video study has a baseline at 0.997 whose t-interval reaches 1.001; the
    table a lesson prints clips [lo, hi] to [0, 1] and leaves the mean as measured."""
    path = ROOT / "data" / f"{kind}_cpu.json"
    if not path.exists():
        pytest.skip(f"{path.name} not made yet")
    for _, _, probe, _ in media.table(json.loads(path.read_text())):
        lo, hi = (float(v) for v in probe.split("[")[1].rstrip("]").split(","))
        assert 0.0 <= lo <= hi <= 1.0, probe


def _tiny(kind: str) -> media.MediaScale:
    base = media.SCALES[kind]["quick"]
    return replace(base, n_train=64, n_test=32, epochs=1, batch_size=32, probe_steps=20, sup_epochs=1, seeds=(0, 1))


@pytest.mark.parametrize("kind", media.KINDS)
def test_tiny_study_end_to_end_and_resume(kind, tmp_path, monkeypatch):
    out = tmp_path / f"{kind}.json"
    results = media.run_study(kind, _tiny(kind), out=out, device="cpu", log=None, checkpoint=True,
                              checkpoint_folder=tmp_path / "pretrained")
    _check_schema(results, kind)
    # The shipped model: rebuilt from its own config, the seed-0 baseline, with provenance.
    model, prov = media.load_pretrained(kind, folder=tmp_path / "pretrained")
    base = next(n for n, v in results["variants"].items() if v["group"] == "baseline")
    assert prov["seed"] == 0 and prov["variant"] == base and prov["bytes"] < 5_000_000
    assert prov["final_loss"] == results["variants"][base]["runs"][0]["final_loss"]
    x = media.study_data(kind, _tiny(kind)).x_test[:4]
    assert model.features(x).shape[0] == 4
    assert media.load_pretrained(kind, folder=tmp_path / "nothing") is None
    on_disk = json.loads(out.read_text())
    assert on_disk["variants"] == results["variants"]
    for v in on_disk["variants"].values():
        assert [r["seed"] for r in v["runs"]] == [0, 1]
    assert "comparisons" in on_disk["summary"]
    # A second call finds every run in the file and trains nothing.
    def boom(*a, **k):
        raise AssertionError("a finished run was run again")

    monkeypatch.setattr(media, "pretrain_variant", boom)
    monkeypatch.setattr(media, "supervised", boom)
    again = media.run_study(kind, _tiny(kind), out=out, device="cpu", log=None)
    assert again["variants"] == results["variants"]
    assert media.report(again).startswith(f"{kind} (custom)") and "paired difference" in media.report(again)


def test_bad_kind_and_scale():
    with pytest.raises(ValueError, match="kind must be one of"):
        media.run_study("text")
    with pytest.raises(ValueError, match="scale must be one of"):
        media.run_study("video", "huge")
    with pytest.raises(TypeError, match="scale must be"):
        media.run_study("audio", 3)


@pytest.mark.parametrize("ratio", [0.75, 0.9])
def test_tube_and_random_mask_the_same_number_of_cubes(ratio):
    # The masking comparison is fair only if both strategies hide as many cubes.
    sc = media.SCALES["video"]["cpu"]
    x = torch.rand(3, 3, sc.model["frames"], sc.model["img_size"], sc.model["img_size"])
    counts = {}
    for masking in ("tube", "random"):
        model = build_videomae("tiny", **sc.model, masking=masking)
        counts[masking] = model(x, ratio).mask.sum(dim=1)
    assert torch.equal(counts["tube"], counts["random"]), counts


def test_masking_verdict_words():
    def summary(lo, hi):
        return {"comparisons": {"tube 0.9 - random 0.9": {"mean": (lo + hi) / 2, "lo": lo, "hi": hi, "n": 3}}}

    assert "VideoMAE" in media.masking_verdict(summary(0.01, 0.05))
    assert "MAE-ST" in media.masking_verdict(summary(-0.05, -0.01))
    assert "neither" in media.masking_verdict(summary(-0.02, 0.03))
    assert "random masking at 90 % performs best" in media.PAPERS["mae_st"]


def test_pretraining_verdict_words():
    def results(pre, rand):
        runs = lambda xs: [{"seed": i, "probe": x, "final_loss": 0.5} for i, x in enumerate(xs)]
        return {"kind": "audio", "variants": {"random 0.8": {"group": "baseline", "runs": runs(pre)}},
                "baselines": {"random_init": {"runs": runs(rand)}, "mfcc_stats": {"runs": []}, "supervised": {"runs": []}}}

    better = media.pretraining_verdict(results([0.70, 0.72, 0.71], [0.50, 0.53, 0.51]))
    assert "better for this probe" in better and "separated" in better and "untrained encoder's" not in better
    worse = media.pretraining_verdict(results([0.40, 0.42, 0.41], [0.50, 0.53, 0.51]))
    assert "untrained encoder's frozen features are better" in worse
    assert "no difference" in media.pretraining_verdict(results([0.50, 0.55, 0.45], [0.52, 0.47, 0.50]))
    assert "not enough seeds" in media.pretraining_verdict(results([0.5], [0.4]))


def test_video_pretraining_adds_disjoint_unlabelled_clips(monkeypatch):
    sc = replace(_tiny("video"), n_unlabelled=48)
    data = media.study_data("video", sc)
    assert data.x_unlabelled.shape == (48, *data.x_train.shape[1:])
    assert torch.equal(data.x_pretrain[: len(data.x_train)], data.x_train) and len(data.x_pretrain) == 64 + 48
    labelled = torch.cat([data.x_train, data.x_test]).flatten(1)
    assert torch.cdist(data.x_unlabelled.flatten(1), labelled).min() > 1.0  # no labelled clip reused
    assert "unlabelled_shapes(48" in data.description
    seen = {}

    def fake_pretrain(model, x, cfg, progress=False):  # what pretraining reads
        seen["n"] = len(x)
        raise StopIteration

    monkeypatch.setattr(media, "pretrain", fake_pretrain)
    with pytest.raises(StopIteration):
        media.pretrain_variant("video", media.VARIANTS["video"][0], data, sc, 0, torch.device("cpu"))
    assert seen["n"] == 64 + 48


def test_settings_without_n_unlabelled_still_match():
    # Files written before n_unlabelled existed pretrained on the labelled clips only (0).
    new = {"kind": "audio", "dataset": "d", "settings": {"n_train": 8, "n_unlabelled": 0, "extra_pools": [], "seeds": [0]}}
    old = {"kind": "audio", "dataset": "d", "settings": {"n_train": 8, "seeds": [0, 1]}}
    assert media._settings_match(old, new)
    assert not media._settings_match(old, {**new, "settings": {**new["settings"], "n_unlabelled": 5}})
