"""Every grader in the course: accepts its reference, fails on its release stub (nbgrader's
"validate --invert"), and has at least two typical wrong answers that it rejects, listed in
tests/test_graders_lNN.py."""

import importlib.util
from pathlib import Path

import pytest

from maelearn.exercises import ExerciseNotAttempted, all_exercises, check
from maelearn.testing import assert_accepts, assert_rejects

TESTS = Path(__file__).resolve().parent


def _wrong_answers() -> dict:
    wrong = {}
    for path in sorted(TESTS.glob("test_graders_l*.py")):
        spec = importlib.util.spec_from_file_location(f"_wrong_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for ex_id, fns in getattr(module, "WRONG", {}).items():
            wrong.setdefault(ex_id, []).extend(fns)
    return wrong


WRONG = _wrong_answers()
IDS = [e.id for e in all_exercises()]


@pytest.mark.parametrize("ex_id", IDS)
def test_grader_fails_on_its_stub_in_strict_mode(ex_id, monkeypatch):
    monkeypatch.setenv("MAELEARN_STRICT", "1")
    monkeypatch.delenv("MAELEARN_GRADE_REPORT", raising=False)

    def stub(*args, **kwargs):
        raise NotImplementedError(f"Exercise {ex_id}: replace this line with your code")

    with pytest.raises(ExerciseNotAttempted, match=f"Exercise {ex_id}"):
        check(ex_id, stub)


@pytest.mark.parametrize("ex_id", IDS)
def test_grader_accepts_its_reference(ex_id):
    assert assert_accepts(ex_id) >= 1


@pytest.mark.parametrize("ex_id", IDS)
def test_grader_rejects_at_least_two_typical_wrong_answers(ex_id):
    wrong = WRONG.get(ex_id, [])
    assert len(wrong) >= 2, f"tests list {len(wrong)} wrong answers for exercise {ex_id}; add at least two"
    for fn in wrong:
        assert_rejects(ex_id, fn)
