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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/12_mae_everywhere.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 12 · MAE everywhere
#
# Words (lesson 06), image patches (08), space-time cubes (10), spectrogram patches (11):
# every masked autoencoder in this course hid most of its input and asked a network to
# fill it in. What changed from one lesson to the next was never the idea, only four
# choices. This lesson names the four choices, makes them for a new kind of data,
# multichannel sensor time series, measures what comes out, and ends with a map of the
# family of published masked autoencoders and what each one changes.
#
# **In this lesson you will learn to**
#
# 1. state the masked-autoencoder recipe as four choices: the token, the mask, the target,
#    what the encoder sees;
# 2. cut a multichannel series into patch tokens, and build a forecasting-style mask;
# 3. pretrain a time-series MAE and compare a linear probe on its features with raw
#    samples, a hand-made spectrum and an untrained encoder, honestly;
# 4. place BERT, MAE, VideoMAE, Audio-MAE, MultiMAE, GraphMAE and contrastive + MAE
#    hybrids on one map.

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
from maelearn.data.timeseries import activity_series
from maelearn.evaluate import linear_probe_features
from maelearn.exercises import check
from maelearn.masking import num_visible
from maelearn.timeseries import build_timeseries_mae, forecast_noise, normalize_series, spectrum_features
from maelearn.train import TrainConfig, pretrain

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
# The quick-mode model is tiny (16 tokens of 64 numbers): on a shared CPU one thread runs
# it faster than two threads that keep waiting for each other.
torch.set_num_threads(maelearn.budget(quick=1, full=torch.get_num_threads()))
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## The recipe is four choices
#
# | choice | BERT (lesson 06) | image MAE (08) | VideoMAE (10) | Audio-MAE (11) | this lesson |
# |---|---|---|---|---|---|
# | **what is a token** | a word piece | a 16 × 16 patch | a 2 × 16 × 16 cube | a 16 × 16 patch of a log-mel spectrogram | `p` consecutive steps of every channel |
# | **how to mask** | 15 % at random | 75 % at random | 90 % tubes | 80 % at random | 75 % at random, or the last patches (forecasting) |
# | **what to predict** | the word's id | the patch's pixels, per-patch normalized | the cube's pixels, normalized per channel | the patch's values, normalized | the patch's values, normalized or raw |
# | **what the encoder sees** | every position, `[MASK]` in place of hidden words | visible patches only | visible cubes only | visible patches only | visible patches only |
#
# Everything else, the transformer blocks, the decoder with its mask tokens, the loss on
# hidden tokens only, the optimizer, carries over unchanged. `maelearn.timeseries`
# is the image MAE with the four choices above and nothing more.

# %% [markdown]
# ## Sensor data
#
# `activity_series` synthesizes what a body-worn accelerometer records: 3 channels
# (x, y, z) of 128 steps at 50 Hz, about 2.6 seconds, for five activities. Each activity
# has its own rhythm (walking near 2 steps a second, running faster and harder, cycling a
# smooth circle in two channels, jumping as sharp impacts, resting as a faint tremor),
# and inside a class the rate, the phase, the loudness of each axis, a constant offset
# (gravity), a slow drift and the noise are random. Two walks are therefore rarely alike
# sample by sample, which is what makes a representation necessary.

# %%
n_train, n_test = maelearn.budget(quick=(384, 256), full=(4096, 1024))
data = activity_series(n_train + n_test, seed=0)
train, test = data.split(n_train, seed=0)
print("series", tuple(data.series.shape), "(N, channels, steps)   classes", data.classes)

fig, axes = plt.subplots(1, 5, figsize=(14, 2.6), sharey=True)
t_axis = torch.arange(data.series.shape[-1]) / data.sr
for c, ax in enumerate(axes):
    i = int((train.labels == c).nonzero()[0, 0])
    for ch, colour in enumerate(["tab:red", "tab:green", "tab:blue"]):
        ax.plot(t_axis, train.series[i, ch], colour, lw=0.8, label="xyz"[ch])
    ax.set_title(data.classes[c], fontsize=10)
    ax.set_xlabel("time (s)")
axes[0].legend(fontsize=8, loc="upper left")
fig.suptitle("One series per activity (3 accelerometer axes)")
fig.tight_layout()
plt.show()

