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
# autoencoder (MAE, He et al., 2022) asks that transformer to do something that needs no
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
# 7. set every probe beside the baselines it must beat (raw pixels and an untrained
#    encoder, linear and kNN), and load the 200-epoch MAE that ships with the course to see
#    what a long schedule reaches.

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
# normalized predictions back to pixels. Columns: the masked input, the reconstruction,
# the reconstruction with the visible patches pasted back, the original, and a
# **control**. The control matters: a normalized prediction becomes pixels only with the
# mean and variance of the hidden patch, and those come from the *true* patch, which the
# model never saw. With 4×4 patches they are a coarse thumbnail of the answer. The control
# column applies the same mapping to a prediction of zeros, so it shows what the
# statistics alone draw; only what the reconstruction adds beyond it is the model's work.
# (The paper's figures avoid the question by using a model trained on plain pixels.)

# %%
model.eval()
show = test.images[:4].to(device)
noise4 = torch.rand(4, model.num_patches, generator=torch.Generator().manual_seed(1)).to(device)
recon75 = model.reconstruct(show, 0.75, noise=noise4)
figure2(recon75, title=f"75 % masked, held-out digits (loss {recon75['loss']:.3f})")
plt.show()

# %% [markdown]
# The paper's Figure 4 pushes the ratio further. At 95 % only 3 of the 64 patches remain,
# and the control shows how much of the picture is the hidden patches' own statistics:

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
    print(f"All patches are better by {full_acc - visible_acc:+.3f}: the extra patches gave more than any cost of the unfamiliar sequence length.")
else:
    print(f"All patches are worse by {full_acc - visible_acc:+.3f}: in this short run the mismatch costs more than the extra patches give.")

# %% [markdown]
# Is that probe good? A number means little without the baselines every learned feature
# must beat (lesson 00's promise): the same probes on **raw pixels** and on the same
# encoder left **untrained**, each read two ways, linear and kNN (a vote of the 20 most
# similar training images). The kNN on raw pixels is often the strongest cheap read-out:
# it finds near-duplicates, which a linear probe cannot use. Each encoder is read from
# two tokens: the [CLS] token (the paper's linear probe, used above) and the **mean of
# the patch tokens** (`pool="mean"`), the protocol that lesson 09 and the shipped
# studies fixed in advance; the table in section 10 uses the mean for both of its
# columns.

# %%
from maelearn.evaluate import knn_features
from maelearn.mae import MAE

torch.manual_seed(0)
untrained = MAE(model.config).to(device).eval()  # the same architecture, never trained
readouts = {"raw pixels": (probe_train.flatten(1), probe_test.flatten(1))}
for name, net in (("your MAE", model), ("untrained encoder", untrained)):
    for pool, label in (("mean", "mean patch token"), ("cls", "[CLS]")):
        readouts[f"{name}, {label}"] = (net.features(probe_train, pool=pool), net.features(probe_test, pool=pool))
readout_acc = {}
for name, (ftr, fte) in readouts.items():
    readout_acc[name] = {"linear": linear_probe_features(ftr, train.labels, fte, test.labels).test_acc,
                         "kNN": knn_features(ftr, train.labels, fte, test.labels, k=20)}
    print(f"{name:36s} linear {readout_acc[name]['linear']:.3f}   kNN {readout_acc[name]['kNN']:.3f}")
baseline_names = [n for n in readout_acc if not n.startswith("your MAE")]
strongest = max(((n, m) for n in baseline_names for m in ("linear", "kNN")), key=lambda nm: readout_acc[nm[0]][nm[1]])
best_mae = max(v for n, acc in readout_acc.items() if n.startswith("your MAE") for v in acc.values())
print(f"strongest trivial baseline: {strongest[0]}, {strongest[1]} ({readout_acc[strongest[0]][strongest[1]]:.3f}); "
      f"your MAE's best read-out is {best_mae - readout_acc[strongest[0]][strongest[1]]:+.3f} from it")

# %% [markdown]
# Digits are an easy set for raw pixels (the baseline rows above; lesson 09 leaves them
# for a harder benchmark for that reason), and a model trained for seconds has little time
# to clear the strongest baseline: the last printed line says by how much yours does. Section 10
# shows the same comparison for a model trained 200 epochs on a harder set.

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
    print(f"{name:16s} last-epoch loss {h.final_loss:.3f}   linear probe on [CLS] {probe_acc[key]:.3f}")
