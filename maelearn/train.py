"""The pretraining engine: MAE's optimizer, learning-rate schedule, mixed precision,
atomic checkpoints with exact resume, and multi-GPU data parallelism.

It trains any model whose ``forward(x, mask_ratio, noise=None)`` returns an object with a
scalar ``.loss`` (:class:`maelearn.mae.MAE`, and the video and audio MAEs). The recipe is
the paper's (He et al., 2021, Appendix A.1):

* AdamW with betas (0.9, 0.95) and weight decay 0.05, except on biases, 1-D parameters
  (norms) and the learned tokens (:func:`param_groups`);
* ``lr = base_lr * effective_batch / 256`` with base 1.5e-4, set every iteration: a linear
  warmup from 0, then a half-cycle cosine down to ``min_lr`` (:func:`lr_at`);
* bf16 autocast on a GPU (fp16 needs a gradient scaler and is fragile), fp32 on a CPU.

Small datasets live on the device as one tensor (N, C, H, W); every epoch draws a seeded
permutation and slices batches out of it, so no DataLoader (and no worker process) is
involved. Everything random (the order of the images, the mask noise, torch's own RNG) is
seeded, and its state goes into the checkpoint: training 2 epochs, stopping and resuming
for 2 more gives bit-identical weights to 4 uninterrupted epochs on a CPU.

Launch on several GPUs with ``torchrun --nproc_per_node G ...``: when ``WORLD_SIZE > 1``
:func:`pretrain` joins the process group (NCCL on CUDA, Gloo on CPU), wraps the model in
``DistributedDataParallel``, gives each rank its own slice of every epoch's permutation,
and lets only rank 0 print and write checkpoints.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
import time
import warnings
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator

import torch
import torch.distributed as dist
from torch import nn

from maelearn.checks import check_float_tensor, check_mask_ratio
from maelearn.config import device as pick_device

# Checkpoint I/O lives in maelearn.checkpoint; re-exported here for existing callers.
from maelearn.checkpoint import (  # noqa: E402,F401
    CHECKPOINT_NAME,
    FORMAT,
    _rebuild,
    atomic_save,
    load_checkpoint,
    model_config,
    read_checkpoint,
)
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


# --- the recipe: parameter groups and learning rate -----------------------------------------


def no_weight_decay(name: str, param: torch.Tensor, skip: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether ``param`` (called ``name`` in ``model.named_parameters()``) is exempt from
    weight decay: biases, 1-D tensors (LayerNorm weights), learned tokens (names ending in
    ``token``: [CLS], mask tokens) and names in ``skip``."""
    return param.ndim <= 1 or name.endswith(".bias") or name.split(".")[-1].endswith("token") or name in skip


