"""``python -m maelearn.experiments COMMAND ...``: one entry point for every experiment.

Each command lives in its own module with its own ``main(argv)``; this file only routes.
"""

from __future__ import annotations

import importlib
import sys

#: command -> module with ``main(argv: list[str]) -> int`` (argv starts with the command).
COMMANDS = {
    "ablations": "maelearn.experiments.ablations",
    "video": "maelearn.experiments.media",
    "audio": "maelearn.experiments.media",
    "length": "maelearn.experiments.pretraining_length",
    "labels": "maelearn.experiments.label_efficiency",
    "timeseries": "maelearn.experiments.timeseries",
}


PROG = "python -m maelearn.experiments"


def main(argv: list[str] | None = None) -> int:
    """Route to the command's ``main``; no command or an unknown one is one line on stderr
    and exit status 2, as every command line of the course (:mod:`maelearn.cli`).
    ``--debug`` may come before the command: it is passed on."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if a != "--debug"), None)
    names = " | ".join(COMMANDS)
    if command in ("-h", "--help"):
        print(f"usage: {PROG} {{{names}}} [options]  (COMMAND --help for each)")
        return 0
    if command not in COMMANDS:
        what = "a command" if command is None else f"a command, got {command!r}"
        print(f"{PROG}: error: expected {what}; one of: {names} (see {PROG} --help)", file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[command]).main(argv)


if __name__ == "__main__":
    sys.exit(main())
