"""Batched image augmentations on tensors (B, C, H, W) in [0, 1], on any device. The recipes are what the MAE
paper's Table 1e compares and what a contrastive method needs: ``"none"``, ``"crop"`` (random resized crop +
horizontal flip) and ``"crop+colour"`` (then colour jitter and random greyscale, SimCLR-style). All randomness
comes from an optional CPU ``torch.Generator``, so a run is reproducible. The crop is one batched ``grid_sample``
with a continuous box per image, not torchvision's per-image integer crop."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

RECIPES = ("none", "crop", "crop+colour")


def _rand(n: int, generator: torch.Generator | None, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    return low + (high - low) * torch.rand(n, generator=generator)


def random_resized_crop(x: torch.Tensor, scale: tuple[float, float] = (0.35, 1.0),
                        ratio: tuple[float, float] = (3 / 4, 4 / 3), generator: torch.Generator | None = None) -> torch.Tensor:
    """Crop a random box of ``scale`` of the area and aspect ``ratio`` from each image and resize it back to
    (H, W) (bilinear): (B, C, H, W) -> (B, C, H, W)."""
    if x.ndim != 4:
        raise ValueError(f"x must have shape (B, C, H, W), got {tuple(x.shape)}")
    if not 0 < scale[0] <= scale[1] <= 1:
        raise ValueError(f"scale must satisfy 0 < low <= high <= 1, got {scale!r}")
    b = x.shape[0]
    area = _rand(b, generator, *scale)
    aspect = torch.exp(_rand(b, generator, math.log(ratio[0]), math.log(ratio[1])))
    w = torch.sqrt(area * aspect).clamp(max=1.0)  # fractions of the width / height
    h = torch.sqrt(area / aspect).clamp(max=1.0)
    cx = (1 - w) * (2 * _rand(b, generator) - 1)  # centre in [-1 + w, 1 - w]
    cy = (1 - h) * (2 * _rand(b, generator) - 1)
    zero = torch.zeros(b)
    theta = torch.stack([w, zero, cx, zero, h, cy], 1).view(b, 2, 3)  # [[w, 0, cx], [0, h, cy]] per image
    grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def random_flip(x: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Flip each image left-right with probability ``p``: (B, C, H, W) -> (B, C, H, W)."""
    flip = (torch.rand(x.shape[0], generator=generator) < p).to(x.device)
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def colour_jitter(x: torch.Tensor, strength: float = 0.4, p: float = 0.8, grey_p: float = 0.2,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """With probability ``p`` per image, scale brightness, contrast and saturation by random factors in
    [1 - strength, 1 + strength]; then make it grey with probability ``grey_p``. (B, C, H, W) in [0, 1] -> same,
    clamped to [0, 1]."""
    b, dev = x.shape[0], x.device
    on = (torch.rand(b, generator=generator) < p).float().to(dev)[:, None, None, None]

    def factor() -> torch.Tensor:
        f = _rand(b, generator, 1 - strength, 1 + strength).to(dev)[:, None, None, None]
        return on * f + (1 - on)

    out = x * factor()
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * factor() + mean
    if x.shape[1] == 3:
        grey = out.mean(dim=1, keepdim=True)
        out = (out - grey) * factor() + grey
        to_grey = (torch.rand(b, generator=generator) < grey_p).to(dev)[:, None, None, None]
        out = torch.where(to_grey, out.mean(dim=1, keepdim=True).expand_as(out), out)
    return out.clamp(0, 1)


def augmentation(recipe: str, generator: torch.Generator | None = None,
                 crop_scale: tuple[float, float] = (0.35, 1.0)) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """The batch transform of a recipe in :data:`RECIPES` (``None`` for ``"none"``). Taught in lesson 08."""
    if recipe not in RECIPES:
        raise ValueError(f"augmentation recipe must be one of {RECIPES}, got {recipe!r}")
    if recipe == "none":
        return None

    def crop(x: torch.Tensor) -> torch.Tensor:
        return random_flip(random_resized_crop(x, crop_scale, generator=generator), generator=generator)

    return crop if recipe == "crop" else lambda x: colour_jitter(crop(x), generator=generator)


__all__ = ["RECIPES", "augmentation", "colour_jitter", "random_flip", "random_resized_crop"]
