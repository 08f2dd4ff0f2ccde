"""Visible tests for assignment 3. Run: pytest assignments/a3_dropout

No test depends on how you draw the random mask. They check the structure (every output is 0
or exactly x scaled the right way; the backward uses the forward's mask), the statistics (the
kept fraction, the mean activation, and that each unit is kept or dropped on its own, not
along a row or a channel), with bounds a correct implementation misses about once in a
billion runs (assignments/common/testing.py: hoeffding_bound).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from assignments.a3_dropout import misconceptions, samples
from assignments.a3_dropout.checks import (check_backward, check_eval_output, check_test_time_scaling,
                                          check_training_output, forward)
from assignments.common.testing import assert_close, call, check_value_error, forward_for_backward, hoeffding_bound

CASES = samples.dropout_samples()


# ------------------------------------------------------------------ inverted dropout


@pytest.mark.task("dropout_inverted")
@pytest.mark.parametrize("sample", CASES, ids=str)
def test_inverted_training(impl, sample):
    x, p = sample.args
    out, _ = forward(impl, x, p)
    check_training_output(x, p, out, 1 / (1 - p), f"dropout_forward(x {x.shape} {x.dtype}, p={p}, training=True, "
                          "rng=..., scale_at='train')")


@pytest.mark.task("dropout_inverted")
@pytest.mark.parametrize("p", [0.5, 0.1])
def test_each_unit_has_its_own_coin(impl, p):
    """A batch of 200 rows and an image batch: one mask per row, or per channel, is caught."""
    for shape in ((200, 100), (16, 8, 10, 10)):
        x = samples.nonzero(f"coins{shape}", shape)
        out, _ = forward(impl, x, p)
        check_training_output(x, p, out, 1 / (1 - p), f"dropout_forward(x {shape} float64, p={p}, training=True)")


@pytest.mark.task("dropout_inverted")
@pytest.mark.side
@pytest.mark.parametrize("sample", CASES[:2], ids=str)
def test_inverted_eval_is_the_identity(impl, sample):
    x, p = sample.args
    out, _ = forward(impl, x, p, training=False)
    check_eval_output(x, p, out, 1.0, f"dropout_forward(x, p={p}, training=False, rng=..., scale_at='train')", "train")


@pytest.mark.task("dropout_inverted")
@pytest.mark.side
def test_p_zero_keeps_everything_and_p_one_drops_everything(impl):
    x = samples.nonzero("edges", (20, 30))
    assert_close(forward(impl, x, 0.0)[0], x, dtype=x.dtype, what="out with p=0", context="dropout_forward(x, p=0.0)")
    try:
        out, _ = forward(impl, x, 1.0)
    except ZeroDivisionError:
        raise AssertionError("dropout_forward(x, p=1.0) raised ZeroDivisionError"
                             + misconceptions.message([misconceptions.DROPOUT["p_one_divides_by_zero"]])) from None
    assert not np.isnan(out).any(), ("p=1 must give zeros, not NaN"
                                     + misconceptions.message([misconceptions.DROPOUT["nan_for_p_one"]]))
    assert_close(out, np.zeros_like(x), dtype=x.dtype, what="out with p=1", context="dropout_forward(x, p=1.0)")


@pytest.mark.task("dropout_inverted")
@pytest.mark.side
def test_the_mask_comes_from_rng(impl):
    x = samples.nonzero("rng", (40, 40))
    first, _ = forward(impl, x, 0.5, seed=3)
    again, _ = forward(impl, x, 0.5, seed=3)
    assert np.array_equal(first, again), ("the same rng seed must give the same mask"
                                          + misconceptions.message([misconceptions.DROPOUT["rng_ignored"]]))
    rng = np.random.default_rng(4)
    one, _ = call(impl.dropout_forward, x, 0.5, names=("x", "p"), rng=rng)
    two, _ = call(impl.dropout_forward, x, 0.5, names=("x", "p"), rng=rng)
    assert not np.array_equal(one, two), "two calls with the same Generator must draw two different masks"
    out, _ = call(impl.dropout_forward, x, 0.5, names=("x", "p"))  # rng=None: a fresh generator
    assert out.shape == x.shape


@pytest.mark.task("dropout_inverted")
def test_expected_activation_is_preserved_like_torch(impl):
    """E[out] = x with inverted dropout: the mean of many dropped-out ones is 1, for you and for PyTorch."""
    p, x = 0.3, np.ones((200, 100))
    out = forward(impl, x, p)[0]
    check_training_output(x, p, out, 1 / (1 - p), f"dropout_forward(x {x.shape} float64, p={p})")
    theirs = F.dropout(torch.from_numpy(x), p=p, training=True).mean().item()
    bound = hoeffding_bound(x.size, value_range=1 / (1 - p))
    for who, mean in (("your dropout", out.mean()), ("torch.nn.functional.dropout", theirs)):
        assert abs(mean - 1) <= bound, f"{who}: mean activation {mean:.4f}, expected 1 +- {bound:.4f} (p={p})"


@pytest.mark.task("dropout_inverted")
@pytest.mark.side
@pytest.mark.parametrize("case", samples.invalid_calls(), ids=str)
def test_bad_arguments_raise_value_error(impl, case):
    check_value_error(impl, case)


# ------------------------------------------------------------------ scaling at test time


@pytest.mark.task("dropout_test_time_scaling")
@pytest.mark.parametrize("sample", CASES, ids=str)
def test_test_time_scaling(impl, sample):
    x, p = sample.args
    check_test_time_scaling(impl, x, p)


@pytest.mark.task("dropout_test_time_scaling")
def test_test_time_scaling_matches_training_in_expectation(impl):
    """Both means are 1 - p: in training (random) within the Hoeffding bound, at test time exactly."""
    p, x = 0.4, np.ones((200, 100))
    train = forward(impl, x, p, scale_at="test")[0].mean()
    test = forward(impl, x, p, training=False, scale_at="test")[0].mean()
    bound = hoeffding_bound(x.size)
    assert abs(train - (1 - p)) <= bound, f"mean in training {train:.4f}, expected {1 - p:.4f} +- {bound:.4f} (p={p})"
    assert abs(test - (1 - p)) <= 1e-6, f"mean at test time {test:.4f}, expected {1 - p:.4f} (p={p})"


# ------------------------------------------------------------------ backward


@pytest.mark.task("dropout_backward")
@pytest.mark.parametrize("scale_at", ["train", "test"])
@pytest.mark.parametrize("sample", CASES, ids=str)
def test_backward_uses_the_forward_mask(impl, sample, scale_at):
    x, p = sample.args
    check_backward(impl, sample.name, x, p, scale_at)


@pytest.mark.task("dropout_backward")
@pytest.mark.side
@pytest.mark.parametrize("scale_at, factor", [("train", 1.0), ("test", 0.5)])
def test_backward_in_eval_mode(impl, scale_at, factor):
    x = samples.nonzero("eval-backward", (10, 10))
    with forward_for_backward("dropout"):
        out, cache = forward(impl, x, 0.5, training=False, scale_at=scale_at)
        assert_close(out, x * factor, dtype=x.dtype, what="out in eval mode", context="dropout_forward")
    dout = samples.nonzero("eval-dout", x.shape)
    dx = call(impl.dropout_backward, dout, cache, names=("dout", "cache"))
    assert_close(dx, dout * factor, dtype=x.dtype, what="dx in eval mode",
                 context=f"dropout_forward(x, p=0.5, training=False, scale_at={scale_at!r}) then dropout_backward",
                 explain=lambda *_: misconceptions.message(misconceptions.eval_backward(dout, dx, factor)).strip() or None)


@pytest.mark.task("dropout_backward")
@pytest.mark.side
def test_backward_with_p_one_is_zero_not_nan(impl):
    x = samples.nonzero("p1", (8, 8))
    with forward_for_backward("dropout"):
        out, cache = forward(impl, x, 1.0)
        assert_close(out, np.zeros_like(x), dtype=x.dtype, what="out with p=1", context="dropout_forward")
    dx = impl.dropout_backward(np.ones_like(x), cache)
    assert not np.isnan(dx).any() and not np.any(dx), "p=1: dx must be all zeros (no NaN)"
