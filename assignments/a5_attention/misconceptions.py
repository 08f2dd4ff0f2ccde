"""The classic mistakes of assignment 5, each as what it computes.

Every variant is PyTorch (or numpy) in float64 on the very inputs of a failing check, with
autograd for the gradients: when your output agrees with one of them, and not with the right
answer, the feedback names the mistake (assignments/common/diagnose.py). They are wrong on
purpose. BERT's masking is random: its mistakes are read off your own output by the checks
(assignments/a5_attention/checks.py), which name them from BERT below.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from assignments.common.diagnose import Misconception
from assignments.common.oracles import run

HANDOUT = "handouts/a5_attention.md"
SDPA, MASKS = f"{HANDOUT}#1-scaled-dot-product-attention", f"{HANDOUT}#2-masks"
BACKWARD, HEADS = f"{HANDOUT}#3-the-backward-pass", f"{HANDOUT}#4-multi-head-attention"
POSITIONS, BERT_READ = f"{HANDOUT}#5-positional-encoding", f"{HANDOUT}#6-berts-masked-language-model"


# ------------------------------------------------------------------ softmax


def softmax_variant(how):
    def variant(sample, dout):
        (x,) = sample.args
        axis = sample.kwargs.get("axis", -1)
        t = torch.tensor(np.asarray(x, np.float64))
        if how == "naive":  # exp without subtracting the max, in the input's dtype: overflows
            with np.errstate(over="ignore", invalid="ignore"):
                e = np.exp(np.asarray(x))
                return {"out": e / e.sum(axis=axis, keepdims=True)}
        if how == "everything":
            return {"out": (torch.exp(t - t.max()) / torch.exp(t - t.max()).sum()).numpy()}
        other = 0 if axis % t.ndim != 0 else t.ndim - 1
        return {"out": torch.softmax(t, dim=other).numpy()}
    return variant


SOFTMAX = [
    Misconception("softmax_not_stable", "softmax", ("out",),
                  "exp(x) overflows for large logits (exp(89) is inf in float32, exp(710) in float64): subtract the "
                  "maximum first, e = np.exp(x - x.max(axis, keepdims=True)); the result is the same.", SDPA,
                  softmax_variant("naive"), nonfinite=True),
    Misconception("softmax_wrong_axis", "softmax", ("out",),
                  "the softmax runs along another axis than the one asked for: sums and maxima use axis=axis with "
                  "keepdims=True, so that every slice along that axis sums to one.", SDPA, softmax_variant("axis"),
                  applies=lambda s: s.args[0].ndim >= 2),
    Misconception("softmax_over_everything", "softmax", ("out",),
                  "the sum runs over the whole array (x.sum() without an axis); each slice along the axis sums to "
                  "one on its own: e.sum(axis=axis, keepdims=True).", SDPA, softmax_variant("everything"),
                  applies=lambda s: s.args[0].ndim >= 2),
]


# ------------------------------------------------------------------ scaled dot-product attention


def attention(q, k, v, mask, how=None):
    """Attention in torch, or one of the ways of getting it wrong (``how``)."""
    dk = q.shape[-1]
    scale = {"no_scaling": 1.0, "scaled_by_dk": 1.0 / dk}.get(how, 1.0 / math.sqrt(dk))
    scores = q @ k.transpose(-1, -2) * scale
    rows = None
    if mask is not None:
        allowed = torch.as_tensor(np.broadcast_to(np.asarray(mask, bool), scores.shape).copy())
        allowed = ~allowed if how == "mask_inverted" else allowed
        if how == "masked_with_zero":
            scores = torch.where(allowed, scores, torch.zeros_like(scores))
        elif how == "masked_with_large_negative":
            scores = torch.where(allowed, scores, torch.full_like(scores, -1e9))
        elif how == "fully_masked_row_nan":
            scores = scores.masked_fill(~allowed, -math.inf)
        else:
            rows = allowed.any(dim=-1, keepdim=True)
            scores = scores.masked_fill(~(allowed | ~rows), -math.inf)
    weights = torch.softmax(scores, dim=-2 if how == "softmax_over_queries" else -1)
    if rows is not None:
        weights = torch.where(rows, weights, torch.zeros_like(weights))
    return weights @ v, weights


def sdpa_variant(how=None, grads_times=None):
    """out, weights and (with dout) dq, dk, dv of attention done ``how``; ``grads_times``: the right
    gradients with dq and dk multiplied by it (a backward that forgot the 1/sqrt(dk))."""
    def variant(sample, dout):
        q, k, v = sample.args
        mask = sample.kwargs.get("mask")
        result = run(lambda q, k, v: attention(q, k, v, mask, how)[0], {"q": q, "k": k, "v": v}, dout)
        t = [torch.tensor(np.asarray(a, np.float64)) for a in (q, k, v)]
        result.weights = attention(*t, mask, how)[1]
        if grads_times is not None and dout is not None:
            factor = grads_times(sample)
            result.dq, result.dk = result.dq * factor, result.dk * factor
        return vars(result)
    return variant


def softmax_backward_diagonal(sample, dout):
    """dS = weights * (1 - weights) * dW: only the diagonal of the softmax's Jacobian."""
    q, k, v = (np.asarray(a, np.float64) for a in sample.args)
    t = [torch.tensor(a) for a in (q, k, v)]
    weights = attention(*t, sample.kwargs.get("mask"))[1].numpy()
    g = np.asarray(dout, np.float64)
    ds = weights * (1 - weights) * (g @ np.swapaxes(v, -1, -2))
    scale = 1 / math.sqrt(q.shape[-1])
    return {"dq": ds @ k * scale, "dk": np.swapaxes(ds, -1, -2) @ q * scale, "dv": np.swapaxes(weights, -1, -2) @ g}


