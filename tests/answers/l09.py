"""Lesson 09 graders accept right answers by other routes and reject typical wrong ones:
09.1 the paired interval, 09.2 the verdict rule."""

from __future__ import annotations

import math
import statistics

# -- 09.1 the paired interval -------------------------------------------------------------------


def _t(n: int, q: float = 0.975) -> float:
    from scipy.stats import t

    return float(t.ppf(q, n - 1))


def interval_unpaired(a, b):
    """Wrong: the difference of the means, with the two spreads taken apart (Welch-like)."""
    n = len(a)
    m = statistics.mean(a) - statistics.mean(b)
    h = _t(n) * math.sqrt(statistics.variance(a) / n + statistics.variance(b) / n)
    return m, m - h, m + h


def interval_z(a, b):
    """Wrong: the normal quantile 1.96 instead of Student's t."""
    d = [x - y for x, y in zip(a, b)]
    m, h = statistics.mean(d), 1.96 * statistics.stdev(d) / math.sqrt(len(d))
    return m, m - h, m + h


def interval_population_sd(a, b):
    """Wrong: the population standard deviation (ddof 0)."""
    d = [x - y for x, y in zip(a, b)]
    m, h = statistics.mean(d), _t(len(d)) * statistics.pstdev(d) / math.sqrt(len(d))
    return m, m - h, m + h


def interval_sd_not_se(a, b):
    """Wrong: t * sd, the spread of one seed, not of the mean."""
    d = [x - y for x, y in zip(a, b)]
    m, h = statistics.mean(d), _t(len(d)) * statistics.stdev(d)
    return m, m - h, m + h


def interval_sorted(a, b):
    """Wrong: both lists sorted before pairing (the seeds no longer match)."""
    d = [x - y for x, y in zip(sorted(a), sorted(b))]
    m, h = statistics.mean(d), _t(len(d)) * statistics.stdev(d) / math.sqrt(len(d))
    return m, m - h, m + h


def interval_b_minus_a(a, b):
    """Wrong: b - a."""
    d = [y - x for x, y in zip(a, b)]
    m, h = statistics.mean(d), _t(len(d)) * statistics.stdev(d) / math.sqrt(len(d))
    return m, m - h, m + h


def interval_one_sided(a, b):
    """Wrong: t.ppf(0.95, n - 1), a one-sided quantile."""
    d = [x - y for x, y in zip(a, b)]
    m, h = statistics.mean(d), _t(len(d), 0.95) * statistics.stdev(d) / math.sqrt(len(d))
    return m, m - h, m + h


def interval_n_dof(a, b):
    """Wrong: n degrees of freedom instead of n - 1."""
    d = [x - y for x, y in zip(a, b)]
    m, h = statistics.mean(d), _t(len(d) + 1) * statistics.stdev(d) / math.sqrt(len(d))
    return m, m - h, m + h


def interval_pooled(a, b):
    """Wrong: a two-sample pooled t-interval (2n - 2 degrees of freedom)."""
    n = len(a)
    sp = math.sqrt(((n - 1) * statistics.variance(a) + (n - 1) * statistics.variance(b)) / (2 * n - 2))
    m = statistics.mean(a) - statistics.mean(b)
    h = _t(2 * n - 1) * sp * math.sqrt(2 / n)
    return m, m - h, m + h


def interval_half_width(a, b):
    """Wrong: (mean, h, h) instead of the two ends."""
    d = [x - y for x, y in zip(a, b)]
    m, h = statistics.mean(d), _t(len(d)) * statistics.stdev(d) / math.sqrt(len(d))
    return m, h, h


def interval_lo_hi_mean(a, b):
    """Wrong: (lo, hi, mean)."""
    m, lo, hi = interval_by_numpy(a, b)
    return lo, hi, m


def interval_numpy_floats(a, b):
    """Wrong: NumPy float64s, not Python floats."""
    import numpy as np

    d = np.asarray(a) - np.asarray(b)
    m, h = d.mean(), _t(len(d)) * d.std(ddof=1) / np.sqrt(len(d))
    return m, m - h, m + h


def interval_by_numpy(a, b):
    """Right: NumPy arrays and scipy's t, turned into Python floats."""
    import numpy as np
    from scipy import stats

    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    h = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(d.mean() - h), float(d.mean() + h)


def interval_by_scipy(a, b):
    """Right: scipy's one-sample t interval of the differences (sem from scipy)."""
    import numpy as np
    from scipy import stats

    d = np.subtract(a, b)
    if np.std(d) == 0:  # scipy's interval is (nan, nan) when every difference is the same
        return float(d.mean()), float(d.mean()), float(d.mean())
    lo, hi = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
    return float(d.mean()), float(lo), float(hi)


def interval_by_hand_with_library_quantile(a, b):
    """Right: by hand, with the library's t_quantile (it computes the quantile, not the answer)."""
    from maelearn.stats import t_quantile

    n = len(a)
    d = [a[i] - b[i] for i in range(n)]
    m = sum(d) / n
    sd = (sum((x - m) ** 2 for x in d) / (n - 1)) ** 0.5
    h = t_quantile(n - 1) * sd / n**0.5
    return (m, m - h, m + h)


# -- 09.2 the verdict rule ------------------------------------------------------------------------

R, C, S, I = "reproduced", "contradicted", "smaller than the paper", "inconclusive"


