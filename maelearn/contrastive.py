"""A contrastive baseline for MAE: the same ViT encoder trained with InfoNCE on two
augmented views of each image (SimCLR's loss with a MoCo v3-style projection head).

Each view must pick its partner out of the batch's 2B - 1 other views (no memory bank or
momentum encoder). The head is then thrown away and the encoder judged as an MAE's is; the
paper's Figure 9: contrastive features probe better, MAE catches up once blocks are fine-tuned.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from maelearn.checkpoint import History
from maelearn.data.augment import augmentation
from maelearn.train import TrainConfig, fit
from maelearn.vit import ViTEncoder, init_vit, init_weights


def info_nce(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """The symmetric InfoNCE (NT-Xent) loss of paired embeddings z1, z2 (B, D): each row must find
    its partner among the 2B - 1 others by cosine similarity / ``temperature``. -> () scalar"""
    if z1.ndim != 2 or z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must both have shape (B, D), got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if z1.shape[0] < 2:
        raise ValueError(f"info_nce needs a batch of at least 2 pairs (the negatives), got {z1.shape[0]}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    b = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)  # (2B, D)
    sim = z @ z.T / temperature  # (2B, 2B)
    sim = sim.masked_fill(torch.eye(2 * b, dtype=torch.bool, device=z.device), float("-inf"))  # not itself
    partner = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)  # row i's pair: i +- B
    return F.cross_entropy(sim, partner)


class ContrastiveOutput(NamedTuple):
    loss: torch.Tensor  # () scalar


class Contrastive(nn.Module):
    """A ViT encoder plus a projection MLP (MoCo v3's shape at a small width) trained by
    :func:`info_nce` on two ``"crop+colour"`` views (:func:`maelearn.data.augment.augmentation`)."""

    def __init__(self, encoder: ViTEncoder, proj_dim: int = 128, hidden: int = 256, temperature: float = 0.2,
                 crop_scale: tuple[float, float] = (0.35, 1.0)):
        super().__init__()
        self.encoder, self.temperature, self.crop_scale = encoder, temperature, crop_scale
        self.projector = nn.Sequential(
            nn.Linear(encoder.dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, proj_dim),
        )
        self.projector.apply(init_weights)

    def views(self, x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Two independently augmented views of a batch (B, C, H, W) -> 2 x (B, C, H, W)."""
        aug = augmentation("crop+colour", generator=generator, crop_scale=self.crop_scale)
        return aug(x), aug(x)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> ContrastiveOutput:
        """x (B, C, H, W) -> the InfoNCE loss of its two views."""
        v1, v2 = self.views(x, generator)
        z = self.projector(self.encoder.features(torch.cat([v1, v2]), "cls"))  # (2B, proj_dim)
        z1, z2 = z.chunk(2)
        return ContrastiveOutput(info_nce(z1, z2, self.temperature))


def build_contrastive(img_size: int = 32, patch_size: int = 4, in_chans: int = 3, dim: int = 96, depth: int = 4,
                      heads: int = 4, mlp_ratio: float = 4.0, **kwargs: Any) -> Contrastive:
    """A :class:`Contrastive` model around a fresh (MAE-initialized) :class:`~maelearn.vit.ViTEncoder`;
    ``kwargs`` go to :class:`Contrastive`."""
    enc = ViTEncoder(img_size, patch_size, in_chans, dim, depth, heads, mlp_ratio)
    init_vit(enc)
    return Contrastive(enc, **kwargs)


def contrastive_loss_fn(net: nn.Module, batch: Any, generator: torch.Generator) -> torch.Tensor:
    """The training step's loss for :func:`maelearn.train.fit`, views drawn from its seeded generator."""
    x = batch[0] if isinstance(batch, (tuple, list)) else batch
    return net(x, generator=generator).loss


def pretrain_contrastive(model: Contrastive, images: torch.Tensor, config: TrainConfig | None = None,
                         progress: bool = True) -> History:
    """Train ``model`` on ``images`` (N, C, H, W) with :func:`maelearn.train.fit`; -> its History."""
    return fit(model, images, contrastive_loss_fn, config or TrainConfig(), progress=progress, desc="contrastive")


__all__ = ["Contrastive", "ContrastiveOutput", "build_contrastive", "contrastive_loss_fn", "info_nce", "pretrain_contrastive"]
