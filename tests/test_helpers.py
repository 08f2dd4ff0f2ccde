"""The oracle comparison, the side-effect check and the numerical gradient have teeth."""

import numpy as np
import pytest
import torch

from assignments.common.gradcheck import numerical_gradient, relative_error
from assignments.common.samples import Sample, array, rng_for
from assignments.common.testing import TOLERANCES, assert_close, call


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_correct_computation_in_the_input_dtype_passes(dtype):
    rng = rng_for("matmul")
    a, b = array(rng, (64, 300), dtype), array(rng, (300, 40), dtype)
    expected = torch.from_numpy(a.astype(np.float64)) @ torch.from_numpy(b.astype(np.float64))
    assert_close(a @ b, expected, dtype=dtype, what="out")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("relative_error", [1e-3, 1e-2])
def test_conceptual_errors_are_far_outside_the_tolerance(dtype, relative_error):
    """A 1e-3 relative slip (e.g. eps outside the sqrt on unit-variance data) fails in both dtypes."""
    expected = array(rng_for("x"), (10, 10), np.float64)
    with pytest.raises(AssertionError, match="out is wrong"):
        assert_close((expected * (1 + relative_error)).astype(dtype), expected, dtype=dtype, what="out")


def test_shape_dtype_and_type_are_checked_with_clear_messages():
    expected = np.zeros((2, 3))
    with pytest.raises(AssertionError, match=r"shape \(3, 2\), expected \(2, 3\)"):
        assert_close(np.zeros((3, 2)), expected, dtype=np.float64, what="out")
    with pytest.raises(AssertionError, match="dtype float64, expected float32"):
        assert_close(np.zeros((2, 3)), expected, dtype=np.float32, what="out")
    with pytest.raises(AssertionError, match="expected a numpy array, got tensor"):
        assert_close(torch.zeros(2, 3), expected, dtype=np.float64, what="out")
    assert set(TOLERANCES) == {np.dtype(np.float64), np.dtype(np.float32)}


def test_call_catches_a_function_that_modifies_its_input():
    def sneaky(x, w):
        x -= 1
        return x

    with pytest.raises(AssertionError, match="sneaky modified its input x"):
        call(sneaky, np.ones(3), np.ones(2), names=("x", "w"))
    assert np.array_equal(call(lambda x: x + 1, np.ones(2), names=("x",)), [2, 2])


def test_call_never_lets_the_function_reach_the_callers_arrays():
    """A function that changes its inputs changes copies: the test's shared inputs stay intact."""
    x, stats = np.ones(3), np.zeros(2)

    def sneaky(x, stats):
        x[:] = 0
        stats += 1
        return x

    with pytest.raises(AssertionError, match="modified its input x"):
        call(sneaky, x, stats, names=("x", "stats"), mutable=("stats",))
    assert np.array_equal(x, np.ones(3)), "the caller's x was changed"
    assert np.array_equal(stats, [1, 1]), "a mutable argument is the caller's own array"


def test_call_does_not_check_the_opaque_cache():
    def backward(dout, cache):
        cache[0][:] = 0  # the cache is the module's own business
        return dout

    call(backward, np.ones(2), [np.ones(2)], names=("dout", "cache"))


def test_numerical_gradient_matches_the_analytic_one_and_leaves_x_alone():
    x = array(rng_for("g"), (3, 4))
    saved = x.copy()
    num = numerical_gradient(lambda v: np.sum(np.sin(v) * v), x)
    assert relative_error(num, np.cos(x) * x + np.sin(x)) < 1e-8
    assert np.array_equal(x, saved)
    assert relative_error(num, 2 * x) > 1e-2  # a wrong gradient is told apart


def test_sample_arrays_have_the_asked_layout():
    rng = rng_for("layouts")
    assert not array(rng, (2, 3), layout="strided").flags.c_contiguous
    assert array(rng, (2, 3), layout="transposed").flags.f_contiguous
    assert array(rng, (2, 3), np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="layout"):
        array(rng, (2,), layout="diagonal")
    assert np.array_equal(array(rng_for("same"), (4,)), array(rng_for("same"), (4,)))


