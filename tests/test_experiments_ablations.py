"""The ablation runner: helpers, input validation, result loading (the sweeps themselves
are exercised by lesson 09 in quick mode)."""

from __future__ import annotations

import json

import pytest

from maelearn.experiments import ablations as ex


def test_encoder_tokens():
    assert ex.encoder_tokens(64, 0.75) == 17
    assert ex.encoder_tokens(64, 0.75, True) == 65
    assert ex.encoder_tokens(10, 0.55) == 1 + 4  # int(4.5)
    with pytest.raises(ValueError):
        ex.encoder_tokens(16, 1.0)


def test_speedup_uses_medians():
    assert ex.speedup([0.3, 0.3, 9.0], [0.1, 0.1, 0.1]) == pytest.approx(3.0)
    with pytest.raises(ValueError):
        ex.speedup([], [0.1])
    with pytest.raises(ValueError):
        ex.speedup([0.1], [0.0])


def test_bad_scale_and_sweeps():
    with pytest.raises(ValueError, match="scale must be one of"):
        ex.run_ablations("huge")
    with pytest.raises(TypeError):
        ex.run_ablations(3)
    with pytest.raises(ValueError, match="sweeps must be among"):
        ex.run_ablations("quick", sweeps=("colour",))


def test_load_results_prefers_full(tmp_path):
    assert ex.load_results(folder=tmp_path) is None
    (tmp_path / "ablations_cpu.json").write_text(json.dumps({"scale": "cpu"}))
    assert ex.load_results(folder=tmp_path)["scale"] == "cpu"
    (tmp_path / "ablations_full.json").write_text(json.dumps({"scale": "full"}))
    assert ex.load_results(folder=tmp_path)["scale"] == "full"


def test_save_results_round_trip(tmp_path):
    path = ex.save_results({"a": 1.5, "b": [1, 2]}, tmp_path / "x" / "r.json")
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [1, 2]}


def test_shipped_cpu_results_have_provenance():
    res = ex.load_results(prefer=("cpu",))
    if res is None:
        pytest.skip("data/ablations_cpu.json is not there yet")
    for key in ("command", "hardware", "torch", "date", "seconds", "experiments", "speed", "partial_finetune"):
        assert key in res
    assert res["command"].startswith("python -m maelearn.experiments ablations")
    ratios = [float(r["value"]) for r in res["experiments"]["mask_ratio"]]
    assert min(ratios) <= 0.25 and max(ratios) >= 0.9
