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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/08_masked_autoencoder.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 08 · The masked autoencoder
#
# Lesson 07 cut images into patches and fed them to a Vision Transformer. The masked
# autoencoder (MAE, He et al., 2021) asks that transformer to do something that needs no
# labels at all: hide most of the patches, and predict the hidden pixels from the few
# that remain. Two design choices make it work, and make it cheap:
#
# * a **high mask ratio** (75 %): the remaining patches cannot be copied into the holes,
#   so the network has to understand what it sees;
# * an **asymmetric** encoder–decoder: the big encoder sees only the visible patches (a
#   quarter of the sequence), a small decoder fills in the rest.
#
# **In this lesson you will**
#
# 1. mask patches at random with nothing but a sort (`argsort`), keeping `ids_restore`;
# 2. run the encoder on the visible tokens only, with a [CLS] token;
# 3. build the decoder: embed, append mask tokens, unshuffle, add positions;
# 4. write the loss on the removed patches against per-patch normalized pixels;
# 5. train the MAE, plot its loss and look at reconstructions in the layout of the paper's
#    Figure 2, up to 95 % masking, and explore masks live with a slider.

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
from maelearn.data import digits
from maelearn.exercises import check
from maelearn.mae import build_mae
from maelearn.masking import Masked
from maelearn.patches import patchify

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}   torch {torch.__version__}")

# %% [markdown]
# ## The data
#
# Real handwritten digits from scikit-learn, upsampled to 32×32 pixels: with 4×4 patches
# that is an 8×8 grid of N = 64 patches, each a vector of 4·4·1 = 16 pixel values. We keep
# 500 images aside to look at reconstructions of digits the model never trained on.

# %%
data = digits(size=32)
train, test = data.split(len(data) - 500, seed=0)
images = train.images  # (N, 1, 32, 32), no labels needed: MAE is self-supervised
print("training images", tuple(images.shape), "  held-out images", tuple(test.images.shape))

# %% [markdown]
# ## 1 · Random masking with a sort
#
# How do you pick, for every image in a batch, a different random 25 % of its patches,
# without a Python loop? MAE draws one uniform random number (*noise*) per patch and sorts
# them. The patches with the smallest noise are kept:
#
# * `ids_shuffle = argsort(noise)`: patch indices from smallest to largest noise;
# * `ids_keep = ids_shuffle[:, :K]` with `K = int(N * (1 - mask_ratio))`;
# * `ids_restore = argsort(ids_shuffle)`: the inverse permutation, which later puts a
#   shuffled sequence back in the original order;
# * `mask` (B, N): 1 for a removed patch, 0 for a visible one, *in the original order*.
#
# **Exercise 08.1.** Write it for tokens `x` (B, N, D). Use `torch.gather` to pick the
# kept tokens. Return `Masked(visible, mask, ids_restore, ids_keep)`.

# %%
def random_masking(x: torch.Tensor, mask_ratio: float, noise: torch.Tensor) -> Masked:
    """x (B, N, D), noise (B, N) -> Masked(visible (B, K, D), mask (B, N), ids_restore (B, N), ids_keep (B, K))."""
    raise NotImplementedError("Exercise 08.1: replace this line with your code")


# %%
random_masking = check("08.1", random_masking)

# %% [markdown]
# Let us look at a few masks. Each image gets its own random 75 %:

# %%
from maelearn.viz import show_masks

g = torch.Generator().manual_seed(0)
patches = patchify(test.images[:3], 4)  # (3, 64, 16)
m = random_masking(patches, 0.75, torch.rand(3, 64, generator=g))
print("visible", tuple(m.visible.shape), " mask", tuple(m.mask.shape), " removed per image", m.mask.sum(1).tolist())
show_masks({f"image {i}": m.mask[i] for i in range(3)}, grid=(8, 8), image=None)
plt.show()

# %% [markdown]
# ## 2 · The encoder sees the visible patches only
#
# The model below is a small ViT encoder with MAE's decoder attached. Its parts are
# attributes you can use: `model.encoder.patch_embed.embed_patches` (patch vectors ->
# tokens), `model.encoder.pos_embed` (1, 1+N, D) fixed 2D sin-cos positions, whose row 0
# belongs to [CLS], `model.encoder.cls_token`, `model.encoder.blocks` and
# `model.encoder.norm`.

