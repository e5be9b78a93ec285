"""Lesson 12's measured study: four time-series MAE pretraining variants, the cheap
baselines and a label curve, over seeds. One re-runnable, resumable command:

    python -m maelearn.experiments timeseries --scale cpu --threads 1   # data/timeseries_cpu.json

Each seed pretrains the four variants (random or forecasting mask x normalized or raw
target) without labels, then reads the frozen encoder by linear probe and k-NN at several
numbers of labels per class, beside the raw series, the spectrum and the untrained encoder.
The model lives in :mod:`maelearn.timeseries`; this module is the study's machinery and its
read-outs (:func:`study_report`, :func:`study_conclusions`), outside the lesson library.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from maelearn.bench.timing import hardware
from maelearn.config import ROOT
from maelearn.config import device as pick_device
from maelearn.data.timeseries import activity_series
from maelearn.evaluate import knn_features, linear_probe_features
from maelearn.experiments.media import read_shipped, resolve_scale, study_options
from maelearn.experiments.output import check_json_output, command, run_study_command, study_parser, utc_now
from maelearn.runs import write_text
from maelearn.stats import interval, paired_interval
from maelearn.timeseries import (
    POOLS,
    build_timeseries_mae,
    encoder_features,
    normalize_series,
    reconstruction_losses,
    spectrum_features,
)
from maelearn.train import TrainConfig, pretrain

PROG = "python -m maelearn.experiments timeseries"

STUDY_SCHEMA = "maelearn.timeseries_study/1"

#: Labelled series per class along the label curve; ``None``: every training label.
LABEL_COUNTS: tuple[int | None, ...] = (2, 5, 10, 20, 50, None)

#: The pretraining variants, name -> (masking, normalized target). The first is MAE's recipe.
STUDY_VARIANTS: dict[str, tuple[str, bool]] = {
    "random/norm": ("random", True),
    "random/raw": ("random", False),
    "forecast/norm": ("forecast", True),
    "forecast/raw": ("forecast", False),
}
#: Read-outs that learn nothing before the probe: every normalized sample, flattened, and
#: :func:`maelearn.timeseries.spectrum_features`.
CHEAP_BASELINES = ("raw series", "spectrum")
READOUTS = ("linear", "knn")
#: The protocol every headline number uses: a linear probe on mean-pooled tokens (the
#: pooling lesson 09 found better than [CLS]).
PROTOCOL = ("mean", "linear")


@dataclass(frozen=True)
class StudyScale:
    """How big the study is: series, pretraining schedule (every variant alike), model
    overrides of the ``tiny`` preset, the label counts, the probes, the seeds."""

    n_train: int
    n_test: int
    epochs: int
    batch_size: int = 64
    lr: float = 2e-3
    warmup_epochs: float = 4.0
    mask_ratio: float = 0.75
    model: dict = field(default_factory=dict)
    label_counts: tuple[int | None, ...] = LABEL_COUNTS
    probe_steps: int = 300
    knn_k: int = 20
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)


STUDY_SCALES: dict[str, StudyScale] = {
    "quick": StudyScale(n_train=160, n_test=80, epochs=2, batch_size=32, warmup_epochs=1, label_counts=(2, 10, None),
                        probe_steps=50, seeds=(0, 1)),
    "cpu": StudyScale(n_train=2048, n_test=512, epochs=40),
    "full": StudyScale(n_train=16384, n_test=2048, epochs=100, batch_size=256, lr=1.5e-3, warmup_epochs=10,
                       model=dict(dim=192, depth=6, heads=6, decoder_dim=96, decoder_depth=2), seeds=(0, 1, 2, 3, 4)),
}


def count_key(per_class: int | None) -> str:
    """The JSON key of a label count: ``"2"``, ..., ``"all"`` for ``None``."""
    return "all" if per_class is None else str(per_class)


def label_subset(labels: torch.Tensor, per_class: int | None, seed: int) -> torch.Tensor:
    """Indices of a class-balanced draw of ``per_class`` labelled series of every class
    (``None``: every index). Each class's indices are permuted with a generator seeded by
    ``seed`` and the first ``per_class`` kept, so for one seed a larger draw contains every
    smaller one: the label curve adds labels, it does not redraw them."""
    labels = torch.as_tensor(labels)
    if labels.ndim != 1 or labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"labels must be a 1-D integer tensor, got {tuple(labels.shape)} {labels.dtype}")
    if per_class is None:
        return torch.arange(len(labels))
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 1:
        raise ValueError(f"per_class must be an int >= 1 or None, got {per_class!r}")
    g = torch.Generator().manual_seed(seed)
    out = []
    for c in labels.unique().tolist():
        ids = (labels == c).nonzero().flatten()
        if len(ids) < per_class:
            raise ValueError(f"class {c} has {len(ids)} series, fewer than per_class={per_class}")
        out.append(ids[torch.randperm(len(ids), generator=g)[:per_class]])
    return torch.cat(out).sort().values


def probe_curve(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                counts: tuple[int | None, ...] = LABEL_COUNTS, seed: int = 0, steps: int = 300, k: int = 20) -> dict:
    """Test accuracy of a linear probe (:func:`maelearn.evaluate.linear_probe_features`) and
    of k-NN (:func:`maelearn.evaluate.knn_features`) on fixed features, trained on the
    class-balanced draw :func:`label_subset` ``(train_y, count, seed)`` for every count:
    ``{"linear": {"2": acc, ..., "all": acc}, "knn": {...}}``."""
    num_classes = int(max(train_y.max(), test_y.max())) + 1
    out: dict = {"linear": {}, "knn": {}}
    for count in counts:
        idx = label_subset(train_y, count, seed)
        key = count_key(count)
        out["linear"][key] = linear_probe_features(train_x[idx], train_y[idx], test_x, test_y, num_classes=num_classes,
                                                   steps=steps, seed=seed).test_acc
        out["knn"][key] = knn_features(train_x[idx], train_y[idx], test_x, test_y, k=k, num_classes=num_classes)
    return out


@dataclass
class StudySeries:
    """The study's fixed series: normalized model inputs, labels, class names and where
    they come from."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: list[str]
    description: str


