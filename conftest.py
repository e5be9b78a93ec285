"""Shared by every pytest run of the course (lessons/, solutions/, tests/).

**Strict mode for solutions only.** Solution notebooks are graded in strict mode (an
exercise that still raises its stub fails); lessons and tests run in the mode the caller
chose (plain ``pytest --nbval lessons/`` lets unattempted exercises fall back to the
reference, ``MAELEARN_STRICT=1`` fails them). nbval starts a notebook's kernel while its
first cell is set up, and every kernel or subprocess inherits this process's environment,
so the variable is set before each test's setup, for that test alone.

**One math thread per test process** (the one CPU-thread policy of the test suite). Under
pytest-xdist (``-n 2``, as the README's test command runs) two workers with two torch
threads each oversubscribe a two-core machine, and a training step then runs 10-50x slower;
the tests' tensors are tiny, so threads do not help anyway. Notebook kernels and
subprocesses inherit the setting through the environment. ``MAELEARN_TEST_THREADS``
overrides the count; spread work over cores with ``pytest -n`` instead."""

import os
from pathlib import Path

import pytest

STRICT = "MAELEARN_STRICT"
SOLUTIONS = Path(__file__).resolve().parent / "solutions"
_CALLER_STRICT = os.environ.get(STRICT)

_THREADS = os.environ.get("MAELEARN_TEST_THREADS", "1")
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(var, _THREADS)

import torch  # noqa: E402  (after the thread variables, which OpenMP reads once)

torch.set_num_threads(int(_THREADS))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if SOLUTIONS in Path(str(item.path)).resolve().parents:
        os.environ[STRICT] = "1"
    elif _CALLER_STRICT is None:
        os.environ.pop(STRICT, None)
    else:
        os.environ[STRICT] = _CALLER_STRICT


def pytest_collection_modifyitems(items):
    """nbval waits only 5 s for a cell's output messages after the cell has finished; on a
    loaded CI machine the kernel's iopub messages can lag that long and a passing cell fails
    with "Timeout of 5 seconds exceeded waiting for output". Give them a minute (the cell's
    own execution limit, ``--nbval-cell-timeout``, is separate)."""
    for item in items:
        if hasattr(item, "output_timeout"):
            item.output_timeout = 60
