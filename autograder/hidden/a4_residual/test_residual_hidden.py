"""Hidden tests for a4: other cases than the visible ones, checked against the torch.nn blocks
(CPU and, with a GPU, CUDA with TF32 off) and against the readable reference; a tiny ResNet of
the learner's blocks trained from other seeds."""

import functools

import pytest

from assignments.a4_residual import oracles
from assignments.a4_residual.checks import check_block, check_running_stats, check_training
from assignments.common.testing import oracle_from
from autograder.hidden.a4_residual import samples

KINDS = {"basic": samples.basic_block_samples, "bottleneck": samples.bottleneck_block_samples}
TASKS = {"basic": ("basic_block_forward", "basic_block_backward"), "bottleneck": ("bottleneck_forward", "bottleneck_backward")}
CASES = [pytest.param(kind, s, id=f"{kind}-{s}", marks=pytest.mark.task(TASKS[kind][0])) for kind in KINDS for s in KINDS[kind]()]
BACKWARD_CASES = [pytest.param(kind, s, id=f"{kind}-{s}", marks=pytest.mark.task(TASKS[kind][1]))
                  for kind in KINDS for s in KINDS[kind]()]
SHORTCUT_CASES = [pytest.param(kind, s, id=f"{kind}-{s}") for kind, make in
                  (("basic", samples.basic_block_shortcut_samples), ("bottleneck", samples.bottleneck_block_shortcut_samples))
                  for s in make()]


def on(device, kind):
    return functools.partial(oracles.block, kind, device=device)


@pytest.mark.parametrize("kind, sample", CASES)
def test_block_forward_hidden(impl, kind, sample, device):
    check_block(impl, kind, sample, on(device, kind))


@pytest.mark.parametrize("kind, sample", [c for c in CASES if c.values[1].kwargs["training"]])
def test_running_stats_hidden(impl, kind, sample):
    check_running_stats(impl, kind, sample)


@pytest.mark.parametrize("kind, sample", BACKWARD_CASES)
def test_block_backward_hidden(impl, kind, sample, device):
    check_block(impl, kind, sample, on(device, kind), backward=True)


@pytest.mark.parametrize("kind, sample", BACKWARD_CASES[::3])
def test_block_matches_reference(impl, kind, sample, reference):
    op = f"{kind}_block"
    check_block(impl, kind, sample, oracle_from(getattr(reference, f"{op}_forward"), getattr(reference, f"{op}_backward"),
                                                ("dx", "grads")), backward=True)


@pytest.mark.task("shortcuts")
@pytest.mark.parametrize("kind, sample", SHORTCUT_CASES)
def test_shortcut_hidden(impl, kind, sample, device):
    check_block(impl, kind, sample, on(device, kind))
    check_block(impl, kind, sample, on(device, kind), backward=True)


@pytest.mark.task("training_sanity")
@pytest.mark.parametrize("seed", [1, 2])
def test_training_a_tiny_resnet_hidden(impl, seed):
    check_training(impl, seed)
