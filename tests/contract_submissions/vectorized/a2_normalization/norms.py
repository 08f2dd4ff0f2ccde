"""Batch, layer, instance and group normalization in numpy, vectorized.

All four layers are the same operation -- normalize over some axes, then scale
by ``gamma`` and shift by ``beta`` -- so they share one forward kernel and one
backward kernel; each layer only chooses the axes (group norm first reshapes
channels into groups). Variances are biased (divide by n) and ``eps`` is added
inside the square root.

Conventions: inputs may be float32 or float64 and may be non-contiguous views;
outputs keep the dtype of ``x`` (gradients of the affine parameters keep the
dtype of ``gamma``/``beta``). The arithmetic runs in float64 internally. Inputs
are never modified, except batchnorm's running statistics, which are updated in
place in training mode. Caches are opaque tuples for the matching backward.
``gamma``/``beta`` may be None (no scale / no shift); the matching gradient is
then None.
"""

import numbers

import numpy as np

__all__ = [
    "batchnorm_forward",
    "batchnorm_backward",
    "layernorm_forward",
    "layernorm_backward",
    "instancenorm_forward",
    "instancenorm_backward",
    "groupnorm_forward",
    "groupnorm_backward",
]

_WORK = np.float64


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def _out_dtype(arr):
    return arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.dtype(np.float64)


def _check_eps(eps):
    if not isinstance(eps, numbers.Real) or isinstance(eps, (bool, np.bool_)) \
            or not np.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be a finite non-negative number, got {eps!r}")
    return float(eps)


def _check_param(p, name, shape):
    """Validate an affine parameter (or None) against the expected shape."""
    if p is None:
        return None
    p = np.array(p)  # a private copy, so the cache is immune to later edits by the caller
    if p.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got shape {p.shape}")
    return p


def _check_dout(dout, shape):
    dout = np.asarray(dout)
    if dout.shape != tuple(shape):
        raise ValueError(f"dout has shape {dout.shape}, expected {tuple(shape)} (the shape of x)")
    return dout


def _normalize(xw, axes, eps):
    """Return (xhat, inv_std, mean, var) with statistics over ``axes`` (keepdims)."""
    mean = xw.mean(axis=axes, keepdims=True)
    var = xw.var(axis=axes, keepdims=True)  # biased, two-pass
    inv_std = 1.0 / np.sqrt(var + eps)
    return (xw - mean) * inv_std, inv_std, mean, var


def _normalize_backward(dxhat, xhat, inv_std, axes):
    """Gradient through xhat = (x - mean(x)) / sqrt(var(x) + eps) over ``axes``."""
    mean_d = dxhat.mean(axis=axes, keepdims=True)
    mean_dx = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return inv_std * (dxhat - mean_d - xhat * mean_dx)


def _affine(xhat, gamma_b, beta_b):
    if gamma_b is None and beta_b is None:
        return xhat.copy()  # never hand out the array kept in the cache
    out = xhat
    if gamma_b is not None:
        out = out * gamma_b
    if beta_b is not None:
        out = out + beta_b
    return out


def _param_grads(dout_w, xhat, gamma, beta, sum_axes, reshape_to):
    """dgamma, dbeta summed over ``sum_axes`` and reshaped to the parameter shape."""
    dgamma = dbeta = None
    if gamma is not None:
        dgamma = (dout_w * xhat).sum(axis=sum_axes).reshape(reshape_to)
        dgamma = dgamma.astype(_out_dtype(gamma), copy=False)
    if beta is not None:
        dbeta = dout_w.sum(axis=sum_axes).reshape(reshape_to)
        dbeta = dbeta.astype(_out_dtype(beta), copy=False)
    return dgamma, dbeta


def _channel_view(p, ndim):
    """(C,) parameter -> broadcastable (1, C, 1, ..., 1) float64 array (or None)."""
    if p is None:
        return None
    return p.astype(_WORK, copy=False).reshape((1, -1) + (1,) * (ndim - 2))


# ---------------------------------------------------------------------------
# batch normalization
# ---------------------------------------------------------------------------

