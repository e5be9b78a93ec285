"""Lesson 11 graders accept the library's references and reject typical mistakes."""

import pytest
from einops import rearrange

from maelearn.testing import assert_accepts, assert_rejects


def patches_time_major(specs, p):
    return rearrange(specs, "b c (h p) (w q) -> b (w h) (p q c)", p=p, q=p)


def patches_transposed_inside(specs, p):
    return rearrange(specs, "b c (h p) (w q) -> b (h w) (q p c)", p=p, q=p)


def patches_whole_rows(specs, p):  # strips of p mel bands over the whole clip, cut every p*p values
    return rearrange(specs, "b c (h p) w -> b h (p w c)", p=p).reshape(specs.shape[0], -1, p * p)


def norm_per_clip(train, *others):
    return [(x - x.mean(dim=(1, 2, 3), keepdim=True)) / x.std(dim=(1, 2, 3), keepdim=True) for x in (train, *others)]


def norm_own_statistics(train, *others):
    return [(x - x.mean()) / x.std() for x in (train, *others)]


def norm_train_only(train, *others):
    return [(train - train.mean()) / train.std()]


def norm_per_band(train, *others):  # per mel band: also removes the spectral shape
    mean, std = train.mean(dim=(0, 1, 3), keepdim=True), train.std(dim=(0, 1, 3), keepdim=True)
    return [(x - mean) / std for x in (train, *others)]


WRONG = {
    "11.1": [patches_time_major, patches_transposed_inside, patches_whole_rows],
    "11.2": [norm_per_clip, norm_own_statistics, norm_train_only, norm_per_band],
}
HINTS = {
    patches_time_major: "time-major",
    patches_transposed_inside: "(p q), not (q p)",
    norm_per_clip: "its own statistics",
    norm_own_statistics: "TRAINING statistics",
    norm_train_only: "every other set",
}


@pytest.mark.parametrize("ex_id", sorted(WRONG))
def test_reference_is_accepted(ex_id):
    assert assert_accepts(ex_id) >= 3


@pytest.mark.parametrize("ex_id,fn", [(k, f) for k, fns in WRONG.items() for f in fns], ids=lambda v: getattr(v, "__name__", v))
def test_wrong_answers_are_rejected_with_the_right_hint(ex_id, fn):
    assert_rejects(ex_id, fn, match=HINTS.get(fn))
