"""VideoMAE (Tong et al., 2022) and MAE-ST (Feichtenhofer et al., 2022): the masked
autoencoder on space-time cubes.

What changes from the image MAE (:mod:`maelearn.mae`), and nothing else does:

1. **cubes**: a video (B, C, T, H, W) is cut into ``tubelet`` x p x p cubes
   (:func:`maelearn.patches.patchify_video`; the paper uses 2 x 16 x 16), embedded by a
   linear map, which is a ``Conv3d`` with kernel = stride = cube;
2. **masking**: ``"tube"`` (VideoMAE: one spatial mask, the same in every time slot,
   :func:`maelearn.masking.tube_masking`) or ``"random"`` (MAE-ST: random over all
   space-time cubes, :func:`maelearn.masking.spacetime_masking`), at a 90 % ratio;
3. **positions**: fixed sin-cos. ``pos_embed="3d"`` (default here) gives time a quarter
   of the dimensions and splits the rest between column and row
   (:func:`maelearn.posembed.sincos_3d`); ``pos_embed="1d"`` is what VideoMAE's
   reference code does: a 1D sin-cos table over the flattened token index
   (:func:`maelearn.posembed.sincos_1d`). The ``base`` preset uses ``"1d"``;
4. **no [CLS] token**: VideoMAE pools the mean of the encoder tokens downstream;
5. **encoder -> decoder** through a *bias-free* linear layer;
6. **target**: each cube normalized *per channel* over its t*p*p pixels, with the
   unbiased std and eps added to the std: ``(x - mean) / (std + 1e-6)``
   (:func:`cube_targets`); the loss is the mean squared error on removed cubes only.

``VideoMAE.forward(videos, mask_ratio=0.9, noise=None)`` returns ``(loss, pred, mask)``
like :class:`maelearn.mae.MAE`, so the same training engine drives both. Tube masking
takes spatial noise (B, S) with S = (H/p)(W/p); random masking takes noise (B, N) with
N = (T/t) * S.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from maelearn.checks import check_float_tensor, check_mask_ratio
from maelearn.mae import MAEOutput, masked_mse
from maelearn.masking import Masked, num_visible, random_noise, spacetime_masking, tube_masking, unshuffle
from maelearn.patches import patchify_video, unpatchify_video
from maelearn.posembed import sincos_1d, sincos_3d
from maelearn.vit import Block, LayerNorm, init_weights

MASKINGS = ("tube", "random")
POS_EMBEDS = ("3d", "1d")


@dataclass(frozen=True)
class VideoMAEConfig:
    """Sizes and switches of a VideoMAE. Defaults are the paper's ViT-B: 16 frames of
    224 x 224, 2 x 16 x 16 cubes, a 768-d 12-block encoder and a 384-d 4-block decoder
    (6 heads), tube masking."""

    img_size: int = 224
    frames: int = 16
    patch_size: int = 16
    tubelet: int = 2
    in_chans: int = 3
    dim: int = 768
    depth: int = 12
    heads: int = 12
    decoder_dim: int = 384
    decoder_depth: int = 4
    decoder_heads: int = 6
    mlp_ratio: float = 4.0
    norm_pix_loss: bool = True
    masking: str = "tube"  # "tube" (VideoMAE) | "random" (MAE-ST space-time)
    pos_embed: str = "3d"  # "3d" separable sin-cos | "1d" over the token index (VideoMAE code)

    def __post_init__(self):
        if self.masking not in MASKINGS:
            raise ValueError(f"masking must be one of {MASKINGS}, got {self.masking!r}")
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
        t, h, w = self.grid
        return t * h * w


#: ``tiny`` fits the CPU lessons (8 frames of 32 x 32, 2 x 8 x 8 cubes = 64 tokens);
#: ``small`` is a bigger CPU/GPU model on the same clips; ``base`` is the paper's ViT-B.
PRESETS: dict[str, VideoMAEConfig] = {
    "tiny": VideoMAEConfig(img_size=32, frames=8, patch_size=8, tubelet=2, dim=64, depth=3, heads=4,
                           decoder_dim=48, decoder_depth=1, decoder_heads=4),
    "small": VideoMAEConfig(img_size=32, frames=8, patch_size=8, tubelet=2, dim=192, depth=6, heads=6,
                            decoder_dim=96, decoder_depth=2, decoder_heads=4),
    "base": VideoMAEConfig(pos_embed="1d"),
}


def videomae_config(preset: str = "tiny", **overrides) -> VideoMAEConfig:
    """A preset's config with fields overridden, e.g. ``videomae_config("tiny", masking="random")``."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    return replace(PRESETS[preset], **overrides)


