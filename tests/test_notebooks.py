"""Checks on the committed notebooks themselves (nbval re-runs them separately).

Also the book's conventions (../shared/BOOK.md section 5) as far as a program
can check them, and the logic of book/build.py and book/chapter_table.py on
tiny notebooks made in temporary folders (no chapter is executed here).
"""
import ast
import copy
import importlib
import importlib.util
import inspect
import io
import json
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

from d2lhelpers import results

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
SAVED = re.compile(r"^# Saved in (d2lhelpers\.\w+)")  # reader-facing marker atop a code cell
RESULTS_HEADING = results.HEADING
EXERCISES = re.compile(r"^## Exercises\s*$", re.MULTILINE)
# Test talk a reader should not see: words (whole words, any case) and phrases.
TEST_TALK = re.compile(r"\b(target|targets|ci|nbval|assert|asserts|asserted|any seed|our machine|in our trials)\b",
                       re.IGNORECASE)
# "target(s)" in its machine-learning sense, which prose may use: before a math or code
# symbol ("the targets $y$", "targets `Y`") or one of these nouns.
ML_TARGET = re.compile(r"\btargets?(?=\s+(\$|`|variables?\b|values?\b|labels?\b|sequences?\b|tokens?\b"
                       r"|words?\b|characters?\b|vectors?\b|distributions?\b))", re.IGNORECASE)


def load_script(name):
    spec = importlib.util.spec_from_file_location(f"book_{name}", ROOT / "book" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_script("build")
python_of = build.notebooks.python_of  # a cell's source as plain Python (IPython magics turned into calls)
chapter_table = load_script("chapter_table")


def read(path):
    return nbformat.read(path, as_version=4)


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def tags(cell):
    return cell.metadata.get("tags", [])


def cell_name(path, cell):
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else "(empty)"
    return f"{path.name}, cell {first[:60]!r}"


def is_glue_call(node):
    return isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Name) and node.func.id == "glue")
        or (isinstance(node.func, ast.Attribute) and node.func.attr == "glue"))


def is_results_cell(cell):
    return cell.cell_type == "code" and cell.source.lstrip().startswith(RESULTS_HEADING)


