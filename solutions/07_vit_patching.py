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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/07_vit_patching.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 07 · ViT patching
#
# A transformer reads a sequence of tokens. BERT's tokens are words (lesson 06); the Vision
# Transformer (ViT, Dosovitskiy et al., 2021) makes an image into words by cutting it into
# square **patches**, flattening each to a vector and projecting it linearly. MAE then
# masks exactly these patches. So the details of this lesson (the order of the numbers
# inside a patch, how positions are encoded) are the details MAE's code depends on.
#
# **In this lesson you will learn to**
#
# 1. cut images into patches and put them back with `einops`, in MAE's (row, column,
#    channel) order;
# 2. see numerically that the patch embedding, a strided convolution, *is* a linear layer
#    on patch vectors;
# 3. build the fixed 2D sine-cosine position embedding MAE uses;
# 4. train a small ViT classifier on offline images beside a small CNN on the same images and
#    budget, and test whether the ViT uses its positions (by shuffling the patches).

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
import math
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from einops import rearrange

import maelearn
from maelearn.classic.cnn import SmallCNN, train_cnn
from maelearn.data import digits, natural_crops
from maelearn.evaluate import accuracy, train_classifier
from maelearn.exercises import check
from maelearn.vit import PatchEmbed, ViTEncoder, init_vit

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## Patchify
#
# An image batch (B, C, H, W) with patch size p becomes (B, N, p·p·C): N = (H/p)(W/p)
# patches in raster order (left to right, then top to bottom), each a vector. *Inside* a
# patch MAE's reference code orders the numbers (row, column, channel): for RGB,
# `[r00, g00, b00, r01, g01, b01, ...]`. Any fixed order would train equally well, but a
# decoder's output is turned back into pixels with the inverse, and a model trained with
# one order cannot be read with another: the order is part of the contract.
#
# `einops.rearrange` says this in one line: `(h p)` splits the height into `h` patch rows
# of `p` pixels, and the output groups name what becomes the sequence and what the vector.
#
# **Exercise 07.1.** `imgs` (B, C, H, W) -> (B, N, p·p·C), patches in raster order, each in
# (row, column, channel) order. H and W need not be equal.

