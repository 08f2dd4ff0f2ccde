"""Hidden tests for a1: other cases than the visible ones, checked against PyTorch (CPU and,
with a GPU, CUDA with TF32 off) and against the readable reference."""

import functools
import numpy as np
import pytest

from assignments.a1_convolution import oracles
from assignments.a1_convolution.checks import CONV2D_GRADS, check_conv2d, check_maxpool2d
from assignments.common import diagnose
from assignments.common.samples import ErrorCase
from assignments.common.testing import assert_close, call, check_value_error, forward_for_backward, oracle_from
from autograder.hidden.a1_convolution import samples


@pytest.mark.task("conv2d_forward")
@pytest.mark.parametrize("sample", samples.conv2d_samples(), ids=str)
def test_conv2d_forward_hidden(impl, sample, device):
    check_conv2d(impl, sample, functools.partial(oracles.conv2d, device=device))


@pytest.mark.task("conv2d_forward")
@pytest.mark.parametrize("sample", samples.conv2d_samples()[::3], ids=str)
def test_conv2d_forward_matches_reference(impl, sample, reference):
    check_conv2d(impl, sample, oracle_from(reference.conv2d_forward, reference.conv2d_backward, CONV2D_GRADS))


@pytest.mark.task("conv2d_backward")
@pytest.mark.parametrize("sample", samples.conv2d_samples(), ids=str)
def test_conv2d_backward_hidden(impl, sample, device):
    check_conv2d(impl, sample, functools.partial(oracles.conv2d, device=device), backward=True)


@pytest.mark.task("conv2d_backward")
@pytest.mark.parametrize("sample", samples.conv2d_samples()[1::3], ids=str)
def test_conv2d_backward_matches_reference(impl, sample, reference):
    check_conv2d(impl, sample, oracle_from(reference.conv2d_forward, reference.conv2d_backward, CONV2D_GRADS), backward=True)


@pytest.mark.task("conv2d_dilation_groups")
@pytest.mark.parametrize("sample", samples.conv2d_dilation_groups_samples(), ids=str)
def test_conv2d_dilation_groups_hidden(impl, sample, device):
    oracle = functools.partial(oracles.conv2d, device=device)
    check_conv2d(impl, sample, oracle)
    check_conv2d(impl, sample, oracle, backward=True)


@pytest.mark.task("conv2d_dilation_groups")
@pytest.mark.parametrize("sample", samples.conv2d_dilation_groups_samples()[::2], ids=str)
def test_conv2d_dilation_groups_match_reference(impl, sample, reference):
    check_conv2d(impl, sample, oracle_from(reference.conv2d_forward, reference.conv2d_backward, CONV2D_GRADS), backward=True)


@pytest.mark.task("maxpool2d_forward")
@pytest.mark.parametrize("sample", samples.maxpool2d_samples(), ids=str)
def test_maxpool2d_forward_hidden(impl, sample, device):
    check_maxpool2d(impl, sample, functools.partial(oracles.maxpool2d, device=device))


@pytest.mark.task("maxpool2d_forward")
@pytest.mark.side
def test_maxpool2d_rejects_padding_over_half_the_kernel(impl):
    check_value_error(impl, ErrorCase("maxpool2d_forward", "padding 2 with kernel_size 2", (np.zeros((1, 1, 6, 6)),),
                                      dict(kernel_size=2, padding=2), ("padding", "kernel_size")))


@pytest.mark.task("maxpool2d_backward")
@pytest.mark.parametrize("sample", samples.maxpool2d_samples(), ids=str)
def test_maxpool2d_backward_hidden(impl, sample, device):
    check_maxpool2d(impl, sample, functools.partial(oracles.maxpool2d, device=device), backward=True)


@pytest.mark.task("maxpool2d_backward")
@pytest.mark.parametrize("sample", samples.maxpool2d_samples()[::3], ids=str)
def test_maxpool2d_backward_matches_reference(impl, sample, reference):
    check_maxpool2d(impl, sample, oracle_from(reference.maxpool2d_forward, reference.maxpool2d_backward),
                    backward=True)


@pytest.mark.task("maxpool2d_backward")
@pytest.mark.side
@pytest.mark.parametrize("sample", samples.maxpool2d_tied_samples(), ids=str)
def test_maxpool2d_backward_ties_go_to_one_position(impl, sample):
    """With ties, any one maximum may take the gradient, but exactly one, and all of it."""
    (x,) = sample.args
    N, C, H, W = x.shape
    windows = lambda a: a.reshape(N, C, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H // 2, W // 2, 4)
    xw = windows(x)
    with forward_for_backward("maxpool2d"):  # a wrong forward is its own task's mistake
        out, cache = call(impl.maxpool2d_forward, x, names=("x",), **sample.kwargs)
        assert_close(out, xw.max(axis=-1), dtype=x.dtype, what="out")
    dout = np.abs(sample.upstream(np.shape(out))) + 1  # nonzero everywhere
    dx = np.asarray(call(impl.maxpool2d_backward, dout, cache, names=("dout", "cache")))
    assert dx.shape == x.shape and dx.dtype == x.dtype, f"dx: {dx.shape} {dx.dtype}, expected {x.shape} {x.dtype}"
    dxw = windows(dx)
    is_max = xw == xw.max(axis=-1, keepdims=True)
    assert np.all(dxw[~is_max] == 0), "gradient reached a position that is not its window's maximum"
    assert np.all((dxw != 0).sum(axis=-1) == 1), ("each window must send its gradient to exactly one position\n  "
                                                  + diagnose.by_name("maxpool_gradient_to_every_tie").message())
    np.testing.assert_allclose(dxw.sum(axis=-1), dout, rtol=1e-6, err_msg="each window must pass on all of dout")
