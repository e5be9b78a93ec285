"""What every experiment command checks about its ``--out`` JSON file before any work, and
what it says when Ctrl-C stops it (the policy of :mod:`maelearn.cli`: one line, nothing
lost). Used by :mod:`~maelearn.experiments.ablations` and :mod:`~maelearn.experiments.media`.
"""

from __future__ import annotations

import json
from pathlib import Path

from maelearn import cli


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


def append_row(path: str | Path, row: dict, key: tuple[str, ...], provenance: dict, schema: str,
               section: str = "rows") -> None:
    """Add ``row`` to ``section`` of the results file at ``path`` (a file of ``schema``, made
    if missing), replacing the row with the same ``key`` values, under an exclusive lock so
    that runs in parallel processes never lose each other's rows; the file is rewritten
    atomically with ``provenance`` and the date."""
    import fcntl
    from datetime import datetime, timezone

    from maelearn.runs import write_text

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
        data["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        write_text(path, json.dumps(data, indent=1) + "\n")


def run_writing(out: Path, work) -> int:
    """Run ``work()``, which writes every finished run to ``out`` at once; Ctrl-C becomes the
    one line saying where the finished runs are and that the same command resumes."""
    import time

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


__all__ = ["append_row", "check_json_output", "interrupted", "run_writing"]
