"""Lesson 05's graders accept the reference and reject typical wrong answers."""

import pytest
import torch

from maelearn.testing import assert_accepts, assert_rejects


# -- 05.1 Gaussian corruption ----------------------------------------------------------------
def variance_not_std(x, sigma, generator=None):
    return x + sigma**2 * torch.randn(x.shape, generator=generator)


def global_rng(x, sigma, generator=None):
    return x + sigma * torch.randn_like(x)  # ignores the generator: not reproducible


def clipped(x, sigma, generator=None):
    return (x + sigma * torch.randn(x.shape, generator=generator)).clamp(0, 1)


def multiplicative(x, sigma, generator=None):
    return x * (1 + sigma * torch.randn(x.shape, generator=generator))


# -- 05.2 masking corruption -----------------------------------------------------------------
def dropout_rescaled(x, p, generator=None):
    mask = (torch.rand(x.shape, generator=generator) < p).float()
    return x * (1 - mask) / (1 - p), mask


def corrupts_one_minus_p(x, p, generator=None):
    mask = (torch.rand(x.shape, generator=generator) >= p).float()
    return x * (1 - mask), mask


def mask_marks_kept(x, p, generator=None):
    keep = (torch.rand(x.shape, generator=generator) >= p).float()
    return x * keep, keep


def bool_mask(x, p, generator=None):
    mask = torch.rand(x.shape, generator=generator) < p
    return x.masked_fill(mask, 0.0), mask


# -- 05.3 the loss ---------------------------------------------------------------------------
def ignores_mask(recon, clean, mask=None):
    return ((recon - clean) ** 2).mean()


def masked_but_divided_by_all(recon, clean, mask=None):
    err = (recon - clean) ** 2
    return err.mean() if mask is None else (err * mask).mean()


def per_row_average(recon, clean, mask=None):
    err = (recon - clean) ** 2
    if mask is None:
        return err.mean()
    return ((err * mask).flatten(1).sum(1) / mask.flatten(1).sum(1)).mean()


def sum_not_mean(recon, clean, mask=None):
    err = (recon - clean) ** 2
    return err.sum() if mask is None else (err * mask).sum()


WRONG = {
    "05.1": [variance_not_std, global_rng, clipped, multiplicative],
    "05.2": [dropout_rescaled, corrupts_one_minus_p, mask_marks_kept, bool_mask],
    "05.3": [ignores_mask, masked_but_divided_by_all, per_row_average, sum_not_mean],
}

HINTS = {
    variance_not_std: "sigma**2",
    global_rng: "generator",
    clipped: "do not clip",
    multiplicative: "added to x",
    dropout_rescaled: "1/(1-p)",
    corrupts_one_minus_p: "1 - p",
    mask_marks_kept: "kept pixels",
    bool_mask: "float tensor",
    ignores_mask: "corrupted entries only",
    masked_but_divided_by_all: "mask.sum()",
    per_row_average: "each row",
    sum_not_mean: "not the sum",
}


@pytest.mark.parametrize("ex_id", ["05.1", "05.2", "05.3"])
def test_reference_passes(ex_id):
    assert assert_accepts(ex_id) >= 3


@pytest.mark.parametrize("ex_id,fn", [(k, f) for k, fns in WRONG.items() for f in fns], ids=lambda v: getattr(v, "__name__", v))
def test_wrong_answer_rejected_with_its_hint(ex_id, fn):
    assert_rejects(ex_id, fn, match=HINTS[fn])


def test_loss_accepts_a_float_answer():
    def as_float(recon, clean, mask=None):
        err = (recon - clean) ** 2
        return float(err.mean() if mask is None else (err * mask).sum() / mask.sum())

    assert assert_accepts("05.3", as_float) == 3
