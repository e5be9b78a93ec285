"""Vision Transformer building blocks: patch embedding, attention, pre-norm block, encoder
and classifier. Attention goes through ``F.scaled_dot_product_attention`` (flash or
memory-efficient kernels on a GPU) with one fused ``qkv`` projection."""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from maelearn.checks import check_images, check_int
from maelearn.patches import patchify, unpatchify
from maelearn.posembed import sincos_2d

LayerNorm = partial(nn.LayerNorm, eps=1e-6)


class PatchEmbed(nn.Module):
    """Cut an image into p x p patches and project each to ``dim``: a strided convolution, the
    same as one linear layer on every patch vector. ``img_size``: an int (square) or (height, width).

    Every tokenizer (also :class:`maelearn.video.CubeEmbed`, :class:`maelearn.timeseries.SeriesEmbed`)
    has ``patchify`` / ``unpatchify`` (input <-> (B, N, P)), ``embed_patches`` (B, K, P) -> (B, K, dim),
    ``forward``, ``check``, ``grid``, ``num_patches``, ``patch_dim``, ``in_chans``, ``proj``.
    Taught in lesson 07."""

    input_name = "imgs"

    def __init__(self, img_size: int | tuple[int, int], patch_size: int, in_chans: int, dim: int):
        super().__init__()
        size = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        for name, v in (("patch_size", patch_size), ("in_chans", in_chans), ("dim", dim), *zip(("height", "width"), size)):
            check_int(name, v)
        if size[0] % patch_size or size[1] % patch_size:
            raise ValueError(f"img_size={img_size} is not divisible by patch_size={patch_size}")
        self.size, self.patch_size, self.in_chans = size, patch_size, in_chans
        self.img_size = size[0] if size[0] == size[1] else size
        self.grid = (size[0] // patch_size, size[1] // patch_size)
        self.num_patches = self.grid[0] * self.grid[1]
        self.patch_dim = patch_size * patch_size * in_chans
        self.proj = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)

    def check(self, imgs: torch.Tensor, name: str = "imgs") -> torch.Tensor:
        """Validate a batch (B, C, H, W) of this tokenizer's size and channels."""
        check_images(imgs, self.patch_size, self.in_chans, name=name)
        if tuple(imgs.shape[-2:]) != self.size:
            raise ValueError(f"{name} have size {tuple(imgs.shape[-2:])}, but the model was built for "
                             f"img_size={self.img_size} (height x width {self.size[0]}x{self.size[1]})")
        return imgs

    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, N, dim)"""
        self.check(imgs)
        return rearrange(self.proj(imgs), "b d h w -> b (h w) d")

    def patchify(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, N, p*p*C) patch vectors in (row, column, channel) order."""
        return patchify(imgs, self.patch_size)

    def unpatchify(self, patches: torch.Tensor) -> torch.Tensor:
        """(B, N, p*p*C) -> (B, C, H, W), the inverse of :meth:`patchify`."""
        return unpatchify(patches, self.patch_size, self.in_chans, self.grid)

    def linear_weight(self) -> torch.Tensor:
        """The conv kernel as a (dim, p*p*C) matrix on patch vectors in :meth:`patchify`'s order."""
        return rearrange(self.proj.weight, "d c p q -> d (p q c)")

    def embed_patches(self, patches: torch.Tensor) -> torch.Tensor:
        """(B, K, p*p*C) -> (B, K, dim): the same projection on the patches given (MAE's visible ones)."""
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


