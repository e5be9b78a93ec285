"""Lesson 08's graders: the references are the library's MAE (its wrong and right answers
are in tests/answers/l08.py, checked by tests/test_graders_all.py)."""

import torch

from maelearn.exercises import l08_mae
from maelearn.patches import patchify


def test_references_are_the_library():
    model = l08_mae._model(0)
    imgs = torch.rand(2, 3, 16, 16)
    noise = torch.rand(2, 16)
    latent, mask, ids = l08_mae.encode_visible(model, imgs, 0.75, noise)
    assert latent.shape == (2, 1 + 4, model.config.dim) and mask.sum() == 2 * 12
    pred = l08_mae.decode(model, latent, ids)
    out = model(imgs, 0.75, noise)
    torch.testing.assert_close(pred, out.pred)
    torch.testing.assert_close(l08_mae.mae_loss(pred, patchify(imgs, 4), mask), out.loss)


def test_building_cases_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    l08_mae._model(0)
    assert torch.equal(torch.get_rng_state(), before)
