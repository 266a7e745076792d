"""bench.dropout_control: it runs chapter 2's own code, pairs each run with its control, and reports both."""
import pytest

from bench import chapters, dropout_control


def test_the_chapter_code_is_executed():
    chapter = dropout_control.chapter_code()
    assert {"dropout_net", "paired_comparison", "train_iter", "loss", "fashion"} <= set(chapter)
    assert (chapter["batch_size"], chapter["num_epochs"], chapter["lr"]) == (256, 16, 0.5)
    net = chapter["dropout_net"](0.2, 0.2)
    assert net(chapter["fashion"].test_images[:3]).shape == (3, 10)


def test_missing_cells_and_bad_seeds_are_named():
    with pytest.raises(ValueError, match=r"has no cells \['nosuchcell'\]: update bench.dropout_control.CELLS"):
        dropout_control.chapter_code(("nosuchcell",))
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        dropout_control.train_pair(-1, {})


def test_cells_run_in_order_in_one_namespace(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("a = 2", id="one"), nbformat.v4.new_code_cell("b = a * 3", id="two"),
                nbformat.v4.new_code_cell("raise RuntimeError('not run')", id="three")]
    path = tmp_path / "toy.ipynb"
    nbformat.write(nb, path)
    namespace = chapters.cells_namespace(path, ["one", "two"], "the toy")
    assert (namespace["a"], namespace["b"]) == (2, 6)


def test_the_report_has_a_row_per_seed_and_network():
    pair = {"dropout": {"test_acc": 0.8774, "train_acc": 0.8995, "seconds": 21.2},
            "none": {"test_acc": 0.8787, "train_acc": 0.9027, "seconds": 18.0},
            "difference": -0.0013, "paired_se": 0.0019, "right_only_with_dropout": 90, "right_only_without": 103}
    report = dropout_control.markdown({"date": "2026-12-06", "cpus": 2, "seeds": {"1": pair}})
    assert "| 1 | 0.2 | 0.8774 | 0.8995 | 0.0221 | -0.0013 | -0.7 | 21 |" in report
    assert "| 1 | none | 0.8787 | 0.9027 | 0.0240 |  |  | 18 |" in report
