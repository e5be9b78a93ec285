"""Grading handed-in functions (for :mod:`maelearn.grade`) in a process out of the student's reach.

``python -m maelearn.exercises.worker ID`` (:func:`main`) builds the exercise's cases itself,
replaces the reference and ``Exercise.forbidden`` by tripwires, rejects a function that is
(a copy of) one of them, runs every case under a time limit and sends back only data.
:func:`grade_submission`, in the grader's process, computes the expected answers, kills the
worker past a case's limit, loads each answer with ``torch.load(weights_only=True)`` and
judges it with the exercise's comparison and hints.
"""

from __future__ import annotations

import io
import os
import queue
import struct
import subprocess
import sys
import threading
import types
from typing import Any, Callable

import numpy as np
import torch

from maelearn.exercises.framework import (
    Exercise,
    ExerciseFailed,
    StudentError,
    get,
    is_stub_error,
    preserved_global_state,
    run_case,
)

PASS, FAIL, NOT_ATTEMPTED, TAMPERED, MISSING = "pass", "FAIL", "not attempted", "tampered", "missing"
WIRE = "__wire__"
STARTUP_SECONDS = 120.0  # importing torch on a busy machine
SLACK_SECONDS = 10.0  # beyond an exercise's own limit, before the worker is killed


# --- Answers as plain data -------------------------------------------------------------


def to_wire(x: Any) -> Any:
    """What ``x`` is, as data that ``torch.load(weights_only=True)`` reads back."""
    if type(x) is torch.Tensor:
        return x.detach().cpu().clone()
    if isinstance(x, torch.Tensor):
        return {WIRE: "object", "type": f"{type(x).__name__} (a tensor subclass)"}
    if type(x) is np.ndarray and x.dtype.kind in "biufc":
        return {WIRE: "ndarray", "data": torch.from_numpy(np.ascontiguousarray(x).copy())}
    if isinstance(x, np.generic) and x.dtype.kind in "biufc":
        return {WIRE: "npscalar", "dtype": str(x.dtype), "value": x.item()}
    if x is None or type(x) in (bool, int, float, str):
        return x
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return {WIRE: "namedtuple", "type": type(x).__name__, "fields": list(x._fields), "values": [to_wire(v) for v in x]}
    if type(x) is tuple:
        return {WIRE: "tuple", "items": [to_wire(v) for v in x]}
    if type(x) is list:
        return [to_wire(v) for v in x]
    if type(x) is dict and all(type(k) in (str, int) for k in x):
        return {WIRE: "dict", "items": [[k, to_wire(v)] for k, v in x.items()]}
    return {WIRE: "object", "type": type(x).__name__}


class Foreign:
    """An answer that was neither a tensor, an array, a number nor a container of them."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<a {self.type_name}>"


def from_wire(x: Any, expected: Any = None) -> Any:
    """Rebuild an answer from :func:`to_wire`'s data; named tuples take the expected
    answer's class when their name and fields match."""
    if isinstance(x, list):
        exp = expected if isinstance(expected, (list, tuple)) else []
        return [from_wire(v, exp[i] if i < len(exp) else None) for i, v in enumerate(x)]
    if not isinstance(x, dict) or WIRE not in x:
        return x
    kind = x[WIRE]
    if kind == "ndarray":
        return x["data"].numpy()
    if kind == "npscalar":
        return np.dtype(x["dtype"]).type(x["value"])
    if kind == "tuple":
        exp = expected if isinstance(expected, (list, tuple)) else ()
        return tuple(from_wire(v, exp[i] if i < len(exp) else None) for i, v in enumerate(x["items"]))
    if kind == "dict":
        exp = expected if isinstance(expected, dict) else {}
        return {k: from_wire(v, exp.get(k)) for k, v in x["items"]}
    if kind == "namedtuple":
        values = [from_wire(v, None) for v in x["values"]]
        cls = type(expected)
        if isinstance(expected, tuple) and cls.__name__ == x["type"] and list(getattr(expected, "_fields", [])) == x["fields"]:
            return cls(*values)
        return types.new_class(x["type"], (tuple,), {}, lambda ns: ns.update(_fields=tuple(x["fields"])))(values)
    return Foreign(str(x.get("type", "object")))


