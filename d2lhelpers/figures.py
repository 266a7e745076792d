"""The book's diagrams, drawn by code so every figure can be regenerated.

Like ``plot``'s helpers, each function displays the figure it makes and
returns nothing, so a notebook cell that calls one shows it once.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from itertools import pairwise

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle

from d2lhelpers import plot
from d2lhelpers.checks import as_numpy, positive_int


def network_diagram(layer_sizes: Sequence[int], layer_names: Sequence[str],
                    node_prefixes: Sequence[str] | None = None,
                    scale: float = 0.55) -> None:
    """Draw a fully connected feed-forward network, inputs at the bottom.

    ``layer_sizes[i]`` neurons in layer ``i``, each connected to every
    neuron of the next layer; ``layer_names`` label the layers on the left
    and ``node_prefixes`` (default x, h, o) label the neurons x1, x2, ...
    ``scale`` is the figure size in inches per neuron spacing.
    """
    if len(layer_sizes) < 2:
        raise ValueError(f"layer_sizes must be at least two positive ints, got {list(layer_sizes)}")
    for i, n in enumerate(layer_sizes):
        positive_int(f"layer_sizes[{i}]", n)
    if len(layer_names) != len(layer_sizes):
        raise ValueError(f"layer_names must name each of the {len(layer_sizes)} layers, "
                         f"got {len(layer_names)}")
    if node_prefixes is None:
        node_prefixes = ["x"] + ["h"] * (len(layer_sizes) - 2) + ["o"]
    if len(node_prefixes) != len(layer_sizes):
        raise ValueError(f"node_prefixes must have one entry per layer, got {len(node_prefixes)}")
    widest = max(layer_sizes)
    width, height = widest + 2.8, len(layer_sizes)
    fig = Figure(figsize=(scale * width, scale * height))
    ax = fig.add_axes((0, 0, 1, 1))
    positions = [[(i - (n - 1) / 2, float(row)) for i in range(n)] for row, n in enumerate(layer_sizes)]
    for lower, upper in pairwise(positions):
        for x0, y0 in lower:
            for x1, y1 in upper:
                ax.annotate("", (x1, y1 - 0.17), (x0, y0 + 0.17),
                            arrowprops=dict(arrowstyle="->", color="0.45", lw=0.7, shrinkA=0, shrinkB=0))
    for row, (nodes, prefix) in enumerate(zip(positions, node_prefixes, strict=True)):
        for i, (x, y) in enumerate(nodes, start=1):
            ax.add_patch(_circle((x, y)))
            ax.text(x, y, f"${prefix}_{{{i}}}$", ha="center", va="center", fontsize=9)
        ax.text(-widest / 2 - 0.6, row, layer_names[row], ha="right", va="center", fontsize=9)
    ax.set_xlim(-widest / 2 - 2.6, widest / 2 + 0.2)
    ax.set_ylim(-0.5, len(layer_sizes) - 0.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    plot.show(fig)


def _circle(center: tuple[float, float], radius: float = 0.17) -> Circle:
    return Circle(center, radius, facecolor="#dbe9f6", edgecolor="#1f4e79", lw=1)


def grid_diagram(panels: Sequence[tuple[str, object]], operators: Sequence[str],
                 highlights: Sequence[tuple[int, int, int, int] | None] | None = None,
                 cell: float = 0.42) -> None:
    """Draw 2-D arrays as grids of numbers side by side, with symbols between them.

    ``panels`` holds (title, 2-D array) pairs; ``operators[i]`` is written
    between panel ``i`` and panel ``i + 1`` (for example "⋆", "+", "=").
    ``highlights[i]`` shades the block (row, column, height, width) of panel
    ``i``, or nothing when None. Used for cross-correlation and pooling.
    """
    arrays = [as_numpy(a) for _, a in panels]
    if not arrays or any(a.ndim != 2 for a in arrays):
        raise ValueError(f"panels must hold 2-D arrays, got shapes {[a.shape for a in arrays]}")
    if len(operators) != len(arrays) - 1:
        raise ValueError(f"operators must have one symbol between each pair of panels "
                         f"({len(arrays) - 1}), got {len(operators)}")
    highlights = list(highlights) if highlights is not None else [None] * len(arrays)
    if len(highlights) != len(arrays):
        raise ValueError(f"highlights must have one entry per panel ({len(arrays)}), got {len(highlights)}")
    # Space for each operator, in cells: a symbol needs 1.4, a word about a third of a cell per letter.
    gaps = [max(1.4, 0.35 * max(len(line) for line in op.split("\n")) + 0.6) for op in operators]
    tallest = max(a.shape[0] for a in arrays)
    width = sum(a.shape[1] for a in arrays) + sum(gaps)
    height = tallest + 1.2
    fig = Figure(figsize=(cell * width, cell * height))
    ax = fig.add_axes((0, 0, 1, 1))
    left = 0.0
    for i, ((title, _), a) in enumerate(zip(panels, arrays, strict=True)):
        rows, cols = a.shape
        top = (tallest + rows) / 2  # centre panels vertically
        for r in range(rows):
            for c in range(cols):
                shaded = highlights[i] is not None and _inside(r, c, highlights[i])
                ax.add_patch(Rectangle((left + c, top - r - 1), 1, 1, facecolor="#9ecae1" if shaded else "white",
                                       edgecolor="0.2", lw=1))
                ax.text(left + c + 0.5, top - r - 0.5, _number(a[r, c]), ha="center", va="center", fontsize=10)
        ax.text(left + cols / 2, top + 0.15, title, ha="center", va="bottom", fontsize=9)
        left += cols
        if i < len(operators):
            ax.text(left + gaps[i] / 2, tallest / 2, operators[i], ha="center", va="center",
                    fontsize=16 if len(operators[i]) == 1 else 9)
            left += gaps[i]
    ax.set_xlim(-0.1, width + 0.1)
    ax.set_ylim(-0.1, height)
    ax.set_axis_off()
    plot.show(fig)


def _inside(r: int, c: int, block: tuple[int, int, int, int]) -> bool:
    top, left, rows, cols = block
    return top <= r < top + rows and left <= c < left + cols


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{float(value):.3g}"


Point = tuple[float, float]


def computational_graph(variables: Mapping[str, Point], operators: Mapping[str, Point],
                        edges: Sequence[tuple[str, str]], labels: Mapping[str, str] | None = None,
                        scale: float = 0.75, shaded: Collection[str] = ()) -> None:
    """Draw a computational graph: variables as squares, operators as circles.

    ``variables`` and ``operators`` map each node's name to its (x, y)
    position; ``edges`` are (source, target) pairs, drawn as arrows in the
    direction data flows, and each joins a variable to an operator or an
    operator to a variable. ``labels`` optionally replaces a node's name by
    the text drawn in it (matplotlib mathtext allowed). The variables named
    in ``shaded`` are filled in a second, darker color, to set a kind of
    value apart (the forward values a backward pass reads, the weights that
    every step shares). ``scale`` is the figure size in inches per unit of
    position.
    """
    if not variables:
        raise ValueError("variables must name at least one node")
    shared = sorted(set(variables) & set(operators))
    if shared:
        raise ValueError(f"operators must not reuse the names of variables, got {shared}")
    nodes = {**variables, **operators}
    for name, position in nodes.items():
        if len(position) != 2:
            raise ValueError(f"variables and operators must map names to (x, y), got {name!r}: {position!r}")
    for source, target in edges:
        if source not in nodes or target not in nodes:
            raise ValueError(f"edges must join known nodes, got ({source!r}, {target!r})")
        if (source in operators) == (target in operators):
            raise ValueError(f"edges must join a variable and an operator, got ({source!r}, {target!r})")
    labels = dict(labels or {})
    unknown = sorted(set(labels) - set(nodes))
    if unknown:
        raise ValueError(f"labels must name known nodes, got {unknown}")
    if isinstance(shaded, str) or sorted(set(shaded) - set(variables)):
        raise ValueError(f"shaded must be a collection of variable names, got {shaded!r}")

    xs, ys = [p[0] for p in nodes.values()], [p[1] for p in nodes.values()]
    width, height = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
    fig = Figure(figsize=(scale * width, scale * height))
    ax = fig.add_axes((0, 0, 1, 1))
    patches = {}
    for name, (x, y) in variables.items():
        patches[name] = Rectangle((x - 0.3, y - 0.3), 0.6, 0.6, facecolor="#f0c987" if name in shaded else "#fdf0d5",
                                  edgecolor="#7f5a1e", lw=1)
    for name, (x, y) in operators.items():
        patches[name] = _circle((x, y), radius=0.3)
    for name, patch in patches.items():
        ax.add_patch(patch)
        ax.text(*nodes[name], labels.get(name, name), ha="center", va="center", fontsize=10)
    for source, target in edges:
        ax.annotate("", nodes[target], nodes[source],
                    arrowprops=dict(arrowstyle="->", color="0.3", lw=0.9, shrinkA=1, shrinkB=1,
                                    patchA=patches[source], patchB=patches[target]))
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    plot.show(fig)



def lstm_cell(scale: float = 0.62) -> None:
    """Draw one LSTM cell: the gates as boxes, elementwise operations as circles.

    The memory cell runs along the top (forgotten by ``F_t``, written through
    ``I_t``), the hidden state leaves at the bottom right through ``O_t``.
    Boxes are layers with weights acting on ``[X_t, H_{t-1}]``; circles act
    element by element and have no weights.
    """
    fig = Figure(figsize=(scale * 11, scale * 6.4))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_patch(Rectangle((1.3, 0.9), 7.6, 4.6, facecolor="#f4f8fc", edgecolor="0.6", lw=1))

    def arrow(points: Sequence[Point], head: bool = True) -> None:
        for start, end in pairwise(points[:-1]):
            ax.plot([start[0], end[0]], [start[1], end[1]], color="0.3", lw=1.1)
        ax.annotate("", points[-1], points[-2], arrowprops=dict(arrowstyle="->" if head else "-", color="0.3",
                                                                 lw=1.1, shrinkA=0, shrinkB=0))

    def box(x: float, y: float, label: str, name: str) -> None:
        ax.add_patch(Rectangle((x - 0.45, y - 0.3), 0.9, 0.6, facecolor="#fdf0d5", edgecolor="#7f5a1e", lw=1))
        ax.text(x, y, label, ha="center", va="center", fontsize=10)
        ax.text(x + 0.5, y + 0.62, name, ha="left", va="center", fontsize=10)

    def dot(x: float, y: float, label: str) -> None:
        ax.add_patch(_circle((x, y), radius=0.25))
        ax.text(x, y, label, ha="center", va="center", fontsize=8 if len(label) > 3 else 10)

    gates = [(2.6, r"$\sigma$", "$F_t$"), (4.0, r"$\sigma$", "$I_t$"), (5.4, "tanh", r"$\tilde{C}_t$"),
             (6.8, r"$\sigma$", "$O_t$")]
    arrow([(0.2, 1.4), (7.3, 1.4)], head=False)  # [X_t, H_{t-1}] feeds every gate
    arrow([(1.0, 0.2), (1.0, 1.4)], head=False)
    for x, label, name in gates:
        arrow([(x, 1.4), (x, 1.95)])
        box(x, 2.25, label, name)
    ax.text(0.15, 1.55, "$H_{t-1}$", ha="left", va="bottom", fontsize=11)
    ax.text(1.1, 0.15, "$X_t$", ha="left", va="center", fontsize=11)
    arrow([(0.2, 4.8), (2.35, 4.8)])  # the memory cell's path
    dot(2.6, 4.8, r"$\times$")
    arrow([(2.85, 4.8), (4.75, 4.8)])
    dot(5.0, 4.8, "$+$")
    arrow([(5.25, 4.8), (10.3, 4.8)])
    ax.text(0.15, 4.95, "$C_{t-1}$", ha="left", va="bottom", fontsize=11)
    ax.text(10.3, 4.95, "$C_t$", ha="right", va="bottom", fontsize=11)
    arrow([(2.6, 2.55), (2.6, 4.55)])  # F_t scales the old memory
    dot(4.7, 3.4, r"$\times$")  # I_t * candidate
    arrow([(4.0, 2.55), (4.0, 3.4), (4.45, 3.4)])
    arrow([(5.4, 2.55), (5.4, 3.4), (4.95, 3.4)])
    arrow([(4.7, 3.65), (4.95, 4.55)])
    dot(8.1, 4.0, "tanh")  # the output reads the new memory through tanh, scaled by O_t
    arrow([(8.1, 4.8), (8.1, 4.25)])
    dot(8.1, 2.25, r"$\times$")
    arrow([(8.1, 3.75), (8.1, 2.5)])
    arrow([(7.25, 2.25), (7.85, 2.25)])
    arrow([(8.35, 2.25), (10.3, 2.25)])
    ax.text(10.3, 2.4, "$H_t$", ha="right", va="bottom", fontsize=11)
    ax.set_xlim(0, 10.5)
    ax.set_ylim(0, 6.2)
    ax.set_aspect("equal")
    ax.set_axis_off()
    plot.show(fig, text_as_paths=True)  # the tilde of C_t, kept as text, breaks in some SVG renderers


def parallel_paths(paths: Sequence[Sequence[str]], merge: str, after: Sequence[str] = (),
                   title: str | None = None, ax: Axes | None = None) -> None:
    """Draw a block whose input feeds several paths of layers that meet again, input at the bottom.

    Each entry of ``paths`` lists the boxes of one path, bottom to top (the
    paths end level with each other, just below the merge); an empty path
    is a direct connection (a residual block's identity
    shortcut). The paths meet at a node labelled ``merge`` (``"+"`` or
    ``"concatenate"``), followed by the boxes of ``after``, then the
    output. Draws on ``ax`` when given (several blocks side by side) and
    leaves showing the figure to the caller; otherwise makes and shows a
    figure of its own.
    """
    if not paths or not all(isinstance(path, (list, tuple)) for path in paths):
        raise ValueError(f"paths must be a non-empty list of lists of box labels, got {paths!r}")
    labels = [label for path in paths for label in path] + list(after) + [merge]
    if not all(isinstance(label, str) and label for label in labels):
        raise ValueError(f"every box label and merge must be a non-empty string, got {labels!r}")
    longest = max(len(path) for path in paths)
    width, height = 2.3 * len(paths), longest + len(after) + 3
    own = ax is None
    if own:
        fig = Figure(figsize=(max(0.95 * width, 3.2), 0.62 * height))
        ax = fig.add_axes((0, 0, 1, 1))
    middle = (width - 2.3) / 2
    merge_y, top = longest + 1, longest + len(after) + 2
    _box(ax, middle, 0, "input", "#eeeeee")
    for column, path in enumerate(paths):
        x = 2.3 * column
        first = longest - len(path) + 1  # shorter paths end just below the merge, like the others
        previous = (middle, 0)
        if path and first > 1:  # fan out to the bottom row's level first, then go straight up
            ax.plot([middle, x], [0.3, 0.7], color="0.3", lw=0.9)
            previous = (x, 0.4)
        for row, label in enumerate(path, start=first):
            _box(ax, x, row, label, "#dbe9f6")
            _arrow(ax, previous, (x, row))
            previous = (x, row)
        _arrow(ax, previous, (middle, merge_y))
    _box(ax, middle, merge_y, merge, "#fde0c5", merge_node=len(merge) == 1)
    previous = (middle, merge_y)
    for row, label in enumerate(after, start=merge_y + 1):
        _box(ax, middle, row, label, "#dbe9f6")
        _arrow(ax, previous, (middle, row))
        previous = (middle, row)
    _box(ax, middle, top, "output", "#eeeeee")
    _arrow(ax, previous, (middle, top))
    if title:
        ax.set_title(title, fontsize=10)
    ax.set_xlim(-1.2, width - 1.1)
    ax.set_ylim(-0.5, top + 0.5)
    ax.set_axis_off()
    if own:
        plot.show(fig)


def _box(ax: Axes, x: float, y: float, label: str, color: str, merge_node: bool = False) -> None:
    if merge_node:  # a one-symbol merge ("+") is drawn as a circle
        ax.add_patch(Circle((x, y), 0.27, facecolor=color, edgecolor="#1f4e79", lw=1))
    else:
        ax.add_patch(Rectangle((x - 1.0, y - 0.3), 2.0, 0.6, facecolor=color, edgecolor="#1f4e79", lw=1))
    ax.text(x, y, label, ha="center", va="center", fontsize=8)


def _arrow(ax: Axes, start: Point, end: Point) -> None:
    """An arrow between two boxes: from the top of ``start`` to the bottom of ``end``."""
    ax.annotate("", (end[0], end[1] - 0.3), (start[0], start[1] + 0.3),
                arrowprops=dict(arrowstyle="->", color="0.3", lw=0.9, shrinkA=0, shrinkB=0))