# ---------------------------------------------------------------------------------------
# Functions the lesson builds on (and grades)
# ---------------------------------------------------------------------------------------


def cube_targets(videos: torch.Tensor, patch_size: int, tubelet: int = 2, eps: float = 1e-6) -> torch.Tensor:
    """VideoMAE's regression target: every cube normalized per channel over its own
    ``tubelet * p * p`` pixels, ``(x - mean) / (std + eps)`` with the unbiased std.

    videos (B, C, T, H, W) -> (B, N, t*p*p*C) in the order of :func:`patchify_video`."""
    cubes = patchify_video(videos, patch_size, tubelet)  # (B, N, t*p*p*C)
    c = videos.shape[1]
    per_channel = rearrange(cubes, "b n (k c) -> b n k c", c=c)  # (B, N, t*p*p, C)
    mean = per_channel.mean(dim=2, keepdim=True)
    std = per_channel.std(dim=2, keepdim=True)  # unbiased, as VideoMAE's code
    normed = (per_channel - mean) / (std + eps)
    return rearrange(normed, "b n k c -> b n (k c)")


def tube_mask(noise: torch.Tensor, frames: int, mask_ratio: float) -> torch.Tensor:
    """The tube mask of spatial ``noise`` (B, S): (B, frames * S), 1 = removed, in
    (time, space) raster order. In every time slot the ``int(S * (1 - ratio))`` spatial
    positions with the lowest noise are kept; the mask is the same in every slot."""
    check_float_tensor(noise, "noise", 2, "(B, S)")
    b, s = noise.shape
    dummy = torch.zeros(b, frames * s, 1, dtype=noise.dtype, device=noise.device)
    return tube_masking(dummy, frames, mask_ratio, noise=noise).mask


def temporal_leakage(mask: torch.Tensor, grid: tuple[int, int, int]) -> float:
    """The leakage argument of VideoMAE, as a number: the fraction of removed cubes whose
    spatial position is *visible* in the previous or the next time slot. In slowly
    changing video such a cube can be copied from its neighbour instead of understood.
    Tube masking makes it 0; random space-time masking at ratio r leaves about
    ``1 - r**2`` (an interior cube has two neighbours).

    mask (B, N) with N = T*H*W cubes in (time, row, column) order, 1 = removed."""
    check_float_tensor(mask, "mask", 2, "(B, N)")
    t, h, w = grid
    if mask.shape[1] != t * h * w:
        raise ValueError(f"mask has {mask.shape[1]} cubes, but grid={grid} has {t * h * w}")
    m = rearrange(mask, "b (t s) -> b t s", t=t).bool()  # (B, T, S)
    visible = ~m
    neighbour = torch.zeros_like(m)
    neighbour[:, 1:] |= visible[:, :-1]  # visible in the previous slot
    neighbour[:, :-1] |= visible[:, 1:]  # visible in the next slot
    removed = int(m.sum())
    if removed == 0:
        return 0.0
    return float((m & neighbour).sum()) / removed


def copy_neighbour_error(videos: torch.Tensor, mask: torch.Tensor, patch_size: int, tubelet: int = 2) -> float:
    """How well the trivial "copy the nearest visible cube at the same place in time"
    predictor reconstructs the removed cubes: the mean squared error (pixels) over all
    removed cubes. A removed cube with no visible cube at its spatial position (every one
    under tube masking) is filled with the video's mean pixel instead.

    videos (B, C, T, H, W), mask (B, N) -> float"""
    cubes = patchify_video(videos, patch_size, tubelet)  # (B, N, P)
    b, n, p = cubes.shape
    t = videos.shape[2] // tubelet
    x = rearrange(cubes, "b (t s) p -> b t s p", t=t)
    m = rearrange(mask, "b (t s) -> b t s", t=t).bool()
    fill = videos.mean(dim=(1, 2, 3, 4))[:, None, None, None].expand_as(x).clone()  # (B, T, S, P)
    best = torch.full(m.shape, float("inf"), device=videos.device)  # distance in time slots
    for dt in range(1, t):
        for src in (lambda i: i - dt, lambda i: i + dt):
            for i in range(t):
                j = src(i)
                if not 0 <= j < t:
                    continue
                use = (~m[:, j]) & (best[:, i] > dt)  # (B, S): visible there, nearer than before
                fill[:, i][use] = x[:, j][use]
                best[:, i][use] = dt
    err = ((fill - x) ** 2).mean(-1)  # (B, T, S)
    return float(err[m].mean())


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------