def split_at_exercises(nb):
    """(code cells before the "## Exercises" heading, code cells after it: the exercise cells)."""
    before, after, in_exercises = [], [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and EXERCISES.search(cell.source):
            in_exercises = True
        elif cell.cell_type == "code":
            (after if in_exercises else before).append(cell)
    return before, after


# --- the committed notebooks -------------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_outputs_were_made_by_the_current_code(path):
    """The hash build.py recorded when it last executed the chapter matches its code and d2lhelpers now."""
    nb = read(path)
    assert build.stored_sha256(nb) == build.code_sha256(nb, path.name), (
        f"{path.name}: its code, d2lhelpers or requirements.txt changed since its outputs were made; "
        "run 'make book' to re-execute it")


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
    cells = json.loads(path.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for heading in ("## Summary", "## Exercises", "## Glossary"):
        assert heading in text, f"{path.name} lacks '{heading}'"
    glossary = text.split("## Glossary", 1)[1]
    rows = [line for line in glossary.splitlines() if line.startswith("|") and "---" not in line][1:]
    assert len(rows) >= 5 and all(re.search(r"[\u4e00-\u9fff]", row) for row in rows), \
        f"{path.name}: glossary rows need a Chinese term each"


# --- conventions (BOOK.md section 5) ------------------------------------------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_nbval_markers_are_tags(path):
    """nbval markers are cell tags (nbval-check-output, nbval-ignore-output), never comments."""
    marked = [cell_name(path, c) for c in read(path).cells if "NBVAL_" in c.source]
    assert not marked, f"'NBVAL_' in cell sources (tag the cells instead): {marked}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_glue_roles_in_prose(path):
    """{glue:...} roles show raw in JupyterLab: prose describes results in words instead."""
    glued = [cell_name(path, c) for c in read(path).cells
             if c.cell_type == "markdown" and re.search(r"\{glue[:}]", c.source)]
    assert not glued, f"glue roles or directives in markdown: {glued}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_results_cell(path):
    """One short "Results of this run" cell closes the chapter: the results helper, its input collapsed.

    It is the last code cell but for the exercise cells (code cells after the
    "## Exercises" heading, which readers fill in). It makes a
    ``results.Report`` and shows it as a table; its input is hidden in the
    HTML book (tag ``hide-input``) and collapsed in JupyterLab
    (``metadata.jupyter.source_hidden``).
    """
    nb = read(path)
    found = [cell for cell in nb.cells if is_results_cell(cell)]
    assert len(found) == 1, \
        f"{path.name}: want one code cell starting with the line '{RESULTS_HEADING}', found {len(found)}"
    cell = found[0]
    code = [c for c in nb.cells if c.cell_type == "code"]
    exercises = split_at_exercises(nb)[1]
    later = [cell_name(path, c) for c in code[code.index(cell) + 1:] if c not in exercises]
    assert not later, f"{path.name}: code cells after the results cell (only exercise cells may follow): {later}"
    assert "hide-input" in tags(cell), f"{path.name}: tag the results cell 'hide-input' (tags: {tags(cell)})"
    assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, \
        f"{path.name}: collapse the results cell's input in JupyterLab (metadata.jupyter.source_hidden)"
    lines = cell.source.strip().splitlines()
    assert len(lines) <= 20, f"{path.name}: the results cell has {len(lines)} lines; keep it to the rows (at most 20)"
    calls = {ast.unparse(node.func) for node in ast.walk(ast.parse(python_of(cell.source)))
             if isinstance(node, ast.Call)}
    assert "Report" in calls and "results.show" in calls, \
        f"{path.name}: the results cell must make a results.Report and call its show() (calls: {sorted(calls)})"
    assert any("text/html" in output.get("data", {}) for output in cell.outputs), \
        f"{path.name}: the results cell shows no table (no text/html output)"


def machinery(source):
    """The test machinery a code cell uses: "assert", "glue(" and "myst_nb" (an import of it)."""
    kinds = set()
    for node in ast.walk(ast.parse(python_of(source))):
        if isinstance(node, ast.Assert):
            kinds.add("assert")
        elif is_glue_call(node):
            kinds.add("glue(")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [getattr(node, "module", None) or ""] + [alias.name for alias in node.names]
            if any(name.split(".")[0] == "myst_nb" for name in names):
                kinds.add("myst_nb")
    return kinds


def test_machinery_detection():
    assert machinery("assert x > 0\nglue('a', 1, display=False)\nfrom myst_nb import glue") == \
        {"assert", "glue(", "myst_nb"}
    assert machinery("import myst_nb.ext") == {"myst_nb"}
    assert machinery("results.check('a', 1)\nresults.show()\nprint('assert glue myst_nb')") == set()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_test_machinery_in_chapter_code(path):
    """No assert, glue call or myst_nb import in any code cell: the results helper does that work."""
    offending = [f"{cell_name(path, cell)}: {', '.join(sorted(kinds))}" for cell in read(path).cells
                 if cell.cell_type == "code" and (kinds := machinery(cell.source))]
    assert not offending, "test machinery in chapter cells (use d2lhelpers.results):\n" + "\n".join(offending)


def ends_with_semicolon(source):
    """True when the last token of the code (comments and blank lines aside) is ';'."""
    significant = [tok for tok in tokenize.generate_tokens(io.StringIO(python_of(source)).readline)
                   if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                       tokenize.DEDENT, tokenize.ENDMARKER)]
    return bool(significant) and significant[-1].string == ";"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_checked_cells_have_no_trailing_semicolon(path):
    """A trailing ';' hides the output that an nbval-check-output cell exists to check."""
    bad = [cell_name(path, c) for c in read(path).cells
           if c.cell_type == "code" and "nbval-check-output" in tags(c) and ends_with_semicolon(c.source)]
    assert not bad, f"trailing ';' in cells tagged nbval-check-output: {bad}"


def find_test_talk(text):
    """Test-machinery words in prose, after removing "target(s)" in its machine-learning sense."""
    return [m.group(0) for m in TEST_TALK.finditer(ML_TARGET.sub("", text))]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_prose_has_no_test_talk(path):
    """Reader-facing text talks about the subject, not about targets, asserts, CI or nbval."""
    found = [f"{cell_name(path, c)}: {words}" for c in read(path).cells
             if c.cell_type == "markdown" and (words := find_test_talk(c.source))]
    assert not found, "test talk in markdown cells:\n" + "\n".join(found)


def test_test_talk_detection():
    assert find_test_talk("Both versions pass the 0.87 target.") == ["target"]
    assert find_test_talk("the notebook asserts its targets for any seed; CI runs nbval") == \
        ["asserts", "targets", "any seed", "CI", "nbval"]
    assert find_test_talk("The targets $y$ are the inputs shifted by one; target tokens and `Y`.") == []
    assert find_test_talk("a circuit; targeted; cinema; assertion") == []


# --- code a chapter saves into d2lhelpers --------------------------------------------------------


def saved_definitions():
    for path in CHAPTERS:
        for cell in code_cells(path):
            source = "".join(cell["source"])
            match = SAVED.match(source)
            if match:
                for node in ast.parse(source).body:
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        yield pytest.param(path.name, match.group(1), node, id=f"{path.name}:{node.name}")


def saved_code_mismatch(module_name, node):
    """Why ``node`` (a definition a chapter saves) differs from d2lhelpers' own, or None if identical."""
    module = importlib.import_module(module_name)
    if not hasattr(module, node.name):
        return f"{module_name} lacks {node.name}"
    packaged = ast.parse(inspect.getsource(getattr(module, node.name))).body[0]
    if ast.dump(packaged) != ast.dump(node):
        return f"{node.name} differs from {module_name}.{node.name}"
    return None


@pytest.mark.parametrize("chapter, module_name, node", saved_definitions())
def test_saved_code_matches_d2lhelpers(chapter, module_name, node):
    """A function a chapter defines and saves is exactly the one d2lhelpers holds."""
    mismatch = saved_code_mismatch(module_name, node)
    assert mismatch is None, f"{chapter}: {mismatch}"


def test_saved_code_comparison_detects_drift():
    """The comparison above really fails when a saved definition drifts from the package.

    Starts from the package's own definition of each name a chapter saves (so
    it holds whether or not the chapter is in sync today) and changes it.
    """
    saved = list(saved_definitions())
    assert saved, "no chapter saves code ('# Saved in d2lhelpers.<module>' atop a code cell)"
    for param in saved:
        _, module_name, chapter_node = param.values
        module = importlib.import_module(module_name)
        packaged = ast.parse(inspect.getsource(getattr(module, chapter_node.name))).body[0]
        assert saved_code_mismatch(module_name, packaged) is None
        changed_body = copy.deepcopy(packaged)
        changed_body.body.append(ast.Pass())
        renamed_variable = copy.deepcopy(packaged)
        name = next(n for n in ast.walk(renamed_variable) if isinstance(n, ast.Name))
        name.id += "_changed"
        missing = copy.deepcopy(packaged)
        missing.name += "_not_in_the_package"
        for drifted in (changed_body, renamed_variable, missing):
            assert saved_code_mismatch(module_name, drifted) is not None, ast.unparse(drifted)[:200]


# --- the README's chapter table --------------------------------------------------------------------


def test_readme_lists_exactly_the_chapters():
    readme = (ROOT / "README.md").read_text()
    listed = set(re.findall(r"`chapters/(\w+\.ipynb)`", readme.split(chapter_table.END)[0]))
    assert listed == {p.name for p in CHAPTERS}, "the README's chapter table and chapters/ differ"


def test_readme_chapter_table_is_generated():
    readme = (ROOT / "README.md").read_text()
    assert chapter_table.render(readme) == readme, "README.md's chapter table is out of date: run 'make readme'"


def test_chapter_table_times_and_status(tmp_path, monkeypatch):
    for name, seconds in (("00_introduction", 5.8), ("01_basics", 127.3), ("02_overfitting", None)):
        nb = nbformat.v4.new_notebook()
        if seconds is not None:
            nb.metadata["d2lbook"] = {"seconds": seconds}
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    rows = chapter_table.table(tmp_path).splitlines()
    assert "| written | ~6 s |" in rows[2] and "| written | ~130 s |" in rows[3]
    assert "| written | not yet measured |" in rows[4]
    assert rows[5].startswith("| `03_backprop` |") and rows[5].endswith("| planned | |")
    assert [chapter_table.format_seconds(s) for s in (0.2, 85.4, 99.6, 640)] == ["~1 s", "~85 s", "~100 s", "~11 min"]
    monkeypatch.setattr(chapter_table, "RESULTS", [])  # these notebooks glue nothing
    readme = (f"intro\n{chapter_table.BEGIN}\nold table\n{chapter_table.END}\nmiddle\n"
              f"{chapter_table.RESULTS_BEGIN}\nold results\n{chapter_table.RESULTS_END}\nrest\n")
    rendered = chapter_table.render(readme, tmp_path, bench={})  # no benchmark run yet
    assert rendered.startswith(
        f"intro\n{chapter_table.BEGIN}\n{chapter_table.table(tmp_path)}{chapter_table.END}\nmiddle\n"
        f"{chapter_table.RESULTS_BEGIN}\n{chapter_table.RESULTS_HEADER}\n[^d2l]: ")
    assert rendered.endswith(f"not measured yet.\n{chapter_table.RESULTS_END}\nrest\n")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "99_unknown.ipynb")
    with pytest.raises(SystemExit, match="99_unknown not in d2lhelpers/manifest.py"):
        chapter_table.table(tmp_path)


