"""Text features by hand: a vocabulary, counts, TF-IDF, cosine neighbours and skip-gram
word vectors (lesson 03), checked in the tests against scikit-learn.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from maelearn.checks import check_float_tensor


def build_vocab(docs: Sequence[Sequence[str]], min_count: int = 1, max_size: int | None = None) -> list[str]:
    """Words occurring at least ``min_count`` times, most frequent first (ties
    alphabetical), at most ``max_size``."""
    counts = Counter(w for doc in docs for w in doc)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return words[:max_size] if max_size else words


def count_matrix(docs: Sequence[Sequence[str]], vocab: Sequence[str]) -> torch.Tensor:
    """Term counts (D, V) float64: entry (d, v) counts word ``vocab[v]`` in tokenized doc
    ``d``; words outside ``vocab`` are ignored."""
    index = {w: i for i, w in enumerate(vocab)}
    counts = torch.zeros(len(docs), len(vocab), dtype=torch.float64)
    for d, doc in enumerate(docs):
        for w, c in Counter(doc).items():
            if w in index:
                counts[d, index[w]] = c
    return counts


def idf(counts: torch.Tensor) -> torch.Tensor:
    """Smoothed inverse document frequency (V,) from counts (D, V), scikit-learn's default:
    ``ln((1 + D) / (1 + df)) + 1``, where ``df`` is how many documents contain the word."""
    check_float_tensor(counts, "counts", 2, "(D, V)")
    n_docs = counts.shape[0]
    df = (counts > 0).sum(0).to(counts.dtype)
    return torch.log((1 + n_docs) / (1 + df)) + 1


def tfidf(counts: torch.Tensor) -> torch.Tensor:
    """TF-IDF (D, V) from counts (D, V), as scikit-learn's ``TfidfVectorizer()`` defaults:
    raw counts times :func:`idf`, each row scaled to unit Euclidean norm (all-zero rows stay 0)."""
    w = counts * idf(counts)
    return w / torch.linalg.vector_norm(w, dim=1, keepdim=True).clamp(min=1e-12)


def cosine_top_k(queries: torch.Tensor, keys: torch.Tensor, k: int = 5, exclude_self: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` rows of ``keys`` (M, D) most cosine-similar to each row of ``queries``
    (Q, D): (similarities (Q, k), indices (Q, k)). ``exclude_self`` drops the diagonal when
    ``queries`` are ``keys``."""
    q = F.normalize(queries, dim=1)
    kk = F.normalize(keys, dim=1)
    sim = q @ kk.T
    if exclude_self:
        sim = sim - 10 * torch.eye(*sim.shape, dtype=sim.dtype, device=sim.device)
    return sim.topk(k, dim=1)


def skipgram_pairs(docs: Sequence[Sequence[str]], vocab: Sequence[str], window: int = 2) -> torch.Tensor:
    """(centre, context) index pairs (P, 2) of every in-vocabulary word and its neighbours
    up to ``window`` positions away (out-of-vocabulary words are dropped first)."""
    index = {w: i for i, w in enumerate(vocab)}
    pairs = []
    for doc in docs:
        ids = [index[w] for w in doc if w in index]
        n = len(ids)
        for off in range(1, window + 1):
            if n > off:
                a = torch.tensor(ids[:-off])
                b = torch.tensor(ids[off:])
                pairs += [torch.stack([a, b], 1), torch.stack([b, a], 1)]
    return torch.cat(pairs) if pairs else torch.empty(0, 2, dtype=torch.long)


class SkipGram(nn.Module):
    """Word2vec's skip-gram with negative sampling: an input and an output embedding table
    (V, dim); a (centre, context) pair scores ``<in[centre], out[context]>``, trained to be
    high for real pairs and low for ``negatives`` random words."""

    def __init__(self, vocab_size: int, dim: int = 64):
        super().__init__()
        self.inp = nn.Embedding(vocab_size, dim)
        self.out = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.inp.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out.weight)

    def loss(self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """centre, context (B,), negatives (B, K) word indices -> scalar loss."""
        c = self.inp(centre)  # (B, dim)
        pos = (c * self.out(context)).sum(-1)  # (B,)
        neg = torch.einsum("bd,bkd->bk", c, self.out(negatives))  # (B, K)
        return -(F.logsigmoid(pos).mean() + F.logsigmoid(-neg).sum(-1).mean())


def train_skipgram(
    pairs: torch.Tensor, vocab_size: int, unigram: torch.Tensor, dim: int = 64, epochs: int = 3,
    batch: int = 1024, negatives: int = 5, lr: float = 0.01, seed: int = 0,
) -> SkipGram:
    """Train :class:`SkipGram` on ``pairs`` (P, 2); negatives are drawn from ``unigram``
    (V,) word counts raised to the 3/4 power (word2vec's choice)."""
    from tqdm.auto import tqdm

    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SkipGram(vocab_size, dim)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    probs = unigram.double() ** 0.75
    for _ in tqdm(range(epochs), desc="skip-gram", leave=False):
        perm = torch.randperm(len(pairs), generator=g)
        for start in range(0, len(pairs), batch):
            b = pairs[perm[start : start + batch]]
            neg = torch.multinomial(probs, len(b) * negatives, replacement=True, generator=g).view(len(b), negatives)
            loss = model.loss(b[:, 0], b[:, 1], neg)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model
