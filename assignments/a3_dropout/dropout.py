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
    # YOUR CODE HERE
    raise NotImplementedError("dropout_forward is not implemented yet")


def dropout_backward(dout, cache):
    """Gradient of dropout_forward: the same mask and scale, dx = dout * keep * scale
    (in eval mode: dout * scale).

    Returns:
        dx shaped like dout.
    """
    # YOUR CODE HERE
    raise NotImplementedError("dropout_backward is not implemented yet")
