"""Looking inside Gluon models (layer output shapes, trainable parameters, FLOPs, receptive
fields), and chapter 4's modernized LeNet, which chapter 5 trains again.

FLOPs are counted the usual way: a multiply-add is 2 FLOPs, and only dense
and convolution layers count (their multiply-adds dominate; biases, batch
normalization, activations and pooling are left out). Each output element of
such a layer is a dot product over ``weight.size / out_channels`` inputs,
so a layer costs ``2 * weight.size / out_channels`` FLOPs per output element.
Training an example costs about 3 times its forward pass: the backward pass
computes gradients with respect to both the inputs and the weights, each
about as much work as the forward pass.
"""
from __future__ import annotations

import math

from mxnet import np
from mxnet.gluon import nn

from d2lhelpers import train

TRAINING_FACTOR = 3
COUNTED_LAYERS = (nn.Dense, nn.Conv1D, nn.Conv2D, nn.Conv3D)


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


def layer_flops(layer: nn.Block, output_size: int) -> int:
    """FLOPs of one forward pass of a dense or convolution ``layer`` that produced ``output_size`` numbers."""
    weight = layer.weight.shape
    return 2 * math.prod(weight[1:]) * output_size


def forward_flops(net: nn.Block, example_shape: tuple[int, ...]) -> int:
    """FLOPs of the forward pass of one example of shape ``example_shape`` through ``net``.

    Runs one example through ``net``, which must not be hybridized (a
    hybridized network runs as one graph and does not call its layers), and
    adds up ``layer_flops`` over its dense and convolution layers, wherever
    they sit in the network (inside blocks, on parallel paths).
    """
    if getattr(net, "_active", False):
        raise ValueError("net must not be hybridized: count its FLOPs before calling net.hybridize()")
    counted: list[int] = []

    def count(layer: nn.Block, inputs: tuple, output: np.ndarray) -> None:
        counted.append(layer_flops(layer, output.size))

    handles = []

    def watch(block: nn.Block) -> None:
        if isinstance(block, COUNTED_LAYERS):
            handles.append(block.register_forward_hook(count))

    net.apply(watch)
    try:
        net(np.zeros((1, *example_shape), ctx=train.device_of(net)))
    finally:
        for handle in handles:
            handle.detach()
    if not counted:
        raise ValueError(f"net has no dense or convolution layer whose FLOPs to count: {type(net).__name__}")
    return sum(counted)


def gflops(flops_per_example: float, examples_per_second: float, training: bool = True) -> float:
    """GFLOP/s achieved at ``examples_per_second`` (training counts ``TRAINING_FACTOR`` forward passes)."""
    return flops_per_example * (TRAINING_FACTOR if training else 1) * examples_per_second / 1e9


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def receptive_field(layers, size: int = 1, jump: int = 1) -> tuple[int, int]:
    """The receptive field of the output of ``layers`` (one axis): ``(size, jump)``.

    ``size`` is the width of the input window that one output element
    depends on, ``jump`` the input distance between neighbouring output
    elements. Starting from ``(1, 1)`` (the input itself), a layer with
    kernel k and stride s makes them ``(size + (k - 1) * jump, jump * s)``;
    convolution and pooling layers count. Other layers (activations, batch
    normalization, dropout, global pooling, dense layers) are skipped, so
    for a whole network the result is that of its last convolution or
    pooling layer. ``layers`` is a sequential network or any list of
    layers, searched recursively; a block of parallel paths (an inception or
    residual block) lists them in a method ``paths()`` that returns a list
    of layer lists, and the widest path counts.
    """
    for layer in layers:
        if isinstance(layer, (nn.GlobalAvgPool2D, nn.GlobalMaxPool2D)):
            continue  # subclasses of the pooling layers, but their window is the whole input
        if isinstance(layer, (nn.Conv2D, nn.MaxPool2D, nn.AvgPool2D)):
            kernel, stride = _pair(layer._kwargs["kernel"]), _pair(layer._kwargs["stride"])
            if kernel[0] != kernel[1] or stride[0] != stride[1]:
                raise ValueError(f"layers must have square kernels and strides, got {layer!r}")
            size, jump = size + (kernel[0] - 1) * jump, jump * stride[0]
        elif hasattr(layer, "paths"):
            size, jump = max(receptive_field(path, size, jump) for path in layer.paths())
        elif isinstance(layer, (nn.Sequential, nn.HybridSequential)):
            size, jump = receptive_field(layer, size, jump)
    return size, jump


def lenet_modern() -> nn.HybridSequential:
    """LeNet's layer sizes with ReLU and batch normalization (no biases before it: its shift replaces them)."""
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, kernel_size=5, padding=2, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(16, kernel_size=5, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Dense(120, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
            nn.Dense(84, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
            nn.Dense(10))
    return net
