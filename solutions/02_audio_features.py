# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/02_audio_features.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 02 · Audio features
#
# A waveform is a long list of air-pressure samples: 16,000 a second. Two recordings of
# the same sound at another pitch or moment share almost no samples, yet we hear them as
# the same kind of sound. Classical audio features fix this in three steps: a short-time
# Fourier transform (how much energy at which frequency, when), a **mel filterbank**
# (frequencies spaced the way hearing spaces them), and the **MFCC** (a DCT of the log-mel
# spectrum that decorrelates its bands and keeps the smooth spectral envelope in a few
# numbers).
#
# **In this lesson you will learn to**
#
# 1. build a mel filterbank and a mel spectrogram by hand and check them against librosa;
# 2. compute MFCCs with a DCT of the log-mel spectrogram, and say (and measure) why a DCT;
# 3. measure whether features beat raw samples when labels are few, and whether the DCT
#    matters to a classifier (MFCC vs log-mel statistics);
# 4. pool features over time, and measure what a mean-and-std summary throws away: the
#    order of events.

# %% [markdown]
# ## Setting up
#
# In Colab the next cell clones the course and installs its library, keeping Colab's own
# PyTorch. On your machine (where you followed the README) it does nothing.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:  # pragma: no cover - only in Colab
    subprocess.run(["git", "clone", "-q", "--depth", "1", "https://github.com/maelearn/maelearn", "/content/maelearn"], check=False)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "/content/maelearn"], check=True)
    sys.path.insert(0, "/content/maelearn")


# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

import maelearn
from maelearn.data.audio import synth_clips
from maelearn.evaluate import linear_probe_features
from maelearn.exercises import check
from maelearn.stats import interval
from maelearn.classic.spectral import dct_matrix, hz_to_mel, mel_to_hz, power_spectrogram, power_to_db

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## The clips
#
# Synthesized, labelled, offline: tones, chirps, harmonic notes, noise bursts and click
# trains, each with a random pitch, loudness, onset and phase, over light background noise.

# %%
SR, N_FFT, HOP, N_MELS = 16000, 512, 128, 40
n_clips = maelearn.budget(quick=120, full=2000)
clips = synth_clips(n_clips, seconds=1.0, sr=SR, seed=0)
print(clips.waves.shape, clips.classes)  # (N, 16000)

# %% [markdown]
# ## The mel scale
#
# We hear pitch roughly linearly below 1 kHz and logarithmically above. The mel scale
# models that; librosa's default (Slaney's) is linear below 1 kHz and logarithmic above,
# and `maelearn.classic.spectral.hz_to_mel` / `mel_to_hz` implement it. A mel filterbank is a set
# of triangles evenly spaced **in mels**: narrow at low frequencies, wide at high ones.
#
# **Exercise 02.1.** Return the filterbank (n_mels, 1 + n_fft // 2) as librosa builds it:
# take `n_mels + 2` edges evenly spaced in mels from `fmin` to `fmax` (default `sr / 2`),
# convert them to Hz; filter `i` rises from edge `i` to 1 at edge `i+1` and falls back to 0
# at edge `i+2`, evaluated at the FFT bin frequencies `np.linspace(0, sr/2, 1 + n_fft//2)`;
# then scale it by `2 / (edge[i+2] - edge[i])` (every filter gets the same area).

# %%
def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """-> (n_mels, 1 + n_fft // 2) float64 triangular filters."""
    ### BEGIN SOLUTION 02.1
    fmax = sr / 2 if fmax is None else fmax
    freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    tri = np.maximum(0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
    return tri * (2.0 / (hi - lo))
    ### END SOLUTION


mel_filterbank = check("02.1", mel_filterbank)

# %% [markdown]
# **Exercise 02.2.** The mel spectrogram is the filterbank applied to the *power*
# spectrogram $|STFT|^2$ (`power_spectrogram(wave, n_fft, hop)` computes it with a Hann
# window and centred frames, on one wave or a batch). Take a wave (L,) or a batch (B, L)
# and return (..., n_mels, frames): later in the lesson we call it on every clip at once.

# %%
def mel_spectrogram(wave: torch.Tensor, sr: int, n_fft: int = 512, hop: int = 128, n_mels: int = 40) -> torch.Tensor:
    """wave (L,) or a batch (B, L) -> (..., n_mels, 1 + L // hop)."""
    ### BEGIN SOLUTION 02.2
    fb = torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).to(wave.dtype)  # (M, F)
    return fb @ power_spectrogram(wave, n_fft, hop)  # (M, F) @ (..., F, T) -> (..., M, T)
    ### END SOLUTION


