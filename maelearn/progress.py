"""One progress policy for every long loop in the library.

In a terminal or a notebook, :func:`progress` is a live ``tqdm.auto`` bar. When output is
not interactive (CI, ``nohup``, ``> run.log``) a carriage-return bar would write every
update into one ever-growing line, so it prints one readable line at most every
``log_every`` seconds (and at the end) instead.
"""

from __future__ import annotations

import math
import os
import sys
import time
from typing import Any, Iterable, Iterator, TypeVar

T = TypeVar("T")


def interactive(stream: Any = None) -> bool:
    """True in a terminal or a Jupyter kernel (where a live bar renders)."""
    stream = stream or sys.stderr
    if "ipykernel" in sys.modules:
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LineProgress:
    """A tqdm-like object for non-interactive output: ``update``, ``set_postfix``,
    ``close``; one line ``desc: n/total (pct) postfix`` every ``log_every`` seconds."""

    def __init__(self, iterable: Iterable | None = None, total: int | None = None, desc: str = "",
                 log_every: float = 30.0, stream: Any = None, **_: Any):
        self.iterable, self.desc, self.log_every = iterable, desc, log_every
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.n, self.postfix, self.stream = 0, "", stream or sys.stderr
        self.start = self._last = time.monotonic()
        self.closed = False

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
        items = {**(ordered_dict or {}), **kw}
        self.postfix = ", ".join(f"{k}={v}" for k, v in items.items())

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.monotonic()
        if now - self._last >= self.log_every:
            self._last = now
            self._print()

    def _print(self) -> None:
        done = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        pct = f" ({100 * self.n / self.total:.0f} %)" if self.total else ""
        post = f" {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {done}{pct}{post} [{time.monotonic() - self.start:.0f} s]", file=self.stream, flush=True)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.n:
                self._print()


def progress(iterable: Iterable[T] | None = None, total: int | None = None, desc: str = "", disable: bool = False,
             log_every: float | None = None, **kw: Any):
    """A progress bar over ``iterable`` (or a manual one with ``total``): ``tqdm.auto`` when
    the output is interactive, :class:`LineProgress` lines otherwise. ``disable=True``
    returns a silent tqdm. ``log_every`` (seconds) defaults to ``MAELEARN_LOG_EVERY`` or 30."""
    from tqdm.auto import tqdm

    if disable or interactive():
        return tqdm(iterable, total=total, desc=desc, disable=disable, **kw)
    every = log_every if log_every is not None else log_every_from_env()
    return LineProgress(iterable, total=total, desc=desc, log_every=every)


def log_every_from_env() -> float:
    """Seconds between progress lines off a terminal: ``$MAELEARN_LOG_EVERY`` (a number
    >= 0; 0 logs every step) or 30."""
    raw = os.environ.get("MAELEARN_LOG_EVERY", "").strip()
    if not raw:
        return 30.0
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"$MAELEARN_LOG_EVERY must be a number of seconds >= 0, got {raw!r}")
    return value


__all__ = ["LineProgress", "interactive", "log_every_from_env", "progress"]
