"""Figures in notebooks: curves, image grids and a live training plot.

Figures are drawn on ``matplotlib.figure.Figure`` objects rather than
through pyplot's global state, so a cell shows exactly the figures it
displays, and the saved notebook keeps one static image per figure.

One idiom for every drawing helper of the book (here and in ``figures``):
a helper that makes a figure displays it and returns nothing. To add to a
figure, make it yourself, draw into its axes (``plot(..., axes=ax)``) and
display it with ``show``.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from itertools import cycle

import matplotlib
import numpy
from d2l import mxnet as d2l
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from d2lhelpers.checks import as_numpy, positive_int

FORMATS = ("-", "m--", "g-.", "r:", "c-", "k--")


def in_notebook() -> bool:
    """True when running inside a Jupyter kernel (where figures can be displayed)."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def use_svg() -> None:
    """Display figures as SVG (d2l's ``use_svg_display``), with text kept as text and
    fixed element ids, so the same figure gives the same bytes on every run."""
    d2l.use_svg_display()
    matplotlib.rcParams["svg.hashsalt"] = "d2lhelpers"
    matplotlib.rcParams["svg.fonttype"] = "none"


def show(fig: Figure, text_as_paths: bool = False) -> None:
    """Display ``fig`` as SVG in Jupyter; do nothing elsewhere.

    With ``text_as_paths`` the text is drawn as outlines rather than kept as
    text: every SVG renderer then shows it alike, where some misplace the
    pieces of mathematical text (a tilde over a letter, for example).
    """
    if in_notebook():
        from IPython.display import display

        use_svg()
        with matplotlib.rc_context({"svg.fonttype": "path"} if text_as_paths else {}):
            display(fig)


def plot(X, Y=None, xlabel: str | None = None, ylabel: str | None = None,
         legend: Sequence[str] = (), xlim=None, ylim=None, xscale: str = "linear",
         yscale: str = "linear", fmts: Sequence[str] = FORMATS,
         figsize: tuple[float, float] = (3.5, 2.5), axes: Axes | None = None) -> None:
    """Plot one or more curves; ``X`` and ``Y`` are a sequence or a list of sequences.

    With ``Y`` omitted, ``X`` holds the y values and x runs 0, 1, 2, ...
    One x sequence may serve several y sequences. Draws into ``axes`` when
    given (and then displays nothing), otherwise into a new displayed figure.
    """
    def curves(values) -> list[numpy.ndarray]:
        single = hasattr(values, "ndim") and values.ndim == 1 or (
            isinstance(values, (list, tuple)) and len(values) > 0 and not hasattr(values[0], "__len__"))
        return [as_numpy(values)] if single else [as_numpy(v) for v in values]

    ys = curves(X if Y is None else Y)
    xs = [numpy.arange(len(y)) for y in ys] if Y is None else curves(X)
    if len(xs) == 1 and len(ys) > 1:
        xs = xs * len(ys)
    if len(xs) != len(ys):
        raise ValueError(f"X must give one x sequence or one per curve ({len(ys)}), got {len(xs)}")
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError(f"curve {i}: x and y must be 1-D of equal length, got {x.shape} and {y.shape}")
    if legend and len(legend) != len(ys):
        raise ValueError(f"legend must name each of the {len(ys)} curves, got {len(legend)} names")
    fig = None
    if axes is None:
        fig = Figure(figsize=figsize, layout="constrained")
        axes = fig.add_subplot()
    for x, y, fmt in zip(xs, ys, cycle(fmts)):
        axes.plot(x, y, fmt)
    d2l.set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    axes.autoscale(axis="x", enable=xlim is None)  # set_axes' set_xlim(None) switches autoscaling off
    axes.autoscale(axis="y", enable=ylim is None)
    if fig is not None:
        show(fig)


