"""The course as a static website: ``python -m maelearn.course site --out DIR``.

Every lesson of ``lessons/`` becomes a page (prose, code, outputs, figures, a Colab badge, a
download link), with an index and a search box; the site loads nothing from the internet
(Sphinx + MyST-NB, math as MathML, widgets shown by their static fallback). Steps: (1)
execute each lesson headless in quick mode on the CPU, two kernels at most, with a per-cell
time limit (a failure names the lesson and cell); (2) prepare a Sphinx source folder; (3)
render with execution off; (4) replace ``DIR`` only once all has built (a file, an
unwritable or a non-empty folder that is not a previous site is refused; ``--overwrite``).
"""

from __future__ import annotations

import html
import importlib.util
import io
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from maelearn import cli
from maelearn.config import ROOT

#: Where the course is published: GitHub's ``main`` branch of :func:`repository`, opened in Colab.
BRANCH = "main"
GITHUB = re.compile(r"^https://github\.com/(?P<slug>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?$")


def repository(root: Path = ROOT) -> str:
    """``owner/name`` of the course's GitHub repository, read from ``[project.urls]
    Repository`` in ``pyproject.toml``: the one place the URL is written."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the one line is enough
        m = re.search(r'^Repository\s*=\s*"([^"]+)"', text, re.M)
        url = m.group(1) if m else None
    else:
        url = tomllib.loads(text).get("project", {}).get("urls", {}).get("Repository")
    m = GITHUB.match(url or "")
    if not m:
        raise ValueError(f"{root / 'pyproject.toml'}: [project.urls] Repository must be https://github.com/OWNER/NAME, got {url!r}")
    return m["slug"]


REPO = repository()


def colab_url(folder: str, stem: str) -> str:
    return f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/{folder}/{stem}.ipynb"


PROG = "python -m maelearn.course site"
#: Packages the site needs (import name -> what pip calls it), all in the ``site`` extra.
PACKAGES = {"sphinx": "sphinx", "myst_nb": "myst-nb", "sphinx_book_theme": "sphinx-book-theme",
            "latex2mathml": "latex2mathml", "nbclient": "nbclient", "nbformat": "nbformat"}
#: A file in the site's root that marks it as ours: a folder holding it may be replaced.
MARKER = ".maelearn-site"
LESSON_NOTEBOOK = re.compile(r"^(?P<nn>\d\d)_[a-z0-9_]+\.ipynb$")
#: The Colab badge line every lesson opens with (course.py stamps its URL).
BADGE_LINE = re.compile(r'^\s*<a href="https://colab\.research\.google\.com/[^"]*"[^>]*>\s*<img [^>]*colab-badge[^>]*>\s*</a>\s*$')
#: Seconds one cell may run before the build gives up on its lesson.
CELL_TIMEOUT = 600
MAX_JOBS = 2  # lessons executed at once
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: The Colab badge, drawn here so that no page loads Colab's (remote) badge image.
COLAB_BADGE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="117" height="20" role="img" aria-label="Open in Colab">
<title>Open in Colab</title>
<rect width="117" height="20" rx="3" fill="#555"/>
<rect x="52" width="65" height="20" rx="3" fill="#f9ab00"/>
<rect x="52" width="6" height="20" fill="#f9ab00"/>
<g fill="#fff" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11" text-anchor="middle">
<text x="26.5" y="14">Open in</text><text x="84.5" y="14" fill="#222">Colab</text></g>
</svg>
"""

SITE_CSS = """/* maelearn course site */
.maelearn-launch { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; margin: 0 0 1rem 0; }
.maelearn-launch img { height: 20px; vertical-align: middle; }
.mae-explorer-static img { max-width: 100%; }
math[display="block"] { margin: 0.75em 0; overflow-x: auto; }
"""


class SiteError(ValueError):
    """The site cannot be built (a lesson failed, a package is missing, Sphinx failed): one line."""


@dataclass(frozen=True)
class Lesson:
    """One lesson of the student release, as the site lists it."""
    number: str  # "08"
    stem: str  # "08_masked_autoencoder"
    title: str  # "The masked autoencoder" (the notebook's first heading, number dropped)
    teaches: str  # README's "you leave able to" cell, "" if README has no row for it
    path: Path  # lessons/NN_name.ipynb


# --- what the site lists ----------------------------------------------------------------------


