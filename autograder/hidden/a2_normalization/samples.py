"""Hidden sample inputs for a2: the cases that separate the common mistakes.

- tiny-variance channels (std 1e-3, var 1e-6 << eps = 1e-5): eps inside vs outside the sqrt;
- batches of two (biased vs unbiased variance differ by a factor of 2);
- 2-D and 4-D inputs, layer norm over one and several axes, groups of size 1 and C.
"""

from assignments.a2_normalization import samples as visible

BATCHNORM = {
    # a tiny variance around a mean of 0: with a mean of 5, float32 itself would keep only
    # three digits of the deviations and every float32 implementation would be off by ~1e-3
    "tiny_variance": dict(x=(8, 3, 4, 4), std=[1e-3, 1.0, 3e-3], mean=[0.0, 2.0, 0.0]),
    "batch_of_two": dict(x=(2, 4)),
    "batch_of_two_4d": dict(x=(2, 3, 2, 2)),
    "wide_2d": dict(x=(16, 32), momentum=0.05),
    "eval_4d": dict(x=(3, 4, 5, 6), training=False, eps=1e-3),
    "eval_2d_fortran": dict(x=(5, 6), training=False, layout="transposed"),
    "momentum_one": dict(x=(4, 3), momentum=1.0),
}
LAYERNORM = {
    "tiny_variance_rows": dict(x=(3, 2, 16), normalized=1),  # scaled down in make_tiny below
    "three_axes": dict(x=(2, 3, 4, 5), normalized=3),
    "every_axis": dict(x=(4, 6), normalized=2),
    "long_rows": dict(x=(2, 3, 64), normalized=1, eps=1e-6),
    "strided": dict(x=(2, 5, 6), normalized=2, layout="strided"),
}
INSTANCENORM = {
    "tiny_variance": dict(x=(2, 3, 6, 6), std=[1e-3, 2e-3, 1.0]),
    "single_sample": dict(x=(1, 5, 4, 3)),
    "5d": dict(x=(2, 2, 3, 3, 3)),
    "fortran": dict(x=(3, 2, 8), layout="transposed", eps=1e-3),
}
GROUPNORM = {
    "groups_of_one_channel": dict(x=(2, 6, 4, 4), num_groups=6),
    "one_group_3d": dict(x=(3, 4, 5), num_groups=1),
    "tiny_variance": dict(x=(2, 4, 3, 3), num_groups=2, std=[1e-3, 1e-3, 1.0, 1.0]),
    "many_groups_5d": dict(x=(2, 8, 2, 3, 2), num_groups=4, eps=1e-3),
    "single_sample": dict(x=(1, 6, 5, 5), num_groups=2, mean=[3.0, 3.0, 3.0, -3.0, 0.0, 1.0]),
}


def make_tiny(samples, names=("tiny_variance_rows",)):
    """Scale the named cases' inputs down to std 1e-3 (a variance far below eps)."""
    for s in samples:
        if s.name in names:
            s.args[0][...] *= 1e-3
    return samples


def batchnorm_samples():
    return visible.batchnorm_samples(BATCHNORM)


def layernorm_samples():
    return make_tiny(visible.layernorm_samples(LAYERNORM))


def instancenorm_samples():
    return visible.instancenorm_samples(INSTANCENORM)


def groupnorm_samples():
    return visible.groupnorm_samples(GROUPNORM)