def show_images(images, num_rows: int, num_cols: int, titles: Sequence[str] | None = None,
                scale: float = 1.5) -> None:
    """Show images in a grid with optional titles.

    ``images`` is a sequence or array of 2-D images, or of (1, H, W) single-
    channel images. (d2l 1.0.3's ``show_images`` for MXNet is a stub that
    raises ``NotImplementedError``.)
    """
    arrays = [as_numpy(img) for img in images]
    arrays = [a[0] if a.ndim == 3 and a.shape[0] == 1 else a for a in arrays]
    if not arrays or len(arrays) > num_rows * num_cols:
        raise ValueError(f"images must hold 1 to num_rows * num_cols = {num_rows * num_cols} "
                         f"images, got {len(arrays)}")
    if any(a.ndim != 2 for a in arrays):
        raise ValueError(f"each image must be 2-D (H, W) or (1, H, W), got shapes "
                         f"{sorted({a.shape for a in arrays})}")
    if titles is not None and len(titles) != len(arrays):
        raise ValueError(f"titles must have one entry per image ({len(arrays)}), got {len(titles)}")
    fig = Figure(figsize=(num_cols * scale, num_rows * scale), layout="constrained")
    axes = fig.subplots(num_rows, num_cols, squeeze=False).flatten()
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i < len(arrays):
            ax.imshow(arrays[i], cmap="gray_r")
            if titles:
                ax.set_title(titles[i], fontsize=9)
    show(fig)


def show_confusion(confusion, names: Sequence[str], figsize: tuple[float, float] = (6, 5)) -> None:
    """Draw a confusion matrix (row: true class, column: predicted class) with each count in its cell."""
    counts = as_numpy(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] != len(names):
        raise ValueError(f"confusion must be a square matrix with one row per name ({len(names)}), "
                         f"got shape {counts.shape}")
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    ax.imshow(counts, cmap="Blues")
    ticks = range(len(names))
    ax.set(xticks=ticks, yticks=ticks, xlabel="predicted class", ylabel="true class")
    ax.set_xticklabels(names, rotation=90)
    ax.set_yticklabels(names)
    for (i, j), count in numpy.ndenumerate(counts):
        ax.text(j, i, f"{count:g}", ha="center", va="center", fontsize=7,
                color="white" if count > counts.max() / 2 else "black")
    show(fig)


QUANTITIES = {"loss": "loss", "acc": "accuracy", "ppl": "perplexity"}


class TrainingPlot:
    """Curves of a training run, one point per epoch, redrawn live as training runs.

    An observer of ``train.Loop.fit``: after each epoch it plots the values
    of ``series`` found in the epoch's record. Series are grouped by their
    last word ("train loss" and "val loss" by "loss"), one panel per group
    with the quantity as its y label, so that a loss and an accuracy never
    share an axis; each series keeps its own line format in any panel. In
    Jupyter the figure is updated in place (one display, so the saved
    notebook keeps one static figure); elsewhere it is drawn but not shown.
    At the end it prints the run's one-line summary under the figure.
    """

    def __init__(self, num_epochs: int, series: Sequence[str] = ("train loss", "train acc", "test acc"),
                 title: str | None = None, figsize: tuple[float, float] | None = None, xlabel: str = "epoch"):
        self.num_epochs, self.title, self.xlabel = positive_int("num_epochs", num_epochs), title, xlabel
        if not series:
            raise ValueError("series must name at least one metric to plot")
        self.epochs: list[int] = []
        self.series: dict[str, list[float]] = {name: [] for name in series}
        self.formats = dict(zip(series, cycle(FORMATS)))
        self.panels: dict[str, list[str]] = {}
        for name in series:
            self.panels.setdefault(name.split()[-1], []).append(name)
        if figsize is None:
            figsize = (4.5, 3) if len(self.panels) == 1 else (3.6 * len(self.panels), 2.8)
        self.handle = None
        self.fig = Figure(figsize=figsize, layout="constrained")
        self.axes = self.fig.subplots(1, len(self.panels), squeeze=False)[0]

    def epoch_end(self, epoch: int, record: dict[str, float]) -> None:
        """Record one epoch's values of the plotted series and redraw."""
        missing = [name for name in self.series if name not in record]
        if missing:
            raise ValueError(f"the epoch's record has no {missing}; it has {sorted(record)}")
        self.epochs.append(epoch)
        for name, values in self.series.items():
            values.append(record[name])
        for ax, (quantity, names) in zip(self.axes, self.panels.items(), strict=True):
            ax.cla()
            for name in names:
                ax.plot(self.epochs, self.series[name], self.formats[name], label=name)
            ax.set_xlim(1, max(self.num_epochs, 2))
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel(self.xlabel)
            ax.set_ylabel(QUANTITIES.get(quantity, quantity))
            ax.grid()
            ax.legend(loc="best")
        if self.title:
            self.fig.suptitle(self.title)
        if in_notebook():
            from IPython.display import display

            use_svg()
            if self.handle is None:
                self.handle = display(self.fig, display_id=True)
            else:
                self.handle.update(self.fig)

    def end(self, history) -> None:
        """Print the run's one-line summary under the figure."""
        print(history.summary(), flush=True)
