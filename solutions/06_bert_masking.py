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
# 3. train a small transformer MLM, pick its masking ratio on a validation split, and read
#    its top-k guesses for masked words;
# 4. measure how prediction degrades as the mask ratio grows, and say what that does
#    (and does not) tell us about the information-density argument of the MAE paper.

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
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import maelearn
from maelearn.data.text import corpus
from maelearn.exercises import check
from maelearn.text import TinyMLM, WordTokenizer, fill_mask, make_chunks, mlm_evaluate, token_stream, train_mlm, unigram_probs

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## The corpus and the tokenizer
#
# Our text is real English that every Python installation carries: the docstrings of the
# standard library. We hold out the last tenth of the documents for testing and the tenth
# before it for validation (choosing between models), and train on the rest. A *word-level*
# tokenizer keeps the most frequent words; everything else becomes `[UNK]`. Five special
# tokens have fixed ids: `[PAD]`, `[UNK]`, `[CLS]`, `[SEP]` (between documents) and
# `[MASK]`. (BERT uses a subword vocabulary of 30,000 pieces so that no word is unknown; a
# word vocabulary is simpler and enough here.) In quick mode the vocabulary is small (600
# entries) and the training windows short (16 words): a tiny model on a CPU is meant to
# learn enough of a small vocabulary to use the context; the check after the first
# evaluation says whether this run did. `[UNK]` counts as a
# special token, so it is never a prediction target: every accuracy below is over real words.

# %%
docs = corpus()
n_train_docs, n_fit_docs = int(0.8 * len(docs)), int(0.9 * len(docs))  # train | validation | test
vocab_size = maelearn.budget(quick=600, full=2000)
tokenizer = WordTokenizer.fit(docs[:n_train_docs], vocab_size=vocab_size)
seq_len = maelearn.budget(quick=16, full=32)
train_ids = token_stream(docs[:n_train_docs], tokenizer)  # (T,)
val_ids = token_stream(docs[n_train_docs:n_fit_docs], tokenizer)
test_ids = token_stream(docs[n_fit_docs:], tokenizer)
train_chunks = make_chunks(train_ids, seq_len)  # (N, seq_len)
val_chunks = make_chunks(val_ids, seq_len)
test_chunks = make_chunks(test_ids, seq_len)
unk_rate = (train_ids == tokenizer.unk_id).float().mean().item()
print(f"{len(docs)} documents, {len(train_ids):,} training tokens, vocabulary {len(tokenizer)}, [UNK] rate {unk_rate:.3f}")
print("windows:", tuple(train_chunks.shape), "train,", tuple(val_chunks.shape), "validation,", tuple(test_chunks.shape), "test")
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
    ### BEGIN SOLUTION 06.1
    special = torch.isin(tokens, torch.tensor(special_ids))
    chosen = (torch.rand(tokens.shape, generator=generator) < p) & ~special
    r = torch.rand(tokens.shape, generator=generator)
    random_words = torch.randint(vocab_size, tokens.shape, generator=generator)
    inputs = tokens.clone()
    inputs[chosen & (r < 0.8)] = mask_id
    swap = chosen & (r >= 0.8) & (r < 0.9)
    inputs[swap] = random_words[swap]
    labels = torch.where(chosen, tokens, torch.full_like(tokens, -100))
    return inputs, labels
    ### END SOLUTION


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
    ### BEGIN SOLUTION 06.2
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
    ### END SOLUTION


# %%
mlm_cross_entropy = check("06.2", mlm_cross_entropy)

