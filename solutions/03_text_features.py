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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/03_text_features.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 03 · Text features
#
# The oldest useful text representation counts words. **TF-IDF** weights each count by how
# rare the word is across documents, so "the" counts for little and "checksum" for a lot.
# **Word vectors** go further: a tiny network learns, from which words appear near which,
# a vector per word such that related words end up close.
#
# **In this lesson you will learn to**
#
# 1. compute inverse document frequency and TF-IDF by hand, matching scikit-learn;
# 2. find the nearest documents of a query by cosine similarity;
# 3. train skip-gram word vectors on a CPU (the lesson prints how long it took) and read
#    their nearest words;
# 4. score both kinds of features on one retrieval task, so "hand-made vs learned" is a
#    number.
#
# The corpus is real English that every Python installation has offline: the docstrings of
# the standard library (`maelearn.data.text.corpus()`).

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
import numpy as np
import torch

import maelearn
from maelearn.data.text import corpus, word_tokenize
from maelearn.exercises import check
from maelearn.classic.words import (SkipGram, build_vocab, cosine_top_k, count_matrix, mean_word_vectors, paired_recall_at_k,
                                    skipgram_pairs, train_skipgram)

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
docs = corpus(max_docs=maelearn.budget(quick=600, full=None))
tokens = [word_tokenize(d) for d in docs]
print(f"{len(docs)} documents, {sum(map(len, tokens))} words. The first one:\n{docs[0][:300]}...")

# %% [markdown]
# ## Counts
#
# A vocabulary (here sorted alphabetically, as scikit-learn sorts it) and a count matrix
# (documents × words): entry (d, v) is how often word v occurs in document d.

# %%
vocab = sorted({w for t in tokens for w in t})
counts = count_matrix(tokens, vocab)  # (D, V) float64
print("count matrix", tuple(counts.shape), f"{float((counts > 0).double().mean()):.4f} of entries non-zero")

# %% [markdown]
# ## Inverse document frequency, and why it is smoothed
#
# Spärck Jones's idea: a word that occurs in few documents says more about a document
# than one that occurs in all of them, so weight it by $\ln(D / \mathrm{df}(w))$, where
# $\mathrm{df}(w)$ is the number of documents containing $w$ and $D$ the number of
# documents. scikit-learn's default (`smooth_idf=True`) changes this in two small ways:
#
# * **+1 inside the ratio**: $\ln\frac{1 + D}{1 + \mathrm{df}(w)}$ counts, as its
#   documentation puts it, one extra virtual document that contains every word once. A
#   word with df = 0 (possible when the vocabulary is fixed beforehand, or for counts of
#   new text) then gives no division by zero, and the rarest words, seen in a single
#   document, are damped: their ratio is (1 + D) / 2 rather than D.
# * **+1 outside the log**: a word in *every* document gets weight 1 instead of 0, so it
#   is down-weighted, not deleted.
#
# Together they narrow the range between the rarest and the most common word, so a
# single rare word (often a typo or an identifier) dominates a document's vector less.
#
# **Exercise 03.1.** Inverse document frequency, scikit-learn's smoothed version:
# $\mathrm{idf}(w) = \ln\frac{1 + D}{1 + \mathrm{df}(w)} + 1$. Return (V,).

# %%
def idf(counts: torch.Tensor) -> torch.Tensor:
    """(D, V) counts -> (V,) idf weights."""
    ### BEGIN SOLUTION 03.1
    df = (counts > 0).sum(dim=0).to(counts.dtype)
    return torch.log((1 + counts.shape[0]) / (1 + df)) + 1
    ### END SOLUTION


idf = check("03.1", idf)

# %% [markdown]
# What the smoothing does on this corpus: the weights of the rarest and the most common
# word, with and without it.

# %%
df = (counts > 0).sum(dim=0).double()  # (V,) documents containing each word
raw_idf = torch.log(counts.shape[0] / df)  # the unsmoothed ln(D / df)
smooth = idf(counts)
rare, common = int(df.argmin()), int(df.argmax())
for name, j in (("rarest", rare), ("most common", common)):
    print(f"{name:12s} word {vocab[j]!r:10s} df={int(df[j]):4d}   ln(D/df) = {raw_idf[j]:.3f}   "
          f"ln((1+D)/(1+df)) = {smooth[j] - 1:.3f}   smoothed idf = {smooth[j]:.3f}")
print(f"rarest / most common weight: {raw_idf[rare] / raw_idf[common]:.0f}x unsmoothed, {smooth[rare] / smooth[common]:.1f}x smoothed")

# %% [markdown]
# **Exercise 03.2.** TF-IDF: multiply each count by its word's idf, then scale every row to
# unit Euclidean length (leave all-zero rows at zero). Return (D, V).

