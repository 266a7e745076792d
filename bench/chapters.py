"""Every chapter executed in a fresh kernel, timed, and compared with ``d2lhelpers.expectations``.

Each notebook is copied into a temporary folder and the copy executed
(nbclient, a new ``python3`` kernel started in ``chapters/``, as
``book/build.py`` does), so the committed notebooks never change. The wall
time covers the kernel's start and every cell. The numbers a chapter
glued (``myst_nb.glue``) are read from the executed copy's outputs and each
one with an expectation is compared with its bound (a relative bound with
the reference value the chapter glued beside it). A chapter runs at its
default seed unless ``D2L_SEED`` is set, and as a reader's kernel would
(``D2L_STRICT_RESULTS=0``), so a miss is reported here rather than
stopping the chapter.

This module does not import MXNet: the kernels do.
"""
from __future__ import annotations

import contextlib
import math
import os
import shutil
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from book.notebooks import CELL_TIMEOUT, GLUE_MIME, glued_values, parse_glued  # noqa: F401 (re-exported)
from book.notebooks import execute as execute_notebook
from d2lhelpers import expectations, runtime

HEARTBEAT = 30.0  # seconds between progress lines while a chapter executes

EXECUTED, FAILED, NOT_WRITTEN, NOT_RUN = "executed", "failed", "not written", "not run"
MET, NOT_MET, MISSING = "met", "not met", "missing"
WITHIN, OVER = "within budget", "over budget"


@dataclass
class ChapterRun:
    """One chapter's execution: its status, wall time, glued numbers and error, if any.

    ``status`` is ``"executed"``, ``"failed"`` (a cell raised, or the kernel
    died or timed out), ``"not written"`` (no notebook yet) or ``"not run"``
    (left out of this run). ``recorded_seconds`` is the time ``make book``
    recorded for the committed notebook, for comparison.
    """

    chapter: str
    status: str
    seconds: float | None = None
    values: dict[str, float] = field(default_factory=dict)
    error: str = ""
    recorded_seconds: float | None = None


@dataclass
class ResultCheck:
    """One glued result against its expectation: ``status`` is met, not met, missing, not written or not run."""

    name: str
    chapter: str
    description: str
    metric: str
    value: float | None
    expected: str
    status: str


@dataclass
class TimeCheck:
    """One chapter's wall time against its budget: within budget, over budget, failed, not written or not run."""

    chapter: str
    seconds: float | None
    budget: float
    status: str


def cells_namespace(path: Path, cell_ids: Iterable[str], fix: str, given: dict | None = None) -> dict:
    """The cells ``cell_ids`` of the notebook at ``path``, executed in order in one fresh namespace.

    A study runs a chapter's own code this way, so that it cannot drift from the chapter. ``given`` names
    start in the namespace: what earlier cells, not run, would have defined. A missing cell is a ValueError
    naming it and ``fix``, what to update.
    """
    from book.notebooks import python_of

    cell_ids = list(cell_ids)
    cells = {cell.id: cell.source for cell in nbformat.read(path, as_version=4).cells}
    missing = [cell_id for cell_id in cell_ids if cell_id not in cells]
    if missing:
        raise ValueError(f"{path.name} has no cells {missing}: update {fix}")
    namespace: dict = dict(given or {})
    for cell_id in cell_ids:
        exec(compile(python_of(cells[cell_id]), f"{path.name}, cell {cell_id}", "exec"), namespace)
    return namespace


def cell_progress(chapter: str, num_cells: int, progress: Callable[[str], None],
                  every: float = HEARTBEAT) -> Callable[..., None]:
    """An nbclient ``on_cell_executed`` hook that reports the cell reached at most once every ``every`` seconds."""
    start = last = time.perf_counter()

    def hook(cell_index: int, **kwargs) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= every:
            last = now
            progress(f"chapter {chapter}: cell {cell_index + 1} of {num_cells} done ({now - start:.0f} s)")

    return hook


