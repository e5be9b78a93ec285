"""Lesson 01 graders accept the reference and reject typical Lucas-Kanade and
motion-direction mistakes."""

import math

import torch

from maelearn.classic.flow import window_sum


def no_window(ix, iy, it, window=5):  # products per pixel, never summed
    return torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it])


def swapped_xy(ix, iy, it, window=5):
    return window_sum(torch.stack([iy * iy, ix * iy, ix * ix, ix * it, iy * it]), window)


def mean_not_sum(ix, iy, it, window=5):  # harmless for the solve, but not what was asked
    return window_sum(torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it]), window) / window**2


def _solve(sums, min_eig, sign=-1.0, threshold=True, swap=False):
    sxx, sxy, syy, sxt, syt = sums
    det = sxx * syy - sxy**2
    u = sign * (syy * sxt - sxy * syt) / det
    v = sign * (sxx * syt - sxy * sxt) / det
    out = torch.stack([v, u] if swap else [u, v])
    if threshold:
        tr = sxx + syy
        lam = 0.5 * (tr - torch.sqrt((tr**2 - 4 * det).clamp(min=0)))
        out = torch.where(lam >= min_eig, out, torch.zeros_like(out))
    return out


def wrong_sign(sums, min_eig=1e-3):
    return _solve(sums, min_eig, sign=1.0)


def no_threshold(sums, min_eig=1e-3):
    return _solve(sums, min_eig, threshold=False)


def dx_dy_swapped(sums, min_eig=1e-3):
    return _solve(sums, min_eig, swap=True)


def mean_squared(flow, true, mask=None):
    e = ((flow - true) ** 2).sum(-3)
    return float((e[mask] if mask is not None else e).mean())


def root_of_mean(flow, true, mask=None):
    e = ((flow - true) ** 2).sum(-3)
    return float((e[mask] if mask is not None else e).mean().sqrt())


def ignores_mask(flow, true, mask=None):
    return float(((flow - true) ** 2).sum(-3).sqrt().mean())


def l1_distance(flow, true, mask=None):
    e = (flow - true).abs().sum(-3)
    return float((e[mask] if mask is not None else e).mean())


# (exercise, wrong answer, text its failure message must contain)
WRONG = [
    ("01.1", no_window, "these are the products at each pixel; sum them over the window around"),
    ("01.1", swapped_xy, "channel 0 is sum Ix*Ix and channel 2 is sum Iy*Iy; you swapped x and"),
    ("01.1", mean_not_sum, "result: values differ"),
    ("01.2", wrong_sign, "the sign is flipped: the system is A [u, v] = -[Sxt, Syt]."),
    ("01.2", no_threshold, "where the smaller eigenvalue of A is below min_eig, set the flow to 0"),
    ("01.2", dx_dy_swapped, "dx and dy are swapped: channel 0 is the horizontal motion."),
    ("01.3", mean_squared, "that is the mean squared distance; take the square root per pixel"),
    ("01.3", root_of_mean, "take the square root per pixel, then average (not the root of the"),
    ("01.3", ignores_mask, "average only over the pixels where mask is True."),
    ("01.3", l1_distance, "result: expected 1.81536"),
]


def determinant_threshold(sums, min_eig=1e-3):
    """Thresholds the determinant instead of the smaller eigenvalue (issue 13: the lesson's
    LK error moves from 0.466 to 0.659 px)."""
    sxx, sxy, syy, sxt, syt = sums
    det = sxx * syy - sxy * sxy
    ok = det >= min_eig
    safe = torch.where(ok, det, torch.ones_like(det))
    flow = torch.stack([(-syy * sxt + sxy * syt) / safe, (sxy * sxt - sxx * syt) / safe])
    return torch.where(ok, flow, torch.zeros_like(flow))


def epe_as_tensor(flow, true_flow, mask=None):
    d = ((flow - true_flow) ** 2).sum(-3).sqrt()
    return d[mask].mean() if mask is not None else d.mean()  # a 0-dim tensor, not a float


WRONG += [
    ("01.2", determinant_threshold, "SMALLER EIGENVALUE"),
    ("01.3", epe_as_tensor, "return a Python float"),
]

RIGHT: list = []


