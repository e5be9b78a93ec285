"""Graders of lesson 09 (what matters in MAE): the paired interval and the verdict rule,
the two habits every comparison of the lesson stands on.

09.1's cases: 2, 3 and 5 seeds, differences of either sign, shared swings; its hints recognise
an unpaired difference, z = 1.96, the wrong sd or error, sorted lists, wrong degrees of freedom
and a one-sided quantile. 09.2's: every branch of the rule, intervals touching 0 or the paper's
effect, negative directions and a paper without a number.
"""

from __future__ import annotations

import math

from maelearn.exercises.framework import Case, exercise
from maelearn.stats import (CONTRADICTED, REPRODUCED, SMALLER, VERDICTS, interval, paired_difference, paired_interval,
                            t_quantile, verdict, verdict_from_bounds)

# -- 09.1 the paired interval ---------------------------------------------------------------


def _mean_sd(xs: list[float], ddof: int = 1) -> tuple[float, float]:
    n = len(xs)
    m = sum(xs) / n
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (n - ddof))


def _triple(mean: float, half: float) -> tuple[float, float, float]:
    return mean, mean - half, mean + half


def _close(got, want, tol: float = 1e-6) -> bool:
    try:
        g = [float(v) for v in got]
    except (TypeError, ValueError):
        return False
    scale = max(1.0, *(abs(w) for w in want))
    return len(g) == len(want) and all(abs(x - y) <= tol * scale for x, y in zip(g, want))


def _slips_interval(a: list[float], b: list[float]) -> list[tuple[tuple[float, float, float], str]]:
    """What the usual wrong answers return on (a, b), each with the hint that names it."""
    n = len(a)
    d = [x - y for x, y in zip(a, b)]
    m, sd = _mean_sd(d)
    t = t_quantile(n - 1)
    (ma, sa), (mb, sb) = _mean_sd(a), _mean_sd(b)
    unpaired_se = math.sqrt(sa**2 / n + sb**2 / n)
    sorted_d = [x - y for x, y in zip(sorted(a), sorted(b))]
    ms, sds = _mean_sd(sorted_d)
    unpaired = ("the interval is not paired: take the n differences a[i] - b[i] first (same seed), then the mean and "
                "spread of those differences. The spreads of a and b taken apart keep the seed-to-seed swings that "
                "both variants share; pairing cancels them.")
    return [
        (_triple(m, 1.959963984540054 * sd / math.sqrt(n)),
         "with a handful of seeds use Student's t quantile, t.ppf(0.975, n - 1) (scipy.stats.t or t_quantile(n - 1)), "
         "not the normal 1.96: the standard deviation is itself estimated from n values."),
        (_triple(m, t * _mean_sd(d, ddof=0)[1] / math.sqrt(n)),
         "use the sample standard deviation (divide by n - 1: np.std(..., ddof=1), statistics.stdev), "
         "not the population one (ddof=0)."),
        (_triple(m, t * sd),
         "the interval is for the *mean* difference: its half-width is t * sd / sqrt(n) (the standard error), "
         "not t * sd."),
        (_triple(ms, t * sds / math.sqrt(n)),
         "do not sort the lists: a[i] and b[i] belong together because they share seed i; sorting pairs "
         "values of different seeds."),
        (_triple(ma - mb, t * unpaired_se), unpaired),
        (_triple(ma - mb, t_quantile(2 * n - 2) * unpaired_se), unpaired),
        (_triple(ma - mb, 1.959963984540054 * unpaired_se), unpaired),
        (_triple(ma - mb, t_quantile(2 * n - 2) * math.sqrt(((n - 1) * sa**2 + (n - 1) * sb**2) / (2 * n - 2) * 2 / n)),
         unpaired),
        (_triple(-m, t * sd / math.sqrt(n)), "the difference is a - b (a's accuracy minus b's), not b - a."),
        (_triple(m, t_quantile(n) * sd / math.sqrt(n)),
         "n values give n - 1 degrees of freedom: t.ppf(0.975, n - 1)."),
        (_triple(m, t_quantile(n - 1, 0.90) * sd / math.sqrt(n)),
         "a 95 % two-sided interval leaves 2.5 % in each tail: t.ppf(0.975, n - 1), not t.ppf(0.95, n - 1)."),
    ]


def _diagnose_interval(case, got, expected):
    a, b = case.args
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return "return three numbers, (mean, lo, hi), as a tuple."
    mean, lo, hi = expected
    if _close(got, (lo, hi, mean)) or _close(got, (lo, mean, hi)):
        return "return them in the order (mean, lo, hi)."
    if _close(got, (mean, hi - mean, hi - mean)) or _close(got, (mean, mean - lo, 0.0)):
        return "return the interval's two ends, lo = mean - h and hi = mean + h, not the half-width h."
    for wrong, hint in _slips_interval(list(a), list(b)):
        if _close(got, wrong) and not _close(wrong, expected):
            return hint
    return None


@exercise("09.1", "the paired interval", paired_interval, diagnose=_diagnose_interval,
          forbidden=(interval, paired_difference))