# %%
def patchify(imgs: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, (H/p)(W/p), p*p*C)"""
    ### BEGIN SOLUTION 07.1
    return rearrange(imgs, "b c (h p) (w q) -> b (h w) (p q c)", p=patch_size, q=patch_size)
    ### END SOLUTION


# %%
patchify = check("07.1", patchify)

# %% [markdown]
# **Exercise 07.2.** The inverse, for a square grid of patches: (B, N, p·p·C) -> (B, C, H, W)
# with H = W = √N · p.

# %%
def unpatchify(x: torch.Tensor, patch_size: int, channels: int) -> torch.Tensor:
    """(B, N, p*p*C), N a square -> (B, C, sqrt(N)*p, sqrt(N)*p)"""
    ### BEGIN SOLUTION 07.2
    side = int(round(x.shape[1] ** 0.5))
    return rearrange(x, "b (h w) (p q c) -> b c (h p) (w q)", h=side, w=side, p=patch_size, q=patch_size, c=channels)
    ### END SOLUTION


# %%
unpatchify = check("07.2", unpatchify)

# %% [markdown]
# What a ViT sees: a 32×32 crop of a real photograph, cut into sixteen 8×8 patches, laid
# out as the sequence the transformer reads.

# %%
crops = natural_crops(8, size=32, seed=0)
img = crops.images[:1]  # (1, 3, 32, 32)
patches = patchify(img, 8)  # (1, 16, 192)
print("image", tuple(img.shape), "-> patches", tuple(patches.shape),
      " round trip exact:", torch.equal(unpatchify(patches, 8, 3), img))
fig = plt.figure(figsize=(10, 3))
ax = fig.add_subplot(1, 3, 1)
ax.imshow(img[0].permute(1, 2, 0))
ax.set_title("32×32 image")
ax.axis("off")
for i in range(16):
    ax = fig.add_subplot(4, 12, (i // 4) * 12 + 5 + i % 4)
    ax.imshow(rearrange(patches[0, i], "(p q c) -> p q c", p=8, q=8))
    ax.axis("off")
ax = fig.add_subplot(1, 3, 3)
ax.imshow(rearrange(patches[0], "n (p q c) -> p (n q) c", p=8, q=8)[:, :8 * 8])
ax.set_title("the first 8 tokens of the sequence", fontsize=9)
ax.axis("off")
fig.suptitle("Patches in raster order")
plt.show()

# %% [markdown]
# ## Patch embedding: a convolution that is a linear layer
#
# Each patch vector (p·p·C numbers) is projected to the model width D by one shared linear
# map. Libraries implement it as a convolution with kernel size p and stride p: the kernel
# visits each patch exactly once, and a convolution at one position is a dot product of the
# kernel with the pixels under it, which is exactly a linear layer. `PatchEmbed` keeps the
# convolution (fast), and `linear_weight()` gives the same weights as a (D, p·p·C) matrix in
# our (row, column, channel) order. MAE needs the linear view: it embeds only the visible
# patches, which no longer form an image.

# %%
embed = PatchEmbed(img_size=32, patch_size=8, in_chans=3, dim=48)
batch = crops.images  # (8, 3, 32, 32)
with torch.no_grad():
    by_conv = embed(batch)  # (8, 16, 48)
    by_linear = F.linear(patchify(batch, 8), embed.linear_weight(), embed.proj.bias)  # (8, 16, 48)
conv_vs_linear = (by_conv - by_linear).abs().max().item()
print(f"conv output {tuple(by_conv.shape)}, linear output {tuple(by_linear.shape)}, "
      f"largest difference {conv_vs_linear:.2e}")
assert conv_vs_linear < 1e-5  # float32 rounding of sums of 192 products

# %% [markdown]
# ## Where is each patch? Sine-cosine positions
#
# Attention is blind to order: shuffle the tokens and every output is shuffled the same
# way. So each patch token gets a position vector added. MAE uses fixed sine-cosine
# embeddings, no parameters to learn: in D dimensions, half encode the column x and half the
# row y. A 1D embedding of position `pos` in d dimensions is
#
# `[sin(pos·w_0), ..., sin(pos·w_{d/2-1}), cos(pos·w_0), ..., cos(pos·w_{d/2-1})]`,
# with `w_i = 1 / 10000^(i / (d/2))`:
#
# slow waves tell far positions apart, fast ones near positions.
#
# **Exercise 07.3.** Return the (grid_h·grid_w, dim) embedding of a raster-ordered grid:
# row `k` is the patch at row `k // grid_w`, column `k % grid_w`; its first `dim/2` entries
# are the 1D embedding (in `dim/2` dimensions) of the column, the last `dim/2` that of the
# row. Compute the angles in float64 and return float32.

# %%
def sincos_2d(dim: int, grid_h: int, grid_w: int) -> torch.Tensor:
    """-> (grid_h * grid_w, dim) fixed 2D position embedding, float32."""
    ### BEGIN SOLUTION 07.3
    def one_d(d: int, pos: torch.Tensor) -> torch.Tensor:
        omega = 1.0 / 10000 ** (torch.arange(d // 2, dtype=torch.float64) / (d / 2))
        angles = pos.reshape(-1).double()[:, None] * omega[None]  # (M, d/2)
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)

    rows, cols = torch.meshgrid(torch.arange(grid_h), torch.arange(grid_w), indexing="ij")
    return torch.cat([one_d(dim // 2, cols), one_d(dim // 2, rows)], dim=1).float()
    ### END SOLUTION


# %%
sincos_2d = check("07.3", sincos_2d)

# %% [markdown]
# Does the embedding know geometry? The cosine similarity of one patch's position vector
# with every other patch's is highest nearby and falls off with distance, in both
# directions, though nothing was learned. (The ViT paper's Figure 7 shows the same picture
# for *learned* embeddings.)

# %%
grid = 8
pos = F.normalize(sincos_2d(64, grid, grid), dim=1)  # (64, 64)
similarity = pos @ pos.T  # (64 positions, 64 positions)
fig, axes = plt.subplots(grid, grid, figsize=(6, 6))
for k, ax in enumerate(axes.flat):
    ax.imshow(similarity[k].view(grid, grid), cmap="viridis", vmin=-1, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Cosine similarity of each position's embedding with all 8×8 positions")
plt.show()
near = similarity[0, 1].item()
far = similarity[0, grid * grid - 1].item()
print(f"similarity of patch (0,0) with its right neighbour {near:.3f}, with the far corner (7,7) {far:.3f}")

# %% [markdown]
# ## A small ViT classifier
#
# Everything together: patch embedding, fixed positions, a [CLS] token, transformer
# blocks, and a head on the [CLS] output. The head that `train_classifier` builds is a
# BatchNorm without learnable scale and shift followed by a linear layer, as in the MAE
# paper's linear-probing recipe (its Appendix A.2); we look at why right after
# training. We train it from scratch on the real
# handwritten digits (16×16, patches of 4 → 16 tokens). A ViT has no built-in notion that
# neighbouring pixels belong together (a CNN does): it has to learn from the data what a
# convolution assumes. The ViT paper reports that this makes ViTs lose to CNNs when
# trained on little data and win only with a lot; we test it at our scale below.

# %%
data = digits(size=16)
train, test = data.split(1200, seed=0)
epochs = maelearn.budget(quick=8, full=100)
encoder = ViTEncoder(img_size=16, patch_size=4, in_chans=1, dim=64, depth=maelearn.budget(quick=2, full=6), heads=4, mlp_ratio=2.0)
init_vit(encoder)
n_params = sum(p.numel() for p in encoder.parameters() if p.requires_grad)
vit = train_classifier(encoder, train, epochs=epochs, lr=2e-3, batch_size=64, weight_decay=0.05, seed=0, device=device)
vit_acc = accuracy(vit, test, device=device)
vit_train_acc = accuracy(vit, train, device=device)
print(f"ViT ({n_params:,} parameters, {epochs} epochs): train accuracy {vit_train_acc:.3f}, test accuracy {vit_acc:.3f}")

# %% [markdown]
# ## Is the ViT data hungry? A small CNN beside it
#
# The claim needs a comparison. Beside the ViT we train the small CNN of lesson 01
# (`SmallCNN`: three conv–batch-norm–ReLU–pool blocks, a linear head) on the same training
# images, with the same batch size and the same number of training images seen (within
# one partial batch per epoch; the cell prints the optimizer steps), each with its
# own usual recipe (`train_classifier` for the ViT, `train_cnn` for the CNN; the CNN is
# not tuned further). To see the *hunger*, we repeat both with a quarter of the training
# images (four times the epochs, so the number of images seen stays the same) and compare
# how much each loses. If the ViT loses more when data shrinks, that is the data hunger;
# if not, this scale does not show it. Each of the four numbers is one training run (one
# seed, one subset), and this lesson does not measure how much another seed would move
# them: so when either gap the verdict rests on (the difference in accuracy lost, or the
# ViT–CNN gap) is under 2 points, the cell calls it too close to call rather than pick a
# side.

# %%
sizes = (len(train) // 4, len(train))
ladder = {}  # (model, number of training images) -> test accuracy
steps = {}  # number of training images -> optimizer steps
for n in sizes:
    subset = train[torch.arange(n)]  # the split is already shuffled
    n_epochs = epochs * len(train) // n  # same number of images seen for every size
    steps[n] = n_epochs * math.ceil(n / 64)  # the last batch of an epoch may be partial
    if n == len(train):
        ladder["ViT", n] = vit_acc
    else:
        ladder["ViT", n] = accuracy(train_classifier(encoder, subset, epochs=n_epochs, lr=2e-3, batch_size=64, weight_decay=0.05,
                                                     seed=0, device=device), test, device=device)
    torch.manual_seed(0)
    cnn = SmallCNN(in_chans=1, num_classes=10, width=16).to(device)
    train_cnn(cnn, subset.images.to(device), subset.labels.to(device), epochs=n_epochs, batch_size=64, seed=0)
    ladder["CNN", n] = accuracy(cnn, test, device=device)
cnn_params = sum(p.numel() for p in cnn.parameters())
print(f"test accuracy; every model saw {epochs * len(train):,} training images in batches of 64 "
      f"(ViT {n_params:,} parameters, CNN {cnn_params:,})")
print(f"{'training images':>16s}" + "".join(f"{n:>8d}" for n in sizes))
print(f"{'optimizer steps':>16s}" + "".join(f"{steps[n]:>8d}" for n in sizes))
for model in ("ViT", "CNN"):
    print(f"{model:>16s}" + "".join(f"{ladder[model, n]:8.3f}" for n in sizes))
loss = {model: ladder[model, sizes[1]] - ladder[model, sizes[0]] for model in ("ViT", "CNN")}
print(f"accuracy lost with {sizes[0]} instead of {sizes[1]} images: ViT {loss['ViT']:.3f}, CNN {loss['CNN']:.3f}")
close = 0.02  # one seed per number: gaps under 2 points are not read as a finding
gap_lost = loss["ViT"] - loss["CNN"]  # > 0: the ViT loses more when data shrinks
gap_small = ladder["CNN", sizes[0]] - ladder["ViT", sizes[0]]  # > 0: the CNN is ahead with few images
gap_full = ladder["CNN", sizes[1]] - ladder["ViT", sizes[1]]  # > 0: the CNN is ahead with all images
print(f"gaps (CNN ahead > 0): accuracy lost ViT minus CNN {gap_lost:+.3f}, with {sizes[0]} images {gap_small:+.3f}, "
      f"with {sizes[1]} images {gap_full:+.3f}")
if abs(gap_lost) < close or abs(gap_small) < close:
    hunger = "too close to call (one seed)"
    print(f"A gap the verdict rests on is under {close:.2f}: with one seed per number this run is too close to call.")
elif gap_lost > 0 and gap_small > 0:
    hunger = "ViT loses more with less data"
    print("The ViT is behind the CNN with few images and loses more when data shrinks: in this run it is the hungrier model.")
elif gap_full >= close:
    hunger = "CNN ahead, gap not wider with less data"
    print("The CNN is ahead, but the gap does not widen with less data here: this run shows the CNN's head start, not data hunger.")
else:
    hunger = "not shown at this scale"
    print("The ViT keeps up with the CNN here: at this tiny scale the run does not show data hunger.")

# %% [markdown]
# The head, printed: first the BatchNorm, then the linear layer. During training the
# BatchNorm standardizes each feature with the batch's mean and variance, which lets a
# head trained for a few hundred steps work on features of any scale. At test time it
# uses fixed running statistics, so it is a per-feature shift and scale, and a shift
# and scale followed by a linear layer is one linear layer: the MAE paper notes that
# this BatchNorm keeps the classifier linear and can be absorbed into it after
# training. The cell checks this: it folds the BatchNorm into the linear layer's weights
# and compares the logits.

# %%
vit = vit.to("cpu").eval()
print(vit.head)
bn, linear = vit.head[0], vit.head[1]
scale = 1 / torch.sqrt(bn.running_var + bn.eps)  # (D,)
folded_w = linear.weight * scale  # (classes, D)
folded_b = linear.bias - folded_w @ bn.running_mean  # (classes,)
with torch.no_grad():
    feats = vit.encoder.features(test.images[:64], vit.pool)  # (64, D) the [CLS] outputs
    fold_err = (vit.head(feats) - F.linear(feats, folded_w, folded_b)).abs().max().item()
print(f"head vs one folded linear layer: largest logit difference {fold_err:.2e}")

# %% [markdown]
# ## What do its positions carry? Shuffle the patches
#
# Without the position embedding a ViT could not tell a digit from the same patches in
# another order: attention treats its tokens as a set, so the [CLS] output would not
# change at all. With positions, it can. So we cut every test image into its 16 patches,
# put them back in one fixed random order, and ask the trained ViT again. The drop in
# accuracy is what the model takes from *where* each patch is (the positions); what is
# left is what it can tell from *which* patches occur, wherever they are.

# %%
perm = torch.randperm(16, generator=torch.Generator().manual_seed(0))
shuffled = unpatchify(patchify(test.images, 4)[:, perm], 4, 1)  # (N, 1, 16, 16), same patches, other places
vit_shuffled_acc = accuracy(vit, (shuffled, test.labels))
print(f"ViT test accuracy: patches in place {vit_acc:.3f}, patches shuffled {vit_shuffled_acc:.3f} "
      f"(chance {1 / len(test.classes):.3f})")
fig, axes = plt.subplots(1, 6, figsize=(6, 1.4))
for ax, im in zip(axes, torch.cat([test.images[:3], shuffled[:3]])):
    ax.imshow(im[0], cmap="gray")
    ax.axis("off")
fig.suptitle("three test digits, then the same with their patches shuffled", fontsize=9)
plt.show()

# %% [markdown]
# Which digits does it get wrong? A few test images with the model's guesses:

# %%
with torch.no_grad():
    guesses = vit(test.images[:12]).argmax(1)
fig, axes = plt.subplots(1, 12, figsize=(11, 1.6))
for ax, im, y, guess in zip(axes, test.images[:12], test.labels[:12], guesses):
    ax.imshow(im[0], cmap="gray")
    ax.set_title(f"{int(guess)}" + ("" if guess == y else f" (is {int(y)})"), fontsize=8, color="black" if guess == y else "red")
    ax.axis("off")
fig.suptitle("ViT predictions on held-out digits")
plt.show()

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [
    ("mode", maelearn.mode()),
    ("patches of a 32x32 image at p=8", tuple(patches.shape[1:])),
    ("conv vs linear patch embedding, max |diff|", f"{conv_vs_linear:.2e}"),
    ("sin-cos similarity (0,0)-(0,1) / (0,0)-(7,7)", f"{near:.3f} / {far:.3f}"),
    ("ViT parameters", f"{n_params:,}"),
    ("ViT epochs", epochs),
    ("ViT train / test accuracy (digits)", f"{vit_train_acc:.3f} / {vit_acc:.3f}"),
    ("CNN parameters", f"{cnn_params:,}"),
]
for n in sizes:
    rows.append((f"test accuracy ViT / CNN, {n} training images", f"{ladder['ViT', n]:.3f} / {ladder['CNN', n]:.3f}"))
rows += [
    ("data hunger at this scale", hunger),
    ("ViT test accuracy, patches shuffled", f"{vit_shuffled_acc:.3f}"),
    ("BatchNorm + linear head vs folded linear, max |diff|", f"{fold_err:.2e}"),
    ("lesson run time (s)", f"{elapsed:.1f}"),
]
for key, value in rows:
    print(f"{key:52s} {value}")

# %% [markdown]
# **Pointers.** Dosovitskiy et al., *An Image is Worth 16x16 Words* (ICLR 2021): Figure 1
# (patches, linear projection, [CLS] token), Section 4.3 and Figures 3–4 (ViT against
# ResNets as the pretraining data grows) and Figure 7 (position-embedding similarity).
# He et al., *Masked Autoencoders Are Scalable Vision Learners* (CVPR 2022): Section 3 uses
# exactly these patches and fixed sine-cosine positions; lesson 08 masks them.
