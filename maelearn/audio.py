"""Audio-MAE (Huang et al., 2022): the image MAE on log-mel spectrograms.

A spectrogram (from :mod:`maelearn.classic.spectral`, re-exported here) is a one-channel image,
``"freq_time"`` (n_mels x frames) or ``"time_freq"`` (Audio-MAE's layout, the ``base`` preset's),
cut into square patches, most masked at random (the paper's best ratio is 0.8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from maelearn.classic.spectral import LAYOUTS, log_mel, mfcc_features, normalize_specs  # the model's inputs
from maelearn.mae import MAE, BaseMAEConfig, preset_config
from maelearn.posembed import sincos_2d
from maelearn.vit import PatchEmbed


class SpectrogramEmbed(PatchEmbed):
    """:class:`maelearn.vit.PatchEmbed` on one-channel spectrograms (errors say ``specs``)."""

    input_name = "specs"


@dataclass(frozen=True)
class SpectrogramMAEConfig(BaseMAEConfig):
    """A spectrogram MAE. Defaults suit the course's 1 s clips on a CPU; the ``base`` preset is the
    paper's ViT-B on 1024 frames x 128 mel bands (without its local-window decoder attention)."""

    dim: int = 96
    depth: int = 4
    heads: int = 4
    decoder_dim: int = 64
    decoder_depth: int = 2
    decoder_heads: int = 4
    n_mels: int = 32
    frames: int = 64
    patch_size: int = 4
    layout: str = "freq_time"

    kind: ClassVar[str] = "spectrogram_mae"
    default_mask_ratio: ClassVar[float] = 0.8
    default_pool: ClassVar[str] = "mean"  # Audio-MAE's downstream pooling

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_ints("patch_size")
        for name in ("n_mels", "frames"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1 or v % self.patch_size:
                raise ValueError(f"{name}={v!r} must be a positive multiple of patch_size={self.patch_size}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {self.layout!r}")

    @property
    def size(self) -> tuple[int, int]:
        """The input's (height, width): (n_mels, frames), or (frames, n_mels) for ``"time_freq"``."""
        return (self.n_mels, self.frames) if self.layout == "freq_time" else (self.frames, self.n_mels)

    @property
    def grid(self) -> tuple[int, int]:
        """Rows and columns of patches (frequency x time, or time x frequency)."""
        h, w = self.size
        return (h // self.patch_size, w // self.patch_size)

    def make_tokenizer(self) -> SpectrogramEmbed:
        return SpectrogramEmbed(self.size, self.patch_size, 1, self.dim)

    def positions(self, dim: int, grid: tuple[int, ...]) -> torch.Tensor:
        return sincos_2d(dim, *grid)


PRESETS: dict[str, SpectrogramMAEConfig] = {
    "tiny": SpectrogramMAEConfig(),
    "base": SpectrogramMAEConfig(n_mels=128, frames=1024, patch_size=16, dim=768, depth=12, heads=12,
                                 decoder_dim=512, decoder_depth=8, decoder_heads=16, layout="time_freq"),
}


def spectrogram_mae_config(preset: str = "tiny", **overrides: Any) -> SpectrogramMAEConfig:
    """The spectrogram MAE's config from a preset, fields overridden by name.
    Taught in lesson 11."""
    return preset_config(PRESETS, preset, **overrides)


class SpectrogramMAE(MAE):
    """:class:`maelearn.mae.MAE` on (B, 1, H, W) log-mel spectrograms in the config's layout."""

    config_class = SpectrogramMAEConfig


def build_spectrogram_mae(preset: str = "tiny", **overrides: Any) -> SpectrogramMAE:
    """A spectrogram MAE from a preset, e.g. ``build_spectrogram_mae("tiny", layout="time_freq")``.
    Taught in lesson 11."""
    return SpectrogramMAE(spectrogram_mae_config(preset, **overrides))


__all__ = [
    "LAYOUTS", "PRESETS", "SpectrogramEmbed", "SpectrogramMAE", "SpectrogramMAEConfig", "build_spectrogram_mae", "log_mel",
    "mfcc_features", "normalize_specs", "spectrogram_mae_config",
]
