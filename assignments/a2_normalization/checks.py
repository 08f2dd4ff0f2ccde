"""The checks of assignment 2, shared by the visible tests (test_norms.py) and the hidden suite."""

import pytest

from assignments.a2_normalization import oracles
from assignments.common import diagnose
from assignments.common.testing import assert_close, call, check_forward_backward, signature_defaults

GRADS = ("dx", "dgamma", "dbeta")


def check(impl, op, sample, oracle, backward=False):
    check_forward_backward(impl, op, sample, oracle, GRADS, backward)


def check_running_stats(impl, sample, oracle=oracles.batchnorm):
    """Training updates the caller's running_mean / running_var in place, as PyTorch; eval
    leaves them alone (``call`` fails if an argument outside sample.mutable changes)."""
    expected = oracle(sample)
    mine = sample.copy()
    call(impl.batchnorm_forward, *mine.args, names=mine.names, mutable=mine.mutable, **mine.kwargs)
    context = f"batchnorm_forward({sample.describe(signature_defaults('batchnorm_forward'))})"
    for i, name in ((3, "running_mean"), (4, "running_var")):
        assert_close(mine.args[i], getattr(expected, name), dtype=sample.dtype, what=f"{name} after the call",
                     context=context, explain=lambda what, a, e, name=name: diagnose.explain(
                         "batchnorm", name, a, e, sample))


def running_stats_cases(samples_):
    """Training samples are core checks; eval samples (nothing may change) are side checks."""
    return [pytest.param(s, id=str(s), marks=() if s.kwargs.get("training", True) else pytest.mark.side)
            for s in samples_]