mel_spectrogram = check("02.2", mel_spectrogram)

# %% [markdown]
# ### Check against librosa
#
# librosa is the reference implementation most audio code uses. Its first import compiles
# code with numba (slow once, cached afterwards), so we use it only here, as the check.

# %%
import librosa

wave = clips.waves[0].double()
ours = mel_spectrogram(wave, SR, N_FFT, HOP, N_MELS).numpy()
ref = librosa.feature.melspectrogram(y=wave.numpy(), sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
fb_err = float(np.abs(mel_filterbank(SR, N_FFT, N_MELS) - librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS)).max())
mel_err = float(np.abs(ours - ref).max() / ref.max())
print(f"filterbank: largest difference {fb_err:.2e}   mel spectrogram: largest difference / peak {mel_err:.2e}")

# %% [markdown]
# **Exercise 02.3.** MFCCs: convert the mel power to decibels with
# `power_to_db(mel_spec)` (10·log10, floored 80 dB below the peak; the floor is taken per
# clip, from each spectrogram's own maximum, which `power_to_db` does for a batch too),
# then take the orthonormal DCT-II along the mel axis and keep the first `n_mfcc` rows.
# `dct_matrix(n_out, n_in)` gives the DCT as a matrix. Like 02.2 it must work on one
# spectrogram and on a batch: (..., n_mels, frames) -> (..., n_mfcc, frames).

# %%
def mfcc(mel_spec: torch.Tensor, n_mfcc: int = 13) -> torch.Tensor:
    """(..., n_mels, frames) -> (..., n_mfcc, frames), the 80 dB floor per clip."""
    ### BEGIN SOLUTION 02.3
    d = dct_matrix(n_mfcc, mel_spec.shape[-2]).to(mel_spec.dtype)  # (K, M)
    return d @ power_to_db(mel_spec)
    ### END SOLUTION


mfcc = check("02.3", mfcc)
mfcc_err = float(np.abs(mfcc(torch.from_numpy(ref), 13).numpy() - librosa.feature.mfcc(S=librosa.power_to_db(ref), n_mfcc=13)).max())
print(f"MFCC vs librosa: largest difference {mfcc_err:.2e} (dB-scale values)")

# %% [markdown]
# ### Why a DCT?
#
# "It summarizes the envelope" is the short answer; here are the two reasons behind it.
#
# **Decorrelation.** Neighbouring mel filters overlap (each triangle reaches the centres
# of its two neighbours) and a spectrum's envelope is smooth, so adjacent log-mel bands rise
# and fall together. Models that treat feature dimensions as independent, such as the
# diagonal-covariance Gaussian mixtures of classic speech recognizers, waste capacity on
# such correlated inputs. For smooth, strongly correlated signals the DCT's cosines are
# close to the principal components (the Karhunen–Loève basis), so the DCT coefficients
# come out much less correlated, without fitting anything to the data. Only
# approximately: the DCT is a fixed basis, not one fitted to these clips (a PCA would
# be), so expect the correlations to drop, not to vanish.
#
# **The cepstrum.** A harmonic sound is roughly a fine comb of harmonics (the pitch)
# multiplied by a smooth envelope (the resonances that make it a voice, a string or a
# drum). The log turns that product into a sum, and a Fourier-type transform of the log
# spectrum, the *cepstrum* ("spectrum of the spectrum", Bogert, Healy & Tukey, 1963),
# separates the two by how fast they vary across frequency: the slowly varying envelope
# lands in the first coefficients, the fast ripple of the harmonics in the later ones.
# Keeping the first 13 keeps a smoothed version of the frame; how much of the frame that
# is, for one of our notes, the plot below shows.
#
# Both claims, measured on our clips. First the correlations between dimensions, over
# every frame of 40 clips, before and after the DCT (coefficient 0, the overall loudness,
# left out): between neighbouring dimensions, where the overlap of the filters acts, and
# over every pair of distinct dimensions.