def window_sums_by_cumsum(ix, iy, it, window=5):
    """Right: a summed-area table (cumsum, then differences) with zero padding."""
    products = torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it])
    r = window // 2
    x = torch.nn.functional.pad(products, (r, r, r, r))
    c = torch.nn.functional.pad(x.cumsum(-1), (1, 0))
    x = c[..., window:] - c[..., :-window]
    c = torch.nn.functional.pad(x.cumsum(-2), (0, 0, 1, 0))
    return c[..., window:, :] - c[..., :-window, :]


RIGHT = [("01.1", window_sums_by_cumsum)]


# -- second audit: min_eig ignored, float64 hard-coded; other routes -----------------------


def _lk_cramer(sums, threshold, zeros_dtype=None):
    sxx, sxy, syy, sxt, syt = sums
    det = sxx * syy - sxy**2
    tr = sxx + syy
    ok = 0.5 * (tr - torch.sqrt(torch.clamp(tr**2 - 4 * det, min=0))) >= threshold
    det = torch.where(ok, det, torch.ones_like(det))
    uv = torch.stack([(-syy * sxt + sxy * syt) / det, (sxy * sxt - sxx * syt) / det])
    zeros = torch.zeros_like(uv) if zeros_dtype is None else torch.zeros(uv.shape, dtype=zeros_dtype)
    return torch.where(ok, uv, zeros)


def lk_ignores_min_eig(sums, min_eig=1e-3):
    """Wrong: the threshold is the lesson's 1e-3 whatever min_eig says."""
    return _lk_cramer(sums, 1e-3)


def lk_float64_zeros(sums, min_eig=1e-3):
    """Wrong: zeros made float64, so float32 sums (the lesson's frames) give a float64 flow."""
    return _lk_cramer(sums, min_eig, zeros_dtype=torch.float64)


def lk_by_linalg_solve(sums, min_eig=1e-3):
    """Right: eigvalsh for the threshold, torch.linalg.solve per pixel."""
    sxx, sxy, syy, sxt, syt = sums
    a = torch.stack([torch.stack([sxx, sxy], -1), torch.stack([sxy, syy], -1)], -2)
    ok = torch.linalg.eigvalsh(a)[..., 0] >= min_eig
    a = torch.where(ok[..., None, None], a, torch.eye(2, dtype=a.dtype))
    uv = torch.linalg.solve(a, -torch.stack([sxt, syt], -1))
    return torch.where(ok[..., None], uv, torch.zeros_like(uv)).permute(2, 0, 1).contiguous()


