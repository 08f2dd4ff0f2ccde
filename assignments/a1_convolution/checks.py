"""The checks of assignment 1, shared by the visible tests (test_conv.py) and the hidden suite:
a learner function against the PyTorch oracle on one Sample (assignments/common/testing.py)."""

from assignments.a1_convolution import oracles
from assignments.common.testing import check_forward_backward

CONV2D_GRADS = ("dx", "dw", "db")


def check_conv2d(impl, sample, oracle=oracles.conv2d, backward=False):
    check_forward_backward(impl, "conv2d", sample, oracle, CONV2D_GRADS, backward)


def check_maxpool2d(impl, sample, oracle=oracles.maxpool2d, backward=False):
    check_forward_backward(impl, "maxpool2d", sample, oracle, ("dx",), backward)