# %%
logmel = power_to_db(mel_spectrogram(clips.waves[:40].double(), SR, N_FFT, HOP, N_MELS))  # (40 clips, M, T)
frames = logmel.transpose(1, 2).reshape(-1, N_MELS)  # (frames, M): every frame of every clip
coeffs = (frames @ dct_matrix(N_MELS, N_MELS).double().T)[:, 1:]  # (frames, M-1) all DCT coefficients but 0
corr = {"log-mel bands": torch.corrcoef(frames.T).abs(), "DCT coefficients 1-39": torch.corrcoef(coeffs.T).abs()}
corr_mel, corr_dct = (float(c.diagonal(1).mean()) for c in corr.values())  # neighbouring dimensions
off_mel, off_dct = (float((c.sum() - c.diagonal().sum()) / (c.numel() - len(c))) for c in corr.values())  # every pair i != j
print(f"mean |correlation| of neighbouring dimensions: log-mel bands {corr_mel:.3f}, DCT coefficients {corr_dct:.3f}")
print(f"mean |correlation| over all pairs of distinct dimensions: log-mel bands {off_mel:.3f}, DCT coefficients {off_dct:.3f}")
fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
for ax, (title, c) in zip(axes, corr.items()):
    im = ax.imshow(c, vmin=0, vmax=1, cmap="magma")
    ax.set_title(f"|correlation|, {title}", fontsize=9)
fig.colorbar(im, ax=axes.tolist(), shrink=0.8)
plt.show()

# %% [markdown]
# Then the cepstrum: the loudest frame of a harmonic note, and the same frame rebuilt
# from its first 13 coefficients (the DCT is orthonormal, so its transpose inverts it).
# The printed share is how much of the frame's variation across bands the 13
# coefficients keep; the rest is the faster band-to-band ripple.

# %%
note = clips.waves[int(torch.nonzero(clips.labels == clips.classes.index("harmonic"))[0])].double()
note_db = power_to_db(mel_spectrogram(note, SR, N_FFT, HOP, N_MELS))  # (M, T)
frame = note_db[:, int(note_db.sum(0).argmax())]  # (M,) the loudest frame
d13 = dct_matrix(13, N_MELS).double()  # (13, M)
envelope = d13.T @ (d13 @ frame)  # (M,) back from 13 coefficients
kept_share = 1 - float(((frame - envelope) ** 2).sum() / ((frame - frame.mean()) ** 2).sum())
print(f"the first 13 coefficients keep {kept_share:.1%} of this frame's variance across the {N_MELS} bands")
plt.figure(figsize=(6, 2.8))
plt.plot(frame, label="log-mel frame")
plt.plot(envelope, label="from the first 13 DCT coefficients")
plt.xlabel("mel band")
plt.ylabel("dB")
plt.legend(fontsize=8)
plt.title("A log-mel frame and its smoothed version from 13 cepstral coefficients", fontsize=9)
plt.show()

# %% [markdown]
# ## Looking at the features
#
# One clip of each class: waveform, log power spectrogram, log-mel spectrogram, MFCC.

# %%
fig, axes = plt.subplots(4, len(clips.classes), figsize=(14, 8))
for c, name in enumerate(clips.classes):
    i = int(torch.nonzero(clips.labels == c)[0])
    w = clips.waves[i].double()
    mel = mel_spectrogram(w, SR, N_FFT, HOP, N_MELS)
    axes[0, c].plot(np.arange(0, len(w), 4) / SR, w[::4], lw=0.3)
    axes[0, c].set_title(name)
    axes[1, c].imshow(power_to_db(power_spectrogram(w, N_FFT, HOP)), origin="lower", aspect="auto")
    axes[2, c].imshow(power_to_db(mel), origin="lower", aspect="auto")
    axes[3, c].imshow(mfcc(mel, 13), origin="lower", aspect="auto")
