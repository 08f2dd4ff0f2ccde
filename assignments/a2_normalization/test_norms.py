"""Visible tests for assignment 2. Run: pytest assignments/a2_normalization

Each test compares your function with PyTorch (float64) on one small case; a failure names
the case (shapes, dtype, eps, momentum, training) and how far off you were.
"""

import pytest

from assignments.a2_normalization import oracles, samples
from assignments.a2_normalization.checks import check, check_running_stats, running_stats_cases
from assignments.common.testing import check_value_error


@pytest.mark.task("batchnorm_forward")
@pytest.mark.parametrize("sample", samples.batchnorm_samples(), ids=str)
def test_batchnorm_forward(impl, sample):
    check(impl, "batchnorm", sample, oracles.batchnorm)


@pytest.mark.task("batchnorm_backward")
@pytest.mark.parametrize("sample", samples.batchnorm_samples(), ids=str)
def test_batchnorm_backward(impl, sample):
    check(impl, "batchnorm", sample, oracles.batchnorm, backward=True)


@pytest.mark.task("batchnorm_running_stats")
@pytest.mark.parametrize("sample", running_stats_cases(samples.batchnorm_samples()))
def test_batchnorm_running_stats(impl, sample):
    check_running_stats(impl, sample)


@pytest.mark.task("layernorm")
@pytest.mark.parametrize("sample", samples.layernorm_samples(), ids=str)
def test_layernorm(impl, sample):
    check(impl, "layernorm", sample, oracles.layernorm)
    check(impl, "layernorm", sample, oracles.layernorm, backward=True)


@pytest.mark.task("instancenorm")
@pytest.mark.parametrize("sample", samples.instancenorm_samples(), ids=str)
def test_instancenorm(impl, sample):
    check(impl, "instancenorm", sample, oracles.instancenorm)
    check(impl, "instancenorm", sample, oracles.instancenorm, backward=True)


@pytest.mark.task("groupnorm")
@pytest.mark.parametrize("sample", samples.groupnorm_samples(), ids=str)
def test_groupnorm(impl, sample):
    check(impl, "groupnorm", sample, oracles.groupnorm)
    check(impl, "groupnorm", sample, oracles.groupnorm, backward=True)


TASK_OF = {"batchnorm_forward": "batchnorm_forward", "layernorm_forward": "layernorm",
           "instancenorm_forward": "instancenorm", "groupnorm_forward": "groupnorm"}


@pytest.mark.side
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.task(TASK_OF[c.function]), id=str(c))
                                  for c in samples.invalid_calls()])
def test_bad_arguments_raise_value_error(impl, case):
    check_value_error(impl, case)
