"""Planted bugs of a5_attention: each is one classic mistake, as an edit of the reference, with the
task that must lose points and the name the feedback must give it (tests/test_planted.py).
Every misconception the feedback knows (assignments/a5_attention/misconceptions.py) has one here.

Each entry: name -> ([(old text, new text[, times it occurs]), ...], task).
"""

FORWARD_SCALE = "    scale = q.dtype.type(1.0 / np.sqrt(q.shape[-1]))\n    scores = (q @"
MASKING = "        scores = np.where(allowed, scores, -np.inf)"
SELECT = "    selected = (rng.random(tokens.shape) < mask_prob) & ~np.isin(tokens, list(special_ids))"

PLANTED = {
    # softmax
    "softmax_not_stable": ([("    shifted = x - x.max(axis=axis, keepdims=True)  # <= 0 everywhere: exp cannot overflow\n"
                             "    e = np.exp(shifted)", "    e = np.exp(x)")], "softmax"),
    "softmax_wrong_axis": ([("    shifted = x - x.max(axis=axis, keepdims=True)",
                             "    axis = 0 if axis % x.ndim != 0 else x.ndim - 1\n"
                             "    shifted = x - x.max(axis=axis, keepdims=True)")], "softmax"),
    "softmax_over_everything": ([("    shifted = x - x.max(axis=axis, keepdims=True)", "    shifted = x - x.max()"),
                                 ("    return e / e.sum(axis=axis, keepdims=True)", "    return e / e.sum()")], "softmax"),
    # scaled dot-product attention
    "attention_not_scaled": ([(FORWARD_SCALE, "    scale = q.dtype.type(1.0)\n    scores = (q @")], "sdpa_forward"),
    "attention_scaled_by_dk": ([(FORWARD_SCALE, "    scale = q.dtype.type(1.0 / q.shape[-1])\n    scores = (q @")],
                               "sdpa_forward"),
    "mask_inverted": ([(MASKING, "        scores = np.where(allowed, -np.inf, scores)")], "sdpa_forward"),
    "masked_scores_set_to_zero": ([(MASKING, "        scores = np.where(allowed, scores, 0.0)")], "sdpa_forward"),
    "fully_masked_row_uniform": ([(MASKING, "        scores = np.where(allowed, scores, -1e9)")], "sdpa_forward"),
    "fully_masked_row_nan": ([("    top = np.where(np.isfinite(top), top, 0)  # a fully masked row: keep exp(-inf) = 0, no NaN\n", ""),
                              ("    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)",
                               "    weights = e / total")], "sdpa_forward"),
    "softmax_over_queries": ([("    top = scores.max(axis=-1, keepdims=True)", "    top = scores.max(axis=-2, keepdims=True)"),
                              ("    total = e.sum(axis=-1, keepdims=True)", "    total = e.sum(axis=-2, keepdims=True)")],
                             "sdpa_forward"),
    "attention_backward_not_scaled": ([("    dq = (ds @ k) * scale", "    dq = ds @ k"),
                                       ("    dk = (np.swapaxes(ds, -1, -2) @ q) * scale", "    dk = np.swapaxes(ds, -1, -2) @ q")],
                                      "sdpa_backward"),
    "softmax_backward_diagonal_only": ([("    ds = weights * (dw - (dw * weights).sum(axis=-1, keepdims=True))",
                                         "    ds = weights * (1 - weights) * dw")], "sdpa_backward"),
    # multi-head attention
    "heads_split_wrong": ([("        return projected.reshape(N, x.shape[1], num_heads, d).transpose(0, 2, 1, 3)",
                            "        return projected.reshape(N, num_heads, x.shape[1], d)")], "multi_head_attention"),
    "heads_concatenated_wrong": ([("    out = out.transpose(0, 2, 1, 3).reshape(N, Lq, E)", "    out = out.reshape(N, Lq, E)")],
                                 "multi_head_attention"),
    "heads_reshaped_both_ways": ([("        return projected.reshape(N, x.shape[1], num_heads, d).transpose(0, 2, 1, 3)",
                                   "        return projected.reshape(N, num_heads, x.shape[1], d)"),
                                  ("    out = out.transpose(0, 2, 1, 3).reshape(N, Lq, E)", "    out = out.reshape(N, Lq, E)")],
                                 "multi_head_attention"),
    "mha_scaled_by_model_dim": ([("    if mask is not None:\n        mask = np.asarray(mask, dtype=bool)\n        _check(",
                                  "    q = q * (np.sqrt(d) / np.sqrt(E))\n"
                                  "    if mask is not None:\n        mask = np.asarray(mask, dtype=bool)\n        _check(")],
                                "multi_head_attention"),
    "out_proj_forgotten": ([('    return (out @ params["out_proj.weight"].T + params["out_proj.bias"]).astype(query.dtype, copy=False)',
                             "    return out.astype(query.dtype, copy=False)")], "multi_head_attention"),
    "one_projection_for_query_key_value": ([("heads(key, slice(E, 2 * E)), heads(value, slice(2 * E, 3 * E))",
                                             "heads(key, slice(0, E)), heads(value, slice(0, E))")],
                                           "multi_head_attention"),
    # the causal mask
    "causal_mask_allows_the_future": ([("    return np.tril(np.ones((length, length), dtype=bool))",
                                        "    return np.triu(np.ones((length, length), dtype=bool))")], "causal_mask"),
    "causal_mask_excludes_itself": ([("    return np.tril(np.ones((length, length), dtype=bool))",
                                      "    return np.tril(np.ones((length, length), dtype=bool), -1)")], "causal_mask"),
    "causal_mask_inverted": ([("    return np.tril(np.ones((length, length), dtype=bool))",
                               "    return ~np.tril(np.ones((length, length), dtype=bool))")], "causal_mask"),
    # the positional encoding
    "pe_sin_cos_swapped": ([("    pe[:, 0::2] = np.sin(t * frequencies)  # even features\n    pe[:, 1::2] = np.cos(t * frequencies)",
                             "    pe[:, 0::2] = np.cos(t * frequencies)  # even features\n    pe[:, 1::2] = np.sin(t * frequencies)")],
                           "positional_encoding"),
    "pe_exponent_uses_the_feature_index": ([("    pe[:, 1::2] = np.cos(t * frequencies)",
                                             "    pe[:, 1::2] = np.cos(t * 10000.0 ** (-np.arange(1, d_model, 2) / d_model))")],
                                           "positional_encoding"),
    "pe_halves_not_interleaved": ([("    pe[:, 0::2] = np.sin(t * frequencies)  # even features\n    pe[:, 1::2] = np.cos(t * frequencies)",
                                    "    pe[:, :d_model // 2] = np.sin(t * frequencies)\n    pe[:, d_model // 2:] = np.cos(t * frequencies)")],
                                  "positional_encoding"),
    "pe_position_multiplied": ([("10000.0 ** (-np.arange(0, d_model, 2) / d_model)", "10000.0 ** (np.arange(0, d_model, 2) / d_model)")],
                               "positional_encoding"),
    # BERT's masking
    "bert_no_80_10_10": ([("    inputs[selected & (what < 0.8)] = mask_id", "    inputs[selected] = mask_id"),
                          ("    replaced = selected & (what >= 0.8) & (what < 0.9)", "    replaced = selected & False")],
                         "bert_masking"),
    "bert_labels_everywhere": ([("    labels = np.where(selected, tokens, -100)", "    labels = tokens.copy()")], "bert_masking"),
    "bert_special_tokens_selected": ([(SELECT, "    selected = rng.random(tokens.shape) < mask_prob")], "bert_masking"),
    "bert_selection_probability_wrong": ([(SELECT, "    selected = (rng.random(tokens.shape) >= mask_prob) & ~np.isin(tokens, list(special_ids))")],
                                         "bert_masking"),
    "bert_random_ids_out_of_range": ([("rng.integers(0, vocab_size, size=int(replaced.sum()))",
                                       "rng.integers(0, 10, size=int(replaced.sum()))")], "bert_masking"),
    "bert_rng_ignored": ([(SELECT, "    selected = (np.random.random(tokens.shape) < mask_prob) & ~np.isin(tokens, list(special_ids))")],
                         "bert_masking"),
    "bert_changes_unselected_tokens": ([("    replaced = selected & (what >= 0.8) & (what < 0.9)",
                                         "    replaced = (what >= 0.8) & (what < 0.9)")], "bert_masking"),
    "bert_tokens_modified": ([("    inputs = tokens.copy()\n", "    inputs = tokens\n")], "bert_masking"),
}
