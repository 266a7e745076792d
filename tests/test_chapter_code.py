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
