"""2-D convolution and max pooling in numpy (NCHW), vectorized.

The forward passes build an im2col view with
``numpy.lib.stride_tricks.sliding_window_view`` and reduce it with one batched
matrix product; the backward passes use batched matrix products as well and
scatter the column gradients back with a loop over the (few) kernel offsets
only, or with a single ``bincount`` for max pooling. No Python loop ever runs
over output positions.

Conventions: inputs may be float32 or float64 and may be non-contiguous
views; outputs keep the dtype of ``x``; inputs are never modified. Caches are
opaque tuples meant only for the matching backward function.
"""

import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "conv2d_forward",
    "conv2d_backward",
    "maxpool2d_forward",
    "maxpool2d_backward",
]


# ---------------------------------------------------------------------------
# argument helpers
# ---------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _pair(value, name, minimum):
    """Turn an int or an (h, w) pair into a tuple of two ints >= minimum."""
    if _is_int(value):
        pair = (int(value), int(value))
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise ValueError(
                f"{name} must be an int or a pair (h, w) of ints, got {value!r}"
            ) from None
        if len(items) != 2 or not all(_is_int(v) for v in items):
            raise ValueError(
                f"{name} must be an int or a pair (h, w) of ints, got {value!r}"
            )
        pair = (int(items[0]), int(items[1]))
    if pair[0] < minimum or pair[1] < minimum:
        raise ValueError(f"{name} must be >= {minimum} in both dimensions, got {value!r}")
    return pair


def _float_dtype(*dtypes):
    """Result floating dtype of the given dtypes (integers promote to float64)."""
    dt = np.result_type(*dtypes)
    if not np.issubdtype(dt, np.floating):
        dt = np.result_type(dt, np.float64)
    return dt


def _out_dtype(arr):
    return arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.dtype(np.float64)


def _check_dout(dout, expected_shape):
    dout = np.asarray(dout)
    if dout.shape != tuple(expected_shape):
        raise ValueError(
            f"dout has shape {dout.shape}, expected the forward output shape "
            f"{tuple(expected_shape)}"
        )
    return dout


# ---------------------------------------------------------------------------
# convolution
# ---------------------------------------------------------------------------

