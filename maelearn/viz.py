"""Figures for the lessons: the MAE paper's Figure 2 layout, loss curves, image grids, masks drawn over images.
Every function returns a :class:`matplotlib.figure.Figure` (or a tensor) and never calls ``plt.show()``: a
notebook shows the returned figure, a script saves it, and headless runs (CI, the Agg backend) work unchanged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from maelearn.checks import check_float_tensor

#: The paper's Figure 2 columns: (key of :meth:`maelearn.mae.MAE.reconstruct`, column title).
FIGURE2_COLUMNS = (("masked", "masked"), ("reconstruction", "reconstruction"),
                   ("pasted", "reconstruction\n+ visible"), ("original", "original"))
#: The column a norm-pix reconstruction adds (see :meth:`maelearn.mae.MAE.reconstruct`).
CONTROL_COLUMN = ("control", "control: true patch\nstats, zero prediction")


def to_display(img: torch.Tensor) -> np.ndarray:
    """One image (C, H, W) with C = 1 or 3 -> a NumPy array for ``imshow``: (H, W) for one channel, (H, W, 3) for
    three, clamped to [0, 1]."""
    if not isinstance(img, torch.Tensor) or img.ndim != 3:
        shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        raise ValueError(f"img must be a tensor of shape (C, H, W), got {shape}")
    if img.shape[0] not in (1, 3):
        raise ValueError(f"img must have 1 or 3 channels to be shown, got {img.shape[0]} (shape {tuple(img.shape)})")
    arr = img.detach().float().clamp(0, 1).cpu()
    return arr[0].numpy() if arr.shape[0] == 1 else arr.permute(1, 2, 0).numpy()


def _imshow(ax, img: torch.Tensor) -> None:
    arr = to_display(img)
    grey = {"cmap": "gray", "vmin": 0, "vmax": 1} if arr.ndim == 2 else {}
    ax.imshow(arr, interpolation="nearest", **grey)
    ax.set(xticks=[], yticks=[])


def _check_n(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")


def _patch_size(mask: object, imgs: torch.Tensor) -> int | None:
    """The square patch size for which ``mask`` (B, N) tiles ``imgs`` (B, C, H, W), or None."""
    if not (isinstance(mask, torch.Tensor) and mask.ndim == 2 and mask.shape[0] == imgs.shape[0]):
        return None
    (h, w), n = imgs.shape[-2:], mask.shape[1]
    p = int(round((h * w / n) ** 0.5))
    return p if p > 0 and h % p == 0 and w % p == 0 and (h // p) * (w // p) == n else None


def figure2(recon: Mapping[str, torch.Tensor], n: int = 4, title: str | None = None, size: float = 1.6,
            mask_colour: Sequence[float] | None = (0.5, 0.5, 0.5)) -> Figure:
    """The paper's Figure 2 layout: one row per image (the first ``min(n, B)``), columns masked | reconstruction |
    reconstruction + visible patches | original, and a fifth when ``recon`` has a control (norm-pix models: each
    hidden patch filled with its own true mean and variance and a zero prediction). ``recon`` is
    :meth:`maelearn.mae.MAE.reconstruct`'s dict (images (B, C, H, W), C = 1 or 3, shown clamped to [0, 1]);
    ``size`` is the inches per panel. With ``recon["mask"]`` (B, N), the removed patches of the first column are
    painted ``mask_colour`` (grey, as in the paper: black would vanish into a digit's black background; ``None``
    shows ``recon["masked"]`` as it is). Taught in lesson 08."""
    missing = [key for key, _ in FIGURE2_COLUMNS if key not in recon]
    if missing:
        raise ValueError(f"recon lacks {missing}; pass the dict returned by MAE.reconstruct(...)")
    _check_n(n)
    columns = FIGURE2_COLUMNS + ((CONTROL_COLUMN,) if recon.get("control") is not None else ())
    panels = {key: check_float_tensor(recon[key], f"recon[{key!r}]", 4, "(B, C, H, W)") for key, _ in columns}
    original, mask = recon["original"], recon.get("mask")
    rows = min(n, original.shape[0])
    p = _patch_size(mask, original) if mask_colour is not None else None
    if p is not None:
        panels["masked"] = mask_overlay(original.float(), mask, p, colour=mask_colour)
    fig, axes = plt.subplots(rows, len(columns), figsize=(len(columns) * size, rows * size), squeeze=False)
    for i in range(rows):
        for j, (key, label) in enumerate(columns):
            _imshow(axes[i, j], panels[key][i])
            if i == 0:
                axes[i, j].set_title(label, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _series(history) -> dict[str, list[float]]:
    """Named loss series from a list of numbers, a ``{name: list}`` mapping, or an object with per-step ``loss``
    (e.g. :class:`maelearn.checkpoint.History`)."""
    if isinstance(history, Mapping):
        items = {k: v for k, v in history.items() if isinstance(v, Sequence) and not isinstance(v, str) and len(v)}
        if not items:
            raise ValueError(f"history has no non-empty list of losses (keys: {list(history)})")
        return {str(k): [float(x) for x in v] for k, v in items.items()}
    if hasattr(history, "loss") and isinstance(history.loss, Sequence):
        return {"loss": [float(x) for x in history.loss]}
    if isinstance(history, torch.Tensor):
        history = history.detach().flatten().cpu().tolist()
    if isinstance(history, (Sequence, np.ndarray)) and not isinstance(history, str):
        return {"loss": [float(x) for x in history]}
    raise TypeError(f"history must be a list of losses, a dict of lists or a History with .loss, got {type(history).__name__}")


def smooth(values: Sequence[float], window: int) -> np.ndarray:
    """Trailing moving average over ``window`` values (the first ones average what exists): a readable trend
    through noisy per-step losses. (T,) -> (T,)"""
    v = np.asarray(values, dtype=float)
    if window <= 1 or v.size == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, v.size + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def loss_curve(history, title: str | None = "training loss", xlabel: str = "step", ylabel: str = "loss",
               smoothing: int = 0, logy: bool = False, ax: plt.Axes | None = None) -> Figure:
    """Plot loss curves: ``history`` is a list of losses, a ``{name: losses}`` dict (one curve each, e.g. several
    runs) or a :class:`maelearn.checkpoint.History` (its per-step ``loss``). ``smoothing`` > 1 draws the raw curve
    faintly and a moving average over it. Taught in lesson 08."""
    series = _series(history)
    ax = ax if ax is not None else plt.figure(figsize=(5, 3.2)).add_subplot(1, 1, 1)
    for name, values in series.items():
        x = np.arange(1, len(values) + 1)
        if smoothing > 1:
            (line,) = ax.plot(x, values, alpha=0.25)
            ax.plot(x, smooth(values, smoothing), color=line.get_color(), label=name)
        else:
            ax.plot(x, values, label=name, marker="o" if len(values) < 30 else None, markersize=3)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(series) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    ax.figure.tight_layout()
    return ax.figure


def show_images(images, labels: Sequence | torch.Tensor | None = None, classes: Sequence[str] | None = None,
                n: int = 16, ncols: int = 8, title: str | None = None, size: float = 1.2) -> Figure:
    """A grid of the first ``n`` images (N, C, H, W) (C = 1 or 3, shown clamped to [0, 1]), with ``labels`` (class
    indices, named through ``classes``, or strings) as titles. An :class:`maelearn.data.ImageSet` brings its own
    labels and classes."""
    if hasattr(images, "images") and hasattr(images, "labels"):  # an ImageSet
        labels = images.labels if labels is None else labels
        classes = images.classes if classes is None else classes
        images = images.images
    check_float_tensor(images, "images", 4, "(N, C, H, W)")
    _check_n(n)
    count = min(n, images.shape[0])
    cols = max(1, min(ncols, count))
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * (1.2 if labels is not None else 1)), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= count:
            ax.axis("off")
            continue
        _imshow(ax, images[i])
        if labels is not None:
            lab = labels[i].item() if isinstance(labels[i], torch.Tensor) else labels[i]
            ax.set_title(classes[lab] if classes is not None and isinstance(lab, (int, np.integer)) else str(lab), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def mask_overlay(imgs: torch.Tensor, mask: torch.Tensor, patch_size: int, colour: Sequence[float] = (0.5, 0.5, 0.5),
                 alpha: float = 1.0) -> torch.Tensor:
    """Paint the removed patches (``mask`` == 1) of images (B, C, H, W) with ``colour`` (blended with weight
    ``alpha``; 1 covers them). ``mask`` (B, N) is in raster patch order, as
    :func:`maelearn.masking.random_masking` returns it. -> (B, C, H, W) in [0, 1]. Taught in lesson 08."""
    check_float_tensor(imgs, "imgs", 4, "(B, C, H, W)")
    b, c, h, w = imgs.shape
    if h % patch_size or w % patch_size:
        raise ValueError(f"imgs have size {h}x{w}, which is not divisible by patch_size={patch_size}")
    gh, gw = h // patch_size, w // patch_size
    if tuple(mask.shape) != (b, gh * gw):
        raise ValueError(f"mask must have shape (B, N) = {(b, gh * gw)} for these images, got {tuple(mask.shape)}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    m = mask.float().reshape(b, 1, gh, gw).repeat_interleave(patch_size, 2).repeat_interleave(patch_size, 3)  # (B, 1, H, W)
    col = torch.as_tensor(list(colour), dtype=imgs.dtype, device=imgs.device)
    col = (col[:c] if col.numel() >= c else col[:1].expand(c)).view(1, c, 1, 1)  # one value: grey on every channel
    m = m.to(imgs.device, imgs.dtype) * alpha
    return (imgs * (1 - m) + col * m).clamp(0, 1)


def show_masks(masks: Mapping[str, torch.Tensor], grid: tuple[int, int], image: torch.Tensor | None = None,
               size: float = 2.0) -> Figure:
    """One panel per named mask (N,) on a ``grid`` = (rows, cols) of patches, e.g. random / block / grid masking
    side by side; removed patches are dark. With ``image`` (C, H, W) the masks are painted over it instead.
    Taught in lesson 08."""
    if not masks:
        raise ValueError("masks is empty; pass {name: mask (N,)}")
    fig, axes = plt.subplots(1, len(masks), figsize=(len(masks) * size, size * 1.15), squeeze=False)
    for ax, (name, m) in zip(axes[0], masks.items()):
        m = m.detach().float().flatten().cpu()
        if m.numel() != grid[0] * grid[1]:
            raise ValueError(f"mask {name!r} has {m.numel()} entries, but grid={grid} has {grid[0] * grid[1]}")
        if image is None:
            _imshow(ax, (1 - m).reshape(1, *grid))
        else:
            _imshow(ax, mask_overlay(image[None].float(), m[None], image.shape[-1] // grid[1])[0])
        ax.set_title(f"{name}\n{m.mean().item():.0%} removed", fontsize=9)
    fig.tight_layout()
    return fig


__all__ = ["CONTROL_COLUMN", "FIGURE2_COLUMNS", "figure2", "loss_curve", "mask_overlay", "show_images", "show_masks",
           "smooth", "to_display"]
