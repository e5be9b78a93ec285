"""Motion direction from hand-made features: lesson 01's mean-flow classifier (:func:`flow_direction`) and the
baselines lesson 10 sets beside VideoMAE (:func:`motion_baselines`). Videos are RGB (N, 3, T, H, W) or grey
(N, T, H, W) floats in [0, 1], as :func:`maelearn.data.video.moving_shapes` makes them; labels (N,) indices."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from maelearn.classic.cnn import class_centroids, nearest_centroid
from maelearn.classic.flow import lucas_kanade_batch, to_gray
from maelearn.evaluate import linear_probe_features


def grey_clips(videos: torch.Tensor, min_frames: int = 2) -> torch.Tensor:
    """Grey clips (N, T, H, W) of RGB videos (N, 3, T, H, W); grey (N, T, H, W) pass through. At least
    ``min_frames`` frames are required."""
    if not isinstance(videos, torch.Tensor) or not videos.is_floating_point():
        raise TypeError(f"videos must be a float tensor (N, C, T, H, W) or (N, T, H, W), got {type(videos).__name__}"
                        + (f" of dtype {videos.dtype}" if isinstance(videos, torch.Tensor) else ""))
    if videos.ndim not in (4, 5):
        raise ValueError(f"videos must be (N, C, T, H, W) or grey (N, T, H, W), got shape {tuple(videos.shape)}")
    if videos.ndim == 5 and videos.shape[1] != 3:
        raise ValueError(f"videos (N, C, T, H, W) must have C = 3 colour channels, got shape {tuple(videos.shape)}")
    grey = to_gray(videos.transpose(1, 2)) if videos.ndim == 5 else videos  # (N, T, H, W)
    if grey.shape[0] == 0:
        raise ValueError("videos is an empty batch")
    if grey.shape[1] < min_frames:
        raise ValueError(f"videos must have at least {min_frames} frames, got {grey.shape[1]} (shape {tuple(videos.shape)})")
    return grey


def mean_flow(videos: torch.Tensor, window: int = 5, min_eig: float = 1e-3, levels: int = 1, iterations: int = 1,
              batch: int = 256) -> torch.Tensor:
    """Every clip's Lucas-Kanade flow (:func:`~maelearn.classic.flow.lucas_kanade_batch`), averaged over all
    pixels and consecutive frame pairs, ``batch`` clips at a time: videos -> (N, 2), mean dx, dy in pixels per
    frame (y points down). Taught in lesson 01."""
    grey = grey_clips(videos)
    if not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch must be an int >= 1, got {batch!r}")
    n, t, h, w = grey.shape
    out = []
    for i in range(0, n, batch):
        g = grey[i : i + batch]
        f0, f1 = g[:, :-1].reshape(-1, h, w), g[:, 1:].reshape(-1, h, w)  # (b (T-1), H, W)
        flow = lucas_kanade_batch(f0, f1, window, min_eig, levels, iterations)  # (b (T-1), 2, H, W)
        out.append(flow.reshape(len(g), t - 1, 2, h, w).mean(dim=(1, 3, 4)))
    return torch.cat(out)


def direction_from_flow(flow: torch.Tensor, directions: int = 4) -> torch.Tensor:
    """The direction class of flow vectors, with no training: flow (..., 2) = (dx, dy) in pixels, screen y
    pointing down -> (...) long, the index of the class of :data:`maelearn.data.video.DIRECTIONS` whose direction
    is nearest the vector's angle. The classes run counter-clockwise on screen from "right": class c points at the
    angle ``c * 2 pi / directions`` measured upwards from the x axis, so (dx, dy) has the angle
    ``atan2(-dy, dx)``. A vector exactly between two classes goes either way. Taught in lesson 01."""
    if not isinstance(flow, torch.Tensor) or not flow.is_floating_point() or flow.ndim < 1 or flow.shape[-1] != 2:
        got = f"{flow.dtype}, shape {tuple(flow.shape)}" if isinstance(flow, torch.Tensor) else type(flow).__name__
        raise ValueError(f"flow must be a float tensor (..., 2) of (dx, dy), got {got}")
    if not isinstance(directions, int) or isinstance(directions, bool) or directions < 1:
        raise ValueError(f"directions must be an int >= 1, got {directions!r}")
    angle = torch.atan2(-flow[..., 1], flow[..., 0])  # counter-clockwise on screen, in (-pi, pi]
    return torch.round(angle / (2 * math.pi / directions)).long() % directions


@dataclass
class DirectionFit:
    """A fitted direction classifier: test ``accuracy`` and ``predictions`` (M,), the features of the training
    (N, D) and test (M, D) clips, the class ``centroids`` (K, D)."""

    accuracy: float
    predictions: torch.Tensor
    train_features: torch.Tensor
    test_features: torch.Tensor
    centroids: torch.Tensor | None = None


def _labels(y: torch.Tensor, n: int, name: str) -> torch.Tensor:
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (n,):
        got = f"{y.dtype}, shape {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"{name} must be a long tensor of shape ({n},), got {got}")
    if n and int(y.min()) < 0:
        raise ValueError(f"{name} must be class indices >= 0, got {int(y.min())}")
    return y


def centroid_classifier(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                        num_classes: int | None = None) -> DirectionFit:
    """Lesson 04's nearest centroid by cosine similarity on features train_x (N, D), test_x (M, D) with labels
    (N,), (M,): on 2-d motion vectors it reads the direction, not the speed."""
    train_y = _labels(train_y, train_x.shape[0], "train_y")
    test_y = _labels(test_y, test_x.shape[0], "test_y")
    k = num_classes or int(max(train_y.max(), test_y.max())) + 1
    centroids = class_centroids(train_x, train_y, k)  # (K, D)
    pred = nearest_centroid(test_x, centroids)  # (M,)
    return DirectionFit(float((pred == test_y).float().mean()), pred, train_x, test_x, centroids)


def flow_direction(train_videos: torch.Tensor, train_labels: torch.Tensor, test_videos: torch.Tensor,
                   test_labels: torch.Tensor, num_classes: int | None = None, **lk) -> DirectionFit:
    """The classical motion-direction classifier: every clip's :func:`mean_flow` (``lk``: window, min_eig, levels,
    iterations), then :func:`centroid_classifier`. Taught in lesson 01; lesson 10's classical baseline."""
    return centroid_classifier(mean_flow(train_videos, **lk), train_labels, mean_flow(test_videos, **lk), test_labels,
                               num_classes)


