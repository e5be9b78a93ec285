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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/09_mae_ablations.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 09 · What matters in MAE
#
# The MAE paper's Table 1 trains ViT-L variants for 800 epochs and changes one thing at a
# time: the mask ratio, the masking strategy, the decoder depth, the reconstruction
# target, and whether the encoder sees mask tokens. We do the same at a scale a laptop can
# run, judge every variant by a **linear probe** and a **fine-tune** on labelled digits,
# and measure the training-step time that the asymmetric design saves.
#
# **In this lesson you will**
#
# 1. run a cut-down sweep yourself (quick mode) and read the larger sweep shipped in
#    `data/` beside it, with the command that made it;
# 2. compare each trend with the paper's numbers, and say where a small model on small
#    data agrees and where it does not;
# 3. count encoder tokens and measure a speedup (exercises 09.1 and 09.2);
# 4. fine-tune 0, 1, ... blocks of a pretrained encoder (the paper's Figure 9).

# %% [markdown]
# ## Setting up

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
from maelearn.exercises import check
from maelearn.experiments import PAPER_SPEEDUP, PAPER_TABLE1, SCALES, load_results, run_ablations

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}   torch {torch.__version__}")

# %% [markdown]
# ## Two runs: yours, and the shipped one
#
# `run_ablations` pretrains each variant with `maelearn.train.pretrain` on scikit-learn's
# handwritten digits (without labels), then measures a linear probe on the frozen [CLS]
# feature and a fine-tune on labelled digits, tested on held-out ones (the sizes are in
# each run's `settings`, printed below). Quick mode runs
# a cut-down sweep (three mask ratios, mask tokens in the encoder or not) in seconds;
# full mode (a GPU) runs every sweep. Whatever runs here, the lesson also loads the
# largest sweep shipped in `data/` (the GPU-scale file if it exists, else the CPU-scale
# one) and names the command that made it.

# %%
scale = maelearn.budget(quick="quick", full="full")
t0 = time.perf_counter()
ours = run_ablations(scale, device=device, progress=False)
sweep_seconds = time.perf_counter() - t0
print(f"our {scale} sweep took {sweep_seconds:.1f} s; labelled train/test digits: "
      f"{ours['settings']['n_train']}/{ours['settings']['n_test']}")

shipped = load_results(prefer=("full", "cpu"))
if shipped is None:
    print("No shipped sweep in data/. Make one with:\n  python -m maelearn.experiments ablations --device cuda --scale full")
else:
    hw = shipped["hardware"]
    print(f"shipped sweep: {shipped['path']} (scale {shipped['scale']}, {shipped['seconds'] / 60:.1f} min)")
    print(f"  made by: {shipped['command']}")
    print(f"  on: {hw.get('gpu') or hw.get('cpu_model', hw['processor'])}, torch {shipped['torch']}, {shipped['date']}")
    if shipped["scale"] != "full":
        print("  The GPU-scale run has not been made yet. On a GPU, make it with:\n"
              "  python -m maelearn.experiments ablations --device cuda --scale full   (writes data/ablations_full.json)")

# %% [markdown]
# A small helper plots one sweep from every run that has it: linear probe and fine-tune
# accuracy against the setting, with the paper's numbers printed beside.

# %%
def plot_sweep(name: str, title: str, numeric: bool = False):
    runs = {f"this run ({ours['scale']})": ours}
    if shipped is not None:
        runs[f"shipped ({shipped['scale']})"] = shipped
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.2))
    plotted = False
    for label, res in runs.items():
        rows = res["experiments"].get(name)
        if not rows:
            continue
        xs = [float(r["value"]) if numeric else r["value"] for r in rows]
        for j, metric in enumerate(("linear", "finetune")):
            ax[j].plot(xs, [100 * r[metric] for r in rows], marker="o", label=label)
        plotted = True
        print(f"{label:22s} " + "  ".join(f"{r['value']}: lin {100 * r['linear']:.1f} / ft {100 * r['finetune']:.1f} / "
                                           f"{1000 * r['step_time_s']:.0f} ms" for r in rows))
    for j, metric in enumerate(("linear probe", "fine-tune")):
        ax[j].set_title(f"{title}: {metric}")
        ax[j].set_ylabel("test accuracy (%)")
        ax[j].grid(alpha=0.3)
        if plotted:
            ax[j].legend(fontsize=8)
    paper = PAPER_TABLE1.get(name)
    if paper:
        print("paper (ViT-L, fine-tune / linear %): " + ", ".join(f"{k}: {ft} / {lin}" for k, (ft, lin) in paper.items()))
    fig.tight_layout()
    return fig


