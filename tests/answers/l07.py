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
