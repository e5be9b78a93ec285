"""Lesson 12 graders accept the library's references and reject typical mistakes."""

import math
import statistics

import numpy as np
import torch
from einops import rearrange
from scipy.stats import t

from maelearn.stats import versus_strongest_baseline


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


# -- 12.3 a label curve against the strongest cheap baseline ----------------------------------------


def _mean(xs):
    return sum(xs) / len(xs)


def _interval(d, q=None, ddof=1):
    """mean, lo, hi of the values d with quantile q (default Student's t, n - 1 dof)."""
    n = len(d)
    m = _mean(d)
    sd = (sum((x - m) ** 2 for x in d) / (n - ddof)) ** 0.5
    h = (float(t.ppf(0.975, n - 1)) if q is None else q) * sd / n**0.5
    return m, m - h, m + h


def _judge(accuracies, method, pick, diff):
    return {k: (b := pick(k), *diff(v, accuracies[b][k])) for k, v in accuracies[method].items()}


def _paired(a, b, **kw):
    return _interval([x - y for x, y in zip(a, b)], **kw)


def _strongest(accuracies, cheap):
    return lambda k: max(cheap, key=lambda b: _mean(accuracies[b][k]))


def curve_best_per_seed(accuracies, method, cheap):
    """Wrong: every seed against whichever baseline is best on that seed."""
    out = {}
    for k, v in accuracies[method].items():
        best = max(cheap, key=lambda b: _mean(accuracies[b][k]))
        out[k] = (best, *_interval([m - max(accuracies[b][k][i] for b in cheap) for i, m in enumerate(v)]))
    return out


def curve_best_single_seed(accuracies, method, cheap):
    """Wrong: the strongest baseline is the one with the highest single seed."""
    return _judge(accuracies, method, lambda k: max(cheap, key=lambda b: max(accuracies[b][k])), _paired)


def curve_unpaired(accuracies, method, cheap):
    """Wrong: difference of the means with the pooled two-sample interval."""
    def diff(a, b):
        n = len(a)
        va, vb = (np.var(a, ddof=1), np.var(b, ddof=1))
        se = ((((n - 1) * va + (n - 1) * vb) / (2 * n - 2)) * 2 / n) ** 0.5
        m = _mean(a) - _mean(b)
        return m, float(m - t.ppf(0.975, 2 * n - 2) * se), float(m + t.ppf(0.975, 2 * n - 2) * se)
    return _judge(accuracies, method, _strongest(accuracies, cheap), diff)


def curve_welch(accuracies, method, cheap):
    """Wrong: difference of the means, each mean's own standard error."""
    def diff(a, b):
        n = len(a)
        se = (np.var(a, ddof=1) / n + np.var(b, ddof=1) / n) ** 0.5
        m = _mean(a) - _mean(b)
        return m, float(m - t.ppf(0.975, n - 1) * se), float(m + t.ppf(0.975, n - 1) * se)
    return _judge(accuracies, method, _strongest(accuracies, cheap), diff)


def curve_z(accuracies, method, cheap):
    """Wrong: z = 1.96 instead of the t quantile."""
    return _judge(accuracies, method, _strongest(accuracies, cheap), lambda a, b: _paired(a, b, q=1.96))


def curve_population_sd(accuracies, method, cheap):
    """Wrong: the population sd (ddof=0) of the differences."""
    return _judge(accuracies, method, _strongest(accuracies, cheap), lambda a, b: _paired(a, b, ddof=0))


def curve_weakest(accuracies, method, cheap):
    """Wrong: against the weakest cheap baseline."""
    return _judge(accuracies, method, lambda k: min(cheap, key=lambda b: _mean(accuracies[b][k])), _paired)


def curve_baselines_mean(accuracies, method, cheap):
    """Wrong: against the average of all cheap baselines, seed by seed."""
    out = {}
    for k, v in accuracies[method].items():
        avg = [_mean([accuracies[b][k][i] for b in cheap]) for i in range(len(v))]
        out[k] = ("mean of the baselines", *_paired(v, avg))
    return out


def curve_one_baseline_for_all_counts(accuracies, method, cheap):
    """Wrong: ignores the label counts: one baseline, the strongest over every count pooled."""
    keys = list(accuracies[method])
    best = max(cheap, key=lambda b: _mean([x for k in keys for x in accuracies[b][k]]))
    return _judge(accuracies, method, lambda k: best, _paired)


def curve_baseline_of_every_label(accuracies, method, cheap):
    """Wrong: ignores the label counts: the strongest baseline with every label, used at every count."""
    last = list(accuracies[method])[-1]
    return _judge(accuracies, method, lambda k: _strongest(accuracies, cheap)(last), _paired)


