"""The fast path for assignment 5: attention, same contract as attention.py.

Attention is two batched matrix products around a row-wise softmax. The products go to BLAS
through numpy's matmul; the softmax (forward and backward, masks and fully masked rows
included) is one fused numba kernel over rows, so the (..., Lq, Lk) scores are read once and
written once. The readable reference is solutions/a5_attention/attention.py; both pass the
same tests (``--impl fast``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def masked_softmax(scores, allowed, weights):
    """Row-wise softmax of the allowed scores; a row with no allowed entry gets zeros:

        weights[r, j] = exp(s[r, j] - m_r) / sum_{allowed j'} exp(s[r, j'] - m_r)   if allowed[r, j]
        m_r = max over the allowed j of s[r, j]

    scores, weights (R, L); allowed (R, L) bool, or (0, 0) for "every entry allowed".
    Parallel over r: iteration r writes weights[r] only.
    """
    n_rows, n = scores.shape
    masked = allowed.shape[0] > 0
    for r in prange(n_rows):
        top = -np.inf
        for j in range(n):
            if (not masked or allowed[r, j]) and scores[r, j] > top:
                top = scores[r, j]
        if top == -np.inf:  # no allowed key: zero weights, no NaN
            for j in range(n):
                weights[r, j] = 0.0
            continue
        total = 0.0
        for j in range(n):
            e = math.exp(scores[r, j] - top) if (not masked or allowed[r, j]) else 0.0
            weights[r, j] = e
            total += e
        for j in range(n):
            weights[r, j] /= total


@njit(parallel=True, cache=True)
def softmax_backward(weights, dw, ds):
    """The softmax's backward, row by row: ds = w * (dw - sum_j dw_j w_j).

    weights, dw, ds (R, L). Parallel over r: iteration r writes ds[r] only.
    """
    n_rows, n = weights.shape
    for r in prange(n_rows):
        dot = 0.0
        for j in range(n):
            dot += dw[r, j] * weights[r, j]
        for j in range(n):
            ds[r, j] = weights[r, j] * (dw[r, j] - dot)


def _check(condition, message):
    if not condition:
        raise ValueError(message)


def _rows(a):
    """a (..., L) as a C-contiguous (rows, L) array (a copy only when it must be)."""
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def softmax(x, axis=-1):
    """As solutions/a5_attention/attention.py."""
    moved = np.moveaxis(x, axis, -1)  # (..., L): the kernel works on rows
    weights = np.empty(moved.shape, dtype=x.dtype)
    masked_softmax(_rows(moved), np.zeros((0, 0), dtype=np.bool_), weights.reshape(-1, moved.shape[-1]))
    return np.moveaxis(weights, -1, axis)


def _attention(q, k, v, mask):
    """(out, weights, scale): the forward, shared by the backward."""
    _check(q.ndim >= 2 and k.ndim >= 2 and v.ndim >= 2, "q, k and v must be (..., L, d)")
    _check(q.shape[-1] == k.shape[-1], f"q and k must have the same dk, got {q.shape} and {k.shape}")
    _check(k.shape[-2] == v.shape[-2], f"k and v must have the same length Lk, got {k.shape} and {v.shape}")
    scale = q.dtype.type(1.0 / math.sqrt(q.shape[-1]))
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) * scale  # (..., Lq, Lk), BLAS
    allowed = np.zeros((0, 0), dtype=np.bool_)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        try:
            allowed = _rows(np.broadcast_to(mask, scores.shape))
        except ValueError:
            raise ValueError(f"mask {mask.shape} does not broadcast to the scores {scores.shape}") from None
    weights = np.empty(scores.shape, dtype=scores.dtype)
    masked_softmax(_rows(scores), allowed, weights.reshape(-1, scores.shape[-1]))
    out = np.matmul(weights, v).astype(q.dtype, copy=False)  # (..., Lq, dv)
    return out, weights.astype(q.dtype, copy=False), scale


def scaled_dot_product_attention(q, k, v, mask=None):
    """As solutions/a5_attention/attention.py."""
    out, weights, _ = _attention(q, k, v, mask)
    return out, weights


def _sum_to(g, shape):
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1), keepdims=True)


def scaled_dot_product_attention_backward(dout, q, k, v, mask=None):
    """As solutions/a5_attention/attention.py."""
    _, weights, scale = _attention(q, k, v, mask)
    dv = np.matmul(np.swapaxes(weights, -1, -2), dout)  # (..., Lk, dv)
    dw = np.matmul(dout, np.swapaxes(v, -1, -2))  # (..., Lq, Lk)
    ds = np.empty(dw.shape, dtype=dw.dtype)
    softmax_backward(_rows(np.broadcast_to(weights, dw.shape)), _rows(dw), ds.reshape(-1, dw.shape[-1]))
    dq = np.matmul(ds, k) * scale
    dk = np.matmul(np.swapaxes(ds, -1, -2), q) * scale
    return tuple(_sum_to(g, a.shape).astype(q.dtype, copy=False) for g, a in ((dq, q), (dk, k), (dv, v)))


def causal_mask(length):
    """As solutions/a5_attention/attention.py."""
    _check(isinstance(length, (int, np.integer)) and length >= 1, f"length must be a positive int, got {length!r}")
    return np.tri(length, dtype=bool)


def multi_head_attention(query, key, value, params, num_heads, mask=None):
    """As solutions/a5_attention/attention.py: the H heads are one batched attention call."""
    _check(query.ndim == 3 and key.ndim == 3, f"query and key must be (N, L, E), got {query.shape} and {key.shape}")
    _check(key.shape == value.shape, f"key and value must have the same shape, got {key.shape} and {value.shape}")
    N, Lq, E = query.shape
    _check(key.shape[0] == N and key.shape[2] == E, f"key {key.shape} does not match query {query.shape}")
    _check(isinstance(num_heads, (int, np.integer)) and num_heads >= 1 and E % num_heads == 0,
           f"num_heads={num_heads!r} must be a positive divisor of E={E}")
    w, b = params["in_proj_weight"], params["in_proj_bias"]
    _check(w.shape == (3 * E, E) and b.shape == (3 * E,), f"in_proj_weight/in_proj_bias must be ({3 * E}, {E})/({3 * E},)")
    _check(params["out_proj.weight"].shape == (E, E) and params["out_proj.bias"].shape == (E,),
           f"out_proj.weight/out_proj.bias must be ({E}, {E})/({E},)")
    Lk, d = key.shape[1], E // num_heads
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        _check(mask.shape in ((Lq, Lk), (N, Lq, Lk)), f"mask must be ({Lq}, {Lk}) or ({N}, {Lq}, {Lk}), got {mask.shape}")
        mask = mask[:, None] if mask.ndim == 3 else mask  # (N, 1, Lq, Lk)
    split = [np.matmul(x, w[i * E:(i + 1) * E].T) + b[i * E:(i + 1) * E] for i, x in enumerate((query, key, value))]
    q, k, v = (s.reshape(N, -1, num_heads, d).transpose(0, 2, 1, 3) for s in split)  # (N, H, L, d)
    out, _, _ = _attention(q, k, v, mask)
    out = out.transpose(0, 2, 1, 3).reshape(N, Lq, E)
    return (np.matmul(out, params["out_proj.weight"].T) + params["out_proj.bias"]).astype(query.dtype, copy=False)


def sinusoidal_positional_encoding(length, d_model):
    """As solutions/a5_attention/attention.py."""
    _check(isinstance(d_model, (int, np.integer)) and d_model >= 2 and d_model % 2 == 0,
           f"d_model must be a positive even int, got {d_model!r}")
    _check(isinstance(length, (int, np.integer)) and length >= 1, f"length must be a positive int, got {length!r}")
    angles = np.outer(np.arange(length, dtype=np.float64), np.exp(np.arange(0, d_model, 2) * (-math.log(1e4) / d_model)))
    return np.stack([np.sin(angles), np.cos(angles)], axis=-1).reshape(length, d_model)  # sin, cos interleaved


def bert_mask_tokens(tokens, rng, mask_id, vocab_size, special_ids=(), mask_prob=0.15):
    """As solutions/a5_attention/attention.py: one uniform draw decides selection and kind."""
    tokens = np.asarray(tokens)
    _check(np.issubdtype(tokens.dtype, np.integer), f"tokens must be integer ids, got dtype {tokens.dtype}")
    _check(0 <= mask_prob <= 1, f"mask_prob must be in [0, 1], got {mask_prob!r}")
    _check(vocab_size >= 1, f"vocab_size must be positive, got {vocab_size!r}")
    u = rng.random(tokens.shape)
    selected = (u < mask_prob) & ~np.isin(tokens, list(special_ids))
    kind = u / mask_prob if mask_prob > 0 else u  # uniform in [0, 1) again, given u < mask_prob
    inputs = np.where(selected & (kind < 0.8), tokens.dtype.type(mask_id), tokens)
    replaced = selected & (kind >= 0.8) & (kind < 0.9)
    inputs[replaced] = rng.integers(0, vocab_size, size=int(replaced.sum()))
    return inputs, np.where(selected, tokens, -100)
