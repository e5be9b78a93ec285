"""Graders of lesson 02 (audio features): mel filterbank, mel spectrogram, MFCC, pooling over time."""

from __future__ import annotations

import numpy as np
import torch

from maelearn.classic.spectral import dct_matrix, mel_filterbank, mel_spectrogram, mfcc, power_spectrogram, segment_stats
from maelearn.exercises.framework import Case, exercise


def _diagnose_fb(case, got, expected):
    if not isinstance(got, np.ndarray):
        return "return a NumPy array (n_mels, 1 + n_fft // 2)."
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}: one row per filter, one column per FFT bin (1 + n_fft // 2)."
    peaks_got, peaks_exp = got.max(1), expected.max(1)
    if np.all(peaks_got > 0) and np.allclose(got * (peaks_exp / peaks_got)[:, None], expected, rtol=1e-6, atol=1e-9):
        return "every triangle peaks at 1: scale filter i by 2 / (edge[i+2] - edge[i]) (Slaney's equal-area normalization)."
    if (got > 0).sum(1)[:3].sum() > (expected > 0).sum(1)[:3].sum() * 2:
        return "the low filters are too wide: space the edges evenly in mels (hz_to_mel / mel_to_hz), not in hertz."
    return None


@exercise("02.1", "mel filterbank", mel_filterbank, diagnose=_diagnose_fb, rtol=1e-6, atol=1e-9)
def _cases_fb():
    yield Case("sr 16 kHz, n_fft 512, 40 mels", (16000, 512, 40))
    yield Case("sr 8 kHz, n_fft 256, 10 mels", (8000, 256, 10))
    yield Case("sr 22.05 kHz, n_fft 1024, 64 mels, 50-8000 Hz", (22050, 1024, 64, 50.0, 8000.0))


def _diagnose_mel(case, got, expected):
    if not isinstance(got, torch.Tensor):
        return "return a torch tensor (n_mels, frames)."
    if got.ndim >= 2 and got.shape != expected.shape and got.transpose(-1, -2).shape == expected.shape:
        return "the result is (..., n_mels, frames), mel bands first: fb @ power_spectrogram(...), not its transpose."
    if got.shape[-1] != expected.shape[-1]:
        return "centre the frames: torch.stft(..., center=True, pad_mode='constant') gives 1 + L // hop frames."
    wave, sr, n_fft, hop, n_mels = (*case.args, 512, 128, 40)[:5] if len(case.args) == 2 else case.args
    if got.ndim != expected.ndim:
        return "a batch of clips (B, L) gives (B, n_mels, frames): apply the filterbank to the last-but-one axis (fb @ spec works for any batch)."
    fb = torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).to(wave.dtype)
    magnitude = fb @ power_spectrogram(wave, n_fft, hop).sqrt()
    if got.shape == expected.shape and torch.allclose(got, magnitude, rtol=1e-4, atol=1e-8):
        return "use the power |STFT|^2, not the magnitude |STFT|."
    return "check the window: a periodic Hann window of n_fft samples (torch.hann_window(n_fft))."


def _wave(seed: int, n: int = 4000, sr: int = 8000, gain: float = 0.5):
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n, dtype=torch.float64) / sr
    return (gain * torch.sin(2 * torch.pi * (300 + 500 * seed) * t) + 0.1 * gain * torch.randn(n, generator=g, dtype=torch.float64))


def _batch(seeds, n: int, sr: int, gains) -> torch.Tensor:
    """(B, n) clips at very different loudness (as the lesson's synthesized clips)."""
    return torch.stack([_wave(s, n, sr, gain) for s, gain in zip(seeds, gains)])


@exercise("02.2", "mel spectrogram", mel_spectrogram, diagnose=_diagnose_mel, rtol=1e-6, atol=1e-9)
def _cases_mel():
    yield Case("a 0.5 s tone in noise, sr 8 kHz", (_wave(0), 8000, 256, 64, 20))
    yield Case("another tone, n_fft 512, hop 128", (_wave(1), 8000, 512, 128, 32))
    # The lesson later calls it on a batch (N, L) with the defaults.
    yield Case("a batch of 3 clips of 4001 samples at 16 kHz, default n_fft, hop, n_mels", (_batch((5, 6, 7), 4001, 16000, (0.5, 0.05, 1.0)), 16000))


