"""How MAE's frozen features improve with the length of pretraining (the paper's Figure 7
at small scale): one re-runnable, resumable command.

    python -m maelearn.experiments length                     # data/pretraining_length_cpu.json
    python -m maelearn.experiments length --seeds 0           # one seed
    python -m maelearn.experiments length --speed             # time to a 0.50 probe, 1 and 2 threads

**What runs.** The ablation sweep's baseline MAE (:data:`maelearn.experiments.ablations.SCALES`
``"cpu"``: a 64-d, 4-block ViT on 4x4 patches of 32x32 scenes, 2-block decoder, 75 % random
masking, norm-pix target, random crops) pretrained on the same 10,000 scenes for **one
cosine schedule of** ``epochs`` (200; warm-up 5 % of it, as the paper's 40 of 800), once per
seed. Along that schedule the frozen encoder is probed at the epochs of ``probe_at``: the
linear probe and the kNN of the sweep (mean of the patch tokens, the fixed labelled split).
A probe at epoch 50 of a 200-epoch schedule is *not* a 50-epoch run (its learning rate has
not decayed yet), which makes the early points, if anything, pessimistic.

**What it writes.** ``rows: [{epochs, seed, linear_probe, knn, minutes, loss, load, torch, date}]``,
one row per probe, appended (atomically) the moment it is measured; ``minutes`` is the
training time to that epoch (probes excluded) on ``threads`` CPU threads, ``date`` (UTC) when
the row was written (rows written before these two fields existed lack them: the file's
``date`` is all they have). A run checkpoints every 10 epochs under
``runs/pretraining_length/`` and resumes from there; a seed whose last row is written is
skipped. The final model of every seed is kept in
``data/pretrained/mae_scenes_long/`` (``seed<N>.pt``, weights and config, no optimizer), so
the label-efficiency study (:mod:`maelearn.experiments.label_efficiency`) and lessons 08, 09
and 12 start from them without pretraining again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from maelearn import cli
from maelearn.bench.timing import hardware
from maelearn.checkpoint import atomic_save, load_checkpoint, read_checkpoint
from maelearn.config import ROOT
from maelearn.contrastive import build_contrastive, contrastive_loss_fn
from maelearn.evaluate import extract_features, knn_features, linear_probe_features
from maelearn.experiments.ablations import BASELINE, COMPARISONS, SCALES, ablation_data, build_variant_mae, mae_loss
from maelearn.experiments.output import append_row, check_json_output, command, run_writing, utc_now
from maelearn.stats import paired_interval, verdict_from_bounds
from maelearn.train import TrainConfig, fit

SCHEMA = "maelearn.pretraining_length/1"
SHIPPED = ROOT / "data" / "pretrained" / "mae_scenes_long"
CONTRASTIVE_SHIPPED = ROOT / "data" / "pretrained" / "contrastive_scenes_long"
KINDS = ("mae", "contrastive")


@dataclass(frozen=True)
class Plan:
    """One pretraining-length study: schedule, probe points, seeds."""

    epochs: int = 200
    warmup_epochs: int = 10
    probe_at: tuple[int, ...] = (10, 25, 50, 100, 150, 200)
    seeds: tuple[int, ...] = (0, 1, 2)
    threads: int = 1
    scale: str = "cpu"
    save_every: int = 10
    kind: str = "mae"  # or "contrastive": the InfoNCE encoder of the same size, same data
    mask_ratio: float = 0.75  # the MAE's; other ratios are the paper's Figure 5 on this schedule

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if not 0 < self.mask_ratio < 1 or (self.kind == "contrastive" and self.mask_ratio != 0.75):
            raise ValueError(f"mask_ratio must be in (0, 1), and left at 0.75 for the contrastive kind, got {self.mask_ratio!r}")
        if not self.probe_at or sorted(set(self.probe_at)) != list(self.probe_at) or self.probe_at[-1] != self.epochs:
            raise ValueError(f"probe_at must be increasing and end at epochs={self.epochs}, got {self.probe_at}")


#: The contrastive encoder's plan: a contrastive step costs about 3.2x an MAE step here (the
#: ablation sweep's median step times, 444-590 ms vs 154-183 ms at batch 128 on one
#: thread: two full views through the encoder vs a quarter of the patches), so 64 epochs
#: were planned as the compute of the MAE's 200. Timed in this study's own loop on an idle
#: thread (``--speed``, ``data/pretraining_speed_cpu.json``) the ratio is 2.3, so they are
#: about three quarters of it.
CONTRASTIVE_PLAN = dict(kind="contrastive", epochs=64, warmup_epochs=4, probe_at=(8, 16, 32, 64))


def _tag(plan: Plan) -> str:
    """'' for the course's MAE (75 %), '_contrastive', or '_r<ratio>' for another mask ratio."""
    if plan.kind == "contrastive":
        return "_contrastive"
    return "" if plan.mask_ratio == 0.75 else f"_r{plan.mask_ratio:g}"