# --- nested values: dicts of parameters (a4's blocks, a5's attention), tuples of gradients


def block_params(dtype=np.float64):
    rng = rng_for("block")
    return {"conv1.weight": array(rng, (4, 3, 3, 3), dtype), "bn1.weight": array(rng, (4,), dtype),
            "bn1.bias": array(rng, (4,), dtype), "bn1.running_mean": np.zeros(4, dtype),
            "bn1.running_var": np.ones(4, dtype)}


def test_a_sample_copy_shares_no_array_with_the_original_even_inside_a_dict():
    params = block_params()
    sample = Sample("block", ("x", "params"), (array(rng_for("x"), (2, 3, 5, 5)), params), {"stride": 1})
    copy = sample.copy()
    copy.args[1]["bn1.running_mean"] += 1  # an in-place running-statistic update of the learner's copy
    copy.args[1]["conv1.weight"][0, 0, 0, 0] = 99
    assert np.array_equal(params["bn1.running_mean"], np.zeros(4)) and params["conv1.weight"][0, 0, 0, 0] != 99


def test_describe_summarizes_a_dict_of_parameters_in_one_short_line():
    sample = Sample("block", ("x", "params"), (np.zeros((2, 3, 5, 5)), block_params()), {"shortcut": "B"})
    text = sample.describe({"stride": 1, "shortcut": "B"})
    assert "params {'conv1.weight': (4, 3, 3, 3)" in text and "... 2 more} float64" in text
    assert text.endswith("shortcut='B', stride=1") and len(text) < 200, text


def test_assert_close_compares_dicts_and_tuples_leaf_by_leaf_with_key_paths():
    expected = {"conv1.weight": np.ones((2, 2)), "bn1.weight": np.arange(3.0)}
    assert_close({"conv1.weight": np.ones((2, 2)), "bn1.weight": np.arange(3.0)}, expected, dtype=np.float64,
                 what="grads")
    wrong = {"conv1.weight": np.ones((2, 2)), "bn1.weight": np.arange(3.0) * 2}
    with pytest.raises(AssertionError, match=r"grads\['bn1.weight'\] is wrong"):
        assert_close(wrong, expected, dtype=np.float64, what="grads")
    with pytest.raises(AssertionError, match=r"keys differ: missing \['bn1.weight'\], unexpected \['bn1.running_mean'\]"):
        assert_close({"conv1.weight": np.ones((2, 2)), "bn1.running_mean": np.zeros(3)}, expected, dtype=np.float64,
                     what="grads")
    with pytest.raises(AssertionError, match=r"result\[1\]\['bn1.weight'\]: dtype float32"):
        assert_close((np.zeros(2), {"conv1.weight": np.ones((2, 2)), "bn1.weight": np.arange(3.0, dtype=np.float32)}),
                     (np.zeros(2), expected), dtype=np.float64, what="result")
    with pytest.raises(AssertionError, match="db must be None here"):
        assert_close(np.zeros(2), None, dtype=np.float64, what="db")
    seen = []
    with pytest.raises(AssertionError, match="named it"):
        assert_close(wrong, expected, dtype=np.float64, what="grads",
                     explain=lambda what, a, e: seen.append(what) or "named it")
    assert seen == ["grads['bn1.weight']"], "the diagnosis is asked about the failing leaf, by its key path"


def test_call_lets_only_the_named_values_inside_a_dict_change():
    params = block_params()

    def forward(x, params):
        params["bn1.running_mean"] += 1  # documented: running statistics update in place
        return x

    call(forward, np.ones(2), params, names=("x", "params"), mutable=("params['bn1.running_mean']",))
    assert np.array_equal(params["bn1.running_mean"], np.ones(4)), "a mutable leaf is the caller's own array"

    def sneaky(x, params):
        params["conv1.weight"] *= 0
        return x

    with pytest.raises(AssertionError, match=r"modified its input params\['conv1.weight'\]"):
        call(sneaky, np.ones(2), params, names=("x", "params"), mutable=("params['bn1.running_mean']",))
    assert np.any(params["conv1.weight"] != 0), "the caller's weights never reach a function that may not change them"
