"""Lesson 01 graders accept the reference and reject typical Lucas-Kanade mistakes."""

import pytest
import torch

from maelearn.classic.flow import window_sum
from maelearn.testing import assert_accepts, assert_rejects


def no_window(ix, iy, it, window=5):  # products per pixel, never summed
    return torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it])


def swapped_xy(ix, iy, it, window=5):
    return window_sum(torch.stack([iy * iy, ix * iy, ix * ix, ix * it, iy * it]), window)


def mean_not_sum(ix, iy, it, window=5):  # harmless for the solve, but not what was asked
    return window_sum(torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it]), window) / window**2


def _solve(sums, min_eig, sign=-1.0, threshold=True, swap=False):
    sxx, sxy, syy, sxt, syt = sums
    det = sxx * syy - sxy**2
    u = sign * (syy * sxt - sxy * syt) / det
    v = sign * (sxx * syt - sxy * sxt) / det
    out = torch.stack([v, u] if swap else [u, v])
    if threshold:
        tr = sxx + syy
        lam = 0.5 * (tr - torch.sqrt((tr**2 - 4 * det).clamp(min=0)))
        out = torch.where(lam >= min_eig, out, torch.zeros_like(out))
    return out


def wrong_sign(sums, min_eig=1e-3):
    return _solve(sums, min_eig, sign=1.0)


def no_threshold(sums, min_eig=1e-3):
    return _solve(sums, min_eig, threshold=False)


def dx_dy_swapped(sums, min_eig=1e-3):
    return _solve(sums, min_eig, swap=True)


def mean_squared(flow, true, mask=None):
    e = ((flow - true) ** 2).sum(-3)
    return float((e[mask] if mask is not None else e).mean())


def root_of_mean(flow, true, mask=None):
    e = ((flow - true) ** 2).sum(-3)
    return float((e[mask] if mask is not None else e).mean().sqrt())


def ignores_mask(flow, true, mask=None):
    return float(((flow - true) ** 2).sum(-3).sqrt().mean())


def l1_distance(flow, true, mask=None):
    e = (flow - true).abs().sum(-3)
    return float((e[mask] if mask is not None else e).mean())


WRONG = {
    "01.1": [no_window, swapped_xy, mean_not_sum],
    "01.2": [wrong_sign, no_threshold, dx_dy_swapped],
    "01.3": [mean_squared, root_of_mean, ignores_mask, l1_distance],
}


@pytest.mark.parametrize("ex_id", sorted(WRONG))
def test_reference_accepted(ex_id):
    assert assert_accepts(ex_id) >= 3


# Every WRONG answer is checked for rejection by tests/test_graders_all.py.


def test_hints_name_the_mistake():
    assert "sum them over the window" in assert_rejects("01.1", no_window)
    assert "sign is flipped" in assert_rejects("01.2", wrong_sign)
    assert "square root per pixel" in assert_rejects("01.3", mean_squared)