for r, label in enumerate(["waveform", "spectrogram (dB)", "mel (dB)", "MFCC"]):
    axes[r, 0].set_ylabel(label)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Pooling over time
#
# A classifier wants one vector per clip, and clips have frames. The classic summary is
# the mean and the standard deviation over time of each feature row. Cutting the frames
# into a few consecutive segments and summarizing each keeps a coarse order of events; we
# will need that at the end of the lesson, and lesson 11 builds on it.
#
# **Exercise 02.4.** Write `segment_stats(feats, n_segments=1)`: split the frames of
# `feats` (..., K, T) into `n_segments` consecutive segments with
# `torch.tensor_split(feats, n_segments, dim=-1)` (lengths differ by at most one frame),
# take the mean and the std (`torch.std`'s default, unbiased) over time within each, and
# return (..., 2 · K · n_segments): all the segments' means first (segment 0's K means,
# then segment 1's, ...), then all their stds in the same order.

# %%
def segment_stats(feats: torch.Tensor, n_segments: int = 1) -> torch.Tensor:
    """(..., K, T) -> (..., 2 * K * n_segments): [means of segments 0..S-1, stds of segments 0..S-1]."""
    ### BEGIN SOLUTION 02.4
    parts = torch.tensor_split(feats, n_segments, dim=-1)  # S x (..., K, T_s)
    return torch.cat([q.mean(-1) for q in parts] + [q.std(-1) for q in parts], dim=-1)
    ### END SOLUTION


segment_stats = check("02.4", segment_stats)

# %% [markdown]
# ## Features vs raw samples, with few labels
#
# Train the same linear classifier (`linear_probe_features`: standardized inputs, a
# linear layer) on four descriptions of each clip, with a few labelled clips per class,
# and test it on the rest:
#
# * the raw 16,000 samples;
# * **log-mel statistics**: the mean and standard deviation over time of each of the 40
#   log-mel bands (80 numbers);
# * **all-40 MFCC statistics**: the same after the full 40 × 40 DCT (80 numbers);
# * **MFCC statistics**: the same for the first 13 coefficients only (26 numbers).
#
# The second and third isolate the DCT: the full DCT is a rotation of the log-mel frame,
# so the means carry the same information, linearly mixed (the standard deviations are not
# a linear function of each other, and standardizing each dimension is not
# rotation-invariant, so the two can still differ a little). The fourth adds the
# truncation, which is where the DCT can earn its keep: 26 numbers instead of 80, the
# envelope without the fine ripple. `segment_stats(feats, 1)` (exercise 02.4) takes the
# mean and std over time. Six labelled clips per
# class is a noisy experiment, so we repeat it for five random draws of the labelled clips
# and print the mean and the spread.

# %%
mels = mel_spectrogram(clips.waves.double(), SR, N_FFT, HOP, N_MELS)  # (N, 40, T)
logmels = power_to_db(mels)  # (N, 40, T) dB
descriptors = {
    "raw samples": clips.waves,  # (N, 16000)
    "log-mel mean+std": segment_stats(logmels, 1).float(),  # (N, 80)
    "MFCC-40 mean+std": segment_stats(mfcc(mels, N_MELS), 1).float(),  # (N, 80)
    "MFCC-13 mean+std": segment_stats(mfcc(mels, 13), 1).float(),  # (N, 26)
}
shots, draws = 6, 5
acc_runs = {name: [] for name in descriptors}
for draw in range(draws):
    few = clips.few_per_class(shots, seed=draw)
    train_idx = torch.cat([torch.nonzero((clips.waves == w).all(1)).flatten() for w in few.waves])
    test_mask = torch.ones(len(clips), dtype=torch.bool)
    test_mask[train_idx] = False
    for name, x in descriptors.items():
        acc_runs[name].append(linear_probe_features(x[train_idx], clips.labels[train_idx], x[test_mask], clips.labels[test_mask]).test_acc)