def study_series(scale: StudyScale, data_seed: int = 0) -> StudySeries:
    """``activity_series(n_train + n_test, seed=data_seed)`` split into the scale's training
    and test series, every channel standardized with the training statistics."""
    n = scale.n_train + scale.n_test
    data = activity_series(n, seed=data_seed)
    train, test = data.split(scale.n_train, seed=data_seed)
    x_train, x_test = normalize_series(train.series, test.series)
    return StudySeries(x_train, train.labels, x_test, test.labels, list(data.classes),
                       f"maelearn.data.timeseries.activity_series({n}, seed={data_seed}): {len(data.classes)} activities, "
                       f"{data.series.shape[1]} channels x {data.series.shape[2]} steps at {data.sr:g} Hz; "
                       f"{scale.n_train} training / {scale.n_test} test series (split seed {data_seed}), every channel "
                       "standardized with the training statistics (normalize_series)")


def _study_settings(scale: StudyScale) -> dict:
    return json.loads(json.dumps(asdict(scale)))


def _empty_study(scale_name: str, scale: StudyScale, data: StudySeries, command: str, dev: torch.device) -> dict:
    methods: dict = {name: {"kind": "cheap", "runs": []} for name in CHEAP_BASELINES}
    methods["untrained"] = {"kind": "untrained", "runs": []}
    for name, (masking, norm) in STUDY_VARIANTS.items():
        methods[name] = {"kind": "mae", "masking": masking, "norm_target": norm, "runs": []}
    return {
        "schema": STUDY_SCHEMA, "command": command, "scale": scale_name, "settings": _study_settings(scale),
        "dataset": data.description, "classes": data.classes, "chance": 1 / len(data.classes),
        "pools": list(POOLS), "readouts": list(READOUTS), "protocol": list(PROTOCOL),
        "hardware": hardware(dev), "torch": torch.__version__,
        "date": utc_now(), "methods": methods,
    }


