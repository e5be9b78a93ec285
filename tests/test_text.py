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
    losses = train_mlm(model, chunks, 4, [0, 1, 2, 3, 4], steps=30, batch_size=16, lr=1e-2, p=0.3, progress=False)
    assert len(losses) == 30 and sum(losses[-5:]) < sum(losses[:5])


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
