"""The checks of assignment 5, shared by the visible tests (test_attention.py) and the hidden suite.

Attention, multi-head attention and the positional encoding are compared with PyTorch in float64
(assignments/a5_attention/oracles.py). BERT's masking is random: it is checked by structure
(labels, special tokens, unselected tokens untouched) and by statistics, with bounds a correct
implementation misses about once in a billion runs (assignments/common/testing.py:
hoeffding_bound, delta = 1e-9 per bound).
"""

import numpy as np

from assignments.a5_attention import misconceptions, oracles
from assignments.common import diagnose
from assignments.common.testing import (assert_close, call, charged_to, hoeffding_bound, passes,
                                         signature_defaults)


def context(function, sample):
    return f"{function}({sample.describe(signature_defaults(function))})"


def explained(op, sample, dout=None):
    return lambda what, actual, expected: diagnose.explain(op, what, actual, expected, sample, dout)


# ------------------------------------------------------------------ softmax and attention


def check_softmax(impl, sample, oracle=oracles.softmax):
    expected = oracle(sample)
    mine = sample.copy()
    out = call(impl.softmax, *mine.args, names=mine.names, **mine.kwargs)
    assert_close(out, expected.out, dtype=sample.dtype, what="out", context=context("softmax", sample),
                 explain=explained("softmax", sample))


def check_sdpa(impl, sample, oracle=oracles.sdpa):
    """out and weights of scaled_dot_product_attention."""
    expected = oracle(sample)
    mine = sample.copy()
    result = call(impl.scaled_dot_product_attention, *mine.args, names=mine.names, **mine.kwargs)
    where = context("scaled_dot_product_attention", sample)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise AssertionError(f"scaled_dot_product_attention must return (out, weights), got {result!r:.80}\n"
                             f"  call: {where}")
    for what, value in zip(("out", "weights"), result):
        assert_close(value, getattr(expected, what), dtype=sample.dtype, what=what, context=where,
                     explain=explained("sdpa", sample))


def check_sdpa_backward(impl, sample, oracle=oracles.sdpa):
    """dq, dk, dv of scaled_dot_product_attention_backward; when they are wrong and so is the
    learner's forward on this case, the forward's task reports it (a backward may call it)."""
    dout = sample.upstream(tuple(oracle(sample).out.shape))
    expected = oracle(sample, dout)
    mine = sample.copy()
    where = (f"scaled_dot_product_attention_backward(dout {dout.shape} {dout.dtype}, "
             f"{context('scaled_dot_product_attention', sample).split('(', 1)[1]}")
    with charged_to("scaled_dot_product_attention", lambda: passes(check_sdpa, impl, sample, oracle)):
        result = call(impl.scaled_dot_product_attention_backward, dout, *mine.args, names=("dout", *mine.names),
                      **mine.kwargs)
        if not (isinstance(result, tuple) and len(result) == 3):
            raise AssertionError(f"scaled_dot_product_attention_backward must return (dq, dk, dv), got "
                                 f"{result!r:.80}\n  call: {where}")
        for what, value in zip(("dq", "dk", "dv"), result):
            assert_close(value, getattr(expected, what), dtype=sample.dtype, what=what, context=where,
                         explain=explained("sdpa", sample, dout))


def check_multi_head_attention(impl, sample, oracle=oracles.multi_head_attention):
    expected = oracle(sample)
    mine = sample.copy()
    with charged_to("scaled_dot_product_attention", lambda: passes(check_sdpa, impl, oracles.attention_inside(sample))):
        out = call(impl.multi_head_attention, *mine.args, names=mine.names, **mine.kwargs)
        assert_close(out, expected.out, dtype=sample.dtype, what="out", context=context("multi_head_attention", sample),
                     explain=explained("multi_head_attention", sample))


# ------------------------------------------------------------------ causal mask, positional encoding


def check_causal_mask(impl, sample, oracle=oracles.causal_mask):
    (length,) = sample.args
    mask = call(impl.causal_mask, length, names=sample.names)
    where = context("causal_mask", sample)
    assert isinstance(mask, np.ndarray) and mask.dtype == bool, (
        f"causal_mask must return a bool numpy array, got {type(mask).__name__} {getattr(mask, 'dtype', '')}\n"
        f"  call: {where}")
    assert_close(mask.astype(np.float64), oracle(sample).out, dtype=np.float64, what="mask", context=where,
                 explain=lambda what, actual, expected: diagnose.explain("causal_mask", "out", actual, expected, sample))


def check_positional_encoding(impl, sample, oracle=oracles.positional_encoding):
    pe = call(impl.sinusoidal_positional_encoding, *sample.args, names=sample.names)
    assert_close(pe, oracle(sample).out, dtype=np.float64, what="PE", context=context("sinusoidal_positional_encoding", sample),
                 explain=lambda what, actual, expected: diagnose.explain("positional_encoding", "out", actual, expected,
                                                                           sample))


# ------------------------------------------------------------------ BERT's masking

MASK_ID, VOCAB, SPECIAL = 3, 1000, (0, 1, 2)  # the tokens avoid MASK_ID (assignments/a5_attention/samples.py)


