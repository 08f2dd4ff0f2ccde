"""Assignment 1: 2-D convolution and max-pooling, forward and backward, in numpy.

Read handouts/a1_convolution.md first. Every function here works on NCHW arrays exactly like
torch.nn.functional.conv2d / max_pool2d, keeps the input dtype (float32 stays float32) and
never modifies its inputs.

Forward functions return ``(out, cache)``; the matching backward takes ``(dout, cache)``.
What you put in the cache is up to you: only your own backward reads it.

Run the visible tests with:  pytest assignments/a1_convolution
"""

import numpy as np


def _pair(value, name):
    """Turn an int or an (h, w) pair into a pair of ints; ValueError names the argument."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, (int, np.integer)) for v in value
    ):
        return int(value[0]), int(value[1])
    raise ValueError(f"{name} must be an int or a pair (h, w) of ints, got {value!r}")


def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, exactly torch.nn.functional.conv2d (no kernel flip).

        out[n, f, i, j] = b[f] + sum_{c, u, v} w[f, c, u, v]
                                 * x_pad[n, g*C/groups + c, i*sh + u*dh, j*sw + v*dw]
        where g = f // (F / groups) is the group of filter f.

    Args:
        x: input, (N, C, H, W).
        w: filters, (F, C // groups, KH, KW).
        b: bias, (F,), or None for no bias.
        stride, padding, dilation: int or pair (h, w). Padding adds zeros on both sides.
        groups: C and F are split into `groups` independent convolutions.

    Returns:
        out: (N, F, OH, OW) with OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1 (same for OW).
        cache: whatever conv2d_backward needs.

    Raises:
        ValueError, with a message that names an argument involved (x, w, b, stride, padding,
        dilation or groups; "kernel" is fine too), for: x or w not 4-D; C or F not divisible
        by groups; w's second axis not C // groups; b not of shape (F,); stride or dilation
        < 1; padding < 0; a (dilated) kernel larger than the padded input.

    See handouts/a1_convolution.md, sections 1-3 and 5.
    """
    # YOUR CODE HERE
    raise NotImplementedError("conv2d_forward is not implemented yet")


def conv2d_backward(dout, cache):
    """Gradients of conv2d_forward.

        dx_pad[n, c, i*sh + u*dh, j*sw + v*dw] += w[f, c, u, v] * dout[n, f, i, j]
        dw[f, c, u, v] = sum_{n, i, j} x_pad[n, c, i*sh + u*dh, j*sw + v*dw] * dout[n, f, i, j]
        db[f] = sum_{n, i, j} dout[n, f, i, j]
    (channels c and filters f within the same group), then dx drops the padding.

    Args:
        dout: upstream gradient, (N, F, OH, OW).
        cache: from conv2d_forward.

    Returns:
        (dx, dw, db) shaped like x, w and b; db is None when the forward had no bias.

    See handouts/a1_convolution.md, section 4.
    """
    # YOUR CODE HERE
    raise NotImplementedError("conv2d_backward is not implemented yet")


def maxpool2d_forward(x, kernel_size, stride=None, padding=0):
    """2-D max-pooling, exactly torch.nn.functional.max_pool2d.

        out[n, c, i, j] = max_{u, v} x_pad[n, c, i*sh + u, j*sw + v]
    where x_pad pads with -inf (a padded position never wins).

    Args:
        x: input, (N, C, H, W).
        kernel_size: int or pair (KH, KW).
        stride: int or pair; None means stride = kernel_size.
        padding: int or pair, at most half the kernel size (as PyTorch).

    Returns:
        out: (N, C, OH, OW) with OH = (H + 2*ph - KH) // sh + 1.
        cache: whatever maxpool2d_backward needs.

    Raises:
        ValueError, with a message that names an argument involved (x, kernel_size, stride or
        padding), for: x not 4-D; kernel_size or stride < 1; padding < 0 or more than half
        the kernel size; a kernel larger than the padded input.

    See handouts/a1_convolution.md, section 6.
    """
    # YOUR CODE HERE
    raise NotImplementedError("maxpool2d_forward is not implemented yet")


def maxpool2d_backward(dout, cache):
    """Gradient of maxpool2d_forward: each window's gradient goes to the one position that
    held its maximum (the first one, when several tie), every other position gets 0.

        dx[n, c, i*sh + u*, j*sw + v*] += dout[n, c, i, j],  (u*, v*) = argmax of the window

    Args:
        dout: upstream gradient, (N, C, OH, OW).
        cache: from maxpool2d_forward.

    Returns:
        dx, shaped like x.
    """
    # YOUR CODE HERE
    raise NotImplementedError("maxpool2d_backward is not implemented yet")
