"""Build the HTML book: execute the chapters whose code changed, then run Sphinx.

Usage: python book/build.py [--force] [--no-execute] [chapters/NN_name.ipynb ...]

A chapter counts as changed when the SHA-256 of its code cells differs from
the one stored in its metadata (``d2lbook.code_sha256``) by its last
execution here. Executed notebooks are written back in place, so the
committed notebooks stay the source of the book; Sphinx itself never
executes them. The HTML goes to ``_build/html``; Sphinx runs with warnings
as errors.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BOOK, CHAPTERS = ROOT / "book", ROOT / "chapters"
STAGE, HTML = ROOT / "_build" / "src", ROOT / "_build" / "html"
WIDGET_JS = {  # file served by the book -> where npm put it
    "require.js": "requirejs/require.js",
    "embed-amd.js": "@jupyter-widgets/html-manager/dist/embed-amd.js",
}
WIDGET_FONTS = "@jupyter-widgets/html-manager/dist"  # fonts the widget bundle loads at run time
PAGES = ("conf.py", "index.md", "preface.md")


def code_sha256(nb: nbformat.NotebookNode) -> str:
    """Hash of the sources of a notebook's code cells, in order."""
    sources = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps(sources).encode()).hexdigest()


def stored_sha256(nb: nbformat.NotebookNode) -> str | None:
    return nb.metadata.get("d2lbook", {}).get("code_sha256")


def execute(path: Path) -> float:
    """Execute a notebook top to bottom in place, record its code hash; returns seconds."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=1200, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    nb.metadata["d2lbook"] = {"code_sha256": code_sha256(nb)}
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)  # never leave a half-written notebook behind
    return seconds


def execute_changed(force: bool, only: list[Path]) -> None:
    """Execute the chapters whose code changed (all with ``force``), limited to ``only`` if given."""
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        if only and path.resolve() not in only:
            continue
        nb = nbformat.read(path, as_version=4)
        if not force and stored_sha256(nb) == code_sha256(nb):
            print(f"{path.name}: outputs up to date", flush=True)
            continue
        print(f"{path.name}: executing ...", flush=True)
        print(f"{path.name}: executed in {execute(path):.1f} s", flush=True)


def stage(node_modules: Path, target: Path = STAGE, notebooks: list[Path] | None = None) -> None:
    """Lay out a Sphinx source folder: book pages, chapters, local JavaScript and fonts."""
    missing = [str(node_modules / src) for src in WIDGET_JS.values() if not (node_modules / src).is_file()]
    if missing:
        sys.exit(f"error: widget JavaScript not installed ({', '.join(missing)}); "
                 "run 'npm ci --prefix book' (make book does this).")
    shutil.rmtree(target, ignore_errors=True)
    (target / "chapters").mkdir(parents=True)
    static = target / "_static"
    static.mkdir()
    for page in PAGES:
        shutil.copy2(BOOK / page, target / page)
    for path in notebooks if notebooks is not None else CHAPTERS.glob("*.ipynb"):
        shutil.copy2(path, target / "chapters" / path.name)
    for name, src in WIDGET_JS.items():
        shutil.copy2(node_modules / src, static / name)
    shutil.copy2(BOOK / "widget-assets-path.js", static)
    (static / "widget-assets").mkdir()
    for font in (node_modules / WIDGET_FONTS).iterdir():
        if font.suffix in (".woff2", ".woff", ".ttf", ".eot", ".svg"):
            shutil.copy2(font, static / "widget-assets" / font.name)


def sphinx(source: Path = STAGE, html: Path = HTML) -> None:
    """Build the HTML with warnings as errors; exits with a message on failure."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                             str(source), str(html)])
    if result.returncode:
        sys.exit(f"error: Sphinx failed (exit {result.returncode}); warnings count as errors")
    print(f"HTML book in {html} ({time.perf_counter() - start:.1f} s); open {html / 'index.html'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="execute every chapter")
    parser.add_argument("--no-execute", action="store_true", help="build from the notebooks as they are")
    parser.add_argument("--node-modules", type=Path, default=BOOK / "node_modules")
    parser.add_argument("notebooks", nargs="*", type=Path, help="limit execution to these chapters")
    args = parser.parse_args()
    only = [p.resolve() for p in args.notebooks]
    unknown = [str(p) for p in only if p.parent != CHAPTERS or not p.is_file()]
    if unknown:
        parser.error(f"notebooks must be existing files in chapters/, got {unknown}")
    if not args.no_execute:
        execute_changed(args.force, only)
    stage(args.node_modules)
    sphinx()


if __name__ == "__main__":
    main()
