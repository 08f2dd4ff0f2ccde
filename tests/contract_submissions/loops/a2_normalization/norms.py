"""Assignment 2: batch, layer, instance and group normalization in plain numpy.

All four layers do the same thing: take a slice of the input, subtract its
mean, divide by sqrt(biased variance + eps), then scale by gamma and shift by
beta.  They only differ in which slice.  Here each layer is written as an
explicit Python loop over its slices (channels, samples, (sample, channel)
pairs or (sample, group) pairs) with numpy inside the loop body.

The arithmetic is done in float64 and the results are cast back to the
input's dtype.  Inputs are never modified, except batchnorm's running
statistics, which are updated in place in training mode.
"""

import numpy as np


# ----------------------------------------------------------------------------
# helpers shared by the four layers
# ----------------------------------------------------------------------------

def _float_dtype(arr):
    if np.issubdtype(arr.dtype, np.floating):
        return arr.dtype
    return np.dtype(np.float64)


def _normalize(v, eps):
    """v: any float64 array, normalized over all of its elements.

    Returns (xhat, inv_std) with xhat = (v - mean) / sqrt(var + eps)."""
    mean = v.mean()
    var = ((v - mean) ** 2).mean()
    inv_std = 1.0 / np.sqrt(var + eps)
    return (v - mean) * inv_std, inv_std


def _normalize_backward(dxhat, xhat, inv_std):
    """Gradient through xhat = (v - mean(v)) * inv_std, all elements of one slice.

    dv = inv_std * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))"""
    return inv_std * (dxhat - dxhat.mean() - xhat * (dxhat * xhat).mean())


def _check_param(p, name, shape):
    if p is None:
        return None
    p = np.asarray(p)
    if p.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {p.shape}")
    return p


def _check_dout(dout, shape):
    dout = np.asarray(dout)
    if dout.shape != tuple(shape):
        raise ValueError(f"dout must have shape {tuple(shape)}, got {dout.shape}")
    return dout.astype(np.float64)


def _param_grads(dgamma, dbeta, cache):
    if cache["gamma_dtype"] is not None:
        dgamma = dgamma.astype(cache["gamma_dtype"])
    else:
        dgamma = None
    if cache["beta_dtype"] is not None:
        dbeta = dbeta.astype(cache["beta_dtype"])
    else:
        dbeta = None
    return dgamma, dbeta


def _channel_params(gamma, beta, C):
    """Per-channel gamma/beta as float64 arrays (None means 1 and 0)."""
    g = np.ones(C) if gamma is None else gamma.astype(np.float64)
    b = np.zeros(C) if beta is None else beta.astype(np.float64)
    return g, b


# ----------------------------------------------------------------------------
# batch normalization: statistics per channel over N and the spatial axes
# ----------------------------------------------------------------------------

