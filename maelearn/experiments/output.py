"""What the experiment commands share: their ``main``'s wrapper (:func:`command`), the
options of a seeded study (:func:`study_parser`), the checks on the ``--out`` JSON file
before any work, and what they say when Ctrl-C stops them (the policy of
:mod:`maelearn.cli`: one line, nothing lost).
"""

from __future__ import annotations

import fcntl
import functools
import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from maelearn import cli
from maelearn.runs import write_text

PROG = "python -m maelearn.experiments"


def command(name: str) -> Callable[[Callable[[list[str]], int]], Callable[..., int]]:
    """Decorate the ``main(argv)`` of ``python -m maelearn.experiments NAME``: expected
    failures are one line and exit status 2 (:func:`maelearn.cli.guarded`), ``argv``
    defaults to ``sys.argv[1:]`` and loses its leading ``NAME`` (the router passes it on)."""

    def decorate(main: Callable[[list[str]], int]) -> Callable[..., int]:
        @cli.guarded(f"{PROG} {name}")
        @functools.wraps(main)
        def wrapper(argv: list[str]) -> int:
            return main(argv[1:] if argv and argv[0] == name else argv)

        return wrapper

    return decorate


def study_parser(prog: str, description: str, scales, out_default: str) -> cli.ArgumentParser:
    """A parser with the options every seeded study takes: ``--scale`` (one of ``scales``,
    default cpu), ``--out`` (default ``out_default``), ``--seeds``, ``--device`` and
    ``--threads``."""
    p = cli.ArgumentParser(prog=prog, description=description)
    p.add_argument("--scale", default="cpu", choices=tuple(scales))
    p.add_argument("--out", type=cli.nonempty_path, default=None, help=f"JSON path (default: {out_default})")
    p.add_argument("--seeds", type=cli.seed, nargs="+", default=None, help="seeds (default: the scale's)")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    p.add_argument("--threads", type=cli.integer(minimum=1), default=None, help="torch CPU threads (1 on a shared CPU)")
    return p


def run_study_command(out: Path, work: Callable[[], dict], report: Callable[[dict], str]) -> int:
    """Run ``work()``, which writes every finished run to ``out`` at once, then print
    ``report`` of its results and where they are; Ctrl-C becomes :func:`interrupted`."""
    try:
        results = work()
    except KeyboardInterrupt:
        raise interrupted(out) from None
    print(report(results))
    print(f"wrote {out}")
    return 0


def check_json_output(path: str | Path, example: str) -> dict | list | None:
    """Refuse, before any work, an ``--out`` that cannot hold results: what
    :func:`maelearn.cli.check_output_file` refuses (an empty path, a folder, where the
    message suggests ``path/example``, an unwritable place; a missing parent folder is a
    ``FileNotFoundError``) and a file that exists but is not readable JSON. Return what the
    existing file holds (for the caller to check that it is its own kind of results, to
    resume or refuse), else ``None``."""
    path = Path(path)
    if str(path).strip() not in ("", ".") and not path.parent.is_dir():
        raise FileNotFoundError(f"--out {path}: the folder {path.parent} does not exist")
    cli.check_output_file(path, "--out", example)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"--out {path} exists and is not a readable JSON results file ({err}); "
                         "move it away or pick another path") from None


def utc_now() -> str:
    """The time now, UTC, to the second (ISO 8601): the ``date`` every results file and row records."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def append_row(path: str | Path, row: dict, key: tuple[str, ...], provenance: dict, schema: str,
               section: str = "rows") -> None:
    """Add ``row`` to ``section`` of the results file at ``path`` (a file of ``schema``, made
    if missing), replacing the row with the same ``key`` values, under an exclusive lock so
    that runs in parallel processes never lose each other's rows; the file is rewritten
    atomically with ``provenance`` and the date."""

    path = Path(path)
    ident = lambda r: tuple(json.dumps(r.get(k), sort_keys=True) for k in key)  # noqa: E731
    order = lambda r: tuple((0, v, "") if isinstance(v := r.get(k), (int, float)) else (1, 0, json.dumps(v, sort_keys=True))
                            for k in key)  # noqa: E731 - numbers in numeric order
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() else {"schema": schema}
        if data.get("schema") != schema:
            raise ValueError(f"{path} holds results of another format (schema {data.get('schema')!r}, expected {schema!r})")
        rows = [r for r in data.get(section, []) if ident(r) != ident(row)] + [row]
        data[section] = sorted(rows, key=order)
        data["provenance"] = provenance
        data["date"] = utc_now()
        write_text(path, json.dumps(data, indent=1) + "\n")


def run_writing(out: Path, work) -> int:
    """Run ``work()``, which writes every finished run to ``out`` at once; Ctrl-C becomes the
    one line saying where the finished runs are and that the same command resumes."""
    t0 = time.perf_counter()
    try:
        work()
    except KeyboardInterrupt:
        raise interrupted(out) from None
    print(f"wrote {out} in {(time.perf_counter() - t0) / 60:.1f} min")
    return 0


def interrupted(out: str | Path) -> cli.Interrupted:
    """The one line after Ctrl-C of a command that writes every finished run to ``out`` at once."""
    return cli.Interrupted(f"interrupted; every finished run is in {out}; run the same command again to resume")


__all__ = ["append_row", "check_json_output", "command", "interrupted", "run_study_command", "run_writing", "study_parser"]
