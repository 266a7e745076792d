"""Checks on the committed notebooks themselves (nbval re-runs them separately)."""
import ast
import importlib
import importlib.util
import inspect
import json
import re
from pathlib import Path

import nbformat
import pytest

CHAPTERS = sorted((Path(__file__).parent.parent / "chapters").glob("*.ipynb"))
SAVED = re.compile(r"^# Saved in (d2lhelpers\.\w+)")


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def load_book_build():
    spec = importlib.util.spec_from_file_location("book_build", Path(__file__).parent.parent / "book" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_outputs_were_made_by_the_current_code(path):
    """The code hash recorded when the book's build last executed the chapter matches its code now."""
    build = load_book_build()
    nb = nbformat.read(path, as_version=4)
    assert build.stored_sha256(nb) == build.code_sha256(nb), (
        f"{path.name}: code changed since its outputs were made; run 'make book' to re-execute it")


def test_chapters_exist():
    names = [p.name for p in CHAPTERS]
    assert "00_introduction.ipynb" in names and "01_basics.ipynb" in names


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_committed_outputs_are_complete(path):
    """Executed top to bottom in one run, with no error output and no stderr noise."""
    cells = code_cells(path)
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1))
    for cell in cells:
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"{path.name}: {output.get('ename')} in committed output"
            assert output.get("name") != "stderr", f"{path.name}: stderr output: {''.join(output['text'])[:200]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_structure(path):
    """Every chapter ends with a summary, exercises and a bilingual glossary."""
    text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown")
    for heading in ("## Summary", "## Exercises", "## Glossary"):
        assert heading in text, f"{path.name} lacks '{heading}'"
    glossary = text.split("## Glossary", 1)[1]
    rows = [line for line in glossary.splitlines() if line.startswith("|") and "---" not in line][1:]
    assert len(rows) >= 5 and all(re.search(r"[\u4e00-\u9fff]", row) for row in rows), \
        f"{path.name}: glossary rows need a Chinese term each"


def saved_definitions():
    for path in CHAPTERS:
        for cell in code_cells(path):
            source = "".join(cell["source"])
            match = SAVED.match(source)
            if match:
                for node in ast.parse(source).body:
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        yield pytest.param(path.name, match.group(1), node, id=f"{path.name}:{node.name}")


@pytest.mark.parametrize("chapter, module_name, node", saved_definitions())
def test_saved_code_matches_d2lhelpers(chapter, module_name, node):
    """A function a chapter defines and saves is exactly the one d2lhelpers holds."""
    module = importlib.import_module(module_name)
    assert hasattr(module, node.name), f"{chapter} saves {node.name} but {module_name} lacks it"
    packaged = ast.parse(inspect.getsource(getattr(module, node.name))).body[0]
    assert ast.dump(packaged) == ast.dump(node), f"{chapter}: {node.name} differs from {module_name}.{node.name}"


def test_some_code_is_saved():
    assert len(list(saved_definitions())) >= 2