def _check_study_output(path, scale_name: str, scale: StudyScale, dataset: str) -> dict | None:
    """Refuse, before any work, an ``--out`` that cannot take this study (a folder, not
    JSON, another schema, other settings or series); return the runs already there."""
    old = check_json_output(path, f"timeseries_{scale_name}.json")
    if old is None:
        return None
    if not isinstance(old, dict) or old.get("schema") != STUDY_SCHEMA or not isinstance(old.get("methods"), dict):
        raise ValueError(f"--out {path} holds JSON that is not lesson 12's study ({STUDY_SCHEMA}); move it away or "
                         "pick another --out (nothing is overwritten)")
    a = {k: v for k, v in (old.get("settings") or {}).items() if k != "seeds"}
    b = {k: v for k, v in _study_settings(scale).items() if k != "seeds"}
    differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)) + (["dataset"] if old.get("dataset") != dataset else [])
    if differ:
        raise ValueError(f"--out {path} holds the study with other settings ({', '.join(differ)} differ); move it away "
                         "or pick another --out (nothing is overwritten)")
    return old


def run_study(scale: str | StudyScale = "cpu", out=None, seeds: tuple[int, ...] | None = None, device: str | None = None,
              command: str | None = None, log=print) -> dict:
    """Run (or finish) lesson 12's study and return the results; with ``out`` every finished
    (method, seed) is written there at once and runs already in the file are skipped."""
    name, sc = resolve_scale(scale, STUDY_SCALES, StudyScale, seeds)
    dev = pick_device(device)
    data = study_series(sc)
    path = Path(out) if out is not None else None
    old = _check_study_output(path, name, sc, data.description) if path is not None else None
    results = _empty_study(name, sc, data, command or f"{PROG} --scale {name}", dev)
    if old is not None:
        for key, method in old["methods"].items():
            if key in results["methods"]:
                results["methods"][key]["runs"] = method.get("runs", [])
        results["date"] = old.get("date", results["date"])

    def save() -> None:
        results["updated"] = utc_now()
        if path is not None:
            write_text(path, json.dumps(results, indent=1) + "\n")

    save()
    curve = lambda ftr, fte, seed: probe_curve(ftr, data.y_train, fte, data.y_test, sc.label_counts, seed,  # noqa: E731
                                              sc.probe_steps, sc.knn_k)
    for seed in sc.seeds:
        for key, method in results["methods"].items():
            if any(r["seed"] == seed for r in method["runs"]):
                continue
            t0 = time.perf_counter()
            row: dict = {"seed": seed}
            if key == "raw series":
                row["probes"] = {"-": curve(data.x_train.flatten(1), data.x_test.flatten(1), seed)}
            elif key == "spectrum":
                row["probes"] = {"-": curve(spectrum_features(data.x_train), spectrum_features(data.x_test), seed)}
            else:
                masking, norm = STUDY_VARIANTS.get(key, ("random", True))
                torch.manual_seed(seed)
                model = build_timeseries_mae("tiny", masking=masking, norm_pix_loss=norm, **sc.model).to(dev)
                if method["kind"] == "mae":
                    cfg = TrainConfig(epochs=sc.epochs, batch_size=sc.batch_size, lr=sc.lr,
                                      warmup_epochs=min(sc.warmup_epochs, sc.epochs), mask_ratio=sc.mask_ratio, seed=seed,
                                      device=str(dev))
                    hist = pretrain(model, data.x_train, cfg, progress=False)
                    row.update(final_loss=hist.final_loss, loss_curve=[round(v, 5) for v in hist.epoch_loss],
                               pretrain_s=round(time.perf_counter() - t0, 1))
                row["test_loss"] = reconstruction_losses(model, data.x_test, sc.mask_ratio, seed)
                row["probes"] = {pool: curve(encoder_features(model, data.x_train, pool, sc.mask_ratio),
                                             encoder_features(model, data.x_test, pool, sc.mask_ratio), seed)
                                 for pool in POOLS}
            row["seconds"] = round(time.perf_counter() - t0, 1)
            method["runs"] = sorted(method["runs"] + [row], key=lambda r: r["seed"])
            save()
            if log:
                mean_or_raw = row["probes"].get("mean", row["probes"].get("-"))
                log(f"{key} seed {seed}: linear probe, all labels {mean_or_raw['linear']['all']:.3f}  ({row['seconds']:.0f} s)")
    return results