def window_sums_by_avg_pool(ix, iy, it, window=5):
    """Right: avg_pool2d with zero padding counted, times the window's area."""
    p = torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it])[:, None]
    return (torch.nn.functional.avg_pool2d(p, window, 1, window // 2, count_include_pad=True) * window**2)[:, 0]


def epe_by_weighted_sum(flow, true_flow, mask=None):
    """Right: the masked mean as a weighted sum."""
    e = torch.linalg.vector_norm(flow - true_flow, dim=-3)
    m = torch.ones_like(e, dtype=torch.bool) if mask is None else mask
    return float((e * m).sum() / m.sum())


WRONG += [
    ("01.2", lk_ignores_min_eig, "use the min_eig argument"),
    ("01.2", lk_float64_zeros, "your result is torch.float64 but the answer is torch.float32"),
]
RIGHT += [("01.2", lk_by_linalg_solve), ("01.1", window_sums_by_avg_pool), ("01.3", epe_by_weighted_sum)]


# -- 01.4 from a mean flow vector to a direction label --------------------------------------


def _step(directions):
    return 2 * math.pi / directions


def direction_y_up(flow, directions=4):
    """Wrong: treats y as pointing up (maths convention), so up and down swap."""
    return torch.round(torch.atan2(flow[..., 1], flow[..., 0]) / _step(directions)).long() % directions


def direction_swapped_uv(flow, directions=4):
    """Wrong: reads column 0 as dy and column 1 as dx."""
    return torch.round(torch.atan2(-flow[..., 0], flow[..., 1]) / _step(directions)).long() % directions


def direction_argmax_wrong_axis(flow, directions=4):
    """Wrong: cosine table (N, K), argmax over the vectors instead of the classes."""
    a = torch.arange(directions, dtype=flow.dtype) * _step(directions)
    screen = torch.stack([torch.cos(a), -torch.sin(a)], -1)
    return (torch.nn.functional.normalize(flow, dim=-1) @ screen.T).argmax(0)


def direction_off_by_one(flow, directions=4):
    """Wrong: labels 1..K."""
    return torch.round(torch.atan2(-flow[..., 1], flow[..., 0]) / _step(directions)).long() % directions + 1


def direction_not_wrapped(flow, directions=4):
    """Wrong: negative angles give negative labels."""
    return torch.round(torch.atan2(-flow[..., 1], flow[..., 0]) / _step(directions)).long()


def direction_floor(flow, directions=4):
    """Wrong: floor puts the class boundaries on the class directions."""
    return torch.floor(torch.atan2(-flow[..., 1], flow[..., 0]) / _step(directions)).long() % directions


def direction_four_only(flow, directions=4):
    """Wrong: the number of directions hard-coded."""
    return torch.round(torch.atan2(-flow[..., 1], flow[..., 0]) / (math.pi / 2)).long() % 4


def direction_float_labels(flow, directions=4):
    """Wrong: float labels."""
    return (torch.round(torch.atan2(-flow[..., 1], flow[..., 0]) / _step(directions)) % directions)


def direction_batch_only(flow, directions=4):
    """Wrong: assumes a batch (N, 2): a single vector (2,) breaks."""
    return torch.round(torch.atan2(-flow[:, 1], flow[:, 0]) / _step(directions)).long() % directions


WRONG += [
    ("01.4", direction_y_up, "screen y points DOWN"),
    ("01.4", direction_swapped_uv, "you swapped them"),
    ("01.4", direction_argmax_wrong_axis, "argmax over the classes"),
    ("01.4", direction_off_by_one, "off by one"),
    ("01.4", direction_not_wrapped, "wrap the labels"),
    ("01.4", direction_floor, "NEAREST integer, not floor"),
    ("01.4", direction_four_only, "use the `directions` argument"),
    ("01.4", direction_float_labels, "your result is torch.float32 but the answer is torch.int64"),
    ("01.4", direction_batch_only, "your function raised IndexError"),
]


def direction_by_cosine_table(flow, directions=4):
    """Right: the nearest class direction by cosine similarity (the nearest-centroid rule
    with one unit vector per class as its centroids)."""
    a = torch.arange(directions, dtype=flow.dtype) * 2 * math.pi / directions
    screen = torch.stack([torch.cos(a), -torch.sin(a)], -1)  # (K, 2), y down
    return (torch.nn.functional.normalize(flow, dim=-1) @ screen.T).argmax(-1)


def direction_by_euclid_to_unit_vectors(flow, directions=4):
    """Right: the nearest unit class vector in Euclidean distance, after normalizing the flow
    (on the unit circle the nearest point is the most cosine-similar one)."""
    a = torch.arange(directions, dtype=torch.float64) * 2 * math.pi / directions
    screen = torch.stack([torch.cos(a), -torch.sin(a)], -1)
    unit = torch.nn.functional.normalize(flow.double(), dim=-1).reshape(-1, 2)
    return torch.cdist(unit, screen).argmin(-1).reshape(flow.shape[:-1])


def direction_by_degrees(flow, directions=4):
    """Right: angles in degrees in [0, 360), shifted by half a sector, then floor division."""
    deg = torch.rad2deg(torch.atan2(-flow[..., 1], flow[..., 0])) % 360
    sector = 360 / directions
    return (torch.div(deg + sector / 2, sector, rounding_mode="floor") % directions).long()


def direction_by_library_centroid(flow, directions=4):
    """Right: lesson 04's nearest_centroid with the K unit directions as centroids."""
    from maelearn.classic.cnn import nearest_centroid

    a = torch.arange(directions, dtype=flow.dtype) * 2 * math.pi / directions
    centroids = torch.stack([torch.cos(a), -torch.sin(a)], -1)
    return nearest_centroid(flow.reshape(-1, 2), centroids).reshape(flow.shape[:-1])


RIGHT += [("01.4", direction_by_cosine_table), ("01.4", direction_by_euclid_to_unit_vectors),
          ("01.4", direction_by_degrees), ("01.4", direction_by_library_centroid)]
