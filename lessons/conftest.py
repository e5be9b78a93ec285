"""Lessons run in the mode the caller chose: plain ``pytest --nbval lessons/`` lets
unattempted exercises fall back to the reference; ``MAELEARN_STRICT=1`` fails them.

Undo the strict switch that solutions/conftest.py sets, in case both folders run in one
pytest process."""

import os

import pytest

_CALLER_STRICT = os.environ.get("MAELEARN_STRICT")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if _CALLER_STRICT is None:
        os.environ.pop("MAELEARN_STRICT", None)
    else:
        os.environ["MAELEARN_STRICT"] = _CALLER_STRICT
