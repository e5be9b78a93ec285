"""maelearn.dae: corruptions are reproducible and have the right statistics; the loss; training
reduces the loss; bad input raises clear errors."""

import pytest
import torch

from maelearn.dae import (
    Autoencoder,
    dae_loss,
    gaussian_noise,
    masking_noise,
    neighbour_average,
    reconstruction_error,
    train_autoencoder,
)


def test_gaussian_noise_reproducible_and_scaled():
    x = torch.zeros(200, 500)
    a = gaussian_noise(x, 0.3, torch.Generator().manual_seed(0))
    b = gaussian_noise(x, 0.3, torch.Generator().manual_seed(0))
    assert torch.equal(a, b)
    # 10^5 samples: the sample std is within 1 % of sigma with overwhelming probability.
    assert abs(a.std().item() - 0.3) < 0.003
    assert abs(a.mean().item()) < 0.003


def test_masking_noise_fraction_and_mask():
    x = torch.rand(100, 1000) + 0.5  # never zero, so zeros mark corruption
    noisy, mask = masking_noise(x, 0.25, torch.Generator().manual_seed(1))
    assert mask.dtype == x.dtype and mask.shape == x.shape
    assert torch.equal(noisy == 0, mask.bool())
    assert torch.equal(noisy[mask == 0], x[mask == 0])  # kept pixels are not rescaled
    # Binomial(10^5, 0.25): sd 0.0014, tolerance ~7 sd.
    assert abs(mask.mean().item() - 0.25) < 0.01


def test_dae_loss_masked_and_unmasked():
    recon, clean = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.zeros(2, 2)
    assert dae_loss(recon, clean).item() == pytest.approx(7.5)
    mask = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert dae_loss(recon, clean, mask).item() == pytest.approx((1 + 16) / 2)


def test_training_reduces_reconstruction_error():
    torch.manual_seed(0)
    data = torch.rand(256, 64)
    model = Autoencoder(64, code_dim=16, hidden=64)
    before = reconstruction_error(model, data)
    hist = train_autoencoder(model, data, lambda x, g: masking_noise(x, 0.3, g), epochs=5, batch_size=64, progress=False)
    assert len(hist.epoch_loss) == 5 and hist.epoch_loss[-1] < hist.epoch_loss[0]
    assert len(hist.loss) == 5 * 4 and hist.lr == [2e-3] * 20  # 256 / 64 steps per epoch, constant lr
    assert reconstruction_error(model, data) < before


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="p must be in"):
        masking_noise(torch.rand(3), 1.5)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_noise(torch.rand(3), -1.0)
    with pytest.raises(TypeError, match="floating-point"):
        masking_noise(torch.arange(3), 0.5)
    with pytest.raises(ValueError, match="shape"):
        dae_loss(torch.rand(2, 3), torch.rand(3, 2))
    with pytest.raises(ValueError, match="flatten"):
        Autoencoder(16).encode(torch.rand(2, 1, 4, 4))


def test_neighbour_average_by_hand():
    """Lesson 05's baseline: a hole gets the mean of its kept neighbours inside the image."""
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    mask = torch.zeros(3, 3)
    mask[0, 0] = mask[1, 1] = 1.0  # a corner hole next to a centre hole
    out = neighbour_average(x * (1 - mask), mask)
    assert out[0, 0].item() == pytest.approx((2 + 4) / 2)  # corner: 3 neighbours, one a hole
    assert out[1, 1].item() == pytest.approx((2 + 3 + 4 + 6 + 7 + 8 + 9) / 7)  # 8 neighbours, one a hole
    keep = mask == 0
    assert torch.equal(out[keep], x[keep])  # kept pixels unchanged
    # a hole whose whole window is masked stays 0; no NaN
    full = torch.ones(3, 3)
    assert torch.equal(neighbour_average(torch.zeros(3, 3), full), torch.zeros(3, 3))


def test_neighbour_average_shapes_and_dtype():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 5, 7, generator=g, dtype=torch.float64)
    noisy, mask = masking_noise(x, 0.5, g)
    out = neighbour_average(noisy, mask)
    assert out.shape == x.shape and out.dtype == torch.float64
    # each image is filled on its own: the same as one call per (5, 7) image
    assert torch.allclose(out[1, 2], neighbour_average(noisy[1, 2], mask[1, 2]))
    # on a smooth image (a ramp) the interior holes are filled exactly
    ramp = torch.arange(8.0).expand(8, 8).clone()
    m = torch.zeros(8, 8)
    m[3, 3] = m[5, 2] = 1.0
    assert torch.allclose(neighbour_average(ramp * (1 - m), m), ramp)


def test_neighbour_average_bad_input():
    with pytest.raises(TypeError, match="x_noisy"):
        neighbour_average(torch.zeros(3, 3, dtype=torch.long), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="mask"):
        neighbour_average(torch.zeros(3, 3), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="H, W"):
        neighbour_average(torch.zeros(3), torch.zeros(3))
