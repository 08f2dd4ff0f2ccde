"""The one oracle comparison every test uses, and the call wrapper that checks side effects.

Tolerances are decided here, once. They are relative to the scale of the expected values:

    |actual - expected| <= atol * max(1, max|expected|) + rtol * |expected|

float64: rtol = atol = 1e-7. A correct float64 implementation is off by about 1e-14; the
  mistakes the tests hunt (eps outside the sqrt, biased vs unbiased variance, a missing
  1/sqrt(dk), a flipped kernel, an off-by-one window) are off by 1e-3 or far more.
float32: rtol = atol = 1e-4. Summing k float32 products errs by about sqrt(k) * 6e-8 of the
  terms' size (about 1e-5 for the few thousand terms the test cases sum), well inside; the
  same mistakes stay far outside.
The oracle is computed in float64 from the very same (float32) inputs.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from assignments.common import catalog
from assignments.common.pytest_plugin import KIT, ImplUnavailable
from assignments.common.samples import arrays_in, copy_tree, key_path

TOLERANCES = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-4}


def without_rewrite(text: str) -> str:
    """An assertion's message without pytest's rewrite of the failing expression ("assert 0.18 <=
    0.08", "+  where ..."): the learner reads the message, not the test's source."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("assert "):
            return "\n".join(lines[:i])
    return text


def call(fn, *args, names=(), mutable=(), **kwargs):
    """``fn(*args, **kwargs)``, failing if the call changed any of its array inputs.

    The function gets copies of every array it may not change (inside dicts and tuples too), so
    that code which changes them anyway never reaches the test's own inputs (shared with later
    checks, and with later submissions graded in the same process). The key paths in ``mutable``
    (an argument, ``running_mean``, or a value inside one, ``params['bn1.running_mean']``) are
    passed as they are and may change; an argument named "cache" is passed as it is and not
    checked: the cache is opaque, only its module reads it.
    """
    __tracebackhide__ = True
    labels = [names[i] if i < len(names) else f"argument {i}" for i in range(len(args))]
    free = frozenset({"cache", *mutable})
    given = {label: copy_tree(a, free, label) for label, a in zip(labels, args)} | \
            {k: copy_tree(v, free, k) for k, v in kwargs.items()}
    before = [(n, a, a.copy()) for n, a in arrays_in(given, skip=free)]
    given_kwargs = {k: given[k] for k in kwargs}
    given = [given[label] for label in labels]
    result = fn(*given, **given_kwargs)
    for n, a, copy in before:
        if not np.array_equal(a, copy, equal_nan=True):
            from assignments.common import diagnose

            name = getattr(fn, "__name__", "the function")
            raise AssertionError(f"{name} modified its input {n}\n  {diagnose.mutation(name, n)}")
    return result


def allowed_difference(expected, dtype) -> np.ndarray:
    """The tolerance, per element: tol * max(1, max|expected|) + tol * |expected|."""
    tol, expected = TOLERANCES[np.dtype(dtype)], np.abs(np.asarray(expected, dtype=np.float64))
    return tol * max(1.0, float(expected.max()) if expected.size else 1.0) + tol * expected


def assert_close(actual, expected, *, dtype, what: str, context: str = "", explain=None):
    """Compare a learner output with an oracle value: a numpy array or tensor, any dtype, or a
    nested value of them (dicts, tuples; None where the output must be None).

    Checks, in order: a numpy array came back, of the expected shape, in ``dtype``, and its
    values agree within the tolerance for ``dtype`` (decided by torch.testing.assert_close).
    Nested values are compared leaf by leaf, named by their key path (``grads['bn1.weight']``);
    a dict must have exactly the expected keys. The message says which output, which call, and
    why: ``explain(what, actual, expected)`` for the failing leaf (the diagnosis layer,
    assignments/common/diagnose.py: the mistake it names, or where the values are off), or
    else where the values are off and the worst one.
    """
    __tracebackhide__ = True
    from assignments.common import diagnose

    where = "\n  " + diagnose.wrap(f"call: {context}", "        ") if context else ""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise AssertionError(f"{what}: expected a dict keyed {sorted(expected)}, got {actual!r:.80}{where}")
        missing, extra = sorted(set(expected) - set(actual)), sorted(set(actual) - set(expected))
        if missing or extra:
            raise AssertionError(f"{what}: keys differ: missing {missing}, unexpected {extra}{where}")
        for key in expected:
            assert_close(actual[key], expected[key], dtype=dtype, what=key_path(what, key), context=context,
                         explain=explain)
        return
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            raise AssertionError(f"{what}: expected a tuple of {len(expected)}, got {actual!r:.80}{where}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, dtype=dtype, what=key_path(what, i), context=context, explain=explain)
        return
    if expected is None:
        if actual is not None:
            raise AssertionError(f"{what} must be None here (no such parameter in this call), got {actual!r:.80}{where}")
        return
    expected = expected.detach().cpu().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)

    def why(default=""):
        text = (explain(what, actual, expected) if explain else "") or default
        return "\n  " + text.replace("\n", "\n  ") if text else ""

    if not isinstance(actual, np.ndarray):
        raise AssertionError(f"{what}: expected a numpy array, got {actual!r:.80}{where}")
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, expected {expected.shape}{where}{why()}")
    dtype = np.dtype(dtype)
    if actual.dtype != dtype:
        raise AssertionError(f"{what}: dtype {actual.dtype}, expected {dtype}{where}\n  Likely mistake (dtype_not_kept): "
                             f"outputs keep the input dtype; allocate with dtype=x.dtype, and cast float64 "
                             f"intermediates back (.astype(x.dtype)).")
    tol = TOLERANCES[dtype]
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    try:
        torch.testing.assert_close(torch.from_numpy(np.ascontiguousarray(actual, dtype=np.float64)),
                                   torch.from_numpy(np.ascontiguousarray(expected, dtype=np.float64)),
                                   rtol=tol, atol=tol * scale, equal_nan=False)
    except AssertionError:
        raise AssertionError(f"{what} is wrong{where}{why(diagnose.wrap(diagnose.describe(what, actual, expected, dtype)))}") from None


def check_forward_backward(impl, op: str, sample, oracle, grads=("dx",), backward=False):
    """``<op>_forward`` on ``sample`` (and with backward=True, ``<op>_backward`` on a fixed
    upstream gradient) against ``oracle(sample[, dout])``, a namespace with .out and the grads.
    A backward check is skipped where the learner's forward is wrong: that mistake costs the
    forward's task, not the backward's.

    ``grads`` names what the backward returns, in order (e.g. ("dx", "dw", "db")); an oracle
    gradient of None (no bias) means the learner must return None there too.
    """
    __tracebackhide__ = True
    from assignments.common import diagnose

    context = f"{op}_forward({sample.describe(signature_defaults(f'{op}_forward'))})"
    expected = oracle(sample)  # before the learner's call: it may update arguments in place
    mine = sample.copy()
    forward = getattr(impl, f"{op}_forward")
    if not backward:
        try:
            out, _ = call(forward, *mine.args, names=mine.names, mutable=mine.mutable, **mine.kwargs)
        except (NotImplementedError, AssertionError, ImplUnavailable):
            raise
        except Exception as exc:  # the learner's code raised on valid arguments: say what might be why
            text = diagnose.raised(op, exc, sample, np.shape(expected.out)).replace("\n", "\n  ")
            raise AssertionError(f"{text}\n  call: {context}") from None
        assert_close(out, expected.out, dtype=sample.dtype, what="out", context=context,
                     explain=lambda what, a, e: diagnose.explain(op, what, a, e, sample))
        return
    with forward_for_backward(op):  # the backward reads the forward's cache: it must be right first
        out, cache = call(forward, *mine.args, names=mine.names, mutable=mine.mutable, **mine.kwargs)
        assert_close(out, expected.out, dtype=sample.dtype, what="out", context=context)
    dout = sample.upstream(np.shape(expected.out))
    expected = oracle(sample, dout)
    context = f"{op}_backward(dout {dout.shape} {dout.dtype}, cache) after {context}"
    result = call(getattr(impl, f"{op}_backward"), dout, cache, names=("dout", "cache"))
    result = result if len(grads) > 1 else (result,)
    if not (isinstance(result, tuple) and len(result) == len(grads)):
        raise AssertionError(f"{op}_backward must return a tuple ({', '.join(grads)}), got {result!r:.80}")
    for name, value in zip(grads, result):
        assert_close(value, getattr(expected, name), dtype=sample.dtype, what=name, context=context,
                     explain=lambda what, a, e: diagnose.explain(op, what, a, e, sample, dout))


@contextlib.contextmanager
def forward_for_backward(op: str):
    """Around the forward call of a backward check: a forward that fails (raises, or gives a
    wrong output) skips the check, so that the mistake costs only the forward's own task. A
    forward that is not implemented yet still fails the check, with that message."""
    try:
        yield
    except NotImplementedError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(f"not checked: {op}_forward is wrong on this case ({first[:120]}); its own task reports it")


@functools.cache
def signature_defaults(function: str) -> dict:
    """The default arguments of a learner-facing function, read from its stub (never imported)."""
    for a in catalog.ASSIGNMENTS.values():
        path = KIT / "assignments" / a.name / a.file
        if not path.is_file():
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name == function:
                args = node.args.args[len(node.args.args) - len(node.args.defaults):]
                return {arg.arg: ast.literal_eval(default) for arg, default in zip(args, node.args.defaults)}
    return {}


@contextlib.contextmanager
def charged_to(function: str, is_right):
    """Around a check whose result also depends on another of the learner's functions (multi-head
    attention built on their own attention): when the check fails and ``function`` is wrong on
    this case too (``is_right()`` is False), the check is skipped and that mistake costs only
    ``function``'s own task (forward_for_backward does the same before a backward's check)."""
    try:
        yield
    except AssertionError:
        if is_right():
            raise
        pytest.skip(f"not checked: {function} is wrong on this case; its own task reports it")


def passes(check, *args) -> bool:
    """Whether ``check(*args)`` passes: it neither fails, nor skips, nor meets a learner's exception."""
    try:
        check(*args)
    except (Exception, pytest.skip.Exception):
        return False
    return True


def forward_is_right(impl, op: str, sample, oracle) -> bool:
    """Whether ``<op>_forward`` agrees with the oracle on ``sample``: a check that differentiates
    or reuses the learner's own forward asks this first, so it never trusts a wrong forward."""
    return passes(check_forward_backward, impl, op, sample, oracle)


def oracle_from(forward, backward, grads=("dx",)):
    """An oracle made of another implementation's forward/backward (e.g. the reference)."""
    def oracle(sample, dout=None):
        sample = sample.copy()  # the other implementation may update running statistics in place
        out, cache = forward(*sample.args, **sample.kwargs)
        if dout is None:
            return SimpleNamespace(out=out)
        result = backward(dout, cache)
        return SimpleNamespace(out=out, **dict(zip(grads, result if len(grads) > 1 else (result,))))
    return oracle


def hoeffding_bound(n: int, value_range: float = 1.0, delta: float = 1e-9) -> float:
    """How far the mean of n independent values in an interval of width ``value_range`` may
    stray from its expectation: P(|mean - E| >= t) <= 2 exp(-2 n t^2 / range^2) = delta.

    With delta = 1e-9 a correct implementation fails a statistical check about once in a
    billion runs, whatever way it draws its random numbers (no normal approximation).
    """
    return value_range * math.sqrt(math.log(2 / delta) / (2 * n))


# Other words a message may use for an argument (the contract accepts "kernel" for a kernel
# larger than the padded input; "bias" for b reads just as well).
ALIASES = {"b": ("bias",), "w": ("weight", "weights", "kernel", "filter", "filters")}


# What numpy's own ValueErrors say: raised by an operation on arguments nobody checked.
NUMPY_PHRASES = ("could not be broadcast", "cannot reshape array", "non-broadcastable output operand",
                 "mismatch in its core dimension", "shapes not aligned", "operand has more dimensions")


def names_argument(message: str, name: str) -> bool:
    """``name`` (or an alias) appears in ``message`` as a whole word: "w" is not in "with"."""
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", message)
               for word in (name, *ALIASES.get(name, ())))


