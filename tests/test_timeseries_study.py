"""Lesson 12's study (maelearn.experiments.timeseries, run as ``python -m maelearn.experiments
timeseries``): the class-balanced label draws, the "past" pooling and the masked losses of
the model module, the probe curve, the paired read-outs and their wording, the resumable
command, and the shipped data/timeseries_cpu.json (5 seeds, the cpu scale's settings)."""

import ast
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

import maelearn.timeseries
from maelearn.config import ROOT
from maelearn.stats import paired_interval
from maelearn.experiments.timeseries import (
    LABEL_COUNTS,
    STUDY_SCALES,
    STUDY_VARIANTS,
    StudyScale,
    label_keys,
    label_subset,
    load_study,
    main,
    probe_curve,
    run_study,
    strongest_cheap,
    study_conclusions,
    study_interval,
    study_paired,
    study_report,
    study_values,
    which_better,
)
from maelearn.timeseries import POOLS, build_timeseries_mae, encoder_features, forecast_noise, reconstruction_losses


pytestmark = pytest.mark.usefixtures("one_thread")


# -- label draws ---------------------------------------------------------------------------------


def test_label_subset_is_balanced_nested_and_seeded():
    labels = torch.arange(60) % 3  # 20 per class
    for k in (1, 5, 20):
        idx = label_subset(labels, k, seed=0)
        assert torch.bincount(labels[idx]).tolist() == [k] * 3 and len(set(idx.tolist())) == 3 * k
    small, large = set(label_subset(labels, 5, 0).tolist()), set(label_subset(labels, 12, 0).tolist())
    assert small <= large  # more labels add to the draw, they do not redraw it
    assert torch.equal(label_subset(labels, 5, 0), label_subset(labels, 5, 0))
    assert not torch.equal(label_subset(labels, 5, 0), label_subset(labels, 5, 1))
    assert torch.equal(label_subset(labels, None, 3), torch.arange(60))


def test_label_subset_rejects_bad_input():
    labels = torch.arange(10) % 2
    with pytest.raises(ValueError, match="fewer than per_class"):
        label_subset(labels, 6, 0)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="per_class"):
            label_subset(labels, bad, 0)
    with pytest.raises(ValueError, match="integer"):
        label_subset(labels.float(), 2, 0)


# -- features, probes, losses ---------------------------------------------------------------------


def _model(**kw):
    torch.manual_seed(0)
    return build_timeseries_mae("tiny", **kw).eval()


def test_past_pool_is_what_a_forecasting_mask_shows():
    m = _model()
    x = torch.randn(5, 3, 128, generator=torch.Generator().manual_seed(0))
    past = encoder_features(m, x, "past", batch_size=2)
    latent, _, _ = m.forward_encoder(x, 0.75, forecast_noise(5, 16))
    assert past.shape == (5, 64) and torch.allclose(past, latent[:, 1:].mean(1), atol=1e-5)
    later = x.clone()
    later[:, :, 4 * 8 :] += 10.0  # the hidden three quarters never reach the "past" features
    assert torch.allclose(encoder_features(m, later, "past"), past, atol=1e-6)
    assert not torch.allclose(encoder_features(m, later, "mean"), encoder_features(m, x, "mean"))
    assert torch.allclose(encoder_features(m, x, "cls"), m.features(x, pool="cls"))
    with pytest.raises(ValueError, match="pool"):
        encoder_features(m, x, "max")


def test_probe_curve_keys_and_separable_features():
    g = torch.Generator().manual_seed(0)
    ytr, yte = torch.arange(100) % 5, torch.arange(50) % 5
    centres = 5 * torch.eye(5)
    ftr = centres[ytr] + 0.1 * torch.randn(100, 5, generator=g)
    fte = centres[yte] + 0.1 * torch.randn(50, 5, generator=g)
    out = probe_curve(ftr, ytr, fte, yte, (2, 5, None), seed=0)
    assert set(out) == {"linear", "knn"} and list(out["linear"]) == ["2", "5", "all"]
    assert all(v == 1.0 for r in out.values() for v in r.values())
    noise = torch.randn(100, 8, generator=g), torch.randn(50, 8, generator=g)
    chance = probe_curve(*noise[:1], ytr, noise[1], yte, (None,), steps=50)
    assert chance["linear"]["all"] < 0.5


