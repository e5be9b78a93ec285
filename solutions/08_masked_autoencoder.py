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
# 5. train the MAE, read its learning rate and warm-up, plot its loss and look at
#    reconstructions in the layout of the paper's Figure 2, up to 95 % masking, and explore
#    masks live with a slider;
# 6. throw the decoder away and use the encoder as the paper does downstream: on every
#    patch, unmasked, and measure what that train/test mismatch costs;
# 7. load the longer-trained MAE that ships with the course and compare its
#    reconstructions and probes with those of your quick model.

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
    ### BEGIN SOLUTION 08.1
    b, n, d = x.shape
    keep = int(n * (1 - mask_ratio))
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :keep]
    visible = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))
    mask = torch.ones(b, n, dtype=x.dtype, device=x.device)
    mask[:, :keep] = 0
    mask = torch.gather(mask, 1, ids_restore)
    return Masked(visible, mask, ids_restore, ids_keep)
    ### END SOLUTION


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
torch.manual_seed(0)
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
    ### BEGIN SOLUTION 08.2
    x = patchify(imgs, model.patch_size)  # (B, N, p*p*C)
    x = enc.patch_embed.embed_patches(x) + enc.pos_embed[:, 1:]  # (B, N, D)
    m = random_masking(x, mask_ratio, noise)
    cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(x.shape[0], -1, -1)  # (B, 1, D)
    h = torch.cat([cls, m.visible], dim=1)  # (B, 1+K, D)
    for block in enc.blocks:
        h = block(h)
    return enc.norm(h), m.mask, m.ids_restore
    ### END SOLUTION


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
    ### BEGIN SOLUTION 08.3
    h = model.decoder_embed(latent)  # (B, 1+K, Dd)
    b, n = ids_restore.shape
    tokens = model.mask_token.expand(b, n - (h.shape[1] - 1), -1)  # (B, N-K, Dd)
    seq = torch.cat([h[:, 1:], tokens], dim=1)  # (B, N, Dd), shuffled order
    seq = torch.gather(seq, 1, ids_restore.unsqueeze(-1).expand(-1, -1, h.shape[2]))  # original order
    h = torch.cat([h[:, :1], seq], dim=1) + model.decoder_pos_embed  # (B, 1+N, Dd)
    for block in model.decoder_blocks:
        h = block(h)
    return model.decoder_pred(model.decoder_norm(h))[:, 1:]
    ### END SOLUTION


# %%
decode = check("08.3", decode)

# %% [markdown]
# ### Why the decoder matters more for images than for text
#
# The MAE paper (Section 1) names the decoder's role as the third difference between
# masked modelling of language and of images. BERT's targets are words, already
# high-level, meaningful units, and the network that turns its last hidden states into
# words can be trivial: an MLP over the vocabulary (lesson 06's tiny MLM uses a single
# linear layer). MAE's targets are pixels, a *low-semantic* target. Whatever network maps
# the representation back to pixels has to do low-level work, and if the decoder is too
# small, the encoder's last layers end up doing it themselves and their output becomes
# more about pixels than about content. So for images the decoder's design decides the
# semantic level of what the encoder learns: in the paper's Table 1a, going from 1 to 8
# decoder blocks raises ViT-L's linear-probe accuracy from 65.5 % to 73.5 %, while
# fine-tuning, which can re-adapt the last layers, stays at about 84.9 % either way.
# The decoder stays cheap nevertheless (the paper's default has under 10 % of the
# encoder's computation per token), and it exists only during pretraining. Lesson 09
# measures the decoder-depth trend at small scale.

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
    ### BEGIN SOLUTION 08.4
    target = patches
    if norm_pix:
        mean = patches.mean(dim=-1, keepdim=True)
        var = patches.var(dim=-1, keepdim=True)
        target = (patches - mean) / (var + 1e-6) ** 0.5
    per_patch = ((pred - target) ** 2).mean(dim=-1)  # (B, N)
    return (per_patch * mask).sum() / mask.sum()
    ### END SOLUTION


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
# 0.05 except on biases and normalization weights, the reference code's rule), a linear
# warm-up then a half-cycle cosine learning-rate schedule, fresh random masks every step.
# Quick mode trains for a few epochs on the CPU: enough to see the loss fall and blurry
# digits appear. Full mode (a GPU) trains long enough for sharp reconstructions.
#
# One setting departs from the paper on purpose: the learning rate. The paper sets it by
# the *linear scaling rule*, lr = base_lr × batch / 256 with base_lr = 1.5e-4, and our
# config gives an absolute `lr` instead. The cell after training explains why, with the
# numbers of this run.

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
# ### The learning rate and the warm-up of this run
#
# The scaling rule keeps the progress *per epoch* the same when the batch changes: half
# the batch, twice the steps, each with half the learning rate. It was tuned for the
# paper's schedule, hundreds of epochs of ImageNet at a batch of 4096. Our quick run has a
# few epochs, and so a few dozen steps. AdamW moves each weight by at most about the
# learning rate per step, so the sum of the learning rates over the run bounds how far any
# weight can travel; compare that bound with the typical size of a weight. The cell also
# reads the warm-up, as a share of the run, from the same config and from the recorded
# schedule.