def param_groups(model: nn.Module, weight_decay: float = 0.05) -> list[dict]:
    """Two AdamW parameter groups: ``weight_decay`` for weight matrices, 0 for biases, norms
    and tokens (:func:`no_weight_decay`, plus the model's optional ``no_weight_decay()``
    set of names, a timm convention). Frozen parameters (``requires_grad=False``, such as the
    fixed sin-cos positions) are left out. Each group carries its parameter ``names``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(weight_decay, (int, float)) or weight_decay < 0 or math.isnan(weight_decay):
        raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    skip = set(model.no_weight_decay()) if hasattr(model, "no_weight_decay") else set()
    decay: dict[str, list] = {"params": [], "names": []}
    no_decay: dict[str, list] = {"params": [], "names": []}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        group = no_decay if no_weight_decay(name, p, skip) else decay
        group["params"].append(p)
        group["names"].append(name)
    return [
        {**decay, "weight_decay": float(weight_decay)},
        {**no_decay, "weight_decay": 0.0},
    ]


def make_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.05) -> torch.optim.AdamW:
    """MAE's AdamW: betas (0.9, 0.95), :func:`param_groups`, the fused kernel when every
    parameter is on a CUDA device and this torch has it."""
    groups = param_groups(model, weight_decay)
    kwargs: dict[str, Any] = {}
    on_cuda = all(p.is_cuda for g in groups for p in g["params"])
    if on_cuda and "fused" in inspect.signature(torch.optim.AdamW).parameters:
        kwargs["fused"] = True
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), **kwargs)


def lr_at(step: float, total_steps: int, warmup_steps: float, lr: float, min_lr: float = 0.0) -> float:
    """The learning rate at iteration ``step`` (0-based, fractions allowed): linear warmup
    from 0 to ``lr`` over ``warmup_steps``, then a half-cycle cosine from ``lr`` down to
    ``min_lr`` at ``total_steps``; ``min_lr`` after that.

    >>> lr_at(0, 100, 10, 1.0), lr_at(5, 100, 10, 1.0), lr_at(10, 100, 10, 1.0), lr_at(100, 100, 10, 1.0)
    (0.0, 0.5, 1.0, 0.0)
    """
    if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps < 1:
        raise ValueError(f"total_steps must be an integer >= 1, got {total_steps!r}")
    if not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"warmup_steps must be in [0, total_steps={total_steps}], got {warmup_steps!r}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step!r}")
    if lr < 0 or min_lr < 0 or min_lr > lr:
        raise ValueError(f"need 0 <= min_lr <= lr, got lr={lr!r}, min_lr={min_lr!r}")
    if step < warmup_steps:
        return lr * step / warmup_steps
    if step >= total_steps:
        return min_lr
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


# --- configuration and history -------------------------------------------------------------


@dataclass
class TrainConfig:
    """How to pretrain. ``batch_size`` is per process; the effective batch is
    ``batch_size * world_size`` and sets ``lr = base_lr * effective_batch / 256`` unless an
    absolute ``lr`` is given. ``warmup_epochs`` may be fractional. ``clip_grad`` is a max
    gradient norm (``None``: off). ``precision``: ``"auto"`` (bf16 autocast on CUDA, fp16
    with a gradient scaler on GPUs without bf16, fp32 elsewhere), ``"fp32"``, ``"bf16"`` or ``"fp16"`` (with a gradient scaler).
    ``checkpoint_dir`` (``None``: no checkpoints) receives ``checkpoint.pt`` every
    ``save_every`` epochs and at the end."""

    epochs: int = 10
    batch_size: int = 64
    base_lr: float = 1.5e-4
    lr: float | None = None
    min_lr: float = 0.0
    weight_decay: float = 0.05
    warmup_epochs: float = 1.0
    mask_ratio: float = 0.75
    clip_grad: float | None = None
    seed: int = 0
    device: str | None = None
    precision: str = "auto"
    checkpoint_dir: str | None = None
    save_every: int = 1

    def __post_init__(self):
        def positive_int(name):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"TrainConfig.{name} must be an integer >= 1, got {v!r}")

        for name in ("epochs", "batch_size", "save_every"):
            positive_int(name)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise TypeError(f"TrainConfig.seed must be an int, got {self.seed!r}")
        for name in ("base_lr", "min_lr", "weight_decay", "warmup_epochs"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or v < 0 or math.isnan(v):
                raise ValueError(f"TrainConfig.{name} must be a number >= 0, got {v!r}")
        if self.lr is not None and (not isinstance(self.lr, (int, float)) or self.lr <= 0):
            raise ValueError(f"TrainConfig.lr must be None (use base_lr) or a number > 0, got {self.lr!r}")
        if self.warmup_epochs > self.epochs:
            raise ValueError(f"TrainConfig.warmup_epochs={self.warmup_epochs} exceeds epochs={self.epochs}")
        check_mask_ratio(self.mask_ratio, 10**6, "TrainConfig.mask_ratio")
        if self.clip_grad is not None and (not isinstance(self.clip_grad, (int, float)) or self.clip_grad <= 0):
            raise ValueError(f"TrainConfig.clip_grad must be None (off) or a number > 0, got {self.clip_grad!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"TrainConfig.precision must be one of {PRECISIONS}, got {self.precision!r}")

    def peak_lr(self, world_size: int = 1) -> float:
        """The absolute peak learning rate: ``lr`` if given, else the linear scaling rule."""
        if self.lr is not None:
            return float(self.lr)
        return self.base_lr * self.batch_size * world_size / 256


@dataclass
class History:
    """What a run measured, JSON-serializable: per-step ``loss`` and ``lr``, per-epoch mean
    ``epoch_loss`` and ``epoch_time`` (s), total ``wall_time`` (s, summed over resumed
    runs)."""

    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    epoch_time: list[float] = field(default_factory=list)
    wall_time: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def save_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1))
        return path

    @property
    def final_loss(self) -> float:
        """Mean loss of the last epoch (``nan`` before the first)."""
        return self.epoch_loss[-1] if self.epoch_loss else float("nan")


# --- distributed helpers -------------------------------------------------------------------


@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    started_here: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0


def _init_distributed(dev: torch.device) -> _Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist()
    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    started = False
    if not dist.is_initialized():
        backend = "nccl" if dev.type == "cuda" else "gloo"
        if dev.type == "cuda":
            torch.cuda.set_device(local)
        dist.init_process_group(backend=backend)
        started = True
    return _Dist(dist.get_rank(), dist.get_world_size(), local, started)


def _gather(obj: Any, d: _Dist) -> list:
    """Every rank's ``obj`` (a list in rank order)."""
    if d.world == 1:
        return [obj]
    out: list = [None] * d.world
    dist.all_gather_object(out, obj)
    return out


# --- the engine ----------------------------------------------------------------------------


