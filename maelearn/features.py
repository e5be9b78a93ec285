"""Hand-engineered features: optical flow (Lucas-Kanade), audio (mel filterbank, mel
spectrogram, MFCC), text (counts, TF-IDF, skip-gram word vectors); and a small CNN whose
penultimate layer is a learned feature extractor.

These are the reference implementations of lessons 01-04's exercises. Each follows its
textbook definition and is checked in the tests against the library everyone uses
(OpenCV, librosa, scikit-learn) where one exists.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from maelearn.checks import check_float_tensor

# =========================================================================================
# Optical flow
# =========================================================================================


def to_gray(frames: torch.Tensor) -> torch.Tensor:
    """RGB (..., 3, H, W) -> luminance (..., H, W) with the ITU-R 601 weights OpenCV uses."""
    if frames.shape[-3] != 3:
        raise ValueError(f"frames must have 3 colour channels at dim -3, got shape {tuple(frames.shape)}")
    w = torch.tensor([0.299, 0.587, 0.114], dtype=frames.dtype, device=frames.device)
    return torch.einsum("...chw,c->...hw", frames, w)


def image_gradients(frame0: torch.Tensor, frame1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Brightness-constancy derivatives of two grey frames (H, W): ``Ix``, ``Iy`` are central
    differences (one-sided at the border, as ``torch.gradient``) of the frames' average and
    ``It = frame1 - frame0``. Each is (H, W)."""
    check_float_tensor(frame0, "frame0", 2, "(H, W)")
    check_float_tensor(frame1, "frame1", 2, "(H, W)")
    if frame0.shape != frame1.shape:
        raise ValueError(f"frame0 and frame1 must have the same shape, got {tuple(frame0.shape)} and {tuple(frame1.shape)}")
    avg = 0.5 * (frame0 + frame1)
    iy, ix = torch.gradient(avg)
    return ix, iy, frame1 - frame0


