"""Feedback that names the mistake: what a failing output looks like, and which misconception
would have produced it.

When a check finds an output wrong, ``explain`` is asked why. It tries, in order:

1. the misconceptions of the operator (``assignments/<assignment>/misconceptions.py``): small
   trusted variants of the oracle (a flipped kernel, the unbiased variance, eps outside the
   square root, ...) computed with PyTorch in float64 from the very inputs of the check. A
   variant that agrees with the learner's output, where the right answer does not, names the
   mistake in one sentence, with the fix and the handout section;
2. structural readings of the difference: a wrong shape, the output a constant multiple of
   the right one (averaged instead of summed), off by a constant per channel, nonzero where
   it must be zero, wrong only at the border;
3. otherwise a description: how many values are off, in which channels, the worst one.

A correct output is never diagnosed: a variant names a mistake only where it differs from
the right answer, and ``explain`` is only asked about outputs that failed.
"""

from __future__ import annotations

import contextvars
import functools
import importlib
import re
import textwrap
from dataclasses import dataclass
from typing import Callable

import numpy as np

from assignments.common import catalog
from assignments.common.testing import allowed_difference


@dataclass(frozen=True)
class Misconception:
    """A classic mistake of one operator, and what it outputs."""

    name: str  # e.g. "kernel_flipped": the name the feedback and the planted bugs use
    op: str  # the operator: "conv2d" for conv2d_forward / conv2d_backward
    outputs: tuple[str, ...]  # the outputs it changes: "out", "dx", "running_var", ...
    says: str  # one sentence: the misconception and its fix
    read: str  # the handout section that explains it: "handouts/a1_convolution.md#1-..."
    variant: Callable  # (sample, dout) -> {output name: what this mistake computes}, float64
    applies: Callable = lambda sample: True  # False where the mistake cannot show (no bias to forget)
    shape_only: bool = False  # known by its output's shape alone (an output-size formula gone wrong)
    nonfinite: bool = False  # known by NaN or inf exactly where it gives them (exp overflowing, 0/0)

    def message(self, likely: str = "Likely") -> str:
        return wrap(f"{likely} mistake ({self.name}): {self.says} Read: {self.read}")


