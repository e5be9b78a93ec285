"""Graders of lesson 05 (denoising autoencoders): masking noise, the neighbour-average
baseline and the DAE loss.

Masking noise is random: the lesson's draw (``torch.rand`` from the generator given,
corrupted where ``u < p``) matches the reference exactly; another correct draw passes when
the structure holds on every case (``x_noisy == x * (1 - mask)``, a 0/1 mask, no rescaling)
and the corrupted fraction is within six binomial standard deviations of ``p``; with
``generator=None`` two differently seeded cases must differ. Hints name dropout's rescaling,
a mask of the kept pixels and a dropped generator. The neighbour average's cases put holes
on edges, in corners, side by side and with no kept neighbour; its hints name zero padding,
a 4-neighbourhood, wrap-around, changed kept pixels and reused filled values.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from maelearn.dae import dae_loss, masking_noise, neighbour_average
from maelearn.exercises.framework import Case, assert_matches, exercise


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


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
    if mask.shape == exp_mask.shape and torch.equal(mask.float(), (u >= p).float()):
        return "you corrupted the pixels with u >= p, that is a fraction 1 - p; corrupt those with u < p."
    return None


def _masking_structure(x: torch.Tensor, got, expected) -> tuple[torch.Tensor, torch.Tensor]:
    """What every right answer holds, whatever its draw; raises AssertionError with a hint."""
    if not isinstance(got, (tuple, list)) or len(got) != 2 or not all(isinstance(t, torch.Tensor) for t in got):
        raise AssertionError("return a pair of tensors (x_noisy, mask)")
    noisy, mask = got
    for name, t, want in (("x_noisy", noisy, expected[0]), ("mask", mask, expected[1])):
        if tuple(t.shape) != tuple(x.shape):
            raise AssertionError(f"{name} must have the shape of x {tuple(x.shape)}, got {tuple(t.shape)}")
        if t.dtype != want.dtype:
            raise AssertionError(f"{name} must be {want.dtype} (the dtype of x), got {t.dtype}")
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise AssertionError("mask must hold only 1.0 (corrupted) and 0.0 (kept)")
    if not torch.equal(noisy, x * (1 - mask)):
        raise AssertionError("x_noisy must be x with the corrupted pixels (mask 1) set to 0 and every kept pixel "
                             "(mask 0) exactly as it was: x * (1 - mask), nothing rescaled or added")
    return noisy, mask


def _masking_checker(x: torch.Tensor, p: float, rates: bool, seen: dict | None = None, key: str = ""):
    """Exact match with the reference's draw, or the structure (every case) and the rate
    (``rates``: a case large enough to judge it). ``seen``, shared by the cases of one run,
    holds the masks drawn with generator=None, so a second such case, seeded differently,
    can tell a draw from torch's global generator from a private one."""

    def check(got, expected):
        exact = True
        try:
            assert_matches(got, expected, where="(x_noisy, mask)")
        except AssertionError:
            exact = False
        if not exact:
            _, mask = _masking_structure(x, got, expected)
            frac, n = float(mask.double().mean()), mask.numel()
            if p == 0 and frac != 0:
                raise AssertionError(f"with p=0 nothing may be corrupted, but {frac:.1%} of the pixels were")
            if rates:
                sd = math.sqrt(p * (1 - p) / n)
                if abs(frac - p) > 6 * sd + 1e-12:
                    raise AssertionError(f"corrupt each pixel with probability p={p}: expected a fraction of about {p:.3f} "
                                         f"(±{6 * sd:.3f}) over {n} pixels, got {frac:.3f}")
        if seen is not None:
            mask = got[1]
            for other, m in seen.items():
                if other != key and isinstance(m, torch.Tensor) and torch.equal(m, mask):
                    raise AssertionError("with generator=None your mask came out the same when torch's global generator was "
                                         "seeded differently: draw from torch's global generator (generator=None), "
                                         "not from a generator of your own")
            seen[key] = mask.detach().clone()

    return check