def window_sum(x: torch.Tensor, window: int) -> torch.Tensor:
    """Sum of ``x`` (..., H, W) over the ``window`` x ``window`` square centred on every
    pixel, with zeros outside the image. Same shape as ``x``."""
    if not isinstance(window, int) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd int >= 1, got {window!r}")
    shape = x.shape
    flat = x.reshape(-1, 1, *shape[-2:])
    kernel = torch.ones(1, 1, window, window, dtype=x.dtype, device=x.device)
    return F.conv2d(flat, kernel, padding=window // 2).reshape(shape)


def structure_tensor(ix: torch.Tensor, iy: torch.Tensor, it: torch.Tensor, window: int = 5) -> torch.Tensor:
    """The window sums Lucas-Kanade needs, stacked (5, H, W):
    ``[sum Ix*Ix, sum Ix*Iy, sum Iy*Iy, sum Ix*It, sum Iy*It]`` over each pixel's window."""
    for name, t in (("ix", ix), ("iy", iy), ("it", it)):
        check_float_tensor(t, name, 2, "(H, W)")
    products = torch.stack([ix * ix, ix * iy, iy * iy, ix * it, iy * it])  # (5, H, W)
    return window_sum(products, window)


def lk_solve(sums: torch.Tensor, min_eig: float = 1e-3) -> torch.Tensor:
    """Solve the 2x2 Lucas-Kanade system at every pixel.

    With ``A = [[Sxx, Sxy], [Sxy, Syy]]`` and ``b = -[Sxt, Syt]`` from :func:`structure_tensor`
    (``sums`` (5, H, W)), the flow is ``A^-1 b`` by Cramer's rule. Where the smaller
    eigenvalue of ``A`` is below ``min_eig`` the window has no texture in some direction
    (the aperture problem) and the flow is set to 0. Returns (2, H, W): dx, dy in pixels.
    """
    check_float_tensor(sums, "sums", 3, "(5, H, W)")
    if sums.shape[0] != 5:
        raise ValueError(f"sums must have 5 channels [Sxx, Sxy, Syy, Sxt, Syt], got shape {tuple(sums.shape)}")
    sxx, sxy, syy, sxt, syt = sums
    det = sxx * syy - sxy * sxy
    trace = sxx + syy
    lam_min = 0.5 * (trace - torch.sqrt(torch.clamp(trace * trace - 4 * det, min=0)))
    ok = lam_min >= min_eig
    safe = torch.where(ok, det, torch.ones_like(det))
    u = (-syy * sxt + sxy * syt) / safe
    v = (sxy * sxt - sxx * syt) / safe
    return torch.where(ok, torch.stack([u, v]), torch.zeros_like(torch.stack([u, v])))


def warp(frame: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample ``frame`` (H, W) at ``(x + dx, y + dy)`` bilinearly (border values outside):
    ``warp(frame1, flow)`` looks like frame0 where the flow is right."""
    h, w = frame.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=frame.dtype), torch.arange(w, dtype=frame.dtype), indexing="ij")
    gx = (xs + flow[0]) / max(w - 1, 1) * 2 - 1
    gy = (ys + flow[1]) / max(h - 1, 1) * 2 - 1
    grid = torch.stack([gx, gy], -1)[None]
    return F.grid_sample(frame[None, None], grid, mode="bilinear", padding_mode="border", align_corners=True)[0, 0]


def lucas_kanade(
    frame0: torch.Tensor, frame1: torch.Tensor, window: int = 5, min_eig: float = 1e-3, levels: int = 1, iterations: int = 1
) -> torch.Tensor:
    """Dense Lucas-Kanade optical flow from grey ``frame0`` to ``frame1`` (H, W) -> (2, H, W).

    ``levels=1, iterations=1`` is the textbook single solve (valid for motions well under a
    pixel). ``iterations > 1`` re-warps frame1 by the current estimate and solves for the
    remainder; ``levels > 1`` goes coarse to fine over an image pyramid (halving each level),
    as OpenCV's pyramidal LK does, so that larger motions become small at the coarse level.
    """
    check_float_tensor(frame0, "frame0", 2, "(H, W)")
    if not isinstance(levels, int) or levels < 1 or not isinstance(iterations, int) or iterations < 1:
        raise ValueError(f"levels and iterations must be ints >= 1, got {levels!r} and {iterations!r}")
    pyr0, pyr1 = [frame0], [frame1]
    for _ in range(levels - 1):
        pyr0.append(F.avg_pool2d(pyr0[-1][None, None], 2)[0, 0])
        pyr1.append(F.avg_pool2d(pyr1[-1][None, None], 2)[0, 0])
    flow = torch.zeros(2, *pyr0[-1].shape, dtype=frame0.dtype)
    for level in reversed(range(levels)):
        f0, f1 = pyr0[level], pyr1[level]
        if flow.shape[-2:] != f0.shape:
            flow = 2 * F.interpolate(flow[None], size=f0.shape, mode="bilinear", align_corners=False)[0]
        for _ in range(iterations):
            ix, iy, it = image_gradients(f0, warp(f1, flow) if flow.abs().sum() > 0 else f1)
            flow = flow + lk_solve(structure_tensor(ix, iy, it, window), min_eig)
    return flow


def endpoint_error(flow: torch.Tensor, true_flow: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Average endpoint error: the mean over pixels of the Euclidean distance between the
    estimated and the true flow vectors, ``sqrt((dx - dx*)^2 + (dy - dy*)^2)``. ``flow`` and
    ``true_flow`` are (..., 2, H, W); ``mask`` (..., H, W) of bools restricts the mean to
    some pixels (e.g. the moving object). Returns a float."""
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
    (polynomial expansion) or ``"pyrlk"`` (pyramidal Lucas-Kanade tracked from every pixel)."""
    import cv2

    a = (frame0.detach().cpu().numpy() * 255).round().clip(0, 255).astype(np.uint8)
    b = (frame1.detach().cpu().numpy() * 255).round().clip(0, 255).astype(np.uint8)
    h, w = a.shape
    if method == "farneback":
        flow = cv2.calcOpticalFlowFarneback(a, b, None, pyr_scale=0.5, levels=2, winsize=window + 2,
                                            iterations=3, poly_n=5, poly_sigma=1.1, flags=0)
        return torch.from_numpy(flow).permute(2, 0, 1).float()
    if method == "pyrlk":
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        pts = np.stack([xs.ravel(), ys.ravel()], 1)[:, None, :]
        nxt, status, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, winSize=(window, window), maxLevel=2)
        d = (nxt - pts)[:, 0, :] * (status.astype(np.float32))  # lost points: 0
        return torch.from_numpy(d.T.reshape(2, h, w).copy()).float()
    raise ValueError(f"method must be 'farneback' or 'pyrlk', got {method!r}")


# =========================================================================================
# Audio: mel scale, filterbank, mel spectrogram, MFCC (librosa's conventions)
# =========================================================================================


def hz_to_mel(f: np.ndarray | float, htk: bool = False) -> np.ndarray:
    """Hertz -> mels. ``htk=False`` is Slaney's scale (librosa's default): linear below
    1 kHz (3 mels per 200 Hz), logarithmic above; ``htk=True`` is ``2595 log10(1 + f/700)``."""
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, math.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz(m: np.ndarray | float, htk: bool = False) -> np.ndarray:
    """Mels -> hertz, the inverse of :func:`hz_to_mel`."""
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, math.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular mel filters (n_mels, 1 + n_fft // 2), float64, as ``librosa.filters.mel``
    with its defaults (Slaney mel scale, Slaney area normalization).

    ``n_mels + 2`` edge frequencies are spaced evenly on the mel scale from ``fmin`` to
    ``fmax`` (default ``sr / 2``); filter ``i`` rises linearly from edge ``i`` to 1 at edge
    ``i + 1`` and falls to 0 at edge ``i + 2`` (evaluated at the FFT bin frequencies), then
    is scaled by ``2 / (edge[i+2] - edge[i])`` so every filter has the same area.
    """
    if not isinstance(n_mels, int) or n_mels < 1:
        raise ValueError(f"n_mels must be an int >= 1, got {n_mels!r}")
    if not isinstance(n_fft, int) or n_fft < 2:
        raise ValueError(f"n_fft must be an int >= 2, got {n_fft!r}")
    fmax = sr / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sr / 2:
        raise ValueError(f"need 0 <= fmin < fmax <= sr/2 = {sr / 2}, got fmin={fmin}, fmax={fmax}")
    fft_freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)  # (F,)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # (n_mels + 2,)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (fft_freqs[None] - lower) / (centre - lower)
    falling = (upper - fft_freqs[None]) / (upper - centre)
    weights = np.maximum(0, np.minimum(rising, falling))  # (n_mels, F)
    return weights * (2.0 / (upper - lower))


