"""Procedural video: coloured shapes gliding over a static textured background, with the
true optical flow of every frame and a motion-direction label.

Every class uses the same shapes, colours, sizes and backgrounds, so a single frame cannot
tell the direction: a model has to look at motion (lesson 01's optical flow, lesson 10's
VideoMAE). ``pan=True`` moves the whole scene, as a camera pan (lesson 10's clips);
:func:`unlabelled_shapes` draws more clips from a disjoint seed stream for pretraining.
Shapes are anti-aliased at sub-pixel positions over a smooth texture, so motion is smooth
and gradient methods (Lucas-Kanade) have something to track.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from maelearn.data.base import LabelledSet
from maelearn.data.images import COLOURS, SHAPES, shape_masks

#: Class names for 4 and 8 directions, in image coordinates (x to the right, y downwards),
#: counter-clockwise on screen starting at "right".
DIRECTIONS = {
    4: ["right", "up", "left", "down"],
    8: ["right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right"],
}


#: Backgrounds of :func:`moving_shapes`.
BACKGROUNDS = ("texture", "smooth", "ramp")


@dataclass
class VideoSet(LabelledSet):
    """Videos (N, C, T, H, W) float32 in [0, 1] with motion-direction labels (N,), class
    names, and the true optical flow (N, T-1, 2, H, W): channel 0 is dx, channel 1 is dy,
    in pixels per frame, from frame t to t+1, zero on the (static) background.
    ``attributes`` holds per-video vectors: ``shape``, ``colour``, ``speed`` (pixels per
    frame), ``angle`` (radians, counter-clockwise on screen from "right")."""

    videos: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    flow: torch.Tensor | None = None
    attributes: dict[str, torch.Tensor] = field(default_factory=dict)
    name: str = "moving_shapes"

    def frames(self, t: int) -> torch.Tensor:
        """Frame ``t`` of every video as an image batch (N, C, H, W)."""
        return self.videos[:, :, t]


def _smooth_background(n: int, size: int, g: torch.Generator) -> torch.Tensor:
    """Smooth random colour fields (n, 3, size, size) in about [0.1, 0.6]: a random linear
    ramp plus a 3 x 3 random grid upsampled bicubically. Inside a small patch it is close
    to a plane, so a masked patch can be predicted from its neighbours."""
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size - 0.5
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    slope = 0.3 * (2 * torch.rand(n, 3, 2, generator=g) - 1)  # per channel, per axis
    ramp = slope[..., 0, None, None] * xx + slope[..., 1, None, None] * yy
    blobs = F.interpolate(torch.rand(n, 3, 3, 3, generator=g), size=(size, size), mode="bicubic", align_corners=False)
    return (0.15 + 0.25 * blobs.clamp(0, 1) + ramp + 0.1 * torch.rand(n, 3, 1, 1, generator=g)).clamp(0, 1)


def _ramp_background(n: int, size: int, g: torch.Generator) -> torch.Tensor:
    """Random linear colour ramps (n, 3, size, size) around 0.35: every patch of one is
    the same plane up to an offset, so a masked patch is predictable from any other."""
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size - 0.5
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    slope = 0.5 * (2 * torch.rand(n, 3, 2, generator=g) - 1)
    return (0.35 + slope[..., 0, None, None] * xx + slope[..., 1, None, None] * yy).clamp(0, 1)


def _texture(n: int, size: int, g: torch.Generator) -> torch.Tensor:
    """Smooth random colour textures (n, 3, size, size) in about [0.15, 0.65]: random
    values on coarse grids of two scales, upsampled bicubically and mixed."""
    coarse = F.interpolate(torch.rand(n, 3, 4, 4, generator=g), size=(size, size), mode="bicubic", align_corners=False)
    fine = F.interpolate(torch.rand(n, 3, max(2, size // 4), max(2, size // 4), generator=g), size=(size, size), mode="bicubic", align_corners=False)
    tex = 0.15 + 0.3 * coarse.clamp(0, 1) + 0.2 * fine.clamp(0, 1)
    return tex.clamp(0, 1)


def _background_at(canvas: torch.Tensor, margin: int, vx: torch.Tensor, vy: torch.Tensor, t: float) -> torch.Tensor:
    """The (N, 3, S, S) window of a panning background at time ``t`` (frames from the
    clip's middle): canvas (N, 3, S + 2 margin, S + 2 margin) moved by ``(vx, vy) * t``
    pixels (N,) each, sampled bilinearly at sub-pixel offsets."""
    n, _, big, _ = canvas.shape
    size = big - 2 * margin
    coords = torch.arange(size, dtype=torch.float32) + 0.5 + margin  # pixel centres in the canvas
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    sx = xx[None] - (vx * t)[:, None, None]  # content at x came from x - v t
    sy = yy[None] - (vy * t)[:, None, None]
    grid = torch.stack([sx / big * 2 - 1, sy / big * 2 - 1], dim=-1)  # (N, S, S, 2), x first
    return F.grid_sample(canvas, grid, mode="bilinear", padding_mode="border", align_corners=False)


def moving_shapes(
    n: int,
    frames: int = 8,
    size: int = 32,
    seed: int = 0,
    directions: int = 4,
    speed: tuple[float, float] = (0.5, 1.5),
    jitter: float = 0.25,
    noise: float = 0.01,
    with_flow: bool = True,
    background: str = "texture",
    distractors: int = 0,
    keep_inside: bool = True,
    movers: int = 1,
    pan: bool = False,
) -> VideoSet:
    """``n`` videos of one shape moving in a straight line at constant sub-pixel speed over
    a static textured background.

    Args:
        n: number of videos.
        frames: frames per video (T >= 2).
        size: frame height and width in pixels (>= 16).
        seed: everything is deterministic in ``seed``.
        directions: 4 or 8 direction classes (:data:`DIRECTIONS`).
        speed: (low, high) speed in pixels per frame, drawn uniformly (lowered for a video
            when the whole path would not fit inside the frame).
        jitter: the angle deviates from its class's direction by up to ``jitter`` times
            half the angle between neighbouring classes (0 = exact directions).
        noise: std of independent pixel noise added to every frame (sensor noise).
        with_flow: also return the true flow (N, T-1, 2, H, W); False saves memory.
        background: ``"texture"`` (smooth at two scales, with detail a few pixels wide,
            for optical flow) or ``"smooth"`` (a ramp plus one coarse scale: locally close
            to a plane, so a masked autoencoder can predict it from neighbouring patches)
            or ``"ramp"`` (one linear colour ramp: every patch the same plane).
        distractors: static shapes drawn on the background, of the same shapes, colours
            and sizes as the moving one, so that a single frame cannot tell which shape
            moves (nor where to).
        keep_inside: keep the whole path inside the frame (the start position then hints
            at the direction: a shape near the left edge cannot be moving left). False
            centres the path on a uniform position and lets the shape leave the frame, so
            no single frame's layout predicts the direction.
        movers: shapes moving together with the same velocity (a flock; the label is
            their common direction). The first is the one ``attributes`` describe.
        pan: the background, with the distractors painted on it, moves with the same
            velocity as the shapes, as when a camera pans across a scene: every pixel
            moves, so every cube's content has come from somewhere else (and the flow is
            the velocity everywhere). The background is drawn on a larger canvas and
            cropped at sub-pixel offsets (bilinear).

    Returns:
        A :class:`VideoSet` with ``videos`` (N, 3, T, H, W), ``labels`` (N,), ``classes``,
        ``flow`` (N, T-1, 2, H, W) and ``attributes``.
    Taught in lesson 01.
    """
    for name, value, low in (("n", n, 1), ("frames", frames, 2), ("size", size, 16)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
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
    if not isinstance(distractors, int) or isinstance(distractors, bool) or distractors < 0:
        raise ValueError(f"distractors must be an int >= 0, got {distractors!r}")
    if not isinstance(movers, int) or isinstance(movers, bool) or movers < 1:
        raise ValueError(f"movers must be an int >= 1, got {movers!r}")
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
        room = size - 2 * (r + 1)
        spd = torch.minimum(spd, 0.9 * room / (frames - 1))
    vx = spd * torch.cos(angle)
    vy = -spd * torch.sin(angle)  # screen y points down; "up" has negative dy
    span_x, span_y = vx * (frames - 1), vy * (frames - 1)
    u = torch.rand(n, 2, generator=g)
    x_lo = r + 1 - torch.clamp(span_x, max=0)
    x_hi = size - r - 1 - torch.clamp(span_x, min=0)
    y_lo = r + 1 - torch.clamp(span_y, max=0)
    y_hi = size - r - 1 - torch.clamp(span_y, min=0)
    x0 = x_lo + (x_hi - x_lo) * u[:, 0]
    y0 = y_lo + (y_hi - y_lo) * u[:, 1]
    if not keep_inside:  # the path's midpoint is uniform over the frame
        x0 = r + (size - 2 * r) * u[:, 0] - span_x / 2
        y0 = r + (size - 2 * r) * u[:, 1] - span_y / 2

    palette = torch.tensor(list(COLOURS.values()))  # (4, 3)
    fg = (palette[colour] + 0.08 * torch.randn(n, 3, generator=g)).clamp(0, 1)[:, :, None, None]  # (N, 3, 1, 1)
    # A faint texture on the shape too, moving with it, so its inside has gradients.
    make_bg = {"texture": _texture, "smooth": _smooth_background, "ramp": _ramp_background}[background]
    # With pan, the background lives on a canvas `margin` pixels larger on every side.
    margin = math.ceil(hi * (frames - 1) / 2) + 1 if pan else 0
    canvas = size + 2 * margin
    bg = make_bg(n, canvas, g)  # (N, 3, S', S')
    for _ in range(distractors):  # static shapes, painted onto the background
        dk = torch.randint(len(SHAPES), (n,), generator=g)
        dc = (palette[torch.randint(len(COLOURS), (n,), generator=g)] + 0.08 * torch.randn(n, 3, generator=g)).clamp(0, 1)
        dr = size * (0.11 + 0.07 * torch.rand(n, generator=g))
        dxy = margin + dr[:, None] + 1 + (size - 2 * (dr[:, None] + 1)) * torch.rand(n, 2, generator=g)
        dm = shape_masks(dk, dxy[:, 0], dxy[:, 1], dr, canvas).unsqueeze(1)  # (N, 1, S', S')
        bg = dm * dc[:, :, None, None] + (1 - dm) * bg
    # Extra movers: their own shape, colour, size and place, the same velocity.
    flock = [(kind, fg, r, x0, y0)]
    for _ in range(movers - 1):
        k2 = torch.randint(len(SHAPES), (n,), generator=g)
        fg2 = (palette[torch.randint(len(COLOURS), (n,), generator=g)] + 0.08 * torch.randn(n, 3, generator=g)).clamp(0, 1)
        r2 = size * (0.11 + 0.07 * torch.rand(n, generator=g))
        u2 = torch.rand(n, 2, generator=g)
        flock.append((k2, fg2[:, :, None, None], r2, r2 + (size - 2 * r2) * u2[:, 0] - span_x / 2,
                      r2 + (size - 2 * r2) * u2[:, 1] - span_y / 2))
    videos = torch.empty(n, 3, frames, size, size)
    flow = torch.zeros(n, frames - 1, 2, size, size) if with_flow else None
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    for t in range(frames):
        frame, m = _background_at(bg, margin, vx, vy, t - (frames - 1) / 2) if pan else bg, torch.zeros(n, 1, size, size)
        for k_i, fg_i, r_i, x_i, y_i in reversed(flock):  # the first mover is drawn on top
            cx, cy = x_i + vx * t, y_i + vy * t
            m_i = shape_masks(k_i, cx, cy, r_i, size).unsqueeze(1)  # (N, 1, S, S)
            # Shading across the shape (fixed to the shape, so it moves with it).
            shade = 1.0 + 0.25 * ((xx[None] - cx[:, None, None]) + (yy[None] - cy[:, None, None])) / (2 * r_i[:, None, None])
            frame = m_i * (fg_i * shade.unsqueeze(1)).clamp(0, 1) + (1 - m_i) * frame
            m = torch.maximum(m, m_i)
        if noise > 0:
            frame = frame + noise * torch.randn(n, 3, size, size, generator=g)
        videos[:, :, t] = frame.clamp(0, 1)
        if with_flow and t < frames - 1:
            inside = torch.ones_like(m[:, 0]) if pan else (m[:, 0] > 0.5).float()  # pixels that move
            flow[:, t, 0] = inside * vx[:, None, None]
            flow[:, t, 1] = inside * vy[:, None, None]
    attrs = {"shape": kind, "colour": colour, "speed": spd, "angle": angle}
    return VideoSet(videos, labels, list(DIRECTIONS[directions]), flow, attrs)


#: Seed offset of :func:`unlabelled_shapes`: its clips come from a stream disjoint from the
#: labelled clips' (a labelled set uses seeds near its own ``seed``).
_UNLABELLED_STREAM = 3_000_017


def unlabelled_shapes(n: int, seed: int = 0, **kwargs) -> torch.Tensor:
    """``n`` further clips (N, 3, T, H, W) of :func:`moving_shapes` with the same ``kwargs``
    (frames, size, background, ...), from a seed stream disjoint from the labelled set of
    the same ``seed``: unlabelled clips for self-supervised pretraining beyond the labelled
    set. Their labels and flow are dropped.
    Taught in lesson 10."""
    return moving_shapes(n, seed=seed + _UNLABELLED_STREAM, **{**kwargs, "with_flow": False}).videos