# %% [markdown]
# ## A tiny masked language model
#
# The model is the transformer of the whole course (the same `Block` the ViT and MAE use):
# token embeddings plus fixed 1D sine-cosine positions, transformer blocks (one in quick
# mode, two in full mode), a linear head over the vocabulary. Every step draws fresh masks,
# so the model never sees the same puzzle twice. We train one model per training ratio
# (BERT's 15 % and 45 % in quick mode; five ratios up to 75 % in full mode), all with the
# same number of steps and batches of 128 windows.
#
# A model trained at 45 % gets three times as many prediction targets per batch as one
# trained at 15 %. If it wins, is that the ratio or just the extra targets? A **control**
# answers it: one more model trained at 45 % with batches a third as large (43 windows),
# which gets about as many targets per step as the 15 % model, for the same number of
# steps.
#
# A model that ignores the context can still reach a loss equal to the *unigram entropy*:
# predict every masked word with its frequency in the training text. Transformers often
# first reach that level and only later start to use the surrounding words; the training
# curves below are drawn against it, the line the model has to get under, and show
# whether this run plateaus there.

# %%
steps = maelearn.budget(quick=500, full=5000)
dim, depth = maelearn.budget(quick=(64, 1), full=(128, 2))
lr = maelearn.budget(quick=1e-2, full=3e-3)
train_ratios = maelearn.budget(quick=(0.15, 0.45), full=(0.15, 0.3, 0.45, 0.6, 0.75))
unigram = unigram_probs(train_ids, len(tokenizer), tokenizer.special_ids)  # (V,)
train_targets = ~torch.isin(train_ids, torch.tensor(tokenizer.special_ids))
unigram_entropy = -unigram[train_ids[train_targets]].log().mean().item()
runs = [(ratio, 128) for ratio in train_ratios] + [(0.45, 43)]  # (training ratio, batch size); the last is the control
names = {(ratio, batch): f"p={ratio:.2f}" + ("" if batch == 128 else f", batch {batch}") for ratio, batch in runs}
control, rival = (0.45, 43), (0.45, 128)
mlms, curves, targets_per_step = {}, {}, {}
for ratio, batch in runs:
    torch.manual_seed(0)
    key = (ratio, batch)
    mlms[key] = TinyMLM(len(tokenizer), dim=dim, depth=depth, heads=4, max_len=seq_len)
    curves[key] = train_mlm(mlms[key], train_chunks, tokenizer.mask_id, tokenizer.special_ids,
                            steps=steps, batch_size=batch, lr=lr, p=ratio, seed=0).loss
    targets_per_step[key] = batch * seq_len * train_targets.float().mean().item() * ratio  # expected count
    print(f"trained {names[key]:18s} (~{targets_per_step[key]:.0f} targets per step): final loss (mean of last 20 steps) "
          f"{sum(curves[key][-20:]) / 20:.3f}   (unigram entropy of the training words: {unigram_entropy:.3f})")

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for key, curve in curves.items():
    smooth = torch.tensor(curve).unfold(0, 10, 1).mean(1)
    ax.plot(smooth, label=names[key], linestyle=":" if key == control else "-")
ax.axhline(unigram_entropy, color="grey", linestyle="--", label="unigram entropy")
ax.set_xlabel("step")
ax.set_ylabel("MLM loss (chosen tokens)")
ax.legend()
ax.set_title("Training the tiny MLM")
plt.show()

# %% [markdown]
# ## How well does it fill in held-out text?
#
# We mask 15 % of the words of held-out windows (every chosen word becomes `[MASK]`, so
# nothing of the answer is left in the input) and score three numbers, each next to the
# unigram baseline on the same positions: top-1 accuracy (the baseline always answers the
# most frequent word), top-5 accuracy (the baseline answers the five most frequent words)
# and the cross-entropy in nats (the training loss; the baseline's is the unigram
# entropy of the held-out words). Accuracy counts only exact hits; the cross-entropy also
# rewards putting more probability on the right word, so it can move before accuracy does.
#
# Which model is "best" is decided on the **validation** windows, by cross-entropy; the
# test windows only report the chosen model's numbers. Choosing on the test set would
# make its score an optimistic one: the winner of several tries is partly the luckiest.

