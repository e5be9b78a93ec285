"""Graders of lesson 06 (BERT-style masking): the 80/10/10 masking rule and the masked-LM loss.

BERT's masking is random, so an answer that differs from the reference on the same generator
is not failed for that: it must then hold, on every case, the structure (labels, specials
never chosen, unchosen inputs untouched) and, on two large cases, the fractions (chosen ≈ p;
80/10/10 within six binomial standard deviations). BERT's own fixed count per sequence,
``round(L * p)``, passes too.
"""

from __future__ import annotations

import math

import torch

from maelearn.exercises.framework import Case, assert_matches, exercise
from maelearn.text import IGNORE, bert_mask, mlm_cross_entropy

VOCABS = (600, 2000)  # the lesson's vocabulary: quick and full mode
MASK_ID = 4
SPECIALS = [0, 1, 2, 3, 4]


# Another tokenizer's layout (BERT's own: [PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102,
# [MASK] 103), so an answer that hard-codes the lesson's ids (mask 4, specials 0-4, or
# "tokens >= 5") instead of using its arguments fails.
OTHER_SPECIALS = [0, 100, 101, 102, 103]
OTHER_MASK_ID = 103


def _tokens(b: int, l: int, seed: int, vocab: int, specials=SPECIALS) -> torch.Tensor:
    """(b, l) ids: random words, [CLS] first, [SEP] last, a few [PAD] and [UNK] inside
    (``specials`` = [PAD, UNK, CLS, SEP, MASK])."""
    g = torch.Generator().manual_seed(seed)
    words = torch.tensor([i for i in range(vocab) if i not in specials])
    t = words[torch.randint(len(words), (b, l), generator=g)]
    pad, unk, cls, sep = specials[:4]
    t[:, 0], t[:, -1] = cls, sep
    extra = torch.rand(b, l, generator=g) < 0.1
    t[extra] = torch.where(torch.rand(int(extra.sum()), generator=g) < 0.5, pad, unk)
    return t


def _structure(tokens: torch.Tensor, p: float, got, vocab: int, specials=SPECIALS) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(got, (tuple, list)) or len(got) != 2 or not all(isinstance(t, torch.Tensor) for t in got):
        raise AssertionError("return a pair of tensors (inputs, labels)")
    inputs, labels = got
    for name, t in (("inputs", inputs), ("labels", labels)):
        if t.shape != tokens.shape:
            raise AssertionError(f"{name} must have the shape of tokens {tuple(tokens.shape)}, got {tuple(t.shape)}")
        if t.dtype != torch.long:
            raise AssertionError(f"{name} must be torch.long token ids, got {t.dtype}")
    chosen = labels != IGNORE
    special = torch.isin(tokens, torch.tensor(specials))
    if bool((chosen & special).any()):
        raise AssertionError(f"a special token (special_ids={list(specials)}) was chosen; never choose specials "
                             "(take them from the special_ids argument, do not hard-code the lesson's ids)")
    if not torch.equal(labels[chosen], tokens[chosen]):
        raise AssertionError("labels must hold the ORIGINAL token at chosen positions (not the corrupted input)")
    if not torch.equal(inputs[~chosen], tokens[~chosen]):
        raise AssertionError("inputs changed at positions that were not chosen (labels -100 there); "
                             "only chosen positions may be replaced")
    if int(inputs.min()) < 0 or int(inputs.max()) >= vocab:
        raise AssertionError(f"inputs contain ids outside [0, vocab_size={vocab})")
    return inputs, labels


def _within(name: str, observed: float, expected: float, n: int, hint: str) -> None:
    sd = math.sqrt(expected * (1 - expected) / max(n, 1))
    if abs(observed - expected) > 6 * sd + 1e-9:
        raise AssertionError(f"{name}: expected about {expected:.3f} (±{6 * sd:.3f}), got {observed:.3f} over {n} tokens. {hint}")


def _fixed_count(tokens: torch.Tensor, chosen: torch.Tensor, p: float, specials=SPECIALS) -> bool:
    """Whether every sequence has BERT's fixed number of targets: round (or int, at least
    1) of p times its length or its number of non-special tokens."""
    eligible = (~torch.isin(tokens, torch.tensor(specials))).sum(1)
    counts = chosen.sum(1)
    for n in (torch.full_like(eligible, tokens.shape[1]), eligible):
        for rule in (torch.round, torch.floor):
            target = rule(n.double() * p).long()
            if torch.equal(counts, torch.minimum(target, eligible)) or torch.equal(counts, torch.minimum(target.clamp(min=1), eligible)):
                return True
    return False