def batchnorm_forward(x, gamma, beta, running_mean, running_var, training=True,
                      momentum=0.1, eps=1e-5):
    """Batch norm like torch.nn.functional.batch_norm.

    x: (N, C) or (N, C, *spatial); gamma, beta, running_mean, running_var: (C,).
    In training the batch statistics are used and the running arrays are
    updated in place; in eval the running statistics are used.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must have shape (N, C) or (N, C, *spatial), got {x.shape}")
    C = x.shape[1]
    gamma = _check_param(gamma, "gamma", (C,))
    beta = _check_param(beta, "beta", (C,))
    for name, arr in (("running_mean", running_mean), ("running_var", running_var)):
        if arr is None:
            if not training:
                raise ValueError(f"{name} is needed in eval mode (training=False)")
            continue
        if not isinstance(arr, np.ndarray):
            raise ValueError(f"{name} must be a numpy array (it is updated in place)")
        if arr.shape != (C,):
            raise ValueError(f"{name} must have shape ({C},), got {arr.shape}")
    count = x.size // C if C > 0 else 0
    if training and count <= 1:
        raise ValueError(
            f"x must have more than 1 value per channel in training, got shape {x.shape}")

    g, b = _channel_params(gamma, beta, C)
    xf = x.astype(np.float64)
    xhat = np.empty(xf.shape, dtype=np.float64)
    out = np.empty(xf.shape, dtype=np.float64)
    inv_std = np.empty(C, dtype=np.float64)

    for c in range(C):
        v = xf[:, c]
        if training:
            xhat_c, inv_c = _normalize(v, eps)
            mean_c = v.mean()
            var_c = ((v - mean_c) ** 2).mean()
            if running_mean is not None:
                running_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean_c
            if running_var is not None:
                unbiased = var_c * count / (count - 1)
                running_var[c] = (1 - momentum) * running_var[c] + momentum * unbiased
        else:
            inv_c = 1.0 / np.sqrt(float(running_var[c]) + eps)
            xhat_c = (v - float(running_mean[c])) * inv_c
        xhat[:, c] = xhat_c
        inv_std[c] = inv_c
        out[:, c] = g[c] * xhat_c + b[c]

    cache = {
        "training": bool(training), "xhat": xhat, "inv_std": inv_std, "g": g,
        "shape": x.shape, "x_dtype": _float_dtype(x),
        "gamma_dtype": None if gamma is None else _float_dtype(gamma),
        "beta_dtype": None if beta is None else _float_dtype(beta),
    }
    return out.astype(_float_dtype(x)), cache


def batchnorm_backward(dout, cache):
    """Returns (dx, dgamma, dbeta) for batchnorm_forward (training or eval)."""
    d = _check_dout(dout, cache["shape"])
    xhat, inv_std, g = cache["xhat"], cache["inv_std"], cache["g"]
    C = len(inv_std)
    dx = np.empty(d.shape, dtype=np.float64)
    dgamma = np.zeros(C, dtype=np.float64)
    dbeta = np.zeros(C, dtype=np.float64)
    for c in range(C):
        d_c = d[:, c]
        xhat_c = xhat[:, c]
        dgamma[c] = (d_c * xhat_c).sum()
        dbeta[c] = d_c.sum()
        dxhat = d_c * g[c]
        if cache["training"]:
            dx[:, c] = _normalize_backward(dxhat, xhat_c, inv_std[c])
        else:
            # running statistics are constants: a plain per-channel scaling
            dx[:, c] = dxhat * inv_std[c]
    dgamma, dbeta = _param_grads(dgamma, dbeta, cache)
    return dx.astype(cache["x_dtype"]), dgamma, dbeta


# ----------------------------------------------------------------------------
# layer normalization: statistics over the trailing gamma.ndim axes
# ----------------------------------------------------------------------------

def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer norm like F.layer_norm(x, gamma.shape, gamma, beta, eps)."""
    x = np.asarray(x)
    if gamma is None:
        raise ValueError("gamma is required: its shape gives the normalized axes")
    gamma = np.asarray(gamma)
    k = gamma.ndim
    if k < 1 or k > x.ndim or x.shape[x.ndim - k:] != gamma.shape:
        raise ValueError(
            f"gamma shape {gamma.shape} must match the trailing axes of x {x.shape}")
    beta = _check_param(beta, "beta", gamma.shape)

    # view x as (B, R, D): loop over the B samples, and inside one sample
    # normalize each of its R rows of D = prod(gamma.shape) values at once
    D = int(np.prod(gamma.shape))
    lead = x.shape[:x.ndim - k]
    B = lead[0] if lead else 1
    R = int(np.prod(lead[1:])) if len(lead) > 1 else 1
    rows = x.astype(np.float64).reshape(B, R, D)
    g = gamma.astype(np.float64).reshape(D)
    b = np.zeros(D) if beta is None else beta.astype(np.float64).reshape(D)

    xhat = np.empty((B, R, D), dtype=np.float64)
    inv_std = np.empty((B, R, 1), dtype=np.float64)
    for i in range(B):
        block = rows[i]                                    # (R, D)
        mean = block.mean(axis=1, keepdims=True)
        var = ((block - mean) ** 2).mean(axis=1, keepdims=True)
        inv_std[i] = 1.0 / np.sqrt(var + eps)
        xhat[i] = (block - mean) * inv_std[i]
    out = xhat * g + b

    cache = {
        "xhat": xhat, "inv_std": inv_std, "g": g, "shape": x.shape,
        "gamma_shape": gamma.shape, "x_dtype": _float_dtype(x),
        "gamma_dtype": _float_dtype(gamma),
        "beta_dtype": None if beta is None else _float_dtype(beta),
    }
    return out.reshape(x.shape).astype(_float_dtype(x)), cache