class CubeEmbed(nn.Module):
    """Cut a video into t x p x p cubes and project each to ``dim``: a Conv3d with
    kernel = stride = cube, the same as a linear map on the cube vectors of
    :func:`patchify_video`."""

    def __init__(self, patch_size: int, tubelet: int, in_chans: int, dim: int):
        super().__init__()
        self.patch_size, self.tubelet, self.in_chans = patch_size, tubelet, in_chans
        self.proj = nn.Conv3d(in_chans, dim, kernel_size=(tubelet, patch_size, patch_size),
                              stride=(tubelet, patch_size, patch_size))

    def forward(self, videos: torch.Tensor) -> torch.Tensor:
        """(B, C, T, H, W) -> (B, N, dim), every cube."""
        return rearrange(self.proj(videos), "b d t h w -> b (t h w) d")

    def linear_weight(self) -> torch.Tensor:
        """The kernel as a (dim, t*p*p*C) matrix on cube vectors in (frame, row, column,
        channel) order."""
        return rearrange(self.proj.weight, "d c u p q -> d (u p q c)")

    def embed_cubes(self, cubes: torch.Tensor) -> torch.Tensor:
        """(B, K, t*p*p*C) cube vectors -> (B, K, dim): only the cubes given."""
        return F.linear(cubes, self.linear_weight(), self.proj.bias)


def _positions(kind: str, dim: int, grid: tuple[int, int, int]) -> torch.Tensor:
    """(1, N, dim) fixed positions."""
    if kind == "3d":
        return sincos_3d(dim, *grid)[None]
    return sincos_1d(dim, torch.arange(grid[0] * grid[1] * grid[2]))[None]