# %%
def tfidf(counts: torch.Tensor) -> torch.Tensor:
    """(D, V) counts -> (D, V) L2-normalized tf-idf."""
    ### BEGIN SOLUTION 03.2
    w = counts * idf(counts)
    return w / torch.linalg.vector_norm(w, dim=1, keepdim=True).clamp(min=1e-12)
    ### END SOLUTION


tfidf = check("03.2", tfidf)

# %% [markdown]
# ### Check against scikit-learn
#
# `TfidfVectorizer` with its defaults and our tokenizer must give the same matrix.

# %%
from sklearn.feature_extraction.text import TfidfVectorizer

X = tfidf(counts)
vec = TfidfVectorizer(analyzer=word_tokenize)
ref = vec.fit_transform(docs).toarray()
same_vocab = list(vec.get_feature_names_out()) == vocab
tfidf_err = float(np.abs(X.numpy() - ref).max())
print(f"same vocabulary: {same_vocab}   largest difference: {tfidf_err:.2e}")

# %% [markdown]
# ## Nearest documents
#
# Documents about the same thing share rare words, so their TF-IDF vectors point the same
# way: cosine similarity finds them. A query is new text, and it must be weighted with the
# **corpus's** idf, the one the document vectors were built with (what scikit-learn's
# `vec.transform` does): recomputing idf on corpus + query would give the query's own
# words a different weight in the query than in the documents it is compared with, and
# every new query would shift the weights again. Words the corpus has never seen are not
# in the vocabulary and simply drop out.

# %%
query = "Return a new sorted list from the items in iterable."
q_counts = count_matrix([word_tokenize(query)], vocab)  # (1, V)
q = q_counts * idf(counts)  # the corpus idf, not one recomputed with the query
q = q / torch.linalg.vector_norm(q, dim=1, keepdim=True).clamp(min=1e-12)
query_err = float(np.abs(q.numpy() - vec.transform([query]).toarray()).max())
print(f"query vector vs scikit-learn's vec.transform: largest difference {query_err:.2e}")
sims, idx = cosine_top_k(q, X, k=3)
print("query:", query)
for s, i in zip(sims[0], idx[0]):
    print(f"  {float(s):.3f}  {docs[int(i)][:110]}...")

# %% [markdown]
# Why scale every row to unit length? For the ranking above it changes nothing: cosine
# similarity divides by both vectors' lengths anyway, so a document ranks the same with or
# without the scaling. It matters wherever the length is not divided out: dot products,
# Euclidean distances, a PCA, a linear model. Without it, a long document has large counts
# everywhere and its vector is long; its main direction of variation across documents
# may then be mostly "how long is it". We check this for a PCA, twice: the correlation of
# the log of the document length with the vector's norm, and with its coordinate on the
# first principal component, for TF-IDF without and with the row normalization.

# %%
log_len = torch.tensor([len(t) for t in tokens], dtype=torch.float64).log()  # (D,)
unnormalized = counts * idf(counts)  # (D, V) tf-idf before the row scaling


