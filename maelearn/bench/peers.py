"""Peer MAEs for the speed benchmark (:mod:`maelearn.bench.step`), the same sizes as ours:
``"timm"``, the MAE paper's reference recipe built from timm's ViT ``Block`` and
``PatchEmbed``, and ``"hf"``, Hugging Face's ``ViTMAEForPreTraining`` built from a
``ViTMAEConfig`` (never downloaded) with the SDPA attention kernel.

timm and transformers are optional: nothing is imported until a peer is built, and
:func:`available_peers` says which can be. Each builder returns an ``nn.Module`` whose
``forward(imgs)`` returns the scalar pretraining loss.
"""

from __future__ import annotations

import importlib.util
from functools import partial

import torch
from torch import nn

from maelearn.mae import MAE, MAEConfig, normalized_targets
from maelearn.masking import num_visible
from maelearn.patches import patchify
from maelearn.posembed import sincos_2d
from maelearn.vit import init_weights

PEERS = ("timm", "hf")
_PACKAGES = {"timm": "timm", "hf": "transformers"}


def peer_available(name: str) -> bool:
    """Whether the package behind peer ``name`` (``"timm"`` or ``"hf"``) is installed."""
    if name not in PEERS:
        raise ValueError(f"peer must be one of {PEERS}, got {name!r}")
    return importlib.util.find_spec(_PACKAGES[name]) is not None


def available_peers() -> list[str]:
    """The peers whose package is installed, in :data:`PEERS` order."""
    return [p for p in PEERS if peer_available(p)]


class OursLoss(nn.Module):
    """Our :class:`~maelearn.mae.MAE`, called like the peers: imgs (B, C, H, W) -> loss ()."""

    def __init__(self, config: MAEConfig, mask_ratio: float = 0.75):
        super().__init__()
        self.model, self.mask_ratio = MAE(config), mask_ratio

    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        return self.model(imgs, self.mask_ratio).loss


