"""The checks of assignment 3, shared by the visible tests (test_dropout.py) and the hidden suite.

No check depends on how the random mask is drawn: the structure (every output is 0 or exactly x
scaled the right way; the backward uses the forward's mask) and the statistics (the kept
fraction, each unit kept on its own), with bounds a correct implementation misses about once in
a billion runs (assignments/common/testing.py: hoeffding_bound).
"""

import numpy as np
import pytest

from assignments.a3_dropout import misconceptions, samples
from assignments.common.testing import assert_close, call, forward_for_backward, hoeffding_bound, without_rewrite

NAMES = ("x", "p")


def forward(impl, x, p, seed=0, **kwargs):
    return call(impl.dropout_forward, x, p, names=NAMES, rng=np.random.default_rng(seed), **kwargs)


def check_independent_mask(kept, p, context):
    """Each unit is kept on its own: two neighbours along any axis are both kept or both dropped
    with probability (1-p)^2 + p^2, not always (one mask row shared by the whole batch)."""
    __tracebackhide__ = True
    expected = (1 - p) ** 2 + p ** 2
    for axis in range(kept.ndim):
        pairs = kept.shape[axis] // 2 * 2
        if pairs == 0:
            continue
        first = np.take(kept, np.arange(0, pairs, 2), axis=axis)
        second = np.take(kept, np.arange(1, pairs, 2), axis=axis)
        agree, bound = (first == second).mean(), hoeffding_bound(first.size)
        assert abs(agree - expected) <= bound, (
            f"the mask is not drawn unit by unit: neighbours along axis {axis} are both kept or both dropped "
            f"{agree:.1%} of the time, independent units {expected:.1%} (allowed: +-{bound:.1%})\n  call: {context}"
            + misconceptions.message([misconceptions.DROPOUT["one_mask_for_the_batch"]]))


def check_training_output(x, p, out, scale, context, scale_at="train"):
    """Every unit is 0 or x * scale; the kept fraction is 1 - p within the Hoeffding bound; the
    units are kept independently. A failure says which mistake the output gives away."""
    __tracebackhide__ = True
    assert isinstance(out, np.ndarray), f"out: expected a numpy array, got {type(out).__name__}\n  call: {context}"
    kept, bound = out != 0, hoeffding_bound(x.size)
    try:
        expected = np.where(kept, x.astype(np.float64) * scale, 0.0)
        assert_close(out, expected, dtype=x.dtype, what=f"out (each unit must be 0 or x * {scale:.4g})",
                     context=context)
        fraction = kept.mean()
        assert abs(fraction - (1 - p)) <= bound, (
            f"{fraction:.3f} of the units were kept; with p={p} (the probability of DROPPING a unit) "
            f"about {1 - p:.3f} should be (allowed: +-{bound:.3f})\n  call: {context}")
        check_independent_mask(kept, p, context)
    except AssertionError as exc:
        found = misconceptions.training_output(x, p, out, scale_at, bound) if out.shape == x.shape else []
        raise AssertionError(without_rewrite(str(exc)) + misconceptions.message(found)) from None
    return kept


def check_eval_output(x, p, out, factor, context, scale_at):
    """In eval mode, out = x * factor: nothing dropped."""
    __tracebackhide__ = True
    try:
        assert_close(out, x.astype(np.float64) * factor, dtype=x.dtype, what=f"out in eval mode (x * {factor:.4g})",
                     context=context)
    except AssertionError as exc:
        found = misconceptions.eval_output(x, p, out, scale_at) if np.shape(out) == x.shape else []
        raise AssertionError(without_rewrite(str(exc)) + misconceptions.message(found)) from None


def check_test_time_scaling(impl, x, p, seed=0):
    """Training keeps units unscaled; eval multiplies by 1 - p."""
    out, _ = forward(impl, x, p, seed=seed, scale_at="test")
    check_training_output(x, p, out, 1.0, f"dropout_forward(x {x.shape} {x.dtype}, p={p}, training=True, rng=..., "
                          "scale_at='test')", scale_at="test")
    out, _ = forward(impl, x, p, training=False, scale_at="test")
    check_eval_output(x, p, out, 1 - p, f"dropout_forward(x, p={p}, training=False, rng=..., scale_at='test')", "test")


def mask_or_skip(x, p, out, context):
    """The forward's mask, when ``out`` looks like a dropout output (a numpy array of x's shape
    that keeps about 1 - p of the units); otherwise the backward check cannot read a mask off
    it and is skipped: a wrong forward is charged to the forward's own task."""
    if isinstance(out, np.ndarray) and out.shape == x.shape:
        kept = out != 0
        if abs(kept.mean() - (1 - p)) <= hoeffding_bound(x.size):
            return kept
    pytest.skip(f"not checked: dropout_forward's output is not a dropout output here ({context}); "
                "its own task reports it")


def check_backward(impl, name, x, p, scale_at, seed=0):
    """dx is dout through the forward's own mask and scale (the contract: the same mask and scale
    as the forward), read off the forward's output: dx = dout * out / x."""
    context = f"dropout_forward(x {x.shape} {x.dtype}, p={p}, scale_at={scale_at!r}) then dropout_backward"
    with forward_for_backward("dropout"):
        out, cache = forward(impl, x, p, seed=seed, scale_at=scale_at)
    mask_or_skip(x, p, out, context)
    dout = samples.nonzero(name + "dout", x.shape, x.dtype)
    dx = call(impl.dropout_backward, dout, cache, names=("dout", "cache"))
    expected = dout.astype(np.float64) * (out.astype(np.float64) / x.astype(np.float64))
    assert_close(dx, expected, dtype=x.dtype, what="dx (the forward's mask and scale, applied to dout)",
                 context=context, explain=lambda *_: misconceptions.message(misconceptions.backward(x, out, dout, dx)).strip()
                 or None)