@exercise("05.1", "masking corruption", masking_noise, diagnose=_diagnose_masking)
def _cases_masking():
    g = _gen(10)
    seen: dict = {}  # the generator=None cases' masks, shared by this run's checks
    for name, (shape, p, seed, rates) in {
        "4 images of 16 pixels, p 0.25": ((4, 16), 0.25, 11, False),
        "a (2, 3, 4, 4) batch, p 0.5": ((2, 3, 4, 4), 0.5, 12, False),
        "p 0 keeps everything": ((3, 6), 0.0, 13, True),
        "p 0.75 on 2000 pixels (rate)": ((20, 100), 0.75, 14, True),
        "p 0.3 on 51200 pixels (rate)": ((200, 256), 0.3, 15, True),
    }.items():
        x = torch.rand(*shape, generator=g) + 0.1
        yield Case(name, (x, p, _gen(seed)), check=_masking_checker(x, p, rates))
    x = torch.rand(10, 20, generator=g) + 0.1
    for seed in (16, 17):  # the same input, torch's global generator seeded two ways
        yield Case(f"the default generator (torch's global one, seeded {seed}), p 0.3 on 200 pixels", (x, 0.3),
                   check=_masking_checker(x, 0.3, True, seen, str(seed)), seed=seed)


# -- 05.2 the neighbour average ----------------------------------------------------------------


def _window_fill(x, mask, window, *, divide="kept", pad_kept=False, wrap=False):
    """The neighbour average with one slip: ``window`` (3, 3) says which neighbours count;
    ``divide`` is "kept" (the right count), "all" (every in-image neighbour, zeros in holes
    included) or a number; ``pad_kept`` counts the pixels outside the image as kept zeros;
    ``wrap`` takes the opposite edge's pixels as neighbours."""
    kept = 1.0 - mask.unsqueeze(1)
    values, ones = x.unsqueeze(1) * kept, torch.ones_like(kept)
    w = window.to(x.dtype).view(1, 1, 3, 3)

    def pad(t, value=0.0):
        return F.pad(t, (1, 1, 1, 1), mode="circular") if wrap else F.pad(t, (1, 1, 1, 1), value=value)

    total = F.conv2d(pad(values), w)
    if divide == "kept":
        count = F.conv2d(pad(kept, 1.0 if pad_kept else 0.0), w)
    elif divide == "all":
        count = F.conv2d(pad(ones), w)
    else:
        count = torch.full_like(total, float(divide))
    filled = torch.where(count > 0, total / count.clamp_min(1e-12), torch.zeros_like(total)).squeeze(1)
    return torch.where(mask.bool(), filled, x)


_EIGHT = torch.tensor([[1.0, 1, 1], [1, 0, 1], [1, 1, 1]])
_FOUR = torch.tensor([[0.0, 1, 0], [1, 0, 1], [0, 1, 0]])
_NINE = torch.ones(3, 3)


def _sequential_fill(x, mask):
    """Holes filled one by one in raster order, each from the current values of its
    neighbours (filled ones included): an in-place loop's slip."""
    out, m = x.clone(), mask.clone()
    n, h, w = x.shape
    for b in range(n):
        for i in range(h):
            for j in range(w):
                if mask[b, i, j] > 0:
                    vals = [out[b, a, c] for a in range(max(i - 1, 0), min(i + 2, h)) for c in range(max(j - 1, 0), min(j + 2, w))
                            if (a, c) != (i, j) and m[b, a, c] == 0]
                    out[b, i, j] = sum(vals) / len(vals) if vals else 0.0
                    m[b, i, j] = 0
    return out


