"""Floating-point work: the machine's float32 GEMM peak.

A model's FLOPs per example and the GFLOP/s a run achieves are counted by
``d2lhelpers.models`` (``forward_flops``, ``gflops``), which chapter 5 uses
too.
"""
from __future__ import annotations

from mxnet import np, npx

from d2lhelpers import timing
from d2lhelpers.checks import positive_int


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
