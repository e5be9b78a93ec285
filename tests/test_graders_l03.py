"""Lesson 03 graders accept the reference and reject typical TF-IDF mistakes."""

import pytest
import torch

from maelearn.classic.words import idf
from maelearn.testing import assert_accepts, assert_rejects


def _df(counts):
    return (counts > 0).sum(0).to(counts.dtype)


def unsmoothed(counts):
    return torch.log(counts.shape[0] / _df(counts))


def no_plus_one(counts):
    return torch.log((1 + counts.shape[0]) / (1 + _df(counts)))


def total_counts_as_df(counts):
    return torch.log((1 + counts.shape[0]) / (1 + counts.sum(0))) + 1


def log10(counts):
    return torch.log10((1 + counts.shape[0]) / (1 + _df(counts))) + 1


def no_normalization(counts):
    return counts * idf(counts)


def l1_normalization(counts):
    w = counts * idf(counts)
    return w / w.sum(1, keepdim=True).clamp(min=1e-12)


def binary_tf(counts):
    w = (counts > 0).to(counts.dtype) * idf(counts)
    return w / torch.linalg.vector_norm(w, dim=1, keepdim=True).clamp(min=1e-12)


def nan_on_empty(counts):
    w = counts * idf(counts)
    return w / torch.linalg.vector_norm(w, dim=1, keepdim=True)


WRONG = {
    "03.1": [unsmoothed, no_plus_one, total_counts_as_df, log10],
    "03.2": [no_normalization, l1_normalization, binary_tf, nan_on_empty],
}


@pytest.mark.parametrize("ex_id", sorted(WRONG))
def test_reference_accepted(ex_id):
    assert assert_accepts(ex_id) == 3


# Every WRONG answer is checked for rejection by tests/test_graders_all.py.


def test_hints_name_the_mistake():
    assert "smoothed idf" in assert_rejects("03.1", unsmoothed)
    assert "add 1 after the log" in assert_rejects("03.1", no_plus_one)
    assert "unit Euclidean" in assert_rejects("03.2", no_normalization)
