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
# small labelled set of digits from (a) raw pixels, (b) hand-designed HOG features,
# (c) features *pretrained* without labels by an autoencoder, and (d) a network trained only
# on the few labels (task-specific). Then the two ways to use a pretrained encoder: a
# **linear probe** (freeze it, train a linear layer) and **fine-tuning** (train it all).
#
# **In this lesson you will learn to**
#
# 1. compare representations fairly: same labels, same test set, same classifier;
# 2. build a nearest-centroid classifier, the simplest few-label learner;
# 3. tell a linear probe from fine-tuning and read what each measures.

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

lesson_start = time.perf_counter()
device = maelearn.device()
maelearn.seed_everything(0)

# %% [markdown]
# ## The data: many images, few labels
#
# The 1,797 real digits, split into a test set and a pool. We pretend only `shots` images
# per class in the pool are labelled; all pool images may be used *without* labels.

# %%
data = digits(size=16)
pool, test = data.split(1297, seed=0)
shots = 5
labelled = pool.few_per_class(shots, seed=0)
print(f"unlabelled pool {len(pool)}, labelled {len(labelled)} ({shots}/class), test {len(test)}")

# %% [markdown]
# ## Three representations
#
# *Raw pixels*: 256 numbers. *HOG* (histograms of oriented gradients, Dalal & Triggs 2005):
# local edge orientations, designed by hand to be robust to small shifts and contrast.
# *Autoencoder code*: a network trained on the unlabelled pool to squeeze each image into
# 32 numbers and rebuild it; no label was used. (Lesson 08's MAE is a far better
# pretext task of the same family; on a CPU in quick mode this MLP autoencoder trains in
# seconds.)

# %%
def hog_features(images: torch.Tensor) -> torch.Tensor:
    """(N, 1, 16, 16) -> (N, 144) HOG descriptors."""
    return torch.tensor(np.stack([hog(im[0].numpy(), orientations=9, pixels_per_cell=(4, 4), cells_per_block=(2, 2)) for im in images]), dtype=torch.float32)


ae_epochs = maelearn.budget(quick=15, full=100)
ae = Autoencoder(256, code_dim=32, hidden=256)
ae_loss = train_autoencoder(ae, pool.images.flatten(1), epochs=ae_epochs, progress=False).epoch_loss
print(f"autoencoder reconstruction loss: {ae_loss[0]:.4f} -> {ae_loss[-1]:.4f} after {ae_epochs} epochs")
with torch.no_grad():
    reps = {
        "raw pixels": (labelled.images.flatten(1), test.images.flatten(1)),
        "HOG (hand-designed)": (hog_features(labelled.images), hog_features(test.images)),
        "autoencoder code (pretrained, no labels)": (ae.encode(labelled.images.flatten(1)), ae.encode(test.images.flatten(1))),
    }

# %% [markdown]
# **Exercise 04.1.** The mean feature vector of each class: `x` (N, D), `y` (N,) ->
# (num_classes, D); a class without examples gets zeros.