# %%
size = maelearn.budget(
    quick=dict(dim=64, depth=2, heads=4, decoder_dim=64, decoder_depth=1, decoder_heads=4),
    full=dict(dim=192, depth=6, heads=6, decoder_dim=128, decoder_depth=4, decoder_heads=4),
)
model = build_mae("tiny", img_size=32, patch_size=4, in_chans=1, **size).to(device)
print(f"encoder {size['depth']} blocks x {size['dim']}-d, decoder {size['decoder_depth']} x {size['decoder_dim']}-d, "
      f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,} trainable parameters")

# %% [markdown]
# **Exercise 08.2.** Encode a batch of images with `mask_ratio` and the given `noise`:
# patchify, mask (your `random_masking`), embed the visible patches and add the position
# embedding *of each patch's original place* (gather it with `ids_keep`), prepend [CLS]
# (plus its position, row 0), run the blocks and the final norm. Return
# `(latent (B, 1+K, D), mask (B, N), ids_restore (B, N))`. Adding positions to all N
# tokens first and masking afterwards is also right (and costs a little more).

# %%
def encode_visible(model, imgs: torch.Tensor, mask_ratio: float, noise: torch.Tensor):
    """imgs (B, C, H, W), noise (B, N) -> latent (B, 1+K, D), mask (B, N), ids_restore (B, N)."""
    enc = model.encoder
    raise NotImplementedError("Exercise 08.2: replace this line with your code")


# %%
encode_visible = check("08.2", encode_visible)

# %%
x = test.images[:8].to(device)
noise = torch.rand(8, model.num_patches, generator=g).to(device)
latent, mask, ids_restore = encode_visible(model, x, 0.75, noise)
print("latent", tuple(latent.shape), "= [CLS] +", latent.shape[1] - 1, "visible tokens out of", model.num_patches)

# %% [markdown]
# The encoder processed 17 tokens instead of 65. Attention costs grow with the square of
# the sequence, the MLPs linearly: at 75 % masking the encoder does roughly a quarter of
# the work. Lesson 09 measures what that buys in wall-clock time.
#
# ## 3 · The decoder fills in the holes
#
# **Exercise 08.3.** From `latent` (B, 1+K, D) and `ids_restore`, predict every patch:
#
# 1. `model.decoder_embed` projects to the decoder's width;
# 2. append one copy of the shared `model.mask_token` per removed patch (N − K of them)
#    after the visible tokens (leave [CLS] aside);
# 3. **unshuffle**: gather the N tokens with `ids_restore`, so token i is patch i again;
# 4. put [CLS] back in front and add `model.decoder_pos_embed` (1, 1+N, Dd);
# 5. `model.decoder_blocks`, `model.decoder_norm`, `model.decoder_pred`; drop [CLS].

