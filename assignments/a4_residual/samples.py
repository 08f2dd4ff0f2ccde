"""Inputs for the visible a4 tests: small blocks in float64 and float32, training and eval,
stride 1 and 2, every shortcut option; parameters keyed like torchvision's state_dict, with
batch-norm weights, biases and running statistics drawn at random so that each one matters."""

import numpy as np

from assignments.common.samples import ErrorCase, Sample, array, rng_for, with_dtypes
from assignments.common.training import BN, block_params

EXPANSION = {"basic": 1, "bottleneck": 4}  # out channels = EXPANSION * planes


def needs_projection(kind, channels, planes, stride, shortcut):
    """Whether the block's shortcut is the 1x1 projection (options B and C of the paper)."""
    shapes_match = stride in (1, (1, 1)) and channels == EXPANSION[kind] * planes
    return shortcut == "C" or (shortcut == "B" and not shapes_match)


def running_paths(params):
    """The key paths of the running statistics, the arrays a training call updates in place."""
    return tuple(f"params[{k!r}]" for k in params if k.endswith(BN[2:]))


def block_sample(name, dtype, kind, x, planes, stride=1, shortcut="B", training=True, layout="contiguous"):
    """One call of <kind>_block_forward(x, params, stride, shortcut, training): x of shape ``x``,
    params for ``planes`` (a projection exactly when the shortcut uses one)."""
    rng = rng_for(name)
    projection = needs_projection(kind, x[1], planes, stride, shortcut)
    params = block_params(kind, x[1], planes, projection, rng, dtype, random_bn=True)
    kwargs = {"stride": stride, "shortcut": shortcut, "training": training}
    return Sample(name, ("x", "params"), (array(rng, x, dtype, layout), params), kwargs,
                  mutable=running_paths(params) if training else ())


BASIC = {
    "identity": dict(x=(2, 4, 6, 6), planes=4),
    "stride2_projection": dict(x=(2, 4, 7, 7), planes=8, stride=2),
    "eval": dict(x=(3, 4, 5, 5), planes=4, training=False),
    "eval_projection": dict(x=(2, 3, 6, 6), planes=6, stride=2, training=False),
}
BOTTLENECK = {
    "identity": dict(x=(2, 16, 5, 5), planes=4),
    "stride2_projection": dict(x=(2, 8, 6, 6), planes=4, stride=2),
    "eval_projection": dict(x=(2, 8, 5, 5), planes=4, training=False),
}
SHORTCUTS = {  # (kind, case): the shortcut options where they differ
    "A_stride2": dict(kind="basic", x=(2, 4, 6, 6), planes=8, stride=2, shortcut="A"),
    "A_channels_only": dict(kind="basic", x=(2, 3, 5, 5), planes=5, shortcut="A"),
    "A_same_shape": dict(kind="basic", x=(2, 4, 5, 5), planes=4, shortcut="A"),
    "B_channels_only": dict(kind="basic", x=(2, 3, 5, 5), planes=6, shortcut="B"),
    "C_same_shape": dict(kind="basic", x=(2, 4, 5, 5), planes=4, shortcut="C"),
    "A_bottleneck_stride2": dict(kind="bottleneck", x=(2, 8, 6, 6), planes=4, stride=2, shortcut="A"),
}


def _kind(kind):
    return lambda name, dtype, **case: block_sample(name, dtype, kind, **case)


def basic_block_samples(cases=BASIC):
    return with_dtypes(_kind("basic"), cases)


def bottleneck_block_samples(cases=BOTTLENECK):
    return with_dtypes(_kind("bottleneck"), cases)


def _shortcuts(kind, cases):
    """The shortcut cases (each names its block) of one kind of block."""
    return with_dtypes(block_sample, {name: case for name, case in cases.items() if case["kind"] == kind})


def basic_block_shortcut_samples(cases=SHORTCUTS):
    return _shortcuts("basic", cases)


def bottleneck_block_shortcut_samples(cases=SHORTCUTS):
    return _shortcuts("bottleneck", cases)


def invalid_calls():
    """Bad arguments: each must raise ValueError naming an argument involved."""
    x = np.ones((2, 4, 5, 5))
    same = block_params("basic", 4, 4)
    narrower = block_params("basic", 4, 2)
    return [
        ErrorCase("basic_block_forward", "an unknown shortcut option", (x, same), {"shortcut": "D"}, ("shortcut",)),
        ErrorCase("basic_block_forward", "x not 4-D", (np.ones((2, 4, 5)), same), {}, ("x",)),
        ErrorCase("basic_block_forward", "shortcut A dropping channels", (x, narrower), {"shortcut": "A"},
                  ("shortcut", "x", "params")),
        ErrorCase("bottleneck_block_forward", "an unknown shortcut option", (np.ones((2, 16, 4, 4)),
                  block_params("bottleneck", 16, 4)), {"shortcut": "b"}, ("shortcut",)),
    ]