print(f"untrained encoder, linear probe on [CLS]: {readout_acc['untrained encoder, [CLS]']['linear']:.3f}")

# %% [markdown]
# One seed of a short run cannot rank the two (lesson 09 runs the comparison with seeds
# and error bars). What this run can show is narrower than the paper's point: whether the
# masked loss falls with and without crops (the printed losses; a cropped batch is a
# different task, so the two losses are not comparable with each other). Whether either
# model learned *features* is the question of the previous section: a probe that does not
# clear the untrained encoder's [CLS] probe (printed there, and again by the cell above)
# says this short run has not got that far,
# with or without crops. Digits also differ from ImageNet: a crop of a centred digit can
# cut off the part that tells a 7 from a 1.

# %% [markdown]
# ## 10 · A long-trained MAE that ships with the course
#
# Our model trained for seconds, and MAE is known to need long schedules (the paper's
# Figure 7: still improving at 1,600 epochs). `python -m maelearn.experiments length`
# pretrains the same kind of model (a 64-d, 4-block ViT on 4×4 patches, 2-block decoder,
# 75 % masking, norm-pix target) for 200 epochs on 10,000 *scenes* (`maelearn.data.scenes`:
# 10 classes of silhouettes in random colours, places, sizes and small rotations, over
# crops of photographs, with clutter and occluders; 32×32, 3 channels), about an hour per
# seed on one idle CPU core (the cell computes it from the step time measured in
# `data/pretraining_speed_cpu.json`; the minutes printed further down were recorded on a
# shared machine and include the probes), and probes its frozen encoder along the way. Seed 0 ships in
# `data/pretrained/mae_scenes_long/`. It was trained on scenes, not digits, so we look at
# it on scenes. If the file is missing, the cell says how to make it and the lesson goes on.

# %%
import json

from maelearn.data.scenes import SCENE_CLASSES, scene_benchmark
from maelearn.experiments.ablations import load_results, runs_of
from maelearn.experiments.label_efficiency import OUT as LABELS_FILE
from maelearn.experiments.label_efficiency import accuracies, load
from maelearn.experiments.pretraining_length import SPEED_RESULTS, load_shipped

shipped = load_shipped(0)  # (MAE in eval mode, what is known of it), or None
if shipped is None:
    print("No long-trained image MAE in data/pretrained/mae_scenes_long/ yet: "
          "`python -m maelearn.experiments length` makes it (about an hour per seed on an idle CPU core). Skipping this section.")
else:
    long_model, long_info = shipped
    c = long_model.config
    print(f"{long_info['path']}: {long_info['epochs']} epochs, final loss {long_info['final_loss']:.3f}; "
          f"encoder {c.depth} blocks x {c.dim}-d, decoder {c.decoder_depth} x {c.decoder_dim}-d, "
          f"{c.patch_size}x{c.patch_size} patches of {c.img_size} px")
    tc = long_info["train_config"]
    speed_rows = json.loads(SPEED_RESULTS.read_text())["rows"] if SPEED_RESULTS.exists() else []
    speed = next((r for r in speed_rows if (r["kind"], r["threads"], r["precision"]) == ("mae", 1, tc["precision"])), None)
    if speed is not None and long_info["curve"]:
        idle_min = tc["epochs"] * speed["steps_per_epoch"] * speed["step_ms"] / 1000 / 60
        print(f"on an idle core: {speed['step_ms']:.0f} ms per step (1 thread, {tc['precision']}, measured at load "
              f"{speed['load']:.2f}) x {speed['steps_per_epoch']} steps x {tc['epochs']} epochs = {idle_min:.0f} min "
              f"of pretraining; the run itself took {long_info['curve'][-1]['minutes']:.0f} min with its probes, on a shared machine")

