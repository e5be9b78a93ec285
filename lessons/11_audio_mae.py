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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/11_audio_mae.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 11 · Audio MAE: masking a spectrogram
#
# Lesson 02 turned sound into a picture: the log-mel spectrogram, mel bands down one side,
# time along the other. Audio-MAE (Huang et al., 2022) takes that picture literally: cut
# it into square patches, hide most of them at random, and train the image MAE's recipe
# to fill them in. This lesson does it on the course's synthesized clips and asks whether
# the learned features know a chirp from a click train, next to lesson 02's MFCCs.
#
# **In this lesson you will learn to**
#
# 1. turn clips into normalized log-mel spectrograms, the model's input;
# 2. cut a spectrogram into patches over (frequency, time), a non-square grid;
# 3. pretrain an MAE with a high mask ratio and look at its reconstructions;
# 4. probe the features on the clip labels and compare with MFCC features.

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
import torch
from einops import rearrange

import maelearn
from maelearn.audio import build_spectrogram_mae, log_mel, mfcc_features, spectrogram_mae_config
from maelearn.data.audio import synth_clips
from maelearn.evaluate import linear_probe_features
from maelearn.exercises import check
from maelearn.train import TrainConfig, pretrain

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## From clips to spectrograms
#
# Five kinds of sound (tones, chirps, harmonic notes, noise bursts, click trains) at
# random pitch, loudness and timing, one second each at 16 kHz. `log_mel` (built on
# lesson 02's `maelearn.classic.spectral`) gives each a 32-band log-mel spectrogram of 64 frames:
# a (1, 32, 64) one-channel image, wider than tall.

# %%
n_train, n_test = maelearn.budget(quick=(256, 128), full=(4096, 1024))
clips = synth_clips(n_train + n_test, seconds=1.0, sr=16000, seed=0)
train, test = clips.split(n_train, seed=0)
spec_train, spec_test = log_mel(train.waves, clips.sr), log_mel(test.waves, clips.sr)  # (N, 1, 32, 64) in dB
print("clips", tuple(clips.waves.shape), "-> spectrograms", tuple(spec_train.shape), " classes", clips.classes)

fig, axes = plt.subplots(1, 5, figsize=(12, 2.4))
for c, ax in enumerate(axes):
    i = (train.labels == c).nonzero()[0, 0]
    ax.imshow(spec_train[i, 0].numpy(), origin="lower", aspect="auto", cmap="magma")
    ax.set_title(clips.classes[c], fontsize=9)
    ax.set_xlabel("frame")
axes[0].set_ylabel("mel band")
fig.suptitle("Log-mel spectrograms, one per class")
plt.show()

# %% [markdown]
# Neural networks like inputs of order one. Audio-MAE normalizes every spectrogram with
# **one mean and one standard deviation computed over the training set**: per-clip
# statistics would erase how loud a clip is, per-band statistics would erase the shape
# of its spectrum, and the test set's own statistics are not known at training time.
#
# **Exercise 11.2.** Write `normalize_specs(train, *others)`: return a list with `train`
# and every other set normalized by the training set's mean and std (two scalars; the
# std as `torch.std` computes it).

