"""The ablation runner: the variants and their groups, the verdict rule applied to a results
file, resumable and atomic writing, the output-path checks, the command line, and the
shipped ``data/ablations_cpu.json`` (schema, seeds, verdicts computed from it)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from maelearn.config import ROOT
from maelearn.experiments import ablations as ex
from maelearn.stats import CONTRADICTED, INCONCLUSIVE, REPRODUCED, VERDICTS

RUN_KEYS = ("seed", "linear_probe", "fine_tune", "knn", "pretrain_s", "step_ms")


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


def test_bad_scale():
    with pytest.raises(ValueError, match="scale must be one of"):
        ex.run_ablations("huge")
    with pytest.raises(ValueError, match="scale must be one of"):
        ex.variants(3)


def test_variants_cover_every_group_and_baseline():
    vs = ex.variants("cpu")
    names = [v.name for v in vs]
    assert len(names) == len(set(names))
    assert {v.group for v in vs} == set(ex.GROUPS)
    assert names[:5] == ["raw_pixels", "random_init", "supervised", "mae", "contrastive"]  # priority order
    base = next(v for v in vs if v.name == "mae").setting
    for v in vs:
        if v.kind == "mae" and v.name != "mae":  # each variant changes exactly one thing
            assert sum(v.setting[k] != base[k] for k in base) == 1, v
    # every comparison names variants that exist
    for what, a, b, *_ in ex.COMPARISONS:
        assert a in names and b in names, what


def _fake_results(values: dict[str, dict[str, list[float]]]) -> dict:
    res = ex.empty_results("cpu", "test", "cpu")
    for name, metrics in values.items():
        n = len(next(iter(metrics.values())))
        for s in range(n):
            ex.add_run(res, name, {"seed": s, **{m: v[s] for m, v in metrics.items()}})
    return res


def test_verdict_table_applies_the_stated_rule():
    res = _fake_results({
        "mae": {"linear_probe": [0.50, 0.52, 0.51], "fine_tune": [0.70, 0.71, 0.69], "step_ms": [10.0, 11.0, 10.5]},
        "random_init": {"linear_probe": [0.30, 0.31, 0.29]},
        "mask_ratio_0.1": {"linear_probe": [0.60, 0.62, 0.61], "fine_tune": [0.70, 0.60, 0.80]},
        "encoder_mask_tokens": {"step_ms": [30.0, 33.0, 31.0]},
        "mask_ratio_0.9": {"linear_probe": [0.51]},
    })
    rows = {r["what"]: r for r in ex.verdict_table(res)}
    assert rows["MAE vs random init (linear)"]["verdict"] == REPRODUCED
    assert rows["MAE vs random init (linear)"]["interval"]["mean"] == pytest.approx(21.0)
    assert rows["MAE: fine-tune vs linear probe"]["verdict"] == REPRODUCED
    assert rows["Fig 5: ratio 0.75 vs 0.1 (linear)"]["verdict"] == CONTRADICTED
    assert rows["Fig 5: ratio 0.75 vs 0.1 (fine-tune)"]["verdict"] == INCONCLUSIVE
    assert rows["1c: mask token step time / MAE step time"]["verdict"] == REPRODUCED
    assert rows["1c: mask token step time / MAE step time"]["interval"]["mean"] == pytest.approx(3.0, rel=0.05)
    assert rows["Fig 5: ratio 0.75 vs 0.9 (linear)"]["verdict"] == ex.PENDING  # one seed only
    assert rows["MAE: fine-tune vs linear probe"]["kind"] == "sanity" and rows["MAE vs random init (linear)"]["kind"] == "paper"
    assert rows["1a: decoder depth 4 vs 1 (linear)"]["verdict"] == ex.PENDING
    assert ex.tally(list(rows.values()))[REPRODUCED] == 2  # the sanity row is not counted


def test_the_rule_has_four_outcomes():
    from maelearn.stats import SMALLER, interval, verdict

    assert verdict(interval([2.0, 3.0, 2.5]), +1, 10.0) == REPRODUCED  # excludes 0 in the paper's direction
    assert verdict(interval([-2.0, -3.0, -2.5]), +1, 10.0) == CONTRADICTED
    assert verdict(interval([-1.0, 1.0, 0.5]), +1, 10.0) == SMALLER  # contains 0, rules out +10
    assert verdict(interval([-1.0, 1.0, 0.5]), -1, 10.0) == SMALLER  # the paper's effect is -10 here
    assert verdict(interval([-5.0, 9.0, 2.0]), +1, 10.0) == INCONCLUSIVE  # contains 0 and +10
    assert verdict(interval([-1.0, 1.0, 0.5]), +1, None) == INCONCLUSIVE  # no paper number: three outcomes
    with pytest.raises(ValueError, match="paper_effect"):
        verdict(interval([1.0, 2.0]), +1, -3.0)


def _fake_run_one(calls):
    def run_one(scale, variant, seed, device="cpu", out=None):
        calls.append((variant.name, seed))
        return {"seed": seed, "linear_probe": 0.5, "fine_tune": 0.6, "knn": 0.4, "pretrain_s": 1.0, "step_ms": 2.0, "seconds": 0.0}
    return run_one


def test_sweep_writes_every_run_at_once_and_resumes(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(ex, "run_one", _fake_run_one(calls))
    out = tmp_path / "r.json"
    ex.run_ablations("quick", out=out, log=None, max_runs=3)
    first = json.loads(out.read_text())
    assert first["schema"] == ex.SCHEMA and len(calls) == 3
    assert [r["seed"] for r in first["baselines"]["raw_pixels"]["runs"]] == [0, 1]
    assert first["baselines"]["raw_pixels"]["status"] == "complete"
    # a rerun skips the finished (variant, seed) pairs and keeps their results
    ex.run_ablations("quick", out=out, log=None)
    done = json.loads(out.read_text())
    assert len(calls) == len(set(calls)) == sum(len(ex.get_scale("quick")[1].seeds) for _ in ex.variants("quick"))
    assert done["baselines"]["raw_pixels"]["runs"] == first["baselines"]["raw_pixels"]["runs"]
    assert all(v["status"] == "complete" for v in done["variants"])
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file
    n = len(calls)
    ex.run_ablations("quick", out=out, log=None)
    assert len(calls) == n  # nothing left to do


def test_other_settings_are_refused_not_mixed(tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "run_one", _fake_run_one([]))
    out = tmp_path / "r.json"
    ex.run_ablations("quick", out=out, log=None, max_runs=1)
    before = out.read_text()
    with pytest.raises(ValueError, match="other settings"):
        ex.run_ablations("cpu", out=out, log=None)
    assert out.read_text() == before


def test_output_path_is_checked_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        ex.check_output_path(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ex.check_output_path(tmp_path / "missing" / "r.json")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"scale": "cpu", "experiments": {}}))
    with pytest.raises(ValueError, match="another format"):
        ex.check_output_path(old)
    assert json.loads(old.read_text()) == {"scale": "cpu", "experiments": {}}


def test_cli_bad_out_is_one_line_and_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "maelearn.experiments", "ablations", "--scale", "quick", "--out", str(tmp_path)],
                          check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "is a folder" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_load_results_skips_other_formats(tmp_path):
    assert ex.load_results(folder=tmp_path) is None
    (tmp_path / "ablations_cpu.json").write_text(json.dumps({"scale": "cpu"}))
    assert ex.load_results(folder=tmp_path) is None
    res = ex.empty_results("quick", "c", "cpu")
    ex.save_results(res, tmp_path / "ablations_cpu.json")
    assert ex.load_results(folder=tmp_path)["scale"] == "quick"


# -- the shipped results ---------------------------------------------------------------------

SHIPPED = ROOT / "data" / "ablations_cpu.json"


@pytest.fixture(scope="module")
def shipped() -> dict:
    if not SHIPPED.exists():
        pytest.fail("data/ablations_cpu.json is missing: python -m maelearn.experiments ablations --scale cpu")
    return json.loads(SHIPPED.read_text())


def test_shipped_results_follow_the_schema(shipped):
    for key in ("schema", "command", "hardware", "torch", "date", "settings", "protocol", "variants", "baselines"):
        assert key in shipped, key
    assert shipped["schema"] == ex.SCHEMA
    assert shipped["command"].startswith("python -m maelearn.experiments ablations")
    assert set(shipped["baselines"]) == set(ex.BASELINE_NAMES)
    seeds = set(shipped["protocol"]["seeds"])
    assert len(seeds) >= 3
    entries = [dict(b, name=n) for n, b in shipped["baselines"].items()] + shipped["variants"]
    for entry in entries:
        assert isinstance(entry["runs"], list)
        for run in entry["runs"]:
            if entry.get("kind") == "partial":
                assert "partial_fine_tune" in run and "seed" in run
            else:
                assert all(k in run for k in RUN_KEYS), (entry["name"], run)
            for k in ex.METRICS:
                assert run.get(k) is None or 0.0 <= run[k] <= 1.0
        done = {r["seed"] for r in entry["runs"]}
        assert entry["status"] == ("complete" if seeds <= done else "partial" if done else "pending")
        assert entry["status"] == "complete", f"{entry['name']}: {entry['status']} (the shipped sweep is finished)"
        assert len(done) >= 3
    for v in shipped["variants"]:
        assert v["group"] in ex.GROUPS and isinstance(v["setting"], dict)
    assert any(v["group"] == "baseline" for v in shipped["variants"])


def test_shipped_verdicts_are_computed_from_the_file(shipped):
    assert shipped["verdicts"] == json.loads(json.dumps(ex.verdict_table(shipped)))
    for row in shipped["verdicts"]:
        assert row["verdict"] in (*VERDICTS, ex.PENDING)


def test_shipped_sweep_shows_what_lesson_09_claims(shipped):
    """The claims the lesson and data/README make of the shipped 20-epoch sweep, recomputed:
    MAE pretraining beats the random-init encoder with separated 95 % intervals; its frozen
    features lose to the strongest trivial baseline (raw-pixel kNN); the sanity checks are
    judged but not counted; norm-pix vs pixel on the probe is contradicted."""
    mae, rnd = ex.summary(shipped, "mae", "linear_probe"), ex.summary(shipped, "random_init", "linear_probe")
    assert mae.lo > rnd.hi, (mae, rnd)
    raw_knn = ex.summary(shipped, "raw_pixels", "knn")
    assert max(mae.hi, ex.summary(shipped, "mae", "knn").hi) < raw_knn.lo
    rows = {r["what"]: r for r in ex.verdict_table(shipped)}
    assert {w for w, r in rows.items() if r["kind"] == "sanity"} == set(ex.SANITY)
    assert rows["1d: norm-pix vs pixel (linear)"]["verdict"] == CONTRADICTED
    counts = ex.tally(ex.verdict_table(shipped))
    assert sum(counts.values()) == len(ex.COMPARISONS) - len(ex.SANITY)


def test_data_readme_verdict_table_is_the_computed_one(shipped):
    """Every verdict row printed in data/README.md is what verdict_table computes from the
    shipped file, and its tally sentence is the computed tally."""
    text = (ROOT / "data" / "README.md").read_text()
    rows = {r["what"]: r for r in ex.verdict_table(shipped)}
    printed = re.findall(r"^\| ([^|]+?) \| [^|]+ \| ([^|]+?) \| (reproduced|contradicted|smaller than the paper|inconclusive) \|$",
                         text, re.M)
    assert len(printed) == len(rows)
    for what, ours, verdict in printed:
        assert (rows[what]["ours"], rows[what]["verdict"]) == (ours, verdict), what
    c = ex.tally(ex.verdict_table(shipped))
    assert (f"{c['reproduced']} reproduced, {c['contradicted']} contradicted, {c['smaller than the paper']} smaller "
            f"than the paper, {c['inconclusive']} inconclusive.") in text


def test_lesson_09_prints_the_verdict_table_of_the_shipped_file():
    src = (ROOT / "solutions" / "09_mae_ablations.py").read_text()
    assert "load_results(" in src and "verdict_table(shipped)" in src


def test_a_tiny_real_sweep_follows_the_scale_protocol(tmp_path):
    """A real (tiny) sweep: the probe's pooling, the [CLS] probe kept for the record,
    fine-tuning only in ``ft_groups`` (and for the contrastive encoder), Figure 9 on the
    same pooled features, and an encoder cache that a changed recipe never reuses."""
    sc = ex.Scale(n_train=40, n_test=30, n_unlabelled=0, epochs=1, batch_size=20, probe_steps=5, ft_epochs=1,
                  ft_batch_size=20, model=dict(dim=16, depth=2, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2),
                  partial_ks=(1,), time_steps=1, seeds=(0,), decoder_depths=(2,), groups=("baseline", "a", "fig9"),
                  ft_groups=("baseline",), sup_epochs=1)
    res = ex.run_ablations(sc, out=None, log=None)
    mae = ex.runs_of(res, "mae")[0]
    assert 0 <= mae["linear_probe"] <= 1 and 0 <= mae["linear_probe_cls"] <= 1 and mae["fine_tune"] is not None
    assert ex.runs_of(res, "decoder_depth_2")[0]["fine_tune"] is None  # group "a" is judged by the linear probe only
    assert ex.runs_of(res, "contrastive")[0]["fine_tune"] is not None
    assert 0 <= ex.runs_of(res, "partial_mae_1")[0]["partial_fine_tune"] <= 1
    assert "mean of the patch tokens" in res["protocol"]["linear_probe"]
    other = ex.Scale(**{**ex.asdict(sc), "epochs": 2})
    assert ex._cache_dir(tmp_path / "r.json", sc) != ex._cache_dir(tmp_path / "r.json", other)


# -- CIFAR-10 (--dataset cifar10 --data-root DIR) ---------------------------------------------


def fake_cifar10(root, n_train: int = 300, n_test: int = 100, monkeypatch=None):
    """A CIFAR-10 folder in torchvision's layout (``root/cifar-10-batches-py``: five
    training batches, a test batch, ``batches.meta``) of ``n_train`` / ``n_test`` random
    uint8 images whose class sets the mean colour (so a probe has something to find). With
    ``monkeypatch``, torchvision's md5 checks of the real files are switched off for it."""
    import pickle

    import numpy as np

    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)

    def batch(n):
        labels = rng.integers(0, 10, n)
        data = (rng.integers(0, 96, (n, 3072)) + 16 * labels[:, None]).astype(np.uint8)
        return {"data": data, "labels": labels.tolist()}

    for i, n in enumerate(np.array_split(np.arange(n_train), 5), 1):
        (folder / f"data_batch_{i}").write_bytes(pickle.dumps(batch(len(n))))
    (folder / "test_batch").write_bytes(pickle.dumps(batch(n_test)))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"class{i}" for i in range(10)]}))
    if monkeypatch is not None:
        from torchvision.datasets import CIFAR10

        monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", None] for i in range(1, 6)])
        monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", None]])
        monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": None})
    return root


