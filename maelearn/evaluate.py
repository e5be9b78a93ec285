"""How good is a representation? The MAE paper's judgements of a pretrained encoder: a **linear
probe** on frozen features behind an affine-free BatchNorm (AdamW: the paper's LARS is for batches
of 16,384), **k-NN** and (partial, Figure 9) **fine-tuning** with :data:`FINE_TUNE_RECIPE`.
Inputs are a :class:`maelearn.data.ImageSet` or ``(images, labels)``; results are plain floats."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Union

import torch
import torch.nn.functional as F
from torch import nn

from maelearn.checks import check_images
from maelearn.data.images import ImageSet
from maelearn.train import TrainConfig, fit, make_optimizer
from maelearn.vit import ViTClassifier, ViTEncoder, set_drop_path

#: An image set, or an ``(images (N, C, H, W), labels (N,))`` pair.
Labelled = Union[ImageSet, "tuple[torch.Tensor, torch.Tensor]"]


@dataclass(frozen=True)
class ProbeResult:
    """Accuracies in [0, 1] of a classifier on its training and test sets."""

    train_acc: float
    test_acc: float


def _xy(data: object, name: str, encoder: nn.Module | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs (N, ...), labels (N,)) of an ImageSet or a pair, checked by ``encoder.check_input`` or as images."""
    if isinstance(data, ImageSet):
        x, y = data.images, data.labels
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise TypeError(f"{name} must be a maelearn.data.ImageSet or an (images, labels) pair, got {type(data).__name__}")
    if encoder is None:
        check_images(x, name=f"{name} images")
    elif not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} inputs must be a torch.Tensor, got {type(x).__name__}")
    else:
        encoder.check_input(x)
    return x, _check_labels(y, x.shape[0], name)


def _check_labels(y: object, n: int, name: str) -> torch.Tensor:
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{name} labels must be a torch.Tensor of shape (N,), got {type(y).__name__}")
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"{name} labels must have shape (N,) = ({n},), got {tuple(y.shape)}")
    if y.is_floating_point() or y.dtype == torch.bool:
        raise TypeError(f"{name} labels must be integer class indices, got dtype {y.dtype}")
    if n and int(y.min()) < 0:
        raise ValueError(f"{name} labels must be class indices >= 0, got minimum {int(y.min())}")
    return y.long()


def _check_features(x: object, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, D), got {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape (N, D), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be floating point, got dtype {x.dtype}; use {name}.float()")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); expected at least one sample")
    if not torch.isfinite(x).all():
        bad = int((~torch.isfinite(x)).any(1).sum())
        raise ValueError(f"{name} has non-finite values (nan/inf) in {bad} of {x.shape[0]} rows; did training diverge?")
    return x


def _check_split(train_x: object, train_y: object, test_x: object, test_y: object) -> tuple[torch.Tensor, ...]:
    """Validated features and labels: train_x (N, D), train_y (N,), test_x (M, D), test_y (M,)."""
    train_x, test_x = _check_features(train_x, "train_x"), _check_features(test_x, "test_x")
    if train_x.shape[1] != test_x.shape[1]:
        raise ValueError(f"train_x has {train_x.shape[1]} feature dimensions but test_x has {test_x.shape[1]}")
    train_y, test_y = _check_labels(train_y, train_x.shape[0], "train"), _check_labels(test_y, test_x.shape[0], "test")
    return train_x, train_y, test_x, test_y


def _check_pool(pool: str) -> None:
    if pool not in ("cls", "mean"):
        raise ValueError(f"pool must be one of ('cls', 'mean'), got {pool!r}")


def _model_device(model: nn.Module, device) -> torch.device:
    if device is None:
        device = next((p.device for p in model.parameters()), "cpu")
    return torch.device(device)


def _num_classes(*labels: torch.Tensor, num_classes: int | None = None) -> int:
    seen = max(int(y.max()) for y in labels) + 1
    if num_classes is not None and num_classes < seen:
        raise ValueError(f"num_classes={num_classes}, but the labels go up to {seen - 1}")
    return seen if num_classes is None else num_classes


@contextlib.contextmanager
def _single_thread_if_small(device: torch.device, numel: int, limit: int = 2_000_000):
    """Run a tiny CPU workload on one thread (the previous count is restored): it gains nothing from
    threads, and on a loaded 2-core machine waiting for descheduled workers made it 30x slower."""
    before = torch.get_num_threads()
    small = device.type == "cpu" and numel <= limit and before > 1
    if small:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if small:
            torch.set_num_threads(before)


