"""Inputs for the visible a5 tests: small attention cases in float64 and float32, with and
without masks (a causal one, a random one, one that fully masks a query row), Lq != Lk, and
multi-head parameters keyed like nn.MultiheadAttention's state_dict."""

import numpy as np

from assignments.common.samples import ErrorCase, Sample, array, rng_for, with_dtypes


def softmax_sample(name, dtype, x, axis=-1, scale=1.0, layout="contiguous"):
    """softmax(x, axis) on standard-normal logits times ``scale`` (1e4: overflow without the max trick)."""
    return Sample(name, ("x",), ((array(rng_for(name), x, np.float64) * scale).astype(dtype),) if layout == "contiguous"
                  else (array(rng_for(name), x, dtype, layout),), {"axis": axis})


def random_mask(name, shape, keep=0.6, empty_rows=()):
    """True = may attend, each entry with probability ``keep``; every row keeps one key (so no
    row is fully masked) except the rows listed in ``empty_rows`` (the last axis but one)."""
    rng = rng_for(name + "/mask")
    mask = rng.random(shape) < keep
    mask[..., np.arange(shape[-2]), rng.integers(0, shape[-1], shape[-2])] = True
    for row in empty_rows:
        mask[..., row, :] = False
    return mask


def sdpa_sample(name, dtype, q, k, dv, mask=None, layout="contiguous", scale=1.0):
    """q (..., Lq, dk), k (..., Lk, dk), v (..., Lk, dv); mask: None, "causal" (Lq == Lk), or a
    shape to draw a random mask of (with "empty_rows")."""
    rng = rng_for(name)
    q_, k_ = array(rng, q, dtype, layout), array(rng, k, dtype, layout)
    if scale != 1.0:
        q_, k_ = (q_ * dtype(scale)).astype(dtype), k_
    v_ = array(rng, k[:-1] + (dv,), dtype)
    if mask == "causal":
        mask = np.tril(np.ones((q[-2], k[-2]), dtype=bool))
    elif isinstance(mask, dict):
        mask = random_mask(name, **mask)
    return Sample(name, ("q", "k", "v"), (q_, k_, v_), {"mask": mask})


def mha_params(name, E, dtype):
    """Parameters of nn.MultiheadAttention(E, num_heads), drawn at its initialization's scale."""
    rng = rng_for(name + "/params")
    return {"in_proj_weight": array(rng, (3 * E, E), dtype) / dtype(np.sqrt(E)),
            "in_proj_bias": array(rng, (3 * E,), dtype) * dtype(0.1),
            "out_proj.weight": array(rng, (E, E), dtype) / dtype(np.sqrt(E)),
            "out_proj.bias": array(rng, (E,), dtype) * dtype(0.1)}


def mha_sample(name, dtype, N, Lq, Lk, E, num_heads, mask=None, self_attention=False):
    """multi_head_attention(query, key, value, params, num_heads, mask); ``mask``: None, "causal",
    or the keyword arguments of random_mask (its shape is (Lq, Lk) or (N, Lq, Lk))."""
    rng = rng_for(name)
    query = array(rng, (N, Lq, E), dtype)
    key = query if self_attention else array(rng, (N, Lk, E), dtype)
    value = query if self_attention else array(rng, (N, Lk, E), dtype)
    if mask == "causal":
        mask = np.tril(np.ones((Lq, Lk), dtype=bool))
    elif isinstance(mask, dict):
        mask = random_mask(name, **mask)
    return Sample(name, ("query", "key", "value", "params", "num_heads"),
                  (query, key, value, mha_params(name, E, dtype), num_heads), {"mask": mask})


def positional_encoding_sample(name, length, d_model):
    return Sample(name, ("length", "d_model"), (length, d_model))