# %% [markdown]
# ## Mask ratio (Table 1a, Figure 5)
#
# The paper's linear probe climbs from a low ratio up to 75 % and falls again at 90 %;
# fine-tuning is flat over a wide range. A high ratio makes the task hard enough that
# copying neighbours does not solve it.

# %%
plot_sweep("mask_ratio", "mask ratio", numeric=True)
plt.show()

# %% [markdown]
# ## Masking strategy, decoder depth, target, loss (Table 1b–d)
#
# These sweeps are in the shipped file (quick mode skips them). Block masking removes
# large regions, grid masking leaves a regular pattern that is easy to interpolate; the
# paper finds random masking best. A deeper decoder helps the linear probe (the encoder
# can stay more abstract); normalized pixels help a little; and the loss on the removed
# patches only is the paper's choice.

# %%
for name, title in (("masking", "masking strategy"), ("decoder_depth", "decoder depth"), ("target", "target"), ("loss_on", "loss on")):
    if any(name in r["experiments"] for r in (ours, shipped) if r is not None):
        plot_sweep(name, title)
        plt.show()
    else:
        print(f"no run has the {name!r} sweep yet")

# %% [markdown]
# ## Mask tokens in the encoder, and what they cost (Table 1c)
#
# **Exercise 09.1.** How many tokens does one image put through the encoder? MAE: [CLS]
# plus the `int(N * (1 - mask_ratio))` visible patches. The BEiT-style variant: [CLS]
# plus all N positions, the removed ones replaced by a mask token.

# %%
def encoder_tokens(num_patches: int, mask_ratio: float, mask_tokens_in_encoder: bool = False) -> int:
    """Tokens through the encoder per image."""
    ### BEGIN SOLUTION 09.1
    visible = int(num_patches * (1 - mask_ratio))
    return 1 + (num_patches if mask_tokens_in_encoder else visible)
    ### END SOLUTION


# %%
encoder_tokens = check("09.1", encoder_tokens)
for n in (64, 196):
    print(f"N = {n}: MAE encoder {encoder_tokens(n, 0.75)} tokens, with mask tokens {encoder_tokens(n, 0.75, True)}")

# %% [markdown]
# **Exercise 09.2.** Timings on a shared machine are noisy: a step can be slow because
# something else ran. Given the seconds per step of a baseline and of a new design, return
# how many times faster the new one is, robust to a few outliers (use medians).

# %%
import statistics


def speedup(baseline_times: list[float], times: list[float]) -> float:
    """baseline seconds per step, new seconds per step -> speedup (> 1: new is faster)."""
    ### BEGIN SOLUTION 09.2
    return statistics.median(baseline_times) / statistics.median(times)
    ### END SOLUTION


# %%
speedup = check("09.2", speedup)

# %%
for label, res in (("this run", ours), ("shipped", shipped)):
    if res is None or not res["speed"]:
        continue
    for row in res["speed"]:
        print(f"{label:9s} decoder depth {row['decoder_depth']}: MAE {1000 * row['step_time_s']:.0f} ms/step, "
              f"mask tokens in encoder {1000 * row['step_time_mask_tokens_s']:.0f} ms/step -> speedup "
              f"{row['speedup']:.2f}x measured, {row['flop_ratio']:.2f}x in FLOPs")