@torch.no_grad()
def extract_features(encoder: ViTEncoder, images: torch.Tensor | ImageSet, pool: str = "cls",
                     batch_size: int = 256, device: str | torch.device | None = None) -> torch.Tensor:
    """Frozen features of every input: (N, C, H, W) images (or whatever the encoder's tokenizer takes:
    videos, spectrograms, series) -> (N, D) float32 on the CPU. ``pool="cls"`` takes the [CLS] token,
    ``"mean"`` the mean patch token (both after the final norm). Runs in eval mode (restored afterwards)
    in batches on ``device`` (default: the encoder's; another device moves the encoder there)."""
    _check_pool(pool)
    images = images.images if isinstance(images, ImageSet) else images
    encoder.check_input(images)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    dev = _model_device(encoder, device)
    encoder.to(dev)
    was_training = encoder.training
    encoder.eval()
    try:
        out = [encoder.features(images[i : i + batch_size].to(dev), pool).float().cpu()
               for i in range(0, images.shape[0], batch_size)]
    finally:
        encoder.train(was_training)
    return torch.cat(out)  # (N, D)


def _frozen_features(encoder: ViTEncoder, train: Labelled, test: Labelled, pool: str,
                     device: str | torch.device | None) -> tuple[torch.Tensor, ...]:
    """(train features, train labels, test features, test labels) for the probes."""
    (xtr, ytr), (xte, yte) = _xy(train, "train", encoder), _xy(test, "test", encoder)
    ftr = extract_features(encoder, xtr, pool, device=device)
    return ftr, ytr, extract_features(encoder, xte, pool, device=device), yte


def standardize(train: torch.Tensor, *others: torch.Tensor, eps: float = 1e-6) -> list[torch.Tensor]:
    """Standardize features with the *training* set's per-dimension mean and std: what a
    BatchNorm without affine parameters does at test time. (N, D) -> (N, D) each."""
    mean = train.mean(dim=0, keepdim=True)
    std = train.std(dim=0, unbiased=False, keepdim=True)
    return [(x - mean) / (std + eps) for x in (train, *others)]


