"""VideoMAE (Tong et al., 2022) and MAE-ST (Feichtenhofer et al., 2022): MAE on space-time cubes.

The model is :class:`maelearn.mae.MAE` with a :class:`VideoMAEConfig`, which differs from the
image MAE only in: ``tubelet`` x p x p cubes (:class:`CubeEmbed`); ``"tube"`` (VideoMAE) or
``"random"`` (MAE-ST) masking at 90 %; 3-D or VideoMAE's 1-D interleaved sin-cos positions; no
[CLS] token; a bias-free encoder -> decoder layer; targets normalized per cube and channel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from maelearn.checks import check_float_tensor
from maelearn.mae import MAE, BaseMAEConfig, channel_normalized_targets, preset_config
from maelearn.masking import Masked, tube_masking, tube_num_visible
from maelearn.patches import patchify_video, unpatchify_video
from maelearn.posembed import sincos_1d, sincos_3d

MASKINGS = ("tube", "random")
POS_EMBEDS = ("3d", "1d")


# -- Functions the lesson builds on (and grades) ------------------------------------------
def cube_targets(videos: torch.Tensor, patch_size: int, tubelet: int = 2, eps: float = 1e-6) -> torch.Tensor:
    """VideoMAE's regression target: every cube normalized per channel over its own ``t*p*p``
    pixels, ``(x - mean) / (std + eps)``. videos (B, C, T, H, W) -> (B, N, t*p*p*C)."""
    return channel_normalized_targets(patchify_video(videos, patch_size, tubelet), videos.shape[1], eps)


def tube_mask(noise: torch.Tensor, frames: int, mask_ratio: float) -> torch.Tensor:
    """The tube mask of spatial ``noise`` (B, S): (B, frames * S), 1 = removed, in (time, space)
    raster order: in every slot the ``int(ratio * S)`` positions of highest noise (VideoMAE's rule)."""
    check_float_tensor(noise, "noise", 2, "(B, S)")
    b, s = noise.shape
    tokens = torch.zeros(b, frames * s, 1, dtype=noise.dtype, device=noise.device)  # only their order matters
    return tube_masking(tokens, frames, mask_ratio, noise=noise).mask


def temporal_leakage(mask: torch.Tensor, grid: tuple[int, int, int]) -> float:
    """VideoMAE's leakage argument as a number: the fraction of removed cubes whose spatial
    position is *visible* in the previous or next time slot (in slow video, copied instead of
    understood). 0 under tube masking, about ``1 - r**2`` under random masking at ratio r.
    mask (B, N) with N = T*H*W cubes in (time, row, column) order, 1 = removed."""
    check_float_tensor(mask, "mask", 2, "(B, N)")
    t, h, w = grid
    if mask.shape[1] != t * h * w:
        raise ValueError(f"mask has {mask.shape[1]} cubes, but grid={grid} has {t * h * w}")
    m = rearrange(mask, "b (t s) -> b t s", t=t).bool()  # (B, T, S)
    neighbour = torch.zeros_like(m)
    neighbour[:, 1:] |= ~m[:, :-1]  # visible in the previous slot
    neighbour[:, :-1] |= ~m[:, 1:]  # visible in the next slot
    removed = int(m.sum())
    return float((m & neighbour).sum()) / removed if removed else 0.0


def copy_neighbour_error(videos: torch.Tensor, mask: torch.Tensor, patch_size: int, tubelet: int = 2) -> float:
    """The pixel MSE over the removed cubes of the trivial predictor "copy the nearest visible cube
    at the same place in time" (the earlier slot wins a tie; with none, as under tube masking,
    the video's mean pixel). videos (B, C, T, H, W), mask (B, N) -> float
    Taught in lesson 10."""
    t = videos.shape[2] // tubelet
    x = rearrange(patchify_video(videos, patch_size, tubelet), "b (t s) p -> b t s p", t=t)  # (B, T, S, P)
    m = rearrange(mask, "b (t s) -> b t s", t=t).bool()
    fill = videos.mean(dim=(1, 2, 3, 4))[:, None, None, None].expand_as(x).clone()
    filled = torch.zeros_like(m)
    for dt in range(1, t):  # nearest first
        for i in range(t):
            for j in (i - dt, i + dt):
                if 0 <= j < t:
                    use = ~m[:, j] & ~filled[:, i]  # (B, S): visible there, not filled from nearer
                    fill[:, i][use] = x[:, j][use]
                    filled[:, i] |= use
    return float(((fill - x) ** 2).mean(-1)[m].mean())


# -- The model: MAE with a cube tokenizer -------------------------------------------------
class CubeEmbed(nn.Module):
    """Cut a video into t x p x p cubes and project each to ``dim``: a Conv3d with kernel = stride
    = cube, the same as a linear map on the cube vectors of :func:`patchify_video`."""

    input_name = "videos"

    def __init__(self, patch_size: int, tubelet: int, in_chans: int, dim: int, frames: int | None = None,
                 img_size: int | None = None):
        super().__init__()
        self.patch_size, self.tubelet, self.in_chans = patch_size, tubelet, in_chans
        self.frames, self.img_size = frames, img_size
        self.patch_dim = tubelet * patch_size**2 * in_chans
        if frames is not None and img_size is not None:
            s = img_size // patch_size
            self.grid = (frames // tubelet, s, s)
            self.num_patches = math.prod(self.grid)
        cube = (tubelet, patch_size, patch_size)
        self.proj = nn.Conv3d(in_chans, dim, kernel_size=cube, stride=cube)

    def check(self, videos: torch.Tensor, name: str = "videos") -> torch.Tensor:
        check_float_tensor(videos, name, 5, "(B, C, T, H, W)")
        want = (self.in_chans, self.frames, self.img_size, self.img_size)
        if tuple(videos.shape[1:]) != want:
            raise ValueError(f"{name} have shape (C, T, H, W) = {tuple(videos.shape[1:])}, but the model was built for {want}")
        return videos

    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, N, dim), every cube."""
        return rearrange(self.proj(videos), "b d t h w -> b (t h w) d")

    def patchify(self, videos: torch.Tensor) -> torch.Tensor:
        return patchify_video(videos, self.patch_size, self.tubelet)

    def unpatchify(self, cubes: torch.Tensor) -> torch.Tensor:
        return unpatchify_video(cubes, self.patch_size, self.tubelet, self.in_chans, self.grid)

    def linear_weight(self) -> torch.Tensor:
        """The kernel as a (dim, t*p*p*C) matrix on cube vectors in (frame, row, column, channel) order."""
        return rearrange(self.proj.weight, "d c u p q -> d (u p q c)")

    def embed_cubes(self, cubes: torch.Tensor) -> torch.Tensor:
        """(B, K, t*p*p*C) cube vectors -> (B, K, dim): only the cubes given."""
        return F.linear(cubes, self.linear_weight(), self.proj.bias)

    embed_patches = embed_cubes  # the name every tokenizer has


@dataclass(frozen=True)
class VideoMAEConfig(BaseMAEConfig):
    """A VideoMAE. Defaults are the paper's ViT-B: 16 frames of 224 x 224, 2 x 16 x 16 cubes,
    a 768-d 12-block encoder, a 384-d 4-block decoder (6 heads), tube masking."""

    decoder_dim: int = 384
    decoder_depth: int = 4
    decoder_heads: int = 6
    masking: str = "tube"  # "tube" (VideoMAE) | "random" (MAE-ST space-time)
    img_size: int = 224
    frames: int = 16
    patch_size: int = 16
    tubelet: int = 2
    in_chans: int = 3
    pos_embed: str = "3d"  # "3d" separable sin-cos | "1d" over the token index (VideoMAE code)

    kind: ClassVar[str] = "videomae"
    maskings: ClassVar[tuple[str, ...]] = MASKINGS
    cls_token: ClassVar[bool] = False
    decoder_bias: ClassVar[bool] = False
    target: ClassVar[str] = "channel"
    default_mask_ratio: ClassVar[float] = 0.9

    def __post_init__(self) -> None:
        super().__post_init__()
        self.require_ints("img_size", "frames", "patch_size", "tubelet", "in_chans")
        if self.pos_embed not in POS_EMBEDS:
            raise ValueError(f"pos_embed must be one of {POS_EMBEDS}, got {self.pos_embed!r}")
        if self.img_size % self.patch_size:
            raise ValueError(f"img_size={self.img_size} is not divisible by patch_size={self.patch_size}")
        if self.frames % self.tubelet:
            raise ValueError(f"frames={self.frames} is not divisible by tubelet={self.tubelet}")
        for name in ("dim", "decoder_dim"):
            if getattr(self, name) % 16 and self.pos_embed == "3d":
                raise ValueError(f"{name}={getattr(self, name)} must be divisible by 16 for pos_embed='3d'")

    @property
    def grid(self) -> tuple[int, int, int]:
        """(T/t, H/p, W/p): cubes along time, rows, columns."""
        s = self.img_size // self.patch_size
        return (self.frames // self.tubelet, s, s)

    @property
    def num_patches(self) -> int:
        return math.prod(self.grid)

    def make_tokenizer(self) -> CubeEmbed:
        return CubeEmbed(self.patch_size, self.tubelet, self.in_chans, self.dim, self.frames, self.img_size)

    def positions(self, dim: int, grid: tuple[int, ...]) -> torch.Tensor:
        if self.pos_embed == "3d":
            return sincos_3d(dim, *grid)
        return sincos_1d(dim, torch.arange(math.prod(grid)), interleaved=True)

    def num_visible(self, grid: tuple[int, ...], mask_ratio: float) -> int:
        """Tube and random masking keep the same number: ``T * (S - int(ratio * S))``."""
        return tube_num_visible(grid[0], grid[1] * grid[2], mask_ratio)


#: ``tiny`` fits the CPU lessons (8 frames of 32 x 32, 2 x 8 x 8 cubes = 64 tokens);
#: ``small`` is a bigger CPU/GPU model on the same clips; ``base`` is the paper's ViT-B.
PRESETS: dict[str, VideoMAEConfig] = {
    "tiny": VideoMAEConfig(img_size=32, frames=8, patch_size=8, tubelet=2, dim=64, depth=3, heads=4,
                           decoder_dim=48, decoder_depth=1, decoder_heads=4),
    "small": VideoMAEConfig(img_size=32, frames=8, patch_size=8, tubelet=2, dim=192, depth=6, heads=6,
                            decoder_dim=96, decoder_depth=2, decoder_heads=4),
    "base": VideoMAEConfig(pos_embed="1d"),
}


def videomae_config(preset: str = "tiny", **overrides: Any) -> VideoMAEConfig:
    """A preset's config with fields overridden, e.g. ``videomae_config("tiny", masking="random")``.
    Taught in lesson 10."""
    return preset_config(PRESETS, preset, **overrides)


class VideoMAE(MAE):
    """:class:`maelearn.mae.MAE` on videos (B, C, T, H, W) with a :class:`VideoMAEConfig`."""

    config_class = VideoMAEConfig

    def mask_cubes(self, cubes: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None) -> Masked:
        """cubes (B, N, P) -> :class:`~maelearn.masking.Masked` (the lesson's :meth:`MAE.mask_patches`)."""
        return self.mask_patches(cubes, mask_ratio, noise)


def build_videomae(preset: str = "tiny", **overrides: Any) -> VideoMAE:
    """A VideoMAE from a preset, e.g. ``build_videomae("tiny", masking="random")``.
    Taught in lesson 10."""
    return VideoMAE(videomae_config(preset, **overrides))


__all__ = [
    "CubeEmbed", "PRESETS", "VideoMAE", "VideoMAEConfig", "build_videomae", "copy_neighbour_error",
    "cube_targets", "temporal_leakage", "tube_mask", "videomae_config",
]
