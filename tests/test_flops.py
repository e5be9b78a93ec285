"""The analytic FLOP count of an MAE step (maelearn.bench.flops): a hand count for ViT-B/16, a
cross-check against torch's own FLOP counter on the real model, and the GPU peak table."""

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from maelearn.bench.flops import block_flops, mae_flops, mfu, peak_tflops
from maelearn.mae import MAE, mae_config


def test_vit_b16_hand_count():
    # ViT-B/16 MAE at 224 px, mask 0.75: N = 196 patches, K = int(196 * 0.25) = 49 visible,
    # patch vector P = 16*16*3 = 768, D = 768 (MLP 3072), decoder Dd = 512 (MLP 2048) x 8.
    f = mae_flops(mae_config("base"), mask_ratio=0.75)
    assert f.patch_embed == 2 * 49 * 768 * 768 == 57_802_752
    # encoder block on L = 50 tokens: qkv 2*50*768*2304 = 176,947,200; out proj
    # 2*50*768*768 = 58,982,400; QK^T and AV 2*50*50*768 = 3,840,000 each;
    # MLP 2 * (2*50*768*3072) = 471,859,200.  Sum 715,468,800, times 12 blocks.
    assert f.encoder == 12 * (176_947_200 + 58_982_400 + 3_840_000 + 3_840_000 + 471_859_200) == 8_585_625_600
    assert f.decoder_embed == 2 * 50 * 768 * 512 == 39_321_600
    # decoder block on L = 197 tokens: qkv 2*197*512*1536 = 309,854,208; out proj
    # 2*197*512*512 = 103,284,736; QK^T and AV 2*197*197*512 = 39,740,416 each;
    # MLP 2 * (2*197*512*2048) = 826,277,888.  Times 8 blocks.
    assert f.decoder == 8 * (309_854_208 + 103_284_736 + 39_740_416 + 39_740_416 + 826_277_888) == 10_551_181_312
    assert f.head == 2 * 197 * 512 * 768 == 154_927_104
    assert f.forward == 57_802_752 + 8_585_625_600 + 39_321_600 + 10_551_181_312 + 154_927_104
    assert f.train_step == 3 * f.forward == 58_166_575_104  # about 58.2 GFLOP per image


def test_block_flops_formula():
    # 24 L D^2 + 4 L^2 D when the MLP is 4x wide.
    assert block_flops(50, 768, 3072) == 24 * 50 * 768**2 + 4 * 50**2 * 768


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_matches_torch_flop_counter_on_the_real_forward(preset):
    # torch's FlopCounterMode counts the matmuls the model really runs; it does not count
    # the fused CPU SDPA kernel, so attention is run through the math backend (bmm's).
    cfg = mae_config(preset)
    model = MAE(cfg)
    imgs = torch.rand(2, 3, cfg.img_size, cfg.img_size)
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        model(imgs, 0.75)
    assert counter.get_total_flops() == 2 * mae_flops(cfg).forward  # batch of 2, exact


def test_mask_ratio_changes_encoder_only():
    cfg = mae_config("base")
    lo, hi = mae_flops(cfg, 0.5), mae_flops(cfg, 0.9)
    assert lo.encoder > hi.encoder and lo.decoder == hi.decoder and lo.head == hi.head


@pytest.mark.parametrize(
    "name, peak",
    [
        ("NVIDIA H100 80GB HBM3", 989.0),
        ("NVIDIA H100 PCIe", 756.0),
        ("NVIDIA H200", 989.0),
        ("NVIDIA A100-SXM4-80GB", 312.0),
        ("NVIDIA L4", 121.0),
        ("NVIDIA L40S", 362.0),
        ("Tesla T4", 65.0),
        ("Some Future GPU", None),
        (None, None),
    ],
)
def test_peak_table(name, peak):
    assert peak_tflops(name) == peak


def test_mfu():
    assert mfu(1000.0, 10**12, 989.0) == pytest.approx(1000 / 989)
    assert mfu(1000.0, 10**12, None) is None
    with pytest.raises(ValueError, match="peak"):
        mfu(1.0, 1, 0.0)
    with pytest.raises(TypeError, match="device_name"):
        peak_tflops(3)
    with pytest.raises(TypeError, match="config"):
        mae_flops("base")
