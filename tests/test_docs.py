"""Each function or class a lesson imports from the lesson library says which lesson teaches
it ("Taught in lesson 08."), read from the solution notebooks' own imports (issue 25)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

from test_structure import TOOLS as STRUCTURE_TOOLS

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
#: The tool layer: not lesson code, so not held to the rule.
TOOLS = (*STRUCTURE_TOOLS, "maelearn.exercises")
TAUGHT = re.compile(r"Taught in lessons? (\d\d(?:(?:, | and |/)\d\d)*)")


def lesson_imports() -> dict[tuple[str, str], set[int]]:
    """(module, name) -> the lessons whose solution imports it (or calls ``maelearn.name``)."""
    out: dict[tuple[str, str], set[int]] = {}
    for path in sorted(SOLUTIONS.glob("[0-9][0-9]_*.py")):
        lesson = int(path.name[:2])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("maelearn"):
                pairs = [(node.module, a.name) for a in node.names]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "maelearn":
                pairs = [("maelearn", node.attr)]
            else:
                continue
            for module, name in pairs:
                if not f"{module}.{name}".startswith(TOOLS):
                    out.setdefault((module, name), set()).add(lesson)
    return out


def taught_objects() -> list[tuple[str, object, set[int]]]:
    """(dotted name, the function or class, the lessons importing it under any name) for
    every function and class the lessons import."""
    found: dict[int, tuple[str, object, set[int]]] = {}
    for (module, name), lessons in sorted(lesson_imports().items()):
        obj = inspect.unwrap(getattr(importlib.import_module(module), name))
        if (inspect.isfunction(obj) or inspect.isclass(obj)):
            found.setdefault(id(obj), (f"{obj.__module__}.{obj.__qualname__}", obj, set()))[2].update(lessons)
    return sorted(found.values(), key=lambda t: t[0])


def test_the_lessons_import_library_functions():
    names = {name for name, _, _ in taught_objects()}
    assert {"maelearn.mae.build_mae", "maelearn.train.TrainConfig", "maelearn.config.seed_everything"} <= names


def test_every_function_a_lesson_imports_names_the_lesson_that_teaches_it():
    wrong = []
    for name, obj, lessons in taught_objects():
        match = TAUGHT.search(inspect.getdoc(obj) or "")
        named = {int(n) for n in re.findall(r"\d\d", match.group(1))} if match else set()
        if not named or not named <= lessons:
            wrong.append(f"{name}: says {sorted(named)}, imported by lessons {sorted(lessons)}")
    assert not wrong, "\n".join(wrong)
