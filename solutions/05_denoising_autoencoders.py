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
# for the clean version back**. To undo the damage the network has to know what images of
# this kind look like: strokes continue, digits have typical shapes. That knowledge is what
# we want in a representation.
#
# One corruption they studied, *masking noise* (set a random fraction of the pixels to
# zero), is the seed of the Masked Autoencoder: MAE hides whole patches instead of pixels,
# hides most of them, and never shows the hidden ones to the encoder at all.
#
# **In this lesson you will learn to**
#
# 1. write the two classic corruptions, Gaussian noise and masking noise, reproducibly;
# 2. write the denoising loss, over all pixels or over the corrupted ones only (MAE's choice);
# 3. train a plain autoencoder and denoising autoencoders on real handwritten digits and
#    compare their reconstructions;
# 4. measure the codes with a linear probe against raw pixels, with many and with few labels;
# 5. say precisely what MAE keeps from the DAE and what it changes.

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

import maelearn
from maelearn.dae import Autoencoder, reconstruction_error, train_autoencoder
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
# pixel: the image is all there, but blurred by static. **Masking noise** sets a random
# fraction `p` of the pixels to zero: the rest is perfect, but some information is simply
# gone. Both must be reproducible, so they draw from a `torch.Generator` that the caller
# seeds.
#
# **Exercise 05.1.** Return `x + sigma * noise` where `noise` is **one** draw
# `torch.randn(x.shape, generator=generator)`. Do not clip the result.

# %%
def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """x (any shape) -> x plus Gaussian noise of standard deviation sigma, same shape."""
    ### BEGIN SOLUTION 05.1
    return x + sigma * torch.randn(x.shape, generator=generator)
    ### END SOLUTION


# %%
gaussian_noise = check("05.1", gaussian_noise)

# %% [markdown]
# **Exercise 05.2.** Draw `u = torch.rand(x.shape, generator=generator)` once; a pixel is
# corrupted where `u < p`. Return `(x_noisy, mask)`: `x_noisy` is `x` with the corrupted
# pixels set to 0, `mask` a float tensor of `x`'s shape, 1.0 where a pixel was corrupted
# and 0.0 elsewhere. Careful: this is *not* dropout, so do not rescale the kept pixels.

