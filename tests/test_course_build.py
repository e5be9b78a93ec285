"""The release build: lessons/ is generated from solutions/, and CI notices drift."""

import re
import shutil
from pathlib import Path

import pytest

from maelearn import course
from maelearn.exercises import all_exercises

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for p in (ROOT / "solutions").glob("*.py") if course.LESSON_NAME.match(p.name))


def test_committed_release_is_in_sync():
    assert course.check(ROOT, verbose=True) == []


@pytest.fixture
def course_copy(tmp_path):
    for folder in ("solutions", "lessons"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_check_fails_when_a_lesson_is_edited_by_hand(course_copy, capsys):
    lesson = course_copy / "lessons" / "00_welcome.py"
    lesson.write_text(lesson.read_text().replace("Welcome to maelearn", "Welcome to my fork"))
    assert course.main(["check", "--root", str(course_copy)]) == 1
    assert "00_welcome.py" in capsys.readouterr().out
    assert course.main(["build", "--root", str(course_copy)]) == 0
    assert course.main(["build", "--check", "--root", str(course_copy)]) == 0


def test_check_fails_when_a_notebook_is_edited_or_a_stray_lesson_appears(course_copy):
    nb = course_copy / "lessons" / "00_welcome.ipynb"
    nb.write_text(nb.read_text().replace('"outputs": []', '"outputs": [{"output_type": "stream", "name": "stdout", "text": "hi"}]', 1))
    assert [p.name for p in course.check(course_copy, verbose=False)] == ["00_welcome.ipynb"]
    course.build(course_copy)
    (course_copy / "lessons" / "99_stray.py").write_text("# %%\n")
    assert [p.name for p in course.check(course_copy, verbose=False)] == ["99_stray.py"]


def test_strip_solutions_keeps_indent_and_names_the_exercise():
    src = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION 03.2\n    y = x + 1\n    return y\n    ### END SOLUTION\n"
    out = course.strip_solutions(src, "03")
    assert out == "def f(x):\n    '''doc'''\n    raise NotImplementedError(\"Exercise 03.2: replace this line with your code\")\n"


@pytest.mark.parametrize(
    "src, message",
    [
        ("### BEGIN SOLUTION 01.1\nx\n", "never closed"),
        ("### END SOLUTION\n", "END SOLUTION without BEGIN"),
        ("### BEGIN SOLUTION 01.1\n### BEGIN SOLUTION 01.2\n", "inside the open solution"),
        ("### BEGIN SOLUTION 02.1\n### END SOLUTION\n", "does not belong to lesson 01"),
        ("### BEGIN SOLUTION 01.1\n### END SOLUTION\n### BEGIN SOLUTION 01.1\n### END SOLUTION\n", "two solution regions"),
    ],
)
def test_malformed_fences_are_rejected(src, message):
    with pytest.raises(ValueError, match=message):
        course.strip_solutions(src, "01")


def test_release_has_no_solution_left_and_notebooks_are_stripped():
    import nbformat

    for src in SOURCES:
        lesson = (ROOT / "lessons" / src.name).read_text()
        assert "BEGIN SOLUTION" not in lesson and "END SOLUTION" not in lesson
        for nb_path in (ROOT / "lessons" / f"{src.stem}.ipynb", ROOT / "solutions" / f"{src.stem}.ipynb"):
            nb = nbformat.read(str(nb_path), as_version=4)
            assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code"), nb_path
            assert nb.metadata["kernelspec"]["name"] == "python3"


def test_every_lesson_has_a_colab_link_and_the_setup_cell():
    for src in SOURCES:
        lesson = (ROOT / "lessons" / src.name).read_text()
        assert course.colab_url("lessons", src.stem) in lesson, src.name
        assert '"google.colab" in sys.modules' in lesson, src.name
        sol_nb = (ROOT / "solutions" / f"{src.stem}.ipynb").read_text()
        assert course.colab_url("solutions", src.stem) in sol_nb, src.name


def test_every_fenced_exercise_is_registered_and_checked():
    registered = {e.id for e in all_exercises()}
    fenced = set()
    for src in SOURCES:
        text = src.read_text()
        ids = re.findall(r"### BEGIN SOLUTION (\d\d\.\d+)", text)
        fenced.update(ids)
        for ex_id in ids:
            assert ex_id in registered, f"{src.name}: exercise {ex_id} has no grader"
            assert re.search(rf"check\(\s*\"{re.escape(ex_id)}\"", text), f"{src.name}: exercise {ex_id} is never checked"
    assert fenced == registered, f"graders without a lesson exercise: {sorted(registered - fenced)}"


def test_every_link_to_the_repository_comes_from_pyproject():
    """One source for the URL: every GitHub/Colab link to the course (README, CONTRIBUTING,
    lessons, solutions, notebooks) names pyproject's [project.urls] Repository."""
    repo = course.repository()
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "lessons").glob("[0-9]*")),
             *sorted((ROOT / "solutions").glob("[0-9]*"))]
    named = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        for slug in re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", text):
            assert slug == repo, f"{path.name}: a Colab link to {slug}, pyproject says {repo}"
            named += 1
        for slug in re.findall(r'"git", "clone", [^\]]*?"https://github\.com/([\w.-]+/[\w.-]+)"', text):
            assert slug == repo, f"{path.name}: clones {slug}, pyproject says {repo}"
            named += 1
    assert named >= 4 * len(SOURCES)  # badge + clone line in each lesson and solution


def test_moving_the_repository_is_one_edit_in_pyproject(tmp_path):
    """Changing [project.urls] Repository makes the build restamp every lesson."""
    import shutil

    shutil.copytree(ROOT / "solutions", tmp_path / "solutions", ignore=shutil.ignore_patterns("*.ipynb"))
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text().replace(
        f'Repository = "https://github.com/{course.repository()}"', 'Repository = "https://github.com/someone/fork"'))
    assert course.repository(tmp_path) == "someone/fork"
    outputs = course.build_outputs(tmp_path)
    src = tmp_path / "solutions" / "08_masked_autoencoder.py"
    for path in (src, tmp_path / "lessons" / src.name):
        text = outputs[path]
        assert "colab.research.google.com/github/someone/fork/blob/main/lessons/08_masked_autoencoder.ipynb" in text
        assert '"https://github.com/someone/fork", "/content/maelearn"' in text
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "https://gitlab.com/x/y"\n')
    with pytest.raises(ValueError, match="Repository must be https://github.com/OWNER/NAME"):
        course.repository(tmp_path)
