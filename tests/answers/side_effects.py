"""Right answers with side effects a later cell would trip over: each must fail, and the
grader must leave torch's global state as it was."""

import torch


def _accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


def sets_default_dtype(logits, labels):
    torch.set_default_dtype(torch.float64)
    return _accuracy(logits, labels)


def disables_grad(logits, labels):
    torch.set_grad_enabled(False)
    return _accuracy(logits, labels)


def reseeds(logits, labels):
    torch.manual_seed(0)
    return _accuracy(logits, labels)


def changes_threads(logits, labels):
    torch.set_num_threads(torch.get_num_threads() + 1)
    return _accuracy(logits, labels)


WRONG = [
    ("00.2", sets_default_dtype, "changed torch's global state (default dtype)"),
    ("00.2", disables_grad, "changed torch's global state (grad mode)"),
    ("00.2", reseeds, "changed torch's global state (global random generator)"),
    ("00.2", changes_threads, "changed torch's global state (thread count)"),
]
RIGHT: list = []
