import pytest
from matplotlib.patches import Circle, Rectangle

from d2lhelpers import figures

VARIABLES = {"x": (0, 0), "w": (1, 1), "y": (2, 0)}
OPERATORS = {"times": (1, 0)}
EDGES = [("x", "times"), ("w", "times"), ("times", "y")]


def arrows(ax):
    return [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]


def test_computational_graph_draws_nodes_shapes_and_arrows(shown):
    assert figures.computational_graph(VARIABLES, OPERATORS, EDGES, labels={"times": r"$\times$"}) is None
    ax = shown[-1].axes[0]
    assert sum(isinstance(p, Rectangle) for p in ax.patches) == 3
    assert sum(isinstance(p, Circle) for p in ax.patches) == 1
    assert len(arrows(ax)) == 3
    texts = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert texts == sorted(["x", "w", "y", r"$\times$"])


def test_arrows_point_from_source_to_target(shown):
    figures.computational_graph(VARIABLES, OPERATORS, EDGES)
    ax = shown[-1].axes[0]
    last = arrows(ax)[-1]  # times -> y
    assert tuple(last.xyann) == OPERATORS["times"] and tuple(last.xy) == VARIABLES["y"]


def test_shaded_variables_get_a_second_fill_color(shown):
    figures.computational_graph(VARIABLES, OPERATORS, EDGES, shaded=["w"])
    squares = [p for p in shown[-1].axes[0].patches if isinstance(p, Rectangle)]  # drawn in VARIABLES' order
    fills = [p.get_facecolor() for p in squares]
    assert fills[0] == fills[2] != fills[1]


@pytest.mark.parametrize("shaded", [["times"], ["nowhere"], "w"])
def test_only_variables_can_be_shaded(shaded):
    with pytest.raises(ValueError, match="^shaded must be a collection of variable names"):
        figures.computational_graph(VARIABLES, OPERATORS, EDGES, shaded=shaded)


@pytest.mark.parametrize("variables, operators, edges, labels, name", [
    ({}, OPERATORS, [], None, "variables"),
    (VARIABLES, {"x": (1, 0)}, [], None, "operators"),
    ({"x": (0, 0, 0)}, OPERATORS, [], None, "variables and operators"),
    (VARIABLES, OPERATORS, [("x", "nowhere")], None, "edges"),
    (VARIABLES, OPERATORS, [("x", "y")], None, "edges"),
    (VARIABLES, OPERATORS, EDGES, {"z": "z"}, "labels"),
])
def test_computational_graph_rejects_bad_input(variables, operators, edges, labels, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        figures.computational_graph(variables, operators, edges, labels)


def test_parallel_paths_draws_one_box_per_layer_and_an_arrow_into_and_out_of_each(shown):
    paths = [["1x1 conv"], ["1x1 conv", "3x3 conv"], []]
    figures.parallel_paths(paths, "+", after=["ReLU"])
    ax = shown[-1].axes[0]
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(boxes) == 3 + 1 + 2  # the layers, "ReLU", input and output
    assert len(circles) == 1  # the one-symbol merge
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("1x1 conv") == 2 and {"3x3 conv", "+", "ReLU", "input", "output"} <= set(texts)
    # An arrow into each of the 3 path boxes, 3 into the merge (one per path), then merge -> ReLU -> output.
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == 3 + 3 + 2


@pytest.mark.parametrize("paths, merge", [([], "+"), ([["conv"], "pool"], "+"), ([["conv", ""]], "+"),
                                          ([["conv"]], "")])
def test_parallel_paths_rejects_bad_input(paths, merge):
    with pytest.raises(ValueError):
        figures.parallel_paths(paths, merge)
