"""Assignment 1: 2-D convolution and max pooling in plain numpy.

Written in a loop-based style: the Python loops run over the kernel taps
(kh, kw) and every loop body works on whole numpy slices, so the code stays
readable and is still quick enough for small images.

Layout is NCHW like PyTorch.  Inputs are never modified.
"""

import numpy as np


# ----------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _pair(value, name, minimum):
    """Turn an int or an (h, w) pair into a tuple of two ints >= minimum."""
    if _is_int(value):
        h = w = int(value)
    elif isinstance(value, (tuple, list, np.ndarray)):
        items = list(np.asarray(value).reshape(-1)) if isinstance(value, np.ndarray) else list(value)
        if len(items) != 2 or not all(_is_int(v) for v in items):
            raise ValueError(f"{name} must be an int or a pair (h, w) of ints, got {value!r}")
        h, w = int(items[0]), int(items[1])
    else:
        raise ValueError(f"{name} must be an int or a pair (h, w) of ints, got {value!r}")
    if h < minimum or w < minimum:
        raise ValueError(f"{name} must be >= {minimum} in both directions, got {value!r}")
    return h, w


def _out_dtype(arr):
    """The dtype a result keeps: the input's own float dtype (float64 otherwise)."""
    if np.issubdtype(arr.dtype, np.floating):
        return arr.dtype
    return np.dtype(np.float64)


def _out_size(size, pad, dil, k, stride):
    return (size + 2 * pad - dil * (k - 1) - 1) // stride + 1


# ----------------------------------------------------------------------------
# convolution
# ----------------------------------------------------------------------------

