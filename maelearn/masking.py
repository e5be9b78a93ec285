"""Which patches an encoder sees: random, block-wise, grid-wise, tube and space-time masks.

Every strategy draws a score ("noise") per patch and keeps the ``K`` lowest; structured
strategies only change the noise. Pass ``noise`` (or a ``generator``) for a reproducible mask.
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np
import torch

from maelearn.checks import check_float_tensor

STRATEGIES = ("random", "block", "grid")


class Masked(NamedTuple):
    """What masking returns: the kept tokens, the mask and the indices that undo the shuffle.
    Taught in lesson 08."""

    visible: torch.Tensor  # (B, K, D), in shuffled order
    mask: torch.Tensor  # (B, N), 1 = removed
    ids_restore: torch.Tensor  # (B, N): puts a shuffled sequence back in order
    ids_keep: torch.Tensor  # (B, K)


# -- How many tokens stay ------------------------------------------------------------------
def check_ratio(mask_ratio: object, name: str = "mask_ratio") -> float:
    """``mask_ratio`` (Python, NumPy or one-element torch number) as a float in [0, 1), or a clear error."""
    if isinstance(mask_ratio, torch.Tensor) and mask_ratio.numel() == 1:
        mask_ratio = mask_ratio.item()
    if not isinstance(mask_ratio, numbers.Real) or isinstance(mask_ratio, bool):
        raise TypeError(f"{name} must be a number in [0, 1), got {mask_ratio!r}")
    mask_ratio = float(mask_ratio)
    if math.isnan(mask_ratio):
        raise ValueError(f"{name} must be a number in [0, 1), got nan")
    if not 0.0 <= mask_ratio < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {mask_ratio}")
    return mask_ratio


def num_visible(num_patches: int, mask_ratio: float, name: str = "mask_ratio") -> int:
    """How many of ``num_patches`` an MAE keeps at ``mask_ratio``: ``int(N * (1 - ratio))``,
    MAE's reference rule (``len_keep``). Validates the ratio; at least one must stay."""
    mask_ratio = check_ratio(mask_ratio, name)
    keep = int(num_patches * (1 - mask_ratio))
    if keep < 1:
        raise ValueError(
            f"{name}={mask_ratio} leaves no visible patch out of {num_patches}; "
            f"use a ratio below {1 - 1 / num_patches:.4f}"
        )
    return keep


def num_masked(num_patches: int, mask_ratio: float, name: str = "mask_ratio") -> int:
    """VideoMAE's rule: ``int(ratio * N)`` of ``N`` positions are *masked*; at least one must stay.
    (90 % of 16 masks 14 and keeps 2, where :func:`num_visible`'s ``int(16 * 0.1)`` keeps 1.)"""
    mask_ratio = check_ratio(mask_ratio, name)
    masked = int(mask_ratio * num_patches)
    if masked >= num_patches:
        raise ValueError(f"{name}={mask_ratio} masks all {num_patches} positions; use a smaller ratio")
    return masked


def tube_num_visible(frames: int, positions: int, mask_ratio: float) -> int:
    """Tokens a tube mask keeps out of ``frames * positions``: ``frames * (S - int(ratio*S))``;
    a video MAE's random space-time mask keeps as many (the same token budget)."""
    return frames * (positions - num_masked(positions, mask_ratio))


