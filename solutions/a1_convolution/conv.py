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
    ### BEGIN SOLUTION
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    dh, dw = _pair(dilation, "dilation")
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"w must be (F, C // groups, KH, KW), got shape {w.shape}")
    if min(sh, sw, dh, dw) < 1 or min(ph, pw) < 0:
        raise ValueError("stride and dilation must be >= 1 and padding >= 0")
    N, C, H, W = x.shape
    F, Cg, KH, KW = w.shape
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    if C % groups or F % groups:
        raise ValueError(f"groups={groups} must divide C={C} and F={F}")
    if Cg != C // groups:
        raise ValueError(f"w has {Cg} input channels, expected C // groups = {C // groups}")
    if b is not None and b.shape != (F,):
        raise ValueError(f"b must have shape ({F},), got {b.shape}")
    OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    if OH < 1 or OW < 1:
        raise ValueError(f"the kernel (dilated) is larger than the padded input {x.shape}")

    Fg = F // groups
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # (N, C, H + 2ph, W + 2pw)
    out = np.zeros((N, F, OH, OW), dtype=x.dtype)  # (N, F, OH, OW)
    for g in range(groups):
        xg = x_pad[:, g * Cg:(g + 1) * Cg]  # (N, Cg, Hp, Wp): this group's channels
        wg = w[g * Fg:(g + 1) * Fg]  # (Fg, Cg, KH, KW): this group's filters
        for u in range(KH):
            for v in range(KW):
                # every output position sees input (i*sh + u*dh, j*sw + v*dw) through tap (u, v)
                patch = xg[:, :, u * dh:u * dh + sh * (OH - 1) + 1:sh,
                           v * dw:v * dw + sw * (OW - 1) + 1:sw]  # (N, Cg, OH, OW)
                out[:, g * Fg:(g + 1) * Fg] += np.einsum("nchw,fc->nfhw", patch, wg[:, :, u, v])
    if b is not None:
        out += b.astype(x.dtype)[None, :, None, None]
    cache = (x_pad, w, b is not None, (sh, sw), (ph, pw), (dh, dw), groups)
    return out, cache
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    x_pad, w, has_bias, (sh, sw), (ph, pw), (dh, dw), groups = cache
    N, C, Hp, Wp = x_pad.shape
    F, Cg, KH, KW = w.shape
    _, _, OH, OW = dout.shape
    Fg = F // groups
    dx_pad = np.zeros_like(x_pad)  # (N, C, Hp, Wp)
    dw_ = np.zeros_like(w)  # (F, Cg, KH, KW)
    for g in range(groups):
        xg = x_pad[:, g * Cg:(g + 1) * Cg]  # (N, Cg, Hp, Wp)
        dxg = dx_pad[:, g * Cg:(g + 1) * Cg]  # (N, Cg, Hp, Wp), a view: writes land in dx_pad
        wg = w[g * Fg:(g + 1) * Fg]  # (Fg, Cg, KH, KW)
        doutg = dout[:, g * Fg:(g + 1) * Fg]  # (N, Fg, OH, OW)
        for u in range(KH):
            for v in range(KW):
                rows = slice(u * dh, u * dh + sh * (OH - 1) + 1, sh)
                cols = slice(v * dw, v * dw + sw * (OW - 1) + 1, sw)
                patch = xg[:, :, rows, cols]  # (N, Cg, OH, OW)
                dw_[g * Fg:(g + 1) * Fg, :, u, v] = np.einsum("nfhw,nchw->fc", doutg, patch)
                dxg[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", doutg, wg[:, :, u, v])
    dx = dx_pad[:, :, ph:Hp - ph, pw:Wp - pw]  # (N, C, H, W)
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None  # (F,)
    return dx, dw_, db
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    KH, KW = _pair(kernel_size, "kernel_size")
    sh, sw = (KH, KW) if stride is None else _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    if min(KH, KW, sh, sw) < 1 or min(ph, pw) < 0:
        raise ValueError("kernel_size and stride must be >= 1 and padding >= 0")
    if 2 * ph > KH or 2 * pw > KW:
        raise ValueError(f"padding {(ph, pw)} must be at most half of kernel_size {(KH, KW)}")
    N, C, H, W = x.shape
    OH = (H + 2 * ph - KH) // sh + 1
    OW = (W + 2 * pw - KW) // sw + 1
    if OH < 1 or OW < 1:
        raise ValueError(f"kernel_size {(KH, KW)} is larger than the padded input {x.shape}")

    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    # one strided view per kernel tap, stacked: windows[u*KW + v] is tap (u, v) of every window
    windows = np.stack([
        x_pad[:, :, u:u + sh * (OH - 1) + 1:sh, v:v + sw * (OW - 1) + 1:sw]
        for u in range(KH) for v in range(KW)
    ])  # (KH*KW, N, C, OH, OW)
    argmax = windows.argmax(axis=0)  # (N, C, OH, OW): which tap won each window
    out = np.take_along_axis(windows, argmax[None], axis=0)[0]  # (N, C, OH, OW)
    cache = (x.shape, x.dtype, argmax, (KH, KW), (sh, sw), (ph, pw))
    return out, cache
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    x_shape, dtype, argmax, (KH, KW), (sh, sw), (ph, pw) = cache
    N, C, H, W = x_shape
    _, _, OH, OW = dout.shape
    dx_pad = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=dtype)  # (N, C, Hp, Wp)
    for u in range(KH):
        for v in range(KW):
            won = argmax == u * KW + v  # (N, C, OH, OW): windows whose max sits at tap (u, v)
            # overlapping windows (stride < kernel) may send gradient to the same position: +=
            dx_pad[:, :, u:u + sh * (OH - 1) + 1:sh, v:v + sw * (OW - 1) + 1:sw] += dout * won
    return dx_pad[:, :, ph:ph + H, pw:pw + W]  # (N, C, H, W)
    ### END SOLUTION