def layernorm_backward(dout, cache):
    """Returns (dx, dgamma, dbeta) for layernorm_forward."""
    d = _check_dout(dout, cache["shape"])
    xhat, inv_std, g = cache["xhat"], cache["inv_std"], cache["g"]
    B, R, D = xhat.shape
    d = d.reshape(B, R, D)
    dx = np.empty((B, R, D), dtype=np.float64)
    dgamma = np.zeros(D, dtype=np.float64)
    dbeta = np.zeros(D, dtype=np.float64)
    for i in range(B):
        d_i, xhat_i = d[i], xhat[i]                        # (R, D)
        dgamma += (d_i * xhat_i).sum(axis=0)
        dbeta += d_i.sum(axis=0)
        dxhat = d_i * g
        # the per-row version of _normalize_backward
        dx[i] = inv_std[i] * (dxhat - dxhat.mean(axis=1, keepdims=True)
                              - xhat_i * (dxhat * xhat_i).mean(axis=1, keepdims=True))
    dgamma, dbeta = _param_grads(dgamma.reshape(cache["gamma_shape"]),
                                 dbeta.reshape(cache["gamma_shape"]), cache)
    return dx.reshape(cache["shape"]).astype(cache["x_dtype"]), dgamma, dbeta


# ----------------------------------------------------------------------------
# instance normalization: statistics per (sample, channel) over spatial axes
# ----------------------------------------------------------------------------

def instancenorm_forward(x, gamma, beta, eps=1e-5):
    """Instance norm like F.instance_norm(x, weight=gamma, bias=beta, eps=eps)."""
    x = np.asarray(x)
    if x.ndim < 3:
        raise ValueError(f"x must have shape (N, C, *spatial), got {x.shape}")
    N, C = x.shape[0], x.shape[1]
    gamma = _check_param(gamma, "gamma", (C,))
    beta = _check_param(beta, "beta", (C,))
    spatial = int(np.prod(x.shape[2:]))
    if spatial <= 1:
        raise ValueError(
            f"x must have more than 1 spatial element per channel, got shape {x.shape}")

    g, b = _channel_params(gamma, beta, C)
    xf = x.astype(np.float64)
    xhat = np.empty(xf.shape, dtype=np.float64)
    out = np.empty(xf.shape, dtype=np.float64)
    inv_std = np.empty((N, C), dtype=np.float64)
    for n in range(N):
        for c in range(C):
            xhat_nc, inv_nc = _normalize(xf[n, c], eps)
            xhat[n, c] = xhat_nc
            inv_std[n, c] = inv_nc
            out[n, c] = g[c] * xhat_nc + b[c]

    cache = {
        "xhat": xhat, "inv_std": inv_std, "g": g, "shape": x.shape,
        "x_dtype": _float_dtype(x),
        "gamma_dtype": None if gamma is None else _float_dtype(gamma),
        "beta_dtype": None if beta is None else _float_dtype(beta),
    }
    return out.astype(_float_dtype(x)), cache


