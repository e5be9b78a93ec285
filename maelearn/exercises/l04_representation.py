"""Graders of lesson 04 (representation learning): a nearest-centroid classifier on features."""

from __future__ import annotations

import torch

from maelearn.classic.cnn import class_centroids, nearest_centroid
from maelearn.exercises.framework import Case, exercise


def _diagnose_centroids(case, got, expected):
    x, y, k = case.args
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        if isinstance(got, torch.Tensor) and got.ndim == 2 and got.shape[0] < k:
            return (f"return one row per class: (num_classes, D). Here {tuple(expected.shape)}: a class with no example "
                    "gets a row of zeros too (F.one_hot(y, num_classes), not F.one_hot(y); not y.max() + 1 rows).")
        return "return one row per class: (num_classes, D)."
    counts = torch.bincount(y, minlength=k).clamp(min=1).to(x.dtype)[:, None]
    if torch.allclose(got, expected * counts, atol=1e-6):
        return "that is the sum of each class's features; divide by how many examples the class has."
    if torch.allclose(got, torch.nn.functional.normalize(expected, dim=1), atol=1e-6):
        return "return the plain mean; do not normalize the centroids."
    return None


@exercise("04.1", "class centroids", class_centroids, diagnose=_diagnose_centroids)
def _cases_centroids():
    g = torch.Generator().manual_seed(0)
    yield Case("12 points, 3 classes", (torch.randn(12, 4, generator=g), torch.tensor([0, 1, 2] * 4), 3))
    yield Case("unbalanced classes", (torch.randn(7, 3, generator=g), torch.tensor([0, 0, 0, 0, 1, 2, 2]), 3))
    yield Case("a class with no example", (torch.randn(5, 2, generator=g), torch.tensor([0, 2, 2, 0, 2]), 3))
    # The last classes have no example: num_classes rows all the same (one_hot(y) without
    # num_classes, or y.max() + 1 rows, give too few).
    yield Case("the last two of 5 classes have no example", (torch.randn(6, 3, generator=g), torch.tensor([1, 0, 2, 1, 0, 0]), 5))
    # The centroids keep the features' dtype (torch.zeros(num_classes, D) without dtype=
    # would silently round float64 features to float32).
    yield Case("float64 features, 4 classes", (torch.randn(8, 5, generator=g, dtype=torch.float64), torch.tensor([3, 0, 1, 3, 1, 0, 2, 2]), 4))


def _diagnose_nearest(case, got, expected):
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return one class index per row of x: shape (N,)."
    if got.dtype != torch.long:
        return "return integer class indices (argmax gives torch.long)."
    return "use cosine similarity (normalize rows of x and of the centroids), pick the largest."


@exercise("04.2", "nearest centroid by cosine similarity", nearest_centroid, diagnose=_diagnose_nearest)
def _cases_nearest():
    g = torch.Generator().manual_seed(1)
    c = torch.tensor([[1.0, 0.0], [0.0, 1.0], [4.0, 4.0]])
    # (0.9, 0.7) is nearest to [1, 0] in Euclidean distance but closest to [4, 4] in angle.
    yield Case("cosine, not Euclidean", (torch.tensor([[0.9, 0.7], [0.1, 2.0], [3.0, 0.2]]), c))
    yield Case("20 points, 5 centroids", (torch.randn(20, 8, generator=g), torch.randn(5, 8, generator=g)))
    yield Case("more centroids than points", (torch.randn(3, 6, generator=g), torch.randn(7, 6, generator=g)))