# %%
def normalize_specs(train: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """(N, 1, F, T) sets -> the same sets, (x - mean_train) / std_train, train first."""
    raise NotImplementedError("Exercise 11.2: replace this line with your code")


# %%
normalize_specs = check("11.2", normalize_specs)
x_train, x_test = normalize_specs(spec_train, spec_test)
print(f"train mean {float(x_train.mean()):.3f} std {float(x_train.std()):.3f};  test mean {float(x_test.mean()):.3f}")

# %% [markdown]
# ## Patches over frequency and time
#
# The image MAE's patchify works unchanged on a non-square image: rows of patches are
# groups of mel bands, columns are stretches of time. With 4 × 4 patches the 32 × 64
# spectrogram becomes an 8 × 16 grid of 128 tokens, listed row by row (lowest bands first).
#
# **Exercise 11.1.** Write `spectrogram_patches(specs, p)`: (B, 1, F, T) → (B, (F/p)(T/p), p·p),
# patches in (frequency row, time column) order, values inside a patch row by row.

# %%
def spectrogram_patches(specs: torch.Tensor, p: int) -> torch.Tensor:
    """(B, C, F, T) -> (B, (F/p)(T/p), p*p*C)."""
    raise NotImplementedError("Exercise 11.1: replace this line with your code")


# %%
spectrogram_patches = check("11.1", spectrogram_patches)
cfg = spectrogram_mae_config("tiny")
print("patch grid", cfg.grid, "->", tuple(spectrogram_patches(x_train[:2], cfg.patch_size).shape))

# %% [markdown]
# ## Pretraining
#
# `SpectrogramMAE` is `maelearn.mae.MAE` with one input channel and a rectangular patch
# grid (only its patch embedding's shape check and its position tables differ). Audio-MAE
# found unstructured random masking at 80 % best for pretraining; we use it, with the
# same training engine as every other MAE in the course.

# %%
mask_ratio = 0.8
torch.manual_seed(0)
untrained = build_spectrogram_mae("tiny")
torch.manual_seed(0)
model = build_spectrogram_mae("tiny")
history = pretrain(
    model, x_train,
    TrainConfig(epochs=maelearn.budget(quick=4, full=200), batch_size=32, lr=maelearn.budget(quick=2e-3, full=1e-3),
                warmup_epochs=maelearn.budget(quick=1, full=20), mask_ratio=mask_ratio),
    progress=False,
)
print(f"final loss {history.final_loss:.3f} after {len(history.loss)} steps ({history.wall_time:.1f} s)")

# %% [markdown]
# ## Reconstructions
#
# What the encoder saw (20 % of the patches), what the decoder predicted (mapped back
# from normalized patches with each patch's own mean and variance), and the visible
# patches pasted onto the prediction.

# %%
model = model.cpu().eval()
rec = model.reconstruct(x_test[:3], mask_ratio, noise=torch.rand(3, model.num_patches, generator=torch.Generator().manual_seed(0)))
keys = ["original", "masked", "reconstruction", "pasted"]
fig, axes = plt.subplots(3, 4, figsize=(12, 5))
for r in range(3):
    for c, key in enumerate(keys):
        axes[r, c].imshow(rec[key][r, 0].numpy(), origin="lower", aspect="auto", cmap="magma",
                          vmin=float(x_test[r].min()), vmax=float(x_test[r].max()))
        axes[r, c].set_xticks([]), axes[r, c].set_yticks([])
        if r == 0:
            axes[r, c].set_title(key)
    axes[r, 0].set_ylabel(clips.classes[int(test.labels[r])], fontsize=9)
fig.suptitle(f"Spectrogram MAE at {mask_ratio:.0%} masking (loss {float(rec['loss']):.3f})")
plt.show()

# %% [markdown]
# ## What do the features know?
#
# A linear probe on frozen features (the mean of the encoder's tokens, Audio-MAE's
# pooling) for the five classes; the same probe on lesson 02's descriptor (the mean and
# std over time of 13 MFCCs) and on an untrained encoder of the same shape.

# %%
def probe(train_x: torch.Tensor, test_x: torch.Tensor) -> float:
    return linear_probe_features(train_x, train.labels, test_x, test.labels).test_acc


probe_acc = {
    "MFCC mean+std (lesson 02)": probe(mfcc_features(train.waves, clips.sr), mfcc_features(test.waves, clips.sr)),
    "untrained encoder": probe(untrained.features(x_train), untrained.features(x_test)),
    "MAE-pretrained encoder": probe(model.features(x_train), model.features(x_test)),
}
for name, acc in probe_acc.items():
    print(f"{name:28s} probe accuracy {acc:.3f}")

# %% [markdown]
# These classes differ in how energy spreads over frequency and time, which both the
# MFCC summary and a random projection of patches already capture well, so read the
# numbers of *this run* as a sanity check of the pipeline rather than a verdict on
# pretraining; in quick mode the encoder trains for seconds. Audio-MAE's claim (Table 2
# of the paper: AudioSet, ESC-50, Speech Commands) is measured with fine-tuning on real
# recordings, where hand-made features fall far behind.

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [("mode", maelearn.mode()), ("device", str(device)), ("train / test clips", f"{n_train} / {n_test}"),
        ("spectrogram (mels x frames), patch grid", f"{cfg.n_mels} x {cfg.frames}, {cfg.grid}"),
        ("mask ratio", mask_ratio), ("pretraining steps", len(history.loss)),
        ("final pretraining loss", f"{history.final_loss:.3f}")]
rows += [(f"probe accuracy, {k}", f"{v:.3f}") for k, v in probe_acc.items()]
rows.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in rows:
    print(f"{key:44s} {value}")

# %% [markdown]
# ## Pointers
#
# * Audio-MAE, "Masked Autoencoders that Listen" (Huang et al., 2022): Figure 1 (the
#   design), Table 1 (masking strategies and ratios: unstructured 80 % for pretraining),
#   Figure 4 (reconstructions). The paper's decoder uses local window attention; ours is
#   the plain MAE decoder.
# * `maelearn/audio.py` (model and inputs), `maelearn/classic/spectral.py` (mel and MFCC, lesson 02).
#
# Next: lesson 12 takes the recipe to other data.
