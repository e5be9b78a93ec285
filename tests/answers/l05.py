"""Lesson 05's graders accept the reference and reject typical wrong answers."""

import torch



# -- 05.1 masking corruption -----------------------------------------------------------------
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


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("05.1", dropout_rescaled, "1/(1-p)"),
    ("05.1", corrupts_one_minus_p, "1 - p"),
    ("05.1", mask_marks_kept, "kept pixels"),
    ("05.1", bool_mask, "your result is torch.bool but the answer is torch.float32; check"),
    ("05.3", ignores_mask, "corrupted entries only"),
    ("05.3", masked_but_divided_by_all, "mask.sum()"),
    ("05.3", per_row_average, "each row"),
    ("05.3", sum_not_mean, "not the sum"),
]


def loss_as_float(recon, clean, mask=None):
    """The text asks for "a scalar": a Python float is one too."""
    err = (recon - clean) ** 2
    return float(err.mean() if mask is None else (err * mask).sum() / mask.sum())


def masking_ignores_default_generator(x, p, generator=None):
    """Right with a generator; with the default None it draws from a private generator,
    not torch's global one."""
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    mask = (torch.rand(x.shape, generator=generator) < p).float()
    return x * (1 - mask), mask


WRONG += [
    ("05.1", masking_ignores_default_generator, "torch's global generator"),
]

RIGHT = [("05.3", loss_as_float)]


# -- second audit: other routes ------------------------------------------------------------------


def masking_by_where(x, p, generator=None):
    """Right: torch.where on one uniform draw."""
    u = torch.rand(x.shape, generator=generator)
    return torch.where(u < p, torch.zeros_like(x), x), (u < p).to(x.dtype)


def loss_by_boolean_indexing(recon, clean, mask=None):
    """Right: F.mse_loss without reduction, then the corrupted entries by boolean indexing."""
    err = torch.nn.functional.mse_loss(recon, clean, reduction="none")
    return err.mean() if mask is None else err[mask.bool()].mean()


RIGHT += [("05.1", masking_by_where), ("05.3", loss_by_boolean_indexing)]


# -- third audit: 05.1 accepts any correct draw (structure + rate), still rejects the slips -----


def masking_by_bernoulli(x, p, generator=None):
    """Right, by another draw: torch.bernoulli with probability p everywhere."""
    mask = torch.bernoulli(torch.full_like(x, p), generator=generator)
    return x * (1 - mask), mask


def masking_above_one_minus_p(x, p, generator=None):
    """Right, by another draw: u > 1 - p also has probability p."""
    mask = (torch.rand(x.shape, generator=generator) > 1 - p).to(x.dtype)
    return x * (1 - mask), mask


def bernoulli_half_the_rate(x, p, generator=None):
    """Wrong: corrupts with probability p / 2."""
    return masking_by_bernoulli(x, p / 2, generator)


def bernoulli_fixed_rate(x, p, generator=None):
    """Wrong: ignores p, corrupts half the pixels."""
    return masking_by_bernoulli(x, 0.5, generator)


def bernoulli_rescaled(x, p, generator=None):
    """Wrong: dropout's rescaling of the kept pixels, with another draw."""
    noisy, mask = masking_by_bernoulli(x, p, generator)
    return noisy / (1 - p), mask


def bernoulli_mask_inverted(x, p, generator=None):
    """Wrong: the mask marks the kept pixels, with another draw."""
    keep = torch.bernoulli(torch.full_like(x, 1 - p), generator=generator)
    return x * keep, keep


def noise_on_kept_pixels(x, p, generator=None):
    """Wrong: a little Gaussian noise added to the kept pixels as well."""
    noisy, mask = masking_by_bernoulli(x, p, generator)
    return noisy + 0.05 * torch.randn(x.shape, generator=generator) * (1 - mask), mask


def mask_flattened(x, p, generator=None):
    """Wrong: the mask comes back flat, not in x's shape."""
    noisy, mask = masking_by_bernoulli(x, p, generator)
    return noisy, mask.flatten()


WRONG += [
    ("05.1", bernoulli_half_the_rate, "probability p=0.75"),
    ("05.1", bernoulli_fixed_rate, "with p=0 nothing may be corrupted"),
    ("05.1", bernoulli_rescaled, "nothing rescaled or added"),
    ("05.1", bernoulli_mask_inverted, "corrupted pixels (mask 1) set to 0"),
    ("05.1", noise_on_kept_pixels, "every kept pixel"),
    ("05.1", mask_flattened, "must have the shape of x"),
]
RIGHT += [("05.1", masking_by_bernoulli), ("05.1", masking_above_one_minus_p)]


# -- 05.2 the neighbour average -----------------------------------------------------------------
import torch.nn.functional as F  # noqa: E402

_WINDOW = torch.tensor([[1.0, 1, 1], [1, 0, 1], [1, 1, 1]]).view(1, 1, 3, 3)


def _conv(t, window=_WINDOW, **kw):
    return F.conv2d(t.unsqueeze(1), window.to(t.dtype), padding=1, **kw).squeeze(1)


def neighbours_zeros_counted(x_noisy, mask):
    """Wrong: the mean of every neighbour, the zeros in other holes included."""
    avg = _conv(x_noisy) / _conv(torch.ones_like(x_noisy))
    return torch.where(mask.bool(), avg, x_noisy)


def neighbours_divided_by_8(x_noisy, mask):
    """Wrong: the kept neighbours' sum over 8, whatever their number."""
    return torch.where(mask.bool(), _conv(x_noisy * (1 - mask)) / 8, x_noisy)


