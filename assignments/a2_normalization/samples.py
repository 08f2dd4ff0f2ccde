"""Sample inputs for the visible a2 tests: small shapes, each case in float64 and float32."""

import numpy as np

from assignments.common.samples import ErrorCase, Sample, array, rng_for, with_dtypes


def _affine(rng, shape, dtype):
    """gamma around 1 (never 0) and beta around 0."""
    return array(rng, shape, dtype, low=0.5, high=1.5), array(rng, shape, dtype)


def _x(rng, shape, dtype, layout, std, mean):
    """Values with a per-channel (axis 1) standard deviation and mean, when asked."""
    x = array(rng, shape, np.float64)
    if std is not None or mean is not None:
        per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
        x = x * np.broadcast_to(np.asarray(std if std is not None else 1.0), (shape[1],)).reshape(per_channel)
        x = x + np.broadcast_to(np.asarray(mean if mean is not None else 0.0), (shape[1],)).reshape(per_channel)
    out = array(rng, shape, dtype, layout)  # the layout asked for ...
    out[...] = x  # ... holding these values
    return out


def batchnorm_sample(name, dtype, x, layout="contiguous", std=None, mean=None, **kwargs):
    rng = rng_for(name)
    C = x[1]
    gamma, beta = _affine(rng, (C,), dtype)
    running_mean, running_var = array(rng, (C,), dtype), array(rng, (C,), dtype, low=0.5, high=2.0)
    training = kwargs.get("training", True)
    return Sample(name, ("x", "gamma", "beta", "running_mean", "running_var"),
                  (_x(rng, x, dtype, layout, std, mean), gamma, beta, running_mean, running_var), kwargs,
                  mutable=("running_mean", "running_var") if training else ())


def layernorm_sample(name, dtype, x, normalized, layout="contiguous", **kwargs):
    rng = rng_for(name)
    gamma, beta = _affine(rng, x[len(x) - normalized:], dtype)
    return Sample(name, ("x", "gamma", "beta"), (array(rng, x, dtype, layout), gamma, beta), kwargs)


def instancenorm_sample(name, dtype, x, layout="contiguous", std=None, mean=None, **kwargs):
    rng = rng_for(name)
    gamma, beta = _affine(rng, (x[1],), dtype)
    return Sample(name, ("x", "gamma", "beta"), (_x(rng, x, dtype, layout, std, mean), gamma, beta), kwargs)


def groupnorm_sample(name, dtype, x, num_groups, layout="contiguous", std=None, mean=None, **kwargs):
    rng = rng_for(name)
    gamma, beta = _affine(rng, (x[1],), dtype)
    return Sample(name, ("x", "gamma", "beta", "num_groups"),
                  (_x(rng, x, dtype, layout, std, mean), gamma, beta, num_groups), kwargs)


BATCHNORM = {
    "2d": dict(x=(8, 5)),
    "3d": dict(x=(4, 3, 7)),
    "4d": dict(x=(4, 3, 5, 5), mean=[1.0, -2.0, 0.5], std=[2.0, 0.5, 1.0]),
    "momentum_eps": dict(x=(6, 4), momentum=0.3, eps=1e-3),
    "eval": dict(x=(4, 3, 5, 5), training=False),
    "non_contiguous": dict(x=(4, 3, 4, 4), layout="strided"),
}
LAYERNORM = {
    "last_axis": dict(x=(4, 10), normalized=1),
    "tokens": dict(x=(2, 6, 8), normalized=1),
    "two_axes": dict(x=(2, 3, 4, 5), normalized=2),
    "eps": dict(x=(3, 7), normalized=1, eps=1e-3),
    "non_contiguous": dict(x=(3, 4, 6), normalized=1, layout="transposed"),
}
INSTANCENORM = {
    "4d": dict(x=(2, 3, 5, 5)),
    "3d": dict(x=(2, 4, 9), mean=[0.0, 3.0, -1.0, 2.0]),
    "non_contiguous": dict(x=(2, 3, 4, 4), layout="strided"),
}
GROUPNORM = {
    "two_groups": dict(x=(2, 4, 5, 5), num_groups=2),
    "one_group": dict(x=(2, 4, 3, 3), num_groups=1),
    "a_group_per_channel": dict(x=(2, 4, 3, 3), num_groups=4),
    "3d": dict(x=(2, 6, 7), num_groups=3),
    "non_contiguous": dict(x=(2, 6, 4, 4), num_groups=3, layout="strided"),
}


def batchnorm_samples(cases=BATCHNORM):
    return with_dtypes(batchnorm_sample, cases)


def layernorm_samples(cases=LAYERNORM):
    return with_dtypes(layernorm_sample, cases)


def instancenorm_samples(cases=INSTANCENORM):
    return with_dtypes(instancenorm_sample, cases)


def groupnorm_samples(cases=GROUPNORM):
    return with_dtypes(groupnorm_sample, cases)


def invalid_calls():
    """Bad arguments: each must raise ValueError naming one of the arguments involved."""
    x, c3, c4 = np.zeros((2, 4, 3, 3)), np.ones(3), np.ones(4)
    return [
        ErrorCase("groupnorm_forward", "num_groups does not divide C", (x, c4, c4, 3), {}, ("num_groups", "x")),
        ErrorCase("batchnorm_forward", "gamma of the wrong length", (x, c3, c4, c4, c4), {}, ("gamma", "x")),
        ErrorCase("batchnorm_forward", "running_var of the wrong length", (x, c4, c4, c4, c3), {},
                  ("running_var", "x")),
        ErrorCase("layernorm_forward", "gamma is not the trailing shape", (x, np.ones((4, 3)), np.ones((4, 3))), {},
                  ("gamma", "x", "beta")),
        ErrorCase("instancenorm_forward", "beta of the wrong length", (x, c4, c3), {}, ("beta", "x", "gamma")),
    ]
