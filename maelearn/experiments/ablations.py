"""The MAE paper's ablations (Table 1, Figure 9) at small scale, as one re-runnable command.

    python -m maelearn.experiments ablations --device cuda --scale full --out data/ablations_full.json
    python -m maelearn.experiments ablations --device cpu  --scale cpu  --out data/ablations_cpu.json

Every variant is pretrained with :func:`maelearn.train.pretrain` on real handwritten
digits (scikit-learn's, offline; no labels), then judged on a labelled split by a linear probe
(:func:`maelearn.evaluate.linear_probe`) and a (partial) fine-tune
(:func:`maelearn.evaluate.fine_tune`). The sweeps follow Table 1: mask ratio, masking
strategy (random / block / grid), decoder depth, reconstruction target (normalized pixels
or raw), loss on removed patches only or on all, and mask tokens in the encoder or not,
with the measured training-step time of each. A separate sweep fine-tunes the last
``k`` blocks of the baseline encoder (Figure 9).

The result is a JSON file that records the command, the hardware, the torch version, the
date and every number, so a lesson can plot it and anyone can re-run it. Scales:

* ``quick``: a cut-down sweep for a lesson in quick mode (seconds);
* ``cpu``: every sweep at a size that finishes in about 15 minutes on two CPU cores;
* ``full``: every sweep at a size worth reading, for a GPU (tens of minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import torch

from maelearn.config import ROOT, seed_everything
from maelearn.config import device as pick_device
from maelearn.data.images import ImageSet, digits
from maelearn.config import cpu_threads
from maelearn.evaluate import fine_tune, linear_probe
from maelearn.bench.flops import mae_flops
from maelearn.mae import MAE, build_mae
from maelearn.masking import num_visible
from maelearn.train import TrainConfig, make_optimizer, pretrain

#: The paper's Table 1 (ViT-L/16, 800 epochs, ImageNet-1K): (fine-tune %, linear %), as
#: cited in the course design (COURSE.md). ``None``: the paper gives no such number.
PAPER_TABLE1: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "mask_ratio": {"0.1": (None, 54.6), "0.75": (84.9, 73.5), "0.9": (None, 66.1)},
    "masking": {"random": (84.9, 73.5), "block": (82.8, 63.9), "grid": (84.0, 66.0)},
    "decoder_depth": {"1": (84.8, 65.5), "8": (84.9, 73.5)},
    "target": {"pixel": (84.9, 73.5), "norm_pixel": (85.4, 73.9)},
    "encoder_mask_tokens": {"no": (84.9, 73.5), "yes": (84.2, 59.6)},
}
#: The paper's wall-clock speedups of the asymmetric design over an encoder that sees mask
#: tokens (ViT-L, Table 2 of the paper): decoder depth -> speedup.
PAPER_SPEEDUP = {"1": 3.7, "8": 2.8}
PAPER_NOTES = (
    "He et al. 2021, Table 1 (ViT-L/16, 800 epochs): fine-tune / linear %. Decoder depth 1 keeps "
    "fine-tune at about 84.9 (the course cites 'stays ≈84.9'); mask tokens in the encoder cost 3.3x FLOPs; "
    "the asymmetric design trains 2.8x (8-block decoder) to 3.7x (1-block) faster."
)

SWEEPS = ("mask_ratio", "masking", "decoder_depth", "target", "loss_on", "encoder_mask_tokens")


@dataclass(frozen=True)
class Scale:
    """How big an ablation run is. ``model`` overrides the ``tiny`` MAE preset;
    ``ft_last_k`` is the number of blocks fine-tuned in the sweeps (``None``: all)."""

    n_pretrain: int
    n_train: int
    n_test: int
    epochs: int
    batch_size: int = 64
    lr: float = 1.5e-3
    model: dict = field(default_factory=dict)
    probe_steps: int = 200
    ft_epochs: int = 2
    ft_last_k: int | None = 1
    ft_lr: float = 3e-3
    ft_batch_size: int = 32
    time_steps: int = 6
    mask_ratios: tuple[float, ...] = (0.25, 0.5, 0.75, 0.9)
    decoder_depths: tuple[int, ...] = (1, 2, 4)
    sweeps: tuple[str, ...] = SWEEPS
    partial_ks: tuple[int | None, ...] | None = None  # None: 0 .. depth, then full


SCALES: dict[str, Scale] = {
    "quick": Scale(
        n_pretrain=512, n_train=512, n_test=400, epochs=2, batch_size=64, lr=2e-3,
        model=dict(dim=32, depth=2, heads=2, decoder_dim=32, decoder_depth=1, decoder_heads=2),
        probe_steps=100, ft_epochs=1, ft_batch_size=64, time_steps=2, mask_ratios=(0.25, 0.75, 0.9), decoder_depths=(1,),
        sweeps=("mask_ratio", "encoder_mask_tokens"), partial_ks=(0, None),
    ),
    "cpu": Scale(
        n_pretrain=1297, n_train=1000, n_test=500, epochs=8, batch_size=64, lr=2e-3,
        model=dict(dim=48, depth=3, heads=4, decoder_dim=32, decoder_depth=2, decoder_heads=4),
        probe_steps=150, ft_epochs=4, ft_last_k=1, ft_batch_size=64, time_steps=3, partial_ks=(0, 1, 3),
        mask_ratios=(0.1, 0.25, 0.5, 0.75, 0.9), decoder_depths=(1, 2, 4),
    ),
    "full": Scale(
        n_pretrain=1297, n_train=1297, n_test=500, epochs=400, batch_size=128, lr=1.5e-3,
        model=dict(dim=192, depth=6, heads=6, decoder_dim=128, decoder_depth=4, decoder_heads=4),
        probe_steps=500, ft_epochs=20, ft_last_k=None, time_steps=30,
        mask_ratios=(0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.85, 0.9, 0.95), decoder_depths=(1, 2, 4, 8),
    ),
}

BASELINE = dict(mask_ratio=0.75, masking="random", norm_pix_loss=True, loss_on="masked", encoder_mask_tokens=False)


# -- data and models -------------------------------------------------------------------------


def ablation_data(scale: Scale, seed: int = 0) -> tuple[torch.Tensor, ImageSet, ImageSet]:
    """Pretraining images (N, 1, 32, 32) and a labelled train/test split of scikit-learn's
    real handwritten digits (10 classes), upsampled to 32 px. The encoder is pretrained on
    the training images without their labels (the first ``n_pretrain``), the probes are
    trained on the first ``n_train`` of them with labels and tested on ``n_test`` others."""
    data = digits(32)
    if scale.n_train + scale.n_test > len(data) or scale.n_pretrain > len(data) - scale.n_test:
        raise ValueError(f"the digits have {len(data)} images: n_train + n_test and n_pretrain + n_test must fit")
    train_all, test = data.split(len(data) - scale.n_test, seed=seed)
    test = test[: scale.n_test]
    return train_all.images[: scale.n_pretrain], train_all[: scale.n_train], test


def variant_model(scale: Scale, decoder_depth: int | None = None, seed: int = 0, **switches) -> MAE:  # noqa: D417
    """The MAE of one variant: the ``tiny`` preset with the scale's sizes and the switches
    (``masking``, ``norm_pix_loss``, ``loss_on``, ``encoder_mask_tokens``)."""
    opts = {**BASELINE, **switches}
    overrides = {"in_chans": 1, "img_size": 32, "patch_size": 4, **scale.model}
    if decoder_depth is not None:
        overrides["decoder_depth"] = decoder_depth
    torch.manual_seed(seed)
    return build_mae(
        "tiny", encoder_mask_tokens=opts["encoder_mask_tokens"], masking=opts["masking"],
        norm_pix_loss=opts["norm_pix_loss"], loss_on=opts["loss_on"], **overrides,
    )


def time_train_step(model: MAE, images: torch.Tensor, mask_ratio: float, batch_size: int, steps: int, warmup: int = 2) -> float:
    """Median wall-clock seconds of one training step (forward, backward, AdamW) on
    ``batch_size`` images, after ``warmup`` untimed steps; the model is restored afterwards."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    dev = next(model.parameters()).device
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    opt = make_optimizer(model, 1e-4)
    x = images[:batch_size].to(dev)
    g = torch.Generator().manual_seed(0)
    times = []
    model.train()
    for i in range(warmup + steps):
        noise = model.make_noise(x.shape[0], mask_ratio, generator=g).to(dev)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss = model(x, mask_ratio, noise=noise).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    model.load_state_dict(state)
    return statistics.median(times)


