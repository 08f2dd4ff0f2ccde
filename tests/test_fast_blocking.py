"""The fast kernels cut their work into blocks that the suites' small samples never fill: conv2d
takes a batch a chunk of samples at a time (CHUNK_BYTES), the norms sum runs of RUN values and
FOLD_ROWS rows in x's precision before float64 takes them. Here the blocks are filled and cut
unevenly, against PyTorch in float64 at the suites' tolerances."""

import numpy as np
import pytest

from assignments.a1_convolution import oracles as conv_oracles
from assignments.a1_convolution.samples import conv2d_sample
from assignments.a2_normalization import oracles as norm_oracles
from assignments.a2_normalization.samples import batchnorm_sample, groupnorm_sample, layernorm_sample
from assignments.common.fast import conv, norms
from assignments.common.testing import assert_close

DTYPES = [np.float64, np.float32]

CONV = {
    "padding": dict(x=(5, 2, 5, 6), w=(3, 2, 3, 3), padding=1),
    "asymmetric": dict(x=(5, 2, 6, 8), w=(3, 2, 2, 3), stride=(2, 1), padding=(0, 2)),
    "all_together": dict(x=(5, 4, 9, 8), w=(4, 2, 3, 3), stride=2, padding=(1, 2), dilation=2, groups=2),
    "no_bias_strided_input": dict(x=(5, 3, 5, 5), w=(2, 3, 3, 3), bias=False, padding=1, layout="strided"),
}


def _assert_all_close(actual: dict, expected, dtype, context):
    for what, value in actual.items():
        oracle = getattr(expected, what)
        assert_close(value, None if oracle is None else oracle.numpy(), dtype=dtype, what=what, context=context)


@pytest.mark.parametrize("per_chunk", [1, 2, 3])
@pytest.mark.parametrize("name", CONV)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_in_chunks_of_one_two_or_three_samples_matches_torch(monkeypatch, name, per_chunk, dtype):
    """A batch of five: every chunking, an uneven last chunk included."""
    sample = conv2d_sample(name, dtype, **CONV[name])
    x, w, b = sample.args
    out_h, out_w = conv_oracles.conv2d(sample).out.shape[2:]
    column_bytes = x.shape[1] * w.shape[2] * w.shape[3] * out_h * out_w * x.itemsize  # one sample's columns
    monkeypatch.setattr(conv, "CHUNK_BYTES", per_chunk * column_bytes)
    out, cache = conv.conv2d_forward(x, w, b, **sample.kwargs)
    dout = sample.upstream(out.shape)
    dx, dw, db = conv.conv2d_backward(dout, cache)
    _assert_all_close(dict(out=out, dx=dx, dw=dw, db=db), conv_oracles.conv2d(sample, dout), dtype,
                      f"{per_chunk} sample(s) per chunk, {sample.describe()}")


NORMS = {  # name: (kind, sample maker, shape); the name says which block it fills
    "layernorm_more_slices_than_fold_rows": ("layernorm", layernorm_sample, dict(x=(2, 75, 6), normalized=1)),
    "layernorm_rows_longer_than_a_run": ("layernorm", layernorm_sample, dict(x=(3, 2 * norms.RUN + 300), normalized=1)),
    "batchnorm_more_rows_than_fold_rows": ("batchnorm", batchnorm_sample, dict(x=(70, 3, 5))),
    "batchnorm_rows_longer_than_a_run": ("batchnorm", batchnorm_sample, dict(x=(2, 2, 40, 40))),
    "groupnorm_alternating_tables": ("groupnorm", groupnorm_sample, dict(x=(20, 6, 4, 4), num_groups=3)),
}
assert norms.FOLD_ROWS < 70 and 1600 > norms.RUN, "the cases above no longer fill the blocks"


@pytest.mark.parametrize("name", NORMS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_norms_across_their_summation_blocks_match_torch(name, dtype):
    kind, make, shape = NORMS[name]
    sample = make(name, dtype, **shape)
    mine = sample.copy()  # batch norm updates its running statistics in place
    out, cache = getattr(norms, f"{kind}_forward")(*mine.args, **mine.kwargs)
    dout = sample.upstream(out.shape)
    dx, dgamma, dbeta = getattr(norms, f"{kind}_backward")(dout, cache)
    _assert_all_close(dict(out=out, dx=dx, dgamma=dgamma, dbeta=dbeta), getattr(norm_oracles, kind)(sample, dout),
                      dtype, sample.describe())
