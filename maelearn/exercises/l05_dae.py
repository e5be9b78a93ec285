"""Graders of lesson 05 (denoising autoencoders): the two corruptions and the DAE loss.

The corruptions are random, so their exercises fix the draw (one ``torch.randn`` or one
``torch.rand`` of the input's shape, from the generator given) and compare exactly; the
hints recognise the usual slips (variance for standard deviation, the generator left out,
dropout's rescaling, a mask that marks the kept pixels).
"""

from __future__ import annotations

import torch

from maelearn.dae import dae_loss, gaussian_noise, masking_noise
from maelearn.exercises.framework import Case, exercise


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _diagnose_gaussian(case, got, expected):
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return a tensor of the same shape as x: x + sigma * noise."
    x, sigma = case.args[0], case.args[1]
    noise = expected - x
    if torch.allclose(got, x.clamp(0, 1), atol=1e-6) or torch.allclose(got, expected.clamp(0, 1), atol=1e-6):
        return "do not clip: the exercise asks for x + sigma * noise as it is."
    if sigma > 0:
        g = got - x
        if torch.allclose(g, noise * sigma, atol=1e-5):
            return "you scaled the noise by sigma**2 (the variance); sigma is the standard deviation."
        if torch.allclose(g, noise / sigma, atol=1e-5):
            return "multiply the standard normal noise by sigma, do not divide."
        if torch.allclose(got, x * (1 + noise), atol=1e-5):
            return "the noise is added to x, not multiplied with it."
        if abs(float(g.std()) / sigma - 1) < 0.2 and not torch.allclose(g, noise, atol=1e-4):
            return ("the noise has the right size but not the expected values: draw it with "
                    "torch.randn(x.shape, generator=generator), one draw, nothing drawn before it.")
    return None


@exercise("05.1", "Gaussian corruption", gaussian_noise, diagnose=_diagnose_gaussian)
def _cases_gaussian():
    g = _gen(0)
    yield Case("4 images of 8 pixels, sigma 0.3", (torch.rand(4, 8, generator=g), 0.3, _gen(1)))
    yield Case("a (2, 1, 4, 4) image batch, sigma 0.5", (torch.rand(2, 1, 4, 4, generator=g), 0.5, _gen(2)))
    yield Case("sigma 0 leaves x unchanged", (torch.rand(3, 5, generator=g), 0.0, _gen(3)))
    yield Case("sigma 2 on 1000 pixels", (torch.rand(10, 100, generator=g), 2.0, _gen(4)))
    # The default generator=None draws from torch's global generator (the lesson's training
    # loop calls it so); the grader seeds it for the reference and for your call alike.
    yield Case("the default generator (torch's global one), sigma 0.4", (torch.rand(3, 7, generator=g), 0.4), seed=15)