def neighbours_padding_counted(x_noisy, mask):
    """Wrong: the image padded with kept zeros, so an edge pixel divides by too many."""
    kept = F.pad(1 - mask, (1, 1, 1, 1), value=1.0)
    count = F.conv2d(kept.unsqueeze(1), _WINDOW.to(x_noisy.dtype)).squeeze(1)
    total = _conv(x_noisy * (1 - mask))
    return torch.where(mask.bool(), torch.where(count > 0, total / count.clamp_min(1), 0.0), x_noisy)


def neighbours_four(x_noisy, mask):
    """Wrong: up, down, left and right only."""
    cross = torch.tensor([[0.0, 1, 0], [1, 0, 1], [0, 1, 0]]).view(1, 1, 3, 3)
    total, count = _conv(x_noisy * (1 - mask), cross), _conv(1 - mask, cross)
    return torch.where(mask.bool(), torch.where(count > 0, total / count.clamp_min(1), 0.0), x_noisy)


def neighbours_rolled(x_noisy, mask):
    """Wrong: torch.roll wraps around, so an edge pixel borrows from the opposite edge."""
    kept = 1 - mask
    total, count = torch.zeros_like(x_noisy), torch.zeros_like(x_noisy)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                total += torch.roll(x_noisy * kept, (di, dj), dims=(-2, -1))
                count += torch.roll(kept, (di, dj), dims=(-2, -1))
    return torch.where(mask.bool(), torch.where(count > 0, total / count.clamp_min(1), 0.0), x_noisy)


def neighbours_smooth_everything(x_noisy, mask):
    """Wrong: every pixel replaced by its kept neighbours' mean, the kept ones too."""
    total, count = _conv(x_noisy * (1 - mask)), _conv(1 - mask)
    return torch.where(count > 0, total / count.clamp_min(1), 0.0)


def neighbours_nan_when_alone(x_noisy, mask):
    """Wrong: 0 / 0 for a hole with no kept neighbour."""
    total, count = _conv(x_noisy * (1 - mask)), _conv(1 - mask)
    return torch.where(mask.bool(), total / count, x_noisy)


def neighbours_in_place_loop(x_noisy, mask):
    """Wrong: holes filled one by one in place, a later hole averaging earlier fills."""
    out, m = x_noisy.clone(), mask.clone()
    n, h, w = out.shape
    for b in range(n):
        for i in range(h):
            for j in range(w):
                if mask[b, i, j]:
                    vals = [out[b, a, c] for a in range(max(i - 1, 0), min(i + 2, h))
                            for c in range(max(j - 1, 0), min(j + 2, w)) if (a, c) != (i, j) and not m[b, a, c]]
                    out[b, i, j] = sum(vals) / len(vals) if vals else 0.0
                    m[b, i, j] = 0
    return out


def neighbours_flipped_mask(x_noisy, mask):
    """Wrong: mask read as 1 = kept."""
    return neighbours_correct_by_slices(x_noisy, 1 - mask)


def neighbours_correct_by_slices(x_noisy, mask):
    """Right: shifted slices of a zero-padded copy, no convolution."""
    kept = 1 - mask
    n, h, w = x_noisy.shape
    xv = F.pad(x_noisy * kept, (1, 1, 1, 1))
    kv = F.pad(kept, (1, 1, 1, 1))
    total = torch.zeros_like(x_noisy)
    count = torch.zeros_like(x_noisy)
    for di in range(3):
        for dj in range(3):
            if (di, dj) != (1, 1):
                total = total + xv[:, di:di + h, dj:dj + w]
                count = count + kv[:, di:di + h, dj:dj + w]
    filled = torch.where(count > 0, total / count.clamp_min(1), torch.zeros_like(total))
    return torch.where(mask > 0, filled, x_noisy)


def neighbours_by_scipy(x_noisy, mask):
    """Right: scipy.ndimage.convolve with mode="constant" (outside the image is 0), in NumPy."""
    import numpy as np
    from scipy.ndimage import convolve

    x, m = x_noisy.numpy(), mask.numpy()
    k = np.ones((1, 3, 3))
    k[0, 1, 1] = 0
    total = convolve(x * (1 - m), k, mode="constant")
    count = convolve(1 - m, k, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        filled = np.where(count > 0.5, total / np.maximum(count, 1), 0.0)
    return torch.from_numpy(np.where(m > 0, filled, x).astype(x.dtype))


WRONG += [
    ("05.2", neighbours_zeros_counted, "*kept* neighbours only"),
    ("05.2", neighbours_divided_by_8, "not by 8"),
    ("05.2", neighbours_padding_counted, "outside the image are not neighbours"),
    ("05.2", neighbours_four, "diagonal"),
    ("05.2", neighbours_rolled, "wrap around"),
    ("05.2", neighbours_smooth_everything, "leave the kept pixels"),
    ("05.2", neighbours_nan_when_alone, "must stay 0"),
    ("05.2", neighbours_in_place_loop, "one by one in place"),
    ("05.2", neighbours_flipped_mask, "mask is 1 where a pixel was corrupted"),
    ("05.2", lambda x_noisy, mask: neighbours_correct_by_slices(x_noisy.float(), mask.float()), "torch.float64"),
]


def neighbours_image_mean(x_noisy, mask):
    """Wrong: every hole gets the mean of its image's kept pixels."""
    kept = 1 - mask
    mean = (x_noisy * kept).flatten(1).sum(1) / kept.flatten(1).sum(1).clamp_min(1)
    return torch.where(mask.bool(), mean.view(-1, 1, 1).expand_as(x_noisy), x_noisy)


WRONG += [
    ("05.2", lambda x_noisy, mask: x_noisy.clone(), "the holes are still 0"),
    ("05.2", neighbours_image_mean, "not of the whole image"),
]
RIGHT += [("05.2", neighbours_correct_by_slices), ("05.2", neighbours_by_scipy)]
