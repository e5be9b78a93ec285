"""The video and audio sets of lessons 10 and 11: shapes, determinism, balance, and that
their labels are about time (what the masked-autoencoder studies rely on)."""

import pytest
import torch

from maelearn.data.audio import PATTERN_CLASSES, sound_patterns, synth_clips
from maelearn.data.video import BACKGROUNDS, moving_shapes, unlabelled_shapes


def _study_clips(n, seed=0, **kw):
    return moving_shapes(n, frames=8, size=16, seed=seed, background="smooth", distractors=1, keep_inside=False,
                         speed=(0.8, 1.6), **kw)


def test_study_clips_shapes_ranges_and_determinism():
    v = _study_clips(24, seed=1)
    assert v.videos.shape == (24, 3, 8, 16, 16) and v.videos.dtype == torch.float32
    assert 0 <= float(v.videos.min()) and float(v.videos.max()) <= 1
    assert torch.equal(v.videos, _study_clips(24, seed=1).videos)
    assert not torch.equal(v.videos, _study_clips(24, seed=2).videos)


def test_study_clips_labels_roughly_balanced():
    counts = _study_clips(400, seed=0, with_flow=False).labels.bincount(minlength=4)
    assert counts.min() >= 70, counts  # 100 expected per class


def test_distractor_is_static_and_shape_moves():
    # Without noise, pixels that change between frames belong to the moving shape only;
    # the distractor is painted on the background, so it adds no change.
    v = moving_shapes(16, frames=8, size=16, seed=0, background="smooth", distractors=1, keep_inside=False, noise=0.0)
    plain = moving_shapes(16, frames=8, size=16, seed=0, background="smooth", distractors=0, keep_inside=False, noise=0.0)
    assert not torch.equal(v.videos[:, :, 0], plain.videos[:, :, 0])  # the distractor is there
    moved = (v.videos[:, :, 1:] - v.videos[:, :, :-1]).abs().amax(dim=(1, 2, 3, 4))
    assert (moved > 0.05).all()  # every clip has motion


def test_flow_direction_with_new_options():
    v = moving_shapes(24, frames=8, size=16, seed=3, background="smooth", distractors=2, keep_inside=False)
    for i in range(len(v)):
        moving = v.flow[i].abs().sum(dim=(0, 1)) > 0
        if not moving.any():  # the shape may have left the frame; then no flow
            continue
        dx = v.flow[i, :, 0][v.flow[i, :, 0] != 0].mean() if (v.flow[i, :, 0] != 0).any() else torch.tensor(0.0)
        dy = v.flow[i, :, 1][v.flow[i, :, 1] != 0].mean() if (v.flow[i, :, 1] != 0).any() else torch.tensor(0.0)
        angle = torch.atan2(-dy, dx) % (2 * torch.pi)
        assert int(torch.round(angle / (torch.pi / 2))) % 4 == int(v.labels[i])


def test_keep_inside_false_hides_direction_in_the_middle_frame():
    # The middle frame's shape position is uniform whatever the direction: compare the mean
    # x position (flow support) of right- and left-moving clips in the middle frame.
    v = moving_shapes(400, frames=8, size=16, seed=0, keep_inside=False, background="smooth")
    xs = torch.arange(16, dtype=torch.float32)
    support = (v.flow[:, 3].abs().sum(1) > 0).float()  # (N, H, W)
    mass = support.sum(dim=(1, 2)).clamp(min=1)
    cx = (support.sum(1) * xs).sum(1) / mass
    right, left = cx[v.labels == 0].mean(), cx[v.labels == 2].mean()
    assert abs(float(right - left)) < 1.5
    inside = moving_shapes(400, frames=8, size=16, seed=0, keep_inside=True, background="smooth")
    s0 = (inside.flow[:, 0].abs().sum(1) > 0).float()
    cx0 = (s0.sum(1) * xs).sum(1) / s0.sum(dim=(1, 2)).clamp(min=1)
    # With the path kept inside, right-movers start on the left: the first frame gives it away.
    assert float(cx0[inside.labels == 2].mean() - cx0[inside.labels == 0].mean()) > 2


def test_moving_shapes_rejects_new_bad_input():
    with pytest.raises(ValueError, match="background"):
        moving_shapes(2, background="plaid")
    with pytest.raises(ValueError, match="distractors"):
        moving_shapes(2, distractors=-1)
    assert BACKGROUNDS == ("texture", "smooth", "ramp")


def _pan(n, seed=0, **kw):
    return moving_shapes(n, frames=8, size=16, seed=seed, background="smooth", distractors=1, keep_inside=False,
                         speed=(1.0, 2.0), pan=True, **kw)


def test_pan_is_deterministic_and_off_by_default():
    v = _pan(12, seed=1)
    assert v.videos.shape == (12, 3, 8, 16, 16) and 0 <= float(v.videos.min()) and float(v.videos.max()) <= 1
    assert torch.equal(v.videos, _pan(12, seed=1).videos)
    assert not torch.equal(v.videos, _pan(12, seed=2).videos)
    # pan=False is the default and leaves the clips (and their random stream) as they were.
    kw = dict(frames=8, size=16, seed=4, background="smooth", distractors=1, keep_inside=False)
    assert torch.equal(moving_shapes(6, **kw).videos, moving_shapes(6, pan=False, **kw).videos)


