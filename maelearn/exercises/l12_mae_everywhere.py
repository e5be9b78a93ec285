"""Graders of lesson 12 (MAE everywhere): patches of a time series, a forecasting mask,
and a label curve judged against the strongest cheap baseline at each label count.

12.3's cases: 2, 3 and 5 seeds, a strongest baseline that changes with the label count or wins
single seeds without the best mean, differences of either sign. Its hints recognise the
baseline picked per seed, by best seed, among all methods or once for all counts, the weakest
or averaged baseline, an unpaired difference, z = 1.96, the population sd and a flipped sign."""

from __future__ import annotations

import math

import torch
from einops import rearrange

from maelearn.exercises.framework import Case, exercise
from maelearn.stats import interval, paired_difference, paired_interval, t_quantile, versus_strongest_baseline
from maelearn.timeseries import forecast_mask, patchify_series


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



# -- 12.3 a label curve against the strongest cheap baseline ------------------------------------

_CHEAP = ("raw series, linear", "raw series, k-NN", "spectrum, linear", "spectrum, k-NN")


def _curve(means: dict[str, dict[str, float]], n_seeds: int, seed: int, swing: float = 0.04,
           noise: float = 0.015) -> dict[str, dict[str, list[float]]]:
    """Accuracies {name: {count: [one per seed]}} around the given means: a seed's draw of
    labels moves every method together (``swing``, what pairing cancels), plus each
    method's own ``noise``; rounded to 3 decimals, as accuracies on 1000 test series."""
    g = torch.Generator().manual_seed(seed)
    keys = list(next(iter(means.values())))
    shared = {k: (swing * torch.randn(n_seeds, generator=g, dtype=torch.float64)).tolist() for k in keys}
    return {name: {k: [round(m + s + noise * float(torch.randn((), generator=g, dtype=torch.float64)), 3)
                       for s in shared[k]] for k, m in per.items()}
            for name, per in means.items()}


def _mean(xs) -> float:
    return sum(xs) / len(xs)


def _sd(xs, ddof: int = 1) -> float:
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - ddof))


def _t_interval(d, q=None, ddof: int = 1) -> tuple[float, float, float]:
    n = len(d)
    h = (t_quantile(n - 1) if q is None else q) * _sd(d, ddof) / math.sqrt(n)
    m = _mean(d)
    return m, m - h, m + h


def _paired(a, b, **kw):
    return _t_interval([x - y for x, y in zip(a, b)], **kw)


def _unpaired(a, b, pooled: bool = False):
    n = len(a)
    se = (math.sqrt(((n - 1) * _sd(a) ** 2 + (n - 1) * _sd(b) ** 2) / (2 * n - 2) * 2 / n) if pooled
          else math.sqrt(_sd(a) ** 2 / n + _sd(b) ** 2 / n))
    m = _mean(a) - _mean(b)
    h = t_quantile(2 * n - 2 if pooled else n - 1) * se
    return m, m - h, m + h


def _by_mean(accs, baselines, key, sign=1.0):
    return max(baselines, key=lambda b: sign * _mean(accs[b][key]))


_UNPAIRED = ("the difference is not paired: take the per-seed differences method[i] - baseline[i] first (the same "
             "seed drew the same labels for both), then their mean and spread. The spreads of the two methods taken "
             "apart keep the seed-to-seed swings they share; pairing cancels them.")
_ONE_PER_COUNT = ("pick the strongest baseline at EACH label count: which cheap baseline is strongest changes along "
                  "the curve (a k-NN may lead with 2 labels, a linear probe with every label).")