# %%
rule_lr = config.base_lr * config.batch_size / 256  # the paper's rule at our batch size
paper_lr = config.base_lr * 4096 / 256  # the paper's peak lr at its batch of 4096
used_lr = config.peak_lr()
travel = sum(history.lr)  # sum of the per-step learning rates: the bound on any weight's travel
weight_std = model.encoder.blocks[0].attn.qkv.weight.std().item()  # typical size of a weight
print(f"scaling rule at batch {config.batch_size}: {config.base_lr:.1e} x {config.batch_size}/256 = {rule_lr:.2e}")
print(f"lr used: {used_lr:.2e} ({used_lr / rule_lr:.0f}x the rule; the paper's own peak at batch 4096 is {paper_lr:.2e})")
print(f"{len(history.lr)} steps: sum of learning rates {travel:.3f} as run, {travel * rule_lr / used_lr:.4f} under the rule; "
      f"a weight of the first block is ~{weight_std:.3f} in size")
warm_steps = next((i for i, v in enumerate(history.lr) if v >= max(history.lr) - 1e-12), 0) + 1
print(f"warm-up: {config.warmup_epochs} of {config.epochs} epochs = {config.warmup_epochs / config.epochs:.0%} of the run "
      f"(the recorded lr peaks at step {warm_steps} of {len(history.lr)}); the paper: 40 warm-up epochs of 800 = {40 / 800:.0%}")

# %% [markdown]
# Under the rule, the whole quick run could move a weight by only a small fraction of its
# size (the printed sums): the model would hardly leave its initialization. A larger
# absolute learning rate, of the order of the paper's own peak at its batch, gives a
# short run a chance. The warm-up is long as a share of the run for the same reason the
# learning rate is large: the schedule has few steps, and the first updates of AdamW,
# whose gradient statistics are still poor estimates, must be kept small for a few of
# them. In full mode the share comes down to the paper's order (printed above when you
# run it there).

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
# ## 8 · After pretraining: the encoder alone, on every patch
#
# Reconstruction was never the goal. After pretraining the paper **discards the
# decoder** (and the mask token with it) and keeps the encoder, which is then applied to
# *uncorrupted* images: every patch, nothing masked (the caption of its Figure 1). A
# linear probe reads the [CLS] token of that full sequence; fine-tuning trains the whole
# encoder with a new head. The pretraining itself was **task-agnostic**: it used no
# labels and knew nothing of the task that follows, which is why the paper can transfer
# one pretrained encoder to classification, object detection (COCO) and semantic
# segmentation (ADE20K). Lesson 04 compares task-agnostic and task-specific training.
#
# `model.features(images)` is that downstream encoder: 1 + N tokens in, the [CLS] token
# out, no mask, no decoder.

# %%
probe_train, probe_test = train.images, test.images
feats_full = model.features(probe_train[:4])  # (4, D)
print(f"features of 4 images: {tuple(feats_full.shape)}; the encoder read {1 + model.num_patches} tokens per image, "
      f"in pretraining it read {model.encoder_sequence_length(config.mask_ratio)}")

# %% [markdown]
# That is a train/test mismatch: pretraining showed the encoder short sequences, a
# quarter of the patches, and now it gets all of them (the counts printed above). Why
# does this work? Everything the encoder saw in pretraining was a
# *real* patch with its own position embedding; only the number of tokens changes, and
# attention is defined for any number of tokens. The alternative design shows what a real
# mismatch costs: an encoder that sees the mask tokens during pretraining (as BERT's
# does) learns on sequences that are three quarters `[MASK]`, which never occur in real
# images, and in the paper's Table 1c its linear-probe accuracy drops from 73.5 % to
# 59.6 % (at 3.3× the pretraining FLOPs). Fine-tuning, finally, adapts the encoder to full
# sequences anyway.
#
# A measurement on our model: a linear probe on the [CLS] features computed from *all*
# patches, against one on features computed the pretraining way, from a random quarter
# of the patches (your `encode_visible`), with the digits' labels. Seeing all patches
# gives the probe more of each digit, but on sequences the encoder never trained on.

