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
# <a href="https://colab.research.google.com/github/maelearn/maelearn/blob/main/lessons/04_representation_learning.ipynb" target="_parent"><img src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>
#
# # 04 · Representation learning
#
# Lessons 01–03 built features by hand. Here we ask the question the rest of the course
# answers: **where should features come from when labels are few?** We classify the same
# small labelled sets of digits from (a) raw pixels, (b) hand-designed HOG features,
# (c) features *pretrained* without labels by an autoencoder, and (d) networks trained only
# on the few labels (task-specific). Then the two ways to use a pretrained encoder: a
# **linear probe** (freeze it, train a linear layer) and **fine-tuning** (train it all).
#
# A comparison is only as good as its controls. The pretrained encoder is an MLP; a CNN
# trained from scratch differs from it in *two* ways, its architecture and its lack of
# pretraining. So the lesson also trains **the same MLP from random weights**, with the same
# recipe as the fine-tuning, and probes the same MLP's random code: only the pretraining
# differs. And with 5 labels per class, which 50 images are labelled moves the accuracy by
# itself, so every number is a mean ± standard deviation over several draws of the labelled
# set, and every comparison is made draw by draw.
#
# **In this lesson you will learn to**
#
# 1. compare representations fairly: same labels, same test set, same classifier;
# 2. build a nearest-centroid classifier, the simplest few-label learner;
# 3. tell a linear probe from fine-tuning and read what each measures;
# 4. separate what pretraining adds from what the architecture adds, with a control and
#    repeated draws.

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
import copy
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from skimage.feature import hog

import maelearn
from maelearn.dae import Autoencoder, train_autoencoder
from maelearn.data.images import digits
from maelearn.evaluate import linear_probe_features
from maelearn.exercises import check
from maelearn.classic.cnn import SmallCNN, train_cnn
from maelearn.stats import interval

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)
print(f"mode: {maelearn.mode()}   device: {device}")

# %% [markdown]
# ## The data: many images, few labels
#
# The 1,797 real digits, split into a test set and a pool. We pretend only `shots` images
# per class in the pool are labelled; all pool images may be used *without* labels. One
# draw of the labelled images is luck; we make `draws` of them (each `few_per_class` with
# its own seed), run every method on each, and report the mean and the standard
# deviation over draws.

# %%
data = digits(size=16)
pool, test = data.split(1297, seed=0)
shots = 5
draws = maelearn.budget(quick=5, full=20)
labelled_sets = [pool.few_per_class(shots, seed=d) for d in range(draws)]
labelled = labelled_sets[0]
print(f"unlabelled pool {len(pool)}, labelled {len(labelled)} ({shots}/class) x {draws} draws, test {len(test)}")


def mean_sd(values) -> str:
    """'mean ± sd' of a list of accuracies (sd over draws, n - 1 in the denominator)."""
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


# %% [markdown]
# ## Four representations
#
# *Raw pixels*: 256 numbers. *HOG* (histograms of oriented gradients, Dalal & Triggs 2005):
# local edge orientations, designed by hand to be robust to small shifts and contrast.
# *Autoencoder code*: an MLP (256 → 256 → 32) trained on the unlabelled pool to squeeze
# each image into 32 numbers and rebuild it; no label was used (the cell prints how long
# its training took). (Lessons 05 and 08 grow this pretext task into denoising and masked
# autoencoders.) *Random MLP code*: the very same encoder with its random initial weights,
# never trained: the control that says what the architecture alone gives. The
# autoencoder is pretrained once (seed 0); the draws change only the labelled images.

# %%
def hog_features(images: torch.Tensor) -> torch.Tensor:
    """(N, 1, 16, 16) -> (N, 144) HOG descriptors."""
    return torch.tensor(np.stack([hog(im[0].numpy(), orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2)) for im in images]), dtype=torch.float32)


ae_epochs = maelearn.budget(quick=15, full=100)
torch.manual_seed(0)
ae = Autoencoder(256, code_dim=32, hidden=256)
random_mlp = copy.deepcopy(ae)  # the same weights before any training: the control
ae_start = time.perf_counter()
ae_loss = train_autoencoder(ae, pool.images.flatten(1), epochs=ae_epochs, progress=False).epoch_loss
ae_seconds = time.perf_counter() - ae_start
print(f"autoencoder reconstruction loss: {ae_loss[0]:.4f} -> {ae_loss[-1]:.4f} after {ae_epochs} epochs ({ae_seconds:.1f} s)")