def shipped_folder(plan: Plan) -> Path:
    """Where the plan's final models (and parked runs) live."""
    if plan.kind == "contrastive":
        return CONTRASTIVE_SHIPPED
    return SHIPPED.with_name(SHIPPED.name + _tag(plan))


def results_file(plan: Plan) -> Path:
    """The plan's default results file: data/pretraining_length<tag>_cpu.json."""
    return ROOT / "data" / f"pretraining_length{_tag(plan)}_{plan.scale}.json"


def run_dir(plan: Plan, runs: Path, seed: int) -> Path:
    """The folder of a seed's training checkpoint under ``runs``."""
    return runs / "pretraining_length" / f"{plan.scale}{_tag(plan)}-seed{seed}"


def setting(plan: Plan) -> dict:
    """The pretraining setting of the study: the sweep's baseline MAE (decoder from the
    scale's model), or the sweep's contrastive recipe."""
    if plan.kind == "contrastive":
        return {"augment": "crop+colour", "temperature": 0.2, "lr": SCALES[plan.scale].contrastive_lr}
    m = SCALES[plan.scale].model
    return {**BASELINE, "mask_ratio": plan.mask_ratio, "decoder_depth": m["decoder_depth"], "decoder_dim": m["decoder_dim"]}


def load_rows(path: Path) -> dict:
    if path.exists():
        data = json.loads(path.read_text())
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path} holds results of another format (schema {data.get('schema')!r}, expected {SCHEMA!r})")
        return data
    return {"schema": SCHEMA, "rows": []}


def time_to(rows: list[dict], threshold: float = 0.5, metric: str = "linear_probe") -> list[dict]:
    """Per seed, the first probed epoch whose ``metric`` reaches ``threshold``: ``[{seed,
    epochs, value, minutes, threads, load, before}]`` where ``before`` is the previous probed
    epoch (the crossing lies in ``(before, epochs]``: the schedule is probed, not watched)
    and ``minutes`` the training time to that probe as the row recorded it. Seeds that never
    reach it are left out."""
    out = []
    for seed in sorted({r["seed"] for r in rows}):
        rs = sorted((r for r in rows if r["seed"] == seed), key=lambda r: r["epochs"])
        hit = next((i for i, r in enumerate(rs) if r[metric] >= threshold), None)
        if hit is not None:
            r = rs[hit]
            out.append({"seed": seed, "epochs": r["epochs"], "value": r[metric], "minutes": r["minutes"],
                        "threads": r["threads"], "load": r.get("load"), "before": rs[hit - 1]["epochs"] if hit else 0})
    return out


SPEED_SCHEMA = "maelearn.pretraining_speed/1"
SPEED_RESULTS = ROOT / "data" / "pretraining_speed_cpu.json"


