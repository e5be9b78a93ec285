"""Procedural video: coloured shapes gliding over a textured background, with the true optical flow of every frame
and a motion-direction label. Every class uses the same shapes, colours, sizes and backgrounds, so a single frame
cannot tell the direction: a model has to look at motion (lesson 01's optical flow, lesson 10's VideoMAE). Shapes
are anti-aliased at sub-pixel positions over a smooth texture, so motion is smooth and gradient methods
(Lucas-Kanade) have something to track."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from maelearn.checks import check_int
from maelearn.data.base import LabelledSet
from maelearn.data.images import COLOURS, SHAPES, shape_masks

#: Class names for 4 and 8 directions, in image coordinates (x to the right, y downwards),
#: counter-clockwise on screen starting at "right".
DIRECTIONS = {4: ["right", "up", "left", "down"],
              8: ["right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right"]}
#: Backgrounds of :func:`moving_shapes`.
BACKGROUNDS = ("texture", "smooth", "ramp")


@dataclass
class VideoSet(LabelledSet):
    """Videos (N, C, T, H, W) float32 in [0, 1] with motion-direction labels (N,), class names, and the true
    optical flow (N, T-1, 2, H, W): channel 0 is dx, channel 1 is dy, in pixels per frame, from frame t to t+1,
    zero on the (static) background. ``attributes`` holds per-video vectors: ``shape``, ``colour``, ``speed``
    (pixels per frame), ``angle`` (radians, counter-clockwise on screen from "right")."""

    videos: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    flow: torch.Tensor | None = None
    attributes: dict[str, torch.Tensor] = field(default_factory=dict)
    name: str = "moving_shapes"

    def frames(self, t: int) -> torch.Tensor:
        """Frame ``t`` of every video as an image batch (N, C, H, W)."""
        return self.videos[:, :, t]


def _background(kind: str, n: int, size: int, g: torch.Generator) -> torch.Tensor:
    """Random colour backgrounds (n, 3, size, size) in about [0.1, 0.65] of a kind in :data:`BACKGROUNDS`:
    bicubically upsampled random grids (4 x 4 and size/4 for texture, 3 x 3 for smooth) and linear ramps."""
    def upsampled(coarse: torch.Tensor) -> torch.Tensor:
        return F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1)

    if kind == "texture":
        coarse = upsampled(torch.rand(n, 3, 4, 4, generator=g))
        fine = upsampled(torch.rand(n, 3, max(2, size // 4), max(2, size // 4), generator=g))
        return (0.15 + 0.3 * coarse + 0.2 * fine).clamp(0, 1)
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size - 0.5
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    slope = (0.3 if kind == "smooth" else 0.5) * (2 * torch.rand(n, 3, 2, generator=g) - 1)  # per channel, per axis
    ramp_x, ramp_y = slope[..., 0, None, None] * xx, slope[..., 1, None, None] * yy
    if kind == "ramp":
        return (0.35 + ramp_x + ramp_y).clamp(0, 1)
    blobs = upsampled(torch.rand(n, 3, 3, 3, generator=g))
    return (0.15 + 0.25 * blobs + (ramp_x + ramp_y) + 0.1 * torch.rand(n, 3, 1, 1, generator=g)).clamp(0, 1)


def _random_shapes(n: int, size: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Further shapes (distractors, extra movers), one per video: kind (n,) into :data:`SHAPES`, colour (n, 3) and
    half-size (n,) in pixels, drawn as the labelled shape's."""
    kind = torch.randint(len(SHAPES), (n,), generator=g)
    colour = torch.tensor(list(COLOURS.values()))[torch.randint(len(COLOURS), (n,), generator=g)]
    colour = (colour + 0.08 * torch.randn(n, 3, generator=g)).clamp(0, 1)
    return kind, colour, size * (0.11 + 0.07 * torch.rand(n, generator=g))