def test_test_losses_are_the_models_masked_loss():
    m = _model(norm_pix_loss=False)
    x = torch.randn(6, 3, 128, generator=torch.Generator().manual_seed(1))
    losses = reconstruction_losses(m, x, 0.75, seed=3, batch_size=4)
    assert set(losses) == {"random", "forecast"}
    with torch.no_grad():
        expected = float(m(x, 0.75, noise=forecast_noise(6, 16)).loss)
    assert losses["forecast"] == pytest.approx(expected, rel=1e-5)
    assert losses == reconstruction_losses(m, x, 0.75, seed=3, batch_size=4)  # deterministic in the seed


# -- reading the results ------------------------------------------------------------------------


def _fake_results(acc: dict[str, list[float]]) -> dict:
    """A results dict whose linear probe on mean-pooled tokens, every label, is ``acc``."""
    methods = {}
    for name, values in acc.items():
        pool = "-" if name in ("raw series", "spectrum") else "mean"
        methods[name] = {"runs": [{"seed": s, "probes": {pool: {"linear": {"all": v}, "knn": {"all": 0.0}}}}
                                  for s, v in enumerate(values)]}
    return {"methods": methods, "settings": {"label_counts": [None]}}


def test_study_paired_is_the_paired_interval_and_which_better_is_strict():
    a, b = [0.9, 0.8, 0.85], [0.7, 0.62, 0.66]
    r = _fake_results({"random/norm": a, "untrained": b})
    d = study_paired(r, ("random/norm", "mean", "linear"), ("untrained", "mean", "linear"))
    assert (d["mean"], d["lo"], d["hi"]) == pytest.approx(paired_interval(a, b))
    assert d["n"] == 3 and d["wins"] == 3
    assert which_better(d, "a", "b") == "a better"
    assert which_better({"lo": 0.0, "hi": 0.2}, "a", "b") == "no difference resolved"  # touching 0 contains it
    assert which_better({"lo": -0.3, "hi": -0.01}, "a", "b") == "b better"
    one = _fake_results({"random/norm": [0.9], "untrained": [0.7]})
    with pytest.raises(ValueError, match="2 or more"):
        study_paired(one, ("random/norm", "mean", "linear"), ("untrained", "mean", "linear"))


def test_strongest_cheap_baseline_is_the_best_mean():
    r = _fake_results({"raw series": [0.3, 0.4], "spectrum": [0.9, 0.95]})
    assert strongest_cheap(r, "all") == ("spectrum", "-", "linear")
    assert study_values(r, "spectrum", "mean") == {0: 0.9, 1: 0.95}  # cheap baselines have no pooling
    assert study_interval(r, "raw series").mean == pytest.approx(0.35)


# -- the command ----------------------------------------------------------------------------------

TINY = StudyScale(n_train=40, n_test=20, epochs=1, batch_size=20, warmup_epochs=1, label_counts=(2, None),
                  probe_steps=5, seeds=(0, 1))


def test_run_study_writes_resumes_and_reports(tmp_path):
    out = tmp_path / "ts.json"
    results = run_study(TINY, out, log=None)
    saved = json.loads(out.read_text())
    assert saved["methods"] == results["methods"] and saved["schema"] == "maelearn.timeseries_study/1"
    for name, method in saved["methods"].items():
        assert [r["seed"] for r in method["runs"]] == [0, 1], name
        pools = ["-"] if method["kind"] == "cheap" else list(POOLS)
        for r in method["runs"]:
            assert list(r["probes"]) == pools
            assert all(list(r["probes"][p][ro]) == ["2", "all"] for p in pools for ro in ("linear", "knn"))
    assert all(saved["methods"][v]["masking"] == m for v, (m, _) in STUDY_VARIANTS.items())
    text = study_report(results)
    assert "strongest cheap baseline" in text and "random/norm" in text
    said = study_conclusions(results)
    assert any(s.startswith("With 2 labels per class") for s in said) and len(said) == 12
    again = run_study(TINY, out, log=None)  # everything is in the file: nothing runs again
    assert again["methods"] == saved["methods"]
    more = run_study(TINY, out, seeds=(0, 1, 2), log=None)
    assert [r["seed"] for r in more["methods"]["forecast/raw"]["runs"]] == [0, 1, 2]
    assert more["methods"]["forecast/raw"]["runs"][:2] == saved["methods"]["forecast/raw"]["runs"]


