"""Bad input fails early with a message that names the argument, the value and what was
expected: for MAE.forward, patchify, random_masking and PatchEmbed."""

import math

import pytest
import torch

from maelearn.mae import build_mae
from maelearn.masking import random_masking
from maelearn.patches import patchify
from maelearn.vit import PatchEmbed

RATIOS = [
    (-0.25, ValueError, r"mask_ratio must be in \[0, 1\), got -0.25"),
    (1.0, ValueError, r"mask_ratio must be in \[0, 1\), got 1.0"),
    (1.5, ValueError, r"mask_ratio must be in \[0, 1\), got 1.5"),
    (math.nan, (TypeError, ValueError), r"mask_ratio must be a number in \[0, 1\), got nan"),
    (0.999, ValueError, r"mask_ratio=0.999 leaves no visible patch out of 64"),
]

# (input, exception, message) shared by every function taking an image batch (B, C, H, W).
IMAGES = [
    (torch.rand(0, 3, 32, 32), ValueError, r"imgs is an empty batch \(shape \(0, 3, 32, 32\)\)"),
    ((torch.rand(2, 3, 32, 32) * 255).to(torch.uint8), TypeError, r"imgs must be floating point.*got dtype torch.uint8.*\.float\(\) / 255"),
    (torch.rand(3, 32, 32), ValueError, r"imgs must have shape \(B, C, H, W\) \(4 dimensions\), got shape \(3, 32, 32\)"),
    (torch.rand(1, 1, 3, 32, 32), ValueError, r"imgs must have shape \(B, C, H, W\) \(4 dimensions\)"),
    (torch.rand(2, 3, 30, 32), ValueError, r"imgs has size 30x32, which is not divisible by patch_size=4"),
    ([[0.5]], TypeError, r"imgs must be a torch.Tensor of shape \(B, C, H, W\), got list"),
]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_mae("tiny")


@pytest.mark.parametrize("imgs,exc,match", IMAGES)
def test_mae_forward_bad_images(model, imgs, exc, match):
    with pytest.raises(exc, match=match):
        model(imgs)


def test_mae_forward_channel_and_size_mismatch(model):
    with pytest.raises(ValueError, match=r"imgs has 1 channels \(shape \(2, 1, 32, 32\)\), but the model expects 3"):
        model(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"imgs have size \(16, 16\), but the model was built for img_size=32"):
        model(torch.rand(2, 3, 16, 16))


@pytest.mark.parametrize("ratio,exc,match", RATIOS)
def test_mae_forward_bad_ratio(model, ratio, exc, match):
    with pytest.raises(exc, match=match):
        model(torch.rand(2, 3, 32, 32), mask_ratio=ratio)


def test_mae_forward_bad_noise_shape(model):
    with pytest.raises(ValueError, match=r"noise must have shape \(2, 64\), got \(2, 16\)"):
        model(torch.rand(2, 3, 32, 32), noise=torch.rand(2, 16))


@pytest.mark.parametrize("imgs,exc,match", IMAGES)
def test_patchify_bad_images(imgs, exc, match):
    with pytest.raises(exc, match=match):
        patchify(imgs, 4)


@pytest.mark.parametrize("imgs,exc,match", IMAGES)
def test_patch_embed_bad_images(imgs, exc, match):
    pe = PatchEmbed(32, 4, 3, 8)
    with pytest.raises(exc, match=match):
        pe(imgs)


def test_patch_embed_channels_and_construction():
    pe = PatchEmbed(32, 4, 3, 8)
    with pytest.raises(ValueError, match="imgs has 1 channels .* but the model expects 3"):
        pe(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"imgs have size \(16, 16\), but the model was built for img_size=32 \(height x width 32x32\)"):
        pe(torch.rand(2, 3, 16, 16))
    with pytest.raises(ValueError, match="img_size=30 is not divisible by patch_size=4"):
        PatchEmbed(30, 4, 3, 8)
    with pytest.raises(ValueError, match="img_size=30 is not divisible by patch_size=4"):
        build_mae("tiny", img_size=30)


@pytest.mark.parametrize("ratio,exc,match", RATIOS)
def test_random_masking_bad_ratio(ratio, exc, match):
    with pytest.raises(exc, match=match):
        random_masking(torch.rand(2, 64, 8), ratio)


@pytest.mark.parametrize("x,exc,match", [
    (torch.rand(0, 16, 8), ValueError, r"x is an empty batch"),
    (torch.randint(0, 255, (2, 16, 8), dtype=torch.uint8), TypeError, r"x must be floating point.*torch.uint8"),
    (torch.rand(16, 8), ValueError, r"x must have shape \(B, N, D\) \(3 dimensions\), got shape \(16, 8\)"),
    (torch.rand(2, 3, 4, 4), ValueError, r"x must have shape \(B, N, D\) \(3 dimensions\)"),
    ([1.0, 2.0], TypeError, r"x must be a torch.Tensor of shape \(B, N, D\), got list"),
])
def test_random_masking_bad_tokens(x, exc, match):
    with pytest.raises(exc, match=match):
        random_masking(x, 0.5)


def test_config_switches_rejected():
    with pytest.raises(ValueError, match="loss_on must be 'masked' or 'all', got 'visible'"):
        build_mae("tiny", loss_on="visible")
    with pytest.raises(ValueError, match=r"masking must be one of \('random', 'block', 'grid'\) for MAEConfig, got 'tube'"):
        build_mae("tiny", masking="tube")