def curve_strongest_of_every_method(accuracies, method, cheap):
    """Wrong: the strongest of every other method, learned ones included."""
    others = [m for m in accuracies if m != method]
    return _judge(accuracies, method, lambda k: max(others, key=lambda b: _mean(accuracies[b][k])), _paired)


def curve_baseline_minus_method(accuracies, method, cheap):
    """Wrong: the sign flipped."""
    return _judge(accuracies, method, _strongest(accuracies, cheap), lambda a, b: _paired(b, a))


def curve_sorted_before_pairing(accuracies, method, cheap):
    """Wrong: sorts each list before pairing."""
    return _judge(accuracies, method, _strongest(accuracies, cheap), lambda a, b: _paired(sorted(a), sorted(b)))


def curve_numpy_floats(accuracies, method, cheap):
    """Wrong: NumPy floats where the lesson asks for Python floats."""
    return {k: (b, *map(np.float64, rest)) for k, (b, *rest) in versus_strongest_baseline(accuracies, method, cheap).items()}


def curve_only_every_label(accuracies, method, cheap):
    """Wrong: judges only the last point of the curve."""
    k = list(accuracies[method])[-1]
    return {k: versus_strongest_baseline(accuracies, method, cheap)[k]}


def curve_half_width(accuracies, method, cheap):
    """Wrong: (mean, half-width, half-width) instead of (mean, lo, hi)."""
    return {k: (b, m, m - lo, hi - m) for k, (b, m, lo, hi) in versus_strongest_baseline(accuracies, method, cheap).items()}


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
    ("12.3", curve_best_per_seed, "highest MEAN over seeds, and pair"),
    ("12.3", curve_best_single_seed, "not the one with the best single seed"),
    ("12.3", curve_unpaired, "the difference is not paired"),
    ("12.3", curve_welch, "the difference is not paired"),
    ("12.3", curve_z, "not the normal 1.96"),
    ("12.3", curve_population_sd, "not the population one (ddof=0)"),
    ("12.3", curve_weakest, "not the weakest"),
    ("12.3", curve_baselines_mean, "not with the average of the baselines"),
    ("12.3", curve_one_baseline_for_all_counts, "at EACH label count"),
    ("12.3", curve_baseline_of_every_label, "at EACH label count"),
    ("12.3", curve_strongest_of_every_method, "must be one of the cheap baselines"),
    ("12.3", curve_baseline_minus_method, "not baseline - method"),
    ("12.3", curve_sorted_before_pairing, "do not sort the lists"),
    ("12.3", curve_numpy_floats, "return a Python float"),
    ("12.3", curve_only_every_label, "one entry per label count"),
    ("12.3", curve_half_width, "not the half-width"),
]


def curve_by_numpy_and_scipy(accuracies, method, cheap):
    """Right: NumPy arrays, scipy's one-sample t-interval of the differences, Python floats at the end."""
    out = {}
    for k, v in accuracies[method].items():
        means = np.array([np.mean(accuracies[b][k]) for b in cheap])
        best = list(cheap)[int(np.argmax(means))]
        d = np.asarray(v) - np.asarray(accuracies[best][k])
        sem = d.std(ddof=1) / np.sqrt(len(d))
        lo, hi = (d.mean(), d.mean()) if sem == 0 else t.interval(0.95, len(d) - 1, loc=d.mean(), scale=sem)
        out[k] = (best, float(d.mean()), float(lo), float(hi))
    return out


def curve_by_statistics(accuracies, method, cheap):
    """Right: the statistics module, the baselines sorted by their means, a list per entry."""
    out = {}
    for k in accuracies[method]:
        ranked = sorted(cheap, key=lambda b: statistics.fmean(accuracies[b][k]), reverse=True)
        d = [a - b for a, b in zip(accuracies[method][k], accuracies[ranked[0]][k])]
        h = float(t.ppf(0.975, len(d) - 1)) * statistics.stdev(d) / math.sqrt(len(d))
        out[k] = [ranked[0], statistics.fmean(d), statistics.fmean(d) - h, statistics.fmean(d) + h]
    return out


def curve_by_torch(accuracies, method, cheap):
    """Right: float64 tensors, a stacked (baselines, seeds) table per count."""
    out = {}
    for k, v in accuracies[method].items():
        table = torch.tensor([accuracies[b][k] for b in cheap], dtype=torch.float64)
        i = int(table.mean(1).argmax())
        d = torch.tensor(v, dtype=torch.float64) - table[i]
        h = float(t.ppf(0.975, len(d) - 1)) * float(d.std()) / len(d) ** 0.5
        out[k] = (list(cheap)[i], float(d.mean()), float(d.mean()) - h, float(d.mean()) + h)
    return out


RIGHT = [("12.3", curve_by_numpy_and_scipy), ("12.3", curve_by_statistics), ("12.3", curve_by_torch)]


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
