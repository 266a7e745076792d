"""The device probe of ``tests/device_probe.py``, which nbval's kernels for chapters 1 to 7 run (``conftest.py``).

These tests run it on a small notebook in a kernel started the same way: it
must find what was left on MXNet's default device, name the cell that left
it, and pass what a chapter's teaching cells may leave there.
"""
import json
from pathlib import Path

import nbformat
import pytest

from book import notebooks
from tests import device_probe

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
CELLS = [
    "import d2lhelpers\nimport functools\nfrom d2lhelpers import data, runtime\n"
    "from mxnet import np, npx, gluon\nnpx.set_np()\ndevice = runtime.device()",
    "kept = np.ones(2, ctx=device)\nforgot = np.ones(2)",
    "net = gluon.nn.Dense(2, in_units=2)\nnet.initialize()\n"
    "loader = data.ArrayLoader(np.ones((4, 2)), np.ones(4), 2)",
    "class Stats(gluon.Block):\n    def __init__(self):\n        super().__init__()\n"
    "        self.mean = np.zeros(2)\n"
    "stats = Stats()\nf = functools.partial(np.dot, np.ones(2))\noverwritten = np.ones(3)",
    "overwritten = np.ones(3, ctx=device)",
]


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """A small notebook that leaves things on cpu(0), run with the probe: (its path, the probe's report)."""
    folder = tmp_path_factory.mktemp("probe")
    path = folder / "probe_test.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c, id=f"cell{i}") for i, c in enumerate(CELLS)])
    nbformat.write(nb, path)
    with pytest.MonkeyPatch.context() as monkeypatch:
        for key, value in device_probe.kernel_environment(folder, "probe_test").items():
            monkeypatch.setenv(key, value)
        notebooks.execute(nb, folder)
    return path, device_probe.report_path(folder, "probe_test")


def test_the_probe_finds_what_was_left_behind(probed):
    """Arrays, networks, loaders, block attributes and partial arguments left on cpu(0), even overwritten."""
    _, report = probed
    result = json.loads(report.read_text())
    assert result["device"] == device_probe.DEVICE
    assert result["last_cell"] == CELLS[-1]
    assert sorted((name, CELLS.index(source)) for name, source, _ in result["misplaced"]) == [
        ("f.args[0]", 3), ("forgot", 1), ("loader.features", 2), ("loader.labels", 2),
        ("net.dense0_bias", 2), ("net.dense0_weight", 2), ("overwritten", 3), ("stats.Stats.mean", 3)]


def test_problems_name_each_variable_and_cell_but_pass_teaching_cells(probed, monkeypatch):
    path, report = probed
    found = device_probe.problems(path, report)
    assert len(found) == 8
    assert "probe_test left forgot on cpu(0), not cpu(1) (cell cell1)" in found
    monkeypatch.setitem(device_probe.TEACHING_CELLS, "probe_test", {"cell1": {"forgot"}, "cell3": {"f", "stats"}})
    assert len(device_probe.problems(path, report)) == 5


def test_problems_without_a_report_or_with_stale_teaching_cells(probed, tmp_path, monkeypatch):
    path, _ = probed
    monkeypatch.setitem(device_probe.TEACHING_CELLS, "probe_test", {"gone": {"x"}})
    found = device_probe.problems(path, tmp_path / "missing.json")
    assert found == ["teaching cells named in tests/device_probe.py are no longer in probe_test: ['gone']",
                     "the device probe wrote no report for probe_test (did the kernel import d2lhelpers?)"]


def test_every_teaching_cell_is_in_its_chapter():
    for chapter, cells in device_probe.TEACHING_CELLS.items():
        nb = nbformat.read(CHAPTERS / f"{chapter}.ipynb", as_version=4)
        assert set(cells) <= {cell.id for cell in nb.cells}, f"{chapter}: a teaching cell is no longer there"


def test_every_chapter_but_the_introduction_is_probed():
    chapters = sorted(path.stem for path in CHAPTERS.glob("*.ipynb"))
    assert sorted(device_probe.TEACHING_CELLS) == [c for c in chapters if not c.startswith("00_")]
