"""Graders of lesson 10 (VideoMAE): space-time cubes, tube masks, per-channel cube
targets, temporal leakage."""

from __future__ import annotations

import torch
from einops import rearrange

from maelearn.exercises.framework import Case, assert_matches, exercise
from maelearn.patches import patchify_video
from maelearn.video import cube_targets, temporal_leakage, tube_mask


def _videos(shape, seed):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


# -- 10.1 cube patchify -------------------------------------------------------------------


def _diagnose_cubes(case, got, expected):
    videos, p, t = case.args
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "the result is (B, N, t*p*p*C) with N = (T/t)(H/p)(W/p)."
    orders = {
        "(channel, frame, row, column)": "b c (t u) (h p) (w q) -> b (t h w) (c u p q)",
        "(row, column, frame, channel)": "b c (t u) (h p) (w q) -> b (t h w) (p q u c)",
    }
    for name, pattern in orders.items():
        if torch.equal(got, rearrange(videos, pattern, u=t, p=p, q=p)):
            return f"the cubes are right but the order inside a cube is {name}; it must be (frame, row, column, channel), as in image patches."
    if torch.equal(got, rearrange(videos, "b c (t u) (h p) (w q) -> b (h w t) (u p q c)", u=t, p=p, q=p)):
        return "the cubes are listed space-major; list them time first: (time, row, column) raster order."
    if torch.equal(got, rearrange(videos, "b c (u t) (h p) (w q) -> b (t h w) (u p q c)", u=t, p=p, q=p)):
        return "a cube must hold consecutive frames: split T as (t u) with u = tubelet, not (u t)."
    return None


@exercise("10.1", "space-time cubes", patchify_video, diagnose=_diagnose_cubes)
def _cases_cubes():
    yield Case("1 RGB video, 4 frames 4x4, 2x2x2 cubes", (_videos((1, 3, 4, 4, 4), 0), 2, 2))
    yield Case("2 RGB videos, 8 frames 8x8, 2x4x4 cubes", (_videos((2, 3, 8, 8, 8), 1), 4, 2))
    yield Case("grey video, 6 frames 6x9, 3x3x3 cubes", (_videos((1, 1, 6, 6, 9), 2), 3, 3))


# -- 10.2 tube mask -------------------------------------------------------------------------


def _diagnose_tube(case, got, expected):
    noise, frames, ratio = case.args
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return a (B, frames * S) float mask, time slots one after the other."
    per_slot = rearrange(got, "b (t s) -> b t s", t=frames)
    if not torch.equal(per_slot, per_slot[:, :1].expand_as(per_slot)):
        return "your mask changes over time. A tube mask is ONE spatial mask repeated in every time slot."
    if torch.equal(got, rearrange(expected, "b (t s) -> b t s", t=frames)[:, 0].repeat_interleave(frames, dim=1)):
        return "repeat_interleave puts each position's copies next to each other; the layout is (time, space): use .repeat(1, frames)."
    if torch.equal(got, tube_mask(-noise, frames, ratio)):
        return "1 means removed: keep (mask 0) the positions with the LOWEST noise."
    s = noise.shape[1]
    removed = int(per_slot[0, 0].sum())
    if removed == s - int(s * (1 - ratio)) and removed not in _masked_counts(s, ratio):
        return (f"you kept int(S * (1 - mask_ratio)) = {int(s * (1 - ratio))} positions (MAE's rule); VideoMAE removes "
                f"int(mask_ratio * S) = {int(ratio * s)} positions per slot, so it keeps {s - int(ratio * s)} "
                f"(round(mask_ratio * S) = {round(ratio * s)} is not it either: int truncates).")
    if removed not in _masked_counts(s, ratio):
        return f"remove int(mask_ratio * S) = {int(ratio * s)} positions per slot (VideoMAE's rule: int truncates, do not round)."
    return None


def _masked_counts(s: int, ratio: float) -> set[int]:
    """Removed positions per slot that pass: exactly what the exercise's text asks for,
    VideoMAE's int(ratio * S). (S minus MAE's int(S * (1 - ratio)) kept positions differs
    when S * ratio is not whole, and is a typical wrong answer with its own hint.)"""
    return {int(ratio * s)}


def _tube_check(noise: torch.Tensor, frames: int, ratio: float):
    def check(got, expected):
        try:
            assert_matches(got, expected)
            return
        except AssertionError as exact:
            first = exact
        order = torch.argsort(noise, dim=1, descending=True)  # highest noise first: removed
        for m in sorted(_masked_counts(noise.shape[1], ratio)):
            slot = torch.zeros_like(noise)
            slot.scatter_(1, order[:, :m], 1.0)
            try:
                assert_matches(got, slot.repeat(1, frames))
                return  # the other defensible count
            except AssertionError:
                pass
        raise first

    return check


def _tube_cases():
    g = torch.Generator().manual_seed(0)
    for name, (b, s, frames, ratio) in {
        "1 clip, 4 slots of 16 positions, 75 %": (1, 16, 4, 0.75),
        "3 clips, 8 slots of 49 positions, 90 %": (3, 49, 8, 0.9),
        # int(0.65 * 10) = 6 removed (VideoMAE's rule, the text's); MAE's keep rule,
        # 10 - int(10 * 0.35) = 7 removed, fails here and on 49 positions at 90 % (44 vs 45).
        "2 clips, 2 slots of 10 positions, 65 %": (2, 10, 2, 0.65),
        # 0.75 * 9 = 6.75: int removes 6; round (and ceil) would remove 7 (the cases
        # above have fractions .0, .1 and .5, where Python's round agrees with int).
        "2 clips, 3 slots of 9 positions, 75 %": (2, 9, 3, 0.75),
    }.items():
        noise = torch.rand(b, s, generator=g)
        yield Case(name, (noise, frames, ratio), check=_tube_check(noise, frames, ratio))


