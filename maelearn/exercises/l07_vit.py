"""Graders of lesson 07 (ViT patching): patchify, unpatchify, 2D sin-cos positions.

The cases use non-square images and distinct channel values, so every wrong order of (row,
column, channel) inside a patch, or of patches in the sequence, gives a different answer.
"""

from __future__ import annotations

import torch
from einops import rearrange

from maelearn.exercises.framework import Case, exercise
from maelearn.patches import patchify, unpatchify
from maelearn.posembed import sincos_1d, sincos_2d

_ORDERS = {
    "b c (h p) (w q) -> b (h w) (c p q)": "inside a patch the order must be (row, column, channel), channel last: use (p q c), not (c p q).",
    "b c (h p) (w q) -> b (h w) (q p c)": "inside a patch, rows come before columns: (p q c), not (q p c).",
    "b c (h p) (w q) -> b (w h) (p q c)": "patches go in raster order, row by row: (h w), not (w h).",
}


def _diagnose_patchify(case, got, expected):
    imgs, p = case.args
    if not isinstance(got, torch.Tensor):
        return "return a tensor (B, N, p*p*C)."
    for pattern, hint in _ORDERS.items():
        alt = rearrange(imgs, pattern, p=p, q=p)
        if got.shape == alt.shape and torch.equal(got, alt):
            return hint
    if got.shape != expected.shape:
        b, c, h, w = imgs.shape
        return f"expected (B, N, p*p*C) = {tuple(expected.shape)}: N = (H/p)*(W/p) = {(h // p) * (w // p)} patches of {p * p * c} numbers."
    if got.numel() == expected.numel() and torch.equal(got.flatten(), expected.flatten()) is False and torch.equal(torch.sort(got.flatten()).values, torch.sort(expected.flatten()).values):
        return "the numbers are right but in the wrong order; a plain .reshape cannot cut patches, use einops.rearrange."
    return None


def _patch_cases():
    g = torch.Generator().manual_seed(0)
    yield Case("1 RGB image 4x4, patch 2", (torch.rand(1, 3, 4, 4, generator=g), 2))
    yield Case("2 RGB images 8x12 (not square), patch 4", (torch.rand(2, 3, 8, 12, generator=g), 4))
    yield Case("3 grey images 6x6, patch 3", (torch.rand(3, 1, 6, 6, generator=g), 3))
    yield Case("the lesson's size: 2 RGB images 32x32, patch 8", (torch.rand(2, 3, 32, 32, generator=g), 8))


@exercise("07.1", "patchify", patchify, diagnose=_diagnose_patchify)
def _cases_patchify():
    yield from _patch_cases()


def _diagnose_unpatchify(case, got, expected):
    x, p, c = case.args
    if not isinstance(got, torch.Tensor):
        return "return an image tensor (B, C, H, W)."
    side = int(round(x.shape[1] ** 0.5))
    for pattern, hint in {
        "b (h w) (c p q) -> b c (h p) (w q)": "read each patch vector as (row, column, channel), channel last: (p q c).",
        "b (h w) (q p c) -> b c (h p) (w q)": "inside a patch vector rows come first: (p q c), not (q p c).",
        "b (w h) (p q c) -> b c (h p) (w q)": "the patches are in raster order (h w): row by row.",
    }.items():
        alt = rearrange(x, pattern, h=side, w=side, p=p, q=p, c=c)
        if got.shape == alt.shape and torch.equal(got, alt):
            return hint
    if got.shape != expected.shape:
        return f"expected images of shape {tuple(expected.shape)}"
    return None


def _unpatchify_reference(x: torch.Tensor, patch_size: int, channels: int) -> torch.Tensor:
    """Reference 07.2: (B, N, p*p*C) with a square grid -> (B, C, H, W)."""
    return unpatchify(x, patch_size, channels)


@exercise("07.2", "unpatchify", _unpatchify_reference, diagnose=_diagnose_unpatchify, forbidden=(unpatchify,))
def _cases_unpatchify():
    g = torch.Generator().manual_seed(1)
    yield Case("1 RGB image of 4 patches 2x2", (torch.rand(1, 4, 12, generator=g), 2, 3))
    yield Case("2 RGB images of 9 patches 4x4", (torch.rand(2, 9, 48, generator=g), 4, 3))
    yield Case("3 grey images of 16 patches 3x3", (torch.rand(3, 16, 9, generator=g), 3, 1))
    yield Case("the lesson's size: 2 RGB images of 16 patches 8x8", (torch.rand(2, 16, 192, generator=g), 8, 3))
    imgs = torch.rand(2, 3, 8, 8, generator=g)
    yield Case("round trip: unpatchify(patchify(imgs))", (patchify(imgs, 4), 4, 3), expected=imgs)


def _diagnose_sincos(case, got, expected):
    dim, gh, gw = case.args
    if not isinstance(got, torch.Tensor):
        return "return a tensor (grid_h * grid_w, dim)."
    if got.shape != expected.shape:
        return f"expected shape (grid_h * grid_w, dim) = {tuple(expected.shape)}"
    rows, cols = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")
    if torch.allclose(got, torch.cat([sincos_1d(dim // 2, rows), sincos_1d(dim // 2, cols)], 1), atol=1e-5):
        return "the first half of the dimensions encodes the column (x), the second half the row (y), as in MAE."
    half = dim // 2
    omega = 1.0 / 10000 ** (torch.arange(half // 2, dtype=torch.float64) / (half / 2))
    def inter(pos):
        a = pos.reshape(-1).double()[:, None] * omega
        return torch.stack([torch.sin(a), torch.cos(a)], -1).flatten(1).float()
    if torch.allclose(got, torch.cat([inter(cols), inter(rows)], 1), atol=1e-5):
        return "put all the sines first, then all the cosines, for each coordinate (not interleaved)."
    q = half // 2
    cos_first = torch.cat([expected[:, q:2 * q], expected[:, :q], expected[:, 3 * q:], expected[:, 2 * q:3 * q]], 1)
    if torch.allclose(got, cos_first, atol=1e-5):
        return "check sin vs cos: each half is [sin(pos * w), cos(pos * w)], the sines first."
    if gh != gw and torch.allclose(got, sincos_2d(dim, gw, gh), atol=1e-5):
        return ("grid_h is the number of rows, grid_w of columns: row k is the patch at row k // grid_w, column k % grid_w "
                "(torch.meshgrid(torch.arange(grid_h), torch.arange(grid_w), indexing='ij')).")
    column_major = expected.reshape(gh, gw, dim).transpose(0, 1).reshape(-1, dim)
    if torch.allclose(got, column_major, atol=1e-5):
        return "the patches go in raster order, row by row: row k is the patch at row k // grid_w, column k % grid_w."
    return "check the frequencies: w_i = 1 / 10000 ** (i / (D/4)) for i = 0 .. D/4 - 1, D/4 being each 1D half's half."


@exercise("07.3", "2D sin-cos position embedding", sincos_2d, diagnose=_diagnose_sincos)
def _cases_sincos():
    yield Case("a 2x2 grid in 8 dimensions", (8, 2, 2))
    yield Case("a 3x5 grid (not square) in 16 dimensions", (16, 3, 5))
    yield Case("an 8x8 grid in 64 dimensions", (64, 8, 8))
