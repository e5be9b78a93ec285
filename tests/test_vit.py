"""ViT building blocks: the conv patch embedding is a linear map on patch vectors,
attention equals the textbook softmax formula, encoder/classifier shapes and pooling."""

import math

import pytest
import torch

from maelearn.patches import patchify
from maelearn.vit import Attention, Block, PatchEmbed, ViTClassifier, ViTEncoder, init_vit


def test_patch_embed_conv_equals_linear_on_patch_vectors():
    torch.manual_seed(0)
    pe = PatchEmbed(16, 4, 3, 24)
    x = torch.rand(2, 3, 16, 16)
    conv = pe(x)  # (2, 16, 24)
    lin = pe.embed_patches(patchify(x, 4))
    assert conv.shape == (2, 16, 24)
    # Same products, different summation order in float32: 1e-5.
    torch.testing.assert_close(lin, conv, atol=1e-5, rtol=1e-5)
    # linear_weight orders its columns (row, column, channel) like patchify.
    w = pe.linear_weight()
    assert w.shape == (24, 48)
    assert torch.equal(w[:, 1], pe.proj.weight[:, 1, 0, 0])  # column 1: row 0, col 0, channel 1
    assert torch.equal(w[:, 3], pe.proj.weight[:, 0, 0, 1])  # column 3: row 0, col 1, channel 0


def test_attention_matches_softmax_formula():
    torch.manual_seed(0)
    attn = Attention(16, heads=4)
    x = torch.randn(2, 5, 16)
    q, k, v = attn.qkv(x).reshape(2, 5, 3, 4, 4).permute(2, 0, 3, 1, 4)  # (B, h, L, d) each
    weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(4), dim=-1)
    ref = attn.proj((weights @ v).transpose(1, 2).reshape(2, 5, 16))
    torch.testing.assert_close(attn(x), ref, atol=1e-5, rtol=1e-5)  # float32 reassociation
    with pytest.raises(ValueError, match="dim=10 is not divisible by heads=4"):
        Attention(10, heads=4)


def test_block_is_pre_norm_residual():
    torch.manual_seed(0)
    blk = Block(16, 4)
    x = torch.randn(2, 7, 16)
    h = x + blk.attn(blk.norm1(x))
    torch.testing.assert_close(blk(x), h + blk.mlp(blk.norm2(h)))
    assert blk.mlp[0].out_features == 64  # mlp_ratio 4


def test_encoder_and_classifier_shapes_and_pooling():
    torch.manual_seed(0)
    enc = ViTEncoder(img_size=16, patch_size=4, in_chans=1, dim=32, depth=2, heads=4)
    init_vit(enc)
    x = torch.rand(3, 1, 16, 16)
    tokens = enc(x)
    assert tokens.shape == (3, 17, 32)
    torch.testing.assert_close(enc.features(x, "cls"), tokens[:, 0])
    torch.testing.assert_close(enc.features(x, "mean"), tokens[:, 1:].mean(1))
    with pytest.raises(ValueError, match="pool must be 'cls' or 'mean', got 'max'"):
        enc.features(x, "max")
    clf = ViTClassifier(enc, 5, pool="mean")
    assert clf(x).shape == (3, 5)
    with pytest.raises(ValueError, match="pool must be"):
        ViTClassifier(enc, 5, pool="avg")


def test_encoder_positions_are_fixed_and_batch_independent():
    torch.manual_seed(0)
    enc = ViTEncoder(img_size=8, patch_size=4, in_chans=3, dim=16, depth=1, heads=2)
    assert not enc.pos_embed.requires_grad and enc.pos_embed.shape == (1, 5, 16)
    x = torch.rand(4, 3, 8, 8)
    # Each sample is encoded independently of the others in its batch.
    torch.testing.assert_close(enc(x)[2:3], enc(x[2:3]), atol=1e-6, rtol=1e-5)