def has_mask(sample):
    return sample.kwargs.get("mask") is not None


def has_empty_row(sample):
    mask = sample.kwargs.get("mask")
    return mask is not None and not np.asarray(mask).any(axis=-1).all()


ALL = ("out", "weights", "dq", "dk", "dv")
SDPA_MISTAKES = [
    Misconception("attention_not_scaled", "sdpa", ALL,
                  "the scores are not divided by sqrt(dk): weights = softmax(q k^T / sqrt(dk)); without it the "
                  "softmax saturates as dk grows.", SDPA, sdpa_variant("no_scaling"), applies=lambda s: s.args[0].shape[-1] > 1),
    Misconception("attention_scaled_by_dk", "sdpa", ALL,
                  "the scores are divided by dk; they are divided by its square root, sqrt(dk) (the dot product of "
                  "two random unit-variance vectors has variance dk).", SDPA, sdpa_variant("scaled_by_dk"),
                  applies=lambda s: s.args[0].shape[-1] > 1),
    Misconception("mask_inverted", "sdpa", ALL,
                  "the mask is read backwards: True means MAY attend here (as in F.scaled_dot_product_attention; "
                  "nn.MultiheadAttention's attn_mask uses the opposite).", MASKS, sdpa_variant("mask_inverted"),
                  applies=has_mask),
    Misconception("masked_scores_set_to_zero", "sdpa", ALL,
                  "masked scores are set to 0 (or multiplied by the mask); exp(0) = 1 still gives them weight: set "
                  "them to -inf before the softmax, np.where(mask, scores, -np.inf).", MASKS,
                  sdpa_variant("masked_with_zero"), applies=has_mask),
    Misconception("fully_masked_row_uniform", "sdpa", ALL,
                  "a query with no allowed key gets uniform weights (masking with -1e9 instead of -inf): such a row "
                  "gets all-zero weights and an all-zero output.", MASKS, sdpa_variant("masked_with_large_negative"),
                  applies=has_empty_row),
    Misconception("fully_masked_row_nan", "sdpa", ALL,
                  "a query with no allowed key gives NaN (exp(-inf - (-inf)) is 0/0): such a row gets all-zero "
                  "weights and an all-zero output; divide only where the row's sum is positive.", MASKS,
                  sdpa_variant("fully_masked_row_nan"), applies=has_empty_row, nonfinite=True),
    Misconception("softmax_over_queries", "sdpa", ALL,
                  "the softmax runs over the queries (axis -2); each query's weights over the keys sum to one: "
                  "softmax along the last axis.", SDPA, sdpa_variant("softmax_over_queries")),
    Misconception("attention_backward_not_scaled", "sdpa", ("dq", "dk"),
                  "dq and dk miss the 1/sqrt(dk) the forward multiplied the scores by: dq = dS k / sqrt(dk), "
                  "dk = dS^T q / sqrt(dk).", BACKWARD, sdpa_variant(grads_times=lambda s: math.sqrt(s.args[0].shape[-1])),
                  applies=lambda s: s.args[0].shape[-1] > 1),
    Misconception("softmax_backward_diagonal_only", "sdpa", ("dq", "dk"),
                  "the softmax's backward uses only the diagonal of its Jacobian, w * (1 - w) * dW; every weight of a "
                  "row depends on every score: dS = w * (dW - sum_j dW_j * w_j).", BACKWARD, softmax_backward_diagonal),
]


