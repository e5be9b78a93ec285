"""Lesson 02 graders accept the reference and reject typical mel/MFCC mistakes."""

import numpy as np
import scipy.fft
import torch

from maelearn.classic.spectral import dct_matrix, hz_to_mel, mel_filterbank, mel_to_hz, power_spectrogram, power_to_db


def _fb(sr, n_fft, n_mels, fmin=0.0, fmax=None, spacing="mel", norm=True):
    fmax = sr / 2 if fmax is None else fmax
    freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    if spacing == "mel":
        edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    else:
        edges = np.linspace(fmin, fmax, n_mels + 2)
    lo, c, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    w = np.maximum(0, np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)))
    return w * (2 / (hi - lo)) if norm else w


def linear_hz_spacing(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    return _fb(sr, n_fft, n_mels, fmin, fmax, spacing="hz")


def no_area_norm(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    return _fb(sr, n_fft, n_mels, fmin, fmax, norm=False)


def htk_mel_scale(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    fmax = sr / 2 if fmax is None else fmax
    freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin, htk=True), hz_to_mel(fmax, htk=True), n_mels + 2), htk=True)
    lo, c, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.maximum(0, np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c))) * (2 / (hi - lo))


def _mel(wave, sr, n_fft, hop, n_mels, power=2, center=True, window=True):
    win = torch.hann_window(n_fft, dtype=wave.dtype) if window else torch.ones(n_fft, dtype=wave.dtype)
    spec = torch.stft(wave, n_fft, hop, window=win, center=center, pad_mode="constant", return_complex=True).abs() ** power
    return torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).to(wave.dtype) @ spec


def magnitude_not_power(wave, sr, n_fft=512, hop=128, n_mels=40):
    return _mel(wave, sr, n_fft, hop, n_mels, power=1)


def not_centred(wave, sr, n_fft=512, hop=128, n_mels=40):
    return _mel(wave, sr, n_fft, hop, n_mels, center=False)


def no_window(wave, sr, n_fft=512, hop=128, n_mels=40):
    return _mel(wave, sr, n_fft, hop, n_mels, window=False)


def natural_log(mel_spec, n_mfcc=13):
    d = torch.log(mel_spec.clamp(min=1e-10)).numpy()
    return torch.from_numpy(scipy.fft.dct(d, type=2, norm="ortho", axis=-2)[..., :n_mfcc, :])


def unnormalized_dct(mel_spec, n_mfcc=13):
    d = power_to_db(mel_spec).numpy()
    return torch.from_numpy(scipy.fft.dct(d, type=2, axis=-2)[..., :n_mfcc, :])


def no_log(mel_spec, n_mfcc=13):
    return torch.from_numpy(scipy.fft.dct(mel_spec.numpy(), type=2, norm="ortho", axis=-2)[..., :n_mfcc, :])


def dct_over_time(mel_spec, n_mfcc=13):
    d = power_to_db(mel_spec).numpy()
    return torch.from_numpy(scipy.fft.dct(d, type=2, norm="ortho", axis=-1)[..., :n_mfcc, :])


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("02.1", linear_hz_spacing, "the low filters are too wide: space the edges evenly in mels"),
    ("02.1", no_area_norm, "every triangle peaks at 1: scale filter i by 2 / (edge[i+2] -"),
    ("02.1", htk_mel_scale, "result: values differ"),
    ("02.2", magnitude_not_power, "use the power |STFT|^2, not the magnitude |STFT|."),
    ("02.2", not_centred, "centre the frames"),
    ("02.2", no_window, "check the window: a periodic Hann window of n_fft samples"),
    ("02.3", natural_log, "use decibels, 10 * log10(power), not the natural log."),
    ("02.3", unnormalized_dct, "use the orthonormal DCT-II"),
    ("02.3", no_log, "MFCC = orthonormal DCT-II over the mel axis of power_to_db(mel_spec)"),
    ("02.3", dct_over_time, "MFCC = orthonormal DCT-II over the mel axis of power_to_db(mel_spec)"),
]


def einsum_mel(wave, sr, n_fft=512, hop=128, n_mels=40):
    """Right on one clip, crashes on the lesson's batch (N, L)."""
    fb = torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).to(wave.dtype)
    return torch.einsum("mf,ft->mt", fb, power_spectrogram(wave, n_fft, hop))


def dct_over_axis_0(mel_spec, n_mfcc=13):
    """Right on one clip (axis 0 is the mel axis there), wrong on the lesson's batch."""
    d = power_to_db(mel_spec).numpy()
    return torch.from_numpy(scipy.fft.dct(d, type=2, norm="ortho", axis=0)[:n_mfcc])


def floor_from_batch_peak(mel_spec, n_mfcc=13):
    """The 80 dB floor taken from the whole batch's maximum: quiet clips change."""
    db = 10 * torch.log10(mel_spec.clamp(min=1e-10))
    db = torch.maximum(db, db.max() - 80.0)
    return dct_matrix(n_mfcc, mel_spec.shape[-2]).to(mel_spec.dtype) @ db


WRONG += [
    ("02.2", einsum_mel, "einsum"),
    ("02.3", dct_over_axis_0, "mel axis, -2"),
    ("02.3", floor_from_batch_peak, "the 80 dB floor is per clip"),
]

