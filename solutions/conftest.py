"""Solutions are graded in strict mode: an exercise that still raises its stub fails.

nbval starts a notebook's kernel when the notebook's first cell is set up, and the kernel
inherits this process's environment, so setting the variable here reaches the kernel."""

import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    os.environ["MAELEARN_STRICT"] = "1"
