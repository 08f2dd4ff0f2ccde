"""Assignment 3: dropout in plain numpy.

p is the probability of DROPPING a unit (PyTorch's convention).

scale_at="train" (inverted dropout): training keeps a unit with probability
1 - p and multiplies the kept units by 1 / (1 - p); eval is the identity.
scale_at="test": training only applies the mask; eval multiplies by (1 - p).
"""

import numpy as np


def _float_dtype(arr):
    if np.issubdtype(arr.dtype, np.floating):
        return arr.dtype
    return np.dtype(np.float64)


def dropout_forward(x, p, training=True, rng=None, scale_at="train"):
    """Returns (out, cache); out has x's shape and dtype."""
    x = np.asarray(x)
    if isinstance(p, (bool, np.bool_)):
        raise ValueError(f"p must be a number in [0, 1], got {p!r}")
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise ValueError(f"p must be a number in [0, 1], got {p!r}") from None
    if not (0.0 <= p <= 1.0):          # also catches NaN
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    if scale_at not in ("train", "test"):
        raise ValueError(f"scale_at must be 'train' or 'test', got {scale_at!r}")

    dtype = _float_dtype(x)
    keep = 1.0 - p
    if training:
        if rng is None:
            rng = np.random.default_rng()
        # keep a unit when its uniform draw falls below the keep probability
        mask = rng.random(x.shape) < keep
        if scale_at == "train":
            scale = 0.0 if keep == 0.0 else 1.0 / keep   # p == 1: all zeros, no NaN
        else:
            scale = 1.0
        multiplier = mask * scale
    else:
        mask = None
        scale = 1.0 if scale_at == "train" else keep
        multiplier = scale

    out = (x.astype(np.float64) * multiplier).astype(dtype)
    cache = {"multiplier": multiplier, "mask": mask, "scale": scale,
             "shape": x.shape, "dtype": dtype, "p": p, "training": bool(training),
             "scale_at": scale_at}
    return out, cache


def dropout_backward(dout, cache):
    """dx = dout times the same mask and scale that the forward used."""
    dout = np.asarray(dout)
    if dout.shape != cache["shape"]:
        raise ValueError(f"dout must have shape {cache['shape']}, got {dout.shape}")
    return (dout.astype(np.float64) * cache["multiplier"]).astype(cache["dtype"])