def test_pan_moves_the_whole_scene_with_the_label_velocity():
    # Without noise, frame t+1 is frame t shifted by the velocity: shifting by the label's
    # direction matches far better than by the opposite one, and the flow is everywhere.
    v = moving_shapes(16, frames=8, size=16, seed=3, background="smooth", distractors=1, keep_inside=False,
                      speed=(2.0, 2.0), jitter=0.0, noise=0.0, pan=True)
    step = {0: (2, 0), 1: (0, -2), 2: (-2, 0), 3: (0, 2)}  # (dx, dy) in pixels per frame, y down
    for i in range(len(v)):
        dx, dy = step[int(v.labels[i])]
        f0, f1 = v.videos[i, :, 2], v.videos[i, :, 3]

        def err(dx, dy):
            return float((f1[:, 4:12, 4:12] - f0[:, 4 - dy : 12 - dy, 4 - dx : 12 - dx]).abs().mean())

        assert err(dx, dy) < 0.5 * err(-dx, -dy), i
    assert (v.flow.abs().sum(2) > 0).all()  # every pixel moves


def test_unlabelled_shapes_deterministic_and_disjoint():
    kw = dict(frames=8, size=16, background="smooth", distractors=1, keep_inside=False, pan=True)
    u = unlabelled_shapes(32, seed=0, **kw)
    assert u.shape == (32, 3, 8, 16, 16)
    assert torch.equal(u, unlabelled_shapes(32, seed=0, **kw))
    labelled = moving_shapes(64, seed=0, with_flow=False, **kw).videos
    # No unlabelled clip equals any labelled clip of the same seed (another seed stream).
    assert torch.cdist(u.flatten(1), labelled.flatten(1)).min() > 1.0


def test_moving_shapes_rejects_bad_pan():
    with pytest.raises(ValueError, match="pan"):
        moving_shapes(2, pan=1)


def test_sound_patterns_shapes_balance_determinism():
    a = sound_patterns(32, seconds=0.5, sr=8000, seed=0)
    assert a.waves.shape == (32, 4000) and a.waves.dtype == torch.float32 and a.sr == 8000
    assert a.classes == list(PATTERN_CLASSES) and len(a.classes) == 8
    assert torch.equal(a.labels.bincount(), torch.full((8,), 4))
    assert float(a.waves.abs().max()) <= 1
    assert torch.equal(a.waves, sound_patterns(32, seconds=0.5, sr=8000, seed=0).waves)
    assert not torch.equal(a.waves, sound_patterns(32, seconds=0.5, sr=8000, seed=1).waves)
    assert set(a.attributes) == {"onset", "duration", "amplitude", "f0", "noise"}


def _centroid_track(wave: torch.Tensor, frame: int = 256) -> torch.Tensor:
    """Spectral centroid (Hz bins) of each non-silent frame."""
    frames = wave[: len(wave) // frame * frame].reshape(-1, frame)
    mag = torch.fft.rfft(frames * torch.hann_window(frame), dim=1).abs()
    energy = mag.pow(2).sum(1)
    keep = energy > 0.2 * energy.max()
    bins = torch.arange(mag.shape[1], dtype=torch.float32)
    return ((mag * bins).sum(1) / mag.sum(1).clamp(min=1e-9))[keep]


def test_sound_pattern_pairs_run_in_opposite_directions():
    a = sound_patterns(64, seed=0, noise=(0.0, 0.0))
    for i in range(len(a)):
        label = int(a.labels[i])
        if label in (0, 1, 2, 3):  # chirps and note pairs: the pitch goes up or down
            c = _centroid_track(a.waves[i])
            third = max(1, len(c) // 3)
            rise = float(c[-third:].mean() - c[:third].mean())
            assert (rise > 0) == (label in (0, 2)), (a.classes[label], rise)
        elif label in (4, 5):  # swell: loudest late; pluck: loudest early
            env = a.waves[i].abs().reshape(-1, 400).amax(1)
            peak = int(env.argmax())
            on = torch.nonzero(env > 0.05 * env.max()).flatten()
            mid = (int(on[0]) + int(on[-1])) / 2
            assert (peak > mid) == (label == 4), (a.classes[label], peak, mid)


def test_sound_patterns_rejects_bad_input():
    with pytest.raises(ValueError, match="n must"):
        sound_patterns(0)
    with pytest.raises(ValueError, match="sr"):
        sound_patterns(2, sr=100)
    with pytest.raises(ValueError, match="noise"):
        sound_patterns(2, noise=(0.1, 0.0))


def test_synth_clips_accepts_every_rate_it_admits():
    """The lowest admitted rate (4 kHz) must draw every class, click trains included."""
    clips = synth_clips(20, seconds=0.5, sr=4000, seed=0)
    assert clips.waves.shape == (20, 2000) and torch.isfinite(clips.waves).all()
    assert set(clips.labels.tolist()) == set(range(5))
