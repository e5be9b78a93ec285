"""The instructor's grading command scores submissions exactly, and no trick a student can
play inside the notebook earns a pass (issue 13, "Grading integrity")."""

import json
import types  # noqa: F401 - used by answers built with eval below

import nbformat
import pytest

import maelearn.exercises as E  # noqa: F401 - used by answers built with eval below
from maelearn import grade
from maelearn.course import ROOT
from maelearn.exercises import lesson_exercises
from maelearn.exercises.worker import grade_submission

RIGHT_00_1 = "return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0"
WRONG_00_2 = "return float((logits.argmax(dim=1) == labels).sum())  # a count, not a fraction"
RIGHT_00_1_CELL = f"def to_float_images(images):\n    {RIGHT_00_1}\n\nto_float_images = check('00.1', to_float_images)"
RIGHT_00_2_CELL = ("def accuracy(logits, labels):\n    return (logits.argmax(dim=1) == labels).float().mean().item()\n\n"
                   "accuracy = check('00.2', accuracy)")


def _submission(tmp_path, student="alice"):
    """Lesson 00 as a student hands it in: 00.1 right, 00.2 wrong, plus 09.1 (from another
    lesson) left unattempted."""
    nb = nbformat.read(str(ROOT / "lessons" / "00_welcome.ipynb"), as_version=4)
    for cell in nb.cells:
        if 'NotImplementedError("Exercise 00.1' in cell.source:
            cell.source = cell.source.replace('raise NotImplementedError("Exercise 00.1: replace this line with your code")', RIGHT_00_1)
        if 'NotImplementedError("Exercise 00.2' in cell.source:
            cell.source = cell.source.replace('raise NotImplementedError("Exercise 00.2: replace this line with your code")', WRONG_00_2)
    nb.cells.append(nbformat.v4.new_code_cell(
        'def later(*args, **kwargs):\n    raise NotImplementedError("Exercise 09.1: replace this line with your code")\n\nlater = check("09.1", later)'
    ))
    folder = tmp_path / student
    folder.mkdir()
    path = folder / "00_welcome.ipynb"
    nbformat.write(nb, str(path))
    return path


def _notebook(folder, *cells, name="00_welcome.ipynb"):
    """A tiny generated notebook (kernel python3) in ``folder``."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, str(path))
    return path


HEAD = "import os, torch\nimport maelearn.exercises as E\nfrom maelearn.exercises import check"


def _kernel_children() -> list[int]:
    """Pids of this process's children that are Jupyter kernels (Linux /proc; [] elsewhere)."""
    import os
    from pathlib import Path

    found = []
    for d in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and b"ipykernel" in (d / "cmdline").read_bytes():
                found.append(int(d.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_grade_scores_right_wrong_unattempted_and_missing_exactly(tmp_path, capfd):
    path = _submission(tmp_path)
    csv_path, json_path = tmp_path / "scores.csv", tmp_path / "scores.json"
    status = grade.main([str(path), "--csv", str(csv_path), "--json", str(json_path)])
    # the notebook's kernel is gone: a kernel left behind holds the caller's output pipes open
    assert _kernel_children() == []
    out, err = capfd.readouterr()  # file-descriptor level: the kernel and the workers write there too
    # what an instructor reads, and nothing else: no kernel warning (TCP without encryption),
    # no library warning, no traceback from a worker
    assert err == f"grading {path} ...\n"
    assert out.splitlines()[0].split() == ["student", "00.1", "00.2", "09.1", "09.2", "score"]
    assert out.splitlines()[1].startswith("---")
    assert status == 1  # not everything passed
    data = json.loads(json_path.read_text())
    assert len(data) == 1
    assert data[0]["student"] == "alice/00_welcome"
    # 09.2 belongs to a lesson the notebook checks, so it counts: never handed in.
    assert data[0]["results"] == {"00.1": "pass", "00.2": "FAIL", "09.1": "not attempted", "09.2": "missing"}
    assert (data[0]["passed"], data[0]["total"]) == (1, 4)
    assert "expected 0.666667, got float 2.0" in data[0]["details"]["00.2"]
    assert "alice/00_welcome" in out and "1/4" in out
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("student,notebook,00.1,00.2,") and rows[1].endswith(",1,4")


def test_grade_marks_missing_checks_and_bad_files(tmp_path):
    path = _notebook(tmp_path, "raise SystemExit('student broke the notebook')",
                     'from maelearn.exercises import check\nf = check("00.1", lambda x: x)', name="broken.ipynb")
    sub = grade.grade_notebook(path)
    # later cells still run (allow_errors); 00.2 belongs to the same lesson: missing
    assert sub.results == {"00.1": "FAIL", "00.2": "missing"}
    bad = tmp_path / "00_bad.ipynb"
    bad.write_text("not json")
    sub = grade.grade_notebook(bad)
    assert sub.error.startswith("cannot read notebook") and sub.results == {"00.1": "missing", "00.2": "missing"}


def test_expected_exercises_counts_every_exercise_of_the_lesson():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('f = check("07.2", f)\ng = check( "07.1" , g)')])
    assert grade.expected_exercises(nb) == ["07.2", "07.1", "07.3"]
    from pathlib import Path

    empty = nbformat.v4.new_notebook(cells=[])
    assert grade.expected_exercises(empty, Path("00_welcome.ipynb")) == [e.id for e in lesson_exercises("00")]


