"""Lesson 09 graders accept the library's reference and reject typical wrong answers."""

from __future__ import annotations

import math
import statistics




def tokens_without_cls(n, ratio, mask_tokens):
    return n if mask_tokens else int(n * (1 - ratio))


def tokens_ratio_kept(n, ratio, mask_tokens):
    return 1 + (n if mask_tokens else int(n * ratio))


def tokens_rounded(n, ratio, mask_tokens):
    return 1 + (n if mask_tokens else round(n * (1 - ratio)))


def tokens_ignore_mask_tokens(n, ratio, mask_tokens):
    return 1 + int(n * (1 - ratio))


def speedup_inverted(base, times):
    return statistics.median(times) / statistics.median(base)


def speedup_means(base, times):
    return (sum(base) / len(base)) / (sum(times) / len(times))


def speedup_first_step(base, times):
    return base[0] / times[0]


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("09.1", tokens_without_cls, "[CLS]"),
    ("09.1", tokens_ratio_kept, "fraction removed"),
    ("09.1", tokens_rounded, "truncate"),
    ("09.1", tokens_ignore_mask_tokens, "every one of the N positions"),
    ("09.2", speedup_inverted, "upside down"),
    ("09.2", speedup_means, "medians"),
    ("09.2", speedup_first_step, "result: expected 0.322581"),
]

WRONG += [
    ("09.1", lambda n, ratio, mask_tokens=False: float(1 + (n if mask_tokens else int(n * (1 - ratio)))), "return a Python int"),
]

RIGHT: list = []


def speedup_sorts_in_place(base, times):
    """The right median, but it sorts the caller's lists (the lesson plots them afterwards)."""
    base.sort()
    times.sort()
    return base[len(base) // 2] / times[len(times) // 2]


def tokens_ceil(n, ratio, mask_tokens=False):
    return 1 + (n if mask_tokens else math.ceil(n * (1 - ratio)))


def speedup_by_numpy(base, times):
    """Right: NumPy's median, turned into a Python float."""
    import numpy as np

    return float(np.median(base) / np.median(times))


WRONG += [
    ("09.2", speedup_sorts_in_place, "changed its input"),
    ("09.1", tokens_ceil, "truncate"),
]
RIGHT += [("09.2", speedup_by_numpy)]


# -- second audit: medians of an even number of times --------------------------------------------


def speedup_torch_median(base, times):
    """Wrong: torch.median returns the lower of the two middle values."""
    import torch

    return (torch.tensor(base).median() / torch.tensor(times).median()).item()


def speedup_middle_element(base, times):
    """Wrong: sorted(t)[len(t) // 2] is the upper middle value for an even count."""
    return sorted(base)[len(base) // 2] / sorted(times)[len(times) // 2]


def speedup_by_hand_median(base, times):
    """Right: the median by hand, averaging the two middle values of an even count."""
    def med(t):
        s, n = sorted(t), len(t)
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
    return med(base) / med(times)


def tokens_by_branches(n, ratio, mask_tokens=False):
    """Right: the two designs as two branches."""
    if mask_tokens:
        return n + 1
    return int(n * (1 - ratio)) + 1


WRONG += [
    ("09.2", speedup_torch_median, "torch.median returns the lower one"),
    ("09.2", speedup_middle_element, "the mean of the two middle values"),
]
RIGHT += [("09.2", speedup_by_hand_median), ("09.1", tokens_by_branches)]
