"""The MAE recipe on multichannel time series: a 1-D "patch" masked autoencoder.

The recipe is four choices; for a series (B, C, L) of C channels and L steps:

1. **a token** is a patch of ``p`` consecutive steps of every channel, a vector of p*C
   values in (step, channel) order (:func:`patchify_series`), like an image patch's
   (row, column, channel), so a series becomes N = L/p tokens;
2. **masking** draws MAE's noise per patch and keeps the ``int(N * (1 - ratio))`` lowest
   (``masking="random"``), or hides the *last* patches (``"forecast"``,
   :func:`forecast_mask`), which turns the pretext task into forecasting;
3. **the target** is the removed patches' values, per-patch normalized (mean and
   unbiased variance over the p*C values, :func:`maelearn.mae.normalized_targets`) when
   ``norm_target`` is on (:func:`series_targets`); the loss is the mean squared error on
   removed patches only (:func:`maelearn.mae.masked_mse`);
4. **the encoder sees** the visible patches only, with a [CLS] token and fixed 1-D sin-cos
   positions (:func:`maelearn.posembed.sincos_1d`); a light decoder gets the encoder's
   tokens, one shared mask token per removed patch, its own positions, and predicts the
   p*C values of every patch.

``TimeSeriesMAE.forward(series, mask_ratio=0.75, noise=None)`` returns
:class:`maelearn.mae.MAEOutput` ``(loss, pred, mask)``, so :func:`maelearn.train.pretrain`
trains it like the image, video and audio MAEs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
from einops import rearrange
from torch import nn

from maelearn.checks import check_float_tensor, check_mask_ratio
from maelearn.mae import MAEOutput, masked_mse, normalized_targets
from maelearn.masking import Masked, mask_by_noise, num_visible, random_noise, unshuffle
from maelearn.posembed import sincos_1d
from maelearn.vit import Block, LayerNorm, init_weights

MASKINGS = ("random", "forecast")


# ---------------------------------------------------------------------------------------
# Tokens, masks, targets: the functions the lesson builds on (and grades)
# ---------------------------------------------------------------------------------------


def _check_series(series: object, p: int | None = None, name: str = "series") -> torch.Tensor:
    series = check_float_tensor(series, name, 3, "(B, C, L)")
    if p is not None:
        if not isinstance(p, int) or isinstance(p, bool) or p < 1:
            raise ValueError(f"patch size p must be an int >= 1, got {p!r}")
        if series.shape[-1] % p:
            raise ValueError(f"{name} has length L={series.shape[-1]}, which is not divisible by p={p}")
    return series


def patchify_series(series: torch.Tensor, p: int) -> torch.Tensor:
    """Cut series into non-overlapping patches of ``p`` consecutive steps.

    series (B, C, L) -> (B, L/p, p*C); inside a patch the values are in (step, channel)
    order: step 0 of every channel, then step 1, ..."""
    _check_series(series, p)
    return rearrange(series, "b c (n p) -> b n (p c)", p=p)


def unpatchify_series(patches: torch.Tensor, p: int, channels: int) -> torch.Tensor:
    """Inverse of :func:`patchify_series`: (B, N, p*C) -> (B, C, N*p)."""
    check_float_tensor(patches, "patches", 3, "(B, N, p*C)")
    if patches.shape[-1] != p * channels:
        raise ValueError(f"patches have {patches.shape[-1]} values each, expected p*C = {p}*{channels} = {p * channels}")
    return rearrange(patches, "b n (p c) -> b c (n p)", p=p, c=channels)


def series_targets(series: torch.Tensor, p: int, norm: bool = True, eps: float = 1e-6) -> torch.Tensor:
    """What the decoder predicts: the patches of :func:`patchify_series`, each normalized
    over its own p*C values (mean, unbiased variance, ``(x - mean) / sqrt(var + eps)``)
    when ``norm``. (B, C, L) -> (B, L/p, p*C)."""
    patches = patchify_series(series, p)
    return normalized_targets(patches, eps) if norm else patches


def forecast_noise(batch: int, num_patches: int, device=None) -> torch.Tensor:
    """Masking noise (B, N) that ranks patches by time, so :func:`maelearn.masking.mask_by_noise`
    keeps the earliest and removes the latest: the score of patch ``i`` is ``i``."""
    return torch.arange(num_patches, dtype=torch.float32, device=device).expand(batch, -1).clone()


def forecast_mask(batch: int, num_patches: int, mask_ratio: float) -> torch.Tensor:
    """A forecasting mask (B, N), 1 = removed: the first ``int(N * (1 - mask_ratio))``
    patches stay visible (the same count as random masking keeps), every later one is
    removed, the same in every row."""
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise ValueError(f"batch must be an int >= 1, got {batch!r}")
    keep = num_visible(num_patches, mask_ratio)
    mask = torch.ones(batch, num_patches)
    mask[:, :keep] = 0.0
    return mask


def normalize_series(train: torch.Tensor, *others: torch.Tensor, eps: float = 1e-6) -> list[torch.Tensor]:
    """Standardize every channel with the *training* set's per-channel mean and std (over
    series and steps): ``(x - mean_c) / (std_c + eps)``. (N, C, L) sets -> a list, train
    first."""
    _check_series(train, name="train")
    mean = train.mean(dim=(0, 2), keepdim=True)  # (1, C, 1)
    std = train.std(dim=(0, 2), keepdim=True)
    return [(x - mean) / (std + eps) for x in (train, *others)]


def spectrum_features(series: torch.Tensor, bins: int = 32) -> torch.Tensor:
    """A hand-made descriptor to compare with: the magnitude of the real FFT of every
    channel (its mean removed), the lowest ``bins`` frequencies, log(1 + |X|).
    (B, C, L) -> (B, C*bins). Invariant to phase and offset by construction."""
    _check_series(series)
    if not 1 <= bins <= series.shape[-1] // 2 + 1:
        raise ValueError(f"bins must be in [1, L/2 + 1 = {series.shape[-1] // 2 + 1}], got {bins!r}")
    mag = torch.fft.rfft(series - series.mean(-1, keepdim=True), dim=-1).abs()[..., :bins]  # (B, C, bins)
    return torch.log1p(mag).flatten(1).float()


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeSeriesMAEConfig:
    """Sizes and switches of a time-series MAE. Defaults (``tiny``) suit the course's 3 x 128
    activity series on a CPU: 16 patches of 8 steps, a 64-d 3-block encoder, a 32-d
    1-block decoder."""

    channels: int = 3
    length: int = 128
    patch_size: int = 8
    dim: int = 64
    depth: int = 3
    heads: int = 4
    decoder_dim: int = 32
    decoder_depth: int = 1
    decoder_heads: int = 4
    mlp_ratio: float = 4.0
    norm_target: bool = True
    masking: str = "random"  # "random" (MAE) | "forecast" (hide the last patches)

    def __post_init__(self):
        if self.masking not in MASKINGS:
            raise ValueError(f"masking must be one of {MASKINGS}, got {self.masking!r}")
        for name in ("channels", "length", "patch_size", "dim", "depth", "heads", "decoder_dim", "decoder_depth",
                     "decoder_heads"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        if self.length % self.patch_size:
            raise ValueError(f"length={self.length} is not divisible by patch_size={self.patch_size}")
        for dim, heads in (("dim", "heads"), ("decoder_dim", "decoder_heads")):
            if getattr(self, dim) % 2 or getattr(self, dim) % getattr(self, heads):
                raise ValueError(f"{dim}={getattr(self, dim)} must be even and divisible by {heads}={getattr(self, heads)}")

    @property
    def num_patches(self) -> int:
        return self.length // self.patch_size


#: ``tiny`` for the CPU lesson; ``small`` a wider model for a GPU run on longer series.
PRESETS: dict[str, TimeSeriesMAEConfig] = {
    "tiny": TimeSeriesMAEConfig(),
    "small": TimeSeriesMAEConfig(length=512, patch_size=16, dim=192, depth=6, heads=6, decoder_dim=96,
                                 decoder_depth=2, decoder_heads=4),
}


def timeseries_mae_config(preset: str = "tiny", **overrides) -> TimeSeriesMAEConfig:
    """A preset's config with fields overridden, e.g. ``timeseries_mae_config("tiny", masking="forecast")``."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    return replace(PRESETS[preset], **overrides)


