"""Denoising autoencoders (Vincent et al., 2008): corrupt the input, reconstruct the clean
version, keep the encoder's code as a representation. :func:`masking_noise` is the
corruption MAE inherits (pixels grown into patches); :func:`neighbour_average` is the
baseline that learns nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from maelearn.checkpoint import History
from maelearn.checks import check_float_tensor
from maelearn.train import TrainConfig, fit


def _check_float(x: object, name: str) -> None:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point torch.Tensor, got {type(x).__name__} {getattr(x, 'dtype', '')}")


def gaussian_noise(x: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Additive Gaussian corruption: ``x + sigma * torch.randn(x.shape, generator=generator)``, not
    clipped. x: any shape, floating point -> the same shape. Taught in lesson 05."""
    _check_float(x, "x")
    if not isinstance(sigma, (int, float)) or isinstance(sigma, bool) or sigma < 0:
        raise ValueError(f"sigma must be a number >= 0 (the noise's standard deviation), got {sigma!r}")
    return x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)


def masking_noise(x: torch.Tensor, p: float, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Masking corruption: each entry of ``x`` is set to 0 where ``torch.rand(x.shape,
    generator=generator) < p``. -> ``(x_noisy, mask)`` of ``x``'s shape, ``mask`` 1.0 where zeroed.
    Unlike dropout, the kept entries are *not* rescaled: the network must fill in, not average."""
    _check_float(x, "x")
    if not isinstance(p, (int, float)) or isinstance(p, bool):
        raise TypeError(f"p must be a number in [0, 1), got {p!r}")
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must be in [0, 1), got {p}")
    mask = (torch.rand(x.shape, generator=generator, device=x.device) < p).to(x.dtype)
    return x * (1.0 - mask), mask


def neighbour_average(x_noisy: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Inpaint by local interpolation: every corrupted pixel becomes the mean of its kept
    neighbours, a baseline with nothing learned. Taught in lesson 05.

    x_noisy: (..., H, W) floating point; mask: the same shape, 1.0 where corrupted (as from
    :func:`masking_noise`). Neighbours: the 3x3 window inside the image (no wrap-around); a
    corrupted pixel with no kept neighbour gets 0; kept pixels are returned unchanged."""
    _check_float(x_noisy, "x_noisy")
    if not isinstance(mask, torch.Tensor) or mask.shape != x_noisy.shape:
        raise ValueError(f"mask must be a tensor of x_noisy's shape {tuple(x_noisy.shape)}, got {getattr(mask, 'shape', type(mask).__name__)}")
    if x_noisy.ndim < 2:
        raise ValueError(f"x_noisy must have shape (..., H, W), got {tuple(x_noisy.shape)}")
    h, w = x_noisy.shape[-2:]
    corrupted = mask.to(torch.bool).reshape(-1, 1, h, w)
    kept = (~corrupted).to(x_noisy.dtype)
    x = x_noisy.reshape(-1, 1, h, w)
    window = torch.ones(1, 1, 3, 3, dtype=x.dtype, device=x.device)
    window[0, 0, 1, 1] = 0.0  # the pixel itself is not its own neighbour
    total = F.conv2d(x * kept, window, padding=1)  # zero padding: outside the image adds nothing...
    count = F.conv2d(kept, window, padding=1)  # ...and counts for nothing
    filled = torch.where(count > 0, total / count.clamp_min(1.0), torch.zeros_like(total))
    return torch.where(corrupted, filled, x).reshape(x_noisy.shape)


def dae_loss(recon: torch.Tensor, clean: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Reconstruction loss (a scalar): the mean of ``(recon - clean) ** 2`` over recon, clean (B, D)
    (or any equal shapes), or with ``mask`` (1 = corrupted) over the corrupted entries only, as
    MAE's loss on masked patches. The target is always the clean input, never the noisy one."""
    if not isinstance(recon, torch.Tensor) or not isinstance(clean, torch.Tensor):
        raise TypeError(f"recon and clean must be tensors, got {type(recon).__name__} and {type(clean).__name__}")
    if recon.shape != clean.shape:
        raise ValueError(f"recon has shape {tuple(recon.shape)} but clean has shape {tuple(clean.shape)}; they must match")
    err = (recon - clean) ** 2
    if mask is None:
        return err.mean()
    if mask.shape != clean.shape:
        raise ValueError(f"mask has shape {tuple(mask.shape)}, expected the shape of clean {tuple(clean.shape)}")
    return (err * mask).sum() / mask.sum().clamp_min(1.0)


class Autoencoder(nn.Module):
    """An MLP autoencoder on flattened images: D -> hidden -> code -> hidden -> D. The
    decoder ends in a sigmoid because the course's images lie in [0, 1]. Taught in lesson 04."""

    def __init__(self, in_dim: int, code_dim: int = 64, hidden: int = 256):
        super().__init__()
        if in_dim < 1 or code_dim < 1 or hidden < 1:
            raise ValueError(f"in_dim, code_dim and hidden must be positive, got {in_dim}, {code_dim}, {hidden}")
        self.in_dim = in_dim
        self.encoder = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, code_dim), nn.ReLU())
        self.decoder = nn.Sequential(nn.Linear(code_dim, hidden), nn.ReLU(), nn.Linear(hidden, in_dim), nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D) -> (B, code_dim)"""
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"x must have shape (B, {self.in_dim}), got {tuple(x.shape)}; flatten images with x.flatten(1)")
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D) -> (B, D) reconstruction in [0, 1]"""
        return self.decoder(self.encode(x))


Corruption = Callable[[torch.Tensor, torch.Generator], "tuple[torch.Tensor, torch.Tensor | None]"]


def train_autoencoder(model: Autoencoder, data: torch.Tensor, corruption: Corruption | None = None, epochs: int = 10,
                      batch_size: int = 128, lr: float = 2e-3, masked_loss: bool = False, seed: int = 0,
                      progress: bool = True) -> History:
    """Train ``model`` to reconstruct ``data`` (N, D) from corrupted copies with
    :func:`maelearn.train.fit`: ``corruption(x, generator) -> (x_noisy, mask_or_None)`` (``None``: a
    plain autoencoder); with ``masked_loss`` the loss counts only the corrupted entries. Adam at a
    constant ``lr``, every epoch all of ``data``. -> the History (``.epoch_loss``). Taught in lesson 04."""
    check_float_tensor(data, "data", 2, "(N, D)")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}")
    if masked_loss and corruption is None:
        raise ValueError("masked_loss=True needs a corruption that returns a mask")

    def loss_fn(net: nn.Module, x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        noisy, mask = (x, None) if corruption is None else corruption(x, g)
        return dae_loss(net(noisy), x, mask if masked_loss else None)

    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=0.0, betas=(0.9, 0.999),
                         schedule="constant", warmup_epochs=0, drop_last=False, seed=seed, precision="fp32",
                         device=str(next(model.parameters()).device))
    history = fit(model, data, loss_fn, config, progress=progress, desc="autoencoder")
    model.eval()
    return history


@torch.no_grad()
def reconstruction_error(model: Autoencoder, data: torch.Tensor, corruption: Corruption | None = None, seed: int = 1) -> float:
    """Mean squared error of ``model`` reconstructing clean ``data`` (N, D) from corrupted copies."""
    g = torch.Generator().manual_seed(seed)
    noisy = data if corruption is None else corruption(data, g)[0]
    return dae_loss(model(noisy), data).item()


__all__ = ["Autoencoder", "dae_loss", "gaussian_noise", "masking_noise", "neighbour_average", "reconstruction_error",
           "train_autoencoder"]