acc = {name: float(np.mean(v)) for name, v in acc_runs.items()}
acc_sd = {name: float(np.std(v, ddof=1)) for name, v in acc_runs.items()}
print(f"{shots} labels/class, {draws} draws; chance {1 / len(clips.classes):.3f}")
for name, x in descriptors.items():
    print(f"  {name:18s} ({x.shape[1]:5d} numbers)  test accuracy {acc[name]:.3f} ± {acc_sd[name]:.3f} (sd over draws)")
gaps = {}  # the same labelled clips on both sides of each difference: paired by draw
for what, name in (("the full DCT (a rotation)", "MFCC-40 mean+std"), ("keeping 13 coefficients", "MFCC-13 mean+std")):
    gaps[what] = interval([a - b for a, b in zip(acc_runs[name], acc_runs["log-mel mean+std"])])
    iv = gaps[what]
    print(f"{what:26s} minus log-mel: {iv.mean:+.3f}, 95 % interval over the {draws} paired draws "
          f"[{iv.lo:+.3f}, {iv.hi:+.3f}]: {'excludes' if iv.excludes(0) else 'contains'} 0")

# %% [markdown]
# Read the gaps with their intervals, as the last two lines do. Each difference is taken
# draw by draw (both descriptors saw the same labelled clips, so a lucky draw lifts both
# sides), and its 95 % t-interval over the draws (lesson 09 explains it) says whether this
# experiment can see it: an interval that contains 0 is a difference it cannot tell from
# none. If the first interval contains 0, this experiment cannot tell the rotation from no
# change (and a linear probe mostly cannot care: a linear layer can undo a rotation);
# whatever the 13-coefficient row gains or loses then comes from the truncation, keeping
# fewer, smoother numbers (with six labels per class, a probe has fewer weights to fit;
# this lesson measures only that one label count). The classic argument for the DCT's
# decorrelation is about models that treat dimensions independently (the diagonal
# Gaussians above), not about a linear probe; this lesson does not train such a model,
# so that argument is not measured here.
#
# ## What mean and std pooling throws away: time order
#
# Averaging over time forgets *when* things happened. Take a chirp and play it backwards:
# a rising chirp becomes a falling one, a different sound to any listener. Its frames are
# (almost exactly) the same frames in reverse order, so every mean and standard deviation
# over time stays (almost) the same. Cut the clip into four time segments and take the
# statistics within each (`segment_stats(feats, 4)`), and the order comes back, coarsely.
# We compare the change each descriptor sees with the size of the descriptor itself.
#
# Reversing the whole clip would also move the sound: its onset would become the old
# clip's end, and the four-segment statistics would change even for a sound without any
# order in it. So we reverse only the sound's own span (from its onset to its end, which
# the generator records), leaving it where it was. And as a control, we do the same to a
# steady tone, which has no order to flip: what its statistics change measures the
# reversal's side effects (the attack and release swap, the noise is reordered), the
# floor against which the chirp's change is read.

# %%
def reverse_sound(i: int) -> torch.Tensor:
    """Clip i with the samples of its sound's span (onset to onset + duration) in reverse order."""
    wave = clips.waves[i].double().clone()
    start = int(round(float(clips.attributes["onset"][i]) * SR))
    stop = min(len(wave), int(round(float(clips.attributes["onset"][i] + clips.attributes["duration"][i]) * SR)))
    wave[start:stop] = wave[start:stop].flip(0)
    return wave


