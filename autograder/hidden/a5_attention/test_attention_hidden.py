"""Hidden tests for a5: other cases than the visible ones, checked against PyTorch (CPU and, with
a GPU, CUDA with TF32 off) and against the readable reference."""

import functools
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from assignments.a5_attention import oracles
from assignments.a5_attention.checks import (check_bert, check_causal_mask, check_multi_head_attention,
                                             check_positional_encoding, check_sdpa, check_sdpa_backward, check_softmax)
from assignments.a5_attention.samples import tokens
from autograder.hidden.a5_attention import samples


def on(device, oracle):
    return functools.partial(oracle, device=device)


def reference_sdpa(reference):
    """An oracle made of the reference's attention and its backward."""
    def oracle(sample, dout=None):
        out, weights = reference.scaled_dot_product_attention(*sample.args, **sample.kwargs)
        grads = {} if dout is None else dict(zip(("dq", "dk", "dv"), reference.scaled_dot_product_attention_backward(
            dout, *sample.args, **sample.kwargs)))
        return SimpleNamespace(out=torch.from_numpy(out), weights=torch.from_numpy(weights), **grads)
    return oracle


@pytest.mark.task("softmax")
@pytest.mark.parametrize("sample", samples.softmax_samples(), ids=str)
def test_softmax_hidden(impl, sample, device):
    check_softmax(impl, sample, on(device, oracles.softmax))


@pytest.mark.task("sdpa_forward")
@pytest.mark.parametrize("sample", samples.sdpa_samples(), ids=str)
def test_sdpa_hidden(impl, sample, device):
    check_sdpa(impl, sample, on(device, oracles.sdpa))


@pytest.mark.task("sdpa_backward")
@pytest.mark.parametrize("sample", samples.sdpa_samples(), ids=str)
def test_sdpa_backward_hidden(impl, sample, device):
    check_sdpa_backward(impl, sample, on(device, oracles.sdpa))


@pytest.mark.task("sdpa_backward")
@pytest.mark.parametrize("sample", samples.sdpa_samples()[::3], ids=str)
def test_sdpa_matches_reference(impl, sample, reference):
    check_sdpa_backward(impl, sample, reference_sdpa(reference))


@pytest.mark.task("causal_mask")
@pytest.mark.parametrize("sample", samples.causal_mask_samples(), ids=str)
def test_causal_mask_hidden(impl, sample):
    check_causal_mask(impl, sample)


@pytest.mark.task("multi_head_attention")
@pytest.mark.parametrize("sample", samples.multi_head_attention_samples(), ids=str)
def test_multi_head_attention_hidden(impl, sample, device):
    check_multi_head_attention(impl, sample, on(device, oracles.multi_head_attention))


@pytest.mark.task("positional_encoding")
@pytest.mark.parametrize("sample", samples.positional_encoding_samples(), ids=str)
def test_positional_encoding_hidden(impl, sample):
    check_positional_encoding(impl, sample)


@pytest.mark.task("bert_masking")
@pytest.mark.parametrize("mask_prob", [0.15, 0.0, 1.0])
def test_bert_masking_hidden(impl, mask_prob):
    check_bert(impl, tokens("bert-hidden", shape=(120, 400)), seed=7, mask_prob=mask_prob)


@pytest.mark.task("bert_masking")
@pytest.mark.side
def test_bert_masking_of_a_non_contiguous_int32_batch(impl):
    ids = tokens("bert-view", shape=(300, 400)).astype(np.int32)[:, ::2]
    check_bert(impl, ids, seed=3)