def load_study(prefer: tuple[str, ...] = ("full", "cpu"), folder=None) -> dict | None:
    """The first shipped ``data/timeseries_<scale>.json`` in ``prefer`` order (with
    ``"path"`` added, relative to the repository), or ``None`` when there is none."""
    found = read_shipped("timeseries", prefer, folder)
    if found is not None and found[1].get("schema") != STUDY_SCHEMA:
        raise ValueError(f"{found[0]} is not lesson 12's study ({STUDY_SCHEMA})")
    return found and found[1]


# -- reading the study -------------------------------------------------------------------------


def study_values(results: dict, method: str, pool: str = "mean", readout: str = "linear",
                 key: str = "all") -> dict[int, float]:
    """``{seed: accuracy}`` of one method, pooling (``"-"`` for the cheap baselines, which
    have none), read-out and label count (a :func:`count_key`)."""
    if method in CHEAP_BASELINES:
        pool = "-"
    runs = results["methods"][method]["runs"]
    return {int(r["seed"]): float(r["probes"][pool][readout][key]) for r in runs
            if pool in r["probes"] and key in r["probes"][pool][readout]}


def study_interval(results: dict, method: str, pool: str = "mean", readout: str = "linear", key: str = "all"):
    """Mean, sd and 95 % t-interval over seeds (:func:`maelearn.stats.interval`)."""
    return interval(study_values(results, method, pool, readout, key).values())


def study_paired(results: dict, a: tuple[str, str, str], b: tuple[str, str, str], key: str = "all") -> dict:
    """The paired difference a - b over the seeds both ran, ``a`` and ``b`` each
    ``(method, pool, readout)``: ``{"mean", "lo", "hi", "n", "sd", "wins"}`` from
    :func:`maelearn.stats.paired_interval` (``wins``: seeds where a > b)."""
    xa, xb = study_values(results, *a, key=key), study_values(results, *b, key=key)
    seeds = sorted(set(xa) & set(xb))
    if len(seeds) < 2:
        raise ValueError(f"a paired interval needs 2 or more common seeds; {a} and {b} share {seeds}")
    mean, lo, hi = paired_interval([xa[s] for s in seeds], [xb[s] for s in seeds])
    sd = interval(xa[s] - xb[s] for s in seeds).sd
    return {"mean": mean, "lo": lo, "hi": hi, "n": len(seeds), "sd": sd, "wins": sum(xa[s] > xb[s] for s in seeds)}


def which_better(diff: dict, a: str, b: str) -> str:
    """In words, from the 95 % interval of a paired difference a - b (strict: an interval
    touching 0 contains it)."""
    if diff["lo"] > 0:
        return f"{a} better"
    if diff["hi"] < 0:
        return f"{b} better"
    return "no difference resolved"


def strongest_cheap(results: dict, key: str = "all") -> tuple[str, str, str]:
    """``(method, pool, readout)`` of the cheap baseline (raw series or spectrum, linear
    probe or k-NN) with the highest mean accuracy over seeds at label count ``key``.
    Picked on the test accuracies, which favours the baseline."""
    options = [(m, "-", r) for m in CHEAP_BASELINES for r in READOUTS]
    return max(options, key=lambda o: study_interval(results, *o, key=key).mean)


def best_variant(results: dict, key: str = "all") -> str:
    """The pretraining variant whose protocol accuracy (linear probe on mean-pooled
    tokens) has the highest mean over seeds at ``key``. Picked on the test accuracies,
    which favours the MAE."""
    return max(STUDY_VARIANTS, key=lambda v: study_interval(results, v, *PROTOCOL, key=key).mean)


def label_keys(results: dict) -> list[str]:
    """The label counts of the study, as :func:`count_key` keys, fewest labels first."""
    return [count_key(c) for c in results["settings"]["label_counts"]]