# %%
val_scores = {key: mlm_evaluate(m, val_chunks, tokenizer.mask_id, tokenizer.special_ids, p=0.15, unigram=unigram) for key, m in mlms.items()}
scores = {key: mlm_evaluate(m, test_chunks, tokenizer.mask_id, tokenizer.special_ids, p=0.15, unigram=unigram) for key, m in mlms.items()}
best = min((key for key in mlms if key != control), key=lambda key: val_scores[key]["ce"])  # chosen on validation
best_ratio = best[0]
mlm = mlms[best]
base = scores[best]
print(f"{int(val_scores[best]['n'])} validation and {int(base['n'])} test words masked (15 %)")
print(f"{'':30s}{'val CE':>8s} |{'top-1':>8s}{'top-5':>8s}{'test CE':>9s}")
for key, sc in scores.items():
    print(f"{'MLM trained at ' + names[key]:30s}{val_scores[key]['ce']:8.3f} |{sc['top1']:8.3f}{sc['topk']:8.3f}{sc['ce']:9.3f}")
print(f"{'unigram baseline':30s}{val_scores[best]['base_ce']:8.3f} |{base['base_top1']:8.3f}{base['base_topk']:8.3f}{base['base_ce']:9.3f}")
print(f"\nChosen on validation: p={best_ratio:.2f}. On the test windows vs the baseline: top-1 {base['top1'] - base['base_top1']:+.3f}, "
      f"top-5 {base['topk'] - base['base_topk']:+.3f}, cross-entropy {base['ce'] - base['base_ce']:+.3f} nats "
      f"(perplexity {math.exp(base['ce']):.0f} vs {math.exp(base['base_ce']):.0f}).")
if base["ce"] < base["base_ce"] - 0.05 and base["topk"] > base["base_topk"] + 0.01:
    print("It predicts held-out words better than their frequencies alone: it uses the context.")
else:
    print("It is close to the baseline: in this run it has barely started to use the context (train longer).")

# %% [markdown]
# Which training ratio won on validation is printed above. If it is 45 %, even though the
# test hides only 15 %, one explanation is **target starvation**: with the same number of
# steps the 45 % model is scored on three times as many words, so a short run at 15 %
# simply gets fewer lessons. The control model (45 %, batches of 43) gets about as many
# targets per step as the 15 % one; the next cell compares the three on the validation
# windows and says which reading this run leans to.
#
# Read its verdict as a hint, not a finding: each arm is one training run (one seed), and
# two runs of the same recipe with other seeds would differ by an amount this lesson does
# not measure. The cell treats two cross-entropies closer than a margin it prints as
# "cannot tell"; the margin is a convention we chose, not a measured noise level, and
# several seeds per arm would be needed to replace it with one.

# %%
ce = {key: val_scores[key]["ce"] for key in ((0.15, 128), rival, control)}
margin = 0.02  # nats: closer than this, one seed per arm cannot tell two models apart (a convention, not a measurement)
print("validation cross-entropy at a 15 % test mask (lower is better):")
for key, value in ce.items():
    print(f"  trained at {names[key]:18s} ~{targets_per_step[key]:4.0f} targets per step   {value:.3f}")
print(f"one training seed per arm; differences under {margin} nats are read as 'cannot tell'")
lead, control_lead = ce[(0.15, 128)] - ce[rival], ce[(0.15, 128)] - ce[control]  # > 0: the 45 % model is better
if abs(lead) < margin:
    starvation = "cannot tell (no clear 45 % advantage)"
    print(f"The 45 % and 15 % models are within {margin} nats of each other ({lead:+.3f}): this run cannot tell them apart, "
          "so there is no clear advantage to explain.")
elif lead < 0:
    starvation = "no 45 % advantage to explain"
    print("The 45 % model does worse than the 15 % one here: there is no advantage to explain in this run.")
elif control_lead < margin:
    starvation = "explains it (hint, one seed)"
    print(f"With as few targets per step as the 15 % model, the 45 % model no longer leads by {margin} nats or more "
          f"({control_lead:+.3f}): in this run the 45 % advantage looks like target starvation.")
