"""The course's command line: ``python -m maelearn COMMAND`` (or the ``maelearn`` script).

``welcome`` runs lesson 00 headless; ``pretrain`` pretrains an MAE (offline data, an image
folder or CIFAR-10/STL-10) and compares its linear probe with a random-init encoder's;
``probe CHECKPOINT`` repeats that comparison; ``finetune CHECKPOINT`` fine-tunes and prints
the test accuracy. Each run owns its ``--out`` folder (:mod:`maelearn.runs`); errors are one
line and exit status 2 (:mod:`maelearn.cli`). The defaults are a CPU run of a couple of
minutes; on GPUs raise ``--preset``, ``--n-images`` and ``--epochs``, or launch
``torchrun --nproc_per_node G -m maelearn pretrain ...``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import signal
import sys
import threading
import time
import warnings
from dataclasses import asdict
from pathlib import Path

import torch

import maelearn
from maelearn import cli
from maelearn.checkpoint import (
    CHECKPOINT_NAME,
    estimate_parameters,
    load_checkpoint,
    model_config,
    read_checkpoint,
)
from maelearn.cli import Interrupted, UsageError
from maelearn.config import ROOT, available_memory, cpu_threads
from maelearn.config import device as pick_device
from maelearn.data import load_offline
from maelearn.data.folders import OFFLINE_SETS, image_dataset
from maelearn.data.images import ImageSet
from maelearn.evaluate import fine_tune, knn_accuracy, linear_probe
from maelearn.exercises.framework import strict
from maelearn.mae import PRESETS, build_mae, mae_config
from maelearn.models import mae_from_config
from maelearn.progress import log_every_from_env
from maelearn.runs import RunFolder, check_resume, config_differences, segments, write_text
from maelearn.train import TrainConfig, pretrain
from maelearn.viz import figure2

PROG = "python -m maelearn"

#: Defaults of ``pretrain``: a few minutes on two CPU cores. The tiny preset on scikit-learn's
#: handwritten digits (upsampled to 32 px), the paper's per-patch normalized targets and 75 %
#: masking. The base lr is above the paper's 1.5e-4 because a 4-block model on 32 px images
#: with batches of 64 takes bigger steps (lr = 4e-3 * 64 / 256 = 1e-3); 40 epochs because
#: after 10 the pretrained encoder's probe was still no better than the random-init one's. On
#: the procedural shapes the normalized target of their flat, noisy patches is mostly noise:
#: use ``--dataset shapes --no-norm-pix`` there.
DEFAULTS = dict(preset="tiny", dataset="digits", n_images=None, n_test=500, epochs=40, batch_size=64,
                blr=4e-3, weight_decay=0.05, warmup_epochs=2.0, mask_ratio=0.75, seed=0, out="runs/pretrain",
                norm_pix=True)

#: The labels each set is probed on.
PROBE_TASK = {"scenes": "silhouette (10 classes)", "shapes": "shape (4 classes)", "digits": "digit (10 classes)",
              "natural": "source photo (7 classes)", "cifar10": "class (10 classes)", "stl10": "class (10 classes)"}
#: Sets read from disk by torchvision (``--data-root``; fetched only with ``--download``); the
#: offline ones are ``OFFLINE_SETS``.
NAMED_SETS = ("cifar10", "stl10")


def _rank() -> int:
    return int(os.environ.get("RANK", "0"))


def _say(*args) -> None:
    if _rank() == 0:
        print(*args, flush=True)


# --- data and models -------------------------------------------------------------------------


def data_source(args: argparse.Namespace, saved: dict | None = None) -> dict:
    """Where the images come from, from ``--data-path`` / ``--dataset`` / ``--data-root`` /
    ``--download`` (``saved``: a checkpoint's source, used when none of them is given):
    ``{"kind": "offline", "dataset"}``, ``{"kind": "named", "dataset", "data_root",
    "download"}`` or ``{"kind": "folder", "data_path"}``."""
    path, dataset, root, download = args.data_path, args.dataset, args.data_root, args.download
    if path is None and dataset is None and root is None and not download and saved:
        return dict(saved)
    if path is not None:
        if dataset is not None:
            raise UsageError(f"--data-path {path} and --dataset {dataset}: give one of them")
        if root is not None or download:
            raise UsageError("--data-root and --download go with --dataset cifar10|stl10, not with --data-path")
        return {"kind": "folder", "data_path": str(Path(path).expanduser().resolve())}
    dataset = dataset or DEFAULTS["dataset"]
    if dataset in NAMED_SETS:
        if root is None:
            raise UsageError(f"--dataset {dataset} needs --data-root DIR, the folder holding its files "
                             f"(add --download to fetch them there; offline sets: {', '.join(OFFLINE_SETS)})")
        return {"kind": "named", "dataset": dataset, "data_root": str(Path(root).expanduser().resolve()),
                "download": bool(download)}
    if root is not None or download:
        raise UsageError(f"--data-root and --download apply to --dataset {' or '.join(NAMED_SETS)}; "
                         f"{dataset} is an offline set")
    return {"kind": "offline", "dataset": dataset}


def source_name(source: dict) -> str:
    """A short name for messages and the summary: the set's name, or the folder."""
    return source.get("dataset") or source["data_path"]


def _subset(n: int, k: int, seed: int) -> torch.Tensor:
    """``k`` of ``range(n)`` in a seeded random order."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:k]


def stream_dataset(source: dict, size: int, n_images: int | None, seed: int, split: str = "train",
                   augment: bool = True):
    """The image set ``source`` names, read from disk by :func:`maelearn.data.folders.image_dataset`
    (uint8 items, normalized on the device), limited to ``n_images`` of them (seeded)."""
    ds = image_dataset(data_path=source.get("data_path"), dataset=source.get("dataset"),
                       data_root=source.get("data_root"), download=source.get("download", False), split=split,
                       size=size, augment=augment)
    if n_images is not None and n_images < len(ds):
        return _SeededSubset(ds, _subset(len(ds), n_images, seed).tolist())
    return ds


class _SeededSubset(torch.utils.data.Dataset):
    """A ``Subset`` that passes ``(index, seed)`` items through (the training loop replays
    augmentations exactly) and keeps the set's ``device_transform`` and ``classes``."""

    accepts_seed = True

    def __init__(self, base, indices: list[int]):
        self.base, self.indices = base, indices
        self.device_transform = getattr(base, "device_transform", None)
        self.classes = getattr(base, "classes", [])

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, item):
        index, seed = item if isinstance(item, (tuple, list)) else (item, None)
        return self.base[(self.indices[int(index)], seed)]


