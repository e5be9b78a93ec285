"""How fast is an MAE pretraining step? ``python -m maelearn.bench``. (How fast is the input
pipeline? ``python -m maelearn.bench --loader``: :mod:`maelearn.bench.loader`.)

Times full training steps of our :class:`~maelearn.mae.MAE` (eager and/or ``torch.compile``)
and of the installed peers of :mod:`maelearn.bench.peers` at the same sizes; prints images/s,
TFLOP/s, MFU, peak GPU memory and our speed ratio to each peer. The GPU runs of ``data/``::

    python -m maelearn.bench --preset base  --batch-size 256 --compile both --out data/bench_h100_vit_b.json
    python -m maelearn.bench --preset large --batch-size 256 --compile both --out data/bench_h100_vit_l.json
"""

from __future__ import annotations

import gc
import json
import shlex
import sys
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from functools import partial

import torch
from torch import nn

from maelearn import cli
from maelearn.bench.flops import mae_flops, mfu, peak_tflops
from maelearn.bench.loader import main as loader_main
from maelearn.bench.peers import PEERS, available_peers, build_peer
from maelearn.bench.timing import device_name, hardware, time_steps
from maelearn.config import device as pick_device
from maelearn.config import seed_everything
from maelearn.mae import PRESETS, mae_config
from maelearn.train import make_optimizer

PRECISIONS = ("bf16", "fp32")
COMPILE_CHOICES = ("off", "on", "both")


@dataclass
class RunResult:
    """One implementation, eager or compiled, timed over ``steps`` training steps."""

    impl: str  # "ours", "timm" or "hf"
    compiled: bool
    images_per_s: float
    step_ms: float  # time per step (mean on a GPU, median on a CPU)
    tflops: float  # achieved model TFLOP/s (analytic count / time)
    mfu: float | None  # tflops / the GPU's peak; None on a CPU or an unknown GPU
    peak_memory_gib: float | None  # torch.cuda.max_memory_allocated; None on a CPU
    final_loss: float
    trainable_params: int


def time_training(module: nn.Module, loss: Callable[[], torch.Tensor], steps: int, warmup: int, *,
                  lr: float = 1.5e-4, sync_each: bool = False) -> tuple[float, float]:
    """Run ``warmup`` untimed then ``steps`` timed training steps (zero grads, ``loss()``,
    backward, AdamW step of :func:`maelearn.train.make_optimizer`) of ``module``; return the
    seconds per step and the last loss. The one training-step timer of the benchmark and the
    ablations (``sync_each``: see :func:`~maelearn.bench.timing.time_steps`).

    On a GPU the timed steps run back to back with one synchronization at the end (the CPU
    queues work ahead, as in training) and the mean is returned; on a CPU, whose speed
    varies with other processes, the median of per-step times."""
    opt = make_optimizer(module, lr=lr)

    def step() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        value = loss()
        value.backward()
        opt.step()
        return value

    timed = time_steps(step, steps, warmup, next(module.parameters()).device, sync_each=sync_each)
    return timed.seconds, float(timed.last.detach().float())


def _forward_loss(forward: nn.Module, imgs: torch.Tensor, autocast) -> torch.Tensor:
    with autocast:
        return forward(imgs)


