"""Lesson 05's graders accept the reference and reject typical wrong answers."""

import torch



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


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("05.1", variance_not_std, "sigma**2"),
    ("05.1", global_rng, "generator"),
    ("05.1", clipped, "do not clip"),
    ("05.1", multiplicative, "added to x"),
    ("05.2", dropout_rescaled, "1/(1-p)"),
    ("05.2", corrupts_one_minus_p, "1 - p"),
    ("05.2", mask_marks_kept, "kept pixels"),
    ("05.2", bool_mask, "your result is torch.bool but the answer is torch.float32; check"),
    ("05.3", ignores_mask, "corrupted entries only"),
    ("05.3", masked_but_divided_by_all, "mask.sum()"),
    ("05.3", per_row_average, "each row"),
    ("05.3", sum_not_mean, "not the sum"),
]


def loss_as_float(recon, clean, mask=None):
    """The text asks for "a scalar": a Python float is one too."""
    err = (recon - clean) ** 2
    return float(err.mean() if mask is None else (err * mask).sum() / mask.sum())


def noise_ignores_default_generator(x, sigma, generator=None):
    """Right with a generator; with the default None it draws from a private generator,
    not torch's global one."""
    generator = generator if generator is not None else torch.Generator().manual_seed(0)
    return x + sigma * torch.randn(x.shape, generator=generator)


WRONG += [
    ("05.1", noise_ignores_default_generator, "values differ"),
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


RIGHT += [("05.2", masking_by_where), ("05.3", loss_by_boolean_indexing)]
