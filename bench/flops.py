"""Floating-point work: a model's FLOPs per example, and the machine's float32 GEMM peak.

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

from mxnet import np, npx
from mxnet.gluon import nn

from bench import timing
from d2lhelpers.checks import positive_int

TRAINING_FACTOR = 3
COUNTED_LAYERS = (nn.Dense, nn.Conv1D, nn.Conv2D, nn.Conv3D)


def layer_flops(layer: nn.Block, output_size: int) -> int:
    """FLOPs of one forward pass of a dense or convolution ``layer`` that produced ``output_size`` numbers."""
    weight = layer.weight.shape
    return 2 * math.prod(weight[1:]) * output_size


def forward_flops(net: nn.Block, example_shape: tuple[int, ...]) -> int:
    """FLOPs of the forward pass of one example of shape ``example_shape`` through ``net``.

    Runs one example through ``net``, which must not be hybridized (a
    hybridized network runs as one graph and does not call its layers), and
    adds up ``layer_flops`` over its dense and convolution layers.
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
        net(np.zeros((1, *example_shape)))
    finally:
        for handle in handles:
            handle.detach()
    if not counted:
        raise ValueError(f"net has no dense or convolution layer whose FLOPs to count: {type(net).__name__}")
    return sum(counted)


def gflops(flops_per_example: float, examples_per_second: float, training: bool = True) -> float:
    """GFLOP/s achieved at ``examples_per_second`` (training counts ``TRAINING_FACTOR`` forward passes)."""
    return flops_per_example * (TRAINING_FACTOR if training else 1) * examples_per_second / 1e9


def gemm_peak(n: int = 2048, repeats: int = 5) -> dict:
    """The float32 GEMM peak of this machine through MXNet: the product of two n x n matrices, in GFLOP/s.

    MXNet multiplies matrices along two paths: ``np.dot`` calls the BLAS the
    wheel bundles (OpenBLAS in the pip wheel of 1.9.1), while dense and
    convolution layers call oneDNN (``npx.fully_connected`` is the same
    product through a dense layer's kernel). Both are timed, alternately,
    after one untimed product each; the peak (``gflops``) is the faster
    path's median, and every timing is returned too.
    """
    positive_int("n", n)
    positive_int("repeats", repeats)
    a = np.random.uniform(size=(n, n)).astype("float32")
    b = np.random.uniform(size=(n, n)).astype("float32")
    paths = {"np.dot": lambda: np.dot(a, b),
             "npx.fully_connected": lambda: npx.fully_connected(a, b, no_bias=True, num_hidden=n)}
    times = timing.alternating(paths, repeats)
    rates = {path: [2 * n ** 3 / t / 1e9 for t in ts] for path, ts in times.items()}
    medians = {path: timing.median(r) for path, r in rates.items()}
    fastest = max(medians, key=medians.get)
    return {"n": n, "repeats": repeats, "all_gflops": rates, "median_gflops": medians, "path": fastest,
            "gflops": medians[fastest]}
