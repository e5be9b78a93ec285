"""Graders of lesson 03 (text features): inverse document frequency and TF-IDF."""

from __future__ import annotations

import math

import torch

from maelearn.classic.words import idf, tfidf
from maelearn.exercises.framework import Case, exercise


def _counts(seed: int, docs: int = 6, vocab: int = 9) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    c = torch.poisson(torch.full((docs, vocab), 0.7, dtype=torch.float64), generator=g)
    c[0, 0] = 3.0
    c[:, 1] = 1.0  # a word in every document
    return c


def _diagnose_idf(case, got, expected):
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return one value per word: shape (V,)."
    counts = case.args[0]
    n, df = counts.shape[0], (counts > 0).sum(0).double()
    if torch.allclose(got, torch.log(n / df.clamp(min=1)), atol=1e-6):
        return "use scikit-learn's smoothed idf: ln((1 + D) / (1 + df)) + 1."
    if torch.allclose(got, torch.log((1 + n) / (1 + df)), atol=1e-6):
        return "add 1 after the log, so words in every document keep a weight of 1."
    if torch.allclose(got, torch.log((1 + n) / (1 + counts.sum(0))) + 1, atol=1e-6):
        return "df counts the documents containing the word, not its total number of occurrences."
    return None


@exercise("03.1", "inverse document frequency", idf, diagnose=_diagnose_idf, rtol=1e-6, atol=1e-9)
def _cases_idf():
    yield Case("6 documents, 9 words", (_counts(0),))
    yield Case("two documents", (torch.tensor([[1.0, 0.0, 2.0], [1.0, 1.0, 0.0]], dtype=torch.float64),),
               expected=torch.tensor([1.0, math.log(3 / 2) + 1, math.log(3 / 2) + 1], dtype=torch.float64))
    yield Case("20 documents, 15 words", (_counts(1, 20, 15),))


def _diagnose_tfidf(case, got, expected):
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return a (D, V) matrix."
    norms = torch.linalg.vector_norm(got, dim=1)
    if not torch.allclose(norms[norms > 0], torch.ones_like(norms[norms > 0]), atol=1e-6):
        return "scale every row to unit Euclidean (L2) norm, as TfidfVectorizer(norm='l2') does."
    if not torch.isfinite(got).all():
        return "an all-zero row must stay zero: clamp the norm away from 0 before dividing."
    return "tf-idf = counts * idf (per word), then L2-normalize each row; tf is the raw count."


@exercise("03.2", "TF-IDF matrix", tfidf, diagnose=_diagnose_tfidf, rtol=1e-6, atol=1e-9)
def _cases_tfidf():
    yield Case("6 documents, 9 words", (_counts(2),))
    c = _counts(3, 5, 7)
    c[4] = 0.0  # an empty document
    yield Case("with an empty document", (c,))
    yield Case("30 documents, 25 words", (_counts(4, 30, 25),))