def readme_table(root: Path = ROOT) -> dict[str, str]:
    """README.md's lesson table (``| 08 | masked autoencoder | you leave able to ... |``):
    lesson number -> its last column; empty when there is no such table."""
    readme = root / "README.md"
    rows: dict[str, str] = {}
    for line in readme.read_text(encoding="utf-8").splitlines() if readme.is_file() else []:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"\d\d", cells[0]):
            rows[cells[0]] = cells[-1]
    return rows


def notebook_title(nb: Any, number: str) -> str:
    """The first ``# heading`` of a notebook's markdown, without its ``NN ·`` prefix."""
    for cell in nb.cells:
        for line in cell.source.splitlines() if cell.cell_type == "markdown" else []:
            m = re.match(r"^#\s+(.+?)\s*$", line)
            if m:
                return re.sub(rf"^{number}\s*[·:.\-–—]\s*", "", m.group(1))
    return f"Lesson {number}"


def find_lessons(root: Path = ROOT, only: list[str] | None = None) -> list[Lesson]:
    """The lessons of ``root/lessons`` in order (``only``: these numbers), titled and summarised."""
    import nbformat

    folder = root / "lessons"
    paths = sorted(p for p in folder.glob("*.ipynb") if LESSON_NOTEBOOK.match(p.name))
    if not paths:
        raise SiteError(f"no lesson notebooks (NN_name.ipynb) in {folder}; run `python -m maelearn.course build`")
    if only:
        known = {LESSON_NOTEBOOK.match(p.name)["nn"]: p for p in paths}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise cli.UsageError(f"--lessons {' '.join(unknown)}: no such lesson in {folder}; expected some of {', '.join(known)}")
        paths = [known[n] for n in sorted(set(only))]
    table, lessons = readme_table(root), []
    for p in paths:
        number = LESSON_NOTEBOOK.match(p.name)["nn"]
        try:
            nb = nbformat.read(p, as_version=4)
        except Exception as err:  # nbformat raises several kinds; one line with the file
            raise SiteError(f"{p}: not a readable notebook ({type(err).__name__}: {cli._message(err)})") from None
        lessons.append(Lesson(number, p.stem, notebook_title(nb, number), table.get(number, ""), p))
    return lessons


def index_markdown(lessons: list[Lesson], root: Path = ROOT) -> str:
    """The index page (MyST): README's title and first paragraph, the lesson table, how the
    pages were made, and the hidden table of contents that makes the navigation."""
    title, intro = "maelearn", ""
    readme = root / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        m = re.search(r"^#\s+(.+)$", text, re.M)
        title = m.group(1).strip() if m else title
        paras = [p.strip() for p in re.split(r"\n\s*\n", text[m.end():] if m else text) if p.strip()]
        intro = next((" ".join(p.split()) for p in paras if not p.startswith(("#", "```", "|"))), "")
    rows = "\n".join(
        f"| {l.number} | [{_md_cell(l.title)}](lessons/{l.stem}.ipynb) | {_md_cell(l.teaches)} |" for l in lessons)
    toc = "\n".join(f"lessons/{l.stem}" for l in lessons)
    return f"""# {title}

{intro}

| # | lesson | you leave able to |
|---|---|---|
{rows}

Each page is the lesson's student release, run from top to bottom in *quick mode* on a CPU
when this site was built: the numbers and figures are that run's. Exercises left to the
learner fall back to the reference solution, so their checks print a note instead of a
pass. To run a lesson yourself, open it in Colab with its badge or download the notebook
(the link beside the badge), and follow the quickstart of the
[repository's README](https://github.com/{repository(root)}#quickstart).

```{{toctree}}
:hidden:
:maxdepth: 1
:caption: Lessons

{toc}
```
"""


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def page_header(stem: str) -> str:
    """A lesson page's launch bar (relative to ``lessons/NN_name.html``): the locally drawn
    Colab badge and the download link of the clean notebook."""
    return (f'<div class="maelearn-launch">'
            f'<a class="maelearn-colab" href="{html.escape(colab_url("lessons", stem))}" target="_blank" rel="noopener">'
            f'<img src="../_static/colab-badge.svg" alt="Open In Colab"/></a>'
            f'<a class="maelearn-download" href="../notebooks/{stem}.ipynb" download="{stem}.ipynb">'
            f'Download the notebook ({stem}.ipynb)</a></div>')