def batchnorm_forward(x, gamma, beta, running_mean, running_var, training=True,
                      momentum=0.1, eps=1e-5):
    """Batch normalization like ``torch.nn.functional.batch_norm``.

    x: (N, C) or (N, C, *spatial); statistics per channel over every other axis.
    Training normalizes with the batch statistics and updates ``running_mean``
    and ``running_var`` IN PLACE (the variance with the unbiased estimate); eval
    normalizes with the running statistics and updates nothing.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must have shape (N, C) or (N, C, *spatial), got shape {x.shape}")
    if not isinstance(training, (bool, np.bool_)):
        raise ValueError(f"training must be a bool, got {training!r}")
    training = bool(training)
    eps = _check_eps(eps)
    if not isinstance(momentum, numbers.Real) or isinstance(momentum, (bool, np.bool_)) \
            or not (0.0 <= momentum <= 1.0):
        raise ValueError(f"momentum must be a number in [0, 1], got {momentum!r}")
    momentum = float(momentum)

    C = x.shape[1]
    gamma = _check_param(gamma, "gamma", (C,))
    beta = _check_param(beta, "beta", (C,))
    for name, r in (("running_mean", running_mean), ("running_var", running_var)):
        if r is None:
            if not training:
                raise ValueError(f"{name} is required when training=False")
            continue
        if training and not isinstance(r, np.ndarray):
            raise ValueError(f"{name} must be a numpy array of shape ({C},) (it is updated in place)")
        if np.shape(r) != (C,):
            raise ValueError(f"{name} must have shape ({C},), got shape {np.shape(r)}")
        if training and not r.flags.writeable:
            raise ValueError(f"{name} must be writeable: training updates it in place")

    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // C if C else 0
    xw = x.astype(_WORK, copy=False)
    if training:
        if n <= 1:
            raise ValueError(
                f"x must hold more than one value per channel in training, got shape {x.shape}"
            )
        xhat, inv_std, mean, var = _normalize(xw, axes, eps)
        if running_mean is not None:
            new = (1.0 - momentum) * running_mean.astype(_WORK) + momentum * mean.reshape(C)
            running_mean[...] = new
        if running_var is not None:
            unbiased = var.reshape(C) * (n / (n - 1))
            new = (1.0 - momentum) * running_var.astype(_WORK) + momentum * unbiased
            running_var[...] = new
    else:
        rm = _channel_view(np.asarray(running_mean), x.ndim)
        rv = _channel_view(np.asarray(running_var), x.ndim)
        inv_std = 1.0 / np.sqrt(rv + eps)
        xhat = (xw - rm) * inv_std

    out = _affine(xhat, _channel_view(gamma, x.ndim), _channel_view(beta, x.ndim))
    out = out.astype(_out_dtype(x), copy=False)
    cache = ("batchnorm", training, xhat, inv_std, gamma, beta, axes, x.shape, _out_dtype(x))
    return out, cache


def batchnorm_backward(dout, cache):
    """Gradients of ``batchnorm_forward`` (training or eval): ``(dx, dgamma, dbeta)``."""
    _, training, xhat, inv_std, gamma, beta, axes, shape, xdt = cache
    dout = _check_dout(dout, shape)
    dw = dout.astype(_WORK, copy=False)
    C = shape[1]
    dgamma, dbeta = _param_grads(dw, xhat, gamma, beta, axes, (C,))
    g = _channel_view(gamma, len(shape))
    dxhat = dw if g is None else dw * g
    if training:
        dx = _normalize_backward(dxhat, xhat, inv_std, axes)
    else:  # running statistics are constants
        dx = dxhat * inv_std
    return dx.astype(xdt, copy=False), dgamma, dbeta


# ---------------------------------------------------------------------------
# layer normalization
# ---------------------------------------------------------------------------

def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalization over the trailing ``gamma.ndim`` axes of x, like
    ``F.layer_norm(x, gamma.shape, gamma, beta, eps)``."""
    x = np.asarray(x)
    if gamma is None:
        raise ValueError("gamma is required: its shape gives the normalized shape")
    gamma = np.array(gamma)  # private copy (kept in the cache)
    eps = _check_eps(eps)
    k = gamma.ndim
    if k == 0:
        raise ValueError("gamma must have at least one axis (the normalized shape)")
    if x.ndim < k or x.shape[x.ndim - k:] != gamma.shape:
        raise ValueError(
            f"the trailing axes of x {x.shape} must match gamma's shape {gamma.shape}"
        )
    beta = _check_param(beta, "beta", gamma.shape)
    axes = tuple(range(x.ndim - k, x.ndim))
    xhat, inv_std, _, _ = _normalize(x.astype(_WORK, copy=False), axes, eps)
    g = gamma.astype(_WORK, copy=False)
    b = None if beta is None else beta.astype(_WORK, copy=False)
    out = _affine(xhat, g, b).astype(_out_dtype(x), copy=False)
    cache = ("layernorm", xhat, inv_std, gamma, beta, axes, x.shape, _out_dtype(x))
    return out, cache


def layernorm_backward(dout, cache):
    """Gradients of ``layernorm_forward``: ``(dx, dgamma, dbeta)``."""
    _, xhat, inv_std, gamma, beta, axes, shape, xdt = cache
    dout = _check_dout(dout, shape)
    dw = dout.astype(_WORK, copy=False)
    lead = tuple(range(len(shape) - len(axes)))
    dgamma, dbeta = _param_grads(dw, xhat, gamma, beta, lead, gamma.shape)
    dxhat = dw * gamma.astype(_WORK, copy=False)
    dx = _normalize_backward(dxhat, xhat, inv_std, axes)
    return dx.astype(xdt, copy=False), dgamma, dbeta


