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
# 3. pretrain a time-series MAE with a random and with a forecasting mask, and probe its
#    features (mean-pooled, with [CLS] beside) against raw samples, a hand-made spectrum
#    and an untrained encoder;
# 4. judge a label curve (accuracy against the number of labelled series) measured over 5
#    seeds: at every label count, the paired difference between the learned features and
#    the strongest cheap baseline, with its 95 % interval;
# 5. place BERT, MAE, VideoMAE, Audio-MAE, MultiMAE, GraphMAE and contrastive + MAE
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
from maelearn.exercises import check
from maelearn.experiments.timeseries import (CHEAP_BASELINES, LABEL_COUNTS, PROTOCOL, READOUTS, STUDY_VARIANTS, count_key,
                                             label_keys, load_study, probe_curve, strongest_cheap, study_conclusions,
                                             study_interval, study_paired, study_report, study_values)
from maelearn.stats import t_quantile
from maelearn.timeseries import (build_timeseries_mae, encoder_features, forecast_noise, normalize_series,
                                 reconstruction_losses, series_targets, spectrum_features)
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
# | **how to mask** | 15 % at random | 75 % at random | 90 % tubes | 80 % at random | 75 %: at random, or the last patches (forecasting); both pretrained and compared |
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
    raise NotImplementedError("Exercise 12.1: replace this line with your code")


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
# Which one teaches the better features is a question for measurement, so below every
# model is pretrained twice, once with each mask.
#
# **Exercise 12.2.** Write `forecast_mask(batch, num_patches, mask_ratio)`: a float mask
# (B, N), 1 = removed, that keeps the first `int(N * (1 - mask_ratio))` patches (the
# count random masking keeps) and removes every later one.

# %%
def forecast_mask(batch: int, num_patches: int, mask_ratio: float) -> torch.Tensor:
    """-> (B, N) float, 1 = removed: the last patches."""
    raise NotImplementedError("Exercise 12.2: replace this line with your code")


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
# choice is worth measuring: we train with normalized and with raw patch targets.
# The normalized target is lesson 08's (exercise 08.4) on series patches:
# `maelearn.timeseries.series_targets` takes the patches of `patchify_series` and
# normalizes each over its own p·C values, `(x - mean) / sqrt(var + 1e-6)` with the
# unbiased variance, as MAE's code does.

# %%
tgt = series_targets(x_train[:4], cfg.patch_size)
print(f"targets {tuple(tgt.shape)}: per-patch mean ~ {float(tgt.mean(-1).abs().max()):.1e}, var ~ {float(tgt.var(-1).mean()):.3f}")

# %% [markdown]
# ## Choice 4: what the encoder sees, and pretraining with both masks
#
# As in MAE, the encoder gets only the visible patches (a [CLS] token joins them; fixed
# 1-D sin-cos positions say where in time each patch was), and a one-block decoder gets
# the encoder's tokens plus one shared mask token per hidden patch. Two choices are still
# open, the mask (random or forecasting, both at 75 %) and the target (normalized or raw),
# so we pretrain all four combinations on the training series, without labels, with the
# same engine as every MAE in the course and from the same initial weights.
# `masking="forecast"` makes the model hide the last patches in every training step, the
# mask of your exercise 12.2 (the cell checks that they agree). This cell trains one seed
# of each; the study further down repeats the whole comparison with 5 seeds at the study's
# own settings (it prints them, series and epochs, beside this run's).

# %%
seed = 0
train_cfg = TrainConfig(epochs=maelearn.budget(quick=20, full=100), batch_size=32, lr=2e-3,
                        warmup_epochs=maelearn.budget(quick=2, full=10), mask_ratio=mask_ratio, seed=seed)
