"""The fast path for assignment 2: the four normalizations, same contract as norms.py.

The four layers really are one operation. View x as (A, R, B) so that each middle slice
x[:, r, :] is one set of values sharing a mean and a variance; no data moves:

    batch norm     (N, C, prod(spatial))            a slice per channel
    layer norm     (1, samples, prod(normalized))   a slice per sample
    instance norm  (1, N * C, prod(spatial))        a slice per (sample, channel)
    group norm     (1, N * G, C // G * spatial)     a slice per (sample, group)

Two numba kernels, forward and backward, serve all four; the scale and shift (gamma, beta)
and their gradients are numpy broadcasts and sums. The readable reference is
solutions/a2_normalization/norms.py; both pass the same tests (``--impl fast``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def normalize(x, eps, x_hat, inv_std):
    """Normalize each middle slice x[:, r, :] with its own mean and biased variance:

        x_hat[a, r, b] = (x[a, r, b] - mean_r) * inv_std[r],  inv_std[r] = 1 / sqrt(var_r + eps)

    x, x_hat (A, R, B); inv_std (R,) float64; the statistics accumulate in float64.
    Parallel over r: iteration r writes x_hat[:, r, :] and inv_std[r] only.
    """
    n_a, n_r, n_b = x.shape
    count = n_a * n_b
    for r in prange(n_r):
        total = np.float64(0.0)
        for a in range(n_a):
            for b in range(n_b):
                total += x[a, r, b]
        mean = total / count
        var = np.float64(0.0)
        for a in range(n_a):
            for b in range(n_b):
                var += (x[a, r, b] - mean) ** 2
        s = 1.0 / math.sqrt(var / count + eps)
        inv_std[r] = s
        for a in range(n_a):
            for b in range(n_b):
                x_hat[a, r, b] = (x[a, r, b] - mean) * s


@njit(parallel=True, cache=True)
def normalize_backward(g, x_hat, inv_std, dx):
    """The gradient through normalize for g = dL/dx_hat, slice by slice:

        dx[a, r, b] = inv_std[r] * (g - mean_r(g) - x_hat * mean_r(g * x_hat))

    g, x_hat, dx (A, R, B); inv_std (R,).
    Parallel over r: iteration r writes dx[:, r, :] only.
    """
    n_a, n_r, n_b = g.shape
    count = n_a * n_b
    for r in prange(n_r):
        sum_g = np.float64(0.0)
        sum_gx = np.float64(0.0)
        for a in range(n_a):
            for b in range(n_b):
                sum_g += g[a, r, b]
                sum_gx += g[a, r, b] * x_hat[a, r, b]
        mean_g, mean_gx = sum_g / count, sum_gx / count
        for a in range(n_a):
            for b in range(n_b):
                dx[a, r, b] = inv_std[r] * (g[a, r, b] - mean_g - x_hat[a, r, b] * mean_gx)


# ------------------------------------------------------------------ the four views


def _forward(x, view, eps):
    """(x_hat shaped like x, inv_std per slice) for x seen as ``view`` = (A, R, B)."""
    x3 = np.ascontiguousarray(x).reshape(view)
    x_hat, inv_std = np.empty_like(x3), np.empty(x3.shape[1], dtype=np.float64)
    normalize(x3, eps, x_hat, inv_std)
    return x_hat.reshape(x.shape), inv_std


def _backward(g, x_hat, inv_std, view):
    """dx through _forward, for g = dL/dx_hat shaped like x."""
    g3 = np.ascontiguousarray(g).reshape(view)
    dx = np.empty_like(g3)
    normalize_backward(g3, np.ascontiguousarray(x_hat).reshape(view), inv_std, dx)
    return dx.reshape(g.shape)


def _require(condition, message):
    if not condition:
        raise ValueError(message)


def _per_channel(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine_grads(dout, x_hat, axes):
    """dgamma, dbeta: sums of dout * x_hat and of dout over the axes gamma is broadcast along."""
    return (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)


# ------------------------------------------------------------------ the contract's functions


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
    """As solutions/a2_normalization/norms.py; a slice per channel: view (N, C, S)."""
    _require(x.ndim >= 2, f"x must be (N, C) or (N, C, *spatial), got shape {x.shape}")
    N, C = x.shape[:2]
    for name, a in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean), ("running_var", running_var)):
        _require(a.shape == (C,), f"{name} must have shape ({C},), got {a.shape}")
    _require(0 <= momentum <= 1, f"momentum must be in [0, 1], got {momentum}")
    shape, view = _per_channel(x), (N, C, -1)
    if training:
        n = x.size // C
        _require(n > 1, "batch norm in training needs more than one value per channel")
        x_hat, inv_std = _forward(x, view, eps)
        mean = x.mean(axis=(0,) + tuple(range(2, x.ndim)))
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * (1.0 / inv_std**2 - eps) * n / (n - 1)  # from the biased batch variance
    else:
        inv_std = 1.0 / np.sqrt(running_var + eps)
        x_hat = ((x - running_mean.reshape(shape)) * inv_std.reshape(shape)).astype(x.dtype)
    out = (gamma.reshape(shape) * x_hat + beta.reshape(shape)).astype(x.dtype, copy=False)
    return out, (x_hat, inv_std, gamma, view if training else None)


def batchnorm_backward(dout, cache):
    """As solutions/a2_normalization/norms.py."""
    x_hat, inv_std, gamma, view = cache
    shape, axes = _per_channel(dout), (0,) + tuple(range(2, dout.ndim))
    g = (dout * gamma.reshape(shape)).astype(dout.dtype, copy=False)  # dL/dx_hat
    dx = _backward(g, x_hat, inv_std, view) if view else (g * inv_std.reshape(shape)).astype(dout.dtype)
    return dx, *_affine_grads(dout, x_hat, axes)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """As solutions/a2_normalization/norms.py; a slice per sample: view (1, samples, K)."""
    _require(gamma.ndim >= 1 and x.shape[x.ndim - gamma.ndim:] == gamma.shape,
             f"gamma's shape {gamma.shape} must be the trailing shape of x {x.shape}")
    _require(beta.shape == gamma.shape, f"beta must have gamma's shape {gamma.shape}, got {beta.shape}")
    view = (1, -1, gamma.size)
    x_hat, inv_std = _forward(x, view, eps)
    return (gamma * x_hat + beta).astype(x.dtype, copy=False), (x_hat, inv_std, gamma, view)


def layernorm_backward(dout, cache):
    """As solutions/a2_normalization/norms.py."""
    x_hat, inv_std, gamma, view = cache
    dx = _backward((dout * gamma).astype(dout.dtype, copy=False), x_hat, inv_std, view)
    return dx, *_affine_grads(dout, x_hat, tuple(range(dout.ndim - gamma.ndim)))


def instancenorm_forward(x, gamma, beta, eps=1e-5):
    """As solutions/a2_normalization/norms.py: group norm with one group per channel."""
    _require(x.ndim >= 3, f"x must be (N, C, *spatial), got shape {x.shape}")
    C = x.shape[1]
    _require(gamma.shape == (C,) and beta.shape == (C,), f"gamma and beta must have shape ({C},)")
    return groupnorm_forward(x, gamma, beta, C, eps)


def instancenorm_backward(dout, cache):
    """As solutions/a2_normalization/norms.py."""
    return groupnorm_backward(dout, cache)


def groupnorm_forward(x, gamma, beta, num_groups, eps=1e-5):
    """As solutions/a2_normalization/norms.py; a slice per (sample, group): view (1, N*G, -1)."""
    _require(x.ndim >= 2, f"x must be (N, C, *spatial), got shape {x.shape}")
    N, C = x.shape[:2]
    _require(isinstance(num_groups, (int, np.integer)) and num_groups >= 1 and C % num_groups == 0,
             f"num_groups={num_groups!r} must be a positive int dividing C={C}")
    _require(gamma.shape == (C,) and beta.shape == (C,), f"gamma and beta must have shape ({C},)")
    view = (1, N * num_groups, -1)
    x_hat, inv_std = _forward(x, view, eps)
    shape = _per_channel(x)
    out = (gamma.reshape(shape) * x_hat + beta.reshape(shape)).astype(x.dtype, copy=False)
    return out, (x_hat, inv_std, gamma, view)


def groupnorm_backward(dout, cache):
    """As solutions/a2_normalization/norms.py."""
    x_hat, inv_std, gamma, view = cache
    g = (dout * gamma.reshape(_per_channel(dout))).astype(dout.dtype, copy=False)
    return _backward(g, x_hat, inv_std, view), *_affine_grads(dout, x_hat, (0,) + tuple(range(2, dout.ndim)))