# ---------------------------------------------------------------------------
# instance normalization
# ---------------------------------------------------------------------------

def instancenorm_forward(x, gamma, beta, eps=1e-5):
    """Instance normalization: statistics per (sample, channel) over the spatial
    axes, like ``F.instance_norm(x, weight=gamma, bias=beta, eps=eps)``."""
    x = np.asarray(x)
    if x.ndim < 3:
        raise ValueError(f"x must have shape (N, C, *spatial), got shape {x.shape}")
    eps = _check_eps(eps)
    spatial = int(np.prod(x.shape[2:]))
    if spatial <= 1:
        raise ValueError(
            f"x must have more than one spatial element per channel, got shape {x.shape}"
        )
    C = x.shape[1]
    gamma = _check_param(gamma, "gamma", (C,))
    beta = _check_param(beta, "beta", (C,))
    axes = tuple(range(2, x.ndim))
    xhat, inv_std, _, _ = _normalize(x.astype(_WORK, copy=False), axes, eps)
    out = _affine(xhat, _channel_view(gamma, x.ndim), _channel_view(beta, x.ndim))
    out = out.astype(_out_dtype(x), copy=False)
    cache = ("instancenorm", xhat, inv_std, gamma, beta, axes, x.shape, _out_dtype(x))
    return out, cache


def instancenorm_backward(dout, cache):
    """Gradients of ``instancenorm_forward``: ``(dx, dgamma, dbeta)``."""
    _, xhat, inv_std, gamma, beta, axes, shape, xdt = cache
    dout = _check_dout(dout, shape)
    dw = dout.astype(_WORK, copy=False)
    C = shape[1]
    sum_axes = (0,) + axes
    dgamma, dbeta = _param_grads(dw, xhat, gamma, beta, sum_axes, (C,))
    g = _channel_view(gamma, len(shape))
    dxhat = dw if g is None else dw * g
    dx = _normalize_backward(dxhat, xhat, inv_std, axes)
    return dx.astype(xdt, copy=False), dgamma, dbeta


# ---------------------------------------------------------------------------
# group normalization
# ---------------------------------------------------------------------------

def groupnorm_forward(x, gamma, beta, num_groups, eps=1e-5):
    """Group normalization like ``F.group_norm(x, num_groups, gamma, beta, eps)``:
    the C channels are split into ``num_groups`` consecutive groups, statistics
    per (sample, group) over the group's channels and all spatial axes."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must have shape (N, C, *spatial), got shape {x.shape}")
    if not isinstance(num_groups, numbers.Integral) or isinstance(num_groups, (bool, np.bool_)) \
            or num_groups < 1:
        raise ValueError(f"num_groups must be a positive int, got {num_groups!r}")
    num_groups = int(num_groups)
    eps = _check_eps(eps)
    N, C = x.shape[:2]
    if C % num_groups != 0:
        raise ValueError(f"x has {C} channels, which num_groups={num_groups} does not divide")
    gamma = _check_param(gamma, "gamma", (C,))
    beta = _check_param(beta, "beta", (C,))
    m = (C // num_groups) * int(np.prod(x.shape[2:], dtype=np.int64))  # elements per group
    xg = x.astype(_WORK, copy=False).reshape(N, num_groups, m)
    xhat_g, inv_std, _, _ = _normalize(xg, (2,), eps)
    xhat = xhat_g.reshape(x.shape)
    out = _affine(xhat, _channel_view(gamma, x.ndim), _channel_view(beta, x.ndim))
    out = out.astype(_out_dtype(x), copy=False)
    cache = ("groupnorm", xhat_g, inv_std, gamma, beta, num_groups, x.shape, _out_dtype(x))
    return out, cache


def groupnorm_backward(dout, cache):
    """Gradients of ``groupnorm_forward``: ``(dx, dgamma, dbeta)``."""
    _, xhat_g, inv_std, gamma, beta, G, shape, xdt = cache
    dout = _check_dout(dout, shape)
    dw = dout.astype(_WORK, copy=False)
    N, C = shape[:2]
    sum_axes = (0,) + tuple(range(2, len(shape)))
    xhat = xhat_g.reshape(shape)
    dgamma, dbeta = _param_grads(dw, xhat, gamma, beta, sum_axes, (C,))
    g = _channel_view(gamma, len(shape))
    dxhat = dw if g is None else dw * g
    dx = _normalize_backward(dxhat.reshape(xhat_g.shape), xhat_g, inv_std, (2,))
    return dx.reshape(shape).astype(xdt, copy=False), dgamma, dbeta
