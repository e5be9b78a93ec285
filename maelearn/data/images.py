"""Offline image data: real handwritten digits, crops of real photographs, procedural shapes (the shape-scenes
benchmark is in :mod:`maelearn.data.scenes`), and torchvision loaders (CIFAR-10, STL-10, ImageFolder) for learners
with the internet or their own pictures. Every offline set fits on the training device as one tensor, so training
loops index it directly instead of going through a DataLoader."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from maelearn.data.base import LabelledSet


@dataclass
class ImageSet(LabelledSet):
    """Images (N, C, H, W) float32 in [0, 1] with integer labels (N,) and class names. ``attributes`` holds
    further label vectors (e.g. shapes' colour and size)."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    attributes: dict[str, torch.Tensor] = field(default_factory=dict)
    name: str = ""


def digits(size: int = 16) -> ImageSet:
    """scikit-learn's 1,797 real 8x8 handwritten digits (0-9), resized to ``size`` pixels (bilinear), one channel,
    in [0, 1]. Taught in lesson 00."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (N, 1, 8, 8)
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)
    return ImageSet(x, torch.tensor(d.target, dtype=torch.long), [str(i) for i in range(10)], name="digits")


#: scikit-image's bundled colour photographs (no download).
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina")


def natural_crops(n: int = 1024, size: int = 32, seed: int = 0, scale: tuple[float, float] = (0.05, 0.3)) -> ImageSet:
    """``n`` random crops of scikit-image's bundled photographs, resized to ``size``: real natural-image
    statistics, offline. A crop's side is a random fraction (``scale``) of its photo's shorter side; half the
    crops are flipped. The label is the source photo. Taught in lesson 00."""
    import skimage.data

    rng = np.random.default_rng(seed)
    photos = [torch.from_numpy(getattr(skimage.data, name)()[..., :3]).permute(2, 0, 1) / 255.0 for name in PHOTOS]
    out = torch.empty(n, 3, size, size)
    labels = torch.empty(n, dtype=torch.long)
    for i in range(n):
        k = int(rng.integers(len(photos)))
        img = photos[k]
        side = max(size // 2, int(min(img.shape[1:]) * rng.uniform(*scale)))
        top, left = int(rng.integers(0, img.shape[1] - side + 1)), int(rng.integers(0, img.shape[2] - side + 1))
        crop = img[:, top : top + side, left : left + side].unsqueeze(0)
        crop = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=True)[0]
        out[i] = crop.flip(-1) if rng.random() < 0.5 else crop
        labels[i] = k
    return ImageSet(out.clamp(0, 1), labels, list(PHOTOS), name="natural_crops")


SHAPES = ("circle", "square", "triangle", "diamond")
COLOURS = {"red": (0.9, 0.15, 0.15), "green": (0.15, 0.75, 0.2), "blue": (0.2, 0.35, 0.95), "yellow": (0.95, 0.85, 0.15)}


def shape_masks(kind: torch.Tensor, cx: torch.Tensor, cy: torch.Tensor, r: torch.Tensor, size: int) -> torch.Tensor:
    """Soft (anti-aliased) masks (N, size, size) of shapes of ``kind`` (index into :data:`SHAPES`) centred at
    (cx, cy) pixels with half-size ``r``."""
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    y, x = torch.meshgrid(coords, coords, indexing="ij")
    dx = x[None] - cx[:, None, None]
    dy = y[None] - cy[:, None, None]
    rr = r[:, None, None]
    # Signed distance-like values (negative inside), one per shape family.
    circle = torch.sqrt(dx**2 + dy**2) - rr
    square = torch.maximum(dx.abs(), dy.abs()) - rr * 0.85
    diamond = (dx.abs() + dy.abs()) / math.sqrt(2) - rr * 0.8
    # Upward triangle: inside when below the two slanted edges and above the base.
    tri = torch.maximum(dy - rr * 0.8, torch.maximum(-2 * dx - dy - rr, 2 * dx - dy - rr) / math.sqrt(5))
    sdf = torch.stack([circle, square, tri, diamond], 0)  # (4, N, S, S)
    chosen = sdf.gather(0, kind.view(1, -1, 1, 1).expand(1, -1, size, size))[0]
    return (0.5 - chosen).clamp(0, 1)


def shapes(n: int = 2048, size: int = 32, seed: int = 0, noise: float = 0.03) -> ImageSet:
    """Procedural images of one coloured shape on a textured background. The label is the shape (:data:`SHAPES`);
    ``attributes`` has ``colour`` (:data:`COLOURS`), ``size`` (0 small, 1 large) and the centre ``x``/``y`` in
    pixels. Deterministic in ``seed``; any ``n`` and ``size``. Taught in lesson 00."""
    g = torch.Generator().manual_seed(seed)
    kind = torch.randint(len(SHAPES), (n,), generator=g)
    colour = torch.randint(len(COLOURS), (n,), generator=g)
    big = torch.randint(2, (n,), generator=g)
    r = size * (0.14 + 0.12 * big + 0.03 * torch.rand(n, generator=g))
    margin = r + 1
    cx = margin + (size - 2 * margin) * torch.rand(n, generator=g)
    cy = margin + (size - 2 * margin) * torch.rand(n, generator=g)
    masks = shape_masks(kind, cx, cy, r, size).unsqueeze(1)  # (N, 1, S, S)
    palette = torch.tensor(list(COLOURS.values()))  # (4, 3)
    fg = (palette[colour] + 0.08 * torch.randn(n, 3, generator=g)).clamp(0, 1)[:, :, None, None]
    # Background: a dim random gradient plus pixel noise, so patches are never constant.
    coords = torch.linspace(0, 1, size)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    base = 0.1 + 0.25 * torch.rand(n, 3, 1, 1, generator=g)
    slope = 0.15 * (torch.rand(n, 2, 1, 1, generator=g) - 0.5)
    bg = base + slope[:, :1] * xx + slope[:, 1:] * yy
    img = masks * fg + (1 - masks) * bg + noise * torch.randn(n, 3, size, size, generator=g)
    attrs = {"colour": colour, "size": big, "x": cx, "y": cy}
    return ImageSet(img.clamp(0, 1), kind, list(SHAPES), attrs, name="shapes")


# --- torchvision (online or your own folders) ---------------------------------------------


def torchvision_dataset(name: str, root: str | Path, train: bool = True, size: int = 32, download: bool = False):
    """A torchvision dataset as (images, labels) tensors resized to ``size``: ``"cifar10"``, ``"stl10"`` or
    ``"imagefolder"`` (``root`` holds one folder per class). With ``download=False`` (the default) a missing
    dataset is a clear error naming the offline alternatives instead of a network call."""
    from torchvision import datasets, transforms

    tf = transforms.Compose([transforms.Resize(size), transforms.CenterCrop(size), transforms.ToTensor()])
    root = str(Path(root))
    try:
        if name == "cifar10":
            return datasets.CIFAR10(root, train=train, download=download, transform=tf)
        if name == "stl10":
            return datasets.STL10(root, split="train" if train else "test", download=download, transform=tf)
        if name == "imagefolder":
            return datasets.ImageFolder(root, transform=tf)
    except RuntimeError as err:  # torchvision's "Dataset not found or corrupted"
        raise FileNotFoundError(f"{name} is not available under {root} ({err}). With the internet, pass download=True; "
                                "offline, use maelearn.data.shapes(), digits() or natural_crops().") from err
    raise ValueError(f"name must be 'cifar10', 'stl10' or 'imagefolder', got {name!r}")


def to_imageset(ds, limit: int | None = None, name: str = "") -> ImageSet:
    """Materialize a (small) torchvision dataset into an :class:`ImageSet` tensor."""
    n = len(ds) if limit is None else min(limit, len(ds))
    if n == 0:
        raise ValueError("the dataset is empty")
    xs, ys = zip(*(ds[i] for i in range(n)))
    classes = list(getattr(ds, "classes", [str(i) for i in range(int(max(ys)) + 1)]))
    return ImageSet(torch.stack(xs), torch.tensor(ys, dtype=torch.long), classes, name=name)
