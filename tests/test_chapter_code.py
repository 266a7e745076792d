"""Code that a chapter writes out for teaching, checked against the package's tested version.

These checks used to sit in the chapters' results cells; they test the
book's own code, not a result a reader looks at, so they live here. Each
takes the function's definition from the committed notebook and runs it on
a small problem.
"""
import ast
from pathlib import Path

import nbformat
import numpy
import pytest
from mxnet import np

from d2lhelpers import gradcheck

ROOT = Path(__file__).resolve().parent.parent


def chapter_function(chapter: str, name: str, namespace: dict):
    """The function ``name`` as the chapter's code cells define it, executed in ``namespace``."""
    nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                exec(compile(ast.Module([node], type_ignores=[]), f"{chapter}:{name}", "exec"), namespace)
                return namespace[name]
    raise AssertionError(f"{chapter} defines no function {name}")


def test_chapter_3s_numerical_gradient_equals_gradchecks():
    numerical_gradient = chapter_function("03_backprop", "numerical_gradient", {"numpy": numpy, "np": np})
    params = {"W": np.array(numpy.random.default_rng(0).normal(size=(3, 2)), dtype="float64"),
              "b": np.array([0.5, -1.0], dtype="float64")}
    x = np.array([[1.0, -2.0, 0.5]], dtype="float64")

    def objective(p):
        return (np.tanh(np.dot(x, p["W"]) + p["b"]) ** 2).sum()

    ours = numerical_gradient(objective, params)
    reference = gradcheck.numerical_gradient(objective, params)
    assert set(ours) == set(reference)
    for key in ours:
        assert numpy.array_equal(ours[key], reference[key]), key  # the same arithmetic, bit for bit
    exact = gradcheck.autograd_gradient(objective, params)
    assert max(gradcheck.relative_error(ours[k], exact[k]) for k in ours) < 1e-8


def test_chapter_3s_exercise_4_check_accepts_relu_versions_and_refuses_tanh():
    """The self-check of exercise 4 passes correct ReLU versions of mlp, forward and backward and fails wrong ones."""
    import mxnet as mx
    from mxnet import autograd, npx

    namespace = {"np": np, "npx": npx, "autograd": autograd, "gradcheck": gradcheck, "device": mx.cpu()}
    for name in ("init_params", "cross_entropy", "penalty", "mlp", "forward", "backward", "relu_versions_are_right"):
        chapter_function("03_backprop", name, namespace)

    def mlp_relu(params, X):
        x = X.reshape(X.shape[0], -1)
        z = np.dot(x, params["W1"].T) + params["b1"]
        h = np.maximum(z, 0)
        return {"x": x, "z": z, "h": h, "o": np.dot(h, params["W2"].T) + params["b2"]}

    def forward_relu(params, X, y, lambd):
        cache = mlp_relu(params, X)
        cache["L"] = namespace["cross_entropy"](cache["o"], y).mean()
        cache["J"] = cache["L"] + namespace["penalty"](params, lambd)
        return cache

    def backward_relu(params, cache, y, lambd):
        x, z, h, o = cache["x"], cache["z"], cache["h"], cache["o"]
        dO = (npx.softmax(o) - npx.one_hot(y, o.shape[1], dtype=o.dtype)) / x.shape[0]
        dH = np.dot(dO, params["W2"])
        dZ = dH * (z > 0)
        return {"W1": np.dot(dZ.T, x) + lambd * params["W1"], "b1": dZ.sum(axis=0),
                "W2": np.dot(dO.T, h) + lambd * params["W2"], "b2": dO.sum(axis=0)}

    is_right = namespace["relu_versions_are_right"]
    assert is_right((mlp_relu, forward_relu, backward_relu))
    assert not is_right((namespace["mlp"], forward_relu, backward_relu))  # mlp_relu left as tanh
    assert not is_right((mlp_relu, forward_relu, namespace["backward"]))  # tanh's derivative on a ReLU layer
    assert not is_right((namespace["mlp"], namespace["forward"], namespace["backward"]))  # the tanh network

    def forward_bias_after_relu(params, X, y, lambd):  # a misplaced bias, which the random biases expose
        cache = forward_relu({**params, "b1": 0 * params["b1"]}, X, y, lambd)
        h = cache["h"] + params["b1"]
        o = np.dot(h, params["W2"].T) + params["b2"]
        J = namespace["cross_entropy"](o, y).mean() + namespace["penalty"](params, lambd)
        return {**cache, "h": h, "o": o, "J": J}

    assert not is_right((mlp_relu, forward_bias_after_relu, backward_relu))


def test_chapter_1s_exercise_1_check_runs_gradient_descent_on_the_centered_feature():
    """The self-check of exercise 1 (a) accepts the two rates the eigenvalues predict and refuses others."""
    import math

    import mxnet as mx
    from mxnet import autograd

    from d2lhelpers.optim import sgd

    rng = numpy.random.default_rng(0)
    raw = rng.normal(1.5, 1.0, (200, 1))
    labels_host = 1.5 * raw - 1.0 + rng.normal(0, 0.5, raw.shape)
    centered_host = raw - raw.mean()
    X1 = numpy.hstack([centered_host, numpy.ones_like(centered_host)])
    H = X1.T @ X1 / len(raw)
    theta = numpy.linalg.lstsq(X1, labels_host[:, 0], rcond=None)[0]
    namespace = {"np": np, "numpy": numpy, "math": math, "autograd": autograd, "sgd": sgd, "device": mx.cpu(),
                 "centered": np.array(centered_host, dtype="float32"), "labels": np.array(labels_host, dtype="float32"),
                 "num_examples": len(raw), "H_centered": H, "theta_centered": theta,
                 "H_host": H, "theta_host": theta}  # excess_loss's defaults
    for name in ("linear_model", "squared_loss", "minibatches", "fit_line", "excess_loss", "centered_rates_are_right"):
        chapter_function("01_basics", name, namespace)
    is_right = namespace["centered_rates_are_right"]
    lambdas = numpy.linalg.eigvalsh(H)
    assert is_right((2 / lambdas[-1], 1 / H[1, 1]))
    assert not is_right((2 / lambdas[0], 1 / H[1, 1]))  # the smaller eigenvalue's bound: diverges along the other
    assert not is_right((0.9 * 2 / lambdas[-1], 1 / H[1, 1]))  # too cautious: still converges above it
    assert not is_right((2 / lambdas[-1], 0.9 / H[1, 1]))  # leaves a tenth of b's error


def test_chapter_1s_squared_loss_refuses_shapes_that_would_broadcast():
    """(n, 1) against (n,) would silently broadcast to (n, n); the chapter's squared_loss names the shapes instead."""
    squared_loss = chapter_function("01_basics", "squared_loss", {"np": np})
    y_hat, y = np.array([[1.0], [2.0], [4.0]]), np.array([[1.0], [3.0], [2.0]])
    assert squared_loss(y_hat, y)[:, 0].tolist() == [0.0, 0.5, 2.0]
    with pytest.raises(ValueError, match=r"\(3, 1\) and \(3,\)"):
        squared_loss(y_hat, y[:, 0])


def test_chapter_4s_receptive_field_check_finds_the_counted_width():
    """Exercise 5's check measures, with autograd, the width the rule of section 4.5 gives: 5, 6, then 6 + 4 * 2."""
    from mxnet import autograd, npx
    from mxnet.gluon import nn

    npx.set_np()
    namespace = {"np": np, "numpy": numpy, "nn": nn, "autograd": autograd}
    chapter_function("04_cnn", "lenet_classic", namespace)
    assert chapter_function("04_cnn", "receptive_field_width", namespace)() == 14