def _autocast(dev: torch.device, precision: str):
    if precision == "auto":
        precision = "bf16" if dev.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
        if dev.type == "cuda" and precision == "fp32":
            precision = "fp16"  # pre-Ampere GPUs: fp16 with a scaler
    if precision == "fp32":
        return nullcontext(), None, precision
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    scaler = torch.amp.GradScaler(dev.type) if precision == "fp16" else None
    return torch.autocast(dev.type, dtype=dtype), scaler, precision


def _batches(n: int, batch: int, d: _Dist, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """One epoch of index batches (batch,) for this rank: a permutation of ``n`` drawn from
    ``generator`` (the same on every rank), cut into steps of ``batch * world`` images of
    which this rank takes its own ``batch`` (incomplete last steps are dropped)."""
    perm = torch.randperm(n, generator=generator)
    steps = n // (batch * d.world)
    per_step = perm[: steps * batch * d.world].view(steps, d.world, batch)
    for s in range(steps):
        yield per_step[s, d.rank]


def _rng_state(gens: dict[str, torch.Generator], dev: torch.device) -> dict:
    state = {"torch": torch.get_rng_state(), **{k: g.get_state() for k, g in gens.items()}}
    if dev.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(dev)
    return state


def _set_rng_state(state: dict, gens: dict[str, torch.Generator], dev: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    for k, g in gens.items():
        g.set_state(state[k])
    if dev.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], dev)


def pretrain(
    model: nn.Module,
    images: torch.Tensor,
    config: TrainConfig | None = None,
    resume: bool | str = False,
    progress: bool = True,
    stop_after_epoch: int | None = None,
    meta: dict | None = None,
) -> History:
    """Pretrain ``model`` on ``images`` (N, C, H, W) float with the MAE recipe.

    ``resume=True`` continues from ``config.checkpoint_dir/checkpoint.pt`` (an error if it
    is missing); ``resume="auto"`` continues when it exists and starts afresh otherwise.
    ``stop_after_epoch`` ends this call after that epoch (counted from the start of the
    whole schedule) without changing the schedule, as a preempted job would; resume later
    to finish. ``meta`` (plain values: str, numbers, lists, dicts) is stored in the
    checkpoint as is, e.g. which data the run used. Returns the :class:`History` of the whole run, earlier resumed parts
    included. A non-finite loss raises ``FloatingPointError`` before anything is saved,
    so the last good checkpoint stays on disk.
    """
    config = config or TrainConfig()
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(images, torch.Tensor) or images.ndim < 2:
        raise TypeError(f"images must be a torch.Tensor (N, C, H, W) (or (N, C, T, H, W) for video), got {images!r:.80}")
    check_float_tensor(images, "images", images.ndim, "(N, C, H, W)")
    if resume not in (True, False, "auto"):
        raise ValueError(f"resume must be True, False or 'auto', got {resume!r}")
    if resume and config.checkpoint_dir is None:
        raise ValueError("resume needs TrainConfig.checkpoint_dir, the folder holding checkpoint.pt")

    dev = pick_device(config.device)
    d = _init_distributed(dev)
    if dev.type == "cuda" and d.world > 1:
        dev = torch.device("cuda", d.local_rank)
    try:
        return _train(model, images, config, resume, progress, stop_after_epoch, dev, d, meta)
    finally:
        if d.started_here:
            dist.destroy_process_group()


