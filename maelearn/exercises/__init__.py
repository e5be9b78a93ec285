"""Graded exercises: a lesson defines a function, the next cell hands it to :func:`check`.

The framework (cases, verdicts, hints, running student code safely) is
:mod:`maelearn.exercises.framework`; one grader module per lesson (``lNN_*.py``) registers
that lesson's exercises, and ``check("NN.k", fn)`` imports only lesson NN's module.
:mod:`maelearn.exercises.worker` runs a handed-in function in a process of its own for
the instructor's grader (:mod:`maelearn.grade`).
"""

from maelearn.exercises.framework import (
    ENV_GRADE_DIR,
    ENV_STRICT,
    Case,
    Exercise,
    ExerciseFailed,
    ExerciseNotAttempted,
    ExerciseTimeout,
    StudentError,
    all_exercises,
    assert_matches,
    call_with_timeout,
    check,
    exercise,
    first_difference,
    get,
    grader_modules,
    lesson_exercises,
    strict,
)

__all__ = [
    "ENV_GRADE_DIR",
    "ENV_STRICT",
    "Case",
    "Exercise",
    "ExerciseFailed",
    "ExerciseNotAttempted",
    "ExerciseTimeout",
    "StudentError",
    "all_exercises",
    "assert_matches",
    "call_with_timeout",
    "check",
    "exercise",
    "first_difference",
    "get",
    "grader_modules",
    "lesson_exercises",
    "strict",
]
