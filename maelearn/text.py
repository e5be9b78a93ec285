"""Masked language modelling, BERT style, at toy scale (lesson 06): a word-level tokenizer, BERT's 80/10/10 masking
rule, and a tiny transformer (the :class:`maelearn.vit.Block` of the ViT and MAE) trained to fill in masked words,
scored against the unigram baseline. The defaults (one block of width 64, windows of 16 words, batches of 128, lr 1e-2)
get past the unigram stage within a CPU minute. Windows cut one token stream (documents separated by ``[SEP]``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from maelearn.checkpoint import History
from maelearn.data.text import word_tokenize
from maelearn.posembed import sincos_1d
from maelearn.train import TrainConfig, fit
from maelearn.vit import Block, LayerNorm, init_weights

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
IGNORE = -100  # the label F.cross_entropy skips (its default ignore_index)


class WordTokenizer:
    """A word-level tokenizer: ids 0-4 are the special tokens :data:`SPECIALS`, then the vocabulary's words,
    most frequent first. Unknown words map to ``[UNK]``. Taught in lesson 06."""

    def __init__(self, words: Sequence[str]):
        words = list(words)
        if any(w in SPECIALS for w in words):
            raise ValueError(f"words must not contain the special tokens {SPECIALS}")
        if len(set(words)) != len(words):
            raise ValueError("words must be unique")
        self.vocab: list[str] = list(SPECIALS) + words
        self.index: dict[str, int] = {w: i for i, w in enumerate(self.vocab)}
        self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id = range(len(SPECIALS))
        self.special_ids: list[int] = list(range(len(SPECIALS)))

    @classmethod
    def fit(cls, texts: Iterable[str], vocab_size: int = 2000, min_freq: int = 2) -> WordTokenizer:
        """Keep the ``vocab_size - 5`` most frequent words seen at least ``min_freq`` times (ties alphabetically)."""
        if vocab_size <= len(SPECIALS):
            raise ValueError(f"vocab_size must exceed the {len(SPECIALS)} special tokens, got {vocab_size}")
        counts = Counter(w for t in texts for w in word_tokenize(t))
        ranked = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
        return cls(ranked[: vocab_size - len(SPECIALS)])

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        """Text -> word ids (lower-cased; punctuation dropped). The literal ``[MASK]`` in the
        text becomes the mask token, so ``"open the [MASK] for reading"`` works."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        ids: list[int] = []
        for i, piece in enumerate(text.split("[MASK]")):
            if i:
                ids.append(self.mask_id)
            ids.extend(self.index.get(w, self.unk_id) for w in word_tokenize(piece))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Word ids -> words joined by spaces."""
        return " ".join(self.vocab[int(i)] for i in ids)


def token_stream(texts: Iterable[str], tokenizer: WordTokenizer) -> torch.Tensor:
    """All texts as one long (T,) tensor of ids, each document followed by ``[SEP]``. Taught in lesson 06."""
    return torch.tensor([i for t in texts for i in [*tokenizer.encode(t), tokenizer.sep_id]], dtype=torch.long)


def make_chunks(stream: torch.Tensor, seq_len: int) -> torch.Tensor:
    """(T,) ids -> (T // seq_len, seq_len) non-overlapping windows (the tail is dropped). Taught in lesson 06."""
    if stream.ndim != 1:
        raise ValueError(f"stream must be 1-D (T,), got shape {tuple(stream.shape)}")
    if seq_len < 1 or len(stream) < seq_len:
        raise ValueError(f"seq_len must be in [1, {len(stream)}] for a stream of {len(stream)} tokens, got {seq_len}")
    n = len(stream) // seq_len
    return stream[: n * seq_len].reshape(n, seq_len)


def bert_mask(tokens: torch.Tensor, vocab_size: int, mask_id: int, special_ids: Sequence[int],
              generator: torch.Generator | None = None, p: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking of a batch of token ids (B, L) -> ``(inputs, labels)``, both (B, L) long. Random draws, in
    this order, all with ``generator`` and of ``tokens``'s shape:

    1. ``u = torch.rand``: a position is *chosen* when ``u < p`` and its token is not special;
    2. ``r = torch.rand``: a chosen position becomes ``mask_id`` when ``r < 0.8``, a random token when
       ``0.8 <= r < 0.9``, and keeps its token when ``r >= 0.9``;
    3. ``torch.randint(vocab_size, ...)``: the random tokens (any id, as in BERT).

    ``labels`` holds the original token at chosen positions and -100 elsewhere, so the loss counts the chosen
    positions only. ``tokens`` is not modified."""
    if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long:
        raise TypeError(f"tokens must be a torch.long tensor of ids (B, L), got {type(tokens).__name__} {getattr(tokens, 'dtype', '')}")
    if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    if not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id must be a token id in [0, {vocab_size}), got {mask_id}")
    special = torch.isin(tokens, torch.as_tensor(list(special_ids), dtype=torch.long, device=tokens.device))
    chosen = (torch.rand(tokens.shape, generator=generator, device=tokens.device) < p) & ~special
    r = torch.rand(tokens.shape, generator=generator, device=tokens.device)
    random_tokens = torch.randint(vocab_size, tokens.shape, generator=generator, device=tokens.device)
    swap = chosen & (r >= 0.8) & (r < 0.9)
    inputs = torch.where(chosen & (r < 0.8), mask_id, torch.where(swap, random_tokens, tokens))
    return inputs, torch.where(chosen, tokens, torch.full_like(tokens, IGNORE))  # labels


class TinyMLM(nn.Module):
    """A small bidirectional transformer for masked language modelling: token embedding + fixed 1D sin-cos positions,
    ``depth`` pre-norm :class:`~maelearn.vit.Block`, final LayerNorm, vocabulary head. Taught in lesson 06."""

    def __init__(self, vocab_size: int, dim: int = 64, depth: int = 1, heads: int = 4, max_len: int = 16, mlp_ratio: float = 2.0):
        super().__init__()
        if vocab_size < 2 or max_len < 1:
            raise ValueError(f"vocab_size must be >= 2 and max_len >= 1, got {vocab_size} and {max_len}")
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embed = nn.Embedding(vocab_size, dim)
        self.register_buffer("pos", sincos_1d(dim, torch.arange(max_len)), persistent=False)  # (max_len, dim)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = LayerNorm(dim)
        self.head = nn.Linear(dim, vocab_size)
        self.apply(init_weights)
        nn.init.normal_(self.embed.weight, std=1.0)  # as large as the sin-cos positions (rms ~0.7)

    def encode(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, L) ids -> (B, L, dim) contextual token features."""
        if ids.ndim != 2 or ids.dtype != torch.long:
            raise ValueError(f"ids must be a (B, L) long tensor, got shape {tuple(ids.shape)} dtype {ids.dtype}")
        if ids.shape[1] > self.max_len:
            raise ValueError(f"sequence length {ids.shape[1]} exceeds max_len={self.max_len}")
        x = self.embed(ids) + self.pos[: ids.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, L) ids -> (B, L, vocab_size) logits."""
        return self.head(self.encode(ids))


def mlm_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Masked-LM loss: logits (B, L, V), labels (B, L) (-100: not chosen) -> mean cross-entropy over the chosen."""
    if logits.ndim != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(f"logits must be (B, L, V) and labels (B, L), got {tuple(logits.shape)} and {tuple(labels.shape)}")
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)


def mlm_loss(model: TinyMLM, inputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """:func:`mlm_cross_entropy` of ``model`` on ``inputs`` (B, L), the same value with the head run on the
    chosen positions alone (labels != -100), which saves most of the vocabulary projection."""
    chosen = labels != IGNORE
    if not bool(chosen.any()):
        return model.encode(inputs).sum() * 0.0
    return F.cross_entropy(model.head(model.encode(inputs)[chosen]), labels[chosen])


def train_mlm(model: TinyMLM, chunks: torch.Tensor, mask_id: int, special_ids: Sequence[int], steps: int = 400,
              batch_size: int = 128, lr: float = 1e-2, p: float = 0.15, seed: int = 0, progress: bool = True) -> History:
    """Train ``model`` for ``steps`` steps on (N, L) windows, masked afresh each step by :func:`bert_mask` at ratio
    ``p``, with :func:`maelearn.train.fit`: batches of ``batch_size`` windows, reshuffled every pass; AdamW (betas
    (0.9, 0.98), weight decay 0.01 except biases and norms), linear warmup over 10 % of steps, cosine decay to 0.
    Returns the :class:`~maelearn.checkpoint.History` (``.loss``: every step's loss). Taught in lesson 06."""
    if chunks.ndim != 2 or chunks.dtype != torch.long:
        raise ValueError(f"chunks must be an (N, L) long tensor, got shape {tuple(chunks.shape)} dtype {chunks.dtype}")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be positive, got {steps} and {batch_size}")
    if len(chunks) < batch_size:
        raise ValueError(f"chunks has {len(chunks)} windows, fewer than batch_size={batch_size}; lower batch_size")
    special_ids = list(special_ids)

    def loss_fn(net: nn.Module, batch: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        inputs, labels = bert_mask(batch.cpu(), model.vocab_size, mask_id, special_ids, g, p)
        return mlm_loss(net, inputs.to(batch.device), labels.to(batch.device))
    config = TrainConfig(max_steps=steps, batch_size=batch_size, lr=lr, betas=(0.9, 0.98), weight_decay=0.01,
                         warmup_steps=max(1, steps // 10), seed=seed, precision="fp32",
                         device=str(next(model.parameters()).device))
    history = fit(model, chunks, loss_fn, config, progress=progress, desc=f"MLM p={p:g}")
    model.eval()
    return history


def unigram_probs(ids: torch.Tensor, vocab_size: int, special_ids: Sequence[int]) -> torch.Tensor:
    """Word frequencies of a (T,) stream of training ids -> (vocab_size,) probabilities, special tokens at 0: the
    *unigram baseline* predicts this at every masked position, whatever the context. Taught in lesson 06."""
    if ids.ndim != 1 or ids.dtype != torch.long:
        raise ValueError(f"ids must be a 1-D (T,) long tensor, got shape {tuple(ids.shape)} dtype {ids.dtype}")
    counts = torch.bincount(ids, minlength=vocab_size).double()
    if len(counts) != vocab_size:
        raise ValueError(f"ids contain values >= vocab_size={vocab_size}")
    counts[list(special_ids)] = 0
    if counts.sum() == 0:
        raise ValueError("ids contain no non-special token")
    return (counts / counts.sum()).float()


@torch.no_grad()
def mlm_evaluate(model: TinyMLM, chunks: torch.Tensor, mask_id: int, special_ids: Sequence[int], p: float = 0.15,
                 seed: int = 1, k: int = 5, unigram: torch.Tensor | None = None, batch_size: int = 512) -> dict[str, float]:
    """Score ``model`` on held-out (N, L) windows where the words :func:`bert_mask` chooses (ratio ``p``, generator
    seeded ``seed``) are all replaced by ``[MASK]``: ``top1`` and ``topk`` (accuracy of the best / any of the ``k``
    best guesses, special tokens excluded), ``ce`` (mean cross-entropy in nats, the training loss) and ``n`` (masked
    words); with ``unigram`` ((V,), :func:`unigram_probs`) also ``base_top1``, ``base_topk``, ``base_ce`` of the
    unigram baseline on the same positions (``ce < base_ce``: the model uses the context). Taught in lesson 06."""
    if not isinstance(p, (int, float)) or not 0.0 < p <= 1.0:
        raise ValueError(f"p must be a probability in (0, 1], got {p!r}")
    if chunks.ndim != 2 or chunks.dtype != torch.long:
        raise ValueError(f"chunks must be an (N, L) long tensor, got shape {tuple(chunks.shape)} dtype {chunks.dtype}")
    if unigram is not None and unigram.shape != (model.vocab_size,):
        raise ValueError(f"unigram must have shape ({model.vocab_size},), got {tuple(unigram.shape)}")
    _, labels = bert_mask(chunks, model.vocab_size, mask_id, special_ids, torch.Generator().manual_seed(seed), p)
    chosen = labels != IGNORE
    if not bool(chosen.any()):
        raise ValueError(f"no token was chosen at p={p}; use more data or a larger p")
    inputs = chunks.masked_fill(chosen, mask_id)
    was_training = model.training
    model.eval()
    logits = torch.cat([model.head(model.encode(inputs[i : i + batch_size])[chosen[i : i + batch_size]])
                        for i in range(0, len(inputs), batch_size)])  # (M, V): the head on the masked words only
    model.train(was_training)
    target = labels[chosen]  # (M,)
    logits[:, list(special_ids)] = float("-inf")  # never a target: not a guess either
    top = logits.topk(k, dim=-1).indices  # (M, k)
    out = {"top1": (top[:, 0] == target).float().mean().item(),
           "topk": (top == target[:, None]).any(-1).float().mean().item(),
           "ce": F.cross_entropy(logits, target).item(), "n": float(len(target))}
    if unigram is not None:
        base_top = unigram.topk(k).indices  # the k most frequent words, everywhere
        out["base_top1"] = (target == base_top[0]).float().mean().item()
        out["base_topk"] = (target[:, None] == base_top).any(-1).float().mean().item()
        # the clamp guards against a stream other than the tokenizer's training text (where every word occurs)
        out["base_ce"] = -unigram[target].clamp_min(1e-12).log().mean().item()
    return out


def mlm_accuracy(model: TinyMLM, chunks: torch.Tensor, mask_id: int, special_ids: Sequence[int], p: float = 0.15,
                 seed: int = 1) -> float:
    """The ``top1`` of :func:`mlm_evaluate`: top-1 accuracy on the masked words."""
    return mlm_evaluate(model, chunks, mask_id, special_ids, p, seed)["top1"]


@torch.no_grad()
def fill_mask(model: TinyMLM, tokenizer: WordTokenizer, text: str, k: int = 5) -> list[list[tuple[str, float]]]:
    """For every ``[MASK]`` in ``text``, the model's ``k`` most likely words with their probabilities (special
    tokens excluded). Taught in lesson 06."""
    ids = torch.tensor([tokenizer.encode(text)], dtype=torch.long)  # (1, L)
    where = (ids[0] == tokenizer.mask_id).nonzero().flatten()
    if len(where) == 0:
        raise ValueError(f"text has no [MASK]: {text!r}")
    logits = model(ids)[0, where]  # (M, V)
    logits[:, tokenizer.special_ids] = float("-inf")
    top = logits.softmax(-1).topk(k, dim=-1)
    return [[(tokenizer.vocab[i], prob) for prob, i in zip(row_p.tolist(), row_i.tolist())]
            for row_p, row_i in zip(top.values, top.indices)]


__all__ = ["IGNORE", "SPECIALS", "TinyMLM", "WordTokenizer", "bert_mask", "fill_mask", "make_chunks", "mlm_accuracy",
           "mlm_cross_entropy", "mlm_evaluate", "mlm_loss", "token_stream", "train_mlm", "unigram_probs"]
