"""The MAE recipe on multichannel time series (B, C, L): a 1-D "patch" masked autoencoder.

A token is ``p`` consecutive steps of every channel (:func:`patchify_series`); masking is random
or hides the last patches (``"forecast"``); positions are 1-D sin-cos. The model is
:class:`maelearn.mae.MAE` with a :class:`TimeSeriesMAEConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from einops import rearrange
from torch import nn

from maelearn.checks import check_float_tensor, check_int
from maelearn.mae import MAE, BaseMAEConfig, normalized_targets, preset_config
from maelearn.masking import forecast_noise, num_visible
from maelearn.posembed import sincos_1d

MASKINGS = ("random", "forecast")


# -- Tokens, masks, targets: the functions the lesson builds on (and grades) --------------
def _check_series(series: object, p: int | None = None, name: str = "series") -> torch.Tensor:
    series = check_float_tensor(series, name, 3, "(B, C, L)")
    if p is not None:
        check_int("patch size p", p)
        if series.shape[-1] % p:
            raise ValueError(f"{name} has length L={series.shape[-1]}, which is not divisible by p={p}")
    return series


def patchify_series(series: torch.Tensor, p: int) -> torch.Tensor:
    """Cut series into patches of ``p`` consecutive steps. series (B, C, L) -> (B, L/p, p*C),
    inside a patch in (step, channel) order: step 0 of every channel, then step 1, ..."""
    _check_series(series, p)
    return rearrange(series, "b c (n p) -> b n (p c)", p=p)


def unpatchify_series(patches: torch.Tensor, p: int, channels: int) -> torch.Tensor:
    """Inverse of :func:`patchify_series`: (B, N, p*C) -> (B, C, N*p)."""
    check_float_tensor(patches, "patches", 3, "(B, N, p*C)")
    if patches.shape[-1] != p * channels:
        raise ValueError(f"patches have {patches.shape[-1]} values each, expected p*C = {p}*{channels} = {p * channels}")
    return rearrange(patches, "b n (p c) -> b c (n p)", p=p, c=channels)


def series_targets(series: torch.Tensor, p: int, norm: bool = True, eps: float = 1e-6) -> torch.Tensor:
    """What the decoder predicts: the patches of :func:`patchify_series`, with ``norm`` each normalized
    over its own p*C values (:func:`~maelearn.mae.normalized_targets`). (B, C, L) -> (B, L/p, p*C).
    Taught in lesson 12."""
    patches = patchify_series(series, p)
    return normalized_targets(patches, eps) if norm else patches


def forecast_mask(batch: int, num_patches: int, mask_ratio: float) -> torch.Tensor:
    """A forecasting mask (B, N), 1 = removed: the first ``int(N * (1 - mask_ratio))`` patches
    stay visible (as many as random masking keeps), every later one is removed."""
    check_int("batch", batch)
    mask = torch.ones(batch, num_patches)
    mask[:, : num_visible(num_patches, mask_ratio)] = 0.0
    return mask


def normalize_series(train: torch.Tensor, *others: torch.Tensor, eps: float = 1e-6) -> list[torch.Tensor]:
    """Standardize every channel with the *training* set's per-channel mean and std (over series
    and steps). (N, C, L) sets -> a list, train first. Taught in lesson 12."""
    _check_series(train, name="train")
    mean, std = train.mean(dim=(0, 2), keepdim=True), train.std(dim=(0, 2), keepdim=True)  # (1, C, 1)
    return [(x - mean) / (std + eps) for x in (train, *others)]


def spectrum_features(series: torch.Tensor, bins: int = 32) -> torch.Tensor:
    """A hand-made descriptor to compare with: log(1 + |X|) of the lowest ``bins`` frequencies of
    every channel's real FFT (mean removed: invariant to phase and offset). (B, C, L) -> (B, C*bins).
    Taught in lesson 12."""
    _check_series(series)
    if not 1 <= bins <= series.shape[-1] // 2 + 1:
        raise ValueError(f"bins must be in [1, L/2 + 1 = {series.shape[-1] // 2 + 1}], got {bins!r}")
    mag = torch.fft.rfft(series - series.mean(-1, keepdim=True), dim=-1).abs()[..., :bins]  # (B, C, bins)
    return torch.log1p(mag).flatten(1).float()


# -- The model: MAE with a series tokenizer -----------------------------------------------
class SeriesEmbed(nn.Module):
    """The tokenizer of a series (B, C, L): patches of :func:`patchify_series`, each projected to
    ``dim`` by one linear map (``proj``)."""

    input_name = "series"

    def __init__(self, length: int, patch_size: int, channels: int, dim: int):
        super().__init__()
        if length % patch_size:
            raise ValueError(f"length={length} is not divisible by patch_size={patch_size}")
        self.length, self.patch_size, self.in_chans = length, patch_size, channels
        self.grid = (length // patch_size,)
        self.num_patches = self.grid[0]
        self.patch_dim = patch_size * channels
        self.proj = nn.Linear(self.patch_dim, dim)

    def check(self, series: torch.Tensor, name: str = "series") -> torch.Tensor:
        _check_series(series, self.patch_size, name)
        if tuple(series.shape[1:]) != (self.in_chans, self.length):
            raise ValueError(f"{name} have (C, L) = {tuple(series.shape[1:])}, but the model was built for "
                             f"{(self.in_chans, self.length)}")
        return series

    def patchify(self, series: torch.Tensor) -> torch.Tensor:
        return patchify_series(series, self.patch_size)

    def unpatchify(self, patches: torch.Tensor) -> torch.Tensor:
        return unpatchify_series(patches, self.patch_size, self.in_chans)

    def embed_patches(self, patches: torch.Tensor) -> torch.Tensor:
        """(B, K, p*C) -> (B, K, dim)"""
        return self.proj(patches)

    def forward(self, series: torch.Tensor) -> torch.Tensor:
        """(B, C, L) -> (B, N, dim), every patch."""
        return self.embed_patches(self.patchify(self.check(series)))


@dataclass(frozen=True)
class TimeSeriesMAEConfig(BaseMAEConfig):
    """A time-series MAE. Defaults (``tiny``) suit the course's 3 x 128 activity series on a CPU:
    16 patches of 8 steps, a 64-d 3-block encoder, a 32-d 1-block decoder."""

    dim: int = 64
    depth: int = 3
    heads: int = 4
    decoder_dim: int = 32
    decoder_depth: int = 1
    decoder_heads: int = 4
    channels: int = 3
    length: int = 128
    patch_size: int = 8

    kind: ClassVar[str] = "timeseries_mae"
    maskings: ClassVar[tuple[str, ...]] = MASKINGS

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_ints("channels", "length", "patch_size")
        if self.length % self.patch_size:
            raise ValueError(f"length={self.length} is not divisible by patch_size={self.patch_size}")
        for dim in ("dim", "decoder_dim"):
            if getattr(self, dim) % 2:
                raise ValueError(f"{dim}={getattr(self, dim)} must be even for 1-D sin-cos positions")

    @property
    def num_patches(self) -> int:
        return self.length // self.patch_size

    def make_tokenizer(self) -> SeriesEmbed:
        return SeriesEmbed(self.length, self.patch_size, self.channels, self.dim)

    def positions(self, dim: int, grid: tuple[int, ...]) -> torch.Tensor:
        return sincos_1d(dim, torch.arange(grid[0]))


#: ``tiny`` for the CPU lesson; ``small`` a wider model for a GPU run on longer series.
PRESETS: dict[str, TimeSeriesMAEConfig] = {
    "tiny": TimeSeriesMAEConfig(),
    "small": TimeSeriesMAEConfig(length=512, patch_size=16, dim=192, depth=6, heads=6, decoder_dim=96,
                                 decoder_depth=2, decoder_heads=4),
}


def timeseries_mae_config(preset: str = "tiny", **overrides: Any) -> TimeSeriesMAEConfig:
    """A preset's config with fields overridden, e.g. ``timeseries_mae_config("tiny", masking="forecast")``."""
    return preset_config(PRESETS, preset, **overrides)