def _diagnose_mfcc(case, got, expected):
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        if case.args[0].ndim == 3:
            return "a batch (B, n_mels, frames) gives (B, n_mfcc, frames): take the DCT over the mel axis, -2, not axis 0."
        return "return (n_mfcc, frames): keep the first n_mfcc DCT coefficients along the mel axis."
    S = case.args[0]
    if S.ndim == 3:
        floor = 10 * torch.log10(S.clamp(min=1e-10))
        batch_floor = torch.maximum(floor, floor.amax() - 80.0)
        d = dct_matrix(expected.shape[-2], S.shape[-2]).to(S.dtype)
        if torch.allclose(got, d @ batch_floor, rtol=1e-4, atol=1e-6):
            return "the 80 dB floor is per clip: each spectrogram's own maximum, not the batch's (power_to_db handles it)."
        if not torch.allclose(got[0], expected[0], rtol=1e-3, atol=1e-4):
            return "a batch (B, n_mels, frames): take the DCT over the mel axis, -2 (d @ db), not axis 0 or 1."
    if torch.allclose(got[1:], expected[1:] * 0.1 * np.log(10), rtol=1e-3, atol=1e-6):
        return "use decibels, 10 * log10(power), not the natural log."
    if torch.allclose(got[1:], expected[1:] * np.sqrt(S.shape[-2] / 2) * 2, rtol=1e-3, atol=1e-6):
        return "use the orthonormal DCT-II (scipy.fft.dct(..., norm='ortho'))."
    return "MFCC = orthonormal DCT-II over the mel axis of power_to_db(mel_spec) (with its 80 dB floor)."


@exercise("02.3", "MFCC from a mel spectrogram", mfcc, diagnose=_diagnose_mfcc, rtol=1e-5, atol=1e-6)
def _cases_mfcc():
    yield Case("20 mels, 13 coefficients", (mel_spectrogram(_wave(2), 8000, 256, 64, 20), 13))
    yield Case("32 mels, 8 coefficients", (mel_spectrogram(_wave(3), 8000, 512, 128, 32), 8))
    S = mel_spectrogram(_wave(4), 8000, 256, 64, 20)
    S[:, :3] = 0.0  # silence: the 80 dB floor matters
    yield Case("with silent frames", (S, 13))
    # The lesson later calls it on a batch (N, n_mels, T) with the default n_mfcc; one clip
    # is 40 dB quieter than the others, so a floor taken from the batch's maximum differs.
    mels = mel_spectrogram(_batch((8, 9, 10), 4000, 8000, (1.0, 0.01, 0.3)), 8000, 256, 64, 20)
    mels[1, :, :4] = 0.0
    yield Case("a batch of 3 clips (one quiet), default n_mfcc", (mels,))
    # The lesson also keeps every coefficient (n_mfcc = n_mels, the full DCT) on a batch.
    yield Case("a batch of 3 clips, all 20 coefficients (n_mfcc = n_mels)", (mels, 20))


def _diagnose_seg(case, got, expected):
    if not isinstance(got, torch.Tensor):
        return "return a torch tensor (..., 2 * K * n_segments)."
    feats = case.args[0]
    n_seg = case.args[1] if len(case.args) > 1 else 1
    if got.shape != expected.shape:
        return (f"expected shape {tuple(expected.shape)}: take the statistics over time (the last axis), "
                f"2 numbers (mean, std) per feature row per segment, the leading (batch) axes kept.")

    def close(candidate):
        return candidate.shape == got.shape and torch.allclose(got.to(candidate.dtype), candidate, rtol=1e-6, atol=1e-9, equal_nan=True)

    parts = torch.tensor_split(feats, n_seg, dim=-1)
    if close(torch.cat([torch.cat([q.mean(-1), q.std(-1)], -1) for q in parts], -1)):
        return "the layout: every segment's means first (segment 0, 1, ...), then every segment's stds, not mean and std segment by segment."
    if close(torch.cat([q.mean(-1) for q in parts] + [q.std(-1, unbiased=False) for q in parts], -1)):
        return "use the unbiased std, as torch.std computes it by default (dividing by n - 1)."
    chunks = torch.chunk(feats, n_seg, dim=-1)
    if len(chunks) == n_seg and close(torch.cat([q.mean(-1) for q in chunks] + [q.std(-1) for q in chunks], -1)):
        return ("split time with torch.tensor_split(feats, n_segments, dim=-1): segment lengths differ by at most "
                "one frame (torch.chunk makes the last segment the short one).")
    return None


def _feats(shape, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.linspace(0, 1, shape[-1], dtype=torch.float64)
    return 10 * torch.randn(shape, generator=g, dtype=torch.float64) + 30 * t  # a trend in time: order matters


@exercise("02.4", "mean and std per time segment", segment_stats, diagnose=_diagnose_seg, rtol=1e-6, atol=1e-9,
          forbidden=(segment_stats,))
def _cases_seg():
    yield Case("one clip (13 coefficients, 20 frames), default n_segments", (_feats((13, 20), 0),))
    yield Case("one clip (13, 20), 4 segments", (_feats((13, 20), 1), 4))
    yield Case("a batch (3, 5, 10), 3 segments: 10 frames do not split evenly", (_feats((3, 5, 10), 2), 3))
    # The lesson pools (N, 40, 126) log-mel and MFCC batches over 1 segment and (2, 13, 126) over 4.
    yield Case("a batch (4, 40, 126), default n_segments, as the lesson", (_feats((4, 40, 126), 3),))
    yield Case("a batch (2, 13, 126), 4 segments, as the lesson", (_feats((2, 13, 126), 4), 4))
