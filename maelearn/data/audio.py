"""Synthesized, labelled audio clips, offline, any number and reproducible from the seed.

:func:`synth_clips`' classes differ in *how energy is spread over frequency and time*, which a spectrogram shows
at a glance, while the raw samples of two clips of the same class (other pitch, onset, phase) are nearly
uncorrelated: the point of lesson 02's features. :func:`sound_patterns`' classes differ only in how a sound
changes over time (lessons 11, 12)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from maelearn.checks import check_int
from maelearn.data.base import LabelledSet

#: Class names, in label order.
CLASSES = ("tone", "chirp", "harmonic", "noise burst", "click train")


@dataclass
class AudioSet(LabelledSet):
    """Mono clips ``waves`` (N, L) float32 in about [-1, 1] at sample rate ``sr`` (Hz), with labels (N,) indexing
    ``classes``. ``attributes`` holds per-clip vectors: ``onset`` and ``duration`` (seconds), ``amplitude``,
    ``f0`` (Hz; a chirp's start, a note's fundamental, a noise band's centre, the click rate)."""

    waves: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    sr: int
    attributes: dict[str, torch.Tensor] = field(default_factory=dict)
    name: str = "synth_clips"


def _envelope(t: np.ndarray, onset: float, duration: float, attack: float, release: float) -> np.ndarray:
    """Piecewise-linear attack / sustain / release envelope over times ``t`` (seconds)."""
    return np.minimum(np.clip((t - onset) / attack, 0, 1), np.clip((onset + duration - t) / release, 0, 1))


def synth_clips(n: int, seconds: float = 1.0, sr: int = 16000, seed: int = 0, noise: float = 0.02) -> AudioSet:
    """``n`` labelled clips of ``seconds`` at ``sr`` Hz, balanced over :data:`CLASSES` (label ``i % 5`` before a
    seeded shuffle): a tone (200-2000 Hz); an exponential chirp up or down over at least an octave in 150-3000 Hz;
    a harmonic note (110-440 Hz, 4-8 harmonics); band-limited noise (centre 300-4000 Hz); a click train
    (8-40 clicks per second). Each sound has a random onset, duration (30-80 % of the clip), loudness and phase,
    over white noise of std ``noise``. Returns an :class:`AudioSet`, ``waves`` (N, L = round(seconds * sr))
    float32. Taught in lesson 02."""
    check_int("n", n, 1)
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
    attrs = {k: np.empty(n) for k in ("onset", "duration", "amplitude", "f0")}
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
            f0 = f1 = 1.0
            while abs(np.log(f1 / f0)) < np.log(2):  # at least an octave apart
                f0, f1 = np.exp(rng.uniform(np.log(150), np.log(min(3000, 0.45 * nyq)), 2))
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
            spec *= np.exp(-0.5 * ((np.fft.rfftfreq(length, 1 / sr) - f0) / (bw / 2)) ** 2)
            x = np.fft.irfft(spec, length)
            x /= np.abs(x).max() + 1e-9
        else:  # click train: decaying 2 ms clicks at a random rate
            f0 = rng.uniform(8, 40)
            tau = rng.uniform(0.0005, 0.002)
            phase_t = (local * f0) % 1.0 / f0  # time since the last click
            carrier = np.sin(2 * np.pi * rng.uniform(min(1000, 0.2 * nyq), min(3000, 0.4 * nyq)) * t)  # 1-3 kHz at 16 kHz
            x = np.exp(-phase_t / tau) * carrier * (t >= onset)
        waves[i] = np.clip(amp * env * x + noise * rng.standard_normal(length), -1, 1)
        for k, v in zip(attrs, (onset, duration, amp, f0)):
            attrs[k][i] = v
    return AudioSet(torch.from_numpy(waves), torch.tensor(labels, dtype=torch.long), list(CLASSES), sr,
                    {k: torch.tensor(v, dtype=torch.float32) for k, v in attrs.items()})


#: Class names of :func:`sound_patterns`, in label order: four pairs, each the same sounds in opposite time order.
PATTERN_CLASSES = ("chirp up", "chirp down", "rising pair", "falling pair", "swell", "pluck", "speeding up",
                   "slowing down")


def _harmonic(phase: np.ndarray, n_harmonics: int, rng: np.random.Generator, inst_freq: np.ndarray | float,
              nyq: float) -> np.ndarray:
    """A harmonic tone, peak 1, from the instantaneous phase (radians) and frequency (Hz) of its fundamental:
    harmonics with random weights ~ 1/h, each silenced where it would pass 0.9 Nyquist."""
    x = np.zeros_like(phase)
    for h in range(1, n_harmonics + 1):
        w = rng.uniform(0.5, 1.0) / h
        x += w * np.sin(h * phase + rng.uniform(0, 2 * np.pi)) * (h * inst_freq < 0.9 * nyq)
    return x / (np.abs(x).max() + 1e-9)


def sound_patterns(n: int, seconds: float = 1.0, sr: int = 16000, seed: int = 0,
                   noise: tuple[float, float] = (0.01, 0.08)) -> AudioSet:
    """``n`` clips whose class is *how a sound changes over time*, balanced over :data:`PATTERN_CLASSES` (label
    ``i % 8`` before a seeded shuffle). The classes come in pairs, the same sounds in opposite time order: a
    harmonic tone sweeping exponentially up / down over 1-2 octaves; two notes, the second 5-12 semitones above /
    below; one note with a slow attack and quick release (swell) / a quick attack and long exponential decay
    (pluck); 5-9 short pulses whose gaps shrink / grow by a factor of 2.5-4. Every clip draws its own pitch
    (fundamental 120-600 Hz, 2-5 harmonics), loudness, onset and duration (50-90 % of the clip), and background
    noise, white plus a low rumble, of std drawn uniformly from ``noise``. A clip summary that ignores time order
    (the mean and std of each MFCC, lesson 02) cannot tell the two classes of a pair apart; a spectrogram's
    structure can. Returns an :class:`AudioSet` (``f0`` is the first fundamental; ``attributes`` also has the
    ``noise`` std). Taught in lesson 11."""
    check_int("n", n, 1)
    if not isinstance(sr, int) or isinstance(sr, bool) or sr < 4000:
        raise ValueError(f"sr must be an int sample rate >= 4000 Hz, got {sr!r}")
    if not seconds >= 0.25:
        raise ValueError(f"seconds must be >= 0.25, got {seconds!r}")
    lo_n, hi_n = noise
    if not 0 <= lo_n <= hi_n:
        raise ValueError(f"noise must be (low, high) with 0 <= low <= high, got {noise!r}")
    rng = np.random.default_rng(seed)
    length = int(round(seconds * sr))
    t = np.arange(length) / sr
    nyq = sr / 2
    labels = rng.permutation(np.arange(n) % len(PATTERN_CLASSES))
    waves = np.empty((n, length), np.float32)
    attrs = {k: np.empty(n) for k in ("onset", "duration", "amplitude", "f0", "noise")}
    for i, label in enumerate(labels):
        pair, reverse = divmod(int(label), 2)
        duration = seconds * rng.uniform(0.5, 0.9)
        onset = rng.uniform(0, seconds - duration)
        amp = rng.uniform(0.2, 0.9)
        f0 = np.exp(rng.uniform(np.log(120), np.log(600)))
        nh = int(rng.integers(2, 6))
        local = t - onset  # seconds since the sound's onset
        inside = (local >= 0) & (local <= duration)
        if pair == 0:  # exponential sweep over 1-2 octaves
            octaves = rng.uniform(1, 2) * (1 if reverse == 0 else -1)
            start = f0 if octaves > 0 else f0 * 2 ** -octaves  # a down-sweep ends at f0
            k = octaves * np.log(2) / duration
            lc = np.clip(local, 0, duration)
            phase = 2 * np.pi * start * (np.exp(k * lc) - 1) / k
            x = _envelope(t, onset, duration, 0.02, 0.05) * _harmonic(phase, nh, rng, start * np.exp(k * lc), nyq)
        elif pair == 1:  # two notes, the second higher (rising) or lower (falling)
            step = 2 ** (rng.uniform(5, 12) / 12)
            f_a, f_b = (f0, f0 * step) if reverse == 0 else (f0 * step, f0)
            split = onset + duration * rng.uniform(0.4, 0.6)
            gap = 0.03 * seconds
            x = np.zeros(length)
            for f, a, b in ((f_a, onset, split - gap / 2), (f_b, split + gap / 2, onset + duration)):
                x += _envelope(t, a, b - a, 0.01, 0.03) * _harmonic(2 * np.pi * f * t, nh, rng, f, nyq)
        elif pair == 2:  # swell (slow attack) or pluck (fast attack, slow decay)
            tau = rng.uniform(0.6, 0.85) * duration / 3
            if reverse == 0:
                env = np.where(inside, np.exp(-(duration - np.clip(local, 0, duration)) / tau), 0.0)
                env *= np.clip((duration - local) / 0.01, 0, 1)  # quick release
            else:
                env = np.where(inside, np.exp(-np.clip(local, 0, duration) / tau), 0.0)
                env *= np.clip(local / 0.005, 0, 1)  # quick attack
            x = env * _harmonic(2 * np.pi * f0 * t, nh, rng, f0, nyq)
        else:  # pulse train whose gaps shrink (speeding up) or grow (slowing down)
            count = int(rng.integers(5, 10))
            ratio = rng.uniform(2.5, 4.0)
            gaps = np.geomspace(ratio, 1.0, count - 1)  # shrinking gaps
            if reverse == 1:
                gaps = gaps[::-1]
            starts = onset + np.concatenate([[0.0], np.cumsum(gaps)]) / gaps.sum() * (duration - 0.04)
            tone = _harmonic(2 * np.pi * f0 * t, nh, rng, f0, nyq)
            x = sum(_envelope(t, s, 0.04, 0.003, 0.02) * tone for s in starts)
        std = rng.uniform(lo_n, hi_n)
        rumble = np.cumsum(rng.standard_normal(length))
        rumble -= np.convolve(rumble, np.ones(64) / 64, mode="same")  # remove the drift
        bg = rng.standard_normal(length) + rumble / (rumble.std() + 1e-9)
        waves[i] = np.clip(amp * x + std * bg / np.sqrt(2), -1, 1)
        for k, v in zip(attrs, (onset, duration, amp, f0, std)):
            attrs[k][i] = v
    return AudioSet(torch.from_numpy(waves), torch.tensor(labels, dtype=torch.long), list(PATTERN_CLASSES), sr,
                    {k: torch.tensor(v, dtype=torch.float32) for k, v in attrs.items()}, name="sound_patterns")
