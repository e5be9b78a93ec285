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


def interrupted(out: str | Path) -> cli.Interrupted:
    """The one line after Ctrl-C of a command that writes every finished run to ``out`` at once."""
    return cli.Interrupted(f"interrupted; every finished run is in {out}; run the same command again to resume")


__all__ = ["check_json_output", "interrupted"]