SOFTMAX = {
    "rows": dict(x=(4, 7)),
    "columns": dict(x=(5, 3), axis=0),
    "middle_axis": dict(x=(2, 6, 3), axis=1),
    "logits_1e4": dict(x=(3, 5), scale=1e4),  # exp(1e4) overflows: subtract the max first
}
SDPA = {
    "no_mask": dict(q=(2, 5, 8), k=(2, 5, 8), dv=6),
    "causal": dict(q=(2, 6, 4), k=(2, 6, 4), dv=4, mask="causal"),
    "lq_differs_from_lk": dict(q=(2, 3, 8), k=(2, 7, 8), dv=5, mask=dict(shape=(3, 7))),
    "heads_mask_broadcast": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), dv=8, mask=dict(shape=(2, 1, 4, 6))),
    "a_fully_masked_row": dict(q=(1, 4, 8), k=(1, 5, 8), dv=3, mask=dict(shape=(4, 5), empty_rows=(2,))),
}
MHA = {
    "self_attention": dict(N=2, Lq=5, Lk=5, E=8, num_heads=2, self_attention=True),
    "cross_attention": dict(N=2, Lq=3, Lk=6, E=12, num_heads=3),
    "causal_one_head": dict(N=1, Lq=6, Lk=6, E=8, num_heads=1, mask="causal"),
    "mask_per_sample": dict(N=2, Lq=4, Lk=5, E=8, num_heads=4, mask=dict(shape=(2, 4, 5))),
}
POSITIONAL_ENCODING = {"short": dict(length=5, d_model=8), "long_narrow": dict(length=50, d_model=4)}


def softmax_samples(cases=SOFTMAX):
    return with_dtypes(softmax_sample, cases)


def sdpa_samples(cases=SDPA):
    return with_dtypes(sdpa_sample, cases)


def multi_head_attention_samples(cases=MHA):
    return with_dtypes(mha_sample, cases)


def causal_mask_samples(lengths=(1, 4, 7)):
    return [Sample(f"length{n}", ("length",), (n,)) for n in lengths]


def positional_encoding_samples(cases=POSITIONAL_ENCODING):
    return [positional_encoding_sample(name, **case) for name, case in cases.items()]


def tokens(name, shape=(200, 300), vocab_size=1000, special_ids=(0, 1, 2)):
    """Token ids in [3, vocab_size) with a few special ids (0, 1, 2) sprinkled in; mask_id is 3,
    which the tokens avoid (so an input equal to 3 was masked)."""
    rng = rng_for(name)
    ids = rng.integers(4, vocab_size, size=shape)
    ids[rng.random(shape) < 0.1] = rng.choice(special_ids)
    return ids


def invalid_calls():
    """Bad arguments: each must raise ValueError naming an argument involved."""
    q, k, v = np.ones((2, 3, 4)), np.ones((2, 5, 4)), np.ones((2, 5, 6))
    params = mha_params("bad", 8, np.float64)
    x = np.ones((2, 3, 8))
    return [
        ErrorCase("scaled_dot_product_attention", "q and k with different dk", (q, np.ones((2, 5, 3)), v), {}, ("q", "k")),
        ErrorCase("scaled_dot_product_attention", "k and v with different lengths", (q, k, np.ones((2, 4, 6))), {},
                  ("k", "v")),
        ErrorCase("scaled_dot_product_attention", "a mask that does not broadcast", (q, k, v),
                  {"mask": np.ones((3, 4), dtype=bool)}, ("mask",)),
        ErrorCase("causal_mask", "a negative length", (-1,), {}, ("length",)),
        ErrorCase("multi_head_attention", "num_heads not dividing E", (x, x, x, params, 3), {}, ("num_heads", "E")),
        ErrorCase("sinusoidal_positional_encoding", "odd d_model", (10, 7), {}, ("d_model",)),
        ErrorCase("bert_mask_tokens", "mask_prob above 1", (np.arange(5), np.random.default_rng(0), 3, 10),
                  {"mask_prob": 1.5}, ("mask_prob",)),
    ]
