"""d2lhelpers.expectations: bounds, budgets, and agreement with the chapters and the README table."""
import ast
import importlib.util
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from d2lhelpers import expectations, manifest, results
from d2lhelpers.expectations import Expectation

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def load_chapter_table():
    spec = importlib.util.spec_from_file_location("book_chapter_table", ROOT / "book" / "chapter_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


chapter_table = load_chapter_table()
GLUE_MIME = chapter_table.notebooks.GLUE_MIME
RESULTS_HEADING = results.HEADING


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
    assert not expectations.meets("linreg_sgd_gap", 0.05)
    assert expectations.meets("linreg_sgd_gap", 0.0499)
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
    assert expectations.describe("playground_spiral_deep_test_acc") == "> 0.70"
    assert expectations.in_words("playground_spiral_deep_test_acc") == "above 0.70"
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
    targets = {"softmax_scratch_test_acc": 0.84, "mlp_concise_test_acc": 0.86, "dropout_scratch_test_acc": 0.87,
               "lenet_classic_test_acc": 0.83, "lenet_modern_test_acc": 0.89, "alexnet_test_acc": 0.89,
               "vgg_test_acc": 0.91, "nin_test_acc": 0.88, "googlenet_test_acc": 0.90, "resnet_test_acc": 0.92}
    assert {name: expectations.expectation(name).at_least for name in targets} == targets
    assert expectations.expectation("lstm_concise_val_ppl").at_most == 5.0
    assert expectations.expectation("rnn_concise_val_ppl").at_most == 6.0
    assert expectations.time_budget("04_cnn") == 180
    assert expectations.time_budget("05_modern_cnn") == 600
    assert expectations.time_budget("06_rnn_lstm") == 300
    best = expectations.expectation("best_network_val_ppl")  # chapter 6's network beats smoothed counting by 10%
    assert (best.at_most, best.relative_to) == (0.9, "the best n-gram model's")
    assert {expectations.time_budget(c) for c in ("00_introduction", "01_basics", "07_playground")} == {120}
    assert expectations.BOOK_SECONDS == 1500
    assert set(expectations.for_chapter("05_modern_cnn")) == {
        "alexnet_test_acc", "bn_scratch_test_acc", "vgg_test_acc", "nin_test_acc", "googlenet_test_acc",
        "resnet_test_acc", "bn_max_difference", "bn_lr1_val_acc_gain", "plain_deep_train_loss",
        "residual_deep_train_loss", "shift2_acc_without_crops", "shift2_acc_with_crops", "lenet_recipe_test_acc",
        "lenet_crops_test_acc"}
    assert expectations.expectation("shift2_acc_with_crops").at_least == 1.05  # crops must pay on shifted images


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
    with pytest.raises(ValueError, match="fmt must be a format spec"):
        Expectation("01_basics", "odd format", "speed", at_least=1, fmt="%d")
    with pytest.raises(ValueError, match="chapter must be one of"):
        Expectation("1_basics", "odd chapter", "test accuracy", at_least=0.5)


def test_import_has_no_side_effects_and_no_mxnet():
    code = ("import os, sys; os.environ['OMP_NUM_THREADS'] = '3'; import d2lhelpers.expectations; "
            "print('mxnet' in sys.modules, 'numpy' in sys.modules, os.environ['OMP_NUM_THREADS'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "3"]


# --- agreement with the chapters and the README ---------------------------------------------------


def test_every_chapter_has_a_budget_from_the_manifest():
    assert list(expectations.CHAPTER_SECONDS) == manifest.names()
    assert all(seconds > 0 for seconds in expectations.CHAPTER_SECONDS.values())


def results_checks(path):
    """The result names the chapter's "Results of this run" cell passes to ``<report>.check("name", ...)``."""
    cell = next(c for c in json.loads(path.read_text())["cells"]
                if c["cell_type"] == "code" and "".join(c["source"]).lstrip().startswith(RESULTS_HEADING))
    names = set()
    for node in ast.walk(ast.parse("".join(cell["source"]))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "check":
            first = node.args[0]
            if isinstance(first, ast.Constant):
                names.add(first.value)
            elif isinstance(first, ast.JoinedStr):  # f"{name}_test_acc" in a loop: every expectation it can be
                pattern = "".join(v.value if isinstance(v, ast.Constant) else ".+" for v in first.values)
                names |= {n for n in expectations.for_chapter(path.stem) if re.fullmatch(pattern, n)}
    return names


def test_each_chapter_checks_exactly_its_own_expectations():
    """Every expectation of a chapter is a row of its results cell, and the cell checks no other."""
    for path in CHAPTERS:
        assert results_checks(path) == set(expectations.for_chapter(path.stem)), path.name


def test_every_expectation_of_a_written_chapter_is_glued():
    """Each bound here belongs to a number its chapter's committed outputs glue."""
    for path in CHAPTERS:
        glued = {o.get("metadata", {}).get("scrapbook", {}).get("name")
                 for cell in json.loads(path.read_text())["cells"] for o in cell.get("outputs", [])
                 if GLUE_MIME in o.get("data", {})}
        wanted = set(expectations.for_chapter(path.stem))
        wanted |= {f"{name}_reference" for name in wanted if expectations.expectation(name).relative_to}
        missing = wanted - glued
        assert not missing, f"{path.name} glues no {sorted(missing)}"


def test_readme_checked_column_comes_from_expectations():
    assert chapter_table.checked(("softmax_scratch_test_acc", "softmax_concise_test_acc")) == ">= 0.84"
    assert chapter_table.checked(("playground_xor_linear_test_acc", "playground_xor_hidden_test_acc")) == \
        "< 0.65 / > 0.95"
    assert chapter_table.checked(("rnn_scratch_val_ppl", "rnn_concise_val_ppl")) == \
        "< 1 x the unigram model's / <= 6.0"
    for _, _, _, names in chapter_table.RESULTS:
        chapter_table.checked(names)  # every row renders


def test_relative_bounds():
    assert expectations.meets("rnn_scratch_val_ppl", 5.0, reference=16.7)
    assert not expectations.meets("rnn_scratch_val_ppl", 16.7, reference=16.7)  # strict: below, not equal
    assert expectations.meets("poly_overfit_test_loss", 10.0, reference=1.0)
    assert not expectations.meets("poly_overfit_test_loss", 9.9, reference=1.0)
    assert not expectations.meets("wd_test_loss_vs_mean", 0.55, reference=0.6)
    assert expectations.meets("wd_test_loss_vs_mean", 0.54, reference=0.6)
    assert not expectations.meets("rnn_scratch_val_ppl", 5.0, reference=math.nan)
    assert expectations.in_words("rnn_scratch_val_ppl") == "below the unigram model's"
    assert expectations.in_words("poly_overfit_test_loss") == "at least 10 times its training loss"
    assert expectations.in_words("wd_test_loss_vs_mean") == "at most 0.9 times predicting the mean of y"
    assert expectations.in_words("best_network_val_ppl") == "at most 0.9 times the best n-gram model's"
    with pytest.raises(ValueError, match="reference must be given"):
        expectations.meets("rnn_scratch_val_ppl", 5.0)
    with pytest.raises(ValueError, match="reference must be None"):
        expectations.meets("rnn_concise_val_ppl", 5.0, reference=16.7)
    with pytest.raises(ValueError, match="reference must be a number"):
        expectations.meets("rnn_scratch_val_ppl", 5.0, reference="16.7")


def test_an_upper_bound_of_zero_reads_none():
    assert expectations.in_words("conv_shape_mismatches") == "none"
    assert expectations.describe("conv_shape_mismatches") == "<= 0"
    assert expectations.meets("conv_shape_mismatches", 0) and not expectations.meets("conv_shape_mismatches", 1)
