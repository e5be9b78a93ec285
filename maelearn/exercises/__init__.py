"""Graded exercises: a lesson defines a function, the next cell hands it to :func:`check`.

:mod:`maelearn.exercises.framework` holds cases, verdicts and hints; one grader module per
lesson (``lNN_*.py``) registers its exercises. The instructor's grader (:mod:`maelearn.grade`,
tool layer) runs handed-in functions in :mod:`maelearn.exercises.worker`.
"""

from maelearn.exercises.framework import (ENV_GRADE_DIR, ENV_STRICT, Case, Exercise, ExerciseFailed,
                                          ExerciseNotAttempted, ExerciseTimeout, StudentError, all_exercises,
                                          assert_matches, call_with_timeout, check, exercise, first_difference, get,
                                          grader_modules, lesson_exercises, strict)

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
