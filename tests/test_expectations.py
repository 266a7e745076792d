"""d2lhelpers.expectations: bounds, budgets, and agreement with the chapters and the README table."""
import ast
import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from d2lhelpers import expectations
from d2lhelpers.expectations import Expectation

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
RESULTS_HEADING = "# Results of this run"
GLUE_MIME = "application/papermill.record/text/plain"


def load_chapter_table():
    spec = importlib.util.spec_from_file_location("book_chapter_table", ROOT / "book" / "chapter_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


chapter_table = load_chapter_table()


# --- bounds ---------------------------------------------------------------------------------------


def test_at_least_includes_its_bound():
    assert expectations.meets("softmax_scratch_test_acc", 0.84)
    assert expectations.meets("softmax_scratch_test_acc", 0.9)
    assert not expectations.meets("softmax_scratch_test_acc", 0.8399)


def test_at_most_includes_its_bound():
    assert expectations.meets("lstm_concise_val_ppl", 5.0)
    assert expectations.meets("lstm_concise_val_ppl", 4.1)
    assert not expectations.meets("lstm_concise_val_ppl", 5.01)


def test_strict_bounds_exclude_their_bound():
    assert not expectations.meets("linreg_w_error", 0.01)
    assert expectations.meets("linreg_w_error", 0.0099)
    assert not expectations.meets("playground_xor_hidden_test_acc", 0.95)
    assert expectations.meets("playground_xor_hidden_test_acc", 0.951)
    assert not expectations.meets("playground_xor_linear_test_acc", 0.65)
    assert expectations.meets("playground_xor_linear_test_acc", 0.5)


def test_meets_takes_numpy_numbers_and_rejects_nan_and_non_numbers():
    numpy = pytest.importorskip("numpy")
    assert expectations.meets("mlp_concise_test_acc", numpy.float32(0.87))
    assert expectations.meets("intro_gemm_gflops", 2)
    assert not expectations.meets("mlp_concise_test_acc", math.nan)
    for bad in ("0.9", None, True):
        with pytest.raises(ValueError, match="value must be a number"):
            expectations.meets("mlp_concise_test_acc", bad)


def test_describe_and_in_words():
    assert expectations.describe("softmax_scratch_test_acc") == ">= 0.84"
    assert expectations.in_words("softmax_scratch_test_acc") == "0.84 or more"
    assert expectations.describe("googlenet_test_acc") == ">= 0.90"
    assert expectations.describe("rnn_concise_val_ppl") == "<= 6.0"
    assert expectations.in_words("rnn_concise_val_ppl") == "at most 6.0"
    assert expectations.describe("playground_spiral_test_acc") == "> 0.90"
    assert expectations.in_words("playground_spiral_test_acc") == "above 0.90"
    assert expectations.describe("playground_xor_linear_test_acc") == "< 0.65"
    assert expectations.in_words("playground_xor_linear_test_acc") == "below 0.65"
    assert expectations.describe("backprop_max_rel_err_autograd") == "< 1e-5"
    assert expectations.describe("intro_gemm_gflops") == "> 1"


def test_two_sided_bounds(monkeypatch):
    between = Expectation("04_cnn", "a made-up result", "test accuracy", at_least=0.1, at_most=0.9)
    monkeypatch.setitem(expectations.EXPECTATIONS, "made_up", between)
    assert expectations.describe("made_up") == ">= 0.10 and <= 0.90"
    assert expectations.in_words("made_up") == "between 0.10 and 0.90"
    assert [expectations.meets("made_up", x) for x in (0.05, 0.1, 0.5, 0.9, 0.95)] == [False, True, True, True, False]


def test_published_targets():
    """The design document's table (section 3), and the book's time budgets."""
    targets = {"softmax_scratch_test_acc": 0.84, "mlp_concise_test_acc": 0.86, "dropout_concise_test_acc": 0.87,
               "lenet_classic_test_acc": 0.83, "lenet_modern_test_acc": 0.89, "alexnet_test_acc": 0.89,
               "vgg_test_acc": 0.91, "nin_test_acc": 0.88, "googlenet_test_acc": 0.90, "resnet_test_acc": 0.92}
    assert {name: expectations.expectation(name).at_least for name in targets} == targets
    assert expectations.expectation("lstm_concise_val_ppl").at_most == 5.0
    assert expectations.expectation("rnn_concise_val_ppl").at_most == 6.0
    assert expectations.expectation("softmax_concise_test_acc").d2l == "0.846"
    assert expectations.expectation("resnet_test_acc").d2l == "0.911 - 0.928 (at 96x96)"
    assert expectations.time_budget("04_cnn") == 180
    assert expectations.time_budget("05_modern_cnn") == 600
    assert expectations.time_budget("06_rnn_lstm") == 240
    assert {expectations.time_budget(c) for c in ("00_introduction", "01_basics", "07_playground")} == {120}
    assert expectations.BOOK_SECONDS == 1500
    assert set(expectations.for_chapter("05_modern_cnn")) == {
        "alexnet_test_acc", "bn_scratch_test_acc", "vgg_test_acc", "nin_test_acc", "googlenet_test_acc",
        "resnet_test_acc"}


# --- bad input ------------------------------------------------------------------------------------


def test_unknown_names_raise_value_errors_naming_the_argument():
    for function in (expectations.expectation, expectations.meets, expectations.describe, expectations.in_words):
        args = ("no_such_result", 0.5) if function is expectations.meets else ("no_such_result",)
        with pytest.raises(ValueError, match="name must be .*got 'no_such_result'"):
            function(*args)
    for function in (expectations.time_budget, expectations.for_chapter):
        with pytest.raises(ValueError, match="chapter must be one of .*got '99_unknown'"):
            function("99_unknown")


def test_malformed_expectations_are_refused():
    with pytest.raises(ValueError, match="needs at_least, at_most or both"):
        Expectation("01_basics", "no bound", "test accuracy")
    with pytest.raises(ValueError, match="at_least 0.9 exceeds at_most 0.1"):
        Expectation("01_basics", "empty range", "test accuracy", at_least=0.9, at_most=0.1)
    with pytest.raises(ValueError, match="metric must be one of"):
        Expectation("01_basics", "odd metric", "speed", at_least=1)
    with pytest.raises(ValueError, match="chapter must be one of"):
        Expectation("1_basics", "odd chapter", "test accuracy", at_least=0.5)


def test_import_has_no_side_effects_and_no_mxnet():
    code = ("import os, sys; os.environ['OMP_NUM_THREADS'] = '3'; import d2lhelpers.expectations; "
            "print('mxnet' in sys.modules, 'numpy' in sys.modules, os.environ['OMP_NUM_THREADS'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "3"]


# --- agreement with the chapters and the README ---------------------------------------------------


def test_every_planned_chapter_has_a_budget():
    assert list(expectations.CHAPTER_SECONDS) == list(chapter_table.TOPICS)
    assert all(seconds > 0 for seconds in expectations.CHAPTER_SECONDS.values())


def results_tree(path):
    """The syntax tree of the chapter's "Results of this run" cell, or None if it has none."""
    cell = next((c for c in json.loads(path.read_text())["cells"]
                 if c["cell_type"] == "code" and "".join(c["source"]).lstrip().startswith(RESULTS_HEADING)), None)
    return None if cell is None else ast.parse("".join(cell["source"]))


def glued_with_absolute_check(tree):
    """Glue names whose value the cell compares with a number literal in an assert."""
    glued = {}  # the glued expression's source -> glue name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "glue"
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Constant)):
            glued[ast.unparse(node.args[1])] = node.args[0].value
    found = set()
    for test in (node.test for node in ast.walk(tree) if isinstance(node, ast.Assert)):
        for compare in (n for n in ast.walk(test) if isinstance(n, ast.Compare)):
            operands = [compare.left, *compare.comparators]
            if any(isinstance(o, ast.Constant) and isinstance(o.value, (int, float)) for o in operands):
                found |= {glued[ast.unparse(o)] for o in operands if ast.unparse(o) in glued}
    return found


