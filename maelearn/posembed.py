"""Fixed sine-cosine position embeddings (1D, 2D, 3D), as in the Transformer and MAE.

A 1D embedding of position ``pos`` in ``dim`` dimensions is
``[sin(pos * w_0), ..., sin(pos * w_{D/2-1}), cos(pos * w_0), ..., cos(pos * w_{D/2-1})]``
with ``w_i = 1 / 10000^(i / (D/2))``. The 2D embedding spends half the dimensions on the
column and half on the row coordinate (column first, as MAE's reference code does); 3D
spends a quarter on time and splits the rest between column and row.
"""

from __future__ import annotations

import torch


def sincos_1d(dim: int, positions: torch.Tensor, interleaved: bool = False) -> torch.Tensor:
    """positions (M,) -> (M, dim) embedding, float32: ``[sin | cos]`` halves (MAE's
    reference layout), or with ``interleaved`` sin on even and cos on odd dimensions, the
    layout of the Transformer paper and of VideoMAE's ``get_sinusoid_encoding_table``
    (the same numbers, the channels permuted)."""
    if dim % 2:
        raise ValueError(f"dim must be even for a sin-cos embedding, got {dim}")
    omega = torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0)
    omega = 1.0 / 10000**omega  # (D/2,)
    out = positions.reshape(-1).to(torch.float64)[:, None] * omega[None, :]  # (M, D/2)
    if interleaved:
        return torch.stack([torch.sin(out), torch.cos(out)], dim=2).flatten(1).float()  # sin, cos, sin, ...
    return torch.cat([torch.sin(out), torch.cos(out)], dim=1).float()


def sincos_2d(dim: int, grid_h: int, grid_w: int, cls_token: bool = False) -> torch.Tensor:
    """(grid_h * grid_w [+1], dim) embedding of a raster-ordered patch grid; with
    ``cls_token`` a zero row is prepended for the [CLS] token."""
    if dim % 4:
        raise ValueError(f"dim must be divisible by 4 for a 2D sin-cos embedding, got {dim}")
    rows, cols = torch.meshgrid(torch.arange(grid_h), torch.arange(grid_w), indexing="ij")
    emb = torch.cat([sincos_1d(dim // 2, cols), sincos_1d(dim // 2, rows)], dim=1)  # (h*w, D)
    if cls_token:
        emb = torch.cat([torch.zeros(1, dim), emb], dim=0)
    return emb


def sincos_3d(dim: int, grid_t: int, grid_h: int, grid_w: int, cls_token: bool = False) -> torch.Tensor:
    """(grid_t * grid_h * grid_w [+1], dim) embedding of a (time, row, column) raster grid.
    Time gets ``dim // 4`` dimensions, space the rest (split as in :func:`sincos_2d`)."""
    if dim % 16:
        raise ValueError(f"dim must be divisible by 16 for a 3D sin-cos embedding, got {dim}")
    d_t = dim // 4
    space = sincos_2d(dim - d_t, grid_h, grid_w)  # (h*w, D - D/4)
    time = sincos_1d(d_t, torch.arange(grid_t))  # (t, D/4)
    emb = torch.cat(
        [time[:, None, :].expand(-1, grid_h * grid_w, -1), space[None].expand(grid_t, -1, -1)], dim=2
    ).reshape(grid_t * grid_h * grid_w, dim)
    if cls_token:
        emb = torch.cat([torch.zeros(1, dim), emb], dim=0)
    return emb
