"""``python -m maelearn.experiments COMMAND ...``: one entry point for every experiment.

Each command lives in its own module with its own ``main(argv)``; this file only routes.
"""

from __future__ import annotations

import importlib
import sys

#: command -> module with ``main(argv: list[str]) -> int`` (argv without the command).
COMMANDS = {
    "ablations": "maelearn.experiments.ablations",
    "video": "maelearn.experiments.media",
    "audio": "maelearn.experiments.media",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        names = " | ".join(COMMANDS)
        print(f"usage: python -m maelearn.experiments {{{names}}} [options]  (COMMAND --help for each)")
        if argv and argv[0] not in ("-h", "--help"):
            print(f"python -m maelearn.experiments: unknown command {argv[0]!r}; expected one of: {names}", file=sys.stderr)
            return 2
        return 0 if argv else 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv)


if __name__ == "__main__":
    sys.exit(main())
