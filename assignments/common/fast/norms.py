"""The fast path for assignment 2: the four normalizations, same contract as norms.py.

The four layers really are one operation. View x as (A, R, B) so that each middle slice
x[:, r, :] is one set of values sharing a mean and a variance; no data moves:

    batch norm     (N, C, prod(spatial))            a slice per channel
    layer norm     (1, samples, prod(normalized))   a slice per sample
    instance norm  (1, N * C, prod(spatial))        a slice per (sample, channel)
    group norm     (1, N * G, C // G * spatial)     a slice per (sample, group)

Two numba kernels, forward and backward, serve all four; gamma and beta reach them as (P, B)
tables indexed by (r % P, b). Each works through one slice at a time, reading it again while it
is still in cache (for slices up to the cache's size): the forward three times (its mean, its
centred squares, then out) and writes only out, plus a mean and an inv_std per slice (x_hat is
recomputed from x in the backward: as in PyTorch, the cache holds x itself, so x must not be
changed in place between a forward and its backward); the backward twice (the sums, then dx)
and sums dgamma and dbeta per chunk of slices into its own (P, B) tables, folded to gamma's
shape in numpy. Sums run in x's precision
over at most RUN values (or FOLD_ROWS rows), where LLVM vectorizes them, and accumulate in
float64; the elementwise math is in x's precision. ``fastmath={"reassoc"}`` lets
LLVM vectorize the sums (it may reorder additions; it assumes nothing about inf or NaN). Arrays a
kernel writes are separate arguments: numba's parallel loops do not write through arrays
unpacked from a tuple. The readable reference is solutions/a2_normalization/norms.py; both pass
the same tests (``--impl fast``).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from assignments.common.fast import readonly, require_float


RUN = 1024  # values summed in x's precision before a float64 sum takes them


@njit(parallel=True, fastmath={"reassoc"}, cache=True)
def normalize(x, eps, affine, out, mean, inv_std):
    """Normalize each middle slice x[:, r, :] with its own mean and biased variance, then
    scale and shift with the (P, B) tables of affine = (scale, shift):

        out[a, r, b] = scale[r % P, b] * (x[a, r, b] - mean[r]) * inv_std[r] + shift[r % P, b]
        inv_std[r]   = 1 / sqrt(var_r + eps)

    x, out (A, R, B); mean, inv_std (R,) float64: two passes over the slice (the mean, then
    the centred squares), each run of RUN values of a row summed in x's precision (in LLVM's
    vector lanes), the runs in float64; the elementwise math is in x's precision.
    x_hat is not stored: the backward recomputes it from x, mean and inv_std.
    Parallel over r: iteration r writes out[:, r, :], mean[r] and inv_std[r] only.
    """
    scale, shift = affine
    n_a, n_r, n_b = x.shape
    period = scale.shape[0]
    count = n_a * n_b
    real = x.dtype.type  # float32 math on float32 data: twice the vector width
    for r in prange(n_r):
        total = 0.0
        for a in range(n_a):
            for b0 in range(0, n_b, RUN):
                run = real(0.0)
                for b in range(np.uint64(b0), np.uint64(min(b0 + RUN, n_b))):  # unsigned: vectorized
                    run += x[a, r, b]
                total += run
        m = total / count
        squares, center = 0.0, real(m)
        for a in range(n_a):
            for b0 in range(0, n_b, RUN):
                run = real(0.0)
                for b in range(np.uint64(b0), np.uint64(min(b0 + RUN, n_b))):  # unsigned: vectorized
                    d = x[a, r, b] - center
                    run += d * d
                squares += run
        s = 1.0 / math.sqrt(squares / count + eps)
        mean[r] = m
        inv_std[r] = s
        factor, q = real(s), r % period
        for a in range(n_a):
            for b in range(n_b):
                out[a, r, b] = scale[q, b] * ((x[a, r, b] - center) * factor) + shift[q, b]


FOLD_ROWS = 32  # rows summed in x's precision before the float64 tables take them


@njit(parallel=True, fastmath={"reassoc"}, cache=True)
def normalize_backward(dout, x, mean, inv_std, scale, dx, dscale, dshift):
    """The gradients through normalize, with x_hat = (x - mean_r) * inv_std_r recomputed and
    g = scale[r % P, b] * dout = dL/dx_hat:

        dx[a, r, b]     = inv_std_r * (g - mean_r(g) - x_hat * mean_r(g * x_hat))
        dscale[t, q, b] = sum of dout * x_hat over a and the slices r of chunk t with r % P = q
        dshift[t, q, b] = the same sum of dout

    dout, x, dx (A, R, B); mean, inv_std (R,); scale (P, B) as in normalize;
    dscale, dshift (T, P, B) float64, zeroed by the caller, which sums them over t.
    Sums as in normalize: the mean_r terms by runs of RUN in x's precision, the runs in float64;
    dscale and dshift gather up to FOLD_ROWS rows of one q in x's precision, then fold them
    into float64.
    Parallel over T chunks of consecutive slices: chunk t writes dx[:, r, :] for its slices r,
    dscale[t] and dshift[t] only.
    """
    n_a, n_r, n_b = dout.shape
    n_chunks, period = dscale.shape[0], scale.shape[0]
    count = n_a * n_b
    real = x.dtype.type  # elementwise math in x's precision
    for t in prange(n_chunks):
        part_scale, part_shift = np.zeros(n_b, x.dtype), np.zeros(n_b, x.dtype)  # (B,): rows not yet folded
        held = 0
        r0, r1 = t * n_r // n_chunks, (t + 1) * n_r // n_chunks
        for r in range(r0, r1):
            m, s, q = real(mean[r]), real(inv_std[r]), r % period
            sum_g, sum_gx = 0.0, 0.0
            for a in range(n_a):
                for b0 in range(0, n_b, RUN):
                    run_g, run_gx = real(0.0), real(0.0)
                    for b in range(np.uint64(b0), np.uint64(min(b0 + RUN, n_b))):  # unsigned: vectorized
                        x_hat = (x[a, r, b] - m) * s
                        g = scale[q, b] * dout[a, r, b]
                        run_g += g
                        run_gx += g * x_hat
                        part_scale[b] += dout[a, r, b] * x_hat
                        part_shift[b] += dout[a, r, b]
                    sum_g += run_g
                    sum_gx += run_gx
                held += 1
                if held == FOLD_ROWS or (a == n_a - 1 and (r + 1 == r1 or (r + 1) % period != q)):
                    for b in range(n_b):  # fold: float64 += x's precision
                        dscale[t, q, b] += part_scale[b]
                        dshift[t, q, b] += part_shift[b]
                        part_scale[b] = part_shift[b] = 0.0
                    held = 0
            mean_g, mean_gx = real(sum_g / count), real(sum_gx / count)
            for a in range(n_a):
                for b in range(n_b):
                    x_hat = (x[a, r, b] - m) * s
                    dx[a, r, b] = s * (scale[q, b] * dout[a, r, b] - mean_g - x_hat * mean_gx)


# ------------------------------------------------------------------ the four views


def _tables(gamma, beta, kind, view, dtype):
    """gamma and beta as (P, B) tables indexed by (r % P, b) in the (A, R, B) view."""
    def table(v):
        v = np.asarray(v, dtype=dtype)
        if kind == "row":  # batch norm: one value per slice r
            return np.ascontiguousarray(np.broadcast_to(v[:, None], (v.size, view[2])))
        if kind == "column":  # layer norm: one value per position b
            return v.reshape(1, -1)
        groups, per_channel = kind  # group/instance norm: channel g*C/G + b // S of slice r = (n, g)
        return np.repeat(v.reshape(groups, -1), per_channel, axis=1)
    return table(gamma), table(beta)


def _forward(x, gamma, beta, view, kind, eps):
    """(out, cache) for x seen as ``view``; the cache holds x itself (as the frameworks do: x
    must not change before the backward), its statistics and the gamma table."""
    require_float("x", x)
    x3 = readonly(np.ascontiguousarray(x).reshape(view))  # (A, R, B)
    out = np.empty(x3.shape, dtype=x3.dtype)  # (A, R, B)
    stats = np.empty(x3.shape[1], dtype=np.float64), np.empty(x3.shape[1], dtype=np.float64)  # mean, inv_std (R,)
    scale, shift = (readonly(t) for t in _tables(gamma, beta, kind, x3.shape, x.dtype))
    normalize(x3, eps, (scale, shift), out, *stats)
    return out.reshape(x.shape), (x3, stats, scale, gamma.shape)


def _backward(dout, cache):
    """(dx, dgamma, dbeta) through _forward. The kernel sums dout * x_hat and dout per chunk of
    slices into (T, P, B) tables; the tables fold to gamma's shape: every kind's table is
    (channel, positions sharing it) once its rows are put end to end."""
    x3, stats, scale, gamma_shape = cache
    d3 = readonly(np.ascontiguousarray(dout, dtype=x3.dtype).reshape(x3.shape))  # (A, R, B)
    dx = np.empty(d3.shape, dtype=d3.dtype)  # (A, R, B)
    n_chunks = min(x3.shape[1], numba.get_num_threads())
    dscale, dshift = (np.zeros((n_chunks,) + scale.shape) for _ in range(2))  # (T, P, B) float64
    normalize_backward(d3, x3, *stats, scale, dx, dscale, dshift)
    size = int(np.prod(gamma_shape))
    dgamma, dbeta = (d.sum(axis=0).reshape(size, -1).sum(axis=1).reshape(gamma_shape) for d in (dscale, dshift))
    return dx.reshape(dout.shape), dgamma.astype(x3.dtype), dbeta.astype(x3.dtype)


def _require(condition, message):
    if not condition:
        raise ValueError(message)


def _per_channel(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


# ------------------------------------------------------------------ the contract's functions


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
    """As solutions/a2_normalization/norms.py; a slice per channel: view (N, C, S)."""
    _require(x.ndim >= 2, f"x must be (N, C) or (N, C, *spatial), got shape {x.shape}")
    N, C = x.shape[:2]
    for name, a in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean), ("running_var", running_var)):
        _require(a.shape == (C,), f"{name} must have shape ({C},), got {a.shape}")
    _require(0 <= momentum <= 1, f"momentum must be in [0, 1], got {momentum}")
    shape = _per_channel(x)
    if not training:
        inv_std = (1.0 / np.sqrt(running_var + eps)).reshape(shape)  # (1, C, 1, ...)
        x_hat = ((x - running_mean.reshape(shape)) * inv_std).astype(x.dtype)
        out = (gamma.reshape(shape) * x_hat + beta.reshape(shape)).astype(x.dtype, copy=False)
        return out, (x_hat, gamma.reshape(shape) * inv_std)
    n = x.size // C
    _require(n > 1, "batch norm in training needs more than one value per channel")
    out, cache = _forward(x, gamma, beta, (N, C, -1), "row", eps)
    mean, inv_std = cache[1]
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += momentum * (1.0 / inv_std**2 - eps) * n / (n - 1)  # from the biased batch variance
    return out, cache


def batchnorm_backward(dout, cache):
    """As solutions/a2_normalization/norms.py."""
    if len(cache) == 2:  # eval: the running statistics are constants
        x_hat, scale = cache  # scale = gamma * inv_std, (1, C, 1, ...)
        axes = (0,) + tuple(range(2, dout.ndim))
        dx = (dout * scale).astype(dout.dtype, copy=False)
        return dx, (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)
    return _backward(dout, cache)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """As solutions/a2_normalization/norms.py; a slice per sample: view (1, samples, K)."""
    _require(gamma.ndim >= 1 and x.shape[x.ndim - gamma.ndim:] == gamma.shape,
             f"gamma's shape {gamma.shape} must be the trailing shape of x {x.shape}")
    _require(beta.shape == gamma.shape, f"beta must have gamma's shape {gamma.shape}, got {beta.shape}")
    return _forward(x, gamma, beta, (1, -1, gamma.size), "column", eps)


def layernorm_backward(dout, cache):
    """As solutions/a2_normalization/norms.py."""
    return _backward(dout, cache)


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
    """As solutions/a2_normalization/norms.py; a slice per (sample, group): view (1, N*G, C/G*S)."""
    _require(x.ndim >= 2, f"x must be (N, C, *spatial), got shape {x.shape}")
    N, C = x.shape[:2]
    _require(isinstance(num_groups, (int, np.integer)) and num_groups >= 1 and C % num_groups == 0,
             f"num_groups={num_groups!r} must be a positive int dividing C={C}")
    _require(gamma.shape == (C,) and beta.shape == (C,), f"gamma and beta must have shape ({C},)")
    spatial = x.size // (N * C) if x.size else 1
    return _forward(x, gamma, beta, (1, N * num_groups, -1), (num_groups, spatial), eps)


def groupnorm_backward(dout, cache):
    """As solutions/a2_normalization/norms.py."""
    return _backward(dout, cache)


def warm():
    """Compile both kernels for float32 and float64 (the JIT's first calls), before timed or
    confined code runs; with ``cache=True`` a later process loads them from disk."""
    for dtype in (np.float32, np.float64):
        x, ones, zeros = np.ones((2, 2, 2), dtype), np.ones(2, dtype), np.zeros(2, dtype)  # x (N, C, L)
        out, cache = batchnorm_forward(x, ones, zeros, zeros.copy(), ones.copy())
        batchnorm_backward(np.ones_like(out), cache)