def _background_at(canvas: torch.Tensor, margin: int, vx: torch.Tensor, vy: torch.Tensor, t: float) -> torch.Tensor:
    """The (N, 3, S, S) window of a panning background at time ``t`` (frames from the clip's middle): canvas
    (N, 3, S + 2 margin, S + 2 margin) moved by ``(vx, vy) * t`` pixels (N,) each, sampled bilinearly."""
    n, _, big, _ = canvas.shape
    size = big - 2 * margin
    coords = torch.arange(size, dtype=torch.float32) + 0.5 + margin  # pixel centres in the canvas
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    sx = xx[None] - (vx * t)[:, None, None]  # content at x came from x - v t
    sy = yy[None] - (vy * t)[:, None, None]
    grid = torch.stack([sx / big * 2 - 1, sy / big * 2 - 1], dim=-1)  # (N, S, S, 2), x first
    return F.grid_sample(canvas, grid, mode="bilinear", padding_mode="border", align_corners=False)


def moving_shapes(n: int, frames: int = 8, size: int = 32, seed: int = 0, directions: int = 4,
                  speed: tuple[float, float] = (0.5, 1.5), jitter: float = 0.25, noise: float = 0.01,
                  with_flow: bool = True, background: str = "texture", distractors: int = 0,
                  keep_inside: bool = True, movers: int = 1, pan: bool = False) -> VideoSet:
    """``n`` videos of a shape moving in a straight line at constant sub-pixel speed, deterministic in ``seed``.

    Args:
        n, frames, size: videos, frames per video (>= 2), frame side in pixels (>= 16).
        directions: 4 or 8 direction classes (:data:`DIRECTIONS`).
        speed: (low, high) pixels per frame, drawn uniformly (lowered where the path would not fit).
        jitter: the angle deviates from its class's direction by up to ``jitter`` times half the angle
            between neighbouring classes (0 = exact directions).
        noise: std of independent pixel noise added to every frame (sensor noise).
        with_flow: also return the true flow (N, T-1, 2, H, W); False saves memory.
        background: ``"texture"`` (two scales, detail a few pixels wide, for optical flow), ``"smooth"`` (a
            ramp plus one coarse scale: locally close to a plane, so a masked autoencoder can predict it from
            neighbouring patches) or ``"ramp"`` (one linear colour ramp: every patch a plane up to an offset).
        distractors: static shapes painted on the background, drawn like the moving one, so a single frame
            cannot tell which shape moves (nor where to).
        keep_inside: keep the whole path inside the frame (the start position then hints at the direction: a
            shape near the left edge cannot be moving left). False centres the path on a uniform position
            and lets the shape leave the frame.
        movers: shapes moving together with the same velocity (a flock; the label is their common
            direction). The first is the one ``attributes`` describe.
        pan: the background, distractors included, moves with the shapes' velocity, as in a camera pan:
            every pixel moves (the flow is the velocity everywhere).
    Returns a :class:`VideoSet`, ``videos`` (N, 3, T, H, W) and ``flow`` (N, T-1, 2, H, W). Taught in lesson 01."""
    for name, value, low in (("n", n, 1), ("frames", frames, 2), ("size", size, 16), ("distractors", distractors, 0),
                             ("movers", movers, 1)):
        check_int(name, value, low)
    if directions not in DIRECTIONS:
        raise ValueError(f"directions must be one of {sorted(DIRECTIONS)}, got {directions!r}")
    lo, hi = speed
    if not 0 < lo <= hi:
        raise ValueError(f"speed must be (low, high) with 0 < low <= high, got {speed!r}")
    if not 0 <= jitter <= 1:
        raise ValueError(f"jitter must be in [0, 1], got {jitter!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {BACKGROUNDS}, got {background!r}")
    if not isinstance(pan, bool):
        raise ValueError(f"pan must be True or False, got {pan!r}")

    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(directions, (n,), generator=g)
    kind = torch.randint(len(SHAPES), (n,), generator=g)
    colour = torch.randint(len(COLOURS), (n,), generator=g)
    step = 2 * math.pi / directions
    angle = labels.float() * step + jitter * (step / 2) * (2 * torch.rand(n, generator=g) - 1)
    r = size * (0.11 + 0.07 * torch.rand(n, generator=g))  # half-size in pixels
    spd = lo + (hi - lo) * torch.rand(n, generator=g)
    if keep_inside:  # at most the room left by the shape
        spd = torch.minimum(spd, 0.9 * (size - 2 * (r + 1)) / (frames - 1))
    v = torch.stack([spd * torch.cos(angle), -spd * torch.sin(angle)], 1)  # (N, 2); screen y points down
    span = v * (frames - 1)  # the path from first to last frame

    def centred(r: torch.Tensor, u: torch.Tensor) -> torch.Tensor:  # a start whose path's midpoint is uniform
        return r[:, None] + (size - 2 * r[:, None]) * u - span / 2

    u = torch.rand(n, 2, generator=g)
    if keep_inside:  # uniform over the starts whose whole path stays inside
        low = r[:, None] + 1 - span.clamp(max=0)
        high = size - r[:, None] - 1 - span.clamp(min=0)
        start = low + (high - low) * u
    else:
        start = centred(r, u)
    fg = (torch.tensor(list(COLOURS.values()))[colour] + 0.08 * torch.randn(n, 3, generator=g)).clamp(0, 1)
    # With pan, the background lives on a canvas `margin` pixels larger on every side.
    margin = math.ceil(hi * (frames - 1) / 2) + 1 if pan else 0
    canvas = size + 2 * margin
    bg = _background(background, n, canvas, g)  # (N, 3, S', S')
    for _ in range(distractors):  # static shapes, painted onto the background
        dk, dc, dr = _random_shapes(n, size, g)
        dxy = margin + dr[:, None] + 1 + (size - 2 * (dr[:, None] + 1)) * torch.rand(n, 2, generator=g)
        dm = shape_masks(dk, dxy[:, 0], dxy[:, 1], dr, canvas).unsqueeze(1)  # (N, 1, S', S')
        bg = dm * dc[:, :, None, None] + (1 - dm) * bg
    flock = [(kind, fg, r, start)]  # extra movers: their own shape, colour, size and place
    for _ in range(movers - 1):
        k2, fg2, r2 = _random_shapes(n, size, g)
        flock.append((k2, fg2, r2, centred(r2, torch.rand(n, 2, generator=g))))
    videos = torch.empty(n, 3, frames, size, size)
    flow = torch.zeros(n, frames - 1, 2, size, size) if with_flow else None
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    for t in range(frames):
        frame = _background_at(bg, margin, v[:, 0], v[:, 1], t - (frames - 1) / 2) if pan else bg
        m = torch.zeros(n, 1, size, size)
        for k_i, fg_i, r_i, start_i in reversed(flock):  # the first mover is drawn on top
            cx, cy = (start_i + v * t).unbind(1)
            m_i = shape_masks(k_i, cx, cy, r_i, size).unsqueeze(1)  # (N, 1, S, S)
            # Shading across the shape's diagonal (fixed to the shape, so it moves with it).
            diagonal = (xx[None] - cx[:, None, None]) + (yy[None] - cy[:, None, None])
            shade = 1.0 + 0.25 * diagonal / (2 * r_i[:, None, None])
            frame = m_i * (fg_i[:, :, None, None] * shade.unsqueeze(1)).clamp(0, 1) + (1 - m_i) * frame
            m = torch.maximum(m, m_i)
        if noise > 0:
            frame = frame + noise * torch.randn(n, 3, size, size, generator=g)
        videos[:, :, t] = frame.clamp(0, 1)
        if with_flow and t < frames - 1:
            inside = torch.ones_like(m) if pan else (m > 0.5).float()  # (N, 1, S, S): the pixels that move
            flow[:, t] = inside * v[:, :, None, None]
    attrs = {"shape": kind, "colour": colour, "speed": spd, "angle": angle}
    return VideoSet(videos, labels, list(DIRECTIONS[directions]), flow, attrs)


#: Seed offset of :func:`unlabelled_shapes`, far from the seeds labelled sets use.
_UNLABELLED_STREAM = 3_000_017


def unlabelled_shapes(n: int, seed: int = 0, **kwargs) -> torch.Tensor:
    """``n`` further clips (N, 3, T, H, W) of :func:`moving_shapes` with the same ``kwargs``
    (frames, size, background, ...), from a seed stream disjoint from the labelled set of the same ``seed``:
    unlabelled clips for self-supervised pretraining. Their labels and flow are dropped. Taught in lesson 10."""
    return moving_shapes(n, seed=seed + _UNLABELLED_STREAM, **{**kwargs, "with_flow": False}).videos
