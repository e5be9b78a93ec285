"""One error policy for every command line of the course (``python -m maelearn``,
``maelearn.bench``, ``maelearn.course``, ``maelearn.grade``, ``maelearn.experiments``).

A user's mistake or the machine's state (a bad value, a missing file, a full disk, a GPU out
of memory, Ctrl-C) gets ONE line on stderr, ``PROG: error: what, where, what was expected``,
and exit status 2 (130 for an interrupt); a real bug keeps its traceback. ``--debug`` or
``MAELEARN_DEBUG=1`` shows the traceback of an expected failure too. Wrap a
``main(argv=None)`` with :func:`guarded`, build its parser with :class:`ArgumentParser` and
the value types below, and raise :class:`UsageError` for a mistake found after parsing.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import math
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, NoReturn

ENV_DEBUG = "MAELEARN_DEBUG"
DEBUG_FLAG = "--debug"

#: Exit status of an expected failure (argparse uses the same for usage errors).
EXIT_ERROR = 2
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130

#: The largest seed the course accepts: NumPy's legacy seeding takes 32 bits.
MAX_SEED = 2**32 - 1


class UsageError(ValueError):
    """A mistake in how a command was called; its message names the argument, the value and
    what was expected. Printed as one line, exit status 2."""


class Interrupted(Exception):
    """Raised by a command that caught ``KeyboardInterrupt`` and knows what to tell the user
    (e.g. where the last checkpoint is); printed as one line, exit status 130."""


#: What counts as an expected failure (one line, exit 2) rather than a bug (traceback).
EXPECTED = (UsageError, ValueError, FileNotFoundError, PermissionError, OSError, FloatingPointError, MemoryError)

_OS_ERRORS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "already exists",
    errno.ENAMETOOLONG: "file name too long",
}


def debug_enabled(argv: list[str] | None = None) -> bool:
    """Whether tracebacks are wanted: ``--debug`` in ``argv`` or ``MAELEARN_DEBUG`` set to
    1/true/yes/on (0/false/no/off/empty mean no; anything else is a :class:`UsageError`)."""
    if argv is not None and DEBUG_FLAG in argv:
        return True
    raw = os.environ.get(ENV_DEBUG, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise UsageError(f"${ENV_DEBUG} must be 1 or 0 (or true/false, yes/no, on/off), got {os.environ[ENV_DEBUG]!r}")


def describe_os_error(err: OSError) -> str:
    """One line for an ``OSError`` that says what happened and where: ``disk full``,
    ``read-only file system``, ``permission denied``, ``not a folder``... with the path."""
    what = _OS_ERRORS.get(err.errno) or err.strerror or str(err) or type(err).__name__
    if err.filename is None:
        # Messages of our own (e.g. FileNotFoundError("no checkpoint at ...")) carry the path already.
        return str(err) if err.strerror is None and str(err) else what
    where = f"{err.filename} -> {err.filename2}" if err.filename2 else err.filename
    return f"{what}: {where}"


def _message(err: BaseException) -> str:
    if isinstance(err, OSError):
        return describe_os_error(err)
    if isinstance(err, MemoryError):
        return f"out of memory{': ' + str(err) if str(err) else ''}; use fewer images, a smaller batch or preset"
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split("\n"))  # one line, whatever the message


def _gpu_out_of_memory(err: BaseException) -> bool:
    """torch's ``OutOfMemoryError`` (a ``RuntimeError``), without importing torch here."""
    oom = getattr(sys.modules.get("torch"), "OutOfMemoryError", None)
    return oom is not None and isinstance(err, oom)


def _expected_failure(err: BaseException) -> str | None:
    """The line ``PROG: ...`` that an expected failure prints; ``None`` for a bug."""
    if isinstance(err, Interrupted):
        return _message(err)
    if isinstance(err, KeyboardInterrupt):
        return "interrupted"
    if isinstance(err, EXPECTED):
        return f"error: {_message(err)}"
    if _gpu_out_of_memory(err):
        return f"error: out of GPU memory ({_message(err)[:200]}); use a smaller --batch-size or --preset"
    return None


def _one_line_warnings(prog: str) -> Callable:
    def show(message, category, filename, lineno, file=None, line=None):
        with contextlib.suppress(OSError, ValueError):
            (file or sys.stderr).write(f"{prog}: warning: {' '.join(str(message).split())}\n")

    return show


