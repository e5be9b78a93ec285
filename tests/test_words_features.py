"""maelearn.classic.words: the scoring helpers of lesson 03 (document vectors from word
vectors, paired retrieval)."""

import pytest
import torch

from maelearn.classic.words import mean_word_vectors, paired_recall_at_k


def test_mean_word_vectors_averages_in_vocabulary_words():
    vocab = ["a", "b", "c"]
    emb = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])  # (V, 2)
    docs = [["a", "b", "zzz"], ["c", "c", "a"], ["zzz"]]
    out = mean_word_vectors(docs, vocab, emb)  # (3, 2)
    assert out.shape == (3, 2) and out.dtype == torch.float32
    torch.testing.assert_close(out, torch.tensor([[0.5, 0.5], [5 / 3, 4 / 3], [0.0, 0.0]]))


def test_mean_word_vectors_rejects_a_table_of_the_wrong_size():
    with pytest.raises(ValueError, match="one row per vocabulary word"):
        mean_word_vectors([["a"]], ["a", "b"], torch.zeros(3, 2))


def test_paired_recall_at_k():
    keys = torch.eye(4)  # (4, 4)
    assert paired_recall_at_k(keys.clone(), keys) == 1.0
    rolled = keys.roll(1, dims=0)  # query i matches key i-1 exactly: never its own
    assert paired_recall_at_k(rolled, keys, k=1) == 0.0
    assert paired_recall_at_k(rolled, keys, k=4) == 1.0
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(500, 8, generator=g), torch.randn(500, 8, generator=g)
    assert abs(paired_recall_at_k(q, k, k=5) - 5 / 500) < 0.02  # chance


def test_paired_recall_at_k_validates():
    with pytest.raises(ValueError, match="same shape"):
        paired_recall_at_k(torch.zeros(3, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="k must be"):
        paired_recall_at_k(torch.zeros(3, 2), torch.zeros(3, 2), k=4)
