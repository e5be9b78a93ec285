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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/05_denoising_autoencoders.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 05 · Denoising autoencoders
#
# An autoencoder squeezes its input through a narrow code and rebuilds it. Asked only to
# copy, a network can learn a code that is little more than compressed pixels. Vincent et
# al. (2008) proposed a small change with large consequences: **corrupt the input and ask
# for the clean version back**. The hope: to undo the damage the network has to learn what
# images of this kind look like (strokes continue, digits have typical shapes), and that
# knowledge is what we want in a representation. Whether the damage really demands it is a
# question this lesson measures, with a baseline that knows nothing about digits.
#
# One corruption they studied, *masking noise* (set a random fraction of the pixels to
# zero), is the seed of the Masked Autoencoder: MAE hides whole patches instead of pixels,
# hides most of them, and never shows the hidden ones to the encoder at all. By the end of
# the lesson you will have measured the shortcut that motivates hiding more; lessons 08–09
# measure the others.
#
# **In this lesson you will learn to**
#
# 1. write masking noise reproducibly (Gaussian noise, the other classic corruption, comes
#    from the library);
# 2. measure how far a baseline that learns nothing gets: fill every hole with the average
#    of its neighbours;
# 3. write the denoising loss, over all pixels or over the corrupted ones only (MAE's choice);
# 4. train a plain autoencoder and denoising autoencoders on real handwritten digits, three
#    seeds each, and score their reconstructions on all pixels, on the corrupted ones and on
#    the kept ones;
# 5. measure the codes with a linear probe against raw pixels, with many and with few labels;
# 6. say precisely what MAE keeps from the DAE and what it changes, and why.

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
import statistics
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import maelearn
from maelearn.dae import Autoencoder, gaussian_noise, train_autoencoder
from maelearn.data import digits
from maelearn.evaluate import linear_probe_features
from maelearn.exercises import check

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## The data
#
# scikit-learn's 1,797 handwritten digits, upsampled to 16×16 and flattened to vectors of
# 256 pixels in [0, 1]. A multilayer perceptron autoencoder sees an image only as such a
# vector; lesson 07 brings back the 2D structure. Two thirds train the autoencoders (and
# the probes), the rest is held out.

# %%
data = digits(size=16)
train, test = data.split(1200, seed=0)
x_train = train.images.flatten(1)  # (1200, 256)
x_test = test.images.flatten(1)  # (597, 256)
print("train", tuple(x_train.shape), " test", tuple(x_test.shape))

# %% [markdown]
# ## Two corruptions
#
# **Gaussian noise** adds an independent normal value of standard deviation `sigma` to every
# pixel: the image is all there, but blurred by static (`maelearn.dae.gaussian_noise`).
# **Masking noise** sets a random fraction `p` of the pixels to zero: the rest is perfect,
# but some information is simply gone. Both must be reproducible, so they draw from a
# `torch.Generator` that the caller seeds.
#
# **Exercise 05.1.** Draw `u = torch.rand(x.shape, generator=generator)` once; a pixel is
# corrupted where `u < p`. Return `(x_noisy, mask)`: `x_noisy` is `x` with the corrupted
# pixels set to 0, `mask` a float tensor of `x`'s shape, 1.0 where a pixel was corrupted
# and 0.0 elsewhere. Careful: this is *not* dropout, so do not rescale the kept pixels.
# (That draw matches the reference exactly; another correct draw from `generator`, such
# as `torch.bernoulli`, also passes: the grader then checks the structure, and the rate on
# large inputs.)

