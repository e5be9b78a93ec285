"""patchify/unpatchify and the video cubes: exact round trips and the documented element order."""

import pytest
import torch

from maelearn.patches import patchify, patchify_video, unpatchify, unpatchify_video


@pytest.mark.parametrize("b,c,h,w,p", [(2, 3, 32, 32, 4), (1, 1, 16, 16, 8), (3, 3, 8, 12, 4), (2, 2, 6, 6, 3), (1, 3, 16, 16, 16)])
def test_round_trip_is_exact(b, c, h, w, p):
    x = torch.randn(b, c, h, w, generator=torch.Generator().manual_seed(0))
    patches = patchify(x, p)
    assert patches.shape == (b, (h // p) * (w // p), p * p * c)
    # A pure permutation of elements: equality is exact, not approximate.
    assert torch.equal(unpatchify(patches, p, channels=c, grid=(h // p, w // p)), x)


def test_square_grid_is_inferred():
    x = torch.rand(2, 3, 12, 12)
    assert torch.equal(unpatchify(patchify(x, 4), 4, channels=3), x)


def test_patch_order_is_row_column_channel():
    # Encode each pixel's (channel, row, col) in its value so every position is checkable.
    c, h, w, p = 3, 8, 8, 4
    ch, row, col = torch.meshgrid(torch.arange(c), torch.arange(h), torch.arange(w), indexing="ij")
    x = (100 * ch + 10 * row + col).float()[None]  # (1, C, H, W)
    patches = patchify(x, p)  # (1, 4, 48)
    # Patches in raster order: patch 1 is the top-right one (rows 0-3, columns 4-7).
    # Inside a patch, index = (r * p + q) * C + channel.
    for n, (pr, pc) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        for r in range(p):
            for q in range(p):
                for k in range(c):
                    expected = 100 * k + 10 * (pr * p + r) + (pc * p + q)
                    assert patches[0, n, (r * p + q) * c + k].item() == expected
    # Spot-check the documented layout [r00, g00, b00, r01, ...] of patch 0 explicitly.
    assert patches[0, 0, :6].tolist() == [0.0, 100.0, 200.0, 1.0, 101.0, 201.0]
    assert patches[0, 1, 0].item() == 4.0  # top-left pixel of the second patch: row 0, column 4


@pytest.mark.parametrize("t,u,h,p,c", [(4, 2, 8, 4, 3), (2, 2, 6, 3, 1), (6, 3, 4, 2, 2)])
def test_video_round_trip_is_exact(t, u, h, p, c):
    v = torch.randn(2, c, t, h, h, generator=torch.Generator().manual_seed(1))
    cubes = patchify_video(v, p, tubelet=u)
    grid = (t // u, h // p, h // p)
    assert cubes.shape == (2, grid[0] * grid[1] * grid[2], u * p * p * c)
    assert torch.equal(unpatchify_video(cubes, p, u, c, grid), v)


def test_video_cube_order_is_frame_row_column_channel():
    c, t, h, w, p, u = 2, 4, 4, 4, 2, 2
    ch, tt, row, col = torch.meshgrid(torch.arange(c), torch.arange(t), torch.arange(h), torch.arange(w), indexing="ij")
    v = (1000 * ch + 100 * tt + 10 * row + col).float()[None]
    cubes = patchify_video(v, p, tubelet=u)  # (1, 2*2*2, 2*2*2*2)
    # Cubes in (time, row, column) raster order; cube index = (ti * 2 + ri) * 2 + ci.
    ti, ri, ci = 1, 0, 1
    cube = cubes[0, (ti * 2 + ri) * 2 + ci]
    for f in range(u):
        for r in range(p):
            for q in range(p):
                for k in range(c):
                    expected = 1000 * k + 100 * (ti * u + f) + 10 * (ri * p + r) + (ci * p + q)
                    assert cube[((f * p + r) * p + q) * c + k].item() == expected


@pytest.mark.parametrize("shape,p", [((1, 3, 10, 10), 4), ((1, 3, 16, 12), 5), ((2, 1, 7, 8), 2)])
def test_non_divisible_sizes_are_rejected(shape, p):
    with pytest.raises(ValueError, match=rf"not divisible by patch_size={p}"):
        patchify(torch.rand(shape), p)


def test_video_non_divisible_rejected():
    with pytest.raises(ValueError, match="not divisible by tubelet=2"):
        patchify_video(torch.rand(1, 3, 3, 8, 8), 4, tubelet=2)
    with pytest.raises(ValueError, match="not divisible by patch_size=3"):
        patchify_video(torch.rand(1, 3, 2, 8, 8), 3, tubelet=2)


def test_unpatchify_rejects_wrong_sizes():
    x = patchify(torch.rand(1, 3, 8, 8), 4)
    with pytest.raises(ValueError, match="expected patch_size\\*\\*2 \\* channels = 16"):
        unpatchify(x, 4, channels=1)
    with pytest.raises(ValueError, match="grid=\\(1, 2\\) has 2 cells, but x has 4 patches"):
        unpatchify(x, 4, channels=3, grid=(1, 2))
    with pytest.raises(ValueError, match="not a square grid"):
        unpatchify(torch.rand(1, 3, 48), 4, channels=3)
