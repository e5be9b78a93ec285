"""Seeds, intervals and verdicts: the statistics every experiment in the course reports.

Seeds are the unit of replication; the 95 % interval of a mean over ``n`` seeds is
``mean ± t(0.975, n-1) · sd / √n``, and variants are compared by differences paired by seed. The rule, fixed
before any run: a paper trend is **reproduced** when the 95 % interval of the paired difference excludes 0 in the
paper's direction, **contradicted** when it excludes 0 the other way, **smaller than the paper** when it contains
0 but excludes the paper's own effect, and **inconclusive** otherwise."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

REPRODUCED, CONTRADICTED, INCONCLUSIVE = "reproduced", "contradicted", "inconclusive"
SMALLER = "smaller than the paper"
VERDICTS = (REPRODUCED, CONTRADICTED, SMALLER, INCONCLUSIVE)


def t_quantile(dof: int, level: float = 0.95) -> float:
    """The two-sided Student-t quantile ``t((1 + level) / 2, dof)``. Taught in lesson 09."""
    if dof < 1:
        raise ValueError(f"dof must be >= 1 (at least 2 seeds), got {dof}")
    from scipy.stats import t

    return float(t.ppf((1 + level) / 2, dof))


@dataclass(frozen=True)
class Interval:
    """Mean and 95 % interval of ``n`` values (``lo == hi == mean`` for one value: no interval, which
    :func:`verdict` treats as inconclusive)."""

    mean: float
    lo: float
    hi: float
    n: int
    sd: float

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2

    def excludes(self, value: float = 0.0) -> bool:
        return self.n >= 2 and (self.lo > value or self.hi < value)

    def as_dict(self) -> dict:
        return {"mean": self.mean, "lo": self.lo, "hi": self.hi, "n": self.n, "sd": self.sd}

    def __str__(self) -> str:
        return f"{self.mean:.3f} (n=1)" if self.n < 2 else f"{self.mean:.3f} ± {self.half_width:.3f}"


def interval(values: Iterable[float], level: float = 0.95) -> Interval:
    """Mean and ``level`` t-interval of the values (NaN-free; at least one value). Taught in lessons 02 and 04."""
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("interval needs at least one value, got none")
    if any(math.isnan(x) for x in xs):
        raise ValueError(f"interval got a NaN among {xs}")
    n = len(xs)
    mean = sum(xs) / n
    if n == 1:
        return Interval(mean, mean, mean, 1, 0.0)
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    h = t_quantile(n - 1, level) * sd / math.sqrt(n)
    return Interval(mean, mean - h, mean + h, n, sd)


def by_seed(runs: Sequence[Mapping], metric: str) -> dict[int, float]:
    """``{seed: runs[i][metric]}`` over the runs that measured ``metric``. Taught in lesson 09."""
    return {int(r["seed"]): float(r[metric]) for r in runs if r.get(metric) is not None}


def paired_difference(a: Sequence[Mapping], b: Sequence[Mapping], metric: str) -> Interval:
    """Interval of ``a - b`` on ``metric`` over the seeds both ran (paired by seed)."""
    xa, xb = by_seed(a, metric), by_seed(b, metric)
    seeds = sorted(set(xa) & set(xb))
    if not seeds:
        raise ValueError(f"no seed in common for metric {metric!r}: {sorted(xa)} vs {sorted(xb)}")
    return interval(xa[s] - xb[s] for s in seeds)


def paired_interval(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, lo, hi)``: :func:`interval` of the differences ``a[i] - b[i]``, one value per seed in the same
    seed order (n >= 2). Pairing cancels the seed-to-seed variation both variants share. Taught in lesson 09
    (exercise 09.1)."""
    xa, xb = [float(v) for v in a], [float(v) for v in b]
    if len(xa) != len(xb):
        raise ValueError(f"a and b must hold one value per seed each, got {len(xa)} and {len(xb)} values")
    if len(xa) < 2:
        raise ValueError(f"a paired interval needs at least 2 seeds, got {len(xa)}")
    iv = interval((x - y for x, y in zip(xa, xb)), level)
    return iv.mean, iv.lo, iv.hi


def versus_strongest_baseline(accuracies: Mapping[str, Mapping[str, Sequence[float]]], method: str,
                              baselines: Sequence[str]) -> dict[str, tuple[str, float, float, float]]:
    """A label curve judged point by point. ``accuracies``: ``{name: {count: [one value per seed]}}``, every list
    in the same seed order. For each label count of ``method`` (its keys, in order): the baseline of ``baselines``
    with the highest mean over seeds (the first on a tie), and the paired difference ``method - baseline`` seed by
    seed with its 95 % t-interval (:func:`paired_interval`). Returns ``{count: (baseline, mean, lo, hi)}``.
    Taught in lesson 12 (exercise 12.3)."""
    if not baselines:
        raise ValueError("baselines must name at least one method")
    missing = [b for b in (method, *baselines) if b not in accuracies]
    if missing:
        raise ValueError(f"no accuracies for {missing}; known: {sorted(accuracies)}")
    out = {}
    for key, values in accuracies[method].items():
        means = {b: sum(map(float, accuracies[b][key])) / len(accuracies[b][key]) for b in baselines}
        best = max(baselines, key=lambda b: means[b])
        out[key] = (best, *paired_interval(values, accuracies[best][key]))
    return out


def verdict_from_bounds(lo: float, hi: float, paper_sign: int, paper_effect: float | None = None) -> str:
    """The module's rule on a paired difference's interval ``[lo, hi]`` from 2 or more seeds. ``paper_sign`` is +1
    when the paper finds ``a > b``, -1 for ``a < b``; ``paper_effect`` is the size of the paper's difference (> 0,
    in the interval's units) or ``None``. "Excludes v" is strict: an interval that touches 0 contains it. Returns
    :data:`REPRODUCED` (excludes 0 on the paper's side, however small the effect), :data:`CONTRADICTED`,
    :data:`SMALLER` (contains 0 but excludes ``paper_sign * paper_effect``) or :data:`INCONCLUSIVE`.
    Taught in lesson 09 (exercise 09.2)."""
    if paper_sign not in (1, -1):
        raise ValueError(f"paper_sign must be +1 or -1, got {paper_sign!r}")
    if paper_effect is not None and not paper_effect > 0:
        raise ValueError(f"paper_effect must be a positive size or None, got {paper_effect!r}")
    if not lo <= hi:
        raise ValueError(f"the interval must have lo <= hi, got [{lo}, {hi}]")
    if lo > 0 or hi < 0:
        return REPRODUCED if (lo > 0) == (paper_sign > 0) else CONTRADICTED
    if paper_effect is not None and not lo <= paper_sign * paper_effect <= hi:
        return SMALLER  # an effect as large as the paper's is ruled out
    return INCONCLUSIVE


def verdict(diff: Interval, paper_sign: int, paper_effect: float | None = None) -> str:
    """:func:`verdict_from_bounds` on a paired difference ``diff``; always :data:`INCONCLUSIVE` for a single seed
    (no interval)."""
    if diff.n < 2:
        verdict_from_bounds(0.0, 0.0, paper_sign, paper_effect)  # the same checks of the arguments
        return INCONCLUSIVE
    return verdict_from_bounds(diff.lo, diff.hi, paper_sign, paper_effect)


__all__ = ["CONTRADICTED", "INCONCLUSIVE", "Interval", "REPRODUCED", "SMALLER", "VERDICTS", "by_seed", "interval",
           "paired_difference", "paired_interval", "t_quantile", "verdict", "verdict_from_bounds",
           "versus_strongest_baseline"]
