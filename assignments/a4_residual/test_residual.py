"""Visible tests for assignment 4. Run: pytest assignments/a4_residual

Each block is compared with the same block built from torch.nn layers (in float64, weights
copied, training and eval mode, autograd for the backward): the output, the running statistics
after the call, dx and the gradient of every parameter. A failure names the case (shapes,
stride, shortcut, mode, dtype) and, when your output matches a classic mistake, the mistake.
Then a tiny ResNet of your blocks must learn: pytest assignments/a4_residual -k training
"""

import pytest

from assignments.a4_residual import samples
from assignments.a4_residual.checks import check_block, check_running_stats, check_training
from assignments.common.testing import check_value_error

BLOCKS = {"basic": (samples.basic_block_samples, "basic_block_forward", "basic_block_backward"),
          "bottleneck": (samples.bottleneck_block_samples, "bottleneck_forward", "bottleneck_backward")}
SHORTCUTS = {"basic": samples.basic_block_shortcut_samples, "bottleneck": samples.bottleneck_block_shortcut_samples}


def cases(task_of, side=lambda sample: False):
    """(kind, sample) for every block kind, marked with its task (``task_of(kind)``); eval
    samples of the running-statistics check are side checks (nothing may change)."""
    return [pytest.param(kind, s, id=f"{kind}-{s}", marks=[pytest.mark.task(task_of(kind))] + ([pytest.mark.side] if side(s) else []))
            for kind, (make, *_) in BLOCKS.items() for s in make()]


@pytest.mark.parametrize("kind, sample", cases(lambda kind: BLOCKS[kind][1]))
def test_block_forward(impl, kind, sample):
    check_block(impl, kind, sample)


@pytest.mark.parametrize("kind, sample", cases(lambda kind: BLOCKS[kind][1], side=lambda s: not s.kwargs["training"]))
def test_running_stats(impl, kind, sample):
    check_running_stats(impl, kind, sample)


@pytest.mark.parametrize("kind, sample", cases(lambda kind: BLOCKS[kind][2]))
def test_block_backward(impl, kind, sample):
    check_block(impl, kind, sample, backward=True)


@pytest.mark.task("shortcuts")
@pytest.mark.parametrize("backward", [False, True], ids=["forward", "backward"])
@pytest.mark.parametrize("kind, sample", [pytest.param(kind, s, id=f"{kind}-{s}") for kind, make in SHORTCUTS.items()
                                          for s in make()])
def test_shortcut(impl, kind, sample, backward):
    check_block(impl, kind, sample, backward=backward)


@pytest.mark.task("training_sanity")
def test_training_a_tiny_resnet(impl):
    check_training(impl, seed=0)


TASK_OF = {"basic_block_forward": "basic_block_forward", "bottleneck_block_forward": "bottleneck_forward"}


@pytest.mark.side
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.task(TASK_OF[c.function]), id=str(c))
                                  for c in samples.invalid_calls()])
def test_bad_arguments_raise_value_error(impl, case):
    check_value_error(impl, case)