def corr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson correlation of two (D,) vectors."""
    return float(torch.corrcoef(torch.stack([a.double(), b.double()]))[0, 1])


length_corr = {}
for name, M in (("tf-idf, not normalized", unnormalized), ("tf-idf, rows unit length", X)):
    _, _, V = torch.pca_lowrank(M.float(), q=2)
    pc1 = M.float() @ V[:, 0]  # (D,) first principal coordinate
    norm = torch.linalg.vector_norm(M, dim=1)
    norm_corr = corr(norm, log_len) if float(norm.std()) > 1e-9 else 0.0  # unit rows: the norm is constant
    length_corr[name] = abs(corr(pc1, log_len))
    print(f"{name:26s} corr(log length, norm) = {norm_corr:+.3f}   |corr(log length, PC 1)| = {length_corr[name]:.3f}")
a, b = length_corr.values()
print("The row normalization " + ("lowers" if b < a else "does not lower") + f" the first component's tie to length here ({a:.3f} -> {b:.3f}).")

# %% [markdown]
# The figure: each document's normalized TF-IDF vector projected on its two main
# directions (a PCA), coloured by how many words it has. Whether short and long
# docstrings mix is the correlation just printed, drawn.

# %%
U, S, V = torch.pca_lowrank(X.float(), q=2)
proj = X.float() @ V  # (D, 2)
plt.figure(figsize=(5, 4))
plt.scatter(proj[:, 0], proj[:, 1], c=log_len.numpy(), s=6, cmap="viridis")
plt.colorbar(label="log(words in document)")
plt.title("TF-IDF documents, first two principal components")
plt.show()

# %% [markdown]
# ## Word vectors: skip-gram
#
# Word2vec's skip-gram trains two embedding tables so that a word's vector predicts the
# words around it: for each (centre, context) pair within a window, push their dot product
# up, and push it down for a few random "negative" words. Words used in similar contexts
# get similar vectors. A short training on this small corpus (the cell prints how long it
# took on your machine): read the neighbours it prints, then the retrieval score below.

# %%
vocab_w = build_vocab(tokens, min_count=5)
pairs = skipgram_pairs(tokens, vocab_w, window=2)  # (P, 2)
freq = count_matrix(tokens, vocab_w).sum(0)  # (V,)
sg_epochs = maelearn.budget(quick=2, full=20)
sg_start = time.perf_counter()
sg = train_skipgram(pairs, len(vocab_w), freq, dim=48, epochs=sg_epochs, batch_size=2048, lr=0.01).model
sg_seconds = time.perf_counter() - sg_start
emb = sg.inp.weight.detach()
print(f"{len(vocab_w)} words, {len(pairs)} training pairs, {sg_epochs} epochs, trained in {sg_seconds:.1f} s")
neighbours = {}
for word in ("file", "return", "string", "thread"):
    if word in vocab_w:
        s, i = cosine_top_k(emb[[vocab_w.index(word)]], emb, k=6, exclude_self=False)
        neighbours[word] = [vocab_w[int(j)] for j in i[0][1:]]
        print(f"{word:8s} -> {', '.join(neighbours[word])}")

# %% [markdown]
# ## Scoring the features: which half goes with which?
#
# Nearest words are easy to read and hard to judge. A number needs a task, and we have
# one without any labels: cut every document in two, and for each first half ask which
# of all the second halves comes from the same document (cosine similarity, the nearest
# wins). **Recall@k** is the fraction of first halves whose own second half is among the
# k nearest; guessing gets k / D. Each half becomes a vector three ways:
#
# * **TF-IDF**: counts of the half, weighted with the corpus idf, unit length;
# * **skip-gram**: the mean of the word vectors of its words (a common, simple way to
#   turn word vectors into a document vector);
# * **untrained vectors**: the same mean of the skip-gram table *before* training, the
#   control that says how much of the skip-gram score training earned (a mean of random
#   vectors is a random projection of the counts, which already keeps some of them).
#
# The two kinds of vectors do not see the same words. TF-IDF uses the whole vocabulary,
# every word weighted by its idf, so a rare word shared by the two halves (a function's
# name, a module's identifier) counts for a lot. The word-vector mean uses only the words
# that occur at least 5 times (the skip-gram vocabulary, `min_count=5`), all weighted
# alike. The cell after the scores measures how much the task rests on such rare shared
# words.

# %%
halves = [(t[: len(t) // 2], t[len(t) // 2 :]) for t in tokens]
first, second = [h[0] for h in halves], [h[1] for h in halves]
corpus_idf = idf(counts)  # (V,)


def tfidf_rows(docs_tokens: list[list[str]]) -> torch.Tensor:
    """(D, V) unit-length tf-idf rows of tokenized texts, with the corpus idf."""
    w = count_matrix(docs_tokens, vocab) * corpus_idf
    return w / torch.linalg.vector_norm(w, dim=1, keepdim=True).clamp(min=1e-12)


with torch.random.fork_rng(devices=[]):
    torch.manual_seed(0)
    untrained = SkipGram(len(vocab_w), 48).inp.weight.detach()  # (V_w, 48) the initialization
features = {
    "TF-IDF (hand-made)": (tfidf_rows(first), tfidf_rows(second)),
    "skip-gram mean (learned)": (mean_word_vectors(first, vocab_w, emb), mean_word_vectors(second, vocab_w, emb)),
    "untrained vectors, mean": (mean_word_vectors(first, vocab_w, untrained), mean_word_vectors(second, vocab_w, untrained)),
}
recall = {name: (paired_recall_at_k(q, k, 1), paired_recall_at_k(q, k, 5)) for name, (q, k) in features.items()}
print(f"{len(docs)} documents: first half -> its own second half among all {len(docs)}")
print(f"{'':28s}{'recall@1':>10s}{'recall@5':>10s}")
for name, (r1, r5) in recall.items():
    print(f"{name:28s}{r1:10.3f}{r5:10.3f}")
print(f"{'chance':28s}{1 / len(docs):10.3f}{5 / len(docs):10.3f}")
tf_r1, sg_r1, rnd_r1 = (recall[name][0] for name in features)
print(("TF-IDF" if tf_r1 > sg_r1 else "skip-gram") + " retrieves better in this run; training "
      + ("improved" if sg_r1 > rnd_r1 else "did not improve") + f" the word vectors' score over their initialization ({rnd_r1:.3f} -> {sg_r1:.3f}).")

# %% [markdown]
# What does the task reward? Call a word *rare* when at most 5 documents of the corpus
# contain it. For each document we ask whether its two halves share a rare word, and
# whether TF-IDF's nearest second half (recall@1) is the right one; and how many of those
# shared rare words the skip-gram vocabulary has at all.

# %%
doc_freq = dict(zip(vocab, df.long().tolist()))  # word -> documents containing it
rare_shared = [{w for w in set(a) & set(b) if doc_freq[w] <= 5} for a, b in zip(first, second)]
shares = torch.tensor([len(r) > 0 for r in rare_shared])  # (D,) the halves share a rare word
_, top1 = cosine_top_k(features["TF-IDF (hand-made)"][0], features["TF-IDF (hand-made)"][1], k=1)
tf_hit = top1[:, 0] == torch.arange(len(docs))  # (D,) TF-IDF's recall@1 hits
rare_words = [w for r in rare_shared for w in r]
in_vocab_w = set(vocab_w)
occurrences = [w for t in tokens for w in t]
print(f"halves sharing a rare word: {shares.float().mean():.1%} of the documents")
print(f"TF-IDF recall@1 where they do: {tf_hit[shares].float().mean():.3f}   where they do not: {tf_hit[~shares].float().mean():.3f}")
print(f"share of TF-IDF's hits whose halves share a rare word: {(tf_hit & shares).sum() / tf_hit.sum().clamp(min=1):.1%}")
print(f"the skip-gram vocabulary holds {sum(w in in_vocab_w for w in occurrences) / len(occurrences):.1%} of the word occurrences "
      f"but {sum(w in in_vocab_w for w in rare_words) / max(len(rare_words), 1):.1%} of the shared rare words")

# %% [markdown]
# Read the recall table with these lines. Where most of TF-IDF's hits are documents
# whose halves share a rare word, the task mostly rewards lexical overlap: the same
# identifiers in both halves, which TF-IDF weights highly and the word-vector mean
# averages away with every other word (when it has them in its vocabulary at all).
# A low skip-gram score on this task then says little about what its vectors know of
# meaning; a task that needs the meaning of words, not their identity, would judge it
# more fairly.

# %% [markdown]
# ### With the internet: BERT
#
# Contextual word vectors (one per *occurrence*) come from pretrained transformers:
# `transformers.AutoModel.from_pretrained("bert-base-uncased")` downloads one. Lesson 06
# builds a tiny BERT-style masked language model from scratch, offline.
#
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [("mode", maelearn.mode()), ("documents", len(docs)), ("TF-IDF vocabulary", len(vocab)),
        ("same vocabulary as scikit-learn", same_vocab), ("TF-IDF vs scikit-learn, max abs difference", f"{tfidf_err:.2e}"),
        ("query vector vs vec.transform, max abs difference", f"{query_err:.2e}"),
        ("top document similarity for the query", f"{float(sims[0, 0]):.3f}"),
        ("|corr(log length, PC 1)| tf-idf unnormalized / normalized", " / ".join(f"{v:.3f}" for v in length_corr.values())),
        ("skip-gram vocabulary / pairs", f"{len(vocab_w)} / {len(pairs)}"),
        ("skip-gram training time (s)", f"{sg_seconds:.1f}"),
        ("documents whose halves share a rare word", f"{shares.float().mean():.1%}"),
        ("TF-IDF recall@1, halves share a rare word / do not", f"{tf_hit[shares].float().mean():.3f} / {tf_hit[~shares].float().mean():.3f}")]
rows += [(f"half-document recall@1 / @5, {name}", f"{r1:.3f} / {r5:.3f}") for name, (r1, r5) in recall.items()]
rows += [("chance recall@1 / @5", f"{1 / len(docs):.3f} / {5 / len(docs):.3f}"), ("lesson run time (s)", f"{elapsed:.1f}")]
for key, value in rows:
    print(f"{key:58s} {value}")

# %% [markdown]
# **What it teaches.** TF-IDF is a few lines and exact; word vectors need training and a
# lot of text to be good. The retrieval table above says how the two compare on this
# corpus in this run, on a task whose hits the lines after it trace (or not) to shared
# rare words, and how much of the word vectors' score training earned over random
# vectors (look at the neighbours above critically too). Skip-gram predicts the context
# from a word; its sibling in word2vec, **CBOW** (continuous bag of words), predicts a
# word from its context. CBOW is the analogue of masked language modelling (lesson 06):
# hide a word, predict it from the words around it, with a transformer instead of an
# average of context vectors.
#
# **Pointers.** Spärck Jones (1972) for idf; Mikolov et al. (2013a), *Efficient
# estimation of word representations in vector space* (skip-gram and CBOW); Mikolov et
# al. (2013b), *Distributed representations of words and phrases and their
# compositionality* (negative sampling, the 3/4 power of the unigram counts).