# %% [markdown]
# Every channel is standardized with the *training* set's mean and standard deviation of
# that channel (`normalize_series`), so the gravity offsets and loudness of the axes stay
# comparable across series while all inputs are of order one.

# %%
x_train, x_test = normalize_series(train.series, test.series)  # (N, 3, 128) each
print(f"train channel means {x_train.mean(dim=(0, 2)).numpy().round(3)}, stds {x_train.std(dim=(0, 2)).numpy().round(3)}")

# %% [markdown]
# ## Choice 1: the token
#
# A transformer needs a sequence of vectors. One vector per time step would give 128
# tokens that each say almost nothing (three noisy numbers), and attention would cost
# 128² per layer. A **patch** of `p` consecutive steps holds a piece of rhythm: with
# `p = 8` a series becomes 16 tokens of 8 × 3 = 24 numbers. As image patches list their
# values by (row, column, channel), a series patch lists them by (step, channel).
# PatchTST (Nie et al., ICLR 2023) made patches the standard token for time-series
# transformers, with one difference worth knowing: its patches are *channel-independent*
# (each channel is cut and encoded as a separate univariate series, with weights shared
# across channels), where ours hold every channel of a time span, as an RGB patch holds
# all three colours.
#
# **Exercise 12.1.** Write `patchify_series(series, p)`: (B, C, L) → (B, L/p, p·C),
# non-overlapping patches of `p` consecutive steps, values in (step, channel) order.

# %%
def patchify_series(series: torch.Tensor, p: int) -> torch.Tensor:
    """(B, C, L) -> (B, L/p, p*C)."""
    ### BEGIN SOLUTION 12.1
    return rearrange(series, "b c (n p) -> b n (p c)", p=p)
    ### END SOLUTION


# %%
patchify_series = check("12.1", patchify_series)
cfg = build_timeseries_mae("tiny").config
print("one series ->", tuple(patchify_series(x_train[:1], cfg.patch_size).shape), f"(1, N = {cfg.num_patches} tokens, p*C = {cfg.patch_size * cfg.channels})")

# %% [markdown]
# ## Choice 2: the mask
#
# MAE's random mask hides patches anywhere, so the model **interpolates**: a hidden
# stretch usually has visible neighbours on both sides. A time series invites a second
# choice, hiding the *end*: then the model must **forecast** from the past alone. Both
# are the same argsort machinery: random masking scores patches with uniform noise,
# forecasting scores them by their position in time, and the highest scores are hidden.
#
# **Exercise 12.2.** Write `forecast_mask(batch, num_patches, mask_ratio)`: a float mask
# (B, N), 1 = removed, that keeps the first `int(N * (1 - mask_ratio))` patches (the
# count random masking keeps) and removes every later one.

# %%
def forecast_mask(batch: int, num_patches: int, mask_ratio: float) -> torch.Tensor:
    """-> (B, N) float, 1 = removed: the last patches."""
    ### BEGIN SOLUTION 12.2
    keep = int(num_patches * (1 - mask_ratio))
    mask = torch.ones(batch, num_patches)
    mask[:, :keep] = 0.0
    return mask
    ### END SOLUTION


# %%
forecast_mask = check("12.2", forecast_mask)
mask_ratio = 0.75
print("forecasting mask of one series:", forecast_mask(1, cfg.num_patches, mask_ratio)[0].int().tolist())

# %% [markdown]
# ## Choice 3: the target
#
# MAE predicts each hidden patch's values after normalizing the patch by its own mean and
# variance: the model is asked for the *shape* of the patch, not its level or scale.
# For images that helped (the paper's Table 1d). For a sensor the level and the
# loudness of a patch carry meaning too (a run is louder than a walk), so here the
# choice is worth measuring: we train once with normalized and once with raw patch
# targets.
#
# **Exercise 12.3.** Write `series_targets(series, p)`: the patches of
# `patchify_series`, each normalized over its own p·C values, `(x - mean) / sqrt(var + 1e-6)`
# with the unbiased variance (as MAE's code does).