def progress_text(states: dict[str, Any], model_id: str) -> str | None:
    """The last state of a ``tqdm.auto`` bar (an HBox of HTML, progress bar, HTML) as tqdm's
    text line, ``desc: 100%|██████████| 80/80 [00:31<00:00, 2.55step/s]``; None for any other widget."""
    def state(ref: str) -> dict[str, Any]:
        return states.get(ref.removeprefix("IPY_MODEL_"), {}).get("state", {})

    box = state(model_id)
    if box.get("_model_name") != "HBoxModel":
        return None
    kids = [state(ref) for ref in box.get("children", [])]
    names = [k.get("_model_name") for k in kids]
    if len(kids) != 3 or names[0] != "HTMLModel" or names[2] != "HTMLModel" or names[1] not in ("FloatProgressModel", "IntProgressModel"):
        return None
    left, bar, right = kids
    total = float(bar.get("max") or 0)  # nbclient recorded every update: this is the last
    filled = round(10 * min(1.0, float(bar.get("value") or 0) / total)) if total > 0 else 0
    return f"{html.unescape(left.get('value', ''))}|{'█' * filled}{' ' * (10 - filled)}|{html.unescape(right.get('value', ''))}"


def for_the_site(nb: Any, stem: str) -> Any:
    """An executed notebook made ready for its page: the Colab badge line replaced by
    :func:`page_header`, progress bars by :func:`progress_text`, no widget state left."""
    states = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            text = progress_text(states, view.get("model_id", "")) if isinstance(view, dict) else None
            if text is not None:
                out["data"] = {"text/plain": text}
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    header = page_header(stem)
    if first is None:
        import nbformat
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(header))
    else:
        lines = [line for line in first.source.splitlines() if not BADGE_LINE.match(line)]
        while lines and not lines[0].strip():
            lines.pop(0)
        first.source = header + "\n\n" + "\n".join(lines)
    nb.metadata.pop("widgets", None)
    return nb


# --- step 1: execute --------------------------------------------------------------------------


