"""The image MAE against the paper's recipe: what the encoder sees, the loss, the target,
initialization, presets, the mask-token ablation, gradients and reconstructions."""

import math

import pytest
import torch
from einops import rearrange

from maelearn.mae import (
    MAE,
    PRESETS,
    build_mae,
    mae_config,
    masked_mse,
    normalized_targets,
)
from maelearn.masking import mask_by_noise
from maelearn.models import mae_from_config
from maelearn.patches import patchify
from maelearn.posembed import sincos_2d


def tiny(**kw) -> MAE:
    torch.manual_seed(0)
    return build_mae("tiny", **kw)


def images(b=2, c=3, size=32, seed=0):
    return torch.rand(b, c, size, size, generator=torch.Generator().manual_seed(seed))


def noise_for(model, b=2, seed=1):
    return torch.rand(b, model.num_patches, generator=torch.Generator().manual_seed(seed))


def first_block_input(model, imgs, mask_ratio, noise):
    """The tensor entering the first encoder block (B, L, D), via a forward pre-hook."""
    seen = {}
    handle = model.encoder.blocks[0].register_forward_pre_hook(lambda mod, args: seen.setdefault("x", args[0].detach()))
    try:
        model(imgs, mask_ratio, noise)
    finally:
        handle.remove()
    return seen["x"]


@pytest.mark.parametrize("ratio", [0.0, 0.5, 0.75, 0.9])
def test_encoder_sees_cls_plus_visible_only(ratio):
    model = tiny()
    x = first_block_input(model, images(), ratio, noise_for(model))
    keep = int(model.num_patches * (1 - ratio))
    assert x.shape == (2, 1 + keep, model.config.dim)
    assert model.encoder_sequence_length(ratio) == 1 + keep


def test_fast_embedding_equals_embed_all_then_mask():
    # Reference order: conv over the whole image, add positions, then drop the removed
    # tokens. The fast path gathers visible patch vectors first and applies the conv kernel
    # as a matrix. Same float32 products summed in a different order: agree to 1e-6.
    # (tests/test_fast_path.py compares the whole loss and gradients.)
    model = tiny()
    imgs, noise = images(), noise_for(model)
    got = first_block_input(model, imgs, 0.75, noise)
    enc = model.encoder
    with torch.no_grad():
        allx = rearrange(enc.patch_embed.proj(imgs), "b d h w -> b (h w) d") + enc.pos_embed[:, 1:]
        keep = int(model.num_patches * 0.25)
        vis = mask_by_noise(allx, noise, keep).visible
        cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(2, -1, -1)
        ref = torch.cat([cls, vis], 1)
    torch.testing.assert_close(got, ref, atol=1e-6, rtol=0)


def test_loss_ignores_visible_patches_when_masked_only():
    model = tiny()
    imgs, noise = images(), noise_for(model)
    with torch.no_grad():
        out = model(imgs, 0.75, noise)
    visible = torch.nonzero(out.mask[0] == 0).flatten()
    removed = torch.nonzero(out.mask[0] == 1).flatten()
    p = model.patch_size

    def change_patch(idx):
        other = imgs.clone()
        r, c = divmod(int(idx), model.grid[1])
        other[0, :, r * p : (r + 1) * p, c * p : (c + 1) * p] = torch.rand(3, p, p, generator=torch.Generator().manual_seed(9))
        return other

    base = model.forward_loss(imgs, out.pred, out.mask)
    assert torch.equal(model.forward_loss(change_patch(visible[0]), out.pred, out.mask), base)
    assert not torch.equal(model.forward_loss(change_patch(removed[0]), out.pred, out.mask), base)
    all_model = tiny(loss_on="all")
    base_all = all_model.forward_loss(imgs, out.pred, out.mask)
    assert not torch.equal(all_model.forward_loss(change_patch(visible[0]), out.pred, out.mask), base_all)


def test_fixed_noise_is_deterministic():
    model = tiny()
    imgs, noise = images(), noise_for(model)
    a, b = model(imgs, 0.75, noise), model(imgs, 0.75, noise)
    assert torch.equal(a.loss, b.loss) and torch.equal(a.pred, b.pred) and torch.equal(a.mask, b.mask)