def guarded(prog: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate ``main(argv=None)`` so that expected failures (:data:`EXPECTED`, plus
    ``KeyboardInterrupt`` and :class:`Interrupted`) print one line ``PROG: error: ...`` on
    stderr and return 2 (130 for interrupts) instead of raising. ``--debug`` is removed from
    ``argv`` before ``main`` sees it and, like ``MAELEARN_DEBUG=1``, lets the exception
    (and its traceback) through. Warnings raised meanwhile print as ``PROG: warning: ...``.
    Any other exception is a bug and propagates with its traceback. ``main``'s own return
    value passes through unchanged."""

    def decorate(main: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(main)
        def wrapper(argv: list[str] | None = None, *args: Any, **kwargs: Any) -> Any:
            argv = list(sys.argv[1:] if argv is None else argv)
            try:
                debug = debug_enabled(argv)
            except UsageError as err:
                print(f"{prog}: error: {err}", file=sys.stderr)
                return EXIT_ERROR
            argv = [a for a in argv if a != DEBUG_FLAG]
            old_show = warnings.showwarning
            if not debug:
                warnings.showwarning = _one_line_warnings(prog)
            try:
                return main(argv, *args, **kwargs)
            except BrokenPipeError:
                # The reader went away (``| head``): nothing left to tell it.
                with contextlib.suppress(OSError):
                    sys.stdout = open(os.devnull, "w")
                return EXIT_ERROR
            except BaseException as err:
                line = None if debug else _expected_failure(err)
                if line is None:
                    raise
                print(f"{prog}: {line}", file=sys.stderr, flush=True)
                return EXIT_INTERRUPTED if isinstance(err, (Interrupted, KeyboardInterrupt)) else EXIT_ERROR
            finally:
                warnings.showwarning = old_show

        return wrapper

    return decorate


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line,
    ``PROG: error: argument --x: ... (see PROG --help)``, exit status 2. Sub-parsers made
    with ``add_subparsers`` inherit it. Knows ``--debug`` (handled by :func:`guarded`)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if DEBUG_FLAG not in self._option_string_actions:
            self.add_argument(DEBUG_FLAG, action="store_true",
                              help=f"show tracebacks of expected errors too (or ${ENV_DEBUG}=1)")

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


# --- value types for add_argument(type=...) --------------------------------------------------


def finite(minimum: float | None = None, strict: bool = False, maximum: float | None = None) -> Callable[[str], float]:
    """A ``type=`` for a finite float (``nan`` and ``inf`` refused) ``>= minimum`` (``>`` if
    ``strict``) and ``<= maximum``."""
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>' if strict else '>='} {minimum:g}")
    if maximum is not None:
        bounds.append(f"<= {maximum:g}")
    expected = "a finite number" + (" " + " and ".join(bounds) if bounds else "")

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        too_low = minimum is not None and (value < minimum or (strict and value == minimum))
        too_high = maximum is not None and value > maximum
        if not math.isfinite(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = "finite number"
    return parse


def integer(minimum: int | None = None, maximum: int | None = None) -> Callable[[str], int]:
    """A ``type=`` for an integer in ``[minimum, maximum]``."""
    if minimum is not None and maximum is not None:
        expected = f"an integer from {minimum} to {maximum}"
    elif minimum is not None:
        expected = f"an integer >= {minimum}"
    elif maximum is not None:
        expected = f"an integer <= {maximum}"
    else:
        expected = "an integer"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = "integer"
    return parse


def ratio(text: str) -> float:
    """A ``type=`` for a mask ratio: a finite number in [0, 1) (1 would remove every patch)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value < 1):
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


#: ``type=`` for seeds: 0 to :data:`MAX_SEED`.
seed = integer(0, MAX_SEED)


def nonempty_path(text: str) -> str:
    """A ``type=`` for a path that must not be empty (``--out ""`` would mean the current
    folder by accident)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a path, got {text!r}")
    return text


def require_writable_folder(folder: "os.PathLike[str] | str", shown: str) -> None:
    """Refuse a folder this process cannot create files in (read-only, no permission, a
    special file system such as ``/proc``): a probe file is made there and removed, the
    only sure test. ``shown`` (e.g. ``"--out runs/x.json"``) starts the message."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        why = ("it does not accept new files" if err.errno in (errno.ENOENT, errno.ENOTDIR)
               else describe_os_error(OSError(err.errno, err.strerror)))
        raise UsageError(f"{shown}: cannot write in {folder} ({why}); expected a path in a writable folder") from None


def check_output_file(path: str | os.PathLike, flag: str, example: str = "results.json") -> Path:
    """Refuse, before any work, an output file that cannot be written: an empty path, a
    folder (the message suggests ``path/example``), a missing parent folder, or a place this
    process cannot write (:func:`require_writable_folder`). ``flag`` names the argument.
    Returns the path as a ``pathlib.Path``."""
    p = Path(path)
    if str(path).strip() in ("", "."):
        raise UsageError(f"{flag} must name a file, got {str(path)!r}")
    if p.is_dir():
        raise UsageError(f"{flag} {p} is a folder; expected a file path such as {p / example}")
    if not p.parent.is_dir():
        raise UsageError(f"{flag} {p}: the folder {p.parent} does not exist")
    require_writable_folder(p.parent, f"{flag} {p}")
    if p.exists() and not os.access(p, os.W_OK):
        raise PermissionError(f"{flag} {p}: the file is not writable")
    return p


__all__ = ["ArgumentParser", "check_output_file", "EXIT_ERROR", "EXIT_INTERRUPTED", "Interrupted", "MAX_SEED",
           "UsageError", "debug_enabled", "describe_os_error", "finite", "guarded", "integer", "nonempty_path",
           "ratio", "require_writable_folder", "seed"]