def test_every_integrity_trick_scores_fail_or_tampered_and_exits_non_zero(tmp_path, capsys):
    """Each trick of issue 13 in a tiny generated lesson-00 notebook, graded in one run."""
    tricks = {
        # the reference imported from the library as the answer; the registry's reference called
        "library": _notebook(
            tmp_path / "library", HEAD,
            "from maelearn.exercises.l00_welcome import to_float_images\nto_float_images = check('00.1', to_float_images)",
            "def accuracy(logits, labels):\n    return E.get('00.2').reference(logits, labels)\n\naccuracy = check('00.2', accuracy)",
        ),
        # a wrong answer graded, then run_cases and check patched, then the reference handed in again
        "patching": _notebook(
            tmp_path / "patching", HEAD,
            f"{RIGHT_00_1_CELL}",
            "accuracy = check('00.2', lambda logits, labels: 0.5)",
            "E.Exercise.run_cases = lambda self, fn: 3\nE.framework.Exercise.judge = lambda *a: None\n"
            "accuracy = check('00.2', E.get('00.2').reference)",
        ),
        # a fake verdict and a fake submission file written into the grader's folder; a
        # tensor subclass whose allclose/equal always say True
        "forgery": _notebook(
            tmp_path / "forgery", HEAD,
            "folder = os.environ['MAELEARN_GRADE_DIR']\n"
            "open(os.path.join(folder, 'report.jsonl'), 'a').write('{\"id\": \"00.1\", \"status\": \"passed\"}\\n')\n"
            "open(os.path.join(folder, '1-00.1.pkl'), 'wb').write(b'passed')",
            "class Liar(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, func, types, args=(), kwargs=None):\n        return True\n\n"
            "accuracy = check('00.2', lambda logits, labels: torch.zeros(()).as_subclass(Liar))",
        ),
        # a cell that hangs swallowing every Exception (stopped at the cell time-out; the
        # rest still grades), a check cell deleted, and check redefined so nothing is handed in
        "deleted": _notebook(
            tmp_path / "deleted", HEAD,
            "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except Exception:\n        pass",
            f"{RIGHT_00_1_CELL}",
            "check = lambda ex_id, fn: fn\naccuracy = check('00.2', lambda logits, labels: 1.0)",
        ),
    }
    json_path = tmp_path / "scores.json"
    status = grade.main([str(p) for p in tricks.values()] + ["--json", str(json_path), "--cell-timeout", "40"])
    assert status != 0
    results = {d["student"].split("/")[0]: d["results"] for d in json.loads(json_path.read_text())}
    assert results["library"] == {"00.1": "tampered", "00.2": "tampered"}
    assert results["patching"] == {"00.1": "pass", "00.2": "tampered"}  # worst verdict wins
    assert results["forgery"] == {"00.1": "FAIL", "00.2": "FAIL"}
    assert results["deleted"] == {"00.1": "pass", "00.2": "missing"}
    out = capsys.readouterr().out
    assert "0/2" in out and "1/2" in out


def test_a_hang_that_swallows_every_exception_is_stopped(monkeypatch):
    """A bare ``except:`` survives any in-process time-out; the grader kills the worker."""
    import cloudpickle

    from maelearn.exercises import get
    from maelearn.exercises import worker

    def hangs(logits, labels):
        while True:
            try:
                pass
            except:  # noqa: E722
                pass

    monkeypatch.setattr(get("00.2"), "timeout", 0.5)
    monkeypatch.setattr(worker, "SLACK_SECONDS", 1.0)
    status, detail = grade_submission("00.2", cloudpickle.dumps(hangs))
    assert status == "FAIL" and "did not return within 0.5 s (it was stopped)" in detail


@pytest.mark.parametrize("answer, status", [
    ("lambda logits, labels: (logits.argmax(dim=1) == labels).float().mean().item()", "pass"),
    ("lambda logits, labels: E.get('00.2').reference(logits, labels)", "tampered"),
    # a fresh function built from the reference's code: not the reference object, the same code
    ("types.FunctionType(E.get('00.2').reference.__code__, {})", "tampered"),
])
def test_grade_submission_runs_the_function_out_of_process(answer, status):
    import cloudpickle

    assert grade_submission("00.2", cloudpickle.dumps(eval(answer)))[0] == status


def test_usage_errors_are_one_line_and_exit_2(tmp_path, capsys):
    assert grade.main([str(tmp_path / "nope.ipynb")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such notebook" in err[0] and "nope.ipynb" in err[0]


def test_inputs_and_outputs_are_checked_before_any_notebook_runs(tmp_path, capsys):
    nb = tmp_path / "00_welcome.ipynb"
    nb.write_text("{}")  # never executed: every refusal below comes first
    (tmp_path / "answers.py").write_text("x = 1\n")
    cases = [
        ([str(tmp_path / "answers.py")], ("answers.py", "not a notebook")),
        ([str(tmp_path)], (str(tmp_path), "is a folder")),
        ([str(nb), "--csv", str(tmp_path)], ("--csv", "is a folder")),
        ([str(nb), "--json", str(tmp_path / "no" / "s.json")], ("--json", "does not exist")),
    ]
    for args, needles in cases:
        assert grade.main(args) == 2, args
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and all(n in err[0] for n in needles), err
        assert "grading" not in captured.err + captured.out


def test_a_notebook_with_nothing_to_grade_says_so(tmp_path, capsys):
    import nbformat

    nb = tmp_path / "notes.ipynb"  # no lesson in its name, no check cell
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), str(nb))
    assert grade.main([str(nb)]) == 1
    assert "no exercise to grade" in capsys.readouterr().out