print("paper (ViT-L, wall-clock): " + ", ".join(f"decoder depth {k}: {v}x" for k, v in PAPER_SPEEDUP.items()))
plot_sweep("encoder_mask_tokens", "mask tokens in encoder")
plt.show()

# %% [markdown]
# ## Partial fine-tuning (Figure 9)
#
# Between a linear probe (nothing but the head trains) and full fine-tuning lies partial
# fine-tuning: train the last k blocks. The paper finds that one or two blocks recover most
# of the gap for MAE, whose features are strong but not linearly separable.

# %%
fig, ax = plt.subplots(figsize=(5, 3.2))
for label, res in (("this run", ours), ("shipped", shipped)):
    if res is None:
        continue
    rows = res["partial_finetune"]
    ax.plot([str(r["blocks"]) for r in rows], [100 * r["accuracy"] for r in rows], marker="o", label=f"{label} ({res['scale']})")
    print(label, "  ".join(f"{r['blocks']} blocks: {100 * r['accuracy']:.1f} %" for r in rows))
ax.set_xlabel("blocks fine-tuned")
ax.set_ylabel("test accuracy (%)")
ax.set_title("partial fine-tuning")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Where the small run agrees with the paper, and where it does not
#
# The cell below compares the trends numerically (from whichever runs exist) instead of
# claiming them. Expect disagreement at this scale: the digits are small, 32×32 and
# nearly linearly separable from raw pixels, the models have a few hundred thousand
# parameters and train for minutes, not 800 epochs; differences of a point or two are
# within the noise of one seed. The speed trend is the most robust: it depends on the
# token count, not on how well the model learned, though on a CPU with small matrices
# the measured speedup falls short of the FLOP ratio.

# %%
def trend_report(res):
    lines = []
    mr = res["experiments"].get("mask_ratio")
    if mr:
        best = max(mr, key=lambda r: r["linear"])
        lines.append(f"mask ratio with the best linear probe: {best['value']} (paper: 0.75)")
    for name, paper_best in (("masking", "random"), ("target", "norm_pixel"), ("encoder_mask_tokens", "no"), ("decoder_depth", "8")):
        rows = res["experiments"].get(name)
        if rows:
            best = max(rows, key=lambda r: r["linear"])
            lines.append(f"{name}: best linear probe with {best['value']} (paper: {paper_best})")
    for row in res["speed"]:
        lines.append(f"asymmetric speedup at decoder depth {row['decoder_depth']}: {row['speedup']:.2f}x (> 1 agrees with the paper)")
    return lines


for label, res in (("this run", ours), ("shipped", shipped)):
    if res is not None:
        print(f"-- {label} ({res['scale']})")
        print("\n".join(trend_report(res)))

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
best_ratio = max(ours["experiments"]["mask_ratio"], key=lambda r: r["linear"])
rows = [
    ("mode", maelearn.mode()),
    ("device", str(device)),
    ("our sweep scale", ours["scale"]),
    ("our sweep time (s)", f"{sweep_seconds:.1f}"),
    ("best mask ratio (linear probe, ours)", f"{best_ratio['value']} ({100 * best_ratio['linear']:.1f} %)"),
    ("shipped sweep", "none" if shipped is None else f"{shipped['path']} ({shipped['scale']})"),
]
if ours["speed"]:
    rows.append(("measured speedup, ours (depth 1)", f"{ours['speed'][0]['speedup']:.2f}x"))
rows.append(("lesson run time (s)", f"{elapsed:.1f}"))
for key, value in rows:
    print(f"{key:38s} {value}")

# %% [markdown]
# ## In the paper
#
# * Table 1 (a–f): the ablations this lesson mirrors; Figure 5: mask ratio vs accuracy;
#   Figure 6: masking strategies; Table 2: wall-clock time of the asymmetric design;
#   Figure 9: partial fine-tuning.
# * Make the full curves on a GPU with
#   `python -m maelearn.experiments ablations --device cuda --scale full`
#   (it writes `data/ablations_full.json`, which this lesson then plots).
