"""PyTorch oracles of assignment 5: what each function must compute, in float64 (``device="cuda"``:
on the GPU, TF32 off, SDPA's math backend). Built on assignments/common/oracles.py.

PyTorch gives NaN for a query row with no allowed key; the contract gives that row all-zero
weights and an all-zero output (multi-head attention: out_proj.bias). The oracles compute every
other row with PyTorch and set those rows as the contract says.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

from assignments.common.oracles import exact_math, run
from assignments.common.samples import Sample


def _tensor(a, device="cpu"):
    return torch.tensor(np.asarray(a, dtype=np.float64), device=device)


def softmax(sample, dout=None, device="cpu"):
    """torch.softmax along the sample's axis, in float64: .out."""
    (x,) = sample.args
    return run(lambda x: torch.softmax(x, dim=sample.kwargs.get("axis", -1)), {"x": x}, dout, device)


def _rows_with_a_key(mask, shape, device):
    """(safe mask, rows): the mask with its fully masked rows opened (so PyTorch stays finite),
    and which rows had an allowed key, broadcast to the scores' shape (..., Lq, Lk)."""
    allowed = torch.as_tensor(np.broadcast_to(np.asarray(mask, dtype=bool), shape).copy(), device=device)
    rows = allowed.any(dim=-1, keepdim=True)  # (..., Lq, 1)
    return allowed | ~rows, rows


def sdpa(sample, dout=None, device="cpu"):
    """F.scaled_dot_product_attention in float64 (math backend): .out and .weights, and with dout
    .dq, .dk, .dv (autograd). Fully masked rows: zero weights, zero output, no gradient."""
    q, k, v = sample.args
    mask = sample.kwargs.get("mask")
    scores_shape = np.broadcast_shapes(q.shape[:-1] + (k.shape[-2],), k.shape[:-2] + (q.shape[-2], k.shape[-2]))
    safe, rows = (None, None) if mask is None else _rows_with_a_key(mask, scores_shape, device)

    def attention(q, k, v):
        with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH):
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=safe)
        return out if rows is None else torch.where(rows, out, 0.0)

    result = run(attention, {"q": q, "k": k, "v": v}, dout, device)
    with exact_math():
        scores = _tensor(q, device) @ _tensor(k, device).transpose(-1, -2) / math.sqrt(q.shape[-1])
        if safe is not None:
            scores = scores.masked_fill(~safe, -math.inf)
        weights = torch.softmax(scores, dim=-1)
        result.weights = (weights if rows is None else torch.where(rows, weights, 0.0)).cpu()
    return result


def multi_head_attention(sample, dout=None, device="cpu"):
    """nn.MultiheadAttention(E, num_heads, batch_first=True) with the sample's parameters loaded
    and the mask inverted (PyTorch: True = may NOT attend; a 3-D mask per batch and head): .out.
    Fully masked rows output out_proj.bias, as the contract says."""
    query, key, value, params, num_heads = sample.args
    mask = sample.kwargs.get("mask")
    N, Lq, E = query.shape
    module = torch.nn.MultiheadAttention(E, num_heads, batch_first=True, dtype=torch.float64, device=device)
    module.load_state_dict({name: _tensor(a, device) for name, a in params.items()})
    blocked, rows = None, None
    if mask is not None:
        allowed = np.broadcast_to(np.asarray(mask, dtype=bool), (N, Lq, key.shape[1]))
        rows = torch.as_tensor(allowed.any(axis=-1)[..., None].copy(), device=device)  # (N, Lq, 1)
        safe = torch.as_tensor(allowed.copy(), device=device) | ~rows
        blocked = (~safe).repeat_interleave(num_heads, dim=0)  # (N * num_heads, Lq, Lk)
    with exact_math(), torch.no_grad():
        out, _ = module(_tensor(query, device), _tensor(key, device), _tensor(value, device), attn_mask=blocked,
                        need_weights=False)
        if rows is not None:
            out = torch.where(rows, out, _tensor(params["out_proj.bias"], device))
    return SimpleNamespace(out=out.cpu())


def attention_inside(sample) -> Sample:
    """The attention call inside multi-head attention on ``sample``: the heads of the projected
    query, key and value (F.linear, then (N, H, L, d)) and the mask, as a Sample of its own."""
    query, key, value, params, H = sample.args
    E = query.shape[-1]
    weights, biases = _tensor(params["in_proj_weight"]).chunk(3), _tensor(params["in_proj_bias"]).chunk(3)

    def heads(x, w, b):
        y = F.linear(_tensor(x), w, b)  # (N, L, E)
        return y.unflatten(-1, (H, E // H)).transpose(1, 2).numpy().astype(query.dtype)  # (N, H, L, d)

    mask = sample.kwargs.get("mask")
    mask = None if mask is None else (mask[:, None] if np.ndim(mask) == 3 else mask)
    return Sample(sample.name + "/heads", ("q", "k", "v"),
                  tuple(heads(x, w, b) for x, w, b in zip((query, key, value), weights, biases)), {"mask": mask})


def causal_mask(sample, dout=None, device="cpu"):
    """torch.ones(L, L).tril() as floats (1 = may attend): .out."""
    (length,) = sample.args
    return SimpleNamespace(out=torch.ones(length, length, dtype=torch.float64).tril())


def positional_encoding(sample, dout=None, device="cpu"):
    """The encoding as the Annotated Transformer computes it, in float64: .out.
    div_term = exp(-ln(10000) * 2i / d_model); PE[:, 0::2] = sin(t div_term), PE[:, 1::2] = cos."""
    length, d_model = sample.args
    t = torch.arange(length, dtype=torch.float64)[:, None]
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(length, d_model, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(t * div_term), torch.cos(t * div_term)
    return SimpleNamespace(out=pe)