def execute(path: Path, work_dir: Path, cwd: Path, timeout: int = CELL_TIMEOUT,
            progress: Callable[[str], None] | None = None) -> ChapterRun:
    """Execute a copy of the notebook at ``path`` in ``work_dir``, its kernel started in ``cwd``.

    The executed copy is left in ``work_dir``. Errors in the notebook are
    recorded in the returned run, not raised. With ``progress``, long
    executions report which cell they reached now and then.
    """
    copy = work_dir / path.name
    shutil.copy2(path, copy)
    nb = nbformat.read(copy, as_version=4)
    recorded = nb.metadata.get("d2lbook", {}).get("seconds")
    hook = None if progress is None else cell_progress(path.stem, len(nb.cells), progress)
    status, error = EXECUTED, ""
    start = time.perf_counter()
    try:
        execute_notebook(nb, cwd, timeout, on_cell_executed=hook, strict=False)  # a miss is reported, not raised
    except CellExecutionError as err:
        status, error = FAILED, f"{err.ename}: {err.evalue}"
    except (CellTimeoutError, DeadKernelError, RuntimeError) as err:
        status, error = FAILED, f"{type(err).__name__}: {err}"
    seconds = time.perf_counter() - start
    nbformat.write(nb, copy)
    return ChapterRun(path.stem, status, seconds, glued_values(nb), error.strip()[:500], recorded)


def run_all(chapters_dir: Path, work_dir: Path, only: Iterable[str] = (),
            progress: Callable[[str], None] = print) -> dict[str, ChapterRun]:
    """Execute every chapter the book plans (``expectations.CHAPTER_SECONDS``) that has a notebook.

    With ``only``, the other chapters are ``"not run"``. A notebook in
    ``chapters_dir`` without a time budget is an error: give it one first.
    """
    only = set(only)
    planned = set(expectations.CHAPTER_SECONDS)
    unknown = sorted(({p.stem for p in chapters_dir.glob("*.ipynb")} | only) - planned)
    if unknown:
        raise ValueError(f"no time budget in d2lhelpers.manifest for {', '.join(unknown)}")
    runs = {}
    for number, chapter in enumerate(expectations.CHAPTER_SECONDS, 1):
        path = chapters_dir / f"{chapter}.ipynb"
        if not path.is_file():
            runs[chapter] = ChapterRun(chapter, NOT_WRITTEN)
        elif only and chapter not in only:
            runs[chapter] = ChapterRun(chapter, NOT_RUN)
        else:
            progress(f"chapter {chapter} ({number}/{len(planned)}): executing in a fresh kernel")
            runs[chapter] = run = execute(path, work_dir, chapters_dir, progress=progress)
            progress(f"chapter {chapter}: {run.status} in {run.seconds:.1f} s"
                     + (f" ({run.error})" if run.error else ""))
    return runs


def compare_results(runs: Mapping[str, ChapterRun]) -> list[ResultCheck]:
    """Every expectation of ``d2lhelpers.expectations`` against the value its chapter glued in ``runs``.

    A chapter absent from ``runs`` counts as not run; a chapter that ran
    but glued no such value (it failed first, or lacks it) makes the result
    missing.
    """
    checks = []
    for name, e in expectations.EXPECTATIONS.items():
        run = runs.get(e.chapter, ChapterRun(e.chapter, NOT_RUN))
        value = run.values.get(name)
        if run.status in (NOT_WRITTEN, NOT_RUN):
            status = run.status
        elif value is None:
            status = MISSING
        else:
            reference = run.values.get(f"{name}_reference") if e.relative_to else None
            status = MISSING if e.relative_to and reference is None else \
                MET if expectations.meets(name, value, reference) else NOT_MET
        checks.append(ResultCheck(name, e.chapter, e.description, e.metric, value,
                                  expectations.describe(name), status))
    return checks


def compare_times(runs: Mapping[str, ChapterRun]) -> list[TimeCheck]:
    """Each planned chapter's wall time against its budget (chapters absent from ``runs`` count as not run)."""
    checks = []
    for chapter, budget in expectations.CHAPTER_SECONDS.items():
        run = runs.get(chapter, ChapterRun(chapter, NOT_RUN))
        if run.status == EXECUTED:
            status = WITHIN if run.seconds <= budget else OVER
        else:
            status = run.status
        checks.append(TimeCheck(chapter, run.seconds, budget, status))
    return checks


