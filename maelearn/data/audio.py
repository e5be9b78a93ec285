"""Synthesized, labelled audio clips: tones, chirps, harmonic notes, noise bursts and click
trains, with random pitch, loudness, timing and a little background noise.

Every clip is generated from the seed, so the set is offline, any size and reproducible.
The classes differ in *how energy is spread over frequency and time*, which a spectrogram
shows at a glance, while the raw samples of two clips of the same class (other pitch, other
onset, other phase) are nearly uncorrelated: the point of lesson 02's features.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from maelearn.data.base import LabelledSet

#: Class names, in label order.
CLASSES = ("tone", "chirp", "harmonic", "noise burst", "click train")


@dataclass
class AudioSet(LabelledSet):
    """Mono clips ``waves`` (N, L) float32 in about [-1, 1] at sample rate ``sr`` (Hz), with
    labels (N,) indexing ``classes``. ``attributes`` holds per-clip vectors: ``onset`` and
    ``duration`` (seconds), ``amplitude``, ``f0`` (Hz; the start frequency of a chirp, the
    fundamental of a harmonic note, the centre of a noise band, the click rate)."""

    waves: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    sr: int
    attributes: dict[str, torch.Tensor] = field(default_factory=dict)
    name: str = "synth_clips"


def _envelope(t: np.ndarray, onset: float, duration: float, attack: float, release: float) -> np.ndarray:
    """Piecewise-linear attack / sustain / release envelope over times ``t`` (seconds)."""
    rise = np.clip((t - onset) / attack, 0, 1)
    fall = np.clip((onset + duration - t) / release, 0, 1)
    return np.minimum(rise, fall)


def synth_clips(n: int, seconds: float = 1.0, sr: int = 16000, seed: int = 0, noise: float = 0.02) -> AudioSet:
    """``n`` labelled clips of ``seconds`` at ``sr`` Hz, balanced over :data:`CLASSES`
    (label ``i % 5`` before a seeded shuffle).

    * tone: one sinusoid, 200-2000 Hz;
    * chirp: a sweep up or down between two frequencies in 150-3000 Hz (exponential);
    * harmonic: a fundamental of 110-440 Hz with 4-8 harmonics of decaying weight;
    * noise burst: band-limited noise, centre 300-4000 Hz, bandwidth 20-60 % of it;
    * click train: short decaying clicks at 8-40 per second.

    Each sound has a random onset, duration (30-80 % of the clip), loudness (0.3-0.9) and
    phase, and every clip gets white background noise of std ``noise``.

    Returns an :class:`AudioSet` with ``waves`` (N, L = round(seconds * sr)) float32.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if not isinstance(sr, int) or sr < 4000:
        raise ValueError(f"sr must be an int sample rate >= 4000 Hz, got {sr!r}")
    if not seconds > 0.1:
        raise ValueError(f"seconds must be > 0.1, got {seconds!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    length = int(round(seconds * sr))
    t = np.arange(length) / sr
    labels = rng.permutation(np.arange(n) % len(CLASSES))
    waves = np.empty((n, length), np.float32)
    onsets, durations, amps, f0s = (np.empty(n) for _ in range(4))
    nyq = sr / 2
    for i, label in enumerate(labels):
        duration = seconds * rng.uniform(0.3, 0.8)
        onset = rng.uniform(0, seconds - duration)
        amp = rng.uniform(0.3, 0.9)
        phase = rng.uniform(0, 2 * np.pi)
        env = _envelope(t, onset, duration, attack=rng.uniform(0.005, 0.05), release=rng.uniform(0.01, 0.1))
        local = np.clip(t - onset, 0, None)
        if label == 0:  # tone
            f0 = rng.uniform(200, min(2000, 0.4 * nyq))
            x = np.sin(2 * np.pi * f0 * t + phase)
        elif label == 1:  # chirp, exponential sweep f0 -> f1 over the sound's duration
            lo, hi = 150, min(3000, 0.45 * nyq)
            f0, f1 = np.exp(rng.uniform(np.log(lo), np.log(hi), 2))
            while abs(np.log(f1 / f0)) < np.log(2):  # at least an octave
                f0, f1 = np.exp(rng.uniform(np.log(lo), np.log(hi), 2))
            k = np.log(f1 / f0) / duration
            x = np.sin(2 * np.pi * f0 * (np.exp(k * local) - 1) / k + phase)
        elif label == 2:  # harmonic note
            f0 = rng.uniform(110, 440)
            x = np.zeros(length)
            for h in range(1, int(rng.integers(4, 9)) + 1):
                if h * f0 < 0.9 * nyq:
                    x += rng.uniform(0.5, 1.0) / h * np.sin(2 * np.pi * h * f0 * t + rng.uniform(0, 2 * np.pi))
            x /= np.abs(x).max() + 1e-9
        elif label == 3:  # band-limited noise burst, filtered in the frequency domain
            f0 = rng.uniform(300, min(4000, 0.6 * nyq))
            bw = f0 * rng.uniform(0.2, 0.6)
            spec = np.fft.rfft(rng.standard_normal(length))
            freqs = np.fft.rfftfreq(length, 1 / sr)
            spec *= np.exp(-0.5 * ((freqs - f0) / (bw / 2)) ** 2)
            x = np.fft.irfft(spec, length)
            x /= np.abs(x).max() + 1e-9
        else:  # click train: decaying 2 ms clicks at a random rate
            f0 = rng.uniform(8, 40)
            tau = rng.uniform(0.0005, 0.002)
            phase_t = (local * f0) % 1.0 / f0  # time since the last click
            carrier = np.sin(2 * np.pi * rng.uniform(1000, min(3000, 0.4 * nyq)) * t)
            x = np.exp(-phase_t / tau) * carrier * (t >= onset)
        wave = amp * env * x + noise * rng.standard_normal(length)
        waves[i] = np.clip(wave, -1, 1)
        onsets[i], durations[i], amps[i], f0s[i] = onset, duration, amp, f0
    attrs = {
        "onset": torch.tensor(onsets, dtype=torch.float32),
        "duration": torch.tensor(durations, dtype=torch.float32),
        "amplitude": torch.tensor(amps, dtype=torch.float32),
        "f0": torch.tensor(f0s, dtype=torch.float32),
    }
    return AudioSet(torch.from_numpy(waves), torch.tensor(labels, dtype=torch.long), list(CLASSES), sr, attrs)
