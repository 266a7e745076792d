"""Set-up for every pytest run, the notebooks' (nbval) included.

Under the test suite a chapter's "Results of this run" cell fails, naming
every result that misses its expectation (``d2lhelpers.results``); the
kernels nbval starts inherit this process's environment. Set
``D2L_STRICT_RESULTS=0`` to run the notebooks as a reader's kernel does.

The kernels nbval starts for chapters 1 to 7 also run on ``cpu(1)`` with the
device probe of ``tests/device_probe.py``, and after each chapter's last
cell one more item, "device probe", fails if anything stayed on MXNet's
default device. So each chapter executes once and is checked for both.
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests import device_probe

os.environ.setdefault("D2L_STRICT_RESULTS", "1")


def notebook_cell(item: pytest.Item) -> bool:
    """Whether ``item`` is one of nbval's notebook cells of a chapter the device probe checks."""
    return type(item).__name__ == "IPyNbCell" and item.path.stem in device_probe.TEACHING_CELLS


class DeviceProbe(pytest.Item):
    """The device probe's verdict on one chapter, run after the chapter's last cell in the same kernel."""

    def runtest(self) -> None:
        found = device_probe.problems(self.path, device_probe.report_path(probe_folder(self.config), self.path.stem))
        if found:
            pytest.fail("\n".join(found), pytrace=False)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}: device probe"


def probe_folder(config: pytest.Config) -> Path:
    if not hasattr(config, "d2l_probe_folder"):
        config.d2l_probe_folder = Path(tempfile.mkdtemp(prefix="d2l-device-probe-"))
    return config.d2l_probe_folder


def pytest_collection_modifyitems(session, config, items):
    """A DeviceProbe item right after each probed chapter's last cell."""
    extended = []
    for i, item in enumerate(items):
        extended.append(item)
        last = i + 1 == len(items) or items[i + 1].parent is not item.parent
        if notebook_cell(item) and last:
            extended.append(DeviceProbe.from_parent(item.parent, name="device probe"))
    items[:] = extended


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """Start a probed chapter's kernel (nbval does, in its first cell's set-up) on cpu(1) with the probe."""
    starts_kernel = notebook_cell(item) and item.parent.kernel is None
    if starts_kernel:
        folder = probe_folder(item.config)
        device_probe.report_path(folder, item.path.stem).unlink(missing_ok=True)
        previous = device_probe.set_environment(device_probe.kernel_environment(folder, item.path.stem))
    try:
        yield
    finally:
        if starts_kernel:
            device_probe.set_environment(previous)


def pytest_unconfigure(config):
    if hasattr(config, "d2l_probe_folder"):
        shutil.rmtree(config.d2l_probe_folder, ignore_errors=True)