# %%
def series_targets(series: torch.Tensor, p: int) -> torch.Tensor:
    """(B, C, L) -> (B, L/p, p*C) per-patch normalized."""
    ### BEGIN SOLUTION 12.3
    patches = patchify_series(series, p)
    mean, var = patches.mean(-1, keepdim=True), patches.var(-1, keepdim=True)
    return (patches - mean) / (var + 1e-6) ** 0.5
    ### END SOLUTION


# %%
series_targets = check("12.3", series_targets)
tgt = series_targets(x_train[:4], cfg.patch_size)
print(f"targets {tuple(tgt.shape)}: per-patch mean ~ {float(tgt.mean(-1).abs().max()):.1e}, var ~ {float(tgt.var(-1).mean()):.3f}")

# %% [markdown]
# ## Choice 4: what the encoder sees, and pretraining
#
# As in MAE, the encoder gets only the visible patches (a [CLS] token joins them; fixed
# 1-D sin-cos positions say where in time each patch was), and a one-block decoder gets
# the encoder's tokens plus one shared mask token per hidden patch. We pretrain with
# random masking at 75 % on the training series, without labels, with the same engine as
# every MAE in the course. Two models per seed, normalized vs raw targets; quick mode
# affords one seed, full mode three.

# %%
seeds = maelearn.budget(quick=(0,), full=(0, 1, 2))
train_cfg = dict(epochs=maelearn.budget(quick=20, full=100), batch_size=32, lr=2e-3,
                 warmup_epochs=maelearn.budget(quick=2, full=10), mask_ratio=mask_ratio)
models: dict[str, list] = {"untrained encoder": [], "MAE, normalized target": [], "MAE, raw target": []}
histories = {}
for seed in seeds:
    torch.manual_seed(seed)
    models["untrained encoder"].append(build_timeseries_mae("tiny"))
    for name, norm in (("MAE, normalized target", True), ("MAE, raw target", False)):
        torch.manual_seed(seed)
        model = build_timeseries_mae("tiny", norm_pix_loss=norm)
        histories[name, seed] = pretrain(model, x_train, TrainConfig(seed=seed, **train_cfg), progress=False)
        models[name].append(model.cpu().eval())
        h = histories[name, seed]
        print(f"seed {seed}  {name:24s} loss {h.loss[0]:.3f} -> {h.final_loss:.3f} in {len(h.loss)} steps ({h.wall_time:.1f} s)")

# %% [markdown]
# ## Reconstructions: interpolating vs forecasting
#
# The raw-target model of the first seed, on test series it never saw. Shaded: the
# hidden patches; grey: the truth; colour: the model's prediction in the hidden patches.
# Left, a random mask (the pretraining task); right, a forecasting mask that hides the
# last three quarters of the series, a task the model was never trained on. Ask of each panel
# whether the prediction has the level of each channel, its rhythm, or both.

# %%
model = models["MAE, raw target"][0]
n_show, p = 2, model.patch_size
noises = {"random mask": torch.rand(n_show, model.num_patches, generator=torch.Generator().manual_seed(1)),
          "forecasting mask": forecast_noise(n_show, model.num_patches)}
fig, axes = plt.subplots(n_show, 2, figsize=(13, 2.6 * n_show), sharex=True)
for col, (title, noise) in enumerate(noises.items()):
    rec = model.reconstruct(x_test[:n_show], mask_ratio, noise=noise)
    for row in range(n_show):
        ax = axes[row, col]
        for k in rec["mask"][row].nonzero().flatten().tolist():
            ax.axvspan(k * p, (k + 1) * p, color="0.92", lw=0)
        for ch, colour in enumerate(["tab:red", "tab:green", "tab:blue"]):
            ax.plot(rec["original"][row, ch], color="0.55", lw=0.8)
            hidden = rearrange(rec["mask"][row], "n -> n 1").expand(-1, p).flatten().bool()
            ax.plot(torch.where(hidden, rec["reconstruction"][row, ch], torch.nan), colour, lw=1.2)
        ax.set_ylabel(data.classes[int(test.labels[row])], fontsize=9)
        if row == 0:
            ax.set_title(f"{title} ({mask_ratio:.0%}), loss {float(rec['loss']):.3f} on these series")
