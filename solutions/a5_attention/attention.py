"""Assignment 5: attention (Vaswani et al., 2017) and BERT's masked-language-model inputs
(Devlin et al., 2019), in numpy.

Read handouts/a5_attention.md first. Boolean masks mean True = MAY attend (the convention of
torch.nn.functional.scaled_dot_product_attention; nn.MultiheadAttention uses the opposite).
A query with no key it may attend to gets all-zero weights and an all-zero output.

Run the visible tests with:  pytest assignments/a5_attention
"""

import numpy as np


def _check(condition, message):
    """Raise ValueError(message) unless condition holds (given: the argument checks use it)."""
    if not condition:
        raise ValueError(message)


def softmax(x, axis=-1):
    """Numerically stable softmax along ``axis``:

        softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m),  m = max_j x_j

    Subtracting the maximum changes nothing mathematically and keeps every exp() in (0, 1], so
    logits of magnitude 1e4 give finite results.

    Args:
        x: any shape, float32 or float64.
        axis: the axis that sums to one.

    Returns:
        an array shaped like x, in x's dtype.

    See handouts/a5_attention.md, section 1.
    """
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=axis, keepdims=True)  # <= 0 everywhere: exp cannot overflow
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)
    ### END SOLUTION


def scaled_dot_product_attention(q, k, v, mask=None):
    """Scaled dot-product attention, as F.scaled_dot_product_attention(q, k, v, attn_mask=mask):

        weights = softmax(q k^T / sqrt(dk))   over the keys, masked keys excluded
        out     = weights v

    Args:
        q: (..., Lq, dk) queries; k: (..., Lk, dk) keys; v: (..., Lk, dv) values (float32 or
            float64; the leading axes broadcast).
        mask: None, or a bool array broadcastable to (..., Lq, Lk): True = may attend. A query
            row with no True gets all-zero weights and an all-zero output.

    Returns:
        (out (..., Lq, dv), weights (..., Lq, Lk)), in q's dtype.

    Raises:
        ValueError, with a message that names an argument involved, for: q and k with different
        dk; k and v with different Lk; a mask that does not broadcast to (..., Lq, Lk).

    See handouts/a5_attention.md, sections 1-2.
    """
    ### BEGIN SOLUTION
    _check(q.ndim >= 2 and k.ndim >= 2 and v.ndim >= 2, "q, k and v must be (..., L, d)")
    _check(q.shape[-1] == k.shape[-1], f"q and k must have the same dk, got {q.shape} and {k.shape}")
    _check(k.shape[-2] == v.shape[-2], f"k and v must have the same length Lk, got {k.shape} and {v.shape}")
    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    scores = (q @ np.swapaxes(k, -1, -2)) * scale  # (..., Lq, Lk)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        try:
            allowed = np.broadcast_to(mask, scores.shape)
        except ValueError:
            raise ValueError(f"mask {mask.shape} does not broadcast to the scores {scores.shape}") from None
        scores = np.where(allowed, scores, -np.inf)
    top = scores.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)  # a fully masked row: keep exp(-inf) = 0, no NaN
    e = np.exp(scores - top)
    total = e.sum(axis=-1, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)  # (..., Lq, Lk)
    out = weights @ v  # (..., Lq, dv)
    return out.astype(q.dtype, copy=False), weights.astype(q.dtype, copy=False)
    ### END SOLUTION