def speed(threads=(1, 2), precisions=("fp32", "bf16"), steps: int = 60, warmup: int = 5, threshold: float = 0.5,
          plan: Plan = Plan(), out: Path = SPEED_RESULTS, results: Path | None = None, log=print) -> list[dict]:
    """Time to a representation on this machine: the training step of the study (the real
    loop, :func:`maelearn.train.fit`, crops included) timed over ``steps`` steps after
    ``warmup`` on each number of ``threads`` and each autocast ``precision``, times the steps
    the seeds of ``results`` (default: the shipped study's) needed to first probe at
    ``threshold`` (:func:`time_to`, median over seeds). One row per (kind, threads,
    precision): ``{kind, threads, precision, step_ms, steps_per_epoch, batch_size, epochs,
    minutes_to_threshold, threshold, load}``. The step time is the difference of two timed
    runs (``warmup`` and ``warmup + steps`` steps), so set-up costs cancel. bf16 changes the
    numerics: its minutes assume it needs as many epochs as fp32 (not verified here).
    Taught in lesson 09."""
    sc = SCALES[plan.scale]
    pre, _, _ = ablation_data(plan.scale, 0)
    results = results or results_file(plan)
    reached = sorted(t["epochs"] for t in time_to(load_rows(results)["rows"], threshold))
    if not reached:
        raise ValueError(f"no seed reached a linear probe of {threshold} in {results}: nothing to time to")
    epochs = reached[len(reached) // 2]
    per_epoch = len(pre) // sc.batch_size  # drop_last
    rows = []
    for t in threads:
        for precision in precisions:
            torch.set_num_threads(t)
            model, loss_fn, lr = _build(plan, 0)

            def run(n: int) -> float:
                cfg = TrainConfig(max_steps=n, batch_size=sc.batch_size, lr=lr, warmup_steps=0, seed=0, device="cpu",
                                  precision=precision)
                t0 = time.perf_counter()
                fit(model, pre, loss_fn, cfg, progress=False)
                return time.perf_counter() - t0

            step_s = (run(warmup + steps) - run(warmup)) / steps
            row = {"kind": plan.kind, "threads": t, "precision": precision, "step_ms": round(1000 * step_s, 2),
                   "steps_per_epoch": per_epoch, "batch_size": sc.batch_size, "epochs": epochs,
                   "minutes_to_threshold": round(epochs * per_epoch * step_s / 60, 1), "threshold": threshold,
                   "load": load_average()}
            provenance = {"command": "python -m maelearn.experiments length --speed [--kind contrastive]",
                          "timing": f"step time = (time of {warmup + steps} steps - time of {warmup}) / {steps}, "
                                    "the study's fit() loop with crops, on the pretraining scenes",
                          "torch": torch.__version__, "hardware": hardware(torch.device("cpu")), "cpu_bf16": cpu_has_bf16()}
            append_row(out, row, ("kind", "threads", "precision"), provenance, SPEED_SCHEMA)
            log(f"{plan.kind}, {t} thread(s), {precision}: {row['step_ms']:.0f} ms/step -> {row['minutes_to_threshold']:.0f} "
                f"min to {epochs} epochs (load {row['load']})")
            rows.append(row)
    return rows


def cpu_has_bf16() -> bool | None:
    """Whether this CPU has bf16 instructions (AVX-512 BF16 or AMX), from /proc/cpuinfo;
    ``None`` where that file does not exist."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


def load_average() -> float | None:
    """The 1-minute load average, recorded beside every timed result (None where unknown)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _provenance(plan: Plan) -> dict:
    sc = SCALES[plan.scale]
    return {
        "command": "python -m maelearn.experiments length"
                   + {"_contrastive": " --kind contrastive", "": ""}.get(_tag(plan), f" --mask-ratio {plan.mask_ratio:g}"),
        "plan": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(plan).items()},
        "setting": setting(plan),
        "model": sc.model,
        "data": f"scene_benchmark(n_train={sc.n_train}, n_test={sc.n_test}, seed=0); pretraining on the training images "
                f"without labels + unlabelled_scenes({sc.n_unlabelled}, seed=0)",
        "kind": plan.kind,
        "schedule": f"one cosine schedule of {plan.epochs} epochs per seed, batch {sc.batch_size}, "
                    f"lr {sc.contrastive_lr if plan.kind == 'contrastive' else sc.lr}, "
                    f"{plan.warmup_epochs} warm-up epochs; probes along it (not separate schedules)",
        "probes": f"linear probe ({sc.probe_steps} steps) and k={sc.knn_k} kNN on the mean patch token, fixed split",
        "minutes": f"training wall time to the epoch on {plan.threads} CPU thread(s), probes excluded; 'load' is the "
                   "1-minute load average when the row was written",
        "torch": torch.__version__,
        "hardware": hardware(torch.device("cpu")),
    }


def probe(encoder, train, test, seed: int, scale: str = "cpu") -> dict:
    """Linear probe and kNN of the sweep on ``encoder``'s frozen mean-pooled features."""
    sc = SCALES[scale]
    with torch.random.fork_rng(devices=[]):
        ftr = extract_features(encoder, train.images, sc.probe_pool, device="cpu")
        fte = extract_features(encoder, test.images, sc.probe_pool, device="cpu")
        lin = linear_probe_features(ftr, train.labels, fte, test.labels, steps=sc.probe_steps, seed=seed).test_acc
        knn = knn_features(ftr, train.labels, fte, test.labels, k=sc.knn_k)
    return {"linear_probe": float(lin), "knn": float(knn)}


