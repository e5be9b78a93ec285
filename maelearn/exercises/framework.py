"""The grading framework: cases, verdicts, hints, and running student code safely.

A lesson hands the learner's function in: ``random_masking = check("08.1", random_masking)``.
Not attempted (the release stub's ``NotImplementedError``): a note, and the reference is
returned so the lesson still runs (a failure under ``MAELEARN_STRICT``). Wrong, raising,
changing its arguments or torch's global state (restored), or too slow: :class:`ExerciseFailed`
with a hint. Right: a pass line, and the learner's function is returned. In grading mode
(``MAELEARN_GRADE_DIR``, set by :mod:`maelearn.grade`) ``check`` only hands the function in.
Graders live in ``maelearn.exercises.lNN_*`` and register with :func:`exercise`.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import os
import pkgutil
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch

ENV_STRICT = "MAELEARN_STRICT"
ENV_GRADE_DIR = "MAELEARN_GRADE_DIR"
STUB_PREFIX = "Exercise "
STRICT_VALUES = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False, "": False}


class ExerciseFailed(AssertionError):
    """The learner's function gave a wrong answer; the message says which case and how."""


class ExerciseNotAttempted(AssertionError):
    """Strict mode: the exercise still raises its release stub."""


class ExerciseTimeout(BaseException):
    """Past the time limit; a ``BaseException``, so a student's ``except Exception:`` cannot swallow it."""


class StudentError(Exception):
    """The learner's function raised, hung or had a side effect; the message is for the learner."""


@dataclass
class Case:
    """One input of a grader: ``fn(*args, **kwargs)`` should give ``expected`` (default: the
    reference's result). ``check(got, expected)`` may replace the generic comparison, raising
    ``AssertionError`` with a hint. ``seed``: torch's global generator is seeded with it before
    the reference and the learner's call (for ``generator=None`` defaults). ``rtol``/``atol``
    override the exercise's tolerances where the computation is ill-conditioned."""

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expected: Any = None
    check: Callable[[Any, Any], None] | None = None
    seed: int | None = None
    rtol: float | None = None
    atol: float | None = None


@dataclass
class Exercise:
    """A graded exercise: id (``"NN.k"``), title, reference, cases, diagnoses of known mistakes.
    ``forbidden``: library functions computing the answer; a submission that is or calls one is
    reported as tampered by :mod:`maelearn.grade`."""

    id: str
    title: str
    reference: Callable
    cases: Callable[[], Iterable[Case]]
    rtol: float = 1e-5
    atol: float = 1e-6
    timeout: float = 20.0
    diagnose: Callable[[Case, Any, Any], str | None] | None = None
    forbidden: tuple = ()

    def expected(self, case: Case) -> Any:
        """What a right answer returns on ``case`` (the reference's result, computed on copies)."""
        if case.expected is not None:
            return case.expected
        with torch.random.fork_rng(devices=[]):
            if case.seed is not None:
                torch.manual_seed(case.seed)
            return self.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))

    def run_cases(self, fn: Callable) -> int:
        """Run ``fn`` on every case in this process and return how many passed; raise
        :class:`ExerciseFailed` on the first wrong one (``NotImplementedError`` for the stub)."""
        n = 0
        with preserved_global_state():
            for case in self.cases():
                expected = self.expected(case)
                try:
                    got = run_case(self, fn, case)
                except StudentError as err:
                    raise self.fail(case, str(err)) from None
                self.judge(case, got, expected)
                n += 1
        return n

    def judge(self, case: Case, got: Any, expected: Any) -> None:
        """Raise :class:`ExerciseFailed` unless ``got`` is right for ``case``. Never runs
        student code: ``got`` is data (in grading mode it crossed a process boundary)."""
        try:
            if case.check is not None:
                case.check(got, expected)
            else:
                rtol = self.rtol if case.rtol is None else case.rtol
                atol = self.atol if case.atol is None else case.atol
                assert_matches(got, expected, rtol=rtol, atol=atol)
        except Exception as err:  # AssertionError, or a case's own check met a result it did not foresee
            hint = self.hint(case, got, expected)
            msg = (str(err) if isinstance(err, AssertionError)
                   else f"your result could not be checked ({type(err).__name__}: {err})")
            raise self.fail(case, msg + (f"\nHint: {hint}" if hint else "")) from None

    def hint(self, case: Case, got: Any, expected: Any) -> str | None:
        """A wrong type or dtype first (the known-mistake diagnoses compare values, which
        means little across dtypes), else the diagnosis of a known mistake; never raises."""
        generic = type_hint(got, expected)
        if generic is not None or self.diagnose is None:
            return generic
        try:
            with torch.random.fork_rng(devices=[]), torch.no_grad():
                specific = self.diagnose(case, got, expected)
        except Exception:  # a diagnosis must never crash the grader (odd shapes, dtypes)
            specific = None
        return specific or generic

    def fail(self, case: Case, msg: str) -> ExerciseFailed:
        return ExerciseFailed(f"Exercise {self.id} ({self.title}) is not right yet, on case '{case.name}':\n{msg}")


