"""Chapters 1 to 7 run on a device that is not MXNet's default one, with everything they train there.

A reader with a GPU gets ``runtime.device() == mx.gpu(0)``; a chapter that
forgot ``ctx=device`` somewhere would still run on a CPU-only machine, so
these tests set ``D2L_DEVICE=cpu:1``: MXNet's default device stays
``cpu(0)``, and anything a chapter creates without naming its device lands
there. After every code cell a probe walks the kernel's variables and what
they hold (lists, dicts, networks with their parameters and array
attributes, trainers, functools.partial arguments, and the attributes of the
book's and the notebook's own objects: loaders, loops, updaters) and records
every array, parameter and network not on ``cpu(1)``, with the cell that
made it. Only the cells named below, whose small arrays teach arrays rather
than train a model, may leave anything on the default device, and only the
variables named for each.

Marked ``slow`` (about 10 minutes, chapter 5 alone 5): ``make test`` runs them, ``make check`` does not.
The results cells run strictly here too, so each chapter's bounds also hold when it runs on ``cpu(1)``.
"""
import json
import re
from pathlib import Path

import nbformat
import pytest

from book import notebooks

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
DEVICE = "cpu(1)"

# Per chapter: the cells (by id) whose arrays may stay on MXNet's default device, and the variables each
# may leave there. All teach arrays, autograd, activation functions or a worked example; no model trains on them.
TEACHING_CELLS = {
    "01_basics": {
        "c003": {"x"}, "1c1fd465": {"x"}, "d43eef86": {"x", "y"}, "0f3e0619": {"y"},  # 1.1: arrays, autograd
        "9b3f67d0": {"O", "rows", "columns"},  # 1.1: keepdims, broadcasting, index arrays
        "2be36962": {"p", "q", "one_hot"},  # entropy and KL divergence on three classes
        "c027": {"O"},  # softmax of large logits
        "c029": {"y", "l", "O", "formula"},  # the cross-entropy's gradient against its formula
        "c045": {"x", "y", "gradients"},  # activation functions and their derivatives, plotted
        "c047": {"formula", "s", "t", "checks"},  # ... and checked against the formulas
    },
    "02_overfitting": {
        "c010": {"X", "y", "w", "b", "J", "autograd_w", "autograd_b"},  # the penalized gradient, by hand and autograd
        "c031": {"H"}, "c033": {"ones", "Y"}, "c040": {"ones", "Y"},  # dropout on small arrays
    },
    "03_backprop": {
        "009563b4": {"A", "v", "c", "u", "y_tanh", "jacobian_y_v", "jacobian_u_A", "u_bar", "v_bar", "A_bar",
                     "u_recorded"},  # vector-Jacobian products on numbers
        "c049": {"z_sample"},  # a sample of tanh'(z)^2
    },
    "04_cnn": {
        "c005": {"X", "K", "Y"}, "c016": {"X2", "K2", "Y2"}, "c019": {"K3"},  # worked cross-correlations
        "c010": {"image", "edge_kernel", "edges"},  # the edge-detection toy image
        "c012": {"windows", "A", "curvatures"},  # its curvature, for the rate (the detector trains on the device)
        "c024": {"X"},  # pooling's worked example
    },
    "05_modern_cnn": {},
    "06_rnn_lstm": {},
    "07_playground": {},
}