def _diagnose_masking(case, got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return a pair (x_noisy, mask)."
    x, p = case.args[0], case.args[1]
    noisy, mask = got
    exp_noisy, exp_mask = expected
    if not isinstance(mask, torch.Tensor) or not isinstance(noisy, torch.Tensor):
        return "both x_noisy and mask must be tensors."
    if mask.dtype == torch.bool:
        return "mask must be a float tensor (1.0 = zeroed, 0.0 = kept): convert with .float()."
    if mask.shape == exp_mask.shape and torch.equal(mask.float(), 1 - exp_mask) and torch.allclose(noisy, exp_noisy):
        return "your mask marks the kept pixels; it must be 1 where a pixel was zeroed."
    if mask.shape == exp_mask.shape and torch.equal(mask.float(), exp_mask) and 0 < p < 1:
        if torch.allclose(noisy, exp_noisy / (1 - p), atol=1e-5):
            return "do not rescale the kept pixels by 1/(1-p) as dropout does: a DAE must fill in what is missing."
    if len(case.args) < 3:
        return "with generator=None draw from torch's global generator: torch.rand(x.shape, generator=None)."
    u = torch.rand(x.shape, generator=_gen(case.args[2].initial_seed()))
    if mask.shape == exp_mask.shape and torch.equal(mask.float(), (u >= 1 - p).float()) and p != 0.5:
        return "a pixel is corrupted when u < p (probability p), not when u >= 1 - p."
    if mask.shape == exp_mask.shape and torch.equal(mask.float(), (u >= p).float()):
        return "you corrupted the pixels with u >= p, that is a fraction 1 - p; corrupt those with u < p."
    if mask.shape == exp_mask.shape and abs(float(mask.float().mean()) - p) < 0.1 and not torch.equal(mask.float(), exp_mask):
        return ("the fraction is right but not the pixels: draw u = torch.rand(x.shape, generator=generator) "
                "once and corrupt where u < p.")
    return None


@exercise("05.2", "masking corruption", masking_noise, diagnose=_diagnose_masking)
def _cases_masking():
    g = _gen(10)
    yield Case("4 images of 16 pixels, p 0.25", (torch.rand(4, 16, generator=g) + 0.1, 0.25, _gen(11)))
    yield Case("a (2, 3, 4, 4) batch, p 0.5", (torch.rand(2, 3, 4, 4, generator=g) + 0.1, 0.5, _gen(12)))
    yield Case("p 0 keeps everything", (torch.rand(3, 6, generator=g) + 0.1, 0.0, _gen(13)))
    yield Case("p 0.75 on 2000 pixels", (torch.rand(20, 100, generator=g) + 0.1, 0.75, _gen(14)))
    yield Case("the default generator (torch's global one), p 0.3", (torch.rand(3, 8, generator=g) + 0.1, 0.3), seed=16)


def _diagnose_loss(case, got, expected):
    recon, clean = case.args[0], case.args[1]
    mask = case.args[2] if len(case.args) > 2 else case.kwargs.get("mask")
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = float(got)
    if not isinstance(got, float):
        return "return a scalar tensor (or a float): the mean squared error."
    err = (recon - clean) ** 2
    if mask is not None:
        if abs(got - float(err.mean())) < 1e-6:
            return "with a mask, average over the corrupted entries only (MAE's loss on masked patches)."
        if abs(got - float((err * mask).mean())) < 1e-6:
            return "you zeroed the uncorrupted entries but still divided by all of them; divide by mask.sum()."
        per_row = (err * mask).sum(1) / mask.sum(1)
        if abs(got - float(per_row.mean())) < 1e-6:
            return "you averaged each row over its corrupted entries, then the rows; average over all corrupted entries at once."
        if abs(got - float((err * (1 - mask)).sum() / (1 - mask).sum())) < 1e-6:
            return "that is the error on the kept entries; the mask is 1 where an entry was corrupted."
    if abs(got - float(err.sum())) < 1e-4:
        return "take the mean, not the sum."
    if abs(got - float(err.sqrt().mean())) < 1e-6:
        return "square the differences (mean *squared* error)."
    return None


def _scalar_check(got, expected):
    """A scalar tensor of the inputs' dtype (the training loop calls backward on it) or a
    Python float (the text asks for "a scalar")."""
    if isinstance(got, torch.Tensor):
        if type(got) is not torch.Tensor or got.numel() != 1:
            raise AssertionError(f"expected a scalar, got a {type(got).__name__} of shape {tuple(got.shape)}")
        if isinstance(expected, torch.Tensor) and got.dtype != expected.dtype:
            raise AssertionError(f"expected dtype {expected.dtype} (the inputs'), got {got.dtype}")
        got = float(got)
    if type(got) is not float or abs(got - float(expected)) > 1e-6 + 1e-5 * abs(float(expected)):
        raise AssertionError(f"expected {float(expected):.6g}, got {got!r}")


@exercise("05.3", "the denoising loss", dae_loss, diagnose=_diagnose_loss)
def _cases_loss():
    g = _gen(20)
    recon, clean = torch.rand(4, 10, generator=g), torch.rand(4, 10, generator=g)
    yield Case("no mask: mean over every pixel", (recon, clean), check=_scalar_check)
    # Rows with different numbers of corrupted pixels, so per-row averaging differs.
    mask = (torch.rand(4, 10, generator=g) < torch.tensor([[0.2], [0.5], [0.8], [0.4]])).float()
    mask[:, 0] = 1.0  # every row has at least one corrupted pixel
    yield Case("a mask with different counts per row", (recon, clean, mask), check=_scalar_check)
    r2, c2 = torch.rand(2, 3, 8, 8, generator=g), torch.rand(2, 3, 8, 8, generator=g)
    m2 = (torch.rand(2, 3, 8, 8, generator=g) < 0.5).float()
    yield Case("image-shaped (2, 3, 8, 8) with a mask", (r2, c2, m2), check=_scalar_check)