def test_the_running_cpu_sweep_still_resumes():
    """Adding the dataset option changed nothing that feeds ``settings``: the shipped file
    (made before it, on the scenes) resumes as it is."""
    if not SHIPPED.exists():
        pytest.skip("no shipped data/ablations_cpu.json")
    old = json.loads(SHIPPED.read_text())
    assert old["settings"] == ex.empty_results("cpu", "c", "cpu")["settings"]
    resumed = ex.load_or_start(SHIPPED, "cpu", "c", "cpu")
    assert resumed["data"] == {"dataset": "scenes", "data_root": None}
    assert ex.runs_of(resumed, "mae") == ex.runs_of(old, "mae")


def test_cifar10_data_is_a_fixed_permutation_in_unit_range(tmp_path, monkeypatch):
    import torch

    root = fake_cifar10(tmp_path / "c10", n_train=120, n_test=40, monkeypatch=monkeypatch)
    sc = ex.Scale(n_train=50, n_test=30, n_unlabelled=30, epochs=1)
    pre, train, test = ex.ablation_data(sc, 0, "cifar10", root)
    assert pre.shape == (80, 3, 32, 32) and pre.dtype == torch.float32 and 0 <= pre.min() and pre.max() <= 1
    assert train.images.shape == (50, 3, 32, 32) and torch.equal(train.images, pre[:50])  # labelled ones pretrain too
    assert test.images.shape == (30, 3, 32, 32) and len(train.classes) == 10
    xtr, ytr, xte, yte, _ = ex.cifar10_arrays(root)
    order = torch.randperm(120, generator=torch.Generator().manual_seed(0))
    assert torch.equal(train.labels, ytr[order[:50]]) and torch.equal(test.labels, yte[:30])
    assert torch.equal(test.images, xte[:30].float() / 255)
    big = ex.Scale(n_train=500, n_test=30, n_unlabelled=1000, epochs=1)  # more than there are: all of them
    pre, train, _ = ex.ablation_data(big, 0, "cifar10", root)
    assert len(pre) == len(train.images) == 120
    with pytest.raises(ValueError, match="needs data_root"):
        ex.ablation_data(sc, 0, "cifar10")
    with pytest.raises(ValueError, match="dataset must be one of"):
        ex.ablation_data(sc, 0, "imagenet", root)