SETUP = r'''
import functools as _functools
import json as _json

import mxnet as _mx
from mxnet import gluon as _gluon

_d2l_found = {}  # "variable#id of its value" -> [variable, id of the cell that made it, device]


def _d2l_misplaced(device):
    """{variable or attribute path: (id of the value, its device)} for everything not on device."""
    found, seen = {}, set()

    def visit(name, value, depth):
        if id(value) in seen or depth > 5:
            return
        seen.add(id(value))
        if isinstance(value, (_mx.np.ndarray, _mx.nd.NDArray)):
            if value.ctx != device:
                found[name] = (id(value), str(value.ctx))
        elif isinstance(value, _gluon.Parameter):
            try:
                devices = value.list_ctx()
            except RuntimeError:  # never initialized
                return
            if devices != [device]:
                found[name] = (id(value), str(devices))
        elif isinstance(value, _gluon.Block):
            for key, param in value.collect_params().items():
                visit(f"{name}.{key}", param, depth + 1)
            blocks = []
            value.apply(blocks.append)  # the block and all its children, for arrays kept as attributes
            for block in blocks:
                for key, item in vars(block).items():
                    if isinstance(item, (_mx.np.ndarray, _mx.nd.NDArray)):
                        visit(f"{name}.{type(block).__name__}.{key}", item, depth + 1)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(f"{name}[{i}]", item, depth + 1)
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(f"{name}[{key!r}]", item, depth + 1)
        elif isinstance(value, _gluon.Trainer):
            visit(f"{name}.params", list(value._params), depth + 1)
        elif isinstance(value, _functools.partial):
            visit(f"{name}.args", list(value.args) + list(value.keywords.values()), depth + 1)
        elif type(value).__module__.startswith(("d2lhelpers", "__main__")) and hasattr(value, "__dict__"):
            for key, item in vars(value).items():
                visit(f"{name}.{key}", item, depth + 1)

    for name, value in list(globals().items()):
        if not name.startswith("_") and name not in ("In", "Out"):
            visit(name, value, 0)
    return found


def _d2l_check(cell):
    for name, (key, where) in _d2l_misplaced(runtime.device()).items():
        _d2l_found.setdefault(f"{name}#{key}", [name, cell, where])
'''

REPORT = 'print(_json.dumps({"device": str(runtime.device()), "misplaced": list(_d2l_found.values())}))'


def with_probe(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with the probe set up after its first code cell and run after every code cell."""
    cells, set_up = [], False
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        if not set_up:
            cells.append(nbformat.v4.new_code_cell(SETUP))
            set_up = True
        cells.append(nbformat.v4.new_code_cell(f"_d2l_check({cell.id!r})"))
    cells.append(nbformat.v4.new_code_cell(REPORT))
    return nbformat.v4.new_notebook(cells=cells, metadata=nb.metadata)


def run_on_device(nb: nbformat.NotebookNode, cwd: Path, monkeypatch) -> dict:
    """Execute ``nb`` with ``D2L_DEVICE=cpu:1`` and the probe; the probe's report."""
    monkeypatch.setenv("D2L_DEVICE", "cpu:1")
    probed = with_probe(nb)
    notebooks.execute(probed, cwd, strict=True)
    printed = "".join(o.get("text", "") for o in probed.cells[-1].outputs if o.output_type == "stream")
    return json.loads(printed.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("chapter", sorted(TEACHING_CELLS))
def test_chapter_trains_everything_on_the_chosen_device(chapter, monkeypatch):
    nb = nbformat.read(CHAPTERS / f"{chapter}.ipynb", as_version=4)
    ids = {cell.id for cell in nb.cells}
    assert set(TEACHING_CELLS[chapter]) <= ids, "a teaching cell named here is no longer in the chapter"
    report = run_on_device(nb, CHAPTERS, monkeypatch)
    assert report["device"] == DEVICE
    misplaced = [(name, cell, where) for name, cell, where in report["misplaced"]
                 if re.match(r"\w+", name).group() not in TEACHING_CELLS[chapter].get(cell, ())]
    assert not misplaced, f"{chapter} left these on the default device, not {DEVICE} (name, cell id, device): " \
                          f"{misplaced}"


def test_the_probe_finds_what_was_left_behind(tmp_path, monkeypatch):
    """The probe really records, with their cells, arrays, networks and loaders left on cpu(0), even overwritten."""
    cells = [
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
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c, id=f"cell{i}") for i, c in enumerate(cells)])
    report = run_on_device(nb, tmp_path, monkeypatch)
    assert report["device"] == DEVICE
    assert sorted((name, cell) for name, cell, _ in report["misplaced"]) == [
        ("f.args[0]", "cell3"), ("forgot", "cell1"), ("loader.features", "cell2"), ("loader.labels", "cell2"),
        ("net.dense0_bias", "cell2"), ("net.dense0_weight", "cell2"), ("overwritten", "cell3"),
        ("stats.Stats.mean", "cell3")]