def _label(method: str, pool: str, readout: str) -> str:
    if method in CHEAP_BASELINES:
        return f"{method}, {'k-NN' if readout == 'knn' else 'linear'}"
    return f"{method}, {pool}" + (", k-NN" if readout == "knn" else "")


def _iv(iv) -> str:
    return f"{iv.mean:.3f} ± {iv.sd:.3f}  [{iv.lo:.3f}, {iv.hi:.3f}]"


def _diff(d: dict) -> str:
    return f"{d['mean']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}]  ({d['wins']}/{d['n']} seeds a > b)"


def study_report(results: dict) -> str:
    """The study as text (what lesson 12 prints and the command prints at the end): where
    the numbers come from; every method with every label, as mean ± sd [95 % interval];
    the paired comparisons of masking, target and pooling; the reconstruction losses; the
    label curve with the best variant against the strongest cheap baseline and the
    untrained encoder at every count."""
    s = results["settings"]
    hw = results.get("hardware", {})
    n = len(results["methods"]["untrained"]["runs"])
    lines = [f"time-series study ({results['scale']}), {len(results['classes'])} classes, chance {results['chance']:.3f}, "
             f"{n} seeds"]
    if "path" in results:
        lines.append(f"{results['path']}: {results.get('command', '?')}")
    lines += [f"made {results.get('date', '?')[:10]} on {hw.get('cpu_model', hw.get('name', '?'))} "
              f"({hw.get('torch_threads', '?')} thread(s), load average {hw.get('load_average', ['?'])[0]}), "
              f"torch {results.get('torch', '?')}",
              f"pretraining: {s['epochs']} epochs over {s['n_train']} series, batch {s['batch_size']}, "
              f"mask ratio {s['mask_ratio']}; test on {s['n_test']} series",
              "", "every training label, accuracy over seeds: mean ± sd  [95 % interval]"]
    rows = [(m, "-", r) for m in CHEAP_BASELINES for r in READOUTS]
    rows += [(m, p, "linear") for m in ("untrained", *STUDY_VARIANTS) for p in POOLS]
    lines += [f"  {_label(*row):24s} {_iv(study_interval(results, *row))}" for row in rows]
    lines += ["", "paired differences a - b, every label, linear probe (same seed): mean [95 % interval]"]
    comps = [((v, *PROTOCOL), ("untrained", *PROTOCOL)) for v in STUDY_VARIANTS]
    comps += [(("forecast/" + t, *PROTOCOL), ("random/" + t, *PROTOCOL)) for t in ("norm", "raw")]
    comps += [(("forecast/" + t, "past", "linear"), ("random/" + t, "past", "linear")) for t in ("norm", "raw")]
    comps += [((m + "/raw", *PROTOCOL), (m + "/norm", *PROTOCOL)) for m in ("random", "forecast")]
    comps += [((v, "mean", "linear"), (v, "cls", "linear")) for v in ("untrained", *STUDY_VARIANTS)]
    for a, b in comps:
        d = study_paired(results, a, b)
        lines.append(f"  {_label(*a):20s} - {_label(*b):20s} {_diff(d):44s} {which_better(d, 'a', 'b')}")
    lines += ["", "masked reconstruction loss on the test series (each model's own target): mean ± sd",
              f"  {'pretrained with':16s} {'random mask':>16s} {'forecasting mask':>18s}"]
    for m in ("untrained", *STUDY_VARIANTS):
        runs = results["methods"][m]["runs"]
        cells = [interval(r["test_loss"][k] for r in runs) for k in ("random", "forecast")]
        lines.append(f"  {m:16s} {cells[0].mean:9.3f} ± {cells[0].sd:.3f} {cells[1].mean:11.3f} ± {cells[1].sd:.3f}")
    lines += ["  (the untrained model predicts with the normalized target)", "",
              "label curve: linear probe on mean-pooled tokens vs the strongest cheap baseline at each count"]
    lines.append(f"  {'labels/class':>12s}  {'strongest cheap baseline':30s} {'untrained':>9s} "
                 + " ".join(f"{v:>13s}" for v in STUDY_VARIANTS))
    for key in label_keys(results):
        cheap = strongest_cheap(results, key)
        cells = [study_interval(results, v, *PROTOCOL, key=key).mean for v in STUDY_VARIANTS]
        lines.append(f"  {key:>12s}  {_label(*cheap) + ' ' + format(study_interval(results, *cheap, key=key).mean, '.3f'):30s} "
                     f"{study_interval(results, 'untrained', *PROTOCOL, key=key).mean:9.3f} "
                     + " ".join(f"{c:13.3f}" for c in cells))
    lines.append("  best variant - strongest cheap baseline, and - the untrained encoder (paired, 95 % interval):")
    for key in label_keys(results):
        v, cheap = best_variant(results, key), strongest_cheap(results, key)
        d1 = study_paired(results, (v, *PROTOCOL), cheap, key)
        d2 = study_paired(results, (v, *PROTOCOL), ("untrained", *PROTOCOL), key)
        lines.append(f"  {key:>12s}  {v:13s} - {_label(*cheap):19s} {_diff(d1):44s} {which_better(d1, 'MAE', 'baseline')}")
        lines.append(f"  {'':12s}  {v:13s} - {'untrained, mean':19s} {_diff(d2):44s} {which_better(d2, 'MAE', 'untrained')}")
    return "\n".join(lines)