def drop_path(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Stochastic depth: in training, zero each sample's branch output with probability ``p``
    and scale the kept ones by 1/(1-p) (the expectation unchanged). x: (B, ...) -> (B, ...)."""
    if p == 0.0 or not training:
        return x
    keep = torch.empty((x.shape[0],) + (1,) * (x.ndim - 1), dtype=x.dtype, device=x.device).bernoulli_(1 - p)
    return x * keep / (1 - p)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)). ``drop_path``: the
    stochastic-depth rate of both branches, 0 in pretraining, set by :func:`set_drop_path`."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True, drop_path: float = 0.0):
        super().__init__()
        if not 0.0 <= drop_path < 1.0:
            raise ValueError(f"drop_path must be in [0, 1), got {drop_path!r}")
        hidden = int(dim * mlp_ratio)
        self.norm1 = LayerNorm(dim)
        self.attn = Attention(dim, heads, qkv_bias)
        self.norm2 = LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
        self.drop_path = float(drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, dim) -> (B, L, dim)"""
        x = x + drop_path(self.attn(self.norm1(x)), self.drop_path, self.training)
        return x + drop_path(self.mlp(self.norm2(x)), self.drop_path, self.training)


def set_drop_path(blocks: nn.ModuleList, rate: float) -> None:
    """Stochastic depth rising linearly over the blocks from 0 to ``rate`` (the timm/MAE
    rule: block ``i`` of ``L`` drops with ``rate * i / (L - 1)``)."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"drop path rate must be in [0, 1), got {rate!r}")
    for i, block in enumerate(blocks):
        block.drop_path = rate * i / max(1, len(blocks) - 1)


class Encoder(nn.Module):
    """A transformer encoder over the tokens of any tokenizer: an optional [CLS] token, the fixed
    ``positions`` (N, dim) of the patch tokens (a zero row prepended for [CLS], as MAE's reference
    code: ``pos_embed`` (1, [1+]N, dim)), pre-norm blocks and a final norm. ``forward`` encodes
    every token; :meth:`forward_visible` only the ones an MAE kept."""

    def __init__(self, patch_embed: nn.Module, positions: torch.Tensor, depth: int, heads: int,
                 mlp_ratio: float = 4.0, cls_token: bool = True):
        super().__init__()
        n, dim = positions.shape
        if n != patch_embed.num_patches:
            raise ValueError(f"positions has {n} rows, but the tokenizer makes {patch_embed.num_patches} tokens")
        check_int("depth", depth, low=0)
        self.dim, self.depth = dim, depth
        self.patch_embed = patch_embed
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim)) if cls_token else None
        pos = torch.cat([torch.zeros(1, dim), positions], dim=0) if cls_token else positions
        self.pos_embed = nn.Parameter(pos[None].clone(), requires_grad=False)  # (1, [1+]N, dim), fixed
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = LayerNorm(dim)

    @property
    def has_cls(self) -> bool:
        return self.cls_token is not None

    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Validate an input batch for this encoder's tokenizer."""
        return self.patch_embed.check(x, name=self.patch_embed.input_name)

    def patch_positions(self) -> torch.Tensor:
        """(1, N, dim): the positions of the patch tokens ([CLS]'s row dropped)."""
        return self.pos_embed[:, 1:] if self.has_cls else self.pos_embed

    def run(self, x: torch.Tensor) -> torch.Tensor:
        """Embedded tokens with positions (B, K, dim) -> (B, [1+]K, dim): [CLS] (if any), blocks, norm."""
        if self.has_cls:
            cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)  # (B, 1, dim)
            x = torch.cat([cls, x], dim=1)  # (B, 1+K, dim)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward_visible(self, patches: torch.Tensor, ids_keep: torch.Tensor) -> torch.Tensor:
        """The MAE encoder: only the kept patch vectors (B, K, P), with the original indices
        ``ids_keep`` (B, K) -> (B, [1+]K, dim). Embedding K patches costs K/N of embedding all."""
        pos = self.patch_positions().expand(patches.shape[0], -1, -1)  # (B, N, dim)
        vis_pos = torch.gather(pos, 1, ids_keep.unsqueeze(-1).expand(-1, -1, self.dim))  # (B, K, dim)
        return self.run(self.patch_embed.embed_patches(patches) + vis_pos)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Every token: input -> (B, [1+]N, dim), normalized."""
        return self.run(self.patch_embed(x) + self.patch_positions())

    def features(self, x: torch.Tensor, pool: str = "cls") -> torch.Tensor:
        """input -> (B, dim): the [CLS] token (``pool="cls"``) or the mean patch token (``"mean"``)."""
        tokens = self.forward(x)
        if pool == "cls":
            if not self.has_cls:
                raise ValueError("pool='cls' needs a [CLS] token, and this encoder has none; use pool='mean'")
            return tokens[:, 0]
        if pool == "mean":
            return tokens[:, 1:].mean(dim=1) if self.has_cls else tokens.mean(dim=1)
        raise ValueError(f"pool must be 'cls' or 'mean', got {pool!r}")


class ViTEncoder(Encoder):
    """The image ViT encoder: :class:`PatchEmbed`, a [CLS] token and fixed 2D sin-cos positions.
    Taught in lesson 07."""

    def __init__(self, img_size: int | tuple[int, int] = 32, patch_size: int = 4, in_chans: int = 3, dim: int = 192,
                 depth: int = 12, heads: int = 3, mlp_ratio: float = 4.0):
        patch_embed = PatchEmbed(img_size, patch_size, in_chans, dim)
        super().__init__(patch_embed, sincos_2d(dim, *patch_embed.grid), depth, heads, mlp_ratio, cls_token=True)


class ViTClassifier(nn.Module):
    """An encoder with a linear head on its pooled features (fine-tuning and linear probing).
    ``pool``: ``"cls"``, ``"mean"`` (the mean normalized patch token) or ``"global"`` (the MAE
    fine-tuning reference's: no final norm, the mean patch token normalized by ``fc_norm``)."""

    POOLS = ("cls", "mean", "global")

    def __init__(self, encoder: ViTEncoder, num_classes: int, pool: str = "cls"):
        super().__init__()
        if pool not in self.POOLS:
            raise ValueError(f"pool must be one of {self.POOLS}, got {pool!r}")
        check_int("num_classes", num_classes)
        self.encoder, self.pool = encoder, pool
        self.fc_norm = None
        if pool == "global":
            encoder.norm = nn.Identity()  # as the reference: fc_norm replaces the final norm
            self.fc_norm = LayerNorm(encoder.dim)
        self.head = nn.Linear(encoder.dim, num_classes)
        nn.init.trunc_normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def features(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, dim): the pooled features the head reads."""
        if self.fc_norm is not None:
            return self.fc_norm(self.encoder.features(imgs, "mean"))
        return self.encoder.features(imgs, self.pool)

    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, num_classes) logits"""
        return self.head(self.features(imgs))


def init_weights(module: nn.Module) -> None:
    """MAE's initialization: xavier-uniform Linear weights (biases 0), LayerNorm 1/0. Use ``model.apply``."""
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def init_vit(encoder: Encoder) -> None:
    """Initialize an encoder as MAE does: the patch projection xavier-uniform as a matrix (bias
    0), [CLS] normal(0.02), every Linear and LayerNorm by :func:`init_weights`. Taught in lesson 07."""
    proj = encoder.patch_embed.proj
    nn.init.xavier_uniform_(proj.weight.view(proj.weight.shape[0], -1))
    if proj.bias is not None:
        nn.init.zeros_(proj.bias)
    if encoder.cls_token is not None:
        nn.init.normal_(encoder.cls_token, std=0.02)
    encoder.blocks.apply(init_weights)
    encoder.norm.apply(init_weights)


__all__ = [
    "Attention", "Block", "Encoder", "LayerNorm", "PatchEmbed", "ViTClassifier", "ViTEncoder",
    "drop_path", "init_vit", "init_weights", "set_drop_path",
]
