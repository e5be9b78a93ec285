"""Figures are built headless (Agg) and have the documented layout."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from maelearn.data import shapes  # noqa: E402
from maelearn.mae import build_mae  # noqa: E402
from maelearn.viz import CONTROL_COLUMN, FIGURE2_COLUMNS, figure2, loss_curve, mask_overlay, show_images, show_masks, smooth, to_display  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("channels,n,batch", [(3, 4, 5), (1, 3, 3), (1, 4, 2), (3, 1, 1)])
def test_figure2_layout(channels, n, batch):
    torch.manual_seed(0)
    model = build_mae("tiny", in_chans=channels, img_size=16)
    rec = model.reconstruct(torch.rand(batch, channels, 16, 16), 0.75)
    assert "control" in rec  # a norm-pix model: the figure shows the control as a fifth column
    fig5 = figure2(rec, n=n)
    assert len(fig5.axes) == min(n, batch) * 5 and fig5.axes[4].get_title() == CONTROL_COLUMN[1]
    np.testing.assert_array_equal(np.asarray(fig5.axes[4].get_images()[0].get_array()), to_display(rec["control"][0]))
    rec = {k: v for k, v in rec.items() if k != "control"}
    fig = figure2(rec, n=n, title="t")
    rows = min(n, batch)
    assert isinstance(fig, Figure) and len(fig.axes) == rows * 4
    assert [ax.get_title() for ax in fig.axes[:4]] == [label for _, label in FIGURE2_COLUMNS]
    # Each panel shows its image clamped to [0, 1]: grey (H, W) for 1 channel, (H, W, 3) for 3.
    # The first column paints the removed patches grey (0.5) over the original.
    grey = mask_overlay(rec["original"], rec["mask"], 4, colour=(0.5, 0.5, 0.5))
    for i in range(rows):
        for j, (key, _) in enumerate(FIGURE2_COLUMNS):
            arr = fig.axes[i * 4 + j].get_images()[0].get_array()
            expected = to_display(grey[i] if key == "masked" else rec[key][i])
            assert arr.shape == ((16, 16) if channels == 1 else (16, 16, 3))
            np.testing.assert_array_equal(np.asarray(arr), expected)
    assert fig._suptitle.get_text() == "t"
    # Without a mask (or with mask_colour=None) the "masked" images are shown as given.
    plain = figure2(rec, n=1, mask_colour=None)
    np.testing.assert_array_equal(np.asarray(plain.axes[0].get_images()[0].get_array()), to_display(rec["masked"][0]))
    grey_px = np.asarray(fig.axes[0].get_images()[0].get_array())
    removed = rec["mask"][0].reshape(4, 4).repeat_interleave(4, 0).repeat_interleave(4, 1).bool().numpy()
    assert np.all(grey_px[removed] == 0.5)


def test_figure2_clamps_and_validates():
    rec = {k: torch.full((2, 3, 8, 8), 2.0) for k, _ in FIGURE2_COLUMNS}
    rec["masked"] = -torch.ones(2, 3, 8, 8)
    fig = figure2(rec)
    assert np.asarray(fig.axes[0].get_images()[0].get_array()).min() == 0.0
    assert np.asarray(fig.axes[1].get_images()[0].get_array()).max() == 1.0
    with pytest.raises(ValueError, match=r"recon lacks \['pasted'\]"):
        figure2({k: v for k, v in rec.items() if k != "pasted"})
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        figure2(rec, n=0)
    with pytest.raises(ValueError, match="img must have 1 or 3 channels"):
        figure2({k: torch.rand(1, 2, 8, 8) for k, _ in FIGURE2_COLUMNS})


def test_loss_curve_inputs():
    fig = loss_curve([3.0, 2.0, 1.5])
    assert isinstance(fig, Figure)
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), [3.0, 2.0, 1.5])
    fig = loss_curve({"ratio 0.5": [1, 0.5], "ratio 0.75": [1, 0.7]}, logy=True)
    assert len(fig.axes[0].lines) == 2 and fig.axes[0].get_legend() is not None
    from maelearn.checkpoint import History

    fig = loss_curve(History(loss=[4.0, 3.0, 2.0, 1.0]), smoothing=2)
    lines = fig.axes[0].lines
    assert len(lines) == 2  # the raw curve, faint, and its moving average
    np.testing.assert_allclose(lines[1].get_ydata(), [4.0, 3.5, 2.5, 1.5])
    fig = loss_curve(torch.tensor([1.0, 0.5]))
    assert len(fig.axes[0].lines) == 1
    with pytest.raises(TypeError, match="history must be a list of losses"):
        loss_curve(3.0)
    with pytest.raises(ValueError, match="no non-empty list"):
        loss_curve({"a": []})


def test_smooth_is_a_trailing_mean():
    np.testing.assert_allclose(smooth([1, 2, 3, 4], 3), [1, 1.5, 2, 3])
    np.testing.assert_allclose(smooth([1, 2], 1), [1, 2])


def test_show_images_grid():
    s = shapes(10, 16)
    fig = show_images(s, n=10, ncols=4)
    assert len(fig.axes) == 12  # 3 rows of 4, two blank
    assert fig.axes[0].get_title() == s.classes[int(s.labels[0])]
    assert not fig.axes[11].axison
    fig = show_images(torch.rand(3, 1, 8, 8), labels=["a", "b", "c"])
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"images must have shape \(N, C, H, W\)"):
        show_images(torch.rand(8, 8))


def test_mask_overlay_paints_removed_patches():
    imgs = torch.rand(2, 3, 8, 8)
    mask = torch.tensor([[1.0, 0, 0, 1], [0, 0, 0, 0]])  # 2x2 grid of 4-pixel patches
    out = mask_overlay(imgs, mask, 4, colour=(0.5, 0.5, 0.5))
    assert torch.equal(out[0, :, :4, :4], torch.full((3, 4, 4), 0.5))  # patch 0 removed
    assert torch.equal(out[0, :, :4, 4:], imgs[0, :, :4, 4:])  # patch 1 kept
    assert torch.equal(out[0, :, 4:, 4:], torch.full((3, 4, 4), 0.5))  # patch 3 removed
    assert torch.equal(out[1], imgs[1])
    half = mask_overlay(imgs, mask, 4, colour=(0.0, 0.0, 0.0), alpha=0.5)
    torch.testing.assert_close(half[0, :, :4, :4], imgs[0, :, :4, :4] * 0.5)
    assert mask_overlay(torch.rand(1, 1, 8, 8), mask[:1], 4).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match=r"mask must have shape \(B, N\) = \(2, 4\)"):
        mask_overlay(imgs, mask[:, :3], 4)
    fig = show_masks({"a": mask[0], "b": mask[1]}, (2, 2), image=imgs[0])
    assert [ax.get_title() for ax in fig.axes] == ["a\n50% removed", "b\n0% removed"]