def probe_sets(source: dict, n_images: int | None, n_test: int, size: int, seed: int):
    """``(train, test)`` labelled ImageSets for probing and fine-tuning: an offline set split
    as for pretraining; from disk (through the evaluation pipeline: resize + center crop,
    normalized, at most 2048 training images) CIFAR-10/STL-10's train and test splits, or for
    a folder of class sub-folders ``n_test`` held-out and other images. ``None`` for a flat
    folder (no labels)."""
    if source["kind"] == "offline":
        check_memory_for_images(n_images, n_test, size)
        return load_split(source["dataset"], n_images, n_test, size, seed)
    n_train = min(n_images or 2048, 2048)
    check_memory_for_images(n_train, n_test, size)

    def load(ds, idx) -> tuple[torch.Tensor, torch.Tensor]:
        items = [ds[int(i)] for i in idx]
        x = ds.device_transform(torch.stack([im for im, _ in items]))
        return x, torch.tensor([label for _, label in items], dtype=torch.long)

    if source["kind"] == "folder":
        ds = stream_dataset(source, size, None, seed, augment=False)
        if not ds.classes:
            return None
        if len(ds) < n_test + 2:
            raise UsageError(f"--data-path {source['data_path']} has {len(ds)} images, too few for --n-test {n_test} "
                             "held out plus a probe training set")
        order = _subset(len(ds), len(ds), seed)
        (xtr, ytr), (xte, yte) = load(ds, order[n_test:n_test + n_train]), load(ds, order[:n_test])
        classes = ds.classes
    else:
        tr_ds = stream_dataset(source, size, None, seed, split="train", augment=False)
        te_ds = stream_dataset(source, size, None, seed, split="test", augment=False)
        xtr, ytr = load(tr_ds, _subset(len(tr_ds), n_train, seed))
        xte, yte = load(te_ds, _subset(len(te_ds), n_test, seed))
        classes = tr_ds.classes
    name = source_name(source)
    return ImageSet(xtr, ytr, list(classes), name=name), ImageSet(xte, yte, list(classes), name=name)


def probe_task(source: dict, train) -> str:
    if source["kind"] == "folder":
        return f"class ({len(train.classes)} folders)"
    return PROBE_TASK[source["dataset"]]