def _cases_interval():
    # 3 seeds, as the shipped sweep: the two variants move together from seed to seed
    # (seed 1 is a good seed for both), so pairing gives a much narrower interval.
    yield Case("3 seeds, a beats b, seeds shared", ([0.612, 0.655, 0.598], [0.431, 0.470, 0.425]))
    # 2 seeds, as the lesson's own quick sweep: t(0.975, 1) = 12.7, far from 1.96.
    yield Case("2 seeds (t with 1 degree of freedom)", ([0.18, 0.24], [0.11, 0.12]))
    # 5 seeds, b ahead: negative differences; sorted lists would pair other seeds.
    yield Case("5 seeds, b ahead (negative differences)", ([71.2, 69.0, 73.9, 68.1, 70.4], [74.0, 72.5, 75.1, 71.6, 73.8]))
    yield Case("3 seeds in points, the interval straddles 0", ([84.1, 83.2, 85.0], [83.5, 84.0, 84.2]))
    yield Case("4 seeds whose sorted order differs", ([0.50, 0.70, 0.40, 0.65], [0.45, 0.60, 0.47, 0.55]))
    yield Case("every seed the same difference (sd 0)", ([0.8, 0.7, 0.9], [0.6, 0.5, 0.7]))


# -- 09.2 the verdict rule ------------------------------------------------------------------


_DIRECTION = ("compare with the paper's effect on the paper's side of 0, paper_sign * paper_effect: a paper that "
              "finds a < b (paper_sign -1) puts its effect below 0.")


def _diagnose_verdict(case, got, expected):
    lo, hi, sign = case.args[:3]
    effect = case.args[3] if len(case.args) > 3 else case.kwargs.get("paper_effect")
    if not isinstance(got, str):
        return f"return one of the four strings {VERDICTS} (the constants of maelearn.stats)."
    if got not in VERDICTS:
        near = [v for v in VERDICTS if v.lower() == got.strip().lower()]
        return (f"return the string exactly: {near[0]!r}." if near else
                f"return one of the four strings exactly: {', '.join(repr(v) for v in VERDICTS)}.")
    if got == expected:
        return None
    if expected in (REPRODUCED, CONTRADICTED):
        if got in (REPRODUCED, CONTRADICTED):
            return ("check the paper's direction: lo > 0 reproduces a paper_sign of +1 and contradicts one of -1; "
                    "hi < 0 the other way round.")
        if got == SMALLER:
            return ("an interval that excludes 0 in the paper's direction reproduces the trend even when the effect is "
                    "smaller than the paper's; 'smaller than the paper' is for an interval that contains 0.")
        return "here [lo, hi] excludes 0 (lo > 0 or hi < 0): the verdict is reproduced or contradicted."
    # expected is SMALLER or INCONCLUSIVE: the interval contains 0
    if got in (REPRODUCED, CONTRADICTED):
        if lo == 0 or hi == 0:
            return "'excludes 0' is strict (lo > 0 or hi < 0): an interval that touches 0 contains it."
        return ("an interval that contains 0 neither reproduces nor contradicts anything: the sign of its mean "
                "could be chance.")
    if effect is None:
        return "without a paper effect (None) nothing can be ruled out: the verdict is inconclusive."
    paper = sign * effect
    if got == SMALLER:  # expected INCONCLUSIVE: the paper's effect is inside
        if sign == -1 and not lo <= effect <= hi:
            return _DIRECTION
        if lo == paper or hi == paper:
            return ("the paper's effect is an end of the interval, so the interval contains it (excluding is strict): "
                    "not ruled out, inconclusive.")
        return ("the paper's effect lies inside the interval: an effect as large as the paper's is not ruled out, so "
                "the verdict is inconclusive, not 'smaller than the paper'.")
    # got INCONCLUSIVE, expected SMALLER
    if sign == -1 and lo <= effect <= hi:
        return _DIRECTION
    return ("the interval contains 0 but excludes the paper's effect: an effect as large as the paper's is ruled out, "
            "so the verdict is 'smaller than the paper'.")


@exercise("09.2", "the verdict rule", verdict_from_bounds, diagnose=_diagnose_verdict, forbidden=(verdict,))
def _cases_verdict():
    yield Case("excludes 0 on the paper's side (+)", (1.2, 6.8, +1, 14.0))
    yield Case("excludes 0 on the paper's side (-), no paper number", (-9.5, -2.1, -1), {"paper_effect": None})
    yield Case("excludes 0 against the paper (paper +)", (-4.0, -0.5, +1, 0.5))
    yield Case("excludes 0 against the paper (paper -)", (0.3, 2.9, -1, 0.7))
    yield Case("reproduced, though smaller than the paper's 14 points", (0.4, 2.0, +1, 14.0))
    yield Case("contains 0, the paper's +14 ruled out", (-2.0, 3.5, +1, 14.0))
    yield Case("contains 0, the paper's -3 ruled out, +3 inside", (-1.0, 4.0, -1, 3.0))
    yield Case("contains 0 and the paper's effect", (-1.5, 5.0, +1, 3.0))
    yield Case("contains 0 and the paper's -0.5", (-2.0, 1.0, -1, 0.5))
    yield Case("contains 0 and the paper's -3, +3 outside", (-4.0, 1.0, -1, 3.0))
    yield Case("contains 0, the paper gives no number", (-1.0, 2.0, +1, None))
    yield Case("touches 0 (lo == 0): not excluded", (0.0, 3.0, +1, None))
    yield Case("touches 0 (hi == 0), paper -4 ruled out", (-2.5, 0.0, -1, 4.0))
    yield Case("touches the paper's effect exactly: not ruled out", (-1.0, 2.0, +1, 2.0))
    yield Case("the default: no paper effect", (-0.8, 1.1, -1))