def test_a_tiny_real_sweep_on_cifar10(tmp_path, monkeypatch):
    root = fake_cifar10(tmp_path / "c10", n_train=300, n_test=100, monkeypatch=monkeypatch)
    sc = ex.Scale(n_train=200, n_test=100, n_unlabelled=100, epochs=1, batch_size=50, probe_steps=5, ft_epochs=1,
                  ft_batch_size=50, model=dict(dim=16, depth=2, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2),
                  time_steps=1, seeds=(0,), groups=("baseline",), ft_groups=(), sup_epochs=1)
    monkeypatch.setattr(ex, "ROOT", tmp_path)  # the encoder cache (ROOT/runs/ablations_cache) stays in tmp_path
    out = tmp_path / "r.json"
    res = ex.run_ablations(sc, out=out, log=None, dataset="cifar10", data_root=root, only=("raw_pixels", "mae"))
    assert list((tmp_path / "runs" / "ablations_cache").glob("r-*-cifar10/mae_seed0.pt"))
    saved = json.loads(out.read_text())
    assert saved["data"] == {"dataset": "cifar10", "data_root": str(root.resolve())}
    assert saved["dataset"].startswith("CIFAR-10 read offline from") and "--dataset cifar10" in saved["command"]
    for name in ("raw_pixels", "mae"):
        run = ex.runs_of(saved, name)[0]
        assert 0 <= run["linear_probe"] <= 1 and 0 <= run["knn"] <= 1
    assert ex.runs_of(res, "mae")[0]["step_ms"] > 0
    assert not (tmp_path / "pretrained").exists()  # the shipped checkpoint is the scenes' only
    # what a --jobs worker process gets: the dataset travels in its arguments
    import torch

    threads = torch.get_num_threads()
    raw = next(v for v in ex.variants(sc) if v.name == "raw_pixels")
    name, run, err = ex._worker((sc, raw.as_dict(), 0, "cpu", None, "cifar10", saved["data"]["data_root"]))
    torch.set_num_threads(threads)
    assert err is None and run["linear_probe"] == ex.runs_of(saved, "raw_pixels")[0]["linear_probe"]


