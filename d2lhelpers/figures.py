"""The book's diagrams, drawn by code so every figure can be regenerated."""
from __future__ import annotations

from typing import Sequence

from matplotlib.figure import Figure

from d2lhelpers.plot import show


def network_diagram(layer_sizes: Sequence[int], layer_names: Sequence[str],
                    node_prefixes: Sequence[str] | None = None,
                    scale: float = 0.55) -> Figure:
    """Draw a fully connected feed-forward network, inputs at the bottom.

    ``layer_sizes[i]`` neurons in layer ``i``, each connected to every
    neuron of the next layer; ``layer_names`` label the layers on the left
    and ``node_prefixes`` (default x, h, o) label the neurons x1, x2, ...
    ``scale`` is the figure size in inches per neuron spacing.
    """
    if len(layer_sizes) < 2 or any(not isinstance(n, int) or n < 1 for n in layer_sizes):
        raise ValueError(f"layer_sizes must be at least two positive ints, got {list(layer_sizes)}")
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
    for lower, upper in zip(positions, positions[1:]):
        for x0, y0 in lower:
            for x1, y1 in upper:
                ax.annotate("", (x1, y1 - 0.17), (x0, y0 + 0.17),
                            arrowprops=dict(arrowstyle="->", color="0.45", lw=0.7, shrinkA=0, shrinkB=0))
    for row, (nodes, prefix) in enumerate(zip(positions, node_prefixes)):
        for i, (x, y) in enumerate(nodes, start=1):
            ax.add_patch(_circle((x, y)))
            ax.text(x, y, f"${prefix}_{{{i}}}$", ha="center", va="center", fontsize=9)
        ax.text(-widest / 2 - 0.6, row, layer_names[row], ha="right", va="center", fontsize=9)
    ax.set_xlim(-widest / 2 - 2.6, widest / 2 + 0.2)
    ax.set_ylim(-0.5, len(layer_sizes) - 0.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    show(fig)
    return fig


def _circle(center: tuple[float, float]):
    from matplotlib.patches import Circle

    return Circle(center, 0.17, facecolor="#dbe9f6", edgecolor="#1f4e79", lw=1)
