"""Lesson 12 graders accept the library's references and reject typical mistakes."""

import torch
from einops import rearrange

from maelearn.timeseries import patchify_series


# -- 12.1 patches of a series ---------------------------------------------------------------


def patches_channel_major(series, p):
    return rearrange(series, "b c (n p) -> b n (c p)", p=p)


def patches_strided(series, p):  # every (L/p)-th step in a patch, not consecutive steps
    return rearrange(series, "b c (p n) -> b n (p c)", p=p)


def patches_overlapping(series, p):  # sliding windows with stride p // 2 (half overlap)
    windows = series.unfold(-1, p, max(1, p // 2))  # (B, C, N', p)
    return rearrange(windows, "b c n p -> b n (p c)")


def patches_per_channel(series, p):  # channel-independent tokens (B, C*N, p)
    return rearrange(series, "b c (n p) -> b (c n) p", p=p)


# -- 12.2 forecasting mask -------------------------------------------------------------------


def _mask(batch, n, keep, dtype=torch.float32):
    m = torch.ones(batch, n, dtype=dtype)
    m[:, :keep] = 0
    return m


def forecast_inverted(batch, n, ratio):  # 1 = visible
    return 1 - _mask(batch, n, int(n * (1 - ratio)))


def forecast_hides_the_start(batch, n, ratio):
    return _mask(batch, n, int(n * (1 - ratio))).flip(1)


def forecast_removes_int_n_ratio(batch, n, ratio):
    return _mask(batch, n, n - int(n * ratio))


def forecast_rounds(batch, n, ratio):
    return _mask(batch, n, round(n * (1 - ratio)))


def forecast_bool(batch, n, ratio):
    return _mask(batch, n, int(n * (1 - ratio))).bool()


# -- 12.3 per-patch normalized target ---------------------------------------------------------------


def _patches(series, p):
    return rearrange(series, "b c (n p) -> b n (p c)", p=p)


def targets_not_normalized(series, p):
    return _patches(series, p)


def targets_whole_series(series, p):  # z-score each channel over the series, then patchify
    z = (series - series.mean(-1, keepdim=True)) / (series.var(-1, keepdim=True) + 1e-6) ** 0.5
    return _patches(z, p)


def targets_per_channel(series, p):  # VideoMAE-style, each channel of a patch separately
    x = rearrange(series, "b c (n p) -> b n p c", p=p)
    x = (x - x.mean(2, keepdim=True)) / (x.var(2, keepdim=True) + 1e-6) ** 0.5
    return rearrange(x, "b n p c -> b n (p c)")


def targets_biased_variance(series, p):
    x = _patches(series, p)
    return (x - x.mean(-1, keepdim=True)) / (x.var(-1, unbiased=False, keepdim=True) + 1e-6) ** 0.5


def targets_eps_in_std(series, p):
    x = _patches(series, p)
    return (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-6)


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("12.1", patches_channel_major, "channel-major"),
    ("12.1", patches_strided, "CONSECUTIVE"),
    ("12.1", patches_overlapping, "overlap"),
    ("12.1", patches_per_channel, "every channel"),
    ("12.2", forecast_inverted, "1 means REMOVED"),
    ("12.2", forecast_hides_the_start, "LAST patches"),
    ("12.2", forecast_removes_int_n_ratio, "int truncates"),
    ("12.2", forecast_rounds, "int truncates"),
    ("12.2", forecast_bool, "your result is torch.bool but the answer is torch.float32; check"),
    ("12.3", targets_not_normalized, "is normalized"),
    ("12.3", targets_whole_series, "whole series"),
    ("12.3", targets_per_channel, "VideoMAE"),
    ("12.3", targets_biased_variance, "unbiased"),
    ("12.3", targets_eps_in_std, "inside the square root"),
]


def targets_float64_then_cast(series, p):
    patches = patchify_series(series.double(), p)
    mean, var = patches.mean(-1, keepdim=True), patches.var(-1, keepdim=True)
    return ((patches - mean) / (var + 1e-6) ** 0.5).float()


RIGHT = [("12.3", targets_float64_then_cast)]


# -- second audit: other routes ------------------------------------------------------------------


def patches_by_reshape_permute(series, p):
    """Right: reshape (B, C, N, p), then (B, N, p, C)."""
    b, c, length = series.shape
    return series.reshape(b, c, length // p, p).permute(0, 2, 3, 1).reshape(b, length // p, p * c)


def forecast_by_arange(batch, num_patches, mask_ratio):
    """Right: compare positions with the number kept."""
    keep = int(num_patches * (1 - mask_ratio))
    return (torch.arange(num_patches) >= keep).float().repeat(batch, 1)


RIGHT += [("12.1", patches_by_reshape_permute), ("12.2", forecast_by_arange)]
