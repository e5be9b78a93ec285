"""Lesson 07's graders accept the references and reject typical wrong answers."""

import torch
from einops import rearrange

from maelearn.posembed import sincos_1d


# -- 07.1 patchify ---------------------------------------------------------------------------
def channel_first(imgs, p):
    return rearrange(imgs, "b c (h p) (w q) -> b (h w) (c p q)", p=p, q=p)


def columns_first_inside(imgs, p):
    return rearrange(imgs, "b c (h p) (w q) -> b (h w) (q p c)", p=p, q=p)


def column_major_patches(imgs, p):
    return rearrange(imgs, "b c (h p) (w q) -> b (w h) (p q c)", p=p, q=p)


def plain_reshape(imgs, p):
    b, c, h, w = imgs.shape
    return imgs.reshape(b, (h // p) * (w // p), p * p * c)


# -- 07.2 unpatchify -------------------------------------------------------------------------
def _side(x):
    return int(round(x.shape[1] ** 0.5))


def unpatch_channel_first(x, p, c):
    return rearrange(x, "b (h w) (c p q) -> b c (h p) (w q)", h=_side(x), p=p, q=p, c=c)


def unpatch_transposed_grid(x, p, c):
    return rearrange(x, "b (w h) (p q c) -> b c (h p) (w q)", h=_side(x), p=p, q=p, c=c)


def unpatch_reshape(x, p, c):
    s = _side(x) * p
    return x.reshape(x.shape[0], c, s, s)


# -- 07.3 sincos_2d --------------------------------------------------------------------------
def _grid(gh, gw):
    return torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij")


def rows_first(dim, gh, gw):
    rows, cols = _grid(gh, gw)
    return torch.cat([sincos_1d(dim // 2, rows), sincos_1d(dim // 2, cols)], 1)


def interleaved(dim, gh, gw):
    rows, cols = _grid(gh, gw)
    half = dim // 2
    omega = 1.0 / 10000 ** (torch.arange(half // 2, dtype=torch.float64) / (half / 2))

    def one(pos):
        a = pos.reshape(-1).double()[:, None] * omega
        return torch.stack([torch.sin(a), torch.cos(a)], -1).flatten(1).float()

    return torch.cat([one(cols), one(rows)], 1)


def wrong_frequencies(dim, gh, gw):
    rows, cols = _grid(gh, gw)
    half = dim // 2
    omega = 1.0 / 10000 ** (torch.arange(half // 2, dtype=torch.float64) / half)  # divides by D/2, not D/4

    def one(pos):
        a = pos.reshape(-1).double()[:, None] * omega
        return torch.cat([torch.sin(a), torch.cos(a)], 1).float()

    return torch.cat([one(cols), one(rows)], 1)


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("07.1", channel_first, "(p q c), not (c p q)"),
    ("07.1", columns_first_inside, "(q p c)"),
    ("07.1", column_major_patches, "raster order"),
    ("07.1", plain_reshape, "rearrange"),
    ("07.2", unpatch_channel_first, "channel last"),
    ("07.2", unpatch_transposed_grid, "raster order"),
    ("07.2", unpatch_reshape, "result: values differ"),
    ("07.3", rows_first, "column (x)"),
    ("07.3", interleaved, "not interleaved"),
    ("07.3", wrong_frequencies, "frequencies"),
]

RIGHT: list = []


def _one_d(d, pos, cos_first=False):
    omega = 1.0 / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)  # = i / (d/2): the same
    a = pos.reshape(-1).double()[:, None] * omega
    return torch.cat([torch.cos(a), torch.sin(a)] if cos_first else [torch.sin(a), torch.cos(a)], 1)


def cos_before_sin(dim, gh, gw):
    rows, cols = _grid(gh, gw)
    return torch.cat([_one_d(dim // 2, cols, True), _one_d(dim // 2, rows, True)], 1).float()


def meshgrid_xy(dim, gh, gw):
    """numpy's default indexing='xy': the grid read as grid_w rows of grid_h columns."""
    cols, rows = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="xy")
    return torch.cat([_one_d(dim // 2, cols), _one_d(dim // 2, rows)], 1).float()


def sincos_transformer_formula(dim, gh, gw):
    """Right: 10000 ** (2i / d) over arange(0, d, 2), the Transformer paper's spelling."""
    rows, cols = _grid(gh, gw)
    return torch.cat([_one_d(dim // 2, cols), _one_d(dim // 2, rows)], 1).float()


def patchify_by_unfold(imgs, p):
    """Right: Tensor.unfold twice, then (row, column, channel)."""
    b, c = imgs.shape[:2]
    return imgs.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 4, 5, 1).reshape(b, -1, p * p * c)


def unpatchify_by_reshape(x, p, c):
    """Right: reshape and permute, the MAE code's einsum spelled out."""
    h = _side(x)
    return x.reshape(x.shape[0], h, h, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(x.shape[0], c, h * p, h * p)


WRONG += [
    ("07.3", cos_before_sin, "sin vs cos"),
    ("07.3", meshgrid_xy, "grid_h is the number of rows"),
]
RIGHT = [("07.3", sincos_transformer_formula), ("07.1", patchify_by_unfold), ("07.2", unpatchify_by_reshape)]