def release_checkpoint(src: Path, dst: Path, info: dict) -> None:
    """Copy a training checkpoint without its optimizer and RNG states (what a reader needs:
    weights, model config, history, train config), atomically."""
    state = read_checkpoint(src)
    keep = {k: v for k, v in state.items() if k not in ("optimizer", "scaler", "rng")}
    keep["meta"] = {**(keep.get("meta") or {}), **info}
    atomic_save(keep, dst)


def _build(plan: Plan, seed: int):
    """(model, loss function, lr) of the plan's kind, initialized with ``seed``."""
    sc = SCALES[plan.scale]
    if plan.kind == "contrastive":
        m = sc.model
        torch.manual_seed(seed)
        return build_contrastive(32, 4, 3, m["dim"], m["depth"], m["heads"]), contrastive_loss_fn, sc.contrastive_lr
    model = build_variant_mae(sc, setting(plan), seed)
    return model, mae_loss(model, setting(plan)["mask_ratio"], setting(plan)["augment"]), sc.lr


def run_seed(plan: Plan, seed: int, out: Path, log=print, shipped: Path | None = None, runs: Path = ROOT / "runs",
             until: int | None = None) -> None:
    """Pretrain one seed along the schedule, appending a row at every probe epoch. With
    ``until``, stop after that epoch of the schedule (the learning rate still follows the
    full schedule) and park the run (:func:`park`), so a later call goes on from there."""
    shipped = shipped or shipped_folder(plan)
    torch.set_num_threads(plan.threads)
    sc = SCALES[plan.scale]
    pre, train, test = ablation_data(plan.scale, 0)
    done = {r["epochs"] for r in load_rows(out)["rows"] if r["seed"] == seed}
    final = shipped / f"seed{seed}.pt"
    if plan.epochs in done and final.exists():
        return
    model, loss_fn, lr = _build(plan, seed)
    ckdir = run_dir(plan, runs, seed)
    parked = shipped / "resume" / f"seed{seed}.pt"
    if parked.exists() and not (ckdir / "checkpoint.pt").exists():  # a run parked by an earlier session
        ckdir.mkdir(parents=True, exist_ok=True)
        shutil.copy(parked, ckdir / "checkpoint.pt")
        log(f"seed {seed}: resuming the parked run {parked}")
    cfg = TrainConfig(epochs=plan.epochs, batch_size=sc.batch_size, lr=lr, warmup_epochs=plan.warmup_epochs, seed=seed,
                      device="cpu", precision="fp32", checkpoint_dir=str(ckdir), save_every=plan.save_every)

    def on_epoch_end(epoch: int, history) -> dict:
        e = epoch + 1
        if e in plan.probe_at and e not in done:
            was = model.training
            row = {"epochs": e, "seed": seed, "mask_ratio": plan.mask_ratio if plan.kind == "mae" else None,
                   **probe(model.encoder, train, test, seed, plan.scale),
                   "minutes": round(sum(history.epoch_time) / 60, 2), "loss": history.epoch_loss[-1],
                   "threads": plan.threads, "load": load_average(), "torch": torch.__version__,
                   "date": utc_now()}
            model.train(was)
            append_row(out, row, ("seed", "epochs"), _provenance(plan), SCHEMA)
            log(f"seed {seed} epoch {e}: linear {row['linear_probe']:.3f}  kNN {row['knn']:.3f}  "
                f"({row['minutes']:.1f} min, load {row['load']})")
        return {}

    meta = {"made_by": "python -m maelearn.experiments length", "results": f"data/{out.name}", "dataset": "scenes"}
    history = fit(model, pre, loss_fn, cfg, resume="auto", progress=False, on_epoch_end=on_epoch_end, meta=meta,
                  stop_after_epoch=until)
    if len(history.epoch_loss) < plan.epochs:  # stopped early (until): park it for the next call
        park(dataclasses.replace(plan, seeds=(seed,)), shipped, runs, log)
        return
    shipped.mkdir(parents=True, exist_ok=True)
    info = {"seed": seed, "epochs": plan.epochs, "setting": setting(plan), "kind": plan.kind}
    if plan.kind == "contrastive":  # no model config to rebuild it from: ship the encoder's weights
        atomic_save({"encoder": model.encoder.state_dict(), "model": SCALES[plan.scale].model, "meta": info}, final)
    else:
        release_checkpoint(ckdir / "checkpoint.pt", final, info)
    parked.unlink(missing_ok=True)


