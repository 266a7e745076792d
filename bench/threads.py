"""The thread policy, measured: one LeNet epoch per OpenMP setting, on an idle and on a busy machine.

Each measurement is a fresh process (``bench.lenet_epoch``), because MXNet
reads ``OMP_NUM_THREADS`` and libgomp its wait policy only when they load.
The settings are 1 thread and as many threads as this process may use CPUs,
the latter also with the two libgomp knobs that decide what an idle thread
does: ``GOMP_SPINCOUNT=0`` (sleep at once instead of spinning) and
``OMP_WAIT_POLICY=PASSIVE``. "Busy" means one other process spinning on a
CPU throughout the measurement: a bounded busy loop started for each
measurement and always stopped after it.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from d2lhelpers import timing
from d2lhelpers.checks import positive_int

ROOT = Path(__file__).resolve().parent.parent
LOADS = ("idle", "busy")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
PROBE_TIMEOUT = 600.0  # seconds one LeNet epoch may take, even on a busy machine
BUSY_LOOP = ("import sys, time\n"
             "end = time.monotonic() + float(sys.argv[1])\n"
             "while time.monotonic() < end:\n"
             "    pass\n")


@dataclass(frozen=True)
class Setting:
    """A name and the OpenMP environment variables it sets."""

    label: str
    env: tuple[tuple[str, str], ...]

    @property
    def wait_variables(self) -> dict[str, str]:
        """The variables it sets besides OMP_NUM_THREADS."""
        return {k: v for k, v in self.env if k != "OMP_NUM_THREADS"}


def settings(cpus: int) -> list[Setting]:
    """1 thread, then ``cpus`` threads plain, with GOMP_SPINCOUNT=0 and with OMP_WAIT_POLICY=PASSIVE."""
    positive_int("cpus", cpus)
    one = Setting("1 thread", (("OMP_NUM_THREADS", "1"),))
    if cpus == 1:
        return [one]
    n = ("OMP_NUM_THREADS", str(cpus))
    return [one, Setting(f"{cpus} threads", (n,)),
            Setting(f"{cpus} threads, GOMP_SPINCOUNT=0", (n, ("GOMP_SPINCOUNT", "0"))),
            Setting(f"{cpus} threads, OMP_WAIT_POLICY=PASSIVE", (n, ("OMP_WAIT_POLICY", "PASSIVE")))]


def probe_environment(base: Mapping[str, str], setting: Setting) -> dict[str, str]:
    """``base`` without any OpenMP thread or wait variable, plus those of ``setting``."""
    env = {k: v for k, v in base.items() if k not in THREAD_VARIABLES}
    env.update(setting.env)
    return env


def parse_probe_output(stdout: str) -> float:
    """The examples/s in the last JSON line of ``bench.lenet_epoch``'s output."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "examples_per_second" in record:
            return float(record["examples_per_second"])
    raise ValueError(f"no JSON line with examples_per_second in the output: {stdout[-300:]!r}")


@contextlib.contextmanager
def busy_process(max_seconds: float) -> Iterator[subprocess.Popen]:
    """Another process spinning on one CPU, for at most ``max_seconds``; stopped when the block ends."""
    if not max_seconds > 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds!r}")
    process = subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(max_seconds)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_probe(setting: Setting, batches: int, timeout: float = PROBE_TIMEOUT) -> float:
    """Examples/s of one LeNet epoch of ``batches`` minibatches in a fresh process with ``setting``."""
    result = subprocess.run([sys.executable, "-m", "bench.lenet_epoch", "--batches", str(batches)],
                            cwd=ROOT, env=probe_environment(os.environ, setting), capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"bench.lenet_epoch with {setting.label} exited with status {result.returncode}: "
                           f"{result.stderr.strip()[-500:]}")
    return parse_probe_output(result.stdout)


def measure_once(setting: Setting, load: str, batches: int, timeout: float = PROBE_TIMEOUT) -> float:
    """One probe under ``load``: ``"idle"``, or ``"busy"`` with a busy loop running throughout."""
    if load not in LOADS:
        raise ValueError(f"load must be one of {LOADS}, got {load!r}")
    if load == "idle":
        return run_probe(setting, batches, timeout)
    with busy_process(timeout + 30) as busy:
        rate = run_probe(setting, batches, timeout)
        if busy.poll() is not None:
            raise RuntimeError("the busy process ended before the measurement did")
    return rate


@dataclass
class ThreadRun:
    """Every measurement of one setting under one load."""

    setting: Setting
    load: str
    examples_per_second: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return timing.median(self.examples_per_second) if self.examples_per_second else None

    def to_dict(self) -> dict:
        return {"setting": self.setting.label, "env": dict(self.setting.env), "load": self.load,
                "examples_per_second": self.examples_per_second, "median": self.median, "errors": self.errors}


def measure(choices: list[Setting], batches: int, repeats: int,
            progress: Callable[[str], None] = print) -> list[ThreadRun]:
    """Every setting under every load, ``repeats`` times, in alternating rounds; failures are recorded."""
    positive_int("batches", batches)
    positive_int("repeats", repeats)
    runs = {(s.label, load): ThreadRun(s, load) for load in LOADS for s in choices}
    for load in LOADS:
        for r in range(1, repeats + 1):
            for s in choices:
                run = runs[s.label, load]
                progress(f"threads: LeNet epoch, {s.label}, {load}, repeat {r}/{repeats}")
                try:
                    run.examples_per_second.append(measure_once(s, load, batches))
                except (RuntimeError, ValueError, subprocess.TimeoutExpired) as error:
                    run.errors.append(str(error))
                    progress(f"threads: {s.label}, {load}: failed: {str(error)[:200]}")
    return list(runs.values())


def verdict(medians: Mapping[tuple[str, str], float]) -> list[str]:
    """What the medians (examples/s by setting label and load) say, in a few sentences."""
    lines = []
    best = {}
    for load in LOADS:
        at_load = {label: rate for (label, l), rate in medians.items() if l == load}
        if not at_load:
            continue
        best[load] = max(at_load.values())
        fastest = max(at_load, key=at_load.get)
        others = ", ".join(f"{label} {rate / best[load]:.0%}" for label, rate in at_load.items() if label != fastest)
        lines.append(f"{load}: fastest is {fastest} at {best[load]:,.0f} examples/s"
                     + (f"; relative to it: {others}" if others else "") + ".")
    both = {label for (label, load) in medians if load == "idle" and (label, "busy") in medians}
    if len(best) == 2 and both:
        def worst(label: str) -> float:
            return min(medians[label, load] / best[load] for load in LOADS)
        robust = max(sorted(both), key=worst)
        lines.append(f"most robust: {robust}, at worst {worst(robust):.0%} of the fastest setting, idle or busy.")
        for label in sorted(both):
            lines.append(f"{label}: busy keeps {medians[label, 'busy'] / medians[label, 'idle']:.0%} "
                         "of its idle speed.")
    return lines