elif ce[control] - ce[rival] >= margin:
    starvation = "explains part of it (hint, one seed)"
    print(f"With fewer targets the 45 % model loses some of its lead ({ce[rival]:.3f} -> {ce[control]:.3f}) but stays ahead "
          f"of 15 % ({ce[(0.15, 128)]:.3f}): starvation looks like part of the gap, not all of it.")
else:
    starvation = "does not explain it (hint, one seed)"
    print(f"With as few targets per step as the 15 % model, the 45 % model keeps its lead ({ce[control]:.3f}, against "
          f"{ce[rival]:.3f} with full batches: less than {margin} nats worse, or better): in this run the 45 % advantage "
          "does not look like target starvation.")

# %% [markdown]
# The control is not perfect: with smaller batches the 45 % model also sees a third as
# many windows per step, and its gradient steps are noisier. Wettig et al. (2023)
# found a related result at scale: 40 % masking beat BERT's 15 % for their large models.
# BERT's 15 % is a choice, not a law.
#
# What does the model guess? For each `[MASK]` the five most likely words of the best model.
# A model that has learned nothing but word frequencies answers the most frequent word
# everywhere (printed first); look for guesses that fit the grammar and the topic, and
# judge for yourself how many this run gets (full mode trains ten times longer, a wider
# and deeper model).

# %%
print(f"the most frequent word of the training text: {tokenizer.vocab[int(unigram.argmax())]!r} "
      f"(probability {float(unigram.max()):.3f})")
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
# Now the test itself gets harder: each model fills in held-out windows in which 15 %, 45 %
# or 75 % of the words are `[MASK]`. We report the *gain over the unigram baseline* on the
# same positions (the baseline's own numbers barely depend on the ratio, since it ignores
# the context): how much the cross-entropy drops below the unigram entropy, and how much
# top-5 accuracy rises above the five most frequent words.

# %%
test_ratios = (0.15, 0.45, 0.75)
sweep = {key: [mlm_evaluate(m, test_chunks, tokenizer.mask_id, tokenizer.special_ids, p=t, unigram=unigram) for t in test_ratios]
         for key, m in mlms.items() if key != control}
header = "".join(f"{f'{t:.0%} masked':>14s}" for t in test_ratios)
print(f"{'cross-entropy gain (nats)':34s}{header}")
for key, rows in sweep.items():
    print(f"{'  trained at ' + names[key]:34s}" + "".join(f"{sc['base_ce'] - sc['ce']:14.3f}" for sc in rows))
print(f"{'top-5 accuracy gain':34s}{header}")
for key, rows in sweep.items():
    print(f"{'  trained at ' + names[key]:34s}" + "".join(f"{sc['topk'] - sc['base_topk']:14.3f}" for sc in rows))
print(f"{'top-1 accuracy (model / baseline)':34s}")
for key, rows in sweep.items():
    pairs = [f"{sc['top1']:.3f}/{sc['base_top1']:.3f}" for sc in rows]
    print(f"{'  trained at ' + names[key]:34s}" + "".join(f"{pair:>14s}" for pair in pairs))
gains = [sc["base_ce"] - sc["ce"] for sc in sweep[best]]
if gains[0] > gains[1] > gains[2]:
    print(f"\nFor the model trained at p={best_ratio:.2f} the gain shrinks as more is hidden: "
          + " -> ".join(f"{g:.3f}" for g in gains) + " nats.")
else:
    print(f"\nFor the model trained at p={best_ratio:.2f} the gain does not shrink steadily in this run: "
          + " -> ".join(f"{g:.3f}" for g in gains) + " nats.")

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
for key, rows in sweep.items():
    axes[0].plot([100 * t for t in test_ratios], [sc["base_ce"] - sc["ce"] for sc in rows], marker="o", label=f"trained at {names[key]}")
    axes[1].plot([100 * t for t in test_ratios], [sc["topk"] - sc["base_topk"] for sc in rows], marker="o", label=f"trained at {names[key]}")
for ax, ylabel in zip(axes, ("cross-entropy gain over unigram (nats)", "top-5 accuracy gain over unigram")):
    ax.axhline(0, color="grey", linestyle="--", linewidth=1)
    ax.axvline(75, color="grey", linestyle=":")
    ax.set_xlabel("% of words masked at test time")
    ax.set_ylabel(ylabel, fontsize=8)
