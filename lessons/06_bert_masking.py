# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/06_bert_masking.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 06 · BERT-style masking
#
# Lesson 05 hid pixels and asked for them back. BERT (Devlin et al., 2019) did the same to
# text, with words: hide some words of a sentence and train a transformer to name them from
# the words around them. This *masked language modelling* (MLM) became the pretraining
# recipe of modern NLP, and MAE's title says what it borrows: a masked autoencoder is BERT's
# idea carried over to images. This lesson builds BERT's masking rule exactly, trains a
# tiny MLM on a real English corpus that ships with Python, and asks why text is masked at
# 15 % when MAE masks images at 75 %.
#
# **In this lesson you will learn to**
#
# 1. tokenize a corpus into word ids with a few special tokens;
# 2. write BERT's masking: 15 % of tokens chosen; of those 80 % → [MASK], 10 % → a random
#    word, 10 % unchanged; the loss on the chosen positions only;
# 3. train a small transformer MLM and read its top-k guesses for masked words;
# 4. measure how prediction degrades as the mask ratio grows, and connect it to the
#    information-density argument of the MAE paper.

# %% [markdown]
# ## Setting up
#
# In Colab the next cell clones the course and installs its library, keeping Colab's own
# PyTorch. On your machine (where you followed the README) it does nothing.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # pragma: no cover - only in Colab
    subprocess.run(["git", "clone", "-q", "--depth", "1", "https://github.com/maelearn/maelearn", "/content/maelearn"], check=False)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/maelearn"], check=True)
    sys.path.insert(0, "/content/maelearn")

# %%
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import maelearn
from maelearn.data.text import corpus
from maelearn.exercises import check
from maelearn.text import TinyMLM, WordTokenizer, fill_mask, make_chunks, mlm_accuracy, token_stream, train_mlm

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## The corpus and the tokenizer
#
# Our text is real English that every Python installation carries: the docstrings of the
# standard library. We hold out the last tenth of the documents for testing. A *word-level*
# tokenizer keeps the most frequent words; everything else becomes `[UNK]`. Five special
# tokens have fixed ids: `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]` (between documents) and
# `[MASK]`. (BERT uses a subword vocabulary of 30,000 pieces so that no word is unknown; a
# word vocabulary is simpler and enough here.)

# %%
docs = corpus()
n_train_docs = int(0.9 * len(docs))
vocab_size = maelearn.budget(quick=1000, full=4000)
tokenizer = WordTokenizer.fit(docs[:n_train_docs], vocab_size=vocab_size)
seq_len = 32
train_ids = token_stream(docs[:n_train_docs], tokenizer)  # (T,)
test_ids = token_stream(docs[n_train_docs:], tokenizer)
train_chunks = make_chunks(train_ids, seq_len)  # (N, 32)
test_chunks = make_chunks(test_ids, seq_len)
unk_rate = (train_ids == tokenizer.unk_id).float().mean().item()
print(f"{len(docs)} documents, {len(train_ids):,} training tokens, vocabulary {len(tokenizer)}, [UNK] rate {unk_rate:.3f}")
print("windows:", tuple(train_chunks.shape), "train,", tuple(test_chunks.shape), "test")
example = docs[3][:160]
print(example)
print(tokenizer.decode(tokenizer.encode(example)))

# %% [markdown]
# ## BERT's masking rule
#
# BERT chooses 15 % of the tokens as prediction targets. If every chosen token became
# `[MASK]`, the model would learn that only `[MASK]` positions matter, and `[MASK]` never
# occurs when the pretrained model is later used on real text. So of the chosen tokens
# 80 % become `[MASK]`, 10 % a random word (the model cannot trust what it sees), and 10 %
# stay as they are (the model must also represent the actual word well). The loss counts
# the chosen positions only; elsewhere the label is -100, the value `F.cross_entropy`
# ignores. Special tokens are never chosen.
#
# **Exercise 06.1.** `tokens` (B, L) long -> `(inputs, labels)`, both (B, L) long. To match
# the reference exactly, draw in this order, all with `generator` and of `tokens.shape`:
# `u = torch.rand(...)` (chosen where `u < p` and the token is not in `special_ids`),
# `r = torch.rand(...)` (`[MASK]` where `r < 0.8`, random where `0.8 <= r < 0.9`, unchanged
# otherwise), `torch.randint(vocab_size, ...)` (the random words). Drawing differently but
# correctly also passes: the grader then checks the rates on 10^5 tokens.

