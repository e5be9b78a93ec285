"""Lesson 10 graders accept the library's references and reject typical mistakes."""

import pytest
import torch
from einops import rearrange

from maelearn.testing import assert_accepts, assert_rejects

# -- 10.1 cubes ------------------------------------------------------------------------------


def cubes_channel_first(videos, p, t):
    return rearrange(videos, "b c (t u) (h p) (w q) -> b (t h w) (c u p q)", u=t, p=p, q=p)


def cubes_space_major(videos, p, t):
    return rearrange(videos, "b c (t u) (h p) (w q) -> b (h w t) (u p q c)", u=t, p=p, q=p)


def cubes_strided_time(videos, p, t):
    return rearrange(videos, "b c (u t) (h p) (w q) -> b (t h w) (u p q c)", u=t, p=p, q=p)


def cubes_frame_by_frame(videos, p, t):  # image patches of every frame: no tubelet at all
    return rearrange(videos, "b c t (h p) (w q) -> b (t h w) (p q c)", p=p, q=p)


# -- 10.2 tube mask ----------------------------------------------------------------------------


def _spatial(noise, ratio):
    s = noise.shape[1]
    keep = int(s * (1 - ratio))
    m = torch.ones_like(noise)
    m.scatter_(1, noise.argsort(1)[:, :keep], 0.0)
    return m


def tube_changes_over_time(noise, frames, ratio):  # a fresh draw per slot: random space-time
    g = torch.Generator().manual_seed(0)
    return torch.cat([_spatial(noise if t == 0 else torch.rand(noise.shape, generator=g), ratio) for t in range(frames)], 1)


def tube_repeat_interleave(noise, frames, ratio):
    return _spatial(noise, ratio).repeat_interleave(frames, dim=1)


def tube_keeps_highest_noise(noise, frames, ratio):
    return _spatial(-noise, ratio).repeat(1, frames)


def tube_rounds_keep(noise, frames, ratio):
    s = noise.shape[1]
    keep = round(s * (1 - ratio))
    m = torch.ones_like(noise)
    m.scatter_(1, noise.argsort(1)[:, :keep], 0.0)
    return m.repeat(1, frames)


def tube_shifted_noise(noise, frames, ratio):  # the same mask rolled by one position per slot
    return torch.cat([_spatial(noise.roll(t, 1), ratio) for t in range(frames)], 1)


# -- 10.3 targets ---------------------------------------------------------------------------------


def _per(videos, p, t):
    from maelearn.patches import patchify_video

    return rearrange(patchify_video(videos, p, t), "b n (k c) -> b n k c", c=videos.shape[1])


def targets_all_channels(videos, p, t):  # the image MAE's per-patch target
    from maelearn.mae import normalized_targets
    from maelearn.patches import patchify_video

    return normalized_targets(patchify_video(videos, p, t))


def targets_biased_std(videos, p, t):
    x = _per(videos, p, t)
    return rearrange((x - x.mean(2, keepdim=True)) / (x.std(2, unbiased=False, keepdim=True) + 1e-6), "b n k c -> b n (k c)")


def targets_eps_in_variance(videos, p, t):
    x = _per(videos, p, t)
    return rearrange((x - x.mean(2, keepdim=True)) / (x.var(2, keepdim=True) + 1e-6) ** 0.5, "b n k c -> b n (k c)")


def targets_not_normalized(videos, p, t):
    from maelearn.patches import patchify_video

    return patchify_video(videos, p, t)


# -- 10.4 leakage -------------------------------------------------------------------------------------


def leak_previous_only(mask, grid):
    m = rearrange(mask, "b (t s) -> b t s", t=grid[0]).bool()
    prev = torch.zeros_like(m)
    prev[:, 1:] = ~m[:, :-1]
    return float((m & prev).sum()) / float(m.sum())


def leak_over_all_cubes(mask, grid):
    m = rearrange(mask, "b (t s) -> b t s", t=grid[0]).bool()
    near = torch.zeros_like(m)
    near[:, 1:] |= ~m[:, :-1]
    near[:, :-1] |= ~m[:, 1:]
    return float((m & near).sum()) / m.numel()


def leak_wrong_axis(mask, grid):  # neighbours in space (next position) instead of in time
    m = rearrange(mask, "b (t s) -> b t s", t=grid[0]).bool()
    near = torch.zeros_like(m)
    near[:, :, 1:] |= ~m[:, :, :-1]
    near[:, :, :-1] |= ~m[:, :, 1:]
    return float((m & near).sum()) / float(m.sum())


WRONG = {
    "10.1": [cubes_channel_first, cubes_space_major, cubes_strided_time, cubes_frame_by_frame],
    "10.2": [tube_changes_over_time, tube_repeat_interleave, tube_keeps_highest_noise, tube_rounds_keep, tube_shifted_noise],
    "10.3": [targets_all_channels, targets_biased_std, targets_eps_in_variance, targets_not_normalized],
    "10.4": [leak_previous_only, leak_over_all_cubes, leak_wrong_axis],
}

HINTS = {
    cubes_channel_first: "(channel, frame, row, column)",
    cubes_space_major: "space-major",
    cubes_strided_time: "consecutive frames",
    tube_changes_over_time: "changes over time",
    tube_repeat_interleave: "changes over time",  # interleaving also breaks the per-slot equality
    tube_keeps_highest_noise: "LOWEST noise",
    tube_rounds_keep: "int truncates",
    targets_all_channels: "each channel",
    targets_biased_std: "unbiased",
    targets_eps_in_variance: "add eps to the std",
    leak_previous_only: "previous AND the next",
    leak_over_all_cubes: "not by all cubes",
}


@pytest.mark.parametrize("ex_id", sorted(WRONG))
def test_reference_is_accepted(ex_id):
    assert assert_accepts(ex_id) >= 3


@pytest.mark.parametrize("ex_id,fn", [(k, f) for k, fns in WRONG.items() for f in fns], ids=lambda v: getattr(v, "__name__", v))
def test_wrong_answers_are_rejected_with_the_right_hint(ex_id, fn):
    assert_rejects(ex_id, fn, match=HINTS.get(fn))