# %%
from maelearn.evaluate import linear_probe_features


@torch.no_grad()
def cls_from_visible(images: torch.Tensor, seed: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, D): the [CLS] token when the encoder sees 25 % of the patches."""
    model.eval()
    noise = torch.rand(images.shape[0], model.num_patches, generator=torch.Generator().manual_seed(seed))
    latent, _, _ = encode_visible(model, images.to(device), config.mask_ratio, noise.to(device))
    return latent[:, 0].float().cpu()


probe_acc = {
    "all patches (downstream)": linear_probe_features(model.features(probe_train), train.labels, model.features(probe_test), test.labels).test_acc,
    "25 % of patches (as in pretraining)": linear_probe_features(cls_from_visible(probe_train, 0), train.labels, cls_from_visible(probe_test, 1), test.labels).test_acc,
}
for name, acc in probe_acc.items():
    print(f"linear probe on [CLS], encoder sees {name:36s} test accuracy {acc:.3f}")
full_acc, visible_acc = probe_acc.values()
if full_acc >= visible_acc:
    print(f"All patches are better by {full_acc - visible_acc:+.3f}: the longer sequence did not hurt, the extra patches helped.")
else:
    print(f"All patches are worse by {full_acc - visible_acc:+.3f}: in this short run the mismatch costs more than the extra patches give.")

# %% [markdown]
# ## 9 · Two more findings of the paper: long schedules, little augmentation
#
# **Training schedule.** MAE keeps improving with longer pretraining: in the paper's
# Figure 7 (ViT-L), both the linear probe and fine-tuning are still rising at 1600 epochs,
# with no saturation of the linear probe in sight, while the contrastive MoCo v3 saturates
# at 300 epochs for the same model. Every step draws a new mask, so the task never runs
# out. Our quick run of a few epochs is the very start of such a curve.
#
# **Data augmentation.** Contrastive methods depend on strong augmentation (colour
# jitter, crops, blur) because the views are the learning signal. MAE does not: in the
# paper's Table 1e, random-resized cropping alone is best (84.9 % fine-tune / 73.5 %
# linear), adding colour jitter lowers both (84.3 / 71.9) and even no augmentation at all
# works decently (84.0 / 65.7). The random mask itself is the augmentation: each
# iteration sees a new subset of patches. A small measurement: the same model, config and
# seed, pretrained once more with crops (random resized crop and flip,
# `maelearn.data.augment`) applied to every batch, then the same probe on all patches.

# %%
from maelearn.data.augment import augmentation
from maelearn.train import fit


def crop_then_mask(net, batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The pretraining loss with a fresh random crop of every image, every step."""
    x = augmentation("crop", generator=generator)(batch)  # (B, C, H, W), cropped and flipped
    noise = net.make_noise(x.shape[0], config.mask_ratio, generator=generator).to(x.device)
    return net(x, config.mask_ratio, noise=noise).loss


torch.manual_seed(0)  # the same initialization as the first model
model_crop = build_mae("tiny", img_size=32, patch_size=4, in_chans=1, **size).to(device)
history_crop = fit(model_crop, images, crop_then_mask, config, progress=False, desc="pretrain (crop)")
probe_acc["all patches, pretrained with crops"] = linear_probe_features(
    model_crop.features(probe_train), train.labels, model_crop.features(probe_test), test.labels).test_acc
for name, h, key in (("no augmentation", history, "all patches (downstream)"),
                     ("crop + flip", history_crop, "all patches, pretrained with crops")):
    print(f"{name:16s} last-epoch loss {h.final_loss:.3f}   linear probe {probe_acc[key]:.3f}")

# %% [markdown]
# One seed of a short run cannot rank the two (lesson 09 runs the comparison with seeds
# and error bars); what it shows is the paper's qualitative point, that MAE learns with
# or without crops, the printed probes and losses in hand. Digits also differ from
# ImageNet: a crop of a centred digit can cut off the part that tells a 7 from a 1.

# %% [markdown]
# ## 10 · A longer-trained MAE that ships with the course
#
# Our model trained for a few epochs, and its reconstructions are blurry. What does the
# same kind of model learn with a longer schedule? Lesson 09's sweep pretrains small MAEs
# on the *scenes* benchmark (`maelearn.data.scenes`: 10 classes of silhouettes in random
# colours, places, sizes and small rotations, on crops of photographs and textures, with
# clutter and occluders; 32×32, 3 channels) and ships its seed-0 baseline model in `data/pretrained/`, with a
# provenance file that says how it was made. It was trained on scenes, not digits, so we
# look at it on scenes. If the file is missing, the cell says how to make it and the
# lesson goes on.

