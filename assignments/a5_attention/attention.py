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
    # YOUR CODE HERE
    raise NotImplementedError("softmax is not implemented yet")


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
    # YOUR CODE HERE
    raise NotImplementedError("scaled_dot_product_attention is not implemented yet")


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
    # YOUR CODE HERE
    raise NotImplementedError("scaled_dot_product_attention_backward is not implemented yet")


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
    # YOUR CODE HERE
    raise NotImplementedError("causal_mask is not implemented yet")


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
    # YOUR CODE HERE
    raise NotImplementedError("multi_head_attention is not implemented yet")


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
    # YOUR CODE HERE
    raise NotImplementedError("sinusoidal_positional_encoding is not implemented yet")


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
    # YOUR CODE HERE
    raise NotImplementedError("bert_mask_tokens is not implemented yet")
