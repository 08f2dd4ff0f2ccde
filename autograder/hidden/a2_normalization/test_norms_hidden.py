"""Hidden tests for a2: other cases than the visible ones (tiny variances, batches of two,
groups of one and of C, several trailing axes, eval after training), against PyTorch (CPU
and, with a GPU, CUDA) and against the readable reference."""

import functools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from assignments.a2_normalization.samples import batchnorm_sample
from assignments.a2_normalization import oracles
from assignments.a2_normalization.checks import GRADS, check, check_running_stats, running_stats_cases
from assignments.common import diagnose
from assignments.common.samples import Sample
from assignments.common.testing import assert_close, call, oracle_from
from autograder.hidden.a2_normalization import samples

OPS = {  # task: (op, oracle, hidden samples)
    "layernorm": ("layernorm", oracles.layernorm, samples.layernorm_samples),
    "instancenorm": ("instancenorm", oracles.instancenorm, samples.instancenorm_samples),
    "groupnorm": ("groupnorm", oracles.groupnorm, samples.groupnorm_samples),
}


def on(device, oracle):
    return functools.partial(oracle, device=device)


def reference_for(reference, op):
    return oracle_from(getattr(reference, f"{op}_forward"), getattr(reference, f"{op}_backward"), GRADS)


@pytest.mark.task("batchnorm_forward")
@pytest.mark.parametrize("sample", samples.batchnorm_samples(), ids=str)
def test_batchnorm_forward_hidden(impl, sample, device):
    check(impl, "batchnorm", sample, on(device, oracles.batchnorm))


@pytest.mark.task("batchnorm_forward")
@pytest.mark.parametrize("sample", samples.batchnorm_samples()[::3], ids=str)
def test_batchnorm_forward_matches_reference(impl, sample, reference):
    check(impl, "batchnorm", sample, reference_for(reference, "batchnorm"))


@pytest.mark.task("batchnorm_backward")
@pytest.mark.parametrize("sample", samples.batchnorm_samples(), ids=str)
def test_batchnorm_backward_hidden(impl, sample, device):
    check(impl, "batchnorm", sample, on(device, oracles.batchnorm), backward=True)


@pytest.mark.task("batchnorm_backward")
@pytest.mark.parametrize("sample", samples.batchnorm_samples()[1::3], ids=str)
def test_batchnorm_backward_matches_reference(impl, sample, reference):
    check(impl, "batchnorm", sample, reference_for(reference, "batchnorm"), backward=True)


@pytest.mark.task("batchnorm_running_stats")
@pytest.mark.parametrize("sample", running_stats_cases(samples.batchnorm_samples()))
def test_batchnorm_running_stats_hidden(impl, sample, device):
    check_running_stats(impl, sample, on(device, oracles.batchnorm))


@pytest.mark.task("batchnorm_running_stats")
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=lambda d: d.__name__)
def test_eval_after_several_training_steps(impl, dtype):
    """Three training batches move the running statistics; eval then normalizes with them."""
    first = batchnorm_sample("steps", dtype, x=(6, 3, 4, 4), momentum=0.2, mean=[2.0, -1.0, 0.0], std=[3.0, 1.0, 0.5])
    _, gamma, beta, running_mean, running_var = first.args
    mine = (running_mean.copy(), running_var.copy())
    theirs = [torch.tensor(np.asarray(a, dtype=np.float64)) for a in (running_mean, running_var)]
    for step in range(3):
        x = batchnorm_sample(f"steps/{step}", dtype, x=(6, 3, 4, 4), mean=[2.0, -1.0, 0.0], std=[3.0, 1.0, 0.5]).args[0]
        call(impl.batchnorm_forward, x, gamma, beta, *mine, names=("x", "gamma", "beta", "running_mean", "running_var"),
             mutable=("running_mean", "running_var"), training=True, momentum=0.2)
        F.batch_norm(torch.tensor(x.astype(np.float64)), *theirs, training=True, momentum=0.2)
    x = batchnorm_sample("steps/eval", dtype, x=(6, 3, 4, 4)).args[0]
    out, _ = call(impl.batchnorm_forward, x, gamma, beta, *mine, names=("x", "gamma", "beta", "running_mean", "running_var"),
                  training=False)
    expected = F.batch_norm(torch.tensor(x.astype(np.float64)), *theirs,
                                    torch.tensor(gamma.astype(np.float64)),
                                    torch.tensor(beta.astype(np.float64)), training=False)
    context = "three training steps (momentum=0.2), then batchnorm_forward(..., training=False)"
    assert_close(mine[0], theirs[0], dtype=dtype, what="running_mean after three steps", context=context)
    assert_close(mine[1], theirs[1], dtype=dtype, what="running_var after three steps", context=context)
    last = Sample("steps/eval", first.names, (x, gamma, beta, *(t.numpy() for t in theirs)), {"training": False})
    assert_close(out, expected, dtype=dtype, what="out in eval mode", context=context,
                 explain=lambda what, a, e: diagnose.explain("batchnorm", "out", a, e, last))


CASES = [pytest.param(task, sample, marks=pytest.mark.task(task), id=f"{task}-{sample}")
         for task, (_, _, make) in OPS.items() for sample in make()]


@pytest.mark.parametrize("task, sample", CASES)
def test_other_norms_hidden(impl, task, sample, device):
    op, oracle, _ = OPS[task]
    check(impl, op, sample, on(device, oracle))
    check(impl, op, sample, on(device, oracle), backward=True)


@pytest.mark.parametrize("task, sample", CASES[::3])
def test_other_norms_match_reference(impl, task, sample, reference):
    op = OPS[task][0]
    check(impl, op, sample, reference_for(reference, op), backward=True)
