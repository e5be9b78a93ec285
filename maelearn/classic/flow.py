"""Optical flow by hand (lesson 01): image gradients, the structure tensor, Lucas-Kanade and the endpoint error,
checked in the tests against OpenCV, whose own flow is here for comparison. :mod:`maelearn.classic.motion` turns
the flow into a direction classifier."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from maelearn.checks import check_float_tensor


def _check_pair(a: torch.Tensor, b: torch.Tensor, names: tuple[str, str], ndim: int, layout: str) -> None:
    check_float_tensor(a, names[0], ndim, layout)
    check_float_tensor(b, names[1], ndim, layout)
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def _check_window(window: int) -> None:
    if not isinstance(window, int) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd int >= 1, got {window!r}")


def to_gray(frames: torch.Tensor) -> torch.Tensor:
    """RGB (..., 3, H, W) -> luminance (..., H, W) with the ITU-R 601 weights OpenCV uses. Taught in lesson 01."""
    if frames.shape[-3] != 3:
        raise ValueError(f"frames must have 3 colour channels at dim -3, got shape {tuple(frames.shape)}")
    w = torch.tensor([0.299, 0.587, 0.114], dtype=frames.dtype, device=frames.device)
    return torch.einsum("...chw,c->...hw", frames, w)


def image_gradients(frame0: torch.Tensor, frame1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Brightness-constancy derivatives of two grey frames (H, W), each (H, W): ``Ix``, ``Iy`` are central
    differences (one-sided at the border) of the frames' average, ``It = frame1 - frame0``.
    Taught in lesson 01."""
    _check_pair(frame0, frame1, ("frame0", "frame1"), 2, "(H, W)")
    iy, ix = torch.gradient(0.5 * (frame0 + frame1))
    return ix, iy, frame1 - frame0


def window_sum(x: torch.Tensor, window: int) -> torch.Tensor:
    """Sum of ``x`` (..., H, W) over the ``window`` x ``window`` square centred on every pixel, zeros outside the
    image. Same shape as ``x``. Taught in lesson 01."""
    _check_window(window)
    kernel = torch.ones(1, 1, window, window, dtype=x.dtype, device=x.device)
    return F.conv2d(x.reshape(-1, 1, *x.shape[-2:]), kernel, padding=window // 2).reshape(x.shape)


def structure_tensor(ix: torch.Tensor, iy: torch.Tensor, it: torch.Tensor, window: int = 5) -> torch.Tensor:
    """The window sums Lucas-Kanade needs, (5, H, W): ``[sum Ix*Ix, sum Ix*Iy, sum Iy*Iy, sum Ix*It, sum Iy*It]``
    over each pixel's window. Taught in lesson 01."""
    for name, t in (("ix", ix), ("iy", iy), ("it", it)):
        check_float_tensor(t, name, 2, "(H, W)")
    return window_sum(torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it]), window)


def lk_solve(sums: torch.Tensor, min_eig: float = 1e-3) -> torch.Tensor:
    """Solve the 2x2 Lucas-Kanade system of every pixel: ``A = [[Sxx, Sxy], [Sxy, Syy]]`` and ``b = -[Sxt, Syt]``
    from :func:`structure_tensor`'s ``sums`` (5, H, W), flow ``A^-1 b`` by Cramer's rule -> (2, H, W): dx, dy in
    pixels. Where the smaller eigenvalue of ``A`` is below ``min_eig`` the window lacks texture in some direction
    (the aperture problem) and the flow is 0. Taught in lesson 01."""
    check_float_tensor(sums, "sums", 3, "(5, H, W)")
    if sums.shape[0] != 5:
        raise ValueError(f"sums must have 5 channels [Sxx, Sxy, Syy, Sxt, Syt], got shape {tuple(sums.shape)}")
    return _solve(sums, min_eig)


def _solve(sums: torch.Tensor, min_eig: float) -> torch.Tensor:
    """:func:`lk_solve` without the checks, on any batch: (..., 5, H, W) -> (..., 2, H, W)."""
    sxx, sxy, syy, sxt, syt = sums.unbind(-3)
    det = sxx * syy - sxy * sxy
    trace = sxx + syy
    lam_min = 0.5 * (trace - torch.sqrt(torch.clamp(trace * trace - 4 * det, min=0)))
    ok = lam_min >= min_eig
    safe = torch.where(ok, det, torch.ones_like(det))
    uv = torch.stack([(-syy * sxt + sxy * syt) / safe, (sxy * sxt - sxx * syt) / safe], dim=-3)
    return torch.where(ok.unsqueeze(-3), uv, torch.zeros_like(uv))


