"""The speed benchmark runs on a CPU (tiny preset), reports consistent numbers, and its
peers (timm, Hugging Face; optional packages) build the same-size model. Peer tests skip
cleanly when timm / transformers are not installed."""

import json
import math

import pytest
import torch

from maelearn.bench.step import main, run_bench
from maelearn.bench.flops import mae_flops
from maelearn.mae import MAE, mae_config
from maelearn.bench.peers import available_peers, build_peer, peer_available

FAST = ["--preset", "tiny", "--batch-size", "4", "--steps", "2", "--warmup", "1", "--device", "cpu"]


def test_cli_on_cpu_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    report = main([*FAST, "--peers", "none", "--json", "--out", str(out)])
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads(out.read_text())
    assert printed == saved == json.loads(json.dumps(report))
    assert saved["command"].startswith("python -m maelearn.bench --preset tiny")
    assert saved["hardware"]["device"] == "cpu" and saved["hardware"]["peak_bf16_tflops"] is None
    assert saved["versions"]["torch"] == torch.__version__
    [r] = saved["results"]
    assert r["impl"] == "ours" and r["compiled"] is False
    assert r["images_per_s"] > 0 and r["mfu"] is None and r["peak_memory_gib"] is None
    # TFLOP/s is the analytic count times the measured rate, and img/s the batch over the step.
    flops = mae_flops(mae_config("tiny")).train_step
    assert r["tflops"] == pytest.approx(r["images_per_s"] * flops / 1e12, rel=1e-9)
    assert r["images_per_s"] == pytest.approx(4 / (r["step_ms"] / 1e3), rel=1e-9)
    assert 0 < r["final_loss"] < 10 and r["trainable_params"] == sum(
        p.numel() for p in MAE(mae_config("tiny")).parameters() if p.requires_grad
    )


def test_table_output(capsys):
    main([*FAST, "--peers", "none", "--steps", "1", "--warmup", "0"])
    text = capsys.readouterr().out
    assert "img/s" in text and "ours" in text and "eager" in text and "MFU" in text


def test_compile_path_is_reported():
    # backend="eager" traces with torch.compile (dynamo) but skips CPU code generation, so
    # the compiled path and the eager/compiled ratio are exercised quickly.
    report = run_bench("tiny", batch_size=2, compile="both", peers=[], steps=1, warmup=1, compile_backend="eager")
    modes = [(r["impl"], r["compiled"]) for r in report["results"]]
    assert modes == [("ours", False), ("ours", True)]
    assert report["ratios"]["ours_compiled/ours_eager"]["speed"] > 0


