"""a4_residual: ResNet basic and bottleneck blocks in numpy (forward and backward).

Parameters are dicts of numpy arrays keyed like the ``state_dict()`` of torchvision's
``BasicBlock`` / ``Bottleneck`` (convolutions without bias):

    conv1.weight, bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var,
    conv2.weight, bn2.*, (conv3.weight, bn3.* for the bottleneck),
    downsample.0.weight (1x1 conv, stride s), downsample.1.* (its batchnorm).

Every convolution is an im2col + batched matrix product; nothing loops over pixels.
Batchnorm uses momentum 0.1 and eps 1e-5; in training the running statistics are
updated in place, exactly as PyTorch does (unbiased variance in the running average).
"""

from collections.abc import Mapping
from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "basic_block_forward",
    "basic_block_backward",
    "bottleneck_block_forward",
    "bottleneck_block_backward",
]

_MOMENTUM = 0.1
_EPS = 1e-5
_SHORTCUTS = ("A", "B", "C")
_BN_TRAINABLE = ("weight", "bias")
_BN_STATS = ("running_mean", "running_var")


# --------------------------------------------------------------------------- helpers


def _pair(value, name):
    """An int or an (h, w) pair of positive ints -> (h, w)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a positive int or a pair of positive ints, got {value!r}")
    if isinstance(value, Integral):
        pair = (int(value), int(value))
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise ValueError(
                f"{name} must be a positive int or a pair of positive ints, got {value!r}"
            ) from None
        if len(items) != 2 or not all(
            isinstance(v, Integral) and not isinstance(v, (bool, np.bool_)) for v in items
        ):
            raise ValueError(f"{name} must be a positive int or a pair of positive ints, got {value!r}")
        pair = (int(items[0]), int(items[1]))
    if pair[0] < 1 or pair[1] < 1:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return pair


def _compute_dtype(x):
    """Floating inputs keep their dtype; anything else is computed in float64."""
    if np.issubdtype(x.dtype, np.floating):
        return x.dtype
    if np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
        return np.dtype(np.float64)
    raise ValueError(f"x must be a real-valued array, got dtype {x.dtype}")


def _check_x(x):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got shape {x.shape}")
    dtype = _compute_dtype(x)
    return x, dtype


def _check_params(params):
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a dict of numpy arrays, got {type(params).__name__}")


def _get(params, key):
    if key not in params:
        raise ValueError(f"params is missing the key {key!r}")
    value = params[key]
    if value is None:
        raise ValueError(f"params[{key!r}] is None")
    return value


def _conv_weight(params, key, in_channels, kernel, dtype, groups=None):
    """Validate a conv weight (F, C_in // groups, KH, KW); return it in `dtype` and groups."""
    w = np.asarray(_get(params, key))
    if w.ndim != 4:
        raise ValueError(f"params[{key!r}] must have shape (F, C, KH, KW), got {w.shape}")
    if tuple(w.shape[2:]) != (kernel, kernel):
        raise ValueError(
            f"params[{key!r}] must be a {kernel}x{kernel} kernel, got shape {w.shape}"
        )
    if w.shape[0] < 1 or w.shape[1] < 1:
        raise ValueError(f"params[{key!r}] has an empty shape {w.shape}")
    if groups is None:
        if w.shape[1] != in_channels:
            raise ValueError(
                f"channel mismatch: params[{key!r}] expects {w.shape[1]} input channels "
                f"but x gives {in_channels}"
            )
        groups = 1
    else:
        # groups inferred from the weight (torchvision Bottleneck with groups > 1)
        if in_channels % w.shape[1] != 0:
            raise ValueError(
                f"channel mismatch: params[{key!r}] has {w.shape[1]} input channels per group, "
                f"which does not divide the {in_channels} channels it receives"
            )
        groups = in_channels // w.shape[1]
        if w.shape[0] % groups != 0:
            raise ValueError(
                f"params[{key!r}]: {w.shape[0]} output channels are not divisible by "
                f"groups={groups}"
            )
    if not np.issubdtype(w.dtype, np.number):
        raise ValueError(f"params[{key!r}] must be numeric, got dtype {w.dtype}")
    return w.astype(dtype, copy=False), groups


def _bn_params(params, prefix, channels, dtype, training):
    """Validate a batchnorm's four arrays; gamma/beta converted to `dtype`."""
    out = {}
    for name in _BN_TRAINABLE + _BN_STATS:
        key = f"{prefix}.{name}"
        arr = _get(params, key)
        if name in _BN_STATS:
            if not isinstance(arr, np.ndarray):
                raise ValueError(f"params[{key!r}] must be a numpy array (updated in place)")
            if training and not arr.flags.writeable:
                raise ValueError(f"params[{key!r}] must be writeable (updated in place in training)")
            if not np.issubdtype(arr.dtype, np.floating):
                raise ValueError(f"params[{key!r}] must be a floating array, got {arr.dtype}")
        else:
            arr = np.asarray(arr)
            if not np.issubdtype(arr.dtype, np.number):
                raise ValueError(f"params[{key!r}] must be numeric, got dtype {arr.dtype}")
        if arr.shape != (channels,):
            raise ValueError(
                f"params[{key!r}] must have shape ({channels},), got {arr.shape}"
            )
        out[name] = arr if name in _BN_STATS else arr.astype(dtype, copy=False)
    return out


# --- convolution (im2col + batched matmul) ---------------------------------------


def _per_group(fn, G):
    """Stack fn(g) over the groups (no copy through np.stack when there is one group)."""
    if G == 1:
        return fn(0)[None]
    return np.stack([fn(g) for g in range(G)])


def _conv_forward(x, w, stride, padding, groups):
    N, C, H, W = x.shape
    F, Cg, KH, KW = w.shape
    G = groups
    sh, sw = stride
    ph, pw = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if (ph or pw) else x
    Hp, Wp = H + 2 * ph, W + 2 * pw
    if Hp < KH or Wp < KW:
        raise ValueError(f"kernel ({KH}x{KW}) larger than the padded input x ({Hp}x{Wp})")
    OH = (Hp - KH) // sh + 1
    OW = (Wp - KW) // sw + 1
    win = sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::sh, ::sw]  # N,C,OH,OW,KH,KW
    cols = (
        win.reshape(N, G, Cg, OH, OW, KH, KW)
        .transpose(1, 0, 3, 4, 2, 5, 6)
        .reshape(G, N * OH * OW, Cg * KH * KW)
    )
    wm = w.reshape(G, F // G, Cg * KH * KW)
    # one 2-D BLAS product per group (groups is 1 except for grouped bottlenecks)
    out = _per_group(lambda g: cols[g] @ wm[g].T, G)  # G, M, F/G
    out = out.reshape(G, N, OH, OW, F // G).transpose(1, 0, 4, 2, 3).reshape(N, F, OH, OW)
    cache = (cols, wm, x.shape, w.shape, stride, padding, groups, (OH, OW))
    return np.ascontiguousarray(out), cache


def _conv_backward(dout, cache):
    cols, wm, xshape, wshape, stride, padding, G, (OH, OW) = cache
    N, C, H, W = xshape
    F, Cg, KH, KW = wshape
    sh, sw = stride
    ph, pw = padding
    d = dout.reshape(N, G, F // G, OH, OW).transpose(1, 0, 3, 4, 2).reshape(G, N * OH * OW, F // G)
    # (cols^T d)^T rather than d^T cols: same numbers, much faster in OpenBLAS for small F
    dw = _per_group(lambda g: (cols[g].T @ d[g]).T, G).reshape(F, Cg, KH, KW)
    dcols = _per_group(lambda g: d[g] @ wm[g], G)  # G, M, Cg*KH*KW
    dcols = (
        dcols.reshape(G, N, OH, OW, Cg, KH, KW)
        .transpose(5, 6, 1, 0, 4, 2, 3)
        .reshape(KH, KW, N, C, OH, OW)
    )
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=dout.dtype)
    # col2im: one vectorized scatter per kernel offset (KH*KW of them), never per pixel
    for i in range(KH):
        for j in range(KW):
            dxp[:, :, i : i + sh * (OH - 1) + 1 : sh, j : j + sw * (OW - 1) + 1 : sw] += dcols[i, j]
    dx = dxp[:, :, ph : ph + H, pw : pw + W] if (ph or pw) else dxp
    return np.ascontiguousarray(dx), dw


# --- batchnorm (per channel over N, H, W) ---------------------------------------------


def _bn_forward(x, bn, training):
    gamma, beta = bn["weight"], bn["bias"]
    rm, rv = bn["running_mean"], bn["running_var"]
    N, C, H, W = x.shape
    n = N * H * W
    dtype = x.dtype
    if training:
        if n <= 1:
            raise ValueError(
                f"x: expected more than 1 value per channel when training, got input of "
                f"size {x.shape}"
            )
        mean = x.mean(axis=(0, 2, 3))
        xc = x - mean[None, :, None, None]
        var = (xc * xc).mean(axis=(0, 2, 3))
        inv_std = (1.0 / np.sqrt(var + dtype.type(_EPS))).astype(dtype, copy=False)
        xhat = xc * inv_std[None, :, None, None]
        # PyTorch: running stats use the unbiased batch variance; updated in place
        m = _MOMENTUM
        new_rm = (1.0 - m) * rm + m * mean.astype(rm.dtype)
        new_rv = (1.0 - m) * rv + m * (var.astype(rv.dtype) * (n / (n - 1)))
        rm[...] = new_rm
        rv[...] = new_rv
    else:
        mu = rm.astype(dtype, copy=False)
        inv_std = (1.0 / np.sqrt(rv.astype(dtype, copy=False) + dtype.type(_EPS))).astype(
            dtype, copy=False
        )
        xhat = (x - mu[None, :, None, None]) * inv_std[None, :, None, None]
    out = xhat * gamma[None, :, None, None] + beta[None, :, None, None]
    return out, (xhat, gamma, inv_std, bool(training))


def _bn_backward(dout, cache):
    xhat, gamma, inv_std, training = cache
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * xhat).sum(axis=(0, 2, 3))
    dxhat = dout * gamma[None, :, None, None]
    if training:
        mean_d = dxhat.mean(axis=(0, 2, 3))[None, :, None, None]
        mean_dx = (dxhat * xhat).mean(axis=(0, 2, 3))[None, :, None, None]
        dx = (dxhat - mean_d - xhat * mean_dx) * inv_std[None, :, None, None]
    else:
        dx = dxhat * inv_std[None, :, None, None]
    return dx, dgamma, dbeta


# --- conv + bn unit ----------------------------------------------------------------------


def _conv_bn_forward(x, w, groups, bn, stride, padding, training):
    h, conv_cache = _conv_forward(x, w, stride, padding, groups)
    out, bn_cache = _bn_forward(h, bn, training)
    return out, (conv_cache, bn_cache)


def _conv_bn_backward(dout, cache):
    conv_cache, bn_cache = cache
    dh, dgamma, dbeta = _bn_backward(dout, bn_cache)
    dx, dw = _conv_backward(dh, conv_cache)
    return dx, dw, dgamma, dbeta


# --- shortcut ----------------------------------------------------------------------------


def _check_shortcut(shortcut):
    if not isinstance(shortcut, str) or shortcut not in _SHORTCUTS:
        raise ValueError(f"shortcut must be one of 'A', 'B', 'C', got {shortcut!r}")


def _check_training(training):
    if not isinstance(training, (bool, np.bool_, Integral)):
        raise ValueError(f"training must be a bool, got {training!r}")
    return bool(training)


def _plan_shortcut(params, shortcut, stride, in_channels, out_channels, dtype, training):
    """Decide the shortcut kind ('identity', 'pad' or 'proj') and validate what it needs."""
    same = stride == (1, 1) and in_channels == out_channels
    if shortcut == "A":
        if same:
            return "identity", None
        if out_channels < in_channels:
            raise ValueError(
                f"shortcut 'A' cannot map {in_channels} input channels onto {out_channels} "
                f"output channels (it only appends zero channels); use shortcut 'B' or 'C'"
            )
        return "pad", None
    if shortcut == "B" and same:
        return "identity", None
    # projection: "B" with a shape change, or "C"
    w, _ = _conv_weight(params, "downsample.0.weight", in_channels, 1, dtype)
    if w.shape[0] != out_channels:
        raise ValueError(
            f"params['downsample.0.weight'] must have {out_channels} output channels "
            f"(the block's output), got shape {w.shape}"
        )
    bn = _bn_params(params, "downsample.1", out_channels, dtype, training)
    return "proj", (w, bn)


def _shortcut_forward(x, kind, proj, stride, out_channels, training):
    if kind == "identity":
        return x, (kind, None, x.shape)
    if kind == "pad":
        sh, sw = stride
        xs = x[:, :, ::sh, ::sw]
        N, C, OH, OW = xs.shape
        out = np.zeros((N, out_channels, OH, OW), dtype=x.dtype)
        out[:, :C] = xs
        return out, (kind, stride, x.shape)
    w, bn = proj
    out, cache = _conv_bn_forward(x, w, 1, bn, stride, (0, 0), training)
    return out, (kind, cache, x.shape)


def _shortcut_backward(dout, cache):
    kind, data, xshape = cache
    if kind == "identity":
        return dout, {}
    if kind == "pad":
        sh, sw = data
        dx = np.zeros(xshape, dtype=dout.dtype)
        dx[:, :, ::sh, ::sw] = dout[:, : xshape[1]]
        return dx, {}
    dx, dw, dg, db = _conv_bn_backward(dout, data)
    return dx, {
        "downsample.0.weight": dw,
        "downsample.1.weight": dg,
        "downsample.1.bias": db,
    }


def _trainable_keys(params, main_prefixes):
    """Every trainable array of params this module knows: convs' weights, bns' weight/bias."""
    known = set()
    for conv, bn in main_prefixes + (("downsample.0", "downsample.1"),):
        known.add(f"{conv}.weight")
        known.add(f"{bn}.weight")
        known.add(f"{bn}.bias")
    return [k for k in params if k in known]


def _assemble_grads(keys, computed, dtype, param_shapes):
    grads = {}
    for k in keys:
        g = computed.get(k)
        if g is None:  # present in params but unused (identity / "A" shortcut)
            g = np.zeros(param_shapes[k], dtype=dtype)
        grads[k] = np.ascontiguousarray(g, dtype=dtype)
    return grads


def _check_dout(dout, cache):
    dout = np.asarray(dout)
    if dout.shape != cache["out_shape"]:
        raise ValueError(f"dout must have shape {cache['out_shape']}, got {dout.shape}")
    return dout.astype(cache["dtype"], copy=False)


# --------------------------------------------------------------------------- basic block


def basic_block_forward(x, params, stride=1, shortcut="B", training=True):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); conv1 3x3 with the stride."""
    x, dtype = _check_x(x)
    _check_params(params)
    stride = _pair(stride, "stride")
    _check_shortcut(shortcut)
    training = _check_training(training)
    N, Cin, H, W = x.shape

    # validate everything before any running statistic is touched
    w1, _ = _conv_weight(params, "conv1.weight", Cin, 3, dtype)
    planes = w1.shape[0]
    bn1 = _bn_params(params, "bn1", planes, dtype, training)
    w2, _ = _conv_weight(params, "conv2.weight", planes, 3, dtype)
    Cout = w2.shape[0]
    bn2 = _bn_params(params, "bn2", Cout, dtype, training)
    kind, proj = _plan_shortcut(params, shortcut, stride, Cin, Cout, dtype, training)

    xc = x.astype(dtype, copy=False)
    z1, c1 = _conv_bn_forward(xc, w1, 1, bn1, stride, (1, 1), training)
    a1 = np.maximum(z1, 0)
    z2, c2 = _conv_bn_forward(a1, w2, 1, bn2, (1, 1), (1, 1), training)
    sc, csc = _shortcut_forward(xc, kind, proj, stride, Cout, training)
    out = np.maximum(z2 + sc, 0).astype(dtype, copy=False)

    keys = _trainable_keys(params, (("conv1", "bn1"), ("conv2", "bn2")))
    cache = {
        "kind": "basic",
        "dtype": dtype,
        "out_shape": out.shape,
        "out_mask": out > 0,
        "a1_mask": a1 > 0,
        "c1": c1,
        "c2": c2,
        "csc": csc,
        "keys": keys,
        "shapes": {k: np.shape(params[k]) for k in keys},
    }
    return out, cache


def basic_block_backward(dout, cache):
    """Returns (dx, grads); grads keyed like params for every trainable array."""
    if not isinstance(cache, dict) or cache.get("kind") != "basic":
        raise ValueError("cache must be the cache returned by basic_block_forward")
    dout = _check_dout(dout, cache)
    ds = dout * cache["out_mask"]
    da1, dw2, dg2, db2 = _conv_bn_backward(ds, cache["c2"])
    dz1 = da1 * cache["a1_mask"]
    dx, dw1, dg1, db1 = _conv_bn_backward(dz1, cache["c1"])
    dx_sc, g_sc = _shortcut_backward(ds, cache["csc"])
    dx = dx + dx_sc
    computed = {
        "conv1.weight": dw1,
        "bn1.weight": dg1,
        "bn1.bias": db1,
        "conv2.weight": dw2,
        "bn2.weight": dg2,
        "bn2.bias": db2,
        **g_sc,
    }
    grads = _assemble_grads(cache["keys"], computed, cache["dtype"], cache["shapes"])
    return np.ascontiguousarray(dx, dtype=cache["dtype"]), grads


# --------------------------------------------------------------------------- bottleneck


def bottleneck_block_forward(x, params, stride=1, shortcut="B", training=True):
    """1x1 reduce, 3x3 (with the stride), 1x1 expand, each with its BN; ReLU after the first
    two and after the addition with the shortcut."""
    x, dtype = _check_x(x)
    _check_params(params)
    stride = _pair(stride, "stride")
    _check_shortcut(shortcut)
    training = _check_training(training)
    N, Cin, H, W = x.shape

    w1, _ = _conv_weight(params, "conv1.weight", Cin, 1, dtype)
    width = w1.shape[0]
    bn1 = _bn_params(params, "bn1", width, dtype, training)
    w2, groups = _conv_weight(params, "conv2.weight", width, 3, dtype, groups="infer")
    width2 = w2.shape[0]
    bn2 = _bn_params(params, "bn2", width2, dtype, training)
    w3, _ = _conv_weight(params, "conv3.weight", width2, 1, dtype)
    Cout = w3.shape[0]
    bn3 = _bn_params(params, "bn3", Cout, dtype, training)
    kind, proj = _plan_shortcut(params, shortcut, stride, Cin, Cout, dtype, training)

    xc = x.astype(dtype, copy=False)
    z1, c1 = _conv_bn_forward(xc, w1, 1, bn1, (1, 1), (0, 0), training)
    a1 = np.maximum(z1, 0)
    z2, c2 = _conv_bn_forward(a1, w2, groups, bn2, stride, (1, 1), training)
    a2 = np.maximum(z2, 0)
    z3, c3 = _conv_bn_forward(a2, w3, 1, bn3, (1, 1), (0, 0), training)
    sc, csc = _shortcut_forward(xc, kind, proj, stride, Cout, training)
    out = np.maximum(z3 + sc, 0).astype(dtype, copy=False)

    keys = _trainable_keys(params, (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3")))
    cache = {
        "kind": "bottleneck",
        "dtype": dtype,
        "out_shape": out.shape,
        "out_mask": out > 0,
        "a1_mask": a1 > 0,
        "a2_mask": a2 > 0,
        "c1": c1,
        "c2": c2,
        "c3": c3,
        "csc": csc,
        "keys": keys,
        "shapes": {k: np.shape(params[k]) for k in keys},
    }
    return out, cache


def bottleneck_block_backward(dout, cache):
    """Returns (dx, grads); grads keyed like params for every trainable array."""
    if not isinstance(cache, dict) or cache.get("kind") != "bottleneck":
        raise ValueError("cache must be the cache returned by bottleneck_block_forward")
    dout = _check_dout(dout, cache)
    ds = dout * cache["out_mask"]
    da2, dw3, dg3, db3 = _conv_bn_backward(ds, cache["c3"])
    dz2 = da2 * cache["a2_mask"]
    da1, dw2, dg2, db2 = _conv_bn_backward(dz2, cache["c2"])
    dz1 = da1 * cache["a1_mask"]
    dx, dw1, dg1, db1 = _conv_bn_backward(dz1, cache["c1"])
    dx_sc, g_sc = _shortcut_backward(ds, cache["csc"])
    dx = dx + dx_sc
    computed = {
        "conv1.weight": dw1,
        "bn1.weight": dg1,
        "bn1.bias": db1,
        "conv2.weight": dw2,
        "bn2.weight": dg2,
        "bn2.bias": db2,
        "conv3.weight": dw3,
        "bn3.weight": dg3,
        "bn3.bias": db3,
        **g_sc,
    }
    grads = _assemble_grads(cache["keys"], computed, cache["dtype"], cache["shapes"])
    return np.ascontiguousarray(dx, dtype=cache["dtype"]), grads
