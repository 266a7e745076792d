"""Looking inside Gluon models: layer output shapes and trainable parameter counts."""
from __future__ import annotations

import math

from mxnet import np
from mxnet.gluon import nn


def layer_shapes(net: nn.Sequential | nn.HybridSequential, X: np.ndarray) -> list[tuple[str, tuple[int, ...]]]:
    """Pass ``X`` through the layers of a sequential network one at a time.

    Returns (layer name, output shape) for each layer, which is how one
    checks that a network's sizes fit together. Initializes deferred
    parameters as a side effect, like any first forward pass.
    """
    if not isinstance(net, (nn.Sequential, nn.HybridSequential)):
        raise ValueError(f"net must be a Sequential or HybridSequential network, got {type(net).__name__}")
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append((layer.__class__.__name__, tuple(X.shape)))
    return shapes


def count_parameters(net: nn.Block) -> int:
    """Number of trainable scalar parameters of ``net``.

    Only parameters that receive gradients count: batch normalization's
    running mean and variance (``grad_req`` 'null') are statistics of the
    data, not parameters, and are left out. Run one forward pass first if
    the shapes are deferred.
    """
    total = 0
    for name, param in net.collect_params().items():
        if param.grad_req == "null":
            continue
        if param.shape is None or any(d <= 0 for d in param.shape):
            raise ValueError(f"net has parameter {name} of unknown shape {param.shape}; "
                             "run one forward pass before counting")
        total += math.prod(param.shape)
    return total
