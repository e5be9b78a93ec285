"""maelearn.stats: the paired interval and the verdict rule that lesson 09 teaches
(exercises 09.1 and 09.2) agree with an independent computation and with ``verdict``."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from maelearn.stats import (
    CONTRADICTED,
    INCONCLUSIVE,
    REPRODUCED,
    SMALLER,
    Interval,
    interval,
    paired_interval,
    verdict,
    verdict_from_bounds,
    versus_strongest_baseline,
)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_paired_interval_is_scipys_one_sample_interval_of_the_differences(n):
    rng = np.random.default_rng(n)
    shared = rng.normal(0, 5, n)  # seed effects both variants share: pairing cancels them
    a, b = 70 + shared + rng.normal(1, 1, n), 70 + shared + rng.normal(0, 1, n)
    mean, lo, hi = paired_interval(list(a), list(b))
    d = a - b
    want_lo, want_hi = sps.t.interval(0.95, n - 1, loc=d.mean(), scale=sps.sem(d))
    assert (mean, lo, hi) == pytest.approx((d.mean(), want_lo, want_hi), rel=1e-9)
    assert all(type(v) is float for v in (mean, lo, hi))
    # narrower than the unpaired interval of the same data, which keeps the shared swings
    unpaired = sps.t.ppf(0.975, n - 1) * math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    assert hi - mean < unpaired


def test_paired_interval_pairs_by_position_and_checks_its_input():
    a, b = [0.50, 0.70, 0.40, 0.65], [0.45, 0.60, 0.47, 0.55]
    assert paired_interval(a, b)[0] == pytest.approx(0.045)
    assert paired_interval(a, b) != pytest.approx(paired_interval(sorted(a), sorted(b)))
    with pytest.raises(ValueError, match="one value per seed"):
        paired_interval([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="at least 2 seeds"):
        paired_interval([1.0], [0.5])


@pytest.mark.parametrize("lo, hi, sign, effect, expected", [
    (1.0, 3.0, +1, None, REPRODUCED),
    (-3.0, -1.0, -1, 2.0, REPRODUCED),
    (0.5, 1.0, +1, 14.0, REPRODUCED),  # reproduced however small the effect
    (-3.0, -1.0, +1, 2.0, CONTRADICTED),
    (1.0, 3.0, -1, None, CONTRADICTED),
    (-1.0, 2.0, +1, 14.0, SMALLER),
    (-1.0, 4.0, -1, 3.0, SMALLER),  # the paper's effect is -3: ruled out, +3 is not what it found
    (-4.0, 1.0, -1, 3.0, INCONCLUSIVE),
    (-1.0, 2.0, +1, None, INCONCLUSIVE),
    (0.0, 2.0, +1, None, INCONCLUSIVE),  # touching 0 is containing it
    (-2.0, 0.0, -1, 4.0, SMALLER),
    (-1.0, 2.0, +1, 2.0, INCONCLUSIVE),  # touching the paper's effect is not ruling it out
])
def test_verdict_from_bounds_cases(lo, hi, sign, effect, expected):
    assert verdict_from_bounds(lo, hi, sign, effect) == expected


def test_verdict_is_verdict_from_bounds_on_an_interval():
    values = [-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 6.0]
    for (x, y, z), sign, effect in itertools.product(itertools.combinations(values, 3), (1, -1), (None, 1.0, 4.0)):
        iv = interval([x, y, z])
        assert verdict(iv, sign, effect) == verdict_from_bounds(iv.lo, iv.hi, sign, effect)
    assert verdict(Interval(2.0, 2.0, 2.0, 1, 0.0), +1, 1.0) == INCONCLUSIVE  # one seed: no interval


def test_verdict_from_bounds_checks_its_arguments():
    with pytest.raises(ValueError, match="paper_sign"):
        verdict_from_bounds(0.0, 1.0, 0)
    with pytest.raises(ValueError, match="paper_effect"):
        verdict_from_bounds(0.0, 1.0, 1, -2.0)
    with pytest.raises(ValueError, match="lo <= hi"):
        verdict_from_bounds(2.0, 1.0, 1)
    with pytest.raises(ValueError, match="paper_sign"):
        verdict(Interval(1.0, 1.0, 1.0, 1, 0.0), 2)


def test_versus_strongest_baseline_picks_by_mean_per_count_and_pairs_by_seed():
    accs = {"a": {"2": [0.5, 0.7, 0.4], "all": [0.6, 0.6, 0.6]},
            "b": {"2": [0.45, 0.40, 0.42], "all": [0.9, 0.8, 0.85]},
            "c": {"2": [0.40, 0.55, 0.44], "all": [0.7, 0.7, 0.7]},  # c wins seed 2 at "2", a has the best mean
            "mae": {"2": [0.55, 0.60, 0.50], "all": [0.8, 0.82, 0.81]}}
    out = versus_strongest_baseline(accs, "mae", ["a", "b", "c"])
    assert list(out) == ["2", "all"]
    assert out["2"][0] == "a" and out["all"][0] == "b"
    assert out["2"][1:] == paired_interval(accs["mae"]["2"], accs["a"]["2"])
    assert out["all"][1:] == paired_interval(accs["mae"]["all"], accs["b"]["all"])
    assert all(type(x) is float for entry in out.values() for x in entry[1:])
    with pytest.raises(ValueError, match="no accuracies"):
        versus_strongest_baseline(accs, "mae", ["d"])
    with pytest.raises(ValueError, match="at least one"):
        versus_strongest_baseline(accs, "mae", [])
