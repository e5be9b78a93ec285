"""The training engine: one loop (:func:`fit`) for every model the course trains, with
mixed precision, gradient accumulation, streaming data, exact resume and data parallelism.

:func:`pretrain` is ``fit`` with the MAE step. The recipe (He et al., 2021, Appendix A.1):
AdamW (:func:`make_optimizer`; betas (0.9, 0.95), weight decay 0.05 except biases and 1-D
parameters); ``lr = base_lr * effective_batch / 256`` (base 1.5e-4), a linear warmup then a
half-cycle cosine (:func:`lr_at`); bf16 autocast on a GPU, fp32 on a CPU. Everything random
is seeded (:func:`sample_seed`), so a stopped and resumed run gives bit-identical weights on
a CPU; under ``torchrun`` :func:`fit` trains data-parallel.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import torch
import torch.distributed as dist
from torch import nn

from maelearn.checkpoint import CHECKPOINT_NAME, FORMAT, History, atomic_save, model_config, read_checkpoint
from maelearn.checks import check_float_tensor
from maelearn.config import device as pick_device
from maelearn.masking import check_ratio, num_visible
from maelearn.progress import progress as progress_bar

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DECAY_RULES = ("reference", "no_tokens")
SCHEDULES = ("cosine", "constant")


# --- the recipe: parameter groups, the optimizer and the learning rate ------------------------


def no_weight_decay(name: str, param: torch.Tensor, rule: str = "reference", skip: Iterable[str] = ()) -> bool:
    """Whether ``param`` (``name`` in ``model.named_parameters()``) is exempt from weight decay.
    ``"reference"`` is the official MAE code's (timm's ``add_weight_decay``): biases and 1-D
    tensors are exempt; the (1, 1, D) [CLS] and mask tokens are decayed. ``"no_tokens"`` also
    exempts learned tokens, as timm's ViT fine-tuning does. Names in ``skip`` are always exempt
    (``skip=("mask_token",)`` is VideoMAE's rule)."""
    if rule not in DECAY_RULES:
        raise ValueError(f"rule must be one of {DECAY_RULES}, got {rule!r}")
    exempt = param.ndim <= 1 or name.endswith(".bias") or name in set(skip)
    if rule == "no_tokens":
        exempt = exempt or name.split(".")[-1].endswith("token")
    return exempt


def param_groups(model: nn.Module, weight_decay: float = 0.05, rule: str = "reference", skip: Iterable[str] = (),
                 lr_scale: Callable[[str], float] | None = None) -> list[dict]:
    """AdamW parameter groups, frozen parameters left out: one per (decayed or exempt
    (:func:`no_weight_decay`), ``lr_scale(name)``) pair, each with its parameter ``names``;
    :func:`fit` sets a group's lr to the schedule's times its scale (layer-wise decay)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(weight_decay, (int, float)) or weight_decay < 0 or math.isnan(weight_decay):
        raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    skip = set(skip)
    groups: dict[tuple[bool, float], dict] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        decayed = not no_weight_decay(name, p, rule, skip)
        scale = 1.0 if lr_scale is None else float(lr_scale(name))
        if not scale >= 0:
            raise ValueError(f"lr_scale({name!r}) must be a number >= 0, got {scale!r}")
        group = groups.setdefault((decayed, scale), {"params": [], "names": [], "weight_decay": float(weight_decay) if decayed else 0.0,
                                                     "lr_scale": scale})
        group["params"].append(p)
        group["names"].append(name)
    # decayed before exempt, then by scale: a stable order for optimizer state dicts
    return [groups[k] for k in sorted(groups, key=lambda k: (not k[0], -k[1]))]


def make_optimizer(model: nn.Module, lr: float, weight_decay: float = 0.05, betas: tuple[float, float] = (0.9, 0.95),
                   rule: str = "reference", skip: Iterable[str] = (), fused: bool | None = None,
                   lr_scale: Callable[[str], float] | None = None) -> torch.optim.AdamW:
    """The library's one optimizer: AdamW over :func:`param_groups` with MAE's betas; the fused
    kernel where this torch has one for the device (``fused=None``), else ``foreach``.
    ``weight_decay=0, betas=(0.9, 0.999)`` is plain Adam (the DAE and the skip-gram use it)."""
    if not isinstance(lr, (int, float)) or not lr >= 0:
        raise ValueError(f"lr must be a number >= 0, got {lr!r}")
    groups = param_groups(model, weight_decay, rule, skip, lr_scale)
    if not groups:
        raise ValueError(f"{type(model).__name__} has no trainable parameter (all have requires_grad=False)")
    for g in groups:
        g["lr"] = lr * g["lr_scale"]
    kernels = ["fused", "foreach"] if fused is None else ["fused" if fused else "foreach"]
    for kernel in kernels:  # the first this torch has for the parameters' device
        try:
            return torch.optim.AdamW(groups, lr=lr, betas=betas, **{kernel: True})
        except (RuntimeError, TypeError, ValueError):
            if kernel == kernels[-1]:
                raise


def lr_at(step: float, total_steps: int, warmup_steps: float, lr: float, min_lr: float = 0.0) -> float:
    """The learning rate at iteration ``step`` (0-based, fractions allowed): linear warmup
    from 0 to ``lr`` over ``warmup_steps``, then a half-cycle cosine from ``lr`` down to
    ``min_lr`` at ``total_steps``; ``min_lr`` after that. Taught in lesson 09.

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


def accum_iter_for(effective_batch: int, batch_size: int, world_size: int = 1) -> int:
    """How many micro-batches to accumulate per optimizer step so that
    ``batch_size * world_size * accum_iter == effective_batch`` (e.g. the paper's 4096 on
    8 GPUs of 128: 4). An error when it does not divide exactly."""
    for name, v in (("effective_batch", effective_batch), ("batch_size", batch_size), ("world_size", world_size)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    per_step = batch_size * world_size
    if effective_batch % per_step:
        raise ValueError(
            f"effective_batch={effective_batch} is not a multiple of batch_size x world_size = {batch_size} x "
            f"{world_size} = {per_step}; pick a batch_size that divides it"
        )
    return effective_batch // per_step


# --- configuration and history -------------------------------------------------------------


@dataclass
class TrainConfig:
    """How to train: one config for every loop of the library (:func:`fit`).

    ``batch_size`` is per process and micro-batch; ``lr = base_lr * effective_batch / 256``
    (``batch_size * world_size * accum_iter``) unless ``lr`` is given. The schedule (``"cosine"``
    or ``"constant"``) follows a linear warmup of ``warmup_epochs`` (or ``warmup_steps``);
    ``max_steps`` overrides ``epochs``. ``clip_grad``: a max gradient norm (``None``: off).
    ``precision="auto"``: bf16 autocast on CUDA (fp16 with a scaler without bf16), fp32
    elsewhere. ``checkpoint_dir`` gets ``checkpoint.pt`` every ``save_every`` epochs and at the end.
    Taught in lesson 08."""

    epochs: int = 10
    batch_size: int = 64
    base_lr: float = 1.5e-4
    lr: float | None = None
    min_lr: float = 0.0
    weight_decay: float = 0.05
    betas: tuple[float, float] = (0.9, 0.95)
    decay_rule: str = "reference"
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    warmup_steps: int | None = None
    max_steps: int | None = None
    accum_iter: int = 1
    mask_ratio: float = 0.75
    clip_grad: float | None = None
    seed: int = 0
    device: str | None = None
    precision: str = "auto"
    drop_last: bool = True
    num_workers: int = 0
    pin_memory: bool | None = None
    checkpoint_dir: str | None = None
    save_every: int = 1

    def __post_init__(self):
        for name, low in (("epochs", 1), ("batch_size", 1), ("save_every", 1), ("accum_iter", 1), ("max_steps", 1),
                          ("warmup_steps", 0), ("num_workers", 0)):
            v = getattr(self, name)
            if v is None and name in ("max_steps", "warmup_steps"):
                continue
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                optional = "None or " if name == "warmup_steps" else ""
                raise ValueError(f"TrainConfig.{name} must be {optional}an integer >= {low}, got {v!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise TypeError(f"TrainConfig.seed must be an int, got {self.seed!r}")
        if not 0 <= self.seed <= 2**32 - 1:
            raise ValueError(f"TrainConfig.seed must be in [0, 2**32 - 1], got {self.seed!r}")
        for name in ("base_lr", "min_lr", "weight_decay", "warmup_epochs"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                raise ValueError(f"TrainConfig.{name} must be a finite number >= 0, got {v!r}")
        if self.lr is not None and (not isinstance(self.lr, (int, float)) or isinstance(self.lr, bool)
                                    or not math.isfinite(self.lr) or self.lr <= 0):
            raise ValueError(f"TrainConfig.lr must be None (use base_lr) or a finite number > 0, got {self.lr!r}")
        if self.max_steps is None and self.warmup_steps is None and self.warmup_epochs > self.epochs:
            raise ValueError(f"TrainConfig.warmup_epochs={self.warmup_epochs} exceeds epochs={self.epochs}")
        betas = tuple(self.betas) if isinstance(self.betas, (tuple, list)) else None
        if betas is None or len(betas) != 2 or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas):
            raise ValueError(f"TrainConfig.betas must be two numbers in [0, 1), got {self.betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        if self.decay_rule not in DECAY_RULES:
            raise ValueError(f"TrainConfig.decay_rule must be one of {DECAY_RULES}, got {self.decay_rule!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"TrainConfig.schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        # The ratio's range only: how many patches stay visible depends on the model, and
        # maelearn.masking.num_visible checks that when pretrain meets the model.
        self.mask_ratio = check_ratio(self.mask_ratio, "TrainConfig.mask_ratio")
        if self.clip_grad is not None and (not isinstance(self.clip_grad, (int, float)) or not self.clip_grad > 0):
            raise ValueError(f"TrainConfig.clip_grad must be None (off) or a number > 0, got {self.clip_grad!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"TrainConfig.precision must be one of {PRECISIONS}, got {self.precision!r}")

    def effective_batch(self, world_size: int = 1) -> int:
        """Samples per optimizer step over all processes: ``batch_size * world_size * accum_iter``."""
        return self.batch_size * world_size * self.accum_iter

    def peak_lr(self, world_size: int = 1) -> float:
        """The absolute peak learning rate: ``lr`` if given, else the linear scaling rule
        ``base_lr * effective_batch / 256``."""
        if self.lr is not None:
            return float(self.lr)
        return self.base_lr * self.effective_batch(world_size) / 256


# --- data: one epoch order for tensors and datasets ------------------------------------------


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The seed of sample ``index``'s random augmentation in ``epoch``: a function of the
    three numbers only, so the same images come out whatever the number of workers, and a
    run resumed at an epoch boundary sees exactly what an uninterrupted one saw."""
    return (((seed & 0xFFFFFFFF) * 1_000_003 + epoch) * 2_654_435_761 + index) % (2**63 - 1)


class EpochBatches(torch.utils.data.Sampler):
    """This process's batches of one epoch: a :class:`~torch.utils.data.DistributedSampler`
    permutation (seeded by ``seed + epoch``, each rank taking every ``world``-th index) cut into
    ``batch_size`` lists of indices, or of ``(index, sample_seed)`` with ``seeded=True``."""

    def __init__(self, n: int, batch_size: int, seed: int = 0, rank: int = 0, world: int = 1,
                 drop_last: bool = True, shuffle: bool = True, seeded: bool = False):
        self.n, self.batch_size, self.seed, self.seeded, self.drop_last = n, batch_size, seed, seeded, drop_last
        self.order = torch.utils.data.DistributedSampler(
            range(n), num_replicas=world, rank=rank, shuffle=shuffle, seed=seed, drop_last=drop_last and world > 1
        )
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.order.set_epoch(epoch)

    def __len__(self) -> int:
        per_rank = len(self.order)
        return per_rank // self.batch_size if self.drop_last else math.ceil(per_rank / self.batch_size)

    def __iter__(self) -> Iterator[list]:
        idx = list(iter(self.order))
        for b in range(len(self)):
            chunk = idx[b * self.batch_size : (b + 1) * self.batch_size]
            yield [(i, sample_seed(self.seed, self.epoch, i)) for i in chunk] if self.seeded else chunk


class _SeededItems(torch.utils.data.Dataset):
    """Each item read under torch's global RNG seeded with its :func:`sample_seed` (restored
    after), so torchvision-style random transforms repeat exactly."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item):
        index, seed = item
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.dataset[index]


def _reader(data, config: TrainConfig, rank: int, world: int,
            dev: torch.device) -> tuple[Callable[[int], Iterator], int | None, int]:
    """How :func:`fit` reads ``data``: ``(batches(epoch)`` (this process's batches on the
    device), the number of samples (``None``: unknown), batches per epoch)."""
    if isinstance(data, torch.Tensor) or (isinstance(data, (tuple, list)) and len(data) > 0
                                          and all(isinstance(t, torch.Tensor) for t in data)):
        tensors = (data,) if isinstance(data, torch.Tensor) else tuple(data)
        n = tensors[0].shape[0]
        if any(t.shape[0] != n for t in tensors):
            raise ValueError(f"data tensors must share their first (sample) dimension, got {[tuple(t.shape) for t in tensors]}")
        tensors = tuple(t.to(dev) for t in tensors)
        sampler = EpochBatches(n, config.batch_size, config.seed, rank, world, config.drop_last)

        def batches(epoch: int) -> Iterator:
            sampler.set_epoch(epoch)
            for idx in sampler:
                idx = torch.as_tensor(idx, device=dev)
                batch = tuple(t[idx] for t in tensors)
                yield batch[0] if isinstance(data, torch.Tensor) else batch

        per_epoch = len(sampler)
    else:
        if isinstance(data, torch.utils.data.DataLoader):
            loader, transform = data, getattr(data.dataset, "device_transform", None)
            n = len(data.dataset) if hasattr(data.dataset, "__len__") else None
        elif isinstance(data, torch.utils.data.IterableDataset):
            raise TypeError(
                f"data is an IterableDataset ({type(data).__name__}): the loop needs a map-style Dataset (it "
                "shuffles and shares indices per process); wrap an iterable one in a DataLoader you configure"
            )
        elif isinstance(data, torch.utils.data.Dataset):
            n, transform = len(data), getattr(data, "device_transform", None)
            loader = torch.utils.data.DataLoader(
                data if getattr(data, "accepts_seed", False) else _SeededItems(data),
                batch_sampler=EpochBatches(n, config.batch_size, config.seed, rank, world, config.drop_last, seeded=True),
                num_workers=config.num_workers,
                pin_memory=config.pin_memory if config.pin_memory is not None else dev.type == "cuda",
                persistent_workers=config.num_workers > 0,
                generator=torch.Generator().manual_seed(config.seed),  # leaves the global RNG alone
            )
        else:
            raise TypeError(
                f"data must be a torch.Tensor (N, ...), a tuple of tensors, a map-style torch Dataset or a "
                f"DataLoader, got {type(data).__name__}"
            )

        def batches(epoch: int) -> Iterator:
            for s in (getattr(loader, "batch_sampler", None), getattr(loader, "sampler", None)):
                if hasattr(s, "set_epoch"):
                    s.set_epoch(epoch)
            for batch in loader:
                batch = _to(batch, dev)
                if transform is not None:
                    batch = (transform(batch[0]), *batch[1:]) if isinstance(batch, (tuple, list)) else transform(batch)
                yield batch

        per_epoch = len(loader)
    if n is not None and n < 1:
        raise ValueError("data is empty (0 samples)")
    if per_epoch < 1:
        raise ValueError(
            f"data has {n} samples, fewer than one step of batch_size={config.batch_size} x {world} process(es); "
            "lower batch_size, set drop_last=False or add data"
        )
    return batches, n, per_epoch


def _to(batch, dev: torch.device):
    """Move a batch (tensors, or a tuple/list/dict of them) to ``dev`` without blocking."""
    if isinstance(batch, torch.Tensor):
        return batch.to(dev, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to(b, dev) for b in batch)
    if isinstance(batch, dict):
        return {k: _to(v, dev) for k, v in batch.items()}
    return batch


def _batch_size(batch) -> int:
    first = batch[0] if isinstance(batch, (tuple, list)) else next(iter(batch.values())) if isinstance(batch, dict) else batch
    return int(first.shape[0])


def _inputs_finite(batch, dev: torch.device) -> torch.Tensor:
    """A device bool: every floating tensor of the batch is finite (no host sync)."""
    ts = batch if isinstance(batch, (tuple, list)) else [batch]
    flags = [torch.isfinite(t).all() for t in ts if isinstance(t, torch.Tensor) and t.is_floating_point()]
    return torch.stack(flags).all() if flags else torch.ones((), dtype=torch.bool, device=dev)


# --- processes, precision, random streams and checkpoints ----------------------------------


@contextmanager
def _distributed(device: str | None) -> Iterator[tuple[torch.device, int, int]]:
    """This run's device, rank and number of processes; under torchrun (``WORLD_SIZE > 1``) it
    joins the process group (NCCL on GPUs, Gloo on CPU) and leaves it if it joined it here."""
    dev, rank, world, joined = pick_device(device), 0, 1, False
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if not dist.is_initialized():
            if dev.type == "cuda":
                torch.cuda.set_device(local)
            dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo", init_method="env://")
            joined = True
        rank, world = dist.get_rank(), dist.get_world_size()
        if dev.type == "cuda" and world > 1:
            dev = torch.device("cuda", local)
    try:
        with warnings.catch_warnings():
            # DDP warns when a CPU conv gives a weight with a size-1 dimension (a 1-channel patch
            # embedding) a gradient whose stride differs on that dimension only: harmless.
            warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
            yield dev, rank, world
    finally:
        if joined:
            dist.destroy_process_group()


def _autocast(dev: torch.device, precision: str):
    """``(autocast context, gradient scaler (enabled for fp16 only), the resolved precision)``."""
    if precision == "auto":  # fp16 on pre-Ampere GPUs, which lack bf16
        precision = "fp32" if dev.type != "cuda" else "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    scaler = torch.amp.GradScaler(dev.type, enabled=precision == "fp16")
    if precision == "fp32":
        return nullcontext(), scaler, precision
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(dev.type, dtype=dtype), scaler, precision


def _resume(path: Path, model: nn.Module, optimizer, scaler: torch.amp.GradScaler, noise: torch.Generator,
            config: TrainConfig, n: int | None, rank: int, world: int, dev: torch.device) -> tuple[History, int]:
    """Load the checkpoint at ``path`` into the model, optimizer, scaler and random streams;
    returns its history and the epoch to continue from."""
    state = read_checkpoint(path, map_location="cpu")
    saved_cfg = state.get("model_config")
    if saved_cfg is not None and saved_cfg != model_config(model):
        raise ValueError(f"the checkpoint at {path} is for a different model: {saved_cfg} vs {model_config(model)}")
    if n is not None and state.get("n_images") is not None and state["n_images"] != n:
        raise ValueError(f"the checkpoint at {path} was trained on {state['n_images']} samples, got {n}")
    old = state["train_config"]
    for key in ("epochs", "batch_size", "base_lr", "lr", "warmup_epochs", "seed", "accum_iter", "max_steps"):
        if key in old and old.get(key) != getattr(config, key):
            warnings.warn(f"resuming with {key}={getattr(config, key)!r}, the checkpoint used {old.get(key)!r}", stacklevel=4)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scaler.is_enabled() and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    if len(state["rng"]) == world:
        rng = state["rng"][rank]
        torch.set_rng_state(rng["torch"])
        if "noise" in rng:
            noise.set_state(rng["noise"])
        if dev.type == "cuda" and "cuda" in rng:
            torch.cuda.set_rng_state(rng["cuda"], dev)
    else:
        warnings.warn(f"resuming on {world} process(es) from a checkpoint written by {len(state['rng'])}: the data "
                      "order continues, the per-rank random streams (mask noise) are re-seeded (not bit-identical to an "
                      "uninterrupted run); keep batch_size x processes x accum_iter equal to keep the schedule",
                      stacklevel=4)
    return History.from_dict(state["history"]), state["epoch"]


def _save(path: Path, model: nn.Module, optimizer, scaler: torch.amp.GradScaler, noise: torch.Generator, rank: int,
          world: int, dev: torch.device, *, epoch: int, step: int, n: int | None, precision: str, history: History,
          config: TrainConfig, meta: dict | None) -> None:
    """Write the checkpoint (rank 0; every rank gives its random streams)."""
    rng = {"torch": torch.get_rng_state(), "noise": noise.get_state()}
    if dev.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(dev)
    rngs = [rng]
    if world > 1:
        rngs = [None] * world
        dist.all_gather_object(rngs, rng)
    if rank == 0:
        atomic_save({
            "format": FORMAT, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scaler": scaler.state_dict() if scaler.is_enabled() else None,
            "epoch": epoch, "step": step, "n_images": n, "world_size": world, "precision": precision,
            "history": history.to_dict(), "rng": rngs, "model_config": model_config(model),
            "train_config": asdict(config), "meta": meta or {},
        }, path)


def _log_step(record: tuple, history: History, bar, epochs: int, ckpt_path: Path | None) -> None:
    """Read one optimizer step's ``(step, epoch, lr, loss, inputs_ok)`` on the host into the
    history and the progress bar. A non-finite loss stops the run, before anything is saved."""
    step, epoch, lr, loss, inputs_ok = record
    value = loss.item()
    if not math.isfinite(value):
        kept = ckpt_path is not None and ckpt_path.exists()
        where = f"the last good checkpoint {ckpt_path} is kept" if kept else "no checkpoint was written"
        if not bool(inputs_ok):
            cause = "the input batch contains NaN or inf values: check the data (and its normalization)"
        else:
            cause = "Try a lower lr, clip_grad=1.0 or precision='bf16'/'fp32'"
        raise FloatingPointError(
            f"the loss is {value} at step {step} (epoch {epoch + 1} of {epochs}, lr {lr:.3g}); "
            f"training stopped and {where}. {cause}."
        )
    history.loss.append(value)
    history.lr.append(lr)
    bar.update(1)
    bar.set_postfix(epoch=f"{epoch + 1}/{epochs}", loss=f"{value:.4f}", lr=f"{lr:.2e}")


# --- the loop ------------------------------------------------------------------------------

#: ``loss_fn(net, batch, generator) -> scalar loss``: ``net`` is the model (wrapped by DDP
#: under torchrun), ``batch`` what the data yields, on the device, ``generator`` this process's
#: seeded CPU generator for the step's own randomness (masks, corruptions, negatives).
LossFn = Callable[[nn.Module, Any, torch.Generator], torch.Tensor]


def fit(model: nn.Module, data, loss_fn: LossFn, config: TrainConfig | None = None, resume: bool | str = False,
        progress: bool = True, desc: str = "train", stop_after_epoch: int | None = None, meta: dict | None = None,
        on_epoch_end: Callable[[int, History], dict | None] | None = None,
        lr_scale: Callable[[str], float] | None = None, no_decay: Iterable[str] = ()) -> History:
    """The library's one training loop: minimize ``loss_fn`` over ``data`` with
    :class:`TrainConfig`'s recipe; returns the :class:`History` (resumed parts included).

    ``data``: a tensor (N, ...) or tuple of tensors (kept and sliced on the device), a map-style
    ``Dataset`` (every item's augmentation seeded by :func:`sample_seed`; its
    ``device_transform``, if any, runs on the device) or a ``DataLoader`` used as is. Under
    ``torchrun`` it trains data-parallel (rank 0 logs and saves); ``config.accum_iter > 1``
    accumulates gradients, all-reduced at the last micro-batch only. ``resume=True`` continues
    from ``checkpoint_dir/checkpoint.pt``, ``"auto"`` when it exists; ``stop_after_epoch`` ends
    the call there, as a preempted job would. ``on_epoch_end(epoch, history)`` may return
    metrics for ``history.metrics``; ``lr_scale(name)`` scales a parameter's lr and ``no_decay``
    exempts names from weight decay (:func:`param_groups`). A non-finite loss raises
    ``FloatingPointError`` before anything is saved.
    Taught in lesson 08.
    """
    config = config or TrainConfig()
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(net, batch, generator), got {type(loss_fn).__name__}")
    if resume not in (True, False, "auto"):
        raise ValueError(f"resume must be True, False or 'auto', got {resume!r}")
    if resume and config.checkpoint_dir is None:
        raise ValueError("resume needs TrainConfig.checkpoint_dir, the folder holding checkpoint.pt")
    if stop_after_epoch is not None and (not isinstance(stop_after_epoch, int) or stop_after_epoch < 1):
        raise ValueError(f"stop_after_epoch must be None or an integer >= 1, got {stop_after_epoch!r}")

    with _distributed(config.device) as (dev, rank, world):
        batches, n, micro = _reader(data, config, rank, world, dev)
        # The schedule: optimizer steps per epoch (each accumulates accum_iter micro-batches;
        # drop_last drops an incomplete last one) and in all, warmup, peak lr.
        accum = config.accum_iter
        if micro < accum:
            raise ValueError(f"an epoch has {micro} batch(es) per process, fewer than accum_iter={accum}; "
                             "lower accum_iter or batch_size")
        steps_per_epoch = micro // accum if config.drop_last else math.ceil(micro / accum)
        micro = steps_per_epoch * accum if config.drop_last else micro  # the micro-batches of an epoch that count
        if config.max_steps is not None:  # as many epochs as it takes
            total_steps, epochs = config.max_steps, math.ceil(config.max_steps / steps_per_epoch)
        else:
            total_steps, epochs = steps_per_epoch * config.epochs, config.epochs
        warmup = config.warmup_steps if config.warmup_steps is not None else config.warmup_epochs * steps_per_epoch
        warmup, peak = min(total_steps, warmup), config.peak_lr(world)

        model.to(dev)
        optimizer = make_optimizer(model, peak, config.weight_decay, config.betas, config.decay_rule, no_decay,
                                   lr_scale=lr_scale)
        amp, scaler, precision = _autocast(dev, config.precision)

        def set_lr(step: int) -> float:
            """Set every parameter group's lr for ``step`` (times the group's ``lr_scale``)."""
            if config.schedule == "constant":
                lr = peak * min(1.0, step / warmup) if warmup > 0 else peak
            else:
                lr = lr_at(step, total_steps, warmup, peak, min(config.min_lr, peak))
            for group in optimizer.param_groups:
                group["lr"] = lr * group.get("lr_scale", 1.0)
            return lr

        # The data order is the same on every rank (each takes its own share); the step's own
        # noise and torch's global RNG (dropout, models that draw their own noise) differ per rank.
        noise = torch.Generator().manual_seed(config.seed * 1_000_003 + 1 + rank)
        torch.manual_seed(config.seed + rank)
        if dev.type == "cuda":
            torch.cuda.manual_seed(config.seed + rank)
        ckpt_path = Path(config.checkpoint_dir) / CHECKPOINT_NAME if config.checkpoint_dir is not None else None
        history, epoch0 = History(), 0
        if resume and (resume is True or ckpt_path.exists()):
            history, epoch0 = _resume(ckpt_path, model, optimizer, scaler, noise, config, n, rank, world, dev)
        step = epoch0 * steps_per_epoch  # the schedule restarts exactly at an epoch boundary
        # under DDP the gradients live in its buckets (no second copy)
        net = model if world == 1 else nn.parallel.DistributedDataParallel(
            model, device_ids=[dev.index] if dev.type == "cuda" else None, gradient_as_bucket_view=True)
        last_epoch = epochs if stop_after_epoch is None else min(epochs, stop_after_epoch)
        model.train()
        with progress_bar(total=max(0, min(total_steps, last_epoch * steps_per_epoch) - step), desc=desc, unit="step",
                          disable=not (progress and rank == 0)) as bar:
            for epoch in range(epoch0, last_epoch):
                t0, seen, loss_sum = time.perf_counter(), 0, torch.zeros((), device=dev)
                # Each step's loss is read by the host one step late: by then the GPU has the
                # next step queued, so the read (a sync) never leaves it idle.
                unread: list[tuple] = []
                lr = set_lr(step)
                for i, batch in enumerate(batches(epoch)):
                    if i >= micro or step >= total_steps:
                        break
                    first = i - i % accum  # this optimizer step's first micro-batch
                    if i == first:
                        step_loss, inputs_ok = torch.zeros((), device=dev), torch.ones((), dtype=torch.bool, device=dev)
                    in_step = min(accum, micro - first)  # micro-batches in this step (the last may have fewer)
                    last = i + 1 == first + in_step
                    # forward and loss under autocast; backward of 1/in_step of it, so the step's
                    # gradient is the mean; under DDP the gradients are all-reduced at the last only
                    with nullcontext() if last or world == 1 else net.no_sync():
                        with amp:
                            loss = loss_fn(net, batch, noise)
                        scaled = loss / in_step if in_step > 1 else loss
                        scaler.scale(scaled).backward()
                    loss, b = loss.detach().float(), _batch_size(batch)
                    seen, loss_sum = seen + b, loss_sum + loss * b
                    step_loss, inputs_ok = step_loss + loss, inputs_ok & _inputs_finite(batch, dev)
                    if not last:
                        continue
                    step_loss = step_loss / in_step
                    if world > 1:  # the logged loss is the mean over processes
                        dist.all_reduce(step_loss)
                        step_loss = step_loss / world
                    # the optimizer step: clip (after unscaling fp16 gradients), step, clear
                    if config.clip_grad is not None:
                        scaler.unscale_(optimizer)
                        nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], config.clip_grad)
                    scaler.step(optimizer)
                    scaler.update()
                    optimizer.zero_grad(set_to_none=True)
                    unread.append((step, epoch, lr, step_loss, inputs_ok))
                    if len(unread) > 1:
                        _log_step(unread.pop(0), history, bar, epochs, ckpt_path)
                    step += 1
                    lr = set_lr(step)
                for record in unread:  # all read before a checkpoint: a NaN loss is never saved
                    _log_step(record, history, bar, epochs, ckpt_path)
                # the epoch's mean loss over its samples on every process
                totals = torch.stack([loss_sum, torch.tensor(float(seen), device=dev)])
                if world > 1:
                    dist.all_reduce(totals)
                history.epoch_loss.append((totals[0] / totals[1].clamp_min(1)).item())
                history.epoch_time.append(time.perf_counter() - t0)
                history.wall_time += history.epoch_time[-1]
                history.metrics.append(dict((on_epoch_end(epoch, history) if on_epoch_end is not None else None) or {}))
                if ckpt_path is not None and ((epoch + 1) % config.save_every == 0 or epoch + 1 == last_epoch):
                    _save(ckpt_path, model, optimizer, scaler, noise, rank, world, dev, epoch=epoch + 1, step=step,
                          n=n, precision=precision, history=history, config=config, meta=meta)
    return history


# --- MAE pretraining -----------------------------------------------------------------------


def mae_loss_fn(mask_ratio: float, make_noise: Callable | None = None) -> LossFn:
    """The pretraining step's loss ``net(x, mask_ratio, noise=noise).loss`` (``x``: the batch or
    its first element), the noise drawn from the loop's generator by ``make_noise`` if given."""

    def loss_fn(net: nn.Module, batch, generator: torch.Generator) -> torch.Tensor:
        x = batch[0] if isinstance(batch, (tuple, list)) else batch
        noise = make_noise(x.shape[0], mask_ratio, generator=generator).to(x.device) if make_noise else None
        return net(x, mask_ratio, noise=noise).loss

    return loss_fn


def pretrain(model: nn.Module, images, config: TrainConfig | None = None, resume: bool | str = False,
             progress: bool = True, stop_after_epoch: int | None = None, meta: dict | None = None) -> History:
    """Pretrain ``model`` (``forward(x, mask_ratio, noise=None)`` returning a scalar ``.loss``)
    with the MAE recipe: :func:`fit` with :func:`mae_loss_fn`. ``images``: a float tensor
    (N, C, H, W) (or (N, C, T, H, W), ...), or a Dataset / DataLoader yielding such samples
    (alone or with labels), e.g. :func:`maelearn.data.folders.image_dataset`; ``meta`` is stored
    in the checkpoint. Taught in lesson 08."""
    config = config or TrainConfig()
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    if isinstance(images, torch.Tensor):
        if images.ndim < 2:
            raise TypeError(f"images must be a torch.Tensor (N, C, H, W) (or (N, C, T, H, W) for video), got shape {tuple(images.shape)}")
        check_float_tensor(images, "images", images.ndim, "(N, C, H, W)")
    num_patches = getattr(model, "num_patches", None)
    if isinstance(num_patches, int):
        num_visible(num_patches, config.mask_ratio, "TrainConfig.mask_ratio")  # at least one patch stays visible
    return fit(model, images, mae_loss_fn(config.mask_ratio, getattr(model, "make_noise", None)), config, resume=resume,
               progress=progress, desc="pretrain", stop_after_epoch=stop_after_epoch, meta=meta)


__all__ = ["EpochBatches", "TrainConfig", "accum_iter_for", "fit", "lr_at", "mae_loss_fn", "make_optimizer",
           "no_weight_decay", "param_groups", "pretrain", "sample_seed"]
