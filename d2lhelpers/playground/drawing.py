"""The playground's pictures: points, decision boundary, loss curves, the network, and animations."""
from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy
import PIL.Image
from IPython.display import Image, display
from matplotlib.animation import FuncAnimation, HTMLWriter
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from d2lhelpers import plot
from d2lhelpers.checks import positive_int
from d2lhelpers.playground.data import EXTENT
from d2lhelpers.playground.model import Playground, Snapshot

ORANGE, BLUE = "#e8710a", "#1a73b8"  # label 0, label 1; negative, positive weights
# 16 shades, as in a contour map: the pictures stay readable and compress well
COLORS = LinearSegmentedColormap.from_list("orange_white_blue", [ORANGE, "#f7f7f7", BLUE], N=16)
STILL_RESOLUTION = 96  # grid of the decision boundary in still pictures (animation frames use 48)

def draw_points(ax: Axes, points: numpy.ndarray, labels: numpy.ndarray, test: bool = False, size: float = 12,
                regression: bool = False) -> None:
    """Points colored by label (for ``regression``, by target value): training points with a white edge,
    test points with a black one, so that both stand out on a background of their own color."""
    colors = COLORS((numpy.clip(labels, -1, 1) + 1) / 2) if regression else numpy.where(labels > 0.5, BLUE, ORANGE)
    ax.scatter(points[:, 0], points[:, 1], c=colors, s=size, linewidths=0.7,
               edgecolors="black" if test else "white")
    ax.set_xlim(-EXTENT, EXTENT)
    ax.set_ylim(-EXTENT, EXTENT)
    ax.set_aspect("equal")


def _squash(values: numpy.ndarray) -> numpy.ndarray:
    """Values mapped into [-1, 1] for coloring: divided by their largest magnitude (if above 1)."""
    scale = max(1.0, float(numpy.abs(values).max()))
    return values / scale


def output_colors(scores: numpy.ndarray, problem: str) -> numpy.ndarray:
    """Output scores as values in [-1, 1] for coloring: 2 sigmoid(s) - 1 = tanh(s/2) for classification
    (0 where the prediction changes), the score itself, clipped, for regression."""
    return numpy.clip(scores, -1, 1) if problem == "regression" else numpy.tanh(scores / 2)


def unit_name(feature_names: Sequence[str], num_hidden: int, unit: tuple[int, int]) -> str:
    """A readable name of ``unit`` = (column, index): column 0 holds the inputs, then one per hidden layer,
    then the output."""
    column, index = unit
    if column == 0:
        return f"input {feature_names[index]}"
    return "output" if column == num_hidden + 1 else f"layer {column}, unit {index + 1}"