def power_spectrogram(wave: torch.Tensor, n_fft: int = 512, hop: int = 128) -> torch.Tensor:
    """|STFT|^2 of ``wave`` (L,) or (B, L) with a periodic Hann window of ``n_fft`` samples,
    frames centred (the signal is zero-padded by ``n_fft // 2`` on both sides, librosa's
    default): (..., 1 + n_fft // 2, 1 + L // hop)."""
    window = torch.hann_window(n_fft, periodic=True, dtype=wave.dtype, device=wave.device)
    spec = torch.stft(wave, n_fft, hop_length=hop, window=window, center=True, pad_mode="constant", return_complex=True)
    return spec.abs() ** 2


def mel_spectrogram(wave: torch.Tensor, sr: int, n_fft: int = 512, hop: int = 128, n_mels: int = 40) -> torch.Tensor:
    """Mel power spectrogram (..., n_mels, frames): the :func:`mel_filterbank` applied to the
    :func:`power_spectrogram`; matches ``librosa.feature.melspectrogram`` with the same
    ``n_fft``, ``hop_length``, ``n_mels`` (and its defaults otherwise)."""
    if not isinstance(wave, torch.Tensor) or not wave.is_floating_point() or wave.ndim not in (1, 2):
        raise TypeError(f"wave must be a float tensor (L,) or (B, L), got {type(wave).__name__} {getattr(wave, 'shape', '')}")
    fb = torch.from_numpy(mel_filterbank(sr, n_fft, n_mels)).to(wave.dtype)
    return torch.einsum("mf,...ft->...mt", fb, power_spectrogram(wave, n_fft, hop))