def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation like torch.nn.functional.conv2d.

    x: (N, C, H, W), w: (F, C // groups, KH, KW), b: (F,) or None.
    Returns (out, cache) with out of shape (N, F, H_out, W_out) in x's dtype.
    """
    x = np.asarray(x)
    w = np.asarray(w)
    if x.ndim != 4:
        raise ValueError(f"x must have 4 dimensions (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"w must have 4 dimensions (F, C // groups, KH, KW), got shape {w.shape}")
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    dh, dw = _pair(dilation, "dilation", 1)
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    groups = int(groups)

    N, C, H, W = x.shape
    F, Cg, KH, KW = w.shape
    if C % groups != 0:
        raise ValueError(f"the {C} input channels of x are not divisible by groups={groups}")
    if F % groups != 0:
        raise ValueError(f"the {F} filters of w are not divisible by groups={groups}")
    if Cg != C // groups:
        raise ValueError(
            f"w has {Cg} input channels per filter but x has {C} channels and groups={groups} "
            f"(expected w.shape[1] == {C // groups})")
    if KH < 1 or KW < 1:
        raise ValueError(f"w has an empty kernel, shape {w.shape}")
    if b is not None:
        b = np.asarray(b)
        if b.shape != (F,):
            raise ValueError(f"b must have shape ({F},) to match w, got {b.shape}")

    Ho = _out_size(H, ph, dh, KH, sh)
    Wo = _out_size(W, pw, dw, KW, sw)
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"kernel of w ({KH}x{KW}, dilation {(dh, dw)}) is larger than the padded input x "
            f"({H + 2 * ph}x{W + 2 * pw} with padding {(ph, pw)})")

    G = groups
    Fg = F // G
    # work in float64 for accuracy, cast back at the end
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=np.float64)
    xp[:, :, ph:ph + H, pw:pw + W] = x
    xp_g = xp.reshape(N, G, Cg, H + 2 * ph, W + 2 * pw)
    w_g = w.astype(np.float64).reshape(G, Fg, Cg, KH, KW)

    out = np.zeros((N, G, Fg, Ho, Wo), dtype=np.float64)
    for kh in range(KH):
        for kw in range(KW):
            h0 = kh * dh
            w0 = kw * dw
            # the input pixels this tap touches, one per output position
            patch = xp_g[:, :, :, h0:h0 + sh * (Ho - 1) + 1:sh, w0:w0 + sw * (Wo - 1) + 1:sw]
            tap = w_g[:, :, :, kh, kw]                      # (G, Fg, Cg)
            out += np.einsum("ngcij,gfc->ngfij", patch, tap)
    out = out.reshape(N, F, Ho, Wo)
    if b is not None:
        out += b.astype(np.float64).reshape(1, F, 1, 1)

    cache = {
        "xp_g": xp_g, "w_g": w_g,
        "x_shape": x.shape, "w_shape": w.shape, "out_shape": (N, F, Ho, Wo),
        "x_dtype": _out_dtype(x), "w_dtype": _out_dtype(w),
        "b_dtype": None if b is None else _out_dtype(b), "has_b": b is not None,
        "stride": (sh, sw), "padding": (ph, pw), "dilation": (dh, dw), "groups": G,
    }
    return out.astype(_out_dtype(x)), cache


def conv2d_backward(dout, cache):
    """Gradients of conv2d_forward: returns (dx, dw, db); db is None without bias."""
    dout = np.asarray(dout)
    N, F, Ho, Wo = cache["out_shape"]
    if dout.shape != (N, F, Ho, Wo):
        raise ValueError(f"dout must have shape {(N, F, Ho, Wo)}, got {dout.shape}")
    _, C, H, W = cache["x_shape"]
    _, Cg, KH, KW = cache["w_shape"]
    sh, sw = cache["stride"]
    ph, pw = cache["padding"]
    dh, dw_ = cache["dilation"]
    G = cache["groups"]
    Fg = F // G
    xp_g = cache["xp_g"]
    w_g = cache["w_g"]

    d = dout.astype(np.float64).reshape(N, G, Fg, Ho, Wo)
    dxp_g = np.zeros(xp_g.shape, dtype=np.float64)
    dw_g = np.zeros(w_g.shape, dtype=np.float64)
    for kh in range(KH):
        for kw in range(KW):
            h0 = kh * dh
            w0 = kw * dw_
            hs = slice(h0, h0 + sh * (Ho - 1) + 1, sh)
            ws = slice(w0, w0 + sw * (Wo - 1) + 1, sw)
            patch = xp_g[:, :, :, hs, ws]                    # (N, G, Cg, Ho, Wo)
            dw_g[:, :, :, kh, kw] = np.einsum("ngfij,ngcij->gfc", d, patch)
            tap = w_g[:, :, :, kh, kw]                       # (G, Fg, Cg)
            dxp_g[:, :, :, hs, ws] += np.einsum("ngfij,gfc->ngcij", d, tap)

    dxp = dxp_g.reshape(N, C, H + 2 * ph, W + 2 * pw)
    dx = dxp[:, :, ph:ph + H, pw:pw + W].astype(cache["x_dtype"])
    dw = dw_g.reshape(cache["w_shape"]).astype(cache["w_dtype"])
    db = None
    if cache["has_b"]:
        db = d.reshape(N, F, Ho, Wo).sum(axis=(0, 2, 3)).astype(cache["b_dtype"])
    return dx, dw, db


# ----------------------------------------------------------------------------
# max pooling
# ----------------------------------------------------------------------------

def maxpool2d_forward(x, kernel_size, stride=None, padding=0):
    """Max pooling like torch.nn.functional.max_pool2d (padding counts as -inf).

    stride defaults to kernel_size.  Returns (out, cache).
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must have 4 dimensions (N, C, H, W), got shape {x.shape}")
    KH, KW = _pair(kernel_size, "kernel_size", 1)
    if stride is None:
        sh, sw = KH, KW
    else:
        sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    if 2 * ph > KH or 2 * pw > KW:
        # PyTorch refuses this too: a window could then lie entirely in the padding
        raise ValueError(
            f"padding {(ph, pw)} must be at most half of kernel_size {(KH, KW)}")

    N, C, H, W = x.shape
    Ho = _out_size(H, ph, 1, KH, sh)
    Wo = _out_size(W, pw, 1, KW, sw)
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"kernel_size {(KH, KW)} is larger than the padded input x "
            f"({H + 2 * ph}x{W + 2 * pw} with padding {(ph, pw)})")

    dtype = _out_dtype(x)
    xp = np.full((N, C, H + 2 * ph, W + 2 * pw), -np.inf, dtype=dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = x

    out = np.full((N, C, Ho, Wo), -np.inf, dtype=dtype)
    best_tap = np.zeros((N, C, Ho, Wo), dtype=np.int64)   # which tap holds the max
    have_real = np.zeros((Ho, Wo), dtype=bool)             # window already saw a real pixel
    rows = np.arange(Ho) * sh
    cols = np.arange(Wo) * sw
    for kh in range(KH):
        for kw in range(KW):
            vals = xp[:, :, kh:kh + sh * (Ho - 1) + 1:sh, kw:kw + sw * (Wo - 1) + 1:sw]
            # is this tap on a real pixel (not in the padding) for each output position?
            r = rows + kh - ph
            c = cols + kw - pw
            real = ((r >= 0) & (r < H))[:, None] & ((c >= 0) & (c < W))[None, :]
            # strictly greater keeps the first maximum; NaN wins like in PyTorch;
            # the first real pixel of a window always replaces the padding
            better = ((vals > out) | np.isnan(vals)) & real
            better = better | (real & ~have_real)
            out = np.where(better, vals, out)
            best_tap = np.where(better, kh * KW + kw, best_tap)
            have_real = have_real | real

    cache = {
        "best_tap": best_tap, "x_shape": x.shape, "out_shape": (N, C, Ho, Wo),
        "kernel": (KH, KW), "stride": (sh, sw), "padding": (ph, pw), "dtype": dtype,
    }
    return out.astype(dtype, copy=False), cache


def maxpool2d_backward(dout, cache):
    """Routes each window's gradient to the position that held its maximum."""
    dout = np.asarray(dout)
    if dout.shape != cache["out_shape"]:
        raise ValueError(f"dout must have shape {cache['out_shape']}, got {dout.shape}")
    N, C, H, W = cache["x_shape"]
    _, _, Ho, Wo = cache["out_shape"]
    KH, KW = cache["kernel"]
    sh, sw = cache["stride"]
    ph, pw = cache["padding"]
    best_tap = cache["best_tap"]

    d = dout.astype(np.float64)
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=np.float64)
    for kh in range(KH):
        for kw in range(KW):
            chosen = best_tap == (kh * KW + kw)
            dxp[:, :, kh:kh + sh * (Ho - 1) + 1:sh, kw:kw + sw * (Wo - 1) + 1:sw] += np.where(chosen, d, 0.0)
    return dxp[:, :, ph:ph + H, pw:pw + W].astype(cache["dtype"])