def is_stub_error(err: BaseException) -> bool:
    """Whether ``err`` is the release stub's ``NotImplementedError("Exercise ...")``."""
    return isinstance(err, NotImplementedError) and str(err).startswith(STUB_PREFIX)


def run_case(ex: Exercise, fn: Callable, case: Case) -> Any:
    """Call ``fn`` on copies of ``case``'s arguments, under the time limit, and return what
    it returned. Raises ``NotImplementedError`` for the stub, :class:`StudentError` when the
    call raised, timed out, changed its arguments or torch's global state (restored)."""
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    before = copy.deepcopy((args, kwargs))
    state = global_state()
    if case.seed is not None:
        torch.manual_seed(case.seed)
    try:
        got = call_with_timeout(fn, args, kwargs, ex.timeout)
    except NotImplementedError as err:
        if is_stub_error(err):
            raise
        raise StudentError(f"your function raised NotImplementedError: {err}") from None
    except ExerciseTimeout:
        raise StudentError(f"your function did not return within {ex.timeout:g} s. Look for an infinite loop, "
                           "or a Python loop over every element where a tensor operation would do.") from None
    except Exception as err:  # student code may raise anything
        raise StudentError(f"your function raised {type(err).__name__}: {err}") from None
    finally:
        changed = restore_global_state(state, ignore=("global random generator",) if case.seed is not None else ())
    if changed:
        why = ("draw random numbers from the generator argument, not torch's global one (nor reseed it)"
               if changed == "global random generator" else
               "a function must not change settings the rest of the notebook relies on")
        raise StudentError(f"your function changed torch's global state ({changed}); the grader restored it. {why}.")
    mutated = first_difference(args, before[0], "argument") or first_difference(kwargs, before[1], "argument")
    if mutated is not None:
        raise StudentError(f"your function changed its input ({mutated}); work on a copy instead")
    return got


# --- Registry: one grader module per lesson, imported on demand ------------------------

_REGISTRY: dict[str, Exercise] = {}


def exercise(id: str, title: str, reference: Callable, **kw: Any) -> Callable:
    """Decorator that registers a grader: decorate the function that yields its cases."""

    def register(cases: Callable[[], Iterable[Case]]) -> Callable[[], Iterable[Case]]:
        if id in _REGISTRY:
            raise ValueError(f"exercise id {id!r} is registered twice")
        _REGISTRY[id] = Exercise(id=id, title=title, reference=reference, cases=cases, **kw)
        return cases

    return register


def grader_modules() -> dict[str, str]:
    """Lesson number (``"08"``) -> name of its grader module, without importing any."""
    return {
        info.name[1:3]: f"{__package__}.{info.name}"
        for info in pkgutil.iter_modules([str(Path(__file__).resolve().parent)])
        if info.name.startswith("l") and info.name[1:3].isdigit()
    }


def lesson_exercises(lesson: str) -> list[Exercise]:
    """Every exercise of ``lesson`` (``"08"``), importing only that lesson's grader module."""
    modules = grader_modules()
    if lesson not in modules:
        raise KeyError(f"no graders for lesson {lesson!r}; known lessons: {', '.join(sorted(modules))}")
    importlib.import_module(modules[lesson])
    return [_REGISTRY[k] for k in sorted(_REGISTRY) if k.startswith(f"{lesson}.")]


def get(id: str) -> Exercise:
    """The registered exercise ``id`` (e.g. ``"08.1"``)."""
    if id not in _REGISTRY and (module := grader_modules().get(id.split(".")[0])) is not None:
        importlib.import_module(module)
    if id not in _REGISTRY:
        raise KeyError(f"no exercise {id!r}; known: {', '.join(e.id for e in all_exercises())}")
    return _REGISTRY[id]


