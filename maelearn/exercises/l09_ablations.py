"""Graders of lesson 09 (what matters in MAE): counting encoder tokens, measuring a speedup."""

from __future__ import annotations

import math

from maelearn.exercises.framework import Case, exercise
from maelearn.experiments.ablations import encoder_tokens, speedup


def _diagnose_tokens(case, got, expected):
    n, ratio, mask_tokens = (*case.args, False)[:3]
    if type(got) is not int:
        return "return a Python int (int(...)), not a float or a tensor."
    if got == expected - 1:
        return "count the [CLS] token too: the encoder sees 1 + ... tokens."
    if not mask_tokens and got in (1 + round(n * (1 - ratio)), 1 + math.ceil(n * (1 - ratio))):
        return "truncate with int(...), as the masking does, instead of rounding (or rounding up)."
    if not mask_tokens and got == 1 + int(n * ratio):
        return "mask_ratio is the fraction removed: MAE's encoder sees the int(N * (1 - ratio)) visible patches."
    if mask_tokens:
        return "with mask tokens in the encoder, every one of the N positions goes through it (plus [CLS])."
    return None


@exercise("09.1", "tokens through the encoder", encoder_tokens, diagnose=_diagnose_tokens)
def _cases_tokens():
    yield Case("64 patches, 75 %, MAE", (64, 0.75, False))
    yield Case("196 patches, 75 %, MAE", (196, 0.75, False))
    yield Case("196 patches, 75 %, mask tokens in the encoder", (196, 0.75, True))
    yield Case("10 patches, 0.55 (N(1-r) = 4.5)", (10, 0.55, False))
    yield Case("49 patches, 90 %, MAE", (49, 0.9, False))
    yield Case("196 patches, 75 %, the default (no mask tokens)", (196, 0.75))


def _diagnose_speedup(case, got, expected):
    base, times = case.args
    try:
        g = float(got)
    except (TypeError, ValueError):
        return "return one number (a float)."
    low = lambda t: sorted(t)[(len(t) - 1) // 2]  # noqa: E731 - torch.median's lower middle value
    high = lambda t: sorted(t)[len(t) // 2]  # noqa: E731
    if (len(base) % 2 == 0 or len(times) % 2 == 0) and any(
            abs(g - f(base) / f(times)) < 1e-9 for f in (low, high)):
        return ("for an even number of times the median is the mean of the two middle values "
                "(statistics.median or np.median); torch.median returns the lower one, sorted(t)[len(t) // 2] the upper one.")
    if abs(g - 1 / expected) < 1e-6 * max(1, abs(1 / expected)):
        return "the ratio is upside down: speedup = baseline time / new time (> 1 when the new one is faster)."
    if abs(g - (sum(base) / len(base)) / (sum(times) / len(times))) < 1e-9:
        return "use medians, not means: one slow step (a busy machine) should not move the answer."
    return None


@exercise("09.2", "speedup from step times", speedup, diagnose=_diagnose_speedup)
def _cases_speedup():
    yield Case("steady times", ([0.30, 0.31, 0.29], [0.10, 0.11, 0.10]))
    yield Case("one slow outlier in each", ([0.40, 0.41, 2.5, 0.39, 0.40], [0.10, 0.9, 0.11, 0.10, 0.10]))
    yield Case("the new one is slower", ([0.1, 0.1, 0.12], [0.3, 0.33, 0.31]))
    # The lesson passes one time per seed, and the number of seeds can be even: the median
    # of an even count is the mean of the two middle values (statistics.median, np.median),
    # not the lower one (torch.median) nor the upper one (sorted(t)[len(t) // 2]).
    yield Case("an even number of steps (4 and 2)", ([0.30, 0.50, 0.20, 0.40], [0.12, 0.10]))
