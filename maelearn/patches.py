"""Images and videos as sequences of patches.

Inside a patch the pixel order is (row, column, channel), as in the MAE reference code, so
a patch vector of a 16x16 RGB patch is ``[r00, g00, b00, r01, g01, b01, ...]``.
"""

from __future__ import annotations

import torch
from einops import rearrange

from maelearn.checks import check_float_tensor, check_images


def patchify(imgs: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, N, p*p*C) with N = (H/p)(W/p), patches in raster order.
    Taught in lesson 08."""
    check_images(imgs, patch_size=patch_size)
    return rearrange(imgs, "b c (h p) (w q) -> b (h w) (p q c)", p=patch_size, q=patch_size)


def unpatchify(x: torch.Tensor, patch_size: int, channels: int = 3, grid: tuple[int, int] | None = None) -> torch.Tensor:
    """(B, N, p*p*C) -> (B, C, H, W). ``grid`` = (H/p, W/p); square when omitted."""
    check_float_tensor(x, "x", 3, "(B, N, p*p*C)")
    n, d = x.shape[1], x.shape[2]
    if d != patch_size**2 * channels:
        raise ValueError(f"x has patch dimension {d}, expected patch_size**2 * channels = {patch_size**2 * channels}")
    if grid is None:
        side = int(round(n**0.5))
        if side * side != n:
            raise ValueError(f"x has {n} patches, which is not a square grid; pass grid=(rows, cols)")
        grid = (side, side)
    if grid[0] * grid[1] != n:
        raise ValueError(f"grid={grid} has {grid[0] * grid[1]} cells, but x has {n} patches")
    return rearrange(x, "b (h w) (p q c) -> b c (h p) (w q)", h=grid[0], w=grid[1], p=patch_size, q=patch_size, c=channels)


def patchify_video(videos: torch.Tensor, patch_size: int, tubelet: int = 2) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, N, t*p*p*C): space-time cubes of ``tubelet`` frames by p x p
    pixels, in (time, row, column) raster order; inside a cube the order is
    (frame, row, column, channel). N = (T/t)(H/p)(W/p)."""
    check_float_tensor(videos, "videos", 5, "(B, C, T, H, W)")
    _, _, t, h, w = videos.shape
    if t % tubelet:
        raise ValueError(f"videos have {t} frames, which is not divisible by tubelet={tubelet}")
    if h % patch_size or w % patch_size:
        raise ValueError(f"videos have size {h}x{w}, which is not divisible by patch_size={patch_size}")
    return rearrange(videos, "b c (t u) (h p) (w q) -> b (t h w) (u p q c)", u=tubelet, p=patch_size, q=patch_size)


def unpatchify_video(x: torch.Tensor, patch_size: int, tubelet: int, channels: int,
                     grid: tuple[int, int, int]) -> torch.Tensor:
    """(B, N, t*p*p*C) -> (B, C, T, H, W); ``grid`` = (T/t, H/p, W/p)."""
    check_float_tensor(x, "x", 3, "(B, N, t*p*p*C)")
    t, h, w = grid
    if t * h * w != x.shape[1]:
        raise ValueError(f"grid={grid} has {t * h * w} cells, but x has {x.shape[1]} cubes")
    cube = tubelet * patch_size**2 * channels
    if x.shape[2] != cube:
        raise ValueError(f"x has cube dimension {x.shape[2]}, expected tubelet * patch_size**2 * channels = {cube}")
    return rearrange(x, "b (t h w) (u p q c) -> b c (t u) (h p) (w q)",
                     t=t, h=h, w=w, u=tubelet, p=patch_size, q=patch_size, c=channels)
