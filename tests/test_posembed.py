"""Fixed sin-cos position embeddings: known values, shapes, the 2D/3D split, bad dims."""

import math

import pytest
import torch

from maelearn.posembed import sincos_1d, sincos_2d, sincos_3d


def test_1d_known_values():
    emb = sincos_1d(8, torch.arange(3))  # (3, 8): [sin(pos w_i) for i<4, cos(pos w_i) for i<4]
    assert emb.shape == (3, 8) and emb.dtype == torch.float32
    assert torch.equal(emb[0, :4], torch.zeros(4))  # sin 0
    assert torch.equal(emb[0, 4:], torch.ones(4))  # cos 0
    # w_i = 1 / 10000^(i / 4): w_0 = 1, w_2 = 1/100. Float32 rounding of sin/cos: 1e-6.
    assert emb[1, 0].item() == pytest.approx(math.sin(1.0), abs=1e-6)
    assert emb[2, 4].item() == pytest.approx(math.cos(2.0), abs=1e-6)
    assert emb[2, 2].item() == pytest.approx(math.sin(2 / 100), abs=1e-6)
    assert emb[2, 7].item() == pytest.approx(math.cos(2 / 10000 ** 0.75), abs=1e-6)


def test_2d_shape_cls_and_half_split():
    dim, h, w = 16, 3, 5
    emb = sincos_2d(dim, h, w)
    assert emb.shape == (h * w, dim)
    with_cls = sincos_2d(dim, h, w, cls_token=True)
    assert with_cls.shape == (1 + h * w, dim)
    assert torch.equal(with_cls[0], torch.zeros(dim)) and torch.equal(with_cls[1:], emb)
    # First half encodes the column, second half the row (raster order: index = row*w + col).
    for idx in range(h * w):
        row, col = divmod(idx, w)
        assert torch.equal(emb[idx, : dim // 2], sincos_1d(dim // 2, torch.tensor([col]))[0])
        assert torch.equal(emb[idx, dim // 2 :], sincos_1d(dim // 2, torch.tensor([row]))[0])
    assert len({tuple(r.tolist()) for r in emb}) == h * w  # every position distinct


def test_3d_shape_and_time_quarter():
    dim, t, h, w = 32, 2, 3, 3
    emb = sincos_3d(dim, t, h, w)
    assert emb.shape == (t * h * w, dim)
    assert sincos_3d(dim, t, h, w, cls_token=True).shape == (1 + t * h * w, dim)
    d_t = dim // 4
    space = sincos_2d(dim - d_t, h, w)
    for ti in range(t):
        block = emb[ti * h * w : (ti + 1) * h * w]
        # Time part identical across a frame, the space part identical across frames.
        assert torch.equal(block[:, :d_t], sincos_1d(d_t, torch.tensor([ti])).expand(h * w, -1))
        assert torch.equal(block[:, d_t:], space)


@pytest.mark.parametrize("fn,dim,match", [
    (lambda d: sincos_1d(d, torch.arange(2)), 7, "even"),
    (lambda d: sincos_2d(d, 2, 2), 6, "divisible by 4"),
    (lambda d: sincos_3d(d, 2, 2, 2), 24, "divisible by 16"),
])
def test_odd_dims_rejected(fn, dim, match):
    with pytest.raises(ValueError, match=match):
        fn(dim)
