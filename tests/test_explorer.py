"""The mask explorer's update logic (a pure function) and its ipywidgets wiring."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from maelearn.explorer import GRID_RATIO, explorer_view, mask_explorer, render_png
from maelearn.mae import build_mae


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_mae("tiny", img_size=16, patch_size=4, dim=32, depth=1, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2)


@pytest.fixture(scope="module")
def images():
    return torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(1))


def test_view_shapes_and_counts(model, images):
    v = explorer_view(model, images, 0.75, "random", 0)
    for key in ("masked", "reconstruction", "pasted", "original"):
        arr = getattr(v, key)
        assert arr.shape == (3, 16, 16, 3) and arr.min() >= 0 and arr.max() <= 1
    assert v.num_patches == 16 and v.visible == 4
    assert v.mask.shape == (3, 16) and (v.mask.sum(1) == 12).all()
    # The masked image is zero exactly on the removed patches.
    removed = v.mask[0].reshape(4, 4).repeat(4, 0).repeat(4, 1).astype(bool)
    assert np.all(v.masked[0][removed] == 0)
    np.testing.assert_array_equal(v.original, images.permute(0, 2, 3, 1).numpy())
    assert "4 of 16 patches visible" in v.caption()


def test_view_is_deterministic_and_reacts(model, images):
    a = explorer_view(model, images, 0.5, "random", 3)
    b = explorer_view(model, images, 0.5, "random", 3)
    np.testing.assert_array_equal(a.reconstruction, b.reconstruction)
    c = explorer_view(model, images, 0.9, "random", 3)
    d = explorer_view(model, images, 0.5, "random", 4)
    assert c.visible == 1 and not np.array_equal(a.mask, c.mask)
    assert not np.array_equal(a.reconstruction, c.reconstruction)
    assert not np.array_equal(a.mask, d.mask)


def test_block_and_grid(model, images):
    blk = explorer_view(model, images, 0.5, "block", 0)
    assert blk.visible == 8
    grid = explorer_view(model, images, 0.3, "grid", 0)
    assert grid.mask_ratio == GRID_RATIO and "grid masking" in grid.note
    # Grid keeps the top-left patch of every 2x2 cell.
    kept = (1 - grid.mask[0]).reshape(4, 4)
    np.testing.assert_array_equal(kept, np.array([[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]))


def test_model_mode_is_restored(model, images):
    model.train()
    explorer_view(model, images, 0.75)
    assert model.training
    model.eval()


@pytest.mark.parametrize(
    "kwargs,err",
    [
        (dict(mask_ratio=1.0), ValueError),
        (dict(mask_ratio=0.99), ValueError),  # leaves no visible patch out of 16
        (dict(mask_ratio="0.5"), TypeError),
        (dict(strategy="checkerboard"), ValueError),
        (dict(seed=-1), ValueError),
    ],
)
def test_bad_input(model, images, kwargs, err):
    args = dict(mask_ratio=0.75, strategy="random", seed=0) | kwargs
    with pytest.raises(err):
        explorer_view(model, images, **args)


def test_bad_model_and_images(model, images):
    with pytest.raises(TypeError, match="maelearn.mae.MAE"):
        explorer_view(torch.nn.Linear(2, 2), images, 0.75)
    with pytest.raises(ValueError, match="img_size"):
        explorer_view(model, torch.rand(1, 3, 32, 32), 0.75)


def test_render_png(model, images):
    png = render_png(explorer_view(model, images, 0.75))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000


def test_widget_wiring_redraws_and_reports_errors(model, images):
    box = mask_explorer(model, images[:2], 0.75)
    first = box.image.value
    assert "ratio 0.75" in box.status.value
    box.controls["mask_ratio"].value = 0.25
    assert box.image.value != first and "ratio 0.25" in box.status.value
    box.controls["strategy"].value = "grid"
    assert "grid masking keeps one patch in four" in box.status.value
    box.controls["strategy"].value = "random"
    second = box.image.value
    box.controls["seed"].value = 7
    assert box.image.value != second
    # A setting the function rejects shows up as an error line, not as silence.
    box.controls["mask_ratio"].value = 0.95  # 16 patches: int(16 * 0.05) = 0 visible
    assert "mae-explorer-error" in box.status.value and "no visible patch" in box.status.value