def _diagnose_neighbours(case, got, expected):
    if not isinstance(got, torch.Tensor):
        return "return a tensor of x_noisy's shape: the image with its holes filled."
    x, mask = case.args
    if tuple(got.shape) != tuple(x.shape):
        return f"return x_noisy's shape {tuple(x.shape)} (N, H, W); work on (N, 1, H, W) for F.conv2d and squeeze back."
    got = got.to(expected.dtype)
    close = lambda t: torch.allclose(got, t.to(expected.dtype), atol=1e-5, equal_nan=True)  # noqa: E731
    holes = mask.bool()
    if torch.isnan(got).any() and not torch.isnan(expected).any():
        return "a corrupted pixel with no kept neighbour must stay 0: 0 / 0 gives NaN (divide by count.clamp_min(1) and use torch.where)."
    if not torch.allclose(got[~holes], x[~holes], atol=1e-6):
        if close(_window_fill(x, 1 - mask, _EIGHT)):
            return "mask is 1 where a pixel was corrupted: fill those, average the pixels where mask is 0."
        return "leave the kept pixels (mask 0) exactly as they are; only the corrupted ones are filled in."
    slips = [
        (_window_fill(x, mask, _EIGHT, divide="all"),
         "average over the *kept* neighbours only: the zeros in other holes are not values, so divide by the number "
         "of kept neighbours, not by all of them."),
        (_window_fill(x, mask, _EIGHT, divide=8),
         "divide by the number of kept neighbours inside the image, not by 8."),
        (_window_fill(x, mask, _NINE, divide=9),
         "divide by the number of kept neighbours, not by the 9 pixels of the window."),
        (_window_fill(x, mask, _EIGHT, pad_kept=True),
         "pixels outside the image are not neighbours: zero padding adds nothing to the sum and must add nothing to "
         "the count (count the kept pixels with the same convolution)."),
        (_window_fill(x, mask, _FOUR),
         "use all 8 neighbours of the 3x3 window, the diagonal ones too, not only up/down/left/right."),
        (_window_fill(x, mask, _EIGHT, wrap=True),
         "do not wrap around (torch.roll): a pixel on an edge has fewer neighbours, not those of the opposite edge."),
        (_sequential_fill(x, mask),
         "average the pixels that were kept in the input only: filling holes one by one in place lets a hole borrow "
         "a value you filled in a moment earlier. Compute every fill from the input, then write them."),
    ]
    for wrong, hint in slips:
        if close(wrong) and not close(expected):
            return hint
    if close(x) and holes.any():
        return "the holes are still 0: replace every corrupted pixel by the mean of its kept neighbours."
    kept = 1.0 - mask
    image_mean = (x * kept).flatten(1).sum(1) / kept.flatten(1).sum(1).clamp_min(1)
    if close(torch.where(holes, image_mean.view(-1, 1, 1).expand_as(x), x)):
        return "average the kept pixels of each hole's 3x3 window, not of the whole image."
    return None


@exercise("05.2", "neighbour-average inpainting", neighbour_average, diagnose=_diagnose_neighbours)
def _cases_neighbours():
    # A hand-made 4x5 image: a hole in a corner, on an edge, in the middle, two holes side by
    # side (each must ignore the other), one hole whose whole window is masked.
    x = torch.arange(1.0, 21.0).view(1, 4, 5) / 20
    m = torch.zeros(1, 4, 5)
    m[0, 0, 0] = m[0, 0, 2] = m[0, 2, 1] = m[0, 2, 2] = 1.0
    yield Case("one 4x5 image: holes in a corner, on an edge, side by side", ((x * (1 - m)), m))
    x = torch.rand(1, 5, 5, generator=torch.Generator().manual_seed(30)) + 0.1
    m = torch.zeros(1, 5, 5)
    m[0, 1:4, 1:4] = 1.0  # the centre's 8 neighbours are all holes
    yield Case("a 3x3 block of holes: the centre has no kept neighbour (stays 0)", ((x * (1 - m)), m))
    g = torch.Generator().manual_seed(31)
    for n, h, w, p in ((3, 16, 16, 0.5), (2, 6, 9, 0.25), (2, 16, 16, 0.9)):
        x = torch.rand(n, h, w, generator=g)
        m = (torch.rand(n, h, w, generator=g) < p).float()
        yield Case(f"{n} images {h}x{w}, p {p}", (x * (1 - m), m))
    x = torch.rand(2, 7, 7, generator=g, dtype=torch.float64)
    m = (torch.rand(2, 7, 7, generator=g) < 0.5).to(torch.float64)
    yield Case("float64 images (keep the dtype)", (x * (1 - m), m))
    x = torch.rand(1, 4, 4, generator=g)
    yield Case("no hole: nothing changes", (x, torch.zeros(1, 4, 4)))
    yield Case("every pixel a hole: all 0", (torch.zeros(1, 3, 3), torch.ones(1, 3, 3)))


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