rel_change = {}  # (sound, segments) -> |forward - reversed| / |forward|
pair_mfcc = {}
for sound in ("chirp", "tone"):
    i = int(torch.nonzero(clips.labels == clips.classes.index(sound))[0])
    pair = torch.stack([clips.waves[i].double(), reverse_sound(i)])  # (2, L): the clip and its sound reversed in place
    pair_mfcc[sound] = mfcc(mel_spectrogram(pair, SR, N_FFT, HOP, N_MELS), 13)  # (2, 13, T)
    for n_seg in (1, 4):
        s = segment_stats(pair_mfcc[sound], n_seg)  # (2, 2 * 13 * n_seg)
        rel_change[sound, n_seg] = float((s[0] - s[1]).norm() / s[0].norm())
        print(f"{sound:5s} reversed in place, MFCC statistics over {n_seg} segment(s) ({s.shape[1]:3d} numbers): "
              f"|forward - reversed| / |forward| = {rel_change[sound, n_seg]:.1e}")
for n_seg in (1, 4):
    print(f"{n_seg} segment(s): the chirp's change is {rel_change['chirp', n_seg] / rel_change['tone', n_seg]:.1f} times the tone's")
fig, axes = plt.subplots(1, 2, figsize=(9, 2.8))
for ax, m, title in zip(axes, pair_mfcc["chirp"], ["chirp", "the same chirp reversed in place"]):
    ax.imshow(m, origin="lower", aspect="auto")
    ax.set_title(f"MFCC, {title}", fontsize=9)
plt.show()

# %% [markdown]
# Read the chirp against the tone. Where the chirp's one-segment change is about as
# small as the tone's, the mean-and-std summary sees nothing of the reversal beyond its
# side effects; where its four-segment change is many times the tone's, the segments see
# the order of the pitches. If both hold in your run, the summary
# above cannot tell a rising chirp from a falling one, however many labels it gets. The
# clips of this lesson never ask it to: their classes differ in *what* sounds, and a
# "chirp" here may sweep up or down and is one class either way. Lesson 11's benchmark is
# built on exactly this blind spot: its eight classes are four pairs of sounds played in
# opposite time order, and it compares these descriptors with a model that reads the
# whole spectrogram.

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [("mode", maelearn.mode()), ("clips", n_clips),
        ("filterbank vs librosa, max abs difference", f"{fb_err:.2e}"),
        ("mel spectrogram vs librosa, max diff / peak", f"{mel_err:.2e}"),
        ("MFCC vs librosa, max abs difference", f"{mfcc_err:.2e}"),
        ("neighbour |corr|: log-mel bands / DCT coeffs", f"{corr_mel:.3f} / {corr_dct:.3f}"),
        ("all-pairs |corr|: log-mel bands / DCT coeffs", f"{off_mel:.3f} / {off_dct:.3f}"),
        ("harmonic frame's variance kept by 13 coefficients", f"{kept_share:.1%}")]
rows += [(f"accuracy, {k}, {shots} labels/class", f"{acc[k]:.3f} ± {acc_sd[k]:.3f}") for k in acc]
rows += [(f"{what} - log-mel [95 % interval]", f"{iv.mean:+.3f} [{iv.lo:+.3f}, {iv.hi:+.3f}]") for what, iv in gaps.items()]
rows += [(f"{sound} reversed in place, rel. change, {n} segment(s)", f"{v:.1e}") for (sound, n), v in rel_change.items()]
rows.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in rows:
    print(f"{key:52s} {value}")

# %% [markdown]
# **What it teaches.** The hand-built features agree with librosa to floating-point
# precision (the table). Compare the accuracies: a linear model on raw samples must find a
# pattern that survives random onsets and phases; statistics over time discard exactly
# those nuisances. Whether the MFCC rows beat the log-mel row is printed above, next to
# its paired interval over label draws. The same pooling that discards the onset discards the
# order of events too (the chirp's printed changes): lesson 11 learns a spectrogram
# representation by masking, on classes that only the order of events separates.
#
# **Pointers.** Davis & Mermelstein (1980) introduced MFCCs for speech; Slaney's Auditory
# Toolbox defines the mel scale librosa uses by default. Bogert, Healy & Tukey (1963)
# named the cepstrum; Ahmed, Natarajan & Rao (1974) introduced the DCT and showed that it
# comes close to the Karhunen–Loève (PCA) basis for strongly correlated signals.