def _train(model, images, config, resume, progress, stop_after_epoch, dev, d: _Dist, meta) -> History:
    n = images.shape[0]
    if n < config.batch_size * d.world:
        raise ValueError(
            f"images has {n} samples, fewer than one step of batch_size={config.batch_size} x "
            f"{d.world} process(es); lower batch_size or add images"
        )
    steps_per_epoch = n // (config.batch_size * d.world)
    total_steps = steps_per_epoch * config.epochs
    warmup_steps = config.warmup_epochs * steps_per_epoch
    peak = config.peak_lr(d.world)
    min_lr = min(config.min_lr, peak)

    model.to(dev)
    images = images.to(dev)
    optimizer = make_optimizer(model, peak, config.weight_decay)
    amp, scaler, precision = _autocast(dev, config.precision)
    # The image order is the same on every rank (each takes its own slice); the mask noise
    # and torch's global RNG (dropout, models that draw their own noise) differ per rank.
    gens = {
        "order": torch.Generator().manual_seed(config.seed),
        "noise": torch.Generator().manual_seed(config.seed * 1_000_003 + 1 + d.rank),
    }
    torch.manual_seed(config.seed + d.rank)
    if dev.type == "cuda":
        torch.cuda.manual_seed(config.seed + d.rank)

    history, epoch0, step = History(), 0, 0
    ckpt_dir = Path(config.checkpoint_dir) if config.checkpoint_dir is not None else None
    ckpt_path = ckpt_dir / CHECKPOINT_NAME if ckpt_dir is not None else None
    if resume and (resume is True or ckpt_path.exists()):
        state = read_checkpoint(ckpt_path, map_location="cpu")
        saved_cfg = state.get("model_config")
        if saved_cfg is not None and saved_cfg != model_config(model):
            raise ValueError(f"the checkpoint at {ckpt_path} is for a different model: {saved_cfg} vs {model_config(model)}")
        if state["n_images"] != n:
            raise ValueError(f"the checkpoint at {ckpt_path} was trained on {state['n_images']} images, got {n}")
        old = state["train_config"]
        for key in ("epochs", "batch_size", "base_lr", "lr", "warmup_epochs", "seed"):
            if old.get(key) != getattr(config, key):
                warnings.warn(f"resuming with {key}={getattr(config, key)!r}, the checkpoint used {old.get(key)!r}", stacklevel=3)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        rng = state["rng"]
        if len(rng) == d.world:
            _set_rng_state(rng[d.rank], gens, dev)
        else:  # a different number of processes: keep the image order, fresh per-rank streams
            warnings.warn(
                f"resuming on {d.world} process(es) from a checkpoint written by {len(rng)}: the image order "
                "continues, the mask noise is re-seeded per rank (not bit-identical to an uninterrupted run)",
                stacklevel=3,
            )
            gens["order"].set_state(rng[0]["order"])
        history, epoch0, step = History.from_dict(state["history"]), state["epoch"], state["step"]

    net = model
    if d.world > 1:
        ids = [dev.index] if dev.type == "cuda" else None
        net = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    make_noise = getattr(model, "make_noise", None)

    def save(epoch: int) -> None:
        if ckpt_path is None:
            return
        rng = _gather(_rng_state(gens, dev), d)  # every rank takes part
        if not d.main:
            return
        atomic_save(
            {
                "format": FORMAT,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict() if scaler is not None else None,
                "epoch": epoch,
                "step": step,
                "n_images": n,
                "world_size": d.world,
                "precision": precision,
                "history": history.to_dict(),
                "rng": rng,
                "model_config": model_config(model),
                "train_config": asdict(config),
                "meta": meta or {},
            },
            ckpt_path,
        )

    last_epoch = config.epochs if stop_after_epoch is None else min(config.epochs, stop_after_epoch)
    bar = None
    if progress and d.main:
        from tqdm.auto import tqdm

        bar = tqdm(total=(last_epoch - epoch0) * steps_per_epoch, desc="pretrain", unit="step", dynamic_ncols=True)
    model.train()
    try:
        for epoch in range(epoch0, last_epoch):
            t0 = time.perf_counter()
            epoch_losses = []
            for idx in _batches(n, config.batch_size, d, gens["order"]):
                lr = lr_at(step, total_steps, warmup_steps, peak, min_lr)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                x = images[idx.to(dev)]
                noise = make_noise(x.shape[0], config.mask_ratio, generator=gens["noise"]).to(dev) if make_noise else None
                with amp:
                    out = net(x, config.mask_ratio, noise=noise)
                loss = out.loss
                logged = loss.detach().float()
                if d.world > 1:
                    logged = logged.clone()
                    dist.all_reduce(logged)
                    logged /= d.world
                value = logged.item()
                if not math.isfinite(value):
                    where = f"the last good checkpoint {ckpt_path} is kept" if ckpt_path is not None and ckpt_path.exists() else "no checkpoint was written"
                    raise FloatingPointError(
                        f"the loss is {value} at step {step} (epoch {epoch + 1} of {config.epochs}, lr {lr:.3g}); "
                        f"training stopped and {where}. Try a lower lr, clip_grad=1.0 or precision='bf16'/'fp32'."
                    )
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    if config.clip_grad is not None:
                        scaler.unscale_(optimizer)
                        nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    if config.clip_grad is not None:
                        nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
                    optimizer.step()
                history.loss.append(value)
                history.lr.append(lr)
                epoch_losses.append(value)
                step += 1
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(epoch=f"{epoch + 1}/{config.epochs}", loss=f"{value:.4f}", lr=f"{lr:.2e}")
            dt = time.perf_counter() - t0
            history.epoch_loss.append(sum(epoch_losses) / len(epoch_losses))
            history.epoch_time.append(dt)
            history.wall_time += dt
            if (epoch + 1) % config.save_every == 0 or epoch + 1 == last_epoch:
                save(epoch + 1)
    finally:
        if bar is not None:
            bar.close()
    return history


__all__ = [
    "History",
    "TrainConfig",
    "atomic_save",
    "load_checkpoint",
    "lr_at",
    "make_optimizer",
    "model_config",
    "no_weight_decay",
    "param_groups",
    "pretrain",
    "read_checkpoint",
]