# %%
def masking_noise(x: torch.Tensor, p: float, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """x (any shape) -> (x with a fraction p of entries zeroed, float mask with 1 = zeroed)."""
    ### BEGIN SOLUTION 05.1
    mask = (torch.rand(x.shape, generator=generator) < p).float()
    return x * (1 - mask), mask
    ### END SOLUTION


# %%
masking_noise = check("05.1", masking_noise)

# %% [markdown]
# How strong should the noise be? Look before deciding. Each row below corrupts the same
# digit more and more.

# %%
g = torch.Generator().manual_seed(0)
levels_sigma = [0.1, 0.3, 0.5, 0.8]
levels_p = [0.25, 0.5, 0.75, 0.9]
shown = x_test[:1]  # (1, 256)
fig, axes = plt.subplots(2, 5, figsize=(9, 4))
for row, (name, levels) in enumerate([("Gaussian σ", levels_sigma), ("masking p", levels_p)]):
    axes[row, 0].imshow(shown.view(16, 16), cmap="gray", vmin=0, vmax=1)
    axes[row, 0].set_title("clean", fontsize=9)
    for ax, level in zip(axes[row, 1:], levels):
        noisy = gaussian_noise(shown, level, g) if row == 0 else masking_noise(shown, level, g)[0]
        ax.imshow(noisy.view(16, 16), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{name}={level}", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
fig.suptitle("Corrupting a digit")
plt.show()

# %% [markdown]
# ## A baseline that learns nothing
#
# Before training a network to fill the holes, ask how far you get without learning
# anything. Neighbouring pixels of an image are strongly correlated, so a natural guess for
# a missing pixel is the average of the pixels around it that survived. If that guess is
# already good, a network trained on this task can score well by interpolating locally,
# without learning what a digit is. Every network below is measured against it.
#
# Our digits make that shortcut stronger than real images would: they are scikit-learn's
# 8×8 digits upsampled to 16×16 by bilinear interpolation, so most of their pixels *are*
# weighted averages of their neighbours. The baseline's table below measures how much
# this matters, by scoring it on the original 8×8 digits too.
#
# **Exercise 05.2.** `x_noisy` and `mask` are (N, H, W) (the digits as 16×16 images).
# Replace every corrupted pixel (`mask` 1) by the mean of its *kept* neighbours (`mask` 0)
# among the up to 8 other pixels of its 3×3 window: pixels outside the image are not
# neighbours (no padding counted, no wrap-around), and the zeros in other holes are not
# values. A corrupted pixel with no kept neighbour stays 0. Kept pixels stay as they are.
# Return a new tensor of `x_noisy`'s shape and dtype. (Hint: sums over a 3×3 window of
# every pixel at once are a convolution, `F.conv2d` with `padding=1`; or shifted slices.)

# %%
def neighbour_average(x_noisy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """x_noisy, mask (N, H, W), mask 1.0 = corrupted -> (N, H, W), holes filled from kept neighbours."""
    ### BEGIN SOLUTION 05.2
    kept = 1.0 - mask.unsqueeze(1)  # (N, 1, H, W)
    window = torch.ones(1, 1, 3, 3, dtype=x_noisy.dtype)
    window[0, 0, 1, 1] = 0.0
    total = F.conv2d(x_noisy.unsqueeze(1) * kept, window, padding=1)  # sum of kept neighbours
    count = F.conv2d(kept, window, padding=1)  # how many there are
    filled = torch.where(count > 0, total / count.clamp_min(1.0), torch.zeros_like(total)).squeeze(1)
    return torch.where(mask.bool(), filled, x_noisy)
    ### END SOLUTION


# %%
neighbour_average = check("05.2", neighbour_average)

# %% [markdown]
# What it makes of the corrupted digit above, at each level:

# %%
fig, axes = plt.subplots(2, 5, figsize=(9, 4))
axes[0, 0].imshow(shown.view(16, 16), cmap="gray", vmin=0, vmax=1)
axes[0, 0].set_title("clean", fontsize=9)
axes[1, 0].axis("off")
for col, level in enumerate(levels_p, start=1):
    noisy, mask = masking_noise(shown, level, torch.Generator().manual_seed(0))
    axes[0, col].imshow(noisy.view(16, 16), cmap="gray", vmin=0, vmax=1)
    axes[0, col].set_title(f"masking p={level}", fontsize=9)
    axes[1, col].imshow(neighbour_average(noisy.view(1, 16, 16), mask.view(1, 16, 16))[0], cmap="gray", vmin=0, vmax=1)
    axes[1, col].set_title("neighbour average", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
fig.suptitle("Filling the holes without learning anything")
plt.show()

# %% [markdown]
# ## The denoising loss
#
# The network gets the noisy image and is scored against the **clean** one; scoring it
# against its own noisy input would teach it to copy the noise. With masking noise there is
# a second choice: score every pixel, or only the corrupted ones. The kept pixels are
# there in the input for the network to copy, so averaging over all pixels mixes the part
# of the task that can be copied with the part that must be filled in. Vincent et al.
# (2010) weighted the corrupted pixels more; MAE goes all the way and computes its loss on
# the masked patches only.
#
# **Exercise 05.3.** Return the mean squared error between `recon` and `clean` as a scalar.
# Without `mask`, average over every entry; with `mask` (1 = corrupted), average over the
# corrupted entries only: `sum(err * mask) / sum(mask)`.

# %%
def dae_loss(recon: torch.Tensor, clean: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """recon, clean (B, D) [, mask (B, D)] -> scalar mean squared error."""
    ### BEGIN SOLUTION 05.3
    err = (recon - clean) ** 2
    if mask is None:
        return err.mean()
    return (err * mask).sum() / mask.sum()
    ### END SOLUTION


# %%
dae_loss = check("05.3", dae_loss)

# %% [markdown]
# The same function is the yardstick of this lesson: with a mask it scores a reconstruction
# on the corrupted pixels only, and with `1 - mask` on the kept ones. First the baseline:
# corrupt the held-out digits at each level (one fixed draw per level, used for every
# method below) and score the neighbour average on the corrupted pixels, beside leaving
# the holes at 0. The last column counts the holes whose whole 3×3 window was masked too,
# where the baseline has nothing to average.

# %%
def fill(noisy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(N, 256) flattened digits -> (N, 256), every hole filled by the neighbour average."""
    return neighbour_average(noisy.view(-1, 16, 16), mask.view(-1, 16, 16)).flatten(1)


test_masked = {p: masking_noise(x_test, p, torch.Generator().manual_seed(1)) for p in levels_p}  # p -> (noisy, mask)
baseline = {}  # p -> (holes at 0, neighbour average): MSE on the corrupted pixels
print(f"{'test MSE on the corrupted pixels':34s}{'holes left at 0':>16s}{'neighbour average':>19s}{'holes with no kept neighbour':>30s}")
for p, (noisy, mask) in test_masked.items():
    kept = 1 - mask.view(-1, 1, 16, 16)
    alone = (F.max_pool2d(kept, 3, stride=1, padding=1) == 0).sum().item() / mask.sum().item()
    baseline[p] = (dae_loss(noisy, x_test, mask).item(), dae_loss(fill(noisy, mask), x_test, mask).item())
    print(f"masking p={p:<24}{baseline[p][0]:16.4f}{baseline[p][1]:19.4f}{alone:30.1%}")

# The same baseline at p = 0.5 on the original 8x8 digits (the same split), before the upsampling.
p_hole = 0.5
x_test8 = digits(size=8).split(1200, seed=0)[1].images[:, 0]  # (597, 8, 8)
noisy8, mask8 = masking_noise(x_test8, p_hole, torch.Generator().manual_seed(1))
share = {8: dae_loss(neighbour_average(noisy8, mask8), x_test8, mask8).item() / dae_loss(noisy8, x_test8, mask8).item(),
         16: baseline[p_hole][1] / baseline[p_hole][0]}
for side, value in share.items():
    print(f"{side:2d}x{side:<2d} digits, p={p_hole}: the neighbour average leaves {value:.1%} of the holes-at-0 error")

# %% [markdown]
# ## Training four autoencoders, three seeds each
#
# The same MLP (256 → 256 → 64 → 256 → 256 pixels, ReLU, a sigmoid at the end) is trained
# four ways, each for the same number of epochs:
#
# * **plain**: no corruption, reconstruct the input;
# * **Gaussian DAE**: σ = 0.4;
# * **masking DAE**: p = 0.5, loss on every pixel;
# * **masking DAE, masked loss**: p = 0.5, loss on the corrupted pixels only (the MAE loss).
#
# A single training run is one draw of the initial weights, the batch order and the
# corruptions; two recipes can swap places from one draw to the next. So every recipe is
# trained with three seeds (seed `s` gives every recipe the same initial weights and batch
# order), and every number below is a mean ± standard deviation over them.
#
# `train_autoencoder` calls a corruption as `corruption(x, generator)`; below we wrap the
# two corruptions in that form.

# %%
epochs = maelearn.budget(quick=20, full=200)
seeds = [0, 1, 2]
code_dim = 64
sigma, p_mask = 0.4, 0.5
recipes = {
    "plain": dict(corruption=None),
    "Gaussian DAE": dict(corruption=lambda x, g: (gaussian_noise(x, sigma, g), None)),
    "masking DAE": dict(corruption=lambda x, g: masking_noise(x, p_mask, g)),
    "masking DAE, masked loss": dict(corruption=lambda x, g: masking_noise(x, p_mask, g), masked_loss=True),
}
models = {name: [] for name in recipes}  # name -> one model per seed
for seed in seeds:
    for name, recipe in recipes.items():
        torch.manual_seed(seed)  # identical initial weights for every recipe of a seed
        model = Autoencoder(in_dim=256, code_dim=code_dim, hidden=256)
        final = train_autoencoder(model, x_train, epochs=epochs, seed=seed, progress=False, **recipe).epoch_loss[-1]
        models[name].append(model)
        print(f"seed {seed}  {name:26s} final training loss {final:.4f}")


def mean_sd(values) -> str:
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"

# %% [markdown]
# The training losses are not comparable between recipes (each solves a different
# problem). What is comparable: how well each model restores a *test* digit from each kind
# of damage. For masking, three columns: all pixels (what the plain loss scores), the
# corrupted pixels (the part that needs filling in) and the kept ones (the part that can be
# copied). The masked-loss DAE was never trained to reproduce the kept pixels, so the
# all-pixels column charges it for a task it was not given: its fair score, and the one
# that compares the filling-in of every model, is the corrupted column. The two baselines
# have no seed: they learn nothing. (The bottleneck of 64 numbers is one reason even the
# clean input is not rebuilt exactly; the short training is another.)

# %%
noisy_g = gaussian_noise(x_test, sigma, torch.Generator().manual_seed(1))
noisy_m, mask_m = test_masked[p_mask]
columns = ["clean input", f"Gaussian σ={sigma}", f"p={p_mask}: all", "corrupted", "kept"]


@torch.no_grad()
def scores(recon_clean, recon_gauss, recon_masked) -> list[float]:
    """Test MSE to the clean digits, one per column."""
    return [dae_loss(recon_clean, x_test).item(), dae_loss(recon_gauss, x_test).item(), dae_loss(recon_masked, x_test).item(),
            dae_loss(recon_masked, x_test, mask_m).item(), dae_loss(recon_masked, x_test, 1 - mask_m).item()]


with torch.no_grad():
    errors = {name: [scores(m(x_test), m(noisy_g), m(noisy_m)) for m in ms] for name, ms in models.items()}  # name -> seed -> column
baselines = {"input as given": scores(x_test, noisy_g, noisy_m),
             "neighbour average": [float("nan")] * 2 + scores(x_test, x_test, fill(noisy_m, mask_m))[2:]}
print(f"{'test MSE to the clean digit':26s}" + "".join(f"{c:>18s}" for c in columns))
for name, per_seed in errors.items():
    print(f"{name:26s}" + "".join(f"{mean_sd([row[j] for row in per_seed]):>18s}" for j in range(len(columns))))
for name, row in baselines.items():
    print(f"{name:26s}" + "".join(f"{'-' if v != v else f'{v:.4f}':>18s}" for v in row))

# %% [markdown]
# The comparisons the lesson's argument rests on, seed by seed, on the corrupted pixels of
# the p = 0.5 test draw:

# %%
nb = baselines["neighbour average"][3]
for name in ("masking DAE", "masking DAE, masked loss", "plain"):
    per_seed = [row[3] for row in errors[name]]
    wins = sum(v < nb for v in per_seed)
    print(f"{name:26s} beats the neighbour average on the corrupted pixels in {wins} of {len(seeds)} seeds "
          f"({mean_sd(per_seed)} vs {nb:.4f})")
diff = [a[3] - b[3] for a, b in zip(errors["masking DAE, masked loss"], errors["masking DAE"])]
print(f"masked loss - loss on every pixel, corrupted pixels: {mean_sd(diff)} "
      f"(the masked loss is lower in {sum(d < 0 for d in diff)} of {len(seeds)} seeds)")
diff = [a[4] - b[4] for a, b in zip(errors["masking DAE, masked loss"], errors["masking DAE"])]
print(f"masked loss - loss on every pixel, kept pixels:      {mean_sd(diff)} "
      f"(the masked loss is lower in {sum(d < 0 for d in diff)} of {len(seeds)} seeds)")

# %% [markdown]
# The masking DAEs were trained at p = 0.5. The figure scores them, and the neighbour
# average, on the corrupted pixels at every level: as p grows, a hole's neighbours are
# more and more often holes too, and the baseline has less to average.

# %%
with torch.no_grad():
    curve = {name: [[dae_loss(m(noisy), x_test, mask).item() for m in models[name]] for noisy, mask in test_masked.values()]
             for name in ("masking DAE", "masking DAE, masked loss")}
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(levels_p, [baseline[p][1] for p in levels_p], "o-", color="black", label="neighbour average (no learning)")
for name, per_level in curve.items():
    ax.errorbar(levels_p, [statistics.mean(v) for v in per_level], yerr=[statistics.stdev(v) for v in per_level],
                marker="o", capsize=3, label=f"{name} (trained at p={p_mask}; mean ± sd, {len(seeds)} seeds)")
ax.set_xlabel("masking level p of the test digits")
ax.set_ylabel("test MSE on the corrupted pixels")
ax.set_yscale("log")
ax.grid(alpha=0.3)
ax.legend(fontsize=7)
ax.set_title("Filling holes: learned vs local interpolation (this run)")
plt.show()
for p, per_level in zip(levels_p, curve["masking DAE"]):
    better = "the masking DAE" if statistics.mean(per_level) < baseline[p][1] else "the neighbour average"
    print(f"p={p}: lower error on the corrupted pixels: {better}")

# %% [markdown]
# Numbers hide *how* a model fails; pictures show it. Rows: the corrupted input, then what
# each model (seed 0) and the neighbour average make of it.

# %%
clean = x_test[:8]
with torch.no_grad():
    rows = [
        ("clean", clean),
        (f"Gaussian σ={sigma}", noisy_g[:8]),
        ("plain AE", models["plain"][0](noisy_g[:8])),
        ("Gaussian DAE", models["Gaussian DAE"][0](noisy_g[:8])),
        (f"masking p={p_mask}", noisy_m[:8]),
        ("neighbour avg.", fill(noisy_m[:8], mask_m[:8])),
        ("plain AE", models["plain"][0](noisy_m[:8])),
        ("masking DAE", models["masking DAE"][0](noisy_m[:8])),
        ("masked loss", models["masking DAE, masked loss"][0](noisy_m[:8])),
    ]
fig, axes = plt.subplots(len(rows), 8, figsize=(8, 9.5))
for r, (label, imgs) in enumerate(rows):
    for c in range(8):
        axes[r, c].imshow(imgs[c].view(16, 16).clamp(0, 1), cmap="gray", vmin=0, vmax=1)
        axes[r, c].axis("off")
    axes[r, 0].text(-0.2, 0.5, label, transform=axes[r, 0].transAxes, ha="right", va="center", fontsize=9)
fig.suptitle("Reconstructions of held-out digits")
plt.show()

# %% [markdown]
# ## Are the codes good features?
#
# Denoising is the pretext; the representation is the point. We freeze each encoder, take
# its 64-number code of every image, and train a linear classifier (a *linear probe*, as in
# lesson 04) to read the digit class from it. The baseline is the same probe on the 256 raw
# pixels. With all 1,200 training labels a linear classifier on pixels already does well on
# digits, so we also probe with only 5 labelled examples per class, where a representation
# has more to add (a new draw of the 50 labelled digits for each seed; the pixel probe with
# every label does not depend on the seed).

# %%
@torch.no_grad()
def codes(model: Autoencoder | None, images: torch.Tensor) -> torch.Tensor:
    """(N, 1, 16, 16) -> (N, F): raw pixels when model is None, else the encoder's code."""
    flat = images.flatten(1)
    return flat if model is None else model.encode(flat)


probe = {name: ([], []) for name in ["pixels", *models]}  # name -> (accuracies with 1200 labels, with 5 per class), one per seed
for i, seed in enumerate(seeds):
    few = train.few_per_class(5, seed=seed)
    for name in probe:
        model = None if name == "pixels" else models[name][i]
        probe[name][0].append(linear_probe_features(codes(model, train.images), train.labels, codes(model, test.images), test.labels).test_acc)
        probe[name][1].append(linear_probe_features(codes(model, few.images), few.labels, codes(model, test.images), test.labels).test_acc)
print(f"{'linear probe, test accuracy':26s}{'1200 labels':>18s}{'5 per class':>18s}   (mean ± sd, {len(seeds)} seeds)")
for name, (full, small) in probe.items():
    print(f"{name:26s}{mean_sd(full):>18s}{mean_sd(small):>18s}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
names = list(probe)
xs = torch.arange(len(names)).float()
for k, (shift, label) in enumerate([(-0.2, "1200 labels"), (0.2, "5 labels per class")]):
    ax.bar(xs + shift, [statistics.mean(probe[n][k]) for n in names], width=0.4, label=label,
           yerr=[statistics.stdev(probe[n][k]) for n in names], capsize=3)
ax.set_xticks(xs.tolist(), names, rotation=15, fontsize=8)
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1)
ax.legend(fontsize=8)
ax.set_title(f"Linear probe on frozen codes vs raw pixels (mean ± sd, {len(seeds)} seeds)")
plt.show()

# %% [markdown]
# Read your own tables. At this toy scale (an MLP, 1,200 digits, a few epochs in quick
# mode) a difference between two rows means something only when it is larger than the
# standard deviations beside it; with three seeds, many are not. In full mode the models
# train ten times longer. The point the original papers made at larger scale, and that MAE
# makes at much larger scale, is that the corruption decides what the code must know.
#
# ## From masking noise to MAE
#
# Put the masking DAE beside the MAE of lesson 08:
#
# | | masking DAE (this lesson) | MAE (He et al., 2022) |
# |---|---|---|
# | what is hidden | single pixels | whole 16×16 patches |
# | how much | p around 0.25–0.5 | 75 % |
# | what the encoder sees | the image with zeros in the holes | only the visible patches, no placeholders |
# | the target | clean pixels | (per-patch normalized) pixels of the hidden patches |
# | the loss | every pixel, or the corrupted ones | the masked patches only |

# %%
mae_ratio = 0.75
all_four_hidden = mae_ratio**4  # each neighbour hidden with probability 0.75, independently (nearly so for a fixed count)
print(f"at a {mae_ratio:.0%} mask ratio, all four neighbours of a hidden patch are hidden too with probability about {all_four_hidden:.2f}")

# %% [markdown]
# Why hide patches, and so many? The neighbour average measured the shortcut, and on
# digits upsampled from 8×8 it is stronger than it would be on native images (the two
# lines after the baseline's table compare the two sizes). Wherever it
# scores close to the networks on the corrupted pixels (and the lines printed after the
# results table say, seed by seed, whether it even beats them), filling a single-pixel
# hole is a matter of local interpolation: a network can bring its loss down that far
# without modelling digits at all. As p grows, holes run into each other (the last column
# of the baseline table counts the holes with no kept neighbour) and the average has less
# to work with: the printout after the figure says at which levels, in this run, the
# masking DAE fills holes better than the average does. Hiding large patches, and most of
# them, takes the shortcut away from most hidden pixels: the middle of a hidden 16×16
# patch is many pixels from any visible one, and at 75 % the four neighbours of a hidden
# patch (one away from the image's edge) are all hidden too about a third of the time
# (the probability printed above; only the pixels at the border of a hidden region keep
# a close visible neighbour). The MAE paper (Section 3, "Masking") makes the same argument:
# a high ratio "largely eliminates redundancy", leaving a task that cannot be easily
# solved by extrapolating from visible neighbouring patches. This lesson measured the
# shortcut for single pixels only, not for patches. The MAE paper (Section 2,
# "Autoencoding") calls MAE a form of denoising autoencoding that differs from the
# classical DAE "in numerous ways"; the table above lists the ones this course builds.
# Lesson 06 shows the same idea on text, where masking 15 % is already hard, and lesson
# 07 builds the patches.

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
table = [
    ("mode", maelearn.mode()),
    ("epochs per autoencoder, seeds", f"{epochs}, {seeds}"),
    ("code size", code_dim),
]
for p in levels_p:
    table.append((f"corrupted-pixel MSE at p={p}: holes at 0 / neighbour average", f"{baseline[p][0]:.4f} / {baseline[p][1]:.4f}"))
table.append((f"neighbour average / holes at 0, p={p_hole}: 8x8 / 16x16 digits", f"{share[8]:.1%} / {share[16]:.1%}"))
table.append(("all four neighbours hidden at 75 % (probability)", f"{all_four_hidden:.2f}"))
for m, per_seed in errors.items():
    for j, what in [(3, f"p={p_mask}, corrupted pixels"), (4, f"p={p_mask}, kept pixels"), (2, f"p={p_mask}, all pixels"),
                    (1, f"Gaussian σ={sigma}")]:
        table.append((f"test MSE, {m}, {what}", mean_sd([row[j] for row in per_seed])))
for name, (full, small) in probe.items():
    table.append((f"linear probe {name}, 1200 labels", mean_sd(full)))
    table.append((f"linear probe {name}, 5 per class", mean_sd(small)))
table.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in table:
    print(f"{key:64s} {value}")

# %% [markdown]
# **Pointers.** Vincent, Larochelle, Bengio, Manzagol, *Extracting and composing robust
# features with denoising autoencoders* (ICML 2008): the DAE and masking noise. Vincent et
# al., *Stacked denoising autoencoders* (JMLR 2010): Gaussian, masking and salt-and-pepper
# noise compared, and the loss that emphasizes corrupted inputs. He et al., *Masked
# Autoencoders Are Scalable Vision Learners* (CVPR 2022), Section 2 on autoencoding, and
# Figure 1 for the patch masking we build in lesson 08.
