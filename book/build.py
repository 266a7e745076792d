"""Build the HTML book: execute the chapters whose code changed, then run Sphinx.

Usage: python book/build.py [--force] [--no-execute] [chapters/NN_name.ipynb ...]

A chapter counts as changed when its code hash differs from the one stored
in its metadata (``d2lbook.code_sha256``) by its last execution here. The
hash (``book.notebooks.code_sha256``) covers the notebook's code cells, the
``d2lhelpers`` modules it imports (comments and docstrings aside) and
``requirements.txt``. Each execution also records its wall time
(``seconds``), the ``seed`` and the ``date``; ``book/chapter_table.py`` puts
the times in the README. Outputs are recorded only at a chapter's default
seed: with ``D2L_SEED`` set to another value the build refuses to execute.
Chapters execute with ``D2L_STRICT_RESULTS=1``, so a result that misses its
expectation fails the build rather than being committed.

Executed notebooks are written back in place, so the committed notebooks stay
the source of the book; Sphinx itself never executes them. The HTML goes to
``_build/html``; Sphinx runs with warnings as errors.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script, this file's folder is on the path, not the repository's
from book import notebooks  # noqa: E402

BOOK, CHAPTERS = ROOT / "book", ROOT / "chapters"
STAGE, HTML = ROOT / "_build" / "src", ROOT / "_build" / "html"
SEED_VARIABLE = "D2L_SEED"  # as in d2lhelpers.runtime (not imported here: it would set OMP_NUM_THREADS)
WIDGET_JS = {  # file served by the book -> where npm put it
    "require.js": "requirejs/require.js",
    "embed-amd.js": "@jupyter-widgets/html-manager/dist/embed-amd.js",
}
WIDGET_FONTS = "@jupyter-widgets/html-manager/dist"  # fonts the widget bundle loads at run time
PAGES = ("conf.py", "index.md", "preface.md")


class BuildError(Exception):
    """A reason not to execute or record a chapter; main() prints it and exits."""


def code_sha256(nb: nbformat.NotebookNode, name: str) -> str:
    """Hash of what the outputs of chapter ``name`` (its notebook's file name) depend on (``notebooks.code_sha256``)."""
    return notebooks.code_sha256(nb, Path(name).stem)


def stored_sha256(nb: nbformat.NotebookNode) -> str | None:
    return notebooks.stored_sha256(nb)


def default_seed(nb: nbformat.NotebookNode, name: str) -> int:
    """The integer literal of the ``runtime.set_seed(<int>)`` call in the chapter's first code cell."""
    first = next((cell for cell in nb.cells if cell.cell_type == "code"), None)
    if first is None:
        raise BuildError(f"{name}: no code cell, so no runtime.set_seed(<int>) call to take its default seed from")
    try:
        tree = ast.parse(first.source)
    except SyntaxError as err:
        raise BuildError(f"{name}: cannot parse its first code cell ({err}) to find runtime.set_seed(<int>)") from None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "set_seed"
                and ast.unparse(node.func.value).split(".")[-1] == "runtime"
                and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
                and type(node.args[0].value) is int):
            return node.args[0].value
    raise BuildError(f"{name}: its first code cell has no runtime.set_seed(<int>) call, "
                     "so its default seed is unknown; every chapter seeds itself there")


def check_seed(nb: nbformat.NotebookNode, name: str) -> int:
    """Return the chapter's default seed; refuse if ``D2L_SEED`` asks for another one."""
    seed = default_seed(nb, name)
    raw = os.environ.get(SEED_VARIABLE, "").strip()
    try:
        wanted = int(raw) if raw else seed
    except ValueError:
        raise BuildError(f"{SEED_VARIABLE}={raw!r} is not an integer; unset it to execute {name}") from None
    if wanted != seed:
        raise BuildError(
            f"{name}: {SEED_VARIABLE}={raw} is set, but the committed outputs must come from the chapter's "
            f"default seed {seed}. Unset {SEED_VARIABLE} to execute it here; to try another seed, run the "
            f"notebook in JupyterLab or with nbval (D2L_SEED={raw} make test NB=chapters/{name}).")
    return seed


def run_notebook(nb: nbformat.NotebookNode, cwd: Path) -> None:
    """Execute ``nb`` in place in a fresh kernel started in ``cwd``, results checked strictly; raises on failure."""
    notebooks.execute(nb, cwd, strict=True)


def execute(path: Path) -> float:
    """Execute a notebook top to bottom and record how in its metadata; returns seconds.

    Refuses (``BuildError``) before executing when ``D2L_SEED`` differs from
    the chapter's default seed. The notebook on disk changes only when the
    execution succeeded, in one atomic rename.
    """
    nb = nbformat.read(path, as_version=4)
    seed = check_seed(nb, path.name)
    sha256 = code_sha256(nb, path.name)  # before executing: what made the outputs, even if a file changes meanwhile
    start = time.perf_counter()
    run_notebook(nb, path.parent)
    seconds = time.perf_counter() - start
    nb.metadata["d2lbook"] = {
        "code_sha256": sha256,
        "seconds": round(seconds, 1),
        "seed": seed,
        "date": datetime.date.today().isoformat(),
    }
    notebooks.write_atomically(nb, path)
    return seconds


def execute_changed(force: bool, only: list[Path]) -> None:
    """Execute the chapters whose code changed (all with ``force``), limited to ``only`` if given.

    Every seed is checked before the first chapter executes.
    """
    todo = []
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        if only and path.resolve() not in only:
            continue
        nb = nbformat.read(path, as_version=4)
        if not force and stored_sha256(nb) == code_sha256(nb, path.name):
            print(f"{path.name}: outputs up to date", flush=True)
            continue
        check_seed(nb, path.name)
        todo.append(path)
    for path in todo:
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
        try:
            execute_changed(args.force, only)
        except BuildError as err:
            sys.exit(f"error: {err}")
    stage(args.node_modules)
    sphinx()


if __name__ == "__main__":
    main()
