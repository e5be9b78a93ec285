"""VideoMAE fidelity: the same checks as the image MAE (masks, encoder length, loss on
masked cubes only, determinism with fixed noise), plus what VideoMAE changes (cubes, tube
masks, per-channel cube targets, bias-free encoder-to-decoder, the ViT-B preset)."""

import math

import pytest
import torch
from einops import rearrange

from maelearn.mae import masked_mse
from maelearn.models import mae_from_config
from maelearn.patches import patchify_video
from maelearn.video import (
    PRESETS,
    VideoMAE,
    build_videomae,
    copy_neighbour_error,
    cube_targets,
    temporal_leakage,
    tube_mask,
    videomae_config,

)


def _videos(b=2, seed=0):
    return torch.rand(b, 3, 8, 32, 32, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def tube_model():
    torch.manual_seed(0)
    return build_videomae("tiny")


@pytest.fixture(scope="module")
def random_model():
    torch.manual_seed(0)
    return build_videomae("tiny", masking="random")


def test_tiny_geometry(tube_model):
    assert tube_model.grid == (4, 4, 4)
    assert tube_model.num_patches == 64
    assert tube_model.tokenizer.patch_dim == 2 * 8 * 8 * 3


def test_tube_mask_is_the_same_in_every_time_slot_and_keeps_int_s(tube_model):
    out = tube_model(_videos(3), mask_ratio=0.9)
    m = rearrange(out.mask, "b (t s) -> b t s", t=4)
    assert torch.equal(m, m[:, :1].expand_as(m))
    # S = 16 spatial positions, VideoMAE masks int(0.9 * 16) = 14 per slot -> 2 x 4 = 8 visible cubes
    assert torch.equal(out.mask.sum(1), torch.full((3,), 64.0 - 8))


def test_model_mask_equals_tube_mask_of_its_noise(tube_model):
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(1))
    out = tube_model(_videos(), 0.75, noise=noise)
    assert torch.equal(out.mask, tube_mask(noise, 4, 0.75))
    keep = noise.argsort(1)[:, :4]  # the 4 lowest-noise positions are visible in every slot
    for b in range(2):
        visible = (out.mask[b].reshape(4, 16) == 0).nonzero()[:, 1].unique()
        assert set(visible.tolist()) == set(keep[b].tolist())


def test_random_spacetime_mask_count_and_varies_over_time(random_model):
    out = random_model(_videos(4), mask_ratio=0.9)
    # the same budget as the tube mask at this ratio: 4 slots x (16 - int(0.9 * 16)) = 8 visible
    assert torch.equal(out.mask.sum(1), torch.full((4,), 64.0 - 8))
    m = rearrange(out.mask, "b (t s) -> b t s", t=4)
    assert not torch.equal(m, m[:, :1].expand_as(m))


@pytest.mark.parametrize("ratio", [0.5, 0.75, 0.9])
def test_tube_and_random_mask_the_same_number_of_cubes(tube_model, random_model, ratio):
    tube, rand = tube_model(_videos(), ratio), random_model(_videos(), ratio)
    assert torch.equal(tube.mask.sum(1), rand.mask.sum(1))
    assert tube_model.encoder_sequence_length(ratio) == random_model.encoder_sequence_length(ratio)


def test_noise_shape_is_checked(tube_model, random_model):
    with pytest.raises(ValueError, match="noise must have shape"):
        tube_model(_videos(), 0.9, noise=torch.rand(2, 64))
    with pytest.raises(ValueError, match="noise must have shape"):
        random_model(_videos(), 0.9, noise=torch.rand(2, 16))


@pytest.mark.parametrize("ratio", [0.5, 0.75, 0.9])
def test_encoder_sees_visible_cubes_only(tube_model, random_model, ratio):
    for model in (tube_model, random_model):
        latent, mask, ids_restore = model.forward_encoder(_videos(), ratio)
        assert latent.shape == (2, model.encoder_sequence_length(ratio), model.config.dim)
        assert latent.shape[1] == int((mask[0] == 0).sum())  # no [CLS]: exactly the visible ones
        assert ids_restore.shape == (2, 64)


def test_base_preset_is_the_papers_vit_b():
    cfg = videomae_config("base")
    assert (cfg.frames, cfg.img_size, cfg.tubelet, cfg.patch_size) == (16, 224, 2, 16)
    assert (cfg.dim, cfg.depth, cfg.heads) == (768, 12, 12)
    assert (cfg.decoder_dim, cfg.decoder_depth, cfg.decoder_heads) == (384, 4, 6)
    assert cfg.masking == "tube" and cfg.norm_pix_loss and cfg.pos_embed == "1d"
    assert cfg.grid == (8, 14, 14) and cfg.num_patches == 1568
    model = VideoMAE(cfg)
    # 90 % tube masking removes int(0.9 * 196) = 176 positions, keeps 20, in each of 8 slots
    assert model.encoder_sequence_length(0.9) == 160
    encoder = sum(p.numel() for n, p in model.named_parameters() if n.startswith("encoder."))
    # ViT-B/16 has about 86 M parameters; the cube projection adds 768*(2*16*16*3 - 16*16*3)
    assert 86e6 < encoder < 88e6