def test_results_table_reads_the_glued_numbers(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue(...)")
    cell.outputs = [nbformat.v4.new_output(
        "display_data", data={build.notebooks.GLUE_MIME: str(value)},
        metadata={"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}})
        for name, value in (("lenet_classic_test_acc", 0.89551), ("lenet_modern_test_acc", 0.9098))]
    nb.cells.append(cell)
    nbformat.write(nb, tmp_path / "04_cnn.ipynb")
    rows = chapter_table.results_table(tmp_path, bench={}).splitlines()
    assert rows[2:4] == [
        "| 4 | LeNet, classic (sigmoid, average pooling), Adam, 5 epochs | test accuracy | 0.896 | >= 0.83 | - |",
        "| 4 | LeNet with max pooling, ReLU and batch normalization, Adam, 5 epochs | test accuracy | 0.910 | >= 0.89 "
        "| - |"]
    d2l_lenet = {"name": "LeNet", "section": "7.6", "settings": "SGD 0.1", "book_results": ["lenet_classic_test_acc"],
                 "epochs": 10, "test_accuracy": 0.8234, "seconds": 1.0, "examples_per_second": 1.0}
    rows = chapter_table.results_table(tmp_path, bench={"d2l": {"recipes": [d2l_lenet], "cnns": []}}).splitlines()
    assert rows[2].endswith("| >= 0.83 | LeNet: 0.823 |") and rows[3].endswith("| >= 0.89 | - |")
    assert rows[-1].endswith("LeNet (d2l 7.6): SGD 0.1.")
    cell.outputs.pop()
    nbformat.write(nb, tmp_path / "04_cnn.ipynb")
    with pytest.raises(SystemExit, match="glues no lenet_modern_test_acc"):
        chapter_table.results_table(tmp_path)


# --- book/build.py on tiny notebooks ------------------------------------------------------------------


def tiny_notebook(path, seed_call="runtime.set_seed(3)", code="x = 6 * 7\nprint(x)"):
    """A notebook whose first cell "seeds" like a chapter's (with a stand-in runtime) and one more cell."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A tiny chapter"),
                nbformat.v4.new_code_cell(f"class runtime:\n    set_seed = staticmethod(int)\n\n{seed_call}"),
                nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def project(tmp_path, monkeypatch):
    """The build pointed at a helper package and requirements.txt in tmp_path, with no D2L_SEED.

    The package: ``a`` imports ``b``; ``text`` stands alone; ``sub`` is a
    subpackage whose ``__init__`` imports its module ``part`` relatively.
    """
    package = tmp_path / "d2lhelpers"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text('"""The package."""\n')
    (package / "a.py").write_text('"""Module a."""\nfrom d2lhelpers import b\n\nA = b.B + 1\n')
    (package / "b.py").write_text("B = 2\n")
    (package / "text.py").write_text('def tokenize(line):\n    """Split a line."""\n    return line.split()\n')
    (package / "sub" / "__init__.py").write_text("from .part import P\n")
    (package / "sub" / "part.py").write_text("P = 3\n")
    (tmp_path / "requirements.txt").write_text("mxnet==1.9.1\n")
    monkeypatch.setattr(build.notebooks, "PACKAGE", package)
    monkeypatch.setattr(build.notebooks, "REQUIREMENTS", tmp_path / "requirements.txt")
    monkeypatch.delenv(build.SEED_VARIABLE, raising=False)
    return tmp_path


def test_helper_modules_follow_imports_transitively(project):
    modules = build.notebooks.helper_modules
    assert list(modules(["from d2lhelpers import a"])) == ["d2lhelpers", "d2lhelpers.a", "d2lhelpers.b"]
    assert list(modules(["import d2lhelpers.text as t"])) == ["d2lhelpers", "d2lhelpers.text"]
    assert list(modules(["from d2lhelpers.sub import P"])) == ["d2lhelpers", "d2lhelpers.sub", "d2lhelpers.sub.part"]
    assert list(modules(["%time x = 1", "import numpy"])) == []  # magics are read, other packages ignored


def hashes(project, sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return build.code_sha256(nb, "01_a.ipynb")


def test_code_hash_ignores_comments_and_docstrings_of_helpers(project):
    before = {name: hashes(project, [f"from d2lhelpers import {name}"]) for name in ("a", "text")}
    (project / "d2lhelpers" / "text.py").write_text(
        "# a comment\ndef tokenize(line):\n    \"\"\"Split a line at white space.\"\"\"\n\n"
        "    return line.split()  # on spaces\n")
    (project / "d2lhelpers" / "a.py").write_text("from d2lhelpers import b\n\nA = b.B + 1  # no docstring now\n")
    (project / "d2lhelpers" / "__init__.py").write_text('"""The package, described anew."""\n')
    assert {name: hashes(project, [f"from d2lhelpers import {name}"]) for name in ("a", "text")} == before


def test_code_hash_changes_only_for_chapters_that_import_the_changed_code(project):
    sources = {"text chapter": ["from d2lhelpers import text"], "a chapter": ["from d2lhelpers import a"],
               "sub chapter": ["from d2lhelpers import sub"]}
    before = {name: hashes(project, s) for name, s in sources.items()}

    def changed():
        now = {name: hashes(project, s) for name, s in sources.items()}
        return {name for name in now if now[name] != before[name]}

    (project / "d2lhelpers" / "text.py").write_text("def tokenize(line):\n    return line.split(',')\n")
    assert changed() == {"text chapter"}
    (project / "d2lhelpers" / "text.py").write_text('def tokenize(line):\n    """Split a line."""\n'
                                                    "    return line.split()\n")
    assert changed() == set()
    (project / "d2lhelpers" / "b.py").write_text("B = 3\n")  # imported by a: a's chapter re-executes
    assert changed() == {"a chapter"}
    (project / "d2lhelpers" / "b.py").write_text("B = 2\n")
    (project / "d2lhelpers" / "sub" / "part.py").write_text("P = 4\n")
    assert changed() == {"sub chapter"}
    (project / "d2lhelpers" / "sub" / "part.py").write_text("P = 3\n")
    (project / "d2lhelpers" / "__init__.py").write_text("import os\n")  # every chapter imports the package
    assert changed() == set(sources)


def test_code_hash_leaves_out_other_chapters_entries(project):
    """Editing one chapter's bound or budget re-executes that chapter alone."""
    bounds = project / "d2lhelpers" / "bounds.py"

    def write(own, other):
        bounds.write_text(f'BOUNDS = {{"a": Bound("01_a", {own}), "b": Bound("02_b", {other})}}\n'
                          f'CHAPTERS = (Chapter("01_a", {own}), Chapter("02_b", {other}))\n'
                          'KINDS = ("accuracy", "loss")\n')

    write(0.8, 0.9)
    cells = [nbformat.v4.new_code_cell("from d2lhelpers import bounds")]
    nb = nbformat.v4.new_notebook(cells=cells)
    before = {name: build.code_sha256(nb, f"{name}.ipynb") for name in ("01_a", "02_b")}
    write(0.8, 0.95)  # only 02_b's entries change
    after = {name: build.code_sha256(nb, f"{name}.ipynb") for name in ("01_a", "02_b")}
    assert after["01_a"] == before["01_a"] and after["02_b"] != before["02_b"]
    write(0.85, 0.95)
    assert build.code_sha256(nb, "01_a.ipynb") != after["01_a"]
    bounds.write_text(bounds.read_text().replace('"loss"', '"error"'))  # code shared by every chapter
    assert build.code_sha256(nb, "02_b.ipynb") != after["02_b"]


def test_code_hash_covers_cells_and_requirements_not_markdown(project):
    nb = read(tiny_notebook(project / "nb.ipynb"))
    before = build.code_sha256(nb, "nb.ipynb")
    nb.cells[0].source += "\n# a markdown change does not count"
    assert build.code_sha256(nb, "nb.ipynb") == before
    nb.cells[2].source = "x = 6 * 8"
    after_cell = build.code_sha256(nb, "nb.ipynb")
    assert after_cell != before
    (project / "requirements.txt").write_text("mxnet==1.9.0\n")
    assert build.code_sha256(nb, "nb.ipynb") not in (before, after_cell)


def test_default_seed(project):
    assert build.default_seed(read(tiny_notebook(project / "a.ipynb")), "a.ipynb") == 3
    assert build.default_seed(read(tiny_notebook(project / "b.ipynb", "SEED = d2lhelpers.runtime.set_seed(11)")),
                              "b.ipynb") == 11
    for seed_call in ("print('no seed')", "runtime.set_seed(SEED)", "runtime.set_seed(True)", "set_seed(1)"):
        nb = read(tiny_notebook(project / "c.ipynb", seed_call))
        with pytest.raises(build.BuildError, match=r"c\.ipynb: .*runtime\.set_seed\(<int>\)"):
            build.default_seed(nb, "c.ipynb")


def test_seed_guard_refuses_before_executing(project, monkeypatch):
    path = tiny_notebook(project / "nb.ipynb")
    original = path.read_bytes()
    monkeypatch.setattr(build, "run_notebook", lambda nb, cwd: pytest.fail("executed despite D2L_SEED"))
    for value in ("7", "x"):
        monkeypatch.setenv(build.SEED_VARIABLE, value)
        with pytest.raises(build.BuildError, match=f"{build.SEED_VARIABLE}"):
            build.execute(path)
    assert path.read_bytes() == original
    monkeypatch.setattr(build, "CHAPTERS", project)
    monkeypatch.setenv(build.SEED_VARIABLE, "7")
    with pytest.raises(build.BuildError, match="default seed 3"):
        build.execute_changed(force=True, only=[])


def test_seed_guard_accepts_the_default_seed(project, monkeypatch):
    path = tiny_notebook(project / "nb.ipynb")
    monkeypatch.setattr(build, "run_notebook", lambda nb, cwd: None)
    for value in ("3", " 3 ", ""):
        monkeypatch.setenv(build.SEED_VARIABLE, value)
        build.execute(path)
        assert read(path).metadata["d2lbook"]["seed"] == 3


def test_execute_records_metadata(project, monkeypatch):
    """A real (tiny) execution: outputs and d2lbook metadata written; afterwards the notebook is up to date."""
    path = tiny_notebook(project / "nb.ipynb")
    monkeypatch.setattr(build, "CHAPTERS", project)
    seconds = build.execute(path)
    nb = read(path)
    meta = nb.metadata["d2lbook"]
    assert set(meta) == {"code_sha256", "seconds", "seed", "date"}
    assert meta["code_sha256"] == build.code_sha256(nb, "nb.ipynb") == build.stored_sha256(nb)
    assert meta["seed"] == 3 and meta["seconds"] == round(seconds, 1) > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", meta["date"])
    assert nb.cells[2].outputs[0]["text"] == "42\n"
    monkeypatch.setattr(build, "run_notebook", lambda nb, cwd: pytest.fail("re-executed an up-to-date notebook"))
    build.execute_changed(force=False, only=[])


def test_failed_execution_leaves_the_notebook_untouched(project, monkeypatch):
    path = tiny_notebook(project / "nb.ipynb")
    original = path.read_bytes()

    def fail(nb, cwd):
        nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="half")]
        raise RuntimeError("kernel died")

    monkeypatch.setattr(build, "run_notebook", fail)
    with pytest.raises(RuntimeError, match="kernel died"):
        build.execute(path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in project.iterdir()) == ["d2lhelpers", "nb.ipynb", "requirements.txt"]


def test_failed_write_leaves_no_half_written_notebook(project, monkeypatch):
    path = tiny_notebook(project / "nb.ipynb")
    original = path.read_bytes()
    real_write = nbformat.write

    def write_half(nb, target):
        real_write(nb, target)
        Path(target).write_text(Path(target).read_text()[:100])
        raise OSError("disk full")

    monkeypatch.setattr(build, "run_notebook", lambda nb, cwd: None)
    monkeypatch.setattr(build.nbformat, "write", write_half)
    with pytest.raises(OSError, match="disk full"):
        build.execute(path)
    assert path.read_bytes() == original
    assert sorted(p.name for p in project.iterdir()) == ["d2lhelpers", "nb.ipynb", "requirements.txt"]


# --- the template for a new chapter (CONTRIBUTING.md) ---------------------------------------------------


def test_the_template_passes_every_notebook_check(tmp_path, monkeypatch):
    """book/template.ipynb, made a chapter as CONTRIBUTING.md says, executes and passes the chapters' checks.

    Its placeholder chapter name is replaced by a name the manifest knows, as
    a contributor replaces it by the new chapter's.
    """
    monkeypatch.delenv(build.SEED_VARIABLE, raising=False)
    source = (ROOT / "book" / "template.ipynb").read_text()
    assert source.count('Report(\\"NN_name\\")') == 1, "the template's results cell names its chapter NN_name"
    path = tmp_path / "00_introduction.ipynb"
    path.write_text(source.replace('Report(\\"NN_name\\")', 'Report(\\"00_introduction\\")'))
    build.execute(path)
    for check in (test_outputs_were_made_by_the_current_code, test_committed_outputs_are_complete,
                  test_chapter_structure, test_nbval_markers_are_tags, test_no_glue_roles_in_prose,
                  test_results_cell, test_no_test_machinery_in_chapter_code,
                  test_checked_cells_have_no_trailing_semicolon, test_prose_has_no_test_talk):
        check(path)
    exercise = next(c for c in read(path).cells if c.cell_type == "code" and "exercises.check" in c.source)
    assert exercise.outputs[0]["text"] == "Exercise 1: not answered yet.\n"


def test_only_chapter_6_imports_the_text_helpers():
    """What a change to d2lhelpers/text.py re-executes, in the real book: chapter 6 and nothing else."""
    importing = {path.stem for path in CHAPTERS
                 if "d2lhelpers.text" in build.notebooks.helper_modules(
                     [c.source for c in read(path).cells if c.cell_type == "code"])}
    assert importing == {"06_rnn_lstm"}
