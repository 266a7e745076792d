"""d2lhelpers.results: the "Results of this run" table, in a reader's kernel and under the test suite."""
import os

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

from book import notebooks
from d2lhelpers import expectations, results
from d2lhelpers.results import Report, ResultsMissed


@pytest.fixture
def shown(monkeypatch):
    """What show() displays and glues, captured instead of sent to a notebook."""
    seen = {"displayed": [], "glued": {}}
    monkeypatch.setattr("IPython.display.display", lambda obj: seen["displayed"].append(obj))
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display=True: seen["glued"].update({name: value}))
    return seen


def cnn_report(modern_acc=0.91, lenet_loss=0.01, mlp_loss=0.2):
    return (Report("04_cnn")
            .check("lenet_modern_test_acc", modern_acc)
            .check("lenet_shift_loss", lenet_loss, reference=mlp_loss)
            .note("LeNet, modernized", "training seconds", 41.234, "depends on the CPU", fmt=".1f"))


def test_rows_take_model_metric_and_bound_from_expectations(shown, monkeypatch):
    monkeypatch.delenv(results.STRICT_VARIABLE, raising=False)
    report = cnn_report()
    table = report.table()
    assert list(table.columns) == ["this run", "what to expect", "as expected"]
    first = table.loc[("LeNet, modernized", "test accuracy")]
    assert first["this run"] == "0.9100"
    assert first["what to expect"] == f"{expectations.in_words('lenet_modern_test_acc')}; usually about 0.91"
    assert first["as expected"] == results.MET
    shift = table.loc[(expectations.expectation("lenet_shift_loss").description, "accuracy lost")]
    assert shift["what to expect"].startswith("below what the MLP loses (0.2)")
    assert table.loc[("LeNet, modernized", "training seconds")]["this run"] == "41.2"
    assert table.loc[("LeNet, modernized", "training seconds")]["as expected"] == ""
    report.show()
    assert shown["displayed"] and shown["glued"] == {
        "lenet_modern_test_acc": 0.91, "lenet_shift_loss": 0.01, "lenet_shift_loss_reference": 0.2}


def test_a_reader_sees_misses_marked_and_explained_and_nothing_raises(shown, monkeypatch, capsys):
    monkeypatch.delenv(results.STRICT_VARIABLE, raising=False)
    report = cnn_report(modern_acc=0.5, lenet_loss=0.3)
    report.show()
    table = shown["displayed"][0]
    assert list(table["as expected"]) == [results.MISSED, results.MISSED, ""]
    out = capsys.readouterr().out
    assert out.startswith("2 results of this run differ")
    assert "LeNet, modernized, test accuracy: 0.5000, expected 0.89 or more" in out
    assert "restart the kernel and run all cells" in out
    assert shown["glued"]["lenet_modern_test_acc"] == 0.5  # the numbers are recorded even when they miss


def test_under_the_test_suite_one_error_names_every_miss(shown, monkeypatch):
    monkeypatch.setenv(results.STRICT_VARIABLE, "1")
    cnn_report().show()  # everything met: no error
    with pytest.raises(ResultsMissed) as raised:
        cnn_report(modern_acc=0.5, lenet_loss=0.3).show()
    message = str(raised.value)
    assert message.startswith("04_cnn: 2 results")
    assert "test accuracy: 0.5000" in message and "accuracy lost: 0.3" in message
    assert shown["displayed"], "the table is shown before the error"


def test_nan_is_a_miss(shown, monkeypatch):
    monkeypatch.setenv(results.STRICT_VARIABLE, "1")
    with pytest.raises(ResultsMissed, match="nan"):
        Report("04_cnn").check("lenet_modern_test_acc", float("nan")).show()


def test_bad_input_is_refused_with_the_argument_named(monkeypatch):
    with pytest.raises(ValueError, match="chapter must be one of"):
        Report("4_cnn")
    report = Report("04_cnn")
    with pytest.raises(ValueError, match="name must be a result of 04_cnn, got 'mlp_concise_test_acc'"):
        report.check("mlp_concise_test_acc", 0.9)
    with pytest.raises(ValueError, match="name must be a result with an expectation"):
        report.check("no_such_result", 0.9)
    with pytest.raises(ValueError, match="value must be a number"):
        report.check("lenet_modern_test_acc", "0.9")
    with pytest.raises(ValueError, match="reference must be given"):
        report.check("lenet_shift_loss", 0.1)
    with pytest.raises(ValueError, match="reference must be None"):
        report.check("lenet_modern_test_acc", 0.9, reference=0.5)
    report.check("lenet_modern_test_acc", 0.9)
    with pytest.raises(ValueError, match="already checked"):
        report.check("lenet_modern_test_acc", 0.9)
    monkeypatch.setenv(results.STRICT_VARIABLE, "yes")
    with pytest.raises(ValueError, match="D2L_STRICT_RESULTS must be 0, 1 or unset"):
        results.strict()


def run_in_a_kernel(tmp_path, monkeypatch, strict):
    """A small notebook whose results cell misses a bound on purpose, executed in a fresh kernel."""
    monkeypatch.setenv(results.STRICT_VARIABLE, "0" if strict else "1")  # overridden for the kernel, then restored
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import d2lhelpers\nfrom d2lhelpers.results import Report"),
                nbformat.v4.new_code_cell('Report("04_cnn").check("lenet_modern_test_acc", 0.5)'
                                          '.check("lenet_classic_test_acc", 0.85).show()'),
                nbformat.v4.new_code_cell('print("the last cell ran")')]
    try:
        notebooks.execute(nb, tmp_path, timeout=120, strict=strict)
    finally:
        assert os.environ[results.STRICT_VARIABLE] == ("0" if strict else "1")
    return nb


def test_a_missed_bound_in_a_readers_kernel_is_marked_and_run_all_goes_on(tmp_path, monkeypatch):
    nb = run_in_a_kernel(tmp_path, monkeypatch, strict=False)
    outputs = nb.cells[1].outputs
    table = next(o for o in outputs if "text/html" in o.get("data", {}))["data"]["text/html"]
    assert table.count(results.MISSED) == 1 and table.count(f">{results.MET}<") == 1
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert printed.startswith("1 result of this run differs") and "LeNet, modernized, test accuracy: 0.5000" in printed
    assert nb.cells[2].outputs[0]["text"] == "the last cell ran\n"


def test_a_missed_bound_under_the_test_suite_fails_the_cell_naming_it(tmp_path, monkeypatch):
    with pytest.raises(CellExecutionError) as raised:
        run_in_a_kernel(tmp_path, monkeypatch, strict=True)
    assert "ResultsMissed" in str(raised.value) and "LeNet, modernized, test accuracy: 0.5000" in str(raised.value)
    assert "LeNet, classic" not in str(raised.value).split("ResultsMissed")[-1]  # only the miss is named
