"""Masking strategies: counts, the mask/ids contract, reproducibility, structure of the
block/grid/tube masks, and bad ratios."""

import math

import pytest
import torch

from maelearn.masking import (
    block_noise,
    grid_noise,
    mask_by_noise,
    random_masking,
    spacetime_masking,
    strategy_noise,
    tube_masking,
)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("n", [1, 4, 7, 16, 49, 64, 196])
@pytest.mark.parametrize("r", [0.0, 0.1, 0.25, 0.5, 0.6, 0.75, 0.9])
def test_random_masking_keeps_exactly_int_n_1_minus_r(n, r):
    keep = int(n * (1 - r))
    if keep < 1:
        with pytest.raises(ValueError, match="leaves no visible patch"):
            random_masking(torch.rand(3, n, 5), r)
        return
    x = torch.rand(3, n, 5, generator=gen())
    out = random_masking(x, r, generator=gen(1))
    assert out.visible.shape == (3, keep, 5)
    assert out.ids_keep.shape == (3, keep)
    assert out.mask.shape == (3, n) and out.ids_restore.shape == (3, n)
    assert torch.equal(out.mask.sum(1), torch.full((3,), float(n - keep)))
    assert set(out.mask.unique().tolist()) <= {0.0, 1.0}


def test_mask_contract():
    b, n, d = 4, 16, 6
    x = torch.randn(b, n, d, generator=gen())
    out = random_masking(x, 0.75, generator=gen(2))
    # mask 1 = removed: the kept indices are exactly the zeros of the mask.
    for i in range(b):
        assert set(out.ids_keep[i].tolist()) == set(torch.nonzero(out.mask[i] == 0).flatten().tolist())
    # visible is x gathered at ids_keep.
    assert torch.equal(out.visible, torch.stack([x[i, out.ids_keep[i]] for i in range(b)]))
    # concat(visible, removed) in shuffled order, gathered with ids_restore, is x again.
    ids_shuffle = torch.argsort(out.ids_restore, dim=1)
    removed = torch.gather(x, 1, ids_shuffle[:, out.visible.shape[1]:, None].expand(-1, -1, d))
    restored = torch.gather(torch.cat([out.visible, removed], 1), 1, out.ids_restore[..., None].expand(-1, -1, d))
    assert torch.equal(restored, x)


def test_lowest_noise_is_kept():
    noise = torch.tensor([[0.9, 0.1, 0.5, 0.3]])
    out = random_masking(torch.rand(1, 4, 2), 0.5, noise=noise)
    assert out.ids_keep.tolist() == [[1, 3]]
    assert out.mask.tolist() == [[1.0, 0.0, 1.0, 0.0]]


def test_same_noise_same_mask_and_generator_reproducible():
    x = torch.rand(2, 32, 3)
    noise = torch.rand(2, 32, generator=gen(5))
    a, b = random_masking(x, 0.6, noise=noise), random_masking(x, 0.6, noise=noise.clone())
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    c, d = random_masking(x, 0.6, generator=gen(7)), random_masking(x, 0.6, generator=gen(7))
    assert all(torch.equal(u, v) for u, v in zip(c, d))
    e = random_masking(x, 0.6, generator=gen(8))
    assert not torch.equal(c.mask, e.mask)
    # Different samples of one batch get different masks.
    assert not torch.equal(c.mask[0], c.mask[1])


def _components(grid_mask: torch.Tensor) -> int:
    """4-connected components of the removed cells of an (h, w) 0/1 mask."""
    h, w = grid_mask.shape
    seen, count = set(), 0
    for i in range(h):
        for j in range(w):
            if grid_mask[i, j] and (i, j) not in seen:
                count += 1
                stack = [(i, j)]
                while stack:
                    a, b = stack.pop()
                    if (a, b) in seen or not (0 <= a < h and 0 <= b < w) or not grid_mask[a, b]:
                        continue
                    seen.add((a, b))
                    stack += [(a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)]
    return count


def test_block_mask_is_blocky_and_near_the_ratio():
    h = w = 14
    n, r, b = h * w, 0.5, 8
    noise = block_noise(b, (h, w), r, generator=gen(3))
    blocked = noise >= 1  # the cells the blocks cover
    frac = blocked.float().mean(1)
    # Blocks are placed until ~r is covered; the last block may overshoot by <= 10 % of target.
    assert ((frac > r - 0.05) & (frac < r + 0.1)).all(), frac
    # Contiguous regions: far fewer components than removed cells (a random mask of the same
    # size has many isolated cells). The sort then removes exactly N - int(N(1-r)).
    for i in range(b):
        comps = _components(blocked[i].reshape(h, w))
        assert comps <= blocked[i].sum().item() / 4, comps
    out = mask_by_noise(torch.rand(b, n, 2), noise, int(n * (1 - r)))
    assert (out.mask.sum(1) == n - int(n * (1 - r))).all()
    random_comps = _components((torch.rand(h, w, generator=gen(4)) < r))
    assert random_comps > max(_components(blocked[i].reshape(h, w)) for i in range(b))