def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation like ``torch.nn.functional.conv2d``.

    x: (N, C, H, W); w: (F, C // groups, KH, KW); b: (F,) or None.
    Returns ``(out, cache)`` with out of shape (N, F, OH, OW) where
    ``OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1`` (likewise OW).
    """
    x = np.asarray(x)
    w = np.asarray(w)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"w must have shape (F, C // groups, KH, KW), got shape {w.shape}")
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    dh, dw_ = _pair(dilation, "dilation", 1)
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"groups must be a positive int, got {groups!r}")
    groups = int(groups)

    N, C, H, W = x.shape
    F, Cg, KH, KW = w.shape
    if C % groups != 0:
        raise ValueError(f"x has {C} channels, which groups={groups} does not divide")
    if F % groups != 0:
        raise ValueError(f"w has {F} filters, which groups={groups} does not divide")
    if Cg != C // groups:
        raise ValueError(
            f"w has {Cg} input channels per filter but x has {C} channels and "
            f"groups={groups} (expected w.shape[1] == {C // groups})"
        )
    if KH < 1 or KW < 1:
        raise ValueError(f"w has an empty kernel, shape {w.shape}")
    if b is not None:
        b = np.asarray(b)
        if b.shape != (F,):
            raise ValueError(f"b must have shape ({F},) to match w, got shape {b.shape}")

    KHe = dh * (KH - 1) + 1  # extent of the dilated kernel
    KWe = dw_ * (KW - 1) + 1
    Hp, Wp = H + 2 * ph, W + 2 * pw
    if KHe > Hp or KWe > Wp:
        raise ValueError(
            f"kernel (w spatial size {(KH, KW)} with dilation {(dh, dw_)}) is larger "
            f"than the padded input x ({Hp}, {Wp}) with padding {(ph, pw)}"
        )
    OH = (Hp - KHe) // sh + 1
    OW = (Wp - KWe) // sw + 1

    cdt = _float_dtype(x.dtype, w.dtype, *(() if b is None else (b.dtype,)))
    G, Fg, K, L = groups, F // groups, Cg * KH * KW, OH * OW

    xp = np.pad(x.astype(cdt, copy=False), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    # (N, C, Hp-KHe+1, Wp-KWe+1, KHe, KWe) -> keep every stride-th window and
    # every dilation-th tap: (N, C, OH, OW, KH, KW)
    win = sliding_window_view(xp, (KHe, KWe), axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw_]
    # im2col with the batch folded into the columns: (G, Cg*KH*KW, N*OH*OW);
    # this reshape materializes the columns once
    cols = (
        win.reshape(N, G, Cg, OH, OW, KH, KW)
        .transpose(1, 2, 5, 6, 0, 3, 4)
        .reshape(G, K, N * L)
    )
    wm = np.array(w, dtype=cdt).reshape(G, Fg, K)  # private copy, kept in the cache
    # one GEMM per group: (G, Fg, K) @ (G, K, N*L) -> (G, Fg, N*L)
    out = np.matmul(wm, cols).reshape(F, N, OH, OW).transpose(1, 0, 2, 3)
    if b is not None:
        out = out + b.astype(cdt, copy=False)[None, :, None, None]
    out = np.ascontiguousarray(out, dtype=_out_dtype(x))

    meta = dict(
        x_shape=x.shape, w_shape=w.shape, x_dtype=_out_dtype(x), w_dtype=_out_dtype(w),
        b_dtype=None if b is None else _out_dtype(b), has_b=b is not None,
        stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw_), groups=groups,
        out_shape=(N, F, OH, OW), cdt=cdt,
    )
    cache = (cols, wm, meta)
    return out, cache


def conv2d_backward(dout, cache):
    """Gradients of ``conv2d_forward``: returns ``(dx, dw, db)``; db is None without bias."""
    cols, wm, m = cache
    dout = _check_dout(dout, m["out_shape"])
    N, C, H, W = m["x_shape"]
    F, Cg, KH, KW = m["w_shape"]
    _, _, OH, OW = m["out_shape"]
    sh, sw = m["stride"]
    ph, pw = m["padding"]
    dh, dw_ = m["dilation"]
    G = m["groups"]
    Fg, K, L = F // G, Cg * KH * KW, OH * OW
    cdt = m["cdt"]

    d = dout.astype(cdt, copy=False)

    db = None
    if m["has_b"]:
        db = d.sum(axis=(0, 2, 3)).astype(m["b_dtype"], copy=False)

    # (N, F, OH, OW) -> (G, Fg, N*L), the layout of the forward's product
    d_g = d.transpose(1, 0, 2, 3).reshape(G, Fg, N * L)
    # dw[g] = d_g[g] @ cols[g]^T (sums over batch and positions in one GEMM)
    dw = np.matmul(d_g, cols.transpose(0, 2, 1))
    dw = dw.reshape(F, Cg, KH, KW).astype(m["w_dtype"], copy=False)

    # column gradients (G, K, N*L), then col2im: scatter-add each kernel tap's slab
    dcols = np.matmul(wm.transpose(0, 2, 1), d_g)
    dcols = dcols.reshape(C, KH, KW, N, OH, OW)
    Hp, Wp = H + 2 * ph, W + 2 * pw
    dxp = np.zeros((N, C, Hp, Wp), dtype=cdt)
    h_span = sh * (OH - 1) + 1
    w_span = sw * (OW - 1) + 1
    for i in range(KH):  # loops over kernel taps only, never over output positions
        r0 = i * dh
        for j in range(KW):
            c0 = j * dw_
            dxp[:, :, r0:r0 + h_span:sh, c0:c0 + w_span:sw] += dcols[:, i, j].transpose(1, 0, 2, 3)
    dx = dxp[:, :, ph:ph + H, pw:pw + W].astype(m["x_dtype"], copy=True)
    return dx, dw, db


# ---------------------------------------------------------------------------
# max pooling
# ---------------------------------------------------------------------------

def maxpool2d_forward(x, kernel_size, stride=None, padding=0):
    """Max pooling like ``torch.nn.functional.max_pool2d`` (padding with -inf).

    ``stride`` defaults to ``kernel_size``. Returns ``(out, cache)``.
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got shape {x.shape}")
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    if stride is None:
        sh, sw = kh, kw
    else:
        sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(
            f"padding {(ph, pw)} must be at most half of kernel_size {(kh, kw)}"
        )
    N, C, H, W = x.shape
    Hp, Wp = H + 2 * ph, W + 2 * pw
    if kh > Hp or kw > Wp:
        raise ValueError(
            f"kernel_size {(kh, kw)} is larger than the padded input x ({Hp}, {Wp}) "
            f"with padding {(ph, pw)}"
        )
    OH = (Hp - kh) // sh + 1
    OW = (Wp - kw) // sw + 1

    odt = _out_dtype(x)
    xp = np.pad(x.astype(odt, copy=False), ((0, 0), (0, 0), (ph, ph), (pw, pw)),
                constant_values=-np.inf)
    win = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    win = win.reshape(N, C, OH, OW, kh * kw)  # (N, C, OH, OW, kh*kw)
    arg = np.argmax(win, axis=-1)  # first maximum (a NaN counts as the maximum)
    out = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]

    # flat index of each chosen element inside the padded (N*C, Hp, Wp) array
    rows = np.arange(OH)[:, None] * sh + arg // kw  # (N, C, OH, OW)
    colsi = np.arange(OW)[None, :] * sw + arg % kw
    nc = np.arange(N * C).reshape(N, C, 1, 1)
    flat = (nc * Hp + rows) * Wp + colsi

    meta = dict(x_shape=x.shape, padded=(Hp, Wp), padding=(ph, pw),
                out_shape=(N, C, OH, OW), dtype=odt)
    cache = (flat, meta)
    return out.astype(odt, copy=False), cache


def maxpool2d_backward(dout, cache):
    """Gradient of ``maxpool2d_forward``: each window's gradient goes to its argmax."""
    flat, m = cache
    dout = _check_dout(dout, m["out_shape"])
    N, C, H, W = m["x_shape"]
    Hp, Wp = m["padded"]
    ph, pw = m["padding"]
    # one scatter-add for all windows (overlapping windows accumulate)
    acc = np.bincount(flat.ravel(), weights=dout.astype(np.float64).ravel(),
                      minlength=N * C * Hp * Wp)
    dxp = acc.reshape(N, C, Hp, Wp)
    return dxp[:, :, ph:ph + H, pw:pw + W].astype(m["dtype"], copy=True)