def kernel_env(root: Path, jobs: int) -> dict[str, str]:
    """The lessons' kernels' environment: quick mode, CPU, offline hubs, no strict mode (the
    release falls back to the reference), threads split between kernels, ``root`` importable first."""
    env = dict(os.environ)
    env.pop("MAELEARN_STRICT", None)
    env.update(MAELEARN_MODE="quick", MAELEARN_DEVICE="cpu", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               HF_DATASETS_OFFLINE="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    return env


def _cell_label(nb: Any, index: int | None) -> str:
    if index is None:
        return "before its first cell"
    cell = nb.cells[index]
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    first = first if len(first) <= 60 else first[:57] + "..."
    return f"cell {index + 1} ({first!r})" if first else f"cell {index + 1}"


class _Run:
    """One lesson's execution: its notebook, its client and the cell it is in."""

    def __init__(self, lesson: Lesson, env: dict[str, str], workdir: Path, cell_timeout: int):
        import nbformat
        from nbclient import NotebookClient
        self.lesson, self.env, self.workdir = lesson, env, workdir
        self.nb = nbformat.read(lesson.path, as_version=4)
        self.cell: int | None = None
        self.cancelled = False
        self.client = NotebookClient(
            self.nb, timeout=cell_timeout, kernel_name="python3", allow_errors=False, store_widget_state=True,
            record_timing=False, on_cell_execute=self._on_cell, resources={"metadata": {"path": str(workdir)}})

    def _on_cell(self, cell: Any = None, cell_index: int | None = None, **_: Any) -> None:
        self.cell = cell_index

    def interrupt(self) -> None:
        """Stop the running cell (SIGINT to the kernel this run started)."""
        self.cancelled = True
        pid = getattr(getattr(getattr(self.client, "km", None), "provisioner", None), "pid", None)
        if pid:
            with suppress(OSError):
                os.kill(pid, signal.SIGINT)

    def __call__(self) -> tuple[Any, float]:
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
        start = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        log_path = self.workdir / "kernel.log"  # the kernel's own stdout/stderr (its start-up chatter)
        try:
            with open(log_path, "wb") as log:
                self.client.execute(env=self.env, cwd=str(self.workdir), stdout=log, stderr=log)
        except (CellTimeoutError, CellExecutionError, DeadKernelError) as err:
            if isinstance(err, CellTimeoutError):
                why = f"the cell ran past {self.client.timeout} s (--cell-timeout)"
            elif isinstance(err, CellExecutionError):
                why = f"{err.ename}: {' '.join(str(err.evalue).split())}"
            else:
                said = log_path.read_text(errors="replace").strip().splitlines()[-1:] if log_path.exists() else []
                why = f"the kernel died ({' '.join((said[0] if said else str(err)).split())[:200]})"
            raise SiteError(f"lesson {self.lesson.path.name} failed at {_cell_label(self.nb, self.cell)}: {why}") from None
        return self.nb, time.monotonic() - start


def execute_lessons(lessons: list[Lesson], workdir: Path, jobs: int = MAX_JOBS, cell_timeout: int = CELL_TIMEOUT,
                    root: Path = ROOT) -> dict[str, Any]:
    """Execute every lesson headless in a fresh kernel, ``jobs`` (at most :data:`MAX_JOBS`) at
    a time, each in its own folder under ``workdir``; returns stem -> executed notebook. The
    first failure interrupts the other running lesson and raises :class:`SiteError`."""
    from tqdm.auto import tqdm
    jobs = max(1, min(jobs, MAX_JOBS, len(lessons)))
    env = kernel_env(root, jobs)
    runs = {l.stem: _Run(l, env, workdir / l.stem, cell_timeout) for l in lessons}
    done: dict[str, Any] = {}
    failure: BaseException | None = None

    def stop_pending() -> None:  # cancel the queued lessons first, so that none starts, then interrupt
        for fut in pending:
            fut.cancel()
        for stem in pending.values():
            runs[stem].interrupt()

    bar = tqdm(total=len(lessons), desc="executing lessons", unit="lesson", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="lesson") as pool:
        pending: dict[Future, str] = {pool.submit(run): stem for stem, run in runs.items()}
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    stem = pending.pop(fut)
                    try:
                        done[stem], seconds = fut.result()
                    except BaseException as err:  # noqa: BLE001 - the first failure is re-raised below
                        if failure is None and not runs[stem].cancelled:
                            failure = err
                            stop_pending()
                        continue
                    bar.set_postfix_str(f"{stem} {seconds:.0f} s")
                    bar.update(1)
        except KeyboardInterrupt:
            stop_pending()
            raise
        finally:
            bar.close()
    if failure is not None:
        raise failure
    return done


# --- step 2 and 3: the Sphinx source and the render -------------------------------------------


def prepare_source(lessons: list[Lesson], executed: dict[str, Any], src: Path, root: Path = ROOT) -> None:
    """Write the Sphinx source folder: ``index.md``, ``lessons/*.ipynb`` (executed, with the
    launch bar), ``_static`` (badge, CSS) and ``_extra/notebooks`` (clean copies to download)."""
    import nbformat
    (src / "lessons").mkdir(parents=True)
    (src / "_static").mkdir()
    (src / "_extra" / "notebooks").mkdir(parents=True)
    (src / "index.md").write_text(index_markdown(lessons, root), encoding="utf-8")
    (src / "_static" / "colab-badge.svg").write_text(COLAB_BADGE_SVG, encoding="utf-8")
    (src / "_static" / "maelearn.css").write_text(SITE_CSS, encoding="utf-8")
    for lesson in lessons:
        nbformat.write(for_the_site(executed[lesson.stem], lesson.stem), src / "lessons" / lesson.path.name)
        shutil.copyfile(lesson.path, src / "_extra" / "notebooks" / lesson.path.name)


def sphinx_config(root: Path = ROOT) -> dict[str, Any]:
    """Sphinx's configuration (there is no ``conf.py``): MyST-NB with execution off, the book
    theme, math as MathML, no widget scripts, nothing fetched from the internet."""
    return {
        "project": "maelearn", "author": "maelearn developers", "copyright": "maelearn developers (MIT licence)",
        "language": "en",
        "extensions": ["myst_nb", "sphinx.ext.githubpages", "maelearn.website"],
        "exclude_patterns": ["_build", "_extra", "_static", "**.ipynb_checkpoints"],
        "nb_execution_mode": "off", "nb_merge_streams": True,
        "nb_ipywidgets_js": {},  # no require.js / widget manager from a CDN
        # Widget views need that JavaScript: show each widget's fallback (HTML, a picture, text).
        "nb_mime_priority_overrides": [("html", WIDGET_VIEW, None), ("dirhtml", WIDGET_VIEW, None)],
        "myst_enable_extensions": ["dollarmath"], "html_math_renderer": "mathml",
        "html_theme": "sphinx_book_theme", "html_title": "maelearn",
        "html_theme_options": {
            "repository_url": f"https://github.com/{repository(root)}", "repository_branch": BRANCH,
            "use_repository_button": True,
            "use_download_button": False,  # each lesson has its own download link (the clean notebook)
            "home_page_in_toc": True, "show_toc_level": 2,
        },
        "html_context": {"default_mode": "auto"},  # unset, the theme logs a console error on a first visit
        "html_static_path": ["_static"], "html_css_files": ["maelearn.css"], "html_extra_path": ["_extra"],
        "html_copy_source": False, "html_show_sourcelink": False, "html_last_updated_fmt": None,
        "suppress_warnings": ["myst.header"],
    }


def render(src: Path, out: Path, doctrees: Path, root: Path = ROOT) -> list[str]:
    """Build the HTML of ``src`` into ``out`` with Sphinx; returns its warnings, one line each.
    Sphinx's own failure becomes a one-line :class:`SiteError`."""
    from sphinx.application import Sphinx
    from sphinx.errors import SphinxError
    from sphinx.util.docutils import docutils_namespace, patch_docutils
    status, warnings = io.StringIO(), io.StringIO()
    try:
        with patch_docutils(src), docutils_namespace():
            app = Sphinx(str(src), None, str(out), str(doctrees), "html", confoverrides=sphinx_config(root),
                         status=status, warning=warnings, freshenv=True)
            app.build(force_all=True)
    except SphinxError as err:
        raise SiteError(f"sphinx could not build the site: {' '.join(str(err).split())}") from None
    if app.statuscode:
        raise SiteError(f"sphinx could not build the site (status {app.statuscode}): "
                        f"{' '.join(warnings.getvalue().split())[:300]}")
    return [ANSI.sub("", line) for line in warnings.getvalue().splitlines() if line.strip()]


# --- the math renderer (a Sphinx extension: this module) --------------------------------------


def mathml(latex: str, display: bool) -> str:
    """LaTeX to MathML (``latex2mathml``); what it cannot convert stays visible as code."""
    from latex2mathml.converter import convert
    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - a formula it cannot parse must not break the page
        return f'<code class="math-source">{html.escape(latex)}</code>'


def _visit_math(self: Any, node: Any, display: bool = False) -> None:
    """Write a math node (inline in a span, display in a div) as MathML, and skip its children."""
    from docutils import nodes
    tag, end = ("div", "\n") if display else ("span", "")
    self.body.append(f'<{tag} class="math notranslate">{mathml(node.astext(), display)}</{tag}>{end}')
    raise nodes.SkipNode


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension entry point: the ``mathml`` math renderer (no script, no font)."""
    app.add_html_math_renderer("mathml", (_visit_math, None), (partial(_visit_math, display=True), None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- step 4: the output folder ----------------------------------------------------------------


def require_packages() -> None:
    """Refuse, in one line, to start without the site's packages."""
    missing = [pip_name for name, pip_name in PACKAGES.items() if importlib.util.find_spec(name) is None]
    if missing:
        raise SiteError(f'the course site needs {", ".join(missing)}, not installed; run: pip install -e ".[site]"')


def check_out(out: Path, overwrite: bool, root: Path = ROOT) -> Path:
    """Refuse, before any work, an ``--out`` that is a file, cannot be written, is the course
    itself (or holds it), or is a non-empty folder that is not a previous site (unless
    ``overwrite``, which never applies to a folder inside the course such as ``lessons/``).
    Returns the absolute path."""
    shown = f"--out {out}"
    if not str(out).strip():
        raise cli.UsageError(f"--out must name a folder, got {str(out)!r}")
    path = Path(os.path.abspath(os.path.expanduser(out)))
    if path.exists() and not path.is_dir():
        raise cli.UsageError(f"{shown} is a file; expected a folder for the site (new, empty, or a site built before)")
    if path == Path(path.anchor) or path == Path.home().resolve() or path.resolve() in (root.resolve(), *root.resolve().parents):
        raise cli.UsageError(f"{shown} is {path}, which holds the course or your files; expected a folder of its own such as {path / 'site'}")
    base = path
    while not base.exists():
        base = base.parent
    if not base.is_dir():
        raise cli.UsageError(f"{shown}: {base} is a file, so the folder cannot be made there")
    cli.require_writable_folder(base, shown)
    if path.is_dir() and any(path.iterdir()) and not (path / MARKER).is_file():
        if root.resolve() in path.resolve().parents:  # lessons/, solutions/...: never, even with --overwrite
            raise cli.UsageError(f"{shown} is a non-empty folder of the course that is not a site built by this command; "
                                 f"expected a new or empty folder (such as {root / 'site'})")
        if not overwrite:
            raise cli.UsageError(f"{shown} is a non-empty folder that is not a site built by this command; "
                                 f"expected a new or empty folder (add --overwrite to replace its contents)")
    return path


def publish(staged: Path, out: Path) -> None:
    """Replace the contents of ``out`` by those of ``staged`` (moved, not copied)."""
    out.mkdir(parents=True, exist_ok=True)
    for entry in list(out.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in list(staged.iterdir()):
        shutil.move(str(entry), str(out / entry.name))


def build_site(out: Path, root: Path = ROOT, jobs: int = MAX_JOBS, cell_timeout: int = CELL_TIMEOUT,
               overwrite: bool = False, only: list[str] | None = None) -> dict[str, Any]:
    """Build the whole site into ``out`` (see the module docstring); returns a summary
    (lessons, seconds per step, Sphinx's warnings)."""
    out = check_out(out, overwrite, root)
    require_packages()
    lessons = find_lessons(root, only)
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="maelearn-site-") as tmp:
        tmp = Path(tmp)
        t0 = time.monotonic()
        executed = execute_lessons(lessons, tmp / "run", jobs, cell_timeout, root)
        times["execute"] = time.monotonic() - t0
        t0 = time.monotonic()
        prepare_source(lessons, executed, tmp / "src", root)
        staged = tmp / "html"  # OUT is touched only once the whole site has built
        warnings = render(tmp / "src", staged, tmp / "doctrees", root)
        (staged / MARKER).write_text(json.dumps(
            {"built_by": PROG, "lessons": [l.stem for l in lessons], "mode": "quick"}, indent=1) + "\n", encoding="utf-8")
        times["render"] = time.monotonic() - t0
        publish(staged, out)
    return {"out": out, "lessons": lessons, "seconds": times, "warnings": warnings}


@cli.guarded(PROG)
def main(argv: list[str] | None = None) -> int:
    parser = cli.ArgumentParser(prog=PROG, description="Build the course website: every lesson of lessons/ executed in quick mode on the CPU, one page each (Sphinx + MyST-NB), readable offline.")
    parser.add_argument("--out", required=True, type=cli.nonempty_path, metavar="DIR",
                        help="folder for the site: new, empty, or a site this command built before")
    parser.add_argument("--overwrite", action="store_true", help="replace the contents of a non-empty --out folder")
    parser.add_argument("--jobs", type=cli.integer(1, MAX_JOBS), default=MAX_JOBS,
                        help=f"lessons executed at once (1 to {MAX_JOBS}, default {MAX_JOBS})")
    parser.add_argument("--cell-timeout", type=cli.integer(1), default=CELL_TIMEOUT, metavar="SECONDS",
                        help=f"time limit of one cell (default {CELL_TIMEOUT})")
    parser.add_argument("--lessons", nargs="+", metavar="NN", help="build only these lessons (default: all)")
    parser.add_argument("--root", type=Path, default=ROOT, help="course root (default: this checkout)")
    args = parser.parse_args(argv)
    start = time.monotonic()
    summary = build_site(Path(args.out), args.root, args.jobs, args.cell_timeout, args.overwrite, args.lessons)
    for line in summary["warnings"]:
        print(f"{PROG}: sphinx: {line}", file=sys.stderr)
    s = summary["seconds"]
    n = len(summary["lessons"])
    print(f"built the course site: {n} lesson{'' if n == 1 else 's'} executed in {s['execute']:.0f} s, rendered in "
          f"{s['render']:.0f} s ({time.monotonic() - start:.0f} s in all); open {summary['out'] / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