def park(plan: Plan, shipped: Path | None = None, runs: Path = ROOT / "runs", log=print) -> list[Path]:
    """Copy the last checkpoint of every unfinished seed next to the shipped models
    (``resume/seed<N>.pt``), so that a run cut short by the end of a working session, whose
    ``runs/`` folder is not kept, resumes in the next one from where it stopped; the final
    model replaces it. Returns the parked files."""
    shipped = shipped or shipped_folder(plan)
    out = []
    for seed in plan.seeds:
        src = run_dir(plan, runs, seed) / "checkpoint.pt"
        if (shipped / f"seed{seed}.pt").exists() or not src.exists():
            continue
        dst = shipped / "resume" / f"seed{seed}.pt"
        state = read_checkpoint(src)
        atomic_save(state, dst)
        log(f"seed {seed}: parked epoch {state['epoch']} of {plan.epochs} at {dst}")
        out.append(dst)
    return out


RESULTS = results_file(Plan())  # the course's MAE: data/pretraining_length_cpu.json


def load_shipped(seed: int = 0, folder: Path = SHIPPED, results: Path = RESULTS):
    """The long-schedule scenes MAE of ``seed`` that ships with the course, in eval mode on
    the CPU, and what is known of it: ``(model, {"epochs", "final_loss", "setting", "curve":
    its probe rows from the results file, "path"})``; ``None`` before it has been made
    (``python -m maelearn.experiments length`` makes it)."""
    path = folder / f"seed{seed}.pt"
    if not path.exists():
        return None
    model, state = load_checkpoint(path)
    rows = [r for r in load_rows(results)["rows"] if r["seed"] == seed] if results.exists() else []
    info = {"epochs": state["epoch"], "final_loss": state["history"].final_loss, "setting": state["meta"].get("setting"),
            "train_config": state.get("train_config"), "curve": rows,
            "path": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)}
    return model.eval(), info


#: Figure 5's ratios on the long schedule (0.75 is the course's MAE, the others its own files).
FIGURE5_RATIOS = (0.25, 0.5, 0.75, 0.9)


def figure5(ratios: tuple[float, ...] = FIGURE5_RATIOS, min_seeds: int = 3, files: dict | None = None,
            epoch: int | None = None) -> dict:
    """The paper's Figure 5 on the long schedule: the latest probed epoch that every ratio
    has reached with at least ``min_seeds`` seeds (runs are extended a stretch at a time,
    ``--until``), and there each ratio's rows and 75 % minus each other ratio, paired by
    seed, for the linear probe and the kNN (in accuracy points) with the verdict of
    :data:`maelearn.experiments.ablations.COMPARISONS`' Figure 5 rows (the paper: 75 % beats
    the lower ratios and 90 %). ``files`` maps a ratio to its results file (default
    :func:`results_file`). Returns ``{"epoch", "seeds": {ratio: n at the epoch},
    "rows": {ratio: [row, ...]}, "pairs": [{ratio, metric, mean, lo, hi, n, verdict}],
    "curves": {ratio: [(epoch, mean linear probe, seeds), ...]} (every probed epoch), "schedule",
    "common": [every epoch all ratios reached]}``; ``epoch`` is None while no epoch is common
    to all. Pass ``epoch`` (one of ``common``) to compare at an earlier epoch. Taught in lesson 09."""
    files = files or {r: results_file(Plan(mask_ratio=r)) for r in ratios}
    rows = {r: load_rows(files[r])["rows"] for r in ratios}
    seeds_at = {r: {} for r in ratios}
    for r in ratios:
        for row in rows[r]:
            seeds_at[r].setdefault(row["epochs"], set()).add(row["seed"])
    curves = {r: [(e, sum(row["linear_probe"] for row in rows[r] if row["epochs"] == e) / len(seeds_at[r][e]),
                   len(seeds_at[r][e])) for e in sorted(seeds_at[r])] for r in ratios}
    common = [e for e in Plan().probe_at if all(len(seeds_at[r].get(e, ())) >= min_seeds for r in ratios)]
    if epoch is not None and epoch not in common:
        raise ValueError(f"epoch {epoch}: not an epoch every ratio reached with {min_seeds} seeds; those are {common}")
    epoch = epoch if epoch is not None else max(common) if common else None
    out = {"epoch": epoch, "schedule": Plan().epochs, "seeds": {}, "rows": {}, "pairs": [], "curves": curves,
           "common": common}
    if epoch is None:
        return out
    at = {r: {row["seed"]: row for row in rows[r] if row["epochs"] == epoch} for r in ratios}
    out["seeds"] = {r: len(at[r]) for r in ratios}
    out["rows"] = {r: [at[r][s] for s in sorted(at[r])] for r in ratios}
    paper = {b: (sign, effect) for _, a, b, metric, sign, _, effect in COMPARISONS
             if a == "mae" and b.startswith("mask_ratio_") and metric == "linear_probe"}
    for r in ratios:
        if r == 0.75:
            continue
        both = sorted(set(at[0.75]) & set(at[r]))
        sign, effect = paper.get(f"mask_ratio_{r:g}", (+1, None))
        for metric in ("linear_probe", "knn"):
            if len(both) < 2:
                continue
            m, lo, hi = (100 * v for v in paired_interval([at[0.75][s][metric] for s in both],
                                                           [at[r][s][metric] for s in both]))
            out["pairs"].append({"ratio": r, "metric": metric, "mean": m, "lo": lo, "hi": hi, "n": len(both),
                                 "verdict": verdict_from_bounds(lo, hi, sign, effect if metric == "linear_probe" else None)})
    return out


