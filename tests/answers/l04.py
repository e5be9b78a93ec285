"""Lesson 04 graders accept the reference and reject typical nearest-centroid mistakes."""

import torch
import torch.nn.functional as F

from maelearn.classic.cnn import class_centroids


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


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("04.1", sums_not_means, "that is the sum of each class"),
    ("04.1", normalized_centroids, "return the plain mean; do not normalize the centroids."),
    ("04.1", only_present_classes, "return one row per class: (num_classes, D)."),
    ("04.2", euclidean, "use cosine similarity (normalize rows of x and of the centroids),"),
    ("04.2", dot_product, "use cosine similarity (normalize rows of x and of the centroids),"),
    ("04.2", argmax_wrong_dim, "return one class index per row of x: shape (N,)."),
]

RIGHT: list = []


def one_hot_without_num_classes(x, y, num_classes):
    """F.one_hot(y) has y.max() + 1 columns: classes after the largest label get no row."""
    onehot = F.one_hot(y).T.to(x.dtype)
    return onehot @ x / onehot.sum(1, keepdim=True).clamp(min=1)


def centroids_by_one_hot(x, y, num_classes):
    """Right: one matrix product with the one-hot labels."""
    onehot = F.one_hot(y, num_classes).T.to(x.dtype)
    return onehot @ x / onehot.sum(1, keepdim=True).clamp(min=1)


def nearest_by_cosine_similarity(x, centroids):
    """Right: F.cosine_similarity broadcast over (N, K)."""
    return F.cosine_similarity(x[:, None], centroids[None], dim=-1).argmax(dim=1)


WRONG += [("04.1", one_hot_without_num_classes, "a class with no example gets a row of zeros too")]
RIGHT = [("04.1", centroids_by_one_hot), ("04.2", nearest_by_cosine_similarity)]


# -- second audit: the dtype of float64 features -----------------------------------------------


def centroids_float32_zeros(x, y, num_classes):
    """Wrong: torch.zeros(num_classes, D) without dtype=: float64 features come back float32."""
    out = torch.zeros(num_classes, x.shape[1])
    for c in range(num_classes):
        if (y == c).any():
            out[c] = x[y == c].mean(0)
    return out


def centroids_by_index_add(x, y, num_classes):
    """Right: index_add_ then divide by the clamped bincount."""
    sums = torch.zeros(num_classes, x.shape[1], dtype=x.dtype).index_add_(0, y, x)
    return sums / torch.bincount(y, minlength=num_classes).clamp(min=1)[:, None].to(x.dtype)


def nearest_by_broadcast_cosine(x, centroids):
    """Right: F.cosine_similarity over a broadcast (N, K, D)."""
    return torch.nn.functional.cosine_similarity(x[:, None], centroids[None], dim=-1).argmax(1)


WRONG += [("04.1", centroids_float32_zeros, "your result is torch.float32 but the answer is torch.float64")]
RIGHT += [("04.1", centroids_by_index_add), ("04.2", nearest_by_broadcast_cosine)]
