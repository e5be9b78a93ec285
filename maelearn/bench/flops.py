"""How much arithmetic an MAE pretraining step is: an analytic count of matrix-multiply
FLOPs, and the model-FLOPs utilisation (MFU) it gives against a GPU's peak.

Only matrix multiplies count, each ``2 * m * n * k`` FLOPs (norms, GELU, softmax, the loss
and the optimizer are left out, as usual for model FLOPs): the patch embed of the ``K``
visible patches, the encoder on ``1 + K`` tokens, the decoder on ``1 + N``, the prediction
head. A training step is 3x the forward pass. Every implementation we benchmark is charged
the same count, so MFU compares them fairly.
"""

from __future__ import annotations

from dataclasses import dataclass

from maelearn.masking import num_visible

#: Peak dense bf16 tensor-core TFLOP/s (no sparsity) from the vendors' data sheets, keyed
#: by a piece of ``torch.cuda.get_device_name()``. Checked in order: the first match wins,
#: so specific names come before general ones ("H100 PCIe" before "H100", "L40" before "L4").
#: A GPU not listed gets ``None`` (pass ``--peak-tflops`` to the bench).
PEAK_BF16_TFLOPS: tuple[tuple[str, float], ...] = (
    ("GH200", 989.0),
    ("H200", 989.0),
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("H100", 989.0),  # SXM, reported as e.g. "NVIDIA H100 80GB HBM3"
    ("H800", 989.0),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("A800", 312.0),
    ("L40S", 362.0),
    ("L40", 181.0),
    ("L4", 121.0),
    ("T4", 65.0),  # fp16: the T4 has no bf16 tensor cores
)


def peak_tflops(device_name: str | None) -> float | None:
    """Peak dense bf16 TFLOP/s of a GPU named like ``torch.cuda.get_device_name()``, or
    ``None`` for a CPU (``None``) or a GPU not in :data:`PEAK_BF16_TFLOPS`."""
    if device_name is None:
        return None
    if not isinstance(device_name, str):
        raise TypeError(f"device_name must be a str or None, got {type(device_name).__name__}")
    for key, tflops in PEAK_BF16_TFLOPS:
        if key.lower() in device_name.lower():
            return tflops
    return None


def block_flops(tokens: int, dim: int, mlp_hidden: int) -> int:
    """Forward matmul FLOPs of one pre-norm transformer block on ``tokens`` tokens of width
    ``dim`` (per sequence)."""
    L, D, H = tokens, dim, mlp_hidden
    qkv = 2 * L * D * 3 * D
    out_proj = 2 * L * D * D
    scores = 2 * L * L * D  # Q K^T, summed over heads: heads * 2 L L (D / heads)
    mix = 2 * L * L * D  # softmax(scores) V
    mlp = 2 * L * D * H + 2 * L * H * D
    return qkv + out_proj + scores + mix + mlp


@dataclass(frozen=True)
class FlopCount:
    """Forward matmul FLOPs per image, by part; ``train_step`` is per image too."""

    patch_embed: int
    encoder: int
    decoder_embed: int
    decoder: int
    head: int

    @property
    def forward(self) -> int:
        return self.patch_embed + self.encoder + self.decoder_embed + self.decoder + self.head

    @property
    def train_step(self) -> int:
        """Forward + backward: 3x the forward pass."""
        return 3 * self.forward

    def as_dict(self) -> dict[str, int]:
        return {
            "patch_embed": self.patch_embed,
            "encoder": self.encoder,
            "decoder_embed": self.decoder_embed,
            "decoder": self.decoder,
            "head": self.head,
            "forward": self.forward,
            "train_step": self.train_step,
        }


def mae_flops(config, mask_ratio: float = 0.75) -> FlopCount:
    """Matmul FLOPs per image of an MAE (a :class:`maelearn.mae.MAEConfig`) at ``mask_ratio``."""
    for field in ("img_size", "patch_size", "in_chans", "dim", "depth", "decoder_dim", "decoder_depth", "mlp_ratio"):
        if not hasattr(config, field):
            raise TypeError(f"config must be an MAEConfig (missing {field!r}), got {type(config).__name__}")
    n = (config.img_size // config.patch_size) ** 2
    k = num_visible(n, mask_ratio)
    p = config.patch_size**2 * config.in_chans
    d, dd = config.dim, config.decoder_dim
    return FlopCount(
        patch_embed=2 * k * p * d,
        encoder=config.depth * block_flops(1 + k, d, int(d * config.mlp_ratio)),
        decoder_embed=2 * (1 + k) * d * dd,
        decoder=config.decoder_depth * block_flops(1 + n, dd, int(dd * config.mlp_ratio)),
        head=2 * (1 + n) * dd * p,
    )


def mfu(images_per_s: float, flops_per_image: int, peak: float | None) -> float | None:
    """Model-FLOPs utilisation: achieved FLOP/s over ``peak`` (TFLOP/s); ``None`` without a peak."""
    if peak is None:
        return None
    if peak <= 0:
        raise ValueError(f"peak must be positive TFLOP/s, got {peak}")
    return images_per_s * flops_per_image / (peak * 1e12)


__all__ = ["FlopCount", "PEAK_BF16_TFLOPS", "block_flops", "mae_flops", "mfu", "peak_tflops"]
