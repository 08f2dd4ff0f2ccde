"""Assignment 3: dropout, forward and backward, in numpy.

Read handouts/a3_dropout.md first. ``p`` is the probability of DROPPING a unit (PyTorch's
convention; CS231n's notes use the keep probability instead). Two ways to keep the expected
activation the same in training and at test time:

    scale_at="train" (inverted dropout, what PyTorch does): training keeps each unit with
        probability 1 - p and multiplies the kept ones by 1 / (1 - p); eval is the identity.
    scale_at="test" (the original paper): training keeps units unscaled; eval multiplies
        every unit by 1 - p.

Run the visible tests with:  pytest assignments/a3_dropout
"""

import numpy as np


def dropout_forward(x, p, training=True, rng=None, scale_at="train"):
    """Dropout (Srivastava et al., 2014).

        training:  keep ~ Bernoulli(1 - p) per unit;  out = x * keep * scale
                   scale = 1 / (1 - p) if scale_at == "train" else 1
        eval:      out = x                    if scale_at == "train"
                   out = x * (1 - p)          if scale_at == "test"

    Args:
        x: any shape, float32 or float64.
        p: probability of dropping each unit, 0 <= p <= 1. p == 1 in training gives zeros
            (never NaN); p == 0 keeps everything.
        training: draw a mask (True) or not (False).
        rng: a numpy.random.Generator to draw the mask from; None means a fresh default one.
        scale_at: "train" or "test", where the scaling happens.

    Returns:
        out shaped like x, and a cache for dropout_backward (the mask and the scale).

    Raises:
        ValueError, with a message that names the argument (p or scale_at), for: p outside
        [0, 1]; scale_at other than "train" or "test".

    See handouts/a3_dropout.md, sections 1-3.
    """
    ### BEGIN SOLUTION
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1] (the probability of dropping a unit), got {p!r}")
    if scale_at not in ("train", "test"):
        raise ValueError(f"scale_at must be 'train' or 'test', got {scale_at!r}")
    if not training:
        scale = 1.0 if scale_at == "train" else 1.0 - p
        factor = np.asarray(scale, dtype=x.dtype)  # a scalar: the same for every unit
    else:
        rng = np.random.default_rng() if rng is None else rng
        keep = rng.random(x.shape) >= p  # True with probability 1 - p
        scale = (1.0 / (1.0 - p) if p < 1 else 0.0) if scale_at == "train" else 1.0  # p == 1: no 1/0
        factor = keep.astype(x.dtype) * x.dtype.type(scale)  # like x: 0 or scale
    return x * factor, factor
    ### END SOLUTION


def dropout_backward(dout, cache):
    """Gradient of dropout_forward: the same mask and scale, dx = dout * keep * scale
    (in eval mode: dout * scale).

    Returns:
        dx shaped like dout.
    """
    ### BEGIN SOLUTION
    factor = cache
    return dout * factor
    ### END SOLUTION
