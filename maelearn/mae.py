"""Masked Autoencoder (He et al., 2021): mask most patches, encode the rest, reconstruct.

The forward pass follows the method section:

1. **mask**: draw noise per patch, keep the ``int(N * (1 - ratio))`` lowest;
2. **encode** the visible patches only, with a [CLS] token and fixed 2D sin-cos positions;
3. **decode**: project to the decoder width, append one shared mask token per removed
   patch, unshuffle to the original order, add the decoder's own positions, run a small
   transformer, predict the pixels of every patch;
4. **loss**: mean squared error on the removed patches only, against per-patch normalized
   pixels when ``norm_pix_loss`` is on.

:class:`MAEWithEncoderMaskTokens` is the BEiT-style alternative of the paper's ablation
(Table 1c): the encoder sees every position, with a mask token in place of removed patches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import NamedTuple

import torch
from torch import nn

from maelearn.checks import check_images
from maelearn.masking import mask_by_noise, num_visible, random_noise, strategy_noise, unshuffle
from maelearn.patches import patchify, unpatchify
from maelearn.posembed import sincos_2d
from maelearn.vit import Block, LayerNorm, ViTEncoder, init_vit, init_weights


@dataclass(frozen=True)
class MAEConfig:
    """Sizes and switches of an MAE. The decoder is the paper's default (512-d, 8 blocks,
    16 heads) unless a preset says otherwise."""

    img_size: int = 224
    patch_size: int = 16
    in_chans: int = 3
    dim: int = 768
    depth: int = 12
    heads: int = 12
    decoder_dim: int = 512
    decoder_depth: int = 8
    decoder_heads: int = 16
    mlp_ratio: float = 4.0
    norm_pix_loss: bool = True
    loss_on: str = "masked"  # "masked" (the paper) or "all" patches (ablation)
    masking: str = "random"  # "random" | "block" | "grid" when no noise is passed

    def __post_init__(self):
        if self.loss_on not in ("masked", "all"):
            raise ValueError(f"loss_on must be 'masked' or 'all', got {self.loss_on!r}")
        if self.masking not in ("random", "block", "grid"):
            raise ValueError(f"masking must be 'random', 'block' or 'grid', got {self.masking!r}")
        if self.img_size % self.patch_size:
            raise ValueError(f"img_size={self.img_size} is not divisible by patch_size={self.patch_size}")


#: Model sizes. ``tiny`` and ``small`` fit the CPU lessons; ``base``/``large``/``huge``
#: are ViT-B/16, ViT-L/16 and ViT-H/14 with the paper's 512-d, 8-block decoder at 224 px.
PRESETS: dict[str, MAEConfig] = {
    "tiny": MAEConfig(img_size=32, patch_size=4, dim=96, depth=4, heads=4, decoder_dim=64, decoder_depth=2, decoder_heads=4),
    "small": MAEConfig(img_size=32, patch_size=4, dim=192, depth=6, heads=6, decoder_dim=128, decoder_depth=2, decoder_heads=4),
    "base": MAEConfig(dim=768, depth=12, heads=12),
    "large": MAEConfig(dim=1024, depth=24, heads=16),
    "huge": MAEConfig(patch_size=14, dim=1280, depth=32, heads=16),
}


def mae_config(preset: str = "tiny", **overrides) -> MAEConfig:
    """A preset's config with fields overridden, e.g. ``mae_config("tiny", in_chans=1)``."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    return replace(PRESETS[preset], **overrides)


