"""Inputs for the visible a3 tests: nonzero values (so that a dropped unit is told apart from
a kept one by out == 0), several drop probabilities, float64 and float32."""

import numpy as np

from assignments.common.samples import ErrorCase, Sample, array, rng_for
from assignments.common.testing import hoeffding_bound

PROBABILITIES = (0.1, 0.5, 0.8)
DTYPES = (np.float64, np.float32)


def nonzero(name, shape, dtype=np.float64, layout="contiguous"):
    """Values with |x| in [0.5, 1.5] and random signs: never 0."""
    rng = rng_for(name)
    x = array(rng, shape, dtype, layout, low=0.5, high=1.5)
    x *= np.where(rng.random(shape) < 0.5, -1, 1).astype(dtype)
    return x


def dropout_samples(shape=(60, 50), probabilities=PROBABILITIES, dtypes=DTYPES, layout="contiguous"):
    """dropout_forward(x, p) calls: nonzero x of ``shape`` for every p and dtype.

    Each case has units enough that its kept fraction tells p apart from dropping everything
    or nothing: the Hoeffding bound is below min(p, 1 - p).
    """
    for p in probabilities:
        if 0 < p < 1 and hoeffding_bound(int(np.prod(shape))) >= min(p, 1 - p):
            raise ValueError(f"{shape} holds too few units to tell p={p} from 0 or 1")
    return [Sample(f"p{p}-{'x'.join(map(str, shape))}", ("x", "p"),
                   (nonzero(f"{shape}{p}{np.dtype(d)}", shape, d, layout), p))
            for p in probabilities for d in dtypes]


def invalid_calls():
    """Bad arguments: each must raise ValueError naming the argument."""
    x = np.ones(3)
    return [ErrorCase("dropout_forward", "p above 1", (x,), dict(p=1.5), ("p",)),
            ErrorCase("dropout_forward", "p below 0", (x,), dict(p=-0.1), ("p",)),
            ErrorCase("dropout_forward", "unknown scale_at", (x,), dict(p=0.5, scale_at="both"), ("scale_at",))]