def test_norm_pix_target_by_hand():
    model = tiny()
    imgs = images()
    t = model.targets(imgs)
    patches = patchify(imgs, 4)
    for b, n in [(0, 0), (1, 17), (1, 63)]:
        v = patches[b, n]
        mean, var = v.mean(), ((v - v.mean()) ** 2).sum() / (v.numel() - 1)  # unbiased
        torch.testing.assert_close(t[b, n], (v - mean) / torch.sqrt(var + 1e-6), atol=1e-5, rtol=1e-5)
    # A constant patch maps to 0 (eps keeps it finite), the target of raw-pixel models is raw.
    const = torch.full((1, 1, 48), 0.3)
    assert torch.equal(normalized_targets(const), torch.zeros(1, 1, 48))
    assert torch.equal(tiny(norm_pix_loss=False).targets(imgs), patches)


@pytest.mark.parametrize("norm_pix", [True, False])
def test_loss_equals_hand_computation(norm_pix):
    model = tiny(norm_pix_loss=norm_pix)
    imgs, noise = images(), noise_for(model)
    out = model(imgs, 0.75, noise)
    patches = patchify(imgs, 4)
    target = normalized_targets(patches) if norm_pix else patches
    total, count = 0.0, 0
    for b in range(2):
        for n in range(model.num_patches):
            if out.mask[b, n] == 1:
                total += ((out.pred[b, n] - target[b, n]) ** 2).mean().item()
                count += 1
    assert count == 2 * (64 - 16)
    # float32 sums of 96 terms vs float64 python accumulation: 1e-5 relative.
    assert out.loss.item() == pytest.approx(total / count, rel=1e-5)
    assert masked_mse(out.pred, target, out.mask).item() == pytest.approx(total / count, rel=1e-5)


def test_nothing_masked_gives_zero_loss_not_nan():
    model = tiny()
    out = model(images(), 0.0, noise_for(model))
    assert out.loss.item() == 0.0 and out.mask.sum() == 0