def bert_call(impl, tokens, seed, mask_prob=0.15):
    return call(impl.bert_mask_tokens, tokens, np.random.default_rng(seed), MASK_ID, VOCAB,
                names=("tokens", "rng", "mask_id", "vocab_size"), special_ids=SPECIAL, mask_prob=mask_prob)


def bert_context(tokens, mask_prob):
    return (f"bert_mask_tokens(tokens {tokens.shape} {tokens.dtype}, rng, mask_id={MASK_ID}, vocab_size={VOCAB}, "
            f"special_ids={SPECIAL}, mask_prob={mask_prob})")


def check_bert_structure(tokens, result, mask_prob):
    """inputs and labels shaped like tokens; labels = tokens where selected, -100 elsewhere;
    special tokens never selected; unselected tokens unchanged; replacements in range."""
    __tracebackhide__ = True
    where = f"\n  call: {bert_context(tokens, mask_prob)}"
    assert isinstance(result, tuple) and len(result) == 2, f"bert_mask_tokens must return (inputs, labels){where}"
    inputs, labels = (np.asarray(a) for a in result)
    for name, a in (("inputs", inputs), ("labels", labels)):
        assert a.shape == tokens.shape and np.issubdtype(a.dtype, np.integer), (
            f"{name}: expected integer ids shaped like tokens {tokens.shape}, got {a.dtype} {a.shape}{where}")
    assert not (mask_prob < 1 and np.array_equal(labels, tokens)), (
        f"labels equal tokens everywhere: unselected positions must hold -100{where}"
        + misconceptions.message(["bert_labels_everywhere"]))
    selected = labels != -100
    assert np.array_equal(labels[selected], tokens[selected]), (
        f"labels must hold the original token where a token was selected, -100 elsewhere{where}")
    special = np.isin(tokens, SPECIAL)
    assert not np.any(selected & special), (f"{int(np.sum(selected & special))} special tokens were selected{where}"
                                            + misconceptions.message(["bert_special_tokens_selected"]))
    changed = inputs != tokens
    assert not np.any(changed & ~selected), (f"{int(np.sum(changed & ~selected))} unselected tokens changed{where}"
                                             + misconceptions.message(["bert_changes_unselected_tokens"]))
    outside = selected & (inputs != MASK_ID) & ((inputs < 0) | (inputs >= VOCAB))
    assert not outside.any(), (f"{int(outside.sum())} replacements are not ids in [0, {VOCAB}){where}"
                               + misconceptions.message(["bert_random_ids_out_of_range"]))
    return inputs, labels


def check_bert_statistics(tokens, inputs, labels, mask_prob):
    """The selected fraction of non-special tokens is mask_prob; of the selected ones, 80% become
    mask_id, 10% a random id, 10% stay (a random id equals mask_id or the token itself with
    probability 1/VOCAB each); the random ids are uniform (their mean is (VOCAB - 1) / 2).
    Each comparison uses a Hoeffding bound with delta = 1e-9: four bounds, a false failure at
    most once in 250 million runs."""
    __tracebackhide__ = True
    where = f"\n  call: {bert_context(tokens, mask_prob)}"
    eligible = ~np.isin(tokens, SPECIAL)
    selected = labels != -100
    fraction, bound = selected[eligible].mean(), hoeffding_bound(int(eligible.sum()))
    assert abs(fraction - mask_prob) <= bound, (
        f"{fraction:.4f} of the non-special tokens were selected; expected mask_prob = {mask_prob} "
        f"(allowed: +-{bound:.4f}){where}" + misconceptions.message(["bert_selection_probability_wrong"]))
    if mask_prob == 0:
        return
    n = int(selected.sum())
    became_mask = (inputs[selected] == MASK_ID).mean()
    stayed = (inputs[selected] == tokens[selected]).mean()
    bound = hoeffding_bound(n)
    expected_mask, expected_stay = 0.8 + 0.1 / VOCAB, 0.1 + 0.1 / VOCAB
    if abs(became_mask - expected_mask) > bound or abs(stayed - expected_stay) > bound:
        raise AssertionError(
            f"of the {n} selected tokens {became_mask:.1%} became mask_id and {stayed:.1%} stayed; expected 80% and "
            f"10% (and 10% a random id), +-{bound:.1%}{where}"
            + misconceptions.message(["bert_no_80_10_10"] if became_mask > 0.95 else []))
    random = selected & (inputs != MASK_ID) & (inputs != tokens)
    if random.sum() >= 100:
        mean, bound = inputs[random].mean(), hoeffding_bound(int(random.sum()), value_range=VOCAB - 1)
        assert abs(mean - (VOCAB - 1) / 2) <= bound, (
            f"the random replacement ids average {mean:.1f}; uniform ids in [0, {VOCAB}) average {(VOCAB - 1) / 2} "
            f"(allowed: +-{bound:.1f}){where}" + misconceptions.message(["bert_random_ids_out_of_range"]))


def check_bert(impl, tokens, seed=0, mask_prob=0.15):
    inputs, labels = check_bert_structure(tokens, bert_call(impl, tokens, seed, mask_prob), mask_prob)
    check_bert_statistics(tokens, inputs, labels, mask_prob)
