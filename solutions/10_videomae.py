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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/10_videomae.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 10 · VideoMAE: masked autoencoders in space and time
#
# A video is a stack of images that barely change from one frame to the next. That is
# the whole difficulty of masked pretraining on video: if a patch is hidden in frame 5
# but visible in frame 6, the network can copy it instead of understanding anything.
# VideoMAE (Tong et al., 2022) answers with two changes to MAE: hide *tubes* (the same
# spatial positions in every frame) and hide even more (90 %). MAE-ST (Feichtenhofer et
# al., 2022) instead hides random space-time cubes at 90 % and reports that it works too.
# This lesson builds both and measures the difference on clips where appearance alone
# cannot answer the question.
#
# **In this lesson you will learn to**
#
# 1. cut a video into space-time cubes (2 frames × p × p pixels);
# 2. build a tube mask and see why it differs from random space-time masking;
# 3. measure *temporal leakage*: how much of what is hidden is visible in a neighbouring frame;
# 4. build VideoMAE's per-cube, per-channel target;
# 5. pretrain VideoMAE, look at reconstructions frame by frame, and probe its features for
#    motion direction: tube vs random masking, 90 % vs 75 %.

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
from maelearn.data.video import moving_shapes
from maelearn.evaluate import linear_probe_features
from maelearn.exercises import check
from maelearn.train import TrainConfig, pretrain
from maelearn.video import build_videomae, copy_neighbour_error, videomae_config

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## The clips
#
# `moving_shapes` draws one coloured shape gliding in a straight line over a static
# textured background. The label is the **direction** of motion (right, up, left, down).
# Every direction uses the same shapes, colours and backgrounds, so a single frame says
# nothing about the label: a model has to compare frames. Your own clips can be read with
# `torchvision.io.read_video` (or PyAV) and resized to the same (C, T, H, W) layout.

# %%
n_train, n_test = maelearn.budget(quick=(256, 128), full=(8192, 1024))
data = moving_shapes(n_train + n_test, frames=8, size=32, seed=0)
train, test = data.split(n_train, seed=0)
print("videos", tuple(data.videos.shape), " classes", data.classes)  # (N, C, T, H, W)

fig, axes = plt.subplots(4, 8, figsize=(10, 5.2))
for row, c in zip(axes, range(4)):
    clip = train.videos[(train.labels == c).nonzero()[0, 0]]  # (C, T, H, W)
    for t, ax in enumerate(row):
        ax.imshow(clip[:, t].permute(1, 2, 0).numpy())
        ax.set_xticks([]), ax.set_yticks([])
    row[0].set_ylabel(data.classes[c])
for t, ax in enumerate(axes[0]):
    ax.set_title(f"frame {t}", fontsize=8)
fig.suptitle("One clip per motion direction, frame by frame")
plt.show()

# %% [markdown]
# ## Space-time cubes
#
# An image MAE cuts p × p patches. VideoMAE cuts **cubes** of `tubelet` consecutive frames
# by p × p pixels (the paper: 2 × 16 × 16 on 16 frames of 224², so 8 × 14 × 14 = 1568
# tokens). Cubes are listed in (time, row, column) order; inside a cube the values go
# (frame, row, column, channel), the image patch order with frames outermost.
#
# **Exercise 10.1.** Write `patchify_video(videos, p, tubelet)`: (B, C, T, H, W) →
# (B, N, tubelet·p·p·C) with N = (T/tubelet)(H/p)(W/p). One `einops.rearrange` does it.

