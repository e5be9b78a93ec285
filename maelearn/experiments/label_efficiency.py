"""Where MAE pays: accuracy against the number of labels, for frozen and fine-tuned MAE
encoders beside baselines trained as well as they are. One re-runnable, resumable command.

    python -m maelearn.experiments labels --stage search   # choose recipes on the validation split
    python -m maelearn.experiments labels --stage test     # the test rows, with the chosen recipes

**Data.** The labelled scenes of the ablation sweep (:func:`maelearn.experiments.ablations.
ablation_data`, scale ``cpu``: 5,000 training and 2,000 test scenes, 10 classes). The last
1,000 training scenes are the **validation split**: recipes are searched by training on a
class-balanced draw from the first 4,000 and scoring on those 1,000; the test set is never
looked at until the search is over. A **test row** (method, labels, seed) trains on a
class-balanced draw of ``labels`` scenes from all 5,000 (all of them at 5,000) and scores
on the 2,000 test scenes. The seed is the unit of replication: it draws the labels, picks
the pretrained encoder (MAE seed ``s`` of :mod:`maelearn.experiments.pretraining_length`,
200 epochs) and seeds the run.

**Methods.** ``raw_knn``, ``raw_linear`` (pixels), ``random_linear`` (a random-init encoder),
``mae_linear``, ``mae_knn`` (frozen MAE features: the mean patch token), ``mae_partial2``
(the last 2 blocks and a head tuned), ``mae_finetune`` (every weight), ``supervised`` (the
same ViT from random weights), ``contrastive_linear`` and ``contrastive_finetune`` (the
InfoNCE encoder of :mod:`maelearn.contrastive`, 64 epochs of the length study: about three
quarters of the MAE's compute as timed by ``length --speed``; pending until its encoders
exist). Linear probes and kNN have no recipe to choose
(the sweep's protocol; kNN with ``k = min(20, labels per class)``).

**The search** (:data:`SEARCH`, fixed before any run, seed 0): for each trained method and
label count, a ladder of epochs climbed at each learning rate until the validation
accuracy stops improving (by more than 0.5 point), then one knob at a time (layer decay,
drop path, crop scale) around the best; every tried recipe is a row of ``search`` with its
validation accuracy and minutes. The supervised baseline gets the same ladder: a baseline
starved of epochs would flatter pretraining.

**The file** ``data/label_efficiency_cpu.json``: ``rows: [{method, labels, seed, accuracy,
recipe, minutes, load, torch, hardware, date, command}]``, ``search: [...]``, appended under
a lock the moment each run finishes; a rerun skips what is there.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch

from maelearn import cli
from maelearn.bench.timing import hardware
from maelearn.checkpoint import load_checkpoint, load_weights_only
from maelearn.config import ROOT, cpu_threads
from maelearn.data.augment import augmentation
from maelearn.data.images import ImageSet
from maelearn.evaluate import extract_features, fine_tune, knn_features, linear_probe_features, partial_fine_tune
from maelearn.experiments.ablations import SCALES, _random_encoder, ablation_data
from maelearn.experiments.output import append_row, check_json_output, command, run_writing, utc_now
from maelearn.experiments.pretraining_length import CONTRASTIVE_SHIPPED as CONTRASTIVE_FOLDER
from maelearn.experiments.pretraining_length import SHIPPED as MAE_FOLDER
from maelearn.experiments.pretraining_length import load_average
from maelearn.runs import write_text
from maelearn.stats import CONTRADICTED, REPRODUCED, interval, verdict

SCHEMA = "maelearn.label_efficiency/1"
OUT = ROOT / "data" / "label_efficiency_cpu.json"
LABELS = (100, 500, 5000)
SEEDS = (0, 1, 2)
N_VAL = 1000
METHODS = ("raw_knn", "raw_linear", "random_linear", "mae_linear", "mae_knn", "mae_partial2", "mae_finetune", "supervised",
           "contrastive_linear", "contrastive_finetune")
TRAINED = ("mae_partial2", "mae_finetune", "supervised", "contrastive_finetune")
TRIVIAL = ("raw_knn", "raw_linear", "random_linear")


@dataclass(frozen=True)
class Recipe:
    """How a trained method trains: AdamW, warm-up 10 % + cosine, random resized crops +
    flips, layer-wise lr decay, drop path, label smoothing (:func:`maelearn.evaluate.fine_tune`)."""

    epochs: int
    lr: float
    layer_decay: float = 0.75
    drop_path: float = 0.1
    label_smoothing: float = 0.1
    crop_min: float = 0.5
    batch_size: int = 128


#: Epoch ladders per label count (a cosine schedule per rung): steps grow as labels shrink,
#: but a pass over 100 labels is one optimizer step, so the small sets climb higher. The
#: 5,000-label ladder gained its 400 rung after the scratch ViT was still improving at 200
#: (validation 0.846 at 100 epochs, 0.922 at 200): the ladder must end where the baseline
#: stops improving, not where we guessed it would.
LADDER = {100: (100, 200, 400, 800), 500: (50, 100, 200, 400), 5000: (25, 50, 100, 200, 400)}
#: The search space, fixed before any run: learning rates climbed along the ladder, then
#: one knob at a time around the best recipe.
SEARCH = {
    "mae_finetune": {"lr": (1e-3, 2e-3), "layer_decay": (0.65, 0.85), "drop_path": (0.0, 0.2), "crop_min": (0.3, 0.8)},
    "mae_partial2": {"lr": (1e-3, 2e-3), "drop_path": (0.0,), "crop_min": (0.3, 0.8)},
    "supervised": {"lr": (5e-4, 1e-3), "drop_path": (0.0, 0.2), "crop_min": (0.3, 0.8)},
    "contrastive_finetune": {"lr": (1e-3, 2e-3), "layer_decay": (0.65, 0.85)},
}
BASE = {"mae_finetune": Recipe(0, 0), "mae_partial2": Recipe(0, 0, layer_decay=1.0, drop_path=0.0),
        "supervised": Recipe(0, 0, layer_decay=1.0), "contrastive_finetune": Recipe(0, 0)}
IMPROVES = 0.005  # a rung must beat the best so far by more than this to climb on
#: Budget: at 5,000 labels one rung costs up to an hour on one core, so there only the lr and
#: epoch ladders are searched; the other knobs (layer decay, drop path, crop) are the ones
#: each method's 500-label search chose. Decided after the 500-label searches had run, before
#: any 5,000-label knob rung; the same rule for every method.
KNOBS_FROM = {5000: 500}


# -- data and encoders -----------------------------------------------------------------------


def splits(scale: str = "cpu"):
    """``(fit pool, validation, full training set, test)`` as ImageSets."""
    _, train, test = ablation_data(scale, 0)
    n = len(train.labels)
    n_val = min(N_VAL, n // 5)
    sub = lambda a, b: ImageSet(train.images[a:b], train.labels[a:b], train.classes, name=train.name)  # noqa: E731
    return sub(0, n - n_val), sub(n - n_val, n), train, test


def draw(labels: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """Indices of a class-balanced draw of ``n`` examples (``n // classes`` per class, the
    remainder from the classes in a random order); all of them when ``n >= len(labels)``."""
    if n >= len(labels):
        return torch.arange(len(labels))
    g = torch.Generator().manual_seed(1_000 * seed + n)
    classes = labels.unique()
    per, extra = divmod(n, len(classes))
    order = classes[torch.randperm(len(classes), generator=g)]
    picked = []
    for i, c in enumerate(order):
        idx = (labels == c).nonzero().flatten()
        want = per + (1 if i < extra else 0)
        if len(idx) < want:
            raise ValueError(f"class {int(c)} has {len(idx)} examples, the draw of {n} labels needs {want}")
        picked.append(idx[torch.randperm(len(idx), generator=g)[:want]])
    return torch.cat(picked).sort().values


def subset(data, idx: torch.Tensor):
    return ImageSet(data.images[idx], data.labels[idx], data.classes, name=data.name)


def encoder(kind: str, seed: int, scale: str = "cpu"):
    """The encoder a method starts from: ``"random"`` (initialized with ``seed``), ``"mae"``
    or ``"contrastive"`` (the shipped long-schedule seed ``seed``), or ``None`` when it has
    not been made yet."""
    if kind == "random":
        return _random_encoder(SCALES[scale], seed)

    path = (MAE_FOLDER if kind == "mae" else CONTRASTIVE_FOLDER) / f"seed{seed}.pt"
    if not path.exists():
        return None
    if kind == "contrastive":  # the encoder's weights (pretraining_length ships no projector)
        state = load_weights_only(path)
        if state.get("model") != SCALES[scale].model:
            raise ValueError(f"{path} holds a contrastive encoder of {state.get('model')}, but scale {scale!r} builds "
                             f"{SCALES[scale].model}: pretrain one at this scale or pass the scale it was made at")
        enc = _random_encoder(SCALES[scale], 0)
        enc.load_state_dict(state["encoder"])
        return enc.eval()
    model, _ = load_checkpoint(path)
    return model.encoder.eval()


# -- one evaluation ---------------------------------------------------------------------------


def evaluate(method: str, train, test, seed: int, recipe: Recipe | None = None, scale: str = "cpu") -> float | None:
    """Accuracy in [0, 1] of ``method`` trained on ``train`` and scored on ``test`` (``None``
    when its pretrained encoder does not exist yet)."""
    sc = SCALES[scale]
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    per_class = max(1, len(train.labels) // len(train.classes))
    kind = "random" if method in ("random_linear", "supervised") else method.split("_")[0]
    if method in ("raw_knn", "raw_linear"):
        ftr, fte = train.images.flatten(1), test.images.flatten(1)
    else:
        enc = encoder(kind, seed, scale)
        if enc is None:
            return None
        if method in TRAINED:
            if recipe is None:
                raise ValueError(f"{method} needs a recipe")
            g = torch.Generator().manual_seed(seed)
            aug = augmentation("crop", generator=g, crop_scale=(recipe.crop_min, 1.0))
            common = dict(batch_size=recipe.batch_size, augment=aug, seed=seed, device="cpu")
            if method == "mae_partial2":
                return float(partial_fine_tune(enc, train, test, 2, recipe.epochs, recipe.lr, pool=sc.probe_pool,
                                               probe_steps=sc.probe_steps, drop_path=recipe.drop_path,
                                               label_smoothing=recipe.label_smoothing, **common))
            return float(fine_tune(enc, train, test, recipe.epochs, recipe.lr, layer_decay=recipe.layer_decay,
                                   drop_path=recipe.drop_path, label_smoothing=recipe.label_smoothing, progress=False,
                                   **common))
        ftr = extract_features(enc, train.images, sc.probe_pool, device="cpu")
        fte = extract_features(enc, test.images, sc.probe_pool, device="cpu")
    if method.endswith("_knn"):
        return float(knn_features(ftr, train.labels, fte, test.labels, k=min(sc.knn_k, per_class)))
    return float(linear_probe_features(ftr, train.labels, fte, test.labels, steps=sc.probe_steps, seed=seed).test_acc)


# -- the file ---------------------------------------------------------------------------------


def load(path: Path = OUT) -> dict:
    if not path.exists():
        return {"schema": SCHEMA, "rows": [], "search": []}
    data = json.loads(path.read_text())
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path} holds results of another format (schema {data.get('schema')!r}, expected {SCHEMA!r})")
    data.setdefault("rows", [])
    data.setdefault("search", [])
    return data


def _provenance() -> dict:
    return {
        "command": "python -m maelearn.experiments labels",
        "data": "scene_benchmark(5000, 2000, seed=0): validation = the last 1000 training scenes (search only); test rows "
                "train on a class-balanced draw of `labels` from all 5000 and score on the 2000 test scenes",
        "encoders": "MAE: data/pretrained/mae_scenes_long/seed<seed>.pt (python -m maelearn.experiments length); "
                    "contrastive: data/pretrained/contrastive_scenes_long/seed<seed>.pt",
        "search": {"ladder": {str(k): list(v) for k, v in LADDER.items()},
                   "space": {m: {k: list(v) for k, v in s.items()} for m, s in SEARCH.items()},
                   "base": {m: asdict(r) for m, r in BASE.items()}, "improves_by": IMPROVES, "seed": 0,
                   "knobs_from": {str(k): v for k, v in KNOBS_FROM.items()}},
        "torch": torch.__version__,
        "hardware": hardware(torch.device("cpu")),
    }


def _write(path: Path, section: str, row: dict, key: tuple[str, ...]) -> None:
    append_row(path, row, key, _provenance(), SCHEMA, section)


def _stamp(t0: float) -> dict:
    return {"minutes": round((time.perf_counter() - t0) / 60, 2), "load": load_average(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "date": utc_now()}


# -- the search -------------------------------------------------------------------------------


def best_recipe(data: dict, method: str, labels: int) -> Recipe | None:
    """The recipe the search of (method, labels) chose (the row it marked ``final``: the
    highest validation accuracy among the recipes its ladders tried, fewer epochs on a tie),
    or ``None`` before that search has finished. A row the protocol did not try can never be
    chosen."""
    final = [r for r in data["search"] if r["method"] == method and r["labels"] == labels and r.get("final")]
    if not final:
        return None
    return Recipe(**max(final, key=lambda r: (r["val_accuracy"], -r["recipe"]["epochs"]))["recipe"])


def search(method: str, labels: int, path: Path = OUT, log=print, scale: str = "cpu") -> Recipe | None:
    """Run (or resume) the search of :data:`SEARCH` for one method and label count; return the
    chosen recipe (``None`` when the method's encoder does not exist yet)."""
    fit_pool, val, _, _ = splits(scale)
    train = subset(fit_pool, draw(fit_pool.labels, labels, 0))
    data = load(path)
    tried = {json_key(r["recipe"]): r["val_accuracy"] for r in data["search"]
             if r["method"] == method and r["labels"] == labels}

    def score(recipe: Recipe) -> float | None:
        k = json_key(asdict(recipe))
        if k in tried:
            return tried[k]
        t0 = time.perf_counter()
        acc = evaluate(method, train, val, 0, recipe, scale)
        if acc is None:
            return None
        tried[k] = acc
        _write(path, "search", {"method": method, "labels": labels, "recipe": asdict(recipe), "val_accuracy": acc,
                                **_stamp(t0)}, ("method", "labels", "recipe"))
        log(f"search {method} labels {labels}: {recipe} -> val {acc:.3f}")
        return acc

    space, base = SEARCH[method], BASE[method]
    if labels in KNOBS_FROM:  # knobs carried over from a smaller label count (see KNOBS_FROM)
        base = best_recipe(data, method, KNOBS_FROM[labels])
        if base is None:
            log(f"search {method} labels {labels}: waits for the search at {KNOBS_FROM[labels]} labels")
            return None
        space = {"lr": space["lr"]}
    best, best_acc = None, -1.0
    for lr in space["lr"]:
        rung_best = -1.0
        for epochs in LADDER[labels]:
            recipe = replace(base, epochs=epochs, lr=lr)
            acc = score(recipe)
            if acc is None:
                return None
            if acc > best_acc:
                best, best_acc = recipe, acc
            if acc <= rung_best + IMPROVES:
                break
            rung_best = max(rung_best, acc)
    for knob, values in space.items():
        if knob == "lr":
            continue
        centre = best
        for v in values:
            recipe = replace(centre, **{knob: v})
            acc = score(recipe)
            if acc is not None and acc > best_acc:
                best, best_acc = recipe, acc
    chosen = next(r for r in load(path)["search"]
                  if (r["method"], r["labels"], json_key(r["recipe"])) == (method, labels, json_key(asdict(best))))
    _write(path, "search", {**chosen, "final": True}, ("method", "labels", "recipe"))
    return best


def json_key(d: dict) -> str:
    return json.dumps(d, sort_keys=True)


# -- the test rows ----------------------------------------------------------------------------


def run_test(method: str, labels: int, seed: int, path: Path = OUT, log=print, scale: str = "cpu") -> dict | None:
    """One test row (written at once), or ``None`` when its recipe or encoder is missing."""
    data = load(path)
    if any((r["method"], r["labels"], r["seed"]) == (method, labels, seed) for r in data["rows"]):
        return None
    recipe = best_recipe(data, method, labels) if method in TRAINED else None
    if method in TRAINED and recipe is None:
        return None
    _, _, train_all, test = splits(scale)
    train = subset(train_all, draw(train_all.labels, labels, seed))
    t0 = time.perf_counter()
    acc = evaluate(method, train, test, seed, recipe, scale)
    if acc is None:
        return None
    row = {"method": method, "labels": labels, "seed": seed, "accuracy": acc,
           "recipe": asdict(recipe) if recipe else None, **_stamp(t0),
           "command": f"python -m maelearn.experiments labels --stage test --methods {method} --labels {labels} --seeds {seed}"}
    _write(path, "rows", row, ("method", "labels", "seed"))
    log(f"test {method} labels {labels} seed {seed}: {acc:.3f} ({row['minutes']:.1f} min)")
    return row


def sweep(stage: str, methods=METHODS, labels=LABELS, seeds=SEEDS, path: Path = OUT, log=print, scale: str = "cpu") -> None:
    """Everything missing of ``stage`` (``search``, ``test`` or ``all``), cheapest first."""
    cost = {m: i for i, m in enumerate(METHODS)}
    order = sorted(itertools.product(methods, labels), key=lambda ml: (ml[0] in TRAINED, ml[1], cost[ml[0]]))
    if stage in ("search", "all"):
        for m, n in order:
            if m in TRAINED:
                search(m, n, path, log, scale)
    if stage in ("test", "all"):
        for m, n in order:
            for s in seeds:
                run_test(m, n, s, path, log, scale)


# -- the verdicts -----------------------------------------------------------------------------


def accuracies(data: dict, method: str, labels: int) -> dict[int, float]:
    return {r["seed"]: r["accuracy"] for r in data["rows"] if (r["method"], r["labels"]) == (method, labels)}


def headline(data: dict) -> list[dict]:
    """The paired verdicts that matter, at every label count: MAE fine-tune vs supervised
    from scratch, and the better frozen MAE read-out (linear or kNN, chosen by its mean) vs
    the *strongest* trivial baseline (raw-pixel kNN or linear, random-init linear, chosen by
    its mean). Differences in points, paired by seed, with the 95 % interval and a verdict
    (``None`` fields while rows are missing)."""
    out = []
    for n in sorted({r["labels"] for r in data["rows"]}):
        def strongest(names):
            means = {m: sum(v.values()) / len(v) for m in names if (v := accuracies(data, m, n))}
            return max(means, key=means.get) if means else None

        for what, a, b in (("MAE fine-tune vs supervised from scratch", "mae_finetune", "supervised"),
                           ("frozen MAE vs the strongest trivial baseline",
                            strongest(("mae_linear", "mae_knn")) or "mae_linear|mae_knn", strongest(TRIVIAL) or "trivial")):
            seeds = set(accuracies(data, a, n)) & set(accuracies(data, b, n))
            row = {"labels": n, "what": what, "a": a, "b": b, "n": len(seeds), "mean": None, "lo": None, "hi": None,
                   "verdict": None}
            if (d := paired(data, a, b, n)) is not None:
                row.update(d)
            out.append(row)
    return out


NAMES = {"raw_knn": "a kNN on raw pixels", "raw_linear": "a linear probe on raw pixels",
         "random_linear": "a linear probe on the untrained encoder", "mae_linear": "a linear probe on the frozen MAE",
         "mae_knn": "a kNN on the frozen MAE", "mae_partial2": "the MAE with its last 2 blocks tuned",
         "mae_finetune": "the fully fine-tuned MAE", "supervised": "the same ViT trained from scratch",
         "contrastive_linear": "a linear probe on the contrastive encoder",
         "contrastive_finetune": "the fine-tuned contrastive encoder"}
SD_TARGET = 3.0  # points: the fine-tune recipe must be this stable across seeds at the largest label count


def paired(data: dict, a: str, b: str, labels: int) -> dict | None:
    """Mean and 95 % interval (points) of ``a - b`` paired by seed, with its verdict in the
    direction "a is better"; ``None`` with fewer than 2 seeds that have both."""
    xa, xb = accuracies(data, a, labels), accuracies(data, b, labels)
    seeds = sorted(set(xa) & set(xb))
    if len(seeds) < 2:
        return None
    iv = interval(100 * (xa[s] - xb[s]) for s in seeds)
    return {"n": iv.n, "mean": iv.mean, "lo": iv.lo, "hi": iv.hi, "verdict": verdict(iv, +1)}


def _sentence(data: dict, labels: int, a: str, b: str) -> str:
    A, B = NAMES.get(a, a), NAMES.get(b, b)
    xa, xb = accuracies(data, a, labels), accuracies(data, b, labels)
    both = sorted(set(xa) & set(xb))
    d = paired(data, a, b, labels)
    if d is None and len(both) == 1:  # a difference, but no interval to judge it by
        diff = 100 * (xa[both[0]] - xb[both[0]])
        return f"{labels} labels: {A} vs {B} is pending (1 seed with both, {diff:+.1f} points on it; no interval yet)."
    if d is None:
        return f"{labels} labels: {A} vs {B} is pending (0 seeds with both)."
    iv = f"{d['mean']:+.1f} points [{d['lo']:+.1f}, {d['hi']:+.1f}], {d['n']} seeds"
    if d["verdict"] == REPRODUCED:
        return f"{labels} labels: {A} beats {B} ({iv})."
    if d["verdict"] == CONTRADICTED:
        return f"{labels} labels: {A} loses to {B} ({iv})."
    return f"{labels} labels: the seeds cannot tell {A} from {B} ({iv}: the interval contains 0)."


def findings(data: dict) -> list[str]:
    """The headline and the fine-tune recipe's checks as plain sentences, computed from the
    rows (lesson 09 prints them): where MAE pays, where it loses, where the seeds cannot
    tell, and what is still pending. The checks: full fine-tuning against tuning only the
    last 2 blocks at every label count, MAE against the contrastive encoder (frozen and
    tuned) where its rows exist, and the fine-tune's seed-to-seed sd at the largest label
    count against :data:`SD_TARGET`."""
    out = []
    for r in headline(data):
        if r["a"] in METHODS and r["b"] in METHODS:
            out.append(_sentence(data, r["labels"], r["a"], r["b"]))
        else:
            out.append(f"{r['labels']} labels: {r['what']} is pending (no rows yet).")
    counts = sorted({r["labels"] for r in data["rows"]})
    for n in counts:
        out.append(_sentence(data, n, "mae_finetune", "mae_partial2"))
    for a, b in (("mae_linear", "contrastive_linear"), ("mae_finetune", "contrastive_finetune")):
        out.extend(_sentence(data, n, a, b) for n in counts if accuracies(data, b, n))
    if counts:
        ft = [r for r in summary_table(data) if r["method"] == "mae_finetune" and r["labels"] == counts[-1]]
        if ft and ft[0]["n"] >= 2:
            ok = "within" if ft[0]["sd"] <= SD_TARGET else "above"
            out.append(f"{counts[-1]} labels: the fine-tune's seed-to-seed sd is {ft[0]['sd']:.1f} points over "
                       f"{ft[0]['n']} seeds, {ok} the target of {SD_TARGET:.0f}.")
        else:
            out.append(f"{counts[-1]} labels: the fine-tune's seed-to-seed sd is pending (fewer than 2 seeds).")
    return out


def headline_markdown(data: dict) -> str:
    """The headline verdicts as the Markdown table ``data/README.md`` prints (a test keeps
    the two equal)."""
    lines = ["| labels | comparison | a - b | paired difference, points [95 %] | verdict |", "|---|---|---|---|---|"]
    for r in headline(data):
        ours = f"{r['mean']:+.1f} [{r['lo']:+.1f}, {r['hi']:+.1f}] ({r['n']} seeds)" if r["verdict"] else f"pending ({r['n']} seeds)"
        lines.append(f"| {r['labels']} | {r['what']} | {r['a'] or '-'} - {r['b'] or '-'} | {ours} | {r['verdict'] or 'pending'} |")
    return "\n".join(lines)


README = ROOT / "data" / "README.md"
MARKERS = ("<!-- headline:start -->", "<!-- headline:end -->")


def write_readme_headline(data: dict, readme: Path = README) -> bool:
    """Put :func:`headline_markdown` between the markers of ``data/README.md``; returns
    whether the file changed."""
    text = readme.read_text(encoding="utf-8")
    start, end = (text.index(m) for m in MARKERS)
    new = text[: start + len(MARKERS[0])] + "\n" + headline_markdown(data) + "\n" + text[end:]
    if new != text:
        write_text(readme, new)
    return new != text


def summary_table(data: dict) -> list[dict]:
    """Mean, sd and 95 % interval (points) of every (method, labels) with rows."""
    out = []
    for m in METHODS:
        for n in sorted({r["labels"] for r in data["rows"]}):
            xs = list(accuracies(data, m, n).values())
            if xs:
                iv = interval(100 * x for x in xs)
                out.append({"method": m, "labels": n, "n": iv.n, "mean": iv.mean, "sd": iv.sd, "lo": iv.lo, "hi": iv.hi})
    return out


@command("labels")
def main(argv: list[str]) -> int:
    """``python -m maelearn.experiments labels [options]``; expected failures are one line and exit
    status 2 (:mod:`maelearn.cli`)."""
    p = cli.ArgumentParser(prog="python -m maelearn.experiments labels", description=__doc__.split("\n\n")[0])
    p.add_argument("--stage", choices=("search", "test", "all"), default="all")
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    p.add_argument("--labels", nargs="+", type=cli.integer(minimum=10), default=list(LABELS))
    p.add_argument("--seeds", nargs="+", type=cli.integer(minimum=0), default=list(SEEDS))
    p.add_argument("--out", type=cli.nonempty_path, default=str(OUT))
    p.add_argument("--threads", type=cli.integer(minimum=1), default=1, help="torch CPU threads (default 1)")
    p.add_argument("--readme", action="store_true", help="run nothing: rewrite data/README.md's headline table from --out")
    args = p.parse_args(argv)
    if args.readme:
        changed = write_readme_headline(load(Path(args.out)))
        print(f"{README}: headline {'rewritten' if changed else 'already up to date'}")
        return 0
    bad = [n for n in args.labels if n not in LADDER]
    if bad:
        raise cli.UsageError(f"--labels {' '.join(map(str, bad))}: the search has epoch ladders for {sorted(LADDER)} only")
    cpu_threads(args.threads)
    out = Path(args.out)
    check_json_output(out, "label_efficiency.json")
    load(out)
    return run_writing(out, lambda: sweep(args.stage, tuple(args.methods), tuple(args.labels), tuple(args.seeds), out))


if __name__ == "__main__":
    sys.exit(main())