def test_run_study_refuses_other_settings_and_other_files(tmp_path):
    out = tmp_path / "ts.json"
    out.write_text(json.dumps({"schema": "maelearn.timeseries_study/1", "methods": {},
                               "settings": {**STUDY_SCALES["quick"].__dict__, "label_counts": [2], "seeds": [0]}}))
    with pytest.raises(ValueError, match="other settings"):
        run_study(TINY, out, log=None)
    out.write_text(json.dumps({"rows": []}))
    with pytest.raises(ValueError, match="not lesson 12's study"):
        run_study(TINY, out, log=None)
    assert json.loads(out.read_text()) == {"rows": []}  # never overwritten


def test_command_line_refuses_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["timeseries", "--scale", "huge"])  # argv starts with the command, as the router passes it
    assert exit_.value.code == 2
    assert main(["timeseries", "--scale", "quick", "--out", str(tmp_path)]) == 2  # a folder: refused before any work
    assert main(["timeseries", "--scale", "quick", "--seeds", "1", "1"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'huge'" in err and "timeseries_quick.json" in err and "more than once" in err


def test_the_experiments_router_runs_the_study(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MAELEARN_DEVICE", "MAELEARN_DEBUG")}
    proc = subprocess.run([sys.executable, "-m", "maelearn.experiments", "timeseries", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env={**env, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith(f"python -m maelearn.experiments timeseries: error: --out {tmp_path} is a folder")
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""


# -- the shipped results ---------------------------------------------------------------------------


def test_shipped_study_has_five_seeds_of_everything_at_the_cpu_scale():
    study = load_study(prefer=("cpu",))
    assert study is not None, ("data/timeseries_cpu.json is missing: "
                               "python -m maelearn.experiments timeseries --scale cpu --threads 1")
    assert study["path"] == "data/timeseries_cpu.json"
    expected = json.loads(json.dumps(STUDY_SCALES["cpu"].__dict__))
    assert study["settings"] == expected  # the shipped file is what the command makes
    assert study["command"].startswith("python -m maelearn.experiments timeseries --scale cpu")
    assert label_keys(study) == ["2", "5", "10", "20", "50", "all"] and len(LABEL_COUNTS) == 6
    for name, method in study["methods"].items():
        assert [r["seed"] for r in method["runs"]] == [0, 1, 2, 3, 4], name
    assert len(study_conclusions(study)) == 12
    assert "95 % interval" in study_report(study)


def test_the_shipped_study_resumes_with_nothing_left_to_run(tmp_path):
    """The command accepts its own shipped file (same settings and series, whatever the
    recorded command) and, every run being there, trains nothing and keeps every number."""
    out = tmp_path / "timeseries_cpu.json"
    shutil.copy(ROOT / load_study(prefer=("cpu",))["path"], out)
    before = json.loads(out.read_text())
    after = run_study("cpu", out, log=None)
    assert after["methods"] == before["methods"] == json.loads(out.read_text())["methods"]


# -- the model module is the lesson's, the study is not in it (issue 25) --------------------------


def test_the_model_module_holds_no_study_and_imports_no_experiment():
    tree = ast.parse(open(maelearn.timeseries.__file__, encoding="utf-8").read())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m and m.startswith("maelearn.experiments") for m in imported), imported
    for name in ("run_study", "study_report", "probe_curve", "label_subset", "main", "STUDY_SCALES"):
        assert not hasattr(maelearn.timeseries, name), name