@exercise("10.2", "tube mask", tube_mask, diagnose=_diagnose_tube)
def _cases_tube():
    yield from _tube_cases()


# -- 10.3 per-cube per-channel target ---------------------------------------------------------


def _float32_tolerance(videos: torch.Tensor, p: int, t: int) -> float:
    """How far two correct float32 answers can be apart: rounding x (float32, relative
    2^-24) moves (x - mean) / std by about eps * |x| / std, times a safety factor of 10. A
    nearly flat cube makes this large: computing in float64 and casting, torch.std_mean, or
    another summation order are all right."""
    cubes = rearrange(patchify_video(videos.double(), p, t), "b n (k c) -> b n k c", c=videos.shape[1])
    return 10 * torch.finfo(torch.float32).eps * float(videos.abs().max()) / float(cubes.std(2).min())


def _diagnose_targets(case, got, expected):
    videos, p, t = case.args
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return (B, N, t*p*p*C), the same layout as patchify_video."
    cubes = patchify_video(videos, p, t)
    if videos.shape[1] != 3:
        per3 = rearrange(cubes, "b n (k c) -> b n k c", c=3)
        per3 = (per3 - per3.mean(2, keepdim=True)) / (per3.std(2, keepdim=True) + 1e-6)
        if torch.allclose(got, rearrange(per3, "b n k c -> b n (k c)"), atol=1e-4):
            return f"these videos have {videos.shape[1]} channel(s): take C from videos.shape[1], do not hard-code 3."
    whole = (cubes - cubes.mean(-1, keepdim=True)) / (cubes.var(-1, keepdim=True) + 1e-6) ** 0.5
    if torch.allclose(got, whole, atol=1e-4):
        return "that is the image MAE's per-patch target over all channels; VideoMAE normalizes each channel of a cube separately."
    per = rearrange(cubes, "b n (k c) -> b n k c", c=videos.shape[1])
    biased = (per - per.mean(2, keepdim=True)) / (per.std(2, unbiased=False, keepdim=True) + 1e-6)
    if torch.allclose(got, rearrange(biased, "b n k c -> b n (k c)"), atol=1e-4):
        return "use the unbiased std (torch's default, divides by n - 1)."
    inside = (per - per.mean(2, keepdim=True)) / (per.var(2, keepdim=True) + 1e-6) ** 0.5
    if torch.allclose(got, rearrange(inside, "b n k c -> b n (k c)"), atol=1e-4):
        return "add eps to the std, not to the variance: (x - mean) / (std + 1e-6)."
    return None


@exercise("10.3", "per-cube per-channel target", cube_targets, diagnose=_diagnose_targets, rtol=1e-4, atol=1e-4)
def _cases_targets():
    yield Case("2 RGB videos, 4 frames 8x8, 2x4x4 cubes", (_videos((2, 3, 4, 8, 8), 3), 4, 2))
    near_flat = 0.5 + 1e-4 * _videos((1, 3, 2, 4, 4), 4)  # std ~3e-5: shows where eps goes
    tol = _float32_tolerance(near_flat, 4, 2)  # ~2e-2; eps in the wrong place is off by ~30x
    yield Case("a nearly flat RGB video, 2x4x4 cube", (near_flat, 4, 2), rtol=tol, atol=tol)
    colour = _videos((1, 3, 2, 4, 4), 5) * torch.tensor([1.0, 0.2, 5.0]).view(1, 3, 1, 1, 1)
    yield Case("channels on very different scales", (colour, 4, 2))
    # The channel count comes from the videos (10.1's cases have grey clips too): a grey
    # clip has one channel per cube, not the lesson's three.
    yield Case("2 grey videos, 4 frames 6x6, 2x3x3 cubes", (_videos((2, 1, 4, 6, 6), 6), 3, 2))


# -- 10.4 temporal leakage ----------------------------------------------------------------------


def _diagnose_leak(case, got, expected):
    mask, grid = case.args
    if type(got) is not float:
        return "return a Python float (use float(...) or .item())."
    m = rearrange(mask, "b (t s) -> b t s", t=grid[0]).bool()
    prev = torch.zeros_like(m)
    prev[:, 1:] = ~m[:, :-1]
    if abs(got - float((m & prev).sum()) / float(m.sum())) < 1e-9:
        return "look at both neighbours in time: the previous AND the next slot."
    if abs(got - expected * float(m.sum()) / m.numel()) < 1e-9:
        return "divide by the number of removed cubes, not by all cubes."
    return None


def _leak_cases():
    g = torch.Generator().manual_seed(0)
    yield Case("random space-time mask, 4 slots of 4x4", ((torch.rand(3, 64, generator=g) < 0.75).float(), (4, 4, 4)))
    yield Case("random mask, 8 slots of 2x3", ((torch.rand(2, 48, generator=g) < 0.5).float(), (8, 2, 3)))
    yield Case("tube mask leaks nothing", (tube_mask(torch.rand(2, 9, generator=g), 3, 0.6), (3, 3, 3)), expected=0.0)


@exercise("10.4", "temporal leakage", temporal_leakage, diagnose=_diagnose_leak)
def _cases_leak():
    yield from _leak_cases()
