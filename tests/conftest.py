"""Shared test set-up: d2lhelpers before MXNet, NumPy interface on, fixed seed."""
import pytest

import d2lhelpers  # noqa: F401  (sets OMP_NUM_THREADS before MXNet loads)
from d2lhelpers import runtime


@pytest.fixture(autouse=True)
def seeded(monkeypatch):
    """Every test starts from the same seed, whatever D2L_SEED the caller exported."""
    monkeypatch.delenv(runtime.SEED_VARIABLE, raising=False)
    runtime.set_seed(0)
