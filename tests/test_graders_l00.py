"""Lesson 00's graders reject typical wrong answers."""

import pytest
import torch

from maelearn.testing import assert_accepts, assert_rejects


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


WRONG = {
    "00.1": [no_permute, divide_by_256, not_scaled],
    "00.2": [argmax_over_batch, count_not_fraction, integer_division],
}

HINTS = {
    no_permute: "channels are still last",
    divide_by_256: "divide by 255, not 256",
    not_scaled: "should lie in [0, 1]",
    argmax_over_batch: "not over the batch",
    count_not_fraction: "number of correct rows",
    integer_division: "expected 0.666667, got int 0",
}


@pytest.mark.parametrize("ex_id, wrong", [(k, f) for k, fs in WRONG.items() for f in fs], ids=lambda x: getattr(x, "__name__", x))
def test_rejects_with_hint(ex_id, wrong):
    assert_rejects(ex_id, wrong, match=HINTS[wrong])


@pytest.mark.parametrize("ex_id", sorted(WRONG))
def test_accepts_reference(ex_id):
    assert assert_accepts(ex_id) >= 3