axes[0].text(74, axes[0].get_ylim()[1] * 0.95, "MAE's image ratio", ha="right", va="top", fontsize=8, color="grey")
axes[0].legend(fontsize=8)
fig.suptitle("What the context is worth as more of it is hidden (this run; 0 = the unigram baseline)")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Why text wants 15 % and images 75 %
#
# The MAE paper (Section 1) names three differences between masked modelling of language
# and of images: the architectures (convolutions had no tokens to mask until ViT, lesson
# 07), the **information density** of the signal, and the role of the decoder (lesson 08).
# The paper ties the ratio to the second. Language is written by people to carry meaning with
# little redundancy: each word tells you something the others do not, so hiding a few
# words already makes a hard puzzle, and hiding most leaves too little to go on. Images
# are the opposite: neighbouring pixels, even neighbouring patches, are highly redundant,
# and a missing patch can be filled in from its neighbours with little understanding of
# the scene (lesson 05 measured how far the average of a hole's neighbours goes for single
# pixels). To force a model to reason about objects rather than interpolate, MAE removes
# 75 % of the patches; in the paper's Figure 5, linear-probe accuracy rises with the mask
# ratio up to 75 %, while fine-tuning is less sensitive (a wide range, 40–80 %, works
# well). BERT kept 15 %, and later work moved text up to about 40 % (above), still
# far below images: the MAE paper attributes the gap to the data's information density.
#
# What the sweep above does and does not show. It measures, for text only, what the
# visible words are worth to a trained model: how far its guesses beat word frequencies,
# and how much of that advantage is left as more of the window is hidden at test time
# (the printed gains say whether and how steeply it falls in your run). That is
# consistent with the argument, but it is not a measurement of information density:
# hiding more context makes *any* signal harder to fill in, images included, so a
# falling curve alone cannot tell dense text from redundant pixels. Measuring the
# difference would take the same experiment on both modalities, on a common scale. The
# paper's Figure 5 measures something else again: not how well hidden content is
# recovered, but how good the *features* are after pretraining at each ratio (lesson 09
# repeats that for images).

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [
    ("mode", maelearn.mode()),
    ("vocabulary / [UNK] rate", f"{len(tokenizer)} / {unk_rate:.3f}"),
    ("training windows x length", f"{len(train_chunks)} x {seq_len}"),
    (f"MLM steps per model (batch 128, width {dim}, depth {depth})", steps),
]
for key, sc in scores.items():
    rows.append((f"{names[key]} @15 %: val CE | test top-1 / top-5 / CE", f"{val_scores[key]['ce']:.3f} | {sc['top1']:.3f} / {sc['topk']:.3f} / {sc['ce']:.3f}"))
rows.append(("unigram baseline @15 %: test top-1 / top-5 / CE", f"{base['base_top1']:.3f} / {base['base_topk']:.3f} / {base['base_ce']:.3f}"))
rows.append(("ratio chosen on validation", f"p={best_ratio:.2f}"))
rows.append(("target starvation (control: 45 %, batch 43)", starvation))
for key, rs in sweep.items():
    rows.append((f"{names[key]} CE gain @ " + "/".join(f"{t:.0%}" for t in test_ratios), " / ".join(f"{sc['base_ce'] - sc['ce']:.3f}" for sc in rs)))
rows.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in rows:
    print(f"{key:55s} {value}")

# %% [markdown]
# **Pointers.** Devlin et al., *BERT* (NAACL 2019), Section 3.1 and Appendix C.2 (the
# 80/10/10 rule and its ablation). He et al., *Masked Autoencoders Are Scalable Vision
# Learners* (CVPR 2022), Section 1 (information density) and Figure 5 (mask ratio). Wettig
# et al., *Should You Mask 15% in Masked Language Modeling?* (EACL 2023). Lesson 08 builds
# MAE itself.
