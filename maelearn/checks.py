"""Input validation shared by the library: clear errors that name the argument, the value and what was expected,
raised before a shape error deep inside torch would be."""

from __future__ import annotations

import torch


def check_int(name: str, value: object, low: int = 1, unit: str = "") -> None:
    """``value`` must be an int (not a bool) >= ``low`` (``unit`` follows the bound in the message, e.g.
    ``" frames"``)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}{unit}, got {value!r}")


def check_float_tensor(x: object, name: str, ndim: int, layout: str) -> torch.Tensor:
    """``x`` must be a floating-point tensor with ``ndim`` dimensions (``layout`` names them, e.g.
    ``"(B, C, H, W)"``) and a non-empty batch."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape {layout}, got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"{name} must have shape {layout} ({ndim} dimensions), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be floating point (e.g. float32 in [0, 1]), got dtype {x.dtype}; "
                        f"convert integer images with {name}.float() / 255")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(x.shape)}); expected at least one sample")
    return x


def check_images(imgs: object, patch_size: int | None = None, channels: int | None = None, name: str = "imgs") -> torch.Tensor:
    """Validate an image batch (B, C, H, W): ``channels`` channels, sides divisible by ``patch_size``."""
    imgs = check_float_tensor(imgs, name, 4, "(B, C, H, W)")
    _, c, h, w = imgs.shape
    if channels is not None and c != channels:
        raise ValueError(f"{name} has {c} channels (shape {tuple(imgs.shape)}), but the model expects {channels}")
    if patch_size is not None and (h % patch_size or w % patch_size):
        raise ValueError(f"{name} has size {h}x{w}, which is not divisible by patch_size={patch_size}; "
                         f"resize or crop to a multiple of {patch_size}")
    return imgs


def check_finite(x: torch.Tensor, name: str) -> torch.Tensor:
    """``x`` must hold no NaN or inf (a corrupt input, not a learning-rate problem)."""
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} contains {bad} NaN or inf value(s) (shape {tuple(x.shape)}); clean the input data")
    return x
