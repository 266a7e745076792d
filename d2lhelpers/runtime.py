"""Process set-up shared by every chapter: CPU threads, seeds, the device, versions.

This module must not import MXNet at import time: ``configure_threads`` has
to run before MXNet's engine starts, because MXNet reads ``OMP_NUM_THREADS``
only once, when it is first imported.
"""
from __future__ import annotations

import math
import os
import platform
import random
import re
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for annotations only: MXNet must not load when this module does
    import mxnet

SEED_VARIABLE = "D2L_SEED"
DEVICE_VARIABLE = "D2L_DEVICE"


def _cgroup_cpu_limit(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """Return the CPU quota of this process's cgroup in CPUs, or None if unlimited."""
    v2 = root / "cpu.max"  # cgroup v2: "<quota> <period>" or "max <period>"
    v1_quota, v1_period = root / "cpu" / "cpu.cfs_quota_us", root / "cpu" / "cpu.cfs_period_us"
    try:
        if v2.exists():
            quota, period = v2.read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        if v1_quota.exists() and v1_period.exists():
            quota, period = int(v1_quota.read_text()), int(v1_period.read_text())
            return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None
    return None


def usable_cpus() -> int:
    """Number of CPUs this process can really use.

    That is the smaller of the CPUs in its affinity mask and its cgroup CPU
    quota (rounded down, at least 1), which is what a container such as
    Binder grants, rather than the host's core count that ``os.cpu_count``
    reports.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity mask
        cpus = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    if limit is not None:
        cpus = min(cpus, max(1, math.floor(limit)))
    return max(1, cpus)


def _leading_int(raw: str) -> int | None:
    """The positive integer ``raw`` starts with (``"4,2"`` gives 4), or None if there is none."""
    match = re.match(r"\s*(\d+)", raw)
    value = int(match.group(1)) if match else 0
    return value if value > 0 else None


def configure_threads(stacklevel: int = 2) -> int | None:
    """Set ``OMP_NUM_THREADS`` for MXNet before it loads, unless the user did.

    MXNet 1.9.1 uses only half of the CPUs for OpenMP by default, one thread
    on a 2-core laptop; using all usable CPUs makes convolutions about 1.7x
    faster there. More threads than CPUs makes it much slower, so the count
    is the CPUs this process may use (see ``usable_cpus``).

    Any value already in the environment, even an empty or malformed one,
    was set by the user and is left alone. Returns the thread count in
    force: the CPU count when this function set it, the number the user's
    value starts with (``"4,2"`` gives 4), or None when that count is
    unknown (a value that does not start with a positive integer, or MXNet
    imported before this ran, which is warned about). ``stacklevel`` is
    passed to ``warnings.warn`` so the warning points at the caller's code.
    """
    if "OMP_NUM_THREADS" in os.environ:
        return _leading_int(os.environ["OMP_NUM_THREADS"])
    if "mxnet" in sys.modules:
        warnings.warn(
            "MXNet was imported before d2lhelpers, so OMP_NUM_THREADS could not be "
            "set and MXNet keeps its default thread count. Import d2lhelpers first.",
            stacklevel=stacklevel,
        )
        return None
    threads = usable_cpus()
    os.environ["OMP_NUM_THREADS"] = str(threads)
    return threads


def seed_from_env(default: int) -> int:
    """Return the seed to use: ``$D2L_SEED`` when set, otherwise ``default``."""
    raw = os.environ.get(SEED_VARIABLE, "").strip()
    if not raw:
        return default
    try:
        seed = int(raw)
    except ValueError:
        raise ValueError(
            f"{SEED_VARIABLE} must be a non-negative integer, got {raw!r}"
        ) from None
    if seed < 0:
        raise ValueError(f"{SEED_VARIABLE} must be a non-negative integer, got {seed}")
    return seed


def set_seed(default: int) -> int:
    """Seed Python, NumPy and MXNet.

    Every chapter calls this in its first code cell. The seed is
    ``$D2L_SEED`` when that is set (so anyone can rerun a chapter with
    another seed), otherwise ``default``. Returns the seed used. So a
    chapter that repeats a run at several seeds must seed NumPy and MXNet
    itself (``numpy.random.seed``, ``mx.random.seed``): with ``$D2L_SEED``
    set, this function ignores ``default``.
    """
    import numpy
    from mxnet import random as mx_random

    from d2lhelpers.checks import non_negative_int  # imports NumPy, so not at module level

    seed = seed_from_env(non_negative_int("default", default))
    random.seed(seed)
    numpy.random.seed(seed)
    mx_random.seed(seed)
    return seed


def parse_devices(raw: str) -> list[tuple[str, int]]:
    """Read a device setting such as ``"gpu"``, ``"gpu:1"`` or ``"cpu:0,cpu:1"`` as (kind, number) pairs.

    A kind without a number means number 0. Raises a ValueError naming
    ``$D2L_DEVICE`` for anything else.
    """
    found = []
    for part in raw.split(","):
        match = re.fullmatch(r"\s*(cpu|gpu)(?::(\d+))?\s*", part.lower())
        if match is None:
            raise ValueError(f"{DEVICE_VARIABLE} must be 'cpu', 'gpu', 'cpu:N' or 'gpu:N' (several joined by "
                             f"commas, such as 'gpu:0,gpu:1'), got {raw!r}")
        found.append((match.group(1), int(match.group(2) or 0)))
    if len(set(found)) != len(found):
        raise ValueError(f"{DEVICE_VARIABLE} names a device twice: {raw!r}")
    return found


def devices() -> list[mxnet.Context]:
    """The MXNet devices (contexts) the book trains on.

    Every GPU MXNet sees, or the CPU when it sees none. ``$D2L_DEVICE``
    overrides that: ``cpu``, ``gpu``, ``cpu:N`` or ``gpu:N``, or several
    joined by commas; asking for a GPU that MXNet cannot see is an error
    that says how many it sees. Naming CPUs only never asks MXNet about
    GPUs, so ``D2L_DEVICE=cpu`` works around a broken CUDA installation.
    """
    import mxnet

    raw = os.environ.get(DEVICE_VARIABLE, "").strip()
    if not raw:
        return [mxnet.gpu(i) for i in range(mxnet.context.num_gpus())] or [mxnet.cpu()]
    chosen = parse_devices(raw)
    visible = mxnet.context.num_gpus() if any(kind == "gpu" for kind, _ in chosen) else 0
    missing = [f"gpu:{i}" for kind, i in chosen if kind == "gpu" and i >= visible]
    if missing:
        raise ValueError(f"{DEVICE_VARIABLE}={raw!r} asks for {', '.join(missing)}, but MXNet sees {visible} GPU(s) "
                         "(a GPU needs MXNet's CUDA build, such as mxnet-cu117, and a driver; see the README). "
                         f"Unset {DEVICE_VARIABLE} or set it to 'cpu'.")
    return [mxnet.gpu(i) if kind == "gpu" else mxnet.cpu(i) for kind, i in chosen]


def device() -> mxnet.Context:
    """The one device a chapter trains on: the first of ``devices()`` (the first GPU, else the CPU).

    Chapters create parameters and minibatches there (``ctx=device``) and
    move arrays with ``x.as_in_ctx(device)``.
    """
    return devices()[0]


def environment_report() -> dict[str, str]:
    """Versions and settings a reader should check first when something fails."""
    import d2l
    import matplotlib
    import mxnet
    import numpy

    return {
        "python": platform.python_version(),
        "mxnet": mxnet.__version__,
        "numpy": numpy.__version__,
        "d2l": d2l.__version__,
        "matplotlib": matplotlib.__version__,
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)"),
        "usable CPUs": str(usable_cpus()),
        "GPUs": str(mxnet.context.num_gpus()),
        "device": str(device()),
    }