# %%
def bert_mask(tokens: torch.Tensor, vocab_size: int, mask_id: int, special_ids: list[int],
              generator: torch.Generator | None = None, p: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, L) ids -> (inputs (B, L), labels (B, L) with -100 where not chosen)."""
    raise NotImplementedError("Exercise 06.1: replace this line with your code")


# %%
bert_mask = check("06.1", bert_mask)

# %% [markdown]
# One masked window, word by word (`·` = not a target):

# %%
g = torch.Generator().manual_seed(3)
inputs, labels = bert_mask(test_chunks[:1], len(tokenizer), tokenizer.mask_id, tokenizer.special_ids, g, 0.3)
print(f"{'original':>12s} | {'input':>12s} | label")
for orig, inp, lab in zip(test_chunks[0].tolist(), inputs[0].tolist(), labels[0].tolist()):
    print(f"{tokenizer.vocab[orig]:>12s} | {tokenizer.vocab[inp]:>12s} | {tokenizer.vocab[lab] if lab != -100 else '·'}")

# %% [markdown]
# **Exercise 06.2.** The MLM loss: `logits` (B, L, V), `labels` (B, L) with -100 at positions
# not chosen -> the cross-entropy averaged over the chosen positions only (a scalar).
# Hint: `F.cross_entropy` wants (M, V) and (M,).

# %%
def mlm_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(B, L, V), (B, L) -> scalar mean cross-entropy over positions with label != -100."""
    raise NotImplementedError("Exercise 06.2: replace this line with your code")


# %%
mlm_cross_entropy = check("06.2", mlm_cross_entropy)

# %% [markdown]
# ## A tiny masked language model
#
# The model is the transformer of the whole course (the same `Block` the ViT and MAE use):
# token embeddings plus fixed 1D sine-cosine positions, two blocks, a linear head over the
# vocabulary. Every step draws fresh masks, so the model never sees the same puzzle twice.
# We train one model at BERT's 15 % and one at a much higher ratio, with the same budget.

# %%
steps = maelearn.budget(quick=200, full=5000)
train_ratios = maelearn.budget(quick=(0.15, 0.45), full=(0.15, 0.3, 0.45, 0.6, 0.75))
mlms, curves = {}, {}
for ratio in train_ratios:
    torch.manual_seed(0)
    mlms[ratio] = TinyMLM(len(tokenizer), dim=64, depth=2, heads=4, max_len=seq_len)
    curves[ratio] = train_mlm(mlms[ratio], train_chunks, tokenizer.mask_id, tokenizer.special_ids,
                              steps=steps, batch_size=32, lr=5e-3, p=ratio, seed=0)
    print(f"trained at p={ratio:.2f}: final loss (mean of last 20 steps) {sum(curves[ratio][-20:]) / 20:.3f}")
mlm = mlms[0.15]

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for ratio, curve in curves.items():
    smooth = torch.tensor(curve).unfold(0, 10, 1).mean(1)
    ax.plot(smooth, label=f"p = {ratio:.2f}")
ax.set_xlabel("step")
ax.set_ylabel("MLM loss (chosen tokens)")
ax.legend()
ax.set_title("Training the tiny MLM")
plt.show()

# %% [markdown]
# What does the model guess? For each `[MASK]` its five most likely words. A model that
# has learned nothing but word frequencies answers "the" everywhere; watch for guesses that
# fit the grammar and the topic. Be warned: in quick mode the model trains for a few
# hundred steps on a CPU, which is usually *not* enough to get past that frequency stage
# (transformers first learn unigram statistics, then context); full mode trains 25 times
# longer on a GPU. The sweep below tells you which stage your run reached.

# %%
examples = [
    "return the [MASK] of the list",
    "if the file does not [MASK] an error is raised",
    "this module provides [MASK] for working with dates and times",
    "the default [MASK] is none",
]
for sentence in examples:
    guesses = fill_mask(mlm, tokenizer, sentence, k=5)[0]
    print(f"{sentence:58s} -> " + ", ".join(f"{w} ({p:.2f})" for w, p in guesses))

# %% [markdown]
# ## How much can you hide? A mask-ratio sweep for text
#
# Each model is tested on held-out windows in which a fraction of the words (15 %, 45 %,
# 75 %) is replaced by `[MASK]`, and we count how often its top guess is the hidden word.
# The baseline always guesses the most frequent training word.