class TimmReferenceMAE(nn.Module):
    """The MAE paper's reference order of operations on timm parts.

    Same sizes, initialization and loss as :class:`maelearn.mae.MAE`; it differs only in
    the order of work: it embeds all N patches and masks afterwards, and builds the
    decoder input by concatenating mask tokens and gathering.
    """

    def __init__(self, config: MAEConfig, mask_ratio: float = 0.75):
        super().__init__()
        from timm.models.vision_transformer import Block, PatchEmbed

        cfg = self.config = config
        self.mask_ratio = mask_ratio
        norm = partial(nn.LayerNorm, eps=1e-6)
        grid = config.img_size // config.patch_size
        self.patch_embed = PatchEmbed(cfg.img_size, cfg.patch_size, cfg.in_chans, cfg.dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.dim))
        self.pos_embed = nn.Parameter(sincos_2d(cfg.dim, grid, grid, cls_token=True)[None], requires_grad=False)
        self.blocks = nn.ModuleList(
            [Block(cfg.dim, cfg.heads, cfg.mlp_ratio, qkv_bias=True, norm_layer=norm) for _ in range(cfg.depth)]
        )
        self.norm = norm(cfg.dim)
        self.decoder_embed = nn.Linear(cfg.dim, cfg.decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, cfg.decoder_dim))
        self.decoder_pos_embed = nn.Parameter(
            sincos_2d(cfg.decoder_dim, grid, grid, cls_token=True)[None], requires_grad=False
        )
        self.decoder_blocks = nn.ModuleList(
            [
                Block(cfg.decoder_dim, cfg.decoder_heads, cfg.mlp_ratio, qkv_bias=True, norm_layer=norm)
                for _ in range(cfg.decoder_depth)
            ]
        )
        self.decoder_norm = norm(cfg.decoder_dim)
        self.decoder_pred = nn.Linear(cfg.decoder_dim, cfg.patch_size**2 * cfg.in_chans)
        w = self.patch_embed.proj.weight
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        self.apply(init_weights)

    def forward(self, imgs: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """imgs (B, C, H, W) -> scalar loss; ``noise`` (B, N) fixes the mask."""
        x = self.patch_embed(imgs) + self.pos_embed[:, 1:]  # (B, N, D): every patch
        b, n, d = x.shape
        keep = num_visible(n, self.mask_ratio)
        if noise is None:
            noise = torch.rand(b, n, device=imgs.device)
        order = torch.argsort(noise, dim=1)
        restore = torch.argsort(order, dim=1)
        x = torch.gather(x, 1, order[:, :keep, None].expand(-1, -1, d))  # (B, K, D)
        mask = torch.ones(b, n, device=imgs.device)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, restore)  # (B, N), 1 = removed
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(b, -1, -1)
        x = torch.cat([cls, x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        x = self.decoder_embed(self.norm(x))  # (B, 1+K, Dd)
        tokens = torch.cat([x[:, 1:], self.mask_token.expand(b, n - keep, -1)], dim=1)
        tokens = torch.gather(tokens, 1, restore[:, :, None].expand(-1, -1, x.shape[-1]))
        x = torch.cat([x[:, :1], tokens], dim=1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        pred = self.decoder_pred(self.decoder_norm(x))[:, 1:]  # (B, N, p*p*C)
        target = patchify(imgs, self.config.patch_size)
        if self.config.norm_pix_loss:
            target = normalized_targets(target)
        per_patch = ((pred - target) ** 2).mean(dim=-1)
        return (per_patch * mask).sum() / mask.sum()


class HFLoss(nn.Module):
    """Hugging Face's ``ViTMAEForPreTraining`` with our sizes, called like the others."""

    def __init__(self, config: MAEConfig, mask_ratio: float = 0.75, attn_implementation: str = "sdpa"):
        super().__init__()
        from transformers import ViTMAEConfig, ViTMAEForPreTraining

        hf_config = ViTMAEConfig(
            hidden_size=config.dim,
            num_hidden_layers=config.depth,
            num_attention_heads=config.heads,
            intermediate_size=int(config.dim * config.mlp_ratio),
            decoder_hidden_size=config.decoder_dim,
            decoder_num_hidden_layers=config.decoder_depth,
            decoder_num_attention_heads=config.decoder_heads,
            decoder_intermediate_size=int(config.decoder_dim * config.mlp_ratio),
            image_size=config.img_size,
            patch_size=config.patch_size,
            num_channels=config.in_chans,
            hidden_act="gelu",
            layer_norm_eps=1e-6,
            qkv_bias=True,
            mask_ratio=mask_ratio,
            norm_pix_loss=config.norm_pix_loss,
        )
        hf_config._attn_implementation = attn_implementation
        self.model = ViTMAEForPreTraining(hf_config)

    def forward(self, imgs: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        return self.model(pixel_values=imgs, noise=noise).loss


def build_peer(name: str, config: MAEConfig, mask_ratio: float = 0.75) -> nn.Module:
    """A loss module ``imgs -> loss`` for ``name`` in ``("ours", "timm", "hf")``."""
    if name == "ours":
        return OursLoss(config, mask_ratio)
    if name not in PEERS:
        raise ValueError(f"name must be 'ours' or one of {PEERS}, got {name!r}")
    if not peer_available(name):
        raise ImportError(f"peer {name!r} needs the package {_PACKAGES[name]!r}: pip install {_PACKAGES[name]}")
    if config.loss_on != "masked":
        raise ValueError(f"the peers compute the paper's loss on masked patches; config.loss_on={config.loss_on!r}")
    return TimmReferenceMAE(config, mask_ratio) if name == "timm" else HFLoss(config, mask_ratio)


__all__ = ["HFLoss", "OursLoss", "PEERS", "TimmReferenceMAE", "available_peers", "build_peer", "peer_available"]
