"""Visible tests for assignment 5. Run: pytest assignments/a5_attention

Attention, multi-head attention and the positional encoding are compared with PyTorch (in
float64) on small cases; a failure names the case (shapes, mask, dtype) and, when your output
matches a classic mistake, the mistake. BERT's masking is checked by structure and statistics.
"""

import numpy as np
import pytest

from assignments.a5_attention import misconceptions, samples
from assignments.a5_attention.checks import (bert_call, check_bert, check_causal_mask, check_multi_head_attention,
                                             check_positional_encoding, check_sdpa, check_sdpa_backward, check_softmax)
from assignments.common.testing import check_value_error


@pytest.mark.task("softmax")
@pytest.mark.parametrize("sample", samples.softmax_samples(), ids=str)
def test_softmax(impl, sample):
    check_softmax(impl, sample)


@pytest.mark.task("sdpa_forward")
@pytest.mark.parametrize("sample", samples.sdpa_samples(), ids=str)
def test_scaled_dot_product_attention(impl, sample):
    check_sdpa(impl, sample)


@pytest.mark.task("sdpa_backward")
@pytest.mark.parametrize("sample", samples.sdpa_samples(), ids=str)
def test_scaled_dot_product_attention_backward(impl, sample):
    check_sdpa_backward(impl, sample)


@pytest.mark.task("causal_mask")
@pytest.mark.parametrize("sample", samples.causal_mask_samples(), ids=str)
def test_causal_mask(impl, sample):
    check_causal_mask(impl, sample)


@pytest.mark.task("multi_head_attention")
@pytest.mark.parametrize("sample", samples.multi_head_attention_samples(), ids=str)
def test_multi_head_attention(impl, sample):
    check_multi_head_attention(impl, sample)


@pytest.mark.task("positional_encoding")
@pytest.mark.parametrize("sample", samples.positional_encoding_samples(), ids=str)
def test_positional_encoding(impl, sample):
    check_positional_encoding(impl, sample)


@pytest.mark.task("bert_masking")
@pytest.mark.parametrize("mask_prob", [0.15, 0.4])
def test_bert_masking(impl, mask_prob):
    check_bert(impl, samples.tokens("bert"), seed=1, mask_prob=mask_prob)


@pytest.mark.task("bert_masking")
@pytest.mark.side
def test_bert_masking_comes_from_rng(impl):
    """The same seed gives the same masking; another seed another one."""
    tokens = samples.tokens("bert-rng", shape=(50, 60))
    first, again, other = (bert_call(impl, tokens, seed) for seed in (5, 5, 6))
    same = all(np.array_equal(a, b) for a, b in zip(first, again))
    assert same and not np.array_equal(first[1], other[1]), (
        "bert_mask_tokens must draw every random choice from rng: the same seed must give the same inputs and labels"
        + misconceptions.message(["bert_rng_ignored"]))


TASK_OF = {"scaled_dot_product_attention": "sdpa_forward", "causal_mask": "causal_mask",
           "multi_head_attention": "multi_head_attention", "sinusoidal_positional_encoding": "positional_encoding",
           "bert_mask_tokens": "bert_masking"}


@pytest.mark.side
@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.task(TASK_OF[c.function]), id=str(c))
                                  for c in samples.invalid_calls()])
def test_bad_arguments_raise_value_error(impl, case):
    check_value_error(impl, case)
