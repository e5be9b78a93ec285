"""Fixed sine-cosine position embeddings (1D, 2D, 3D), as in the Transformer and MAE.

A 1D embedding of position ``pos`` in ``dim`` dimensions is
``[sin(pos * w_0), ..., sin(pos * w_{D/2-1}), cos(pos * w_0), ..., cos(pos * w_{D/2-1})]``
with ``w_i = 1 / 10000^(i / (D/2))``. 2D spends half the dimensions on the column, half on the
row (column first, as MAE's reference code); 3D a quarter on time and the rest as 2D.
"""

from __future__ import annotations

import torch
from einops import repeat


def sincos_1d(dim: int, positions: torch.Tensor, interleaved: bool = False) -> torch.Tensor:
    """positions (M,) -> (M, dim) embedding, float32: ``[sin | cos]`` halves (MAE's
    reference layout), or with ``interleaved`` sin on even and cos on odd dimensions, the
    layout of the Transformer paper and of VideoMAE's ``get_sinusoid_encoding_table``
    (the same numbers, the channels permuted)."""
    if dim % 2:
        raise ValueError(f"dim must be even for a sin-cos embedding, got {dim}")
    omega = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0))  # (D/2,)
    angles = positions.reshape(-1).to(torch.float64)[:, None] * omega[None, :]  # (M, D/2)
    if interleaved:
        return torch.stack([torch.sin(angles), torch.cos(angles)], dim=2).flatten(1).float()  # sin, cos, sin, ...
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1).float()


def _with_cls(emb: torch.Tensor, cls_token: bool) -> torch.Tensor:
    """A zero row prepended for the [CLS] token when ``cls_token``."""
    return torch.cat([torch.zeros(1, emb.shape[1]), emb], dim=0) if cls_token else emb


def sincos_2d(dim: int, grid_h: int, grid_w: int, cls_token: bool = False) -> torch.Tensor:
    """(grid_h * grid_w [+1], dim) embedding of a raster-ordered patch grid (+ [CLS]'s zero row)."""
    if dim % 4:
        raise ValueError(f"dim must be divisible by 4 for a 2D sin-cos embedding, got {dim}")
    rows, cols = torch.meshgrid(torch.arange(grid_h), torch.arange(grid_w), indexing="ij")
    emb = torch.cat([sincos_1d(dim // 2, cols), sincos_1d(dim // 2, rows)], dim=1)  # (h*w, D)
    return _with_cls(emb, cls_token)


def sincos_3d(dim: int, grid_t: int, grid_h: int, grid_w: int, cls_token: bool = False) -> torch.Tensor:
    """(grid_t * grid_h * grid_w [+1], dim) embedding of a (time, row, column) raster grid."""
    if dim % 16:
        raise ValueError(f"dim must be divisible by 16 for a 3D sin-cos embedding, got {dim}")
    d_t = dim // 4
    time = repeat(sincos_1d(d_t, torch.arange(grid_t)), "t d -> (t s) d", s=grid_h * grid_w)  # (t*h*w, D/4)
    space = repeat(sincos_2d(dim - d_t, grid_h, grid_w), "s d -> (t s) d", t=grid_t)  # (t*h*w, D - D/4)
    return _with_cls(torch.cat([time, space], dim=1), cls_token)
