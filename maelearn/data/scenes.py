"""Shape scenes: a procedural image benchmark with headroom for self-supervised learning.

Each 32x32 colour image shows one large silhouette whose class is its global structure (:data:`SCENE_CLASSES`),
under nuisances a linear read-out of raw pixels cannot see through: position and scale, rotation
(up to +-``max_angle``), a random colour, a tinted crop of a scikit-image photograph or texture as background,
``clutter`` smaller silhouettes and, with probability ``occluder_p``, a bar. The headroom is the ``baselines`` of
``data/ablations_cpu.json``, which lesson 09 prints. Why only +-15 degrees: a kNN on raw pixels finds a training
scene with the same silhouette at a similar place and size; in the calibration runs it scored 0.286 with full
rotation, 0.566 here, but full rotation makes a square and a diamond one class."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F

from maelearn.data.images import PHOTOS, ImageSet

#: The ten classes, each a silhouette defined by its global structure.
SCENE_CLASSES = ("disk", "ring", "square", "triangle", "cross", "star", "L", "T", "crescent", "dumbbell")
#: Photographs and textures bundled with scikit-image used as backgrounds (no download).
BACKGROUNDS = PHOTOS + ("brick", "grass", "gravel", "camera", "moon", "coins", "page", "clock", "text")
MAX_CLUTTER = 1
OCCLUDER_P = 0.3
MAX_ANGLE = math.pi / 12  # +-15 degrees
BACKGROUND_CONTRAST = (0.4, 0.9)
_POOL_SIDE = 128


@functools.lru_cache(maxsize=1)
def _background_pool() -> tuple[torch.Tensor, ...]:
    """The background photos as float tensors (3, H, W) in [0, 1] (grey ones repeated), shorter side
    :data:`_POOL_SIDE` pixels."""
    import skimage.data

    out = []
    for name in BACKGROUNDS:
        img = np.atleast_3d(getattr(skimage.data, name)())[..., :3].astype(np.float32)  # (H, W, 1 or 3)
        img /= 255.0 if img.max() > 1.5 else 1.0
        t = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None]
        t = F.interpolate(t, scale_factor=_POOL_SIDE / min(t.shape[-2:]), mode="bilinear", align_corners=False,
                          antialias=True)
        out.append(t[0].clamp(0, 1).expand(3, -1, -1).contiguous())
    return tuple(out)


def _box(x: torch.Tensor, y: torch.Tensor, cx: float, cy: float, hx: float, hy: float) -> torch.Tensor:
    return torch.maximum((x - cx).abs() - hx, (y - cy).abs() - hy)


def _disk(x: torch.Tensor, y: torch.Tensor, cx: float, cy: float, r: float) -> torch.Tensor:
    return torch.sqrt((x - cx) ** 2 + (y - cy) ** 2) - r


def _union(*parts: torch.Tensor) -> torch.Tensor:
    return functools.reduce(torch.minimum, parts)


_S3 = math.sqrt(3) / 2
#: Each class's signed distance-like field f(x, y, r) (negative inside) in its canonical frame, where it
#: fits in the unit disk; r = sqrt(x**2 + y**2).
_SDFS = {
    "disk": lambda x, y, r: r - 0.95,
    "ring": lambda x, y, r: (r - 0.72).abs() - 0.26,
    "square": lambda x, y, r: _box(x, y, 0, 0, 0.72, 0.72),
    # equilateral, circumradius 1, centroid at the origin
    "triangle": lambda x, y, r: torch.stack([-y, _S3 * x + 0.5 * y, -_S3 * x + 0.5 * y]).amax(0) - 0.5,
    "cross": lambda x, y, r: _union(_box(x, y, 0, 0, 0.95, 0.27), _box(x, y, 0, 0, 0.27, 0.95)),
    "star": lambda x, y, r: r - (0.62 + 0.36 * torch.cos(5 * torch.atan2(y, x))),
    "L": lambda x, y, r: _union(_box(x, y, -0.45, 0.0, 0.27, 0.9), _box(x, y, 0.1, -0.63, 0.82, 0.27)),
    "T": lambda x, y, r: _union(_box(x, y, 0.0, 0.63, 0.9, 0.27), _box(x, y, 0.0, -0.15, 0.27, 0.8)),
    "crescent": lambda x, y, r: torch.maximum(r - 0.95, -_disk(x, y, 0.5, 0.0, 0.75)),
    "dumbbell": lambda x, y, r: _union(_disk(x, y, -0.62, 0.0, 0.36), _disk(x, y, 0.62, 0.0, 0.36),
                                       _box(x, y, 0.0, 0.0, 0.62, 0.13)),
}


def render_silhouettes(kind: torch.Tensor, cx: torch.Tensor, cy: torch.Tensor, r: torch.Tensor,
                       angle: torch.Tensor, size: int) -> torch.Tensor:
    """Anti-aliased coverage masks (N, size, size) in [0, 1] of silhouettes of class ``kind`` (N,) centred at
    (cx, cy) pixels, radius ``r`` pixels, rotated by ``angle``."""
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    dx = (xx[None] - cx[:, None, None]) / r[:, None, None]
    dy = (cy[:, None, None] - yy[None]) / r[:, None, None]  # y up in the canonical frame
    c, s = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    u, v = c * dx + s * dy, -s * dx + c * dy
    out = torch.empty(kind.shape[0], size, size)
    for k, name in enumerate(SCENE_CLASSES):
        idx = torch.nonzero(kind == k).flatten()
        x, y = u[idx], v[idx]
        sdf = _SDFS[name](x, y, torch.sqrt(x**2 + y**2)) * r[idx, None, None]  # in pixels
        out[idx] = (0.5 - sdf).clamp(0, 1)
    return out


def _backgrounds(n: int, size: int, rng: np.random.Generator, contrast_range: tuple[float, float]) -> torch.Tensor:
    """(n, 3, size, size) random crops of the background pool, tinted and flipped."""
    pool = _background_pool()
    out = torch.empty(n, 3, size, size)
    for i, which in enumerate(rng.integers(len(pool), size=n)):
        img = pool[which]
        h, w = img.shape[1:]
        side = min(int(rng.integers(size, 2 * size + 1)), h, w)
        top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        crop = img[None, :, top : top + side, left : left + side]
        out[i] = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=True)[0]
    flip = torch.from_numpy(rng.random(n) < 0.5)
    out[flip] = out[flip].flip(-1)
    tint = torch.from_numpy(rng.uniform(0.6, 1.25, size=(n, 3, 1, 1))).float()
    contrast = torch.from_numpy(rng.uniform(*contrast_range, size=(n, 1, 1, 1))).float()
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    return ((out - mean) * contrast + mean) * tint


def _contrasting_colours(under: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """(n, 3) random colours whose brightness differs from ``under`` (n, 3) by >= 0.35."""
    n = under.shape[0]
    col = torch.from_numpy(rng.uniform(0, 1, size=(n, 3))).float()
    lum_under = under.mean(1)
    # Push the colour's brightness away from what lies beneath (keep its hue).
    target = torch.where(lum_under > 0.5, lum_under - 0.35 - 0.3 * torch.from_numpy(rng.random(n)).float(),
                         lum_under + 0.35 + 0.3 * torch.from_numpy(rng.random(n)).float()).clamp(0.02, 0.98)
    return (col - col.mean(1, keepdim=True) + target[:, None]).clamp(0, 1)


def scenes(n: int = 2048, size: int = 32, seed: int = 0, clutter: int = MAX_CLUTTER, occluder_p: float = OCCLUDER_P,
           max_angle: float = MAX_ANGLE, background_contrast: tuple[float, float] = BACKGROUND_CONTRAST) -> ImageSet:
    """``n`` shape scenes (N, 3, size, size) in [0, 1], labels (N,) into :data:`SCENE_CLASSES`. ``attributes``:
    ``x``, ``y``, ``radius`` (pixels), ``angle`` (radians), ``clutter`` (count) and ``occluded`` (0/1).
    Deterministic in ``seed``. Taught in lesson 09."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise ValueError(f"size must be an integer >= 16, got {size!r}")
    if not 0 <= clutter <= 8:
        raise ValueError(f"clutter must be in 0..8, got {clutter!r}")
    rng = np.random.default_rng(seed)
    g = lambda *shape: torch.from_numpy(rng.random(shape)).float()
    img = _backgrounds(n, size, rng, background_contrast)
    kinds = len(SCENE_CLASSES)

    # Clutter first (smaller shapes of random classes), so the main silhouette lies on top.
    n_clutter = torch.from_numpy(rng.integers(0, clutter + 1, size=n))
    for j in range(clutter):
        on = n_clutter > j
        k = torch.from_numpy(rng.integers(kinds, size=n))
        rr = size * (0.05 + 0.04 * g(n))
        cx, cy = size * g(n), size * g(n)
        m = render_silhouettes(k, cx, cy, rr, 2 * math.pi * g(n), size)[:, None] * on[:, None, None, None]
        col = torch.from_numpy(rng.uniform(0, 1, size=(n, 3))).float()[:, :, None, None]
        img = m * col + (1 - m) * img

    label = torch.from_numpy(rng.integers(kinds, size=n))
    r = size * (0.3 + 0.12 * g(n))
    margin = 0.55 * r
    cx = margin + (size - 2 * margin) * g(n)
    cy = margin + (size - 2 * margin) * g(n)
    angle = max_angle * (2 * g(n) - 1)
    mask = render_silhouettes(label, cx, cy, r, angle, size)[:, None]  # (N, 1, S, S)
    under = (img * mask).sum((2, 3)) / mask.sum((2, 3)).clamp(min=1e-6)  # (N, 3)
    fg = _contrasting_colours(under, rng)
    # A gentle shading across the silhouette, so it is not one flat colour.
    coords = torch.linspace(-0.5, 0.5, size)
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    slope = 0.3 * (g(n, 2) - 0.5)
    shade = slope[:, :1, None, None] * xx + slope[:, 1:, None, None] * yy
    img = mask * (fg[:, :, None, None] + shade) + (1 - mask) * img

    occluded = torch.from_numpy(rng.random(n) < occluder_p)
    theta = math.pi * g(n)
    width = 1.0 + 1.5 * g(n)
    ox, oy = cx + 0.6 * r * (g(n) - 0.5), cy + 0.6 * r * (g(n) - 0.5)
    pix = torch.arange(size, dtype=torch.float32) + 0.5
    py, px = torch.meshgrid(pix, pix, indexing="ij")
    dist = ((px[None] - ox[:, None, None]) * torch.sin(theta)[:, None, None]
            - (py[None] - oy[:, None, None]) * torch.cos(theta)[:, None, None]).abs()
    bar = ((width[:, None, None] / 2 + 0.5 - dist).clamp(0, 1) * occluded[:, None, None])[:, None]
    bar_col = torch.from_numpy(rng.uniform(0, 1, size=(n, 3))).float()[:, :, None, None]
    img = bar * bar_col + (1 - bar) * img

    img = img + 0.02 * torch.from_numpy(rng.standard_normal((n, 3, size, size))).float()
    attrs = {"x": cx, "y": cy, "radius": r, "angle": angle, "clutter": n_clutter.long(), "occluded": occluded.long()}
    return ImageSet(img.clamp(0, 1).contiguous(), label.long(), list(SCENE_CLASSES), attrs, name="scenes")


#: Offsets that keep the streams of the labelled train, test and unlabelled sets disjoint.
_TEST_STREAM, _UNLABELLED_STREAM = 1_000_003, 2_000_029


def scene_benchmark(n_train: int = 5000, n_test: int = 2000, seed: int = 0, size: int = 32, **nuisances) -> tuple[ImageSet, ImageSet]:
    """The fixed labelled split: ``n_train`` training and ``n_test`` test scenes. The test images come from a
    random stream disjoint from the training images', so a larger ``n_train`` never moves a test image into
    training. Taught in lesson 08."""
    return scenes(n_train, size, seed, **nuisances), scenes(n_test, size, seed + _TEST_STREAM, **nuisances)


def unlabelled_scenes(n: int, seed: int = 0, size: int = 32) -> torch.Tensor:
    """``n`` further scenes (N, 3, size, size) from a stream disjoint from :func:`scene_benchmark`'s, for
    self-supervised pretraining beyond the labelled set."""
    return scenes(n, size, seed + _UNLABELLED_STREAM).images