torch.manual_seed(seed)
untrained = build_timeseries_mae("tiny")  # the starting point of every variant below
models, histories = {}, {}
for name, (masking, norm) in STUDY_VARIANTS.items():  # "random/norm": random mask, normalized target, ...
    torch.manual_seed(seed)  # the same initial weights as `untrained`
    model = build_timeseries_mae("tiny", masking=masking, norm_pix_loss=norm)
    histories[name] = h = pretrain(model, x_train, train_cfg, progress=False)
    models[name] = model.cpu().eval()
    print(f"{name:14s} ({masking} mask, {'normalized' if norm else 'raw'} target)  loss {h.loss[0]:.3f} -> "
          f"{h.final_loss:.3f} in {len(h.loss)} steps ({h.wall_time:.1f} s)")
with torch.no_grad():
    model_mask = models["forecast/norm"](x_test[:3], mask_ratio).mask  # the mask the forecasting model draws
print("the forecasting model hides what your forecast_mask hides:",
      torch.equal(model_mask, forecast_mask(3, cfg.num_patches, mask_ratio)))

# %% [markdown]
# ## Reconstructions: interpolating vs forecasting
#
# Both raw-target models on test series they never saw, both asked to **forecast**: the
# last three quarters of every series are hidden (shaded), grey is the truth, colour the
# prediction in the hidden patches. Left, the model pretrained with random masks, for
# which forecasting is a task it never trained on; right, the model pretrained with the
# forecasting mask. Ask of each panel whether the prediction has the level of each
# channel, its rhythm, or both.

# %%
n_show, p = 2, cfg.patch_size
fig, axes = plt.subplots(n_show, 2, figsize=(13, 2.6 * n_show), sharex=True, sharey="row")
for col, name in enumerate(("random/raw", "forecast/raw")):
    rec = models[name].reconstruct(x_test[:n_show], mask_ratio, noise=forecast_noise(n_show, cfg.num_patches))
    for row in range(n_show):
        ax = axes[row, col]
        for k in rec["mask"][row].nonzero().flatten().tolist():
            ax.axvspan(k * p, (k + 1) * p, color="0.92", lw=0)
        hidden = rearrange(rec["mask"][row], "n -> n 1").expand(-1, p).flatten().bool()
        for ch, colour in enumerate(["tab:red", "tab:green", "tab:blue"]):
            ax.plot(rec["original"][row, ch], color="0.55", lw=0.8)
            ax.plot(torch.where(hidden, rec["reconstruction"][row, ch], torch.nan), colour, lw=1.2)
        ax.set_ylabel(data.classes[int(test.labels[row])], fontsize=9)
        if row == 0:
            ax.set_title(f"pretrained with {STUDY_VARIANTS[name][0]} masks; forecasting loss {float(rec['loss']):.3f} here")
axes[-1, 0].set_xlabel("step"), axes[-1, 1].set_xlabel("step")
fig.tight_layout()
plt.show()

# %% [markdown]
# The masked loss of every model over the whole test set, with each mask, puts numbers on
# the picture. Each model is scored on its own target, so compare models with the same
# target (the untrained one uses the normalized target).

# %%
loss_table = {name: reconstruction_losses(m, x_test, mask_ratio, seed=seed) for name, m in {"untrained": untrained, **models}.items()}
print(f"{'pretrained with':16s} {'random mask':>12s} {'forecasting mask':>17s}")
for name, losses in loss_table.items():
    print(f"{name:16s} {losses['random']:12.3f} {losses['forecast']:17.3f}")
for t in ("norm", "raw"):
    r, f = loss_table[f"random/{t}"], loss_table[f"forecast/{t}"]
    for task, what in (("forecast", "forecasting mask"), ("random", "random masks")):
        lower = f"forecast/{t}" if f[task] < r[task] else f"random/{t}" if r[task] < f[task] else "neither"
        print(f"{what:16s} at test, {t} target: forecast/{t} {f[task]:.3f} vs random/{t} {r[task]:.3f}, lower: {lower}")

# %% [markdown]
# Does practising a task make a model better at it? The lines above answer for this one
# seed, the study below over 5 seeds. And a lower loss on forecasting is not yet better
# *features*: that is the next question.