# ------------------------------------------------------------------ multi-head attention


def mha_variant(how):
    def variant(sample, dout):
        query, key, value, params, H = sample.args
        mask = sample.kwargs.get("mask")
        p = {name: torch.tensor(np.asarray(a, np.float64)) for name, a in params.items()}
        N, Lq, E = query.shape
        d = E // H
        w, b = p["in_proj_weight"], p["in_proj_bias"]

        def heads(x, rows):
            y = torch.tensor(np.asarray(x, np.float64)) @ w[rows].T + b[rows]
            if how in ("heads_split_wrong", "heads_reshaped_both_ways"):  # (N, L, E) read as (N, H, L, d)
                return y.reshape(N, H, x.shape[1], d)
            return y.reshape(N, x.shape[1], H, d).transpose(1, 2)

        first = slice(0, E)
        q = heads(query, first)
        k = heads(key, first if how == "one_projection" else slice(E, 2 * E))
        v = heads(value, first if how == "one_projection" else slice(2 * E, 3 * E))
        if mask is not None:
            mask = np.asarray(mask, bool)
            mask = mask[:, None] if mask.ndim == 3 else mask
        if how == "scaled_by_model_dim":
            q = q * math.sqrt(d) / math.sqrt(E)
        out, _ = attention(q, k, v, mask)
        straight = how in ("heads_concatenated_wrong", "heads_reshaped_both_ways")  # (N, H, L, d) read as (N, L, E)
        out = out.reshape(N, Lq, E) if straight else out.transpose(1, 2).reshape(N, Lq, E)
        if how == "out_proj_forgotten":
            return {"out": out}
        return {"out": out @ p["out_proj.weight"].T + p["out_proj.bias"]}
    return variant


def several_heads(sample):
    return sample.args[4] > 1


MHA_MISTAKES = [
    Misconception("heads_split_wrong", "multi_head_attention", ("out",),
                  "the heads are split by reshaping (N, L, E) straight to (N, H, L, d), which mixes positions and "
                  "features; reshape to (N, L, H, d), then move the heads forward: .transpose(0, 2, 1, 3).", HEADS,
                  mha_variant("heads_split_wrong"), applies=several_heads),
    Misconception("heads_concatenated_wrong", "multi_head_attention", ("out",),
                  "the heads are put back by reshaping (N, H, L, d) straight to (N, L, E); transpose to "
                  "(N, L, H, d) first, then reshape, so each position gets its own heads' features.", HEADS,
                  mha_variant("heads_concatenated_wrong"), applies=several_heads),
    Misconception("heads_reshaped_both_ways", "multi_head_attention", ("out",),
                  "the heads are split and put back by reshaping alone, (N, L, E) <-> (N, H, L, d): each head then "
                  "sees a block of positions and features, not its own features at every position; reshape to "
                  "(N, L, H, d) and transpose(0, 2, 1, 3), and transpose back before reshaping to (N, L, E).", HEADS,
                  mha_variant("heads_reshaped_both_ways"), applies=several_heads),
    Misconception("mha_scaled_by_model_dim", "multi_head_attention", ("out",),
                  "the scores are divided by sqrt(E); each head divides by the square root of its own dimension, "
                  "sqrt(E // num_heads).", HEADS, mha_variant("scaled_by_model_dim"), applies=several_heads),
    Misconception("out_proj_forgotten", "multi_head_attention", ("out",),
                  "the output projection is missing: out = concat(heads) @ out_proj.weight.T + out_proj.bias.",
                  HEADS, mha_variant("out_proj_forgotten")),
    Misconception("one_projection_for_query_key_value", "multi_head_attention", ("out",),
                  "query, key and value all use the first block of in_proj_weight; its three row blocks are W_q, "
                  "W_k and W_v (rows 0:E, E:2E, 2E:3E), with the matching blocks of in_proj_bias.", HEADS,
                  mha_variant("one_projection")),
]


# ------------------------------------------------------------------ the causal mask


def causal_variant(offset, upper=False):
    def variant(sample, dout):
        (length,) = sample.args
        ones = np.ones((length, length))
        return {"out": np.triu(ones, offset) if upper else np.tril(ones, offset)}
    return variant


