"""The built HTML book, opened page by page in headless Chromium.

Every page must render its title, load every image, typeset every formula,
have working internal links and working animations and widgets, and make no
request to any host but the local server. A screenshot of each page goes to
``_build/html/_screenshots/``. Build the book first (``make test`` does).
"""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 (any free port); returns (server, base URL)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def site():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"no built book in {HTML}: run 'make book' (or 'make test', which builds it)")
    server, base = serve(HTML)
    yield base
    server.shutdown()


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname in ("127.0.0.1", "localhost")


def open_page(browser, url: str):
    """Open ``url``; returns (page, list of requests that left the machine).

    ``page.errors`` collects JavaScript errors and local requests that failed
    (a missing font or script would otherwise go unnoticed).
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    external: list[str] = []
    page.on("request", lambda request: None if is_local(request.url) else external.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="networkidle")
    page.errors = errors
    return page, external


def check_animations(page) -> int:
    """Play every matplotlib JavaScript animation; each must show a new frame. Returns how many."""
    animations = page.query_selector_all("div.animation")
    for animation in animations:
        frame = animation.query_selector("img")
        before = frame.get_attribute("src")
        animation.query_selector("button[onclick*='play_animation']").click()
        page.wait_for_function("([img, src]) => img.getAttribute('src') !== src", arg=[frame, before], timeout=5000)
    return len(animations)


def check_widgets(page) -> int:
    """Every embedded widget view must have been rendered by the widget manager. Returns how many."""
    views = page.query_selector_all("script[type='application/vnd.jupyter.widget-view+json']")
    if views:
        page.wait_for_function(
            "n => document.querySelectorAll('.jupyter-widgets, .widget-container, .lm-Widget').length >= n",
            arg=len(views), timeout=15000)
        assert "Error displaying widget" not in page.content()
    return len(views)


def check_math(page) -> int:
    """Every formula typeset by MathJax, with no MathJax error. Returns how many formulas."""
    formulas = page.locator(".math").count()
    if formulas:
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
        untypeset = page.evaluate("() => [...document.querySelectorAll('.math')]"
                                  ".filter(e => !e.querySelector('mjx-container'))"
                                  ".map(e => e.textContent.slice(0, 60))")
        assert untypeset == [], f"formulas MathJax did not typeset: {untypeset[:3]}"
        assert page.locator("mjx-merror").count() == 0, "MathJax reported an error in a formula"
    return formulas


def check_links(page, url: str) -> None:
    """Every link into the site reaches a page, and every #anchor into this page exists."""
    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    for href in set(hrefs):
        target = urljoin(url, href)
        if not is_local(target) or urlparse(target).scheme not in ("http", "https"):
            continue
        address, fragment = urldefrag(target)
        if address == urldefrag(url)[0]:
            if fragment:
                assert page.locator(f"[id='{fragment}']").count() > 0, f"{href}: no such anchor"
        else:
            assert page.request.get(address).status == 200, f"{href}: broken link"


def pages() -> list[str]:
    found = sorted(p.relative_to(HTML).as_posix() for p in (HTML / "chapters").glob("*.html"))
    return ["index.html", "preface.html", *found]


def test_every_chapter_has_a_page():
    notebooks = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))
    assert [Path(p).stem for p in pages() if p.startswith("chapters/")] == notebooks


@pytest.mark.parametrize("name", pages())
def test_page_works_offline(browser, site, name):
    url = urljoin(site, name)
    page, external = open_page(browser, url)
    try:
        assert page.title() and page.locator("h1").first.inner_text().strip()
        broken = page.evaluate("() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
                               ".map(i => i.getAttribute('src'))")
        assert broken == [], f"images that did not load: {broken}"
        formulas = check_math(page)
        if name.startswith("chapters/"):
            assert page.locator("a[href*='mybinder.org']").count() > 0, "no Binder launch link"
            assert page.locator("a[href$='.ipynb']").count() > 0, "no .ipynb download link"
            toc = page.locator(".bd-toc, #pst-page-navigation-heading-2, .page-toc")
            assert toc.count() > 0, "no table of contents"
        check_links(page, url)
        check_animations(page)
        check_widgets(page)
        assert page.errors == [], f"errors on the page: {page.errors}"
        shots = HTML / "_screenshots"
        shots.mkdir(exist_ok=True)
        page.screenshot(path=str(shots / (name.replace("/", "_").replace(".html", ".png"))), full_page=False)
        assert external == [], f"requests left the machine: {external}"
        if name == "chapters/01_basics.html":
            assert formulas >= 10
    finally:
        page.close()


