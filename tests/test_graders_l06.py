"""Lesson 06's graders accept the reference (and a correct answer that draws differently)
and reject typical wrong answers."""

import pytest
import torch
import torch.nn.functional as F

from maelearn.testing import assert_accepts, assert_rejects


def _chosen(tokens, special_ids, generator, p):
    special = torch.isin(tokens, torch.tensor(list(special_ids)))
    return (torch.rand(tokens.shape, generator=generator) < p) & ~special


# -- 06.1 BERT masking: wrong answers --------------------------------------------------------
def all_become_mask(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    chosen = _chosen(tokens, special_ids, generator, p)
    return tokens.masked_fill(chosen, mask_id), torch.where(chosen, tokens, -100)


def labels_everywhere(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    chosen = _chosen(tokens, special_ids, generator, p)
    r = torch.rand(tokens.shape, generator=generator)
    rnd = torch.randint(vocab_size, tokens.shape, generator=generator)
    inputs = tokens.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    swap = chosen & (r >= 0.8) & (r < 0.9)
    inputs[swap] = rnd[swap]
    return inputs, tokens.clone()  # loss on every position


def specials_can_be_chosen(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    chosen = torch.rand(tokens.shape, generator=generator) < p
    r = torch.rand(tokens.shape, generator=generator)
    rnd = torch.randint(vocab_size, tokens.shape, generator=generator)
    inputs = tokens.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    swap = chosen & (r >= 0.8) & (r < 0.9)
    inputs[swap] = rnd[swap]
    return inputs, torch.where(chosen, tokens, -100)


def labels_are_corrupted_inputs(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    chosen = _chosen(tokens, special_ids, generator, p)
    r = torch.rand(tokens.shape, generator=generator)
    rnd = torch.randint(vocab_size, tokens.shape, generator=generator)
    inputs = tokens.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    swap = chosen & (r >= 0.8) & (r < 0.9)
    inputs[swap] = rnd[swap]
    return inputs, torch.where(chosen, inputs, -100)


def random_and_mask_swapped(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    chosen = _chosen(tokens, special_ids, generator, p)
    r = torch.rand(tokens.shape, generator=generator)
    rnd = torch.randint(vocab_size, tokens.shape, generator=generator)
    inputs = tokens.clone()
    inputs[chosen & (r < 0.1)] = mask_id
    swap = chosen & (r >= 0.1) & (r < 0.9)
    inputs[swap] = rnd[swap]
    return inputs, torch.where(chosen, tokens, -100)


def ignores_p(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    chosen = _chosen(tokens, special_ids, generator, 0.15)  # hard-coded 15 %
    r = torch.rand(tokens.shape, generator=generator)
    rnd = torch.randint(vocab_size, tokens.shape, generator=generator)
    inputs = tokens.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    swap = chosen & (r >= 0.8) & (r < 0.9)
    inputs[swap] = rnd[swap]
    return inputs, torch.where(chosen, tokens, -100)


# -- 06.1: a correct answer with different draws ---------------------------------------------
def correct_other_order(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    """Draws the action first, then the choice, and the random ids only where needed."""
    action = torch.rand(tokens.shape, generator=generator)
    chosen = _chosen(tokens, special_ids, generator, p)
    inputs = tokens.clone()
    inputs[chosen & (action < 0.8)] = mask_id
    swap = chosen & (action >= 0.8) & (action < 0.9)
    inputs[swap] = torch.randint(vocab_size, (int(swap.sum()),), generator=generator)
    return inputs, torch.where(chosen, tokens, torch.full_like(tokens, -100))


# -- 06.2 the loss ---------------------------------------------------------------------------
def summed(logits, labels):
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100, reduction="sum")


def mean_over_all_positions(logits, labels):
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100, reduction="none").mean()


def ignored_as_class_zero(logits, labels):
    return F.cross_entropy(logits.flatten(0, 1), labels.clamp_min(0).flatten())


WRONG = {
    "06.1": [all_become_mask, labels_everywhere, specials_can_be_chosen, labels_are_corrupted_inputs, random_and_mask_swapped, ignores_p],
    "06.2": [summed, mean_over_all_positions, ignored_as_class_zero],
}

HINTS = {
    all_become_mask: "80 %",
    labels_everywhere: "-100",
    specials_can_be_chosen: "special token",
    labels_are_corrupted_inputs: "ORIGINAL",
    random_and_mask_swapped: "[MASK]",
    ignores_p: "probability p=0.4",
    summed: "do not sum",
    mean_over_all_positions: "chosen positions only",
    ignored_as_class_zero: "ignore_index",
}


@pytest.mark.parametrize("ex_id", ["06.1", "06.2"])
def test_reference_passes(ex_id):
    assert assert_accepts(ex_id) >= 2


def test_correct_masking_with_other_draws_passes():
    assert assert_accepts("06.1", correct_other_order) == 4


@pytest.mark.parametrize("ex_id,fn", [(k, f) for k, fns in WRONG.items() for f in fns], ids=lambda v: getattr(v, "__name__", v))
def test_wrong_answer_rejected_with_its_hint(ex_id, fn):
    assert_rejects(ex_id, fn, match=HINTS[fn])
