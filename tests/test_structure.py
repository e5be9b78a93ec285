"""The shape of the lesson library: which of its modules import which (issue 25).

Every ``import`` of a ``maelearn`` module is read with ``ast``, inside functions too, so a
cycle cannot hide behind a deferred import. The tool layer (experiments, benchmark, course
build and site) lives in the package but outside the lesson library's import graph: it
imports the library, never the other way round."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "maelearn"
#: The tool layer: experiments, benchmark, course build and site, and the command lines (``python
#: -m maelearn``, ``python -m maelearn.interop``, ``python -m maelearn.grade`` with its grading worker,
#: and their helpers).
TOOLS = ("maelearn.experiments", "maelearn.bench", "maelearn.website", "maelearn.course", "maelearn.__main__",
         "maelearn.interop.__main__", "maelearn.grade", "maelearn.exercises.worker", "maelearn.cli", "maelearn.runs")

#: Edges allowed to close a cycle, each with the reason it is still there. Remove an entry
#: when its reason goes; add none.
ALLOWED_CYCLE_EDGES: dict[tuple[str, str], str] = {}
#: Import statements of maelearn modules inside functions of the library: this number may
#: only go down.
MAX_FUNCTION_LEVEL_IMPORTS = 0  # the whole package, tool layer included
#: Lines of the lesson library's modules, graders included (issue 25's target).
MAX_LIBRARY_LINES = 10_000


def package_modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The maelearn modules (of ``known``) an import statement of ``module`` loads, beyond
    the packages it implicitly passes through."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            here = module.split(".") if is_package else module.split(".")[:-1]
            here = here[: len(here) - (node.level - 1)]
            base = ".".join(here + ([node.module] if node.module else []))
        names = [f"{base}.{a.name}" for a in node.names] + [base]
    found = set()
    for name in names:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name.startswith("maelearn") and name != module:
            found.add(name)
    # `from maelearn.x import y` names maelearn.x too; keep only the deepest module per statement
    return {m for m in found if not any(o != m and o.startswith(m + ".") for o in found)}


def import_graph() -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """(library module -> maelearn modules it imports, [(module, line, imported)] for the
    imports inside functions)."""
    known = package_modules()
    modules = known
    edges: dict[str, set[str]] = {m: set() for m in modules}
    deferred: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, module: str, is_package: bool, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in imported_modules(child, module, is_package, set(known)):
                    edges[module].add(target)
                    if in_function:
                        deferred.append((module, child.lineno, target))
            visit(child, module, is_package, inside)

    for module, path in modules.items():
        visit(ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py", False)
    return edges, deferred


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return out


def test_the_graph_sees_imports_inside_functions(tmp_path, monkeypatch):
    edges, _ = import_graph()
    assert "maelearn.vit" in edges["maelearn.mae"] and "maelearn.mae" in edges["maelearn.video"]
    package = tmp_path / "maelearn"
    package.mkdir()
    (package / "a.py").write_text("def f():\n    from maelearn import b\n")
    (package / "b.py").write_text("")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    assert import_graph()[1] == [("maelearn.a", 2, "maelearn.b")]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_lesson_library_has_no_import_cycles():
    edges, _ = import_graph()
    for a, b in ALLOWED_CYCLE_EDGES:
        edges[a].discard(b)
    assert cycles(edges) == []


def test_the_library_never_imports_the_tool_layer():
    edges, _ = import_graph()
    wrong = {m: sorted(t for t in targets if t.startswith(TOOLS)) for m, targets in edges.items() if not m.startswith(TOOLS)}
    assert {m: t for m, t in wrong.items() if t} == {}


def test_function_level_imports_of_the_library_only_go_down():
    _, deferred = import_graph()
    statements = {(m, line) for m, line, _ in deferred}
    listed = "\n".join(f"{m}:{line} imports {t}" for m, line, t in deferred)
    assert len(statements) <= MAX_FUNCTION_LEVEL_IMPORTS, listed


def test_the_lesson_library_stays_small():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in package_modules().items()
             if not m.startswith(TOOLS)}
    largest = sorted(sizes.items(), key=lambda kv: -kv[1])[:8]
    assert sum(sizes.values()) <= MAX_LIBRARY_LINES, f"{sum(sizes.values())} lines; largest: {largest}"
