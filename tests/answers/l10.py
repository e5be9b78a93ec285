"""Lesson 10 graders accept the library's references and reject typical mistakes."""

import torch
from einops import rearrange

from maelearn.patches import patchify_video
from maelearn.video import temporal_leakage


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


def tube_mae_keep_rule(noise, frames, ratio):  # MAE's count of kept positions, not VideoMAE's removed ones
    return _spatial(noise, ratio).repeat(1, frames)


def tube_changes_over_time(noise, frames, ratio):  # a fresh draw per slot: random space-time
    g = torch.Generator().manual_seed(0)
    return torch.cat([_spatial(noise if t == 0 else torch.rand(noise.shape, generator=g), ratio) for t in range(frames)], 1)


def tube_repeat_interleave(noise, frames, ratio):
    return _spatial(noise, ratio).repeat_interleave(frames, dim=1)


def tube_keeps_highest_noise(noise, frames, ratio):
    return _spatial(-noise, ratio).repeat(1, frames)


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


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("10.1", cubes_channel_first, "(channel, frame, row, column)"),
    ("10.1", cubes_space_major, "space-major"),
    ("10.1", cubes_strided_time, "consecutive frames"),
    ("10.1", cubes_frame_by_frame, "the result is (B, N, t*p*p*C) with N = (T/t)(H/p)(W/p)."),
    ("10.2", tube_changes_over_time, "changes over time"),
    ("10.2", tube_repeat_interleave, "changes over time"),
    ("10.2", tube_keeps_highest_noise, "LOWEST noise"),
    ("10.2", tube_shifted_noise, "your mask changes over time. A tube mask is ONE spatial mask repeated"),
    ("10.2", tube_mae_keep_rule, "you kept int(S * (1 - mask_ratio))"),
    ("10.3", targets_all_channels, "each channel"),
    ("10.3", targets_biased_std, "unbiased"),
    ("10.3", targets_eps_in_variance, "add eps to the std"),
    ("10.3", targets_not_normalized, "result: values differ"),
    ("10.4", leak_previous_only, "previous AND the next"),
    ("10.4", leak_over_all_cubes, "not by all cubes"),
    ("10.4", leak_wrong_axis, "result: expected 0.29932"),
]


def tube_videomae_rounding(noise, frames, mask_ratio):
    """VideoMAE's rule: int(mask_ratio * S) positions removed per slot."""
    b, s = noise.shape
    removed = torch.argsort(noise, dim=1, descending=True)[:, : int(mask_ratio * s)]
    spatial = torch.zeros_like(noise).scatter_(1, removed, 1.0)
    return spatial.repeat(1, frames)


def targets_float64_then_cast(videos, p, tubelet):
    c = videos.shape[1]
    per = rearrange(patchify_video(videos.double(), p, tubelet), "b n (k c) -> b n k c", c=c)
    out = (per - per.mean(2, keepdim=True)) / (per.std(2, keepdim=True) + 1e-6)
    return rearrange(out, "b n k c -> b n (k c)").float()


def targets_std_mean(videos, p, tubelet):
    per = rearrange(patchify_video(videos, p, tubelet), "b n (k c) -> b n k c", c=videos.shape[1])
    std, mean = torch.std_mean(per, 2, keepdim=True)
    return rearrange((per - mean) / (std + 1e-6), "b n k c -> b n (k c)")


WRONG += [
    ("10.4", lambda mask, grid: temporal_leakage(mask, grid) * torch.ones(()), "return a Python float"),
]

RIGHT = [("10.2", tube_videomae_rounding), ("10.3", targets_float64_then_cast), ("10.3", targets_std_mean)]


def tube_rounds(noise, frames, mask_ratio):
    """round(ratio * S) removed positions: one too many when ratio * S ends in .75."""
    b, s = noise.shape
    removed = torch.argsort(noise, dim=1, descending=True)[:, : round(mask_ratio * s)]
    return torch.zeros(b, s).scatter(1, removed, 1.0).repeat(1, frames)


def cubes_by_reshape(videos, p, t):
    """Right: reshape and permute instead of einops."""
    b, c, frames, h, w = videos.shape
    x = videos.reshape(b, c, frames // t, t, h // p, p, w // p, p).permute(0, 2, 4, 6, 3, 5, 7, 1)
    return x.reshape(b, (frames // t) * (h // p) * (w // p), -1)


WRONG += [("10.2", tube_rounds, "int truncates")]
RIGHT += [("10.1", cubes_by_reshape)]


# -- second audit: the channel count of grey clips ------------------------------------------------


def targets_three_channels(videos, p, t):
    """Wrong: c=3 hard-coded (the lesson's clips are RGB); a grey clip is split into fake channels."""
    per = rearrange(patchify_video(videos, p, t), "b n (k c) -> b n k c", c=3)
    per = (per - per.mean(2, keepdim=True)) / (per.std(2, keepdim=True) + 1e-6)
    return rearrange(per, "b n k c -> b n (k c)")


def tube_by_descending_scatter(noise, frames, mask_ratio):
    """Right: scatter 1 at the int(ratio * S) highest-noise positions, then tile over time."""
    b, s = noise.shape
    order = noise.argsort(1, descending=True)
    m = torch.zeros_like(noise).scatter(1, order[:, : int(mask_ratio * s)], 1.0)
    return m.repeat(1, frames)


def leakage_by_padding(mask, grid):
    """Right: visible neighbours in time by padding the visible map with False slots."""
    t, h, w = grid
    removed = mask.reshape(mask.shape[0], t, h * w) > 0.5
    vis = torch.nn.functional.pad(~removed, (0, 0, 1, 1))  # a False slot before and after
    return (removed & (vis[:, :-2] | vis[:, 2:])).sum().item() / removed.sum().item()


WRONG += [("10.3", targets_three_channels, "do not hard-code 3")]
RIGHT += [("10.2", tube_by_descending_scatter), ("10.4", leakage_by_padding)]
