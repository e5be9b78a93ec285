"""Lesson 11 graders accept the library's references and reject typical mistakes."""

import torch

from maelearn.evaluate import linear_probe_features


def norm_per_clip(train, *others):
    return [(x - x.mean(dim=(1, 2, 3), keepdim=True)) / x.std(dim=(1, 2, 3), keepdim=True) for x in (train, *others)]


def norm_own_statistics(train, *others):
    return [(x - x.mean()) / x.std() for x in (train, *others)]


def norm_train_only(train, *others):
    return [(train - train.mean()) / train.std()]


def norm_per_band(train, *others):  # per mel band: also removes the spectral shape
    mean, std = train.mean(dim=(0, 1, 3), keepdim=True), train.std(dim=(0, 1, 3), keepdim=True)
    return [(x - mean) / std for x in (train, *others)]


def _pairs(train_y):
    return range(int(train_y.max()) // 2 + 1)


def pairs_one_probe_for_all(train_x, train_y, test_x, test_y):  # pools every pair into one probe
    acc = linear_probe_features(train_x, train_y % 2, test_x, test_y % 2, num_classes=2).test_acc
    return [acc for _ in _pairs(train_y)]


def pairs_fit_on_test(train_x, train_y, test_x, test_y):  # trains on the test labels it then scores
    out = []
    for p in _pairs(train_y):
        te = test_y // 2 == p
        out.append(linear_probe_features(test_x[te], test_y[te] % 2, test_x[te], test_y[te] % 2, num_classes=2).test_acc)
    return out


def pairs_scored_on_every_test_clip(train_x, train_y, test_x, test_y):
    out = []
    for p in _pairs(train_y):
        tr = train_y // 2 == p
        out.append(linear_probe_features(train_x[tr], train_y[tr] % 2, test_x, test_y % 2, num_classes=2).test_acc)
    return out


def pairs_mean(train_x, train_y, test_x, test_y):
    accs = []
    for p in _pairs(train_y):
        tr, te = train_y // 2 == p, test_y // 2 == p
        accs.append(linear_probe_features(train_x[tr], train_y[tr] % 2, test_x[te], test_y[te] % 2, num_classes=2).test_acc)
    return sum(accs) / len(accs)


def pairs_halves(train_x, train_y, test_x, test_y):  # pairs (p, p + n) instead of (2p, 2p + 1)
    n = int(train_y.max()) // 2 + 1
    out = []
    for p in range(n):
        tr, te = (train_y == p) | (train_y == p + n), (test_y == p) | (test_y == p + n)
        out.append(linear_probe_features(train_x[tr], (train_y[tr] >= n).long(), test_x[te], (test_y[te] >= n).long(),
                                         num_classes=2).test_acc)
    return out


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("11.1", norm_per_clip, "its own statistics"),
    ("11.1", norm_own_statistics, "TRAINING statistics"),
    ("11.1", norm_train_only, "every other set"),
    ("11.1", norm_per_band, "result[0]: values differ"),
    ("11.2", pairs_one_probe_for_all, "one probe over all pairs"),
    ("11.2", pairs_fit_on_test, "TRAINING clips"),
    ("11.2", pairs_scored_on_every_test_clip, "that pair's test clips only"),
    ("11.2", pairs_mean, "not their mean"),
    ("11.2", pairs_halves, "consecutive labels"),
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


def pairs_by_isin(train_x, train_y, test_x, test_y):
    """Right: select each pair with torch.isin, label its second class 1."""
    out = []
    for p in range(int(train_y.max()) // 2 + 1):
        pair = torch.tensor([2 * p, 2 * p + 1])
        tr, te = torch.isin(train_y, pair), torch.isin(test_y, pair)
        out.append(float(linear_probe_features(train_x[tr], (train_y[tr] == 2 * p + 1).long(), test_x[te],
                                               (test_y[te] == 2 * p + 1).long(), num_classes=2).test_acc))
    return out


WRONG += [
    ("11.1", norm_biased_std, "unbiased std"),
    ("11.1", norm_pooled_statistics, "training set alone"),
]
RIGHT += [("11.1", norm_float64_then_cast), ("11.2", pairs_by_isin)]
