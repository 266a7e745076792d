"""The book's neural-network playground: 2-D data, input features, a small MLP and its pictures.

A small package, one module per concern: ``data`` (data sets, features,
grids), ``model`` (``Config``, ``Playground``), ``drawing`` (pictures and
animations) and ``ui`` (live controls, which load ipywidgets only when
``PlaygroundUI`` is first used). The names below are the ones chapter 7
uses, importable from here.

Chapter 7 uses it. A ``Playground`` holds one configuration (``Config``):
a data set, the input features computed from each point's coordinates, a
multilayer perceptron with 0 to 6 hidden layers, and how to train it. It
trains through the book's training loop, ``train.Loop``, one minibatch
(``update``) or one pass over the training set (``epoch``) at a time, so it
works the same with or without widgets. The drawing functions turn its state
into the pictures of the chapter (decision boundary, loss curves, the
network with its weights and each unit's output), ``animation_html`` into an
animation that plays without a kernel, and ``PlaygroundUI`` into live
controls (ipywidgets) whose callbacks can also be called from code.

For classification, labels are 0 (drawn orange) and 1 (drawn blue). The
network has one output unit, a score whose sign is the prediction; it is
trained on the logistic (binary cross-entropy) loss of chapter 1 plus an
optional L1 or L2 penalty on the weights (biases are not penalized). For
regression (data sets plane and multigauss), the score itself is the
prediction of a target value between about -1 and 1, trained on half the
squared error. Unlike the original, an L1 step
that carries a weight across zero does not set it to exactly zero: plain SGD
leaves such a weight jittering near zero.

The data sets' shapes and constants (circle radii, XOR gap, cluster
centers, spiral turns, the plane's slope, the six bumps) follow the original TensorFlow Playground by Daniel
Smilkov and Shan Carter (Apache-2.0); the code is the book's own.
"""
from d2lhelpers.playground.data import (
    DATASETS,
    EXTENT,
    FEATURES,
    NOISE_SCALE,
    REGRESSION_DATASETS,
    check_features,
    features,
    grid,
    make_points,
    regression_target,
)
from d2lhelpers.playground.drawing import (
    BLUE,
    COLORS,
    ORANGE,
    STILL_RESOLUTION,
    animation_html,
    draw,
    draw_boundary,
    draw_losses,
    draw_network,
    draw_points,
    log_loss_axis,
    output_colors,
    png_bytes,
    record,
    show,
    unit_name,
)
from d2lhelpers.playground.model import Config, Playground, Snapshot, build_net, make_split, penalty, preset

__all__ = [
    "BLUE", "COLORS", "DATASETS", "EXTENT", "FEATURES", "NOISE_SCALE", "ORANGE", "REGRESSION_DATASETS",
    "STILL_RESOLUTION", "Config", "Playground", "PlaygroundUI", "Snapshot", "animation_html", "build_net",
    "check_features", "draw", "draw_boundary", "draw_losses", "draw_network", "draw_points", "features", "grid",
    "log_loss_axis", "make_points", "make_split", "output_colors", "penalty", "png_bytes", "preset", "record",
    "regression_target", "show", "unit_name",
]


def __getattr__(name: str):
    """``PlaygroundUI``, imported on first use: it needs ipywidgets, which nothing else here does."""
    if name == "PlaygroundUI":
        from d2lhelpers.playground.ui import PlaygroundUI

        return PlaygroundUI
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
