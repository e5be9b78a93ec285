"""Graded exercises: a lesson defines a function, the next cell hands it to :func:`check`.

    def random_masking(x, mask_ratio, noise):
        ...                                   # the learner's code
    random_masking = check("08.1", random_masking)

What :func:`check` does with the learner's function:

* **not attempted** (it raises the release stub's ``NotImplementedError("Exercise ...")``):
  a friendly note, and the library's reference implementation is returned so the rest of
  the lesson still runs. In strict mode (``MAELEARN_STRICT=1``) this is a failure.
* **wrong**: :class:`ExerciseFailed` (an ``AssertionError``) with a specific hint: which
  case, expected vs got, shape/dtype, and the diagnosis of a known mistake when it
  recognises one. Student code that raises, returns the wrong type, mutates its input or
  runs past the time limit is reported the same way, never crashes the grader.
* **right**: a visible pass line, and the learner's function is returned.

When ``MAELEARN_GRADE_REPORT`` names a file (the instructor's ``python -m maelearn.grade``
sets it), every verdict is appended to it as one JSON line and nothing raises: a failing or
missing exercise is replaced by the reference so later exercises are still graded.

Graders live in ``maelearn.exercises.lNN_*`` modules, one per lesson, and register
themselves with :func:`exercise`.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import pkgutil
import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np
import torch

ENV_STRICT = "MAELEARN_STRICT"
ENV_REPORT = "MAELEARN_GRADE_REPORT"
STUB_PREFIX = "Exercise "


class ExerciseFailed(AssertionError):
    """The learner's function gave a wrong answer; the message says which case and how."""


class ExerciseNotAttempted(AssertionError):
    """Strict mode: the exercise still raises its release stub."""


class ExerciseTimeout(Exception):
    """The learner's function ran past the grader's time limit."""


@dataclass
class Case:
    """One input of a grader: ``fn(*args, **kwargs)`` should give ``expected``.

    ``expected`` defaults to what the reference implementation returns. ``check`` may
    replace the generic comparison with ``check(got, expected) -> None`` that raises
    ``AssertionError`` with a hint.
    """

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    check: Callable[[Any, Any], None] | None = None


@dataclass
class Exercise:
    """A graded exercise: its id (``"NN.k"``), a title, the reference implementation, the
    cases it is checked on, and optional diagnoses of known mistakes."""

    id: str
    title: str
    reference: Callable
    cases: Callable[[], Iterable[Case]]
    rtol: float = 1e-5
    atol: float = 1e-6
    timeout: float = 20.0
    diagnose: Callable[[Case, Any, Any], str | None] | None = None

    def run_cases(self, fn: Callable) -> int:
        """Run ``fn`` on every case; raise :class:`ExerciseFailed` on the first wrong one.
        Returns the number of cases passed."""
        n = 0
        for case in self.cases():
            expected = case.expected
            if expected is None:
                expected = self.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
            args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
            before = copy.deepcopy((args, kwargs))
            try:
                got = call_with_timeout(fn, args, kwargs, self.timeout)
            except NotImplementedError as err:
                if str(err).startswith(STUB_PREFIX):
                    raise
                raise self._fail(case, f"your function raised NotImplementedError: {err}") from err
            except ExerciseTimeout:
                raise self._fail(
                    case,
                    f"your function did not return within {self.timeout:g} s. Look for an "
                    "infinite loop, or a Python loop over every element where a tensor "
                    "operation would do.",
                ) from None
            except Exception as err:  # student code may raise anything
                raise self._fail(case, f"your function raised {type(err).__name__}: {err}") from err
            mutated = first_difference(args, before[0], "argument") or first_difference(kwargs, before[1], "argument")
            if mutated is not None:
                raise self._fail(case, f"your function changed its input ({mutated}); work on a copy instead")
            try:
                if case.check is not None:
                    case.check(got, expected)
                else:
                    assert_matches(got, expected, rtol=self.rtol, atol=self.atol)
            except AssertionError as err:
                hint = self.diagnose(case, got, expected) if self.diagnose else None
                msg = str(err) + (f"\nHint: {hint}" if hint else "")
                raise self._fail(case, msg) from None
            n += 1
        return n

    def _fail(self, case: Case, msg: str) -> ExerciseFailed:
        return ExerciseFailed(f"Exercise {self.id} ({self.title}) is not right yet, on case '{case.name}':\n{msg}")


_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def exercise(id: str, title: str, reference: Callable, **kw: Any) -> Callable:
    """Decorator that registers a grader: decorate the function that yields its cases."""

    def register(cases: Callable[[], Iterable[Case]]) -> Callable[[], Iterable[Case]]:
        if id in _REGISTRY:
            raise ValueError(f"exercise id {id!r} is registered twice")
        _REGISTRY[id] = Exercise(id=id, title=title, reference=reference, cases=cases, **kw)
        return cases

    return register


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("l") and info.name[1:3].isdigit():
            importlib.import_module(f"{__name__}.{info.name}")
    _LOADED = True


def get(id: str) -> Exercise:
    """The registered exercise ``id`` (e.g. ``"08.1"``)."""
    _load_all()
    if id not in _REGISTRY:
        raise KeyError(f"no exercise {id!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[id]


def all_exercises() -> list[Exercise]:
    """Every registered exercise, sorted by id."""
    _load_all()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def strict() -> bool:
    return os.environ.get(ENV_STRICT, "").strip().lower() in ("1", "true", "yes", "on")


def _report(ex: Exercise, status: str, detail: str = "") -> None:
    path = os.environ.get(ENV_REPORT)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"id": ex.id, "title": ex.title, "status": status, "detail": detail}) + "\n")


