"""Official checkpoints in and out (maelearn.interop).

Synthetic checkpoints are built here in the official key layouts with tiny sizes (nothing
downloads). Three kinds of check:

* round trips are exact (official -> ours -> official, ours -> official -> ours, same for
  Hugging Face);
* the names mean what the reference code means: a small re-implementation of the
  reference forward passes (facebookresearch/mae ``MaskedAutoencoderViT`` and MCG-NJU
  ``PretrainVisionTransformer``) written against the *official* key names gives our loss
  and predictions for the same mask;
* with transformers installed, ``ViTMAEForPreTraining`` / ``VideoMAEForPreTraining`` holding
  converted weights give our loss and predictions for the same mask.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from einops import rearrange

from maelearn import interop
from maelearn.interop import __main__ as interop_cli
from maelearn.mae import build_mae, masked_mse
from maelearn.patches import patchify_video
from maelearn.video import build_videomae, cube_targets

# Tiny sizes: images 16 px, 4 px patches (16 patches); videos 4 frames of 16 px, 2x4x4 cubes.
IMG = dict(img=16, p=4, c=3, dim=32, depth=2, heads=4, ddim=16, ddepth=1, dheads=2)
VID = dict(img=16, p=4, t=2, frames=4, c=3, dim=32, depth=2, heads=4, ddim=16, ddepth=1, dheads=2)


def _rand(g, *shape, scale=0.2):
    return torch.randn(*shape, generator=g) * scale


def _timm_block(g, pre: str, d: int, out: dict, videomae: bool = False) -> None:
    """The keys of one timm/VideoMAE ``Block`` (pre-norm, fused qkv, fc1/fc2 MLP)."""
    out[pre + "norm1.weight"], out[pre + "norm1.bias"] = 1 + _rand(g, d), _rand(g, d)
    out[pre + "attn.qkv.weight"] = _rand(g, 3 * d, d)
    if videomae:  # no key bias: q_bias and v_bias only
        out[pre + "attn.q_bias"], out[pre + "attn.v_bias"] = _rand(g, d), _rand(g, d)
    else:
        out[pre + "attn.qkv.bias"] = _rand(g, 3 * d)
    out[pre + "attn.proj.weight"], out[pre + "attn.proj.bias"] = _rand(g, d, d), _rand(g, d)
    out[pre + "norm2.weight"], out[pre + "norm2.bias"] = 1 + _rand(g, d), _rand(g, d)
    out[pre + "mlp.fc1.weight"], out[pre + "mlp.fc1.bias"] = _rand(g, 4 * d, d), _rand(g, 4 * d)
    out[pre + "mlp.fc2.weight"], out[pre + "mlp.fc2.bias"] = _rand(g, d, 4 * d), _rand(g, d)


def official_mae_checkpoint(seed: int = 0, encoder_only: bool = False) -> dict:
    """``{"model": state_dict}`` of facebookresearch/mae's ``MaskedAutoencoderViT``, random."""
    s, g = IMG, torch.Generator().manual_seed(seed)
    n = (s["img"] // s["p"]) ** 2
    sd = {
        "cls_token": _rand(g, 1, 1, s["dim"]),
        "pos_embed": _rand(g, 1, 1 + n, s["dim"]),
        "patch_embed.proj.weight": _rand(g, s["dim"], s["c"], s["p"], s["p"]),
        "patch_embed.proj.bias": _rand(g, s["dim"]),
    }
    for i in range(s["depth"]):
        _timm_block(g, f"blocks.{i}.", s["dim"], sd)
    sd["norm.weight"], sd["norm.bias"] = 1 + _rand(g, s["dim"]), _rand(g, s["dim"])
    if not encoder_only:
        sd["decoder_embed.weight"], sd["decoder_embed.bias"] = _rand(g, s["ddim"], s["dim"]), _rand(g, s["ddim"])
        sd["mask_token"] = _rand(g, 1, 1, s["ddim"])
        sd["decoder_pos_embed"] = _rand(g, 1, 1 + n, s["ddim"])
        for i in range(s["ddepth"]):
            _timm_block(g, f"decoder_blocks.{i}.", s["ddim"], sd)
        sd["decoder_norm.weight"], sd["decoder_norm.bias"] = 1 + _rand(g, s["ddim"]), _rand(g, s["ddim"])
        pdim = s["p"] ** 2 * s["c"]
        sd["decoder_pred.weight"], sd["decoder_pred.bias"] = _rand(g, pdim, s["ddim"]), _rand(g, pdim)
    return {"model": sd}


def official_videomae_checkpoint(seed: int = 0) -> dict:
    """``{"model": state_dict}`` of MCG-NJU's ``PretrainVisionTransformer``, random."""
    s, g = VID, torch.Generator().manual_seed(seed)
    sd = {
        "encoder.patch_embed.proj.weight": _rand(g, s["dim"], s["c"], s["t"], s["p"], s["p"]),
        "encoder.patch_embed.proj.bias": _rand(g, s["dim"]),
    }
    for i in range(s["depth"]):
        _timm_block(g, f"encoder.blocks.{i}.", s["dim"], sd, videomae=True)
    sd["encoder.norm.weight"], sd["encoder.norm.bias"] = 1 + _rand(g, s["dim"]), _rand(g, s["dim"])
    for i in range(s["ddepth"]):
        _timm_block(g, f"decoder.blocks.{i}.", s["ddim"], sd, videomae=True)
    sd["decoder.norm.weight"], sd["decoder.norm.bias"] = 1 + _rand(g, s["ddim"]), _rand(g, s["ddim"])
    pdim = s["t"] * s["p"] ** 2 * s["c"]
    sd["decoder.head.weight"], sd["decoder.head.bias"] = _rand(g, pdim, s["ddim"]), _rand(g, pdim)
    sd["encoder_to_decoder.weight"] = _rand(g, s["ddim"], s["dim"])
    sd["mask_token"] = _rand(g, 1, 1, s["ddim"])
    return {"model": sd}


def _same(a: dict, b: dict) -> None:
    assert sorted(a) == sorted(b)
    for k, v in a.items():
        assert v.shape == b[k].shape, k
        assert torch.equal(v, b[k]), k


def _images(b=2, seed=1):
    return torch.randn(b, 3, IMG["img"], IMG["img"], generator=torch.Generator().manual_seed(seed))


def _videos(b=2, seed=1):
    return torch.randn(b, 3, VID["frames"], VID["img"], VID["img"], generator=torch.Generator().manual_seed(seed))


def _image_model(**kw):
    return interop.from_official(official_mae_checkpoint(), heads=IMG["heads"], decoder_heads=IMG["dheads"], **kw)


def _video_model(**kw):
    return interop.from_official(official_videomae_checkpoint(), heads=VID["heads"], decoder_heads=VID["dheads"],
                                 frames=VID["frames"], img_size=VID["img"], **kw)


# ---------------------------------------------------------------------------------------
# Reference forward passes, written against the official key names
# ---------------------------------------------------------------------------------------


def _ref_block(sd, pre, x, heads, videomae=False):
    d = x.shape[-1]
    h = F.layer_norm(x, (d,), sd[pre + "norm1.weight"], sd[pre + "norm1.bias"], 1e-6)
    if videomae:
        bias = torch.cat([sd[pre + "attn.q_bias"], torch.zeros_like(sd[pre + "attn.v_bias"]), sd[pre + "attn.v_bias"]])
    else:
        bias = sd[pre + "attn.qkv.bias"]
    b, n, _ = x.shape
    qkv = F.linear(h, sd[pre + "attn.qkv.weight"], bias).reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    attn = ((q * (d // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
    a = (attn @ v).transpose(1, 2).reshape(b, n, d)
    x = x + F.linear(a, sd[pre + "attn.proj.weight"], sd[pre + "attn.proj.bias"])
    h = F.layer_norm(x, (d,), sd[pre + "norm2.weight"], sd[pre + "norm2.bias"], 1e-6)
    h = F.linear(F.gelu(F.linear(h, sd[pre + "mlp.fc1.weight"], sd[pre + "mlp.fc1.bias"])),
                 sd[pre + "mlp.fc2.weight"], sd[pre + "mlp.fc2.bias"])
    return x + h


def reference_mae(sd, imgs, noise, mask_ratio, norm_pix_loss):
    """facebookresearch/mae's MaskedAutoencoderViT.forward with given noise."""
    s = IMG
    x = F.conv2d(imgs, sd["patch_embed.proj.weight"], sd["patch_embed.proj.bias"], stride=s["p"])
    x = x.flatten(2).transpose(1, 2) + sd["pos_embed"][:, 1:]
    b, n, d = x.shape
    keep = int(n * (1 - mask_ratio))
    ids_shuffle = torch.argsort(noise, dim=1)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    x = torch.gather(x, 1, ids_shuffle[:, :keep, None].repeat(1, 1, d))
    mask = torch.ones(b, n)
    mask[:, :keep] = 0
    mask = torch.gather(mask, 1, ids_restore)
    x = torch.cat([(sd["cls_token"] + sd["pos_embed"][:, :1]).expand(b, -1, -1), x], dim=1)
    for i in range(s["depth"]):
        x = _ref_block(sd, f"blocks.{i}.", x, s["heads"])
    x = F.layer_norm(x, (d,), sd["norm.weight"], sd["norm.bias"], 1e-6)
    x = F.linear(x, sd["decoder_embed.weight"], sd["decoder_embed.bias"])
    dd = x.shape[-1]
    x_ = torch.cat([x[:, 1:], sd["mask_token"].repeat(b, n + 1 - x.shape[1], 1)], dim=1)
    x_ = torch.gather(x_, 1, ids_restore[:, :, None].repeat(1, 1, dd))
    x = torch.cat([x[:, :1], x_], dim=1) + sd["decoder_pos_embed"]
    for i in range(s["ddepth"]):
        x = _ref_block(sd, f"decoder_blocks.{i}.", x, s["dheads"])
    x = F.layer_norm(x, (dd,), sd["decoder_norm.weight"], sd["decoder_norm.bias"], 1e-6)
    pred = F.linear(x, sd["decoder_pred.weight"], sd["decoder_pred.bias"])[:, 1:]
    h = w = imgs.shape[2] // s["p"]
    target = torch.einsum("nchpwq->nhwpqc", imgs.reshape(b, 3, h, s["p"], w, s["p"])).reshape(b, h * w, -1)
    if norm_pix_loss:
        target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6) ** 0.5
    loss = (((pred - target) ** 2).mean(-1) * mask).sum() / mask.sum()
    return loss, pred, mask


def _sinusoid_table(n, d):
    """VideoMAE's get_sinusoid_encoding_table, computed as the reference does (NumPy)."""
    table = np.array([[pos / np.power(10000, 2 * (j // 2) / d) for j in range(d)] for pos in range(n)])
    table[:, 0::2] = np.sin(table[:, 0::2])
    table[:, 1::2] = np.cos(table[:, 1::2])
    return torch.tensor(table, dtype=torch.float32)[None]


def reference_videomae(sd, videos, mask):
    """MCG-NJU PretrainVisionTransformer.forward + the pretraining engine's target/loss."""
    s = VID
    x = F.conv3d(videos, sd["encoder.patch_embed.proj.weight"], sd["encoder.patch_embed.proj.bias"],
                 stride=(s["t"], s["p"], s["p"]))
    x = x.flatten(2).transpose(1, 2)
    b, n, d = x.shape
    x = x + _sinusoid_table(n, d)
    m = mask.bool()
    x = x[~m].reshape(b, -1, d)
    for i in range(s["depth"]):
        x = _ref_block(sd, f"encoder.blocks.{i}.", x, s["heads"], videomae=True)
    x = F.layer_norm(x, (d,), sd["encoder.norm.weight"], sd["encoder.norm.bias"], 1e-6)
    x = F.linear(x, sd["encoder_to_decoder.weight"])
    dd = x.shape[-1]
    pos = _sinusoid_table(n, dd).expand(b, -1, -1)
    pos_vis, pos_mask = pos[~m].reshape(b, -1, dd), pos[m].reshape(b, -1, dd)
    x = torch.cat([x + pos_vis, sd["mask_token"] + pos_mask], dim=1)
    for i in range(s["ddepth"]):
        x = _ref_block(sd, f"decoder.blocks.{i}.", x, s["dheads"], videomae=True)
    nm = pos_mask.shape[1]
    x = F.layer_norm(x[:, -nm:], (dd,), sd["decoder.norm.weight"], sd["decoder.norm.bias"], 1e-6)
    pred = F.linear(x, sd["decoder.head.weight"], sd["decoder.head.bias"])  # (B, N_masked, P)
    sq = rearrange(videos, "b c (t p0) (h p1) (w p2) -> b (t h w) (p0 p1 p2) c", p0=s["t"], p1=s["p"], p2=s["p"])
    norm = (sq - sq.mean(dim=-2, keepdim=True)) / (sq.var(dim=-2, unbiased=True, keepdim=True).sqrt() + 1e-6)
    labels = rearrange(norm, "b n p c -> b n (p c)")[m].reshape(b, -1, pred.shape[-1])
    return F.mse_loss(pred, labels), pred


# ---------------------------------------------------------------------------------------
# facebookresearch/mae
# ---------------------------------------------------------------------------------------


def test_official_mae_round_trip_is_exact():
    ckpt = official_mae_checkpoint()
    model = _image_model()
    _same(interop.to_official(model), ckpt["model"])
    again = interop.from_official(interop.to_official(model), heads=4, decoder_heads=2)
    _same(again.state_dict(), model.state_dict())


def test_ours_to_official_to_ours_is_exact():
    torch.manual_seed(0)
    model = build_mae("tiny")
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))  # every weight, biases and positions included
    back = interop.from_official(interop.to_official(model), heads=model.config.heads,
                                 decoder_heads=model.config.decoder_heads)
    assert back.config == model.config
    _same(back.state_dict(), model.state_dict())


def test_official_mae_config_is_read_from_the_shapes():
    model = _image_model(norm_pix_loss=False)
    cfg = model.config
    assert (cfg.img_size, cfg.patch_size, cfg.dim, cfg.depth, cfg.heads) == (16, 4, 32, 2, 4)
    assert (cfg.decoder_dim, cfg.decoder_depth, cfg.decoder_heads, cfg.mlp_ratio) == (16, 1, 2, 4.0)
    assert cfg.norm_pix_loss is False


@pytest.mark.parametrize("norm_pix_loss", [True, False])
def test_official_mae_weights_compute_the_reference_forward(norm_pix_loss):
    sd = official_mae_checkpoint()["model"]
    model = _image_model(norm_pix_loss=norm_pix_loss).eval()
    imgs = _images()
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(2))
    ref_loss, ref_pred, ref_mask = reference_mae(sd, imgs, noise, 0.75, norm_pix_loss)
    with torch.no_grad():
        out = model(imgs, 0.75, noise)
    assert torch.equal(out.mask, ref_mask)
    torch.testing.assert_close(out.pred, ref_pred, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.loss, ref_loss, atol=1e-6, rtol=1e-5)


def test_encoder_only_release_loads_the_encoder_and_warns():
    ckpt = official_mae_checkpoint(encoder_only=True)
    with pytest.warns(UserWarning, match="no decoder"):
        model = interop.from_official(ckpt, heads=4, decoder_dim=16, decoder_depth=1, decoder_heads=2)
    _same(interop.to_official(model, encoder_only=True), ckpt["model"])
    # the encoder computes what the full checkpoint's encoder computes
    full = _image_model().eval()
    imgs = _images()
    torch.testing.assert_close(model.eval().features(imgs), full.features(imgs))


def test_save_official_writes_the_release_file_layout(tmp_path):
    model = _image_model()
    path = interop.save_official(model, tmp_path / "mae.pth")
    obj = torch.load(path, weights_only=True)
    assert set(obj) == {"model"}
    _same(obj["model"], official_mae_checkpoint()["model"])
    _same(interop.from_official(path, heads=4, decoder_heads=2).state_dict(), model.state_dict())


class _PickledObject:
    """Stands for any class a checkpoint might pickle (the loader must refuse it)."""


def test_release_files_with_their_training_args_are_read(tmp_path):
    """The reference training scripts save ``{"model": ..., "optimizer": ..., "args":
    argparse.Namespace}``; the Namespace is allowed, other pickled objects are refused."""
    import argparse

    ckpt = dict(official_videomae_checkpoint(), epoch=799, args=argparse.Namespace(model="pretrain_videomae"))
    torch.save(ckpt, tmp_path / "checkpoint-799.pth")
    _same(interop.read_state_dict(tmp_path / "checkpoint-799.pth"), ckpt["model"])
    torch.save(dict(ckpt, args=_PickledObject()), tmp_path / "other.pth")
    with pytest.raises(ValueError, match=r"\(refused unsafe pickle content: [\w.]*_PickledObject\)$") as info:
        interop.read_state_dict(tmp_path / "other.pth")
    assert "weights_only" not in str(info.value)  # never the advice to load it the unsafe way


def test_heads_must_be_given_when_the_width_is_not_a_released_one():
    with pytest.raises(ValueError, match="pass heads="):
        interop.from_official(official_mae_checkpoint())


def test_unknown_keys_and_bad_files_are_refused(tmp_path):
    sd = dict(official_mae_checkpoint()["model"], **{"head.weight": torch.zeros(10, 32)})
    with pytest.raises(ValueError, match="head.weight"):
        interop.from_official(sd, heads=4, decoder_heads=2)
    with pytest.raises(ValueError, match="unrecognized checkpoint layout"):
        interop.from_official({"fc.weight": torch.zeros(2, 2)})
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        interop.read_state_dict(bad)
    with pytest.raises(FileNotFoundError):
        interop.read_state_dict(tmp_path / "missing.pth")
    with pytest.raises(ValueError, match="lacks 'blocks.1.mlp.fc2.bias'"):
        sd = dict(official_mae_checkpoint()["model"])
        del sd["blocks.1.mlp.fc2.bias"]
        interop.from_official(sd, heads=4, decoder_heads=2)


def test_encoder_mask_token_ablation_and_other_kinds_are_not_exported():
    from maelearn.timeseries import build_timeseries_mae

    with pytest.raises(ValueError, match="no counterpart"):
        interop.to_official(build_mae("tiny", encoder_mask_tokens=True))
    with pytest.raises(ValueError, match="image MAEs and VideoMAEs"):
        interop.to_hf(build_timeseries_mae())


# ---------------------------------------------------------------------------------------
# MCG-NJU VideoMAE
# ---------------------------------------------------------------------------------------


def test_official_videomae_round_trip_is_exact():
    ckpt = official_videomae_checkpoint()
    model = _video_model()
    cfg = model.config
    assert (cfg.frames, cfg.img_size, cfg.tubelet, cfg.patch_size, cfg.pos_embed) == (4, 16, 2, 4, "1d")
    _same(interop.to_official(model), ckpt["model"])
    back = interop.from_official(interop.to_official(model), heads=4, decoder_heads=2, frames=4, img_size=16)
    _same(back.state_dict(), model.state_dict())


def test_official_videomae_weights_compute_the_reference_forward():
    sd = official_videomae_checkpoint()["model"]
    model = _video_model().eval()
    videos = _videos()
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out = model(videos, 0.75, noise)
    ref_loss, ref_pred = reference_videomae(sd, videos, out.mask)
    b, _, p = out.pred.shape
    torch.testing.assert_close(out.pred[out.mask.bool()].reshape(b, -1, p), ref_pred, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.loss, ref_loss, atol=1e-6, rtol=1e-5)


def test_our_positions_are_videomae_s_table():
    torch.testing.assert_close(interop.videomae_positions(40, 24), _sinusoid_table(40, 24))
    model = build_videomae("tiny", pos_embed="1d")
    torch.testing.assert_close(model.encoder.pos_embed, _sinusoid_table(model.num_patches, model.config.dim))


def test_key_bias_is_dropped_on_export_without_changing_outputs():
    """VideoMAE's attention has no key bias; ours does. A key bias shifts every score of a
    query by the same amount, so the softmax, and every output, ignores it."""
    torch.manual_seed(0)
    model = build_videomae("tiny", pos_embed="1d").eval()
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:  # not the fixed positions
                p.add_(0.1 * torch.randn_like(p))  # key biases included
    back = interop.from_official(interop.to_official(model), heads=4, decoder_heads=4, frames=8, img_size=32).eval()
    k_bias = back.encoder.blocks[0].attn.qkv.bias.chunk(3)[1]
    assert torch.equal(k_bias, torch.zeros_like(k_bias))
    videos = torch.rand(2, 3, 8, 32, 32, generator=torch.Generator().manual_seed(0))
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = model(videos, 0.75, noise), back(videos, 0.75, noise)
    torch.testing.assert_close(a.pred, b.pred, atol=1e-5, rtol=1e-5)


def test_video_with_3d_positions_is_not_exported_nor_loaded():
    with pytest.raises(ValueError, match="pos_embed='1d'"):
        interop.to_official(build_videomae("tiny"))
    three_d = build_videomae("tiny", img_size=16, frames=4, patch_size=4, dim=32, heads=4, decoder_dim=16,
                             decoder_depth=1, decoder_heads=2, depth=2)
    with pytest.raises(ValueError, match="pos_embed='1d'"):
        interop.from_official(official_videomae_checkpoint(), model=three_d)


# ---------------------------------------------------------------------------------------
# Hugging Face layouts (no transformers needed for the renaming)
# ---------------------------------------------------------------------------------------


def test_hf_round_trips_are_exact():
    model = _image_model()
    _same(interop.from_hf(interop.to_hf(model), heads=4, decoder_heads=2).state_dict(), model.state_dict())
    video = _video_model()
    back = interop.from_hf(interop.to_hf(video), heads=4, decoder_heads=2, frames=4, img_size=16)
    _same(back.state_dict(), video.state_dict())


def test_transformers_4_names_are_read():
    model = _image_model()
    new = interop.to_hf(model)
    legacy = {}
    for k, v in new.items():  # the names transformers 4.x wrote
        k = k.replace("vit.layers.", "vit.encoder.layer.").replace("attention.q_proj", "attention.attention.query")
        k = k.replace("attention.k_proj", "attention.attention.key").replace("attention.v_proj", "attention.attention.value")
        k = k.replace("attention.o_proj", "attention.output.dense").replace("mlp.fc1", "intermediate.dense")
        k = k.replace("mlp.fc2", "output.dense")
        legacy[k] = v
    assert "vit.encoder.layer.0.attention.attention.query.weight" in legacy
    assert "decoder.decoder_layers.0.output.dense.bias" in legacy
    _same(interop.from_hf(legacy, heads=4, decoder_heads=2).state_dict(), model.state_dict())
    # and an older install's model gets its own names when we load into it
    _same(interop._names_like(new, set(legacy)), legacy)
    video = interop.to_hf(_video_model())
    old_video = {k.replace("query.bias", "q_bias").replace("value.bias", "v_bias"): v for k, v in video.items()}
    assert "videomae.encoder.layer.0.attention.attention.q_bias" in old_video
    _same(interop._names_like(video, set(old_video)), old_video)
    back = interop.from_hf(old_video, heads=4, decoder_heads=2, frames=4, img_size=16)
    _same(back.state_dict(), _video_model().state_dict())


def test_detect_format():
    assert interop.detect_format(official_mae_checkpoint()["model"]) == "official_mae"
    assert interop.detect_format(official_videomae_checkpoint()["model"]) == "official_videomae"
    model, video = _image_model(), _video_model()
    assert interop.detect_format(interop.to_hf(model)) == "hf_mae"
    assert interop.detect_format(interop.to_hf(video)) == "hf_videomae"
    assert interop.detect_format(model.state_dict()) == "maelearn"


def test_imagenet_normalize_inverts():
    x = torch.rand(2, 3, 4, 5, 5)
    torch.testing.assert_close(interop.imagenet_unnormalize(interop.imagenet_normalize(x)), x)
    with pytest.raises(ValueError, match="3 \\(RGB\\) channels"):
        interop.imagenet_normalize(torch.rand(2, 1, 4, 4))


# ---------------------------------------------------------------------------------------
# With transformers: the HF models compute what ours compute
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def transformers():
    return pytest.importorskip("transformers")


def _randomize(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p + 0.2 * torch.randn(p.shape, generator=g))


@pytest.mark.parametrize("norm_pix_loss", [True, False])
def test_hf_vitmae_equals_ours(transformers, norm_pix_loss):
    ours = _image_model(norm_pix_loss=norm_pix_loss).eval()
    hf = interop.to_hf_model(ours)
    assert isinstance(hf, transformers.ViTMAEForPreTraining)
    imgs = _images()
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        a = ours(imgs, 0.75, noise)
        b = hf(pixel_values=imgs, noise=noise)
    assert torch.equal(a.mask, b.mask)
    torch.testing.assert_close(a.pred, b.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.loss, b.loss, atol=1e-6, rtol=1e-5)


def test_hf_vitmae_model_to_ours(transformers):
    """A randomly initialized HF model (every weight perturbed, positions included) -> ours,
    same outputs; and back to the same state dict."""
    cfg = transformers.ViTMAEConfig(image_size=16, patch_size=4, hidden_size=32, num_hidden_layers=2,
                                    num_attention_heads=4, intermediate_size=128, decoder_hidden_size=16,
                                    decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
                                    decoder_intermediate_size=64, layer_norm_eps=1e-6, norm_pix_loss=True)
    hf = transformers.ViTMAEForPreTraining(cfg).eval()
    _randomize(hf)
    ours = interop.from_hf(hf).eval()
    assert (ours.config.heads, ours.config.decoder_heads, ours.config.norm_pix_loss) == (4, 2, True)
    _same(interop.to_hf(ours), {k: v for k, v in hf.state_dict().items()})
    imgs = _images(3)
    noise = torch.rand(3, 16, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        a, b = ours(imgs, 0.75, noise), hf(pixel_values=imgs, noise=noise)
    torch.testing.assert_close(a.pred, b.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(a.loss, b.loss, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("norm_pix_loss", [True, False])
def test_hf_videomae_equals_ours(transformers, norm_pix_loss):
    ours = _video_model(norm_pix_loss=norm_pix_loss).eval()
    hf = interop.to_hf_model(ours)
    assert isinstance(hf, transformers.VideoMAEForPreTraining)
    assert hf.decoder.norm.eps == 1e-6  # transformers builds it with 1e-5; the reference uses 1e-6
    videos = _videos()  # read as ImageNet-normalized frames
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(6))
    with torch.no_grad():
        a = ours(videos, 0.75, noise)
        b = hf(pixel_values=videos.transpose(1, 2), bool_masked_pos=a.mask.bool())  # HF: (B, T, C, H, W)
    bsz, _, p = a.pred.shape
    torch.testing.assert_close(a.pred[a.mask.bool()].reshape(bsz, -1, p), b.logits, atol=1e-5, rtol=1e-5)
    # HF builds its targets from the un-normalized frames: our loss against those targets is HF's loss
    pixels = interop.imagenet_unnormalize(videos)
    hf_targets = cube_targets(pixels, VID["p"], VID["t"]) if norm_pix_loss else patchify_video(pixels, VID["p"], VID["t"])
    torch.testing.assert_close(masked_mse(a.pred, hf_targets, a.mask), b.loss, atol=1e-6, rtol=1e-5)
    if norm_pix_loss:  # per-cube normalization: the two targets differ only through eps, the losses are close
        torch.testing.assert_close(a.loss, b.loss, atol=1e-3, rtol=1e-3)
    else:  # raw pixels: different targets, different losses
        assert not torch.allclose(a.loss, b.loss, rtol=1e-2)


def test_hf_videomae_model_to_ours(transformers):
    cfg = transformers.VideoMAEConfig(image_size=16, patch_size=4, num_frames=4, tubelet_size=2, hidden_size=32,
                                      num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                      decoder_hidden_size=16, decoder_num_hidden_layers=1,
                                      decoder_num_attention_heads=2, decoder_intermediate_size=64,
                                      layer_norm_eps=1e-6, use_mean_pooling=False, norm_pix_loss=True)
    hf = transformers.VideoMAEForPreTraining(cfg).eval()
    _randomize(hf)
    hf.decoder.norm.eps = 1e-6
    ours = interop.from_hf(hf).eval()
    assert (ours.config.frames, ours.config.img_size, ours.config.heads) == (4, 16, 4)
    sd = interop.to_hf(ours)
    _same(sd, hf.state_dict())
    videos = _videos()
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        a = ours(videos, 0.75, noise)
        b = hf(pixel_values=videos.transpose(1, 2), bool_masked_pos=a.mask.bool())
    bsz, _, p = a.pred.shape
    torch.testing.assert_close(a.pred[a.mask.bool()].reshape(bsz, -1, p), b.logits, atol=1e-5, rtol=1e-5)


def test_from_pretrained_hf_reads_a_local_folder(transformers, tmp_path):
    ours = _image_model(norm_pix_loss=False)
    interop.to_hf_model(ours).save_pretrained(tmp_path / "tiny-vit-mae")
    loaded = interop.from_pretrained_hf(tmp_path / "tiny-vit-mae")
    assert loaded.config == ours.config
    _same(loaded.state_dict(), ours.state_dict())


def test_without_transformers_the_error_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers -> ImportError
    with pytest.raises(ImportError, match=r'pip install -e "\.\[interop\]"'):
        interop.from_pretrained_hf("facebook/vit-mae-base")
    with pytest.raises(ImportError, match="transformers"):
        interop.to_hf_model(_image_model())
    _same(interop.from_hf(interop.to_hf(_image_model()), heads=4, decoder_heads=2).state_dict(),
          _image_model().state_dict())  # the renaming itself needs no transformers


def test_from_pretrained_hf_offline_names_how_to_get_the_weights(transformers):
    with pytest.raises(interop.WeightsUnavailableError, match="hf download"):
        interop.from_pretrained_hf("maelearn-tests/not-a-real-model", local_files_only=True)


# ---------------------------------------------------------------------------------------
# Photos and the command line
# ---------------------------------------------------------------------------------------


def test_reconstruct_photos_resizes_crops_and_returns_pixels():
    model = build_mae("tiny")  # 32 px, 3 channels
    photos = [np.random.default_rng(0).integers(0, 256, (48, 80, 3), dtype=np.uint8), torch.rand(3, 40, 32)]
    batch = interop.photo_batch(photos, 32)
    assert batch.shape == (2, 3, 32, 32) and 0 <= batch.min() and batch.max() <= 1
    recon = interop.reconstruct_photos(model, photos, mask_ratio=0.75, seed=0)
    for key in ("masked", "reconstruction", "pasted", "original"):
        assert recon[key].shape == (2, 3, 32, 32)
        assert recon[key].min() >= 0 and recon[key].max() <= 1
    torch.testing.assert_close(recon["original"], batch, atol=1e-5, rtol=0)
    assert recon["mask"].sum(1).tolist() == [48.0, 48.0]  # 75 % of 64 patches
    with pytest.raises(ValueError, match="photos\\[0\\] must be an RGB image"):
        interop.photo_batch([np.zeros((8, 8))])


def test_cli_import_then_export_gives_back_the_official_file(tmp_path, capsys):
    from maelearn.checkpoint import load_checkpoint

    src = tmp_path / "mae_visualize_tiny.pth"
    torch.save(official_mae_checkpoint(), src)
    ckpt = tmp_path / "run" / "checkpoint.pt"
    assert interop_cli.main(["import", str(src), str(ckpt), "--heads", "4", "--decoder-heads", "2",
                         "--no-norm-pix-loss"]) == 0
    model, _ = load_checkpoint(ckpt)
    assert model.config.norm_pix_loss is False
    out = tmp_path / "back.pth"
    assert interop_cli.main(["export", str(ckpt), str(out), "--to", "official"]) == 0
    _same(torch.load(out, weights_only=True)["model"], official_mae_checkpoint()["model"])
    assert interop_cli.main(["import", str(tmp_path / "missing.pth"), str(tmp_path / "new.pt")]) == 2
    assert "no checkpoint file or folder" in capsys.readouterr().err
    assert interop_cli.main(["import", str(src), str(ckpt), "--heads", "4", "--decoder-heads", "2"]) == 2
    assert "already exists; add --overwrite" in capsys.readouterr().err  # an existing checkpoint is kept


def test_cli_hf_folder_round_trip(transformers, tmp_path):
    src = tmp_path / "src.pth"
    torch.save(official_videomae_checkpoint(), src)
    ckpt = tmp_path / "video.pt"
    assert interop_cli.main(["import", str(src), str(ckpt), "--heads", "4", "--decoder-heads", "2", "--frames", "4",
                         "--img-size", "16"]) == 0
    assert interop_cli.main(["export", str(ckpt), str(tmp_path / "hf"), "--to", "hf"]) == 0
    assert interop_cli.main(["import", str(tmp_path / "hf"), str(tmp_path / "again.pt")]) == 0
    from maelearn.checkpoint import load_checkpoint

    a, _ = load_checkpoint(ckpt)
    b, _ = load_checkpoint(tmp_path / "again.pt")
    assert a.config == b.config
    _same(a.state_dict(), b.state_dict())


# ---------------------------------------------------------------------------------------
# The released sizes (shapes only, on the meta device: nothing is allocated)
# ---------------------------------------------------------------------------------------


def _meta_official(dim, depth, ddim, ddepth, patch, img=224, tubelet=None):
    """Shapes of a released checkpoint in the official layout, as meta tensors."""
    def e(*shape):
        return torch.empty(*shape, device="meta")

    video = tubelet is not None
    enc = "encoder." if video else ""
    sd = {f"{enc}patch_embed.proj.weight": e(dim, 3, *((tubelet,) if video else ()), patch, patch),
          f"{enc}patch_embed.proj.bias": e(dim), f"{enc}norm.weight": e(dim), f"{enc}norm.bias": e(dim)}
    if not video:
        n = (img // patch) ** 2
        sd.update({"cls_token": e(1, 1, dim), "pos_embed": e(1, n + 1, dim), "mask_token": e(1, 1, ddim),
                   "decoder_pos_embed": e(1, n + 1, ddim), "decoder_embed.weight": e(ddim, dim),
                   "decoder_embed.bias": e(ddim), "decoder_norm.weight": e(ddim), "decoder_norm.bias": e(ddim),
                   "decoder_pred.weight": e(patch * patch * 3, ddim), "decoder_pred.bias": e(patch * patch * 3)})
    else:
        out = tubelet * patch * patch * 3
        sd.update({"mask_token": e(1, 1, ddim), "encoder_to_decoder.weight": e(ddim, dim),
                   "decoder.norm.weight": e(ddim), "decoder.norm.bias": e(ddim), "decoder.head.weight": e(out, ddim),
                   "decoder.head.bias": e(out)})
    for prefix, d, n_blocks in ((f"{enc}blocks.", dim, depth), ("decoder.blocks." if video else "decoder_blocks.", ddim, ddepth)):
        for i in range(n_blocks):
            pre = f"{prefix}{i}."
            for name in ("norm1", "norm2"):
                sd[pre + name + ".weight"], sd[pre + name + ".bias"] = e(d), e(d)
            sd[pre + "attn.qkv.weight"] = e(3 * d, d)
            if video:
                sd[pre + "attn.q_bias"], sd[pre + "attn.v_bias"] = e(d), e(d)
            else:
                sd[pre + "attn.qkv.bias"] = e(3 * d)
            sd[pre + "attn.proj.weight"], sd[pre + "attn.proj.bias"] = e(d, d), e(d)
            sd[pre + "mlp.fc1.weight"], sd[pre + "mlp.fc1.bias"] = e(4 * d, d), e(4 * d)
            sd[pre + "mlp.fc2.weight"], sd[pre + "mlp.fc2.bias"] = e(d, 4 * d), e(d)
    return sd


@pytest.mark.parametrize("preset", ["base", "large", "huge"])
def test_released_mae_sizes_give_our_presets(preset):
    from maelearn.mae import mae_config

    want = mae_config(preset)
    sd = interop.convert_to_ours(_meta_official(want.dim, want.depth, 512, 8, want.patch_size))
    cfg = interop.infer_config(sd)
    got = {k: cfg[k] for k in ("img_size", "patch_size", "dim", "depth", "heads", "decoder_dim", "decoder_depth",
                               "decoder_heads", "mlp_ratio")}
    assert got == {k: getattr(want, k) for k in got}


@pytest.mark.parametrize(("dim", "depth", "heads", "ddim", "dheads"),
                         [(384, 12, 6, 192, 3), (768, 12, 12, 384, 6), (1024, 24, 16, 512, 8), (1280, 32, 16, 640, 8)])
def test_released_videomae_sizes(dim, depth, heads, ddim, dheads):
    """ViT-S/B/L/H of the VideoMAE release (pretrain_videomae_*_patch16_224, 4-block decoders)."""
    sd = interop.convert_to_ours(_meta_official(dim, depth, ddim, 4, 16, tubelet=2))
    cfg = interop.infer_config(sd)
    assert (cfg["kind"], cfg["dim"], cfg["depth"], cfg["heads"]) == ("videomae", dim, depth, heads)
    assert (cfg["decoder_dim"], cfg["decoder_depth"], cfg["decoder_heads"]) == (ddim, 4, dheads)
    assert (cfg["frames"], cfg["img_size"], cfg["tubelet"], cfg["patch_size"], cfg["pos_embed"]) == (16, 224, 2, 16, "1d")
    if dim == 768:  # our ViT-B preset is the release's
        from maelearn.video import videomae_config

        want = videomae_config("base")
        assert all(cfg[k] == getattr(want, k) for k in cfg if k != "kind"), cfg