def wrap(text: str, indent: str = "    ") -> str:
    """One paragraph of feedback in 80 columns, even behind pytest's "E     " (the feedback prints
    it two spaces in); names, paths and handout links are never broken."""
    return textwrap.fill(text, width=74, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


@functools.cache
def _modules() -> tuple:
    """The assignments' misconceptions modules (an assignment without one has none)."""
    found = []
    for a in catalog.ASSIGNMENTS.values():
        path = f"assignments.{a.name}.misconceptions"
        try:
            found.append(importlib.import_module(path))
        except ModuleNotFoundError as exc:
            if not path.startswith(exc.name or "?"):  # missing itself (or its assignment, in a release): fine
                raise
    return tuple(found)


def misconceptions(op: str) -> tuple[Misconception, ...]:
    """Every catalogued misconception of ``op``."""
    return tuple(m for module in _modules() for m in module.MISCONCEPTIONS if m.op == op)


def raised(op: str, exc: BaseException, sample, shape) -> str:
    """Why a forward might raise on valid arguments (its output is ``shape``): the output-size
    mistakes that give another size on this case (slices then run past the input), as candidates."""
    lines = [f"{op}_forward raised {type(exc).__name__} on valid arguments: {(str(exc).splitlines() or [''])[0][:200]}",
             *getattr(exc, "__notes__", ())]
    # numpy names the shapes it could not combine: a candidate must be one of them, when it does
    shapes = {tuple(int(n) for n in t.split(",") if n.strip()) for t in re.findall(r"\(([\d, ]+)\)", str(exc))}
    candidates = []
    for m in misconceptions(op):
        if m.shape_only and "out" in m.outputs and m.applies(sample):
            try:
                wrong = m.variant(sample, None)["out"].shape
            except Exception:
                continue
            if wrong != tuple(shape) and (not shapes or wrong in shapes or wrong[1:] in shapes):
                candidates.append(m)
    if candidates:
        rule = shape_rule(op, "out", sample)
        lines += ([rule] if rule else []) + [m.message("Possible") for m in candidates]
    return "\n".join(lines)


def mutation(function: str, argument: str) -> str:
    """The feedback for a function that changed an argument it may not change."""
    for module in _modules():
        hint = getattr(module, "MUTATIONS", {}).get((function, argument))
        if hint is not None:
            return hint
    return (f"Likely mistake (mutates_input): {function} changed the caller's {argument} (x *= ..., x[...] = ..., or "
            "an in-place numpy call on it); compute into new arrays instead (y = x * m, not x *= m).")


def by_name(name: str) -> Misconception:
    """The misconception called ``name`` (for checks that recognize it themselves)."""
    for module in _modules():
        for m in module.MISCONCEPTIONS:
            if m.name == name:
                return m
    raise KeyError(name)


def shape_rule(op: str, what: str, sample) -> str | None:
    """How ``what``'s shape follows from the arguments, numbers filled in (a module's SHAPE_RULES)."""
    for module in _modules():
        rule = getattr(module, "SHAPE_RULES", {}).get((op, what))
        if rule is not None:
            return rule(sample)
    return None


def close(actual, expected, dtype) -> bool:
    """Within the kit's tolerance (assignments/common/testing.py), same shape, all finite."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape or not np.isfinite(actual).all():
        return False
    return bool(np.all(np.abs(actual - expected) <= allowed_difference(expected, dtype)))


def _numpy(value):
    if value is None:
        return None
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


_VARIANTS: dict = {}  # ids of (misconception, sample, dout) -> (those three, the variant's outputs)


def variant_outputs(m: Misconception, sample, dout=None) -> dict:
    """``m.variant(sample, dout)``, remembered for the case at hand: a failing check asks about
    each of its outputs in turn (a block's out, dx, every parameter's gradient), and one
    variant computes them all at once."""
    case = (m, sample, dout)  # by identity: two misconceptions may share a name (one per variant)
    key = tuple(map(id, case))
    hit = _VARIANTS.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], case)):  # (an id reused by a new object)
        if len(_VARIANTS) >= 256:
            _VARIANTS.clear()
        hit = _VARIANTS[key] = (case, m.variant(sample, dout))
    return hit[1]


def named_mistakes(op: str, what: str, actual, expected, sample, dout=None) -> list[Misconception]:
    """The misconceptions of ``op`` whose ``what`` agrees with ``actual`` and not with ``expected``."""
    dtype = sample.dtype
    found = []
    for m in misconceptions(op):
        if what not in m.outputs or not m.applies(sample):
            continue
        try:
            value = _numpy(variant_outputs(m, sample, dout).get(what))
        except Exception:  # a variant that cannot run on this case explains nothing here
            continue
        if value is None:
            continue
        if m.shape_only:  # a mistake known by the shape it gives, whatever the values
            if value.shape == actual.shape != expected.shape:
                found.append(m)
        elif m.nonfinite:  # known by where it gives NaN or inf, where the right answer is finite
            bad = ~np.isfinite(np.asarray(actual, dtype=np.float64))
            if value.shape == actual.shape and bad.any() and np.array_equal(bad, ~np.isfinite(value)):
                found.append(m)
        elif close(actual, value, dtype) and not close(expected, value, dtype):
            found.append(m)
    return found


# ------------------------------------------------------------------ structural readings


def _ratio(actual, expected):
    """c when actual == c * expected everywhere (within float noise), else None."""
    e = expected.ravel()
    if not np.any(e):
        return None
    c = float(np.dot(actual.ravel(), e) / np.dot(e, e))
    return c if np.allclose(actual, c * expected, rtol=1e-4, atol=1e-6 * max(1.0, np.abs(expected).max())) else None


def structural(what: str, actual, expected, sample) -> str | None:
    """A sentence about the shape of the difference, when it has a telling one."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape or a.size < 2 or not np.isfinite(a).all():  # one number has no telling shape
        return None
    c = _ratio(a, e)
    if c is not None and not np.isclose(c, 1.0):
        batch = sample.args[0].shape[0] if sample.args and hasattr(sample.args[0], "shape") else None
        if batch and batch > 1 and np.isclose(c, 1 / batch, rtol=1e-3):
            return (f"{what} is exactly 1/N (N = {batch}) of the right value everywhere: a gradient sums over "
                    "the batch, it does not average (use .sum(axis=0), not .mean(axis=0)).")
        if np.isclose(c, 0.0):
            return f"{what} is all zeros where the right value is not: is the result computed and returned?"
        if np.isclose(c, -1.0):
            return f"{what} has the opposite sign of the right value everywhere."
        return f"{what} is {c:.4g} times the right value everywhere: a scale factor is missing or extra."
    diff = a - e
    if a.ndim >= 2 and a.shape[1] > 1:
        per_channel = diff.mean(axis=tuple(i for i in range(a.ndim) if i != 1), keepdims=True)
        tol = allowed_difference(e, sample.dtype).max()
        if np.all(np.abs(diff - per_channel) <= 10 * tol) and np.abs(per_channel).max() > 10 * tol:
            return (f"{what} is off by a constant per channel (axis 1), the same at every position: a per-channel "
                    "term (a bias, beta, or a mean) is missing, extra or wrong.")
    wrong = np.abs(diff) > allowed_difference(e, sample.dtype)
    if np.any(wrong & (e == 0)) and not np.any(wrong & (e != 0)):
        return f"{what} is nonzero at {int(np.sum(wrong))} positions that must get nothing, and right everywhere else."
    if a.ndim == 4 and a.shape[2] > 2 and a.shape[3] > 2:
        border = np.ones(a.shape[2:], dtype=bool)
        border[1:-1, 1:-1] = False
        if wrong.any() and not np.any(wrong[..., ~border]):
            return f"{what} is wrong only on the border (first and last rows and columns): look at the padding."
    return None


def describe(what: str, actual, expected, dtype) -> str:
    """Where the values are off: how many, which channels, the worst one relative to the tolerance."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    allowed = allowed_difference(e, dtype)
    excess = np.where(np.isfinite(a), np.abs(a - e) - allowed, np.inf)
    wrong = excess > 0
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape)
    text = (f"{int(wrong.sum())} of {wrong.size} values of {what} are off; the worst at index "
            f"{tuple(int(i) for i in worst)}: yours {a[worst]:.6g}, expected {e[worst]:.6g} "
            f"(allowed difference {allowed[worst]:.2g}).")
    if a.ndim >= 2 and a.shape[1] > 1 and wrong.any():
        channels = sorted({int(i) for i in np.nonzero(wrong)[1]})
        if len(channels) < a.shape[1]:
            kind = "channels" if a.ndim >= 3 else "columns"  # a 2-D array: a batch of features, or a weight matrix
            text += f" Only {kind} {channels[:8]}{' ...' if len(channels) > 8 else ''} (axis 1) are off."
    return text


# Whether failing checks get the misconception search (the grader turns it off after a task's
# first few failures: feedback shows only the first ones, and each search runs every variant).
NAMING = contextvars.ContextVar("naming", default=True)


def explain(op: str, what: str, actual, expected, sample, dout=None) -> str:
    """Why ``actual`` (the learner's ``what``) is not ``expected``: the lines feedback leads with."""
    actual, expected = np.asarray(actual), _numpy(expected)
    named = named_mistakes(op, what, actual, expected, sample, dout) if NAMING.get() else []
    lines = [m.message() for m in named]
    if actual.shape != expected.shape:
        rule = shape_rule(op, what, sample)
        lines += [rule] if rule else []
    elif not lines:
        reading = structural(what, actual, expected, sample)
        lines = [wrap(reading)] if reading else []
        lines.append(wrap(describe(what, actual, expected, sample.dtype)))
    return "\n".join(lines)