def linear_probe_features(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                          num_classes: int | None = None, steps: int = 300, lr: float = 0.05,
                          weight_decay: float = 1e-3, batch_size: int = 4096, seed: int = 0,
                          device: str | torch.device | None = None) -> ProbeResult:
    """Train a linear classifier on fixed features train_x (N, D), train_y (N,) and report its accuracies
    there and on test_x (M, D), test_y (M,). On features standardized with the training statistics, a
    zero-initialized classifier trains with AdamW for ``steps`` steps (cosine schedule): full batch when
    N <= ``batch_size``, else on minibatches drawn with ``seed``. Taught in lesson 01."""
    train_x, train_y, test_x, test_y = _check_split(train_x, train_y, test_x, test_y)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    k = _num_classes(train_y, test_y, num_classes=num_classes)
    dev = torch.device(device) if device is not None else train_x.device
    tr, te = standardize(train_x.float().to(dev), test_x.float().to(dev))
    ytr, yte = train_y.to(dev), test_y.to(dev)
    head = nn.Linear(tr.shape[1], k).to(dev)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    opt = make_optimizer(head, lr, weight_decay, betas=(0.9, 0.999))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    g = torch.Generator().manual_seed(seed)
    n = tr.shape[0]
    with _single_thread_if_small(dev, min(n, batch_size) * tr.shape[1]):
        for _ in range(steps):
            idx = slice(None) if n <= batch_size else torch.randint(n, (batch_size,), generator=g).to(dev)
            loss = F.cross_entropy(head(tr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    with torch.no_grad():
        return ProbeResult((head(tr).argmax(1) == ytr).float().mean().item(),
                           (head(te).argmax(1) == yte).float().mean().item())


def linear_probe(encoder: ViTEncoder, train: Labelled, test: Labelled, pool: str = "cls",
                 device: str | torch.device | None = None, **probe_kwargs) -> float:
    """Test accuracy in [0, 1] of :func:`linear_probe_features` (``probe_kwargs``: steps, lr, ...)
    on the encoder's frozen :func:`extract_features`."""
    return linear_probe_features(*_frozen_features(encoder, train, test, pool, device), **probe_kwargs).test_acc


@torch.no_grad()
def knn_features(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                 k: int = 20, temperature: float = 0.07, num_classes: int | None = None,
                 batch_size: int = 1024) -> float:
    """Weighted k-NN accuracy in [0, 1] on fixed features (the protocol of Wu et al. 2018 and DINO):
    with train_x (N, D) and test_x (M, D) L2-normalized, each test sample's ``k`` most cosine-similar
    training samples vote for their class with weight ``exp(similarity / temperature)``. Taught in lesson 08."""
    train_x, train_y, test_x, test_y = _check_split(train_x, train_y, test_x, test_y)
    train_y, test_y = train_y.to(train_x.device), test_y.to(train_x.device)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    c = _num_classes(train_y, test_y, num_classes=num_classes)
    k = min(k, train_x.shape[0])
    tr = F.normalize(train_x.float(), dim=1)
    te = F.normalize(test_x.float().to(tr.device), dim=1)
    correct = 0
    for i in range(0, te.shape[0], batch_size):
        sim = te[i : i + batch_size] @ tr.T  # (b, N)
        top_sim, top_idx = sim.topk(k, dim=1)  # (b, k)
        votes = torch.zeros(sim.shape[0], c, device=tr.device)
        votes.scatter_add_(1, train_y[top_idx], (top_sim / temperature).exp())
        correct += int((votes.argmax(1) == test_y[i : i + batch_size]).sum())
    return correct / te.shape[0]


def knn_accuracy(encoder: ViTEncoder, train: Labelled, test: Labelled, k: int = 20, pool: str = "cls",
                 temperature: float = 0.07, device: str | torch.device | None = None) -> float:
    """Test accuracy in [0, 1] of :func:`knn_features` on the encoder's frozen :func:`extract_features`."""
    return knn_features(*_frozen_features(encoder, train, test, pool, device), k=k, temperature=temperature)


@dataclass(frozen=True)
class ClassifierRecipe:
    """How :func:`train_classifier` trains: the ``pool`` of :class:`~maelearn.vit.ViTClassifier`, AdamW's
    ``batch_size`` and ``weight_decay`` (matrices only), linear warm-up over ``warmup_frac`` of the steps
    then half-cycle cosine, an affine-free BatchNorm before the head (``head_batchnorm``), layer-wise lr
    decay (1 = off), stochastic depth up to ``drop_path`` and ``augment``, a map of (B, C, H, W) batches."""

    pool: str = "cls"
    batch_size: int = 64
    weight_decay: float = 0.05
    warmup_frac: float = 0.1
    label_smoothing: float = 0.0
    head_batchnorm: bool = True
    layer_decay: float = 1.0
    drop_path: float = 0.0
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None


#: The MAE fine-tuning recipe (He et al. 2021, Appendix A.2) at small scale: global pooling with a fresh LayerNorm
#: (fc-norm), layer-wise lr decay, stochastic depth, label smoothing (Mixup and CutMix, for ImageNet, are left out).
FINE_TUNE_RECIPE = ClassifierRecipe(pool="global", head_batchnorm=False, layer_decay=0.75, drop_path=0.1,
                                    label_smoothing=0.1, weight_decay=0.05, warmup_frac=0.1)

#: Exempt from weight decay when fine-tuning (the reference's ``no_weight_decay()``; 1-D parameters always are).
FINE_TUNE_NO_DECAY = ("encoder.cls_token", "encoder.pos_embed")


def freeze_for_partial_fine_tune(model: ViTClassifier, last_k_blocks: int | None) -> list[nn.Parameter]:
    """Set ``requires_grad`` for (partial) fine-tuning, return the trainable parameters: all (``None``), or the
    last ``k`` blocks, final norm (or fc-norm) and head (``0``: the head only); fixed positions never train."""
    enc = model.encoder
    depth = len(enc.blocks)
    bad = isinstance(last_k_blocks, bool) or not isinstance(last_k_blocks, int) or not 0 <= last_k_blocks <= depth
    if last_k_blocks is not None and bad:
        raise ValueError(f"last_k_blocks must be None (full fine-tune) or an integer in [0, {depth}], got {last_k_blocks!r}")
    model.requires_grad_(last_k_blocks is None)
    if last_k_blocks:
        for module in (*enc.blocks[depth - last_k_blocks :], enc.norm, model.fc_norm):
            if module is not None:
                module.requires_grad_(True)
    model.head.requires_grad_(True)
    enc.pos_embed.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]


def _layer_scale(depth: int, layer_decay: float) -> Callable[[str], float]:
    """The MAE reference's layer-wise lr decay as :func:`maelearn.train.fit`'s ``lr_scale``: a
    :class:`ViTClassifier` parameter of layer ``l`` (0: patch embedding, [CLS], positions; ``i + 1``:
    block ``i``; ``depth + 1``: norms and head) trains at ``layer_decay ** (depth + 1 - l)`` times the lr."""
    if not 0 < layer_decay <= 1:
        raise ValueError(f"layer_decay must be in (0, 1], got {layer_decay!r}")

    def scale(name: str) -> float:
        if name.startswith(("encoder.patch_embed", "encoder.cls_token", "encoder.pos_embed")):
            return layer_decay ** (depth + 1)  # layer 0
        if name.startswith("encoder.blocks."):
            return layer_decay ** (depth - int(name.split(".")[2]))  # block i: layer i + 1
        return 1.0  # layer depth + 1: layer_decay ** 0
    return scale


def layer_decay_groups(model: ViTClassifier, lr: float, weight_decay: float = 0.05, layer_decay: float = 1.0) -> list[dict]:
    """Fine-tuning's AdamW parameter groups, for inspection: each with its ``names``, ``params``,
    ``weight_decay`` (weight matrices only), ``lr_scale`` and ``lr = lr * lr_scale``."""
    opt = make_optimizer(model, lr, weight_decay, betas=(0.9, 0.999), skip=FINE_TUNE_NO_DECAY,
                         lr_scale=_layer_scale(len(model.encoder.blocks), layer_decay))
    return [{"names": list(g["names"]), "params": list(g["params"]), "weight_decay": g["weight_decay"],
             "lr_scale": g["lr_scale"], "lr": g["lr"]} for g in opt.param_groups]


@torch.no_grad()
def accuracy(model: nn.Module, data: Labelled, batch_size: int = 256, device: str | torch.device | None = None) -> float:
    """Top-1 accuracy in [0, 1] of a classifier (images -> logits) on an image set. Taught in lesson 07."""
    x, y = _xy(data, "data")
    dev = _model_device(model, device)
    was_training = model.training
    model.eval()
    try:
        correct = sum(int((model(x[i : i + batch_size].to(dev)).argmax(1).cpu() == y[i : i + batch_size].cpu()).sum())
                      for i in range(0, x.shape[0], batch_size))
    finally:
        model.train(was_training)
    return correct / x.shape[0]


def train_classifier(encoder: ViTEncoder, train: Labelled, epochs: int, lr: float = 1e-3,
                     last_k_blocks: int | None = None, recipe: ClassifierRecipe | None = None,
                     num_classes: int | None = None, seed: int = 0, device: str | torch.device | None = None,
                     progress: bool = True, **overrides) -> ViTClassifier:
    """(Partially) fine-tune a *copy* of ``encoder`` with a new linear head; return the trained
    :class:`~maelearn.vit.ViTClassifier`. ``recipe`` (default :class:`ClassifierRecipe`) says how it trains;
    keyword ``overrides`` replace its fields (``batch_size=32``). Minibatches are shuffled with ``seed``; see
    :func:`freeze_for_partial_fine_tune` for ``last_k_blocks``. With ``head_batchnorm`` the BatchNorm's
    statistics are recomputed on the final features at the end. Taught in lesson 07."""
    r = replace(recipe or ClassifierRecipe(), **overrides)
    x, y = _xy(train, "train")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if r.batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {r.batch_size}")
    dev = _model_device(encoder, device)
    with torch.random.fork_rng(devices=[]):  # seed the head's init without touching the global stream
        torch.manual_seed(seed)
        model = ViTClassifier(copy.deepcopy(encoder), _num_classes(y, num_classes=num_classes), r.pool)
    if r.head_batchnorm:
        model.head = nn.Sequential(nn.BatchNorm1d(encoder.dim, affine=False, eps=1e-6), model.head)
    set_drop_path(model.encoder.blocks, r.drop_path)
    model.to(dev)
    freeze_for_partial_fine_tune(model, last_k_blocks)
    total = epochs * math.ceil(x.shape[0] / r.batch_size)
    config = TrainConfig(epochs=epochs, batch_size=r.batch_size, lr=lr, weight_decay=r.weight_decay, betas=(0.9, 0.999),
                         warmup_steps=max(1, int(r.warmup_frac * total)) if r.warmup_frac > 0 else 0, drop_last=False,
                         seed=seed, device=str(dev), precision="fp32")

    def loss_fn(net: nn.Module, batch, generator: torch.Generator) -> torch.Tensor:
        xb, yb = batch
        if r.augment is not None:
            xb = r.augment(xb)
        return F.cross_entropy(net(xb), yb, label_smoothing=r.label_smoothing)

    desc = "fine-tune" if last_k_blocks is None else f"fine-tune last {last_k_blocks}"
    fit(model, (x, y), loss_fn, config, progress=progress, desc=desc,
        lr_scale=_layer_scale(len(model.encoder.blocks), r.layer_decay), no_decay=FINE_TUNE_NO_DECAY)
    set_drop_path(model.encoder.blocks, 0.0)
    if r.head_batchnorm:
        _precise_batchnorm(model, x, r.batch_size, dev)
    model.eval()
    return model


@torch.no_grad()
def _precise_batchnorm(model: ViTClassifier, x: torch.Tensor, batch_size: int, dev: torch.device) -> None:
    """Set the head BatchNorm's statistics to those of the *final* features on the whole training set: the
    running averages of training lag (their initial (0, 1), earlier weights), and head-only fine-tunes scored chance."""
    bn = model.head[0]
    bn.reset_running_stats()
    bn.momentum = None  # a plain average over the batches below
    model.eval()
    bn.train()
    for i in range(0, x.shape[0], batch_size):
        model(x[i : i + batch_size].to(dev))
    bn.eval()


def partial_fine_tune(encoder: ViTEncoder, train: Labelled, test: Labelled, last_k_blocks: int, epochs: int,
                      lr: float = 1e-3, pool: str = "cls", probe_steps: int = 300, seed: int = 0,
                      device: str | torch.device | None = None, **kwargs) -> float:
    """Test accuracy in [0, 1] after training the last ``last_k_blocks`` blocks (+ final norm) of a copy
    of ``encoder`` and a linear head on its ``pool`` features behind an affine-free BatchNorm (the
    paper's Figure 9). ``last_k_blocks == 0`` returns exactly :func:`linear_probe` with ``probe_steps``
    steps; for ``k >= 1`` :func:`train_classifier` trains (``kwargs``: batch_size, layer_decay, ...)."""
    depth = len(encoder.blocks)
    if isinstance(last_k_blocks, bool) or not isinstance(last_k_blocks, int) or not 0 <= last_k_blocks <= depth:
        raise ValueError(f"last_k_blocks must be an integer in [0, {depth}], got {last_k_blocks!r}")
    _check_pool(pool)
    if last_k_blocks == 0:
        return linear_probe(encoder, train, test, pool=pool, device=device, steps=probe_steps, seed=seed)
    _xy(test, "test")
    kwargs.pop("progress", None)
    model = train_classifier(encoder, train, epochs, lr, last_k_blocks, pool=pool, head_batchnorm=True,
                             seed=seed, device=device, progress=False, **kwargs)
    return accuracy(model, test, device=device)


def fine_tune(encoder: ViTEncoder, train: Labelled, test: Labelled, epochs: int, lr: float = 1e-3,
              last_k_blocks: int | None = None, **kwargs) -> float:
    """Test accuracy in [0, 1] after fine-tuning a copy of ``encoder`` on ``train``: ``last_k_blocks=None``
    is **full fine-tuning** with :data:`FINE_TUNE_RECIPE` (``kwargs`` override its fields and pass
    batch_size, augment, seed, device, progress); an integer is :func:`partial_fine_tune`."""
    if last_k_blocks is not None:
        return partial_fine_tune(encoder, train, test, last_k_blocks, epochs, lr, **kwargs)
    _xy(test, "test")
    model = train_classifier(encoder, train, epochs, lr, None, FINE_TUNE_RECIPE, **kwargs)
    return accuracy(model, test, device=kwargs.get("device"))


__all__ = ["FINE_TUNE_RECIPE", "ClassifierRecipe", "ProbeResult", "accuracy", "extract_features", "fine_tune",
           "freeze_for_partial_fine_tune", "knn_accuracy", "knn_features", "layer_decay_groups", "linear_probe",
           "linear_probe_features", "partial_fine_tune", "standardize", "train_classifier"]