# %%
def patchify_video(videos: torch.Tensor, p: int, tubelet: int) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, (T/t)(H/p)(W/p), t*p*p*C), cubes in (time, row, column) order."""
    ### BEGIN SOLUTION 10.1
    return rearrange(videos, "b c (t u) (h p) (w q) -> b (t h w) (u p q c)", u=tubelet, p=p, q=p)
    ### END SOLUTION


# %%
patchify_video = check("10.1", patchify_video)

# %%
cfg = videomae_config("tiny")
cubes = patchify_video(train.videos[:2], cfg.patch_size, cfg.tubelet)
print(f"tiny model: {cfg.frames} frames of {cfg.img_size}², cubes {cfg.tubelet}x{cfg.patch_size}x{cfg.patch_size}"
      f" -> grid {cfg.grid}, {cubes.shape[1]} tokens of {cubes.shape[2]} values")
base = videomae_config("base")
print(f"paper's ViT-B: {base.frames} frames of {base.img_size}², grid {base.grid} = {base.num_patches} tokens")

# %% [markdown]
# ## Tube masking
#
# MAE draws one random number per patch and keeps the lowest. A **tube mask** draws one
# number per *spatial position* (S = (H/p)(W/p) of them), keeps the lowest
# `int(S · (1 − ratio))` positions, and repeats that spatial mask in every time slot, so a
# hidden position stays hidden for the whole clip.
#
# **Exercise 10.2.** Write `tube_mask(noise, frames, mask_ratio)`: spatial noise (B, S) →
# mask (B, frames·S) of 0 (visible) and 1 (removed), float, time slots one after the other.

# %%
def tube_mask(noise: torch.Tensor, frames: int, mask_ratio: float) -> torch.Tensor:
    """Spatial noise (B, S) -> (B, frames * S) tube mask, 1 = removed."""
    ### BEGIN SOLUTION 10.2
    b, s = noise.shape
    keep = int(s * (1 - mask_ratio))
    ids = torch.argsort(noise, dim=1)[:, :keep]  # lowest noise is kept
    spatial = torch.ones(b, s, dtype=noise.dtype, device=noise.device)
    spatial.scatter_(1, ids, 0.0)
    return spatial.repeat(1, frames)  # (B, frames * S): the same in every slot
    ### END SOLUTION


# %%
tube_mask = check("10.2", tube_mask)

# %% [markdown]
# Side by side with MAE-ST's random space-time mask at the same 90 %: the tube mask is one
# picture repeated; the random mask changes from slot to slot.

# %%
t_slots, gh, gw = cfg.grid
g = torch.Generator().manual_seed(0)
tube = tube_mask(torch.rand(1, gh * gw, generator=g), t_slots, 0.9)  # (1, N)
rand_model = build_videomae("tiny", masking="random")
rand = rand_model.mask_cubes(cubes[:1], 0.9, noise=torch.rand(1, cfg.num_patches, generator=g)).mask

fig, axes = plt.subplots(2, t_slots, figsize=(7, 3.6))
for row, (name, m) in zip(axes, [("tube", tube), ("random space-time", rand)]):
    for t, ax in enumerate(row):
        ax.imshow(m.reshape(t_slots, gh, gw)[t].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"slot {t}", fontsize=8)
    row[0].set_ylabel(name)
fig.suptitle("Masks at 90 % (black = removed)")
plt.show()

# %% [markdown]
# ## Leakage, made visible
#
# Why tubes? In these clips the background never moves and the shape moves a pixel or so
# per frame. A removed cube whose position is visible one slot earlier or later can be
# reconstructed by *copying*. VideoMAE calls this information leakage.
#
# **Exercise 10.4** (before 10.3, it is the argument for tubes). Write
# `temporal_leakage(mask, grid)`: the fraction of removed cubes whose spatial position is
# visible in the previous or the next time slot. `mask` is (B, N) in (time, row, column)
# order, `grid = (T, H, W)` in cubes. Return a Python float.

# %%
def temporal_leakage(mask: torch.Tensor, grid: tuple[int, int, int]) -> float:
    """mask (B, T*H*W), 1 = removed -> fraction of removed cubes visible next door in time."""
    ### BEGIN SOLUTION 10.4
    m = rearrange(mask, "b (t s) -> b t s", t=grid[0]).bool()
    near = torch.zeros_like(m)
    near[:, 1:] |= ~m[:, :-1]  # visible in the previous slot
    near[:, :-1] |= ~m[:, 1:]  # visible in the next slot
    return float((m & near).sum()) / float(m.sum())
    ### END SOLUTION


# %%
temporal_leakage = check("10.4", temporal_leakage)

# %% [markdown]
# Now measure it on the clips, for both strategies and both ratios, together with the
# error of the trivial predictor "copy the nearest visible cube at the same position"
# (`copy_neighbour_error`, in pixel MSE; removed cubes with nothing to copy get the
# clip's mean colour). A low copy error means the task can be solved without learning
# anything about shapes or motion.

# %%
probe_videos = test.videos[:64]
leak = {}
for ratio in (0.75, 0.9):
    for masking in ("tube", "random"):
        model = build_videomae("tiny", masking=masking)
        noise = model.make_noise(len(probe_videos), generator=torch.Generator().manual_seed(1))
        m = model.mask_cubes(patchify_video(probe_videos, cfg.patch_size, cfg.tubelet), ratio, noise).mask
        leak[masking, ratio] = (temporal_leakage(m, cfg.grid), copy_neighbour_error(probe_videos, m, cfg.patch_size))
        print(f"{masking:6s} ratio {ratio}: leakage {leak[masking, ratio][0]:.3f}   copy-neighbour MSE {leak[masking, ratio][1]:.4f}")

# %% [markdown]
# ## The target: every cube, every channel, normalized
#
# MAE normalizes each patch by the mean and variance of all its values. VideoMAE's code
# normalizes each cube **per channel**: the mean and the unbiased std of the t·p·p values
# of one colour, with eps added to the std: (x − mean) / (std + 1e‑6).
#
# **Exercise 10.3.** Write `cube_targets(videos, p, tubelet)` → (B, N, t·p·p·C) in the
# layout of `patchify_video`.

# %%
def cube_targets(videos: torch.Tensor, p: int, tubelet: int) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, N, t*p*p*C) per-cube, per-channel normalized pixels."""
    ### BEGIN SOLUTION 10.3
    per = rearrange(patchify_video(videos, p, tubelet), "b n (k c) -> b n k c", c=videos.shape[1])
    normed = (per - per.mean(dim=2, keepdim=True)) / (per.std(dim=2, keepdim=True) + 1e-6)
    return rearrange(normed, "b n k c -> b n (k c)")
    ### END SOLUTION


