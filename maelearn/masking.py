"""Which patches an encoder sees: random, block-wise, grid-wise, tube and space-time masks.

Every strategy works the MAE way. A score ("noise") is drawn per patch, the patches are
sorted by it, and the ``K`` lowest are kept. The keys of the result:

* ``visible`` (B, K, D): the kept tokens, in shuffled order;
* ``mask`` (B, N): 1 where a patch was removed, 0 where it is visible (original order);
* ``ids_restore`` (B, N): the permutation that puts a shuffled sequence back in order;
* ``ids_keep`` (B, K): the original indices of the kept tokens.

Random masking draws the noise uniformly. The structured strategies only change the noise:
patches a block or grid mask removes get a higher score than every patch it keeps, so the
same sort applies. Pass ``noise`` (or a ``generator``) to make a mask reproducible.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from maelearn.checks import check_float_tensor, check_mask_ratio

STRATEGIES = ("random", "block", "grid")


class Masked(NamedTuple):
    visible: torch.Tensor  # (B, K, D)
    mask: torch.Tensor  # (B, N), 1 = removed
    ids_restore: torch.Tensor  # (B, N)
    ids_keep: torch.Tensor  # (B, K)


def num_visible(num_patches: int, mask_ratio: float) -> int:
    """``int(N * (1 - ratio))``, the number of patches kept; validates the ratio."""
    return check_mask_ratio(mask_ratio, num_patches)


def mask_by_noise(x: torch.Tensor, noise: torch.Tensor, num_keep: int) -> Masked:
    """Keep the ``num_keep`` tokens of ``x`` (B, N, D) with the lowest ``noise`` (B, N)."""
    b, n, d = x.shape
    if noise.shape != (b, n):
        raise ValueError(f"noise must have shape (B, N) = {(b, n)}, got {tuple(noise.shape)}")
    ids_shuffle = torch.argsort(noise, dim=1)  # ascending: small is kept
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :num_keep]  # (B, K)
    visible = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))  # (B, K, D)
    mask = torch.ones(b, n, device=x.device, dtype=x.dtype)
    mask[:, :num_keep] = 0
    mask = torch.gather(mask, 1, ids_restore)  # back to the original order
    return Masked(visible, mask, ids_restore, ids_keep)


def unshuffle(visible: torch.Tensor, fill: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
    """The decoder's inverse of :func:`mask_by_noise`: append one copy of ``fill`` (1, 1, D)
    (the shared mask token) per removed token after the ``visible`` tokens (B, K, D), then
    put all N back in their original order with ``ids_restore`` (B, N). -> (B, N, D)"""
    b, n = ids_restore.shape
    x = torch.cat([visible, fill.expand(b, n - visible.shape[1], -1)], dim=1)  # (B, N, D), shuffled order
    return torch.gather(x, 1, ids_restore.unsqueeze(-1).expand(-1, -1, x.shape[2]))  # original order


def random_masking(
    x: torch.Tensor,
    mask_ratio: float,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Masked:
    """MAE's per-sample random masking of tokens ``x`` (B, N, D): keep
    ``int(N * (1 - mask_ratio))`` tokens chosen uniformly at random."""
    check_float_tensor(x, "x", 3, "(B, N, D)")
    b, n, _ = x.shape
    keep = num_visible(n, mask_ratio)
    if noise is None:
        noise = random_noise(b, n, generator=generator, device=x.device)
    return mask_by_noise(x, noise, keep)


def random_noise(batch: int, num_patches: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """Uniform noise (B, N) in [0, 1): random masking's scores."""
    noise = torch.rand(batch, num_patches, generator=generator, device=None if generator is not None else device)
    return noise.to(device) if device is not None else noise


def block_noise(
    batch: int,
    grid: tuple[int, int],
    mask_ratio: float,
    generator: torch.Generator | None = None,
    min_block: int | None = None,
) -> torch.Tensor:
    """BEiT-style block-wise masking as noise (B, N): rectangles of random area and aspect
    ratio (0.3 to 1/0.3) are removed until about ``mask_ratio`` of the grid is covered.
    Removed patches score in [1, 2), kept ones in [0, 1), so sorting keeps the unblocked."""
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
            if 0 < new <= target - count + max(1, target // 10):
                patch.fill_(1)
                count += new
    tie = torch.rand(batch, n, generator=generator)
    return blocked.reshape(batch, n) + tie


def grid_noise(batch: int, grid: tuple[int, int], stride: int = 2, generator: torch.Generator | None = None) -> torch.Tensor:
    """Grid-wise masking as noise (B, N): keep one patch of every ``stride x stride`` cell
    (the top-left one), remove the rest, i.e. a mask ratio of ``1 - 1/stride**2``."""
    h, w = grid
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    removed = ((rows % stride != 0) | (cols % stride != 0)).float().reshape(1, h * w)
    return removed.expand(batch, -1) + torch.rand(batch, h * w, generator=generator)


def strategy_noise(
    strategy: str, batch: int, grid: tuple[int, int], mask_ratio: float, generator: torch.Generator | None = None
) -> torch.Tensor:
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


def tube_masking(
    x: torch.Tensor,
    frames: int,
    mask_ratio: float,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> Masked:
    """VideoMAE's tube masking of tokens ``x`` (B, T*S, D) in (time, space) raster order:
    one random spatial mask over the S positions, the same on every one of the T time
    steps. ``noise`` (B, S) is the spatial noise. Keeps ``T * int(S * (1 - ratio))``."""
    check_float_tensor(x, "x", 3, "(B, T*S, D)")
    b, n, _ = x.shape
    if frames < 1 or n % frames:
        raise ValueError(f"x has {n} tokens, which is not divisible by frames={frames}")
    s = n // frames
    keep_s = num_visible(s, mask_ratio)
    if noise is None:
        noise = random_noise(b, s, generator=generator, device=x.device)
    if noise.shape != (b, s):
        raise ValueError(f"noise must have shape (B, S) = {(b, s)} for tube masking, got {tuple(noise.shape)}")
    rank = torch.argsort(torch.argsort(noise, dim=1), dim=1)  # (B, S): 0 = lowest noise
    removed = (rank >= keep_s).repeat(1, frames)  # (B, T*S), the same in every frame
    # Integer keys: every kept token sorts before every removed one; ties are impossible.
    key = removed.to(torch.float64) * n + torch.arange(n, device=x.device, dtype=torch.float64)
    return mask_by_noise(x, key, frames * keep_s)


def spacetime_masking(
    x: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None, generator: torch.Generator | None = None
) -> Masked:
    """MAE-ST's random space-time masking: random masking over all T*S tokens."""
    return random_masking(x, mask_ratio, noise=noise, generator=generator)


def _uniform(generator: torch.Generator | None, low: float, high: float) -> float:
    return float(low + (high - low) * torch.rand((), generator=generator))
