"""Masked Autoencoder (He et al., 2021): mask most patches, encode the rest, reconstruct.

:class:`MAE` is the course's one masked autoencoder: images, videos, spectrograms and time
series differ only in its config's tokenizer, masking, target and decoder (lesson 12's recipe).
``encoder_mask_tokens=True`` is the paper's Table 1c ablation (BEiT-style mask tokens in the encoder).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar, NamedTuple

import torch
from einops import rearrange
from torch import nn

from maelearn.checks import check_finite, check_int
from maelearn.masking import (Masked, as_noise, forecast_noise, mask_by_noise, num_visible, random_noise,
                              strategy_noise, tube_masking, unshuffle)
from maelearn.posembed import sincos_2d
from maelearn.vit import Block, Encoder, LayerNorm, PatchEmbed, init_vit, init_weights


# -- Configs: one base (sizes and switches every MAE has), one subclass per input kind -------
@dataclass(frozen=True)
class BaseMAEConfig:
    """Sizes and switches every MAE has. Subclasses add the input's shape and its tokenizer
    (:meth:`make_tokenizer`, :meth:`positions`); class attributes fix the modality's conventions."""

    dim: int = 768
    depth: int = 12
    heads: int = 12
    decoder_dim: int = 512
    decoder_depth: int = 8
    decoder_heads: int = 16
    mlp_ratio: float = 4.0
    norm_pix_loss: bool = True
    loss_on: str = "masked"  # "masked" (the paper) or "all" patches (ablation)
    masking: str = "random"
    encoder_mask_tokens: bool = False  # BEiT-style ablation (Table 1c)

    kind: ClassVar[str] = "base"
    maskings: ClassVar[tuple[str, ...]] = ("random",)
    cls_token: ClassVar[bool] = True
    decoder_bias: ClassVar[bool] = True
    target: ClassVar[str] = "patch"  # norm-pix over each "patch", or each patch's "channel"s
    default_mask_ratio: ClassVar[float] = 0.75
    default_pool: ClassVar[str | None] = None  # features(): "cls" with a [CLS] token, else "mean"

    def require_ints(self, *names: str, low: int = 1) -> None:
        """Every field in ``names`` must be an int >= ``low``, or a clear error naming it."""
        for name in names:
            check_int(name, getattr(self, name), low)

    def __post_init__(self) -> None:
        self.require_ints("dim", "heads", "decoder_dim", "decoder_heads")
        self.require_ints("depth", "decoder_depth", low=0)
        for dim, heads in (("dim", "heads"), ("decoder_dim", "decoder_heads")):
            if getattr(self, dim) % getattr(self, heads):
                raise ValueError(f"{dim}={getattr(self, dim)} is not divisible by {heads}={getattr(self, heads)}")
        if not (isinstance(self.mlp_ratio, (int, float)) and math.isfinite(self.mlp_ratio) and self.mlp_ratio > 0):
            raise ValueError(f"mlp_ratio must be a positive number, got {self.mlp_ratio!r}")
        if self.loss_on not in ("masked", "all"):
            raise ValueError(f"loss_on must be 'masked' or 'all', got {self.loss_on!r}")
        if self.masking not in self.maskings:
            raise ValueError(f"masking must be one of {self.maskings} for {type(self).__name__}, got {self.masking!r}")

    def make_tokenizer(self) -> nn.Module:
        """The patch embedding of this input kind (see :class:`maelearn.vit.PatchEmbed`)."""
        raise NotImplementedError

    def positions(self, dim: int, grid: tuple[int, ...]) -> torch.Tensor:
        """Fixed positions (N, dim) of the N patch tokens on ``grid``."""
        raise NotImplementedError

    def num_visible(self, grid: tuple[int, ...], mask_ratio: float) -> int:
        """Patches the encoder keeps at ``mask_ratio`` (MAE's ``int(N * (1 - ratio))``)."""
        return num_visible(math.prod(grid), mask_ratio)

    def to_dict(self) -> dict:
        """A plain dict (stored in checkpoints) from which :func:`maelearn.models.mae_from_config` rebuilds."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class MAEConfig(BaseMAEConfig):
    """The image MAE. Defaults are the paper's ViT-B/16 at 224 px, 512-d 8-block decoder (16 heads)."""

    img_size: int = 224
    patch_size: int = 16
    in_chans: int = 3

    kind: ClassVar[str] = "mae"
    maskings: ClassVar[tuple[str, ...]] = ("random", "block", "grid")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_ints("img_size", "patch_size", "in_chans")
        if self.img_size % self.patch_size:
            raise ValueError(f"img_size={self.img_size} is not divisible by patch_size={self.patch_size}")
        if self.dim % 4 or self.decoder_dim % 4:
            raise ValueError(f"dim={self.dim} and decoder_dim={self.decoder_dim} must be divisible by 4 for 2D sin-cos positions")

    def make_tokenizer(self) -> PatchEmbed:
        return PatchEmbed(self.img_size, self.patch_size, self.in_chans, self.dim)

    def positions(self, dim: int, grid: tuple[int, ...]) -> torch.Tensor:
        return sincos_2d(dim, *grid)