def _positions(dim: int, n: int) -> torch.Tensor:
    """(1, 1+N, dim): a zero row for [CLS], then 1-D sin-cos of the patch index."""
    return torch.cat([torch.zeros(1, dim), sincos_1d(dim, torch.arange(n))], dim=0)[None]


class TimeSeriesMAE(nn.Module):
    """The asymmetric masked autoencoder on patches of a multichannel series."""

    def __init__(self, config: TimeSeriesMAEConfig | None = None, **overrides):
        super().__init__()
        cfg = replace(config or TimeSeriesMAEConfig(), **overrides)
        self.config = cfg
        self.patch_size, self.channels = cfg.patch_size, cfg.channels
        self.num_patches = cfg.num_patches
        patch_dim = cfg.patch_size * cfg.channels

        self.patch_embed = nn.Linear(patch_dim, cfg.dim)  # one linear map per patch vector
        self.cls_token = nn.Parameter(torch.zeros(1, 1, cfg.dim))
        self.pos_embed = nn.Parameter(_positions(cfg.dim, self.num_patches), requires_grad=False)
        self.blocks = nn.ModuleList([Block(cfg.dim, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth)])
        self.norm = LayerNorm(cfg.dim)

        self.decoder_embed = nn.Linear(cfg.dim, cfg.decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, cfg.decoder_dim))
        self.decoder_pos_embed = nn.Parameter(_positions(cfg.decoder_dim, self.num_patches), requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            [Block(cfg.decoder_dim, cfg.decoder_heads, cfg.mlp_ratio) for _ in range(cfg.decoder_depth)]
        )
        self.decoder_norm = LayerNorm(cfg.decoder_dim)
        self.decoder_pred = nn.Linear(cfg.decoder_dim, patch_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """MAE's initialization: xavier-uniform Linear (biases 0), LayerNorm 1/0, [CLS] and
        mask token normal(0.02)."""
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        self.apply(init_weights)

    # -- 1. masking ------------------------------------------------------------------
    def make_noise(self, batch: int, mask_ratio: float | None = None, generator: torch.Generator | None = None,
                   device=None) -> torch.Tensor:
        """Noise (B, N) of the configured strategy: uniform for ``"random"``, the patch
        index for ``"forecast"`` (the engine calls ``make_noise(B, ratio, generator=g)``)."""
        if self.config.masking == "forecast":
            return forecast_noise(batch, self.num_patches, device=device)
        return random_noise(batch, self.num_patches, generator=generator, device=device)

    def mask_patches(self, patches: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None) -> Masked:
        """patches (B, N, p*C) -> :class:`~maelearn.masking.Masked` (keep the lowest noise)."""
        b, n, _ = patches.shape
        keep = check_mask_ratio(mask_ratio, n)
        if noise is None:
            noise = self.make_noise(b, mask_ratio, device=patches.device)
        return mask_by_noise(patches, noise, keep)

    # -- 2. encoder --------------------------------------------------------------------
    def _encode(self, tokens: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """tokens (B, K, p*C), their positions (B, K, D) -> (B, 1+K, D) after [CLS] and blocks."""
        x = self.patch_embed(tokens) + pos
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)  # (B, 1, D)
        x = torch.cat([cls, x], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward_encoder(self, series: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None):
        """series (B, C, L) -> latent (B, 1+K, D), mask (B, N), ids_restore (B, N)."""
        patches = patchify_series(series, self.patch_size)  # (B, N, p*C)
        vis = self.mask_patches(patches, mask_ratio, noise)
        pos = self.pos_embed[:, 1:].expand(patches.shape[0], -1, -1)  # (B, N, D)
        vis_pos = torch.gather(pos, 1, vis.ids_keep.unsqueeze(-1).expand(-1, -1, pos.shape[-1]))  # (B, K, D)
        return self._encode(vis.visible, vis_pos), vis.mask, vis.ids_restore

    # -- 3. decoder --------------------------------------------------------------------
    def forward_decoder(self, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
        """latent (B, 1+K, D), ids_restore (B, N) -> predictions (B, N, p*C)."""
        x = self.decoder_embed(latent)  # (B, 1+K, Dd)
        x_ = unshuffle(x[:, 1:], self.mask_token, ids_restore)  # (B, N, Dd) in time order
        x = torch.cat([x[:, :1], x_], dim=1) + self.decoder_pos_embed  # (B, 1+N, Dd)
        for block in self.decoder_blocks:
            x = block(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:]

    # -- 4. loss -----------------------------------------------------------------------
    def forward(self, series: torch.Tensor, mask_ratio: float = 0.75, noise: torch.Tensor | None = None) -> MAEOutput:
        """series (B, C, L) float -> (loss, pred (B, N, p*C), mask (B, N))."""
        self.check_input(series)
        latent, mask, ids_restore = self.forward_encoder(series, mask_ratio, noise)
        pred = self.forward_decoder(latent, ids_restore)
        target = series_targets(series, self.patch_size, self.config.norm_target)
        return MAEOutput(masked_mse(pred, target, mask), pred, mask)

    # -- helpers -----------------------------------------------------------------------
    def check_input(self, series: torch.Tensor) -> None:
        _check_series(series, self.patch_size)
        if tuple(series.shape[1:]) != (self.channels, self.config.length):
            raise ValueError(f"series have (C, L) = {tuple(series.shape[1:])}, but the model was built for "
                             f"{(self.channels, self.config.length)}")

    @torch.no_grad()
    def features(self, series: torch.Tensor, pool: str = "cls", batch_size: int = 512) -> torch.Tensor:
        """Frozen features (B, C, L) -> (B, D): the encoder's [CLS] token (``pool="cls"``,
        what MAE's linear probe reads) or the mean of its patch tokens (``"mean"``), every
        patch visible, no gradients,
        in eval mode (the mode is restored), on the model's device, returned on the CPU."""
        if pool not in ("cls", "mean"):
            raise ValueError(f"pool must be 'cls' or 'mean', got {pool!r}")
        self.check_input(series)
        dev = self.pos_embed.device
        was_training = self.training
        self.eval()
        out = []
        try:
            for i in range(0, series.shape[0], batch_size):
                patches = patchify_series(series[i : i + batch_size].to(dev), self.patch_size)
                tokens = self._encode(patches, self.pos_embed[:, 1:])  # (b, 1+N, D)
                out.append((tokens[:, 1:].mean(1) if pool == "mean" else tokens[:, 0]).float().cpu())
        finally:
            self.train(was_training)
        return torch.cat(out)

    @torch.no_grad()
    def reconstruct(self, series: torch.Tensor, mask_ratio: float = 0.75, noise: torch.Tensor | None = None) -> dict:
        """Series for a reconstruction figure, each (B, C, L) in input units: ``original``,
        ``reconstruction`` (normalized predictions mapped back with each patch's own mean
        and variance), ``pasted`` (visible patches kept, removed ones predicted), plus the
        ``mask`` (B, N) and the ``loss``."""
        out = self.forward(series, mask_ratio, noise)
        patches = patchify_series(series, self.patch_size)
        pred = out.pred.float()
        if self.config.norm_target:
            mean, var = patches.mean(-1, keepdim=True), patches.var(-1, keepdim=True)
            pred = pred * (var + 1e-6) ** 0.5 + mean
        m = out.mask.unsqueeze(-1)
        back = lambda x: unpatchify_series(x, self.patch_size, self.channels)  # noqa: E731
        return {"original": series, "reconstruction": back(pred), "pasted": back(patches * (1 - m) + pred * m),
                "mask": out.mask, "loss": out.loss.detach()}

    def config_dict(self) -> dict:
        return {"kind": "timeseries_mae", **asdict(self.config)}


def build_timeseries_mae(preset: str = "tiny", **overrides) -> TimeSeriesMAE:
    """A time-series MAE from a preset, e.g. ``build_timeseries_mae("tiny", channels=6)``."""
    return TimeSeriesMAE(timeseries_mae_config(preset, **overrides))


__all__ = [
    "MASKINGS", "PRESETS", "TimeSeriesMAE", "TimeSeriesMAEConfig", "build_timeseries_mae", "forecast_mask",
    "forecast_noise", "normalize_series", "patchify_series", "series_targets", "spectrum_features",
    "timeseries_mae_config", "unpatchify_series",
]