def test_peak_override_gives_mfu():
    report = run_bench("tiny", batch_size=2, peers=[], steps=1, warmup=0, peak=1.0)
    r = report["results"][0]
    assert r["mfu"] == pytest.approx(r["tflops"] / 1.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(preset="giant"), "preset"),
        (dict(precision="fp16"), "precision"),
        (dict(compile="maybe"), "compile"),
        (dict(batch_size=0), "batch_size"),
        (dict(steps=0), "steps"),
        (dict(warmup=-1), "warmup"),
        (dict(peers=["jax"]), "peers"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_bench(**kwargs)


def test_bench_uses_the_training_recipe_and_timer(monkeypatch):
    """The bench builds its optimizer with maelearn.train.make_optimizer and times with
    maelearn.bench.timing.time_steps: one recipe, one timer."""
    import maelearn.bench.step as step
    import maelearn.train as train

    assert step.make_optimizer is train.make_optimizer
    calls = []
    real = step.time_steps
    monkeypatch.setattr(step, "time_steps", lambda *a, **k: calls.append(a) or real(*a, **k))
    cfg = mae_config("tiny")
    module = build_peer("ours", cfg)
    imgs = torch.rand(2, cfg.in_chans, cfg.img_size, cfg.img_size)
    seconds, loss = step.time_training(module, lambda: module(imgs), steps=2, warmup=1)
    assert len(calls) == 1 and seconds > 0 and math.isfinite(loss)
    # the ablations time their steps with the same function (one training-step timer)
    import maelearn.experiments.ablations as ablations

    assert ablations.time_training is step.time_training


def test_time_steps_median_on_cpu_and_errors():
    from maelearn.bench.timing import hardware, time_steps

    calls = []
    out = time_steps(lambda: calls.append(1) or len(calls), steps=5, warmup=2)
    assert len(calls) == 7 and out.last == 7 and len(out.times) == 5
    assert out.seconds == sorted(out.times)[2]
    with pytest.raises(ValueError, match="steps"):
        time_steps(lambda: None, steps=0)
    with pytest.raises(ValueError, match="warmup"):
        time_steps(lambda: None, steps=1, warmup=-1)
    hw = hardware("cpu")
    assert hw["device"] == "cpu" and hw["versions"]["torch"] == torch.__version__ and hw["cpu_count"] >= 1
    assert "T" in hw["date"] and (hw["load_average"] is None or len(hw["load_average"]) == 3)


# -- peers (optional packages) ---------------------------------------------------------


def _timm_state_from_ours(model: MAE) -> dict:
    """Our MAE's weights under the timm reference's names."""
    out = {}
    for k, v in model.state_dict().items():
        k = k.replace("encoder.patch_embed.", "patch_embed.").replace("encoder.cls_token", "cls_token")
        k = k.replace("encoder.pos_embed", "pos_embed").replace("encoder.blocks.", "blocks.")
        k = k.replace("encoder.norm.", "norm.").replace("mlp.0.", "mlp.fc1.").replace("mlp.2.", "mlp.fc2.")
        out[k] = v
    return out


def test_timm_reference_is_the_same_function():
    pytest.importorskip("timm")
    torch.manual_seed(0)
    cfg = mae_config("tiny")
    ours = MAE(cfg)
    ref = build_peer("timm", cfg)
    ref.load_state_dict(_timm_state_from_ours(ours))  # strict: every name matches
    imgs, noise = torch.rand(4, 3, 32, 32), torch.rand(4, 64)
    # Same math, different order (conv on all patches vs matmul on visible ones): float32
    # rounding only, ~1e-7 relative; see tests/test_fast_path.py.
    torch.testing.assert_close(ref(imgs, noise), ours(imgs, 0.75, noise=noise).loss, rtol=1e-6, atol=0)


@pytest.mark.parametrize("peer", ["timm", "hf"])
def test_peers_have_our_size(peer):
    pytest.importorskip({"timm": "timm", "hf": "transformers"}[peer])
    for preset in ("tiny", "base"):
        cfg = mae_config(preset)
        ours = sum(p.numel() for p in MAE(cfg).parameters() if p.requires_grad)
        theirs = sum(p.numel() for p in build_peer(peer, cfg).parameters() if p.requires_grad)
        assert theirs == ours, f"{peer} {preset}: {theirs} trainable parameters, ours {ours}"


def test_hf_peer_uses_sdpa_and_our_noise():
    pytest.importorskip("transformers")
    model = build_peer("hf", mae_config("tiny"))
    assert model.model.config._attn_implementation == "sdpa"
    imgs, noise = torch.rand(2, 3, 32, 32), torch.rand(2, 64)
    assert torch.equal(model(imgs, noise), model(imgs, noise))  # fixed noise: deterministic


def test_bench_with_installed_peers_reports_ratios():
    peers = available_peers()
    if not peers:
        pytest.skip("neither timm nor transformers is installed")
    report = run_bench("tiny", batch_size=2, peers=peers, steps=1, warmup=1)
    assert [r["impl"] for r in report["results"]] == ["ours", *peers]
    for p in peers:
        assert report["ratios"][f"ours/{p}_eager"]["speed"] > 0


def test_missing_peer_is_a_clear_error(monkeypatch):
    import maelearn.bench.peers as ri

    monkeypatch.setattr(ri.importlib.util, "find_spec", lambda name: None)
    assert not peer_available("timm") and available_peers() == []
    with pytest.raises(ImportError, match="pip install timm"):
        build_peer("timm", mae_config("tiny"))
    with pytest.raises(ImportError, match="not installed"):
        run_bench("tiny", peers=["hf"])
    report = run_bench("tiny", batch_size=2, steps=1, warmup=0)  # auto: ours only
    assert [r["impl"] for r in report["results"]] == ["ours"]


# -- the input pipeline (python -m maelearn.bench --loader) --------------------------------


def test_loader_bench_cli_on_a_tiny_folder(tmp_path, capsys):
    out = tmp_path / "loader.json"
    report = main(["--loader", "--make", "24", "--image-size", "40", "--size", "16", "--batch-size", "4",
                   "--batches", "2", "--rounds", "1", "--workers", "0,1", "--rss", "40",
                   "--work-dir", str(tmp_path / "work"), "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["command"].startswith("python -m maelearn.bench --loader")
    assert {(r["decoder"], r["workers"]) for r in saved["results"]} == {(d, w) for d in ("pil", "torchvision") for w in (0, 1)}
    assert all(r["images_per_s"] > 0 and r["images"] == 8 for r in saved["results"])
    assert set(saved["fastest_decoder_by_workers"]) == {"0", "1"}
    assert saved["hardware"]["versions"]["torch"] == torch.__version__ and len(saved["hardware"]["load_average"]) == 3
    assert set(saved["rss"]) == {"4", "40", "settings"} and saved["rss"]["40"]["images"] == 40
    assert report["results"] == saved["results"]
    assert "fastest decoder" in capsys.readouterr().out


def test_loader_bench_rejects_bad_arguments(tmp_path):
    from maelearn.bench.loader import run_loader_bench

    with pytest.raises(ValueError, match="decoders"):
        run_loader_bench(make=4, decoders=("opencv",), work_dir=tmp_path)
    with pytest.raises(ValueError, match="timed batches"):
        run_loader_bench(make=4, image_size=16, size=8, batch_size=4, batches=2, workers=(0,), rounds=1, work_dir=tmp_path)


def test_default_decoder_is_the_one_the_shipped_benchmark_found_faster():
    from pathlib import Path

    from maelearn.data.folders import DEFAULT_DECODER

    saved = json.loads((Path(__file__).parents[1] / "data" / "bench_loader_cpu.json").read_text())
    assert set(saved["fastest_decoder_by_workers"].values()) == {DEFAULT_DECODER}
    stages = saved["stages_ms_per_image"]
    assert stages[f"decode_{DEFAULT_DECODER}_ms"] == min(stages["decode_pil_ms"], stages["decode_torchvision_ms"])
    assert saved["hardware"]["load_average"] is not None and saved["command"].startswith("python -m maelearn.bench --loader")