def _slips_curve(accs, method, baselines) -> list[tuple[dict, str]]:
    """What the usual wrong answers return on (accs, method, baselines), each with its hint."""
    keys = list(accs[method])
    others = [n for n in accs if n != method]

    def judged(pick, diff=_paired):
        out = {}
        for k in keys:
            b = pick(k)
            out[k] = (b, *diff(accs[method][k], accs[b][k]))
        return out

    pooled_best = max(baselines, key=lambda b: _mean([x for k in keys for x in accs[b][k]]))
    per_seed = {k: (_by_mean(accs, baselines, k),
                    *_t_interval([m - max(accs[b][k][i] for b in baselines) for i, m in enumerate(accs[method][k])]))
                for k in keys}
    average = {k: ("baselines",
                   *_t_interval([m - _mean([accs[b][k][i] for b in baselines]) for i, m in enumerate(accs[method][k])]))
               for k in keys}
    strongest = lambda k: _by_mean(accs, baselines, k)  # noqa: E731
    return [
        (per_seed, "pick ONE baseline per label count, the one with the highest MEAN over seeds, and pair the method "
                   "with it on every seed; taking the best baseline of each seed separately lets every seed choose "
                   "after seeing its own result, which no fixed baseline could do."),
        (judged(lambda k: max(baselines, key=lambda b: max(accs[b][k]))),
         "the strongest baseline is the one with the highest mean over seeds, not the one with the best single seed."),
        (judged(lambda k: _by_mean(accs, baselines, k, sign=-1.0)),
         "compare with the STRONGEST cheap baseline (highest mean), not the weakest: a learned feature has to beat "
         "the best thing you could have had for free."),
        (average, "compare with the strongest cheap baseline, not with the average of the baselines."),
        (judged(lambda k: max(others, key=lambda b: _mean(accs[b][k]))),
         "the baseline must be one of the cheap baselines you are given (the `cheap` argument), not any other method."),
        (judged(lambda k: pooled_best), _ONE_PER_COUNT),
        (judged(lambda k: _by_mean(accs, baselines, keys[-1])), _ONE_PER_COUNT),
        (judged(lambda k: _by_mean(accs, baselines, keys[0])), _ONE_PER_COUNT),
        (judged(strongest, lambda a, b: _paired(a, b, q=1.959963984540054)),
         "with a handful of seeds use Student's t quantile, t.ppf(0.975, n - 1) (scipy.stats.t or "
         "maelearn.stats.t_quantile(n - 1)), not the normal 1.96: the sd is itself estimated from n values."),
        (judged(strongest, lambda a, b: _paired(a, b, ddof=0)),
         "use the sample standard deviation of the differences (divide by n - 1: np.std(..., ddof=1), "
         "statistics.stdev), not the population one (ddof=0)."),
        (judged(strongest, _unpaired), _UNPAIRED),
        (judged(strongest, lambda a, b: _unpaired(a, b, pooled=True)), _UNPAIRED),
        (judged(strongest, lambda a, b: _paired(a, b, q=1.959963984540054 * math.sqrt(len(a)))),
         "the interval is for the *mean* difference: its half-width is t * sd / sqrt(n), not t * sd."),
        (judged(strongest, lambda a, b: _paired(sorted(a), sorted(b))),
         "do not sort the lists: position i is seed i in every list, and sorting pairs values of different seeds."),
        (judged(strongest, lambda a, b: _paired(b, a)),
         "the difference is method - baseline (positive when the learned method is ahead), not baseline - method."),
        (judged(strongest, lambda a, b: _paired(a, b, q=t_quantile(len(a)))),
         "n seeds give n - 1 degrees of freedom: t.ppf(0.975, n - 1)."),
    ]


def _values_close(got, want, tol: float = 1e-6) -> bool:
    try:
        return all(abs(float(got[k][i]) - want[k][i]) <= tol * max(1.0, abs(want[k][i]))
                   for k in want for i in (1, 2, 3))
    except (TypeError, ValueError, KeyError, IndexError):
        return False


def _diagnose_curve(case, got, expected):
    accs, method, baselines = case.args
    if isinstance(got, (tuple, list)) and len(got) == 4:
        return "return a dict with one entry per label count, {count: (baseline, mean, lo, hi)}, not one tuple."
    if not isinstance(got, dict):
        return "return a dict {label count: (baseline name, mean, lo, hi)}."
    if set(got) != set(expected):
        return (f"one entry per label count of the method, keyed as in the accuracies: {list(expected)} "
                f"(you returned the keys {list(got)[:8]}).")
    for k, entry in got.items():
        if not isinstance(entry, (tuple, list)) or len(entry) != 4:
            return f"each entry is a tuple of four, (baseline name, mean, lo, hi); at {k!r} you returned {entry!r:.80}."
        if not isinstance(entry[0], str):
            return "each entry starts with the baseline's name (a str), then the mean, lo and hi of the difference."
    for k, (name, mean, lo, hi) in expected.items():
        g = got[k]
        try:
            triple = [float(v) for v in g[1:]]
        except (TypeError, ValueError):
            return "the last three items of each entry are numbers: mean, lo, hi of the paired difference."
        if all(abs(x - y) < 1e-6 for x, y in zip(sorted(triple), sorted((mean, lo, hi)))) and triple != [mean, lo, hi]:
            return "put the numbers in the order (mean, lo, hi)."
        if abs(triple[0] - mean) < 1e-6 and abs(triple[1] - (mean - lo)) < 1e-6 and lo != hi:
            return "return the interval's two ends, lo = mean - h and hi = mean + h, not the half-width h."
    for wrong, hint in _slips_curve(accs, method, list(baselines)):
        if _values_close(got, wrong) and not _values_close(expected, wrong):
            return hint
    for k, (name, *_rest) in expected.items():
        if got[k][0] != name:
            if got[k][0] not in baselines:
                return f"at {k!r} the baseline must be one of the cheap baselines {list(baselines)}, not {got[k][0]!r}."
            return (f"at {k!r} the strongest cheap baseline by mean over seeds is {name!r} "
                    f"(mean {_mean(accs[name][k]):.4f}), not {got[k][0]!r} (mean {_mean(accs[got[k][0]][k]):.4f}).")
    return None


