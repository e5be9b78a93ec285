"""Lesson 03 graders accept the reference and reject typical TF-IDF mistakes."""

import torch

from maelearn.classic.words import idf


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


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("03.1", unsmoothed, "smoothed idf"),
    ("03.1", no_plus_one, "add 1 after the log, so words in every document keep a weight of 1."),
    ("03.1", total_counts_as_df, "df counts the documents containing the word, not its total number of"),
    ("03.1", log10, "result: values differ"),
    ("03.2", no_normalization, "scale every row to unit Euclidean (L2) norm, as"),
    ("03.2", l1_normalization, "scale every row to unit Euclidean (L2) norm, as"),
    ("03.2", binary_tf, "tf-idf = counts * idf (per word), then L2-normalize each row; tf is"),
    ("03.2", nan_on_empty, "an all-zero row must stay zero: clamp the norm away from 0 before"),
]

RIGHT: list = []
