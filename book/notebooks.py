"""Notebook tooling shared by the book's build, the benchmark and the tests.

* ``code_sha256``: what a chapter's outputs depend on, hashed. That is its code
  cells, the ``d2lhelpers`` modules it imports (directly or through other
  helper modules) with docstrings and comments stripped, and the pinned
  runtime (``requirements.txt``). A docstring fix re-executes nothing; a change
  to ``text.py`` re-executes the chapters that import it, and no other.
  Entries about other chapters are left out too: an item of a literal dict,
  tuple or list that is a call whose first argument is another chapter's
  name (``Expectation("04_cnn", ...)`` in ``expectations.py``,
  ``Chapter("04_cnn", ...)`` in ``manifest.py``), so editing one chapter's
  bound or budget re-executes that chapter alone.
  ``requirements-dev.txt`` is left out: it pins the tools that test and build
  the book (pytest, Sphinx, the linter), not what runs in a chapter's kernel.
* ``glued_values``: the numbers a notebook's outputs recorded with
  ``myst_nb.glue`` (the "Results of this run" cell records them).
* ``execute``: runs a notebook in a fresh kernel, with one timeout per cell.
* ``write_atomically``: writes a notebook whole or not at all.

The hash uses ``ast.dump``, whose text differs between Python versions; the
book pins Python 3.11, so a Python upgrade would re-execute every chapter
once. Imports inside cell magics (``%%time``) are not seen; no chapter
uses one to import ``d2lhelpers``.

Importing this module does not import MXNet or ``d2lhelpers``.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
PACKAGE, REQUIREMENTS = ROOT / "d2lhelpers", ROOT / "requirements.txt"
GLUE_MIME = "application/papermill.record/text/plain"  # how myst_nb.glue stores a number (its repr)
STRICT_VARIABLE = "D2L_STRICT_RESULTS"  # as in d2lhelpers.results (not imported here: it would set OMP_NUM_THREADS)
CELL_TIMEOUT = 600  # seconds one cell may run, as nbval's --nbval-cell-timeout in pyproject.toml


# --- what a chapter's outputs depend on ------------------------------------------------------------


def python_of(source: str) -> str:
    """A cell's source as plain Python (IPython magics and shell escapes turned into calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _imported(tree: ast.AST, package: str, current: str | None = None) -> set[str]:
    """Dotted names of ``package``'s modules that ``tree`` imports, with their parent packages.

    ``current`` is the module that ``tree`` is (for relative imports); a name
    imported from a package may be a module or an attribute, so both the
    package and ``package.name`` are returned and the caller keeps those that
    exist.
    """
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .x import y
                if current is None:
                    continue
                base = current.split(".")[:-node.level]  # a package's current name ends in .__init__
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    names = {name for name in found if name == package or name.startswith(package + ".")}
    parents = {".".join(name.split(".")[:i]) for name in names for i in range(1, name.count(".") + 1)}
    return names | parents


def _module_path(name: str, package_dir: Path) -> Path | None:
    """The file of module ``name`` (``d2lhelpers.text``) under ``package_dir``, or None if there is none."""
    parts = name.split(".")[1:]
    base = package_dir.joinpath(*parts) if parts else package_dir
    for path in (base / "__init__.py", base.with_suffix(".py") if parts else None):
        if path is not None and path.is_file():
            return path
    return None


def helper_modules(sources: Iterable[str], package_dir: Path | None = None) -> dict[str, Path]:
    """The modules of the package in ``package_dir`` (``PACKAGE``) that ``sources`` import, directly or not."""
    package_dir = PACKAGE if package_dir is None else package_dir
    package = package_dir.name
    todo = set().union(*(_imported(ast.parse(python_of(s)), package) for s in sources))
    found: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        path = _module_path(name, package_dir)
        if name in found or path is None:
            continue
        found[name] = path
        current = name + ".__init__" if path.name == "__init__.py" else name
        todo |= _imported(ast.parse(path.read_text()), package, current) - set(found)
    return dict(sorted(found.items()))


