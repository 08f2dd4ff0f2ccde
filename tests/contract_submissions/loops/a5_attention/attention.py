"""Assignment 5: attention (numpy only).

Conventions (contract sections 2 and 7):

* Boolean masks mean True = "may attend" (as torch.nn.functional.scaled_dot_product_attention).
* A query row with no allowed key gets all-zero attention weights and an all-zero output.
* Inputs may be float32 or float64 and may be non-contiguous views; outputs keep the input
  dtype. Inputs are never modified.
* Invalid arguments raise ValueError whose message names the argument(s) involved.
"""

import math
import numbers

import numpy as np


# ----------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------

def _float_dtype(*arrays):
    """The floating dtype to compute in: the common dtype of the inputs if it is a
    floating type, float64 otherwise (integers, booleans)."""
    dtype = np.result_type(*arrays)
    if not np.issubdtype(dtype, np.floating):
        dtype = np.dtype(np.float64)
    return dtype


def _as_array(x, name, min_ndim=0):
    """np.asarray with a ValueError naming the argument on obviously bad input."""
    if x is None:
        raise ValueError(f"{name} must be an array, got None")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - weird objects
        raise ValueError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype == object:
        raise ValueError(f"{name} must be a numeric array, got dtype object")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {arr.shape}")
    return arr


def _as_bool_mask(mask, name="mask"):
    """Boolean mask (True = may attend). Integer 0/1 masks are accepted too."""
    m = np.asarray(mask)
    if m.dtype == np.bool_:
        return m
    if np.issubdtype(m.dtype, np.integer):
        return m != 0
    raise ValueError(f"{name} must be a boolean array (True = may attend), got dtype {m.dtype}")


def _check_int(value, name, minimum=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _unbroadcast(grad, shape):
    """Sum grad over the axes that were broadcast to go from `shape` to grad.shape."""
    shape = tuple(shape)
    # leading axes that did not exist in the original
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    # axes of size 1 in the original that were stretched
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


# ----------------------------------------------------------------------------------------
# softmax
# ----------------------------------------------------------------------------------------

def softmax(x, axis=-1):
    """Numerically stable softmax along `axis`.

    The maximum along the axis is subtracted before exponentiating, so inputs of magnitude
    1e4 (or more) stay finite. A slice that is entirely -inf (every entry masked out) gives
    all zeros instead of NaN.
    """
    x = _as_array(x, "x")
    dtype = _float_dtype(x)
    x = x.astype(dtype, copy=False)
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension for softmax")
    try:
        axis = int(axis)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"axis must be an integer, got {axis!r}") from exc
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for x with {x.ndim} dimensions")
    if x.shape[axis] == 0:
        return np.zeros(x.shape, dtype=dtype)

    x_max = np.max(x, axis=axis, keepdims=True)
    # slices that are all -inf: use 0 as the shift so that exp(-inf - 0) = 0 (not NaN)
    x_max = np.where(np.isneginf(x_max), np.zeros((), dtype=dtype), x_max)
    shifted = x - x_max                     # new array, x untouched
    e = np.exp(shifted)
    total = np.sum(e, axis=axis, keepdims=True)
    safe_total = np.where(total > 0, total, np.ones((), dtype=dtype))
    out = e / safe_total
    out = np.where(total > 0, out, np.zeros((), dtype=dtype))
    return out.astype(dtype, copy=False)


# ----------------------------------------------------------------------------------------
# scaled dot-product attention
# ----------------------------------------------------------------------------------------