def expectation_calls(tree):
    """The glue names passed to expectations.<function>(...) in the cell."""
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and ast.unparse(node.func.value) == "expectations" and node.args
            and isinstance(node.args[0], ast.Constant)}


def test_glued_values_with_absolute_checks_have_expectations():
    """A results cell that compares a glued value with a literal bound has that bound here too."""
    unchecked = {}
    for path in CHAPTERS:
        tree = results_tree(path)
        missing = (glued_with_absolute_check(tree) if tree else set()) - set(expectations.EXPECTATIONS)
        if missing:
            unchecked[path.name] = sorted(missing)
    assert not unchecked, f"add these to d2lhelpers.expectations: {unchecked}"


def test_results_cells_name_known_expectations_of_their_own_chapter():
    for path in CHAPTERS:
        tree = results_tree(path)
        for name in expectation_calls(tree) if tree else ():
            assert expectations.expectation(name).chapter == path.stem, f"{path.name} checks {name}"


def test_rewired_chapters_take_their_bounds_from_expectations():
    """Chapters 2, 3, 4, 6 and 7 check every expectation of theirs through this module."""
    for stem in ("02_overfitting", "03_backprop", "04_cnn", "06_rnn_lstm", "07_playground"):
        path = ROOT / "chapters" / f"{stem}.ipynb"
        tree = results_tree(path)
        assert expectation_calls(tree) == set(expectations.for_chapter(stem)), path.name
        assert not glued_with_absolute_check(tree), f"{path.name} still compares glued values with literals"


def test_every_expectation_of_a_written_chapter_is_glued():
    """Each bound here belongs to a number its chapter's committed outputs glue."""
    for path in CHAPTERS:
        glued = {o.get("metadata", {}).get("scrapbook", {}).get("name")
                 for cell in json.loads(path.read_text())["cells"] for o in cell.get("outputs", [])
                 if GLUE_MIME in o.get("data", {})}
        missing = set(expectations.for_chapter(path.stem)) - glued
        assert not missing, f"{path.name} glues no {sorted(missing)}"


def test_readme_checked_column_comes_from_expectations():
    assert chapter_table.checked(("softmax_scratch_test_acc", "softmax_concise_test_acc")) == ">= 0.84"
    assert chapter_table.checked(("playground_xor_linear_test_acc", "playground_xor_hidden_test_acc")) == \
        "< 0.65 / > 0.95"
    assert chapter_table.checked(("gru_val_ppl",)) == ""
    assert chapter_table.checked(("rnn_scratch_val_ppl", "rnn_concise_val_ppl"),
                                 "below the unigram's / {rnn_concise_val_ppl}") == "below the unigram's / <= 6.0"
    with pytest.raises(ValueError, match="names 'gru_val_ppl'"):
        chapter_table.checked(("gru_val_ppl",), "{gru_val_ppl}")
    for _, _, _, names, template in chapter_table.RESULTS:
        chapter_table.checked(names, template)  # every row renders