# %%
test_ratios = (0.15, 0.45, 0.75)
counts = torch.bincount(train_ids, minlength=len(tokenizer))
counts[tokenizer.special_ids] = 0
most_frequent = int(counts.argmax())


def frequency_baseline(ratio: float) -> float:
    """Accuracy of always guessing the most frequent word, on the same masked positions."""
    gen = torch.Generator().manual_seed(1)  # the seed mlm_accuracy uses: the same positions
    special = torch.isin(test_chunks, torch.tensor(tokenizer.special_ids))
    chosen = (torch.rand(test_chunks.shape, generator=gen) < ratio) & ~special
    return (test_chunks[chosen] == most_frequent).float().mean().item()


sweep = {f"trained p={r:.2f}": [mlm_accuracy(m, test_chunks, tokenizer.mask_id, tokenizer.special_ids, t) for t in test_ratios] for r, m in mlms.items()}
sweep[f"always '{tokenizer.vocab[most_frequent]}'"] = [frequency_baseline(t) for t in test_ratios]
print(f"{'top-1 accuracy on masked words':32s}" + "".join(f"{f'{t:.0%} masked':>14s}" for t in test_ratios))
for name, accs in sweep.items():
    print(f"{name:32s}" + "".join(f"{a:14.3f}" for a in accs))
baseline_15 = sweep[f"always '{tokenizer.vocab[most_frequent]}'"][0]
gain_15 = sweep["trained p=0.15"][0] - baseline_15
if gain_15 > 0.02:
    print(f"\nThe p=0.15 model beats the frequency baseline by {gain_15:.3f} at 15 % masking: it uses context.")
else:
    print(f"\nThe p=0.15 model is within {gain_15:+.3f} of the frequency baseline: it has not learned to use context "
          "yet in this run (train longer: full mode), so the curves below are flat.")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
for name, accs in sweep.items():
    ax.plot([100 * t for t in test_ratios], accs, marker="o", label=name, linestyle="--" if name.startswith("always") else "-")
ax.axvline(75, color="grey", linestyle=":")
ax.text(74, ax.get_ylim()[1] * 0.95, "MAE's image ratio", ha="right", va="top", fontsize=8, color="grey")
ax.set_xlabel("% of words masked at test time")
ax.set_ylabel("top-1 accuracy")
ax.legend(fontsize=8)
ax.set_title("Text gets hard to fill in as the mask ratio grows (this run)")
plt.show()

# %% [markdown]
# ## Why text wants 15 % and images 75 %
#
# The MAE paper (Section 1) explains the different ratios by **information density**.
# Language is written by people to carry meaning with little redundancy: each word tells
# you something the others do not, so hiding a few words already makes a hard puzzle, and
# hiding most leaves too little to go on. In a run where the model has learned to use
# context, its accuracy falls toward the frequency baseline as the test ratio grows,
# because the words that would have given the answer away are hidden too (if your quick
# run stayed at the baseline, the sweep is flat; full mode shows the fall). Images are the opposite: neighbouring pixels, even neighbouring patches,
# are highly redundant, and a missing patch can be filled in from its neighbours with
# little understanding of the scene (lesson 05's masking DAE did exactly that). To force a
# model to reason about objects rather than interpolate, MAE removes 75 % of the patches;
# in the paper's Figure 5, linear-probe accuracy rises with the mask ratio up to 75 % and
# fine-tuning stays good up to 90 %. BERT kept 15 %; the ratio follows the data, not the
# method.

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [
    ("mode", maelearn.mode()),
    ("vocabulary / [UNK] rate", f"{len(tokenizer)} / {unk_rate:.3f}"),
    ("training windows x length", f"{len(train_chunks)} x {seq_len}"),
    ("MLM steps per model (batch 32)", steps),
]
for name, accs in sweep.items():
    rows.append((f"accuracy {name} @ " + "/".join(f"{t:.0%}" for t in test_ratios), " / ".join(f"{a:.3f}" for a in accs)))
rows.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in rows:
    print(f"{key:50s} {value}")

# %% [markdown]
# **Pointers.** Devlin et al., *BERT* (NAACL 2019), Section 3.1 and Appendix C.2 (the
# 80/10/10 rule and its ablation). He et al., *Masked Autoencoders Are Scalable Vision
# Learners* (CVPR 2022), Section 1 (information density) and Figure 5 (mask ratio). Lesson
# 08 builds MAE itself.