def test_search_works_offline(browser, site):
    page, external = open_page(browser, urljoin(site, "search.html?q=softmax"))
    try:
        page.wait_for_selector("#search-results li", timeout=15000)
        assert "01_basics" in page.inner_html("#search-results")
        assert external == []
    finally:
        page.close()


def test_animation_check_catches_a_frozen_animation(browser, tmp_path):
    """The generic animation check advances a real matplotlib animation, and fails on a frozen one."""
    from matplotlib.animation import FuncAnimation
    from matplotlib.figure import Figure
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    fig = Figure(figsize=(2, 2))
    ax = fig.add_subplot()
    line, = ax.plot([0, 1], [0, 0])
    html = FuncAnimation(fig, lambda i: line.set_ydata([0, i]) or (line,), frames=5, interval=50).to_jshtml()
    (tmp_path / "anim.html").write_text(f"<html><body>{html}</body></html>")
    freeze = "<script>Animation.prototype.play_animation = function () {};</script>"
    (tmp_path / "frozen.html").write_text(f"<html><body>{html}{freeze}</body></html>")
    server, base = serve(tmp_path)
    try:
        page, _ = open_page(browser, base + "anim.html")
        assert check_animations(page) == 1
        page, _ = open_page(browser, base + "frozen.html")
        with pytest.raises(PlaywrightTimeout):
            check_animations(page)
    finally:
        server.shutdown()


def test_widgets_render_offline(browser, tmp_path):
    """A page with an embedded widget, built like the book, renders it from local JavaScript and fonts."""
    import importlib.util

    import nbformat
    from nbclient import NotebookClient

    spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# Widget check"),
                nbformat.v4.new_code_cell("import ipywidgets\nipywidgets.IntSlider(value=3, max=10, description='n')")]
    NotebookClient(nb, kernel_name="python3").execute()  # stores the widget state, as make book does
    notebook = tmp_path / "widget_check.ipynb"
    nbformat.write(nb, notebook)
    build.stage(build.BOOK / "node_modules", tmp_path / "src", [notebook])
    build.sphinx(tmp_path / "src", tmp_path / "html")
    server, base = serve(tmp_path / "html")
    try:
        page, external = open_page(browser, base + "chapters/widget_check.html")
        assert check_widgets(page) == 1 and page.locator(".widget-slider").count() == 1
        assert page.errors == [] and external == []
    finally:
        server.shutdown()


PLAYGROUND = "chapters/07_playground.html"


def test_playground_animations_play_and_its_widgets_render(browser, site):
    """The playground chapter's page: its training animations advance, its saved widgets render.

    The same page with the animations' play function switched off must fail
    the animation check. A screenshot of the first animation, taken after it
    advanced, goes to ``_screenshots/chapters_07_playground_animation.png``.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if not (HTML / PLAYGROUND).is_file():
        pytest.fail(f"no {PLAYGROUND} in the built book: run 'make book'")
    page, external = open_page(browser, urljoin(site, PLAYGROUND))
    try:
        assert check_animations(page) >= 3, "the playground page should show three training animations"
        assert check_widgets(page) >= 1, "the playground's controls did not render"
        first = page.query_selector_all("div.animation")[0]
        first.scroll_into_view_if_needed()
        shots = HTML / "_screenshots"
        shots.mkdir(exist_ok=True)
        first.screenshot(path=str(shots / "chapters_07_playground_animation.png"))
        assert page.errors == [] and external == []
    finally:
        page.close()
    page, _ = open_page(browser, urljoin(site, PLAYGROUND))
    try:
        page.evaluate("() => { Animation.prototype.play_animation = function () {}; }")
        with pytest.raises(PlaywrightTimeout):
            check_animations(page)
    finally:
        page.close()
