"""How fast does a JPEG folder become training batches? ``python -m maelearn.bench --loader``.

Measures images/s from JPEG files to augmented uint8 batches through the training loop's
own DataLoader (:class:`maelearn.train.EpochBatches`), for each decoder (Pillow,
``torchvision.io``) and number of workers; ``--rss`` also records resident memory on a small
and a 10x larger folder, to show it does not grow with the dataset. Without ``--data`` it
first writes ``--make N`` synthetic photo-like JPEGs::

    nice -n 10 python -m maelearn.bench --loader --make 2000 --rss 10000 --out data/bench_loader_cpu.json
"""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from maelearn import cli
from maelearn.bench.timing import hardware
from maelearn.data.folders import ImageFolder, ImageTransform, decode_image
from maelearn.train import EpochBatches

DECODER_CHOICES = ("pil", "torchvision")


def make_jpeg_folder(folder: str | Path, n: int, image_size: int = 256, seed: int = 0, quality: int = 90) -> Path:
    """Write ``n`` photo-like RGB JPEGs ``image_size`` pixels square into ``folder`` (kept
    if it already holds them): low-frequency colour fields (bilinear upsampling of a coarse
    random grid) plus mild grain, so they compress like natural images rather than noise."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        path = folder / f"{i:06d}.jpg"
        if path.exists():
            continue
        coarse = rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)
        img = Image.fromarray(coarse).resize((image_size, image_size), Image.BILINEAR)
        arr = np.asarray(img).astype(np.int16) + rng.integers(-12, 13, (image_size, image_size, 3))
        Image.fromarray(arr.clip(0, 255).astype(np.uint8)).save(path, quality=quality)
    return folder


def _rss_mib(pid: int | None = None, children: bool = False) -> float:
    import psutil

    p = psutil.Process(pid)
    procs = p.children(recursive=True) if children else [p]
    return sum(q.memory_info().rss for q in procs) / 2**20


def _loader(ds, batch_size: int, workers: int, seed: int = 0):
    sampler = EpochBatches(len(ds), batch_size, seed=seed, seeded=True)
    return torch.utils.data.DataLoader(ds, batch_sampler=sampler, num_workers=workers,
                                       persistent_workers=False, generator=torch.Generator().manual_seed(seed))


def time_loader(folder: str | Path, decoder: str, workers: int, size: int = 224, batch_size: int = 64,
                batches: int = 10) -> dict:
    """Images/s of one (decoder, workers) setting: one batch untimed (worker start-up and
    first decode), then ``batches`` timed ones."""
    ds = ImageFolder(folder, size=size, decoder=decoder)
    need = (batches + 1) * batch_size
    if len(ds) < need:
        raise ValueError(f"the folder {folder} has {len(ds)} images; {batches} timed batches of {batch_size} need {need}")
    it = iter(_loader(ds, batch_size, workers))
    first = next(it)
    assert first[0].dtype == torch.uint8 and first[0].shape[1:] == (3, size, size)
    t0 = time.perf_counter()
    for _ in range(batches):
        next(it)
    seconds = time.perf_counter() - t0
    del it
    return {"decoder": decoder, "workers": workers, "images_per_s": batches * batch_size / seconds,
            "seconds": seconds, "images": batches * batch_size}


def stage_times(folder: str | Path, size: int = 224, n: int = 64) -> dict:
    """Milliseconds per image of each stage, in this process, on the first ``n`` files:
    reading the bytes, decoding them (PIL, torchvision.io), and the augmentation
    (RandomResizedCrop bicubic + flip) on the decoded image. Says what limits the loader."""
    paths = ImageFolder(folder, size=size).paths[:n]
    transform = ImageTransform(size, augment=True)
    out = {}
    for dec in DECODER_CHOICES:  # the first call loads the codec library (seconds): not a per-image cost
        transform(decode_image(paths[0], dec), torch.Generator().manual_seed(0))
    t0 = time.perf_counter()
    for p in paths:
        Path(p).read_bytes()
    out["read_ms"] = 1e3 * (time.perf_counter() - t0) / len(paths)
    for dec in DECODER_CHOICES:
        t0 = time.perf_counter()
        imgs = [decode_image(p, dec) for p in paths]
        out[f"decode_{dec}_ms"] = 1e3 * (time.perf_counter() - t0) / len(paths)
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for img in imgs:
        transform(img, g)
    out["augment_ms"] = 1e3 * (time.perf_counter() - t0) / len(paths)
    return {k: round(v, 3) for k, v in out.items()}


def rss_by_size(small: int, large: int, root: Path, image_size: int, size: int, batch_size: int, workers: int) -> dict:
    """Resident memory (MiB) after one full pass over a folder of ``small`` and of ``large``
    images: the main process, and main + workers, sampled during the pass (peak)."""
    out = {}
    for n in (small, large):
        folder = make_jpeg_folder(root / f"rss_{n}", n, image_size, seed=1)
        ds = ImageFolder(folder, size=size)
        peak_main, peak_all, count = 0.0, 0.0, 0
        t0 = time.perf_counter()
        for x, _ in _loader(ds, batch_size, workers):
            count += x.shape[0]
            main = _rss_mib()
            peak_main = max(peak_main, main)
            peak_all = max(peak_all, main + _rss_mib(children=True))
        out[str(n)] = {"images": count, "peak_rss_main_mib": round(peak_main, 1),
                       "peak_rss_main_plus_workers_mib": round(peak_all, 1),
                       "images_per_s": count / (time.perf_counter() - t0)}
    return out


def run_loader_bench(data: str | Path | None = None, make: int = 1000, image_size: int = 256, size: int = 224,
                     batch_size: int = 64, batches: int = 10, workers: tuple[int, ...] = (0, 1, 2),
                     decoders: tuple[str, ...] = DECODER_CHOICES, rss: int | None = None, work_dir: str | Path | None = None,
                     rounds: int = 3) -> dict:
    """The report dict: settings, hardware (with the load average at the start and the
    end), one row per (decoder, workers), the fastest decoder, and the RSS check."""
    for d in decoders:
        if d not in DECODER_CHOICES:
            raise ValueError(f"decoders must be among {DECODER_CHOICES}, got {d!r}")
    if any(w < 0 for w in workers):
        raise ValueError(f"workers must be >= 0, got {workers}")
    tmp = None
    if work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="maelearn_loader_")
        work_dir = tmp.name
    work_dir = Path(work_dir)
    try:
        hw_start = hardware("cpu", ("pillow", "torchvision"))
        folder = Path(data) if data is not None else make_jpeg_folder(work_dir / "jpegs", make, image_size)
        rows = []
        for w in workers:
            for d in decoders:
                # Rounds interleave with nothing else of ours; the median resists other users' bursts.
                runs = [time_loader(folder, d, w, size, batch_size, batches) for _ in range(rounds)]
                row = dict(runs[0], images_per_s=float(np.median([r["images_per_s"] for r in runs])),
                           rounds=[round(r["images_per_s"], 1) for r in runs])
                rows.append(row)
        best = {}
        for w in workers:
            by = {r["decoder"]: r["images_per_s"] for r in rows if r["workers"] == w}
            best[str(w)] = max(by, key=by.get)
        report = {
            "command": None,
            "settings": {"data": str(data) if data else f"synthetic: {make} JPEGs {image_size}x{image_size} q90",
                         "size": size, "batch_size": batch_size, "timed_batches": batches, "rounds": rounds,
                         "pipeline": "decode -> RandomResizedCrop(size, scale=(0.2, 1.0), bicubic, antialias) -> flip "
                                     "-> uint8 batch (normalization happens on the device, not here)"},
            "hardware": hw_start,
            "results": rows,
            "fastest_decoder_by_workers": best,
            "stages_ms_per_image": stage_times(folder, size),
        }
        if rss:
            small = max(batch_size, rss // 10)
            report["rss"] = rss_by_size(small, rss, work_dir, 64, 32, batch_size, max(workers))
            report["rss"]["settings"] = {"image_size": 64, "size": 32, "workers": max(workers)}
        report["load_average_end"] = hardware("cpu")["load_average"]
        return report
    finally:
        if tmp is not None:
            tmp.cleanup()


def format_report(report: dict) -> str:
    s, hw = report["settings"], report["hardware"]
    lines = [f"JPEG folder -> augmented uint8 {s['size']}px batches of {s['batch_size']} ({s['data']})",
             f"on {hw['cpu_model']} ({hw['cpu_count']} cores, load average {hw['load_average']})",
             f"{'decoder':<12} {'workers':>7} {'img/s':>9}"]
    for r in report["results"]:
        lines.append(f"{r['decoder']:<12} {r['workers']:>7} {r['images_per_s']:>9.1f}")
    lines.append(f"fastest decoder by workers: {report['fastest_decoder_by_workers']}")
    lines.append(f"ms per image by stage (one process): {report['stages_ms_per_image']}")
    if "rss" in report:
        for n, v in report["rss"].items():
            if n != "settings":
                lines.append(f"RSS after a pass over {n} images: main {v['peak_rss_main_mib']} MiB, "
                             f"main + workers {v['peak_rss_main_plus_workers_mib']} MiB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    p = cli.ArgumentParser(prog="python -m maelearn.bench --loader", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="a folder of JPEGs (default: write a synthetic one)")
    p.add_argument("--make", type=int, default=1000, help="how many synthetic JPEGs to write without --data")
    p.add_argument("--image-size", type=int, default=256, help="side of the synthetic JPEGs")
    p.add_argument("--size", type=int, default=224, help="crop size")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--batches", type=int, default=10, help="timed batches per setting")
    p.add_argument("--workers", default="0,1,2", help="comma-separated worker counts")
    p.add_argument("--decoders", default="pil,torchvision")
    p.add_argument("--rounds", type=int, default=3, help="repeat each setting; the median is reported")
    p.add_argument("--rss", type=int, default=None, help="also check memory on folders of N/10 and N images")
    p.add_argument("--work-dir", default=None, help="where synthetic folders go (kept; default: a temporary folder)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", default=None, help="also write the JSON report here")
    args = p.parse_args(argv)
    try:
        workers = tuple(int(w) for w in args.workers.split(",") if w)
    except ValueError:
        raise cli.UsageError(f"--workers {args.workers!r}: expected comma-separated integers like 0,1,2") from None
    torch.set_num_threads(1)  # one thread per process, as DataLoader workers use
    report = run_loader_bench(args.data, args.make, args.image_size, args.size, args.batch_size, args.batches, workers,
                              tuple(d for d in args.decoders.split(",") if d), args.rss, args.work_dir,
                              args.rounds)
    argv_used = sys.argv[1:] if argv is None else ["--loader", *argv]
    report["command"] = "python -m maelearn.bench " + " ".join(shlex.quote(a) for a in argv_used)
    text = json.dumps(report, indent=2)
    print(text if args.json else format_report(report))
    if args.out:
        Path(args.out).write_text(text + "\n")
    return report


__all__ = ["make_jpeg_folder", "run_loader_bench", "time_loader"]
