"""Release build: ``solutions/`` is the source of truth, ``lessons/`` is what learners get.

Each ``solutions/NN_name.py`` is a jupytext percent notebook whose exercise solutions are
fenced by ``### BEGIN SOLUTION 08.1`` ... ``### END SOLUTION`` lines. The build writes
``solutions/NN_name.ipynb`` (paired, outputs empty) and ``lessons/NN_name.py`` and ``.ipynb``,
where each fenced region becomes ``raise NotImplementedError("Exercise 08.1: ...")``. The
repository URL comes from ``[project.urls] Repository`` in ``pyproject.toml``
(:func:`maelearn.website.repository`). ``python -m maelearn.course build`` writes them;
``build --check`` (or ``check``) exits 1, listing the files, when a committed file differs.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path

from maelearn import cli, website
from maelearn.website import BRANCH, REPO, colab_url, repository  # where the course is published

BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION (?P<id>\d\d\.\d+)\s*$")
END = re.compile(r"^[ \t]*### END SOLUTION\s*$")
LESSON_NAME = re.compile(r"^(?P<nn>\d\d)_[a-z0-9_]+\.py$")
ROOT = Path(__file__).resolve().parent.parent
#: The two places a lesson names its repository: the Colab badge and the Colab clone line.
BADGE = re.compile(r"https://colab\.research\.google\.com/github/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/blob/[A-Za-z0-9_.-]+/")
CLONE = re.compile(r'(\["git", "clone", [^\]]*?)"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"')


def stamp_repository(text: str, repo: str | None = None) -> str:
    """``text`` with its Colab badge and clone line pointing at ``repo`` (default: pyproject's)."""
    repo = repo or REPO
    text = BADGE.sub(f"https://colab.research.google.com/github/{repo}/blob/{BRANCH}/", text)
    return CLONE.sub(lambda m: f'{m.group(1)}"https://github.com/{repo}"', text)


def strip_solutions(text: str, lesson: str = "?") -> str:
    """Replace every fenced solution region by its stub; check the fences are well formed
    and the exercise ids belong to ``lesson`` (``"08"``)."""
    out: list[str] = []
    open_id: str | None = None
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        m = BEGIN.match(line)
        if m:
            if open_id:
                raise ValueError(f"line {n}: BEGIN SOLUTION {m['id']} inside the open solution {open_id}")
            open_id = m["id"]
            if lesson != "?" and not open_id.startswith(lesson + "."):
                raise ValueError(f"line {n}: exercise {open_id} does not belong to lesson {lesson}")
            if open_id in seen:
                raise ValueError(f"line {n}: exercise {open_id} has two solution regions")
            seen.add(open_id)
            out.append(f'{m["indent"]}raise NotImplementedError("Exercise {open_id}: replace this line with your code")\n')
        elif END.match(line):
            if not open_id:
                raise ValueError(f"line {n}: END SOLUTION without BEGIN")
            open_id = None
        elif open_id is None:
            out.append(line)
    if open_id:
        raise ValueError(f"solution {open_id} is never closed (missing '### END SOLUTION')")
    return "".join(out)


def to_ipynb(py_text: str) -> str:
    """The paired notebook of a percent-format script, outputs empty, deterministic."""
    import jupytext
    import nbformat

    nb = jupytext.reads(py_text, fmt="py:percent")
    nb.metadata["jupytext"] = {"formats": "ipynb,py:percent"}
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.nbformat, nb.nbformat_minor = 4, 4
    return nbformat.writes(nb) + "\n"


def build_outputs(root: Path = ROOT) -> dict[Path, str]:
    """Every file the build writes, with its content: the sources themselves too, when their
    repository URL differs from pyproject's (:func:`stamp_repository`)."""
    sol_dir = root / "solutions"
    files: dict[Path, str] = {}
    sources = sorted(p for p in sol_dir.glob("*.py") if LESSON_NAME.match(p.name))
    if not sources:
        raise FileNotFoundError(f"no lesson sources (NN_name.py) in {sol_dir}")
    for src in sources:
        nn = LESSON_NAME.match(src.name)["nn"]
        original = src.read_text(encoding="utf-8")
        text = stamp_repository(original, repository(root) if (root / "pyproject.toml").exists() else REPO)
        if text != original:
            files[src] = text
        try:
            lesson = strip_solutions(text, nn)
        except ValueError as err:  # a fence error names its line; say which file too
            raise ValueError(f"{src}: {err}") from None
        sol_nb = to_ipynb(text.replace(colab_url("lessons", src.stem), colab_url("solutions", src.stem)))
        files[src.with_suffix(".ipynb")] = sol_nb
        files[root / "lessons" / src.name] = lesson
        files[root / "lessons" / (src.stem + ".ipynb")] = to_ipynb(lesson)
    return files


def build(root: Path = ROOT) -> list[Path]:
    """Write the release; return the files that changed."""
    changed = []
    for path, content in build_outputs(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            changed.append(path)
    return changed


def check(root: Path = ROOT, verbose: bool = True) -> list[Path]:
    """The files whose committed content differs from the build's (empty when in sync).
    Lessons with no source in ``solutions/`` count too."""
    outputs = build_outputs(root)
    stale = [p for p, c in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != c]
    extra = [
        p for p in sorted((root / "lessons").glob("[0-9][0-9]_*"))
        if p.suffix in (".py", ".ipynb") and p not in outputs
    ]
    if verbose:
        for p in stale[:5]:
            old = p.read_text(encoding="utf-8").splitlines() if p.exists() else []
            diff = list(difflib.unified_diff(old, outputs[p].splitlines(), str(p), "build", lineterm="", n=1))
            print("\n".join(diff[:30]))
    return stale + extra


@cli.guarded("python -m maelearn.course")
def main(argv: list[str] | None = None) -> int:
    if argv and argv[0] == "site":  # the course website has its own options (maelearn/website.py)
        return website.main.__wrapped__(argv[1:])  # unwrapped: this main's guard reports its errors
    parser = cli.ArgumentParser(prog="python -m maelearn.course", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "check", "site"],
                        help="build: write lessons/ and notebooks; check: exit 1 if they are stale; "
                             "site: build the course website (site --help)")
    parser.add_argument("--check", action="store_true", help="with build: write nothing, exit 1 if the release is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="course root (default: this checkout)")
    args = parser.parse_args(argv)
    if args.command == "build" and not args.check:
        changed = build(args.root)
        print(f"built the release: {len(changed)} file(s) changed")
        for p in changed:
            print("  wrote", p.relative_to(args.root))
        return 0
    bad = check(args.root)
    if bad:
        print(f"release is out of sync with solutions/: {len(bad)} file(s) differ; run `python -m maelearn.course build`")
        for p in bad:
            print("  ", p.relative_to(args.root))
        return 1
    print("release is in sync with solutions/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
