"""Lesson 06's graders accept the reference (and a correct answer that draws differently)
and reject typical wrong answers."""

import torch
import torch.nn.functional as F



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


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("06.1", all_become_mask, "80 %"),
    ("06.1", labels_everywhere, "-100"),
    ("06.1", specials_can_be_chosen, "special token"),
    ("06.1", labels_are_corrupted_inputs, "ORIGINAL"),
    ("06.1", random_and_mask_swapped, "[MASK]"),
    ("06.1", ignores_p, "probability p=0.4"),
    ("06.2", summed, "do not sum"),
    ("06.2", mean_over_all_positions, "chosen positions only"),
    ("06.2", ignored_as_class_zero, "ignore_index"),
]


def bert_fixed_count(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    """BERT's own selection: round(L * p) targets per sequence (at least 1), then 80/10/10."""
    special = torch.isin(tokens, torch.tensor(special_ids))
    inputs, labels = tokens.clone(), torch.full_like(tokens, -100)
    for b in range(tokens.shape[0]):
        candidates = torch.nonzero(~special[b]).flatten()
        k = min(len(candidates), max(1, round(tokens.shape[1] * p)))
        pick = candidates[torch.randperm(len(candidates), generator=generator)[:k]]
        labels[b, pick] = tokens[b, pick]
        u = torch.rand(k, generator=generator)
        words = torch.randint(vocab_size, (k,), generator=generator)
        inputs[b, pick] = torch.where(u < 0.8, torch.full_like(words, mask_id), torch.where(u < 0.9, words, tokens[b, pick]))
    return inputs, labels


def vocabulary_of_1000(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    """Random words from a hard-coded vocabulary of 1000, not the lesson's vocab_size."""
    return correct_other_order(tokens, 1000, mask_id, special_ids, generator, p)


WRONG += [
    ("06.1", vocabulary_of_1000, "outside [0, vocab_size=600)"),
]

RIGHT = [("06.1", correct_other_order), ("06.1", bert_fixed_count)]


def hard_coded_mask_id(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    """Writes the lesson's [MASK] id 4 instead of the mask_id argument."""
    return correct_other_order(tokens, vocab_size, 4, special_ids, generator, p)


def hard_coded_specials(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    """Treats ids below 5 as the specials (the lesson's tokenizer) instead of special_ids."""
    return correct_other_order(tokens, vocab_size, mask_id, [0, 1, 2, 3, 4], generator, p)


def random_words_without_specials(tokens, vocab_size, mask_id, special_ids, generator=None, p=0.15):
    """Right: the random replacements drawn from the non-special ids only."""
    inputs, labels = correct_other_order(tokens, vocab_size, mask_id, special_ids, generator, p)
    words = torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])
    swap = (labels != -100) & (inputs != mask_id) & (inputs != tokens)
    inputs[swap] = words[torch.randint(len(words), (int(swap.sum()),), generator=generator)]
    return inputs, labels


WRONG += [
    ("06.1", hard_coded_mask_id, "the mask_id argument, here 103"),
    ("06.1", hard_coded_specials, "do not hard-code the lesson's ids"),
]
RIGHT += [("06.1", random_words_without_specials)]


def ce_classes_second(logits, labels):
    """Right: cross_entropy with the classes on dim 1, (B, V, L), and its default ignore_index."""
    return F.cross_entropy(logits.transpose(1, 2), labels)


RIGHT += [("06.2", ce_classes_second)]
