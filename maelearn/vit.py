"""Vision Transformer building blocks: patch embedding, attention, pre-norm block, encoder
and classifier.

Attention goes through ``F.scaled_dot_product_attention`` (flash / memory-efficient kernels
on a GPU) with one fused ``qkv`` projection.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from maelearn.checks import check_images
from maelearn.posembed import sincos_2d

LayerNorm = partial(nn.LayerNorm, eps=1e-6)


class PatchEmbed(nn.Module):
    """Cut an image into p x p patches and project each to ``dim``: a strided convolution,
    which is the same as a linear layer applied to every patch vector."""

    def __init__(self, img_size: int, patch_size: int, in_chans: int, dim: int):
        super().__init__()
        if img_size % patch_size:
            raise ValueError(f"img_size={img_size} is not divisible by patch_size={patch_size}")
        self.img_size, self.patch_size, self.in_chans = img_size, patch_size, in_chans
        self.grid = (img_size // patch_size, img_size // patch_size)
        self.num_patches = self.grid[0] * self.grid[1]
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, N, dim)"""
        check_images(imgs, self.patch_size, self.in_chans)
        if imgs.shape[-2:] != (self.img_size, self.img_size):
            raise ValueError(f"imgs have size {tuple(imgs.shape[-2:])}, but the model was built for {self.img_size}x{self.img_size}")
        return rearrange(self.proj(imgs), "b d h w -> b (h w) d")

    def linear_weight(self) -> torch.Tensor:
        """The conv kernel as a (dim, p*p*C) matrix acting on patch vectors in (row, column,
        channel) order, the order of :func:`maelearn.patches.patchify`."""
        return rearrange(self.proj.weight, "d c p q -> d (p q c)")

    def embed_patches(self, patches: torch.Tensor) -> torch.Tensor:
        """(B, K, p*p*C) patch vectors -> (B, K, dim): the same projection, applied only to
        the patches given (MAE embeds just the visible ones)."""
        return F.linear(patches, self.linear_weight(), self.proj.bias)


class Attention(nn.Module):
    """Multi-head self-attention with a fused qkv projection."""

    def __init__(self, dim: int, heads: int, qkv_bias: bool = True):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim={dim} is not divisible by heads={heads}")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, dim) -> (B, L, dim)"""
        q, k, v = rearrange(self.qkv(x), "b l (three h d) -> three b h l d", three=3, h=self.heads)
        out = F.scaled_dot_product_attention(q, k, v)  # (B, heads, L, d)
        return self.proj(rearrange(out, "b h l d -> b l (h d)"))


class Mlp(nn.Sequential):
    def __init__(self, dim: int, hidden: int):
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True):
        super().__init__()
        self.norm1 = LayerNorm(dim)
        self.attn = Attention(dim, heads, qkv_bias)
        self.norm2 = LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, dim) -> (B, L, dim)"""
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTEncoder(nn.Module):
    """A ViT encoder with a [CLS] token and fixed 2D sin-cos positions.

    ``forward`` encodes every patch; MAE drives the same parts (``patch_embed``,
    ``cls_token``, ``pos_embed``, ``blocks``, ``norm``) on the visible patches only.
    """

    def __init__(
        self,
        img_size: int = 32,
        patch_size: int = 4,
        in_chans: int = 3,
        dim: int = 192,
        depth: int = 12,
        heads: int = 3,
        mlp_ratio: float = 4.0,
    ):
        super().__init__()
        self.dim, self.depth = dim, depth
        self.patch_embed = PatchEmbed(img_size, patch_size, in_chans, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        pos = sincos_2d(dim, *self.patch_embed.grid, cls_token=True)[None]  # (1, 1+N, dim)
        self.pos_embed = nn.Parameter(pos, requires_grad=False)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = LayerNorm(dim)

    @property
    def patch_size(self) -> int:
        return self.patch_embed.patch_size

    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, 1+N, dim): [CLS] then every patch token, normalized."""
        x = self.patch_embed(imgs) + self.pos_embed[:, 1:]  # (B, N, dim)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)  # (B, 1+N, dim)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def features(self, imgs: torch.Tensor, pool: str = "cls") -> torch.Tensor:
        """(B, C, H, W) -> (B, dim): the [CLS] token (``pool="cls"``) or the mean of the
        patch tokens (``pool="mean"``)."""
        tokens = self.forward(imgs)
        if pool == "cls":
            return tokens[:, 0]
        if pool == "mean":
            return tokens[:, 1:].mean(dim=1)
        raise ValueError(f"pool must be 'cls' or 'mean', got {pool!r}")


class ViTClassifier(nn.Module):
    """An encoder with a linear head on its pooled features: the ViT classifier, and the
    model that fine-tuning and linear probing train."""

    def __init__(self, encoder: ViTEncoder, num_classes: int, pool: str = "cls"):
        super().__init__()
        if pool not in ("cls", "mean"):
            raise ValueError(f"pool must be 'cls' or 'mean', got {pool!r}")
        self.encoder, self.pool = encoder, pool
        self.head = nn.Linear(encoder.dim, num_classes)
        nn.init.trunc_normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, num_classes) logits"""
        return self.head(self.encoder.features(imgs, self.pool))


def init_weights(module: nn.Module) -> None:
    """MAE's initialization: xavier-uniform Linear weights (biases 0), LayerNorm 1/0. Apply
    with ``model.apply(init_weights)``."""
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def init_vit(encoder: ViTEncoder) -> None:
    """Initialize an encoder as MAE does: the patch projection xavier-uniform as a matrix,
    [CLS] normal(0.02), every Linear and LayerNorm by :func:`init_weights`."""
    w = encoder.patch_embed.proj.weight
    nn.init.xavier_uniform_(w.view(w.shape[0], -1))
    nn.init.zeros_(encoder.patch_embed.proj.bias)
    nn.init.normal_(encoder.cls_token, std=0.02)
    encoder.blocks.apply(init_weights)
    encoder.norm.apply(init_weights)


__all__ = ["Attention", "Block", "LayerNorm", "Mlp", "PatchEmbed", "ViTClassifier", "ViTEncoder", "init_vit", "init_weights"]
