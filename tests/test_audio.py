"""Spectrogram MAE: MAE's recipe on a one-channel, non-square (frequency, time) input."""

import math

import pytest
import torch

from maelearn.audio import (
    SpectrogramMAE,
    build_spectrogram_mae,
    log_mel,
    mfcc_features,
    normalize_specs,
    spectrogram_mae_config,
)
from maelearn.mae import MAE, masked_mse, normalized_targets
from maelearn.patches import patchify


def _specs(b=2, seed=0):
    return torch.randn(b, 1, 32, 64, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_spectrogram_mae("tiny")


def test_is_an_mae_on_a_rectangular_grid(model):
    assert isinstance(model, MAE)
    assert model.grid == (8, 16) and model.num_patches == 128
    assert model.encoder.pos_embed.shape == (1, 129, 96)
    assert model.decoder_pos_embed.shape == (1, 129, 64)
    assert not model.encoder.pos_embed.requires_grad


def test_forward_masks_and_encoder_length(model):
    out = model(_specs(3), 0.8)
    keep = int(128 * (1 - 0.8))
    assert out.pred.shape == (3, 128, 16)
    assert torch.equal(out.mask.sum(1), torch.full((3,), 128.0 - keep))
    latent, _, _ = model.forward_encoder(_specs(3), 0.8)
    assert latent.shape == (3, model.encoder_sequence_length(0.8), 96) == (3, 1 + keep, 96)


def test_loss_is_masked_mse_on_normalized_patches(model):
    x = _specs()
    noise = torch.rand(2, 128, generator=torch.Generator().manual_seed(1))
    out = model(x, 0.8, noise)
    want = masked_mse(out.pred, normalized_targets(patchify(x, 4)), out.mask)
    torch.testing.assert_close(out.loss, want)
    again = model(x, 0.8, noise)
    assert torch.equal(out.pred, again.pred) and torch.equal(out.mask, again.mask)


def test_patch_order_is_frequency_rows_then_time_columns(model):
    x = torch.zeros(1, 1, 32, 64)
    x[0, 0, 4:8, 0:4] = 1.0  # frequency row 1, time column 0 -> patch index 1 * 16 + 0
    p = patchify(x, 4)
    assert p[0].sum(1).nonzero().flatten().tolist() == [16]


def test_full_encoder_runs_on_rectangular_input(model):
    assert model.features(_specs()).shape == (2, 96)
    with pytest.raises(ValueError, match="built for"):
        model(torch.randn(1, 1, 64, 32))
    with pytest.raises(ValueError, match="channels"):
        model(torch.randn(1, 2, 32, 64))


def test_reconstruct_shapes(model):
    rec = model.reconstruct(_specs(), 0.8)
    assert rec["pasted"].shape == (2, 1, 32, 64)


def test_config_checks_and_base_preset():
    with pytest.raises(ValueError, match="multiple of patch_size"):
        spectrogram_mae_config("tiny", frames=30)
    base = spectrogram_mae_config("base")
    # Audio-MAE's layout: 1024 frames x 128 mel bands, time rows -> 64 x 8 patches of 16 x 16
    assert base.layout == "time_freq" and base.size == (1024, 128)
    assert base.grid == (64, 8) and (base.dim, base.depth, base.decoder_dim, base.decoder_depth) == (768, 12, 512, 8)
    with pytest.raises(ValueError, match="layout must be one of"):
        spectrogram_mae_config("tiny", layout="freq")


def test_time_freq_layout_is_the_transpose():
    waves = torch.randn(2, 16000, generator=torch.Generator().manual_seed(1))
    ft, tf = log_mel(waves, 16000), log_mel(waves, 16000, layout="time_freq")
    assert tf.shape == (2, 1, 64, 32) and torch.equal(tf, ft.transpose(-2, -1))
    model = build_spectrogram_mae("tiny", layout="time_freq")
    assert model.grid == (16, 8) and model(tf, 0.8).pred.shape == (2, 128, 16)
    with pytest.raises(ValueError, match="specs have size"):
        model(ft)


def test_log_mel_shape_and_normalization():
    g = torch.Generator().manual_seed(0)
    t = torch.arange(16000) / 16000
    waves = torch.stack([torch.sin(2 * math.pi * 440 * t), 0.1 * torch.randn(16000, generator=g)]).float()
    s = log_mel(waves, 16000)
    assert s.shape == (2, 1, 32, 64) and torch.isfinite(s).all()
    # the tone's energy sits in a few bands: its loudest band is far above its median band
    band = s[0, 0].mean(-1)
    assert float(band.max() - band.median()) > 20.0  # dB
    tr, te = normalize_specs(s, s[:1])
    # Audio-MAE's normalization: (x - mean) / (2 std), so the training set's std is 1/2
    assert abs(float(tr.mean())) < 1e-4 and abs(float(tr.std()) - 0.5) < 1e-4
    torch.testing.assert_close(te, tr[:1])
    tr1, _ = normalize_specs(s, s[:1], std_scale=1.0)
    assert abs(float(tr1.std()) - 1) < 1e-4


def test_mfcc_features_shape():
    waves = torch.randn(3, 8000, generator=torch.Generator().manual_seed(0))
    assert mfcc_features(waves, 16000).shape == (3, 26)


def test_pretrain_engine_drives_spectrogram_mae():
    from maelearn.train import TrainConfig, pretrain

    torch.manual_seed(0)
    model = SpectrogramMAE()
    specs = _specs(16, seed=3)
    hist = pretrain(model, specs, TrainConfig(epochs=4, batch_size=8, lr=2e-3, warmup_epochs=1, mask_ratio=0.8,
                                              device="cpu"), progress=False)
    assert all(math.isfinite(v) for v in hist.loss) and hist.epoch_loss[-1] < hist.epoch_loss[0]
