"""Learned features (lessons 01 and 04): a small CNN whose penultimate layer is a feature extractor, an optional
pretrained ResNet-18 (never downloaded here), and nearest-centroid classification in a feature space."""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

from maelearn.checkpoint import History
from maelearn.checks import check_float_tensor
from maelearn.train import TrainConfig, fit


class SmallCNN(nn.Module):
    """Three blocks of conv 3x3 - batch norm - ReLU - 2x2 max pool, global average pooling and a linear
    classifier; ``features(x)`` (B, C, H, W) -> (B, width * 4) is the penultimate layer. Taught in lesson 01."""

    def __init__(self, in_chans: int = 3, num_classes: int = 10, width: int = 16):
        super().__init__()
        layers, c = [], in_chans
        for out in (width, width * 2, width * 4):
            layers += [nn.Conv2d(c, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
            c = out
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(c, num_classes)
        self.dim = c

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def train_cnn(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, epochs: int = 5, batch_size: int = 64,
              lr: float = 3e-3, seed: int = 0, progress: bool = True) -> History:
    """Supervised training with :func:`maelearn.train.fit` on the model's device: cross-entropy, AdamW (weight
    decay 1e-4 except biases and norms) at a constant ``lr``, all images every epoch; the model is left in eval
    mode. Returns the :class:`~maelearn.checkpoint.History` (``.epoch_loss``: every epoch's mean loss).
    Taught in lesson 01."""
    check_float_tensor(images, "images", 4, "(N, C, H, W)")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must have shape ({images.shape[0]},), got {tuple(labels.shape)}")

    def loss_fn(net: nn.Module, batch: tuple[torch.Tensor, torch.Tensor], g: torch.Generator) -> torch.Tensor:
        x, y = batch
        return F.cross_entropy(net(x), y)

    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=1e-4, betas=(0.9, 0.999),
                         schedule="constant", warmup_epochs=0, drop_last=False, seed=seed, precision="fp32",
                         device=str(next(model.parameters()).device))
    history = fit(model, (images, labels), loss_fn, config, progress=progress, desc="train")
    model.eval()
    return history


@torch.no_grad()
def batched(fn, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """``fn(images[i:i+batch])`` over ``images`` in batches, concatenated (N, D), no grad. Taught in lesson 01."""
    return torch.cat([fn(images[i : i + batch]) for i in range(0, len(images), batch)])


def pretrained_resnet18(weights: str | None = None) -> nn.Module:
    """torchvision's ResNet-18 without its classifier (a 512-d feature extractor), in eval mode: untrained for
    ``weights=None``; for ``"DEFAULT"`` (or ``"IMAGENET1K_V1"``) the ImageNet weights, *only if already in torch's
    cache*: this never downloads, and missing weights raise ``FileNotFoundError`` with the command that fetches
    them. Taught in lesson 01."""
    from torchvision.models import ResNet18_Weights, resnet18  # torchvision is slow to import: only here

    w = None if weights is None else ResNet18_Weights[weights]  # "DEFAULT" is an alias of the newest weights
    if w is not None:
        cache = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(w.url))
        if not os.path.exists(cache):
            raise FileNotFoundError(f"ResNet-18 weights are not cached at {cache}. With the internet, run once: "
                                    "python -c \"import torchvision; torchvision.models.resnet18(weights='DEFAULT')\"")
    model = resnet18(weights=w)
    model.fc = nn.Identity()
    return model.eval()


def class_centroids(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The mean feature vector of every class: x (N, D), y (N,) in [0, num_classes) -> (num_classes, D). A class
    without examples gets a zero row. Taught in lesson 04."""
    check_float_tensor(x, "x", 2, "(N, D)")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},), got {tuple(y.shape)}")
    sums = torch.zeros(num_classes, x.shape[1], dtype=x.dtype, device=x.device).index_add_(0, y, x)
    counts = torch.bincount(y, minlength=num_classes).clamp(min=1).to(x.dtype)
    return sums / counts[:, None]


def nearest_centroid(x: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """Predicted class (N,) long of every row of x (N, D): the centroid (K, D) with the highest cosine similarity.
    Taught in lesson 04."""
    check_float_tensor(x, "x", 2, "(N, D)")
    return (F.normalize(x, dim=1) @ F.normalize(centroids, dim=1).T).argmax(dim=1)
