"""Grade submitted notebooks: ``python -m maelearn.grade NOTEBOOK... [--csv F] [--json F]``.

Each notebook runs headless in grading mode (``check(...)`` only hands the function in);
then each handed-in function is tested in a fresh process against the grader's own
reference (:func:`maelearn.exercises.worker.grade_submission`), so nothing the notebook does
takes part in the verdict. One row per submission, one column per exercise: ``pass``,
``FAIL``, ``not attempted``, ``tampered`` or ``missing`` (the worst of several hand-ins).
The exit status is 0 only when every exercise of every submission passed.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from maelearn import cli
from maelearn.exercises import ENV_GRADE_DIR, get, grader_modules, lesson_exercises
from maelearn.exercises.worker import FAIL, MISSING, NOT_ATTEMPTED, PASS, TAMPERED, grade_submission

CHECK_CALL = re.compile(r"""check\(\s*["'](\d\d\.\d+)["']""")
LESSON_FILE = re.compile(r"^(\d\d)_")
SUBMISSION_FILE = re.compile(r"^(\d+)-(\d\d\.\d+)\.(pkl|err)$")
SEVERITY = {PASS: 0, NOT_ATTEMPTED: 1, MISSING: 2, FAIL: 3, TAMPERED: 4}


@dataclass
class Submission:
    """The verdicts of one notebook."""

    path: Path
    results: dict[str, str] = field(default_factory=dict)  # exercise id -> status
    details: dict[str, str] = field(default_factory=dict)
    error: str = ""

    @property
    def student(self) -> str:
        """The submission's name: its folder when notebooks are collected one folder per
        student (``alice/08_mae.ipynb``), else the file name."""
        parent = self.path.parent.name
        return f"{parent}/{self.path.stem}" if parent not in ("", ".", "lessons", "solutions") else self.path.stem

    @property
    def score(self) -> tuple[int, int]:
        return sum(v == PASS for v in self.results.values()), len(self.results)


def expected_exercises(nb, path: Path | None = None) -> list[str]:
    """The exercise ids a notebook must hand in: its ``check("NN.k", ...)`` calls in order,
    then every other exercise of the lessons those calls and the file name (``NN_*``)
    belong to, so a deleted check cell still counts."""
    calls = [ex_id for cell in nb.cells if cell.cell_type == "code" for ex_id in CHECK_CALL.findall(cell.source)]
    ids = list(dict.fromkeys(calls))
    lessons = {i.split(".")[0] for i in ids}
    match = LESSON_FILE.match(path.name) if path is not None else None
    if match:
        lessons.add(match.group(1))
    for lesson in sorted(lessons & grader_modules().keys()):
        ids += [e.id for e in lesson_exercises(lesson) if e.id not in ids]
    return ids


def _handed_in(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """Grade every function the notebook handed in: exercise id -> [(status, detail)]."""
    verdicts: dict[str, list[tuple[str, str]]] = {}
    files = sorted((int(m.group(1)), m.group(2), p) for p in folder.glob("*") if (m := SUBMISSION_FILE.match(p.name)))
    for _, ex_id, p in files:
        if ex_id.split(".")[0] not in grader_modules():
            continue
        try:
            if p.suffix == ".err":
                verdict = (FAIL, p.read_text(encoding="utf-8", errors="replace")[:2000])
            else:
                verdict = grade_submission(ex_id, p.read_bytes())
        except KeyError:  # an id no lesson defines
            continue
        except Exception as err:  # the grader's own failure must not stop the others
            verdict = (FAIL, f"the grader could not grade this submission ({type(err).__name__}: {err})")
        verdicts.setdefault(ex_id, []).append(verdict)
    return verdicts


#: ipykernel warns at every start ("Kernel is running over TCP without encryption", to the
#: terminal it inherits): noise in the instructor's output. Kernel errors still print.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


def grade_notebook(path: Path, timeout: int = 600, cell_timeout: int = 300) -> Submission:
    """Execute one notebook in grading mode, then grade what it handed in."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    sub = Submission(path)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as err:  # unreadable file: every exercise of the lesson its name gives missing
        sub.error = f"cannot read notebook: {err}"
        sub.results = dict.fromkeys(expected_exercises(nbformat.v4.new_notebook(), path), MISSING)
        return sub
    ids = expected_exercises(nb, path)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "handed_in"
        folder.mkdir()
        try:
            client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
                                    extra_arguments=KERNEL_ARGS, resources={"metadata": {"path": str(path.resolve().parent)}})
            client.execute(env={**os.environ, ENV_GRADE_DIR: str(folder)})  # the kernel's, not ours
        except Exception as err:  # a kernel death ends the run; grade what was handed in
            sub.error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        verdicts = _handed_in(folder)
    for ex_id, found in verdicts.items():
        status, detail = max(found, key=lambda v: SEVERITY[v[0]])
        sub.results[ex_id] = status
        if detail:
            sub.details[ex_id] = detail
    for ex_id in ids:
        if ex_id not in sub.results:
            sub.results[ex_id] = MISSING
            sub.details[ex_id] = "never handed in: the check cell did not run (deleted, crashed before it, or check was replaced)"
    sub.results = dict(sorted(sub.results.items()))
    if not sub.results and not sub.error:  # 0/0 would read as a score
        sub.error = ("no exercise to grade: the file name names no lesson (NN_name.ipynb) and no check cell "
                     "handed one in")
    return sub


def _title(ex_id: str) -> str:
    try:
        return get(ex_id).title
    except KeyError:  # a forged hand-in of an id no lesson defines
        return "?"


def table(subs: list[Submission]) -> str:
    """A plain-text score table: one row per submission, one column per exercise."""
    ids = sorted({i for s in subs for i in s.results})
    head = ["student", *ids, "score"]
    rows = [[s.student, *(s.results.get(i, "") for i in ids), "{}/{}".format(*s.score)] for s in subs]
    widths = [max(len(str(r[c])) for r in [head, *rows]) for c in range(len(head))]
    fmt = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths))  # noqa: E731
    lines = [fmt(head), fmt(["-" * w for w in widths]), *map(fmt, rows)]
    legend = [f"  {i}: {_title(i)}" for i in ids]
    errors = [f"  {s.student}: {s.error}" for s in subs if s.error]
    return "\n".join(lines + (["", "exercises:", *legend] if legend else []) + (["", "errors:", *errors] if errors else []))


def write_csv(subs: list[Submission], path: Path) -> None:
    ids = sorted({i for s in subs for i in s.results})
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "notebook", *ids, "passed", "total"])
        for s in subs:
            w.writerow([s.student, str(s.path), *(s.results.get(i, "") for i in ids), *s.score])


def write_json(subs: list[Submission], path: Path) -> None:
    data = [{"student": s.student, "notebook": str(s.path), "results": s.results, "details": s.details,
             "passed": s.score[0], "total": s.score[1], "error": s.error} for s in subs]
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


@cli.guarded("python -m maelearn.grade")
def main(argv: list[str] | None = None) -> int:
    """Grade the notebooks; 0 when everything passed, 1 when some exercise did not, 2 for a
    usage error (one line on stderr)."""
    parser = cli.ArgumentParser(prog="python -m maelearn.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="submitted .ipynb files")
    parser.add_argument("--csv", type=Path, help="also write the table as CSV")
    parser.add_argument("--json", type=Path, help="also write results (with failure messages) as JSON")
    parser.add_argument("--cell-timeout", type=int, default=300, help="seconds a cell may run (default 300)")
    args = parser.parse_args(argv)
    if args.cell_timeout < 1:
        raise cli.UsageError(f"--cell-timeout {args.cell_timeout}: expected a whole number of seconds >= 1")
    for p in args.notebooks:  # every input and output checked before the first notebook runs
        if p.is_dir():
            raise cli.UsageError(f"{p} is a folder; expected .ipynb files (e.g. {p}/*.ipynb)")
        if not p.is_file():
            raise cli.UsageError(f"no such notebook: {p} (expected .ipynb files)")
        if p.suffix != ".ipynb":
            raise cli.UsageError(f"{p} is not a notebook (expected a .ipynb file)")
    for flag, out in (("--csv", args.csv), ("--json", args.json)):
        if out is not None:
            cli.check_output_file(out, flag, f"scores{flag.replace('--', '.')}")
    subs = []
    for path in args.notebooks:
        print(f"grading {path} ...", file=sys.stderr, flush=True)
        subs.append(grade_notebook(path, cell_timeout=args.cell_timeout))
    print(table(subs))
    if args.csv:
        write_csv(subs, args.csv)
    if args.json:
        write_json(subs, args.json)
    all_passed = all(s.results and all(v == PASS for v in s.results.values()) and not s.error for s in subs)
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
