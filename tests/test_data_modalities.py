"""Offline video, audio and text data: shapes, determinism, labels that mean what they say."""

import pytest
import torch

from maelearn.data.audio import CLASSES, synth_clips
from maelearn.data.text import corpus, sentences, word_tokenize
from maelearn.data.video import DIRECTIONS, moving_shapes


def test_moving_shapes_shapes_and_ranges():
    v = moving_shapes(12, frames=6, size=24, seed=1)
    assert v.videos.shape == (12, 3, 6, 24, 24) and v.videos.dtype == torch.float32
    assert v.flow.shape == (12, 5, 2, 24, 24)
    assert v.labels.dtype == torch.long and v.classes == DIRECTIONS[4]
    assert 0 <= float(v.videos.min()) and float(v.videos.max()) <= 1
    assert len(v) == 12 and len(v[3]) == 1 and len(v[:5]) == 5
    a, b = v.split(4, seed=0)
    assert len(a) == 4 and len(b) == 8


def test_moving_shapes_deterministic():
    a, b = moving_shapes(4, seed=3), moving_shapes(4, seed=3)
    assert torch.equal(a.videos, b.videos) and torch.equal(a.flow, b.flow)
    assert not torch.equal(a.videos, moving_shapes(4, seed=4).videos)


def test_flow_matches_label_direction():
    v = moving_shapes(40, directions=8, seed=0)
    for i in range(len(v)):
        moving = v.flow[i, 0].abs().sum(0) > 0  # (H, W)
        assert moving.any(), "every video has a moving shape"
        dx, dy = v.flow[i, 0, 0][moving].mean(), v.flow[i, 0, 1][moving].mean()
        angle = torch.atan2(-dy, dx) % (2 * torch.pi)  # screen y points down
        cls = int(torch.round(angle / (2 * torch.pi / 8))) % 8
        assert cls == int(v.labels[i])


def test_flow_is_the_true_motion_of_the_shape():
    # Warping frame t+1 back by the true flow must reproduce frame t on the shape's pixels.
    v = moving_shapes(8, seed=2, noise=0.0)
    for i in range(8):
        fx, fy = v.flow[i, 0, 0], v.flow[i, 0, 1]
        inside = (fx != 0) | (fy != 0)
        H, W = fx.shape
        ys, xs = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(W, dtype=torch.float32), indexing="ij")
        grid = torch.stack([(xs + fx) / (W - 1) * 2 - 1, (ys + fy) / (H - 1) * 2 - 1], -1)[None]
        warped = torch.nn.functional.grid_sample(v.videos[i : i + 1, :, 1], grid, align_corners=True)[0]
        err_true = (warped - v.videos[i, :, 0]).abs().mean(0)[inside].mean()
        err_zero = (v.videos[i, :, 1] - v.videos[i, :, 0]).abs().mean(0)[inside].mean()
        # Interior pixels match up to bilinear interpolation; the zero-motion guess is worse.
        assert err_true < 0.6 * err_zero


def test_moving_shapes_rejects_bad_input():
    with pytest.raises(ValueError, match="directions"):
        moving_shapes(4, directions=5)
    with pytest.raises(ValueError, match="frames"):
        moving_shapes(4, frames=1)


def test_synth_clips():
    a = synth_clips(20, seconds=0.5, sr=8000, seed=0)
    assert a.waves.shape == (20, 4000) and a.waves.dtype == torch.float32 and a.sr == 8000
    assert a.classes == list(CLASSES)
    assert torch.equal(a.labels.bincount(), torch.full((5,), 4))
    assert float(a.waves.abs().max()) <= 1
    assert torch.equal(a.waves, synth_clips(20, seconds=0.5, sr=8000, seed=0).waves)
    with pytest.raises(ValueError, match="sr"):
        synth_clips(3, sr=100)


def test_synth_clips_tone_has_its_pitch():
    a = synth_clips(10, seed=1, noise=0.0)
    for i in torch.nonzero(a.labels == 0).flatten().tolist():
        spec = torch.fft.rfft(a.waves[i]).abs()
        peak_hz = float(spec.argmax()) * a.sr / a.waves.shape[1]
        assert abs(peak_hz - float(a.attributes["f0"][i])) < 3  # 1 Hz bins, a short envelope widens the peak


def test_corpus_is_real_english_and_deterministic():
    docs = corpus()
    assert len(docs) > 500
    assert docs == corpus() and len(set(docs)) == len(docs)
    assert all(len(d.split()) >= 20 and "  " not in d and "\n" not in d for d in docs)
    words = [w for d in docs for w in word_tokenize(d)]
    common = {"the", "of", "and", "is", "to"}
    assert common <= set(words)
    assert len(corpus(max_docs=10)) == 10
    assert len(sentences(max_docs=20)) > 20
    assert word_tokenize("Return the 2 values, don't copy.") == ["return", "the", "2", "values", "don't", "copy"]
    with pytest.raises(TypeError):
        word_tokenize(3)