def check(id: str, fn: Callable) -> Callable:
    """Grade the learner's ``fn`` for exercise ``id`` and return the function the lesson
    should go on with (the learner's when right, the reference when not attempted)."""
    ex = get(id)
    grading = bool(os.environ.get(ENV_REPORT))
    try:
        n = ex.run_cases(fn)
    except NotImplementedError:
        _report(ex, "not attempted")
        if strict() and not grading:
            raise ExerciseNotAttempted(
                f"Exercise {ex.id} ({ex.title}) was not attempted (strict mode counts it as failed)."
            ) from None
        print(
            f"📝 Exercise {ex.id} ({ex.title}) is not attempted yet. The lesson goes on with the "
            "reference solution; come back and write your own!"
        )
        return ex.reference
    except ExerciseFailed as err:
        _report(ex, "failed", str(err))
        if grading:
            print(f"❌ {err}")
            return ex.reference
        raise
    _report(ex, "passed")
    print(f"✅ Exercise {ex.id} ({ex.title}) passed: {n} checks.")
    return fn


# ---------------------------------------------------------------------------------------
# Running student code safely and comparing answers
# ---------------------------------------------------------------------------------------


def call_with_timeout(fn: Callable, args: tuple, kwargs: dict, seconds: float) -> Any:
    """Call ``fn(*args, **kwargs)``; raise :class:`ExerciseTimeout` after ``seconds``.

    In the main thread of a Unix process (a Jupyter kernel, pytest) a SIGALRM interrupts
    the call; elsewhere the call runs in a daemon thread that is abandoned on time-out.
    """
    use_alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if use_alarm:

        def on_alarm(signum, frame):  # noqa: ARG001
            raise ExerciseTimeout()

        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn(*args, **kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as err:  # re-raised in the caller's thread
            box["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise ExerciseTimeout()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _describe(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"tensor of shape {tuple(x.shape)}, dtype {x.dtype}"
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape}, dtype {x.dtype}"
    return f"{type(x).__name__} {x!r}"[:200]


def assert_matches(got: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6, where: str = "result") -> None:
    """Assert ``got`` equals ``expected``: same kind (tensor/array/sequence/dict/number),
    same shape and dtype, values within ``rtol``/``atol``. Raises ``AssertionError`` with a
    message a learner can act on."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            raise AssertionError(f"{where}: expected a {_describe(expected)}, got {_describe(got)}")
        if tuple(got.shape) != tuple(expected.shape):
            raise AssertionError(f"{where}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}")
        if got.dtype != expected.dtype:
            raise AssertionError(f"{where}: expected dtype {expected.dtype}, got {got.dtype}")
        g, e = got.detach().cpu(), expected.detach().cpu()
        if e.dtype.is_floating_point or e.dtype.is_complex:
            if not torch.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
                err = (g - e).abs()
                idx = tuple(int(i) for i in np.unravel_index(int(err.argmax()), tuple(e.shape))) if e.numel() else ()
                raise AssertionError(
                    f"{where}: values differ; largest difference {float(err.max()):.3g} at index {idx}: "
                    f"expected {float(e[idx]):.6g}, got {float(g[idx]):.6g}"
                )
        elif not torch.equal(g, e):
            bad = int((g != e).sum())
            raise AssertionError(f"{where}: {bad} of {e.numel()} entries differ (first expected {e.flatten()[:8].tolist()}, got {g.flatten()[:8].tolist()})")
        return
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            raise AssertionError(f"{where}: expected a NumPy {_describe(expected)}, got {_describe(got)}")
        assert_matches(torch.from_numpy(np.ascontiguousarray(got)), torch.from_numpy(np.ascontiguousarray(expected)), rtol, atol, where)
        return
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise AssertionError(f"{where}: expected a dict with keys {sorted(expected)}, got {_describe(got)}")
        for k in expected:
            assert_matches(got[k], expected[k], rtol, atol, f"{where}[{k!r}]")
        return
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise AssertionError(f"{where}: expected a {type(expected).__name__} of {len(expected)} items, got {_describe(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_matches(g, e, rtol, atol, f"{where}[{i}]")
        return
    if isinstance(expected, (float, np.floating)):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, (int, float, np.number)) or not np.isclose(float(got), float(expected), rtol=rtol, atol=atol):
            raise AssertionError(f"{where}: expected {float(expected):.6g}, got {_describe(got)}")
        return
    if got != expected:
        raise AssertionError(f"{where}: expected {expected!r}, got {got!r}")


def first_difference(a: Any, b: Any, where: str) -> str | None:
    """Where two argument structures differ (used to catch in-place mutation), else None."""
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        same = a.shape == b.shape and torch.equal(a, b) if not a.is_floating_point() else a.shape == b.shape and torch.equal(torch.nan_to_num(a), torch.nan_to_num(b))
        return None if same else f"{where} was modified in place"
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return None if a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f") else f"{where} was modified in place"
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return f"{where} changed length"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}[{i}]")
            if d:
                return d
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            d = first_difference(a[k], b.get(k), f"{where}[{k!r}]")
            if d:
                return d
    return None
