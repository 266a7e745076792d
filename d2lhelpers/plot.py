"""Figures in notebooks: curves, image grids and a live training plot.

Figures are drawn on ``matplotlib.figure.Figure`` objects rather than
through pyplot's global state, so a cell shows exactly the figures it
displays, and the saved notebook keeps one static image per figure.
"""
from __future__ import annotations

import sys
from typing import Sequence

import matplotlib
import numpy
from d2l import mxnet as d2l
from matplotlib.axes import Axes
from matplotlib.figure import Figure


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


def show(fig: Figure) -> None:
    """Display ``fig`` as SVG in Jupyter; do nothing elsewhere."""
    if in_notebook():
        from IPython.display import display

        use_svg()
        display(fig)


def _as_numpy(values) -> numpy.ndarray:
    return values.asnumpy() if hasattr(values, "asnumpy") else numpy.asarray(values)


def plot(X, Y=None, xlabel: str | None = None, ylabel: str | None = None,
         legend: Sequence[str] = (), xlim=None, ylim=None, xscale: str = "linear",
         yscale: str = "linear", fmts: Sequence[str] = ("-", "m--", "g-.", "r:", "c-", "k--"),
         figsize: tuple[float, float] = (3.5, 2.5), axes: Axes | None = None) -> Axes:
    """Plot one or more curves; ``X`` and ``Y`` are a sequence or a list of sequences.

    With ``Y`` omitted, ``X`` holds the y values and x runs 0, 1, 2, ...
    One x sequence may serve several y sequences. Draws into ``axes`` when
    given (and then displays nothing), otherwise into a new displayed figure.
    """
    def curves(values) -> list[numpy.ndarray]:
        single = hasattr(values, "ndim") and values.ndim == 1 or (
            isinstance(values, (list, tuple)) and len(values) > 0 and not hasattr(values[0], "__len__"))
        return [_as_numpy(values)] if single else [_as_numpy(v) for v in values]

    ys = curves(X if Y is None else Y)
    xs = [numpy.arange(len(y)) for y in ys] if Y is None else curves(X)
    if len(xs) == 1 and len(ys) > 1:
        xs = xs * len(ys)
    if len(xs) != len(ys):
        raise ValueError(f"X must give one x sequence or one per curve ({len(ys)}), got {len(xs)}")
    for i, (x, y) in enumerate(zip(xs, ys)):
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError(f"curve {i}: x and y must be 1-D of equal length, got {x.shape} and {y.shape}")
    if legend and len(legend) != len(ys):
        raise ValueError(f"legend must name each of the {len(ys)} curves, got {len(legend)} names")
    fig = None
    if axes is None:
        fig = Figure(figsize=figsize, layout="constrained")
        axes = fig.add_subplot()
    for x, y, fmt in zip(xs, ys, fmts * (len(ys) // len(fmts) + 1)):
        axes.plot(x, y, fmt)
    d2l.set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    axes.autoscale(axis="x", enable=xlim is None)  # set_axes' set_xlim(None) switches autoscaling off
    axes.autoscale(axis="y", enable=ylim is None)
    if fig is not None:
        show(fig)
    return axes


def show_images(images, num_rows: int, num_cols: int, titles: Sequence[str] | None = None,
                scale: float = 1.5) -> numpy.ndarray:
    """Show images in a grid with optional titles; returns the array of axes.

    ``images`` is a sequence or array of 2-D images, or of (1, H, W) single-
    channel images. (d2l 1.0.3's ``show_images`` for MXNet is a stub that
    raises ``NotImplementedError``.)
    """
    arrays = [_as_numpy(img) for img in images]
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
    return axes


class TrainingPlot:
    """Loss, training and test accuracy per epoch, redrawn live as training runs.

    In Jupyter the figure is updated in place after every epoch (one
    display, so the saved notebook keeps one static figure); outside
    Jupyter each epoch prints a progress line instead.
    """

    def __init__(self, num_epochs: int, title: str | None = None, figsize: tuple[float, float] = (4.5, 3)):
        self.num_epochs, self.title = num_epochs, title
        self.epochs: list[int] = []
        self.series: dict[str, list[float]] = {"train loss": [], "train acc": [], "test acc": []}
        self.handle = None
        self.fig = Figure(figsize=figsize, layout="constrained")
        self.axes = self.fig.add_subplot()

    def update(self, epoch: int, train_loss: float, train_acc: float, test_acc: float, seconds: float) -> None:
        """Record one epoch's results and redraw (or print a progress line)."""
        self.epochs.append(epoch)
        for key, value in zip(self.series, (train_loss, train_acc, test_acc)):
            self.series[key].append(value)
        if not in_notebook():
            done = round(20 * epoch / self.num_epochs)
            print(f"[{'#' * done}{'.' * (20 - done)}] epoch {epoch}/{self.num_epochs}: loss {train_loss:.3f}, "
                  f"train acc {train_acc:.3f}, test acc {test_acc:.3f} ({seconds:.1f} s)", flush=True)
            return
        from IPython.display import display

        self.axes.cla()
        for (label, values), fmt in zip(self.series.items(), ("-", "m--", "g-.")):
            self.axes.plot(self.epochs, values, fmt, label=label)
        d2l.set_axes(self.axes, "epoch", None, (1, max(self.num_epochs, 2)), None, "linear", "linear", None)
        self.axes.legend(loc="upper right")
        if self.title:
            self.axes.set_title(self.title)
        use_svg()
        if self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)

    def close(self, summary: str) -> None:
        """Print the final one-line summary under the figure."""
        print(summary, flush=True)