RIGHT: list = []


def mel_frames_first(wave, sr, n_fft=512, hop=128, n_mels=40):
    """(..., frames, n_mels): the spectrogram times the filterbank's transpose."""
    fb = torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).to(wave.dtype)
    return power_spectrogram(wave, n_fft, hop).transpose(-1, -2) @ fb.T


def mfcc_scipy(mel_spec, n_mfcc=13):
    """Right: scipy's orthonormal DCT-II over the mel axis."""
    return torch.from_numpy(scipy.fft.dct(power_to_db(mel_spec).numpy(), type=2, norm="ortho", axis=-2)[..., :n_mfcc, :])


def filterbank_rfftfreq(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    """Right: the bin frequencies from np.fft.rfftfreq, the triangles filter by filter."""
    fmax = sr / 2 if fmax is None else fmax
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    e = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    out = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        up, down = (freqs - e[i]) / (e[i + 1] - e[i]), (e[i + 2] - freqs) / (e[i + 2] - e[i + 1])
        out[i] = np.clip(np.minimum(up, down), 0, None) * 2 / (e[i + 2] - e[i])
    return out


WRONG += [("02.2", mel_frames_first, "mel bands first")]
RIGHT = [("02.3", mfcc_scipy), ("02.1", filterbank_rfftfreq)]


# -- second audit: other routes ---------------------------------------------------------------


def filterbank_by_loop_and_rfftfreq(sr, n_fft, n_mels, fmin=0.0, fmax=None):
    """Right: np.fft.rfftfreq bin frequencies, one triangle at a time."""
    import numpy as np
    from maelearn.classic.spectral import hz_to_mel, mel_to_hz

    fmax = fmax or sr / 2
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    e = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    out = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        up, down = (freqs - e[i]) / (e[i + 1] - e[i]), (e[i + 2] - freqs) / (e[i + 2] - e[i + 1])
        out[i] = np.maximum(0, np.minimum(up, down)) * 2 / (e[i + 2] - e[i])
    return out


def mel_by_transposed_product(wave, sr, n_fft=512, hop=128, n_mels=40):
    """Right: (..., T, F) @ fb.T, transposed back."""
    from maelearn.classic.spectral import mel_filterbank, power_spectrogram

    fb = torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).to(wave.dtype)
    return (power_spectrogram(wave, n_fft, hop).transpose(-1, -2) @ fb.T).transpose(-1, -2)


def mfcc_by_scipy_dct(mel_spec, n_mfcc=13):
    """Right: scipy's orthonormal DCT-II over the mel axis."""
    import scipy.fft
    from maelearn.classic.spectral import power_to_db

    db = power_to_db(mel_spec).numpy()
    return torch.from_numpy(scipy.fft.dct(db, axis=-2, norm="ortho")[..., :n_mfcc, :].copy())


RIGHT += [("02.1", filterbank_by_loop_and_rfftfreq), ("02.2", mel_by_transposed_product), ("02.3", mfcc_by_scipy_dct)]


def seg_interleaved(feats, n_segments=1):
    """Mean and std segment by segment: the wrong layout."""
    parts = torch.tensor_split(feats, n_segments, dim=-1)
    return torch.cat([torch.cat([q.mean(-1), q.std(-1)], -1) for q in parts], -1)


def seg_biased_std(feats, n_segments=1):
    parts = torch.tensor_split(feats, n_segments, dim=-1)
    return torch.cat([q.mean(-1) for q in parts] + [q.std(-1, unbiased=False) for q in parts], -1)


def seg_chunk(feats, n_segments=1):
    """torch.chunk: equal segments but a short last one (and fewer segments sometimes)."""
    parts = torch.chunk(feats, n_segments, dim=-1)
    return torch.cat([q.mean(-1) for q in parts] + [q.std(-1) for q in parts], -1)


def seg_over_features(feats, n_segments=1):
    """Statistics over the feature axis instead of time."""
    parts = torch.tensor_split(feats, n_segments, dim=-2)
    return torch.cat([q.mean(-2) for q in parts] + [q.std(-2) for q in parts], -1)


def seg_whole_clip(feats, n_segments=1):
    """Ignores n_segments: the one-segment summary every time."""
    return torch.cat([feats.mean(-1), feats.std(-1)], -1)


WRONG += [
    ("02.4", seg_interleaved, "every segment's means first"),
    ("02.4", seg_biased_std, "use the unbiased std"),
    ("02.4", seg_chunk, "torch.tensor_split"),
    ("02.4", seg_over_features, "over time (the last axis)"),
    ("02.4", seg_whole_clip, "expected shape"),
]


def seg_loop(feats, n_segments=1):
    """Right: segment bounds by hand, frame by frame."""
    t = feats.shape[-1]
    base, extra = divmod(t, n_segments)
    bounds, start = [], 0
    for i in range(n_segments):
        stop = start + base + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    means = [feats[..., a:b].mean(-1) for a, b in bounds]
    stds = [((feats[..., a:b] - feats[..., a:b].mean(-1, keepdim=True)) ** 2).sum(-1).div(b - a - 1).sqrt() for a, b in bounds]
    return torch.cat(means + stds, -1)


RIGHT += [("02.4", seg_loop)]
