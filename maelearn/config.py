"""Course-wide switches: quick/full mode, the training device, CPU threads, seeding.

Quick mode is the CPU budget (every lesson well under a minute on two cores, as in CI); full mode is the GPU
budget (minutes, results worth reading). ``$MAELEARN_MODE`` or :func:`set_mode` picks it; without either it is
``full`` when a CUDA GPU is visible. Lessons ask for budgets with ``epochs = budget(quick=2, full=100)``."""

from __future__ import annotations

import contextlib
import os
import random
import warnings
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

MODES = ("quick", "full")
ENV_MODE = "MAELEARN_MODE"
ENV_DEVICE = "MAELEARN_DEVICE"

_mode_override: str | None = None

T = TypeVar("T")


def _check_mode(value: str, source: str) -> str:
    value = value.strip().lower()
    if value not in MODES:
        raise ValueError(f"{source} must be one of {MODES}, got {value!r}")
    return value


def set_mode(value: str | None) -> str:
    """Set the course mode for this process (``"quick"``, ``"full"``, or ``None`` to go back to the
    environment/automatic choice). Returns the mode now in force."""
    global _mode_override
    _mode_override = None if value is None else _check_mode(value, "mode")
    return mode()


def mode() -> str:
    """The mode in force: :func:`set_mode`, else ``$MAELEARN_MODE``, else full on CUDA. Taught in lesson 00."""
    if _mode_override is not None:
        return _mode_override
    if env := os.environ.get(ENV_MODE, "").strip():
        return _check_mode(env, f"${ENV_MODE}")
    return "full" if torch.cuda.is_available() else "quick"


def is_quick() -> bool:
    return mode() == "quick"


def is_full() -> bool:
    return mode() == "full"


def budget(quick: T, full: T) -> T:
    """Return ``quick`` in quick mode and ``full`` in full mode. Taught in lesson 00."""
    return quick if is_quick() else full


#: Device names :func:`device` accepts (case-insensitive; ``cuda:N`` picks a GPU).
DEVICES = ("cpu", "cuda", "cuda:N", "mps")


def device(prefer: str | None = None, source: str = "device") -> torch.device:
    """The device to train on: ``prefer`` or ``$MAELEARN_DEVICE`` if given, else CUDA, then Apple's MPS, then the
    CPU. Names are case-insensitive. Asking for an unknown device (``bogus``, ``meta``, ``xpu``) or an unavailable
    one is a ``ValueError`` naming ``source`` (e.g. ``"--device"``), not a silent fallback. Taught in lesson 00."""
    if prefer is not None and not isinstance(prefer, (str, torch.device)):
        raise TypeError(f"{source} must be a device name such as 'cpu' or 'cuda', got {type(prefer).__name__}")
    if prefer is None and (env := os.environ.get(ENV_DEVICE, "").strip()):
        prefer, source = env, f"${ENV_DEVICE}"
    if prefer is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    name = str(prefer)
    text = name.strip().lower()
    kind, _, index = text.partition(":")
    if kind not in ("cpu", "cuda", "mps") or (index and not (kind == "cuda" and index.isdigit())):
        raise ValueError(f"{source} must be one of {', '.join(DEVICES)}, got {name!r}")
    dev = torch.device(text)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{source}={name!r} was asked for, but no CUDA GPU is visible; use 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{source}={name!r}: only {torch.cuda.device_count()} CUDA GPU(s) visible (cuda:0..)")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{source}={name!r} was asked for, but MPS is not available; use 'cpu'")
    return dev


def cpu_threads(threads: int | None = None) -> int:
    """Set torch's CPU threads and return the count: ``threads`` if given (capped at the core count, with a
    warning: thousands of threads crash OpenMP), else torch's default unless the machine is already busy (1-minute
    load average above the core count), then 1. Threads of a parallel region wait for each other, so on a shared,
    oversubscribed CPU one thread runs small models several times faster than two."""
    cores = os.cpu_count() or 1
    if threads is None:
        busy = hasattr(os, "getloadavg") and os.getloadavg()[0] > cores
        threads = 1 if busy else torch.get_num_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    if threads > cores:
        warnings.warn(f"threads={threads} is more than the {cores} CPU core(s) here; using {cores}", stacklevel=2)
        threads = cores
    torch.set_num_threads(threads)
    return threads


def available_memory() -> int:
    """Bytes of memory this process could still allocate: ``MemAvailable`` from ``/proc/meminfo`` on Linux, else
    the free physical pages, else 4 GiB (a guess on platforms that say neither)."""
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 * 2**30


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a fresh CPU ``torch.Generator`` seeded the same, for code that wants
    its own stream. Taught in lesson 01."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


#: The course checkout (an editable install, a clone in Colab): lessons/, data/, ...
ROOT = Path(__file__).resolve().parent.parent


def data_path(*parts: str) -> Path:
    """A path under the course's ``data/`` folder (shipped results and their recipes)."""
    path = ROOT.joinpath("data", *parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist. data/ ships with the course repository: install it from a "
                                "clone (pip install -e .) rather than from a bare wheel.")
    return path
