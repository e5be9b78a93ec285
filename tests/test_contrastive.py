"""The contrastive baseline: InfoNCE's value and gradient direction, two different views,
and a short training run that lowers the loss through the library's one training loop."""

import math

import pytest
import torch

from maelearn.contrastive import build_contrastive, contrastive_loss_fn, info_nce, pretrain_contrastive
from maelearn.train import TrainConfig


def test_info_nce_random_matched_and_bad_inputs():
    torch.manual_seed(0)
    b, d = 64, 32
    z1, z2 = torch.randn(b, d), torch.randn(b, d)
    # unrelated embeddings: every one of the 2B - 1 candidates is about equally likely
    assert info_nce(z1, z2, temperature=100.0).item() == pytest.approx(math.log(2 * b - 1), rel=0.01)
    # identical pairs, spread-out embeddings, low temperature: the partner is found
    assert info_nce(z1, z1.clone(), temperature=0.05).item() < 0.05
    # the loss falls when the partners move closer
    assert info_nce(z1, z1 + 0.1 * z2).item() < info_nce(z1, z2).item()
    with pytest.raises(ValueError, match="must both have shape"):
        info_nce(z1, z2[:, :5])
    with pytest.raises(ValueError, match="at least 2 pairs"):
        info_nce(z1[:1], z2[:1])
    with pytest.raises(ValueError, match="temperature must be > 0"):
        info_nce(z1, z2, temperature=0.0)


def test_views_differ_and_are_seeded():
    model = build_contrastive(img_size=16, patch_size=4, dim=16, depth=1, heads=2)
    x = torch.rand(6, 3, 16, 16)
    a1, a2 = model.views(x, torch.Generator().manual_seed(1))
    b1, b2 = model.views(x, torch.Generator().manual_seed(1))
    assert torch.equal(a1, b1) and torch.equal(a2, b2)
    assert not torch.equal(a1, a2) and a1.shape == x.shape
    out = model(x, generator=torch.Generator().manual_seed(0))
    assert out.loss.ndim == 0 and torch.isfinite(out.loss)
    assert contrastive_loss_fn(model, (x, torch.zeros(6)), torch.Generator().manual_seed(0)).ndim == 0


def test_short_training_lowers_the_loss():
    torch.manual_seed(0)
    x = torch.rand(64, 3, 16, 16)
    model = build_contrastive(img_size=16, patch_size=4, dim=32, depth=1, heads=2)
    hist = pretrain_contrastive(model, x, TrainConfig(epochs=8, batch_size=32, lr=2e-3, warmup_epochs=1, seed=0, device="cpu",
                                                      precision="fp32"), progress=False)
    assert len(hist.epoch_loss) == 8
    assert hist.epoch_loss[-1] < hist.epoch_loss[0]