def test_loss_is_on_masked_cubes_only(tube_model):
    videos = _videos()
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(3))
    latent, mask, ids_restore = tube_model.forward_encoder(videos, 0.75, noise)
    pred = tube_model.forward_decoder(latent, ids_restore).detach().requires_grad_(True)
    loss = masked_mse(pred, tube_model.targets(videos), mask)
    loss.backward()
    visible = mask == 0
    assert float(pred.grad[visible].abs().max()) == 0.0
    assert float(pred.grad[~visible].abs().max()) > 0.0
    out = tube_model(videos, 0.75, noise=noise)
    # same graph, same numbers: the model's loss is exactly the masked MSE on cube targets
    torch.testing.assert_close(out.loss, loss.detach(), rtol=1e-6, atol=1e-7)
    # manual: mean over removed cubes of the per-cube mean squared error
    target = cube_targets(videos, 8, 2)
    per = ((out.pred - target) ** 2).mean(-1)
    torch.testing.assert_close(out.loss, per[mask.bool()].mean(), rtol=1e-5, atol=1e-7)


def test_cube_targets_normalize_per_cube_per_channel():
    videos = _videos()
    t = cube_targets(videos, 8, 2)
    per = rearrange(t, "b n (k c) -> b n k c", c=3)
    # float32 mean of 128 values: |mean| below 1e-5; unbiased std is 1/(1 + eps/std) ~ 1
    assert per.mean(2).abs().max() < 1e-5
    torch.testing.assert_close(per.std(2), torch.ones_like(per.std(2)), rtol=1e-4, atol=1e-4)
    # eps is added to the std, not to the variance: a near-flat cube shows the difference
    flat = torch.full((1, 3, 2, 8, 8), 0.5)
    flat[0, :, 0, 0, 0] += 1e-4
    got = cube_targets(flat, 8, 2)
    x = rearrange(patchify_video(flat, 8, 2), "b n (k c) -> b n k c", c=3)
    want = (x - x.mean(2, keepdim=True)) / (x.std(2, keepdim=True) + 1e-6)
    torch.testing.assert_close(got, rearrange(want, "b n k c -> b n (k c)"))
    assert torch.equal(cube_targets(torch.full((1, 3, 2, 8, 8), 0.3), 8, 2), torch.zeros(1, 1, 384))


def test_targets_without_norm_pix_are_raw_cubes():
    model = build_videomae("tiny", norm_pix_loss=False)
    v = _videos()
    assert torch.equal(model.targets(v), patchify_video(v, 8, 2))


def test_determinism_with_fixed_noise(tube_model):
    videos = _videos()
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(5))
    a, b = tube_model(videos, 0.9, noise), tube_model(videos, 0.9, noise)
    assert torch.equal(a.loss, b.loss) and torch.equal(a.pred, b.pred) and torch.equal(a.mask, b.mask)
    c = tube_model(videos, 0.9, torch.rand(2, 16, generator=torch.Generator().manual_seed(6)))
    assert not torch.equal(a.mask, c.mask)


def test_cube_embedding_conv3d_equals_linear_on_cube_vectors(tube_model):
    videos = _videos()
    full = tube_model.tokenizer(videos)
    lin = tube_model.tokenizer.embed_cubes(patchify_video(videos, 8, 2))
    # float32, 384-term dot products computed in different orders
    torch.testing.assert_close(full, lin, rtol=1e-5, atol=1e-5)


def test_videomae_specifics_bias_free_projection_fixed_positions_no_cls(tube_model):
    assert tube_model.decoder_embed.bias is None
    assert not tube_model.encoder.pos_embed.requires_grad and not tube_model.decoder_pos_embed.requires_grad
    assert not any("cls" in n for n, _ in tube_model.named_parameters())
    w = tube_model.tokenizer.proj.weight
    bound = math.sqrt(6 / (w.shape[0] + w[0].numel()))  # xavier-uniform on the (dim, cube) matrix
    top = float(w.detach().abs().max())
    assert 0.9 * bound < top <= bound
    assert float(tube_model.mask_token.detach().std()) < 0.05


