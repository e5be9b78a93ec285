"""Every grader in the course, from one table of answers (tests/answers/lNN.py): accepts
its reference and the right answers by other routes, fails on its release stub
(nbgrader's "validate --invert"), rejects every listed wrong answer with the hint that
names the mistake, and never crashes on a float32/float64 flip."""

import numpy as np
import pytest
import torch

from answers import RIGHT, WRONG
from grading_helpers import assert_accepts, assert_rejects
from maelearn.exercises import ExerciseFailed, ExerciseNotAttempted, all_exercises, check
from maelearn.exercises.framework import global_state

IDS = [e.id for e in all_exercises()]


def _name(x):
    return getattr(x, "__name__", x)


@pytest.mark.parametrize("ex_id", IDS)
def test_grader_fails_on_its_stub_in_strict_mode(ex_id, monkeypatch):
    monkeypatch.setenv("MAELEARN_STRICT", "1")
    monkeypatch.delenv("MAELEARN_GRADE_DIR", raising=False)

    def stub(*args, **kwargs):
        raise NotImplementedError(f"Exercise {ex_id}: replace this line with your code")

    with pytest.raises(ExerciseNotAttempted, match=f"Exercise {ex_id}"):
        check(ex_id, stub)


@pytest.mark.parametrize("ex_id", IDS)
def test_grader_accepts_its_reference(ex_id):
    assert assert_accepts(ex_id) >= 3


@pytest.mark.parametrize("ex_id", IDS)
def test_every_grader_has_at_least_two_wrong_answers(ex_id):
    assert sum(row[0] == ex_id for row in WRONG) >= 2, f"tests/answers lists fewer than two wrong answers for {ex_id}"


@pytest.mark.parametrize("ex_id, wrong, hint", WRONG, ids=lambda x: str(_name(x))[:40])
def test_wrong_answer_is_rejected_with_its_hint(ex_id, wrong, hint):
    torch.rand(1)  # never start from a freshly seeded generator: reseeding it would change nothing to see
    state = global_state()
    assert_rejects(ex_id, wrong, match=hint)
    after = global_state()
    assert all(torch.equal(v, after[k]) if isinstance(v, torch.Tensor) else v == after[k] for k, v in state.items()), \
        "the grader left torch's global state changed"


@pytest.mark.parametrize("ex_id, right", RIGHT, ids=lambda x: str(_name(x))[:40])
def test_right_answer_by_another_route_is_accepted(ex_id, right):
    assert assert_accepts(ex_id, right) >= 3


def _flip(x):
    if type(x) is torch.Tensor and x.is_floating_point():
        return x.double() if x.dtype == torch.float32 else x.float()
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x.astype(np.float32 if x.dtype == np.float64 else np.float64)
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*map(_flip, x))
    if isinstance(x, (tuple, list)):
        return type(x)(map(_flip, x))
    return x


def _has_float(x) -> bool:
    if isinstance(x, (torch.Tensor, np.ndarray)):
        return x.dtype.is_floating_point if isinstance(x, torch.Tensor) else x.dtype.kind == "f"
    return isinstance(x, (tuple, list)) and any(map(_has_float, x))


@pytest.mark.parametrize("ex_id", IDS)
def test_dtype_flip_gives_a_dtype_hint_never_a_crash(ex_id):
    """The reference with its float32 results returned as float64 (and the reverse): the
    grader fails with a message naming the dtype; its diagnoses never raise (issue 13:
    13 graders crashed with 'Double did not match Float')."""
    ex = next(e for e in all_exercises() if e.id == ex_id)
    changed = []

    def flipped(*args, **kwargs):
        out = ex.reference(*args, **kwargs)
        changed.append(_has_float(out))
        return _flip(out)

    try:
        ex.run_cases(flipped)
    except ExerciseFailed as err:
        assert "dtype" in str(err) or "float" in str(err), str(err)
    else:
        assert not any(changed), f"{ex_id} accepted float32/float64 flipped results"


def _lesson_defaults() -> dict[str, tuple[list[str], set[str]]]:
    """Exercise id -> (parameter names, names with a default) of the function the lesson
    asks for (read from solutions/NN_*.py: the def handed to check("NN.k", ...))."""
    import ast

    from maelearn.course import ROOT

    found = {}
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        for node in tree.body:
            call = getattr(node, "value", None)
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "check" and len(call.args) == 2:
                ex_id, name = call.args[0].value, getattr(call.args[1], "id", None)
                if name in defs:
                    a = defs[name].args
                    names = [x.arg for x in a.args]
                    with_default = set(names[len(names) - len(a.defaults):]) if a.defaults else set()
                    found[ex_id] = (names, with_default)
    return found


LESSON_DEFAULTS = _lesson_defaults()


@pytest.mark.parametrize("ex_id", IDS)
def test_every_default_argument_is_exercised(ex_id):
    """Lessons call their functions with the defaults (issue 13): for every parameter with
    a default in the lesson's signature, at least one case leaves it out."""
    names, defaults = LESSON_DEFAULTS[ex_id]
    ex = next(e for e in all_exercises() if e.id == ex_id)
    used = set()
    for case in ex.cases():
        given = set(names[: len(case.args)]) | set(case.kwargs)
        used |= defaults - given
    assert used == defaults, f"{ex_id}: no case uses the default of {sorted(defaults - used)}"
