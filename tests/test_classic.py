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


# -- motion direction from hand-made features (lesson 01's classifier, lesson 10's baselines) --


def test_lucas_kanade_batch_equals_one_pair_at_a_time():
    v = moving_shapes(3, seed=2)
    g32 = flow.to_gray(v.videos.transpose(1, 2))  # (N, T, H, W)
    for g, atol in ((g32.double(), 1e-9), (g32, 1e-4)):  # the same arithmetic up to rounding
        for kw in ({}, {"levels": 2, "iterations": 3, "window": 3}):
            batch = flow.lucas_kanade_batch(g[:, 0], g[:, 1], **kw)  # (3, 2, H, W)
            one = torch.stack([flow.lucas_kanade(g[i, 0], g[i, 1], **kw) for i in range(3)])
            assert batch.dtype == g.dtype
            torch.testing.assert_close(batch, one, rtol=0, atol=atol)
    with pytest.raises(ValueError, match="frames1"):
        flow.lucas_kanade_batch(g32[:, 0], g32[0, 1])


def test_mean_flow_points_the_way_the_scene_pans():
    from maelearn.classic import motion

    v = moving_shapes(16, frames=6, size=24, seed=3, pan=True, jitter=0.0, keep_inside=False, background="smooth",
                      speed=(0.5, 1.0))
    mf = motion.mean_flow(v.videos, batch=5)  # (N, 2), several batches
    assert mf.shape == (16, 2) and mf.dtype == torch.float32
    truth = torch.stack([torch.cos(v.attributes["angle"]), -torch.sin(v.attributes["angle"])], 1)  # unit (dx, dy)
    cos = torch.nn.functional.cosine_similarity(mf, truth, dim=1)
    assert cos.min() > 0.9, cos
    # grey clips give the same as RGB ones, and one batch the same as several
    torch.testing.assert_close(motion.mean_flow(flow.to_gray(v.videos.transpose(1, 2))), mf)


def test_flow_direction_classifies_and_beats_one_frame():
    from maelearn.classic import motion

    v = moving_shapes(96, frames=8, size=16, seed=0, with_flow=False, pan=True, keep_inside=False, distractors=1,
                      background="smooth", speed=(1.0, 2.0))
    tr, te = v.split(48, seed=0)
    fit = motion.flow_direction(tr.videos, tr.labels, te.videos, te.labels)
    assert fit.accuracy >= 0.9
    assert fit.train_features.shape == (48, 2) and fit.test_features.shape == (48, 2)
    assert fit.centroids.shape == (4, 2) and fit.predictions.shape == (48,)
    assert fit.accuracy == float((fit.predictions == te.labels).float().mean())
    base = motion.motion_baselines(tr.videos, tr.labels, te.videos, te.labels, steps=50)
    assert list(base) == list(motion.MOTION_BASELINES)
    assert base["optical flow"] == fit.accuracy
    assert all(0.0 <= a <= 1.0 for a in base.values())


@pytest.mark.parametrize("directions", [4, 8])
def test_direction_from_flow_reads_the_generators_convention(directions):
    """The true flow of every clip points the way its label says (screen y down, classes
    counter-clockwise on screen from "right"); batches and single vectors alike."""
    from maelearn.classic import motion

    v = moving_shapes(64, frames=3, size=16, seed=2, directions=directions)
    mean = v.flow[:, 0].sum(dim=(-2, -1))  # (N, 2) the shape's total displacement, frame 0 -> 1
    assert torch.equal(motion.direction_from_flow(mean, directions), v.labels)
    assert motion.direction_from_flow(torch.tensor([0.0, -1.0])).item() == 1  # dy < 0 moves up
    assert motion.direction_from_flow(torch.tensor([[-1.0, 0.1]], dtype=torch.float64)).tolist() == [2]
    with pytest.raises(ValueError, match="flow must be"):
        motion.direction_from_flow(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="directions"):
        motion.direction_from_flow(mean, 0)


def test_frame_difference_features():
    from maelearn.classic import motion

    g = torch.Generator().manual_seed(0)
    videos = torch.rand(2, 3, 5, 6, 7, generator=g)  # (N, C, T, H, W)
    f = motion.frame_differences(videos)
    grey = flow.to_gray(videos.transpose(1, 2))  # (N, T, H, W)
    assert f.shape == (2, 2 * 6 * 7)
    # the mean signed difference telescopes to (last - first) / (T - 1)
    torch.testing.assert_close(f[:, 42:], ((grey[:, -1] - grey[:, 0]) / 4).flatten(1))
    torch.testing.assert_close(f[:, :42], (grey[:, 1:] - grey[:, :-1]).abs().mean(1).flatten(1))


def test_change_centroid_follows_a_moving_square():
    from maelearn.classic import motion

    clips = torch.zeros(2, 5, 20, 20)  # grey (N, T, H, W): a bright square stepping right (clip 0) or up (clip 1)
    for t in range(5):
        clips[0, t, 8:12, 2 + 2 * t : 6 + 2 * t] = 1.0
        clips[1, t, 14 - 2 * t : 18 - 2 * t, 8:12] = 1.0
    shift = motion.change_centroid_shift(clips)  # (N, 2) (dx, dy) in pixels per frame
    torch.testing.assert_close(shift, torch.tensor([[2.0, 0.0], [0.0, -2.0]]))
    fit = motion.centroid_classifier(shift, torch.tensor([0, 1]), shift, torch.tensor([0, 1]))
    assert fit.accuracy == 1.0


def test_motion_bad_input_names_the_argument():
    from maelearn.classic import motion

    with pytest.raises(ValueError, match="C = 3"):
        motion.mean_flow(torch.rand(2, 1, 4, 8, 8))
    with pytest.raises(ValueError, match="at least 3 frames"):
        motion.change_centroid_shift(torch.rand(2, 2, 8, 8))
    with pytest.raises(TypeError, match="float"):
        motion.frame_differences(torch.zeros(2, 3, 4, 8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match="batch"):
        motion.mean_flow(torch.rand(2, 4, 8, 8), batch=0)
    with pytest.raises(ValueError, match="train_y"):
        motion.centroid_classifier(torch.rand(4, 2), torch.tensor([0.0, 1, 0, 1]), torch.rand(2, 2), torch.tensor([0, 1]))


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
