"""One way to time a step and one record of the machine, shared by the benchmark
(:mod:`maelearn.bench.step`, :mod:`maelearn.bench.loader`) and the experiments.

* :func:`time_steps` runs a callable ``warmup`` times untimed, then ``steps`` timed times.
  On a GPU the timed calls run back to back with one synchronization at the end (the CPU
  queues work ahead, as in training) and it reports the mean; on a CPU, whose speed varies
  with other processes, the median of the per-call times.
* :func:`hardware` is what a result file says about where it ran: CPU model and count,
  torch threads, load average, GPU name, versions of Python and torch, the date.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import torch


@dataclass
class StepTimes:
    """``seconds``: the step time reported (mean on a GPU, median on a CPU); ``times``: the
    per-call seconds on a CPU (empty on a GPU, where calls are not synchronized one by one);
    ``last``: what the last call returned."""

    seconds: float
    times: list[float]
    last: Any = None


def sync(device: torch.device | str | None) -> None:
    """Wait for the GPU's queued work (a no-op on a CPU)."""
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(step: Callable[[], Any], steps: int, warmup: int = 2, device: torch.device | str | None = None,
               sync_each: bool = False) -> StepTimes:
    """Time ``step()``: ``warmup`` untimed calls, then ``steps`` timed ones (see the module
    docstring for mean vs median). ``device`` says where the work runs (``None``: CPU).
    ``sync_each=True`` synchronizes around every call on a GPU too and reports the median
    of per-call times there as well (comparisons of single steps, e.g. the ablations)."""
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise ValueError(f"warmup must be an integer >= 0, got {warmup!r}")
    out = None
    for _ in range(warmup):
        out = step()
    sync(device)
    if device is not None and torch.device(device).type == "cuda" and not sync_each:
        t0 = time.perf_counter()
        for _ in range(steps):
            out = step()
        sync(device)
        return StepTimes((time.perf_counter() - t0) / steps, [], out)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        out = step()
        sync(device)
        times.append(time.perf_counter() - t0)
    return StepTimes(statistics.median(times), times, out)


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, else what the platform reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def device_name(device: torch.device | str) -> str:
    """The GPU's name, or the CPU's."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_model()


def hardware(device: torch.device | str = "cpu", packages: tuple[str, ...] = ()) -> dict:
    """The record every result file carries: ``device`` and its ``name``, ``cpu_model``,
    ``cpu_count``, ``torch_threads``, ``load_average`` (1, 5, 15 min; ``None`` where the OS
    has none), ``platform``, ``gpu`` (CUDA only), ``versions`` (python, torch, cuda,
    maelearn and any ``packages`` asked for) and the UTC ``date``."""
    device = torch.device(device)
    info: dict[str, Any] = {
        "device": str(device),
        "name": device_name(device),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "maelearn": _version("maelearn"),
            **{p: _version(p) for p in packages},
        },
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


__all__ = ["StepTimes", "cpu_model", "device_name", "hardware", "sync", "time_steps"]