def _check_qkv(q, k, v):
    q = _as_array(q, "q", min_ndim=2)
    k = _as_array(k, "k", min_ndim=2)
    v = _as_array(v, "v", min_ndim=2)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same last dimension dk, got q {q.shape} and k {k.shape}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same number of keys Lk, got k {k.shape} and v {v.shape}")
    if q.shape[-1] == 0:
        raise ValueError(f"q and k must have dk > 0, got q {q.shape}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError as exc:
        raise ValueError(
            f"batch dimensions of q {q.shape}, k {k.shape} and v {v.shape} "
            f"are not broadcastable") from exc
    return q, k, v, batch


def _check_mask(mask, scores_shape):
    """Validate a boolean mask against scores of shape (..., Lq, Lk) and return the shape
    the scores take once the mask is broadcast in."""
    m = _as_bool_mask(mask, "mask")
    lq, lk = scores_shape[-2], scores_shape[-1]
    if m.ndim >= 1 and m.shape[-1] not in (1, lk):
        raise ValueError(f"mask of shape {m.shape} does not match Lk = {lk} of k")
    if m.ndim >= 2 and m.shape[-2] not in (1, lq):
        raise ValueError(f"mask of shape {m.shape} does not match Lq = {lq} of q")
    try:
        full_shape = np.broadcast_shapes(m.shape, scores_shape)
    except ValueError as exc:
        raise ValueError(
            f"mask of shape {m.shape} is not broadcastable to the scores of shape "
            f"{scores_shape} (..., Lq, Lk)") from exc
    return m, full_shape


def _attention_weights(q, k, mask, dtype):
    """Scores and weights. Returns (weights, allowed) where allowed is the boolean mask
    broadcast to the weights' shape (or None when there is no mask)."""
    dk = q.shape[-1]
    scale = np.asarray(1.0 / math.sqrt(dk), dtype=dtype)
    qf = q.astype(dtype, copy=False)
    kf = k.astype(dtype, copy=False)
    scores = np.matmul(qf, np.swapaxes(kf, -1, -2)) * scale     # (..., Lq, Lk)

    allowed = None
    if mask is not None:
        m, full_shape = _check_mask(mask, scores.shape)
        allowed = np.broadcast_to(m, full_shape)
        scores = np.broadcast_to(scores, full_shape)
        neg_inf = np.asarray(-np.inf, dtype=dtype)
        scores = np.where(allowed, scores, neg_inf)             # new array

    weights = softmax(scores, axis=-1)
    if allowed is not None:
        # exact zeros at masked entries (softmax already gives 0 there; be explicit)
        weights = np.where(allowed, weights, np.zeros((), dtype=dtype))
    return weights, allowed


def scaled_dot_product_attention(q, k, v, mask=None):
    """out = softmax(q k^T / sqrt(dk)) v with masked entries excluded.

    q (..., Lq, dk), k (..., Lk, dk), v (..., Lk, dv); mask broadcastable to
    (..., Lq, Lk), True = may attend. Returns (out (..., Lq, dv), weights (..., Lq, Lk)).
    A query row with no allowed key gets zero weights and a zero output.
    """
    q, k, v, _ = _check_qkv(q, k, v)
    dtype = _float_dtype(q, k, v)
    weights, _ = _attention_weights(q, k, mask, dtype)
    out = np.matmul(weights, v.astype(dtype, copy=False))
    return out.astype(dtype, copy=False), weights.astype(dtype, copy=False)


def scaled_dot_product_attention_backward(dout, q, k, v, mask=None):
    """Gradients of scaled_dot_product_attention's `out` w.r.t. q, k and v.

    With S = q k^T * s (s = 1/sqrt(dk)), W = softmax(S) (masked), out = W v:
        dv = W^T dout
        dW = dout v^T
        dS = W * (dW - sum(dW * W, axis=-1))
        dq = dS k * s,   dk = dS^T q * s
    Masked entries have W = 0, hence dS = 0 there. Gradients over broadcast batch
    dimensions are summed back to each input's shape.
    """
    q, k, v, _ = _check_qkv(q, k, v)
    dout = _as_array(dout, "dout", min_ndim=2)
    dtype = _float_dtype(q, k, v)

    weights, _ = _attention_weights(q, k, mask, dtype)
    out_shape = (np.broadcast_shapes(weights.shape[:-2], v.shape[:-2])
                 + (weights.shape[-2], v.shape[-1]))
    if dout.shape != out_shape:
        raise ValueError(f"dout has shape {dout.shape}, expected the output shape {out_shape}")

    dout_f = dout.astype(dtype, copy=False)
    qf = q.astype(dtype, copy=False)
    kf = k.astype(dtype, copy=False)
    vf = v.astype(dtype, copy=False)
    scale = np.asarray(1.0 / math.sqrt(q.shape[-1]), dtype=dtype)

    # out = W v
    dv_full = np.matmul(np.swapaxes(weights, -1, -2), dout_f)          # (..., Lk, dv)
    dW = np.matmul(dout_f, np.swapaxes(vf, -1, -2))                     # (..., Lq, Lk)

    # softmax backward, row by row: dS = W * (dW - <dW, W>)
    row_dot = np.sum(dW * weights, axis=-1, keepdims=True)
    dS = weights * (dW - row_dot)                                       # (..., Lq, Lk)

    # S = q k^T * scale
    dq_full = np.matmul(dS, kf) * scale                                 # (..., Lq, dk)
    dk_full = np.matmul(np.swapaxes(dS, -1, -2), qf) * scale            # (..., Lk, dk)

    dq = _unbroadcast(dq_full, q.shape)
    dk = _unbroadcast(dk_full, k.shape)
    dv = _unbroadcast(dv_full, v.shape)

    def _cast(g, like):
        if np.issubdtype(like.dtype, np.floating):
            return np.ascontiguousarray(g, dtype=like.dtype)
        return np.ascontiguousarray(g, dtype=dtype)

    return _cast(dq, q), _cast(dk, k), _cast(dv, v)


# ----------------------------------------------------------------------------------------
# masks
# ----------------------------------------------------------------------------------------

def causal_mask(length):
    """Boolean (length, length) mask, True = may attend: position t attends to 0..t."""
    length = _check_int(length, "length", minimum=0)
    mask = np.zeros((length, length), dtype=bool)
    for t in range(length):
        mask[t, : t + 1] = True
    return mask


# ----------------------------------------------------------------------------------------
# multi-head attention
# ----------------------------------------------------------------------------------------

_MHA_KEYS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias")


def multi_head_attention(query, key, value, params, num_heads, mask=None):
    """Multi-head attention, batch-first, as nn.MultiheadAttention(E, num_heads,
    batch_first=True) with the mask inverted.

    query (N, Lq, E), key (N, Lk, E), value (N, Lk, E); params keyed like the module's
    state_dict: in_proj_weight (3E, E), in_proj_bias (3E,), out_proj.weight (E, E),
    out_proj.bias (E,). mask (Lq, Lk) or (N, Lq, Lk), True = may attend; the same mask is
    used by every head. A fully masked query row outputs out_proj.bias.
    Returns out (N, Lq, E).
    """
    query = _as_array(query, "query")
    key = _as_array(key, "key")
    value = _as_array(value, "value")

    unbatched = False
    if query.ndim == 2 and key.ndim == 2 and value.ndim == 2:
        # unbatched (L, E) inputs, as PyTorch also accepts
        unbatched = True
        query, key, value = query[None], key[None], value[None]
    if query.ndim != 3:
        raise ValueError(f"query must have shape (N, Lq, E), got {query.shape}")
    if key.ndim != 3:
        raise ValueError(f"key must have shape (N, Lk, E), got {key.shape}")
    if value.ndim != 3:
        raise ValueError(f"value must have shape (N, Lk, E), got {value.shape}")

    n, lq, e = query.shape
    if key.shape[0] != n or value.shape[0] != n:
        raise ValueError(
            f"query, key and value must have the same batch size N, got query {query.shape}, "
            f"key {key.shape}, value {value.shape}")
    if key.shape[2] != e or value.shape[2] != e:
        raise ValueError(
            f"query, key and value must have the same embedding size E, got query "
            f"{query.shape}, key {key.shape}, value {value.shape}")
    if key.shape[1] != value.shape[1]:
        raise ValueError(
            f"key and value must have the same length Lk, got key {key.shape}, "
            f"value {value.shape}")
    lk = key.shape[1]

    num_heads = _check_int(num_heads, "num_heads", minimum=1)
    if e % num_heads != 0:
        raise ValueError(f"num_heads ({num_heads}) must divide the embedding size E ({e})")
    head_dim = e // num_heads

    if not hasattr(params, "__getitem__"):
        raise ValueError("params must be a dict keyed like nn.MultiheadAttention.state_dict()")
    for name in _MHA_KEYS:
        if name not in params:
            raise ValueError(f"params is missing '{name}'")

    dtype = _float_dtype(query, key, value)
    w_in = _as_array(params["in_proj_weight"], "params['in_proj_weight']")
    b_in = _as_array(params["in_proj_bias"], "params['in_proj_bias']")
    w_out = _as_array(params["out_proj.weight"], "params['out_proj.weight']")
    b_out = _as_array(params["out_proj.bias"], "params['out_proj.bias']")
    if w_in.shape != (3 * e, e):
        raise ValueError(f"params['in_proj_weight'] must have shape {(3 * e, e)}, got {w_in.shape}")
    if b_in.shape != (3 * e,):
        raise ValueError(f"params['in_proj_bias'] must have shape {(3 * e,)}, got {b_in.shape}")
    if w_out.shape != (e, e):
        raise ValueError(f"params['out_proj.weight'] must have shape {(e, e)}, got {w_out.shape}")
    if b_out.shape != (e,):
        raise ValueError(f"params['out_proj.bias'] must have shape {(e,)}, got {b_out.shape}")
    w_in = w_in.astype(dtype, copy=False)
    b_in = b_in.astype(dtype, copy=False)
    w_out = w_out.astype(dtype, copy=False)
    b_out = b_out.astype(dtype, copy=False)

    # mask: (Lq, Lk) shared by the batch, or (N, Lq, Lk) one per sample
    if mask is not None:
        m = _as_bool_mask(mask, "mask")
        if m.ndim == 2:
            if m.shape != (lq, lk):
                raise ValueError(f"mask must have shape (Lq, Lk) = {(lq, lk)}, got {m.shape}")
            m = np.broadcast_to(m, (n, lq, lk))
        elif m.ndim == 3:
            if m.shape != (n, lq, lk):
                raise ValueError(
                    f"mask must have shape (N, Lq, Lk) = {(n, lq, lk)}, got {m.shape}")
        else:
            raise ValueError(f"mask must have shape (Lq, Lk) or (N, Lq, Lk), got {m.shape}")
    else:
        m = None

    # input projections
    w_q, w_k, w_v = w_in[:e], w_in[e:2 * e], w_in[2 * e:]
    b_q, b_k, b_v = b_in[:e], b_in[e:2 * e], b_in[2 * e:]
    qf = query.astype(dtype, copy=False)
    kf = key.astype(dtype, copy=False)
    vf = value.astype(dtype, copy=False)
    q_proj = np.matmul(qf, w_q.T) + b_q         # (N, Lq, E)
    k_proj = np.matmul(kf, w_k.T) + b_k         # (N, Lk, E)
    v_proj = np.matmul(vf, w_v.T) + b_v         # (N, Lk, E)

    # attention, one sample and one head at a time
    concat = np.zeros((n, lq, e), dtype=dtype)
    for i in range(n):
        mask_i = None if m is None else m[i]
        for h in range(num_heads):
            cols = slice(h * head_dim, (h + 1) * head_dim)
            out_h, _ = scaled_dot_product_attention(
                q_proj[i, :, cols], k_proj[i, :, cols], v_proj[i, :, cols], mask=mask_i)
            concat[i, :, cols] = out_h

    out = np.matmul(concat, w_out.T) + b_out    # (N, Lq, E)
    out = out.astype(dtype, copy=False)
    if unbatched:
        out = out[0]
    return out


# ----------------------------------------------------------------------------------------
# positional encoding
# ----------------------------------------------------------------------------------------

def sinusoidal_positional_encoding(length, d_model):
    """PE[t, 2i] = sin(t / 10000**(2i/d_model)), PE[t, 2i+1] = cos(t / 10000**(2i/d_model)).

    Returns a float64 array of shape (length, d_model). d_model must be even.
    """
    length = _check_int(length, "length", minimum=0)
    d_model = _check_int(d_model, "d_model", minimum=1)
    if d_model % 2 != 0:
        raise ValueError(f"d_model must be even, got {d_model}")

    pe = np.zeros((length, d_model), dtype=np.float64)
    positions = np.arange(length, dtype=np.float64)
    for i in range(d_model // 2):
        denom = 10000.0 ** (2 * i / d_model)
        pe[:, 2 * i] = np.sin(positions / denom)
        pe[:, 2 * i + 1] = np.cos(positions / denom)
    return pe


# ----------------------------------------------------------------------------------------
# BERT masking
# ----------------------------------------------------------------------------------------

def bert_mask_tokens(tokens, rng, mask_id, vocab_size, special_ids=(), mask_prob=0.15):
    """BERT's masked-language-model corruption.

    Each non-special token is selected with probability mask_prob. A selected token is
    replaced by mask_id with probability 0.8, by a uniformly random id in [0, vocab_size)
    with probability 0.1, and left unchanged with probability 0.1. labels hold the original
    id at selected positions and -100 elsewhere. Returns (inputs, labels); tokens is not
    modified.
    """
    tokens = _as_array(tokens, "tokens")
    if not np.issubdtype(tokens.dtype, np.integer):
        raise ValueError(f"tokens must be an integer array, got dtype {tokens.dtype}")

    if not isinstance(rng, np.random.Generator):
        try:
            rng = np.random.default_rng(rng)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"rng must be a numpy.random.Generator, got {rng!r}") from exc

    mask_id = _check_int(mask_id, "mask_id")
    vocab_size = _check_int(vocab_size, "vocab_size", minimum=1)

    try:
        mask_prob = float(mask_prob)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"mask_prob must be a number in [0, 1], got {mask_prob!r}") from exc
    if not 0.0 <= mask_prob <= 1.0:   # also rejects NaN
        raise ValueError(f"mask_prob must be in [0, 1], got {mask_prob}")

    if special_ids is None:
        special_ids = ()
    try:
        special_list = [int(s) for s in np.asarray(list(special_ids)).ravel()]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"special_ids must be a collection of integer ids, got {special_ids!r}") from exc

    # which positions may be selected at all
    is_special = np.zeros(tokens.shape, dtype=bool)
    for s in special_list:
        is_special |= tokens == s

    # 1) selection
    selected = (rng.random(tokens.shape) < mask_prob) & ~is_special
    # 2) what happens to a selected token: 80% [MASK], 10% random id, 10% unchanged
    action = rng.random(tokens.shape)
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    random_ids = rng.integers(0, vocab_size, size=tokens.shape)

    labels_dtype = tokens.dtype if np.issubdtype(tokens.dtype, np.signedinteger) else np.int64
    if np.iinfo(labels_dtype).min > -100:  # pragma: no cover - int8 holds -100 fine
        labels_dtype = np.int64
    labels = np.full(tokens.shape, -100, dtype=labels_dtype)
    labels[selected] = tokens[selected]

    inputs_dtype = tokens.dtype
    if np.issubdtype(inputs_dtype, np.unsignedinteger) and mask_id < 0:
        inputs_dtype = np.int64
    # widen if mask_id or the random ids would not fit in the tokens' dtype
    info = np.iinfo(inputs_dtype)
    if mask_id > info.max or mask_id < info.min or vocab_size - 1 > info.max:
        inputs_dtype = np.int64
    inputs = np.array(tokens, dtype=inputs_dtype, copy=True)
    inputs[to_mask] = mask_id
    inputs[to_random] = random_ids[to_random]
    return inputs, labels