# %% [markdown]
# Along its schedule, how good are its frozen features? The curve is read from
# `data/pretraining_length_cpu.json` (probes at fixed epochs of the one 200-epoch run; the
# sweep's protocol: the mean of the patch tokens, 5,000 labelled and 2,000 test scenes).
# Beside it, the trivial baselines on the same split, from `data/label_efficiency_cpu.json`
# (all 5,000 labels, seed 0): a linear probe and a kNN on raw pixels, and a linear probe on
# the encoder left untrained.

# %%
if shipped is not None:
    curve = long_info["curve"]
    ref = {m: accuracies(load(LABELS_FILE), m, 5000).get(0) for m in ("raw_knn", "raw_linear", "random_linear")}
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot([r["epochs"] for r in curve], [100 * r["linear_probe"] for r in curve], marker="o", label="MAE, linear probe")
    ax.plot([r["epochs"] for r in curve], [100 * r["knn"] for r in curve], marker="s", label="MAE, kNN")
    for (m, acc), style in zip(ref.items(), (":", "--", "-.")):
        if acc is not None:
            ax.axhline(100 * acc, color="grey", linestyle=style, label=m.replace("_", " "))
    ax.set_xlabel("pretraining epoch (of one 200-epoch schedule)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("the shipped scenes MAE, seed 0")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    plt.show()
    for r in curve:
        print(f"epoch {r['epochs']:3d}: linear {r['linear_probe']:.3f}  kNN {r['knn']:.3f}  ({r['minutes']:.0f} min)")
    print("baselines (all labels, seed 0): " + ", ".join(f"{m} {v:.3f}" if v is not None else f"{m} pending"
                                                           for m, v in ref.items()))

# %% [markdown]
# Its reconstructions of scenes it never saw in pretraining (drawn from the test split's
# random stream), with the same helpers (`model.reconstruct`, `figure2`), at 75 % masking.
# This model predicts *normalized* patches, and a picture needs pixels: `reconstruct` maps
# each prediction back with the mean and variance of the hidden patch itself, which the
# model never saw. With 4×4 patches those statistics are a coarse thumbnail of the truth,
# so the last column is the **control**: the same mapping applied to a prediction of
# zeros. Whatever the reconstruction shows beyond the control is what the model
# contributed. (The paper's own figures use a model trained on plain pixels for this
# reason; section 6 used normalized pixels too, and the control is in its figures.)

# %%
if shipped is not None:
    _, scenes_held_out = scene_benchmark(n_train=1, n_test=4, seed=0)  # 4 held-out scenes, (4, 3, 32, 32)
    noise_s = long_model.make_noise(4, 0.75, generator=torch.Generator().manual_seed(1))
    recon_long = long_model.reconstruct(scenes_held_out.images, 0.75, noise=noise_s)
    print("rows:", ", ".join(SCENE_CLASSES[i] for i in scenes_held_out.labels.tolist()))
    figure2(recon_long, title=f"shipped scenes MAE, 75 % masked, held-out scenes (loss {recon_long['loss']:.3f})")
    plt.show()

# %% [markdown]
# How much better is the model than its control? The mean squared error on the hidden
# pixels of these scenes, for the reconstruction and for the control (lower is better):

# %%
if shipped is not None:
    from maelearn.viz import mask_overlay

    hidden = mask_overlay(torch.zeros_like(recon_long["original"]), recon_long["mask"], 4, colour=(1.0, 1.0, 1.0)) > 0
    mse = {k: float(((recon_long[k] - recon_long["original"])[hidden] ** 2).mean()) for k in ("pasted", "control")}
    print(f"hidden-pixel MSE: reconstruction {mse['pasted']:.4f}, control (true statistics, zero prediction) "
          f"{mse['control']:.4f}")

# %% [markdown]
# Your quick model beside the long one, each against its own baselines (the data sets
# differ: digits for yours, scenes for the shipped one, so compare each model with the
# baselines in its own column). Both columns probe the mean of the patch tokens (for your
# model, the read-out of section 8 with `pool="mean"`). The shipped column reads
# `data/label_efficiency_cpu.json` (all 5,000 labels, seed 0), and the untrained encoder's
# kNN, which that file does not hold, from `data/ablations_cpu.json` (its `random_init`
# baseline, seed 0, on the same split; the cell first checks that the two files agree
# where they overlap, the untrained encoder's linear probe and the raw-pixel kNN). The
# fine-tuned rows use recipes chosen on a validation split and the supervised ViT is the
# same architecture trained from scratch as long as the validation split said it kept
# improving (or its epoch ladder ended); a row not yet run there reads "pending".

# %%
if shipped is not None:
    le = load(LABELS_FILE)

    def shipped_row(method: str) -> str:
        acc = accuracies(le, method, 5000).get(0)
        return "pending" if acc is None else f"{acc:.3f}"

    ablations = load_results(prefer=("cpu",))  # data/ablations_cpu.json, or None
    random_runs = {r["seed"]: r for r in runs_of(ablations, "random_init")} if ablations else {}
    random_knn = random_runs.get(0, {}).get("knn")
    if random_knn is not None:  # the two files agree where they overlap: the same split and probes
        raw_knn = {r["seed"]: r["knn"] for r in runs_of(ablations, "raw_pixels")}.get(0)
        print(f"seed 0 in {ablations['path']} / {LABELS_FILE.name}: untrained encoder, linear probe "
              f"{random_runs[0]['linear_probe']:.4f} / {accuracies(le, 'random_linear', 5000).get(0) or float('nan'):.4f}; "
              f"raw pixels, kNN {raw_knn or float('nan'):.4f} / {accuracies(le, 'raw_knn', 5000).get(0) or float('nan'):.4f}")
        print(f"untrained encoder, kNN: {random_knn:.3f} (the ablations' protocol: {ablations['protocol']['knn']})")

    table = [
        ("data", "digits", "scenes"),
        ("probe features", "mean patch token", "mean patch token"),
        ("pretraining epochs", str(config.epochs), str(long_info["epochs"])),
        ("MAE, linear probe", f"{readout_acc['your MAE, mean patch token']['linear']:.3f}", shipped_row("mae_linear")),
        ("MAE, kNN", f"{readout_acc['your MAE, mean patch token']['kNN']:.3f}", shipped_row("mae_knn")),
        ("MAE, last 2 blocks fine-tuned", "-", shipped_row("mae_partial2")),
        ("MAE, fully fine-tuned", "-", shipped_row("mae_finetune")),
        ("raw pixels, linear probe", f"{readout_acc['raw pixels']['linear']:.3f}", shipped_row("raw_linear")),
        ("raw pixels, kNN", f"{readout_acc['raw pixels']['kNN']:.3f}", shipped_row("raw_knn")),
        ("untrained encoder, linear probe", f"{readout_acc['untrained encoder, mean patch token']['linear']:.3f}",
         shipped_row("random_linear")),
        ("untrained encoder, kNN", f"{readout_acc['untrained encoder, mean patch token']['kNN']:.3f}",
         "pending" if random_knn is None else f"{random_knn:.3f}"),
        ("same ViT from scratch, all labels", "-", shipped_row("supervised")),
        ("chance", f"{1 / len(data.classes):.3f}", f"{1 / len(SCENE_CLASSES):.3f}"),
    ]
    print(f"{'':36s} {'your quick model':>17s} {'shipped model':>17s}")
    for name, yours, theirs in table:
        print(f"{name:36s} {yours:>17s} {theirs:>17s}")

# %% [markdown]
# One seed of each, so read it as a preview: lesson 09 puts these numbers over three seeds
# with paired intervals, at 100, 500 and 5,000 labels, which is where the question "does
# pretraining pay?" gets its answer. The command line probes the same checkpoint with its
# own, smaller probe set: `python -m maelearn probe data/pretrained/mae_scenes_long/seed0.pt`.

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
rows += [(f"{n}: linear / kNN", f"{v['linear']:.3f} / {v['kNN']:.3f}") for n, v in readout_acc.items()]
if shipped is not None:
    last = long_info["curve"][-1] if long_info["curve"] else None
    rows += [("shipped long MAE: epochs, final loss", f"{long_info['epochs']}, {long_info['final_loss']:.4f}"),
             ("shipped long MAE: hidden-pixel MSE vs control", f"{mse['pasted']:.4f} vs {mse['control']:.4f}")]
    if last:
        rows += [("shipped long MAE: linear / kNN (scenes)", f"{last['linear_probe']:.3f} / {last['knn']:.3f}")]
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