def test_1d_positions_option():
    model = build_videomae("tiny", pos_embed="1d")
    assert model.encoder.pos_embed.shape == (1, 64, 64)
    # VideoMAE's get_sinusoid_encoding_table: angle(pos, j) = pos / 10000^(2 (j // 2) / d),
    # sin on even dimensions j, cos on odd ones (written out here, independently of posembed)
    d = 64
    angle = torch.tensor([[p / 10000 ** (2 * (j // 2) / d) for j in range(d)] for p in range(64)], dtype=torch.float64)
    table = torch.where(torch.arange(d) % 2 == 0, torch.sin(angle), torch.cos(angle)).float()
    torch.testing.assert_close(model.encoder.pos_embed[0], table, rtol=0, atol=1e-6)
    assert model.decoder_pos_embed.shape == (1, 64, 48)
    out = model(_videos(), 0.9)
    assert torch.isfinite(out.loss)


def test_reconstruct_pastes_the_visible_cubes(tube_model):
    videos = _videos()
    rec = tube_model.reconstruct(videos, 0.75, noise=torch.rand(2, 16, generator=torch.Generator().manual_seed(2)))
    for k in ("masked", "reconstruction", "pasted", "original"):
        assert rec[k].shape == videos.shape
    visible = (rec["mask"] == 0).unsqueeze(-1)
    pasted, orig = patchify_video(rec["pasted"], 8, 2), patchify_video(videos, 8, 2)
    assert torch.equal(pasted * visible, orig * visible)
    assert float(patchify_video(rec["masked"], 8, 2)[~visible.expand_as(orig)].abs().max()) == 0.0


def test_bad_input_is_named():
    model = build_videomae("tiny")
    with pytest.raises(ValueError, match="videos have shape"):
        model(torch.rand(1, 3, 6, 32, 32))
    with pytest.raises(ValueError, match="videos must have shape"):
        model(torch.rand(1, 3, 32, 32))
    with pytest.raises(ValueError, match="mask_ratio"):
        model(_videos(), 1.0)
    with pytest.raises(ValueError, match="masking"):
        videomae_config("tiny", masking="block")
    with pytest.raises(ValueError, match="preset"):
        videomae_config("huge")


def test_config_round_trip():
    model = build_videomae("tiny", masking="random")
    again = mae_from_config(model.config_dict())
    assert again.config == model.config


def test_temporal_leakage():
    grid = (4, 4, 4)
    noise = torch.rand(8, 16, generator=torch.Generator().manual_seed(0))
    assert temporal_leakage(tube_mask(noise, 4, 0.75), grid) == 0.0
    # one removed cube in slot 0 whose neighbour in slot 1 is visible -> leak; slot 3 alone -> not
    m = torch.zeros(1, 64)
    m[0, 0] = 1  # slot 0, position 0: slot 1 position 0 visible -> leaks
    assert temporal_leakage(m, grid) == 1.0
    m = torch.ones(1, 64)
    m[0, 16 * 1 + 5] = 0  # only position 5 of slot 1 is visible: slots 0 and 2 at position 5 leak
    assert temporal_leakage(m, grid) == pytest.approx(2 / 63)
    # random masking at ratio r: about 1 - r**2 for interior slots, 1 - r at the two ends
    big = (torch.rand(4000, 64, generator=torch.Generator().manual_seed(1)) < 0.9).float()
    expected = (2 * (1 - 0.9) + 2 * (1 - 0.9**2)) / 4
    assert temporal_leakage(big, grid) == pytest.approx(expected, abs=0.01)  # 230k cubes: std ~ 1e-3


def test_copy_neighbour_error_is_zero_on_static_video():
    still = _videos(1)[:, :, :1].expand(-1, -1, 8, -1, -1).contiguous()  # one frame repeated
    random_mask = (torch.rand(1, 64, generator=torch.Generator().manual_seed(0)) < 0.7).float()
    random_mask[0, 16:32] = 0  # slot 1 fully visible: every removed cube has a copy source
    assert copy_neighbour_error(still, random_mask, 8) == pytest.approx(0.0, abs=1e-12)
    tube = tube_mask(torch.rand(1, 16, generator=torch.Generator().manual_seed(0)), 4, 0.75)
    assert copy_neighbour_error(still, tube, 8) > 0.01  # nothing to copy: mean fill


def test_pretrain_engine_drives_videomae_and_loss_falls():
    from maelearn.train import TrainConfig, pretrain

    torch.manual_seed(0)
    model = build_videomae("tiny")
    videos = _videos(16, seed=1)
    hist = pretrain(model, videos, TrainConfig(epochs=6, batch_size=8, lr=2e-3, warmup_epochs=1, mask_ratio=0.9,
                                               device="cpu"), progress=False)
    assert all(math.isfinite(x) for x in hist.loss)
    assert hist.epoch_loss[-1] < hist.epoch_loss[0]


def test_presets_build():
    for name in PRESETS:
        if name != "base":
            out = build_videomae(name)(_videos(), 0.9)
            assert torch.isfinite(out.loss)