def test_results_of_another_dataset_are_refused_not_mixed(tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "run_one", _fake_run_one([]))
    out = tmp_path / "r.json"
    ex.run_ablations("quick", out=out, log=None, max_runs=1)
    before = out.read_text()
    assert json.loads(before)["data"] == {"dataset": "scenes", "data_root": None}
    with pytest.raises(ValueError, match="dataset: file scenes, command line cifar10"):
        ex.run_ablations("quick", out=out, log=None, dataset="cifar10", data_root=tmp_path)
    with pytest.raises(ValueError, match="dataset: file scenes, command line cifar10"):
        ex.load_or_start(out, "quick", "c", "cpu", "cifar10", tmp_path)
    assert out.read_text() == before
    other = ex.empty_results("quick", "c", "cpu", "cifar10", tmp_path)
    ex.save_results(other, out)
    with pytest.raises(ValueError, match="dataset: file cifar10, command line scenes"):
        ex.load_or_start(out, "quick", "c", "cpu")


def test_cifar10_on_the_command_line(tmp_path, capsys):
    # missing files: one line, exit 2, nothing written, nothing downloaded
    out = tmp_path / "r.json"
    code = ex.main(["ablations", "--scale", "quick", "--dataset", "cifar10", "--data-root", str(tmp_path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "CIFAR-10 is not in data_root" in err and "never download" in err
    assert not out.exists() and not (tmp_path / "cifar-10-batches-py").exists()
    for argv, message in ((["--dataset", "cifar10"], "--dataset cifar10 needs --data-root DIR"),
                          (["--data-root", str(tmp_path)], "goes with --dataset cifar10")):
        assert ex.main(["--scale", "quick", "--out", str(out), *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1


def test_cifar10_results_have_their_own_default_path(tmp_path):
    assert ex.default_output("cpu") == ROOT / "data" / "ablations_cpu.json"
    assert ex.default_output("full", "cifar10") == ROOT / "data" / "ablations_full_cifar10.json"
    # load_results keeps to the scenes unless asked, and never takes a file of the other data
    ex.save_results(ex.empty_results("quick", "c", "cpu", "cifar10", tmp_path), tmp_path / "ablations_full_cifar10.json")
    assert ex.load_results(folder=tmp_path) is None
    assert ex.load_results(folder=tmp_path, dataset="cifar10")["data"]["dataset"] == "cifar10"
    ex.save_results(ex.empty_results("quick", "c", "cpu", "cifar10", tmp_path), tmp_path / "ablations_cpu.json")
    assert ex.load_results(folder=tmp_path) is None  # a CIFAR-10 file under the scenes' name
    ex.save_results(ex.empty_results("quick", "c", "cpu"), tmp_path / "ablations_cpu.json")
    assert ex.load_results(folder=tmp_path)["data"]["dataset"] == "scenes"