def check_value_error(impl, case):
    """``case`` (an ErrorCase) raises ValueError whose own message names an argument involved.

    Only the learner's message is read (never the source line that raised it), and only the
    contract's rule is checked: any one of the arguments involved, as a whole word.
    """
    __tracebackhide__ = True
    try:
        getattr(impl, case.function)(*case.args, **case.kwargs)
    except ValueError as exc:
        message = str(exc)
    except (NotImplementedError, AssertionError, ImplUnavailable):
        raise
    except Exception as exc:
        raise AssertionError(f"{case.function}, {case.description}: must raise ValueError naming the argument involved "
                             f"({' or '.join(case.names)}); it raised {type(exc).__name__}: {str(exc)[:160]}") from None
    else:
        raise AssertionError(f"{case.function}, {case.description}: must raise ValueError naming the argument involved "
                             f"({' or '.join(case.names)}); it returned without raising")
    if not any(names_argument(message, n) for n in case.names):
        mistake = (("no_argument_checks", "this ValueError comes from numpy, deep in the computation, not from a check "
                    "of yours: check the arguments first and raise ValueError naming the one that is wrong.")
                   if any(phrase in message for phrase in NUMPY_PHRASES) else
                   ("value_error_names_no_argument", "a ValueError's message must name an argument involved, as a "
                    "whole word (x, w, b, stride, gamma, p, ...)."))
        raise AssertionError(f"{case.function}, {case.description}: the ValueError message should name the argument "
                             f"involved ({' or '.join(case.names)}); it said: {message[:200]!r}\n"
                             f"  Likely mistake ({mistake[0]}): {mistake[1]}")
