"""Audio features by hand, in librosa's conventions and checked in the tests against it: the mel scale, a mel
filterbank, power and mel spectrograms, decibels and MFCCs (lesson 02); and from them an Audio-MAE's inputs,
normalized log-mel spectrograms (lesson 11)."""

from __future__ import annotations

import math

import numpy as np
import torch

from maelearn.checks import check_float_tensor, check_int

# Slaney's mel scale: 3 mels per 200 Hz below 1 kHz, logarithmic (27 mels per factor 6.4) above.
_HZ_PER_MEL = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _HZ_PER_MEL
_LOGSTEP = math.log(6.4) / 27.0


def hz_to_mel(f: np.ndarray | float, htk: bool = False) -> np.ndarray:
    """Hertz -> mels: Slaney's scale (librosa's default), or ``2595 log10(1 + f/700)`` if ``htk``.
    Taught in lesson 02."""
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    log_part = _MIN_LOG_MEL + np.log(np.maximum(f, 1e-10) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, log_part, f / _HZ_PER_MEL)


def mel_to_hz(m: np.ndarray | float, htk: bool = False) -> np.ndarray:
    """Mels -> hertz, the inverse of :func:`hz_to_mel`. Taught in lesson 02."""
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), _HZ_PER_MEL * m)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular mel filters (n_mels, 1 + n_fft // 2) float64, as ``librosa.filters.mel``'s defaults:
    ``n_mels + 2`` edges evenly spaced in (Slaney) mels from ``fmin`` to ``fmax`` (default ``sr / 2``); filter
    ``i`` rises from 0 at edge ``i`` to 1 at edge ``i + 1`` and falls to 0 at edge ``i + 2``
    (at the FFT bin frequencies), then is scaled by ``2 / (edge[i+2] - edge[i])`` so that all filters have the
    same area. Taught in lesson 02."""
    if not isinstance(n_mels, int) or n_mels < 1:
        raise ValueError(f"n_mels must be an int >= 1, got {n_mels!r}")
    if not isinstance(n_fft, int) or n_fft < 2:
        raise ValueError(f"n_fft must be an int >= 2, got {n_fft!r}")
    fmax = sr / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sr / 2:
        raise ValueError(f"need 0 <= fmin < fmax <= sr/2 = {sr / 2}, got fmin={fmin}, fmax={fmax}")
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)  # (F,)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # (n_mels + 2,)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (fft_freqs[None] - lower) / (centre - lower)
    falling = (upper - fft_freqs[None]) / (upper - centre)
    return np.maximum(0, np.minimum(rising, falling)) * (2.0 / (upper - lower))  # (n_mels, F)


def power_spectrogram(wave: torch.Tensor, n_fft: int = 512, hop: int = 128) -> torch.Tensor:
    """|STFT|^2 of ``wave`` (L,) or (B, L) -> (..., 1 + n_fft // 2, 1 + L // hop): periodic Hann window of
    ``n_fft`` samples, frames centred (zero padding, librosa's default). Taught in lesson 02."""
    window = torch.hann_window(n_fft, periodic=True, dtype=wave.dtype, device=wave.device)
    spec = torch.stft(wave, n_fft, hop_length=hop, window=window, center=True, pad_mode="constant", return_complex=True)
    return spec.abs() ** 2


def mel_spectrogram(wave: torch.Tensor, sr: int, n_fft: int = 512, hop: int = 128, n_mels: int = 40) -> torch.Tensor:
    """Mel power spectrogram (..., n_mels, frames): the :func:`mel_filterbank` applied to the
    :func:`power_spectrogram`, as ``librosa.feature.melspectrogram``. Taught in lesson 02."""
    if not isinstance(wave, torch.Tensor) or not wave.is_floating_point() or wave.ndim not in (1, 2):
        raise TypeError(f"wave must be a float tensor (L,) or (B, L), got {type(wave).__name__} {getattr(wave, 'shape', '')}")
    fb = torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).to(wave.dtype)
    return torch.einsum("mf,...ft->...mt", fb, power_spectrogram(wave, n_fft, hop))


def power_to_db(spec: torch.Tensor, amin: float = 1e-10, top_db: float | None = 80.0) -> torch.Tensor:
    """``10 log10(max(spec, amin))``, floored at ``top_db`` below each spectrogram's maximum
    (over its last two dims), as ``librosa.power_to_db(spec, ref=1.0)``. Taught in lesson 02."""
    db = 10.0 * torch.log10(torch.clamp(spec, min=amin))
    if top_db is not None:
        db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - top_db)
    return db


def dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """Orthonormal DCT-II matrix (n_out, n_in): row k is ``sqrt(2/n) cos(pi k (2i+1) / 2n)``, row 0 scaled by
    ``1/sqrt(2)`` (``scipy.fft.dct(norm='ortho')``). Taught in lesson 02."""
    i = torch.arange(n_in, dtype=torch.float64)
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    m = math.sqrt(2.0 / n_in) * torch.cos(math.pi * k * (2 * i + 1) / (2 * n_in))
    m[0] /= math.sqrt(2.0)
    return m


def mfcc(mel_spec: torch.Tensor, n_mfcc: int = 13) -> torch.Tensor:
    """MFCCs (..., n_mfcc, frames) of a mel power spectrogram (..., n_mels, frames): the first ``n_mfcc`` rows of
    the orthonormal DCT-II over the mel axis of :func:`power_to_db`, as
    ``librosa.feature.mfcc(S=librosa.power_to_db(mel_spec), n_mfcc=n_mfcc)``. Taught in lesson 02."""
    if not isinstance(mel_spec, torch.Tensor) or not mel_spec.is_floating_point() or mel_spec.ndim < 2:
        raise TypeError(f"mel_spec must be a float tensor (..., n_mels, frames), got {type(mel_spec).__name__} {getattr(mel_spec, 'shape', '')}")
    n_mels = mel_spec.shape[-2]
    if not isinstance(n_mfcc, int) or not 1 <= n_mfcc <= n_mels:
        raise ValueError(f"n_mfcc must be an int in [1, n_mels={n_mels}], got {n_mfcc!r}")
    d = dct_matrix(n_mfcc, n_mels).to(mel_spec.dtype)
    return torch.einsum("km,...mt->...kt", d, power_to_db(mel_spec))


def segment_stats(feats: torch.Tensor, n_segments: int = 1) -> torch.Tensor:
    """Mean and (unbiased) std over time of each feature row within ``n_segments`` consecutive time segments (as
    ``torch.tensor_split``, each of at least 2 frames): (..., K, T) -> (..., 2 * K * n_segments), all segments'
    means (K each) then all stds. One segment is the classic clip summary (26 numbers for 13 MFCCs): the same for
    a clip played backwards, it cannot tell a rising chirp from a falling one; more segments keep a coarse time
    order. Taught in lessons 02 and 11."""
    if not isinstance(feats, torch.Tensor) or not feats.is_floating_point() or feats.ndim < 2:
        raise TypeError(f"feats must be a float tensor (..., K, T), got {type(feats).__name__} {getattr(feats, 'shape', '')}")
    check_int("n_segments", n_segments)
    frames = feats.shape[-1]
    if frames < 2 * n_segments:
        raise ValueError(f"need at least 2 frames per segment: T={frames} frames for n_segments={n_segments}")
    parts = torch.tensor_split(feats, n_segments, dim=-1)  # S tensors (..., K, T_s)
    return torch.cat([p.mean(-1) for p in parts] + [p.std(-1) for p in parts], dim=-1)


def mfcc_segment_stats(waves: torch.Tensor, sr: int, n_segments: int = 4, n_mfcc: int = 13, n_mels: int = 40,
                       n_fft: int = 512, hop: int = 256) -> torch.Tensor:
    """:func:`segment_stats` of the :func:`mfcc` of the :func:`mel_spectrogram` of clips ``waves`` (B, L):
    (B, 2 * n_mfcc * n_segments) float32. More than one segment keeps a coarse time order, the baseline lesson 11
    sets beside the MAE. Taught in lesson 11."""
    check_float_tensor(waves, "waves", 2, "(B, L)")
    c = mfcc(mel_spectrogram(waves, sr, n_fft=n_fft, hop=hop, n_mels=n_mels), n_mfcc)  # (B, n_mfcc, T)
    return segment_stats(c, n_segments).float()


def mfcc_features(waves: torch.Tensor, sr: int, n_mfcc: int = 13, n_mels: int = 40, n_fft: int = 512,
                  hop: int = 256) -> torch.Tensor:
    """Lesson 02's clip descriptor, the mean and std over time of each MFCC (one segment of
    :func:`mfcc_segment_stats`): waves (B, L) -> (B, 2 * n_mfcc). Taught in lesson 11."""
    return mfcc_segment_stats(waves, sr, 1, n_mfcc, n_mels, n_fft, hop)


# --- from waves to an Audio-MAE's inputs (lesson 11) ------------------------------------------

#: How a spectrogram is laid out: (n_mels, frames) or Audio-MAE's (frames, n_mels).
LAYOUTS = ("freq_time", "time_freq")


def log_mel(waves: torch.Tensor, sr: int, n_mels: int = 32, frames: int = 64, n_fft: int = 512, hop: int | None = None,
            layout: str = "freq_time") -> torch.Tensor:
    """Log-mel spectrograms (dB, floored 80 dB below each clip's peak) of clips ``waves`` (B, L) ->
    (B, 1, n_mels, frames), or (B, 1, frames, n_mels) if ``layout="time_freq"`` (Audio-MAE's). ``hop`` defaults to
    ``L // frames``; extra frames are cropped, missing ones padded with the clip's floor. Not yet normalized: see
    :func:`normalize_specs`. Taught in lesson 11."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    check_float_tensor(waves, "waves", 2, "(B, L)")
    hop = hop or max(1, waves.shape[1] // frames)
    db = power_to_db(mel_spectrogram(waves, sr, n_fft=n_fft, hop=hop, n_mels=n_mels))[..., :frames]  # (B, n_mels, T)
    if db.shape[-1] < frames:
        floor = db.amin(dim=(-2, -1), keepdim=True).expand(-1, n_mels, frames - db.shape[-1])
        db = torch.cat([db, floor], dim=-1)
    if layout == "time_freq":
        db = db.transpose(-2, -1)  # (B, frames, n_mels)
    return db.unsqueeze(1).float()


def spec_stats(train_specs: torch.Tensor) -> tuple[float, float]:
    """The training set's mean and std (one number each): Audio-MAE normalizes with its dataset's statistics."""
    return float(train_specs.mean()), float(train_specs.std())


def normalize_specs(train: torch.Tensor, *others: torch.Tensor, std_scale: float = 2.0) -> list[torch.Tensor]:
    """``(x - mean) / (std_scale * std)`` for ``train`` and every other set, with the *training* set's mean and
    std (one scalar each, so the relative loudness of bands and clips survives); ``std_scale=2`` as Audio-MAE's
    pipeline, so inputs mostly fall in [-1, 1]. Returns a list, train first. Taught in lesson 11."""
    if not std_scale > 0:
        raise ValueError(f"std_scale must be > 0, got {std_scale!r}")
    mean, std = spec_stats(train)
    return [(x - mean) / (std_scale * std) for x in (train, *others)]
