"""Hidden tests for a3: other shapes, layouts and drop probabilities; the same structural and
statistical checks as the visible ones (no dependence on the random stream)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from assignments.a3_dropout import samples
from assignments.a3_dropout.checks import (check_backward, check_test_time_scaling, check_training_output, forward,
                                          mask_or_skip)
from assignments.common.testing import assert_close, call, forward_for_backward, hoeffding_bound

# p near 0 or 1 needs many units: the kept fraction must be told apart from keeping or
# dropping everything, so the Hoeffding bound (0.03 for 12288 units) stays below p and 1 - p.
HIDDEN = (samples.dropout_samples((16, 3, 16, 16), (0.05, 0.9)) + samples.dropout_samples((4, 3, 8, 8), (0.3,))
          + samples.dropout_samples((3000,), (0.5,)) + samples.dropout_samples((30, 40), (0.25,), layout="strided"))


@pytest.mark.task("dropout_inverted")
@pytest.mark.parametrize("sample", HIDDEN, ids=str)
def test_inverted_training_hidden(impl, sample):
    x, p = sample.args
    out, _ = forward(impl, x, p, seed=11)
    check_training_output(x, p, out, 1 / (1 - p), f"dropout_forward(x {x.shape} {x.dtype}, p={p})")
    out, _ = forward(impl, x, p, training=False)
    assert_close(out, x, dtype=x.dtype, what="out in eval mode", context=f"dropout_forward(x, p={p}, training=False)")


@pytest.mark.task("dropout_inverted")
@pytest.mark.side
def test_without_rng_masks_differ_between_calls(impl):
    x = samples.nonzero("no-rng", (50, 50))
    one, _ = call(impl.dropout_forward, x, 0.5, names=("x", "p"))
    two, _ = call(impl.dropout_forward, x, 0.5, names=("x", "p"))
    assert not np.array_equal(one, two), "with rng=None each call must draw a fresh mask"


@pytest.mark.task("dropout_inverted")
@pytest.mark.parametrize("p", [0.1, 0.6])
def test_mean_activation_agrees_with_torch(impl, p):
    x = np.full((300, 200), 2.0)
    out = forward(impl, x, p, seed=5)[0]
    check_training_output(x, p, out, 1 / (1 - p), f"dropout_forward(x {x.shape} float64, p={p})")
    mine = out.mean()
    theirs = F.dropout(torch.from_numpy(x), p=p, training=True).mean().item()
    bound = hoeffding_bound(x.size, value_range=2 / (1 - p))
    # both means are random, each within `bound` of the expectation: so within 2 * bound of each other
    assert abs(mine - theirs) <= 2 * bound, f"mean {mine:.4f} vs torch {theirs:.4f} (p={p}, allowed +-{2 * bound:.4f})"


@pytest.mark.task("dropout_test_time_scaling")
@pytest.mark.parametrize("sample", HIDDEN, ids=str)
def test_test_time_scaling_hidden(impl, sample):
    x, p = sample.args
    check_test_time_scaling(impl, x, p, seed=12)


@pytest.mark.task("dropout_test_time_scaling")
@pytest.mark.side
def test_p_one_at_test_time(impl):
    x = samples.nonzero("p1-test", (10, 10))
    for training in (True, False):
        out, _ = forward(impl, x, 1.0, training=training, scale_at="test")
        assert not np.isnan(out).any() and not np.any(out), f"p=1, training={training}: out must be all zeros"


@pytest.mark.task("dropout_backward")
@pytest.mark.parametrize("scale_at", ["train", "test"])
@pytest.mark.parametrize("sample", HIDDEN, ids=str)
def test_backward_hidden(impl, sample, scale_at):
    x, p = sample.args
    check_backward(impl, sample.name, x, p, scale_at, seed=13)


@pytest.mark.task("dropout_backward")
def test_two_forwards_two_masks_each_backward_its_own(impl):
    x = samples.nonzero("two-masks", (40, 40))
    rng = np.random.default_rng(21)
    with forward_for_backward("dropout"):
        out1, cache1 = call(impl.dropout_forward, x, 0.5, names=("x", "p"), rng=rng)
        out2, cache2 = call(impl.dropout_forward, x, 0.5, names=("x", "p"), rng=rng)
    for out in (out1, out2):  # the expected dx is read off these outputs
        mask_or_skip(x, 0.5, out, "two dropout_forward calls with one Generator")
    if np.array_equal(out1, out2):
        pytest.skip("not checked: both dropout_forward calls drew the same mask (dropout_inverted reports it)")
    ones = np.ones_like(x)
    for out, cache, which in ((out1, cache1, "first"), (out2, cache2, "second")):
        dx = impl.dropout_backward(ones, cache)
        assert_close(dx, out.astype(np.float64) / x, dtype=x.dtype, what=f"dx of the {which} call",
                     context="two dropout_forward calls, then dropout_backward with each cache")
