"""``python -m maelearn.experiments COMMAND ...``: one entry point for every experiment."""

import sys

from maelearn.experiments.ablations import main

if __name__ == "__main__":
    sys.exit(main())