class VideoMAE(nn.Module):
    """Masked autoencoder on space-time cubes: encoder over the visible cubes only, a light
    decoder over all positions, loss on the removed cubes."""

    def __init__(self, config: VideoMAEConfig | None = None, **overrides):
        super().__init__()
        cfg = replace(config or VideoMAEConfig(), **overrides)
        self.config = cfg
        self.patch_size, self.tubelet, self.in_chans = cfg.patch_size, cfg.tubelet, cfg.in_chans
        self.grid = cfg.grid
        self.num_patches = cfg.num_patches
        self.dim = cfg.dim
        self.cube_dim = cfg.tubelet * cfg.patch_size**2 * cfg.in_chans

        self.patch_embed = CubeEmbed(cfg.patch_size, cfg.tubelet, cfg.in_chans, cfg.dim)
        self.pos_embed = nn.Parameter(_positions(cfg.pos_embed, cfg.dim, self.grid), requires_grad=False)
        self.blocks = nn.ModuleList([Block(cfg.dim, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth)])
        self.norm = LayerNorm(cfg.dim)

        self.encoder_to_decoder = nn.Linear(cfg.dim, cfg.decoder_dim, bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, cfg.decoder_dim))
        self.decoder_pos_embed = nn.Parameter(_positions(cfg.pos_embed, cfg.decoder_dim, self.grid), requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            [Block(cfg.decoder_dim, cfg.decoder_heads, cfg.mlp_ratio) for _ in range(cfg.decoder_depth)]
        )
        self.decoder_norm = LayerNorm(cfg.decoder_dim)
        self.decoder_pred = nn.Linear(cfg.decoder_dim, self.cube_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """MAE's initialization (xavier-uniform Linear and cube projection as a matrix,
        biases 0, LayerNorm 1/0, mask token normal(0.02))."""
        w = self.patch_embed.proj.weight
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.zeros_(self.patch_embed.proj.bias)
        nn.init.normal_(self.mask_token, std=0.02)
        for m in (self.blocks, self.norm, self.encoder_to_decoder, self.decoder_blocks, self.decoder_norm, self.decoder_pred):
            m.apply(init_weights)

    # -- 1. masking ------------------------------------------------------------------
    @property
    def time_slots(self) -> int:
        return self.grid[0]

    def noise_shape(self, batch: int) -> tuple[int, int]:
        """(B, S) for tube masking, (B, N) for random space-time masking."""
        s = self.grid[1] * self.grid[2]
        return (batch, s) if self.config.masking == "tube" else (batch, self.num_patches)

    def make_noise(
        self, batch: int, mask_ratio: float | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Uniform noise of :meth:`noise_shape` (the ratio is not needed: both strategies
        draw uniform scores; the argument keeps the engine's call ``make_noise(B, ratio,
        generator=g)`` the same for every model)."""
        return random_noise(*self.noise_shape(batch), generator=generator)

    def mask_cubes(self, cubes: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None) -> Masked:
        """cubes (B, N, P) -> :class:`~maelearn.masking.Masked` by the configured strategy."""
        if noise is None:
            noise = self.make_noise(cubes.shape[0]).to(cubes.device)
        expected = self.noise_shape(cubes.shape[0])
        if tuple(noise.shape) != expected:
            raise ValueError(
                f"noise must have shape {expected} for masking={self.config.masking!r}, got {tuple(noise.shape)}"
            )
        if self.config.masking == "tube":
            return tube_masking(cubes, self.time_slots, mask_ratio, noise=noise)
        return spacetime_masking(cubes, mask_ratio, noise=noise)

    # -- 2. encoder --------------------------------------------------------------------
    def forward_encoder(
        self, videos: torch.Tensor, mask_ratio: float, noise: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """videos (B, C, T, H, W) -> latent (B, K, D), mask (B, N), ids_restore (B, N)."""
        cubes = patchify_video(videos, self.patch_size, self.tubelet)  # (B, N, t*p*p*C)
        b = cubes.shape[0]
        vis = self.mask_cubes(cubes, mask_ratio, noise)
        pos = self.pos_embed.expand(b, -1, -1)  # (B, N, D)
        vis_pos = torch.gather(pos, 1, vis.ids_keep.unsqueeze(-1).expand(-1, -1, self.dim))  # (B, K, D)
        x = self.patch_embed.embed_cubes(vis.visible) + vis_pos  # (B, K, D)
        for block in self.blocks:
            x = block(x)
        return self.norm(x), vis.mask, vis.ids_restore

    def encode(self, videos: torch.Tensor) -> torch.Tensor:
        """Every cube, no masking: (B, C, T, H, W) -> (B, N, D) normalized tokens."""
        self.check_input(videos)
        x = self.patch_embed(videos) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    @torch.no_grad()
    def features(self, videos: torch.Tensor, pool: str = "mean") -> torch.Tensor:
        """Frozen features for a probe, no masking, no gradients. ``pool="mean"``: the mean
        of all encoder tokens (B, D), VideoMAE's pooling (it has no [CLS]);
        ``pool="time"``: the mean over space in each time slot, concatenated in time
        order (B, T/t * D), so a *linear* probe can compare early and late slots (a
        motion direction is a difference over time, which a global mean averages away)."""
        tokens = self.encode(videos)  # (B, N, D)
        if pool == "mean":
            return tokens.mean(dim=1)
        if pool == "time":
            return rearrange(tokens, "b (t s) d -> b t s d", t=self.time_slots).mean(2).flatten(1)
        raise ValueError(f"pool must be 'mean' or 'time', got {pool!r}")

    # -- 3. decoder --------------------------------------------------------------------
    def forward_decoder(self, latent: torch.Tensor, ids_restore: torch.Tensor) -> torch.Tensor:
        """latent (B, K, D), ids_restore (B, N) -> predicted cubes (B, N, t*p*p*C)."""
        x = self.encoder_to_decoder(latent)  # (B, K, Dd), no bias
        x = unshuffle(x, self.mask_token, ids_restore) + self.decoder_pos_embed  # (B, N, Dd)
        for block in self.decoder_blocks:
            x = block(x)
        return self.decoder_pred(self.decoder_norm(x))

    # -- 4. loss -----------------------------------------------------------------------
    def targets(self, videos: torch.Tensor) -> torch.Tensor:
        """(B, N, t*p*p*C): per-cube per-channel normalized pixels with ``norm_pix_loss``."""
        if self.config.norm_pix_loss:
            return cube_targets(videos, self.patch_size, self.tubelet)
        return patchify_video(videos, self.patch_size, self.tubelet)

    def forward(self, videos: torch.Tensor, mask_ratio: float = 0.9, noise: torch.Tensor | None = None) -> MAEOutput:
        """videos (B, C, T, H, W) -> (loss, pred (B, N, t*p*p*C), mask (B, N))."""
        self.check_input(videos)
        latent, mask, ids_restore = self.forward_encoder(videos, mask_ratio, noise)
        pred = self.forward_decoder(latent, ids_restore)
        loss = masked_mse(pred, self.targets(videos), mask)
        return MAEOutput(loss, pred, mask)

    # -- helpers -----------------------------------------------------------------------
    def check_input(self, videos: torch.Tensor) -> None:
        check_float_tensor(videos, "videos", 5, "(B, C, T, H, W)")
        cfg = self.config
        want = (cfg.in_chans, cfg.frames, cfg.img_size, cfg.img_size)
        if tuple(videos.shape[1:]) != want:
            raise ValueError(
                f"videos have shape (C, T, H, W) = {tuple(videos.shape[1:])}, but the model was built for {want}"
            )

    def encoder_sequence_length(self, mask_ratio: float) -> int:
        """Tokens the encoder processes (no [CLS]): the visible cubes."""
        check_mask_ratio(mask_ratio, self.num_patches)
        if self.config.masking == "tube":
            return self.time_slots * num_visible(self.grid[1] * self.grid[2], mask_ratio)
        return num_visible(self.num_patches, mask_ratio)

    def config_dict(self) -> dict:
        """The config as a plain dict (stored in checkpoints by :mod:`maelearn.train`)."""
        return {"kind": "videomae", **asdict(self.config)}

    @torch.no_grad()
    def reconstruct(self, videos: torch.Tensor, mask_ratio: float = 0.9, noise: torch.Tensor | None = None) -> dict:
        """Videos for a frame-by-frame figure: ``masked``, ``reconstruction``, ``pasted``
        (visible cubes pasted on the reconstruction) and ``original``, each
        (B, C, T, H, W) in pixel space (normalized predictions mapped back with each cube's
        own per-channel mean and std), plus ``mask`` (B, N) and ``loss``."""
        out = self.forward(videos, mask_ratio, noise)
        cubes = patchify_video(videos, self.patch_size, self.tubelet)
        pred = out.pred.float()
        c = self.in_chans
        if self.config.norm_pix_loss:
            per = rearrange(cubes, "b n (k c) -> b n k c", c=c)
            mean, std = per.mean(2, keepdim=True), per.std(2, keepdim=True)
            pred = rearrange(rearrange(pred, "b n (k c) -> b n k c", c=c) * (std + 1e-6) + mean, "b n k c -> b n (k c)")
        m = out.mask.unsqueeze(-1)
        kw = dict(patch_size=self.patch_size, tubelet=self.tubelet, channels=c, grid=self.grid)
        return {
            "masked": unpatchify_video(cubes * (1 - m), **kw),
            "reconstruction": unpatchify_video(pred, **kw),
            "pasted": unpatchify_video(cubes * (1 - m) + pred * m, **kw),
            "original": videos,
            "mask": out.mask,
            "loss": out.loss.detach(),
        }


def build_videomae(preset: str = "tiny", **overrides) -> VideoMAE:
    """A VideoMAE from a preset, e.g. ``build_videomae("tiny", masking="random")``."""
    return VideoMAE(videomae_config(preset, **overrides))


def videomae_from_config(cfg: dict) -> VideoMAE:
    """Inverse of :meth:`VideoMAE.config_dict`."""
    return VideoMAE(VideoMAEConfig(**{k: v for k, v in cfg.items() if k != "kind"}))


__all__ = [
    "CubeEmbed", "PRESETS", "VideoMAE", "VideoMAEConfig", "build_videomae", "copy_neighbour_error",
    "cube_targets", "temporal_leakage", "tube_mask", "videomae_config", "videomae_from_config",
]
