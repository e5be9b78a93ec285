"""Lesson 04 graders accept the reference and reject typical nearest-centroid mistakes."""

import pytest
import torch
import torch.nn.functional as F

from maelearn.classic.cnn import class_centroids
from maelearn.testing import assert_accepts, assert_rejects


def sums_not_means(x, y, num_classes):
    return torch.zeros(num_classes, x.shape[1], dtype=x.dtype).index_add_(0, y, x)


def normalized_centroids(x, y, num_classes):
    return F.normalize(class_centroids(x, y, num_classes), dim=1)


def only_present_classes(x, y, num_classes):  # skips empty classes: wrong row count
    return torch.stack([x[y == c].mean(0) for c in torch.unique(y)])


def euclidean(x, centroids):
    return torch.cdist(x, centroids).argmin(dim=1)


def dot_product(x, centroids):
    return (x @ centroids.T).argmax(dim=1)


def argmax_wrong_dim(x, centroids):
    return (F.normalize(x, dim=1) @ F.normalize(centroids, dim=1).T).argmax(dim=0)


WRONG = {
    "04.1": [sums_not_means, normalized_centroids, only_present_classes],
    "04.2": [euclidean, dot_product, argmax_wrong_dim],
}


@pytest.mark.parametrize("ex_id", sorted(WRONG))
def test_reference_accepted(ex_id):
    assert assert_accepts(ex_id) == 3


# Every WRONG answer is checked for rejection by tests/test_graders_all.py.


def test_hints_name_the_mistake():
    assert "divide by how many" in assert_rejects("04.1", sums_not_means)
    assert "cosine" in assert_rejects("04.2", euclidean)