@command("length")
def main(argv: list[str]) -> int:
    """``python -m maelearn.experiments length [options]``; expected failures are one line and exit
    status 2 (:mod:`maelearn.cli`)."""
    p = cli.ArgumentParser(prog="python -m maelearn.experiments length", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=cli.integer(minimum=0), nargs="+", default=list(Plan.seeds))
    p.add_argument("--kind", choices=KINDS, default="mae",
                   help="mae (200 epochs) or contrastive (64 epochs, planned as the same compute, timed at about 3/4 of it; "
                        "default --out data/pretraining_length_contrastive_cpu.json)")
    p.add_argument("--mask-ratio", type=cli.ratio, default=0.75,
                   help="the MAE's mask ratio (default 0.75); another ratio is Figure 5 on this schedule, "
                        "written to data/pretraining_length_r<ratio>_cpu.json")
    p.add_argument("--epochs", type=cli.integer(minimum=1), default=None,
                   help="the schedule's length (default 200 for the MAE, 64 for the contrastive encoder); probes at "
                        "5, 12.5, 25, 50, 75 and 100 %% of it")
    p.add_argument("--out", type=cli.nonempty_path, default=None,
                   help="results JSON (default data/pretraining_length<tag>_cpu.json)")
    p.add_argument("--threads", type=cli.integer(minimum=1), default=1, help="torch CPU threads per seed (default 1)")
    p.add_argument("--until", type=cli.integer(minimum=1), default=None,
                   help="stop each seed after this epoch of its schedule (the learning rate still follows the whole "
                        "schedule) and park it, as --park does; the same command without --until goes on from there")
    p.add_argument("--speed", action="store_true",
                   help="train nothing to keep: time the study's step on 1 and 2 threads, fp32 and bf16, and write "
                        "the minutes to a 0.50 linear probe to data/pretraining_speed_cpu.json (run it on an idle machine)")
    p.add_argument("--park", action="store_true",
                   help="train nothing: copy the last checkpoint of each unfinished seed to "
                        "data/pretrained/mae_scenes_long/resume/, where the next run resumes it")
    args = p.parse_args(argv)
    extra = dict(CONTRASTIVE_PLAN) if args.kind == "contrastive" else {}
    if args.epochs is not None:
        e = args.epochs
        extra.update(epochs=e, warmup_epochs=max(1, round(0.05 * e)),
                     probe_at=tuple(sorted({max(1, round(f * e)) for f in (0.05, 0.125, 0.25, 0.5, 0.75, 1.0)})))
    try:
        plan = Plan(seeds=tuple(args.seeds), threads=args.threads, mask_ratio=args.mask_ratio, **extra)
    except ValueError as err:
        raise cli.UsageError(f"--mask-ratio {args.mask_ratio}: {err}") from None
    if args.park:
        park(plan)
        return 0
    if args.speed:
        out = Path(args.out) if args.out else SPEED_RESULTS
        check_json_output(out, "pretraining_speed.json")
        precisions = ("fp32", "bf16") if plan.kind == "mae" else ("fp32",)
        return run_writing(out, lambda: speed(precisions=precisions, plan=plan, out=out))
    out = Path(args.out) if args.out else results_file(plan)

    check_json_output(out, "pretraining_length.json")
    load_rows(out)
    if args.until is not None and args.until > plan.epochs:
        raise cli.UsageError(f"--until {args.until}: expected an epoch of the {plan.epochs}-epoch schedule (1 to {plan.epochs})")
    return run_writing(out, lambda: [run_seed(plan, seed, out, until=args.until) for seed in plan.seeds])


if __name__ == "__main__":
    sys.exit(main())
