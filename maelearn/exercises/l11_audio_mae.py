"""Graders of lesson 11 (audio MAE): spectrogram patches over (frequency, time) and
dataset-level input normalization."""

from __future__ import annotations

import torch
from einops import rearrange

from maelearn.audio import normalize_specs
from maelearn.exercises.framework import Case, exercise
from maelearn.patches import patchify


def _specs(shape, seed, scale=10.0, shift=-30.0):
    return shift + scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# -- 11.1 spectrogram patches --------------------------------------------------------------


def _diagnose_patches(case, got, expected):
    specs, p = case.args
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return (B, N, p*p) with N = (n_mels/p)(frames/p)."
    if torch.equal(got, rearrange(specs, "b c (h p) (w q) -> b (w h) (p q c)", p=p, q=p)):
        return "the patches are listed time-major; list them frequency row by row: (h w), rows = mel bands."
    if torch.equal(got, rearrange(specs, "b c (h p) (w q) -> b (h w) (q p c)", p=p, q=p)):
        return "inside a patch go row (frequency) first, then column (time): (p q), not (q p)."
    return None


@exercise("11.1", "spectrogram patches", patchify, diagnose=_diagnose_patches)
def _cases_patches():
    yield Case("1 spectrogram 8 mels x 16 frames, 4x4 patches", (_specs((1, 1, 8, 16), 0), 4))
    yield Case("3 spectrograms 32 x 64, 8x8 patches", (_specs((3, 1, 32, 64), 1), 8))
    yield Case("2 spectrograms 6 x 4, 2x2 patches", (_specs((2, 1, 6, 4), 2), 2))


# -- 11.2 normalization with the training set's statistics -----------------------------------


def normalize_with_std(train: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Reference 11.2, as the exercise asks: ``(x - mean_train) / std_train`` for every set,
    train first (the library's :func:`~maelearn.audio.normalize_specs` with ``std_scale=1``;
    its default divides by 2 std, as Audio-MAE's pipeline)."""
    return normalize_specs(train, *others, std_scale=1.0)


def _diagnose_norm(case, got, expected):
    train = case.args[0]
    doubled = normalize_specs(*case.args, std_scale=2.0)
    if isinstance(got, (list, tuple)) and len(got) == len(doubled) and all(
            type(g) is torch.Tensor and g.shape == d.shape and torch.allclose(g, d, atol=1e-4) for g, d in zip(got, doubled)):
        return "divide by the training std itself, as the exercise asks (Audio-MAE's pipeline divides by 2 std; not here)."
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return "return a list: the normalized training set first, then every other set in order."
    per_clip = [(x - x.mean(dim=(1, 2, 3), keepdim=True)) / x.std(dim=(1, 2, 3), keepdim=True) for x in (train, *case.args[1:])]
    if all(isinstance(g, torch.Tensor) and g.shape == p.shape and torch.allclose(g, p, atol=1e-4) for g, p in zip(got, per_clip)):
        return "normalizing every clip by its own statistics erases how loud it is; use one mean and one std, from the training set."
    sets = (train, *case.args[1:])

    def same(candidates):
        return all(isinstance(g, torch.Tensor) and g.shape == c.shape and torch.allclose(g, c, atol=1e-4) for g, c in zip(got, candidates))

    if same([(x - train.mean()) / train.std(unbiased=False) for x in sets]):
        return "use the unbiased std, as torch.std computes it by default (dividing by n - 1; numpy's np.std divides by n)."
    pooled = torch.cat([x.flatten() for x in sets])
    if len(sets) > 1 and same([(x - pooled.mean()) / pooled.std() for x in sets]):
        return "take the mean and std of the training set alone, not of all the sets together."
    own = [(x - x.mean()) / x.std() for x in (train, *case.args[1:])]
    if len(got) > 1 and all(isinstance(g, torch.Tensor) and g.shape == o.shape and torch.allclose(g, o, atol=1e-4) for g, o in zip(got, own)):
        return "every set must use the TRAINING statistics: the test set's own mean and std are not known at training time."
    return None


@exercise("11.2", "normalize with training statistics", normalize_with_std, diagnose=_diagnose_norm, rtol=1e-4, atol=1e-4,
          forbidden=(normalize_specs,))
def _cases_norm():
    yield Case("train and test", (_specs((6, 1, 4, 8), 3), _specs((3, 1, 4, 8), 4, scale=5.0, shift=-10.0)))
    yield Case("train only", (_specs((4, 1, 8, 8), 5),))
    yield Case("train, validation and test", (_specs((5, 1, 4, 4), 6), _specs((2, 1, 4, 4), 7, shift=0.0), _specs((2, 1, 4, 4), 8)))
