"""a5_attention: scaled dot-product attention, multi-head attention, positional
encodings and BERT-style token masking, in plain (vectorized) numpy.

Mask convention everywhere: boolean, True = may attend (as
``torch.nn.functional.scaled_dot_product_attention``).  A query row with no
allowed key gets all-zero weights and therefore an all-zero output.
"""
import numbers

import numpy as np


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def _float_dtype(*arrays):
    """Common floating dtype of the arrays (float64 for integer/bool inputs)."""
    dt = np.result_type(*arrays)
    if not np.issubdtype(dt, np.floating):
        dt = np.dtype(np.float64)
    return dt


def _as_float_array(x, name, dtype=None):
    try:
        a = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real-valued, got dtype {a.dtype}")
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    return a


def _as_bool_mask(mask):
    m = np.asarray(mask)
    if m.dtype == bool:
        return m
    if np.issubdtype(m.dtype, np.integer) or np.issubdtype(m.dtype, np.floating):
        if m.size == 0 or np.all((m == 0) | (m == 1)):
            return m.astype(bool)
    raise ValueError(
        f"mask must be a boolean array (True = may attend), got dtype {m.dtype}")


def _check_int(value, name, minimum=0):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _sum_to_shape(g, shape):
    """Sum a broadcast gradient back down to ``shape``."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _masked_softmax(scores, mask=None, axis=-1):
    """Stable softmax along ``axis``; entries with mask False are excluded and a
    row with nothing allowed (or all -inf) gives all zeros."""
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    m = np.max(scores, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0).astype(scores.dtype, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(scores - m)
    s = e.sum(axis=axis, keepdims=True)
    return e / np.where(s == 0, 1, s).astype(scores.dtype, copy=False)


# ----------------------------------------------------------------------------
# softmax
# ----------------------------------------------------------------------------
def softmax(x, axis=-1):
    """Numerically stable softmax along ``axis`` (float dtype preserved).

    Subtracts the maximum before exponentiating, so inputs of magnitude 1e4
    stay finite.  A slice that is entirely -inf gives zeros.
    """
    x = _as_float_array(x, "x")
    dt = _float_dtype(x)
    x = x.astype(dt, copy=False)
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for x with {x.ndim} dims")
    return _masked_softmax(x, None, axis=int(axis))


# ----------------------------------------------------------------------------
# scaled dot-product attention
# ----------------------------------------------------------------------------
def _prepare_sdpa(q, k, v, mask):
    dt = _float_dtype(np.asarray(q), np.asarray(k), np.asarray(v))
    q = _as_float_array(q, "q", dt)
    k = _as_float_array(k, "k", dt)
    v = _as_float_array(v, "v", dt)
    for name, a in (("q", q), ("k", k), ("v", v)):
        if a.ndim < 2:
            raise ValueError(f"{name} must have at least 2 dims (..., L, d), got {a.shape}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must share the last dim dk, got q {q.shape} and k {k.shape}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must share the key length Lk, got k {k.shape} and v {v.shape}")
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"batch dims of q {q.shape}, k {k.shape}, v {v.shape} do not broadcast") from None
    dk = q.shape[-1]
    scale = 1.0 / np.sqrt(dk) if dk > 0 else 1.0
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) * dt.type(scale)
    if mask is not None:
        mask = _as_bool_mask(mask)
        try:
            full = np.broadcast_shapes(scores.shape, mask.shape)
        except ValueError:
            raise ValueError(
                f"mask of shape {mask.shape} is not broadcastable to the scores "
                f"(..., Lq, Lk) = {scores.shape}") from None
        if full[-2:] != scores.shape[-2:]:
            raise ValueError(
                f"mask of shape {mask.shape} does not match (Lq, Lk) = {scores.shape[-2:]}")
    weights = _masked_softmax(scores, mask, axis=-1)
    return q, k, v, mask, scale, weights


def scaled_dot_product_attention(q, k, v, mask=None):
    """``weights = softmax(q k^T / sqrt(dk))`` with masked entries excluded;
    ``out = weights v``.

    q (..., Lq, dk), k (..., Lk, dk), v (..., Lk, dv); mask broadcastable to
    (..., Lq, Lk), True = may attend.  Returns ``(out, weights)``.
    """
    q, k, v, mask, scale, weights = _prepare_sdpa(q, k, v, mask)
    out = np.matmul(weights, v)
    return out, weights


def scaled_dot_product_attention_backward(dout, q, k, v, mask=None):
    """Gradients of ``out`` of :func:`scaled_dot_product_attention` with respect
    to q, k and v, given the upstream gradient ``dout`` (..., Lq, dv)."""
    q, k, v, mask, scale, P = _prepare_sdpa(q, k, v, mask)
    dt = P.dtype
    dout = _as_float_array(dout, "dout", dt)
    out_shape = P.shape[:-1] + (v.shape[-1],)
    try:
        full = np.broadcast_shapes(out_shape, dout.shape)
    except ValueError:
        full = None
    if full != out_shape:
        raise ValueError(
            f"dout has shape {dout.shape}, expected the output shape {out_shape}")
    dout = np.broadcast_to(dout, out_shape)

    dv = np.matmul(np.swapaxes(P, -1, -2), dout)            # (..., Lk, dv)
    dP = np.matmul(dout, np.swapaxes(v, -1, -2))            # (..., Lq, Lk)
    dS = P * (dP - np.sum(dP * P, axis=-1, keepdims=True))  # softmax backward
    dS = dS * dt.type(scale)
    dq = np.matmul(dS, k)                                    # (..., Lq, dk)
    dk = np.matmul(np.swapaxes(dS, -1, -2), q)               # (..., Lk, dk)
    return (_sum_to_shape(dq, q.shape).astype(dt, copy=False),
            _sum_to_shape(dk, k.shape).astype(dt, copy=False),
            _sum_to_shape(dv, v.shape).astype(dt, copy=False))


# ----------------------------------------------------------------------------
# masks / positional encodings
# ----------------------------------------------------------------------------
def causal_mask(length):
    """Boolean (length, length) mask: position t may attend to 0..t."""
    length = _check_int(length, "length", 0)
    return np.tril(np.ones((length, length), dtype=bool))


def sinusoidal_positional_encoding(length, d_model):
    """``PE[t, 2i] = sin(t / 10000**(2i/d_model))``,
    ``PE[t, 2i+1] = cos(t / 10000**(2i/d_model))``; shape (length, d_model)."""
    length = _check_int(length, "length", 0)
    d_model = _check_int(d_model, "d_model", 0)
    if d_model % 2:
        raise ValueError(f"d_model must be even, got {d_model}")
    t = np.arange(length, dtype=np.float64)[:, None]                  # (L, 1)
    two_i = np.arange(0, d_model, 2, dtype=np.float64)[None, :]        # (1, d/2)
    angles = t / np.power(10000.0, two_i / max(d_model, 1))
    pe = np.empty((length, d_model), dtype=np.float64)
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


# ----------------------------------------------------------------------------
# multi-head attention
# ----------------------------------------------------------------------------
def _get_param(params, key, shape, dt, required=True):
    if key not in params or params[key] is None:
        if required:
            raise ValueError(f"params is missing '{key}'")
        return None
    p = params[key]
    if hasattr(p, "detach"):  # tolerate a torch tensor handed in by mistake
        p = p.detach().cpu().numpy()
    p = _as_float_array(p, f"params['{key}']", dt)
    if p.shape != shape:
        raise ValueError(f"params['{key}'] has shape {p.shape}, expected {shape}")
    return p


def multi_head_attention(query, key, value, params, num_heads, mask=None):
    """Multi-head attention as ``nn.MultiheadAttention(E, num_heads,
    batch_first=True)`` with the mask inverted.

    query (N, Lq, E), key (N, Lk, E), value (N, Lk, E) (unbatched (L, E) inputs
    are accepted too); params keyed like the module's state_dict; mask (Lq, Lk)
    or (N, Lq, Lk), True = may attend.  A fully masked query row outputs
    ``out_proj.bias``.
    """
    dt = _float_dtype(np.asarray(query), np.asarray(key), np.asarray(value))
    query = _as_float_array(query, "query", dt)
    key = _as_float_array(key, "key", dt)
    value = _as_float_array(value, "value", dt)
    if not isinstance(params, dict) and not hasattr(params, "keys"):
        raise ValueError("params must be a dict keyed like nn.MultiheadAttention.state_dict()")

    unbatched = query.ndim == 2
    if unbatched:
        if key.ndim != 2 or value.ndim != 2:
            raise ValueError(
                f"query, key and value must all be (L, E) or all (N, L, E), got "
                f"{query.shape}, {key.shape}, {value.shape}")
        query, key, value = query[None], key[None], value[None]
    for name, a in (("query", query), ("key", key), ("value", value)):
        if a.ndim != 3:
            raise ValueError(f"{name} must have shape (N, L, E), got {a.shape}")
    N, Lq, E = query.shape
    if key.shape[0] != N or value.shape[0] != N:
        raise ValueError(
            f"query, key and value must share the batch size, got "
            f"{query.shape}, {key.shape}, {value.shape}")
    if key.shape[2] != E or value.shape[2] != E:
        raise ValueError(
            f"query, key and value must share the embedding dim E={E}, got "
            f"key {key.shape} and value {value.shape}")
    if key.shape[1] != value.shape[1]:
        raise ValueError(
            f"key and value must share the sequence length, got {key.shape} and {value.shape}")
    Lk = key.shape[1]

    num_heads = _check_int(num_heads, "num_heads", 1)
    if E % num_heads:
        raise ValueError(f"num_heads={num_heads} does not divide the embedding dim E={E}")
    D = E // num_heads

    W_in = _get_param(params, "in_proj_weight", (3 * E, E), dt)
    b_in = _get_param(params, "in_proj_bias", (3 * E,), dt, required=False)
    W_out = _get_param(params, "out_proj.weight", (E, E), dt)
    b_out = _get_param(params, "out_proj.bias", (E,), dt, required=False)

    if mask is not None:
        mask = _as_bool_mask(mask)
        if mask.ndim == 2:
            ok = mask.shape == (Lq, Lk)
        elif mask.ndim == 3 and not unbatched:
            ok = mask.shape[0] in (1, N) and mask.shape[1:] == (Lq, Lk)
        else:
            ok = False
        if not ok:
            raise ValueError(
                f"mask must have shape (Lq, Lk) = {(Lq, Lk)} or (N, Lq, Lk) = "
                f"{(N, Lq, Lk)}, got {mask.shape}")
        if mask.ndim == 3:
            mask = mask[:, None]           # (N, 1, Lq, Lk): same for every head

    Wq, Wk, Wv = W_in[:E], W_in[E:2 * E], W_in[2 * E:]
    Q = query @ Wq.T
    K = key @ Wk.T
    V = value @ Wv.T
    if b_in is not None:
        Q = Q + b_in[:E]
        K = K + b_in[E:2 * E]
        V = V + b_in[2 * E:]

    # (N, L, E) -> (N, H, L, D)
    Q = Q.reshape(N, Lq, num_heads, D).transpose(0, 2, 1, 3)
    K = K.reshape(N, Lk, num_heads, D).transpose(0, 2, 1, 3)
    V = V.reshape(N, Lk, num_heads, D).transpose(0, 2, 1, 3)

    heads, _ = scaled_dot_product_attention(Q, K, V, mask)   # (N, H, Lq, D)
    concat = heads.transpose(0, 2, 1, 3).reshape(N, Lq, E)
    out = concat @ W_out.T
    if b_out is not None:
        out = out + b_out
    out = out.astype(dt, copy=False)
    return out[0] if unbatched else out


# ----------------------------------------------------------------------------
# BERT masking
# ----------------------------------------------------------------------------
def bert_mask_tokens(tokens, rng, mask_id, vocab_size, special_ids=(), mask_prob=0.15):
    """BERT's masked-language-model corruption.

    Each non-special token is selected with probability ``mask_prob``; a
    selected token becomes ``mask_id`` with probability 0.8, a uniformly random
    id in [0, vocab_size) with 0.1 and stays unchanged with 0.1.  ``labels``
    hold the original id at selected positions and -100 elsewhere.
    Returns ``(inputs, labels)``; ``tokens`` is not modified.
    """
    tok = np.asarray(tokens)
    if tok.size == 0 and not np.issubdtype(tok.dtype, np.integer):
        tok = tok.astype(np.int64)
    if tok.dtype == bool or not np.issubdtype(tok.dtype, np.integer):
        raise ValueError(f"tokens must be an integer array, got dtype {tok.dtype}")
    if rng is None:
        rng = np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator")
    vocab_size = _check_int(vocab_size, "vocab_size", 1)
    mask_id = _check_int(mask_id, "mask_id", -(1 << 62))
    if isinstance(mask_prob, (bool, np.bool_)) or not isinstance(mask_prob, numbers.Real):
        raise ValueError(f"mask_prob must be a number in [0, 1], got {mask_prob!r}")
    mask_prob = float(mask_prob)
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"mask_prob must be in [0, 1], got {mask_prob}")
    if special_ids is None:
        special_ids = ()
    if np.isscalar(special_ids):
        special_ids = (special_ids,)
    special = np.asarray(list(special_ids), dtype=np.int64)

    not_special = ~np.isin(tok, special)
    selected = (rng.random(tok.shape) < mask_prob) & not_special
    action = rng.random(tok.shape)
    random_ids = rng.integers(0, vocab_size, size=tok.shape)
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)

    inputs = tok.copy()
    inputs = np.where(to_mask, mask_id, inputs)
    inputs = np.where(to_random, random_ids, inputs).astype(tok.dtype, copy=False)

    label_dtype = tok.dtype if np.issubdtype(tok.dtype, np.signedinteger) else np.int64
    labels = np.where(selected, tok, -100).astype(label_dtype, copy=False)
    return inputs, labels
