"""Lesson 00's graders reject typical wrong answers."""

import torch



def no_permute(images):
    return torch.from_numpy(images).float() / 255.0


def divide_by_256(images):
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 256.0


def not_scaled(images):
    return torch.from_numpy(images).permute(0, 3, 1, 2).float()


def argmax_over_batch(logits, labels):
    return (logits.argmax(dim=0)[: len(labels)] == labels[: logits.shape[1]]).float().mean().item()


def count_not_fraction(logits, labels):
    return float((logits.argmax(dim=1) == labels).sum())


def integer_division(logits, labels):
    return int((logits.argmax(dim=1) == labels).sum()) // len(labels)


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("00.1", no_permute, "channels are still last"),
    ("00.1", divide_by_256, "divide by 255, not 256"),
    ("00.1", not_scaled, "should lie in [0, 1]"),
    ("00.2", argmax_over_batch, "not over the batch"),
    ("00.2", count_not_fraction, "number of correct rows"),
    ("00.2", integer_division, "return a Python float: float(...) or .item() turns a tensor or NumPy"),
]

WRONG += [
    ("00.2", lambda logits, labels: (logits.argmax(dim=1) == labels).float().mean(), "return a Python float"),  # a 0-dim tensor
]

RIGHT: list = []


# -- second audit: another route, and a NumPy scalar ---------------------------------------


def images_via_numpy_float64(images):
    """Right: moveaxis and divide in NumPy (float64), then a float32 tensor."""
    import numpy as np

    return torch.from_numpy(np.moveaxis(images, -1, 1) / 255.0).float()


def accuracy_numpy_scalar(logits, labels):
    """Wrong: np.mean returns a numpy.float64, not a Python float."""
    import numpy as np

    return np.mean((logits.argmax(1) == labels).numpy())


def accuracy_by_counting(logits, labels):
    """Right: count the hits in Python."""
    return sum(int(a) == int(b) for a, b in zip(logits.max(1).indices, labels)) / len(labels)


WRONG += [("00.2", accuracy_numpy_scalar, "return a Python float")]
RIGHT += [("00.1", images_via_numpy_float64), ("00.2", accuracy_by_counting)]
