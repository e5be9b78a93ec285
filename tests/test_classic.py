"""maelearn.classic (flow, spectral, words, cnn) against the libraries everyone uses: librosa, scikit-learn, OpenCV."""

import numpy as np
import pytest
import torch

from maelearn.classic import cnn, flow, spectral, words
from maelearn.data.audio import synth_clips
from maelearn.data.text import corpus, word_tokenize
from maelearn.data.video import moving_shapes


def test_mel_filterbank_matches_librosa():
    librosa = pytest.importorskip("librosa")
    for sr, n_fft, n_mels, fmin, fmax in ((16000, 512, 40, 0.0, None), (22050, 1024, 64, 50.0, 8000.0)):
        ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
        # librosa returns float32: agreement to float32 rounding.
        np.testing.assert_allclose(spectral.mel_filterbank(sr, n_fft, n_mels, fmin, fmax), ref, rtol=1e-5, atol=1e-8)


def test_mel_spectrogram_and_mfcc_match_librosa():
    librosa = pytest.importorskip("librosa")
    wave = synth_clips(3, seed=0).waves[1].double()
    mel = spectral.mel_spectrogram(wave, 16000, 512, 128, 40)
    ref = librosa.feature.melspectrogram(y=wave.numpy(), sr=16000, n_fft=512, hop_length=128, n_mels=40)
    # float64 throughout, but librosa's float32 filterbank limits agreement to ~1e-6 relative.
    np.testing.assert_allclose(mel.numpy(), ref, rtol=1e-5, atol=1e-9 * ref.max())
    ref_mfcc = librosa.feature.mfcc(S=librosa.power_to_db(ref), n_mfcc=13)
    np.testing.assert_allclose(spectral.mfcc(mel, 13).numpy(), ref_mfcc, rtol=1e-5, atol=1e-4)  # dB values of size ~100


def test_mel_scale_round_trip():
    f = np.array([0.0, 440.0, 1000.0, 4000.0])
    for htk in (False, True):
        np.testing.assert_allclose(spectral.mel_to_hz(spectral.hz_to_mel(f, htk), htk), f, atol=1e-9)


def test_tfidf_matches_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = corpus(max_docs=150)
    tokens = [word_tokenize(d) for d in docs]
    vocab = sorted({w for t in tokens for w in t})  # scikit-learn orders its vocabulary alphabetically
    ours = words.tfidf(words.count_matrix(tokens, vocab)).numpy()
    vec = TfidfVectorizer(analyzer=word_tokenize).fit(docs)
    assert list(vec.get_feature_names_out()) == vocab
    np.testing.assert_allclose(ours, vec.transform(docs).toarray(), atol=1e-12)  # same float64 arithmetic


def test_lucas_kanade_recovers_a_small_shift_and_beats_zero_flow():
    v = moving_shapes(12, seed=0, speed=(0.3, 0.6), noise=0.0)
    gray = flow.to_gray(v.videos.transpose(1, 2))  # (N, T, H, W)
    lk, zero = [], []
    for i in range(len(v)):
        true = v.flow[i, 0]
        mask = true.abs().sum(0) > 0
        lk.append(flow.endpoint_error(flow.lucas_kanade(gray[i, 0], gray[i, 1]), true, mask))
        zero.append(flow.endpoint_error(torch.zeros_like(true), true, mask))
    # Sub-pixel motion: LK must clearly beat the zero-flow baseline on the moving shape.
    assert np.mean(lk) < 0.6 * np.mean(zero)


def test_opencv_flow_shapes():
    pytest.importorskip("cv2")
    v = moving_shapes(1, seed=1)
    g = flow.to_gray(v.videos.transpose(1, 2))[0]
    for method in ("farneback", "pyrlk"):
        assert flow.opencv_flow(g[0], g[1], method).shape == (2, 32, 32)
    with pytest.raises(ValueError, match="method"):
        flow.opencv_flow(g[0], g[1], "horn")


