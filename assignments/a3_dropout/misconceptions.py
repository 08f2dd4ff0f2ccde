"""The classic mistakes of assignment 3, and how a failing dropout output gives each away.

Dropout's output is random, so these are read off the learner's own output: which fraction of
the units it kept, by what factor it scaled the kept ones, whether a mask repeats along an
axis, whether the backward's mask is the forward's. The checks of test_dropout.py ask
``explain_*`` when they fail; a correct dropout is never asked.
"""

from __future__ import annotations

import numpy as np

from assignments.common.diagnose import Misconception

HANDOUT = "handouts/a3_dropout.md"
MASK, INVERTED = f"{HANDOUT}#1-dropout-as-a-random-mask", f"{HANDOUT}#2-inverted-dropout"
TEST_TIME, BACKWARD = f"{HANDOUT}#3-scaling-at-test-time", f"{HANDOUT}#4-the-backward-pass"


def _says(name, says, read):
    return Misconception(name, "dropout", ("out",), says, read, variant=lambda sample, dout: {})


DROPOUT = {m.name: m for m in [
    _says("keep_drop_confused", "p is taken as the probability of KEEPING a unit (the convention of CS231n's notes); "
          "here p is the probability of dropping one: keep = rng.random(x.shape) >= p keeps 1 - p of the units.", MASK),
    _says("no_scaling", "the kept units are not scaled; inverted dropout multiplies them by 1 / (1 - p) in training "
          "so that the expected activation stays x.", INVERTED),
    _says("scaled_by_keep_probability", "the kept units are multiplied by (1 - p); inverted dropout divides by it: "
          "out = x * keep / (1 - p).", INVERTED),
    _says("scaled_by_p", "the kept units are divided by p; they are divided by the keep probability, 1 - p.", INVERTED),
    _says("scaled_in_training_at_test_time", "with scale_at='test' the training output is scaled; it keeps units "
          "unscaled, and the scaling (by 1 - p) happens in eval mode only.", TEST_TIME),
    _says("one_mask_for_the_batch", "one mask is shared along an axis (one row of keep flags for the whole batch, or "
          "one per channel); each unit gets its own coin: rng.random(x.shape) >= p.", MASK),
    _says("nan_for_p_one", "p = 1 gives NaN: 1 / (1 - p) is infinite and 0 * inf is NaN; with p == 1 every unit is "
          "dropped, so return zeros without dividing.", INVERTED),
    _says("p_one_divides_by_zero", "p = 1 raises ZeroDivisionError from 1 / (1 - p); with p == 1 every unit is "
          "dropped: return zeros without dividing.", INVERTED),
    _says("drops_in_eval", "eval mode (training=False) drops units; in eval nothing is dropped: out = x with inverted "
          "dropout, out = x * (1 - p) with scale_at='test'.", INVERTED),
    _says("test_time_eval_unscaled", "with scale_at='test', eval returns x unscaled; it multiplies by 1 - p, the "
          "fraction of units training kept.", TEST_TIME),
    _says("eval_scaled_with_inverted_dropout", "with scale_at='train' (inverted dropout), eval scales the units; "
          "eval is the identity there, the training output was already scaled.", INVERTED),
    _says("fresh_mask_in_backward", "the backward draws a new mask; it reuses the forward's, from the cache: the "
          "units the forward dropped get no gradient, the others get dout * scale.", BACKWARD),
    _says("backward_without_scale", "the backward applies the mask but not the scale; dx = dout * keep * scale, "
          "the very factor the forward multiplied x by.", BACKWARD),
    _says("backward_scale_inverted", "the backward divides where the forward multiplied (or the reverse); dx is "
          "dout times the forward's own factor, keep * scale.", BACKWARD),
    _says("backward_scaled_twice", "the backward scales twice (a cache that already holds keep * scale, multiplied "
          "by the scale again); dx = dout * cache when the cache is the factor.", BACKWARD),
    _says("eval_backward_unscaled", "in eval mode with scale_at='test' the backward returns dout unchanged; the "
          "forward multiplied by 1 - p, so dx = dout * (1 - p).", BACKWARD),
    _says("rng_ignored", "the mask does not come from the rng argument (np.random.* or a new generator instead): the "
          "caller's seed must decide the mask, rng.random(x.shape) >= p.", MASK),
    _says("test_time_scaled_by_p", "with scale_at='test', eval multiplies by p; it multiplies by the keep "
          "probability, 1 - p.", TEST_TIME),
]}
MISCONCEPTIONS = list(DROPOUT.values())