# %%
cube_targets = check("10.3", cube_targets)

# %% [markdown]
# ## Pretraining VideoMAE
#
# `maelearn.video.VideoMAE` puts these pieces together: a Conv3d cube embedding applied to
# the visible cubes only, fixed sin-cos positions (here the separable 3D table; the `base`
# preset uses VideoMAE's 1D table over token indices), no [CLS] token, a bias-free linear
# from encoder to decoder, mask tokens, and the loss on removed cubes against the target
# of exercise 10.3. The training engine is the same one that trains the image MAE.
#
# Quick mode trains a tiny model for a few epochs on the CPU; full mode trains the
# `small` preset much longer on a GPU.

# %%
preset = maelearn.budget(quick="tiny", full="small")
epochs = maelearn.budget(quick=6, full=200)
train_cfg = dict(epochs=epochs, batch_size=32, lr=maelearn.budget(quick=2e-3, full=1e-3),
                 warmup_epochs=maelearn.budget(quick=1, full=20))
runs = {"tube 0.9": ("tube", 0.9), "random 0.9": ("random", 0.9), "tube 0.75": ("tube", 0.75)}
models, histories = {}, {}
for name, (masking, ratio) in runs.items():
    torch.manual_seed(0)
    models[name] = build_videomae(preset, masking=masking)
    histories[name] = pretrain(models[name], train.videos, TrainConfig(mask_ratio=ratio, **train_cfg), progress=False)
    print(f"{name:10s} final loss {histories[name].final_loss:.3f}   {histories[name].wall_time:.1f} s")

# %%
fig, ax = plt.subplots(figsize=(5, 3))
for name, h in histories.items():
    ax.plot(h.loss, label=name)
ax.set_xlabel("step"), ax.set_ylabel("loss on removed cubes"), ax.legend()
ax.set_title("VideoMAE pretraining")
plt.show()

