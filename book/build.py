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


def stage(node_modules: Path) -> None:
    """Lay out the Sphinx source folder: book pages, chapters, local JavaScript."""
    missing = [str(node_modules / src) for src in WIDGET_JS.values() if not (node_modules / src).is_file()]
    if missing:
        sys.exit(f"error: widget JavaScript not installed ({', '.join(missing)}); "
                 "run 'npm ci --prefix book' (make book does this).")
    shutil.rmtree(STAGE, ignore_errors=True)
    (STAGE / "chapters").mkdir(parents=True)
    (STAGE / "_static").mkdir()
    for page in PAGES:
        shutil.copy2(BOOK / page, STAGE / page)
    for path in CHAPTERS.glob("*.ipynb"):
        shutil.copy2(path, STAGE / "chapters" / path.name)
    for name, src in WIDGET_JS.items():
        shutil.copy2(node_modules / src, STAGE / "_static" / name)


def sphinx() -> None:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                             str(STAGE), str(HTML)])
    if result.returncode:
        sys.exit(f"error: Sphinx failed (exit {result.returncode}); warnings count as errors")
    print(f"HTML book in {HTML.relative_to(ROOT)}/ ({time.perf_counter() - start:.1f} s); "
          f"open {HTML.relative_to(ROOT)}/index.html", flush=True)


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
