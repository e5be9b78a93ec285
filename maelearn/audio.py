"""Audio-MAE (Huang et al., 2022): the image MAE on log-mel spectrograms.

A spectrogram is a one-channel image whose two axes mean different things: rows are mel
frequency bands, columns are time frames. Audio-MAE cuts it into square patches over
(frequency, time), masks most of them at random (the paper's best pretraining ratio is
0.8, unstructured) and reconstructs the removed ones, with the image MAE's recipe.

What this module adds to :mod:`maelearn.mae`, and nothing more:

* :func:`log_mel`: clips (B, L) -> normalized log-mel spectrograms (B, 1, n_mels, frames),
  built on :mod:`maelearn.classic.spectral` (lesson 02's mel filterbank);
* :class:`SpectrogramMAE`: :class:`maelearn.mae.MAE` with ``in_chans=1`` and a
  *rectangular* input (``n_mels`` x ``frames``, e.g. 32 x 64), which the square image MAE
  does not take; only the patch embedding's shape check and the two position tables
  change, everything else (masking, encoder, decoder, loss, ``reconstruct``) is MAE's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
from einops import rearrange
from torch import nn

from maelearn.checks import check_float_tensor, check_images
from maelearn.classic.spectral import mel_spectrogram, mfcc, power_to_db
from maelearn.mae import MAE, MAEConfig
from maelearn.posembed import sincos_2d
from maelearn.vit import PatchEmbed


@dataclass(frozen=True)
class SpectrogramMAEConfig:
    """Sizes of a spectrogram MAE: input ``n_mels`` x ``frames`` cut into ``patch_size``
    squares. Defaults suit the course's 1 s clips on a CPU; the ``base`` preset is the
    paper's ViT-B on 128 mel bands x 1024 frames (16 x 16 patches, decoder 512-d, 8 blocks,
    16 heads; the paper's local-window decoder attention is not reproduced)."""

    n_mels: int = 32
    frames: int = 64
    patch_size: int = 4
    dim: int = 96
    depth: int = 4
    heads: int = 4
    decoder_dim: int = 64
    decoder_depth: int = 2
    decoder_heads: int = 4
    mlp_ratio: float = 4.0
    norm_pix_loss: bool = True

    def __post_init__(self):
        for name in ("n_mels", "frames"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1 or v % self.patch_size:
                raise ValueError(f"{name}={v!r} must be a positive multiple of patch_size={self.patch_size}")

    @property
    def grid(self) -> tuple[int, int]:
        """(frequency rows, time columns) of patches."""
        return (self.n_mels // self.patch_size, self.frames // self.patch_size)

    def mae_config(self) -> MAEConfig:
        return MAEConfig(
            img_size=self.n_mels, patch_size=self.patch_size, in_chans=1, dim=self.dim, depth=self.depth,
            heads=self.heads, decoder_dim=self.decoder_dim, decoder_depth=self.decoder_depth,
            decoder_heads=self.decoder_heads, mlp_ratio=self.mlp_ratio, norm_pix_loss=self.norm_pix_loss,
        )


PRESETS: dict[str, SpectrogramMAEConfig] = {
    "tiny": SpectrogramMAEConfig(),
    "base": SpectrogramMAEConfig(n_mels=128, frames=1024, patch_size=16, dim=768, depth=12, heads=12,
                                 decoder_dim=512, decoder_depth=8, decoder_heads=16),
}


def spectrogram_mae_config(preset: str = "tiny", **overrides) -> SpectrogramMAEConfig:
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    return replace(PRESETS[preset], **overrides)


class RectPatchEmbed(PatchEmbed):
    """:class:`maelearn.vit.PatchEmbed` for an ``(height, width)`` input that need not be
    square (the projection is the same strided convolution)."""

    def __init__(self, size: tuple[int, int], patch_size: int, in_chans: int, dim: int):
        h, w = size
        if h % patch_size or w % patch_size:
            raise ValueError(f"size={size} is not divisible by patch_size={patch_size}")
        super().__init__(h, patch_size, in_chans, dim)
        self.size = (h, w)
        self.grid = (h // patch_size, w // patch_size)
        self.num_patches = self.grid[0] * self.grid[1]

    def forward(self, imgs: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, N, dim)"""
        check_images(imgs, self.patch_size, self.in_chans)
        if tuple(imgs.shape[-2:]) != self.size:
            raise ValueError(f"input has size {tuple(imgs.shape[-2:])}, but the model was built for {self.size}")
        return rearrange(self.proj(imgs), "b d h w -> b (h w) d")


class SpectrogramMAE(MAE):
    """MAE on (B, 1, n_mels, frames) log-mel spectrograms; patches in (frequency, time)
    raster order. ``forward(specs, mask_ratio=0.8, noise=None) -> (loss, pred, mask)``."""

    def __init__(self, config: SpectrogramMAEConfig | None = None, **overrides):
        spec_cfg = replace(config or SpectrogramMAEConfig(), **overrides)
        super().__init__(spec_cfg.mae_config())
        self.spec_config = spec_cfg
        self.spec_size = (spec_cfg.n_mels, spec_cfg.frames)
        cfg = self.config
        enc = self.encoder
        enc.patch_embed = RectPatchEmbed(self.spec_size, cfg.patch_size, 1, cfg.dim)
        self.grid = enc.patch_embed.grid
        self.num_patches = enc.patch_embed.num_patches
        enc.pos_embed = nn.Parameter(sincos_2d(cfg.dim, *self.grid, cls_token=True)[None], requires_grad=False)
        self.decoder_pos_embed = nn.Parameter(
            sincos_2d(cfg.decoder_dim, *self.grid, cls_token=True)[None], requires_grad=False
        )
        self.reset_parameters()

    def check_input(self, specs: torch.Tensor) -> None:
        check_images(specs, self.patch_size, 1, name="specs")
        if tuple(specs.shape[-2:]) != self.spec_size:
            raise ValueError(
                f"specs have size (n_mels, frames) = {tuple(specs.shape[-2:])}, but the model was built for {self.spec_size}"
            )

    def forward(self, specs: torch.Tensor, mask_ratio: float = 0.8, noise: torch.Tensor | None = None):
        """specs (B, 1, n_mels, frames) -> (loss, pred (B, N, p*p), mask (B, N))."""
        return super().forward(specs, mask_ratio, noise)

    @torch.no_grad()
    def features(self, specs: torch.Tensor) -> torch.Tensor:
        """(B, 1, n_mels, frames) -> (B, D): the mean of the encoder's patch tokens (the
        paper's downstream pooling), no masking, no gradients (frozen, for a probe)."""
        self.check_input(specs)
        return self.encoder.features(specs, pool="mean")

    def config_dict(self) -> dict:
        return {"kind": "spectrogram_mae", **asdict(self.spec_config)}


# ---------------------------------------------------------------------------------------
# From waves to model inputs
# ---------------------------------------------------------------------------------------


def log_mel(
    waves: torch.Tensor, sr: int, n_mels: int = 32, frames: int = 64, n_fft: int = 512, hop: int | None = None
) -> torch.Tensor:
    """Log-mel spectrograms (dB, floored 80 dB below each clip's peak) of clips
    ``waves`` (B, L): (B, 1, n_mels, frames). ``hop`` defaults to ``L // frames`` so the
    clip fills ``frames`` columns; extra columns are cropped, missing ones padded with the
    clip's floor. Not yet normalized: see :func:`normalize_specs`."""
    check_float_tensor(waves, "waves", 2, "(B, L)")
    hop = hop or max(1, waves.shape[1] // frames)
    db = power_to_db(mel_spectrogram(waves, sr, n_fft=n_fft, hop=hop, n_mels=n_mels))  # (B, n_mels, T')
    t = db.shape[-1]
    if t >= frames:
        db = db[..., :frames]
    else:
        floor = db.amin(dim=(-2, -1), keepdim=True).expand(-1, n_mels, frames - t)
        db = torch.cat([db, floor], dim=-1)
    return db.unsqueeze(1).float()


def spec_stats(train_specs: torch.Tensor) -> tuple[float, float]:
    """The training set's mean and std (one number each), as Audio-MAE normalizes its
    inputs with its dataset's statistics."""
    return float(train_specs.mean()), float(train_specs.std())


def normalize_specs(train: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Normalize spectrograms with the *training* set's mean and std (one scalar each, so
    the relative loudness of bands and clips survives): ``(x - mean) / std`` for ``train``
    and every other set. Returns a list (train first)."""
    mean, std = spec_stats(train)
    return [(x - mean) / std for x in (train, *others)]


def mfcc_features(waves: torch.Tensor, sr: int, n_mfcc: int = 13, n_mels: int = 40, n_fft: int = 512,
                  hop: int = 256) -> torch.Tensor:
    """Lesson 02's clip descriptor: the mean and the std over time of each MFCC.
    waves (B, L) -> (B, 2 * n_mfcc)."""
    check_float_tensor(waves, "waves", 2, "(B, L)")
    c = mfcc(mel_spectrogram(waves, sr, n_fft=n_fft, hop=hop, n_mels=n_mels), n_mfcc)  # (B, n_mfcc, T)
    return torch.cat([c.mean(-1), c.std(-1)], dim=1).float()


def build_spectrogram_mae(preset: str = "tiny", **overrides) -> SpectrogramMAE:
    return SpectrogramMAE(spectrogram_mae_config(preset, **overrides))


__all__ = [
    "PRESETS", "RectPatchEmbed", "SpectrogramMAE", "SpectrogramMAEConfig", "build_spectrogram_mae", "log_mel",
    "mfcc_features", "normalize_specs", "spec_stats", "spectrogram_mae_config",
]