# %%
def decode(model, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
    """latent (B, 1+K, D), ids_restore (B, N) -> predicted patches (B, N, p*p*C)."""
    raise NotImplementedError("Exercise 08.3: replace this line with your code")


# %%
decode = check("08.3", decode)

# %% [markdown]
# ## 4 · The loss: removed patches, normalized pixels
#
# The decoder predicts the pixels of *every* patch, but MAE scores only the removed ones:
# reproducing a visible patch teaches nothing. The paper also finds a better target: each
# patch's pixels normalized by that patch's own mean and standard deviation (Table 1d), so
# the model spends its effort on edges and texture rather than on brightness.
#
# **Exercise 08.4.** `pred` and `patches` are (B, N, P), `mask` (B, N). When `norm_pix`,
# normalize each target patch: `(x - mean) / sqrt(var + 1e-6)` over its P values, with
# torch's (unbiased) `.var`. Average the squared error over each patch's P values, then
# over the removed patches only.

# %%
def mae_loss(pred: torch.Tensor, patches: torch.Tensor, mask: torch.Tensor, norm_pix: bool = True) -> torch.Tensor:
    """pred, patches (B, N, P), mask (B, N) 1 = removed -> scalar loss."""
    raise NotImplementedError("Exercise 08.4: replace this line with your code")


# %%
mae_loss = check("08.4", mae_loss)

# %% [markdown]
# Your four pieces make an MAE. Put them together and compare with the library's forward
# pass on the same noise:

# %%
with torch.no_grad():
    latent, mask, ids_restore = encode_visible(model, x, 0.75, noise)
    ours = mae_loss(decode(model, latent, ids_restore), patchify(x, 4), mask)
    library = model(x, 0.75, noise=noise).loss
print(f"loss from your pieces {ours.item():.6f}   library MAE {library.item():.6f}")
assert torch.allclose(ours, library, rtol=1e-4), "the pieces should add up to the library's MAE"

# %% [markdown]
# ## 5 · Training
#
# `maelearn.train.pretrain` runs the paper's recipe: AdamW (β = 0.9, 0.95, weight decay
# 0.05 on weight matrices only), a linear warmup then a cosine learning-rate schedule,
# fresh random masks every step. Quick mode trains for a few epochs on the CPU: enough to
# see the loss fall and blurry digits appear. Full mode (a GPU) trains long enough for
# sharp reconstructions.

# %%
from maelearn.train import TrainConfig, pretrain
from maelearn.viz import figure2, loss_curve

config = TrainConfig(
    epochs=maelearn.budget(quick=4, full=200), batch_size=maelearn.budget(quick=64, full=128),
    lr=1.5e-3, warmup_epochs=maelearn.budget(quick=1, full=10), mask_ratio=0.75, seed=0, device=str(device),
)
t0 = time.perf_counter()
history = pretrain(model, images, config)
train_seconds = time.perf_counter() - t0
print(f"{len(history.loss)} steps in {train_seconds:.1f} s; loss {history.loss[0]:.3f} -> {history.final_loss:.3f} (last-epoch mean)")
loss_curve(history, title="MAE training loss (normalized-pixel MSE on removed patches)", smoothing=5)
plt.show()

# %% [markdown]
# ## 6 · Reconstructions, as in the paper's Figure 2
#
# `model.reconstruct` masks held-out digits, predicts the removed patches and maps the
# normalized predictions back to pixels (with each patch's own mean and variance). Columns:
# the masked input, the reconstruction, the reconstruction with the visible patches pasted
# back, the original.

# %%
model.eval()
show = test.images[:4].to(device)
noise4 = torch.rand(4, model.num_patches, generator=torch.Generator().manual_seed(1)).to(device)
recon75 = model.reconstruct(show, 0.75, noise=noise4)
figure2(recon75, title=f"75 % masked, held-out digits (loss {recon75['loss']:.3f})")
plt.show()

# %% [markdown]
# The paper's Figure 4 pushes the ratio further. At 95 % only 3 of the 64 patches remain:

# %%
recon95 = model.reconstruct(show, 0.95, noise=noise4)
figure2(recon95, title=f"95 % masked (loss {recon95['loss']:.3f})")
plt.show()

# %% [markdown]
# ## 7 · Explore masks live
#
# Move the sliders: the mask ratio, the masking strategy (random, block-wise as in BEiT,
# or a regular grid that keeps one patch in four) and the seed of the noise. The rows are
# the masked input, the reconstruction (with the visible patches pasted back) and the
# original. The logic lives in `maelearn.explorer.explorer_view`, a plain function; the
# widget only calls it, so it is tested like the rest of the library. (In a static copy of
# this notebook the widget does not move; run the cell.)

# %%
from maelearn.explorer import explorer_view, mask_explorer

for strategy, ratio in (("random", 0.75), ("block", 0.75), ("grid", 0.75), ("random", 0.95)):
    print(explorer_view(model, show, ratio, strategy, seed=0).caption())

explorer = mask_explorer(model, show, mask_ratio=0.75)
explorer

# %% [markdown]
# Things to try: at which ratio do the reconstructions stop looking like digits? Does
# block masking (whole regions gone) hurt more than random masking at the same ratio?
# Lesson 09 answers these questions with numbers.
#
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [
    ("mode", maelearn.mode()),
    ("device", str(device)),
    ("training images", len(images)),
    ("pretraining steps", len(history.loss)),
    ("pretraining time (s)", f"{train_seconds:.1f}"),
    ("first-step loss", f"{history.loss[0]:.4f}"),
    ("last-epoch mean loss", f"{history.final_loss:.4f}"),
    ("held-out loss at 75 % masking", f"{float(recon75['loss']):.4f}"),
    ("held-out loss at 95 % masking", f"{float(recon95['loss']):.4f}"),
    ("encoder tokens at 75 % (of 1+N)", f"{model.encoder_sequence_length(0.75)} of {1 + model.num_patches}"),
    ("lesson run time (s)", f"{elapsed:.1f}"),
]
for key, value in rows:
    print(f"{key:36s} {value}")

# %% [markdown]
# ## In the paper
#
# * Figure 1: the MAE architecture you just built (encoder on visible patches, decoder
#   with mask tokens).
# * Figures 2 and 3: reconstructions of ImageNet and COCO validation images at 80 %
#   masking; Figure 4: the same model at 75 %, 85 % and 95 %.
# * Section 3 ("MAE") describes the masking by shuffling, the mask tokens and the
#   normalized-pixel target exactly as in exercises 08.1–08.4.
#
# Next, lesson 09 asks which of these choices matter, by training variants and measuring
# how useful their features are.
