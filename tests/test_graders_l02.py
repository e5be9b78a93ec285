"""Lesson 02 graders accept the reference and reject typical mel/MFCC mistakes."""

import numpy as np
import pytest
import scipy.fft
import torch

from maelearn.classic.spectral import hz_to_mel, mel_filterbank, mel_to_hz, power_to_db
from maelearn.testing import assert_accepts, assert_rejects


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


WRONG = {
    "02.1": [linear_hz_spacing, no_area_norm, htk_mel_scale],
    "02.2": [magnitude_not_power, not_centred, no_window],
    "02.3": [natural_log, unnormalized_dct, no_log, dct_over_time],
}


@pytest.mark.parametrize("ex_id", sorted(WRONG))
def test_reference_accepted(ex_id):
    assert assert_accepts(ex_id) >= 2


# Every WRONG answer is checked for rejection by tests/test_graders_all.py.


def test_hints_name_the_mistake():
    assert "Slaney" in assert_rejects("02.1", no_area_norm)
    assert "power" in assert_rejects("02.2", magnitude_not_power)
    assert "center" in assert_rejects("02.2", not_centred)
    assert "decibels" in assert_rejects("02.3", natural_log)