axes[-1, 0].set_xlabel("step"), axes[-1, 1].set_xlabel("step")
fig.tight_layout()
plt.show()

# %% [markdown]
# The reconstruction loss of the same model over the whole test set, with each mask, puts
# a number on the picture: interpolation and extrapolation are different tasks.

# %%
@torch.no_grad()
def test_loss(model, noise_fn) -> float:
    return float(model(x_test, mask_ratio, noise=noise_fn(x_test.shape[0])).loss)


g = torch.Generator().manual_seed(2)
loss_by_mask = {
    "random mask": test_loss(model, lambda b: torch.rand(b, model.num_patches, generator=g)),
    "forecasting mask": test_loss(model, lambda b: forecast_noise(b, model.num_patches)),
}
for k, v in loss_by_mask.items():
    print(f"test reconstruction loss, {k:17s} {v:.3f}  ({num_visible(model.num_patches, mask_ratio)} of {model.num_patches} patches visible)")

# %% [markdown]
# ## What do the features know?
#
# The labels come back only now, for a linear probe (the course's
# `linear_probe_features`: standardized features, a linear classifier) on five kinds of
# features:
#
# * **raw samples**: every normalized number of a series (channels × steps), flattened;
# * **spectrum**: the magnitude of each channel's Fourier transform (lowest 32
#   frequencies, log-scaled), a hand-made feature that ignores phase and offset by
#   construction, the time-series cousin of lesson 02's MFCCs;
# * **untrained encoder**, and the two **MAE-pretrained encoders**: the [CLS] token, as
#   MAE's linear probe reads it, with every patch visible.

# %%
def probe(train_x: torch.Tensor, test_x: torch.Tensor) -> float:
    return linear_probe_features(train_x, train.labels, test_x, test.labels).test_acc


probe_acc: dict[str, list[float]] = {
    "raw samples": [probe(x_train.flatten(1), x_test.flatten(1))],
    "spectrum (hand-made)": [probe(spectrum_features(x_train), spectrum_features(x_test))],
}
for name, ms in models.items():
    probe_acc[name] = [probe(m.features(x_train), m.features(x_test)) for m in ms]


def mean_std(v: list[float]) -> str:
    t = torch.tensor(v)
    return f"{float(t.mean()):.3f}" + (f" ± {float(t.std()):.3f}" if len(v) > 1 else "")


print(f"linear-probe test accuracy (5 classes, chance 0.2), over {len(seeds)} seed(s) where a model is trained:")
for name, accs in probe_acc.items():
    print(f"  {name:24s} {mean_std(accs)}")
ranking = sorted(probe_acc, key=lambda k: -sum(probe_acc[k]) / len(probe_acc[k]))
print("ranking in this run:", " > ".join(ranking))

# %% [markdown]
# How to read this. Raw samples are a poor input for a *linear* classifier here: the
# phase of every series is random, so the same activity shifted by a few steps is a very
# different vector. The spectrum was designed for exactly this data (the classes differ
# by frequency content, and the spectrum discards phase), so it is the bar a learned
# feature has to reach, not a baseline to beat by default. An untrained transformer
# mixes random projections of patches; whatever pretraining adds above it is what the
# masked-reconstruction task taught. Compare the
# two target choices too: the ranking printed above is the verdict of *this run*
# (one seed in quick mode), not a law. With real sensor recordings and many more
# series, masked pretraining earns its keep when labels are scarce and no one has
# designed the right hand-made feature; PatchTST's self-supervised experiments (Nie et
# al., ICLR 2023) are the place to look.