def power_to_db(spec: torch.Tensor, amin: float = 1e-10, top_db: float | None = 80.0) -> torch.Tensor:
    """``10 log10(max(spec, amin))``, floored at ``top_db`` below each spectrogram's maximum
    (over its last two dims), as ``librosa.power_to_db(spec, ref=1.0)``."""
    db = 10.0 * torch.log10(torch.clamp(spec, min=amin))
    if top_db is not None:
        peak = db.amax(dim=(-2, -1), keepdim=True)
        db = torch.maximum(db, peak - top_db)
    return db


def dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """Orthonormal DCT-II matrix (n_out, n_in): row k is ``sqrt(2/n) cos(pi k (2i+1) / 2n)``,
    row 0 scaled by ``1/sqrt(2)`` (``scipy.fft.dct(norm='ortho')``)."""
    i = torch.arange(n_in, dtype=torch.float64)
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    m = math.sqrt(2.0 / n_in) * torch.cos(math.pi * k * (2 * i + 1) / (2 * n_in))
    m[0] /= math.sqrt(2.0)
    return m


def mfcc(mel_spec: torch.Tensor, n_mfcc: int = 13) -> torch.Tensor:
    """MFCCs (..., n_mfcc, frames) from a mel power spectrogram (..., n_mels, frames): the
    orthonormal DCT-II over the mel axis of :func:`power_to_db`, first ``n_mfcc`` rows; as
    ``librosa.feature.mfcc(S=librosa.power_to_db(mel_spec), n_mfcc=n_mfcc)``."""
    if not isinstance(mel_spec, torch.Tensor) or not mel_spec.is_floating_point() or mel_spec.ndim < 2:
        raise TypeError(f"mel_spec must be a float tensor (..., n_mels, frames), got {type(mel_spec).__name__} {getattr(mel_spec, 'shape', '')}")
    n_mels = mel_spec.shape[-2]
    if not isinstance(n_mfcc, int) or not 1 <= n_mfcc <= n_mels:
        raise ValueError(f"n_mfcc must be an int in [1, n_mels={n_mels}], got {n_mfcc!r}")
    d = dct_matrix(n_mfcc, n_mels).to(mel_spec.dtype)
    return torch.einsum("km,...mt->...kt", d, power_to_db(mel_spec))


# =========================================================================================
# Text: counts, TF-IDF, skip-gram word vectors
# =========================================================================================


def build_vocab(docs: Sequence[Sequence[str]], min_count: int = 1, max_size: int | None = None) -> list[str]:
    """Words occurring at least ``min_count`` times, most frequent first (ties
    alphabetical), at most ``max_size``."""
    counts = Counter(w for doc in docs for w in doc)
    words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return words[:max_size] if max_size else words


def count_matrix(docs: Sequence[Sequence[str]], vocab: Sequence[str]) -> torch.Tensor:
    """Term counts (D, V) float64: entry (d, v) counts word ``vocab[v]`` in tokenized doc
    ``d``; words outside ``vocab`` are ignored."""
    index = {w: i for i, w in enumerate(vocab)}
    counts = torch.zeros(len(docs), len(vocab), dtype=torch.float64)
    for d, doc in enumerate(docs):
        for w, c in Counter(doc).items():
            if w in index:
                counts[d, index[w]] = c
    return counts