def instancenorm_backward(dout, cache):
    """Returns (dx, dgamma, dbeta) for instancenorm_forward."""
    d = _check_dout(dout, cache["shape"])
    xhat, inv_std, g = cache["xhat"], cache["inv_std"], cache["g"]
    N, C = inv_std.shape
    dx = np.empty(d.shape, dtype=np.float64)
    dgamma = np.zeros(C, dtype=np.float64)
    dbeta = np.zeros(C, dtype=np.float64)
    for n in range(N):
        for c in range(C):
            d_nc = d[n, c]
            dgamma[c] += (d_nc * xhat[n, c]).sum()
            dbeta[c] += d_nc.sum()
            dx[n, c] = _normalize_backward(d_nc * g[c], xhat[n, c], inv_std[n, c])
    dgamma, dbeta = _param_grads(dgamma, dbeta, cache)
    return dx.astype(cache["x_dtype"]), dgamma, dbeta


# ----------------------------------------------------------------------------
# group normalization: statistics per (sample, group of channels)
# ----------------------------------------------------------------------------

def groupnorm_forward(x, gamma, beta, num_groups, eps=1e-5):
    """Group norm like F.group_norm(x, num_groups, gamma, beta, eps)."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must have shape (N, C, *spatial), got {x.shape}")
    if not isinstance(num_groups, (int, np.integer)) or isinstance(num_groups, bool) \
            or num_groups < 1:
        raise ValueError(f"num_groups must be a positive int, got {num_groups!r}")
    num_groups = int(num_groups)
    N, C = x.shape[0], x.shape[1]
    if C % num_groups != 0:
        raise ValueError(
            f"the {C} channels of x are not divisible by num_groups={num_groups}")
    gamma = _check_param(gamma, "gamma", (C,))
    beta = _check_param(beta, "beta", (C,))

    Cg = C // num_groups
    bshape = (Cg,) + (1,) * (x.ndim - 2)       # per-channel params inside one group
    g, b = _channel_params(gamma, beta, C)
    xf = x.astype(np.float64)
    xhat = np.empty(xf.shape, dtype=np.float64)
    out = np.empty(xf.shape, dtype=np.float64)
    inv_std = np.empty((N, num_groups), dtype=np.float64)
    for n in range(N):
        for k in range(num_groups):
            chans = slice(k * Cg, (k + 1) * Cg)
            xhat_nk, inv_nk = _normalize(xf[n, chans], eps)
            xhat[n, chans] = xhat_nk
            inv_std[n, k] = inv_nk
            out[n, chans] = g[chans].reshape(bshape) * xhat_nk + b[chans].reshape(bshape)

    cache = {
        "xhat": xhat, "inv_std": inv_std, "g": g, "shape": x.shape, "Cg": Cg,
        "x_dtype": _float_dtype(x),
        "gamma_dtype": None if gamma is None else _float_dtype(gamma),
        "beta_dtype": None if beta is None else _float_dtype(beta),
    }
    return out.astype(_float_dtype(x)), cache


def groupnorm_backward(dout, cache):
    """Returns (dx, dgamma, dbeta) for groupnorm_forward."""
    d = _check_dout(dout, cache["shape"])
    xhat, inv_std, g, Cg = cache["xhat"], cache["inv_std"], cache["g"], cache["Cg"]
    N, G = inv_std.shape
    C = G * Cg
    bshape = (Cg,) + (1,) * (d.ndim - 2)
    spatial_axes = tuple(range(1, d.ndim - 1))   # axes of d[n, chans] after the channel
    dx = np.empty(d.shape, dtype=np.float64)
    dgamma = np.zeros(C, dtype=np.float64)
    dbeta = np.zeros(C, dtype=np.float64)
    for n in range(N):
        for k in range(G):
            chans = slice(k * Cg, (k + 1) * Cg)
            d_nk = d[n, chans]
            xhat_nk = xhat[n, chans]
            dgamma[chans] += (d_nk * xhat_nk).sum(axis=spatial_axes) if spatial_axes \
                else d_nk * xhat_nk
            dbeta[chans] += d_nk.sum(axis=spatial_axes) if spatial_axes else d_nk
            dxhat = d_nk * g[chans].reshape(bshape)
            dx[n, chans] = _normalize_backward(dxhat, xhat_nk, inv_std[n, k])
    dgamma, dbeta = _param_grads(dgamma, dbeta, cache)
    return dx.astype(cache["x_dtype"]), dgamma, dbeta