# %%
from maelearn.data.scenes import SCENE_CLASSES, scene_benchmark
from maelearn.experiments.ablations import load_results, load_shipped_mae

shipped = load_shipped_mae("cpu")  # (MAE in eval mode, provenance dict), or None
if shipped is None:
    print("No shipped image MAE in data/pretrained/mae_scenes_cpu/ yet: lesson 09's sweep makes it, "
          "`python -m maelearn.experiments ablations --scale cpu` (hours on a CPU). Skipping this section.")
else:
    shipped_model, provenance = shipped
    arch = provenance.get("model", {})
    print(f"made by `{provenance.get('command')}`, seed {provenance.get('seed')}, on {provenance.get('date')}")
    print(f"data: {provenance.get('data')}")
    print(f"{provenance.get('epochs')} epochs at batch {provenance.get('batch_size')}; final loss {provenance.get('final_loss'):.3f}; "
          f"encoder {arch.get('depth')} blocks x {arch.get('dim')}-d, decoder {arch.get('decoder_depth')} x {arch.get('decoder_dim')}-d, "
          f"{shipped_model.config.patch_size}x{shipped_model.config.patch_size} patches of {shipped_model.config.img_size} px, "
          f"{shipped_model.config.in_chans} channels")

# %% [markdown]
# Its reconstructions of scenes it never saw in pretraining (drawn from the test split's
# random stream), in the layout of section 6 and with the same helpers
# (`model.reconstruct`, `figure2`), at 75 % masking:

# %%
if shipped is not None:
    _, scenes_held_out = scene_benchmark(n_train=1, n_test=4, seed=0)  # 4 held-out scenes, (4, 3, 32, 32)
    noise_s = shipped_model.make_noise(4, 0.75, generator=torch.Generator().manual_seed(1))
    recon_shipped = shipped_model.reconstruct(scenes_held_out.images, 0.75, noise=noise_s)
    print("rows:", ", ".join(SCENE_CLASSES[i] for i in scenes_held_out.labels.tolist()))
    figure2(recon_shipped, title=f"shipped scenes MAE, 75 % masked, held-out scenes (loss {recon_shipped['loss']:.3f})")
    plt.show()

# %% [markdown]
# How useful are its features? The provenance records the sweep's own evaluation of this
# very model on the scenes benchmark: a linear probe and kNN on frozen features, and full
# fine-tuning. Next to them goes your quick model's linear probe from section 8, on
# digits. The data sets differ, so read each column against its own references: chance,
# and for the scenes the same linear probe on an untrained encoder and on raw pixels, and
# the same ViT trained from scratch on all the labels, taken from the sweep's results file
# (the same seed; shown only when that file was made with the same recipe as the shipped
# model).

# %%
if shipped is not None:
    res = provenance.get("results", {})
    sweep = load_results(("cpu",))  # data/ablations_cpu.json, or None
    same_recipe = sweep is not None and sweep.get("settings", {}).get("epochs") == provenance.get("epochs")
    reference = {(name, metric): next((r.get(metric) for r in sweep["baselines"].get(name, {}).get("runs", []) if r.get("seed") == provenance.get("seed")), None)
                 for name, metric in (("random_init", "linear_probe"), ("raw_pixels", "linear_probe"), ("supervised", "fine_tune"))
                 } if same_recipe else {}

# %%
if shipped is not None:
    def fmt(x) -> str:
        return "-" if x is None else f"{x:.3f}"

    rows_shipped = [
        ("data", "digits", "scenes"),
        ("pretraining epochs", str(config.epochs), str(provenance.get("epochs"))),
        ("linear probe on [CLS]", fmt(probe_acc["all patches (downstream)"]), fmt(res.get("linear_probe_cls"))),
        ("linear probe, the sweep's protocol", "-", fmt(res.get("linear_probe"))),
        ("kNN", "-", fmt(res.get("knn"))),
        ("full fine-tuning", "-", fmt(res.get("fine_tune"))),
        ("chance", f"{1 / len(data.classes):.3f}", f"{1 / len(SCENE_CLASSES):.3f}"),
        ("untrained encoder, the sweep's linear probe", "-", fmt(reference.get(("random_init", "linear_probe")))),
        ("raw pixels, the sweep's linear probe", "-", fmt(reference.get(("raw_pixels", "linear_probe")))),
        ("supervised from scratch, all labels", "-", fmt(reference.get(("supervised", "fine_tune")))),
    ]
    print(f"{'':45s} {'your quick model':>16s} {'shipped model':>14s}")
    for name, yours, theirs in rows_shipped:
        print(f"{name:45s} {yours:>16s} {theirs:>14s}")
    if same_recipe:
        print(f"(the sweep's linear probe and kNN read the {sweep['settings'].get('probe_pool')}-pooled features; all seeds in {sweep['path']})")

