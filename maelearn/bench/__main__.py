"""``python -m maelearn.bench``: see :mod:`maelearn.bench.step`."""

from maelearn.bench.step import main

if __name__ == "__main__":
    main()
