"""Graders of lesson 01 (vision and motion features): Lucas-Kanade optical flow by hand,
and the rule that turns a mean flow vector into a direction label.

01.4 is graded on one vector per class in shuffled order, many speeds and angles, 8
directions, float64 and a single vector; its hints recognise y taken as pointing up (or the
classes run clockwise), dx and dy swapped, the argmax over the wrong axis, labels off by
one, angles not wrapped into [0, directions), floor instead of rounding, and the number of
directions hard-coded."""

from __future__ import annotations

import math

import torch

from maelearn.classic.flow import endpoint_error, image_gradients, lk_solve, structure_tensor
from maelearn.classic.motion import direction_from_flow
from maelearn.exercises.framework import Case, exercise


def _frames(seed: int, size: int = 12, shift: tuple[float, float] = (0.3, -0.2)):
    """A smooth random texture and the same texture shifted by ``shift`` (dx, dy) pixels."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 1, 4, 4, generator=g, dtype=torch.float64)
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64), indexing="ij")

    def render(dx, dy):
        grid = torch.stack([(xs - dx) / (size - 1) * 2 - 1, (ys - dy) / (size - 1) * 2 - 1], -1)[None]
        return torch.nn.functional.grid_sample(coarse, grid, mode="bicubic", align_corners=True, padding_mode="border")[0, 0]

    return render(0, 0), render(*shift)


def _diagnose_structure(case, got, expected):
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return one tensor (5, H, W): [Sxx, Sxy, Syy, Sxt, Syt]."
    ix, iy, it = case.args[:3]
    if torch.allclose(got[0], (ix * ix), atol=1e-9):
        return "these are the products at each pixel; sum them over the window around each pixel (window_sum)."
    if torch.allclose(got[3], -expected[3], atol=1e-9):
        return "the last two channels are sums of Ix*It and Iy*It (no minus sign yet; lk_solve adds it)."
    if torch.allclose(got[[0, 2]], expected[[2, 0]], atol=1e-9):
        return "channel 0 is sum Ix*Ix and channel 2 is sum Iy*Iy; you swapped x and y."
    return None


@exercise("01.1", "the Lucas-Kanade window sums", structure_tensor, diagnose=_diagnose_structure, rtol=1e-6, atol=1e-9)
def _cases_structure():
    for seed, window in ((0, 3), (1, 5)):
        f0, f1 = _frames(seed)
        yield Case(f"12x12 texture, window {window}", (*image_gradients(f0, f1), window))
    f0, f1 = _frames(6)
    yield Case("the default window (5)", image_gradients(f0, f1))
    g = torch.Generator().manual_seed(2)
    # float32 inputs: the exercise's float64 tolerance would reject a summed-area table
    # (cumsum, then differences), which rounds at the scale of the running sums (~1e-6).
    yield Case("random 6x9 gradients, window 1", (torch.randn(6, 9, generator=g), torch.randn(6, 9, generator=g), torch.randn(6, 9, generator=g), 1),
               rtol=1e-5, atol=1e-5)


def _diagnose_solve(case, got, expected):
    if not isinstance(got, torch.Tensor) or got.shape != expected.shape:
        return "return the flow as one tensor (2, H, W): dx then dy."
    if torch.allclose(got, -expected, atol=1e-6):
        return "the sign is flipped: the system is A [u, v] = -[Sxt, Syt]."
    if torch.allclose(got, expected.flip(0), atol=1e-6):
        return "dx and dy are swapped: channel 0 is the horizontal motion."
    if len(case.args) > 1 and case.args[1] != 1e-3 and torch.allclose(got, lk_solve(case.args[0]), atol=1e-6):
        return f"use the min_eig argument (here {case.args[1]:g}), not the default 1e-3."
    if not torch.isfinite(got).all():
        return "where the smaller eigenvalue of A is below min_eig, set the flow to 0 instead of dividing by ~0."
    zero_got, zero_exp = (got == 0).all(0), (expected == 0).all(0)
    if not torch.equal(zero_got, zero_exp):
        return ("the flow is 0 at the wrong pixels: threshold the SMALLER EIGENVALUE of A, "
                "(trace - sqrt(trace^2 - 4 det)) / 2 >= min_eig, not the determinant or the trace "
                "(a window with a strong edge has a large determinant and still no texture along the edge).")
    return None


def _systems(eigs, seed: int) -> torch.Tensor:
    """Window sums (5, 1, len(eigs)) whose matrices A have the given eigenvalue pairs, at
    random orientations, and a random right-hand side."""
    g = torch.Generator().manual_seed(seed)
    lam = torch.tensor(eigs, dtype=torch.float64)  # (K, 2)
    theta = torch.rand(len(eigs), generator=g, dtype=torch.float64) * torch.pi
    c, s = torch.cos(theta), torch.sin(theta)
    sxx = lam[:, 0] * c * c + lam[:, 1] * s * s
    syy = lam[:, 0] * s * s + lam[:, 1] * c * c
    sxy = (lam[:, 0] - lam[:, 1]) * c * s
    b = torch.randn(2, len(eigs), generator=g, dtype=torch.float64)
    return torch.stack([sxx, sxy, syy, b[0], b[1]])[:, None, :]


@exercise("01.2", "solve the 2x2 system per pixel", lk_solve, diagnose=_diagnose_solve, rtol=1e-5, atol=1e-7)
def _cases_solve():
    f0, f1 = _frames(3)
    yield Case("window sums of a shifted texture", (structure_tensor(*image_gradients(f0, f1), 5), 1e-6))
    g = torch.Generator().manual_seed(4)
    a = torch.randn(2, 2, 4, 5, generator=g, dtype=torch.float64)
    sxx, syy = (a[0] ** 2).sum(0) + 0.5, (a[1] ** 2).sum(0) + 0.5
    sxy = (a[0] * a[1]).sum(0)
    b = torch.randn(2, 4, 5, generator=g, dtype=torch.float64)
    yield Case("well-conditioned random systems", (torch.stack([sxx, sxy, syy, b[0], b[1]]), 1e-3))
    flat = torch.zeros(5, 3, 3, dtype=torch.float64)
    flat[0] = 2.0  # texture in x only: the aperture problem
    flat[3] = 1.0
    yield Case("no texture in y (aperture problem): flow 0", (flat, 1e-3))
    # Near-singular windows: a strong edge (eigenvalues 100 and 1e-4: determinant 1e-2 is
    # well above min_eig, the smaller eigenvalue is below it: flow 0) and weak but even
    # texture (0.02 and 0.02: determinant 4e-4 is below min_eig, the eigenvalues are not:
    # solve). Only the smaller eigenvalue separates them.
    near = _systems([(100.0, 1e-4), (0.02, 0.02), (5.0, 2e-3), (1e-4, 1e-4), (50.0, 5e-4)], seed=7)
    yield Case("near-singular windows (edges and weak texture), the default min_eig", (near,))
    # min_eig is an argument: the weak-but-even texture (0.02, 0.02) passes 1e-3 and not 0.05.
    yield Case("the same windows, min_eig 0.05", (near, 0.05))
    # The lesson calls it on the window sums of float32 video frames (32x32; here 10x14):
    # the flow keeps the inputs' dtype. float32 sums round at ~1e-7 of their scale, and the
    # solve divides by a determinant, so a right answer by another route (torch.linalg.solve)
    # differs from Cramer's rule by more than the float64 cases' tolerance.
    f0, f1 = _frames(8, size=14)
    sums32 = structure_tensor(*image_gradients(f0[2:12].float(), f1[2:12].float()), 5)
    yield Case("float32 window sums of a 10x14 texture (as the lesson's frames)", (sums32, 1e-3), rtol=1e-4, atol=1e-5)


def _diagnose_epe(case, got, expected):
    flow, true = case.args[:2]
    mask = case.args[2] if len(case.args) > 2 else None
    d = flow - true
    sq = (d**2).sum(-3)
    if mask is not None:
        sq = sq[mask]
    if isinstance(got, float) and abs(got - float(sq.mean())) < 1e-6:
        return "that is the mean squared distance; take the square root per pixel before averaging."
    if isinstance(got, float) and abs(got - float(sq.mean().sqrt())) < 1e-6:
        return "take the square root per pixel, then average (not the root of the mean)."
    if mask is not None and isinstance(got, float) and abs(got - float((d**2).sum(-3).sqrt().mean())) < 1e-6:
        return "average only over the pixels where mask is True."
    if isinstance(got, torch.Tensor):
        return "return a Python float (.item() or float(...))."
    return None


@exercise("01.3", "average endpoint error", endpoint_error, diagnose=_diagnose_epe, rtol=1e-5, atol=1e-6)
def _cases_epe():
    g = torch.Generator().manual_seed(5)
    f, t = torch.randn(2, 5, 6, generator=g), torch.randn(2, 5, 6, generator=g)
    yield Case("random 5x6 flows", (f, t))
    yield Case("a 3-4-5 triangle", (torch.zeros(2, 1, 1), torch.tensor([3.0, 4.0]).view(2, 1, 1)), expected=5.0)
    m = torch.zeros(5, 6, dtype=torch.bool)
    m[1:3, 2:5] = True
    yield Case("random flows, masked", (f, t, m))
    yield Case("a batch (3, 2, 4, 4)", (torch.randn(3, 2, 4, 4, generator=g), torch.randn(3, 2, 4, 4, generator=g)))


# -- 01.4 from a mean flow vector to a direction label --------------------------------------


def _angles(degrees: list[float], speeds: list[float], dtype=torch.float32) -> torch.Tensor:
    """Flow vectors (N, 2) = (dx, dy), screen y down, at the given angles (counter-clockwise
    on screen from "right") and speeds."""
    a = torch.tensor(degrees, dtype=torch.float64) * math.pi / 180
    v = torch.tensor(speeds, dtype=torch.float64)
    return torch.stack([v * torch.cos(a), -v * torch.sin(a)], -1).to(dtype)


def _random_flows(n: int, directions: int, spread: float, seed: int, dtype=torch.float32) -> torch.Tensor:
    """n vectors, each within ``spread`` degrees of a random class's direction (classes are
    360 / directions degrees apart: well inside its sector), speeds 0.02 to 2 px per frame."""
    g = torch.Generator().manual_seed(seed)
    cls = torch.randint(directions, (n,), generator=g)
    deg = cls * 360.0 / directions + spread * (2 * torch.rand(n, generator=g, dtype=torch.float64) - 1)
    speed = 0.02 + 1.98 * torch.rand(n, generator=g, dtype=torch.float64)
    return _angles(deg.tolist(), speed.tolist(), dtype)


def _diagnose_direction(case, got, expected):
    flow = case.args[0]
    k = case.args[1] if len(case.args) > 1 else case.kwargs.get("directions", 4)
    if not isinstance(got, torch.Tensor):
        return "return a tensor of class indices (dtype long), one per flow vector."
    if got.shape != expected.shape:
        if flow.ndim == 2 and tuple(got.shape) == (k,):
            return ("one label per flow vector: take the argmax over the classes (the last axis of a (N, K) "
                    "similarity table), not over the vectors.")
        return (f"one label per flow vector: flow {tuple(flow.shape)} -> labels {tuple(expected.shape)} "
                "(a single (2,) vector gives a 0-dim tensor).")
    sign = torch.tensor([1.0, -1.0], dtype=flow.dtype)
    angle = torch.atan2(-flow[..., 1], flow[..., 0]) / (2 * math.pi / k)
    slips = [
        (direction_from_flow(flow * sign, k),
         "screen y points DOWN: a flow with dy < 0 moves up. The angle on screen is atan2(-dy, dx), and the classes "
         "run counter-clockwise on screen from 'right' (right, up, left, down for 4)."),
        (direction_from_flow(flow.flip(-1), k),
         "flow[..., 0] is dx (horizontal, to the right) and flow[..., 1] is dy (vertical): you swapped them."),
        (direction_from_flow(flow.flip(-1) * sign, k),
         "flow[..., 0] is dx and flow[..., 1] is dy (you swapped them), and screen y points down: atan2(-dy, dx)."),
        ((expected + 1) % k, f"the labels are off by one: class 0 is 'right' (angle 0), class 1 the next one "
                             f"counter-clockwise, up to {k - 1}."),
        (expected + 1, "the labels are off by one: class 0 is 'right' (angle 0), not 1."),
        ((expected - 1) % k, "the labels are off by one: class 0 is 'right' (angle 0)."),
        (torch.round(angle).long(), f"wrap the labels into 0 .. {k - 1} (% directions): a vector pointing "
                                    "below the x axis has a negative angle."),
        (torch.floor(angle).long() % k, "each class is centred on its direction: round angle / step to the "
                                        "NEAREST integer, not floor (a vector slightly below 'right' is still right)."),
    ]
    if k != 4:
        slips.append((direction_from_flow(flow, 4), f"use the `directions` argument ({k} here), not 4."))
    if flow.ndim == 2 and flow.shape[0] == k:
        a = torch.arange(k, dtype=torch.float64) * 2 * math.pi / k
        screen = torch.stack([torch.cos(a), -torch.sin(a)], -1)  # (K, 2) unit vector of each class, y down
        table = torch.nn.functional.normalize(flow.double(), dim=-1) @ screen.T  # (N, K) cosine similarities
        slips.append((table.argmax(0), "take the argmax over the classes (the last axis of a (N, K) similarity "
                                       "table), one label per vector, not over the vectors."))
    for wrong, hint in slips:
        if wrong.shape == got.shape and torch.equal(got.long(), wrong.long()) and not torch.equal(wrong.long(), expected):
            return hint
    return None


@exercise("01.4", "direction label from a mean flow vector", direction_from_flow, diagnose=_diagnose_direction,
          rtol=0, atol=0)
def _cases_direction():
    # One vector per class, shuffled (down, right, up, left), each a little off its class's
    # direction: "right" is 7 degrees BELOW the x axis (a negative angle), so floor and
    # forgetting to wrap go wrong; the shuffled order makes an argmax over the vectors differ.
    yield Case("one vector per class, order down, right, up, left",
               (_angles([283.0, -7.0, 80.0, 158.0], [0.9, 0.8, 0.6, 0.5]),))
    yield Case("20 mean flows of many speeds (0.02 to 2 px), within 35 degrees of their class",
               (_random_flows(20, 4, 35.0, seed=0),))
    yield Case("8 directions, 24 float64 vectors within 15 degrees of their class",
               (_random_flows(24, 8, 15.0, seed=1, dtype=torch.float64), 8))
    yield Case("a single vector (2,), moving right and down: a 0-dim label",
               (_angles([-62.0], [0.4])[0],))
    yield Case("6 slow vectors (0.01 px per frame), 4 directions given by keyword",
               (_angles([100.0, 190.0, 260.0, 20.0, -40.0, 130.0], [0.01] * 6),), {"directions": 4})