def test_lk_solve_exact_on_a_linear_system():
    # Build sums from a known flow: with It = -(Ix u + Iy v) exactly, LK returns (u, v).
    g = torch.Generator().manual_seed(0)
    ix, iy = torch.randn(8, 8, generator=g, dtype=torch.float64), torch.randn(8, 8, generator=g, dtype=torch.float64)
    it = -(ix * 0.4 + iy * -0.7)
    uv = flow.lk_solve(flow.structure_tensor(ix, iy, it, 5))
    torch.testing.assert_close(uv, torch.stack([torch.full((8, 8), 0.4), torch.full((8, 8), -0.7)]).double())


def test_bad_input_raises():
    with pytest.raises(ValueError, match="window"):
        flow.window_sum(torch.zeros(4, 4), 4)
    with pytest.raises(ValueError, match="n_mels"):
        spectral.mel_filterbank(16000, 512, 0)
    with pytest.raises(ValueError, match="fmax"):
        spectral.mel_filterbank(16000, 512, 10, fmax=9000)
    with pytest.raises(ValueError, match="mask"):
        flow.endpoint_error(torch.zeros(2, 3, 3), torch.zeros(2, 3, 3), torch.zeros(3, 3, dtype=torch.bool))


def test_resnet18_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="not cached"):
        cnn.pretrained_resnet18("DEFAULT")
    assert cnn.pretrained_resnet18(None)(torch.rand(2, 3, 32, 32)).shape == (2, 512)


def test_small_cnn_and_centroids():
    m = cnn.SmallCNN(3, 4, width=8)
    assert m.features(torch.rand(5, 3, 32, 32)).shape == (5, 32)
    x = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
    c = cnn.class_centroids(x, torch.tensor([0, 0, 1]), 2)
    torch.testing.assert_close(c, torch.tensor([[2.0, 0.0], [0.0, 2.0]]))
    assert cnn.nearest_centroid(torch.tensor([[0.1, 1.0]]), c).tolist() == [1]


def test_segment_stats_shapes_time_order_and_clip_summary():
    from maelearn.audio import mfcc_features

    waves = synth_clips(4, seed=3).waves
    c = spectral.mfcc(spectral.mel_spectrogram(waves, 16000, 512, 256, 40), 13)  # (4, 13, T)
    assert spectral.segment_stats(c, 4).shape == (4, 2 * 13 * 4)
    torch.testing.assert_close(spectral.mfcc_segment_stats(waves, 16000, 4), spectral.segment_stats(c, 4).float())
    torch.testing.assert_close(spectral.mfcc_segment_stats(waves, 16000, 1), mfcc_features(waves, 16000))
    # one segment is lesson 02's clip summary, the library's mfcc_features
    torch.testing.assert_close(spectral.segment_stats(c, 1).float(), mfcc_features(waves, 16000))
    # the layout: means of every segment first, then stds; segments split time in order
    x = torch.arange(12.0).reshape(1, 12)  # K=1, T=12
    torch.testing.assert_close(spectral.segment_stats(x, 3), torch.tensor([1.5, 5.5, 9.5, *[torch.arange(4.0).std().item()] * 3]))
    # time order: reversing time leaves the one-segment summary unchanged, not the per-segment one
    flipped = c.flip(-1)
    torch.testing.assert_close(spectral.segment_stats(flipped, 1), spectral.segment_stats(c, 1))
    assert not torch.allclose(spectral.segment_stats(flipped, 4), spectral.segment_stats(c, 4))
    with pytest.raises(ValueError, match="n_segments"):
        spectral.segment_stats(c, 0)
    with pytest.raises(ValueError, match="frames"):
        spectral.segment_stats(c[..., :5], 3)
    with pytest.raises(TypeError, match="feats"):
        spectral.segment_stats(torch.ones(3, dtype=torch.long), 1)
