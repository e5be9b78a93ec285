"""Helpers for the course's own tests of graders (used by ``tests/test_graders_*.py``)."""

from __future__ import annotations

from typing import Callable

from maelearn.exercises import ExerciseFailed, get


def assert_rejects(ex_id: str, wrong: Callable, match: str | None = None) -> str:
    """Assert the grader of ``ex_id`` rejects the wrong answer ``wrong`` (and that its
    message contains ``match`` when given). Returns the message."""
    ex = get(ex_id)
    try:
        ex.run_cases(wrong)
    except ExerciseFailed as err:
        msg = str(err)
        if match is not None and match not in msg:
            raise AssertionError(f"grader {ex_id} rejected {wrong.__name__}, but its message lacks {match!r}:\n{msg}") from None
        return msg
    raise AssertionError(f"grader {ex_id} accepted the wrong answer {wrong.__name__}")


def assert_accepts(ex_id: str, fn: Callable | None = None) -> int:
    """Assert the grader of ``ex_id`` accepts ``fn`` (default: its own reference)."""
    ex = get(ex_id)
    return ex.run_cases(fn or ex.reference)