def run_variant(scale: Scale, data, device: torch.device, mask_ratio: float = 0.75, decoder_depth: int | None = None,
                seed: int = 0, progress: bool = False, **switches) -> dict:
    """Pretrain one variant, then probe and fine-tune it. Returns a dict of its numbers."""
    pre, train, test = data
    model = variant_model(scale, decoder_depth, seed, **switches).to(device)
    t0 = time.perf_counter()
    cfg = TrainConfig(epochs=scale.epochs, batch_size=scale.batch_size, lr=scale.lr, warmup_epochs=min(1.0, scale.epochs / 4),
                      mask_ratio=mask_ratio, seed=seed, device=str(device))
    hist = pretrain(model, pre, cfg, progress=progress)
    pretrain_s = time.perf_counter() - t0
    model.eval()
    enc = model.encoder
    lin = linear_probe(enc, train, test, device=device, steps=scale.probe_steps, seed=seed)
    ft = fine_tune(enc, train, test, epochs=scale.ft_epochs, lr=scale.ft_lr, batch_size=scale.ft_batch_size, last_k_blocks=scale.ft_last_k, seed=seed, pool="mean",
                   device=device, progress=False)
    step = time_train_step(model, pre, mask_ratio, scale.batch_size, scale.time_steps)
    return {
        "linear": lin, "finetune": ft, "final_loss": hist.final_loss, "loss_curve": hist.epoch_loss,
        "step_time_s": step, "pretrain_s": pretrain_s, "mask_ratio": mask_ratio,
        "decoder_depth": model.config.decoder_depth, "encoder_tokens": model.encoder_sequence_length(mask_ratio),
        **{**BASELINE, **switches, "mask_ratio": mask_ratio},
    }, model


