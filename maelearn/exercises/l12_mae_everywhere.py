"""Graders of lesson 12 (MAE everywhere): patches of a time series, a forecasting mask,
the per-patch normalized target."""

from __future__ import annotations

import torch
from einops import rearrange

from maelearn.exercises.framework import Case, exercise
from maelearn.timeseries import forecast_mask, patchify_series, series_targets


def _series(shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# -- 12.1 patches of a series -----------------------------------------------------------------


def _diagnose_patches(case, got, expected):
    series, p = case.args
    b, c, length = series.shape
    if not isinstance(got, torch.Tensor):
        return "return a tensor (B, L/p, p*C)."
    if tuple(got.shape) == (b, c * (length // p), p):
        return "one token must hold every channel of its p steps (p*C values), not one channel at a time."
    if got.ndim == 3 and got.shape[1] > length // p:
        return f"your patches overlap ({got.shape[1]} of them); cut L into L/p = {length // p} non-overlapping windows."
    if got.shape != expected.shape:
        return "the result is (B, N, p*C) with N = L/p."
    if torch.equal(got, rearrange(series, "b c (n p) -> b n (c p)", p=p)):
        return "the patches are right but the values inside are channel-major; use (step, channel) order, as (row, column, channel) in image patches."
    if torch.equal(got, rearrange(series, "b c (p n) -> b n (p c)", p=p)):
        return "a patch must hold p CONSECUTIVE steps: split L as (n p), not (p n)."
    return None


@exercise("12.1", "patches of a time series", patchify_series, diagnose=_diagnose_patches)
def _cases_patches():
    yield Case("2 series, 3 channels, 16 steps, p=4", (_series((2, 3, 16), 0), 4))
    yield Case("1 series, 2 channels, 12 steps, p=3", (_series((1, 2, 12), 1), 3))
    yield Case("3 series, 6 channels, 20 steps, p=5", (_series((3, 6, 20), 2), 5))


# -- 12.2 forecasting mask ----------------------------------------------------------------------


def _diagnose_forecast(case, got, expected):
    batch, n, ratio = case.args
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return f"return a ({batch}, {n}) float mask, one row per series."
    if got.dtype != expected.dtype:
        return "return a float mask (1.0 = removed, 0.0 = visible), like random masking's."
    if torch.equal(got, 1 - expected):
        return "1 means REMOVED: the visible past is 0, the hidden future is 1."
    if torch.equal(got, expected.flip(1)):
        return "you hide the beginning; a forecasting mask hides the LAST patches (the future)."
    if int(got[0].sum()) != int(expected[0].sum()):
        return ("keep exactly int(N * (1 - mask_ratio)) patches, the count random masking keeps "
                "(int truncates; N - int(N * mask_ratio) is not the same number in floating point).")
    return None


@exercise("12.2", "forecasting mask", forecast_mask, diagnose=_diagnose_forecast)
def _cases_forecast():
    yield Case("2 series, 16 patches, 75 %", (2, 16, 0.75))
    # int(10 * (1 - 0.8)) = int(1.9999999999999996) = 1 kept (random masking's count),
    # but 10 - int(10 * 0.8) = 2: the two formulas differ in floating point here
    yield Case("3 series, 10 patches, 80 %", (3, 10, 0.8))
    # int(10 * 0.75) = 7 kept; round(7.5) = 8 would keep one too many
    yield Case("1 series, 10 patches, 25 %", (1, 10, 0.25))


# -- 12.3 per-patch normalized target ---------------------------------------------------------------


def _diagnose_targets(case, got, expected):
    series, p = case.args
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return (B, L/p, p*C), the layout of patchify_series."
    patches = patchify_series(series, p)
    if torch.allclose(got, patches, atol=1e-5):
        return "the target is normalized: subtract each patch's mean and divide by sqrt(var + eps)."
    whole = (series - series.mean(-1, keepdim=True)) / (series.var(-1, keepdim=True) + 1e-6) ** 0.5
    if torch.allclose(got, patchify_series(whole, p), atol=1e-4):
        return "you normalized each channel over the whole series; normalize each PATCH over its own p*C values."
    per = rearrange(patches, "b n (p c) -> b n p c", p=p)
    by_channel = (per - per.mean(2, keepdim=True)) / (per.var(2, keepdim=True) + 1e-6) ** 0.5
    if torch.allclose(got, rearrange(by_channel, "b n p c -> b n (p c)"), atol=1e-4):
        return "that is VideoMAE's per-channel target; here each patch is normalized over all its p*C values together."
    biased = (patches - patches.mean(-1, keepdim=True)) / (patches.var(-1, unbiased=False, keepdim=True) + 1e-6) ** 0.5
    if torch.allclose(got, biased, atol=1e-4):
        return "use the unbiased variance (torch's default, divides by n - 1), as MAE's code does."
    in_std = (patches - patches.mean(-1, keepdim=True)) / (patches.std(-1, keepdim=True) + 1e-6)
    if torch.allclose(got, in_std, atol=1e-4):
        return "add eps to the variance, inside the square root: (x - mean) / sqrt(var + 1e-6)."
    return None


@exercise("12.3", "per-patch normalized target", series_targets, diagnose=_diagnose_targets, rtol=1e-4, atol=1e-4)
def _cases_targets():
    yield Case("2 series, 3 channels, 16 steps, p=4", (_series((2, 3, 16), 3), 4))
    # channels on different levels and scales: per-channel and per-patch statistics differ
    levels = _series((1, 3, 12), 4) * torch.tensor([1.0, 0.1, 5.0]).view(1, 3, 1) + torch.tensor([0.0, 3.0, -2.0]).view(1, 3, 1)
    yield Case("channels on different levels and scales, p=3", (levels, 3))
    flat = 1.0 + 1e-4 * _series((1, 2, 8), 5)  # std ~1e-4: shows where eps goes
    # Rounding x in float32 moves (x - mean) / std by about eps * |x| / std: float64-then-cast
    # or torch.std_mean answers are that far apart (safety factor 10, ~1e-2 here);
    # eps in the wrong place is off by far more.
    std = float(patchify_series(flat.double(), 4).std(-1).min())
    tol = 10 * torch.finfo(torch.float32).eps * float(flat.abs().max()) / std
    yield Case("a nearly flat series, p=4", (flat, 4), rtol=tol, atol=tol)
