"""Lesson 07's graders accept the references and reject typical wrong answers."""

import pytest
import torch
from einops import rearrange

from maelearn.posembed import sincos_1d
from maelearn.testing import assert_accepts, assert_rejects


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


WRONG = {
    "07.1": [channel_first, columns_first_inside, column_major_patches, plain_reshape],
    "07.2": [unpatch_channel_first, unpatch_transposed_grid, unpatch_reshape],
    "07.3": [rows_first, interleaved, wrong_frequencies],
}

HINTS = {
    channel_first: "(p q c), not (c p q)",
    columns_first_inside: "(q p c)",
    column_major_patches: "raster order",
    plain_reshape: "rearrange",
    unpatch_channel_first: "channel last",
    unpatch_transposed_grid: "raster order",
    unpatch_reshape: None,
    rows_first: "column (x)",
    interleaved: "not interleaved",
    wrong_frequencies: "frequencies",
}


@pytest.mark.parametrize("ex_id", ["07.1", "07.2", "07.3"])
def test_reference_passes(ex_id):
    assert assert_accepts(ex_id) >= 3


@pytest.mark.parametrize("ex_id,fn", [(k, f) for k, fns in WRONG.items() for f in fns], ids=lambda v: getattr(v, "__name__", v))
def test_wrong_answer_rejected_with_its_hint(ex_id, fn):
    assert_rejects(ex_id, fn, match=HINTS[fn])
