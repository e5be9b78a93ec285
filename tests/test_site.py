"""The course website: ``python -m maelearn.course site --out DIR`` (maelearn/website.py).

Cheap tests (no site build, no browser) check the refusals of bad input, the lesson table,
the per-page header, the progress-bar and math conversions, the explorer's static fallback
and the one-line error of a lesson that fails; one of them builds a tiny site (one small
lesson) end to end, twice, to check a previous site is replaced.

The ``browser`` tests build the real site once (module fixture: every lesson executed in
quick mode, the way the README says) and open it in headless Chromium exactly as
``test_browser.py`` does (Debian's ``chromium`` through Playwright's ``executable_path``, no
browser download, every host but 127.0.0.1 resolving to nothing). The site is served from
127.0.0.1 by a small HTTP server; any other request is recorded and aborted, and fails the
test. Every lesson page must load without console errors, show its figures, and carry the
Colab badge and a download link to the notebook in the site; the index's navigation must
reach every lesson. They skip when Chromium or Playwright is missing (``MAELEARN_CHROMIUM``
overrides the browser path); deselect them with ``-m "not browser"``. ``MAELEARN_TEST_SITE=DIR``
checks a site built before instead of building one.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import nbformat
import pytest
import torch

from maelearn import course, website
from maelearn.explorer import STATIC_NOTE, mask_explorer
from maelearn.mae import build_mae

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.stem for p in (REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))
CHROMIUM = os.environ.get("MAELEARN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # as in test_browser.py
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
SITE_PACKAGES = ("sphinx", "myst_nb", "sphinx_book_theme", "latex2mathml")
#: The whole build took 7 min 48 s on two busy cores (load 6-8); the limit leaves room for CI,
#: where the other pytest worker runs notebooks at the same time.
BUILD_LIMIT = 1800
PAGE_LOAD = 60_000  # ms


def site_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "maelearn.course", "site", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def refused(capsys, *args) -> str:
    """Run ``python -m maelearn.course site ARGS`` in this process; it must refuse with exit
    status 2 and exactly one line on stderr, ``PROG: error: ...`` (PROG is ``python -m
    maelearn.course``, or ``... course site`` for argument syntax errors)."""
    capsys.readouterr()
    try:
        status = course.main(["site", *map(str, args)])
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    out, err = capsys.readouterr()
    assert status == 2, (status, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and re.match(r"python -m maelearn\.course( site)?: error: ", lines[0]), err
    return lines[0]


def require_site_packages() -> None:
    for name in SITE_PACKAGES:
        pytest.importorskip(name, reason=f'{name} is not installed (pip install -e ".[site]")')


# --- bad input ----------------------------------------------------------------------------------


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "site.html"
    f.write_text("mine")
    line = refused(capsys, "--out", f)
    assert f"--out {f} is a file; expected a folder" in line
    assert f.read_text() == "mine"


def test_non_empty_folder_that_is_not_a_site_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    line = refused(capsys, "--out", tmp_path)
    assert f"--out {tmp_path} is a non-empty folder that is not a site built by this command" in line
    assert "--overwrite" in line
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_out_where_nothing_can_be_written_is_refused(capsys):
    line = refused(capsys, "--out", "/proc/maelearn-site")
    assert "--out /proc/maelearn-site: cannot write in /proc" in line


def test_out_that_holds_the_course_or_is_part_of_it_is_refused_even_with_overwrite(capsys):
    line = refused(capsys, "--out", REPO, "--overwrite")
    assert f"--out {REPO} is {REPO}, which holds the course" in line
    line = refused(capsys, "--out", REPO / "lessons", "--overwrite")
    assert f"--out {REPO / 'lessons'} is a non-empty folder of the course that is not a site" in line


def test_empty_out_and_bad_options_are_refused(capsys):
    assert "--out: expected a path, got ''" in refused(capsys, "--out", "")
    assert "--jobs: expected an integer from 1 to 2, got '3'" in refused(capsys, "--out", "x", "--jobs", "3")


def test_check_out_accepts_new_empty_previous_and_overwritten_folders(tmp_path):
    assert website.check_out(tmp_path / "new" / "site", False) == tmp_path / "new" / "site"
    (tmp_path / "empty").mkdir()
    assert website.check_out(tmp_path / "empty", False) == tmp_path / "empty"
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / website.MARKER).write_text("{}")
    (previous / "index.html").write_text("old")
    assert website.check_out(previous, False) == previous
    other = tmp_path / "other"
    other.mkdir()
    (other / "x").write_text("x")
    assert website.check_out(other, True) == other


def test_missing_site_packages_say_how_to_install(monkeypatch, tmp_path, capsys):
    real = website.importlib.util.find_spec
    monkeypatch.setattr(website.importlib.util, "find_spec", lambda name, *a: None if name in ("sphinx", "myst_nb") else real(name, *a))
    assert course.main(["site", "--out", str(tmp_path / "site")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['python -m maelearn.course: error: the course site needs sphinx, myst-nb, not installed; '
                   'run: pip install -e ".[site]"']
    assert not (tmp_path / "site").exists()


def test_unknown_lesson_is_refused_by_name():
    with pytest.raises(website.cli.UsageError, match=r"--lessons 99: no such lesson in .*lessons; expected some of 00, 01,"):
        website.find_lessons(REPO, ["00", "99"])


# --- what the site lists ---------------------------------------------------------------------------


def test_lesson_table_lists_all_thirteen_lessons():
    lessons = website.find_lessons(REPO)
    assert [l.number for l in lessons] == [f"{n:02d}" for n in range(13)]
    assert [l.stem for l in lessons] == LESSONS
    readme = website.readme_table(REPO)
    for lesson in lessons:
        nb = nbformat.read(lesson.path, as_version=4)
        assert f"# {lesson.number} · {lesson.title}" in "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert lesson.teaches and lesson.teaches == readme[lesson.number]
    assert next(l for l in lessons if l.number == "08").title == "The masked autoencoder"
    index = website.index_markdown(lessons, REPO)
    rows = re.findall(r"^\| (\d\d) \| \[(.+?)\]\(lessons/(\w+)\.ipynb\) \| (.+) \|$", index, re.M)
    assert [(n, stem) for n, _, stem, _ in rows] == [(l.number, l.stem) for l in lessons]
    toc = index.split("```{toctree}")[1]
    assert all(f"lessons/{stem}\n" in toc for stem in LESSONS)


def test_page_header_replaces_the_remote_badge():
    nb = nbformat.read(REPO / "lessons" / "08_masked_autoencoder.ipynb", as_version=4)
    assert "colab.research.google.com/assets/colab-badge.svg" in nb.cells[0].source
    nb = website.for_the_site(nb, "08_masked_autoencoder")
    first = nb.cells[0].source
    assert first.startswith('<div class="maelearn-launch">')
    assert f'href="{course.colab_url("lessons", "08_masked_autoencoder")}"' in first
    assert course.REPO in first and 'src="../_static/colab-badge.svg"' in first
    assert 'href="../notebooks/08_masked_autoencoder.ipynb"' in first
    assert "\n\n# 08 · The masked autoencoder" in first
    assert not any("colab-badge.svg\"" in c.source and "assets" in c.source for c in nb.cells if c.cell_type == "markdown")


def test_progress_bar_widget_becomes_its_last_state_as_text():
    states = {
        "box": {"state": {"_model_name": "HBoxModel", "children": ["IPY_MODEL_l", "IPY_MODEL_b", "IPY_MODEL_r"]}},
        "l": {"state": {"_model_name": "HTMLModel", "value": "pretrain: 100%"}},
        "b": {"state": {"_model_name": "FloatProgressModel", "value": 80, "max": 80}},
        "r": {"state": {"_model_name": "HTMLModel", "value": " 80/80 [00:11&lt;00:00,  6.78step/s, loss=0.5577]"}},
        "other": {"state": {"_model_name": "VBoxModel", "children": []}},
    }
    assert website.progress_text(states, "box") == "pretrain: 100%|██████████| 80/80 [00:11<00:00,  6.78step/s, loss=0.5577]"
    states["l"]["state"]["value"], states["b"]["state"]["value"] = "pretrain:  50%", 40  # an interrupted bar
    assert website.progress_text(states, "box").startswith("pretrain:  50%|█████     | 80/80")
    assert website.progress_text(states, "other") is None and website.progress_text(states, "missing") is None


def test_math_becomes_mathml_and_bad_math_stays_readable():
    block = website.mathml(r"\ln\frac{1 + D}{1 + \mathrm{df}(w)}", display=True)
    assert block.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">') and "<mfrac>" in block
    assert website.mathml("x^2", display=False).startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">')
    assert website.mathml(r"\frac{", display=True) == r'<code class="math-source">\frac{</code>'


def test_explorer_carries_a_static_fallback_of_the_view_it_shows():
    torch.manual_seed(0)
    model = build_mae("tiny", img_size=16, patch_size=4, dim=32, depth=1, heads=2, decoder_dim=16, decoder_depth=1, decoder_heads=2)
    box = mask_explorer(model, torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1)), mask_ratio=0.75)
    bundle = box._repr_mimebundle_()
    assert website.WIDGET_VIEW in bundle  # JupyterLab and Colab still get the live widget
    fallback = bundle["text/html"]
    assert fallback.startswith('<div class="mae-explorer-static"><img src="data:image/png;base64,')
    assert "ratio 0.75: 4 of 16 patches visible" in fallback and STATIC_NOTE in fallback
    box.controls["mask_ratio"].value = 0.5
    assert "ratio 0.50: 8 of 16 patches visible" in box._repr_mimebundle_()["text/html"]


# --- execution and a tiny end-to-end build ---------------------------------------------------------


def tiny_course(root: Path, lessons: dict[str, list[str]]) -> Path:
    """A course root whose lessons (``{"00_tiny": cells}``) are made of ``cells`` (markdown
    first, then code), with a README table and the real pyproject."""
    (root / "lessons").mkdir(parents=True)
    for stem, cells in lessons.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
        nb.cells = [nbformat.v4.new_markdown_cell(cells[0])] + [nbformat.v4.new_code_cell(c) for c in cells[1:]]
        nbformat.write(nb, root / "lessons" / f"{stem}.ipynb")
    (root / "README.md").write_text("# Tiny course\n\nA course of one lesson.\n\n| # | lesson | you leave able to |\n"
                                    "|---|---|---|\n| 00 | tiny | draw a line |\n")
    (root / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    return root


def test_a_failing_lesson_names_the_lesson_and_the_cell(tmp_path):
    root = tiny_course(tmp_path / "course", {"00_tiny": [
        "# 00 · Tiny", "x = 1", "import os\nassert os.environ['MAELEARN_MODE'] == 'quick'", "y = 1 / 0", "print('never')"]})
    with pytest.raises(website.SiteError) as err:
        website.execute_lessons(website.find_lessons(root), tmp_path / "run", jobs=1, cell_timeout=60, root=REPO)
    assert str(err.value) == "lesson 00_tiny.ipynb failed at cell 4 ('y = 1 / 0'): ZeroDivisionError: division by zero"


def test_a_failure_stops_the_other_running_lesson_and_a_slow_cell_times_out(tmp_path):
    root = tiny_course(tmp_path / "course", {
        "00_slow": ["# 00 · Slow", "import time\ntime.sleep(300)"],
        "01_fails": ["# 01 · Fails", "import time\ntime.sleep(3)\nraise RuntimeError('broken on purpose')"],
    })
    start = time.monotonic()
    with pytest.raises(website.SiteError, match=r"^lesson 01_fails\.ipynb failed at cell 2 \('import time'\): "
                                                 r"RuntimeError: broken on purpose$"):
        website.execute_lessons(website.find_lessons(root), tmp_path / "run", jobs=2, cell_timeout=600, root=REPO)
    assert time.monotonic() - start < 120  # the sleeping lesson was interrupted, not waited for
    with pytest.raises(website.SiteError, match=r"^lesson 00_slow\.ipynb failed at cell 2 \('import time'\): "
                                                 r"the cell ran past 2 s \(--cell-timeout\)$"):
        website.execute_lessons(website.find_lessons(root, ["00"]), tmp_path / "run2", jobs=1, cell_timeout=2, root=REPO)


def test_a_tiny_site_builds_and_replaces_the_previous_one(tmp_path):
    require_site_packages()
    root = tiny_course(tmp_path / "course", {"00_tiny": [
        "# 00 · Tiny\n\nA formula, $\\frac{1}{2}$, and a figure.",
        "import matplotlib.pyplot as plt\nplt.plot([0, 1], [0, 1]); plt.show()",
    ]})
    out = tmp_path / "site"
    for attempt in range(2):
        result = site_cli("--out", out, "--root", root, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "built the course site: 1 lesson executed" in result.stdout
        assert not (out / "stale.html").exists()  # the second build replaced the first site whole
        page = (out / "lessons" / "00_tiny.html").read_text()
        assert re.search(r'<img [^>]*src="\.\./_images/[^"]+\.png"', page), "no figure on the page"
        assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in page
        assert (out / "notebooks" / "00_tiny.ipynb").read_bytes() == (root / "lessons" / "00_tiny.ipynb").read_bytes()
        assert json.loads((out / website.MARKER).read_text())["lessons"] == ["00_tiny"]
        (out / "stale.html").write_text("from an older build")


# --- the real site, built once ------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The course site built by the README's command (or the site built before at
    ``$MAELEARN_TEST_SITE``, to check it again without the 10-minute build)."""
    if os.environ.get("MAELEARN_TEST_SITE"):
        return Path(os.environ["MAELEARN_TEST_SITE"])
    require_site_packages()
    out = tmp_path_factory.mktemp("course-site") / "site"
    start = time.monotonic()
    result = site_cli("--out", out, timeout=BUILD_LIMIT)
    seconds = time.monotonic() - start
    assert result.returncode == 0, f"the site build failed:\n{result.stderr[-3000:]}"
    print(f"\nsite built in {seconds:.0f} s: {result.stdout.strip()}")
    return out