def _checker(tokens: torch.Tensor, p: float, statistics: bool, vocab: int, specials=SPECIALS, mask_id: int = MASK_ID):
    def check(got, expected):
        try:
            assert_matches(got, expected, where="(inputs, labels)")
            return  # the same draws as the reference
        except AssertionError as exact:
            mismatch = str(exact)
        inputs, labels = _structure(tokens, p, got, vocab, specials)
        if not statistics:
            return  # a different, structurally valid draw; the large cases judge the rates
        chosen = labels != IGNORE
        eligible = ~torch.isin(tokens, torch.tensor(specials))
        n_el, n_ch = int(eligible.sum()), int(chosen.sum())
        if not _fixed_count(tokens, chosen, p, specials):
            _within("fraction of non-special tokens chosen", n_ch / n_el, p, n_el,
                    f"choose each non-special token with probability p={p} (or BERT's fixed round(L * p) per sequence).")
        masked = chosen & (inputs == mask_id)
        kept = chosen & (inputs == tokens)
        swapped = chosen & ~masked & ~kept
        # A random token equals the original or [MASK] with probability 1/vocab each:
        # 0.1 / 600 of the chosen ones at most, far inside the tolerance.
        _within("fraction of chosen tokens replaced by [MASK]", int(masked.sum()) / n_ch, 0.8, n_ch,
                f"80 % of the chosen tokens become [MASK] (the mask_id argument, here {mask_id}).")
        _within("fraction of chosen tokens replaced by a random token", int(swapped.sum()) / n_ch, 0.1, n_ch, "10 % of the chosen tokens become a random token.")
        _within("fraction of chosen tokens left unchanged", int(kept.sum()) / n_ch, 0.1, n_ch, "10 % of the chosen tokens stay as they are (but are still predicted).")
        distinct = len(torch.unique(inputs[swapped]))
        if distinct < 0.3 * min(vocab, int(swapped.sum())):
            raise AssertionError(f"the random replacements use only {distinct} distinct ids; draw them uniformly from the vocabulary")
        del mismatch  # statistically correct: accepted

    return check


def _diagnose_bert(case, got, expected):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return "return (inputs, labels)."
    inputs, labels = got
    tokens, mask_id = case.args[0], case.args[2]
    if isinstance(labels, torch.Tensor) and labels.shape == tokens.shape:
        if bool((labels != IGNORE).all()):
            return "labels must be -100 where a token was not chosen, so the loss counts the chosen positions only."
        chosen = labels != IGNORE
        if isinstance(inputs, torch.Tensor) and inputs.shape == tokens.shape and bool(chosen.any()):
            if bool((inputs[chosen] == mask_id).all()):
                return ("every chosen token became [MASK]; BERT replaces 80 % with [MASK], 10 % with a random "
                        "token and leaves 10 % unchanged, so the model cannot assume the input is wrong only at [MASK].")
    return None


@exercise("06.1", "BERT's 80/10/10 masking", bert_mask, diagnose=_diagnose_bert, timeout=30.0)
def _cases_bert():
    quick, full = VOCABS
    for name, (b, l, seed, p, stats, vocab) in {
        "2 sequences of 12 tokens, p 0.5": (2, 12, 0, 0.5, False, quick),
        "4 sequences of 32 tokens, p 0.15": (4, 32, 1, 0.15, False, full),
        "400 x 256 tokens, p 0.15 (rates)": (400, 256, 2, 0.15, True, quick),
        "400 x 256 tokens, p 0.4 (rates)": (400, 256, 3, 0.4, True, full),
    }.items():
        tokens = _tokens(b, l, seed, vocab)
        yield Case(name, (tokens, vocab, MASK_ID, list(SPECIALS), torch.Generator().manual_seed(seed + 100), p),
                   check=_checker(tokens, p, stats, vocab))
    # The defaults (generator=None: torch's global generator, seeded by the grader; p=0.15).
    tokens = _tokens(300, 128, 4, quick)
    yield Case("300 x 128 tokens, the default generator and p (rates)", (tokens, quick, MASK_ID, list(SPECIALS)),
               check=_checker(tokens, 0.15, True, quick), seed=104)
    tokens = _tokens(200, 128, 5, quick, OTHER_SPECIALS)
    yield Case("200 x 128 tokens of another tokenizer ([MASK] 103, specials 0 and 100-103), p 0.15 (rates)",
               (tokens, quick, OTHER_MASK_ID, list(OTHER_SPECIALS), torch.Generator().manual_seed(105), 0.15),
               check=_checker(tokens, 0.15, True, quick, OTHER_SPECIALS, OTHER_MASK_ID))


def _diagnose_ce(case, got, expected):
    logits, labels = case.args
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        g = float(got)
        per = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE, reduction="none")
        if math.isclose(g, float(per.sum()), rel_tol=1e-4):
            return "average over the chosen positions, do not sum."
        if math.isclose(g, float(per.mean()), rel_tol=1e-4):
            return "you divided by every position; the loss is the mean over chosen positions only (labels != -100)."
        every = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.clamp_min(0).flatten())
        if math.isclose(g, float(every), rel_tol=1e-4):
            return "positions with label -100 must be ignored (ignore_index=-100), not counted as class 0."
    return None


@exercise("06.2", "the masked-LM loss", mlm_cross_entropy, diagnose=_diagnose_ce, rtol=1e-4, atol=1e-6)
def _cases_ce():
    g = torch.Generator().manual_seed(7)
    for name, (b, l, v, p) in {
        "2 x 6 positions, 10 classes": (2, 6, 10, 0.4),
        "8 x 20 positions, 50 classes": (8, 20, 50, 0.15),
        "4 x 32 positions, the lesson's 600 words": (4, 32, VOCABS[0], 0.15),
    }.items():
        logits = torch.randn(b, l, v, generator=g) * 2
        labels = torch.randint(v, (b, l), generator=g)
        labels[torch.rand(b, l, generator=g) >= p] = IGNORE
        labels[0, 0] = 1  # at least one chosen position
        yield Case(name, (logits, labels))
