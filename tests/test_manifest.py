"""d2lhelpers.manifest: the one list of chapters, and what derives from it."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from d2lhelpers import manifest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {p.stem: p for p in (ROOT / "chapters").glob("*.ipynb")}


def load_build():
    spec = importlib.util.spec_from_file_location("book_build_for_manifest", ROOT / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_manifest_lists_exactly_the_notebooks():
    """Adding a chapter means a notebook in chapters/ and one Chapter in the manifest, both or neither."""
    assert set(manifest.names()) == set(NOTEBOOKS)
    assert manifest.names() == sorted(manifest.names()), "chapters are listed in the book's order"
    assert [c.number for c in manifest.CHAPTERS] == list(range(len(manifest.CHAPTERS)))


def test_default_seeds_are_the_notebooks_own():
    build = load_build()
    for chapter in manifest.CHAPTERS:
        nb = nbformat.read(NOTEBOOKS[chapter.name], as_version=4)
        assert build.default_seed(nb, chapter.name) == chapter.seed, chapter.name


def test_budgets_of_the_book_and_its_chapters():
    """The book's budget bounds the chapters' times added up; each chapter may use more than its share.

    So the book's budget lies between the largest chapter budget and the sum
    of them all, and the times recorded by the last execution of each
    committed notebook keep within both.
    """
    budgets = [c.seconds for c in manifest.CHAPTERS]
    assert max(budgets) <= manifest.BOOK_SECONDS <= sum(budgets)
    recorded = {name: json.loads(path.read_text())["metadata"]["d2lbook"]["seconds"]
                for name, path in NOTEBOOKS.items()}
    over = {name: (seconds, manifest.chapter(name).seconds) for name, seconds in recorded.items()
            if seconds > manifest.chapter(name).seconds}
    assert not over, f"chapters over their budget (recorded, budget): {over}"
    assert sum(recorded.values()) <= manifest.BOOK_SECONDS, \
        f"the chapters took {sum(recorded.values()):.0f} s together, over the book's {manifest.BOOK_SECONDS:.0f} s"


def test_contents_has_a_row_per_chapter():
    rows = manifest.contents().splitlines()[2:]
    assert len(rows) == len(manifest.CHAPTERS)
    assert rows[4].startswith("| 4 | Convolutional neural networks |") and rows[4].endswith("| 3 min |")


def test_chapter_zero_shows_the_contents_from_the_manifest():
    nb = nbformat.read(NOTEBOOKS["00_introduction"], as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and "manifest.contents()" in c.source]
    assert len(cells) == 1
    shown = "".join(o.get("data", {}).get("text/markdown", "") for o in cells[0].outputs)
    assert shown == manifest.contents(), "chapter 0's table of contents is stale: re-execute it"


def test_unknown_chapters_are_refused():
    with pytest.raises(ValueError, match="chapter must be one of 00_introduction, .*got '4_cnn'"):
        manifest.chapter("4_cnn")
    assert manifest.chapter("04_cnn").notebook == "chapters/04_cnn.ipynb"


def test_import_has_no_side_effects():
    code = "import sys, d2lhelpers.manifest; print('mxnet' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
