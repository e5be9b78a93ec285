"""maelearn.text: tokenizer round trip, BERT masking statistics, the MLM loss and model."""

import pytest
import torch
import torch.nn.functional as F

from maelearn.text import IGNORE, TinyMLM, WordTokenizer, bert_mask, fill_mask, make_chunks, mlm_cross_entropy, mlm_loss, token_stream, train_mlm

TEXTS = ["Return the list of files.", "Open the file and return the list.", "The file is closed."]


def test_tokenizer_fit_encode_decode():
    tok = WordTokenizer.fit(TEXTS, vocab_size=100, min_freq=1)
    assert tok.vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert tok.vocab[5] == "the"  # most frequent word first
    ids = tok.encode("Return the [MASK] list, zebra")
    assert tok.decode(ids) == "return the [MASK] list [UNK]"
    stream = token_stream(TEXTS, tok)
    assert (stream == tok.sep_id).sum() == 3
    assert make_chunks(stream, 4).shape == (len(stream) // 4, 4)


def test_bert_mask_rates_and_structure():
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(5, 500, (300, 300))
    tokens[:, 0] = 2
    inputs, labels = bert_mask(tokens, 500, 4, [0, 1, 2, 3, 4], g, p=0.15)
    chosen = labels != IGNORE
    assert not chosen[:, 0].any()  # specials never chosen
    assert torch.equal(labels[chosen], tokens[chosen])
    assert torch.equal(inputs[~chosen], tokens[~chosen])
    n = int(chosen.sum())
    # ~13,400 chosen tokens: binomial sds are <= 0.0035; tolerances are ~6 sd.
    assert abs(n / tokens[:, 1:].numel() - 0.15) < 0.006
    assert abs(float((inputs[chosen] == 4).float().mean()) - 0.8) < 0.021
    assert abs(float((inputs[chosen] == tokens[chosen]).float().mean()) - 0.1) < 0.016
    again = bert_mask(tokens, 500, 4, [0, 1, 2, 3, 4], torch.Generator().manual_seed(0), p=0.15)
    assert torch.equal(again[0], inputs) and torch.equal(again[1], labels)


def test_mlm_loss_matches_full_cross_entropy_and_training_runs():
    torch.manual_seed(0)
    model = TinyMLM(50, dim=16, depth=1, heads=2, max_len=8)
    ids = torch.randint(5, 50, (4, 8))
    inputs, labels = bert_mask(ids, 50, 4, [0, 1, 2, 3, 4], torch.Generator().manual_seed(1), p=0.5)
    full = mlm_cross_entropy(model(inputs), labels)
    assert torch.allclose(mlm_loss(model, inputs, labels), full, atol=1e-6)
    manual = F.cross_entropy(model(inputs)[labels != IGNORE], labels[labels != IGNORE])
    assert torch.allclose(full, manual, atol=1e-6)
    chunks = torch.randint(5, 50, (64, 8))
    hist = train_mlm(model, chunks, 4, [0, 1, 2, 3, 4], steps=30, batch_size=16, lr=1e-2, p=0.3, progress=False)
    losses = hist.loss
    assert len(losses) == 30 and sum(losses[-5:]) < sum(losses[:5])
    assert hist.lr[0] == 0.0 and max(hist.lr) == pytest.approx(1e-2)  # warmup over 3 steps, then cosine
    assert len(hist.epoch_loss) == 8  # 64 windows / 16 = 4 steps per pass: 30 steps take 8 passes


def test_fill_mask_and_errors():
    tok = WordTokenizer.fit(TEXTS, vocab_size=100, min_freq=1)
    model = TinyMLM(len(tok), dim=16, depth=1, heads=2, max_len=16)
    out = fill_mask(model, tok, "return the [MASK] of files", k=3)
    assert len(out) == 1 and len(out[0]) == 3 and all(w not in ("[MASK]", "[PAD]") for w, _ in out[0])
    with pytest.raises(ValueError, match="no \\[MASK\\]"):
        fill_mask(model, tok, "no mask here")
    with pytest.raises(TypeError, match="torch.long"):
        bert_mask(torch.rand(2, 3), 10, 4, [4])
    with pytest.raises(ValueError, match="max_len"):
        model.encode(torch.zeros(1, 17, dtype=torch.long))


def test_unigram_probs_and_evaluate_against_the_baseline():
    from maelearn.text import mlm_accuracy, mlm_evaluate, unigram_probs

    stream = torch.tensor([5, 5, 5, 6, 6, 7, 3, 1, 4])  # specials 1, 3, 4 get probability 0
    probs = unigram_probs(stream, 10, [0, 1, 2, 3, 4])
    assert torch.allclose(probs[[5, 6, 7]], torch.tensor([0.5, 1 / 3, 1 / 6]))
    assert float(probs[[0, 1, 2, 3, 4, 8, 9]].sum()) == 0.0
    torch.manual_seed(0)
    model = TinyMLM(10, dim=16, depth=1, heads=2, max_len=8)
    chunks = torch.randint(5, 9, (64, 8))  # word 8 never occurs in the stream: probability 0
    sc = mlm_evaluate(model, chunks, 4, [0, 1, 2, 3, 4], p=0.3, k=3, unigram=probs)
    assert set(sc) == {"top1", "topk", "ce", "n", "base_top1", "base_topk", "base_ce"}
    assert 0 <= sc["top1"] <= sc["topk"] <= 1 and sc["n"] > 0
    assert sc["base_top1"] <= sc["base_topk"]
    # Recompute the baseline by hand on the same positions (same seed, same draws).
    g = torch.Generator().manual_seed(1)
    chosen = torch.rand(chunks.shape, generator=g) < 0.3
    target = chunks[chosen]
    assert sc["n"] == len(target)
    assert sc["base_top1"] == pytest.approx(float((target == 5).float().mean()), abs=1e-6)
    assert sc["base_topk"] == pytest.approx(float(torch.isin(target, torch.tensor([5, 6, 7])).float().mean()), abs=1e-6)
    assert sc["base_ce"] == pytest.approx(float(-probs[target].clamp_min(1e-12).log().mean()), rel=1e-5)
    assert mlm_accuracy(model, chunks, 4, [0, 1, 2, 3, 4], p=0.3) == sc["top1"]
    with pytest.raises(ValueError, match="unigram must have shape"):
        mlm_evaluate(model, chunks, 4, [0, 1, 2, 3, 4], unigram=probs[:5])
    with pytest.raises(ValueError, match="p must be"):
        mlm_evaluate(model, chunks, 4, [0, 1, 2, 3, 4], p=0.0)
    with pytest.raises(ValueError, match="vocab_size"):
        unigram_probs(torch.tensor([11]), 10, [0])


def test_defaults_learn_context_on_a_synthetic_language():
    """On a toy language where each word determines its right neighbour (w -> w + 1 mod 20),
    the default model and training beat the unigram baseline clearly in 150 steps; a model
    that ignores the context cannot (every word is equally frequent)."""
    from maelearn.text import mlm_evaluate, unigram_probs

    g = torch.Generator().manual_seed(0)
    starts = torch.randint(20, (600, 1), generator=g)
    chunks = (starts + torch.arange(16)) % 20 + 5  # (600, 16) ids 5..24
    torch.manual_seed(0)
    model = TinyMLM(25)
    train_mlm(model, chunks[:500], 4, [0, 1, 2, 3, 4], steps=150, batch_size=64, p=0.3, progress=False)
    sc = mlm_evaluate(model, chunks[500:], 4, [0, 1, 2, 3, 4], p=0.15, unigram=unigram_probs(chunks[:500].flatten(), 25, [0, 1, 2, 3, 4]))
    # The baseline is ~1/20 top-1 and ln 20 = 3.0 nats; a model that reads a neighbour is
    # near-perfect. The margins (0.5 accuracy, 1 nat) leave room for seeds and platforms.
    assert sc["top1"] > sc["base_top1"] + 0.5
    assert sc["ce"] < sc["base_ce"] - 1.0
