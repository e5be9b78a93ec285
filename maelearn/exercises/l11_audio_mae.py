"""Graders of lesson 11 (audio MAE): dataset-level input normalization, and accuracy
within each time-reversed pair of classes."""

from __future__ import annotations

import torch

from maelearn.audio import normalize_specs
from maelearn.evaluate import linear_probe_features
from maelearn.exercises.framework import Case, exercise


def _specs(shape, seed, scale=10.0, shift=-30.0):
    return shift + scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# -- 11.1 normalization with the training set's statistics -----------------------------------


def normalize_with_std(train: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Reference 11.1, as the exercise asks: ``(x - mean_train) / std_train`` for every set,
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


@exercise("11.1", "normalize with training statistics", normalize_with_std, diagnose=_diagnose_norm, rtol=1e-4, atol=1e-4,
          forbidden=(normalize_specs,))
def _cases_norm():
    yield Case("train and test", (_specs((6, 1, 4, 8), 3), _specs((3, 1, 4, 8), 4, scale=5.0, shift=-10.0)))
    yield Case("train only", (_specs((4, 1, 8, 8), 5),))
    yield Case("train, validation and test", (_specs((5, 1, 4, 4), 6), _specs((2, 1, 4, 4), 7, shift=0.0), _specs((2, 1, 4, 4), 8)))


# -- 11.2 accuracy within each time-reversed pair --------------------------------------------


def pair_accuracies(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor,
                    test_y: torch.Tensor) -> list[float]:
    """Reference 11.2: for every pair p of classes (2p, 2p+1), up to the largest training
    label, the test accuracy of ``linear_probe_features(..., num_classes=2)`` trained on
    that pair's training clips and scored on that pair's test clips, labels 2p -> 0 and
    2p+1 -> 1. A list of Python floats, in pair order."""
    accs = []
    for p in range(int(train_y.max()) // 2 + 1):
        tr, te = train_y // 2 == p, test_y // 2 == p
        accs.append(linear_probe_features(train_x[tr], train_y[tr] % 2, test_x[te], test_y[te] % 2, num_classes=2).test_acc)
    return accs


def _clips(n_per_class: int, n_pairs: int, order: float, seed: int, dim: int = 6, dtype=torch.float32):
    """Features of clips in ``n_pairs`` time-reversed pairs of classes: every pair has its
    own signature (what kind of sound), and ``order`` sets how far the two members of a
    pair differ (0: a feature blind to time order, as the MFCC mean and std)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(2 * n_pairs).repeat_interleave(n_per_class)
    kind = 3.0 * torch.randn(n_pairs, dim, generator=g)  # one signature per pair
    way = torch.randn(n_pairs, dim, generator=g)  # the direction that tells its members apart
    sign = (labels % 2) * 2.0 - 1.0  # -1 for 2p, +1 for 2p+1
    x = kind[labels // 2] + order * sign[:, None] * way[labels // 2] + torch.randn(len(labels), dim, generator=g)
    perm = torch.randperm(len(labels), generator=g)
    return x[perm].to(dtype), labels[perm]


def _split(n_train: int, n_test: int, n_pairs: int, order: float, seed: int, **kw):
    x, y = _clips(n_train + n_test, n_pairs, order, seed, **kw)
    per = 2 * n_pairs * n_train  # the first clips train, the rest test (the classes are shuffled)
    return x[:per], y[:per], x[per:], y[per:]


def _variants(case) -> dict[str, list[float]]:
    """What typical mistakes return on ``case``."""
    xtr, ytr, xte, yte = case.args
    n = int(ytr.max()) // 2 + 1
    pairs = range(n)
    half = n  # the "other pairing" puts class p with class p + n

    def probe(a, ya, b, yb):
        return linear_probe_features(a, ya, b, yb, num_classes=2).test_acc

    out = {
        "test labels": [probe(xte[yte // 2 == p], yte[yte // 2 == p] % 2, xte[yte // 2 == p], yte[yte // 2 == p] % 2)
                        for p in pairs],
        "all test clips": [probe(xtr[ytr // 2 == p], ytr[ytr // 2 == p] % 2, xte, yte % 2) for p in pairs],
    }
    if n > 1:
        out["other pairing"] = [probe(xtr[(ytr == p) | (ytr == p + half)], (ytr[(ytr == p) | (ytr == p + half)] >= half).long(),
                                      xte[(yte == p) | (yte == p + half)], (yte[(yte == p) | (yte == p + half)] >= half).long())
                                for p in pairs]  # classes p and p + n
    return out


def _diagnose_pairs(case, got, expected):
    with torch.enable_grad():  # the grader diagnoses under no_grad; the probes train
        return _diagnose_pairs_grad(case, got, expected)


def _diagnose_pairs_grad(case, got, expected):
    if isinstance(got, float) and abs(got - sum(expected) / len(expected)) < 1e-6:
        return "return the list of the per-pair accuracies, not their mean: the lesson prints each pair's."
    if not isinstance(got, (list, tuple)):
        return "return a list of Python floats, one accuracy per pair of classes (2p, 2p+1)."
    if len(got) != len(expected):
        return (f"one accuracy per pair: the labels go up to {int(case.args[1].max())}, so there are "
                f"{len(expected)} pairs (0, 1), (2, 3), ...")
    xtr, ytr, xte, yte = case.args
    pooled = linear_probe_features(xtr, ytr % 2, xte, yte % 2, num_classes=2).test_acc
    if all(isinstance(g, float) and abs(g - pooled) < 1e-6 for g in got):
        return ("that is one probe over all pairs at once. Train one probe per pair, on that pair's clips only: "
                "the question is whether the features tell the two members of a pair apart.")
    hints = {"test labels": "fit each probe on the TRAINING clips of the pair; the test clips are only for scoring.",
             "all test clips": "score each pair's probe on that pair's test clips only, not on every test clip.",
             "other pairing": "the two classes of a pair are consecutive labels, (2p, 2p+1), not (p, p + half)."}
    for name, values in _variants(case).items():
        if all(isinstance(g, float) and abs(g - v) < 1e-6 for g, v in zip(got, values)):
            return hints[name]
    return None


@exercise("11.2", "accuracy within each time-reversed pair", pair_accuracies, diagnose=_diagnose_pairs, rtol=0, atol=1e-6)
def _cases_pairs():
    # seed: building each probe's linear layer draws from torch's global generator (its
    # weights are then zeroed), so the grader lets the function draw from it
    yield Case("a feature blind to time order (the pair's members look alike), 4 pairs",
               _split(20, 15, 4, order=0.0, seed=0), seed=0)
    yield Case("a feature that sees time order, 4 pairs", _split(20, 15, 4, order=0.8, seed=1), seed=0)
    yield Case("2 pairs, float64 features", _split(12, 10, 2, order=0.6, seed=2, dtype=torch.float64), seed=0)
    yield Case("3 pairs", _split(16, 12, 3, order=0.5, seed=3), seed=0)
