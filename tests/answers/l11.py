"""Lesson 11 graders accept the library's references and reject typical mistakes."""

import torch
from einops import rearrange



def patches_time_major(specs, p):
    return rearrange(specs, "b c (h p) (w q) -> b (w h) (p q c)", p=p, q=p)


def patches_transposed_inside(specs, p):
    return rearrange(specs, "b c (h p) (w q) -> b (h w) (q p c)", p=p, q=p)


def patches_whole_rows(specs, p):  # strips of p mel bands over the whole clip, cut every p*p values
    return rearrange(specs, "b c (h p) w -> b h (p w c)", p=p).reshape(specs.shape[0], -1, p * p)


def norm_per_clip(train, *others):
    return [(x - x.mean(dim=(1, 2, 3), keepdim=True)) / x.std(dim=(1, 2, 3), keepdim=True) for x in (train, *others)]


def norm_own_statistics(train, *others):
    return [(x - x.mean()) / x.std() for x in (train, *others)]


def norm_train_only(train, *others):
    return [(train - train.mean()) / train.std()]


def norm_per_band(train, *others):  # per mel band: also removes the spectral shape
    mean, std = train.mean(dim=(0, 1, 3), keepdim=True), train.std(dim=(0, 1, 3), keepdim=True)
    return [(x - mean) / std for x in (train, *others)]


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("11.1", patches_time_major, "time-major"),
    ("11.1", patches_transposed_inside, "(p q), not (q p)"),
    ("11.1", patches_whole_rows, "result: values differ"),
    ("11.2", norm_per_clip, "its own statistics"),
    ("11.2", norm_own_statistics, "TRAINING statistics"),
    ("11.2", norm_train_only, "every other set"),
    ("11.2", norm_per_band, "result[0]: values differ"),
]

RIGHT: list = []


def norm_biased_std(train, *others):
    mean, std = train.mean(), train.std(unbiased=False)  # np.std's convention
    return [(x - mean) / std for x in (train, *others)]


def norm_pooled_statistics(train, *others):
    pooled = torch.cat([x.flatten() for x in (train, *others)])
    return [(x - pooled.mean()) / pooled.std() for x in (train, *others)]


def norm_float64_then_cast(train, *others):
    """Right: statistics in float64, results cast back to float32."""
    mean, std = train.double().mean(), train.double().std()
    return [((x.double() - mean) / std).float() for x in (train, *others)]


def patches_by_unfold(specs, p):
    """Right: Tensor.unfold over frequency then time."""
    return specs.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 4, 5, 1).reshape(specs.shape[0], -1, p * p * specs.shape[1])


WRONG += [
    ("11.2", norm_biased_std, "unbiased std"),
    ("11.2", norm_pooled_statistics, "training set alone"),
]
RIGHT += [("11.2", norm_float64_then_cast), ("11.1", patches_by_unfold)]
