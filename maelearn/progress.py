"""One progress policy for every long loop: a live ``tqdm.auto`` bar in a terminal or a
notebook; off a terminal (CI, ``> run.log``), where tqdm's carriage returns make one endless
line, :class:`LineProgress` prints one line at most every ``log_every`` seconds."""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any, Iterable, Iterator


def interactive(stream: Any = None) -> bool:
    """True in a terminal or a Jupyter kernel (where a live bar renders)."""
    try:
        return "ipykernel" in sys.modules or bool((stream or sys.stderr).isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class LineProgress:
    """A tqdm-like object printing ``desc: n/total (pct) postfix [elapsed]`` every ``log_every``
    seconds and when it closes."""

    def __init__(self, iterable: Iterable | None = None, total: int | None = None, desc: str = "",
                 log_every: float = 30.0, stream: Any = None, **_: Any):
        self.iterable, self.desc, self.log_every = iterable, desc, log_every
        self.total = len(iterable) if total is None and hasattr(iterable, "__len__") else total
        self.n, self.postfix, self.stream, self.closed = 0, "", stream or sys.stderr, False
        self.start = self._last = time.monotonic()

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def set_postfix(self, ordered_dict: dict | None = None, refresh: bool = True, **kw: Any) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in {**(ordered_dict or {}), **kw}.items())

    def update(self, n: int = 1) -> None:
        self.n += n
        if (now := time.monotonic()) - self._last >= self.log_every:
            self._last = now
            self._print()

    def _print(self) -> None:
        done = f"{self.n}/{self.total} ({100 * self.n / self.total:.0f} %)" if self.total else f"{self.n}"
        post = f" {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {done}{post} [{time.monotonic() - self.start:.0f} s]", file=self.stream, flush=True)

    def close(self) -> None:
        if not self.closed and self.n:
            self._print()
        self.closed = True


def progress(iterable: Iterable | None = None, total: int | None = None, desc: str = "", disable: bool = False,
             log_every: float | None = None, **kw: Any):
    """A progress bar over ``iterable`` (or with ``total``): ``tqdm.auto`` when interactive,
    :class:`LineProgress` otherwise (every ``log_every`` s, default ``$MAELEARN_LOG_EVERY`` or 30)."""
    from tqdm.auto import tqdm

    if disable or interactive():
        return tqdm(iterable, total=total, desc=desc, disable=disable, **kw)
    every = log_every if log_every is not None else log_every_from_env()
    return LineProgress(iterable, total=total, desc=desc, log_every=every)


def log_every_from_env() -> float:
    """Seconds between progress lines off a terminal: ``$MAELEARN_LOG_EVERY`` (a number
    >= 0; 0 logs every step) or 30."""
    raw = os.environ.get("MAELEARN_LOG_EVERY", "").strip()
    try:
        value = float(raw or 30.0)
    except ValueError:
        value = math.nan  # refused below, with the same message
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"$MAELEARN_LOG_EVERY must be a number of seconds >= 0, got {raw!r}")
    return value


__all__ = ["LineProgress", "interactive", "log_every_from_env", "progress"]