def _sweep_specs(scale: Scale) -> dict[str, list[tuple[str, dict]]]:
    base_depth = scale.model.get("decoder_depth", 2)
    return {
        "mask_ratio": [(f"{r:g}", dict(mask_ratio=r)) for r in scale.mask_ratios],
        "masking": [(m, dict(masking=m)) for m in ("random", "block", "grid")],
        "decoder_depth": [(str(d), dict(decoder_depth=d)) for d in scale.decoder_depths],
        "target": [("norm_pixel", dict(norm_pix_loss=True)), ("pixel", dict(norm_pix_loss=False))],
        "loss_on": [("masked", dict(loss_on="masked")), ("all", dict(loss_on="all"))],
        "encoder_mask_tokens": [("no", dict(encoder_mask_tokens=False)), ("yes", dict(encoder_mask_tokens=True))],
        "_base_depth": base_depth,
    }


def _key(opts: dict, base_depth: int) -> tuple:
    full = {**BASELINE, "decoder_depth": base_depth, **opts}
    return tuple(sorted(full.items()))


def speed_comparison(scale: Scale, device: torch.device, rounds: int = 2) -> list[dict]:
    """Training-step time of the asymmetric MAE vs the same model with mask tokens in the
    encoder, for each decoder depth, at 75 % masking. The two are timed in alternation
    (``rounds`` times) so that a busy machine slows both alike; the median is kept. The
    FLOP ratio from :func:`maelearn.bench.flops.mae_flops` is reported beside the measured one."""
    pre = digits(32).images[: max(scale.batch_size, 64)]
    out = []
    for depth in scale.decoder_depths:
        asym = variant_model(scale, depth).to(device)
        sym = variant_model(scale, depth, encoder_mask_tokens=True).to(device)
        ta, ts = [], []
        for _ in range(rounds):
            ta.append(time_train_step(asym, pre, 0.75, scale.batch_size, scale.time_steps))
            ts.append(time_train_step(sym, pre, 0.75, scale.batch_size, scale.time_steps))
        fa = mae_flops(asym.config, 0.75)
        fs = mae_flops(asym.config, 0.0)  # every token through the encoder
        flops_sym = fs.patch_embed + fs.encoder + fs.decoder_embed + fa.decoder + fa.head
        out.append({
            "decoder_depth": depth, "step_time_s": statistics.median(ta), "step_time_mask_tokens_s": statistics.median(ts),
            "speedup": speedup(ts, ta),
            "flops": fa.forward, "flops_mask_tokens": flops_sym, "flop_ratio": flops_sym / fa.forward,
        })
    return out


