"""The instructor's grading command scores submissions exactly."""

import json

import nbformat
import pytest

from maelearn import grade
from maelearn.course import ROOT
from maelearn.exercises import all_exercises

RIGHT_00_1 = "return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255.0"
WRONG_00_2 = "return float((logits.argmax(dim=1) == labels).sum())  # a count, not a fraction"


def _submission(tmp_path, student="alice"):
    """Lesson 00 as a student hands it in: 00.1 right, 00.2 wrong, plus one more
    exercise (from a later lesson) left unattempted."""
    nb = nbformat.read(str(ROOT / "lessons" / "00_welcome.ipynb"), as_version=4)
    for cell in nb.cells:
        if 'NotImplementedError("Exercise 00.1' in cell.source:
            cell.source = cell.source.replace('raise NotImplementedError("Exercise 00.1: replace this line with your code")', RIGHT_00_1)
        if 'NotImplementedError("Exercise 00.2' in cell.source:
            cell.source = cell.source.replace('raise NotImplementedError("Exercise 00.2: replace this line with your code")', WRONG_00_2)
    other = next(e.id for e in all_exercises() if not e.id.startswith("00."))
    nb.cells.append(nbformat.v4.new_code_cell(
        f'def later(*args, **kwargs):\n    raise NotImplementedError("Exercise {other}: replace this line with your code")\n\nlater = check("{other}", later)'
    ))
    folder = tmp_path / student
    folder.mkdir()
    path = folder / "00_welcome.ipynb"
    nbformat.write(nb, str(path))
    return path, other



def test_grade_scores_right_wrong_and_unattempted_exactly(tmp_path, capsys):
    path, other = _submission(tmp_path)
    csv_path, json_path = tmp_path / "scores.csv", tmp_path / "scores.json"
    status = grade.main([str(path), "--csv", str(csv_path), "--json", str(json_path)])
    out = capsys.readouterr().out
    assert status == 1  # not everything passed
    data = json.loads(json_path.read_text())
    assert len(data) == 1
    assert data[0]["student"] == "alice/00_welcome"
    assert data[0]["results"] == {"00.1": "pass", "00.2": "FAIL", other: "not attempted"}
    assert (data[0]["passed"], data[0]["total"]) == (1, 3)
    assert "expected 0.666667, got float 2.0" in data[0]["details"]["00.2"]
    assert "alice/00_welcome" in out and "1/3" in out
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("student,notebook,00.1,00.2,") and rows[1].endswith(",1,3")


def test_grade_marks_missing_checks_and_bad_files(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("raise SystemExit('student broke the notebook')"),
        nbformat.v4.new_code_cell('from maelearn.exercises import check\nf = check("00.1", lambda x: x)'),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, str(path))
    sub = grade.grade_notebook(path)
    assert sub.results == {"00.1": "FAIL"}  # later cells still run (allow_errors)
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json")
    assert grade.grade_notebook(bad).error.startswith("cannot read notebook")


def test_expected_exercises_reads_check_calls():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('f = check("07.2", f)\ng = check( "07.1" , g)')])
    assert grade.expected_exercises(nb) == ["07.2", "07.1"]
