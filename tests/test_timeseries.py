"""Time-series MAE and the activity-series generator: tokens, masks, targets, the model's
contract (encoder sees 1+K tokens, loss on removed patches), data determinism and meaning."""

import math

import pytest
import torch

from maelearn.data.timeseries import CLASSES, activity_series
from maelearn.mae import masked_mse, normalized_targets
from maelearn.masking import mask_by_noise
from maelearn.timeseries import (
    TimeSeriesMAE,
    build_timeseries_mae,
    forecast_mask,
    forecast_noise,
    normalize_series,
    patchify_series,
    series_targets,
    spectrum_features,
    timeseries_mae_config,
    unpatchify_series,
)
from maelearn.train import TrainConfig, pretrain


pytestmark = pytest.mark.usefixtures("one_thread")


# -- tokens ----------------------------------------------------------------------------------


def test_patchify_order_and_round_trip():
    x = torch.arange(2 * 3 * 8, dtype=torch.float32).reshape(2, 3, 8)
    p = patchify_series(x, 4)
    assert p.shape == (2, 2, 12)
    # patch 1 of series 0: steps 4..7, in (step, channel) order
    assert p[0, 1, :3].tolist() == [x[0, 0, 4].item(), x[0, 1, 4].item(), x[0, 2, 4].item()]
    assert p[0, 1, 3:6].tolist() == x[0, :, 5].tolist()
    assert torch.equal(unpatchify_series(p, 4, 3), x)


def test_patchify_rejects_bad_input():
    with pytest.raises(ValueError, match="not divisible by p=5"):
        patchify_series(torch.zeros(1, 2, 12), 5)
    with pytest.raises(ValueError, match=r"\(B, C, L\)"):
        patchify_series(torch.zeros(2, 12), 4)
    with pytest.raises(TypeError, match="floating point"):
        patchify_series(torch.zeros(1, 2, 12, dtype=torch.long), 4)
    with pytest.raises(ValueError, match="p\\*C"):
        unpatchify_series(torch.zeros(1, 3, 10), 4, 3)


def test_series_targets_is_normalized_targets_of_patches():
    x = torch.randn(2, 3, 16, generator=torch.Generator().manual_seed(0))
    t = series_targets(x, 4)
    assert torch.equal(t, normalized_targets(patchify_series(x, 4)))
    # every patch has mean 0 and unbiased variance var / (var + eps) ~ 1 (eps 1e-6 vs var ~ 1: 1e-5 is ample)
    assert torch.allclose(t.mean(-1), torch.zeros(2, 4), atol=1e-5)
    assert torch.allclose(t.var(-1), torch.ones(2, 4), atol=1e-5)
    assert torch.equal(series_targets(x, 4, norm=False), patchify_series(x, 4))


# -- masks -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n,ratio", [(16, 0.75), (10, 0.7), (10, 0.25), (7, 0.5)])
def test_forecast_mask_keeps_the_past(n, ratio):
    m = forecast_mask(3, n, ratio)
    keep = int(n * (1 - ratio))
    assert m.shape == (3, n) and m.dtype == torch.float32
    assert m[:, :keep].sum() == 0 and bool((m[:, keep:] == 1).all())
    # the noise route gives the same mask through MAE's argsort masking
    masked = mask_by_noise(torch.zeros(3, n, 1), forecast_noise(3, n), keep)
    assert torch.equal(masked.mask, m)
    assert masked.ids_keep.tolist() == [list(range(keep))] * 3


def test_forecast_mask_rejects_bad_input():
    with pytest.raises(ValueError, match="mask_ratio"):
        forecast_mask(1, 8, 1.0)
    with pytest.raises(ValueError, match="batch"):
        forecast_mask(0, 8, 0.5)


# -- the model -----------------------------------------------------------------------------------


def _model(**kw):
    torch.manual_seed(0)
    return build_timeseries_mae("tiny", **kw)


def test_forward_shapes_and_mask_count():
    m = _model()
    x = torch.randn(4, 3, 128)
    out = m(x, 0.75)
    assert out.pred.shape == (4, 16, 24) and out.mask.shape == (4, 16)
    assert out.mask.sum(1).tolist() == [12.0] * 4 and out.loss.ndim == 0 and torch.isfinite(out.loss)


def test_encoder_sees_cls_plus_visible_only():
    m = _model()
    latent, mask, ids_restore = m.forward_encoder(torch.randn(2, 3, 128), 0.75)
    assert latent.shape == (2, 1 + 4, 64)
    assert torch.equal(torch.sort(ids_restore, 1).values, torch.arange(16).expand(2, -1))


def test_loss_by_hand_and_only_removed_patches_count():
    m = _model()
    x = torch.randn(2, 3, 128, generator=torch.Generator().manual_seed(1))
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(2))
    out = m(x, 0.75, noise)
    target = normalized_targets(patchify_series(x, 8))
    assert torch.allclose(out.loss, masked_mse(out.pred, target, out.mask))
    by_hand = (((out.pred - target) ** 2).mean(-1) * out.mask).sum() / out.mask.sum()
    assert math.isclose(out.loss.item(), by_hand.item(), rel_tol=1e-6)
    # a removed patch's values never reach the encoder
    removed = out.mask[0].bool().nonzero()[0, 0].item()
    x2 = x.clone()
    x2[0, :, removed * 8 : (removed + 1) * 8] += 100.0
    lat1, _, _ = m.forward_encoder(x, 0.75, noise)
    lat2, _, _ = m.forward_encoder(x2, 0.75, noise)
    assert torch.equal(lat1, lat2)