# %% [markdown]
# ## The family map
#
# Every published masked autoencoder is the four choices made for its data, sometimes
# with one more ingredient. Facts from the papers, no numbers of ours:
#
# | model (paper) | token | how it masks | what it predicts | encoder sees | what it changes |
# |---|---|---|---|---|---|
# | **BERT** (Devlin et al., NAACL 2019) | word pieces | 15 % of tokens; of those 80 % → `[MASK]`, 10 % → a random word, 10 % unchanged | the original token ids (cross-entropy) | every position | the starting point: masked language modelling |
# | **MAE** (He et al., CVPR 2022) | 16 × 16 image patches | 75 % at random | pixels of the hidden patches, per-patch normalized (MSE) | visible patches only; a light decoder adds mask tokens | high ratio + asymmetric encoder/decoder: images are redundant, so hide most |
# | **VideoMAE** (Tong et al., NeurIPS 2022) | 2 × 16 × 16 space-time cubes | tube masking: one spatial mask for all frames, 90 % | normalized cube pixels | visible cubes only | even higher ratio; tubes stop copying from the next frame (lesson 10) |
# | **Audio-MAE** (Huang et al., NeurIPS 2022) | 16 × 16 patches of a log-mel spectrogram | 80 % at random (unstructured) for pretraining | normalized spectrogram patches | visible patches only | decoder with *local* window attention, since sound is local in time and frequency |
# | **MultiMAE** (Bachmann et al., ECCV 2022) | patches of several modalities (RGB, depth, semantic segmentation) | a fixed budget of visible tokens, split across the modalities by Dirichlet sampling | every modality, one decoder per task | visible tokens of all modalities together | cross-modal prediction: depth from RGB, RGB from segmentation |
# | **GraphMAE** (Hou et al., KDD 2022) | nodes (their feature vectors) | a fraction of the nodes get a learnable `[MASK]` feature | the hidden nodes' input features | the whole graph, masked nodes included (message passing needs the edges) | re-masks the hidden nodes' codes before a GNN decoder; scaled cosine error instead of MSE |
# | **CAN** (Mishra et al., 2022), **CMAE** (Huang et al., 2022) | image patches | random masking of two views (CAN); a masked view and a full view for a momentum encoder (CMAE) | pixels *and* a contrastive loss between views (CAN adds noise prediction) | visible patches only | contrastive + MAE: the reconstruction keeps detail, the contrastive term makes features linearly separable |
# | **PatchTST** (Nie et al., ICLR 2023), self-supervised | patches of consecutive steps of *one* channel: channel-independent, every channel a separate series through the same shared transformer | random patches, drawn for each channel separately (40 % in the paper's self-supervised runs), their values set to zero | the hidden patches' values (MSE), through a linear head | every patch, the hidden ones zeroed (as BERT's encoder sees `[MASK]`, not MAE's visible-only encoder) | time series become a sequence of patch tokens; channel independence |
# | *this lesson* (`maelearn.timeseries`) | patches of consecutive steps of all channels together | 75 % at random, or the last patches | the hidden patches' values, normalized or raw | visible patches only, as MAE | MAE's recipe unchanged, on a new kind of data |

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [("mode", maelearn.mode()), ("device", str(device)), ("train / test series", f"{n_train} / {n_test}"),
        ("series (channels x steps), patch, tokens", f"{cfg.channels} x {cfg.length}, p={cfg.patch_size}, N={cfg.num_patches}"),
        ("mask ratio (pretraining)", mask_ratio), ("seeds", list(seeds)),
        ("pretraining steps per model", len(histories["MAE, raw target", seeds[0]].loss))]
rows += [(f"final pretraining loss, {name}", mean_std([histories[name, s].final_loss for s in seeds]))
         for name in ("MAE, normalized target", "MAE, raw target")]
rows += [(f"test reconstruction loss, raw target, {k}", f"{v:.3f}") for k, v in loss_by_mask.items()]
rows += [(f"probe accuracy, {k}", mean_std(v)) for k, v in probe_acc.items()]
rows.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in rows:
    print(f"{key:56s} {value}")

# %% [markdown]
# ## Pointers
#
# * MAE (He et al., CVPR 2022): Figure 1 (the asymmetric design), Table 1 (mask ratio,
#   target, what the encoder sees), the choices this lesson re-makes for time series.
# * PatchTST, "A Time Series is Worth 64 Words" (Nie et al., ICLR 2023): patches as
#   tokens, channel independence, masked self-supervised pretraining for forecasting.
# * The papers in the family map, for the ingredient each one adds.
# * `maelearn/timeseries.py` (the model, tokens, masks, targets) and
#   `maelearn/data/timeseries.py` (the activity series); `tests/test_timeseries.py`
#   checks the model the way the image MAE is checked (encoder sees 1 + K tokens, loss on
#   removed patches only, hidden patches never reach the encoder).