# %% [markdown]
# ## What do the features know?
#
# The labels come back only now. Two read-outs, both on frozen features: a **linear
# probe** (the course's `linear_probe_features`: standardized features, a linear
# classifier) and **k-NN** (the 20 most cosine-similar labelled series vote, nothing
# trained). The features:
#
# * **raw series**: every normalized number of a series (3 × 128), flattened;
# * **spectrum**: the magnitude of each channel's Fourier transform (lowest 32
#   frequencies, log-scaled), a hand-made feature that ignores phase and offset by
#   construction, the time-series cousin of lesson 02's MFCCs;
# * the **untrained encoder** and the four **pretrained encoders**, pooled two ways: the
#   **mean** of the patch tokens, and the **[CLS]** token that MAE's paper probes. Lesson
#   09's image MAE probed better on the mean than on [CLS] in its short runs (lesson 09
#   guesses why, untested: no MAE loss trains [CLS] directly), so the mean is this
#   lesson's protocol, fixed in advance; [CLS] is printed beside it, and the study below
#   says whether a difference holds on these series.
#
# The raw series and the spectrum are the **cheap baselines**: nothing is learned before
# the read-out. Every learned number below stands beside the strongest of them.

# %%
features = {"raw series": (x_train.flatten(1), x_test.flatten(1)),  # (N, 384)
            "spectrum": (spectrum_features(x_train), spectrum_features(x_test))}  # (N, 96)
for name, m in {"untrained": untrained, **models}.items():
    for pool in ("mean", "cls"):
        features[f"{name}, {pool}"] = (encoder_features(m, x_train, pool), encoder_features(m, x_test, pool))  # (N, 64)
every = count_key(None)  # "all": every training label
acc = {name: probe_curve(ftr, train.labels, fte, test.labels, (None,), seed=seed) for name, (ftr, fte) in features.items()}
print(f"every training label ({n_train} series), accuracy on {n_test} test series (5 classes, chance 0.2), seed {seed}:")
print(f"  {'features':20s} {'linear':>7s} {'k-NN':>7s}")
for name, a in acc.items():
    print(f"  {name:20s} {a['linear'][every]:7.3f} {a['knn'][every]:7.3f}")
cheap_all = max(((m, r) for m in CHEAP_BASELINES for r in READOUTS), key=lambda mr: acc[mr[0]][mr[1]][every])
print(f"strongest cheap baseline: {cheap_all[0]}, {cheap_all[1]} {acc[cheap_all[0]][cheap_all[1]][every]:.3f}")
for name in ("untrained", *models):
    a_mean, a_cls = acc[f"{name}, mean"]["linear"][every], acc[f"{name}, cls"]["linear"][every]
    print(f"  {name:14s} linear probe, mean {a_mean:.3f} vs [CLS] {a_cls:.3f}: "
          f"{'mean' if a_mean > a_cls else '[CLS]' if a_cls > a_mean else 'neither'} ahead in this run")

# %% [markdown]
# How to read this. Raw samples are a poor input for a *linear* classifier: the phase of
# every series is random, so the same activity shifted by a few steps is a very different
# vector. The spectrum was designed for exactly this data (the classes differ by their
# frequencies, and the spectrum discards phase), so it is the bar a learned feature has
# to reach, not a baseline to beat by default. An untrained transformer mixes random
# projections of patches; what a pretrained encoder adds above it is what the
# masked-reconstruction task taught. One seed cannot rank close numbers: the study below
# gives intervals.
#
# The pooling lines deserve a second look. The mean is this lesson's protocol because it
# was fixed before any run, from lesson 09; it was not chosen on these series. Where the
# lines above show [CLS] ahead, the label curve below (mean-pooled tokens) understates
# every encoder by about that much in this run, and only the study's paired intervals say
# whether the gap is more than the luck of one seed (a cell after the study counts them).
#
# A forecasting encoder has a handicap worth knowing about: with a fixed forecasting mask
# it saw only the first quarter of every series in pretraining, while the probe shows it
# the whole series. The study also reads every encoder on that first quarter alone
# (`encoder_features(..., pool="past")`), which tests whether the handicap explains a gap.

