"""Lesson 09 graders accept the library's reference and reject typical wrong answers."""

from __future__ import annotations

import statistics

import pytest

from maelearn.testing import assert_accepts, assert_rejects


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


WRONG = {
    "09.1": [tokens_without_cls, tokens_ratio_kept, tokens_rounded, tokens_ignore_mask_tokens],
    "09.2": [speedup_inverted, speedup_means, speedup_first_step],
}
HINTS = {
    tokens_without_cls: "[CLS]",
    tokens_ratio_kept: "fraction removed",
    tokens_rounded: "truncate",
    tokens_ignore_mask_tokens: "every one of the N positions",
    speedup_inverted: "upside down",
    speedup_means: "medians",
}


@pytest.mark.parametrize("ex_id", sorted(WRONG))
def test_reference_is_accepted(ex_id):
    assert assert_accepts(ex_id) >= 3


@pytest.mark.parametrize("ex_id,wrong", [(k, f) for k, fs in WRONG.items() for f in fs], ids=lambda v: getattr(v, "__name__", v))
def test_wrong_answer_is_rejected(ex_id, wrong):
    assert_rejects(ex_id, wrong, match=HINTS.get(wrong))
