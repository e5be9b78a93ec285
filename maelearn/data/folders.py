"""Real data from disk (image, video and audio folders, CIFAR-10 / STL-10) as map-style datasets: workers
decode and augment (:class:`ImageTransform`) to uint8, ``device_transform`` normalizes on the device. An item is
an index or ``(index, seed)`` (:func:`maelearn.train.sample_seed`), so a resume is exact whatever the workers; an
undecodable file is skipped with a ``UserWarning``."""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from maelearn.classic.spectral import LAYOUTS, log_mel, spec_stats

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v")
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
DECODERS = ("auto", "torchvision", "pil")
ON_ERROR = ("skip", "raise")
DEFAULT_DECODER = "torchvision"  # faster than PIL here: data/bench_loader_cpu.json, maelearn.bench.loader
CROP_PCT = 0.875  # evaluation resizes the shorter side to size / CROP_PCT, then centre-crops (224 / 256)


def decode_image(path: str | Path, decoder: str = "auto") -> torch.Tensor:
    """The image at ``path`` as uint8 (3, H, W) RGB (grey, palette, RGBA converted), by ``decoder`` ``"torchvision"``
    (JPEG, PNG, WebP, GIF), ``"pil"`` or ``"auto"`` (torchvision where it can); else ``ValueError`` naming the file."""
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
    if decoder == "auto":
        tv = Path(path).suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".gif")
        decoder = DEFAULT_DECODER if tv else "pil"
    try:
        if decoder == "torchvision":
            from torchvision.io import ImageReadMode, read_file
            from torchvision.io import decode_image as tv_decode

            with warnings.catch_warnings():  # torchvision >= 0.29 points to torchcodec on every call
                warnings.filterwarnings("ignore", message=".*decoding and encoding capabilities.*")
                img = tv_decode(read_file(str(path)), mode=ImageReadMode.RGB)
            img = img[:, :, :, 0] if img.ndim == 4 else img  # an animated GIF: its first frame
            return _to_uint8(img)  # a 16-bit PNG decodes to uint16
        from PIL import Image

        with Image.open(path) as im:
            if im.mode.startswith("I"):  # 16/32-bit grey: PIL's convert("RGB") would clip at 255
                grey = _to_uint8(torch.from_numpy(np.asarray(im).astype(np.int64)), 65535)
                return grey[None].expand(3, -1, -1).contiguous()
            return torch.from_numpy(np.asarray(im.convert("RGB")).copy()).permute(2, 0, 1).contiguous()
    except Exception as err:  # the decoders raise RuntimeError, OSError, SyntaxError, ...
        raise ValueError(f"cannot decode image {path}: {type(err).__name__}: {err}") from err