def draw_boundary(ax: Axes, pg: Playground, snap: Snapshot | None = None, show_test: bool = True,
                  discretize: bool = False, unit: tuple[int, int] | None = None) -> None:
    """The output over the square as a heat map (blue: label 1), the training (and test) points on top.

    For classification, a black line marks the decision boundary, where the score is 0.

    ``discretize`` colors only the sign (the predicted class); ``unit`` =
    (column, index) draws that unit's output instead of the network's (see
    ``unit_name``), as the original enlarges a unit under the mouse.
    """
    problem = pg.config.problem
    if unit is None:
        snap = snap or pg.snapshot(boundary_resolution=STILL_RESOLUTION)
        picture, title = output_colors(snap.boundary, problem), None
    else:
        snap = snap or pg.snapshot(resolution=STILL_RESOLUTION // 2)
        column, index = unit
        if not (0 <= column < len(snap.unit_grids) and 0 <= index < len(snap.unit_grids[column])):
            raise ValueError(f"unit must be (column, index) of a unit of the network, got {unit!r}")
        values = snap.unit_grids[column][index]
        last = column == len(snap.unit_grids) - 1
        picture = output_colors(values, problem) if last else _squash(values)
        title = unit_name(pg.config.features, len(pg.config.hidden), unit)
    if discretize:
        picture = numpy.sign(picture)
    ax.clear()
    ax.imshow(picture, origin="lower", extent=(-EXTENT, EXTENT, -EXTENT, EXTENT), cmap=COLORS,
              vmin=-1, vmax=1, interpolation="nearest")
    regression = problem == "regression"
    if unit is None and not regression and picture.min() < 0 < picture.max():  # the decision boundary, s = 0
        ax.contour(picture, levels=[0], origin="lower", extent=(-EXTENT, EXTENT, -EXTENT, EXTENT),
                   colors="black", linewidths=0.8)
    draw_points(ax, pg.points["train"], pg.labels["train"], regression=regression)
    if show_test:
        draw_points(ax, pg.points["test"], pg.labels["test"], test=True, regression=regression)
    ax.set_xticks([-6, 0, 6])
    ax.set_yticks([-6, 0, 6])
    ax.tick_params(labelsize=7)
    if title is not None:
        ax.set_title(title, fontsize=8)
    elif snap.history:
        ax.set_title(f"epoch {snap.epoch}: test loss {snap.history[-1]['test loss']:.3f}", fontsize=8)


def draw_losses(ax: Axes, history: Sequence[dict[str, float]], num_epochs: int | None = None) -> None:
    """Training and test loss per epoch."""
    ax.clear()
    epochs = [r["epoch"] for r in history]
    ax.plot(epochs, [r["train loss"] for r in history], color="0.35", label="train loss")
    ax.plot(epochs, [r["test loss"] for r in history], color="black", linestyle="--", label="test loss")
    ax.set_xlim(0, max(num_epochs or 0, epochs[-1] if epochs else 1, 1))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("epoch", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="upper right")


def draw_network(ax: Axes, feature_names: Sequence[str], snap: Snapshot, problem: str = "classification",
                 highlight: tuple[int, int] | None = None) -> None:
    """The network: each unit as a small heat map of its output, each weight as a line.

    A line's width grows with the weight's magnitude; blue lines are
    positive weights, orange ones negative. Each column is named below it
    (inputs, layer 1, ..., output). The unit ``highlight`` =
    (column, index), if given, gets a black frame.
    """
    ax.clear()
    ax.set_axis_off()
    columns = snap.unit_grids
    size, gap = 0.62, 0.18
    tallest = max(len(c) for c in columns)
    # columns 1.6 apart, or further for tall layers, so that the drawing is roughly 1.35 times as wide as tall
    # (its margins add about 2 to the columns' span across and about 0.5 to the tallest column's height)
    spacing = max(1.6, (1.35 * (0.5 + tallest * (size + gap)) - 2.1) / max(len(columns) - 1, 1))
    centers = []
    for j, col in enumerate(columns):
        top = (tallest - len(col)) * (size + gap) / 2
        centers.append([(j * spacing, -(top + i * (size + gap))) for i in range(len(col))])
    largest = max(float(numpy.abs(w).max()) for w in snap.weights) or 1.0
    segments, colors, widths = [], [], []  # one line per weight, drawn together (much faster than one plot each)
    for j, w in enumerate(snap.weights):
        for out in range(w.shape[0]):
            for inp in range(w.shape[1]):
                (x0, y0), (x1, y1) = centers[j][inp], centers[j + 1][out]
                value = w[out, inp]
                segments.append([(x0 + size / 2, y0), (x1 - size / 2, y1)])
                colors.append(BLUE if value > 0 else ORANGE)
                widths.append(0.3 + 3 * abs(value) / largest)
    ax.add_collection(LineCollection(segments, colors=colors, linewidths=widths, alpha=0.8, capstyle="butt",
                                     zorder=1))
    for j, col in enumerate(columns):
        for i, unit in enumerate(col):
            x, y = centers[j][i]
            picture = output_colors(unit, problem) if j == len(columns) - 1 else _squash(unit)
            ax.imshow(picture, origin="lower", cmap=COLORS, vmin=-1, vmax=1, zorder=2, interpolation="nearest",
                      extent=(x - size / 2, x + size / 2, y - size / 2, y + size / 2))
            if highlight == (j, i):
                ax.add_patch(Rectangle((x - size / 2, y - size / 2), size, size, fill=False, linewidth=1.5,
                                       edgecolor="black", zorder=3))
            if j == 0:
                ax.text(x - size / 2 - 0.08, y, feature_names[i], ha="right", va="center", fontsize=7)
    bottom = -(tallest - 1) * (size + gap) - size / 2
    for j in range(len(columns)):
        name = "inputs" if j == 0 else "output" if j == len(columns) - 1 else f"layer {j}"
        ax.text(j * spacing, bottom - 0.1, name, ha="center", va="top", fontsize=7)
    ax.set_xlim(-1.4, (len(columns) - 1) * spacing + size / 2 + 0.05)
    ax.set_ylim(bottom - 0.45, size / 2 + 0.05)
    ax.set_aspect("equal")


def draw(pg: Playground, snap: Snapshot | None = None, num_epochs: int | None = None,
         figsize: tuple[float, float] = (9, 3), fig: Figure | None = None, show_test: bool = True,
         discretize: bool = False, unit: tuple[int, int] | None = None) -> Figure:
    """The playground's three panels: network, decision boundary (or ``unit``'s output) with the points,
    loss curves. ``show_test``, ``discretize`` and ``unit`` are ``draw_boundary``'s."""
    snap = snap or pg.snapshot(resolution=STILL_RESOLUTION // 2 if unit else 20,
                               boundary_resolution=STILL_RESOLUTION)
    if fig is None:
        fig = Figure(figsize=figsize, layout="constrained")
    if len(fig.axes) != 3:  # a new figure; one drawn before keeps its panels, each cleared below (faster)
        fig.clear()
        fig.subplots(1, 3, width_ratios=[1.6, 1, 1])
    net_ax, data_ax, loss_ax = fig.axes
    draw_network(net_ax, pg.config.features, snap, pg.config.problem, highlight=unit)
    draw_boundary(data_ax, pg, snap, show_test=show_test, discretize=discretize, unit=unit)
    draw_losses(loss_ax, snap.history, num_epochs)
    loss_ax.set_box_aspect(1)
    return fig


def png_bytes(fig: Figure, dpi: int = 72) -> bytes:
    """The figure as PNG bytes with a palette of 256 colors.

    The pictures hold few colors (16 shades, points, lines), so the palette
    loses nothing visible and makes the file about three times smaller than
    full color, which keeps the saved notebook small.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    picture = PIL.Image.open(buffer).convert("RGB").quantize(256, dither=PIL.Image.Dither.NONE)
    palette = io.BytesIO()
    picture.save(palette, format="png", optimize=True)
    return palette.getvalue()


def log_loss_axis(ax: Axes) -> None:
    """A logarithmic y axis for losses, with ticks at 1, 2 and 5 times each power of ten, written plainly."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def record(pg: Playground, num_epochs: int, num_frames: int, resolution: int = 20) -> list[Snapshot]:
    """Train ``num_epochs`` more epochs and take ``num_frames`` snapshots, the first before training."""
    positive_int("num_epochs", num_epochs)
    if not isinstance(num_frames, int) or not 2 <= num_frames <= num_epochs + 1:
        raise ValueError(f"num_frames must be an int from 2 to num_epochs + 1 = {num_epochs + 1}, got {num_frames!r}")
    start = pg.epochs
    marks = {start + round(i * num_epochs / (num_frames - 1)) for i in range(num_frames)}
    snaps = [pg.snapshot(resolution)]
    pg.train(num_epochs, callback=lambda p: snaps.append(p.snapshot(resolution)) if p.epochs in marks else None)
    return snaps


def animation_html(pg: Playground, snaps: Sequence[Snapshot], figsize: tuple[float, float] = (8, 2.7),
                   dpi: int = 60, interval: int = 300, quality: int = 65) -> str:
    """The snapshots as a JavaScript animation that plays without a kernel.

    This is what matplotlib's ``to_jshtml`` makes, with the frames stored as
    JPEG images of the given ``quality`` rather than PNG: heat maps compress
    much better that way, which keeps the saved notebook small.
    """
    if len(snaps) < 2:
        raise ValueError(f"snaps must hold at least 2 snapshots, got {len(snaps)}")
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    num_epochs = snaps[-1].epoch

    def frame(i: int) -> list:
        draw(pg, snaps[i], num_epochs=num_epochs, fig=fig)
        return []

    animation = FuncAnimation(fig, frame, frames=len(snaps), interval=interval)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "animation.html")
        writer = HTMLWriter(fps=1000 / interval, embed_frames=True, default_mode="once")
        writer.frame_format = "jpeg"
        animation.save(str(path), writer=writer, dpi=dpi, savefig_kwargs={"pil_kwargs": {"quality": quality}})
        return offline_controls(path.read_text())


# matplotlib's player draws its buttons with Font Awesome icons from a CDN; these characters need nothing
_BUTTON_ICONS = {
    "fa fa-minus": "&#8722;", "fa fa-fast-backward": "&#9664;&#9664;", "fa fa-step-backward": "&#9664;&#9646;",
    "fa fa-play fa-flip-horizontal": "&#9664;", "fa fa-pause": "&#9646;&#9646;", "fa fa-play": "&#9654;",
    "fa fa-step-forward": "&#9646;&#9654;", "fa fa-fast-forward": "&#9654;&#9654;", "fa fa-plus": "+",
}


def offline_controls(html: str) -> str:
    """A ``to_jshtml`` animation without its stylesheet link to a CDN, its button icons drawn as characters."""
    html = re.sub(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">', "", html)
    for icon, text in _BUTTON_ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', text)
    if "https://" in html or 'class="fa ' in html:
        raise ValueError("the animation still refers to a web address or an icon font; "
                         "matplotlib's player changed: update playground.offline_controls")
    return html


def show(fig: Figure, dpi: int = 72) -> None:
    """Display ``fig`` as a PNG image in Jupyter (heat maps and many points are pictures, not lines)."""
    if plot.in_notebook():
        display(Image(data=png_bytes(fig, dpi)))