# %% [markdown]
# ## Does pretraining earn its keep when labels are scarce?
#
# The usual argument for self-supervised pretraining is about labels: features learned
# without them should need fewer of them. That is a claim about a **curve**, accuracy
# against the number of labelled series, and it means something only beside the strongest
# cheap baseline at every point of it. `probe_curve` draws 2, 5, 10, 20 and 50 labelled
# series per class (class-balanced, with the seed; a larger draw contains the smaller ones)
# and then every training label, and reads each feature set with both read-outs. The
# strongest cheap baseline is picked at each count on the test accuracy, which favours
# the baseline.

# %%
keys = [count_key(c) for c in LABEL_COUNTS]
curve_sets = ["raw series", "spectrum", "untrained, mean", *(f"{v}, mean" for v in STUDY_VARIANTS)]
curves = {name: probe_curve(features[name][0], train.labels, features[name][1], test.labels, LABEL_COUNTS, seed=seed)
          for name in curve_sets}
strongest = {k: max(((m, r) for m in CHEAP_BASELINES for r in READOUTS), key=lambda mr: curves[mr[0]][mr[1]][k])
             for k in keys}
print(f"{'labels/class':>12s}  {'strongest cheap baseline':28s} {'untrained':>9s} " + " ".join(f"{v:>13s}" for v in STUDY_VARIANTS))
for k in keys:
    m, r = strongest[k]
    print(f"{k:>12s}  {f'{m}, {r} {curves[m][r][k]:.3f}':28s} {curves['untrained, mean']['linear'][k]:9.3f} "
          + " ".join(f"{curves[f'{v}, mean']['linear'][k]:13.3f}" for v in STUDY_VARIANTS))
few = keys[0]
best_few = max(STUDY_VARIANTS, key=lambda v: curves[f"{v}, mean"]["linear"][few])
gap = curves[f"{best_few}, mean"]["linear"][few] - curves[strongest[few][0]][strongest[few][1]][few]
print(f"with {few} labels per class, the best pretrained encoder of this run ({best_few}) is {gap:+.3f} "
      f"from the strongest cheap baseline (one seed: no interval)")