def _warp(frames: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Grey frames (B, H, W) sampled bilinearly at ``(x + dx, y + dy)`` of flow (B, 2, H, W), border values
    outside: frame1 warped by the right flow looks like frame0."""
    _, h, w = frames.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=frames.dtype, device=frames.device),
                            torch.arange(w, dtype=frames.dtype, device=frames.device), indexing="ij")
    gx = (xs + flow[:, 0]) / max(w - 1, 1) * 2 - 1
    gy = (ys + flow[:, 1]) / max(h - 1, 1) * 2 - 1
    grid = torch.stack([gx, gy], -1)  # (B, H, W, 2), x first
    return F.grid_sample(frames[:, None], grid, mode="bilinear", padding_mode="border", align_corners=True)[:, 0]


def _pyramid_lk(frames0: torch.Tensor, frames1: torch.Tensor, window: int, min_eig: float, levels: int,
                iterations: int, pooled: bool) -> torch.Tensor:
    """Lucas-Kanade of frame pairs (B, H, W) -> flow (B, 2, H, W), as :func:`lucas_kanade`."""
    _check_window(window)
    if not isinstance(levels, int) or levels < 1 or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"levels and iterations must be ints >= 1, got {levels!r} and {iterations!r}")
    pyr0, pyr1 = [frames0], [frames1]
    for _ in range(levels - 1):
        pyr0.append(F.avg_pool2d(pyr0[-1][:, None], 2)[:, 0])
        pyr1.append(F.avg_pool2d(pyr1[-1][:, None], 2)[:, 0])
    flow = torch.zeros(frames0.shape[0], 2, *pyr0[-1].shape[-2:], dtype=frames0.dtype, device=frames0.device)
    for level in reversed(range(levels)):
        f0, f1 = pyr0[level], pyr1[level]
        if flow.shape[-2:] != f0.shape[-2:]:
            flow = 2 * F.interpolate(flow, size=f0.shape[-2:], mode="bilinear", align_corners=False)
        for _ in range(iterations):
            moved = _warp(f1, flow) if flow.abs().sum() > 0 else f1
            iy, ix = torch.gradient(0.5 * (f0 + moved), dim=(-2, -1))  # image_gradients(f0, moved)
            it = moved - f0
            products = torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it], dim=1)  # (B, 5, H, W)
            if pooled:  # window_sum by average pooling (zeros outside, counted): faster on a CPU
                sums = F.avg_pool2d(products, window, stride=1, padding=window // 2) * (window * window)
            else:
                sums = window_sum(products, window)
            flow = flow + _solve(sums, min_eig)
    return flow


def lucas_kanade(frame0: torch.Tensor, frame1: torch.Tensor, window: int = 5, min_eig: float = 1e-3, levels: int = 1,
                 iterations: int = 1) -> torch.Tensor:
    """Dense Lucas-Kanade optical flow from grey ``frame0`` to ``frame1`` (H, W) -> (2, H, W).
    ``levels=1, iterations=1`` is the textbook single solve (valid for motions well under a pixel).
    ``iterations > 1`` re-warps frame1 by the current estimate and solves for the remainder; ``levels > 1`` goes
    coarse to fine over an image pyramid (halving each level), as OpenCV's pyramidal LK does, so that larger
    motions become small at the coarse level. Taught in lesson 01."""
    _check_pair(frame0, frame1, ("frame0", "frame1"), 2, "(H, W)")
    return _pyramid_lk(frame0[None], frame1[None], window, min_eig, levels, iterations, pooled=False)[0]


def lucas_kanade_batch(frames0: torch.Tensor, frames1: torch.Tensor, window: int = 5, min_eig: float = 1e-3,
                       levels: int = 1, iterations: int = 1) -> torch.Tensor:
    """:func:`lucas_kanade` of many frame pairs at once: grey ``frames0``, ``frames1`` (B, H, W) -> flow
    (B, 2, H, W). Equal to ``lucas_kanade(frames0[i], frames1[i], ...)`` up to float rounding: the window sums are
    taken by average pooling, not convolution. Taught in lesson 01."""
    _check_pair(frames0, frames1, ("frames0", "frames1"), 3, "(B, H, W)")
    return _pyramid_lk(frames0, frames1, window, min_eig, levels, iterations, pooled=True)


def endpoint_error(flow: torch.Tensor, true_flow: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Average endpoint error: the mean over pixels of ``sqrt((dx - dx*)^2 + (dy - dy*)^2)`` between the estimated
    and the true flow, both (..., 2, H, W); ``mask`` (..., H, W) of bools restricts the mean to some pixels
    (e.g. the moving object). Taught in lesson 01."""
    if flow.shape != true_flow.shape or flow.shape[-3] != 2:
        raise ValueError(f"flow and true_flow must both be (..., 2, H, W), got {tuple(flow.shape)} and {tuple(true_flow.shape)}")
    err = torch.linalg.vector_norm(flow - true_flow, dim=-3)  # (..., H, W)
    if mask is not None:
        if mask.shape != err.shape:
            raise ValueError(f"mask must have shape {tuple(err.shape)}, got {tuple(mask.shape)}")
        if not mask.any():
            raise ValueError("mask selects no pixel")
        err = err[mask.bool()]
    return float(err.mean())


def opencv_flow(frame0: torch.Tensor, frame1: torch.Tensor, method: str = "farneback", window: int = 5) -> torch.Tensor:
    """OpenCV's dense flow between grey frames (H, W) in [0, 1] -> (2, H, W): ``"farneback"``
    (polynomial expansion) or ``"pyrlk"`` (pyramidal Lucas-Kanade tracked from every pixel).
    Taught in lesson 01."""
    import cv2  # only this comparison needs OpenCV

    a, b = ((f.detach().cpu().numpy() * 255).round().clip(0, 255).astype(np.uint8) for f in (frame0, frame1))
    h, w = a.shape
    if method == "farneback":
        flow = cv2.calcOpticalFlowFarneback(a, b, None, pyr_scale=0.5, levels=2, winsize=window + 2,
                                            iterations=3, poly_n=5, poly_sigma=1.1, flags=0)
        return torch.from_numpy(flow).permute(2, 0, 1).float()
    if method == "pyrlk":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        pts = np.stack([xs.ravel(), ys.ravel()], 1)[:, None, :]
        nxt, status, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, winSize=(window, window), maxLevel=2)
        d = (nxt - pts)[:, 0, :] * status.astype(np.float32)  # lost points: 0
        return torch.from_numpy(d.T.reshape(2, h, w).copy()).float()
    raise ValueError(f"method must be 'farneback' or 'pyrlk', got {method!r}")
