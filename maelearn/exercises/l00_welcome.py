"""Graders of lesson 00 (welcome): two warm-ups on tensors."""

from __future__ import annotations

import numpy as np
import torch

from maelearn.exercises.framework import Case, exercise


def to_float_images(images: np.ndarray) -> torch.Tensor:
    """Reference 00.1: uint8 images (N, H, W, C) in 0..255 -> float32 tensor (N, C, H, W)
    in [0, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Reference 00.2: the fraction of rows of ``logits`` (N, K) whose largest entry is at
    the index given by ``labels`` (N,)."""
    return (logits.argmax(dim=1) == labels).float().mean().item()


def _diagnose_images(case, got, expected):
    if isinstance(got, torch.Tensor) and got.shape != expected.shape and got.shape == expected.permute(0, 2, 3, 1).shape:
        return "the channels are still last: PyTorch wants (N, C, H, W); try .permute(0, 3, 1, 2)."
    if isinstance(got, torch.Tensor) and got.dtype != torch.float32:
        return "convert to float32 before dividing (.float())."
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and torch.allclose(got * 256 / 255, expected, atol=1e-5):
        return "the largest uint8 value is 255, so divide by 255, not 256."
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and float(got.max()) > 1.0:
        return "the values should lie in [0, 1]: divide by 255."
    return None


@exercise("00.1", "uint8 images to float tensors", to_float_images, diagnose=_diagnose_images)
def _cases_images():
    rng = np.random.default_rng(0)
    yield Case("one 2x3 RGB image", (rng.integers(0, 256, (1, 2, 3, 3), dtype=np.uint8),))
    yield Case("a batch of 4 RGB 8x5 images with 0 and 255", (np.concatenate([np.zeros((1, 8, 5, 3), np.uint8), np.full((1, 8, 5, 3), 255, np.uint8), rng.integers(0, 256, (2, 8, 5, 3), dtype=np.uint8)]),))
    yield Case("3 grey 4x4 images (one channel)", (rng.integers(0, 256, (3, 4, 4, 1), dtype=np.uint8),))


def _diagnose_accuracy(case, got, expected):
    logits, labels = case.args
    if type(got) is not float:
        return None  # the generic hint: return a Python float
    if isinstance(got, (int, float)) and np.isclose(float(got), expected * len(labels)):
        return "that is the number of correct rows; divide by how many rows there are."
    wrong_dim = (logits.argmax(dim=0)[: len(labels)] == labels[: logits.shape[1]]).float().mean().item() if logits.ndim == 2 else None
    if wrong_dim is not None and isinstance(got, (int, float)) and np.isclose(float(got), wrong_dim):
        return "take the argmax over the classes (dim=1), not over the batch (dim=0)."
    return None


@exercise("00.2", "classification accuracy", accuracy, diagnose=_diagnose_accuracy)
def _cases_accuracy():
    g = torch.Generator().manual_seed(0)
    yield Case("3 rows, 2 right", (torch.tensor([[2.0, 1.0, 0.0], [0.1, 0.2, 3.0], [5.0, 0.0, 9.0]]), torch.tensor([0, 2, 0])), expected=2 / 3)
    yield Case("10 rows of 4 classes", (torch.randn(10, 4, generator=g), torch.randint(4, (10,), generator=g)))
    yield Case("all right", (torch.eye(5), torch.arange(5)), expected=1.0)
