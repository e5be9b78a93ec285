"""Synthesized, labelled multichannel time series: sensor-like "activity" recordings.

``channels`` signals of ``length`` steps at ``sr`` Hz (3 x 128 at 50 Hz by default), like an accelerometer's x, y,
z. The five classes differ in rhythm; rate, phase, loudness, offset, trend and noise are random within one.

* rest: offset, trend and noise, plus a faint tremor at 6-10 Hz;
* walk: 1.6-2.2 Hz with its second harmonic; run: 2.6-3.4 Hz, louder, 2nd and 3rd harmonics;
* cycle: a pure 1.2-2.0 Hz sine, channels 0 and 1 a quarter period apart (a circle);
* jump: short Gaussian impacts at 0.8-1.4 per second, strongest on the last channel."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from maelearn.checks import check_int
from maelearn.data.base import LabelledSet

#: Class names, in label order.
CLASSES = ("rest", "walk", "run", "cycle", "jump")


@dataclass
class SeriesSet(LabelledSet):
    """Multichannel series ``series`` (N, C, L) float32 at ``sr`` Hz with labels (N,) indexing ``classes``.
    ``attributes`` holds per-series vectors: ``rate`` (Hz: the fundamental, the impact rate, or the tremor
    frequency for rest), ``phase`` (radians), ``gain`` (overall loudness)."""

    series: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    sr: float
    attributes: dict[str, torch.Tensor] = field(default_factory=dict)
    name: str = "activity_series"


def activity_series(n: int, channels: int = 3, length: int = 128, sr: float = 50.0, seed: int = 0,
                    noise: float = 0.3) -> SeriesSet:
    """``n`` labelled series (N, ``channels``, ``length``), balanced over :data:`CLASSES` (label ``i % 5`` before
    a seeded shuffle; the module docstring describes the classes). ``noise`` is the std of the white noise added
    to every sample (the signals' amplitudes are of order 1). Deterministic in ``seed``. Taught in lesson 12."""
    check_int("n", n, 1)
    check_int("channels", channels, 2, " (cycle needs two channels in quadrature)")
    check_int("length", length, 16, " steps")
    if not sr >= 10:
        raise ValueError(f"sr must be >= 10 Hz (run's third harmonic reaches about 10 Hz), got {sr!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    t = np.arange(length) / sr  # (L,) seconds
    labels = rng.permutation(np.arange(n) % len(CLASSES))
    out = np.empty((n, channels, length), np.float32)
    attrs = {k: np.empty(n) for k in ("rate", "phase", "gain")}
    for i, label in enumerate(labels):
        gain = rng.uniform(0.6, 1.4)
        mix = rng.uniform(0.3, 1.0, channels)  # how strongly each channel sees the motion
        phase = rng.uniform(0, 2 * np.pi)
        shift = rng.uniform(-0.5, 0.5, channels)  # small per-channel phase differences
        if label == 0:  # rest: a faint tremor
            rate = rng.uniform(6, 10)
            x = 0.1 * mix[:, None] * np.sin(2 * np.pi * rate * t + phase + shift[:, None])
        elif label == 1:  # walk
            rate = rng.uniform(1.6, 2.2)
            w = 2 * np.pi * rate * t + phase + shift[:, None]
            x = mix[:, None] * (np.sin(w) + rng.uniform(0.5, 1.0) * np.sin(2 * w + rng.uniform(0, 2 * np.pi)))
        elif label == 2:  # run
            rate = rng.uniform(2.6, 3.4)
            w = 2 * np.pi * rate * t + phase + shift[:, None]
            x = 1.8 * mix[:, None] * (np.sin(w) + 0.8 * np.sin(2 * w + 1.0) + 0.4 * np.sin(3 * w + 2.0))
        elif label == 3:  # cycle: a circle in channels 0 and 1
            rate = rng.uniform(1.2, 2.0)
            w = 2 * np.pi * rate * t + phase
            x = np.zeros((channels, length))
            x[0], x[1] = 1.2 * np.cos(w), 1.2 * np.sin(w)
            x[2:] = 0.2 * mix[2:, None] * np.sin(w + shift[2:, None])
        else:  # jump: Gaussian impacts
            rate = rng.uniform(0.8, 1.4)
            width = rng.uniform(0.04, 0.08)
            first = rng.uniform(0, 1 / rate)
            times = np.arange(first, t[-1] + 1 / rate, 1 / rate)
            bumps = np.exp(-0.5 * ((t[None, :] - times[:, None]) / width) ** 2).sum(0)  # (L,)
            weight = np.append(mix[:-1], 1.0)  # the last channel sees the impacts fully
            x = 2.5 * weight[:, None] * bumps[None]
        offset = rng.normal(0, 1.0, channels)[:, None]  # gravity on each axis
        trend = rng.normal(0, 0.5, channels)[:, None] * (t / t[-1])[None]  # slow drift
        out[i] = gain * x + offset + trend + noise * rng.standard_normal((channels, length))
        attrs["rate"][i], attrs["phase"][i], attrs["gain"][i] = rate, phase, gain
    return SeriesSet(torch.from_numpy(out), torch.tensor(labels, dtype=torch.long), list(CLASSES), float(sr),
                     {k: torch.tensor(v, dtype=torch.float32) for k, v in attrs.items()})


__all__ = ["CLASSES", "SeriesSet", "activity_series"]