def idf(counts: torch.Tensor) -> torch.Tensor:
    """Smoothed inverse document frequency (V,) from counts (D, V), scikit-learn's default:
    ``ln((1 + D) / (1 + df)) + 1``, where ``df`` is how many documents contain the word."""
    check_float_tensor(counts, "counts", 2, "(D, V)")
    n_docs = counts.shape[0]
    df = (counts > 0).sum(0).to(counts.dtype)
    return torch.log((1 + n_docs) / (1 + df)) + 1


def tfidf(counts: torch.Tensor) -> torch.Tensor:
    """TF-IDF (D, V) from counts (D, V), as scikit-learn's ``TfidfVectorizer()`` defaults:
    raw counts times :func:`idf`, each row scaled to unit Euclidean norm (all-zero rows stay 0)."""
    w = counts * idf(counts)
    return w / torch.linalg.vector_norm(w, dim=1, keepdim=True).clamp(min=1e-12)


def cosine_top_k(queries: torch.Tensor, keys: torch.Tensor, k: int = 5, exclude_self: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` rows of ``keys`` (M, D) most cosine-similar to each row of ``queries``
    (Q, D): (similarities (Q, k), indices (Q, k)). ``exclude_self`` drops the diagonal when
    ``queries`` are ``keys``."""
    q = F.normalize(queries, dim=1)
    kk = F.normalize(keys, dim=1)
    sim = q @ kk.T
    if exclude_self:
        sim = sim - 10 * torch.eye(*sim.shape, dtype=sim.dtype, device=sim.device)
    return sim.topk(k, dim=1)


def skipgram_pairs(docs: Sequence[Sequence[str]], vocab: Sequence[str], window: int = 2) -> torch.Tensor:
    """(centre, context) index pairs (P, 2) of every in-vocabulary word and its neighbours
    up to ``window`` positions away (out-of-vocabulary words are dropped first)."""
    index = {w: i for i, w in enumerate(vocab)}
    pairs = []
    for doc in docs:
        ids = [index[w] for w in doc if w in index]
        n = len(ids)
        for off in range(1, window + 1):
            if n > off:
                a = torch.tensor(ids[:-off])
                b = torch.tensor(ids[off:])
                pairs += [torch.stack([a, b], 1), torch.stack([b, a], 1)]
    return torch.cat(pairs) if pairs else torch.empty(0, 2, dtype=torch.long)


class SkipGram(nn.Module):
    """Word2vec's skip-gram with negative sampling: an input and an output embedding table
    (V, dim); a (centre, context) pair scores ``<in[centre], out[context]>``, trained to be
    high for real pairs and low for ``negatives`` random words."""

    def __init__(self, vocab_size: int, dim: int = 64):
        super().__init__()
        self.inp = nn.Embedding(vocab_size, dim)
        self.out = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.inp.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out.weight)

    def loss(self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """centre, context (B,), negatives (B, K) word indices -> scalar loss."""
        c = self.inp(centre)  # (B, dim)
        pos = (c * self.out(context)).sum(-1)  # (B,)
        neg = torch.einsum("bd,bkd->bk", c, self.out(negatives))  # (B, K)
        return -(F.logsigmoid(pos).mean() + F.logsigmoid(-neg).sum(-1).mean())


def train_skipgram(
    pairs: torch.Tensor, vocab_size: int, unigram: torch.Tensor, dim: int = 64, epochs: int = 3,
    batch: int = 1024, negatives: int = 5, lr: float = 0.01, seed: int = 0,
) -> SkipGram:
    """Train :class:`SkipGram` on ``pairs`` (P, 2); negatives are drawn from ``unigram``
    (V,) word counts raised to the 3/4 power (word2vec's choice)."""
    from tqdm.auto import tqdm

    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = SkipGram(vocab_size, dim)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    probs = unigram.double() ** 0.75
    for _ in tqdm(range(epochs), desc="skip-gram", leave=False):
        perm = torch.randperm(len(pairs), generator=g)
        for start in range(0, len(pairs), batch):
            b = pairs[perm[start : start + batch]]
            neg = torch.multinomial(probs, len(b) * negatives, replacement=True, generator=g).view(len(b), negatives)
            loss = model.loss(b[:, 0], b[:, 1], neg)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


# =========================================================================================
# Learned features: a small CNN and its penultimate layer
# =========================================================================================


class SmallCNN(nn.Module):
    """Three conv blocks (conv 3x3 - batch norm - ReLU - 2x2 max pool), global average
    pooling to a ``width * 4``-d feature vector (the penultimate layer), and a linear
    classifier. ``features(x)`` (B, C, H, W) -> (B, width * 4)."""

    def __init__(self, in_chans: int = 3, num_classes: int = 10, width: int = 16):
        super().__init__()
        layers, c = [], in_chans
        for out in (width, width * 2, width * 4):
            layers += [nn.Conv2d(c, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
            c = out
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(c, num_classes)
        self.dim = c

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def train_cnn(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, epochs: int = 5, batch: int = 64,
    lr: float = 3e-3, seed: int = 0,
) -> list[float]:
    """Plain supervised training (AdamW, cross-entropy) on tensors already on the model's
    device; returns the mean loss of every epoch."""
    from tqdm.auto import tqdm

    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    history = []
    model.train()
    for _ in tqdm(range(epochs), desc="train", leave=False):
        perm = torch.randperm(len(images), generator=g).to(images.device)
        total = 0.0
        for start in range(0, len(images), batch):
            idx = perm[start : start + batch]
            loss = F.cross_entropy(model(images[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / len(images))
    model.eval()
    return history


@torch.no_grad()
def batched(fn, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """``fn(images[i:i+batch])`` over ``images`` in batches, concatenated (N, D), no grad."""
    return torch.cat([fn(images[i : i + batch]) for i in range(0, len(images), batch)])


def pretrained_resnet18(weights: str | None = None):
    """torchvision's ResNet-18 with its classifier removed (a 512-d feature extractor).

    ``weights=None`` builds it untrained. ``weights="DEFAULT"`` (or ``"IMAGENET1K_V1"``) loads
    the ImageNet weights *only if they are already in torch's cache* (``~/.cache/torch``):
    this function never downloads. Missing weights raise ``FileNotFoundError`` with the
    one-line command that fetches them on a machine with the internet.
    """
    from torchvision.models import ResNet18_Weights, resnet18

    if weights is None:
        model = resnet18(weights=None)
    else:
        import os

        w = ResNet18_Weights[weights] if weights != "DEFAULT" else ResNet18_Weights.DEFAULT
        cache = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(w.url))
        if not os.path.exists(cache):
            raise FileNotFoundError(
                f"ResNet-18 weights are not cached at {cache}. With the internet, run once: "
                "python -c \"import torchvision; torchvision.models.resnet18(weights='DEFAULT')\""
            )
        model = resnet18(weights=w)
    model.fc = nn.Identity()
    return model.eval()


# =========================================================================================
# Few-label classification in a feature space
# =========================================================================================


def class_centroids(x: torch.Tensor, y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The mean feature vector of every class: x (N, D), y (N,) in [0, num_classes) ->
    (num_classes, D). A class without examples gets a zero row."""
    check_float_tensor(x, "x", 2, "(N, D)")
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},), got {tuple(y.shape)}")
    sums = torch.zeros(num_classes, x.shape[1], dtype=x.dtype, device=x.device).index_add_(0, y, x)
    counts = torch.bincount(y, minlength=num_classes).clamp(min=1).to(x.dtype)
    return sums / counts[:, None]


def nearest_centroid(x: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """Predicted class (N,) long of every row of x (N, D): the centroid (K, D) with the
    highest cosine similarity."""
    check_float_tensor(x, "x", 2, "(N, D)")
    return (F.normalize(x, dim=1) @ F.normalize(centroids, dim=1).T).argmax(dim=1)
