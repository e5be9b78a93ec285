"""``python -m maelearn.bench``: see :mod:`maelearn.bench.step`."""

import sys

from maelearn.bench.step import main

if __name__ == "__main__":
    result = main()  # the report (a dict), or an exit status after an error
    sys.exit(result if isinstance(result, int) else 0)
