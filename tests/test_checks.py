import numpy
import pytest
from mxnet import np

from d2lhelpers import checks


@pytest.mark.parametrize("value", [True, False, 0, -1, 1.0, "3", None])
def test_positive_int_rejects(value):
    with pytest.raises(ValueError, match=f"^batch_size must be a positive int, got {value!r}$"):
        checks.positive_int("batch_size", value)


@pytest.mark.parametrize("value", [1, 256])
def test_positive_int_accepts(value):
    assert checks.positive_int("batch_size", value) == value


@pytest.mark.parametrize("value", [True, -1, 1.0, "3"])
def test_non_negative_int_rejects(value):
    with pytest.raises(ValueError, match=f"^seed must be a non-negative int, got {value!r}$"):
        checks.non_negative_int("seed", value)


def test_non_negative_int_accepts_zero():
    assert checks.non_negative_int("seed", 0) == 0 and checks.non_negative_int("seed", 7) == 7


def test_as_numpy_of_mxnet_array():
    converted = checks.as_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert isinstance(converted, numpy.ndarray) and converted.dtype == numpy.float32
    assert converted.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_as_numpy_of_list_and_numpy_array():
    converted = checks.as_numpy([1, 2, 3])
    assert isinstance(converted, numpy.ndarray) and converted.tolist() == [1, 2, 3]
    original = numpy.arange(3)
    assert checks.as_numpy(original) is original  # no copy
