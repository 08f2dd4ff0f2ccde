"""Dropout in numpy, vectorized.

``p`` is the probability of DROPPING a unit (PyTorch's convention).

* ``scale_at="train"`` (inverted dropout): in training each unit is kept with
  probability ``1 - p`` and kept units are scaled by ``1 / (1 - p)``; eval is
  the identity.
* ``scale_at="test"``: in training kept units are not scaled; eval multiplies
  by ``1 - p``.

``p == 1`` in training gives zeros (never NaN). Inputs are never modified and
outputs keep the dtype of ``x``. The cache is opaque: only ``dropout_backward``
reads it.
"""

import numbers

import numpy as np

__all__ = ["dropout_forward", "dropout_backward"]

_SCALE_AT = ("train", "test")


def _out_dtype(arr):
    return arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.dtype(np.float64)


def dropout_forward(x, p, training=True, rng=None, scale_at="train"):
    """Apply dropout to ``x``. Returns ``(out, cache)``.

    rng: a ``numpy.random.Generator`` (None: a fresh default generator).
    """
    x = np.asarray(x)
    if not isinstance(p, numbers.Real) or isinstance(p, (bool, np.bool_)) \
            or not (0.0 <= p <= 1.0):  # also rejects NaN
        raise ValueError(f"p (the drop probability) must be a number in [0, 1], got {p!r}")
    p = float(p)
    if not isinstance(scale_at, str) or scale_at not in _SCALE_AT:
        raise ValueError(f"scale_at must be 'train' or 'test', got {scale_at!r}")
    if not isinstance(training, (bool, np.bool_)):
        raise ValueError(f"training must be a bool, got {training!r}")
    training = bool(training)
    dt = _out_dtype(x)

    if training:
        if rng is None:
            rng = np.random.default_rng()
        elif not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}")
        # keep with probability 1 - p: u ~ U[0, 1) and u >= p
        mask = rng.random(x.shape) >= p
        if scale_at == "train":
            scale = 1.0 / (1.0 - p) if p < 1.0 else 0.0
        else:
            scale = 1.0
        # multiply only where kept: dropped entries are exactly 0 even if x holds inf/NaN
        out = np.zeros(x.shape, dtype=dt)
        np.multiply(x, dt.type(scale), out=out, where=mask, casting="unsafe")
    else:
        mask = None
        scale = 1.0 if scale_at == "train" else 1.0 - p
        out = x.astype(dt, copy=False) * dt.type(scale)  # always a new array

    cache = (mask, scale, x.shape, dt)
    return out.astype(dt, copy=False), cache


def dropout_backward(dout, cache):
    """Gradient of ``dropout_forward``: the same mask and scale applied to ``dout``."""
    mask, scale, shape, dt = cache
    dout = np.asarray(dout)
    if dout.shape != tuple(shape):
        raise ValueError(f"dout has shape {dout.shape}, expected {tuple(shape)} (the shape of x)")
    d = dout.astype(dt, copy=False)
    if mask is None:
        dx = d * dt.type(scale)
    else:
        dx = np.zeros(d.shape, dtype=dt)
        np.multiply(d, dt.type(scale), out=dx, where=mask)
    return dx.astype(dt, copy=False)