x_pos = [int(k) for k in keys[:-1]] + [len(train.labels) // 5]
fig, ax = plt.subplots(figsize=(7.5, 4))
for (name, readout), style in {("spectrum", "linear"): "k-", ("spectrum", "knn"): "k--", ("raw series", "knn"): "k:",
                               ("untrained, mean", "linear"): "C7-"}.items():
    ax.plot(x_pos, [curves[name][readout][k] for k in keys], style, marker="o", ms=3, label=f"{name} ({readout})")
for i, v in enumerate(STUDY_VARIANTS):
    ax.plot(x_pos, [curves[f"{v}, mean"]["linear"][k] for k in keys], f"C{i}-", marker="o", ms=3, label=f"MAE {v} (linear)")
ax.set_xscale("log"), ax.set_xlabel("labelled series per class (the last point: every training label)")
ax.set_ylabel("test accuracy"), ax.axhline(0.2, color="0.7", lw=0.8)
ax.set_title(f"Label curve of this run (seed {seed}, {n_train} series)")
ax.legend(fontsize=7, loc="lower right")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The measured study: 5 seeds
#
# One seed is a demonstration, not a measurement.
# `python -m maelearn.experiments timeseries --scale cpu --threads 1` runs the whole comparison again
# (four pretraining variants, the untrained encoder, both cheap baselines, both read-outs,
# three poolings, the label curve) with **5 seeds** at the study's settings (the cell
# prints them first, series and epochs, beside this run's). A seed changes the initial weights, the
# masks, the data order and the draw of labels; within a seed every method gets the same
# labels, so differences between methods are **paired**. Each row is a mean ± sd over
# seeds with its 95 % t-interval (`maelearn.stats.interval`); each
# comparison is the seed-by-seed difference with its 95 % interval (`paired_interval`,
# lesson 09's exercise 09.1). "No difference resolved" means the interval contains 0.
# The file `data/timeseries_cpu.json` holds every run, the command, the machine and the
# date; the next cell reads it, recomputing every interval from the runs.

# %%
study = load_study()
if study is None:
    print("no data/timeseries_cpu.json yet: run  python -m maelearn.experiments timeseries --scale cpu --threads 1")
else:
    st = study["settings"]
    print(f"study settings: {len(st['seeds'])} seeds, {st['n_train']} training / {st['n_test']} test series, "
          f"{st['epochs']} pretraining epochs; this run ({maelearn.mode()} mode): {n_train} / {n_test} series, "
          f"{train_cfg.epochs} epochs\n")
    print(study_report(study))

# %% [markdown]
# The label curve of the study, with the 95 % interval of each point:

# %%
if study is not None:
    s_keys = label_keys(study)
    s_x = [int(k) for k in s_keys[:-1]] + [study["settings"]["n_train"] // len(study["classes"])]
    fig, ax = plt.subplots(figsize=(7.5, 4))
    lines = {("spectrum", "-", "linear"): ("k-", "spectrum (linear)"), ("spectrum", "-", "knn"): ("k--", "spectrum (k-NN)"),
             ("raw series", "-", "knn"): ("k:", "raw series (k-NN)"), ("untrained", "mean", "linear"): ("C7-", "untrained, mean (linear)")}
    lines.update({(v, "mean", "linear"): (f"C{i}-", f"MAE {v}, mean (linear)") for i, v in enumerate(STUDY_VARIANTS)})
    for what, (style, label) in lines.items():
        ivs = [study_interval(study, *what, key=k) for k in s_keys]
        ax.errorbar(s_x, [iv.mean for iv in ivs], yerr=[[iv.mean - iv.lo for iv in ivs], [iv.hi - iv.mean for iv in ivs]],
                    fmt=style, marker="o", ms=3, capsize=2, label=label)
    ax.set_xscale("log"), ax.set_xlabel("labelled series per class (the last point: every training label)")
    ax.set_ylabel("test accuracy"), ax.axhline(study["chance"], color="0.7", lw=0.8)
    ax.set_title(f"The study's label curve: mean and 95 % interval over {len(study['methods']['untrained']['runs'])} seeds")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    plt.show()

# %% [markdown]
# ## Judging the label curve
#
# A label curve is a claim made point by point: at each number of labels, are the learned
# features ahead of the best thing you could have had for free? Two choices decide the
# answer. **Which baseline**: at each label count, the cheap baseline with the highest
# *mean* over seeds, chosen once for that count (one may lead with 2 labels and another
# with every label), never the best baseline of each seed separately, which no fixed
# method could match. **How sure**: the difference learned − baseline seed by seed (within
# a seed both saw the same labels, so the difference is paired) with its 95 % t-interval,
# lesson 09's paired interval.
#
# **Exercise 12.3.** Write `versus_strongest_cheap(accuracies, method, cheap)`.
# `accuracies` maps a name to `{labels per class: [accuracy of seed 0, seed 1, ...]}`,
# every list in the same seed order; `cheap` lists the names of the cheap baselines. For
# every label count of `method`, return `(baseline, mean, lo, hi)`: the cheap baseline with
# the highest mean over seeds (the first listed on a tie), then the mean and 95 %
# t-interval of the differences `method - baseline` paired by seed, as Python floats.
# Compute the interval yourself, as in exercise 09.1 (`t_quantile(n - 1)` gives the
# quantile); the library's interval functions are off limits here.

# %%
def versus_strongest_cheap(accuracies: dict, method: str, cheap: list) -> dict:
    """{name: {count: [accuracy per seed]}}, a method's name, the cheap baselines' names ->
    {count: (strongest cheap baseline, mean, lo, hi) of the paired difference method - baseline}."""
    raise NotImplementedError("Exercise 12.3: replace this line with your code")


# %%
versus_strongest_cheap = check("12.3", versus_strongest_cheap)

# %% [markdown]
# Your function on the study: every pretrained variant (linear probe on mean-pooled tokens,
# the protocol) against the strongest of the four cheap baselines (raw series or spectrum,
# linear probe or k-NN) at every label count. A `+` marks an interval above 0 (the MAE
# ahead), a `-` one below 0 (the baseline ahead); no mark, not resolved. The last line
# checks your numbers against the study's own reading (`strongest_cheap`, `study_paired`),
# which the sentences below are made from.

# %%
if study is not None:
    rows_of = {f"{m}, {r}": (m, "-", r) for m in CHEAP_BASELINES for r in READOUTS}  # the cheap baselines
    cheap_names = list(rows_of)
    rows_of.update({v: (v, *PROTOCOL) for v in STUDY_VARIANTS})
    per_seed = {name: {k: study_values(study, *row, key=k) for k in s_keys} for name, row in rows_of.items()}
    common = sorted(set.intersection(*(set(by_seed) for d in per_seed.values() for by_seed in d.values())))
    accuracies = {name: {k: [d[k][s] for s in common] for k in s_keys} for name, d in per_seed.items()}
    judged = {v: versus_strongest_cheap(accuracies, v, cheap_names) for v in STUDY_VARIANTS}
    print(f"pretrained (mean, linear) - strongest cheap baseline, paired over {len(common)} seeds: mean [95 % interval]")
    print(f"{'labels/class':>12s}  {'strongest cheap':18s} " + " ".join(f"{v:>25s}" for v in STUDY_VARIANTS))
    for k in s_keys:
        cells = []
        for v in STUDY_VARIANTS:
            _, m, lo, hi = judged[v][k]
            cells.append(f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}] {'+' if lo > 0 else '-' if hi < 0 else ' '}")
        print(f"{k:>12s}  {judged[next(iter(STUDY_VARIANTS))][k][0]:18s} " + " ".join(f"{c:>25s}" for c in cells))
    same = all(rows_of[judged[v][k][0]] == strongest_cheap(study, k)
               and all(abs(x - study_paired(study, (v, *PROTOCOL), strongest_cheap(study, k), k)[f]) < 1e-9
                       for x, f in zip(judged[v][k][1:], ("mean", "lo", "hi")))
               for v in STUDY_VARIANTS for k in s_keys)
    print("the same baselines and intervals as the study's own reading:", same)

# %% [markdown]
# ## What the study says
#
# The sentences below are computed from the intervals above, not written in advance:
# which comparisons the 5 seeds resolve, and in which direction. They answer the
# lesson's questions in turn: does pretraining beat the same encoder untrained; does the
# forecasting mask teach better features than the random one (on the whole series, and on
# the first quarter a forecasting encoder saw); is each model better at the task it
# practised; which target; which pooling; and where, along the label curve, the
# pretrained features stand against the cheap baselines.

# %%
if study is not None:
    for sentence in study_conclusions(study):
        print("*", sentence)

# %% [markdown]
# The pooling question in detail, from the same file: for every encoder, the paired
# difference mean − [CLS] of the linear probe with every training label, and how many
# encoders lean each way on their point estimate.

# %%
if study is not None:
    pool_diffs = {m: study_paired(study, (m, "mean", "linear"), (m, "cls", "linear")) for m in ("untrained", *STUDY_VARIANTS)}
    for m, d in pool_diffs.items():
        print(f"  {m:14s} mean - [CLS] {d['mean']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}]  "
              f"{'resolved' if d['lo'] > 0 or d['hi'] < 0 else 'not resolved'}")
    cls_leads = sum(d["mean"] < 0 for d in pool_diffs.values())
    resolved = sum(d["lo"] > 0 or d["hi"] < 0 for d in pool_diffs.values())
    print(f"[CLS] leads the point estimate of {cls_leads} of {len(pool_diffs)} encoders; "
          f"{resolved} of {len(pool_diffs)} differences resolved")

# %% [markdown]
# Where [CLS] leads every encoder's point estimate, the untrained one included, and no
# interval excludes 0, the study leans towards [CLS] on these series without resolving
# it. The mean stays the protocol all the same, because it was fixed before any run:
# switching to the pooling that looks better on the test series after seeing them would
# pick the protocol on the test data, the kind of choice the rest of the course avoids.

# %% [markdown]
# How to read it. Whatever the verdict against the spectrum, remember what it was built
# from: the classes of these series differ by their rhythms, and the spectrum is a
# description of rhythm, made by someone who knew that. A learned feature that ties it
# would be a success; one that loses to it tells you that on data you understand well,
# a good hand-made feature is a very strong baseline. What masked pretraining promises is
# features where nobody has designed the right one; whether it delivers there has to be
# measured on that data, as PatchTST (Nie et al., ICLR 2023) measures it on real
# forecasting benchmarks, not here. Two caveats of this study: the strongest cheap
# baseline and the best variant are each picked on test accuracy (the first favours the
# baseline, the second the MAE), and 5 seeds resolve only differences larger than the
# interval widths printed above, so "no difference resolved" is not "no difference".

# %% [markdown]
# ## The same question on images
#
# On these series the strongest cheap baseline was a hand-made feature, the spectrum (the
# study's line under this paragraph says at which label counts). On images there is no
# such feature at hand: nobody hands us a "shape spectrum", and the cheap baselines are
# raw pixels. The course ships the scenes MAE of lessons 08 and 09 pretrained for 200
# epochs (`data/pretrained/mae_scenes_long/`, one model per seed), and lesson 09 measures
# it against the strongest trivial baseline and against the same ViT trained from scratch
# at 100, 500 and 5,000 labels. The verdicts below are computed from that study's file
# (`data/label_efficiency_cpu.json`) by the rule of lesson 09; rows not yet run read
# *pending*. Read them beside the time-series curve above: the question "does masked
# pretraining pay?" has an answer per data set, and the answer depends on how strong the
# cheap baseline for that data is.

# %%
from maelearn.experiments import label_efficiency as le
from maelearn.experiments.pretraining_length import load_shipped

if study is not None:
    cheapest = {k: strongest_cheap(study, k) for k in label_keys(study)}
    print("time series, strongest cheap baseline of the study by labels per class: "
          + ", ".join(f"{k}: {m} ({r})" for k, (m, _, r) in cheapest.items()))
image_mae = load_shipped(0)
if image_mae is not None:
    c = image_mae[0].config
    print(f"shipped image MAE: {image_mae[1]['epochs']} epochs, {c.depth} blocks x {c.dim}-d, "
          f"{c.patch_size}x{c.patch_size} patches of {c.img_size} px scenes")
for row in le.headline(le.load(le.OUT)):
    result = (f"{row['mean']:+5.1f} points [{row['lo']:+.1f}, {row['hi']:+.1f}] over {row['n']} seeds: {row['verdict']}"
              if row["verdict"] else f"pending ({row['n']} seed(s) with both)")
    print(f"{row['labels']:5d} labels  {row['a']} - {row['b']}: {result}")

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
# | **CAN** (Mishra et al., 2022), **CMAE** (Huang et al., 2022) | image patches | random masking of two views (CAN); a masked view and a full view for a momentum encoder (CMAE) | pixels *and* a contrastive loss between views (CAN adds noise prediction) | visible patches only | contrastive + MAE: the reconstruction keeps detail, the contrastive term aims at more linearly separable features |
# | **PatchTST** (Nie et al., ICLR 2023), self-supervised | patches of consecutive steps of *one* channel: channel-independent, every channel a separate series through the same shared transformer | random patches, drawn for each channel separately (40 % in the paper's self-supervised runs), their values set to zero | the hidden patches' values (MSE), through a linear head | every patch, the hidden ones zeroed (as BERT's encoder sees `[MASK]`, not MAE's visible-only encoder) | time series become a sequence of patch tokens; channel independence |
# | *this lesson* (`maelearn.timeseries`) | patches of consecutive steps of all channels together | 75 % at random, or the last patches (forecasting), each in pretraining | the hidden patches' values, normalized or raw | visible patches only, as MAE | MAE's recipe unchanged, on a new kind of data, measured against a hand-made feature |

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [("mode", maelearn.mode()), ("device", str(device)), ("train / test series (this run)", f"{n_train} / {n_test}"),
        ("series (channels x steps), patch, tokens", f"{cfg.channels} x {cfg.length}, p={cfg.patch_size}, N={cfg.num_patches}"),
        ("mask ratio (pretraining)", mask_ratio), ("seed (this run)", seed),
        ("pretraining steps per model", len(histories["random/norm"].loss))]
rows += [(f"final pretraining loss, {name}", f"{h.final_loss:.3f}") for name, h in histories.items()]
rows += [(f"test loss, {name}, random / forecasting mask", f"{v['random']:.3f} / {v['forecast']:.3f}") for name, v in loss_table.items()]
rows += [(f"this run, every label, {name} (linear / k-NN)", f"{a['linear'][every]:.3f} / {a['knn'][every]:.3f}") for name, a in acc.items()]
rows += [(f"this run, {few} labels/class, strongest cheap ({strongest[few][0]}, {strongest[few][1]})",
          f"{curves[strongest[few][0]][strongest[few][1]][few]:.3f}"),
         (f"this run, {few} labels/class, best MAE ({best_few}, mean, linear)", f"{curves[f'{best_few}, mean']['linear'][few]:.3f}")]
if study is not None:
    n_seeds = len(study["methods"]["untrained"]["runs"])
    fmt_iv = lambda iv: f"{iv.mean:.3f} ± {iv.sd:.3f} [{iv.lo:.3f}, {iv.hi:.3f}]"  # noqa: E731  mean ± sd [95 %]
    for k in (label_keys(study)[0], label_keys(study)[-1]):
        cheap = strongest_cheap(study, k)
        rows.append((f"study ({n_seeds} seeds), {k} labels/class, strongest cheap ({cheap[0]}, {cheap[2]})",
                     fmt_iv(study_interval(study, *cheap, key=k))))
        rows += [(f"study ({n_seeds} seeds), {k} labels/class, {m}, mean, linear", fmt_iv(study_interval(study, m, "mean", "linear", key=k)))
                 for m in ("untrained", *STUDY_VARIANTS)]
        v = max(judged, key=lambda name: judged[name][k][1])  # the best variant's paired difference (exercise 12.3)
        rows.append((f"study ({n_seeds} seeds), {k} labels/class, {v} - {judged[v][k][0]} (paired)",
                     "{1:+.3f} [{2:+.3f}, {3:+.3f}]".format(*judged[v][k])))
rows.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in rows:
    print(f"{key:72s} {value}")

# %% [markdown]
# ## Pointers
#
# * MAE (He et al., CVPR 2022): Figure 1 (the asymmetric design), Figure 5 (mask ratio),
#   Table 1 (target, mask sampling, mask token in the encoder), the choices this lesson
#   re-makes for time series.
# * PatchTST, "A Time Series is Worth 64 Words" (Nie et al., ICLR 2023): patches as
#   tokens, channel independence, masked self-supervised pretraining for forecasting.
# * The papers in the family map, for the ingredient each one adds.
# * Lesson 09 for the paired interval and the [CLS]-vs-mean finding; lessons 10 and 11 for
#   the same kind of seeded study on video and audio.
# * `maelearn/timeseries.py` (the model, tokens, masks, targets, and the frozen features
#   and losses the lesson reads), `maelearn/experiments/timeseries.py` (the study:
#   `python -m maelearn.experiments timeseries --scale cpu --threads 1` writes
#   `data/timeseries_cpu.json`),
#   `maelearn/data/timeseries.py` (the activity series); `tests/test_timeseries.py`
#   checks the model the way the image MAE is checked (encoder sees 1 + K tokens, loss on
#   removed patches only, hidden patches never reach the encoder).