def _ratio(out, x, where):
    """The one factor out / x over ``where``, when there is one."""
    if not np.any(where):
        return None
    r = np.asarray(out, np.float64)[where] / np.asarray(x, np.float64)[where]
    return float(np.median(r)) if np.allclose(r, np.median(r), rtol=1e-3) else None


def _near(value, target):
    return value is not None and np.isfinite(target) and np.isclose(value, target, rtol=1e-3)


def training_output(x, p, out, scale_at, bound):
    """The mistakes a training output (a numpy array shaped like x) gives away."""
    out = np.asarray(out, np.float64)
    if np.isnan(out).any():
        return [DROPOUT["nan_for_p_one"]] if p == 1 else []
    kept = out != 0
    found = []
    if 0 < p < 1 and abs(kept.mean() - p) <= bound < abs(kept.mean() - (1 - p)):
        found.append(DROPOUT["keep_drop_confused"])
    r = _ratio(out, x, kept)
    candidates = ({"no_scaling": 1.0, "scaled_by_keep_probability": 1 - p, "scaled_by_p": 1 / p if p else np.inf}
                  if scale_at == "train" else {"scaled_in_training_at_test_time": 1 / (1 - p) if p < 1 else np.inf})
    found += [DROPOUT[name] for name, factor in candidates.items() if _near(r, factor) and not _near(r, 1 / (1 - p)
                                                                                                   if scale_at == "train" else 1.0)]
    return found


def eval_output(x, p, out, scale_at):
    """The mistakes an eval-mode output gives away."""
    out, x = np.asarray(out, np.float64), np.asarray(x, np.float64)
    if np.any((out == 0) & (x != 0)):
        return [DROPOUT["drops_in_eval"]]
    r = _ratio(out, x, x != 0)
    if scale_at == "test" and _near(r, 1.0) and p > 0:
        return [DROPOUT["test_time_eval_unscaled"]]
    if scale_at == "test" and _near(r, p) and not _near(r, 1 - p):
        return [DROPOUT["test_time_scaled_by_p"]]
    if scale_at == "train" and r is not None and not _near(r, 1.0):
        return [DROPOUT["eval_scaled_with_inverted_dropout"]]
    return []


def backward(x, out, dout, dx):
    """The mistakes a backward gives away, against its own forward's output."""
    dx, out = np.asarray(dx, np.float64), np.asarray(out, np.float64)
    if dx.shape != out.shape:
        return []
    forward_mask, backward_mask = out != 0, dx != 0
    if np.mean(forward_mask != backward_mask) > 0.05:
        return [DROPOUT["fresh_mask_in_backward"]]
    factor = _ratio(out, x, forward_mask)
    r = _ratio(dx, dout, forward_mask)
    if factor is not None and r is not None and not _near(r, factor):
        if _near(r, 1.0):
            return [DROPOUT["backward_without_scale"]]
        if _near(r, 1 / factor):
            return [DROPOUT["backward_scale_inverted"]]
        if _near(r, factor * factor):
            return [DROPOUT["backward_scaled_twice"]]
    return []


def eval_backward(dout, dx, factor):
    """The mistakes an eval-mode backward gives away (the forward multiplied by ``factor``)."""
    r = _ratio(dx, dout, np.asarray(dout) != 0)
    if factor != 1 and _near(r, 1.0):
        return [DROPOUT["eval_backward_unscaled"]]
    return []


def message(mistakes) -> str:
    return "".join(f"\n  {m.message()}" for m in mistakes)
