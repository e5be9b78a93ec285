"""Grade submitted notebooks: ``python -m maelearn.grade NOTEBOOK... [--csv F] [--json F]``.

Each notebook is executed headless (nbclient, a fresh kernel, its own folder as the working
directory) in grading mode: every ``check(...)`` cell records its verdict, a wrong or
missing exercise is replaced by the reference so later exercises are still graded, and a
cell that crashes does not stop the run. The table has one row per submission and one
column per exercise of the lessons it contains: ``pass``, ``FAIL``, ``not attempted``, or
``missing`` (the check never ran: the notebook crashed before it, or the cell was deleted).

The exit status is 0 only when every exercise of every submission passed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from maelearn.exercises import ENV_REPORT, ENV_STRICT, all_exercises

CHECK_CALL = re.compile(r"""check\(\s*["'](\d\d\.\d+)["']""")
PASS, FAIL, NOT_ATTEMPTED, MISSING = "pass", "FAIL", "not attempted", "missing"


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


def expected_exercises(nb) -> list[str]:
    """The exercise ids a notebook checks, in order, from its ``check("NN.k", ...)`` calls."""
    ids: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            for ex_id in CHECK_CALL.findall(cell.source):
                if ex_id not in ids:
                    ids.append(ex_id)
    return ids


def grade_notebook(path: Path, timeout: int = 600, cell_timeout: int = 300) -> Submission:
    """Execute one notebook in grading mode and collect its verdicts."""
    import nbformat
    from nbclient import NotebookClient

    sub = Submission(Path(path))
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as err:  # unreadable file: every exercise missing
        sub.error = f"cannot read notebook: {err}"
        return sub
    ids = expected_exercises(nb)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.jsonl"
        env_before = {k: os.environ.get(k) for k in (ENV_REPORT, ENV_STRICT)}
        os.environ[ENV_REPORT] = str(report)
        os.environ[ENV_STRICT] = "1"
        try:
            client = NotebookClient(
                nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                resources={"metadata": {"path": str(Path(path).resolve().parent)}},
            )
            client.execute()
        except Exception as err:  # a kernel death or time-out ends the run; grade what ran
            sub.error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        finally:
            for k, v in env_before.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        records = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    status_of = {"passed": PASS, "failed": FAIL, "not attempted": NOT_ATTEMPTED}
    for rec in records:
        sub.results[rec["id"]] = status_of[rec["status"]]
        if rec.get("detail"):
            sub.details[rec["id"]] = rec["detail"]
    for ex_id in ids:
        sub.results.setdefault(ex_id, MISSING)
    sub.results = dict(sorted(sub.results.items()))
    return sub


def table(subs: list[Submission]) -> str:
    """A plain-text score table: one row per submission, one column per exercise."""
    ids = sorted({i for s in subs for i in s.results})
    titles = {e.id: e.title for e in all_exercises()}
    head = ["student", *ids, "score"]
    rows = [[s.student, *(s.results.get(i, "") for i in ids), "{}/{}".format(*s.score)] for s in subs]
    widths = [max(len(str(r[c])) for r in [head, *rows]) for c in range(len(head))]
    fmt = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths))  # noqa: E731
    lines = [fmt(head), fmt(["-" * w for w in widths]), *map(fmt, rows)]
    legend = [f"  {i}: {titles.get(i, '?')}" for i in ids]
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
    data = [
        {"student": s.student, "notebook": str(s.path), "results": s.results, "details": s.details,
         "passed": s.score[0], "total": s.score[1], "error": s.error}
        for s in subs
    ]
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maelearn.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="submitted .ipynb files")
    parser.add_argument("--csv", type=Path, help="also write the table as CSV")
    parser.add_argument("--json", type=Path, help="also write results (with failure messages) as JSON")
    parser.add_argument("--cell-timeout", type=int, default=300, help="seconds a cell may run (default 300)")
    args = parser.parse_args(argv)
    missing = [p for p in args.notebooks if not p.exists()]
    if missing:
        parser.error(f"no such notebook: {', '.join(map(str, missing))}")
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