def _without_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` with the docstrings of its module, classes and functions removed (in place)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


CHAPTER_NAME = re.compile(r"\d\d_\w+")  # how a chapter is named: 04_cnn


def _about_another_chapter(node: ast.AST, chapter: str) -> bool:
    """Whether ``node`` is a call whose first argument names a chapter other than ``chapter``."""
    first = node.args[0] if isinstance(node, ast.Call) and node.args else None
    return (isinstance(first, ast.Constant) and isinstance(first.value, str)
            and CHAPTER_NAME.fullmatch(first.value) is not None and first.value != chapter)


def _without_other_chapters(tree: ast.AST, chapter: str) -> ast.AST:
    """``tree`` without the items of literal dicts, tuples and lists that are about other chapters (in place)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            kept = [(k, v) for k, v in zip(node.keys, node.values, strict=True)
                    if not _about_another_chapter(v, chapter)]
            node.keys, node.values = [k for k, _ in kept], [v for _, v in kept]
        elif isinstance(node, ast.Tuple | ast.List):
            node.elts = [e for e in node.elts if not _about_another_chapter(e, chapter)]
    return tree


def code_fingerprint(source: str, chapter: str | None = None) -> str:
    """A module's code without comments, docstrings or layout: equal for sources that run the same.

    With ``chapter``, entries about other chapters are left out as well (see the module's docstring).
    """
    tree = _without_docstrings(ast.parse(source))
    return ast.dump(tree if chapter is None else _without_other_chapters(tree, chapter))


def code_sha256(nb: nbformat.NotebookNode, chapter: str | None = None, package_dir: Path | None = None,
                requirements: Path | None = None) -> str:
    """Hash of what the outputs of ``nb``, the chapter named ``chapter``, depend on (see the module's docstring).

    Without ``chapter`` no entry is left out. ``package_dir`` and ``requirements``
    default to ``PACKAGE`` and ``REQUIREMENTS``, read when called.
    """
    requirements = REQUIREMENTS if requirements is None else requirements
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    modules = helper_modules(cells, package_dir)
    payload = {
        "cells": cells,
        "d2lhelpers": [[name, code_fingerprint(path.read_text(), chapter)] for name, path in modules.items()],
        "requirements.txt": requirements.read_text(),
    }
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def stored_sha256(nb: nbformat.NotebookNode) -> str | None:
    """The hash recorded when the book's build last executed the notebook, if any."""
    return nb.metadata.get("d2lbook", {}).get("code_sha256")


# --- glued numbers ---------------------------------------------------------------------------------


def parse_glued(name: str, text: str | list[str]) -> float:
    """The number ``myst_nb.glue`` stored as ``text`` (its repr) for the glue name ``name``."""
    raw = "".join(text) if isinstance(text, list) else text
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"glued value {name!r} is not a number: {raw!r}") from None


def glued_values(nb: Mapping) -> dict[str, float]:
    """The numbers a notebook's outputs glued, by name (a NotebookNode or the notebook's JSON)."""
    values = {}
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None and GLUE_MIME in output.get("data", {}):
                values[name] = parse_glued(name, output["data"][GLUE_MIME])
    return values


# --- running and writing ---------------------------------------------------------------------------


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = CELL_TIMEOUT,
            on_cell_executed: Callable[..., None] | None = None, strict: bool | None = None) -> None:
    """Execute ``nb`` in place in a fresh kernel started in ``cwd``; raises on a failing cell.

    The kernel inherits this process's environment. ``timeout`` is per cell.
    ``strict`` sets ``D2L_STRICT_RESULTS`` for this execution only: True, a
    results cell fails on a missed bound (the build); False, it marks and
    explains it (the benchmark, as a reader's kernel); None leaves it as it is.
    """
    from nbclient import NotebookClient

    hooks = {} if on_cell_executed is None else {"on_cell_executed": on_cell_executed}
    previous = os.environ.get(STRICT_VARIABLE)
    if strict is not None:
        os.environ[STRICT_VARIABLE] = "1" if strict else "0"
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                       **hooks).execute()
    finally:
        if previous is None:
            os.environ.pop(STRICT_VARIABLE, None)
        else:
            os.environ[STRICT_VARIABLE] = previous


def write_atomically(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` to ``path`` through a temporary file, so a failure never leaves half a notebook."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        nbformat.write(nb, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