representations = {
    "raw pixels": lambda images: images.flatten(1),
    "HOG (hand-designed)": hog_features,
    "autoencoder code (pretrained, no labels)": lambda images: ae.encode(images.flatten(1)),
    "random MLP code (same encoder, untrained)": lambda images: random_mlp.encode(images.flatten(1)),
}
with torch.no_grad():
    test_features = {name: rep(test.images) for name, rep in representations.items()}  # (500, D) each

# %% [markdown]
# **Exercise 04.1.** The mean feature vector of each class: `x` (N, D), `y` (N,) ->
# (num_classes, D); a class without examples gets zeros.

# %%
def class_centroids(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(N, D), (N,) -> (num_classes, D)."""
    raise NotImplementedError("Exercise 04.1: replace this line with your code")


class_centroids = check("04.1", class_centroids)

# %% [markdown]
# **Exercise 04.2.** Predict the class of every row of `x` as the centroid with the highest
# **cosine** similarity (normalize rows, then a matrix product). Return (N,) long.

# %%
def nearest_centroid(x: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """(N, D), (K, D) -> (N,) class indices."""
    raise NotImplementedError("Exercise 04.2: replace this line with your code")


nearest_centroid = check("04.2", nearest_centroid)

# %% [markdown]
# Each representation, two classifiers trained on the same 50 labels: nearest centroid
# (your code) and a linear probe (`maelearn.evaluate.linear_probe_features`: standardize,
# then a linear layer), on every draw of the labelled set. Before the nearest centroid,
# every feature vector (labelled and test alike) has the mean of that draw's 50 labelled
# vectors subtracted: cosine similarity measures angles from the origin, and features
# that are all positive (pixels, ReLU codes) would otherwise all point roughly the same
# way, centroids included.

# %%
results = {name: {"nearest centroid": [], "linear probe": []} for name in representations}  # name -> classifier -> accuracy per draw
for lab in labelled_sets:
    for name, rep in representations.items():
        with torch.no_grad():
            xtr, xte = rep(lab.images), test_features[name]
        cen = class_centroids(xtr - xtr.mean(0), lab.labels, 10)
        results[name]["nearest centroid"].append((nearest_centroid(xte - xtr.mean(0), cen) == test.labels).float().mean().item())
        results[name]["linear probe"].append(linear_probe_features(xtr, lab.labels, xte, test.labels).test_acc)
print(f"test accuracy, mean ± sd over {draws} draws of {len(labelled)} labels")
for name, accs in results.items():
    print(f"{name:44s} nearest centroid {mean_sd(accs['nearest centroid'])}   linear probe {mean_sd(accs['linear probe'])}")
means = {name: {clf: np.mean(v) for clf, v in accs.items()} for name, accs in results.items()}
by_rep = [m["linear probe"] for m in means.values()]
by_clf = max(abs(m["linear probe"] - m["nearest centroid"]) for m in means.values())
print(f"\nrange of the linear probe over the representations: {max(by_rep) - min(by_rep):.3f}; "
      f"largest gap between the two classifiers on one representation: {by_clf:.3f}")

# %% [markdown]
# ## Linear probe vs fine-tuning, and task-specific training
#
# A *linear probe* freezes the pretrained encoder: it measures what the features already
# separate. *Fine-tuning* also updates the encoder on the labelled set: it measures how good
# a starting point the pretraining is. Two task-specific baselines train on the 50 labels
# only: **the same MLP from random weights**, with exactly the fine-tuning recipe (so the
# two differ only in their starting weights), and a small CNN (its own learning rate).
#
# How long to train? Long enough that every network fits its 50 labels: a network stopped
# early is a starved baseline, and a comparison with it says nothing. (In particular, a
# network with batch norm needs enough steps for its running statistics to settle: they are
# what it uses at test time.) The cell prints each one's final training loss; all should be
# near 0, and it warns when one is not. It also prints each network's number of
# parameters: the two MLPs have the same, the CNN its own.

# %%
class Classifier(torch.nn.Module):
    def __init__(self, encoder: torch.nn.Module, dim: int, classes: int = 10):
        super().__init__()
        self.encoder, self.head = encoder, torch.nn.Linear(dim, classes)

    def forward(self, x):
        return self.head(self.encoder(x.flatten(1)))


@torch.no_grad()
def test_accuracy(model: torch.nn.Module) -> float:
    return (model(test.images).argmax(1) == test.labels).float().mean().item()


ft_epochs = 200  # one full-batch step per epoch: 200 steps on the 50 labels
trained = {"autoencoder, fine-tuned": ([], []), "same MLP from random init": ([], []), "CNN from scratch": ([], [])}  # accuracies, final losses
n_params = {}  # name -> trainable parameters
for d, lab in enumerate(labelled_sets):
    for name in trained:
        torch.manual_seed(d)  # new weights from seed d: both MLPs of a draw get the same new head
        if name == "CNN from scratch":
            model, lr = SmallCNN(1, 10, width=8), 3e-3
        else:
            start = ae if name == "autoencoder, fine-tuned" else random_mlp
            model, lr = Classifier(copy.deepcopy(start.encoder), 32), 1e-3
        n_params[name] = sum(p.numel() for p in model.parameters())
        loss = train_cnn(model, lab.images, lab.labels, epochs=ft_epochs, batch_size=50, lr=lr, seed=d, progress=False).epoch_loss
        trained[name][0].append(test_accuracy(model))
        trained[name][1].append(loss[-1])
probe = results["autoencoder code (pretrained, no labels)"]["linear probe"]
print(f"{'autoencoder, linear probe':30s} test accuracy {mean_sd(probe)}")
for name, (accs, losses) in trained.items():
    print(f"{name:30s} test accuracy {mean_sd(accs)}   final training loss <= {max(losses):.3f} ({ft_epochs} steps)   "
          f"{n_params[name]:,} parameters")
loss_limit = 0.05
worst = max((max(losses), name) for name, (_, losses) in trained.items())
if worst[0] > loss_limit:
    print(f"WARNING: {worst[1]} ends with a training loss of {worst[0]:.3f} (above {loss_limit}) in at least one draw: "
          "it has not fitted its 50 labels, and the comparisons below that involve it are unreliable.")
else:
    print(f"Every network fits its 50 labels: the largest final training loss is {worst[0]:.3f} (at most {loss_limit}).")

# %% [markdown]
# Now the comparisons, each made draw by draw (the same 50 labels on both sides), as a
# mean ± sd of the difference and the number of draws it wins. A difference is worth
# reading when it keeps its sign in every draw and is large against its standard
# deviation; the last column says whether its 95 % interval over draws (lesson 09 explains
# it) excludes 0. The interval covers the luck of the labelled draw and, for the trained
# networks, of their initialization, which is seeded with the draw (the MLPs' new head,
# and all of the CNN's weights, change from draw to draw). The pretraining run and the
# test set are the same in every draw, so their luck is not in it.

# %%
accs = {name: results[name]["linear probe"] for name in representations}
accs.update({name: trained[name][0] for name in trained})
pairs = [  # (what, a, b): the difference is a - b
    ("AE code - random MLP code (probe)", "autoencoder code (pretrained, no labels)", "random MLP code (same encoder, untrained)"),
    ("AE fine-tuned - same MLP from random init", "autoencoder, fine-tuned", "same MLP from random init"),
    ("AE fine-tuned - AE linear probe", "autoencoder, fine-tuned", "autoencoder code (pretrained, no labels)"),
    ("AE code - raw pixels (probe)", "autoencoder code (pretrained, no labels)", "raw pixels"),
    ("CNN - MLP, both from random init", "CNN from scratch", "same MLP from random init"),
    ("CNN from scratch - AE fine-tuned", "CNN from scratch", "autoencoder, fine-tuned"),
]
paired = {}
print(f"{'paired difference (a - b)':44s} {'mean ± sd':>15s}   a wins   95 % interval")
for what, a, b in pairs:
    diff = [x - y for x, y in zip(accs[a], accs[b])]
    iv = interval(diff)
    paired[what] = diff
    wins = sum(v > 0 for v in diff)
    print(f"{what:44s} {np.mean(diff):+.3f} ± {np.std(diff, ddof=1):.3f}   {wins}/{draws}    "
          f"[{iv.lo:+.3f}, {iv.hi:+.3f}] {'excludes' if iv.excludes(0) else 'contains'} 0")

# %%
names = list(accs)
fig, ax = plt.subplots(figsize=(7, 3.6))
for i, name in enumerate(names):
    ax.scatter(accs[name], [i] * draws, color="tab:blue", alpha=0.4, s=14)
ax.errorbar([np.mean(accs[n]) for n in names], range(len(names)), xerr=[np.std(accs[n], ddof=1) for n in names],
            fmt="o", color="black", capsize=3)
ax.set_yticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=7)
ax.set_xlabel(f"test accuracy with {shots} labels per class (dots: draws; bars: mean ± sd)")
ax.set_xlim(0, 1)
ax.set_title("same labels, different representations and training")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [("mode", maelearn.mode()), ("labelled / unlabelled / test", f"{len(labelled)} / {len(pool)} / {len(test)}"),
        ("draws of the labelled set", draws)]
for name, res in results.items():
    rows += [(f"{name}: nearest centroid", mean_sd(res["nearest centroid"])), (f"{name}: linear probe", mean_sd(res["linear probe"]))]
rows += [(f"{name} (task-specific)" if "random" in name or "CNN" in name else name, mean_sd(a)) for name, (a, _) in trained.items()]
rows += [(f"{name}: parameters / largest final training loss", f"{n_params[name]:,} / {max(losses):.3f}") for name, (_, losses) in trained.items()]
rows += [("autoencoder pretraining time (s)", f"{ae_seconds:.1f}")]
rows += [(f"paired: {what}", f"{np.mean(diff):+.3f} ± {np.std(diff, ddof=1):.3f}") for what, diff in paired.items()]
rows += [("lesson run time (s)", f"{elapsed:.1f}")]
for key, value in rows:
    print(f"{key:60s} {value}")

# %% [markdown]
# **What it teaches.** Read the paired lines of *this* run, not the single accuracies:
#
# * **Does pretraining help?** Only two lines answer it, because only they hold everything
#   else fixed: the autoencoder's code against the same encoder's random code (under the
#   probe), and the fine-tuned autoencoder against the same MLP trained from random weights.
#   If the second one is not separated from 0, this run cannot show that pretraining
#   bought this MLP anything that the same training steps on 50 labels could not buy alone.
# * **Does architecture matter?** The CNN against the MLP from random weights: neither is
#   pretrained, but they differ in more than the convolutional structure: the CNN has
#   batch norm, its own width (8, 16 and 32 channels against 256 hidden units), its own
#   number of parameters (printed with the training losses) and its own learning rate.
#   The line measures that whole bundle, not any one of them. A CNN that beats the
#   fine-tuned autoencoder does not show that pretraining hurts; the line above it says
#   what that bundle alone is worth.
# * **Representation or classifier?** The line under the first table sets how far apart
#   the representations are under one classifier against how far apart the two
#   classifiers are on one representation; the larger number is the choice that mattered
#   more with 5 labels per class, in this run.
#
# Nothing in a plain autoencoder's task asks what a digit is: squeezed through 32 numbers,
# it keeps whatever rebuilds the most pixels, which need not be what tells one digit from
# another (the two 'AE code' paired lines say how its code compares, under the probe, with
# the same encoder untrained and with the raw pixels it was built from).
# The rest of the course changes the task
# (denoising in lesson 05, masking in lessons 06–08) and measures, with the same kind of
# controls, what that buys.
# The MAE paper (He et al., CVPR 2022, Figure 9) makes a comparison of its own at scale: its MAE
# features are weaker than contrastive (MoCo v3) ones under a linear probe, and better once
# one or more blocks are fine-tuned. Lesson 09 sets up that comparison in miniature (an MAE
# and a contrastive encoder of the same size, judged by a linear probe, partial and full
# fine-tuning, with seeds and intervals) and prints whether its runs reproduce the gap,
# contradict it or cannot tell.
