"""Shared test set-up: d2lhelpers before MXNet, NumPy interface on, fixed seed; headless Chromium."""
import os
import shutil

import pytest

import d2lhelpers  # noqa: F401  (sets OMP_NUM_THREADS before MXNet loads)
from d2lhelpers import plot, runtime


@pytest.fixture(autouse=True)
def seeded(monkeypatch):
    """Every test starts from the same seed, whatever D2L_SEED the caller exported."""
    from mxnet import npx  # here, not at the top, so that d2lhelpers loads before MXNet

    npx.set_np()  # MXNet's NumPy interface, as every chapter's first cell switches it on
    monkeypatch.delenv(runtime.SEED_VARIABLE, raising=False)
    runtime.set_seed(0)


@pytest.fixture
def shown(monkeypatch):
    """The figures that drawing helpers display, in order, captured instead of displayed."""
    figures = []
    monkeypatch.setattr(plot, "show", lambda fig, **options: figures.append(fig))
    return figures


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def unavailable(reason: str) -> None:
    """Fail in CI (where the browser must be installed), skip elsewhere, saying why."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}. In CI, .ci/run installs it: apt-get install -y chromium")
    pytest.skip(f"{reason}; install it (Debian: apt-get install chromium) to run the browser tests")


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        unavailable("Chromium not found")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
