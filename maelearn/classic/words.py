"""Text features by hand (lesson 03): a vocabulary, counts, TF-IDF (checked in the tests against scikit-learn),
cosine neighbours and skip-gram word vectors."""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from maelearn.checkpoint import History
from maelearn.checks import check_float_tensor
from maelearn.train import TrainConfig, fit


def build_vocab(docs: Sequence[Sequence[str]], min_count: int = 1, max_size: int | None = None) -> list[str]:
    """Words occurring at least ``min_count`` times, most frequent first (ties alphabetical), at most
    ``max_size``. Taught in lesson 03."""
    counts = Counter(w for doc in docs for w in doc)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return words[:max_size] if max_size else words


def count_matrix(docs: Sequence[Sequence[str]], vocab: Sequence[str]) -> torch.Tensor:
    """Term counts (D, V) float64: entry (d, v) counts word ``vocab[v]`` in tokenized doc ``d``; words outside
    ``vocab`` are ignored. Taught in lesson 03."""
    index = {w: i for i, w in enumerate(vocab)}
    counts = torch.zeros(len(docs), len(vocab), dtype=torch.float64)
    for d, doc in enumerate(docs):
        for w, c in Counter(doc).items():
            if w in index:
                counts[d, index[w]] = c
    return counts


def idf(counts: torch.Tensor) -> torch.Tensor:
    """Smoothed inverse document frequency (V,) from counts (D, V), scikit-learn's default:
    ``ln((1 + D) / (1 + df)) + 1``, where ``df`` is how many documents contain the word. Taught in lesson 03."""
    check_float_tensor(counts, "counts", 2, "(D, V)")
    df = (counts > 0).sum(0).to(counts.dtype)
    return torch.log((1 + counts.shape[0]) / (1 + df)) + 1


def tfidf(counts: torch.Tensor) -> torch.Tensor:
    """TF-IDF (D, V) from counts (D, V), as scikit-learn's ``TfidfVectorizer()`` defaults: raw counts times
    :func:`idf`, each row scaled to unit Euclidean norm (all-zero rows stay 0). Taught in lesson 03."""
    w = counts * idf(counts)
    return w / torch.linalg.vector_norm(w, dim=1, keepdim=True).clamp(min=1e-12)


def cosine_top_k(queries: torch.Tensor, keys: torch.Tensor, k: int = 5, exclude_self: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` rows of ``keys`` (M, D) most cosine-similar to each row of ``queries`` (Q, D): similarities and
    indices, each (Q, k). ``exclude_self`` drops the diagonal when ``queries`` are ``keys``. Taught in lesson 03."""
    sim = F.normalize(queries, dim=1) @ F.normalize(keys, dim=1).T
    if exclude_self:
        sim = sim - 10 * torch.eye(*sim.shape, dtype=sim.dtype, device=sim.device)
    return sim.topk(k, dim=1)


def skipgram_pairs(docs: Sequence[Sequence[str]], vocab: Sequence[str], window: int = 2) -> torch.Tensor:
    """(centre, context) index pairs (P, 2) of every in-vocabulary word and its neighbours up to ``window``
    positions away (out-of-vocabulary words are dropped first). Taught in lesson 03."""
    index = {w: i for i, w in enumerate(vocab)}
    pairs = []
    for doc in docs:
        ids = [index[w] for w in doc if w in index]
        for off in range(1, window + 1):
            if len(ids) > off:
                a, b = torch.tensor(ids[:-off]), torch.tensor(ids[off:])
                pairs += [torch.stack([a, b], 1), torch.stack([b, a], 1)]
    return torch.cat(pairs) if pairs else torch.empty(0, 2, dtype=torch.long)


class SkipGram(nn.Module):
    """Word2vec's skip-gram with negative sampling: an input and an output embedding table (V, dim); a
    (centre, context) pair scores ``<in[centre], out[context]>``, trained to be high for real pairs and low for
    ``negatives`` random words. Taught in lesson 03."""

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


def train_skipgram(pairs: torch.Tensor, vocab_size: int, unigram: torch.Tensor, dim: int = 64, epochs: int = 3,
                   batch_size: int = 1024, negatives: int = 5, lr: float = 0.01, seed: int = 0,
                   progress: bool = True) -> History:
    """Train a fresh :class:`SkipGram` (initialized under ``seed``) on ``pairs`` (P, 2) with
    :func:`maelearn.train.fit`, Adam at a constant ``lr``; negatives are drawn from the ``unigram`` (V,) word
    counts to the power 3/4 (word2vec's choice). Returns the :class:`~maelearn.checkpoint.History`; the model is
    ``history.model``. Taught in lesson 03."""
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"pairs must have shape (P, 2), got {tuple(pairs.shape)}")
    if unigram.shape != (vocab_size,):
        raise ValueError(f"unigram must have shape ({vocab_size},), got {tuple(unigram.shape)}")
    with torch.random.fork_rng(devices=[]):  # seed the initialization without touching the global stream
        torch.manual_seed(seed)
        model = SkipGram(vocab_size, dim)
    probs = unigram.double() ** 0.75

    def loss_fn(net: nn.Module, b: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        neg = torch.multinomial(probs, len(b) * negatives, replacement=True, generator=g).view(len(b), negatives)
        return net.loss(b[:, 0], b[:, 1], neg.to(b.device))

    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=0.0, betas=(0.9, 0.999),
                         schedule="constant", warmup_epochs=0, drop_last=False, seed=seed, precision="fp32",
                         device="cpu")
    history = fit(model, pairs, loss_fn, config, progress=progress, desc="skip-gram")
    history.model = model
    return history


def mean_word_vectors(docs: Sequence[Sequence[str]], vocab: Sequence[str], emb: torch.Tensor) -> torch.Tensor:
    """Document vectors (D, dim): row d is the mean of the rows of word vectors ``emb`` (V, dim) of doc ``d``'s
    in-vocabulary words (a repeated word counts each time; ``vocab[v]`` owns row v); a document with no such word
    gets a zero row. Taught in lesson 03 (scoring word vectors on a retrieval task)."""
    check_float_tensor(emb, "emb", 2, "(V, dim)")
    if emb.shape[0] != len(vocab):
        raise ValueError(f"emb must have one row per vocabulary word ({len(vocab)}), got shape {tuple(emb.shape)}")
    counts = count_matrix(docs, vocab).to(emb.dtype)  # (D, V)
    return counts @ emb / counts.sum(1, keepdim=True).clamp(min=1)


def paired_recall_at_k(queries: torch.Tensor, keys: torch.Tensor, k: int = 1) -> float:
    """Retrieval score in [0, 1] when query i's one right answer is key i (chance: k / N): the fraction of rows i
    of ``queries`` (N, F) whose ``k`` most cosine-similar rows of ``keys`` (N, F) include row i.
    Taught in lesson 03 (a document's halves as the pair)."""
    check_float_tensor(queries, "queries", 2, "(N, F)")
    check_float_tensor(keys, "keys", 2, "(N, F)")
    if queries.shape != keys.shape:
        raise ValueError(f"queries and keys must have the same shape (N, F), got {tuple(queries.shape)} and {tuple(keys.shape)}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(keys):
        raise ValueError(f"k must be an int between 1 and {len(keys)}, got {k!r}")
    _, idx = cosine_top_k(queries, keys, k=k)  # (N, k)
    hit = (idx == torch.arange(len(queries), device=idx.device)[:, None]).any(1)
    return hit.float().mean().item()