CAUSAL = [
    Misconception("causal_mask_allows_the_future", "causal_mask", ("out",),
                  "the mask lets position t see the future (the upper triangle); t may attend to 0..t: "
                  "np.tril(np.ones((length, length), dtype=bool)).", MASKS, causal_variant(0, upper=True)),
    Misconception("causal_mask_excludes_itself", "causal_mask", ("out",),
                  "position t may not attend to itself (k=-1); it attends to 0..t, itself included: np.tril with "
                  "the diagonal.", MASKS, causal_variant(-1)),
    Misconception("causal_mask_inverted", "causal_mask", ("out",),
                  "the mask is True where attention is blocked (nn.MultiheadAttention's convention); here True = "
                  "may attend.", MASKS, causal_variant(1, upper=True)),
]


# ------------------------------------------------------------------ the positional encoding


def pe_variant(how):
    def variant(sample, dout):
        length, d = sample.args
        t, j = np.arange(length, dtype=np.float64)[:, None], np.arange(d)
        exponent = (j if how == "feature_index" else j - j % 2) / d  # 2i / d for features 2i and 2i+1
        angle = t * 10000.0 ** exponent if how == "multiplied" else t / 10000.0 ** exponent
        even = j % 2 == 0
        if how == "swapped":
            return {"out": np.where(even, np.cos(angle), np.sin(angle))}
        if how == "halves":
            half = t / 10000.0 ** (np.arange(0, d, 2) / d)
            return {"out": np.concatenate([np.sin(half), np.cos(half)], axis=1)}
        return {"out": np.where(even, np.sin(angle), np.cos(angle))}
    return variant


PE = [
    Misconception("pe_sin_cos_swapped", "positional_encoding", ("out",),
                  "sin and cos are swapped: even features 2i take sin, odd features 2i+1 take cos.", POSITIONS,
                  pe_variant("swapped")),
    Misconception("pe_exponent_uses_the_feature_index", "positional_encoding", ("out",),
                  "feature 2i+1 uses the exponent (2i+1)/d_model; features 2i and 2i+1 share one frequency, "
                  "10000**(2i/d_model), so the odd column pairs with the even one before it.", POSITIONS,
                  pe_variant("feature_index")),
    Misconception("pe_halves_not_interleaved", "positional_encoding", ("out",),
                  "the sines fill the first half and the cosines the second; the paper interleaves them: "
                  "PE[:, 0::2] = sin, PE[:, 1::2] = cos.", POSITIONS, pe_variant("halves")),
    Misconception("pe_position_multiplied", "positional_encoding", ("out",),
                  "the position is multiplied by 10000**(2i/d_model); it is divided by it (wavelengths from 2*pi up "
                  "to 10000 * 2*pi).", POSITIONS, pe_variant("multiplied")),
]


# ------------------------------------------------------------------ BERT's masking (read off the output)


def _says(name, says):
    return Misconception(name, "bert", ("inputs", "labels"), says, BERT_READ, variant=lambda sample, dout: {})


BERT = {m.name: m for m in [
    _says("bert_no_80_10_10", "every selected token becomes [MASK]; BERT replaces 80% of them by mask_id, 10% by a "
          "random id and leaves 10% unchanged, so the model cannot rely on seeing [MASK] at the positions it predicts."),
    _says("bert_labels_everywhere", "labels hold the token at unselected positions; they are -100 there (the loss "
          "ignores them) and the original id only where a token was selected."),
    _says("bert_special_tokens_selected", "special tokens ([CLS], [SEP], padding) get selected; they never are: "
          "select only where ~np.isin(tokens, special_ids)."),
    _says("bert_selection_probability_wrong", "the fraction of selected tokens is not mask_prob: select each "
          "non-special token with rng.random(tokens.shape) < mask_prob (mask_prob is the probability of SELECTING)."),
    _says("bert_random_ids_out_of_range", "the random replacements are not uniform over [0, vocab_size): draw them "
          "with rng.integers(0, vocab_size, size=...)."),
    _says("bert_rng_ignored", "the masking does not come from the rng argument (np.random.* or a fresh generator): "
          "the same rng seed must give the same inputs and labels."),
    _says("bert_changes_unselected_tokens", "inputs differ from tokens where nothing was selected (labels -100); "
          "only selected tokens may change."),
]}


MISCONCEPTIONS = SOFTMAX + SDPA_MISTAKES + MHA_MISTAKES + CAUSAL + PE + list(BERT.values())

MUTATIONS = {("bert_mask_tokens", "tokens"): (
    "Likely mistake (bert_tokens_modified): bert_mask_tokens changed the caller's tokens (tokens[...] = mask_id); "
    f"work on a copy: inputs = tokens.copy(). Read: {BERT_READ}")}


def message(names) -> str:
    """The feedback lines for BERT mistakes the checks read off the output."""
    return "".join(f"\n  {BERT[name].message()}" for name in names)