# %%
def masking_noise(x: torch.Tensor, p: float, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """x (any shape) -> (x with a fraction p of entries zeroed, float mask with 1 = zeroed)."""
    ### BEGIN SOLUTION 05.2
    mask = (torch.rand(x.shape, generator=generator) < p).float()
    return x * (1 - mask), mask
    ### END SOLUTION


# %%
masking_noise = check("05.2", masking_noise)

# %% [markdown]
# How strong should the noise be? Look before deciding. Each row below corrupts the same
# digits more and more.

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
# ## The denoising loss
#
# The network gets the noisy image and is scored against the **clean** one; scoring it
# against its own noisy input would teach it to copy the noise. With masking noise there is
# a second choice: score every pixel, or only the corrupted ones. The kept pixels are easy
# (the network can copy them), so averaging over all pixels dilutes the hard part of the
# task. Vincent et al. (2010) weighted the corrupted pixels more; MAE goes all the way and
# computes its loss on the masked patches only.
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
# ## Training four autoencoders
#
# The same MLP (256 → 256 → 64 → 256 → 256 pixels, ReLU, a sigmoid at the end) is trained
# four ways, each for the same number of epochs from the same initial weights:
#
# * **plain**: no corruption, reconstruct the input;
# * **Gaussian DAE**: σ = 0.4;
# * **masking DAE**: p = 0.5, loss on every pixel;
# * **masking DAE, masked loss**: p = 0.5, loss on the corrupted pixels only (the MAE loss).
#
# `train_autoencoder` calls a corruption as `corruption(x, generator)`; below we wrap your
# two functions in that form.

# %%
epochs = maelearn.budget(quick=20, full=200)
code_dim = 64
sigma, p_mask = 0.4, 0.5
recipes = {
    "plain": dict(corruption=None),
    "Gaussian DAE": dict(corruption=lambda x, g: (gaussian_noise(x, sigma, g), None)),
    "masking DAE": dict(corruption=lambda x, g: masking_noise(x, p_mask, g)),
    "masking DAE, masked loss": dict(corruption=lambda x, g: masking_noise(x, p_mask, g), masked_loss=True),
}
models, histories = {}, {}
for name, recipe in recipes.items():
    torch.manual_seed(0)  # identical initial weights for every recipe
    model = Autoencoder(in_dim=256, code_dim=code_dim, hidden=256)
    histories[name] = train_autoencoder(model, x_train, epochs=epochs, seed=0, **recipe).epoch_loss
    models[name] = model
    print(f"{name:26s} final training loss {histories[name][-1]:.4f}")

# %% [markdown]
# The training losses are not comparable between recipes (each solves a different
# problem). What is comparable: how well each model restores a *test* digit from each kind
# of damage.

# %%
damages = {
    "none": None,
    f"Gaussian σ={sigma}": lambda x, g: (gaussian_noise(x, sigma, g), None),
    f"masking p={p_mask}": lambda x, g: masking_noise(x, p_mask, g),
}
errors = {m: {d: reconstruction_error(models[m], x_test, fn) for d, fn in damages.items()} for m in models}
print(f"{'test MSE to the clean digit':26s}" + "".join(f"{d:>18s}" for d in damages))
for m, row in errors.items():
    print(f"{m:26s}" + "".join(f"{v:18.4f}" for v in row.values()))

# %% [markdown]
# Numbers hide *how* a model fails; pictures show it. Rows: the corrupted input, then what
# each model makes of it.

# %%
g = torch.Generator().manual_seed(1)
clean = x_test[:8]
noisy_g = gaussian_noise(clean, sigma, g)
noisy_m = masking_noise(clean, p_mask, g)[0]
with torch.no_grad():
    rows = [
        ("clean", clean),
        (f"Gaussian σ={sigma}", noisy_g),
        ("plain AE", models["plain"](noisy_g)),
        ("Gaussian DAE", models["Gaussian DAE"](noisy_g)),
        (f"masking p={p_mask}", noisy_m),
        ("plain AE", models["plain"](noisy_m)),
        ("masking DAE", models["masking DAE"](noisy_m)),
        ("masked loss", models["masking DAE, masked loss"](noisy_m)),
    ]
fig, axes = plt.subplots(len(rows), 8, figsize=(8, 8.5))
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
# pixels. With all 1,200 training labels pixels are hard to beat on digits, so we also
# probe with only 5 labelled examples per class, where a good representation matters most.

# %%
few = train.few_per_class(5, seed=0)


@torch.no_grad()
def codes(model: Autoencoder | None, images: torch.Tensor) -> torch.Tensor:
    """(N, 1, 16, 16) -> (N, F): raw pixels when model is None, else the encoder's code."""
    flat = images.flatten(1)
    return flat if model is None else model.encode(flat)


probe = {}
for name, model in [("pixels", None), *models.items()]:
    full = linear_probe_features(codes(model, train.images), train.labels, codes(model, test.images), test.labels).test_acc
    small = linear_probe_features(codes(model, few.images), few.labels, codes(model, test.images), test.labels).test_acc
    probe[name] = (full, small)
print(f"{'linear probe, test accuracy':26s}{'1200 labels':>14s}{'5 per class':>14s}")
for name, (full, small) in probe.items():
    print(f"{name:26s}{full:14.3f}{small:14.3f}")

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
names = list(probe)
xs = torch.arange(len(names)).float()
ax.bar(xs - 0.2, [probe[n][0] for n in names], width=0.4, label="1200 labels")
ax.bar(xs + 0.2, [probe[n][1] for n in names], width=0.4, label="5 labels per class")
ax.set_xticks(xs.tolist(), names, rotation=15, fontsize=8)
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1)
ax.legend(fontsize=8)
ax.set_title("Linear probe on frozen codes vs raw pixels (this run)")
plt.show()

# %% [markdown]
# Read your own table. At this toy scale (an MLP, 1,200 digits, a few epochs in quick
# mode) the differences are small and may change with the seed; in full mode the models
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
#
# Hiding single pixels is a weak task: a missing pixel is almost the average of its
# neighbours, so the network can get far with local interpolation. Hiding large patches,
# and most of them, removes that shortcut. The MAE paper (Section 2, "Autoencoding") says
# just this: MAE is a form of denoising autoencoding, but differs from the classical DAE in
# what it removes and how the encoder treats it. Lesson 06 shows the same idea on text,
# where masking 15 % is already hard, and lesson 07 builds the patches.

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
table = [
    ("mode", maelearn.mode()),
    ("epochs per autoencoder", epochs),
    ("code size", code_dim),
]
for m in models:
    table.append((f"test MSE, {m}, from masking p={p_mask}", f"{errors[m][f'masking p={p_mask}']:.4f}"))
    table.append((f"test MSE, {m}, from Gaussian σ={sigma}", f"{errors[m][f'Gaussian σ={sigma}']:.4f}"))
for name, (full, small) in probe.items():
    table.append((f"linear probe {name} (1200 labels / 5 per class)", f"{full:.3f} / {small:.3f}"))
table.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in table:
    print(f"{key:60s} {value}")

# %% [markdown]
# **Pointers.** Vincent, Larochelle, Bengio, Manzagol, *Extracting and composing robust
# features with denoising autoencoders* (ICML 2008): the DAE and masking noise. Vincent et
# al., *Stacked denoising autoencoders* (JMLR 2010): Gaussian, masking and salt-and-pepper
# noise compared, and the loss that emphasizes corrupted inputs. He et al., *Masked
# Autoencoders Are Scalable Vision Learners* (CVPR 2022), Section 2 on autoencoding, and
# Figure 1 for the patch masking we build in lesson 08.