def test_ratio_zero_gives_zero_loss_and_forecast_config():
    m = _model()
    assert m(torch.randn(2, 3, 128), 0.0).loss.item() == 0.0
    f = _model(masking="forecast")
    out = f(torch.randn(2, 3, 128), 0.25)
    assert torch.equal(out.mask, forecast_mask(2, 16, 0.25))
    assert f.make_noise(2, 0.25).shape == (2, 16)


def test_config_and_input_checks():
    with pytest.raises(ValueError, match="masking"):
        timeseries_mae_config("tiny", masking="block")
    with pytest.raises(ValueError, match="not divisible by patch_size"):
        timeseries_mae_config("tiny", length=100)
    with pytest.raises(ValueError, match="preset"):
        build_timeseries_mae("huge")
    with pytest.raises(ValueError, match=r"\(C, L\)"):
        _model()(torch.randn(2, 4, 128))
    with pytest.raises(ValueError, match="pool"):
        _model().features(torch.randn(2, 3, 128), pool="max")


def test_features_and_reconstruct():
    m = _model().train()
    x = torch.randn(5, 3, 128)
    f = m.features(x)
    assert f.shape == (5, 64) and m.training  # mode restored
    assert torch.allclose(m.features(x, pool="mean", batch_size=2), m.features(x, pool="mean"), atol=1e-5)
    rec = m.reconstruct(x, 0.5)
    assert rec["reconstruction"].shape == x.shape
    visible = (1 - rec["mask"]).bool()  # (B, N)
    pasted, orig = patchify_series(rec["pasted"], 8), patchify_series(x, 8)
    assert torch.equal(pasted[visible], orig[visible])


def test_pretrain_lowers_the_loss():
    data = activity_series(64, seed=0)
    (x,) = normalize_series(data.series)
    m = _model()
    h = pretrain(m, x, TrainConfig(epochs=8, batch_size=16, lr=2e-3, warmup_epochs=1), progress=False)
    # 32 steps: the last epoch's mean loss is well below the first's (observed ~30 % lower)
    assert h.epoch_loss[-1] < 0.9 * h.epoch_loss[0]


# -- data -------------------------------------------------------------------------------------------


def test_activity_series_shapes_and_determinism():
    a = activity_series(20, seed=3)
    assert a.series.shape == (20, 3, 128) and a.series.dtype == torch.float32
    assert a.classes == list(CLASSES) and torch.bincount(a.labels).tolist() == [4] * 5
    assert torch.equal(a.series, activity_series(20, seed=3).series)
    assert not torch.equal(a.series, activity_series(20, seed=4).series)
    tr, te = a.split(15, seed=0)
    assert len(tr) == 15 and len(te) == 5 and len(a[2]) == 1
    with pytest.raises(ValueError, match="n_first"):
        a.split(20)
    with pytest.raises(ValueError, match="channels"):
        activity_series(4, channels=1)


def test_activity_classes_have_their_rhythm():
    d = activity_series(100, seed=0, noise=0.0)
    spec = torch.fft.rfft(d.series - d.series.mean(-1, keepdim=True), dim=-1).abs().sum(1)  # (N, L/2+1)
    freqs = torch.fft.rfftfreq(128, 1 / d.sr)
    for i in range(len(d)):
        label, rate = int(d.labels[i]), float(d.attributes["rate"][i])
        if CLASSES[label] in ("walk", "run", "cycle"):
            # the fundamental dominates up to one FFT bin (50/128 Hz) plus leakage of a partial period
            peak = float(freqs[spec[i, 1:].argmax() + 1])
            assert abs(peak - rate) <= 2 * 50 / 128 or abs(peak - 2 * rate) <= 2 * 50 / 128, (i, peak, rate)
    cyc = d[d.labels == CLASSES.index("cycle")]
    # cycle: channels 0 and 1 a quarter period apart -> nearly uncorrelated over whole periods
    c = torch.stack([torch.corrcoef(s[:2])[0, 1] for s in cyc.series])
    assert c.abs().mean() < 0.3


def test_normalize_series_uses_training_statistics():
    a, b = torch.randn(10, 2, 16) * 3 + 1, torch.randn(4, 2, 16)
    na, nb = normalize_series(a, b)
    assert torch.allclose(na.mean(dim=(0, 2)), torch.zeros(2), atol=1e-5)
    assert torch.allclose(na.std(dim=(0, 2)), torch.ones(2), atol=1e-4)
    mean, std = a.mean(dim=(0, 2), keepdim=True), a.std(dim=(0, 2), keepdim=True)
    assert torch.allclose(nb, (b - mean) / (std + 1e-6))


def test_spectrum_features():
    t = torch.arange(64) / 64
    x = torch.stack([torch.sin(2 * math.pi * 4 * t), torch.cos(2 * math.pi * 4 * t)])[None] + 2.0  # (1, 2, 64)
    f = spectrum_features(x, bins=8).reshape(2, 8)
    assert f.argmax(1).tolist() == [4, 4]  # 4 cycles -> bin 4, offset removed
    shifted = torch.roll(x, 5, dims=-1)  # whole periods: a circular shift changes only the phase
    assert torch.allclose(spectrum_features(shifted, 8), spectrum_features(x, 8), atol=1e-4)
    with pytest.raises(ValueError, match="bins"):
        spectrum_features(x, bins=100)