# --- The worker process ----------------------------------------------------------------


class Tampered(BaseException):
    """The function under test called a library function that computes the answer."""


def _send(out, message: dict) -> None:
    buf = io.BytesIO()
    torch.save(message, buf)
    data = buf.getvalue()
    out.write(struct.pack("<Q", len(data)) + data)
    out.flush()


def _install_tripwires(ex: Exercise, tripped: list[str]) -> dict[int, str]:
    """Replace the reference and ``ex.forbidden`` wherever the library binds them (module
    globals, class attributes, the registry) by functions that record the call and raise.
    Returns id(tripwire) -> name, so a submission that *is* one is recognised."""
    targets = [ex.reference, *ex.forbidden]
    names = {id(f): f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', repr(f))}" for f in targets}
    wires: dict[int, Callable] = {}
    for f in targets:
        name = names[id(f)]

        def wire(*args, __name=name, **kwargs):
            tripped.append(__name)
            raise Tampered(__name)

        wires[id(f)] = wire
    for module in [m for n, m in list(sys.modules.items()) if n.startswith("maelearn") and m is not None]:
        for attr, value in list(vars(module).items()):
            if id(value) in wires:
                setattr(module, attr, wires[id(value)])
            elif isinstance(value, type) and value.__module__.startswith("maelearn"):
                for cattr, cvalue in list(vars(value).items()):
                    if id(cvalue) in wires:
                        setattr(value, cattr, wires[id(cvalue)])
    ex.reference = wires[id(ex.reference)]
    return {id(w): names[k] for k, w in wires.items()}


def _identity_problem(fn: Any, codes: list[types.CodeType | None], wires: dict[int, str]) -> str | None:
    """Why ``fn`` is not the learner's own function, or None. ``codes``: the reference's and
    the forbidden functions' code objects, taken before the tripwires replaced them."""
    if id(fn) in wires:
        return f"the submission is the library's {wires[id(fn)]}, not your own function"
    if not isinstance(fn, types.FunctionType):
        return f"the submission is a {type(fn).__name__}, not a function defined in the notebook"
    module = getattr(fn, "__module__", "") or ""
    if module.startswith("maelearn"):
        return f"the submission is the library function {module}.{fn.__qualname__}, not your own"
    if any(c is not None and fn.__code__ == c for c in codes):
        return "the submission is a copy of the library's reference implementation"
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m maelearn.exercises.worker ID``: the submission's bytes on stdin, framed
    ``torch.save`` messages on stdout (the student's prints go to stderr)."""
    ex_id = (sys.argv[1:] if argv is None else argv)[0]
    data = sys.stdin.buffer.read()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    torch.set_num_threads(1)
    ex = get(ex_id)
    with preserved_global_state():
        cases = list(ex.cases())
    tripped: list[str] = []
    codes = [getattr(f, "__code__", None) for f in (ex.reference, *ex.forbidden)]
    wires = _install_tripwires(ex, tripped)
    try:
        import cloudpickle

        fn = cloudpickle.loads(data)
    except BaseException as err:  # noqa: BLE001 - a broken or hostile file
        _send(out, {"kind": "error", "detail": f"the handed-in function could not be loaded ({type(err).__name__}: {err})"})
        return 0
    problem = _identity_problem(fn, codes, wires)
    if problem is not None or tripped:
        _send(out, {"kind": "tampered", "detail": problem or f"loading the submission called {tripped[0]}"})
        return 0
    _send(out, {"kind": "start", "cases": len(cases)})
    for i, case in enumerate(cases):
        message: dict[str, Any] = {"kind": "case", "index": i}
        try:
            got = run_case(ex, fn, case)
            message.update(status="ok", value=to_wire(got))
        except NotImplementedError as err:
            message.update(status="stub" if is_stub_error(err) else "error", detail=str(err))
        except StudentError as err:
            message.update(status="error", detail=str(err))
        except Tampered:
            pass
        except BaseException as err:  # noqa: BLE001 - SystemExit, KeyboardInterrupt from student code
            message.update(status="error", detail=f"your function raised {type(err).__name__}: {err}")
        if tripped:
            message.update(status="tampered", detail=f"your function called the library's {tripped[0]}, which computes the answer")
        _send(out, message)
        if message["status"] != "ok":
            break
    _send(out, {"kind": "done"})
    return 0


# --- The grader's side -----------------------------------------------------------------


def _reader(stream, q: queue.Queue) -> None:
    while True:
        head = stream.read(8)
        if len(head) < 8:
            q.put(None)
            return
        (n,) = struct.unpack("<Q", head)
        body = stream.read(n)
        if len(body) < n:
            q.put(None)
            return
        try:
            q.put(torch.load(io.BytesIO(body), weights_only=True))
        except Exception as err:  # not plain data: a subclass, a hostile object
            q.put({"kind": "unreadable", "detail": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"})


def grade_submission(ex_id: str, data: bytes, python: str | None = None) -> tuple[str, str]:
    """Grade one handed-in function (``cloudpickle`` bytes) for exercise ``ex_id`` in a fresh
    worker process. Returns (status, detail) with status one of ``pass``, ``FAIL``,
    ``not attempted``, ``tampered``."""
    ex = get(ex_id)
    with preserved_global_state():
        cases = list(ex.cases())
        expected = [ex.expected(c) for c in cases]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAELEARN_GRADE")}
    env.setdefault("OMP_NUM_THREADS", "1")
    proc = subprocess.Popen([python or sys.executable, "-m", "maelearn.exercises.worker", ex_id],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    q: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stdout, q), daemon=True).start()
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except BrokenPipeError:
        pass

    def receive(seconds: float) -> dict | None:
        try:
            return q.get(timeout=seconds)
        except queue.Empty:
            return {"kind": "timeout"}

    try:
        msg = receive(STARTUP_SECONDS)
        if msg is None or msg.get("kind") in ("timeout", "unreadable"):
            return FAIL, "the grader could not start your function" + (f": {msg['detail']}" if msg and "detail" in msg else "")
        if msg["kind"] == "tampered":
            return TAMPERED, f"Exercise {ex.id} ({ex.title}): {msg['detail']}"
        if msg["kind"] == "error":
            return FAIL, f"Exercise {ex.id} ({ex.title}): {msg['detail']}"
        for i, case in enumerate(cases):
            msg = receive(ex.timeout + SLACK_SECONDS)
            if msg is None:
                return FAIL, str(ex.fail(case, "your function ended the grading process (os._exit, a crash or running out of memory)"))
            kind = msg.get("kind")
            if kind == "timeout":
                return FAIL, str(ex.fail(case, f"your function did not return within {ex.timeout:g} s (it was stopped)."))
            if kind == "unreadable":
                return FAIL, str(ex.fail(case, f"your function returned something that is not plain data ({msg['detail']}); "
                                                "return plain tensors, arrays, numbers, tuples or dicts."))
            if kind != "case" or msg.get("index") != i:
                return FAIL, str(ex.fail(case, "the grading process answered out of order"))
            status = msg.get("status")
            if status == "stub":
                return NOT_ATTEMPTED, f"Exercise {ex.id} ({ex.title}) was not attempted."
            if status == "tampered":
                return TAMPERED, str(ex.fail(case, msg.get("detail", "")))
            if status != "ok":
                return FAIL, str(ex.fail(case, msg.get("detail", "")))
            try:
                ex.judge(case, from_wire(msg["value"], expected[i]), expected[i])
            except ExerciseFailed as err:
                return FAIL, str(err)
        return PASS, ""
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


if __name__ == "__main__":
    sys.exit(main())