def load_split(dataset: str, n_images: int | None, n_test: int, size: int, seed: int):
    """The offline set ``dataset`` at ``size`` px split into ``n_images`` pretraining (and
    probe-training) images and ``n_test`` held-out probe-test images."""
    if n_test < 1:
        raise ValueError(f"n_test must be >= 1, got {n_test}")
    if n_images is not None and n_images < 1:
        raise ValueError(f"--n-images must be >= 1, got {n_images}")
    full = load_offline(dataset, n=(n_images or 2048) + n_test, size=size, seed=seed)
    if n_images is None:
        n_images = min(2048, len(full) - n_test)
    if len(full) < n_images + n_test:
        raise ValueError(
            f"dataset {dataset!r} has {len(full)} images, fewer than --n-images {n_images} + {n_test} held out; "
            f"use --n-images {len(full) - n_test} or less"
        )
    return full[: n_images + n_test].split(n_images, seed=seed)


def check_memory_for_images(n_images: int | None, n_test: int, size: int, channels: int = 3) -> None:
    """Refuse, before generating anything, an image count whose float32 tensors (with the
    copies made while generating and splitting, about 3) would not fit in free memory."""
    n = (n_images or 2048) + n_test
    need = n * channels * size * size * 4 * 3
    have = available_memory()
    if need > have:
        room = have // (channels * size * size * 4 * 3)  # images that fit, train and test together
        if n_test >= room or n_images is None:  # the test set alone is too large
            flag, value, advice = "--n-test", n_test, f"use --n-test {max(1, room // 4)} or less"
        else:
            flag, value, advice = "--n-images", n_images, f"use --n-images {max(1, room - n_test)} or less"
        raise UsageError(
            f"{flag} {value}: {n} images of {size} px need about {need / 2**30:.3g} GiB, more than the "
            f"{have / 2**30:.3g} GiB of memory available; {advice}"
        )


def probe_pair(encoder, random_encoder, train, test, device) -> dict[str, tuple[float, float]]:
    """Accuracy of ``encoder`` and of ``random_encoder`` under three frozen-feature probes:
    a linear probe on the [CLS] token (the paper's protocol), a linear probe on the mean of
    the patch tokens, and a kNN classifier. Returns ``{probe: (pretrained, random init)}``."""
    return {
        "linear_cls": tuple(linear_probe(e, train, test, pool="cls", device=device) for e in (encoder, random_encoder)),
        "linear_mean": tuple(linear_probe(e, train, test, pool="mean", device=device) for e in (encoder, random_encoder)),
        "knn": tuple(knn_accuracy(e, train, test, device=device) for e in (encoder, random_encoder)),
    }


def describe_probes(probes: dict[str, tuple[float, float]]) -> str:
    names = {"linear_cls": "linear probe [CLS]", "linear_mean": "linear probe mean-pool", "knn": "kNN"}
    return " | ".join(f"{names[k]}: pretrained {a:.3f} vs random init {b:.3f}" for k, (a, b) in probes.items())


