"""The fast path for assignment 3: dropout, same contract as dropout.py.

Dropout is memory-bound: one pass draws the mask, one multiplies. Numpy does each in one
vectorized pass, so there is no numba kernel here; the mask and the scale are fused into one
factor array so that forward and backward are each a single multiply.
"""

from __future__ import annotations

import numpy as np

from assignments.common.fast import require_float


def dropout_forward(x, p, training=True, rng=None, scale_at="train"):
    """As solutions/a3_dropout/dropout.py."""
    require_float("x", x)
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1] (the probability of dropping a unit), got {p!r}")
    if scale_at not in ("train", "test"):
        raise ValueError(f"scale_at must be 'train' or 'test', got {scale_at!r}")
    if not training:
        factor = np.asarray(1.0 if scale_at == "train" else 1.0 - p, dtype=x.dtype)
        return x * factor, factor
    rng = np.random.default_rng() if rng is None else rng
    keep_scale = 0.0 if p == 1 else (1.0 / (1.0 - p) if scale_at == "train" else 1.0)
    uniform = rng.random(x.shape, dtype=np.float64)
    factor = np.where(uniform >= p, x.dtype.type(keep_scale), x.dtype.type(0))  # 0 or the scale, like x
    return x * factor, factor


def dropout_backward(dout, cache):
    """As solutions/a3_dropout/dropout.py."""
    return dout * cache
