"""Hidden sample inputs for a5: the cases that separate the usual mistakes.

- logits of 1e3 and 1e4 (a softmax without the max trick overflows; a missing 1/sqrt(dk) saturates);
- dk of 1 and 64 (the scale matters most for large dk), Lq != Lk, non-contiguous views;
- masks broadcast over batch and heads, (Lq, Lk) and (N, Lq, Lk), fully masked rows;
- one head and many; longer, wider positional encodings.
"""

from assignments.a5_attention import samples as visible

SOFTMAX = {
    "logits_1e4_3d": dict(x=(2, 5, 6), axis=1, scale=1e4),
    "logits_1e3_rows": dict(x=(6, 9), scale=1e3),
    "strided": dict(x=(4, 8), layout="strided"),
}
SDPA = {
    "dk_1": dict(q=(2, 4, 1), k=(2, 5, 1), dv=3),
    "dk_64": dict(q=(2, 6, 64), k=(2, 6, 64), dv=8, mask="causal"),
    "logits_1e3": dict(q=(1, 5, 16), k=(1, 5, 16), dv=4, scale=1e2),  # scores ~1e3 / sqrt(16)
    "logits_1e4": dict(q=(2, 3, 4), k=(2, 6, 4), dv=3, scale=1e4, mask=dict(shape=(3, 6))),  # exp overflows unshifted
    "mask_over_batch_and_heads": dict(q=(2, 4, 3, 8), k=(2, 4, 5, 8), dv=6, mask=dict(shape=(1, 4, 3, 5))),
    "mask_for_every_head": dict(q=(3, 2, 4, 8), k=(3, 2, 7, 8), dv=5, mask=dict(shape=(3, 1, 4, 7))),
    "rows_fully_masked": dict(q=(2, 5, 8), k=(2, 6, 8), dv=4, mask=dict(shape=(2, 5, 6), empty_rows=(0, 3))),
    "strided_views": dict(q=(2, 4, 8), k=(2, 6, 8), dv=5, layout="strided", mask=dict(shape=(4, 6))),
}
MHA = {
    "many_heads": dict(N=2, Lq=5, Lk=7, E=16, num_heads=8),
    "one_head_self": dict(N=3, Lq=4, Lk=4, E=6, num_heads=1, self_attention=True),
    "mask_with_an_empty_row": dict(N=2, Lq=4, Lk=6, E=8, num_heads=2, mask=dict(shape=(2, 4, 6), empty_rows=(1,))),
    "shared_mask_cross": dict(N=2, Lq=3, Lk=5, E=12, num_heads=4, mask=dict(shape=(3, 5))),
}
POSITIONAL_ENCODING = {"wide": dict(length=64, d_model=128), "two_features": dict(length=10, d_model=2)}


def softmax_samples():
    return visible.softmax_samples(SOFTMAX)


def sdpa_samples():
    return visible.sdpa_samples(SDPA)


def multi_head_attention_samples():
    return visible.multi_head_attention_samples(MHA)


def causal_mask_samples():
    return visible.causal_mask_samples((2, 16))


def positional_encoding_samples():
    return visible.positional_encoding_samples(POSITIONAL_ENCODING)
