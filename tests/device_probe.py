"""Chapters 1 to 7 run on a device that is not MXNet's default one, with everything they train there.

A reader with a GPU gets ``runtime.device() == mx.gpu(0)``; a chapter that
forgot ``ctx=device`` somewhere would still run on a CPU-only machine. So
the kernels nbval starts for chapters 1 to 7 get ``D2L_DEVICE=cpu:1``
(``conftest.py``): MXNet's default device stays ``cpu(0)``, and anything a
chapter creates without naming its device lands there. Each kernel also
loads ``PROBE`` as an IPython start-up file: after every cell it walks the
kernel's variables and what they hold (lists, dicts, networks with their
parameters and array attributes, trainers, functools.partial arguments, and
the attributes of the book's and the notebook's own objects: loaders, loops,
updaters) and writes every array, parameter and network not on ``cpu(1)``,
with the cell that made it, to a JSON report. After the chapter's last cell
one more test item reads the report (``problems``). So every chapter is
executed once in CI, by nbval, and checked for both.

Only the cells named in ``TEACHING_CELLS``, whose small arrays teach arrays
rather than train a model, may leave anything on the default device, and
only the variables named for each.
"""
import json
import os
import re
from pathlib import Path

import nbformat

DEVICE = "cpu(1)"
DEVICE_SETTING = "cpu:1"  # D2L_DEVICE's spelling of DEVICE
REPORT_VARIABLE = "D2L_DEVICE_PROBE_REPORT"
STARTUP_FILE = "profile_default/startup/00-d2l-device-probe.py"