def normalized_targets(patches: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Per-patch normalized pixels: (x - mean) / sqrt(var + eps) over each patch's own
    p*p*C values (unbiased variance, as the reference code). (B, N, P) -> (B, N, P)"""
    mean = patches.mean(dim=-1, keepdim=True)
    var = patches.var(dim=-1, keepdim=True)
    return (patches - mean) / (var + eps) ** 0.5


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error per patch (B, N), averaged over the removed patches (mask == 1).
    With nothing removed (``mask_ratio=0``) there is nothing to predict: the loss is 0, not
    0/0 = nan."""
    per_patch = ((pred - target) ** 2).mean(dim=-1)  # (B, N)
    return (per_patch * mask).sum() / mask.sum().clamp(min=1)


class MAEOutput(NamedTuple):
    loss: torch.Tensor  # () scalar
    pred: torch.Tensor  # (B, N, p*p*C) predicted pixels (normalized if norm_pix_loss)
    mask: torch.Tensor  # (B, N), 1 = removed


class MAE(nn.Module):
    """The asymmetric masked autoencoder: a ViT encoder over visible patches, a light
    decoder over all positions."""

    def __init__(self, config: MAEConfig | None = None, **overrides):
        super().__init__()
        cfg = replace(config or MAEConfig(), **overrides)
        self.config = cfg
        self.patch_size, self.in_chans = cfg.patch_size, cfg.in_chans
        self.encoder = ViTEncoder(cfg.img_size, cfg.patch_size, cfg.in_chans, cfg.dim, cfg.depth, cfg.heads, cfg.mlp_ratio)
        self.grid = self.encoder.patch_embed.grid
        self.num_patches = self.encoder.patch_embed.num_patches

        self.decoder_embed = nn.Linear(cfg.dim, cfg.decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, cfg.decoder_dim))
        pos = sincos_2d(cfg.decoder_dim, *self.grid, cls_token=True)[None]  # (1, 1+N, Dd)
        self.decoder_pos_embed = nn.Parameter(pos, requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            [Block(cfg.decoder_dim, cfg.decoder_heads, cfg.mlp_ratio) for _ in range(cfg.decoder_depth)]
        )
        self.decoder_norm = LayerNorm(cfg.decoder_dim)
        self.decoder_pred = nn.Linear(cfg.decoder_dim, cfg.patch_size**2 * cfg.in_chans)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init_vit(self.encoder)
        nn.init.normal_(self.mask_token, std=0.02)
        for m in (self.decoder_embed, self.decoder_blocks, self.decoder_norm, self.decoder_pred):
            m.apply(init_weights)

    # -- 1. masking ------------------------------------------------------------------
    def make_noise(
        self, batch: int, mask_ratio: float, generator: torch.Generator | None = None, device=None
    ) -> torch.Tensor:
        """Noise (B, N) of the configured masking strategy, on ``device``. Random noise is
        drawn there directly (no host-to-GPU copy, which would stall the CPU every step)."""
        if self.config.masking == "random":
            return random_noise(batch, self.num_patches, generator=generator, device=device)
        noise = strategy_noise(self.config.masking, batch, self.grid, mask_ratio, generator)
        return noise if device is None else noise.to(device)

    # -- 2. encoder --------------------------------------------------------------------
    def forward_encoder(
        self, imgs: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """imgs (B, C, H, W) -> latent (B, 1+K, D), mask (B, N), ids_restore (B, N)."""
        enc = self.encoder
        patches = patchify(imgs, self.patch_size)  # (B, N, p*p*C)
        b, n, _ = patches.shape
        keep = num_visible(n, mask_ratio)
        if noise is None:
            noise = self.make_noise(b, mask_ratio, device=imgs.device)
        noise = noise.to(imgs.device)
        # Mask first, then embed only the K visible patches: the same numbers as embedding
        # all N and dropping some, at a (1 - ratio) fraction of the cost.
        vis = mask_by_noise(patches, noise, keep)  # visible (B, K, p*p*C)
        pos = enc.pos_embed[:, 1:].expand(b, -1, -1)  # (B, N, D)
        vis_pos = torch.gather(pos, 1, vis.ids_keep.unsqueeze(-1).expand(-1, -1, enc.dim))  # (B, K, D)
        x = enc.patch_embed.embed_patches(vis.visible) + vis_pos  # (B, K, D)
        cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(b, -1, -1)  # (B, 1, D)
        x = torch.cat([cls, x], dim=1)  # (B, 1+K, D)
        for block in enc.blocks:
            x = block(x)
        return enc.norm(x), vis.mask, vis.ids_restore

    # -- 3. decoder --------------------------------------------------------------------
    def forward_decoder(self, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
        """latent (B, 1+K, D), ids_restore (B, N) -> predicted pixels (B, N, p*p*C)."""
        x = self.decoder_embed(latent)  # (B, 1+K, Dd)
        x_ = unshuffle(x[:, 1:], self.mask_token, ids_restore)  # (B, N, Dd): mask tokens added, original order
        x = torch.cat([x[:, :1], x_], dim=1) + self.decoder_pos_embed  # (B, 1+N, Dd)
        for block in self.decoder_blocks:
            x = block(x)
        x = self.decoder_pred(self.decoder_norm(x))  # (B, 1+N, p*p*C)
        return x[:, 1:]  # drop [CLS]

    # -- 4. loss -----------------------------------------------------------------------
    def targets(self, imgs: torch.Tensor) -> torch.Tensor:
        """What the decoder must predict: (B, N, p*p*C) pixels, per-patch normalized when
        ``norm_pix_loss``."""
        target = patchify(imgs, self.patch_size)
        return normalized_targets(target) if self.config.norm_pix_loss else target

    def forward_loss(self, imgs: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        target = self.targets(imgs)
        if self.config.loss_on == "all":
            return ((pred - target) ** 2).mean()
        return masked_mse(pred, target, mask)

    def forward(self, imgs: torch.Tensor, mask_ratio: float = 0.75, noise: torch.Tensor | None = None) -> MAEOutput:
        """imgs (B, C, H, W) float -> (loss, pred (B, N, p*p*C), mask (B, N))."""
        self.check_input(imgs)
        latent, mask, ids_restore = self.forward_encoder(imgs, mask_ratio, noise)
        pred = self.forward_decoder(latent, ids_restore)
        loss = self.forward_loss(imgs, pred, mask)
        return MAEOutput(loss, pred, mask)

    # -- helpers -----------------------------------------------------------------------
    def check_input(self, imgs: torch.Tensor) -> None:
        check_images(imgs, self.patch_size, self.in_chans)
        size = self.config.img_size
        if tuple(imgs.shape[-2:]) != (size, size):
            raise ValueError(f"imgs have size {tuple(imgs.shape[-2:])}, but the model was built for img_size={size}")

    @torch.no_grad()
    def reconstruct(self, imgs: torch.Tensor, mask_ratio: float = 0.75, noise: torch.Tensor | None = None) -> dict:
        """Images for the paper's Figure 2: ``masked``, ``reconstruction``, ``pasted``
        (visible patches pasted on the reconstruction) and ``original``, each (B, C, H, W)
        in pixel space (normalized predictions are mapped back with each patch's own
        mean and variance), plus the ``mask`` (B, N) and the ``loss``."""
        out = self.forward(imgs, mask_ratio, noise)
        patches = patchify(imgs, self.patch_size)
        pred = out.pred.float()
        if self.config.norm_pix_loss:
            mean, var = patches.mean(-1, keepdim=True), patches.var(-1, keepdim=True)
            pred = pred * (var + 1e-6) ** 0.5 + mean
        m = out.mask.unsqueeze(-1)  # (B, N, 1)
        kw = dict(patch_size=self.patch_size, channels=self.in_chans, grid=self.grid)
        return {
            "masked": unpatchify(patches * (1 - m), **kw),
            "reconstruction": unpatchify(pred, **kw),
            "pasted": unpatchify(patches * (1 - m) + pred * m, **kw),
            "original": imgs,
            "mask": out.mask,
            "loss": out.loss.detach(),
        }

    def encoder_sequence_length(self, mask_ratio: float) -> int:
        """Tokens the encoder processes: [CLS] + visible patches."""
        return 1 + num_visible(self.num_patches, mask_ratio)


class MAEWithEncoderMaskTokens(MAE):
    """The ablation where the encoder sees mask tokens (BEiT-style): every position goes
    through the encoder, removed patches replaced by a learned encoder mask token; the
    decoder needs no unshuffle. Same loss; about 1/(1 - ratio) times the encoder cost."""

    def __init__(self, config: MAEConfig | None = None, **overrides):
        super().__init__(config, **overrides)
        self.encoder_mask_token = nn.Parameter(torch.zeros(1, 1, self.config.dim))
        nn.init.normal_(self.encoder_mask_token, std=0.02)

    def forward_encoder(self, imgs, mask_ratio, noise=None):
        """imgs (B, C, H, W) -> latent (B, 1+N, D), mask (B, N), ids_restore (B, N)."""
        enc = self.encoder
        patches = patchify(imgs, self.patch_size)
        b, n, _ = patches.shape
        keep = num_visible(n, mask_ratio)
        if noise is None:
            noise = self.make_noise(b, mask_ratio, device=imgs.device)
        noise = noise.to(imgs.device)
        mask = mask_by_noise(patches, noise, keep).mask  # (B, N)
        x = enc.patch_embed.embed_patches(patches)  # (B, N, D)
        x = torch.where(mask.unsqueeze(-1).bool(), self.encoder_mask_token.to(x.dtype), x) + enc.pos_embed[:, 1:]
        cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(b, -1, -1)
        x = torch.cat([cls, x], dim=1)  # (B, 1+N, D)
        for block in enc.blocks:
            x = block(x)
        ids_restore = torch.arange(n, device=imgs.device).expand(b, -1)
        return enc.norm(x), mask, ids_restore

    def forward_decoder(self, latent, ids_restore):
        """latent (B, 1+N, D) already in order -> (B, N, p*p*C)."""
        x = self.decoder_embed(latent) + self.decoder_pos_embed
        for block in self.decoder_blocks:
            x = block(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:]

    def encoder_sequence_length(self, mask_ratio: float) -> int:
        return 1 + self.num_patches


def build_mae(preset: str = "tiny", encoder_mask_tokens: bool = False, **overrides) -> MAE:
    """An MAE from a preset, e.g. ``build_mae("tiny", in_chans=1, img_size=16)``."""
    cls = MAEWithEncoderMaskTokens if encoder_mask_tokens else MAE
    return cls(mae_config(preset, **overrides))


def config_dict(model: MAE) -> dict:
    """The model's config as a plain dict (stored in checkpoints)."""
    return {**asdict(model.config), "encoder_mask_tokens": isinstance(model, MAEWithEncoderMaskTokens)}


def mae_from_config(cfg: dict) -> MAE:
    """Inverse of :func:`config_dict`."""
    cfg = dict(cfg)
    mt = cfg.pop("encoder_mask_tokens", False)
    cls = MAEWithEncoderMaskTokens if mt else MAE
    return cls(MAEConfig(**cfg))