def partial_fine_tune_sweep(scale: Scale, model: MAE, data, device: torch.device, seed: int = 0) -> list[dict]:
    """Accuracy after fine-tuning the last ``k`` blocks of a pretrained encoder, k = 0 ..
    depth, and full fine-tuning (the paper's Figure 9)."""
    _, train, test = data
    depth = len(model.encoder.blocks)
    ks = scale.partial_ks if scale.partial_ks is not None else tuple(range(depth + 1)) + (None,)
    rows = []
    for k in ks:
        acc = fine_tune(model.encoder, train, test, epochs=scale.ft_epochs, lr=scale.ft_lr, batch_size=scale.ft_batch_size, last_k_blocks=k, seed=seed, pool="mean",
                        device=device, progress=False)
        rows.append({"blocks": "all" if k is None else k, "accuracy": acc})
    return rows


def encoder_tokens(num_patches: int, mask_ratio: float, mask_tokens_in_encoder: bool = False) -> int:
    """Tokens one image puts through the encoder: [CLS] plus the ``int(N * (1 - ratio))``
    visible patches (MAE), or [CLS] plus all N positions (mask tokens in the encoder)."""
    keep = num_visible(num_patches, mask_ratio)
    return 1 + (num_patches if mask_tokens_in_encoder else keep)


def speedup(baseline_times: list[float], times: list[float]) -> float:
    """How many times faster ``times`` are than ``baseline_times`` (seconds per step):
    the ratio of medians, which a few slow outliers (a busy machine, a first step that
    compiles kernels) do not move."""
    for name, v in (("baseline_times", baseline_times), ("times", times)):
        if len(v) == 0 or any(t <= 0 for t in v):
            raise ValueError(f"{name} must be a non-empty list of positive seconds, got {v!r}")
    return statistics.median(baseline_times) / statistics.median(times)