def book_time(runs: Mapping[str, ChapterRun]) -> dict:
    """The executed chapters' total wall time against the whole book's budget.

    ``complete`` is true only when every planned chapter executed; a
    partial total meeting the budget says little about the whole book.
    """
    timed = [run for run in runs.values() if run.status == EXECUTED]
    total = math.fsum(run.seconds for run in timed)
    complete = len(timed) == len(expectations.CHAPTER_SECONDS)
    return {"seconds": total, "budget": expectations.BOOK_SECONDS, "chapters_timed": len(timed),
            "chapters_planned": len(expectations.CHAPTER_SECONDS), "complete": complete,
            "status": WITHIN if total <= expectations.BOOK_SECONDS else OVER}


# ------------------------------------------------------------------ seed spread

def extra_seeds(count: int) -> list[int]:
    """The seeds a spread adds to each chapter's default: 101, 202, ... (``count`` of them)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    return [101 * k for k in range(1, count + 1)]


@contextlib.contextmanager
def seed_variable(seed: int | None) -> Iterator[None]:
    """While active, kernels started by this process see ``D2L_SEED=seed`` (None: unset, each default)."""
    previous = os.environ.pop(runtime.SEED_VARIABLE, None)
    if seed is not None:
        os.environ[runtime.SEED_VARIABLE] = str(seed)
    try:
        yield
    finally:
        os.environ.pop(runtime.SEED_VARIABLE, None)
        if previous is not None:
            os.environ[runtime.SEED_VARIABLE] = previous


def _summary(values: Mapping[str, float]) -> dict:
    """``values`` by seed, with their minimum, median and maximum."""
    return {"values": dict(values), "min": min(values.values()), "median": statistics.median(values.values()),
            "max": max(values.values())}


def spread(runs_by_seed: Mapping[str, Mapping[str, ChapterRun]]) -> dict:
    """Minimum, median and maximum of every glued result and every chapter's time over the seeds run.

    ``runs_by_seed`` maps a seed's label ("default", "101", ...) to that
    seed's runs. Numbers come from the chapters that executed; ``met``
    counts the seeds at which a result met its expectation (a relative one
    against that seed's own reference, kept per seed in ``references``
    beside the ``ratios`` to it); ``failures`` lists every chapter
    that did not execute at some seed, with its error.
    """
    values, references, times, met, failures = {}, {}, {}, {}, []
    for label, runs in runs_by_seed.items():
        for chapter, run in runs.items():
            if run.status in (NOT_WRITTEN, NOT_RUN):
                continue
            if run.status != EXECUTED:
                failures.append({"chapter": chapter, "seed": label, "status": run.status, "error": run.error})
                continue
            times.setdefault(chapter, {})[label] = run.seconds
            for name, value in run.values.items():
                if name.endswith("_reference"):
                    continue
                values.setdefault((chapter, name), {})[label] = value
                if name in expectations.EXPECTATIONS:
                    reference = run.values.get(f"{name}_reference")
                    relative = bool(expectations.expectation(name).relative_to)
                    if relative and reference is not None:
                        references.setdefault(name, {})[label] = reference
                    ok = (reference is not None or not relative) and \
                        expectations.meets(name, value, reference if relative else None)
                    met[name] = met.get(name, 0) + ok
    results = {name: {"chapter": chapter, **_summary(by_seed), "met": met.get(name, 0),
                      "expected": expectations.describe(name) if name in expectations.EXPECTATIONS else ""}
               for (chapter, name), by_seed in values.items()}
    for name, by_seed in references.items():  # a relative result: each seed's reference and the ratio to it
        results[name]["references"] = by_seed
        results[name]["ratios"] = {label: results[name]["values"][label] / ref if ref else math.nan
                                   for label, ref in by_seed.items()}
    return {"seeds": list(runs_by_seed), "results": results,
            "times": {chapter: _summary(by_seed) for chapter, by_seed in times.items()}, "failures": failures}