def preset_config(presets: dict[str, BaseMAEConfig], preset: str, **overrides: Any) -> BaseMAEConfig:
    """``presets[preset]`` with fields overridden, or a clear error naming the presets and the fields."""
    if preset not in presets:
        raise ValueError(f"preset must be one of {sorted(presets)}, got {preset!r}")
    base = presets[preset]
    names = {f.name for f in fields(base)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(f"{type(base).__name__} has no field(s) {unknown}; fields are {sorted(names)}")
    return replace(base, **overrides)


#: Model sizes. ``tiny`` and ``small`` fit the CPU lessons; ``base``/``large``/``huge``
#: are ViT-B/16, ViT-L/16 and ViT-H/14 with the paper's 512-d, 8-block decoder at 224 px.
PRESETS: dict[str, MAEConfig] = {
    "tiny": MAEConfig(img_size=32, patch_size=4, dim=96, depth=4, heads=4, decoder_dim=64, decoder_depth=2, decoder_heads=4),
    "small": MAEConfig(img_size=32, patch_size=4, dim=192, depth=6, heads=6, decoder_dim=128, decoder_depth=2, decoder_heads=4),
    "base": MAEConfig(dim=768, depth=12, heads=12),
    "large": MAEConfig(dim=1024, depth=24, heads=16),
    "huge": MAEConfig(patch_size=14, dim=1280, depth=32, heads=16),
}


def mae_config(preset: str = "tiny", **overrides: Any) -> MAEConfig:
    """A preset's config with fields overridden, e.g. ``mae_config("tiny", in_chans=1)``."""
    return preset_config(PRESETS, preset, **overrides)


# -- Targets and the loss -----------------------------------------------------------------
def normalized_targets(patches: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """MAE's norm-pix target: (x - mean) / sqrt(var + eps) over each patch's own p*p*C
    values (unbiased variance, as the reference code). (B, N, P) -> (B, N, P)"""
    mean, var = patches.mean(dim=-1, keepdim=True), patches.var(dim=-1, keepdim=True)
    return (patches - mean) / (var + eps) ** 0.5


def channel_normalized_targets(patches: torch.Tensor, channels: int, eps: float = 1e-6) -> torch.Tensor:
    """VideoMAE's target: every patch normalized *per channel* over its own values,
    ``(x - mean) / (std + eps)`` (unbiased std); the channel is innermost, as in
    :func:`maelearn.patches.patchify_video`. (B, N, k*C) -> (B, N, k*C)"""
    per_channel = rearrange(patches, "b n (k c) -> b n k c", c=channels)  # (B, N, k, C)
    mean, std = per_channel.mean(dim=2, keepdim=True), per_channel.std(dim=2, keepdim=True)
    return rearrange((per_channel - mean) / (std + eps), "b n k c -> b n (k c)")


def _denormalize(pred: torch.Tensor, patches: torch.Tensor, target: str, channels: int, eps: float = 1e-6) -> torch.Tensor:
    """The inverse of the norm-pix target for a picture: predictions (B, N, P) -> pixels,
    with each patch's own statistics taken from ``patches`` (B, N, P)."""
    if target == "channel":
        pred, patches = (rearrange(t, "b n (k c) -> b n k c", c=channels) for t in (pred, patches))
        mean, std = patches.mean(2, keepdim=True), patches.std(2, keepdim=True)
        return rearrange(pred * (std + eps) + mean, "b n k c -> b n (k c)")
    mean, var = patches.mean(-1, keepdim=True), patches.var(-1, keepdim=True)
    return pred * (var + eps) ** 0.5 + mean


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error per patch (B, N), averaged over the removed patches (mask == 1);
    0, not 0/0 = nan, when nothing is removed."""
    per_patch = ((pred - target) ** 2).mean(dim=-1)  # (B, N)
    return (per_patch * mask).sum() / mask.sum().clamp(min=1)


class MAEOutput(NamedTuple):
    loss: torch.Tensor  # () scalar
    pred: torch.Tensor  # (B, N, P) predicted patches (in the target's units)
    mask: torch.Tensor  # (B, N), 1 = removed


# -- The model ----------------------------------------------------------------------------
class MAE(nn.Module):
    """The asymmetric masked autoencoder (the paper's Section 3): keep the ``int(N * (1 -
    ratio))`` patches of lowest noise, encode only those; project to the decoder's width,
    add a shared mask token per removed patch, unshuffle, add positions and predict every
    patch; the loss is the MSE on the removed patches. ``MAE(config)`` for any config kind;
    ``MAE(**overrides)`` overrides fields of ``config`` (default: ``config_class()``).
    Taught in lesson 08."""

    config_class: ClassVar[type[BaseMAEConfig]] = MAEConfig

    def __init__(self, config: BaseMAEConfig | None = None, **overrides: Any):
        super().__init__()
        cfg = self.config = replace(config or self.config_class(), **overrides)
        tokenizer = cfg.make_tokenizer()
        self.grid, self.num_patches = tokenizer.grid, tokenizer.num_patches
        self.patch_size, self.in_chans = tokenizer.patch_size, tokenizer.in_chans

        # encoder: tokenizer, [CLS] (if the kind has one), fixed positions, blocks, norm
        self.encoder = Encoder(tokenizer, cfg.positions(cfg.dim, self.grid), cfg.depth, cfg.heads, cfg.mlp_ratio,
                               cls_token=cfg.cls_token)
        if cfg.encoder_mask_tokens:
            self.encoder_mask_token = nn.Parameter(torch.zeros(1, 1, cfg.dim))

        # decoder: its own width, one shared mask token, its own fixed positions
        self.decoder_embed = nn.Linear(cfg.dim, cfg.decoder_dim, bias=cfg.decoder_bias)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, cfg.decoder_dim))
        pos = cfg.positions(cfg.decoder_dim, self.grid)  # (N, Dd)
        pos = torch.cat([torch.zeros(1, cfg.decoder_dim), pos], dim=0) if cfg.cls_token else pos  # [CLS]'s row 0
        self.decoder_pos_embed = nn.Parameter(pos[None], requires_grad=False)  # (1, [1+]N, Dd)
        self.decoder_blocks = nn.ModuleList([Block(cfg.decoder_dim, cfg.decoder_heads, cfg.mlp_ratio)
                                             for _ in range(cfg.decoder_depth)])
        self.decoder_norm = LayerNorm(cfg.decoder_dim)
        self.decoder_pred = nn.Linear(cfg.decoder_dim, tokenizer.patch_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """MAE's initialization (:func:`~maelearn.vit.init_vit`), mask tokens normal(0.02)."""
        init_vit(self.encoder)
        nn.init.normal_(self.mask_token, std=0.02)
        for m in (self.decoder_embed, self.decoder_blocks, self.decoder_norm, self.decoder_pred):
            m.apply(init_weights)
        if self.config.encoder_mask_tokens:
            nn.init.normal_(self.encoder_mask_token, std=0.02)

    @property
    def tokenizer(self) -> nn.Module:
        return self.encoder.patch_embed

    # -- 1. masking ------------------------------------------------------------------
    def noise_shape(self, batch: int) -> tuple[int, int]:
        """(B, S) spatial noise for tube masking, (B, N) for every other strategy."""
        return (batch, math.prod(self.grid[1:]) if self.config.masking == "tube" else self.num_patches)

    def make_noise(self, batch: int, mask_ratio: float | None = None, generator: torch.Generator | None = None,
                   device: torch.device | str | None = None) -> torch.Tensor:
        """Scores of the configured strategy, :meth:`noise_shape`, on ``device``; uniform noise is
        drawn there directly (a host-to-GPU copy would stall every step)."""
        strategy = self.config.masking
        if strategy in ("random", "tube"):
            return random_noise(*self.noise_shape(batch), generator=generator, device=device)
        if strategy == "forecast":
            return forecast_noise(batch, self.num_patches, device=device)
        ratio = self.config.default_mask_ratio if mask_ratio is None else mask_ratio
        noise = strategy_noise(strategy, batch, self.grid, ratio, generator)  # block / grid (2D grids)
        return noise if device is None else noise.to(device)

    def mask_patches(self, patches: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None) -> Masked:
        """patches (B, N, P) -> :class:`~maelearn.masking.Masked`: the ones with the lowest
        noise are kept (the same spatial ones in every time slot under tube masking)."""
        b = patches.shape[0]
        keep = self.config.num_visible(self.grid, mask_ratio)  # validates the ratio
        noise = self.make_noise(b, mask_ratio, device=patches.device) if noise is None else noise
        noise = as_noise(noise, self.noise_shape(b), patches.device)
        if self.config.masking == "tube":
            return tube_masking(patches, self.grid[0], mask_ratio, noise=noise)
        return mask_by_noise(patches, noise, keep)

    # -- 2. encoder --------------------------------------------------------------------
    def forward_encoder(self, x: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None
                        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """input -> latent (B, [1+]K, D), mask (B, N), ids_restore (B, N)."""
        vis = self.mask_patches(self.tokenizer.patchify(x), mask_ratio, noise)  # visible (B, K, P)
        if not self.config.encoder_mask_tokens:
            # Mask first, then embed only the K visible patches: the same numbers as embedding
            # all N and dropping some, at a (1 - ratio) fraction of the cost.
            latent = self.encoder.forward_visible(vis.visible, vis.ids_keep)  # (B, [1+]K, D)
            return latent, vis.mask, vis.ids_restore
        # Table 1c's alternative: every position goes through the encoder, a learned mask
        # token in place of each removed patch, so the sequence stays in order (no unshuffle).
        tokens = self.encoder.patch_embed(x)  # (B, N, D)
        tokens = torch.where(vis.mask.unsqueeze(-1).bool(), self.encoder_mask_token.to(tokens.dtype), tokens)
        latent = self.encoder.run(tokens + self.encoder.patch_positions())  # (B, [1+]N, D)
        ids_restore = torch.arange(self.num_patches, device=x.device).expand(x.shape[0], -1)
        return latent, vis.mask, ids_restore

    # -- 3. decoder --------------------------------------------------------------------
    def forward_decoder(self, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
        """latent (B, [1+]K, D), ids_restore (B, N) -> predicted patches (B, N, P)."""
        x = self.decoder_embed(latent)  # (B, [1+]K, Dd)
        c = 1 if self.config.cls_token else 0
        if not self.config.encoder_mask_tokens:
            # mask tokens appended, then every token put back in its original place
            x = torch.cat([x[:, :c], unshuffle(x[:, c:], self.mask_token, ids_restore)], dim=1)  # (B, [1+]N, Dd)
        x = x + self.decoder_pos_embed
        for block in self.decoder_blocks:
            x = block(x)
        x = self.decoder_pred(self.decoder_norm(x))  # (B, [1+]N, P)
        return x[:, c:]  # drop [CLS]

    # -- 4. loss -----------------------------------------------------------------------
    def targets(self, x: torch.Tensor) -> torch.Tensor:
        """What the decoder predicts (B, N, P): the patches, with ``norm_pix_loss`` normalized per
        patch (MAE) or per patch and channel (VideoMAE)."""
        patches = self.tokenizer.patchify(x)
        if not self.config.norm_pix_loss:
            return patches
        if self.config.target == "channel":
            return channel_normalized_targets(patches, self.in_chans)
        return normalized_targets(patches)

    def forward_loss(self, x: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The MSE of ``pred`` (B, N, P) on the removed patches (on all with ``loss_on="all"``)."""
        target = self.targets(x)
        if self.config.loss_on == "all":
            return ((pred - target) ** 2).mean()
        return masked_mse(pred, target, mask)

    def forward(self, x: torch.Tensor, mask_ratio: float | None = None, noise: torch.Tensor | None = None) -> MAEOutput:
        """input (images (B, C, H, W), videos (B, C, T, H, W), ...) -> (loss, pred (B, N, P),
        mask (B, N)). ``mask_ratio`` defaults to the kind's (0.75 images, 0.9 video, ...)."""
        mask_ratio = self.config.default_mask_ratio if mask_ratio is None else mask_ratio
        x = self.check_input(x)
        latent, mask, ids_restore = self.forward_encoder(x, mask_ratio, noise)  # (B, [1+]K, D), (B, N), (B, N)
        pred = self.forward_decoder(latent, ids_restore)  # (B, N, P)
        return MAEOutput(self.forward_loss(x, pred, mask), pred, mask)

    # -- downstream and pictures ---------------------------------------------------------
    def check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Validate a batch (shape, channels, size, no NaN/inf); cast other float dtypes to the
        model's. The NaN/inf scan must wait for the values, so on a GPU it runs only outside
        training steps (there the engine's non-finite-loss check names the input)."""
        x = self.encoder.check_input(x).to(self.encoder.pos_embed.dtype)
        if not torch.compiler.is_compiling() and (x.device.type == "cpu" or not torch.is_grad_enabled()):
            check_finite(x, self.tokenizer.input_name)
        return x

    @torch.no_grad()
    def features(self, x: torch.Tensor, pool: str | None = None, batch_size: int = 256) -> torch.Tensor:
        """Frozen features (B, D) for a probe, every patch visible (:meth:`map_batches`), float32
        on the CPU. ``pool``: ``"cls"`` (MAE's linear probe; the default with a [CLS] token),
        ``"mean"`` of the patch tokens (VideoMAE's; the default without), or ``"time"`` (video):
        each time slot's spatial mean in time order (B, T/t * D), so that a *linear* probe can
        compare early and late slots."""
        pool = pool or self.config.default_pool or ("cls" if self.config.cls_token else "mean")
        if pool not in ("cls", "mean", "time"):
            raise ValueError(f"pool must be 'cls', 'mean' or 'time', got {pool!r}")
        if pool == "time" and len(self.grid) != 3:
            raise ValueError(f"pool='time' needs a (time, row, column) grid, and this model's grid is {self.grid}")

        def pooled(xb: torch.Tensor) -> torch.Tensor:
            if pool != "time":
                return self.encoder.features(xb, pool).float().cpu()  # (b, D)
            tokens = self.encoder(xb)[:, 1 if self.config.cls_token else 0 :]  # (b, N, D)
            return rearrange(tokens, "b (t s) d -> b t s d", t=self.grid[0]).mean(2).flatten(1).float().cpu()

        return torch.cat(self.map_batches(self.check_input(x), batch_size, pooled))

    @torch.no_grad()
    def map_batches(self, x: torch.Tensor, batch_size: int, fn: Callable[[torch.Tensor], Any]) -> list:
        """``fn`` of every batch of ``x`` moved to the model's device, without gradients, in
        eval mode (the model's mode is restored afterwards)."""
        device, was_training = self.encoder.pos_embed.device, self.training
        self.eval()
        try:
            return [fn(x[i : i + batch_size].to(device)) for i in range(0, x.shape[0], batch_size)]
        finally:
            self.train(was_training)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, mask_ratio: float | None = None, noise: torch.Tensor | None = None) -> dict:
        """The paper's Figure 2, each shaped like ``x``: ``masked``, ``reconstruction``, ``pasted``
        (visible patches pasted on the reconstruction), ``original``; the ``mask`` (B, N), the ``loss``.

        Norm-pix predictions are mapped back with the *hidden* patch's own mean and variance,
        information the model never saw; so a norm-pix model also returns ``control``, the same
        picture for a prediction of zeros, so that only the difference is credited to the model."""
        out = self.forward(x, mask_ratio, noise)
        x = self.check_input(x)
        tok, cfg = self.tokenizer, self.config
        patches = tok.patchify(x)  # (B, N, P)
        pred = out.pred.float()
        if cfg.norm_pix_loss:
            pred = _denormalize(pred, patches, cfg.target, self.in_chans)
        m = out.mask.unsqueeze(-1)  # (B, N, 1)
        kept = patches * (1 - m)  # the visible patches, zeros in place of the removed ones
        rec = {"masked": tok.unpatchify(kept), "reconstruction": tok.unpatchify(pred),
               "pasted": tok.unpatchify(kept + pred * m), "original": x, "mask": out.mask, "loss": out.loss.detach()}
        if cfg.norm_pix_loss:
            stats_only = _denormalize(torch.zeros_like(pred), patches, cfg.target, self.in_chans)
            rec["control"] = tok.unpatchify(kept + stats_only * m)
        return rec

    def encoder_sequence_length(self, mask_ratio: float) -> int:
        """Tokens the encoder processes: [CLS] (if any) + the visible (or, with mask tokens, all) patches."""
        cfg = self.config
        patches = self.num_patches if cfg.encoder_mask_tokens else cfg.num_visible(self.grid, mask_ratio)
        return int(cfg.cls_token) + patches

    def config_dict(self) -> dict:
        """The config as a plain dict (stored in checkpoints; see :meth:`BaseMAEConfig.to_dict`)."""
        return self.config.to_dict()


def build_mae(preset: str = "tiny", encoder_mask_tokens: bool = False, **overrides: Any) -> MAE:
    """An image MAE from a preset, e.g. ``build_mae("tiny", in_chans=1, img_size=16)``.
    Taught in lesson 08."""
    return MAE(mae_config(preset, encoder_mask_tokens=encoder_mask_tokens, **overrides))


__all__ = [
    "BaseMAEConfig", "MAE", "MAEConfig", "MAEOutput", "PRESETS", "build_mae", "channel_normalized_targets",
    "mae_config", "masked_mse", "normalized_targets", "preset_config",
]