# -- Noise: one score per patch, the lowest are kept ---------------------------------------
def as_noise(noise: object, shape: tuple[int, ...], device: torch.device | None = None, name: str = "noise") -> torch.Tensor:
    """Caller-given scores (a torch tensor or NumPy array) as a float tensor of ``shape`` on ``device``."""
    if isinstance(noise, np.ndarray):
        noise = torch.from_numpy(noise)
    if not isinstance(noise, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or NumPy array of shape {shape}, got {type(noise).__name__}")
    if tuple(noise.shape) != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {tuple(noise.shape)}")
    if not noise.is_floating_point():
        noise = noise.float()
    if not torch.compiler.is_compiling() and torch.isnan(noise).any():
        raise ValueError(f"{name} contains NaN; masking sorts the scores, so they must be numbers")
    return noise if device is None else noise.to(device)


def random_noise(batch: int, num_patches: int, generator: torch.Generator | None = None,
                 device: torch.device | str | None = None) -> torch.Tensor:
    """Uniform noise (B, N) in [0, 1): random masking's scores, drawn on ``device`` (on the CPU,
    then moved, with a CPU ``generator``)."""
    noise = torch.rand(batch, num_patches, generator=generator, device=None if generator is not None else device)
    return noise.to(device) if device is not None else noise


def forecast_noise(batch: int, num_patches: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Forecasting as masking noise (B, N): patch ``i`` scores ``i``, so the latest (the future) are
    removed. Taught in lesson 12."""
    return torch.arange(num_patches, dtype=torch.float32, device=device).expand(batch, -1).clone()


def _uniform(generator: torch.Generator | None, low: float, high: float) -> float:
    return float(low + (high - low) * torch.rand((), generator=generator))


def block_noise(batch: int, grid: tuple[int, int], mask_ratio: float, generator: torch.Generator | None = None,
                min_block: int | None = None) -> torch.Tensor:
    """BEiT-style block-wise masking as noise (B, N): rectangles of random area and aspect ratio
    (0.3 to 1/0.3) cover about ``mask_ratio`` of the grid and score in [1, 2), the rest in [0, 1)."""
    h, w = grid
    n = h * w
    target = int(round(n * mask_ratio))
    min_block = min_block if min_block is not None else max(1, n // 16)
    blocked = torch.zeros(batch, h, w)
    for i in range(batch):
        count, tries = 0, 0
        while count < target and tries < 100 * n:
            tries += 1
            area = _uniform(generator, min_block, max(min_block, target - count) + 1)
            aspect = math.exp(_uniform(generator, math.log(0.3), math.log(1 / 0.3)))
            bh = min(h, max(1, int(round(math.sqrt(area * aspect)))))
            bw = min(w, max(1, int(round(math.sqrt(area / aspect)))))
            top = int(_uniform(generator, 0, h - bh + 1))
            left = int(_uniform(generator, 0, w - bw + 1))
            patch = blocked[i, top : top + bh, left : left + bw]
            new = int((patch == 0).sum())
            if 0 < new <= target - count + max(1, target // 10):  # a block may overshoot by 10 %
                patch.fill_(1)
                count += new
    return blocked.reshape(batch, n) + torch.rand(batch, n, generator=generator)  # random order within each


def grid_noise(batch: int, grid: tuple[int, int], stride: int = 2, generator: torch.Generator | None = None) -> torch.Tensor:
    """Grid-wise masking as noise (B, N): keep one patch of every ``stride x stride`` cell
    (the top-left one), remove the rest, i.e. a mask ratio of ``1 - 1/stride**2``."""
    h, w = grid
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    removed = ((rows % stride != 0) | (cols % stride != 0)).float().reshape(1, h * w)
    return removed.expand(batch, -1) + torch.rand(batch, h * w, generator=generator)


def strategy_noise(strategy: str, batch: int, grid: tuple[int, int], mask_ratio: float,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """The noise (B, N) of a named strategy: ``"random"``, ``"block"`` or ``"grid"``.
    Grid keeps one patch in four, so it needs ``mask_ratio=0.75``."""
    if strategy == "random":
        return random_noise(batch, grid[0] * grid[1], generator=generator)
    if strategy == "block":
        return block_noise(batch, grid, mask_ratio, generator=generator)
    if strategy == "grid":
        if abs(mask_ratio - 0.75) > 1e-9:
            raise ValueError(f"grid masking keeps one patch in four, so mask_ratio must be 0.75, got {mask_ratio}")
        return grid_noise(batch, grid, generator=generator)
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")


# -- Masking: sort the noise, keep the lowest, and undo the shuffle in the decoder ---------
def mask_by_noise(x: torch.Tensor, noise: torch.Tensor, num_keep: int) -> Masked:
    """Keep the ``num_keep`` tokens of ``x`` (B, N, D) with the lowest ``noise`` (B, N)."""
    b, n, d = x.shape
    if noise.shape != (b, n):
        raise ValueError(f"noise must have shape (B, N) = {(b, n)}, got {tuple(noise.shape)}")
    ids_shuffle = torch.argsort(noise, dim=1)  # (B, N) ascending: small is kept
    ids_restore = torch.argsort(ids_shuffle, dim=1)  # (B, N)
    ids_keep = ids_shuffle[:, :num_keep]  # (B, K)
    visible = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))  # (B, K, D)
    mask = (ids_restore >= num_keep).to(x.dtype)  # (B, N) in the original order: ranked after the kept
    return Masked(visible, mask, ids_restore, ids_keep)


def unshuffle(visible: torch.Tensor, fill: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
    """The decoder's inverse of :func:`mask_by_noise`: one copy of ``fill`` (1, 1, D) (the mask
    token) per removed token after the ``visible`` (B, K, D), all put back in order by
    ``ids_restore`` (B, N). -> (B, N, D)"""
    b, n = ids_restore.shape
    x = torch.cat([visible, fill.expand(b, n - visible.shape[1], -1)], dim=1)  # (B, N, D), shuffled order
    return torch.gather(x, 1, ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[2]))  # original order


def random_masking(x: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None,
                   generator: torch.Generator | None = None) -> Masked:
    """MAE's per-sample random masking of tokens ``x`` (B, N, D): keep ``int(N * (1 - mask_ratio))``."""
    check_float_tensor(x, "x", 3, "(B, N, D)")
    b, n, _ = x.shape
    keep = num_visible(n, mask_ratio)
    if noise is None:
        noise = random_noise(b, n, generator=generator, device=x.device)
    return mask_by_noise(x, noise, keep)


#: MAE-ST's random space-time masking: random masking over all T*S tokens of a video.
spacetime_masking = random_masking


def tube_masking(x: torch.Tensor, frames: int, mask_ratio: float, noise: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> Masked:
    """VideoMAE's tube masking of tokens ``x`` (B, T*S, D) in (time, space) raster order: one
    random spatial mask from ``noise`` (B, S), the same in all T time steps. As VideoMAE's masking
    generator, it masks ``int(ratio * S)`` positions per slot (:func:`tube_num_visible`)."""
    check_float_tensor(x, "x", 3, "(B, T*S, D)")
    b, n, _ = x.shape
    if frames < 1 or n % frames:
        raise ValueError(f"x has {n} tokens, which is not divisible by frames={frames}")
    s = n // frames
    keep_s = s - num_masked(s, mask_ratio)
    if noise is None:
        noise = random_noise(b, s, generator=generator, device=x.device)
    if noise.shape != (b, s):
        raise ValueError(f"noise must have shape (B, S) = {(b, s)} for tube masking, got {tuple(noise.shape)}")
    rank = torch.argsort(torch.argsort(noise, dim=1), dim=1)  # (B, S): 0 = lowest noise
    removed = (rank >= keep_s).repeat(1, frames)  # (B, T*S), the same in every frame
    # Integer keys: every kept token sorts before every removed one; ties are impossible.
    key = removed.to(torch.float64) * n + torch.arange(n, device=x.device, dtype=torch.float64)
    return mask_by_noise(x, key, frames * keep_s)