def _span(d: dict) -> str:
    return f"{d['mean']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}]"


def _counts(keys: list[str]) -> str:
    return ", ".join(keys) if keys else "none"


def study_conclusions(results: dict) -> list[str]:
    """What the study's numbers say, as sentences computed from its paired 95 % intervals
    (protocol: linear probe on mean-pooled tokens, unless a sentence says otherwise). The
    lesson prints these rather than asserting results in its prose."""
    keys = label_keys(results)
    few, every = keys[0], keys[-1]
    proto = lambda m: (m, *PROTOCOL)  # noqa: E731
    out = []
    words = {v: which_better(study_paired(results, proto(v), proto("untrained"), every), "pretrained", "untrained")
             for v in STUDY_VARIANTS}
    out.append("Pretrained vs the same encoder untrained, every label: "
               + "; ".join(f"{v} {_span(study_paired(results, proto(v), proto('untrained'), every))} ({w})"
                           for v, w in words.items()) + ".")
    for t in ("norm", "raw"):
        d = study_paired(results, proto(f"forecast/{t}"), proto(f"random/{t}"), every)
        past = study_paired(results, (f"forecast/{t}", "past", "linear"), (f"random/{t}", "past", "linear"), every)
        out.append(f"Forecasting minus random mask in pretraining, {t} target, every label: {_span(d)} on the whole series "
                   f"({which_better(d, 'forecasting mask', 'random mask')}); reading only the first quarter, all the "
                   f"forecasting encoder ever saw: {_span(past)} ({which_better(past, 'forecasting mask', 'random mask')}).")
    for t in ("norm", "raw"):
        losses = {m: {r["seed"]: r["test_loss"] for r in results["methods"][f"{m}/{t}"]["runs"]} for m in ("forecast", "random")}
        seeds = sorted(set(losses["forecast"]) & set(losses["random"]))
        parts = []
        for task, what in (("forecast", "with the forecasting mask"), ("random", "with random masks")):
            mean, lo, hi = paired_interval([losses["forecast"][s][task] for s in seeds], [losses["random"][s][task] for s in seeds])
            lower = ("lower for the forecasting-pretrained model" if hi < 0 else
                     "lower for the random-pretrained model" if lo > 0 else "no difference resolved")
            parts.append(f"{what} {_span({'mean': mean, 'lo': lo, 'hi': hi})} ({lower})")
        out.append(f"Masked loss on the test series, forecasting- minus random-pretrained, {t} target: " + "; ".join(parts) + ".")
    for m in ("random", "forecast"):
        d = study_paired(results, proto(f"{m}/raw"), proto(f"{m}/norm"), every)
        out.append(f"Raw minus normalized target, {m} mask, every label: {_span(d)} "
                   f"({which_better(d, 'raw target', 'normalized target')}).")
    pools = {m: study_paired(results, (m, "mean", "linear"), (m, "cls", "linear"), every)
             for m in ("untrained", *STUDY_VARIANTS)}
    mean_better = [m for m, d in pools.items() if d["lo"] > 0]
    cls_better = [m for m, d in pools.items() if d["hi"] < 0]
    unresolved = [m for m in pools if m not in mean_better + cls_better]
    out.append(f"Mean pooling vs [CLS], every label, {len(pools)} encoders: mean better for {_counts(mean_better)}; "
               f"[CLS] better for {_counts(cls_better)}; unresolved for {_counts(unresolved)}.")
    vs_cheap = {k: study_paired(results, proto(best_variant(results, k)), strongest_cheap(results, k), k) for k in keys}
    out.append("Best pretrained variant vs the strongest cheap baseline, by labels per class: "
               f"better at {_counts([k for k in keys if vs_cheap[k]['lo'] > 0])}; "
               f"worse at {_counts([k for k in keys if vs_cheap[k]['hi'] < 0])}; "
               f"unresolved at {_counts([k for k in keys if vs_cheap[k]['lo'] <= 0 <= vs_cheap[k]['hi']])}.")
    raw_best = {k: max([("raw series", "-", r) for r in READOUTS], key=lambda o: study_interval(results, *o, key=k).mean)
                for k in keys}
    vs_raw = {k: study_paired(results, proto(best_variant(results, k)), raw_best[k], k) for k in keys}
    vs_untrained = {k: study_paired(results, proto(best_variant(results, k)), proto("untrained"), k) for k in keys}
    for what, diffs in (("the better read-out of the raw series", vs_raw), ("the untrained encoder", vs_untrained)):
        out.append(f"Best pretrained variant vs {what}, by labels per class: "
                   f"better at {_counts([k for k in keys if diffs[k]['lo'] > 0])}; "
                   f"worse at {_counts([k for k in keys if diffs[k]['hi'] < 0])}; "
                   f"unresolved at {_counts([k for k in keys if diffs[k]['lo'] <= 0 <= diffs[k]['hi']])}.")
    v, cheap, d = best_variant(results, few), strongest_cheap(results, few), vs_cheap[few]
    head = f"With {few} labels per class, {v} minus {_label(*cheap)} is {_span(d)}: "
    if d["lo"] > 0:
        out.append(head + "on these series masked pretraining earns its keep when labels are scarce, even against the "
                          "strongest cheap baseline.")
    elif vs_raw[few]["lo"] > 0 and vs_untrained[few]["lo"] > 0:
        out.append(head + "with scarce labels masked pretraining beats the raw series and the untrained encoder, but "
                          "not the hand-made baseline; on these series it does not earn its keep against a feature "
                          "designed for the data.")
    else:
        out.append(head + "on these series the claim that masked pretraining earns its keep when labels are scarce "
                          "is not supported.")
    return out