# Per chapter: the cells (by id) whose arrays may stay on MXNet's default device, and the variables each
# may leave there. All teach arrays, autograd, activation functions or a worked example; no model trains on them.
TEACHING_CELLS = {
    "01_basics": {
        "c003": {"x", "v"}, "1c1fd465": {"x"}, "d43eef86": {"x", "y"}, "0f3e0619": {"y"},  # 1.1: arrays, autograd
        "23d35241": {"a", "root"}, "8d6b3c03": {"v", "y"},  # autograd through a loop; detach
        "1fdb4102": {"A", "B"},  # asynchronous execution, timed
        "9b3f67d0": {"O", "rows", "columns", "Q"},  # 1.1: keepdims, broadcasting, index arrays
        "2be36962": {"p", "q", "one_hot"},  # entropy and KL divergence on three classes
        "c027": {"O"},  # softmax of large logits
        "c029": {"y", "l", "O", "formula"},  # the cross-entropy's gradient against its formula
        "c045": {"x", "y", "gradients"},  # activation functions and their derivatives, plotted
        "c047": {"formula", "s", "t", "checks"},  # ... and checked against the formulas
    },
    "02_overfitting": {
        "c010": {"X", "y", "w", "b", "J", "grad_w", "grad_b"},  # the penalized gradient, by hand and autograd
        "c031": {"H"}, "c033": {"ones", "Y"}, "c040": {"ones", "Y"},  # dropout on small arrays
    },
    "03_backprop": {
        "009563b4": {"A", "v", "c", "u", "s", "jacobian_s_u", "jacobian_s_v", "jacobian_s_A", "jacobian_u_A", "u_bar",
                     "v_bar", "A_bar", "f_recorded"},  # vector-Jacobian products on numbers
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

# Runs inside the kernel, as an IPython start-up file: names stay local to one function, so the chapter's
# namespace gains nothing, and MXNet is only looked at once the chapter has imported it (d2lhelpers first).
PROBE = r'''
def _d2l_install_device_probe():
    import functools
    import json
    import os
    import sys

    shell = get_ipython()  # noqa: F821 (IPython's start-up files run in the kernel's namespace)
    report_path = os.environ["D2L_DEVICE_PROBE_REPORT"]
    found = {}  # "variable#id of its value" -> [variable, source of the cell that made it, device]

    def misplaced(device):
        """{variable or attribute path: (id of the value, its device)} for everything not on device."""
        import mxnet as mx
        from mxnet import gluon

        found, seen = {}, set()

        def visit(name, value, depth):
            if id(value) in seen or depth > 5:
                return
            seen.add(id(value))
            if isinstance(value, (mx.np.ndarray, mx.nd.NDArray)):
                if value.ctx != device:
                    found[name] = (id(value), str(value.ctx))
            elif isinstance(value, gluon.Parameter):
                try:
                    devices = value.list_ctx()
                except RuntimeError:  # never initialized
                    return
                if devices != [device]:
                    found[name] = (id(value), str(devices))
            elif isinstance(value, gluon.Block):
                for key, param in value.collect_params().items():
                    visit(f"{name}.{key}", param, depth + 1)
                blocks = []
                value.apply(blocks.append)  # the block and all its children, for arrays kept as attributes
                for block in blocks:
                    for key, item in vars(block).items():
                        if isinstance(item, (mx.np.ndarray, mx.nd.NDArray)):
                            visit(f"{name}.{type(block).__name__}.{key}", item, depth + 1)
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    visit(f"{name}[{i}]", item, depth + 1)
            elif isinstance(value, dict):
                for key, item in value.items():
                    visit(f"{name}[{key!r}]", item, depth + 1)
            elif isinstance(value, gluon.Trainer):
                visit(f"{name}.params", list(value._params), depth + 1)
            elif isinstance(value, functools.partial):
                visit(f"{name}.args", list(value.args) + list(value.keywords.values()), depth + 1)
            elif type(value).__module__.startswith(("d2lhelpers", "__main__")) and hasattr(value, "__dict__"):
                for key, item in vars(value).items():
                    visit(f"{name}.{key}", item, depth + 1)

        for name, value in list(shell.user_ns.items()):
            if not name.startswith("_") and name not in ("In", "Out"):
                visit(name, value, 0)
        return found

    def after_cell(result):
        runtime = sys.modules.get("d2lhelpers.runtime")
        if runtime is None or "mxnet" not in sys.modules:
            return
        device = runtime.device()
        for name, (key, where) in misplaced(device).items():
            found.setdefault(f"{name}#{key}", [name, result.info.raw_cell, where])
        report = {"device": str(device), "last_cell": result.info.raw_cell, "misplaced": list(found.values())}
        with open(report_path + ".part", "w") as f:
            json.dump(report, f)
        os.replace(report_path + ".part", report_path)

    shell.events.register("post_run_cell", after_cell)


_d2l_install_device_probe()
del _d2l_install_device_probe
'''


def kernel_environment(folder: Path, chapter: str) -> dict[str, str]:
    """The environment variables that give a kernel started now the probe; its report goes to ``folder``.

    Writes the start-up file under ``folder`` (the kernel's ``IPYTHONDIR``).
    """
    startup = folder / STARTUP_FILE
    startup.parent.mkdir(parents=True, exist_ok=True)
    startup.write_text(PROBE)
    return {"IPYTHONDIR": str(folder), "D2L_DEVICE": DEVICE_SETTING, REPORT_VARIABLE: str(report_path(folder, chapter))}


def report_path(folder: Path, chapter: str) -> Path:
    return folder / f"{chapter}.json"


def problems(notebook: Path, report: Path) -> list[str]:
    """What the probe's report for ``notebook`` shows wrong: empty when everything stayed on DEVICE."""
    chapter = notebook.stem
    nb = nbformat.read(notebook, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    allowed = TEACHING_CELLS.get(chapter, {})
    found = []
    stale = sorted(set(allowed) - {cell.id for cell in nb.cells})
    if stale:
        found.append(f"teaching cells named in tests/device_probe.py are no longer in {chapter}: {stale}")
    if not report.exists():
        return found + [f"the device probe wrote no report for {chapter} (did the kernel import d2lhelpers?)"]
    result = json.loads(report.read_text())
    if result["device"] != DEVICE:
        found.append(f"{chapter} ran on {result['device']}, not {DEVICE}")
    if code and result["last_cell"] != code[-1].source:
        found.append(f"the device probe did not run after {chapter}'s last code cell")
    ids = {cell.source: cell.id for cell in code}
    for name, source, where in result["misplaced"]:
        cell = ids.get(source, "?")
        if re.match(r"\w+", name).group() not in allowed.get(cell, ()):
            found.append(f"{chapter} left {name} on {where}, not {DEVICE} (cell {cell})")
    return found


def set_environment(values: dict[str, str | None]) -> dict[str, str | None]:
    """Set (or, for None, remove) environment variables; their previous values, to restore with this function."""
    previous = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    return previous