def hardware(device: torch.device) -> dict:
    """What the run ran on."""
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpu_count": os.cpu_count(),
            "device": str(device), "processor": platform.processor() or platform.machine()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["torch_threads"] = torch.get_num_threads()
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def run_ablations(scale: str | Scale = "quick", device: str | torch.device | None = None, sweeps: tuple[str, ...] | None = None,
                  command: str | None = None, seed: int = 0, progress: bool = True,
                  log: Callable[[str], None] | None = print) -> dict:
    """Run the ablation sweeps at ``scale`` and return the results as a JSON-ready dict:
    ``experiments[sweep] = [{"value", "linear", "finetune", "step_time_s", ...}, ...]``,
    ``speed`` (asymmetric vs mask tokens in the encoder), ``partial_finetune``, and the
    provenance (``command``, ``hardware``, ``torch``, ``date``, ``seconds``, ``scale``)."""
    if isinstance(scale, str):
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {sorted(SCALES)}, got {scale!r}")
        name, sc = scale, SCALES[scale]
    elif isinstance(scale, Scale):
        name, sc = "custom", scale
    else:
        raise TypeError(f"scale must be a name in {sorted(SCALES)} or a Scale, got {type(scale).__name__}")
    sweeps = tuple(sc.sweeps if sweeps is None else sweeps)
    bad = [s for s in sweeps if s not in SWEEPS]
    if bad:
        raise ValueError(f"sweeps must be among {SWEEPS}, got {bad}")
    dev = pick_device(str(device) if device is not None else None)
    seed_everything(seed)
    start = time.perf_counter()
    data = ablation_data(sc, seed)
    specs = _sweep_specs(sc)
    base_depth = specs.pop("_base_depth")
    cache: dict[tuple, dict] = {}
    baseline_model = None
    from tqdm.auto import tqdm

    todo = [(s, label, opts) for s in sweeps for label, opts in specs[s]]
    experiments: dict[str, list[dict]] = {s: [] for s in sweeps}
    for sweep, label, opts in tqdm(todo, desc=f"ablations ({name})", disable=not progress):
        key = _key(opts, base_depth)
        if key not in cache:
            row, model = run_variant(sc, data, dev, seed=seed, **opts)
            cache[key] = row
            if key == _key({}, base_depth):
                baseline_model = model
            if log:
                log(f"{sweep}={label}: linear {row['linear']:.3f}  fine-tune {row['finetune']:.3f}  "
                    f"loss {row['final_loss']:.4f}  step {1000 * row['step_time_s']:.0f} ms")
        experiments[sweep].append({"value": label, **cache[key]})
    if baseline_model is None:
        _, baseline_model = run_variant(sc, data, dev, seed=seed)
    partial = partial_fine_tune_sweep(sc, baseline_model, data, dev, seed)
    speed = speed_comparison(sc, dev) if "encoder_mask_tokens" in sweeps else []
    return {
        "command": command or f"python -m maelearn.experiments ablations --device {dev.type} --scale {name}",
        "scale": name,
        "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(sc).items()},
        "dataset": "maelearn.data.digits(32): scikit-learn's 1,797 handwritten digits, 32x32 grey, 10 classes; "
                   "pretraining on the training images without labels",
        "hardware": hardware(dev),
        "torch": torch.__version__,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - start,
        "experiments": experiments,
        "speed": speed,
        "partial_finetune": partial,
        "paper": {"table1": {k: {kk: list(vv) for kk, vv in v.items()} for k, v in PAPER_TABLE1.items()},
                  "speedup": PAPER_SPEEDUP, "notes": PAPER_NOTES},
    }


def save_results(results: dict, path: str | Path) -> Path:
    """Write results as JSON (atomically: a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(results, indent=1, default=float) + "\n")
    os.replace(tmp, path)
    return path


def load_results(prefer: tuple[str, ...] = ("full", "cpu"), folder: str | Path | None = None) -> dict | None:
    """The first shipped ``data/ablations_<scale>.json`` in ``prefer`` order, or ``None``."""
    folder = Path(folder) if folder is not None else ROOT / "data"
    for name in prefer:
        path = folder / f"ablations_{name}.json"
        if path.exists():
            results = json.loads(path.read_text())
            results["path"] = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
            return results
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maelearn.experiments", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ab = sub.add_parser("ablations", help="run the Table 1 sweeps and write a JSON file")
    ab.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    ab.add_argument("--scale", default="full", choices=sorted(SCALES))
    ab.add_argument("--out", default=None, help="JSON path (default: data/ablations_<scale>.json)")
    ab.add_argument("--sweeps", nargs="*", default=None, choices=SWEEPS, help="only these sweeps")
    ab.add_argument("--seed", type=int, default=0)
    ab.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads (1 is much faster on a CPU shared with other jobs)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        try:
            cpu_threads(args.threads)
        except ValueError as err:
            raise SystemExit(f"--threads: {err}") from None
    out = Path(args.out) if args.out else ROOT / "data" / f"ablations_{args.scale}.json"
    command = "python -m maelearn.experiments " + " ".join(argv if argv is not None else sys.argv[1:])
    results = run_ablations(args.scale, args.device, tuple(args.sweeps) if args.sweeps else None, command=command, seed=args.seed)
    print(f"wrote {save_results(results, out)} in {results['seconds']:.0f} s")
    return 0