# %%
def class_centroids(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(N, D), (N,) -> (num_classes, D)."""
    ### BEGIN SOLUTION 04.1
    out = torch.zeros(num_classes, x.shape[1], dtype=x.dtype)
    for c in range(num_classes):
        if (y == c).any():
            out[c] = x[y == c].mean(dim=0)
    return out
    ### END SOLUTION


class_centroids = check("04.1", class_centroids)

# %% [markdown]
# **Exercise 04.2.** Predict the class of every row of `x` as the centroid with the highest
# **cosine** similarity (normalize rows, then a matrix product). Return (N,) long.

# %%
def nearest_centroid(x: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """(N, D), (K, D) -> (N,) class indices."""
    ### BEGIN SOLUTION 04.2
    sim = F.normalize(x, dim=1) @ F.normalize(centroids, dim=1).T  # (N, K)
    return sim.argmax(dim=1)
    ### END SOLUTION


nearest_centroid = check("04.2", nearest_centroid)

# %% [markdown]
# Each representation, two classifiers trained on the same 50 labels: nearest centroid
# (your code) and a linear probe (`maelearn.evaluate.linear_probe_features`: standardize,
# then a linear layer).

# %%
results = {}
for name, (xtr, xte) in reps.items():
    cen = class_centroids(xtr - xtr.mean(0), labelled.labels, 10)
    acc_nc = (nearest_centroid(xte - xtr.mean(0), cen) == test.labels).float().mean().item()
    acc_lp = linear_probe_features(xtr, labelled.labels, xte, test.labels).test_acc
    results[name] = (acc_nc, acc_lp)
    print(f"{name:42s} nearest centroid {acc_nc:.3f}   linear probe {acc_lp:.3f}")

# %% [markdown]
# ## Linear probe vs fine-tuning, and task-specific training
#
# A *linear probe* freezes the pretrained encoder: it measures what the features already
# separate. *Fine-tuning* also updates the encoder on the labelled set: it measures how good
# a starting point the pretraining is. The task-specific baseline trains a CNN from scratch
# on the 50 labels only.

# %%
class Classifier(torch.nn.Module):
    def __init__(self, encoder: torch.nn.Module, dim: int, classes: int = 10):
        super().__init__()
        self.encoder, self.head = encoder, torch.nn.Linear(dim, classes)

    def forward(self, x):
        return self.head(self.encoder(x.flatten(1)))


ft_epochs = maelearn.budget(quick=30, full=200)
fine = Classifier(copy.deepcopy(ae.encoder), 32)
train_cnn(fine, labelled.images, labelled.labels, epochs=ft_epochs, batch_size=50, lr=1e-3)
with torch.no_grad():
    acc_ft = (fine(test.images).argmax(1) == test.labels).float().mean().item()
scratch = SmallCNN(1, 10, width=8)
train_cnn(scratch, labelled.images, labelled.labels, epochs=ft_epochs, batch_size=50, lr=3e-3)
with torch.no_grad():
    acc_scratch = (scratch(test.images).argmax(1) == test.labels).float().mean().item()
acc_probe = results["autoencoder code (pretrained, no labels)"][1]
print(f"autoencoder: linear probe {acc_probe:.3f}   fine-tuned {acc_ft:.3f}   |   CNN from scratch on {len(labelled)} labels {acc_scratch:.3f}")

# %%
names = list(results) + ["autoencoder, fine-tuned", "CNN from scratch"]
values = [v[1] for v in results.values()] + [acc_ft, acc_scratch]
plt.figure(figsize=(7, 3))
plt.barh(names, values, color="tab:blue")
plt.xlabel(f"test accuracy with {shots} labels per class")
plt.xlim(0, 1)
plt.title("same labels, different representations")
plt.show()

# %% [markdown]
# ## What we measured

# %%
elapsed = time.perf_counter() - lesson_start
rows = [("mode", maelearn.mode()), ("labelled / unlabelled / test", f"{len(labelled)} / {len(pool)} / {len(test)}")]
for name, (nc, lp) in results.items():
    rows += [(f"{name}: nearest centroid", f"{nc:.3f}"), (f"{name}: linear probe", f"{lp:.3f}")]
rows += [("autoencoder fine-tuned", f"{acc_ft:.3f}"), ("CNN from scratch (task-specific)", f"{acc_scratch:.3f}"),
         ("lesson run time (s)", f"{elapsed:.1f}")]
for key, value in rows:
    print(f"{key:56s} {value}")

# %% [markdown]
# **What it teaches.** Read the table of *this* run: which representation makes 5 labels
# per class go furthest, whether fine-tuning beats the frozen probe, and how a network
# trained from scratch on 50 labels fares. With few labels, the representation matters more
# than the classifier. The MAE paper (He et al. 2021, Figure 9) makes the same comparison
# at scale: its MAE features are weaker than contrastive (MoCo v3) ones under a linear
# probe, and better once one or more blocks are fine-tuned. Lesson 09 sets up that
# comparison in miniature (an MAE and a contrastive encoder of the same size, judged by a
# linear probe, partial and full fine-tuning, with seeds and intervals) and prints whether
# its runs reproduce the gap, contradict it or cannot tell.
