"""d2lhelpers.exercises: the exercise self-checks, unanswered, right and wrong."""
import numpy
import pytest
from mxnet import np

from d2lhelpers import exercises


def said(capsys):
    return capsys.readouterr().out.strip()


def test_unanswered_right_and_wrong(capsys):
    exercises.check(2, None, pytest.fail, "a hint")  # the right answer is not even computed
    assert said(capsys) == "Exercise 2: not answered yet."
    exercises.check(2, 109386, lambda: 109386, "a hint")
    assert said(capsys) == "Exercise 2: correct."
    exercises.check(2, 109387, 109386, "count the biases too.")
    assert said(capsys) == "Exercise 2: not quite: count the biases too."


def test_numbers_and_arrays_within_the_tolerance(capsys):
    for answer, expected, tolerance, verdict in [
        (0.27, 0.2697, 1e-3, "correct."), (0.28, 0.2697, 1e-3, "not quite: h"),
        ([0.6, 0.8], np.array([0.6, 0.8000001]), 1e-6, "correct."),
        ((14, 14), (14, 14), 0, "correct."), ([14, 14, 1], (14, 14), 0, "not quite: h"),
        ("14", 14, 0, "not quite: h"), (["a", "b"], [1, 2], 0, "not quite: h"),
        (numpy.array([1.0, 2.0]), [1, 2], 0, "correct."),
        (numpy.int64(109386), 109386, 0, "correct."), (np.array(27.0), 27.0, 1e-4, "correct."),
        (numpy.float32(0.5), 0.5, 0, "correct."), (True, 1, 0, "not quite: h"),
    ]:
        exercises.check(1, answer, expected, "h", tolerance=tolerance)
        assert said(capsys) == f"Exercise 1: {verdict}", (answer, expected)


def test_a_predicate_decides_for_answers_that_are_functions(capsys):
    exercises.check(3, lambda x: 2 * x, None, "double it", is_right=lambda f: f(4) == 8)
    assert said(capsys) == "Exercise 3: correct."
    exercises.check(3, lambda x: x, None, "double it", is_right=lambda f: f(4) == 8)
    assert said(capsys) == "Exercise 3: not quite: double it"
    exercises.check(1, "two thirds", None, "a fraction", is_right=lambda a: f"{a:.2f}" == "0.67")
    assert said(capsys).startswith("Exercise 1: not quite: a fraction (the check could not use 'two thirds': ")


def test_fingerprints_hide_the_answer():
    assert exercises.fingerprint(770) == exercises.fingerprint("770") != exercises.fingerprint(771)
    assert len(exercises.fingerprint(0.67)) == 64


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="number must be a positive int"):
        exercises.check(0, 1, 1, "h")
    with pytest.raises(ValueError, match="tolerance must be a number >= 0"):
        exercises.check(1, 1, 1, "h", tolerance=-1)