def test_grid_mask_keeps_one_in_four():
    h = w = 8
    noise = strategy_noise("grid", 3, (h, w), 0.75, generator=gen())
    out = mask_by_noise(torch.rand(3, h * w, 2), noise, int(h * w * 0.25))
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    expected = ((rows % 2 != 0) | (cols % 2 != 0)).float().flatten()
    for i in range(3):
        assert torch.equal(out.mask[i], expected)
    assert torch.equal(grid_noise(1, (h, w), generator=gen()) >= 1, expected.bool()[None])
    with pytest.raises(ValueError, match="mask_ratio must be 0.75"):
        strategy_noise("grid", 1, (h, w), 0.5)
    with pytest.raises(ValueError, match="strategy must be one of"):
        strategy_noise("checkerboard", 1, (h, w), 0.75)


@pytest.mark.parametrize("frames,s,r", [(4, 16, 0.9), (2, 49, 0.75), (8, 10, 0.5)])
def test_tube_mask_same_on_every_frame(frames, s, r):
    x = torch.rand(3, frames * s, 4, generator=gen())
    out = tube_masking(x, frames, r, generator=gen(1))
    keep_s = s - int(r * s)  # VideoMAE masks int(ratio * S) positions per slot
    assert out.visible.shape == (3, frames * keep_s, 4)
    m = out.mask.reshape(3, frames, s)
    assert (m == m[:, :1]).all()  # identical on every time step
    assert (m[:, 0].sum(1) == s - keep_s).all()
    assert torch.equal(out.visible, torch.gather(x, 1, out.ids_keep[..., None].expand(-1, -1, 4)))


def test_tube_rejects_bad_frames_and_noise():
    with pytest.raises(ValueError, match="not divisible by frames=3"):
        tube_masking(torch.rand(1, 16, 2), 3, 0.5)
    with pytest.raises(ValueError, match=r"noise must have shape \(B, S\)"):
        tube_masking(torch.rand(1, 16, 2), 2, 0.5, noise=torch.rand(1, 16))


def test_spacetime_is_random_over_all_tokens():
    x = torch.rand(2, 40, 3)
    noise = torch.rand(2, 40, generator=gen())
    assert torch.equal(spacetime_masking(x, 0.9, noise=noise).mask, random_masking(x, 0.9, noise=noise).mask)


@pytest.mark.parametrize("ratio,exc,match", [
    (-0.1, ValueError, r"mask_ratio must be in \[0, 1\), got -0.1"),
    (1.0, ValueError, r"mask_ratio must be in \[0, 1\), got 1.0"),
    (1.5, ValueError, r"mask_ratio must be in \[0, 1\), got 1.5"),
    (math.nan, (ValueError, TypeError), r"mask_ratio must be a number in \[0, 1\), got nan"),
    ("0.5", TypeError, r"mask_ratio must be a number"),
    (0.99, ValueError, r"mask_ratio=0.99 leaves no visible patch out of 16"),
])
def test_bad_ratios_rejected(ratio, exc, match):
    with pytest.raises(exc, match=match):
        random_masking(torch.rand(2, 16, 3), ratio)


def test_noise_shape_checked():
    with pytest.raises(ValueError, match=r"noise must have shape \(B, N\) = \(2, 16\)"):
        random_masking(torch.rand(2, 16, 3), 0.5, noise=torch.rand(2, 15))


def test_unshuffle_inverts_masking_with_the_fill_token_in_the_holes():
    from maelearn.masking import unshuffle

    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 10, 4, generator=g)
    m = random_masking(x, 0.6, generator=g)
    fill = torch.full((1, 1, 4), 7.0)
    out = unshuffle(m.visible, fill, m.ids_restore)  # (B, N, D)
    keep = m.mask.bool().logical_not().unsqueeze(-1)
    assert torch.equal(torch.where(keep, out, x), x)  # visible tokens back in place, exactly
    assert torch.equal(out[~keep.expand_as(out)], torch.full_like(out[~keep.expand_as(out)], 7.0))