def test_initialization_follows_the_recipe():
    model = tiny()
    enc, cfg = model.encoder, model.config
    w = enc.patch_embed.proj.weight  # (D, C, p, p) seen as a (D, C*p*p) matrix
    fan_out, fan_in = w.shape[0], w[0].numel()
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert w.abs().max() <= bound
    # A uniform(-a, a) sample of 4608 values has std a/sqrt(3) to within ~1 % (1 sigma): 5 %.
    assert w.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert torch.equal(enc.patch_embed.proj.bias, torch.zeros_like(enc.patch_embed.proj.bias))
    for name, lin in [("qkv", enc.blocks[0].attn.qkv), ("decoder_embed", model.decoder_embed), ("pred", model.decoder_pred)]:
        b = math.sqrt(6 / (lin.in_features + lin.out_features))
        assert lin.weight.abs().max() <= b, name
        assert lin.weight.std().item() == pytest.approx(b / math.sqrt(3), rel=0.1), name
        assert torch.equal(lin.bias, torch.zeros_like(lin.bias)), name
    norms = [m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert len(norms) == 2 * cfg.depth + 1 + 2 * cfg.decoder_depth + 1
    for ln in norms:
        assert ln.eps == 1e-6 and torch.equal(ln.weight, torch.ones_like(ln.weight)) and torch.equal(ln.bias, torch.zeros_like(ln.bias))
    # std 0.02 from 96 (cls) / 64 (mask token) samples: the estimate's relative sd is about
    # 1/sqrt(2n) < 9 %, so 35 % is a 4-sigma band that still rejects 0 or 1.
    for token in (enc.cls_token, model.mask_token):
        assert token.std().item() == pytest.approx(0.02, rel=0.35)
    assert not enc.pos_embed.requires_grad and not model.decoder_pos_embed.requires_grad
    assert torch.equal(enc.pos_embed[0], sincos_2d(cfg.dim, 8, 8, cls_token=True))
    assert torch.equal(model.decoder_pos_embed[0], sincos_2d(cfg.decoder_dim, 8, 8, cls_token=True))


def test_paper_presets_have_the_paper_sizes():
    # Decoder: 512-d, 8 blocks, 16 heads; 224 px; ViT-B/16, ViT-L/16, ViT-H/14.
    expected = {"base": (16, 768, 12, 12), "large": (16, 1024, 24, 16), "huge": (14, 1280, 32, 16)}
    paper_params_m = {"base": 86, "large": 304, "huge": 632}  # the ViT papers' counts incl. a 1000-way head
    for name, (p, dim, depth, heads) in expected.items():
        cfg = PRESETS[name]
        assert (cfg.img_size, cfg.patch_size, cfg.dim, cfg.depth, cfg.heads) == (224, p, dim, depth, heads)
        assert (cfg.decoder_dim, cfg.decoder_depth, cfg.decoder_heads) == (512, 8, 16)
        assert cfg.norm_pix_loss and cfg.loss_on == "masked" and cfg.masking == "random"
        with torch.device("meta"):  # shapes only: no memory, no init cost
            model = MAE(cfg)
        n = sum(q.numel() for q in model.encoder.parameters() if q.requires_grad) + dim * 1000 + 1000
        assert round(n / 1e6) == paper_params_m[name], (name, n)
        assert model.num_patches == (224 // p) ** 2


@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_small_presets_build_and_run(preset):
    model = build_mae(preset)
    out = model(images(1), 0.75)
    assert out.pred.shape == (1, 64, 48) and out.loss.ndim == 0 and torch.isfinite(out.loss)
    with pytest.raises(ValueError, match="preset must be one of"):
        mae_config("gigantic")


def test_config_round_trip():
    model = tiny(masking="block", norm_pix_loss=False)
    again = mae_from_config(model.config_dict())
    assert type(again) is MAE and again.config == model.config
    mt = build_mae("tiny", encoder_mask_tokens=True)
    assert mae_from_config(mt.config_dict()).config.encoder_mask_tokens is True


def test_encoder_mask_tokens_variant_sees_every_position():
    torch.manual_seed(0)
    model = build_mae("tiny", encoder_mask_tokens=True)
    assert model.config.encoder_mask_tokens
    imgs, noise = images(), noise_for(model)
    x = first_block_input(model, imgs, 0.75, noise)
    assert x.shape == (2, 1 + model.num_patches, model.config.dim)
    assert model.encoder_sequence_length(0.75) == 1 + model.num_patches
    out = model(imgs, 0.75, noise)
    assert out.pred.shape == (2, 64, 48) and out.mask.sum() == 2 * 48
    # Removed positions carry the encoder mask token (+ position), not the patch.
    enc = model.encoder
    i = int(torch.nonzero(out.mask[0] == 1)[0])
    torch.testing.assert_close(x[0, 1 + i], (model.encoder_mask_token[0, 0] + enc.pos_embed[0, 1 + i]).detach())
    # Same mask as the asymmetric model for the same noise.
    assert torch.equal(out.mask, tiny()(imgs, 0.75, noise).mask)
    out.loss.backward()
    assert model.encoder_mask_token.grad is not None and model.encoder_mask_token.grad.abs().sum() > 0


def test_gradients_reach_every_trainable_parameter():
    model = tiny()
    model(images(), 0.75, noise_for(model)).loss.backward()
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and p.grad.abs().sum() > 0, name
        else:
            assert p.grad is None, name


@pytest.mark.parametrize("channels,norm_pix", [(3, True), (1, False), (1, True)])
def test_reconstruct_returns_figure2_images(channels, norm_pix):
    model = tiny(in_chans=channels, img_size=16, norm_pix_loss=norm_pix)
    imgs = images(3, channels, 16)
    rec = model.reconstruct(imgs, 0.75, noise_for(model, 3))
    for key in ("masked", "reconstruction", "pasted", "original"):
        assert rec[key].shape == imgs.shape, key
    assert rec["mask"].shape == (3, 16) and rec["loss"].ndim == 0
    pix = rec["mask"].reshape(3, 1, 4, 4).repeat_interleave(4, 2).repeat_interleave(4, 3).expand_as(imgs).bool()
    # Visible patches are pasted from the original exactly; removed ones come from the
    # prediction (mapped back to pixels) and are blacked out in "masked".
    assert torch.equal(rec["pasted"][~pix], imgs[~pix])
    assert torch.equal(rec["pasted"][pix], rec["reconstruction"][pix])
    assert torch.equal(rec["masked"][~pix], imgs[~pix]) and (rec["masked"][pix] == 0).all()
    assert torch.equal(rec["original"], imgs)
    if not norm_pix:
        assert "control" not in rec  # pixel targets: nothing of the hidden patch reaches the picture
        return
    # The control: visible patches pasted, each hidden patch flat at its own true mean (the
    # zero prediction mapped back with the hidden patch's statistics), the leak made visible.
    assert torch.equal(rec["control"][~pix], imgs[~pix])
    patch_mean = imgs.reshape(3, channels, 4, 4, 4, 4).permute(0, 2, 4, 3, 5, 1).reshape(3, 16, 16 * channels).mean(-1)
    expected = patch_mean.reshape(3, 1, 4, 4).repeat_interleave(4, 2).repeat_interleave(4, 3).expand_as(imgs)
    torch.testing.assert_close(rec["control"][pix], expected[pix])


@pytest.mark.parametrize("field,value,match", [
    ("patch_size", 0, "patch_size must be an int >= 1, got 0"),
    ("in_chans", 0, "in_chans must be an int >= 1, got 0"),
    ("depth", -1, "depth must be an int >= 0, got -1"),
    ("dim", 90, "dim=90 is not divisible by heads=4"),
    ("img_size", 30, "img_size=30 is not divisible by patch_size=4"),
    ("mlp_ratio", float("nan"), "mlp_ratio must be a positive number"),
])
def test_bad_sizes_are_named_before_anything_is_built(field, value, match):
    with pytest.raises(ValueError, match=match):
        build_mae("tiny", **{field: value})


def test_unknown_override_is_named():
    with pytest.raises(TypeError, match="no field"):
        build_mae("tiny", decoder_width=3)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_other_float_dtypes_are_cast_to_the_models(dtype):
    model = tiny()
    imgs, noise = images(), noise_for(model)
    want = model(imgs, 0.75, noise)
    got = model(imgs.to(dtype), 0.75, noise)
    assert got.loss.dtype == torch.float32
    # the input was rounded to `dtype` and back: the loss moves by that rounding only
    torch.testing.assert_close(got.loss, want.loss, rtol=2e-2, atol=0)


def test_nan_or_inf_pixels_are_an_input_error_not_a_nan_loss():
    model = tiny()
    imgs = images()
    imgs[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="imgs contains 1 NaN or inf"):
        model(imgs)
    imgs[0, 0, 0, 0] = float("inf")
    with pytest.raises(ValueError, match="NaN or inf"):
        model.reconstruct(imgs)


def test_numpy_noise_is_accepted_like_a_tensor():
    model = tiny()
    noise = noise_for(model)
    a = model(images(), 0.75, noise)
    b = model(images(), 0.75, noise.numpy().astype("float64"))
    assert torch.equal(a.mask, b.mask) and torch.equal(a.loss, b.loss)
    with pytest.raises(ValueError, match="noise must have shape"):
        model(images(), 0.75, noise.numpy()[:, :3])


def test_the_package_docstring_names_only_what_exists():
    """``maelearn``'s docstring shows imports; each must work (it named a mae_preset once)."""
    import re

    import maelearn

    lines = re.findall(r"^\s+from (maelearn[\w.]*) import (.+)$", maelearn.__doc__, re.M)
    assert lines
    for module, names in lines:
        mod = __import__(module, fromlist=["_"])
        for name in (n.strip() for n in names.split(",")):
            assert hasattr(mod, name), f"{module}.{name}"