@exercise("12.3", "a label curve against the strongest cheap baseline", versus_strongest_baseline,
          diagnose=_diagnose_curve, rtol=1e-6, atol=1e-9, forbidden=(paired_interval, interval, paired_difference))
def _cases_curve():
    # As the study: 5 seeds, 4 cheap baselines, the strongest of them changes along the curve
    # (raw-series k-NN with 2 labels, spectrum k-NN with 10, spectrum linear with all), the
    # spectrum's linear probe wins single seeds with 2 labels without the best mean, and the
    # untrained encoder is above every cheap baseline with 2 labels (not a cheap baseline).
    means = {"raw series, linear": {"2": 0.30, "10": 0.41, "all": 0.52},
             "raw series, k-NN": {"2": 0.43, "10": 0.55, "all": 0.63},
             "spectrum, linear": {"2": 0.41, "10": 0.60, "all": 0.91},
             "spectrum, k-NN": {"2": 0.37, "10": 0.65, "all": 0.84},
             "random/norm": {"2": 0.47, "10": 0.62, "all": 0.83},
             "untrained": {"2": 0.50, "10": 0.58, "all": 0.71}}
    yield Case("5 seeds, 3 label counts, 4 cheap baselines (as the study)", (_curve(means, 5, 0), "random/norm", _CHEAP))
    # 2 seeds: t(0.975, 1) = 12.7, far from 1.96.
    two = {"raw series, k-NN": {"5": 0.40, "all": 0.60}, "spectrum, linear": {"5": 0.36, "all": 0.88},
           "forecast/raw": {"5": 0.45, "all": 0.80}}
    yield Case("2 seeds (t with 1 degree of freedom), 2 baselines", (_curve(two, 2, 1), "forecast/raw",
                                                                        ["spectrum, linear", "raw series, k-NN"]))
    # 3 seeds, the method behind the baseline at every count: negative differences.
    behind = {"spectrum, k-NN": {"2": 0.52, "20": 0.80, "all": 0.86},
              "raw series, linear": {"2": 0.35, "20": 0.55, "all": 0.74},
              "random/raw": {"2": 0.41, "20": 0.70, "all": 0.84}}
    yield Case("3 seeds, the method behind the baseline (negative differences)",
               (_curve(behind, 3, 2, swing=0.06), "random/raw", ("raw series, linear", "spectrum, k-NN")))
    # 4 seeds with large shared swings: pairing narrows the interval a lot; sorting the
    # lists would pair different seeds.
    swings = {"raw series, linear": {"50": 0.62}, "raw series, k-NN": {"50": 0.66}, "spectrum, linear": {"50": 0.70},
              "spectrum, k-NN": {"50": 0.74}, "forecast/norm": {"50": 0.76}}
    yield Case("4 seeds, one label count, large swings the methods share",
               (_curve(swings, 4, 3, swing=0.08, noise=0.01), "forecast/norm", _CHEAP))
    # The spectrum's linear probe has the best single seed (0.62) and wins seed 1, but the
    # raw series' k-NN has the best mean: picking by best seed or per seed goes wrong.
    lucky = {"spectrum, linear": {"5": [0.40, 0.62, 0.41], "all": [0.88, 0.90, 0.86]},
             "raw series, k-NN": {"5": [0.50, 0.52, 0.51], "all": [0.61, 0.63, 0.60]},
             "random/norm": {"5": [0.55, 0.60, 0.50], "all": [0.80, 0.84, 0.79]}}
    yield Case("3 seeds, a baseline with the best single seed but not the best mean",
               (lucky, "random/norm", ["spectrum, linear", "raw series, k-NN"]))
    # Every seed the same difference: sd 0, the interval is a point.
    same = {"spectrum, linear": {"2": [0.40, 0.44, 0.38], "all": [0.90, 0.91, 0.88]},
            "raw series, k-NN": {"2": [0.45, 0.47, 0.43], "all": [0.60, 0.58, 0.62]},
            "untrained": {"2": [0.50, 0.52, 0.48], "all": [0.70, 0.71, 0.68]}}
    yield Case("3 seeds, every seed the same difference (sd 0)",
               (same, "untrained", ["raw series, k-NN", "spectrum, linear"]))
