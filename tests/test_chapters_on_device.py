"""Chapters 1 to 7 run on a device that is not MXNet's default one, with everything they train there.

A reader with a GPU gets ``runtime.device() == mx.gpu(0)``; a chapter that
forgot ``ctx=device`` somewhere would still run on a CPU-only machine, so
these tests set ``D2L_DEVICE=cpu:1``: MXNet's default device stays
``cpu(0)``, and anything a chapter creates without naming its device lands
there. After the last cell a probe walks the kernel's variables (and the
book's objects they hold: loaders, loops, updaters) and lists every array,
parameter and network that is not on ``cpu(1)``. Only the arrays of the
preliminaries, which teach arrays rather than train a model, may stay on
the default device; they are named below.

Marked ``slow`` (about 13 minutes, chapter 5 alone 5): ``make test`` runs them, ``make check`` does not.
The results cells run strictly here too, so each chapter's bounds hold on ``cpu(1)``, whose random
numbers differ from ``cpu(0)``'s.
"""
import json
from pathlib import Path

import nbformat
import pytest

from book import notebooks

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"
DEVICE = "cpu(1)"

# Variables a chapter may leave on MXNet's default device: arrays that teach
# arrays, autograd or activation functions, and no model trains on.
TEACHING_ARRAYS = {
    # 1.1's arrays and autograd; the cross-entropy gradient checked against its formula; the activation
    # functions and their derivatives, plotted and checked
    "01_basics": {"x", "y", "l", "O", "formula", "gradients", "s", "t", "checks"},
    # the hand-derived gradient of the penalized loss checked against autograd; dropout on an array of ones
    "02_overfitting": {"y", "J", "autograd_w", "autograd_b", "ones", "Y"},
    # the sigmoid's derivative plotted; products of random matrices; a sample of tanh'(z)^2
    "03_backprop": {"x", "factors", "product", "norms", "z_sample"},
    # the worked examples of cross-correlation, edge detection and channels (the edge detector trains on
    # copies moved to the device)
    "04_cnn": {"K", "Y", "image", "edge_kernel", "edges", "windows", "A", "curvatures", "X2", "K2", "Y2", "K3"},
    "05_modern_cnn": set(),  # everything of chapters 5 to 7 is on the device
    "06_rnn_lstm": set(),
    "07_playground": set(),
}

PROBE = r'''
import json as _json
import mxnet as _mx
from mxnet import gluon as _gluon

def _misplaced(device):
    found, seen = {}, set()

    def visit(name, value, depth):
        if id(value) in seen or depth > 4:
            return
        seen.add(id(value))
        if isinstance(value, (_mx.np.ndarray, _mx.nd.NDArray)):
            if value.ctx != device:
                found[name] = str(value.ctx)
        elif isinstance(value, _gluon.Parameter):
            try:
                devices = value.list_ctx()
            except RuntimeError:  # never initialized
                return
            if devices != [device]:
                found[name] = str(devices)
        elif isinstance(value, _gluon.Block):
            for key, param in value.collect_params().items():
                visit(f"{name}.{key}", param, depth + 1)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                visit(f"{name}[{i}]", item, depth + 1)
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(f"{name}[{key!r}]", item, depth + 1)
        elif isinstance(value, _gluon.Trainer):
            visit(f"{name}.params", list(value._params), depth + 1)
        elif type(value).__module__.startswith("d2lhelpers") and hasattr(value, "__dict__"):
            for key, item in vars(value).items():
                visit(f"{name}.{key}", item, depth + 1)

    for name, value in list(globals().items()):
        if not name.startswith("_") and name not in ("In", "Out"):
            visit(name, value, 0)
    return found

print(_json.dumps({"device": str(runtime.device()), "misplaced": _misplaced(runtime.device())}))
'''


def run_on_device(chapter: str, monkeypatch) -> dict:
    """Execute ``chapter`` with ``D2L_DEVICE=cpu:1`` and the probe appended; the probe's report."""
    monkeypatch.setenv("D2L_DEVICE", "cpu:1")
    nb = nbformat.read(CHAPTERS / f"{chapter}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    notebooks.execute(nb, CHAPTERS, strict=True)
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    return json.loads(printed.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("chapter", sorted(TEACHING_ARRAYS))
def test_chapter_trains_everything_on_the_chosen_device(chapter, monkeypatch):
    report = run_on_device(chapter, monkeypatch)
    assert report["device"] == DEVICE
    misplaced = {name: where for name, where in report["misplaced"].items()
                 if name.split(".")[0].split("[")[0] not in TEACHING_ARRAYS[chapter]}
    assert not misplaced, f"{chapter} left these on the default device, not {DEVICE}: {misplaced}"


def test_the_probe_finds_what_was_left_behind(tmp_path, monkeypatch):
    """The probe above really lists an array, a network and a loader's arrays left on cpu(0)."""
    monkeypatch.setenv("D2L_DEVICE", "cpu:1")
    code = ("from d2lhelpers import data, runtime\nfrom mxnet import np, npx, gluon\nnpx.set_np()\n"
            "device = runtime.device()\nkept = np.ones(2, ctx=device)\nforgot = np.ones(2)\n"
            "net = gluon.nn.Dense(2, in_units=2)\nnet.initialize()\n"
            "loader = data.ArrayLoader(np.ones((4, 2)), np.ones(4), 2)\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell(PROBE)])
    notebooks.execute(nb, tmp_path)
    report = json.loads(nb.cells[-1].outputs[-1]["text"].strip())
    assert report["device"] == DEVICE
    assert set(report["misplaced"]) == {"forgot", "net.dense0_weight", "net.dense0_bias",
                                        "loader.features", "loader.labels"}