def _sum_to(g, shape):
    """g summed over the axes that broadcasting added or stretched, to ``shape`` (given)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1), keepdims=True)


def scaled_dot_product_attention_backward(dout, q, k, v, mask=None):
    """Gradients of scaled_dot_product_attention's out with respect to q, k and v:

        dv = weights^T dout                   dW = dout v^T
        dS = W * (dW - sum_j dW_j W_j)        (W = weights; the softmax's backward, per row)
        dq = dS k / sqrt(d_k)                 dk = dS^T q / sqrt(d_k)    (d_k: q.shape[-1])

    Args:
        dout: (..., Lq, dv), the upstream gradient; q, k, v, mask: as the forward's.

    Returns:
        (dq, dk, dv), shaped like q, k and v, in q's dtype.

    See handouts/a5_attention.md, section 3.
    """
    ### BEGIN SOLUTION
    _, weights = scaled_dot_product_attention(q, k, v, mask)  # (..., Lq, Lk)
    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))
    dv = np.swapaxes(weights, -1, -2) @ dout  # (..., Lk, dv)
    dw = dout @ np.swapaxes(v, -1, -2)  # (..., Lq, Lk)
    ds = weights * (dw - (dw * weights).sum(axis=-1, keepdims=True))  # 0 where masked: weights are 0
    dq = (ds @ k) * scale  # (..., Lq, dk)
    dk = (np.swapaxes(ds, -1, -2) @ q) * scale  # (..., Lk, dk)
    return tuple(_sum_to(g, a.shape).astype(q.dtype, copy=False) for g, a in ((dq, q), (dk, k), (dv, v)))
    ### END SOLUTION


def causal_mask(length):
    """The decoder's mask: position t may attend to positions 0..t (itself and the past).

        mask[t, s] = s <= t

    Args:
        length: a positive int.

    Returns:
        a bool array (length, length), True = may attend.

    Raises:
        ValueError, with a message that names length, for a length that is not a positive int.

    See handouts/a5_attention.md, section 2.
    """
    ### BEGIN SOLUTION
    _check(isinstance(length, (int, np.integer)) and length >= 1, f"length must be a positive int, got {length!r}")
    return np.tril(np.ones((length, length), dtype=bool))
    ### END SOLUTION


def multi_head_attention(query, key, value, params, num_heads, mask=None):
    """Multi-head attention, as nn.MultiheadAttention(E, num_heads, batch_first=True) with the
    mask inverted:

        Q, K, V = query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v   (the rows of in_proj)
        head_h  = attention(Q_h, K_h, V_h, mask)   on the h-th block of E // num_heads features
        out     = concat(head_1, ..., head_H) W_o^T + b_o

    Args:
        query: (N, Lq, E); key, value: (N, Lk, E).
        params: {"in_proj_weight": (3E, E), "in_proj_bias": (3E,), "out_proj.weight": (E, E),
            "out_proj.bias": (E,)}, the keys of nn.MultiheadAttention's state_dict.
        num_heads: a positive divisor of E.
        mask: None, or a bool array (Lq, Lk) or (N, Lq, Lk): True = may attend (the same mask
            for every head). A fully masked query row outputs out_proj.bias.

    Returns:
        out (N, Lq, E), in query's dtype.

    Raises:
        ValueError, with a message that names an argument involved, for: num_heads not dividing
        E; key and value of different shapes; parameters of the wrong shapes; a mask of
        another shape.

    See handouts/a5_attention.md, section 4.
    """
    ### BEGIN SOLUTION
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

    def heads(x, rows):  # (N, L, E) -> (N, H, L, d): project, then split the features into heads
        projected = x @ w[rows].T + b[rows]  # (N, L, E)
        return projected.reshape(N, x.shape[1], num_heads, d).transpose(0, 2, 1, 3)

    q, k, v = heads(query, slice(0, E)), heads(key, slice(E, 2 * E)), heads(value, slice(2 * E, 3 * E))
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        _check(mask.shape in ((Lq, Lk), (N, Lq, Lk)), f"mask must be ({Lq}, {Lk}) or ({N}, {Lq}, {Lk}), got {mask.shape}")
        mask = mask[:, None] if mask.ndim == 3 else mask  # (N, 1, Lq, Lk): the same for every head
    out, _ = scaled_dot_product_attention(q, k, v, mask)  # (N, H, Lq, d)
    out = out.transpose(0, 2, 1, 3).reshape(N, Lq, E)  # concatenate the heads
    return (out @ params["out_proj.weight"].T + params["out_proj.bias"]).astype(query.dtype, copy=False)
    ### END SOLUTION


def sinusoidal_positional_encoding(length, d_model):
    """The Transformer's positional encoding (Vaswani et al., 2017, section 3.5):

        PE[t, 2i]   = sin(t / 10000**(2i / d_model))
        PE[t, 2i+1] = cos(t / 10000**(2i / d_model))

    Args:
        length: the number of positions t = 0 .. length - 1 (a positive int).
        d_model: the number of features, even.

    Returns:
        PE, float64 (length, d_model).

    Raises:
        ValueError, with a message that names the argument, for an odd or non-positive d_model
        or a non-positive length.

    See handouts/a5_attention.md, section 5.
    """
    ### BEGIN SOLUTION
    _check(isinstance(d_model, (int, np.integer)) and d_model >= 2 and d_model % 2 == 0,
           f"d_model must be a positive even int, got {d_model!r}")
    _check(isinstance(length, (int, np.integer)) and length >= 1, f"length must be a positive int, got {length!r}")
    t = np.arange(length, dtype=np.float64)[:, None]  # (length, 1)
    frequencies = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)  # (d_model / 2,): 1 / 10000**(2i/d)
    pe = np.empty((length, d_model))
    pe[:, 0::2] = np.sin(t * frequencies)  # even features
    pe[:, 1::2] = np.cos(t * frequencies)  # odd features
    return pe
    ### END SOLUTION


def bert_mask_tokens(tokens, rng, mask_id, vocab_size, special_ids=(), mask_prob=0.15):
    """BERT's masked-language-model inputs (Devlin et al., 2019, section 3.1):

        each token that is not special is selected with probability mask_prob;
        a selected token becomes mask_id with probability 0.8, a uniformly random id in
        [0, vocab_size) with 0.1, and stays as it is with 0.1;
        labels = the original token where selected, -100 (ignored by the loss) elsewhere.

    Args:
        tokens: an int array of token ids, any shape; never modified.
        rng: a numpy.random.Generator: every random draw comes from it.
        mask_id: the id of [MASK]; vocab_size: the number of ids.
        special_ids: ids never selected ([CLS], [SEP], padding).
        mask_prob: the selection probability, in [0, 1].

    Returns:
        (inputs, labels), int arrays shaped like tokens.

    Raises:
        ValueError, with a message that names the argument, for: mask_prob outside [0, 1]; a
        non-positive vocab_size; tokens that are not integers.

    See handouts/a5_attention.md, section 6.
    """
    ### BEGIN SOLUTION
    tokens = np.asarray(tokens)
    _check(np.issubdtype(tokens.dtype, np.integer), f"tokens must be integer ids, got dtype {tokens.dtype}")
    _check(0 <= mask_prob <= 1, f"mask_prob must be in [0, 1], got {mask_prob!r}")
    _check(vocab_size >= 1, f"vocab_size must be positive, got {vocab_size!r}")
    selected = (rng.random(tokens.shape) < mask_prob) & ~np.isin(tokens, list(special_ids))
    what = rng.random(tokens.shape)  # 80% [MASK], 10% a random id, 10% unchanged
    inputs = tokens.copy()
    inputs[selected & (what < 0.8)] = mask_id
    replaced = selected & (what >= 0.8) & (what < 0.9)
    inputs[replaced] = rng.integers(0, vocab_size, size=int(replaced.sum()))
    labels = np.where(selected, tokens, -100)
    return inputs, labels
    ### END SOLUTION