@command("timeseries")
def main(argv: list[str]) -> int:
    """``python -m maelearn.experiments timeseries [--scale cpu] [--out PATH] [--seeds ...]``:
    lesson 12's study; expected failures are one line and exit status 2 (:mod:`maelearn.cli`)."""
    args = study_parser(PROG, "Lesson 12's study: four time-series MAE pretraining variants, baselines and a label "
                        "curve, over seeds.", sorted(STUDY_SCALES), "data/timeseries_<scale>.json").parse_args(argv)
    seeds, dev = study_options(args)
    out = Path(args.out) if args.out else ROOT / "data" / f"timeseries_{args.scale}.json"
    invocation = " ".join([PROG, *argv])
    return run_study_command(out, lambda: run_study(args.scale, out, seeds, dev, command=invocation), study_report)


__all__ = [
    "CHEAP_BASELINES", "LABEL_COUNTS", "PROTOCOL", "READOUTS", "STUDY_SCALES", "STUDY_SCHEMA", "STUDY_VARIANTS",
    "StudyScale", "StudySeries", "best_variant", "count_key", "label_keys", "label_subset", "load_study", "main",
    "probe_curve", "run_study", "strongest_cheap", "study_conclusions", "study_interval", "study_paired", "study_report",
    "study_series", "study_values", "which_better",
]
