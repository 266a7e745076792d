import numpy
import pytest
from mxnet import np, npx

from d2lhelpers import gradcheck


def quadratic(params):
    """f(w) = sum(w^3) / 3 + sum(A w), whose gradient is w^2 + A."""
    return (params["w"] ** 3).sum() / 3 + (params["A"] * params["w"]).sum()


def small_params(dtype="float64"):
    return {"w": np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=dtype),
            "A": np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]], dtype=dtype)}


def exact_gradient(params):
    return {"w": params["w"] ** 2 + params["A"], "A": params["w"].copy()}


def tiny_mlp():
    """A 4-3-2 tanh network on 5 random examples: objective and its float64 parameters."""
    X = np.random.normal(0, 1, (5, 4)).astype("float64")
    y = np.array([0, 1, 1, 0, 1], dtype="int32")
    params = {"W1": np.random.normal(0, 0.5, (3, 4)).astype("float64"), "b1": np.full((3,), 0.1, dtype="float64"),
              "W2": np.random.normal(0, 0.5, (2, 3)).astype("float64"), "b2": np.zeros(2, dtype="float64")}

    def objective(p):
        o = np.dot(np.tanh(np.dot(X, p["W1"].T) + p["b1"]), p["W2"].T) + p["b2"]
        return -(npx.log_softmax(o) * npx.one_hot(y, 2, dtype="float64")).sum() / 5 + 0.05 * (p["W1"] ** 2).sum()

    return objective, params, (X, y)


def test_relative_error_is_scaled_by_the_largest_entry():
    assert gradcheck.relative_error(numpy.array([1.0, 2.0]), numpy.array([1.0, 2.0])) == 0.0
    assert gradcheck.relative_error(numpy.array([0.0, 4.0]), numpy.array([0.001, 4.0])) == pytest.approx(0.001 / 4)
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0  # both zero: no error
    assert gradcheck.relative_error(numpy.array([1e-30]), numpy.array([-1e-30])) == pytest.approx(2.0)


def test_numerical_gradient_matches_the_exact_one():
    params = small_params()
    numeric = gradcheck.numerical_gradient(quadratic, params)
    exact = exact_gradient(params)
    for name in params:
        assert numeric[name].shape == params[name].shape
        assert gradcheck.relative_error(numeric[name], exact[name]) < 1e-8
    assert numpy.array_equal(params["w"].asnumpy(), small_params()["w"].asnumpy())  # left unchanged


@pytest.mark.parametrize("reference, tolerance", [("numerical", 1e-8), ("autograd", 1e-14)])
def test_check_gradients_passes_a_correct_gradient(reference, tolerance):
    params = small_params()
    errors = gradcheck.check_gradients(quadratic, params, exact_gradient(params), reference)
    assert set(errors) == {"w", "A"} and max(errors.values()) < tolerance


@pytest.mark.parametrize("reference", ["numerical", "autograd"])
def test_check_gradients_catches_wrong_gradients(reference):
    params = small_params()
    off_by_two = {**exact_gradient(params), "A": 2 * params["w"]}
    errors = gradcheck.check_gradients(quadratic, params, off_by_two, reference)
    assert errors["A"] > 0.3 and errors["w"] < 1e-8  # the wrong one only

    objective, mlp_params, (X, _) = tiny_mlp()
    right = gradcheck.autograd_gradient(objective, mlp_params)
    transposed = {**right, "W2": right["W2"][::-1]}  # rows of dJ/dW2 swapped: a classic slip
    errors = gradcheck.check_gradients(objective, mlp_params, transposed, reference)
    assert errors["W2"] > 0.1 and max(errors[k] for k in ("W1", "b1", "b2")) < 1e-7


def test_autograd_and_finite_differences_agree_on_a_small_mlp():
    objective, params, _ = tiny_mlp()
    numeric = gradcheck.numerical_gradient(objective, params)
    errors = gradcheck.check_gradients(objective, params, numeric, "autograd")
    assert max(errors.values()) < 1e-7


def test_float32_is_refused_for_finite_differences():
    with pytest.raises(ValueError, match="params must be float64"):
        gradcheck.numerical_gradient(quadratic, small_params("float32"))
    params = small_params()
    with pytest.raises(ValueError, match="f must compute in float64"):
        gradcheck.numerical_gradient(lambda p: quadratic(p).astype("float32"), params)
    errors = gradcheck.check_gradients(quadratic, small_params("float32"),
                                       exact_gradient(small_params("float32")), "autograd")
    assert max(errors.values()) < 1e-6  # autograd references work in float32


@pytest.mark.parametrize("call, name", [
    (lambda: gradcheck.relative_error(numpy.zeros(3), numpy.zeros(4)), "a and b"),
    (lambda: gradcheck.numerical_gradient(quadratic, small_params(), eps=0), "eps"),
    (lambda: gradcheck.numerical_gradient(lambda p: p["w"], small_params()), "f must return a scalar"),
    (lambda: gradcheck.check_gradients(quadratic, small_params(), {"w": np.zeros((2, 3))}), "grads must"),
    (lambda: gradcheck.check_gradients(quadratic, small_params(), {"w": np.zeros((3, 2)), "A": np.zeros((2, 3))}),
     r"grads\['w'\]"),
    (lambda: gradcheck.check_gradients(quadratic, small_params(), exact_gradient(small_params()), "exact"),
     "reference"),
    (lambda: gradcheck.autograd_gradient(lambda p: p["w"] * 2, small_params()), "f must return a scalar"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