@torch.no_grad()
def heldout_loss(model, images: torch.Tensor, mask_ratio: float, seed: int, batch_size: int = 256) -> float:
    """Mean masked-patch loss over ``images`` (N, C, H, W) with seeded masks."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    dev = next(model.parameters()).device
    total = 0.0
    for i in range(0, images.shape[0], batch_size):
        x = images[i : i + batch_size].to(dev)
        noise = model.make_noise(x.shape[0], mask_ratio, generator=g).to(dev)
        total += float(model(x, mask_ratio, noise).loss) * x.shape[0]
    return total / images.shape[0]


def save_figure(model, images: torch.Tensor, mask_ratio: float, path: Path, seed: int, title: str) -> Path:
    """Reconstructions of ``images`` (B, C, H, W) in the paper's Figure 2 layout, saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model.eval()
    noise = model.make_noise(images.shape[0], mask_ratio, generator=torch.Generator().manual_seed(seed))
    dev = next(model.parameters()).device
    with torch.no_grad():
        rec = model.reconstruct(images.to(dev), mask_ratio, noise.to(dev))
    fig = figure2(rec, n=images.shape[0], title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


# --- pretrain --------------------------------------------------------------------------------


def saved_settings(state: dict) -> dict:
    """The settings a checkpoint was written with: ``meta["settings"]`` when the CLI wrote
    it, else what older checkpoints (the shipped ones too) recorded in ``meta`` and
    ``train_config``."""
    meta = dict(state.get("meta") or {})
    if isinstance(meta.get("settings"), dict):
        return dict(meta["settings"])
    tc = dict(state.get("train_config") or {})
    old = {k: meta[k] for k in ("preset", "dataset", "n_images", "n_test", "data_seed", "norm_pix") if k in meta}
    old.update({k: tc[k] for k in ("batch_size", "lr", "weight_decay", "clip_grad", "mask_ratio", "seed", "epochs") if k in tc})
    if "base_lr" in tc:
        old["blr"] = tc["base_lr"]
    return old


def _checkpoint_bytes(preset: str) -> int:
    """Disk a checkpoint of ``preset`` needs: weights and AdamW's two moments (fp32), twice
    (the old file stays until the new one is complete), plus 1 MiB."""
    return estimate_parameters({"kind": "mae", **asdict(mae_config(preset))}) * 4 * 3 * 2 + 2**20


@contextlib.contextmanager
def _sigterm_as_ctrl_c():
    """Treat SIGTERM (``kill``, a scheduler's preemption) like Ctrl-C, so the lock is released
    and the same message printed. Only the main thread may set a signal handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        if previous is not None:  # None: a handler not set from Python, which cannot be put back
            signal.signal(signal.SIGTERM, previous)


def _interrupt_message(ckpt: Path, epochs: int) -> str:
    """What to tell the user after Ctrl-C: the epoch, where the last checkpoint is, how to go on."""
    try:
        done = int(read_checkpoint(ckpt)["epoch"]) if ckpt.exists() else None
    except (ValueError, OSError, KeyError):
        done = None
    if done is None:
        return (f"interrupted at epoch 1 of {epochs}, before the first checkpoint; nothing was saved in "
                f"{ckpt.parent}; run the same command again to start over")
    return (f"interrupted at epoch {min(done + 1, epochs)} of {epochs}; the last checkpoint is at {ckpt} "
            f"(epoch {done}); continue with --resume")


def cmd_pretrain(args: argparse.Namespace) -> int:
    """Check everything that can be checked (device, data, memory, the run folder) before
    the first step, then pretrain (:func:`_pretrain_in`) inside the locked run folder."""
    t0 = time.perf_counter()
    log_every_from_env()  # a bad $MAELEARN_LOG_EVERY is refused before the run folder is made
    dev = pick_device(args.device, source="--device")
    threads = cpu_threads(args.threads) if dev.type == "cpu" else None
    cores = os.cpu_count() or 1
    if args.num_workers > cores:
        warnings.warn(f"--num-workers {args.num_workers} is more than the {cores} CPU core(s) here; using {cores}")
        args.num_workers = cores
    if args.warmup_epochs >= args.epochs:
        warnings.warn(f"--warmup-epochs {args.warmup_epochs:g} >= --epochs {args.epochs}: the whole run is warm-up, "
                      "the learning rate rises from 0 and never reaches its peak")
    if args.mask_ratio == 0:
        warnings.warn("--mask-ratio 0 removes no patch: the loss on removed patches is 0 and nothing is learned")
    size = mae_config(args.preset).img_size
    source = data_source(args)
    if source["kind"] == "offline":
        check_memory_for_images(args.n_images, args.n_test, size)
        streamed = None
    else:  # opened (files listed, the set found) before the run folder is touched
        streamed = stream_dataset(source, size, args.n_images, args.data_seed)
    run = RunFolder(Path(args.out), resume=args.resume, overwrite=args.overwrite,
                    need_bytes=_checkpoint_bytes(args.preset))
    with run if _rank() == 0 else contextlib.nullcontext():  # under torchrun only rank 0 owns the folder
        for name in run.removed:
            _say(f"--overwrite: removed {run.path / name} of the previous run")
        if run.orphans:
            _say(f"removed {len(run.orphans)} temporary file(s) left by an interrupted save: "
                 + ", ".join(p.name for p in run.orphans))
        return _pretrain_in(run.path, args, dev, threads, size, t0, source, streamed)


def _pretrain_in(out: Path, args: argparse.Namespace, dev: torch.device, threads: int | None, size: int,
                 t0: float, source: dict, streamed=None) -> int:
    """``pretrain`` once the run folder ``out`` is checked and locked."""
    ckpt = out / CHECKPOINT_NAME
    state = read_checkpoint(ckpt) if args.resume and ckpt.exists() else None
    if args.resume and state is None:  # a mistyped --out must not restart a run unnoticed
        _say(f"--resume: no checkpoint at {ckpt} yet; starting a new run there")
    name = source_name(source)
    if source["kind"] == "offline":
        train, test = load_split(source["dataset"], args.n_images, args.n_test, size, args.data_seed)
        data, channels, n_train, n_test = train.images, train.images.shape[1], len(train), len(test)
    else:  # streamed from disk: uint8 items, augmented by the workers, normalized on the device
        data, train, test = streamed, None, None
        channels, n_train, n_test = 3, len(data), args.n_test
    torch.manual_seed(args.seed)
    model = build_mae(args.preset, in_chans=channels, norm_pix_loss=args.norm_pix)
    random_encoder = copy.deepcopy(model.encoder)  # the same weights before pretraining
    settings = {"preset": args.preset, "dataset": name, "n_images": n_train, "n_test": n_test,
                "data_seed": args.data_seed, "norm_pix": args.norm_pix, "batch_size": args.batch_size,
                "blr": args.blr, "lr": args.lr, "weight_decay": args.weight_decay,
                "warmup_epochs": args.warmup_epochs, "clip_grad": args.clip_grad, "mask_ratio": args.mask_ratio,
                "seed": args.seed, "epochs": args.epochs, "threads": threads, "device": str(dev)}
    if source["kind"] == "named":
        settings.update(data_root=source["data_root"], download=source["download"], num_workers=args.num_workers)
    elif source["kind"] == "folder":
        settings.update(num_workers=args.num_workers)
    warmup = min(args.warmup_epochs, args.epochs)
    changed: dict = {}
    previous: list = []
    start_epoch = 0
    if state is not None:
        changed = check_resume(saved_settings(state), settings, str(ckpt))
        saved_cfg = state.get("model_config")
        if isinstance(saved_cfg, dict) and saved_cfg != model_config(model):
            diff = "; ".join(config_differences(saved_cfg, model_config(model)))
            raise UsageError(f"cannot resume {ckpt}: it holds a different model ({diff})")
        start_epoch = int(state["epoch"])
        if args.epochs < start_epoch:
            raise UsageError(f"epochs: checkpoint has {start_epoch} done, command line asks for {args.epochs}; "
                             f"pass --epochs {start_epoch} or more to resume {ckpt}")
        if args.epochs == start_epoch:
            if (out / "summary.json").exists():
                _say(f"{ckpt} is already complete ({start_epoch} of {args.epochs} epochs); nothing to do. "
                     "Raise --epochs to extend it.")
                return 0
            # Trained, but stopped during the evaluation: load it (no step runs) and evaluate.
            _say(f"{ckpt} has all {start_epoch} epochs but no summary.json (the evaluation was interrupted); "
                 "evaluating it now")
        # The warmup already happened: keep the checkpoint's, whatever --epochs is now.
        warmup = float(state["train_config"].get("warmup_epochs", warmup))
        previous = list((state.get("meta") or {}).get("segments") or [])
    cfg = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, base_lr=args.blr, lr=args.lr, weight_decay=args.weight_decay,
        warmup_epochs=warmup, mask_ratio=args.mask_ratio, seed=args.seed, num_workers=args.num_workers,
        device=str(dev), checkpoint_dir=str(out), clip_grad=args.clip_grad,
    )
    runs = segments(previous, start_epoch, args.epochs, changed, threads=threads, device=str(dev))
    meta = {"dataset": name, "data_source": source, "n_images": n_train, "n_test": n_test, "data_seed": args.data_seed,
            "img_size": size, "preset": args.preset, "norm_pix": args.norm_pix, "settings": settings,
            "segments": runs}
    what = f"resuming at epoch {start_epoch}: " if state is not None else ""
    _say(f"{what}pretraining MAE-{args.preset} on {n_train} {name} images ({size} px) for {args.epochs} epochs, "
         f"mask ratio {args.mask_ratio}, device {dev}" + (f" ({threads} CPU threads)" if threads else "") + f" -> {out}/")
    for key, (a, b) in changed.items():
        _say(f"resume: {key} changes from {a!r} (checkpoint) to {b!r}; recorded in summary.json")
    with _sigterm_as_ctrl_c():
        try:
            history = pretrain(model, data, cfg, resume="auto" if args.resume else False, meta=meta)
        except KeyboardInterrupt:
            raise Interrupted(_interrupt_message(ckpt, args.epochs)) from None
    if _rank() != 0:
        return 0
    try:
        return _evaluate_run(out, model, random_encoder, history, args, dev, t0, meta, train, test)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted during the evaluation after training; the checkpoint of all {args.epochs} "
                          f"epochs is at {ckpt}; run the same command with --resume to finish the evaluation") from None


def _evaluate_run(out: Path, model, random_encoder, history, args: argparse.Namespace, dev: torch.device,
                  t0: float, meta: dict, train, test) -> int:
    """After pretraining: history.json, the held-out loss, the probes, the figure and
    summary.json (written last: its presence marks a finished run). ``train`` and ``test``
    are ``None`` for a set streamed from disk; its labelled sets are read here."""
    source, name = meta["data_source"], meta["dataset"]
    train_time = time.perf_counter() - t0
    write_text(out / "history.json", json.dumps(history.to_dict(), indent=1))
    written = [out / CHECKPOINT_NAME, out / "history.json"]
    held = "held out"
    if source["kind"] != "offline":
        labelled = probe_sets(source, meta["n_images"], args.n_test, meta["img_size"], args.data_seed)
        train, test = labelled if labelled is not None else (None, None)
        if source["kind"] == "folder":
            held = "probe-test images, also pretrained on"
    summary = {**meta, "epochs": args.epochs, "mask_ratio": args.mask_ratio, "seed": args.seed,
               "train_loss_last_epoch": history.final_loss}
    line = f"final: masked-patch loss {history.final_loss:.4f} (train, last epoch)"
    if test is not None:
        if source["kind"] == "offline":  # images in [0, 1]: a figure worth looking at
            written.insert(1, save_figure(model, test.images[:8], args.mask_ratio, out / "reconstructions.png",
                                          args.seed, f"MAE-{args.preset}, {name}, held-out images, "
                                                     f"mask {args.mask_ratio:.0%}"))
        # The loss the model reaches on held-out images, one fixed mask each (eval mode).
        masked_loss = heldout_loss(model, test.images, args.mask_ratio, args.seed)
        probes = probe_pair(model.encoder, random_encoder, train, test, dev)
        task = probe_task(source, train)
        summary.update({"heldout_masked_loss": masked_loss, "heldout_is": held, "probe_task": task,
                        **{f"{k}_{who}": v for k, pair in probes.items()
                           for who, v in zip(("pretrained", "random_init"), pair)}})
        line += f" / {masked_loss:.4f} ({held}) | {task}: {describe_probes(probes)}"
    else:
        line += f" | {name} has no class sub-folders: no probe"
    total = time.perf_counter() - t0
    summary.update({"train_wall_s": history.wall_time, "total_wall_s": total, "device": str(dev)})
    write_text(out / "summary.json", json.dumps(summary, indent=1))
    written.append(out / "summary.json")
    print(f"wrote {', '.join(str(p) for p in written)} (pretraining {train_time:.0f} s)")
    print(f"{line} | {total:.0f} s")
    return 0


# --- probe, finetune, welcome ----------------------------------------------------------------


def _load_for_evaluation(args: argparse.Namespace):
    """What ``probe`` and ``finetune`` share: the device, the checkpoint's model, and the
    labelled train/test sets (from the command line, else as in pretraining)."""
    dev = pick_device(args.device, source="--device")
    if dev.type == "cpu":
        cpu_threads(args.threads)
    model, state = load_checkpoint(args.checkpoint)
    cfg = state["model_config"]
    if cfg.get("kind") != "mae":
        raise UsageError(f"{args.command} works on image MAE checkpoints; {args.checkpoint} holds a "
                         f"{cfg.get('kind')!r} model")
    meta = dict(state.get("meta") or {})
    saved = meta.get("data_source")
    if not (isinstance(saved, dict) and saved.get("kind") in ("offline", "named", "folder")):
        # Older checkpoints, and imported ones (maelearn.interop), name at most an offline set.
        dataset = meta.get("dataset")
        saved = {"kind": "offline", "dataset": dataset if dataset in OFFLINE_SETS else "shapes"}
    source = data_source(args, saved)
    same = source == saved
    n_images = (meta.get("n_images") if same else None) if args.n_images is None else args.n_images
    n_test = (meta.get("n_test", 512) if same else DEFAULTS["n_test"]) if args.n_test is None else args.n_test
    data_seed = meta.get("data_seed", 0) if args.data_seed is None else args.data_seed
    sets = probe_sets(source, n_images, n_test, model.config.img_size, data_seed)
    if sets is None:
        raise UsageError(f"--data-path {source['data_path']} has no class sub-folders, so no labels to "
                         f"{args.command} on; use a folder with one sub-folder per class")
    train, test = sets
    if train.images.shape[1] != model.config.in_chans:
        raise UsageError(f"--dataset {source_name(source)}: its images have {train.images.shape[1]} channels, "
                         f"the model in {args.checkpoint} expects {model.config.in_chans}")
    return dev, model, state, source, train, test


def cmd_probe(args: argparse.Namespace) -> int:
    dev, model, state, source, train, test = _load_for_evaluation(args)
    # The same architecture and the same initial weights as the run (its seed), untrained.
    torch.manual_seed(state["train_config"]["seed"])
    random_model = mae_from_config(state["model_config"])
    model.to(dev)
    probes = probe_pair(model.encoder, random_model.encoder, train, test, dev)
    print(f"{args.checkpoint}: epoch {state['epoch']}, step {state['step']}, final train loss "
          f"{state['history'].final_loss:.4f}")
    print(f"{source_name(source)} {probe_task(source, train)} ({len(train)} train / {len(test)} test): "
          f"{describe_probes(probes)}")
    return 0


def cmd_finetune(args: argparse.Namespace) -> int:
    dev, model, state, source, train, test = _load_for_evaluation(args)
    depth = len(model.encoder.blocks)
    if args.last_k_blocks is not None and args.last_k_blocks > depth:
        raise UsageError(f"--last-k-blocks {args.last_k_blocks}: the encoder of {args.checkpoint} has {depth} blocks; "
                         f"expected 0 to {depth}")
    how = "full fine-tuning" if args.last_k_blocks is None else (
        "linear probe" if args.last_k_blocks == 0 else f"fine-tuning the last {args.last_k_blocks} block(s)")
    print(f"{args.checkpoint} (epoch {state['epoch']}): {how} on {len(train)} {source_name(source)} images for "
          f"{args.epochs} epochs, lr {args.lr:g}, device {dev}", flush=True)
    acc = fine_tune(model.encoder, train, test, args.epochs, lr=args.lr, last_k_blocks=args.last_k_blocks,
                    batch_size=args.batch_size, seed=args.seed, device=dev)
    print(f"final: {probe_task(source, train)} test accuracy {acc:.3f} ({len(test)} test images, {how})")
    return 0


def cmd_welcome(args: argparse.Namespace) -> int:
    lessons = ROOT / "lessons"
    nb_path = lessons / "00_welcome.ipynb"
    if not nb_path.exists():
        print(f"{nb_path} not found: the lessons ship with the course repository; clone it and "
              "`pip install -e .` from the clone", file=sys.stderr)
        return 1
    import nbformat  # the notebook tools load only for this command
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    # The kernel inherits the environment: a bad setting is one line here, not a traceback
    # from inside the notebook.
    maelearn.mode(), maelearn.device(), strict()
    print(f"running lesson 00 headless ({nb_path}) ...", flush=True)
    t0 = time.perf_counter()
    nb = nbformat.read(str(nb_path), as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=args.timeout, resources={"metadata": {"path": str(lessons)}})
    try:
        client.execute()
    except CellExecutionError as err:
        print(f"lesson 00 failed:\n{err}", file=sys.stderr)
        return 1
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                sys.stdout.write(output.get("text", ""))
    print(f"\nlesson 00 ran in {time.perf_counter() - t0:.1f} s, mode {maelearn.mode()}, device {maelearn.device()}.\n")
    print("where things are:")
    for name, what in [("lessons", "the notebooks to work through (exercises to fill in)"),
                       ("solutions", "the same lessons with solutions"),
                       ("data", "shipped results and the commands that produce them"),
                       ("maelearn", "the library every lesson stands on")]:
        print(f"  {name + '/':11s} {ROOT / name}  ({what})")
    print(f"\nopen the course:  jupyter lab {lessons}")
    print("switch mode:      MAELEARN_MODE=quick|full (now: " + maelearn.mode() + ");  device: MAELEARN_DEVICE=cpu|cuda|mps")
    print("pretrain an MAE:  python -m maelearn pretrain   (then: python -m maelearn probe runs/pretrain/checkpoint.pt)")
    return 0


# --- argument parsing ------------------------------------------------------------------------


def add_data_arguments(p: argparse.ArgumentParser, default_note: str) -> None:
    """``--dataset``, ``--data-path``, ``--data-root`` and ``--download``, the same for every command."""
    p.add_argument("--dataset", default=None, choices=sorted(PROBE_TASK),
                   help=f"an offline set ({', '.join(OFFLINE_SETS)}) or one read from --data-root "
                        f"({', '.join(NAMED_SETS)}); {default_note}")
    p.add_argument("--data-path", type=cli.nonempty_path, default=None,
                   help="a folder of images (one sub-folder per class, or flat), instead of --dataset")
    p.add_argument("--data-root", type=cli.nonempty_path, default=None,
                   help=f"the folder holding {' or '.join(NAMED_SETS)} (never downloaded without --download)")
    p.add_argument("--download", action="store_true", help="fetch --dataset into --data-root if missing (needs the internet)")


def add_machine_arguments(p: argparse.ArgumentParser) -> None:
    """``--device`` and ``--threads``, the same for every command."""
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N, mps (default: the best available)")
    p.add_argument("--threads", type=cli.integer(minimum=1), default=None,
                   help="CPU threads (default: all, or 1 on a busy machine; capped at the core count)")


def add_evaluation_arguments(p: argparse.ArgumentParser) -> None:
    """The checkpoint and the data and machine options ``probe`` and ``finetune`` share."""
    count = cli.integer(minimum=1)
    p.add_argument("checkpoint", type=cli.nonempty_path, help="a checkpoint.pt, or the folder holding it")
    add_data_arguments(p, "default: the one it was pretrained on")
    p.add_argument("--n-images", type=count, default=None,
                   help="labelled training images (default: as in pretraining; at most 2048 from disk)")
    p.add_argument("--n-test", type=count, default=None, help="test images (default: as in pretraining)")
    p.add_argument("--data-seed", type=cli.seed, default=None, help="which images (default: as in pretraining)")
    add_machine_arguments(p)


def parser() -> argparse.ArgumentParser:
    pos, nonneg = cli.finite(minimum=0, strict=True), cli.finite(minimum=0)
    count = cli.integer(minimum=1)
    p = cli.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    w = sub.add_parser("welcome", help="run lesson 00 headless and show where everything is")
    w.add_argument("--timeout", type=count, default=600, help="seconds per cell (default 600)")
    w.set_defaults(func=cmd_welcome)

    d = DEFAULTS
    t = sub.add_parser("pretrain", help="pretrain an MAE on offline data, then linear-probe it",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    t.add_argument("--preset", default=d["preset"], choices=sorted(PRESETS), help="model size")
    add_data_arguments(t, f"default {d['dataset']}")
    t.add_argument("--num-workers", type=cli.integer(minimum=0), default=0,
                   help="data-loading processes for --data-path/--data-root sets")
    t.add_argument("--n-images", type=count, default=None,
                   help="pretraining images (default: 2048, or all the digits but --n-test)")
    t.add_argument("--n-test", type=count, default=d["n_test"], help="held-out images for the probe")
    t.add_argument("--epochs", type=count, default=d["epochs"])
    t.add_argument("--batch-size", type=count, default=d["batch_size"], help="per process")
    t.add_argument("--blr", type=pos, default=d["blr"], help="base lr; lr = blr * effective batch / 256")
    t.add_argument("--lr", type=pos, default=None, help="absolute lr (overrides --blr)")
    t.add_argument("--weight-decay", type=nonneg, default=d["weight_decay"], help="AdamW weight decay")
    t.add_argument("--warmup-epochs", type=nonneg, default=d["warmup_epochs"])
    t.add_argument("--clip-grad", type=pos, default=None, help="max gradient norm (default: off)")
    t.add_argument("--mask-ratio", type=cli.ratio, default=d["mask_ratio"],
                   help="fraction of patches hidden, in [0, 1)")
    t.add_argument("--norm-pix", action=argparse.BooleanOptionalAction, default=d["norm_pix"],
                   help="per-patch normalized pixel targets (the paper's; off by default for the noisy flat shapes)")
    t.add_argument("--seed", type=cli.seed, default=d["seed"], help="model init, image order and masks")
    t.add_argument("--data-seed", type=cli.seed, default=0, help="which images are generated and how they are split")
    t.add_argument("--out", type=cli.nonempty_path, default=d["out"],
                   help="folder for checkpoint, figure, history and summary (one run per folder)")
    t.add_argument("--resume", action="store_true",
                   help="continue the run in OUT with the same settings (--epochs, --threads, --device, "
                        "--num-workers, --data-root, --download may change)")
    t.add_argument("--overwrite", action="store_true", help="replace the run already in OUT")
    add_machine_arguments(t)
    t.set_defaults(func=cmd_pretrain)

    r = sub.add_parser("probe", help="linear probe of a saved encoder vs a random-init one")
    add_evaluation_arguments(r)
    r.set_defaults(func=cmd_probe)

    f = sub.add_parser("finetune", help="fine-tune a saved encoder on labelled images; print the test accuracy")
    add_evaluation_arguments(f)
    f.add_argument("--epochs", type=count, default=10)
    f.add_argument("--lr", type=pos, default=1e-3, help="peak learning rate")
    f.add_argument("--last-k-blocks", type=cli.integer(minimum=0), default=None,
                   help="fine-tune only the last K blocks (0: linear probe; default: all, the full recipe)")
    f.add_argument("--batch-size", type=count, default=64)
    f.add_argument("--seed", type=cli.seed, default=0, help="head init, order and augmentation")
    f.set_defaults(func=cmd_finetune)
    return p


@cli.guarded(PROG)
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
