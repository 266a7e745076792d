"""The "Results of this run" table that closes each chapter.

A chapter's last code cell makes a ``Report``, adds the results a reader
cares about, and shows it::

    report = Report("04_cnn")
    report.check("lenet_modern_test_acc", modern_acc)
    report.check("lenet_shift_loss", lenet_loss, reference=mlp_loss)
    report.note("LeNet, modernized", "training seconds", modern.seconds, "depends on the CPU")
    report.show()

``check`` rows take their model, metric and bound from
``d2lhelpers.expectations``, so each bound is written once; ``show`` writes
the "what to expect" column from it, displays the table and records every
checked number in the notebook's outputs (``myst_nb.glue``) for the README's
results table and the benchmark.

One code path, two behaviours. In a reader's kernel a row that misses its
bound is marked in the table and explained in a few lines below it, and
nothing is raised, so Run All reaches the exercises. When the environment
variable ``D2L_STRICT_RESULTS`` is ``1`` (the test suite and the book's
build set it) ``show`` raises ``ResultsMissed`` once, naming every miss.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from d2lhelpers import expectations, manifest

STRICT_VARIABLE = "D2L_STRICT_RESULTS"
HEADING = "# Results of this run"  # the first line of every chapter's results cell
COLUMNS = ("model", "metric", "this run", "what to expect", "as expected")
MET, MISSED = "yes", "no, see below"


class ResultsMissed(AssertionError):
    """Raised by ``Report.show`` under the test suite when a result misses its expectation."""


@dataclass(frozen=True)
class Row:
    """One row of the table; ``met`` is None for a row that is shown but not checked."""

    model: str
    metric: str
    shown: str
    expect: str
    met: bool | None = None


def strict() -> bool:
    """Whether a miss raises (``D2L_STRICT_RESULTS=1``) rather than being marked and explained."""
    raw = os.environ.get(STRICT_VARIABLE, "").strip()
    if raw not in ("", "0", "1"):
        raise ValueError(f"{STRICT_VARIABLE} must be 0, 1 or unset, got {raw!r}")
    return raw == "1"


def _shown(value: float, e: expectations.Expectation) -> str:
    """A checked value as the table shows it: 0.8512 for accuracies, 3.2e-07 for errors, else 4 digits."""
    if e.bound_format.endswith("e"):
        return f"{value:.1e}"
    return f"{value:.4f}" if e.metric == "test accuracy" else f"{value:.4g}"


class Report:
    """The rows of one chapter's "Results of this run" table (see the module's docstring)."""

    def __init__(self, chapter: str) -> None:
        self.chapter = manifest.chapter(chapter).name
        self.rows: list[Row] = []
        self.values: dict[str, float] = {}  # name -> number, recorded in the outputs by show()

    def check(self, name: str, value: float, reference: float | None = None) -> Report:
        """Add the result ``name`` of this chapter, checked against its expectation.

        A relative expectation ("below the unigram model's") needs the
        ``reference`` value it is relative to. Returns the report.
        """
        e = expectations.expectation(name)
        if e.chapter != self.chapter:
            raise ValueError(f"name must be a result of {self.chapter}, got {name!r}, a result of {e.chapter}")
        if name in self.values:
            raise ValueError(f"name {name!r} was already checked in this report")
        met = expectations.meets(name, value, reference)  # validates value and reference
        expect = expectations.in_words(name)
        if reference is not None:
            expect += f" ({float(reference):.4g})"
            self.values[f"{name}_reference"] = float(reference)
        if e.usually:
            expect += f"; usually {e.usually}"
        self.rows.append(Row(e.description, e.metric, _shown(float(value), e), expect, met))
        self.values[name] = float(value)
        return self

    def note(self, model: str, metric: str, value, expect: str = "", fmt: str = ".4g") -> Report:
        """Add a row that is shown but not checked (a time, a count); numbers are written with ``fmt``."""
        shown = value if isinstance(value, str) else format(value, fmt)
        self.rows.append(Row(model, metric, shown, expect))
        return self

    def misses(self) -> list[Row]:
        """The checked rows whose value misses its expectation."""
        return [row for row in self.rows if row.met is False]

    def table(self):
        """The rows as a pandas DataFrame indexed by model and metric."""
        import pandas as pd

        data = [(r.model, r.metric, r.shown, r.expect, "" if r.met is None else MET if r.met else MISSED)
                for r in self.rows]
        return pd.DataFrame(data, columns=list(COLUMNS)).set_index(["model", "metric"])

    def explanation(self) -> str:
        """What the misses mean and what to try, in a reader's words ('' when every row is met)."""
        missed = self.misses()
        if not missed:
            return ""
        lines = [f"{len(missed)} result{'s' if len(missed) > 1 else ''} of this run "
                 f"differ{'' if len(missed) > 1 else 's'} from what the chapter leads you to expect:"]
        lines += [f"  - {r.model}, {r.metric}: {r.shown}, expected {r.expect}" for r in missed]
        lines += ["This is what to expect after changing a setting (a learning rate, a number of epochs, a seed",
                  "far from the ones tried) or running cells out of order. To see the chapter's own results,",
                  "restart the kernel and run all cells. If a result still misses, see Troubleshooting in",
                  "the README."]
        return "\n".join(lines)

    def show(self) -> None:
        """Display the table, record the checked numbers, and explain (or, under test, raise on) misses."""
        from IPython.display import display
        from myst_nb import glue

        with _wide_columns():
            display(self.table())
        for name, value in self.values.items():
            glue(name, value, display=False)
        if self.misses():
            if strict():
                raise ResultsMissed(f"{self.chapter}: " + self.explanation())
            print(self.explanation())


def _wide_columns():
    """A pandas option context that shows long "what to expect" entries whole."""
    import pandas as pd

    return pd.option_context("display.max_colwidth", None)
