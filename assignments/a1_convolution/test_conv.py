"""Visible tests for assignment 1. Run: pytest assignments/a1_convolution

Each test compares your function with PyTorch (in float64) on one small case; a failure says
which case (shapes, stride, padding, ...) and how far off the output was.
"""

import numpy as np
import pytest

from assignments.a1_convolution import oracles, samples
from assignments.a1_convolution.checks import check_conv2d, check_maxpool2d
from assignments.common.gradcheck import numerical_gradient
from assignments.common.testing import assert_close, check_value_error, forward_is_right


@pytest.mark.task("conv2d_forward")
@pytest.mark.parametrize("sample", samples.conv2d_samples(), ids=str)
def test_conv2d_forward(impl, sample):
    check_conv2d(impl, sample)


@pytest.mark.task("conv2d_forward")
@pytest.mark.side
@pytest.mark.parametrize("case", samples.invalid_calls(), ids=str)
def test_conv2d_rejects_bad_arguments(impl, case):
    check_value_error(impl, case)


@pytest.mark.task("conv2d_backward")
@pytest.mark.parametrize("sample", samples.conv2d_samples(), ids=str)
def test_conv2d_backward(impl, sample):
    check_conv2d(impl, sample, backward=True)


@pytest.mark.task("conv2d_backward")
@pytest.mark.side
def test_conv2d_backward_matches_numerical_gradient(impl):
    """Your backward agrees with finite differences of your own forward (no PyTorch needed),
    checked once your forward is right on this case."""
    sample = samples.conv2d_sample("gradcheck", np.float64, x=(1, 2, 4, 4), w=(2, 2, 3, 3), padding=1, stride=2)
    if not forward_is_right(impl, "conv2d", sample, oracles.conv2d):
        pytest.skip("not checked: conv2d_forward is not right yet on this case (see the conv2d_forward task)")
    inputs = dict(zip(sample.names, sample.args))
    out, cache = impl.conv2d_forward(*sample.args, **sample.kwargs)
    dout = sample.upstream(out.shape)
    grads = dict(zip(("dx", "dw", "db"), impl.conv2d_backward(dout, cache)))
    for name, value in inputs.items():
        def loss(v, name=name):
            args = inputs | {name: v}
            return np.sum(impl.conv2d_forward(args["x"], args["w"], args["b"], **sample.kwargs)[0] * dout)
        assert_close(grads["d" + name], numerical_gradient(loss, value), dtype=np.float64,
                     what=f"d{name} vs the numerical gradient", context=f"conv2d_forward({sample.describe()})")


@pytest.mark.task("conv2d_dilation_groups")
@pytest.mark.parametrize("sample", samples.conv2d_dilation_groups_samples(), ids=str)
def test_conv2d_dilation_groups(impl, sample):
    check_conv2d(impl, sample)
    check_conv2d(impl, sample, backward=True)


@pytest.mark.task("maxpool2d_forward")
@pytest.mark.parametrize("sample", samples.maxpool2d_samples(), ids=str)
def test_maxpool2d_forward(impl, sample):
    check_maxpool2d(impl, sample)


@pytest.mark.task("maxpool2d_backward")
@pytest.mark.parametrize("sample", samples.maxpool2d_samples(), ids=str)
def test_maxpool2d_backward(impl, sample):
    check_maxpool2d(impl, sample, backward=True)
