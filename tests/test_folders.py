"""Folder datasets on files the tests write themselves (PIL, PyAV, soundfile): image folders
with the paper's augmentation, video clips, log-mel audio, and every kind of bad input."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from maelearn.data.folders import (
    AudioFolder,
    DeviceNormalize,
    ImageFolder,
    ImageTransform,
    VideoFolder,
    clip_indices,
    decode_image,
    image_dataset,
    random_resized_crop_box,
)


pytestmark = pytest.mark.usefixtures("one_thread")


def write_image(path: Path, size=(20, 24), mode="RGB", seed=0) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    h, w = size
    if mode == "L":
        img = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8), "L")
    elif mode == "P":  # a palette image
        img = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB").convert("P")
    else:
        img = Image.fromarray(rng.integers(0, 256, (h, w, len(mode)), dtype=np.uint8), mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def write_video(path: Path, frames: int, size=(32, 32), fps=8) -> Path:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[1], size[0], "yuv420p"
        for t in range(frames):
            arr = np.zeros((*size, 3), dtype=np.uint8)
            arr[..., 0] = 8 * t  # the red level encodes the frame index
            arr[:, : size[1] // 2, 1] = 200
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def write_wav(path: Path, seconds=0.5, sr=8000, freq=440.0, amp=0.5) -> Path:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * sr)) / sr
    sf.write(str(path), (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr)
    return path


# --- images --------------------------------------------------------------------------------


def test_class_folder_mixed_sizes_modes_and_the_paper_pipeline(tmp_path):
    write_image(tmp_path / "cat" / "a.jpg", (20, 24))
    write_image(tmp_path / "cat" / "b.png", (40, 18), mode="RGBA")
    write_image(tmp_path / "dog" / "c.jpg", (33, 33), mode="L")
    write_image(tmp_path / "dog" / "sub" / "d.png", (16, 50), mode="P")
    ds = ImageFolder(tmp_path, size=16)
    assert ds.classes == ["cat", "dog"] and ds.labels == [0, 0, 1, 1] and len(ds) == 4
    for i in range(4):
        x, y = ds[i]
        assert x.shape == (3, 16, 16) and x.dtype == torch.uint8 and y == ds.labels[i]
    # (index, seed) items repeat exactly; different seeds give different crops
    a, b, c = ds[(0, 7)][0], ds[(0, 7)][0], ds[(0, 8)][0]
    assert torch.equal(a, b) and not torch.equal(a, c)
    # evaluation pipeline: deterministic resize + centre crop
    ev = ImageFolder(tmp_path, size=16, augment=False)
    assert torch.equal(ev[(1, 1)][0], ev[(1, 2)][0])
    # on the device: ImageNet-normalized float
    batch = torch.stack([ds[i][0] for i in range(4)])
    out = ds.device_transform(batch)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    assert out.dtype == torch.float32 and torch.allclose(out, (batch / 255 - mean) / std)
    assert torch.allclose(DeviceNormalize()(batch / 255), out)  # float input is taken as [0, 1]


def test_flat_folder_has_no_labels_and_decoders_agree(tmp_path):
    for i in range(3):
        write_image(tmp_path / f"{i}.jpg", seed=i)
    ds = image_dataset(data_path=tmp_path, size=8)
    assert ds.classes == [] and ds.labels == [-1, -1, -1]
    tv, pil = decode_image(tmp_path / "0.jpg", "torchvision"), decode_image(tmp_path / "0.jpg", "pil")
    assert tv.shape == pil.shape == (3, 20, 24)
    assert (tv.int() - pil.int()).abs().max() <= 2  # both libjpeg(-turbo): equal up to IDCT rounding


def test_16_bit_pngs_are_scaled_to_uint8_and_batch_with_8_bit_images(tmp_path):
    from PIL import Image

    deep = (np.arange(16 * 16).reshape(16, 16) * 257).astype(np.uint16)  # 0..65535 in steps of 257
    Image.fromarray(deep).save(tmp_path / "deep.png")  # mode I;16
    write_image(tmp_path / "plain.png", (16, 16))
    expected = torch.from_numpy((deep // 257).astype(np.uint8))  # exact: the steps are whole 8-bit levels
    for decoder in ("torchvision", "pil"):  # PIL's own convert("RGB") would clip at 255
        img = decode_image(tmp_path / "deep.png", decoder)
        assert img.dtype == torch.uint8 and img.shape == (3, 16, 16)
        assert torch.equal(img[0], expected) and torch.equal(img[1], expected)
    ds = image_dataset(data_path=tmp_path, size=8, augment=False)
    batch = torch.utils.data.default_collate([ds[0], ds[1]])[0]  # the loader's collate: one dtype
    assert batch.dtype == torch.uint8 and batch.shape == (2, 3, 8, 8)


def test_random_resized_crop_box_respects_scale_and_ratio():
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        top, left, h, w = random_resized_crop_box(100, 80, (0.2, 1.0), generator=g)
        assert 0 <= top and top + h <= 100 and 0 <= left and left + w <= 80
        assert 0.2 * 8000 * 0.9 <= h * w <= 8000  # area within scale (rounding slack)
    flips = [ImageTransform(8)(torch.arange(64, dtype=torch.uint8).view(1, 8, 8).expand(3, 8, 8), torch.Generator().manual_seed(s))
             for s in range(40)]
    assert len({bool(f[0, 0, 0] > f[0, 0, -1]) for f in flips}) == 2  # both orientations occur


def test_empty_and_missing_folders_raise_clearly(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(ValueError, match=r"no images in .*\.jpg"):
        ImageFolder(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "nope")
    with pytest.raises(ValueError, match="exactly one"):
        image_dataset()
    with pytest.raises(ValueError, match="offline sets"):
        image_dataset(dataset="imagenet", data_root=tmp_path)


def test_cifar10_offline_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True.*digits, natural, scenes, shapes"):
        image_dataset(dataset="cifar10", data_root=tmp_path)


def test_download_without_internet_says_so(tmp_path, monkeypatch):
    import urllib.error

    import torchvision

    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    with pytest.raises(ConnectionError, match=r"could not download cifar10 into .*no internet here\?.*offline set"):
        image_dataset(dataset="cifar10", data_root=tmp_path, download=True)


def test_unreadable_files_are_skipped_with_a_count_or_raise(tmp_path):
    write_image(tmp_path / "a.jpg", seed=1)
    good = (tmp_path / "a.jpg").read_bytes()
    (tmp_path / "b.jpg").write_bytes(good[: len(good) // 2])  # truncated
    (tmp_path / "c.jpg").write_bytes(b"this is not a jpeg")
    write_image(tmp_path / "d.png", seed=2)
    ds = ImageFolder(tmp_path, size=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        items = [ds[i][0] for i in range(4)]
    msgs = [str(w.message) for w in caught if "skipped" in str(w.message)]
    # b is replaced by the next readable file (d), after c also fails; c by d
    assert len(msgs) == 3 and "b.jpg" in msgs[0] and "(3 so far" in msgs[-1] and ds.skipped == 3
    assert torch.equal(decode_image(tmp_path / "d.png"), decode_image(tmp_path / "d.png"))
    assert all(x.shape == (3, 8, 8) for x in items)
    strict = ImageFolder(tmp_path, size=8, on_error="raise")
    with pytest.raises(ValueError, match=r"cannot decode image .*b\.jpg"):
        strict[1]


# --- the engine streams a folder ------------------------------------------------------------


def micro_mae(seed=0):
    from maelearn.mae import build_mae

    torch.manual_seed(seed)
    return build_mae("tiny", img_size=16, dim=32, depth=1, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2)


def test_pretrain_on_a_folder_resumes_bit_identically_with_workers(tmp_path):
    """2 + 2 epochs == 4 epochs, on a JPEG folder read by 2 workers (the per-sample seeds
    make the augmentation independent of workers and of the resume)."""
    from maelearn.train import TrainConfig, pretrain

    for i in range(24):
        write_image(tmp_path / "data" / f"{i:02d}.jpg", (20 + i % 5, 24), seed=i)
    ds = ImageFolder(tmp_path / "data", size=16)

    def cfg(name, workers):
        return TrainConfig(epochs=4, batch_size=8, lr=1e-3, warmup_epochs=1, device="cpu", num_workers=workers,
                           checkpoint_dir=str(tmp_path / name))

    whole = micro_mae()
    h_whole = pretrain(whole, ds, cfg("whole", 0), progress=False)
    first = micro_mae()
    pretrain(first, ds, cfg("split", 2), progress=False, stop_after_epoch=2)
    second = micro_mae(seed=5)
    h_res = pretrain(second, ds, cfg("split", 2), resume=True, progress=False)
    assert len(h_whole.loss) == 4 * 3 and h_res.loss == h_whole.loss
    for (name, a), b in zip(whole.state_dict().items(), second.state_dict().values()):
        assert torch.equal(a, b), name


# --- videos --------------------------------------------------------------------------------


def test_clip_indices_short_videos_and_centre():
    assert clip_indices(100, 4, 4, start=-1) == [43, 47, 51, 55]
    assert clip_indices(10, 4, 4, start=0) == [0, 3, 6, 9]  # stride lowered to 3 to fit
    assert clip_indices(3, 4, 4, start=0) == [0, 1, 2, 2]  # last frame repeated
    g = torch.Generator().manual_seed(0)
    starts = {clip_indices(40, 4, 2, generator=g)[0] for _ in range(50)}
    assert min(starts) >= 0 and max(starts) <= 40 - 7 and len(starts) > 5
    with pytest.raises(ValueError, match="no frame"):
        clip_indices(0, 4, 2)


def test_video_folder_clips_and_short_videos(tmp_path):
    write_video(tmp_path / "a" / "long.mp4", 24)
    write_video(tmp_path / "b" / "short.mp4", 3)  # shorter than the clip
    (tmp_path / "b" / "broken.mp4").write_bytes(b"\x00" * 100)
    ds = VideoFolder(tmp_path, frames=4, stride=2, size=16, augment=False)
    assert ds.classes == ["a", "b"] and len(ds) == 3
    x, y = ds[0]
    assert x.shape == (3, 4, 16, 16) and x.dtype == torch.uint8 and y == 0
    red = x[0].float().mean(dim=(1, 2))  # frame index x 8, up to compression
    assert torch.all(red[1:] - red[:-1] > 8)  # consecutive sampled frames are 2 apart: +16 red
    short, _ = ds[2]
    assert short.shape == (3, 4, 16, 16)
    assert torch.equal(short[:, 2], short[:, 3])  # 3 frames for 4 slots: the last repeats
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, label = ds[1]  # broken.mp4 -> skipped, short.mp4 takes its place
    assert label == 1 and any("broken.mp4" in str(w.message) for w in caught)
    batch = ds.device_transform(torch.stack([x, short]))
    assert batch.shape == (2, 3, 4, 16, 16) and batch.dtype == torch.float32


# --- audio ---------------------------------------------------------------------------------


def test_audio_folder_log_mel_statistics_and_silence(tmp_path):
    write_wav(tmp_path / "tone" / "a.wav", freq=440)
    write_wav(tmp_path / "tone" / "b.wav", freq=880, sr=16000)  # resampled to 8000
    write_wav(tmp_path / "quiet" / "silent.wav", amp=0.0)
    write_wav(tmp_path / "quiet" / "short.wav", seconds=0.1)  # zero-padded to 0.5 s
    ds = AudioFolder(tmp_path, sample_rate=8000, seconds=0.5, n_mels=16, frames=32)
    assert ds.classes == ["quiet", "tone"] and len(ds) == 4
    specs = torch.stack([ds[(i, 0)][0] for i in range(4)])
    assert specs.shape == (4, 1, 16, 32) and torch.isfinite(specs).all()
    ev = AudioFolder(tmp_path, sample_rate=8000, seconds=0.5, n_mels=16, frames=32, augment=False)
    all_specs = torch.stack([ev[i][0] for i in range(4)])
    # its own statistics, Audio-MAE's (x - mean) / (2 std) as maelearn.audio.normalize_specs
    assert abs(float(all_specs.mean())) < 1e-4 and abs(float(all_specs.std()) - 0.5) < 1e-3
    unit = AudioFolder(tmp_path, sample_rate=8000, seconds=0.5, n_mels=16, frames=32, augment=False, std_scale=1.0)
    assert torch.allclose(unit[2][0], 2 * ev[2][0], atol=1e-5)
    silent = ev[0][0]  # quiet/short.wav sorts before quiet/silent.wav
    assert torch.isfinite(ev[1][0]).all() and float(ev[1][0].std()) < 1e-5  # silence: a constant log-mel
    assert silent.shape == (1, 16, 32)
    (tmp_path / "mute").mkdir()
    write_wav(tmp_path / "mute" / "x.wav", amp=0.0)
    with pytest.raises(ValueError, match="no spread"):
        AudioFolder(tmp_path / "mute", sample_rate=8000, seconds=0.5)
    test = AudioFolder(tmp_path / "mute", sample_rate=8000, seconds=0.5, n_mels=16, frames=32, stats=(ev.mean, ev.std))
    assert torch.isfinite(test[0][0]).all()


def test_audio_folder_in_audio_maes_time_freq_layout(tmp_path):
    """layout="time_freq" gives Audio-MAE's (frames, n_mels) inputs, the transpose of the
    default layout with the same statistics, so a time_freq spectrogram MAE trains on it."""
    from maelearn.audio import build_spectrogram_mae

    for i in range(3):
        write_wav(tmp_path / f"{i}.wav", freq=300 + 200 * i)
    kw = dict(sample_rate=8000, seconds=0.5, n_mels=16, frames=32, augment=False)
    ft, tf = AudioFolder(tmp_path, **kw), AudioFolder(tmp_path, layout="time_freq", **kw)
    assert tf[0][0].shape == (1, 32, 16)
    assert (tf.mean, tf.std) == pytest.approx((ft.mean, ft.std), rel=1e-6)
    assert torch.allclose(tf[1][0], ft[1][0].transpose(-2, -1), atol=1e-6)
    model = build_spectrogram_mae("tiny", layout="time_freq", n_mels=16, frames=32)
    loss = model(torch.stack([tf[i][0] for i in range(3)]), 0.8).loss
    assert torch.isfinite(loss)
    with pytest.raises(ValueError, match="layout"):
        AudioFolder(tmp_path, layout="freq", **kw)


def test_pretrain_streams_an_audio_folder(tmp_path):
    from maelearn.audio import build_spectrogram_mae
    from maelearn.train import TrainConfig, pretrain

    for i in range(4):
        write_wav(tmp_path / "audio" / f"{i}.wav", freq=200 + 100 * i)
    ds = AudioFolder(tmp_path / "audio", sample_rate=8000, seconds=0.5, n_mels=32, frames=64)
    model = build_spectrogram_mae("tiny")
    h = pretrain(model, ds, TrainConfig(epochs=1, batch_size=2, lr=1e-3, warmup_epochs=0, device="cpu", mask_ratio=0.8),
                 progress=False)
    assert len(h.loss) == 2 and all(math.isfinite(v) for v in h.loss)


def test_memory_does_not_grow_with_the_folder(tmp_path):
    """The dataset keeps file names only: reading 10x more files in the same process adds
    no resident memory beyond noise (the full >= 10,000-file measurement is in
    data/bench_loader_cpu.json, made by python -m maelearn.bench --loader --rss 10000)."""
    import psutil

    from maelearn.bench.loader import make_jpeg_folder
    from maelearn.train import EpochBatches

    def pass_over(n):
        ds = ImageFolder(make_jpeg_folder(tmp_path / str(n), n, image_size=64), size=32)
        loader = torch.utils.data.DataLoader(ds, batch_sampler=EpochBatches(len(ds), 50, seeded=True))
        seen = sum(x.shape[0] for x, _ in loader)
        return seen, psutil.Process().memory_info().rss

    pass_over(100)  # warm up allocators and imports
    small, rss_small = pass_over(150)
    large, rss_large = pass_over(1500)
    assert (small, large) == (150, 1500)
    # Keeping the 1,350 extra decoded 64 x 64 images would take 16 MiB (their crops 4 MiB).
    assert rss_large - rss_small < 8 * 2**20


def test_pretrain_streams_a_video_folder(tmp_path):
    from maelearn.train import TrainConfig, pretrain
    from maelearn.video import build_videomae

    for i in range(4):
        write_video(tmp_path / "videos" / f"{i}.mp4", 12 + 4 * i, size=(40, 48))
    ds = VideoFolder(tmp_path / "videos", frames=8, stride=2, size=32)
    torch.manual_seed(0)
    model = build_videomae("tiny")  # 8 frames of 32 px
    h = pretrain(model, ds, TrainConfig(epochs=1, batch_size=2, lr=1e-3, warmup_epochs=0, device="cpu", mask_ratio=0.9),
                 progress=False)
    assert len(h.loss) == 2 and all(math.isfinite(v) for v in h.loss)


def test_decode_video_stops_at_the_last_picked_frame(tmp_path):
    from maelearn.data.folders import decode_video

    path = write_video(tmp_path / "v.mp4", 20)
    every = decode_video(path)
    assert every.shape == (20, 32, 32, 3) and every.dtype == torch.uint8
    picked = decode_video(path, lambda n: [n - 20, 3, 7, 7])
    assert torch.equal(picked, every[[0, 3, 7, 7]])
    past_end = decode_video(path, lambda n: [0, n + 5])  # a frame count that was too high
    assert torch.equal(past_end[1], every[-1])


def test_read_audio_reads_only_the_window(tmp_path):
    from maelearn.data.folders import read_audio

    import soundfile as sf

    path = tmp_path / "long.wav"
    sf.write(str(path), np.random.default_rng(0).uniform(-0.5, 0.5, 24000).astype(np.float32), 8000, subtype="FLOAT")
    whole = read_audio(path, 8000)
    assert whole.shape == (24000,)
    head = read_audio(path, 8000, seconds=0.5)
    assert torch.equal(head, whole[:4000])
    g = torch.Generator().manual_seed(3)
    window = read_audio(path, 8000, seconds=0.5, random_start=True, generator=g)
    starts = [s for s in range(0, 20001) if torch.equal(whole[s : s + 4000], window)]
    assert window.shape == (4000,) and len(starts) == 1 and starts[0] > 0  # noise: one place matches
    assert read_audio(path, 4000, seconds=1.0).shape == (4000,)  # read at 8 kHz, resampled to 4 kHz