def all_exercises() -> list[Exercise]:
    """Every registered exercise, sorted by id (imports every grader module)."""
    for module in grader_modules().values():
        importlib.import_module(module)
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def strict() -> bool:
    """Whether ``MAELEARN_STRICT`` asks for strict mode: 1/0, true/false, yes/no, on/off (any
    case) or unset; any other value is an error, so a mistyped setting never grades leniently."""
    raw = os.environ.get(ENV_STRICT)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value not in STRICT_VALUES:
        raise ValueError(f"{ENV_STRICT}={raw!r} is not understood; use one of 1, 0, true, false, yes, no, on, off")
    return STRICT_VALUES[value]


def submit(folder: str | os.PathLike, ex: Exercise, fn: Callable) -> Path:
    """Save ``fn`` (by value) as a submission for ``ex`` in ``folder``; a function that
    cannot be saved is recorded with the reason."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{time.time_ns()}-{ex.id}"
    try:
        import cloudpickle

        data = cloudpickle.dumps(fn)
    except Exception as err:  # an unpicklable closure, or cloudpickle missing
        path = folder / f"{stem}.err"
        path.write_text(f"the function could not be handed in ({type(err).__name__}: {err})", encoding="utf-8")
        return path
    path = folder / f"{stem}.pkl"
    path.write_bytes(data)
    return path


def check(id: str, fn: Callable) -> Callable:
    """Grade the learner's ``fn`` for exercise ``id`` and return the function the lesson
    goes on with (the learner's when right, the reference when not attempted). In grading
    mode (``MAELEARN_GRADE_DIR`` set) ``fn`` is only handed in, for the grader to run in a
    process of its own."""
    ex = get(id)
    if grade_dir := os.environ.get(ENV_GRADE_DIR):
        submit(grade_dir, ex, fn)
        print(f"📨 Exercise {ex.id} ({ex.title}) handed in for grading.")
        return ex.reference
    strict_mode = strict()
    try:
        n = ex.run_cases(fn)
    except NotImplementedError:
        if strict_mode:
            raise ExerciseNotAttempted(f"Exercise {ex.id} ({ex.title}) was not attempted (strict mode counts it as failed).") from None
        print(f"📝 Exercise {ex.id} ({ex.title}) is not attempted yet. The lesson goes on with the "
              "reference solution; come back and write your own!")
        return ex.reference
    print(f"✅ Exercise {ex.id} ({ex.title}) passed: {n} checks.")
    return fn


# --- Running student code safely -------------------------------------------------------


def call_with_timeout(fn: Callable, args: tuple, kwargs: dict, seconds: float) -> Any:
    """Call ``fn(*args, **kwargs)``; raise :class:`ExerciseTimeout` after ``seconds``. In the
    main thread of a Unix process (a Jupyter kernel, pytest) a SIGALRM raises it inside the
    call, where ``except Exception`` does not catch it; elsewhere the call runs in a daemon
    thread, abandoned on time-out. (:mod:`maelearn.grade` runs cases in a subprocess that it
    kills: a bare ``except:`` cannot survive that either.)"""
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():

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


def global_state() -> dict[str, Any]:
    """The torch settings a student function must leave alone."""
    return {
        "default dtype": torch.get_default_dtype(),
        "grad mode": torch.is_grad_enabled(),
        "thread count": torch.get_num_threads(),
        "global random generator": torch.get_rng_state(),
        "deterministic algorithms": torch.are_deterministic_algorithms_enabled(),
    }


def restore_global_state(state: dict[str, Any], ignore: tuple[str, ...] = ()) -> str:
    """Put back ``state`` (from :func:`global_state`); return the names of what had changed
    (except those in ``ignore``)."""
    now = global_state()
    same = {k: torch.equal(now[k], v) if isinstance(v, torch.Tensor) else now[k] == v for k, v in state.items()}
    changed = [k for k in state if k not in ignore and not same[k]]
    torch.set_default_dtype(state["default dtype"])
    torch.set_grad_enabled(state["grad mode"])
    if now["thread count"] != state["thread count"]:
        torch.set_num_threads(state["thread count"])
    torch.set_rng_state(state["global random generator"])
    torch.use_deterministic_algorithms(state["deterministic algorithms"])
    return ", ".join(changed)


@contextlib.contextmanager
def preserved_global_state() -> Iterator[None]:
    """The grader's own work (building cases, references) leaves torch's global state, the
    learner's random generator included, as it found it."""
    state = global_state()
    try:
        yield
    finally:
        restore_global_state(state)


# --- Comparing answers -----------------------------------------------------------------


def _describe(x: Any) -> str:
    if type(x).__name__ == "Foreign" and hasattr(x, "type_name"):  # an object from the grading process
        return f"a {x.type_name}"
    if isinstance(x, torch.Tensor) and type(x) is not torch.Tensor:
        return f"{type(x).__name__} (a tensor subclass)"  # its methods are the student's: call none
    if type(x) is torch.Tensor:
        return f"tensor of shape {tuple(x.shape)}, dtype {x.dtype}"
    if type(x) is np.ndarray:
        return f"array of shape {x.shape}, dtype {x.dtype}"
    if x is None or type(x) in (bool, int, float, str, tuple, list, dict):
        return f"{type(x).__name__} {x!r}"[:200]
    return f"a {type(x).__name__}"


def type_hint(got: Any, expected: Any) -> str | None:
    """A hint when ``got`` (or, in a tuple/list/dict, its first part that does) has the
    wrong kind or dtype; it knows nothing of the exercise."""
    if isinstance(expected, torch.Tensor) and isinstance(got, torch.Tensor):
        if type(got) is not torch.Tensor:
            return f"return a plain torch.Tensor, not a {type(got).__name__}."
        if got.dtype != expected.dtype:
            return (f"your result is {got.dtype} but the answer is {expected.dtype}; check which dtype your "
                    f"operations produce (e.g. .to({expected.dtype}) or keep the inputs' dtype).")
    if isinstance(expected, np.ndarray) and isinstance(got, np.ndarray) and got.dtype != expected.dtype:
        return f"your array is {got.dtype} but the answer is {expected.dtype} (.astype(np.{expected.dtype}))."
    parts: Iterable[tuple[Any, Any]] = ()
    if isinstance(expected, (tuple, list)) and isinstance(got, (tuple, list)) and len(got) == len(expected):
        parts = zip(got, expected)
    if isinstance(expected, dict) and isinstance(got, dict):
        parts = ((got.get(k), expected[k]) for k in expected if k in got)
    for g, e in parts:
        if h := type_hint(g, e):
            return h
    if type(expected) is float and type(got) is not float:
        return "return a Python float: float(...) or .item() turns a tensor or NumPy number into one."
    if type(expected) is int and type(got) is not int:
        return "return a Python int: int(...) turns a tensor, a NumPy number or a whole float into one."
    return None


def assert_matches(got: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6, where: str = "result") -> None:
    """Assert ``got`` equals ``expected``: same kind (exactly ``torch.Tensor``, NumPy array,
    the same named tuple, sequence, dict, Python int/float/bool), same shape and dtype,
    values within ``rtol``/``atol``. Raises ``AssertionError`` with a message a learner can
    act on. Never calls methods of ``got`` that a subclass could override."""
    if isinstance(expected, torch.Tensor):
        if type(got) is not torch.Tensor:
            raise AssertionError(f"{where}: expected a {_describe(expected)}, got {_describe(got)}")
        if tuple(got.shape) != tuple(expected.shape):
            raise AssertionError(f"{where}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}")
        if got.dtype != expected.dtype:
            raise AssertionError(f"{where}: expected dtype {expected.dtype}, got {got.dtype}")
        g, e = got.detach().cpu(), expected.detach().cpu()
        if e.dtype.is_floating_point or e.dtype.is_complex:
            if not torch.allclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
                err = (g - e).abs().nan_to_num(nan=float("inf"))
                idx = tuple(int(i) for i in np.unravel_index(int(err.argmax()), tuple(e.shape))) if e.numel() else ()
                raise AssertionError(f"{where}: values differ; largest difference {float(err.max()):.3g} at index {idx}: "
                                     f"expected {float(e[idx]):.6g}, got {float(g[idx]):.6g}")
        elif not torch.equal(g, e):
            bad = int((g != e).sum())
            raise AssertionError(f"{where}: {bad} of {e.numel()} entries differ (first expected {e.flatten()[:8].tolist()}, got {g.flatten()[:8].tolist()})")
        return
    if isinstance(expected, np.ndarray):
        if type(got) is not np.ndarray:
            raise AssertionError(f"{where}: expected a NumPy {_describe(expected)}, got {_describe(got)}")
        if got.dtype.kind not in "biufc":
            raise AssertionError(f"{where}: expected a numeric NumPy array, got dtype {got.dtype}")
        assert_matches(torch.from_numpy(np.ascontiguousarray(got)), torch.from_numpy(np.ascontiguousarray(expected)), rtol, atol, where)
        return
    if isinstance(expected, dict):
        if type(got) is not dict or set(got) != set(expected):
            raise AssertionError(f"{where}: expected a dict with keys {sorted(expected)}, got {_describe(got)}")
        for k in expected:
            assert_matches(got[k], expected[k], rtol, atol, f"{where}[{k!r}]")
        return
    if isinstance(expected, tuple) and hasattr(expected, "_fields"):
        name = type(expected).__name__
        if getattr(got, "_fields", None) != expected._fields or not isinstance(got, tuple):
            raise AssertionError(f"{where}: expected a {name} (a named tuple with fields {', '.join(expected._fields)}), "
                                 f"got {_describe(got)}. Later cells read its fields by name.")
        for f, g, e in zip(expected._fields, got, expected):
            assert_matches(g, e, rtol, atol, f"{where}.{f}")
        return
    if isinstance(expected, (tuple, list)):
        if type(got) not in (tuple, list) and not (isinstance(got, tuple) and hasattr(got, "_fields")) or len(got) != len(expected):
            raise AssertionError(f"{where}: expected a {type(expected).__name__} of {len(expected)} items, got {_describe(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_matches(g, e, rtol, atol, f"{where}[{i}]")
        return
    if type(expected) is int:
        if type(got) is not int or got != expected:
            raise AssertionError(f"{where}: expected the Python int {expected!r}, got {_describe(got)}")
        return
    if isinstance(expected, (float, np.floating)):
        if type(got) is not float:
            raise AssertionError(f"{where}: expected the Python float {float(expected):.6g}, got {_describe(got)}")
        if not np.isclose(got, float(expected), rtol=rtol, atol=atol, equal_nan=True):
            raise AssertionError(f"{where}: expected {float(expected):.6g}, got {_describe(got)}")
        return
    if type(got) is not type(expected) or got != expected:  # bool, str, None, ...: same type, equal
        raise AssertionError(f"{where}: expected {expected!r}, got {_describe(got)}")


def _module_state(m: torch.nn.Module) -> dict[str, Any]:
    return {
        "tensors": {k: v.detach().clone() for k, v in m.state_dict(keep_vars=True).items()},
        "requires_grad": {k: p.requires_grad for k, p in m.named_parameters()},
        "training": {k: sub.training for k, sub in m.named_modules()},
    }


def first_difference(a: Any, b: Any, where: str) -> str | None:
    """Where argument structures ``a`` (after the call) and ``b`` (a copy from before)
    differ: a tensor changed in place, a module's parameters, buffers, requires_grad flags
    or train/eval mode; else None."""
    if isinstance(a, torch.nn.Module) and isinstance(b, torch.nn.Module):
        sa, sb = _module_state(a), _module_state(b)
        for k, flag in sb["requires_grad"].items():
            if sa["requires_grad"].get(k) != flag:
                return f"{where}'s parameter {k} had requires_grad={flag}, now {sa['requires_grad'].get(k)}"
        for k, mode in sb["training"].items():
            if sa["training"].get(k) != mode:
                return f"{where}'s module {k or '(top)'} was in {'train' if mode else 'eval'} mode, now it is not"
        if set(sa["tensors"]) != set(sb["tensors"]):
            return f"{where}'s parameters or buffers were added or removed"
        for k, v in sb["tensors"].items():
            if first_difference(sa["tensors"][k], v, "") is not None:
                return f"{where}'s parameter or buffer {k} was modified"
        return None
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            return f"{where} was modified in place"
        same = torch.equal(torch.nan_to_num(a.detach()), torch.nan_to_num(b.detach())) if a.is_floating_point() else torch.equal(a, b)
        return None if same else f"{where} was modified in place"
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return None if a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f") else f"{where} was modified in place"
    if type(b) in (bool, int, float, str) and where != "argument":
        # an element of a list or dict argument (a Python scalar itself cannot be changed):
        # a list sorted or overwritten in place is a change the caller sees
        same = type(a) is type(b) and (a == b or (type(b) is float and a != a and b != b))
        return None if same else f"{where} was changed in place (was {b!r}, now {a!r})"
    parts: Iterable[tuple[Any, Any, str]] = ()
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return f"{where} changed length"
        parts = ((x, y, f"{where}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
    if isinstance(a, dict) and isinstance(b, dict):
        parts = ((a.get(k), b[k], f"{where}[{k!r}]") for k in b)
    for x, y, part in parts:
        if d := first_difference(x, y, part):
            return d
    return None  # anything else, e.g. a torch.Generator the case hands over: drawing from it is its purpose