def _to_uint8(img: torch.Tensor, full_scale: int | None = None) -> torch.Tensor:
    """Integer pixels -> uint8 on the same scale (16-bit 0..65535 -> 0..255, rounded)."""
    if img.dtype == torch.uint8:
        return img
    top = full_scale if full_scale is not None else torch.iinfo(img.dtype).max
    wide = img.to(torch.int64).clamp(0, top)
    return ((wide * 255 + top // 2) // top).to(torch.uint8)


def _uniform(g: torch.Generator | None, lo: float, hi: float) -> float:
    return float(torch.empty(()).uniform_(lo, hi, generator=g))


def _randint(g: torch.Generator | None, hi: int) -> int:
    return int(torch.randint(hi + 1, (), generator=g))  # in [0, hi]


def random_resized_crop_box(height: int, width: int, scale: tuple[float, float] = (0.2, 1.0),
                            ratio: tuple[float, float] = (3 / 4, 4 / 3), generator: torch.Generator | None = None
                            ) -> tuple[int, int, int, int]:
    """``(top, left, h, w)`` of RandomResizedCrop's box (torchvision's rule): area fraction uniform in ``scale``,
    aspect ratio log-uniform in ``ratio``, 10 tries, else a central crop."""
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = height * width * _uniform(generator, *scale)
        aspect = math.exp(_uniform(generator, *log_ratio))
        w, h = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            return _randint(generator, height - h), _randint(generator, width - w), h, w
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif in_ratio > ratio[1]:
        h, w = height, int(round(height * ratio[1]))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


class ImageTransform:
    """uint8 (C, H, W) -> uint8 (C, size, size), the same for every frame of (C, T, H, W). ``augment=True`` (MAE
    pretraining): RandomResizedCrop(size, scale, ratio 3/4-4/3, bicubic, antialiased), then a flip with probability
    ``flip``; else (evaluation) the shorter side resized to ``size / crop_pct`` (bicubic), then the central crop."""

    def __init__(self, size: int = 224, augment: bool = True, scale: tuple[float, float] = (0.2, 1.0),
                 flip: float = 0.5, crop_pct: float = CROP_PCT):
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"size must be an integer >= 1, got {size!r}")
        if not (0 < scale[0] <= scale[1] <= 1):
            raise ValueError(f"scale must satisfy 0 < min <= max <= 1, got {scale!r}")
        self.size, self.augment, self.scale, self.flip, self.crop_pct = size, augment, tuple(scale), flip, crop_pct

    def __call__(self, img: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        from torchvision.transforms.v2 import InterpolationMode
        from torchvision.transforms.v2 import functional as TF

        video = img.ndim == 4  # (C, T, H, W): resize frames as a batch (T, C, H, W)
        x = img.transpose(0, 1) if video else img
        if self.augment:
            top, left, ch, cw = random_resized_crop_box(*img.shape[-2:], self.scale, generator=generator)
            x = TF.resized_crop(x, top, left, ch, cw, [self.size, self.size], InterpolationMode.BICUBIC, antialias=True)
            if self.flip > 0 and _uniform(generator, 0.0, 1.0) < self.flip:
                x = x.flip(-1)
        else:
            x = TF.resize(x, [int(self.size / self.crop_pct)], InterpolationMode.BICUBIC, antialias=True)
            x = TF.center_crop(x, [self.size, self.size])
        return (x.transpose(0, 1) if video else x).contiguous()


class DeviceNormalize:
    """uint8 images (B, C, H, W) or videos (B, C, T, H, W) on the device -> float32 ``(x / 255 - mean) / std`` per
    channel (dim 1); float input is taken as in [0, 1]."""

    def __init__(self, mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD):
        self.mean, self.std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
        self._on: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}  # per device: no copy (a sync) per batch

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        key = str(x.device)
        if key not in self._on:
            self._on[key] = (torch.tensor(self.mean, device=x.device), torch.tensor(self.std, device=x.device))
        mean, std = self._on[key]
        shape = (1, len(self.mean)) + (1,) * (x.ndim - 2)
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        return (x - mean.view(shape)) / std.view(shape)

    def __getstate__(self) -> dict:  # workers get the numbers, never GPU tensors
        return {"mean": self.mean, "std": self.std, "_on": {}}


def list_files(root: str | Path, extensions: Sequence[str],
               what: str = "files") -> tuple[list[str], list[int], list[str]]:
    """``(paths, labels, classes)`` of the files under ``root`` with one of ``extensions`` (any case), sorted: in class
    sub-folders (ImageFolder layout, sorted names as classes) or else directly in ``root`` (labels -1, no classes)."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"data folder {root} does not exist")
    if not root.is_dir():
        raise ValueError(f"data folder {root} is not a folder")
    exts = tuple(e.lower() for e in extensions)

    def matching(folder: Path, recursive: bool) -> list[str]:
        out = []
        for dirpath, _, names in os.walk(folder) if recursive else [(str(folder), None, os.listdir(folder))]:
            out += [os.path.join(dirpath, n) for n in names if n.lower().endswith(exts) and not n.startswith(".")]
        return sorted(p for p in out if os.path.isfile(p))

    found = {d.name: matching(d, True) for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")}
    classes = sorted(name for name, files in found.items() if files)
    if classes:
        paths = [p for name in classes for p in found[name]]
        labels = [c for c, name in enumerate(classes) for _ in found[name]]
        return paths, labels, classes
    paths = matching(root, False)
    if not paths:
        raise ValueError(f"no {what} in {root}: looked for {', '.join(exts)} "
                         "(directly inside, or in class sub-folders)")
    return paths, [-1] * len(paths), []


class _FileDataset(Dataset):
    """Files, labels, ``(index, seed)`` items, unreadable-file policy; a subclass defines ``load(index, generator)``."""

    accepts_seed = True

    def __init__(self, paths: list[str], labels: list[int], classes: list[str], on_error: str):
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {ON_ERROR}, got {on_error!r}")
        self.paths, self.labels, self.classes, self.on_error = paths, labels, classes, on_error
        self.skipped = 0  # files skipped in this process (each DataLoader worker counts its own)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, item) -> tuple[Any, int]:
        index, seed = item if isinstance(item, (tuple, list)) else (item, None)
        index = int(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} files")
        for attempt in range(len(self)):
            i = (index + attempt) % len(self)
            g = torch.Generator().manual_seed(seed) if seed is not None else None
            try:
                return self.load(i, g), self.labels[i]
            except ValueError as err:
                if self.on_error == "raise":
                    raise
                self.skipped += 1
                warnings.warn(f"skipped an unreadable file ({self.skipped} so far in this process): {err}",
                              stacklevel=2)
        raise ValueError(f"none of the {len(self)} files could be read (first: {self.paths[0]})")


class ImageFolder(_FileDataset):
    """Images under ``root`` (class sub-folders, or flat: labels -1) -> items ``(uint8 (3, size, size), label)``."""

    def __init__(self, root: str | Path, size: int = 224, augment: bool = True, decoder: str = "auto",
                 on_error: str = "skip", mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                 extensions: Sequence[str] = IMAGE_EXTENSIONS):
        if decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
        super().__init__(*list_files(root, extensions, "images"), on_error)
        self.root, self.decoder = str(root), decoder
        self.transform, self.device_transform = ImageTransform(size, augment), DeviceNormalize(mean, std)

    def load(self, index: int, generator: torch.Generator | None) -> torch.Tensor:
        return self.transform(decode_image(self.paths[index], self.decoder), generator)


class TorchvisionImages(Dataset):
    """A torchvision dataset of PIL images (CIFAR-10, STL-10) -> items ``(uint8 (3, size, size), label)``."""

    accepts_seed = True

    def __init__(self, base, size: int, augment: bool, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        self.base, self.classes = base, list(getattr(base, "classes", []))
        self.transform, self.device_transform = ImageTransform(size, augment), DeviceNormalize(mean, std)

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, item):
        index, seed = item if isinstance(item, (tuple, list)) else (item, None)
        img, label = self.base[int(index)]
        x = torch.from_numpy(np.asarray(img.convert("RGB")).copy()).permute(2, 0, 1).contiguous()
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        return self.transform(x, g), int(label)


NAMED_DATASETS = ("cifar10", "stl10")
OFFLINE_SETS = ("digits", "natural", "scenes", "shapes")  # maelearn.data.load_offline's names


def image_dataset(data_path: str | Path | None = None, dataset: str | None = None,
                  data_root: str | Path | None = None, download: bool = False, split: str = "train", size: int = 32,
                  augment: bool = True, decoder: str = "auto", on_error: str = "skip") -> Dataset:
    """The dataset of the CLI's ``--data-path`` / ``--dataset --data-root [--download]``: a folder of images
    (:class:`ImageFolder`), or ``"cifar10"`` (splits train/test) or ``"stl10"`` (train/test/unlabeled) from
    ``data_root``, downloaded only when ``download=True``. Items are ``(uint8 (3, size, size), label)``."""
    if (data_path is None) == (dataset is None):
        raise ValueError("give exactly one of data_path (a folder of images) or dataset ('cifar10' or 'stl10')")
    if data_path is not None:
        return ImageFolder(data_path, size=size, augment=augment, decoder=decoder, on_error=on_error)
    if dataset not in NAMED_DATASETS:
        raise ValueError(f"dataset must be one of {NAMED_DATASETS} (read from data_root), got {dataset!r}; the "
                         f"offline sets {', '.join(OFFLINE_SETS)} are tensors from maelearn.data")
    if data_root is None:
        raise ValueError(f"dataset={dataset!r} needs data_root, the folder holding (or to receive) its files")
    import torchvision

    splits = {"cifar10": ("train", "test"), "stl10": ("train", "test", "unlabeled")}[dataset]
    if split not in splits:
        raise ValueError(f"split for {dataset} must be one of {splits}, got {split!r}")
    try:
        if dataset == "cifar10":
            base = torchvision.datasets.CIFAR10(str(data_root), train=split == "train", download=download)
        else:
            base = torchvision.datasets.STL10(str(data_root), split=split, download=download)
    except OSError as err:  # urllib's URLError, a refused connection, DNS: no internet here
        if not download:
            raise
        raise ConnectionError(f"could not download {dataset} into {data_root} ({getattr(err, 'reason', None) or err}): "
                              "no internet here? Copy the files there from a machine that has it, or use an offline "
                              f"set: {', '.join(OFFLINE_SETS)}") from err
    except RuntimeError as err:
        if download:
            raise
        raise FileNotFoundError(f"{dataset} is not in {data_root} ({err}). Pass download=True (CLI: --download) on a "
                                f"machine with the internet, or use an offline set: {', '.join(OFFLINE_SETS)}") from err
    return TorchvisionImages(base, size, augment)


def clip_indices(num_frames: int, frames: int, stride: int, start: int | None = None,
                 generator: torch.Generator | None = None) -> list[int]:
    """``frames`` indices of a video of ``num_frames``: every ``stride``-th from a random start (``start=None``; the
    centre span with ``start=-1``), else the largest stride that fits, else the last frame repeated."""
    if num_frames < 1:
        raise ValueError("the video has no frame")
    s = stride
    while s > 1 and (frames - 1) * s + 1 > num_frames:  # the span of s-spaced frames is too long
        s -= 1
    room = max(0, num_frames - ((frames - 1) * s + 1))
    if start is None:
        start = _randint(generator, room)
    elif start == -1:
        start = room // 2
    return [min(start + k * s, num_frames - 1) for k in range(frames)]


def decode_video(path: str | Path, pick: Callable[[int], list[int]] | None = None) -> torch.Tensor:
    """Frames of the video at ``path`` as uint8 (T, H, W, 3), decoded with PyAV: all, or ``pick(num_frames)``'s. With
    ``pick`` and a stated frame count, decoding stops at the last frame picked; one past the real end is the last
    one decoded. Raises ``ValueError`` naming the file when it cannot be decoded."""
    try:
        import av
    except ImportError as err:
        raise ImportError("video folders need PyAV: pip install av") from err
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            count = int(stream.frames or 0)
            idx = pick(count) if pick is not None and count > 0 else None  # None: decode every frame
            stop = max(idx) if idx is not None else math.inf
            got, k, frame = {}, -1, None
            for k, frame in enumerate(container.decode(stream)):
                if idx is None or k in idx:
                    got[k] = frame.to_ndarray(format="rgb24")
                if k >= stop:
                    break
            if frame is None:
                raise ValueError("it has no frame")
            if idx is None:
                idx = list(range(k + 1)) if pick is None else pick(k + 1)
            elif k not in got:  # the stated count was too high: the real last frame stands in
                got[k] = frame.to_ndarray(format="rgb24")
            return torch.from_numpy(np.stack([got[min(i, k)] for i in idx]))
    except Exception as err:
        raise ValueError(f"cannot decode video {path}: {type(err).__name__}: {err}") from err


class VideoFolder(_FileDataset):
    """Videos under ``root`` (class sub-folders or flat) -> VideoMAE clips ``(uint8 (3, frames, size, size), label)``:
    frames ``stride`` apart from a random start, one crop and flip for all (``augment=False``: centred)."""

    def __init__(self, root: str | Path, frames: int = 16, stride: int = 4, size: int = 112, augment: bool = True,
                 on_error: str = "skip", mean: Sequence[float] = IMAGENET_MEAN, std: Sequence[float] = IMAGENET_STD,
                 extensions: Sequence[str] = VIDEO_EXTENSIONS):
        for name, v in (("frames", frames), ("stride", stride)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        super().__init__(*list_files(root, extensions, "videos"), on_error)
        self.root, self.frames, self.stride, self.augment = str(root), frames, stride, augment
        self.transform, self.device_transform = ImageTransform(size, augment), DeviceNormalize(mean, std)

    def load(self, index: int, generator: torch.Generator | None) -> torch.Tensor:
        start = None if self.augment else -1
        clip = decode_video(self.paths[index], lambda n: clip_indices(n, self.frames, self.stride, start, generator))
        return self.transform(clip.permute(3, 0, 1, 2), generator)  # (3, frames, H, W) -> resized


def read_audio(path: str | Path, sample_rate: int, seconds: float | None = None, random_start: bool = False,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """The clip at ``path`` as mono float32 (L,) at ``sample_rate`` (soundfile; channels averaged, polyphase
    resampling); with ``seconds`` only that window, random start with ``random_start`` (shorter if the file is)."""
    import soundfile as sf

    try:
        info = sf.info(str(path))
        sr, total = int(info.samplerate), int(info.frames)
        start, stop = 0, None
        if seconds is not None:
            span = int(math.ceil(seconds * sr))
            start = _randint(generator, total - span) if random_start and total > span else 0
            stop = start + span
        wave, _ = sf.read(str(path), start=start, stop=stop, dtype="float32", always_2d=True)
    except Exception as err:
        raise ValueError(f"cannot decode audio {path}: {type(err).__name__}: {err}") from err
    if wave.shape[0] == 0:
        raise ValueError(f"cannot decode audio {path}: it has no sample")
    mono = wave.mean(axis=1)
    if sr != sample_rate:
        from scipy.signal import resample_poly

        g = math.gcd(sr, int(sample_rate))
        mono = resample_poly(mono, sample_rate // g, sr // g).astype(np.float32)
    return torch.from_numpy(np.ascontiguousarray(mono))


class AudioFolder(_FileDataset):
    """Audio clips under ``root`` (class sub-folders or flat) -> ``(float32 (1, n_mels, frames), label)``
    (``(1, frames, n_mels)`` with ``layout="time_freq"``, Audio-MAE's): the :func:`~maelearn.classic.spectral.log_mel`
    of a ``seconds`` window (random start with ``augment``, zero-padded), normalized ``(x - mean) / (std_scale * std)``
    with ``stats=(mean, std)`` (e.g. the training set's) or those of the first ``stats_clips`` clips unaugmented."""

    def __init__(self, root: str | Path, sample_rate: int = 16000, seconds: float = 1.0, n_mels: int = 32,
                 frames: int = 64, augment: bool = True, stats: tuple[float, float] | None = None,
                 stats_clips: int = 256, on_error: str = "skip", extensions: Sequence[str] = AUDIO_EXTENSIONS,
                 std_scale: float = 2.0, layout: str = "freq_time"):
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        if not isinstance(sample_rate, int) or sample_rate < 1:
            raise ValueError(f"sample_rate must be an integer >= 1, got {sample_rate!r}")
        for name, v in (("seconds", seconds), ("std_scale", std_scale)):
            if not v > 0:
                raise ValueError(f"{name} must be > 0, got {v!r}")
        super().__init__(*list_files(root, extensions, "audio files"), on_error)
        self.root, self.sample_rate, self.layout, self.std_scale = str(root), sample_rate, layout, std_scale
        self.length, self.n_mels, self.frames, self.augment = int(round(seconds * sample_rate)), n_mels, frames, augment
        if stats is None:
            stats = spec_stats(torch.stack([self._log_mel(i, None, False) for i in range(min(stats_clips, len(self)))]))
        self.mean, self.std = stats
        if not self.std > 1e-6 * max(1.0, abs(self.mean)):  # float rounding of a constant is not spread
            raise ValueError(f"the audio clips in {root} have no spread (std {self.std}): all silent or identical; "
                             "pass stats=(mean, std) from a training set")

    def _log_mel(self, index: int, generator: torch.Generator | None, random_start: bool) -> torch.Tensor:
        seconds = self.length / self.sample_rate
        wave = read_audio(self.paths[index], self.sample_rate, seconds, random_start, generator)[: self.length]
        if wave.shape[0] < self.length:
            wave = torch.nn.functional.pad(wave, (0, self.length - wave.shape[0]))
        return log_mel(wave[None], self.sample_rate, n_mels=self.n_mels, frames=self.frames, layout=self.layout)[0]

    def load(self, index: int, generator: torch.Generator | None) -> torch.Tensor:
        return (self._log_mel(index, generator, self.augment) - self.mean) / (self.std_scale * self.std)


__all__ = [
    "AUDIO_EXTENSIONS", "AudioFolder", "DeviceNormalize", "IMAGENET_MEAN", "IMAGENET_STD", "IMAGE_EXTENSIONS",
    "ImageFolder", "ImageTransform", "TorchvisionImages", "VIDEO_EXTENSIONS", "VideoFolder", "clip_indices",
    "decode_image", "decode_video", "image_dataset", "list_files", "random_resized_crop_box", "read_audio",
]