def frame_differences(videos: torch.Tensor) -> torch.Tensor:
    """Per pixel of the grey clip, the mean absolute difference of consecutive frames (where the picture changes)
    and their mean signed difference ((last - first) / (T - 1)): videos -> (N, 2 H W)."""
    grey = grey_clips(videos)
    d = grey[:, 1:] - grey[:, :-1]  # (N, T-1, H, W)
    return torch.cat([d.abs().mean(dim=1).flatten(1), d.mean(dim=1).flatten(1)], dim=1)


def change_centroid_shift(videos: torch.Tensor) -> torch.Tensor:
    """Where the change goes: the mean step, from one frame pair to the next, of the centroid (x, y) of the
    absolute grey difference (a moving object's edges carry it along). videos (T >= 3) -> (N, 2) in pixels per
    frame (y points down)."""
    grey = grey_clips(videos, min_frames=3)
    d = (grey[:, 1:] - grey[:, :-1]).abs()  # (N, T-1, H, W)
    h, w = d.shape[-2:]
    ys = torch.arange(h, dtype=d.dtype, device=d.device)[:, None] + 0.5
    xs = torch.arange(w, dtype=d.dtype, device=d.device)[None, :] + 0.5
    mass = d.sum(dim=(-2, -1)).clamp(min=torch.finfo(d.dtype).tiny)  # (N, T-1)
    centre = torch.stack([(d * xs).sum(dim=(-2, -1)) / mass, (d * ys).sum(dim=(-2, -1)) / mass], dim=-1)  # (N, T-1, 2)
    return (centre[:, 1:] - centre[:, :-1]).mean(dim=1)


#: What each row of :func:`motion_baselines` is.
MOTION_BASELINES = {
    "optical flow": "mean Lucas-Kanade flow of the clip (lesson 01) -> nearest centroid",
    "change centroid": "step of the centroid of |frame difference| -> nearest centroid",
    "frame differences": "mean |difference| and mean signed difference of grey frames -> linear probe",
    "first frame": "the first frame's pixels -> linear probe (no motion; what the layout gives away)",
}


def motion_baselines(train_videos: torch.Tensor, train_labels: torch.Tensor, test_videos: torch.Tensor,
                     test_labels: torch.Tensor, seed: int = 0, steps: int = 300) -> dict[str, float]:
    """Test accuracy of every baseline of :data:`MOTION_BASELINES` on the same clips; the probes are lesson 10's
    :func:`~maelearn.evaluate.linear_probe_features` (``steps``, ``seed``). Taught in lesson 10."""
    k = int(max(train_labels.max(), test_labels.max())) + 1

    def probe(features) -> float:
        return linear_probe_features(features(train_videos), train_labels, features(test_videos), test_labels,
                                     num_classes=k, steps=steps, seed=seed).test_acc

    def first_frame(v: torch.Tensor) -> torch.Tensor:
        return (v[:, :, 0] if v.ndim == 5 else v[:, 0]).flatten(1)

    return {
        "optical flow": flow_direction(train_videos, train_labels, test_videos, test_labels, k).accuracy,
        "change centroid": centroid_classifier(change_centroid_shift(train_videos), train_labels,
                                               change_centroid_shift(test_videos), test_labels, k).accuracy,
        "frame differences": probe(frame_differences),
        "first frame": probe(first_frame),
    }