# %% [markdown]
# ## Reconstructions, frame by frame
#
# Rows: the clip, what the encoder saw (90 % tube mask), the decoder's prediction mapped
# back to pixels with each cube's own mean and std, and the visible cubes pasted onto
# the prediction.

# %%
model = models["tube 0.9"].cpu().eval()
rec = model.reconstruct(test.videos[:1], 0.9, noise=model.make_noise(1, generator=torch.Generator().manual_seed(3)))
rows = ["original", "masked", "reconstruction", "pasted"]
fig, axes = plt.subplots(len(rows), cfg.frames, figsize=(10, 5.4))
for r, key in enumerate(rows):
    clip = rec[key][0].clamp(0, 1)  # (C, T, H, W)
    for t in range(cfg.frames):
        axes[r, t].imshow(clip[:, t].permute(1, 2, 0).numpy())
        axes[r, t].set_xticks([]), axes[r, t].set_yticks([])
    axes[r, 0].set_ylabel(key, fontsize=8)
fig.suptitle(f"VideoMAE, 90 % tube mask (loss on this clip {float(rec['loss']):.3f})")
plt.show()

# %% [markdown]
# ## Does it know which way things move?
#
# A linear probe on frozen features, labelled by motion direction. The features are the
# encoder's tokens averaged over space in each time slot and concatenated in time order
# (`features(pool="time")`): a global average would throw away the order of the slots,
# and with it the direction. The untrained encoder (same architecture, random weights) is
# the baseline every pretraining must beat; chance is 1 / 4.

# %%
def probe(model) -> float:
    model = model.cpu().eval()
    ftr, fte = model.features(train.videos, pool="time"), model.features(test.videos, pool="time")
    return linear_probe_features(ftr, train.labels, fte, test.labels).test_acc


torch.manual_seed(0)
probe_acc = {"untrained": probe(build_videomae(preset))}
for name, m in models.items():
    probe_acc[name] = probe(m)
for name, acc in probe_acc.items():
    print(f"{name:10s} motion-direction probe accuracy {acc:.3f}")

# %% [markdown]
# Read the numbers of *this run* with care: in quick mode each model trains for seconds
# on a couple of hundred clips, so differences of a few points are within the noise of
# the seed. Full mode (GPU) trains long enough for the comparison to mean something. The
# paper's finding (VideoMAE, Table 1) is that tube masking at 90 % beats random masking
# on Something-Something V2, the dataset where motion matters most, and that 90 % beats
# 75 %; MAE-ST reports that random space-time masking works as well on Kinetics, where
# appearance carries much of the label. The leakage numbers above are the mechanism.

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [("mode", maelearn.mode()), ("device", str(device)), ("train / test clips", f"{n_train} / {n_test}"),
        ("model preset, epochs", f"{preset}, {epochs}")]
for (masking, ratio), (lk, err) in leak.items():
    rows.append((f"leakage / copy MSE, {masking} {ratio}", f"{lk:.3f} / {err:.4f}"))
for name, h in histories.items():
    rows.append((f"final pretraining loss, {name}", f"{h.final_loss:.3f}"))
for name, acc in probe_acc.items():
    rows.append((f"direction probe accuracy, {name}", f"{acc:.3f}"))
rows.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in rows:
    print(f"{key:44s} {value}")

# %% [markdown]
# ## Pointers
#
# * VideoMAE (Tong et al., 2022): Figure 1 (the design), Table 1 (tube vs random vs frame
#   masking; decoder depth; target), Figure 3 (mask ratio: 90 % best).
# * MAE-ST, "Masked Autoencoders As Spatiotemporal Learners" (Feichtenhofer et al., 2022):
#   Figure 5 and Table 2a (random space-time masking at 90 % vs tube and frame masking).
# * `maelearn/video.py` for the model; `tests/test_video.py` checks it the way the image
#   MAE is checked (masks, encoder length, loss on removed cubes only, fixed-noise
#   determinism, the ViT-B preset).
#
# Next: lesson 11 hides patches of a spectrogram.
