"""The checks of assignment 4, shared by the visible tests (test_residual.py) and the hidden suite.

A block is compared with the same block built from torch.nn layers (assignments/a4_residual/
oracles.py) in float64: the output, the running statistics after a training call, dx and every
parameter's gradient. training_sanity trains a tiny ResNet of the learner's blocks on the 8x8
digits (assignments/common/training.py).
"""

import math

import numpy as np

from assignments.a4_residual import misconceptions, oracles
from assignments.a4_residual.samples import running_paths
from assignments.common import diagnose, training
from assignments.common.testing import assert_close, call, check_forward_backward, signature_defaults

OPS = {"basic": "basic_block", "bottleneck": "bottleneck_block"}
ORACLES = {"basic": oracles.basic_block, "bottleneck": oracles.bottleneck_block}
GRADS = ("dx", "grads")


def check_block(impl, kind, sample, oracle=None, backward=False):
    """out of <kind>_block_forward (backward=True: dx and grads of its backward) against torch."""
    check_forward_backward(impl, OPS[kind], sample, oracle or ORACLES[kind], GRADS, backward)


def check_running_stats(impl, kind, sample, oracle=None):
    """A training call updates every running mean and variance of params in place, as PyTorch's
    BatchNorm2d with momentum 0.1; an eval call changes none (``call`` fails if an array outside
    sample.mutable changes)."""
    op = OPS[kind]
    expected = (oracle or ORACLES[kind])(sample)
    mine = sample.copy()
    call(getattr(impl, f"{op}_forward"), *mine.args, names=mine.names, mutable=mine.mutable, **mine.kwargs)
    context = f"{op}_forward({sample.describe(signature_defaults(f'{op}_forward'))})"
    unchanged = [k for k in expected.running if np.array_equal(mine.args[1][k], sample.args[1][k])]
    if sample.kwargs.get("training", True) and len(unchanged) == len(expected.running):
        raise AssertionError(f"no running statistic of params changed in a training call\n  "
                             f"{diagnose.wrap('call: ' + context, '        ')}\n  {misconceptions.RUNNING.message()}")
    for key, value in expected.running.items():
        assert_close(mine.args[1][key], value, dtype=sample.dtype, what=oracles.after_call(key),
                     context=context, explain=lambda what, a, e: diagnose.explain(op, what, a, e, sample))


# ------------------------------------------------------------------ training a tiny ResNet

INITIAL_LOSS_TOLERANCE = 0.5  # |loss - ln 10| at initialization; the reference gives 2.29-2.44 (20 seeds)
MAX_STEPS = 150  # to fit 64 images: the reference needs 30-77 steps (20 seeds, float32)


def train_tiny_resnet(impl, seed, images=64, max_steps=MAX_STEPS, dtype=np.float32):
    """A TinyResNet of the learner's basic blocks (widths 8 and 16: one identity block, one
    stride-2 projection block) trained with SGD (lr 0.1, momentum 0.9) on ``images`` digits, full
    batch, until every image is classified right: (initial loss, steps taken, final accuracy)."""
    x, y = training.digits(dtype)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(x), images, replace=False)
    x, y = x[pick], y[pick]

    def forward(*args, **kwargs):
        return call(impl.basic_block_forward, *args, names=("x", "params"),
                    mutable=running_paths(args[1]), **kwargs)

    net = training.TinyResNet(forward, impl.basic_block_backward, widths=(8, 16), rng=rng, dtype=dtype)
    optimizer = training.SGD(net.params, lr=0.1, momentum=0.9)
    initial = None
    for step in range(1, max_steps + 1):
        logits, caches = net.logits(x, training=True)
        loss, dlogits = training.softmax_cross_entropy(logits, y)
        initial = loss if initial is None else initial
        accuracy = float((logits.argmax(axis=1) == y).mean())
        if accuracy == 1.0 or not math.isfinite(loss):
            return initial, step - 1, accuracy
        optimizer.step(net.gradients(dlogits, caches))
    return initial, max_steps, accuracy


def check_training(impl, seed):
    initial, steps, accuracy = train_tiny_resnet(impl, seed)
    what = f"a tiny ResNet of your basic blocks on 64 digits (seed {seed})"
    assert math.isfinite(initial) and abs(initial - math.log(10)) <= INITIAL_LOSS_TOLERANCE, diagnose.wrap(
        f"{what} starts at a loss of {initial:.4g}; ten classes at initialization give about ln 10 = 2.303 "
        f"(allowed: within {INITIAL_LOSS_TOLERANCE}). A loss far above it means the block's output grows too "
        "large: is every convolution followed by its batch norm, with training=True?")
    assert accuracy == 1.0, diagnose.wrap(
        f"{what} reaches {accuracy:.0%} training accuracy after {steps} steps of SGD; the right blocks fit all 64 "
        "images in 30 to 77. The net learns only through the gradients of the parameters: check grads (every "
        "weight and bias, the projection's too) and the batch statistics in training mode.")