# %% [markdown]
# Two comparisons from the printed numbers, for this one seed (lesson 09 repeats them
# over seeds, with intervals): does pretraining beat the untrained encoder under the
# linear probe, and does full fine-tuning beat the linear probe, as for MAE in the paper's
# Figure 9?

# %%
if shipped is not None:
    lp, ft, untrained = res.get("linear_probe"), res.get("fine_tune"), reference.get(("random_init", "linear_probe"))
    if lp is not None and untrained is not None:
        print(f"linear probe, shipped MAE - untrained encoder: {lp - untrained:+.3f} ({'beats' if lp > untrained else 'does not beat'} it)")
    if lp is not None and ft is not None:
        print(f"full fine-tuning - linear probe: {ft - lp:+.3f} ({'as in' if ft > lp else 'unlike'} the paper's Figure 9)")

# %% [markdown]
# The command line probes the same checkpoint with its own, smaller probe set (the
# scenes are picked from the checkpoint's record):
# `python -m maelearn probe data/pretrained/mae_scenes_cpu`. Lesson 09 puts this model
# among its variants, with seeds and intervals.

# %% [markdown]
# ## 11 · (optional, online) The paper's own ViT-B/16 on real photos
#
# Our tiny model trained for seconds to minutes on small digits. The authors' ViT-B/16
# was pretrained for 1600 epochs on ImageNet; `maelearn.interop` loads its published
# weights (on Hugging Face as `facebook/vit-mae-base`) into *our* `MAE` class, the one
# this lesson built, and shows its reconstructions of photos that ship with
# scikit-image. Nothing is downloaded unless you set `DOWNLOAD = True` (about 450 MB;
# needs `pip install -e ".[interop]"`); otherwise the cell says how to get the weights
# and moves on.

# %%
from skimage import data as skdata

from maelearn.interop import WeightsUnavailableError, from_pretrained_hf, reconstruct_photos

DOWNLOAD = False  # True: fetch facebook/vit-mae-base from the Hugging Face Hub (about 450 MB)
try:
    vit_mae = from_pretrained_hf("facebook/vit-mae-base", local_files_only=not DOWNLOAD)
except (ImportError, WeightsUnavailableError) as err:
    print(f"Skipping the pretrained ViT-B/16: {err}")
else:
    photos = [skdata.astronaut(), skdata.coffee(), skdata.chelsea(), skdata.rocket()]
    recon_photos = reconstruct_photos(vit_mae, photos, mask_ratio=0.75, seed=0)
    figure2(recon_photos, n=4, title=f"facebook/vit-mae-base, 75 % of each photo masked (loss {recon_photos['loss']:.3f})", size=2.2)
    plt.show()

# %% [markdown]
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
    ("peak lr used / scaling rule at this batch", f"{used_lr:.2e} / {rule_lr:.2e}"),
    ("warm-up share of the run", f"{config.warmup_epochs / config.epochs:.0%}"),
]
rows += [(f"linear probe, {k}", f"{v:.3f}") for k, v in probe_acc.items()]
rows += [
    ("lesson run time (s)", f"{elapsed:.1f}"),
]
for key, value in rows:
    print(f"{key:52s} {value}")

# %% [markdown]
# ## In the paper
#
# * Figure 1: the MAE architecture you just built (encoder on visible patches, decoder
#   with mask tokens).
# * Figures 2 and 3: reconstructions of ImageNet and COCO validation images at 80 %
#   masking; Figure 4: the same model at 75 %, 85 % and 95 %.
# * Section 3 ("MAE") describes the masking by shuffling, the mask tokens and the
#   normalized-pixel target exactly as in exercises 08.1–08.4.
# * Section 1: the three differences between language and vision (architecture,
#   information density, the decoder's role); Table 1a (decoder depth), 1c (mask token in
#   the encoder: the train/test gap), 1e (data augmentation).
# * Figure 7: the training schedule, still improving at 1600 epochs; Appendix A.1 and its
#   pretraining-settings table: base lr 1.5e-4 scaled by batch / 256, batch 4096, 40
#   warm-up epochs, AdamW β = (0.9, 0.95), weight decay 0.05, random-resized crop only.
#
# Next, lesson 09 asks which of these choices matter, by training variants and measuring
# how useful their features are.