@pytest.fixture(scope="module")
def served(built_site):
    """The site served on 127.0.0.1 (a thread of this process); yields its base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(served):
    """A headless Chromium page that records console errors, page errors and every request
    that leaves 127.0.0.1 (aborted). Skips without Chromium or Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set MAELEARN_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = b.new_context(viewport={"width": 1300, "height": 900}, service_workers="block")
        log = {"console": [], "foreign": []}

        def block(route):
            log["foreign"].append(route.request.url)
            route.abort()

        context.route(lambda url: not url.startswith((served, "data:", "blob:")), block)
        page = context.new_page()
        page.on("console", lambda m: log["console"].append(f"{m.type}: {m.text} ({m.location.get('url', '')})")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: log["console"].append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: log["console"].append(f"requestfailed: {r.url} {r.failure}"))
        page.on("response", lambda r: log["console"].append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        try:
            yield page, log, served
        finally:
            context.close()
            b.close()


def visit(page, log, url: str) -> list[str]:
    """Open ``url``; return what went wrong meanwhile (console errors, failed or foreign requests)."""
    log["console"].clear()
    log["foreign"].clear()
    page.goto(url, wait_until="load", timeout=PAGE_LOAD)
    page.wait_for_load_state("networkidle", timeout=PAGE_LOAD)
    return log["console"] + [f"foreign request: {u}" for u in log["foreign"]]


@pytest.mark.browser
def test_the_site_has_every_page_and_nothing_remote(built_site):
    """Files first (no browser): the pages, the notebooks to download (the release as it
    is), the search index, and no tag that loads a URL from outside the site."""
    assert (built_site / website.MARKER).is_file() and (built_site / ".nojekyll").is_file()
    assert (built_site / "search.html").is_file() and (built_site / "searchindex.js").is_file()
    for stem in LESSONS:
        assert (built_site / "lessons" / f"{stem}.html").is_file(), stem
        assert (built_site / "notebooks" / f"{stem}.ipynb").read_bytes() == (REPO / "lessons" / f"{stem}.ipynb").read_bytes()
    loads = re.compile(r"<(?:script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc=\"((?:https?:)?//[^\"]+)\""
                       r"|<link\b[^>]*\bhref=\"((?:https?:)?//[^\"]+)\"[^>]*>|url\(\s*['\"]?((?:https?:)?//[^)'\"]+)")
    remote = []
    for path in [*built_site.rglob("*.html"), *built_site.rglob("*.css")]:
        for m in loads.finditer(path.read_text(errors="replace")):
            url = next(g for g in m.groups() if g)
            if "<link" in m.group(0) and re.search(r"rel=\"(?:canonical|alternate)\"", m.group(0)):
                continue
            remote.append(f"{path.relative_to(built_site)}: {url}")
    assert not remote, f"pages that would load something from the internet: {remote[:10]}"


@pytest.mark.browser
@pytest.mark.parametrize("stem", LESSONS)
def test_lesson_page_in_the_browser(browser, stem):
    page, log, base = browser
    url = f"{base}/lessons/{stem}.html"
    problems = visit(page, log, url)
    assert not problems, f"{stem}: {problems}"
    assert page.title().startswith(stem[:2] + " ·"), page.title()
    # Figures: every image in the article has loaded, and the lesson has at least one output figure.
    images = page.evaluate("""() => Array.from(document.querySelectorAll('article img')).map(
        i => ({src: i.getAttribute('src').slice(0, 80), ok: i.complete && i.naturalWidth > 0,
               figure: !!i.closest('.cell_output') && !i.closest('.maelearn-launch')}))""")
    assert all(i["ok"] for i in images), f"{stem}: images that did not load: {[i for i in images if not i['ok']]}"
    assert sum(i["figure"] for i in images) >= 1, f"{stem}: no figure among the outputs"
    # The Colab badge (drawn by the site) and the download link of the notebook, which the site serves.
    badge = page.locator("a.maelearn-colab")
    assert badge.count() == 1 and badge.get_attribute("href") == course.colab_url("lessons", stem)
    assert page.evaluate("() => { const i = document.querySelector('a.maelearn-colab img'); return i.complete && i.naturalWidth > 0; }")
    download = page.locator("a.maelearn-download")
    assert download.count() == 1
    target = urljoin(url, download.get_attribute("href"))
    assert target == f"{base}/notebooks/{stem}.ipynb"
    response = page.request.get(target)
    assert response.ok, f"{target}: HTTP {response.status}"
    assert response.body() == (REPO / "lessons" / f"{stem}.ipynb").read_bytes()


@pytest.mark.browser
def test_index_navigation_reaches_every_lesson(browser):
    page, log, base = browser
    problems = visit(page, log, f"{base}/index.html")
    assert not problems, problems
    rows = page.locator("article table tbody tr")
    assert rows.count() == len(LESSONS)
    linked = [urljoin(page.url, a) for a in page.eval_on_selector_all("article table a", "els => els.map(e => e.getAttribute('href'))")]
    assert linked == [f"{base}/lessons/{stem}.html" for stem in LESSONS]
    sidebar = page.eval_on_selector_all("nav.bd-links a", "els => els.map(e => e.getAttribute('href'))")
    assert {urljoin(page.url, h) for h in sidebar} >= set(linked)
    assert page.locator("input[name='q']").count() >= 1 or page.locator("button.search-button-field").count() >= 1
    # The "next" link at the bottom of each page walks the lessons in order.
    visited = []
    page.click("a.right-next")
    while True:
        page.wait_for_load_state("load")
        visited.append(page.url.split("#")[0])
        if page.locator("a.right-next").count() == 0:
            break
        page.click("a.right-next")
    assert visited == linked


@pytest.mark.browser
def test_search_finds_a_lesson(browser):
    page, log, base = browser
    problems = visit(page, log, f"{base}/search.html?q=argsort")
    page.wait_for_selector("#search-results li a", timeout=PAGE_LOAD)
    hits = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.getAttribute('href'))")
    assert any("08_masked_autoencoder" in h for h in hits), hits
    assert not problems, problems


@pytest.mark.browser
def test_lesson08_explorer_is_a_static_picture_with_a_note(browser):
    page, log, base = browser
    problems = visit(page, log, f"{base}/lessons/08_masked_autoencoder.html")
    assert not problems, problems
    static = page.locator(".mae-explorer-static")
    assert static.count() == 1
    assert page.evaluate("() => { const i = document.querySelector('.mae-explorer-static img'); return i.complete && i.naturalWidth > 0; }")
    text = static.inner_text()
    assert "ratio 0.75" in text and "JupyterLab or Colab" in text
    bars = re.findall(r"(\d+)%\|", page.locator("article").inner_text())
    assert bars and all(b == "100" for b in bars), bars  # progress bars show their last state, not 0 %


@pytest.mark.browser
def test_math_is_drawn_as_mathml(browser):
    page, log, base = browser
    problems = visit(page, log, f"{base}/lessons/01_vision_motion.html")
    assert not problems, problems
    sizes = page.eval_on_selector_all("article math", "els => els.map(e => e.getBoundingClientRect().width)")
    assert len(sizes) >= 4 and all(w > 0 for w in sizes), sizes
    assert "\\frac" not in page.locator("article").inner_text()  # no formula left as LaTeX source