class TimeSeriesMAE(MAE):
    """:class:`maelearn.mae.MAE` on series (B, C, L) with a :class:`TimeSeriesMAEConfig`."""

    config_class = TimeSeriesMAEConfig


def build_timeseries_mae(preset: str = "tiny", **overrides: Any) -> TimeSeriesMAE:
    """A time-series MAE from a preset, e.g. ``build_timeseries_mae("tiny", channels=6)``.
    Taught in lesson 12."""
    return TimeSeriesMAE(timeseries_mae_config(preset, **overrides))


# -- Reading a trained encoder: frozen features and the masked loss under either mask -----
#: How the encoder's tokens become one feature vector: the mean patch token, the [CLS] token,
#: or (``"past"``) the mean token of the patches a forecasting mask leaves visible.
POOLS = ("mean", "cls", "past")


def encoder_features(model: TimeSeriesMAE, x: torch.Tensor, pool: str = "mean", mask_ratio: float = 0.75,
                     batch_size: int = 256) -> torch.Tensor:
    """Frozen features (N, D) of ``model``'s encoder, float32 on the CPU: ``"mean"`` and ``"cls"``
    as :meth:`~maelearn.mae.MAE.features`; ``"past"`` the mean encoder token when a forecasting
    mask at ``mask_ratio`` hides the later patches (what a forecasting-pretrained encoder saw).
    Taught in lesson 12."""
    if pool in ("mean", "cls"):
        return model.features(x, pool=pool, batch_size=batch_size)
    if pool != "past":
        raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
    skip = int(model.config.cls_token)

    def past(xb: torch.Tensor) -> torch.Tensor:
        latent, _, _ = model.forward_encoder(xb, mask_ratio, forecast_noise(xb.shape[0], model.num_patches, xb.device))
        return latent[:, skip:].mean(1).float().cpu()

    return torch.cat(model.map_batches(model.check_input(x), batch_size, past))


def reconstruction_losses(model: TimeSeriesMAE, x: torch.Tensor, mask_ratio: float = 0.75, seed: int = 0,
                          batch_size: int = 256) -> dict[str, float]:
    """The masked reconstruction loss of ``model`` on ``x``, means over the series, with a random
    mask (noise drawn with ``seed``) and the forecasting mask at ``mask_ratio``:
    ``{"random": ..., "forecast": ...}``. Taught in lesson 12."""
    g = torch.Generator().manual_seed(seed)

    def batch_losses(xb: torch.Tensor) -> dict[str, float]:
        b = xb.shape[0]
        noises = {"random": torch.rand(b, model.num_patches, generator=g).to(xb.device),
                  "forecast": forecast_noise(b, model.num_patches, xb.device)}
        return {name: float(model(xb, mask_ratio, noise=noise).loss) * b for name, noise in noises.items()}

    per_batch = model.map_batches(x, batch_size, batch_losses)  # each batch's losses x its size
    return {name: sum(losses[name] for losses in per_batch) / x.shape[0] for name in ("random", "forecast")}


__all__ = [
    "MASKINGS", "POOLS", "PRESETS", "SeriesEmbed", "TimeSeriesMAE", "TimeSeriesMAEConfig", "build_timeseries_mae",
    "encoder_features", "forecast_mask", "forecast_noise", "normalize_series", "patchify_series", "reconstruction_losses",
    "series_targets", "spectrum_features", "timeseries_mae_config", "unpatchify_series",
]