def bench_one(
    impl: str,
    config,
    batch_size: int,
    precision: str,
    compiled: bool,
    device: torch.device,
    steps: int,
    warmup: int,
    mask_ratio: float = 0.75,
    peak: float | None = None,
    compile_backend: str = "inductor",
    compile_mode: str | None = None,
    seed: int = 0,
) -> RunResult:
    """Build ``impl`` fresh on ``device`` and time it; peak memory counts weights, gradients,
    optimizer state and activations of this model alone."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    seed_everything(seed)
    module = build_peer(impl, config, mask_ratio).to(device)
    imgs = torch.rand(batch_size, config.in_chans, config.img_size, config.img_size, device=device)
    forward = torch.compile(module, backend=compile_backend, mode=compile_mode) if compiled else module
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if precision == "bf16" else nullcontext()
    step_s, loss = time_training(module, partial(_forward_loss, forward, imgs, autocast), steps, warmup)
    ips = batch_size / step_s
    flops = mae_flops(config, mask_ratio).train_step
    mem = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    params = sum(p.numel() for p in module.parameters() if p.requires_grad)
    del module, imgs
    return RunResult(
        impl=impl,
        compiled=compiled,
        images_per_s=ips,
        step_ms=1e3 * step_s,
        tflops=ips * flops / 1e12,
        mfu=mfu(ips, flops, peak),
        peak_memory_gib=mem,
        final_loss=loss,
        trainable_params=params,
    )


def run_bench(
    preset: str = "tiny",
    batch_size: int = 8,
    precision: str = "fp32",
    compile: str = "off",
    peers: list[str] | None = None,
    steps: int = 10,
    warmup: int = 3,
    mask_ratio: float = 0.75,
    device: str | torch.device = "cpu",
    peak: float | None = None,
    compile_backend: str = "inductor",
    compile_mode: str | None = None,
    seed: int = 0,
) -> dict:
    """Time ours and ``peers`` (default: every installed one) and return the report dict."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if compile not in COMPILE_CHOICES:
        raise ValueError(f"compile must be one of {COMPILE_CHOICES}, got {compile!r}")
    for name, value in (("batch_size", batch_size), ("steps", steps)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int, got {warmup!r}")
    peers = available_peers() if peers is None else list(peers)
    for p in peers:
        if p not in PEERS:
            raise ValueError(f"peers must be a subset of {PEERS}, got {p!r}")
    missing = [p for p in peers if p not in available_peers()]
    if missing:
        raise ImportError(f"peers {missing} are not installed (pip install timm transformers)")

    device = torch.device(device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True  # fp32 runs only; bf16 matmuls are unaffected
        torch.backends.cudnn.allow_tf32 = True
    name = device_name(device)
    if peak is None:
        peak = peak_tflops(name) if device.type == "cuda" else None
    config = mae_config(preset)
    flops = mae_flops(config, mask_ratio)
    modes = {"off": [False], "on": [True], "both": [False, True]}[compile]

    results: list[RunResult] = []
    for compiled in modes:
        for impl in ["ours", *peers]:
            results.append(
                bench_one(impl, config, batch_size, precision, compiled, device, steps, warmup,
                          mask_ratio, peak, compile_backend, compile_mode, seed)
            )

    ratios = {}
    for compiled in modes:
        ours = next(r for r in results if r.impl == "ours" and r.compiled == compiled)
        for r in results:
            if r.impl != "ours" and r.compiled == compiled:
                key = f"ours/{r.impl}{'_compiled' if compiled else '_eager'}"
                ratios[key] = {
                    "speed": ours.images_per_s / r.images_per_s,
                    "memory": (ours.peak_memory_gib / r.peak_memory_gib) if r.peak_memory_gib else None,
                }
    if len(modes) == 2:
        for impl in ["ours", *peers]:
            e, c = (next(r for r in results if r.impl == impl and r.compiled == m) for m in (False, True))
            ratios[f"{impl}_compiled/{impl}_eager"] = {"speed": c.images_per_s / e.images_per_s, "memory": None}

    return {
        "command": None,  # filled in by main()
        "settings": {
            "preset": preset, "config": asdict(config), "batch_size": batch_size, "precision": precision,
            "compile": compile, "compile_backend": compile_backend,
            "compile_mode": compile_mode, "mask_ratio": mask_ratio,
            "steps": steps, "warmup": warmup, "optimizer": "maelearn.train.make_optimizer: AdamW(betas=(0.9, 0.95)), wd 0.05 except biases and 1-D, fused where available",
            "data": "synthetic uniform images, fixed across steps", "seed": seed,
        },
        "hardware": {**hardware(device, ("timm", "transformers")), "peak_bf16_tflops": peak},
        "versions": hardware(device, ("timm", "transformers"))["versions"],
        "flops_per_image": flops.as_dict(),
        "results": [asdict(r) for r in results],
        "ratios": ratios,
    }


def format_report(report: dict) -> str:
    """A plain-text table of a :func:`run_bench` report."""
    s, hw = report["settings"], report["hardware"]
    lines = [
        f"MAE pretraining step: preset={s['preset']} batch={s['batch_size']} precision={s['precision']} "
        f"mask={s['mask_ratio']} on {hw['name']} ({hw['device']})",
        f"analytic model FLOPs per image per training step: {report['flops_per_image']['train_step'] / 1e9:.3f} GFLOP"
        + (f"; peak {hw['peak_bf16_tflops']} TFLOP/s" if hw["peak_bf16_tflops"] else "; no peak known: MFU n/a"),
        f"{'impl':<6} {'mode':<9} {'img/s':>10} {'step ms':>9} {'TFLOP/s':>9} {'MFU':>7} {'peak GiB':>9} {'loss':>8}",
    ]
    for r in report["results"]:
        mfu_s = f"{100 * r['mfu']:.1f}%" if r["mfu"] is not None else "n/a"
        mem_s = f"{r['peak_memory_gib']:.2f}" if r["peak_memory_gib"] is not None else "n/a"
        lines.append(
            f"{r['impl']:<6} {'compiled' if r['compiled'] else 'eager':<9} {r['images_per_s']:>10.1f} "
            f"{r['step_ms']:>9.2f} {r['tflops']:>9.4f} {mfu_s:>7} {mem_s:>9} {r['final_loss']:>8.4f}"
        )
    for key, v in report["ratios"].items():
        mem = f", memory x{v['memory']:.2f}" if v["memory"] is not None else ""
        lines.append(f"{key}: speed x{v['speed']:.2f}{mem}")
    return "\n".join(lines)


@cli.guarded("python -m maelearn.bench")
def main(argv: list[str] | None = None) -> dict:
    given = sys.argv[1:] if argv is None else list(argv)
    if "--loader" in given:  # the input-pipeline benchmark: see maelearn.bench.loader

        return loader_main([a for a in given if a != "--loader"])
    cuda = torch.cuda.is_available()
    parser = cli.ArgumentParser(prog="python -m maelearn.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="base" if cuda else "tiny", choices=sorted(PRESETS))
    parser.add_argument("--batch-size", type=cli.integer(1), default=256 if cuda else 8)
    parser.add_argument("--precision", default="bf16" if cuda else "fp32", choices=PRECISIONS)
    parser.add_argument("--compile", default="both" if cuda else "off", choices=COMPILE_CHOICES,
                        help="time the eager path, the torch.compile path, or both (default: both on CUDA, off on CPU)")
    parser.add_argument("--compile-backend", default="inductor", help="torch.compile backend (default inductor)")
    parser.add_argument("--compile-mode", default=None,
                        help="torch.compile mode, e.g. max-autotune or reduce-overhead (default: torch's default)")
    parser.add_argument("--peers", default="auto",
                        help="comma-separated peers among timm,hf; 'auto' = those installed; 'none' = ours only")
    parser.add_argument("--steps", type=cli.integer(1), default=20 if cuda else 5)
    parser.add_argument("--warmup", type=cli.integer(0), default=5 if cuda else 2)
    parser.add_argument("--mask-ratio", type=cli.ratio, default=0.75, help="in [0, 1) (default 0.75)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps (default: $MAELEARN_DEVICE, else cuda when visible)")
    parser.add_argument("--peak-tflops", type=cli.finite(0, strict=True), default=None,
                        help="override the GPU's peak bf16 TFLOP/s for MFU")
    parser.add_argument("--seed", type=cli.seed, default=0)
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    parser.add_argument("--out", default=None, help="also write the JSON report to this file")
    args = parser.parse_args(argv)

    args.device = str(pick_device(args.device, source="--device"))  # unknown or absent: one clear line
    if args.compile != "off":
        _check_compile(args.compile_backend, args.compile_mode)
    if args.out:
        cli.check_output_file(args.out, "--out", "bench.json")
    peers = None if args.peers == "auto" else [] if args.peers == "none" else [p for p in args.peers.split(",") if p]
    report = run_bench(
        preset=args.preset, batch_size=args.batch_size, precision=args.precision, compile=args.compile,
        peers=peers, steps=args.steps, warmup=args.warmup, mask_ratio=args.mask_ratio, device=args.device,
        peak=args.peak_tflops, compile_backend=args.compile_backend, compile_mode=args.compile_mode, seed=args.seed,
    )
    argv_used = sys.argv[1:] if argv is None else argv
    report["command"] = "python -m maelearn.bench " + " ".join(shlex.quote(a) for a in argv_used)
    text = json.dumps(report, indent=2)
    print(text if args.json else format_report(report))
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return report


def _check_compile(backend: str, mode: str | None) -> None:
    """Refuse an unknown ``--compile-backend`` / ``--compile-mode`` before any timing."""
    import torch._dynamo

    backends = [b for b in torch._dynamo.list_backends(exclude_tags=()) if "TESTING" not in b]
    if backend not in backends:
        raise cli.UsageError(f"--compile-backend {backend!r} is not a torch.compile backend; expected one of {', '.join(backends)}")
    modes = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
    if mode is not None and mode not in modes:
        raise cli.UsageError(f"--compile-mode {mode!r} is not a torch.compile mode; expected one of {', '.join(modes)}")