def verdict_ignores_direction(lo, hi, paper_sign, paper_effect=None):
    """Wrong: any interval that excludes 0 'reproduces', whatever the paper's direction."""
    if lo > 0 or hi < 0:
        return R
    if paper_effect is not None and (lo > paper_sign * paper_effect or hi < paper_sign * paper_effect):
        return S
    return I


def verdict_unsigned_effect(lo, hi, paper_sign, paper_effect=None):
    """Wrong: the paper's effect compared without its sign."""
    if lo > 0 or hi < 0:
        return R if (lo > 0) == (paper_sign > 0) else C
    if paper_effect is not None and (lo > paper_effect or hi < paper_effect):
        return S
    return I


def verdict_contained_is_smaller(lo, hi, paper_sign, paper_effect=None):
    """Wrong: any interval containing 0 is 'smaller than the paper' when the paper has a number."""
    if lo > 0 or hi < 0:
        return R if (lo > 0) == (paper_sign > 0) else C
    return S if paper_effect is not None else I


def verdict_mean_sign(lo, hi, paper_sign, paper_effect=None):
    """Wrong: the sign of the mean decides, whether or not the interval contains 0."""
    mean = (lo + hi) / 2
    return R if (mean > 0) == (paper_sign > 0) else C


def verdict_touching_excludes(lo, hi, paper_sign, paper_effect=None):
    """Wrong: lo >= 0 counts as excluding 0."""
    if lo >= 0 or hi <= 0:
        return R if (lo >= 0) == (paper_sign > 0) else C
    if paper_effect is not None and (lo > paper_sign * paper_effect or hi < paper_sign * paper_effect):
        return S
    return I


def verdict_smaller_first(lo, hi, paper_sign, paper_effect=None):
    """Wrong: 'smaller than the paper' checked before 0, so a reproduced trend with a smaller
    effect is called smaller."""
    if paper_effect is not None and (lo > paper_sign * paper_effect or hi < paper_sign * paper_effect):
        return S
    if lo > 0 or hi < 0:
        return R if (lo > 0) == (paper_sign > 0) else C
    return I


def verdict_touching_effect_excluded(lo, hi, paper_sign, paper_effect=None):
    """Wrong: an interval whose end is the paper's effect counts as excluding it."""
    if lo > 0 or hi < 0:
        return R if (lo > 0) == (paper_sign > 0) else C
    if paper_effect is not None and (lo >= paper_sign * paper_effect or hi <= paper_sign * paper_effect):
        return S
    return I


def verdict_capitalized(lo, hi, paper_sign, paper_effect=None):
    """Wrong: 'Reproduced' is not the string the tables compare with."""
    return verdict_by_table(lo, hi, paper_sign, paper_effect).capitalize()


def verdict_by_table(lo, hi, paper_sign, paper_effect=None):
    """Right: where 0 and the paper's effect lie relative to the interval, as a lookup."""
    side = "above" if lo > 0 else "below" if hi < 0 else "inside"
    if side != "inside":
        return {(1, "above"): R, (-1, "below"): R}.get((paper_sign, side), C)
    if paper_effect is None:
        return I
    target = math.copysign(paper_effect, paper_sign)
    return I if lo <= target <= hi else S


def verdict_by_intervals(lo, hi, paper_sign, paper_effect=None):
    """Right: with the library's Interval (a container, not the rule) and its excludes."""
    from maelearn.stats import Interval

    iv = Interval(mean=(lo + hi) / 2, lo=lo, hi=hi, n=2, sd=0.0)
    if iv.excludes(0.0):
        return R if iv.mean * paper_sign > 0 else C
    if paper_effect is not None and iv.excludes(paper_sign * paper_effect):
        return S
    return I


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("09.1", interval_unpaired, "the interval is not paired"),
    ("09.1", interval_pooled, "the interval is not paired"),
    ("09.1", interval_z, "not the normal 1.96"),
    ("09.1", interval_population_sd, "ddof=0"),
    ("09.1", interval_sd_not_se, "standard error"),
    ("09.1", interval_sorted, "do not sort the lists"),
    ("09.1", interval_b_minus_a, "not b - a"),
    ("09.1", interval_one_sided, "2.5 % in each tail"),
    ("09.1", interval_n_dof, "n - 1 degrees of freedom"),
    ("09.1", interval_half_width, "not the half-width"),
    ("09.1", interval_lo_hi_mean, "the order (mean, lo, hi)"),
    ("09.1", interval_numpy_floats, "return a Python float"),
    ("09.2", verdict_ignores_direction, "check the paper's direction"),
    ("09.2", verdict_unsigned_effect, "the paper's side of 0"),
    ("09.2", verdict_contained_is_smaller, "lies inside the interval"),
    ("09.2", verdict_mean_sign, "contains 0 neither reproduces nor contradicts"),
    ("09.2", verdict_touching_excludes, "touches 0 contains it"),
    ("09.2", verdict_smaller_first, "reproduces the trend even when the effect is smaller"),
    ("09.2", verdict_touching_effect_excluded, "excluding is strict"),
    ("09.2", verdict_capitalized, "return the string exactly: 'reproduced'"),
]

RIGHT = [
    ("09.1", interval_by_numpy),
    ("09.1", interval_by_scipy),
    ("09.1", interval_by_hand_with_library_quantile),
    ("09.2", verdict_by_table),
    ("09.2", verdict_by_intervals),
]
