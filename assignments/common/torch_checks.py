"""The checks a6 and a7 share: a PyTorch function of tensors, and a training step, called
through specs (assignments/common/specs.py) and compared with a float64 oracle.

A tensor function (a loss, reparameterize, the KL) is compared in three parts: its value, the
gradient of that value (with an upstream of ones) with respect to each differentiable input,
taken where the learner's code ran, and that no input was changed. A training step is run twice
in a row from the same weights and data as its oracle, and the whole outcome is compared: the
samplers' calls, the returned numbers, every module's parameters and every optimizer's state.

The contract fixes the values of a6 and a7, not the dtype a function computes in: an output in
another floating dtype is compared in the inputs' dtype (a float32 loss computed in float64 passes;
one computed in float16 fails on its values).
"""

from __future__ import annotations

import numpy as np

from assignments.common import diagnose, specs
from assignments.common.testing import assert_close


def explained(op, key, sample, dout=None):
    return lambda what, actual, expected: diagnose.explain(op, key, actual, expected, sample, dout)


def returned_tensor(value, function, where, dtype):
    """A returned tensor's values, in ``dtype`` when it is a floating tensor of another dtype."""
    if not (isinstance(value, dict) and "tensor" in value):
        raise AssertionError(f"{function} must return a tensor (a torch.Tensor, so that it can be backpropagated), "
                             f"got {value!r:.80}\n  call: {where}")
    return in_dtype(value["tensor"], dtype)


def in_dtype(array, dtype):
    array = np.asarray(array)
    return array.astype(dtype) if array.dtype.kind == "f" and array.dtype != dtype else array


def check_tensor_function(impl, function, sample, oracle, grads, returns, device="cpu", not_differentiable=None):
    """``impl.<function>(*sample)`` on tensors on ``device``: its value must equal the oracle's
    (``returns`` says what it is, for the message when the shape differs), and the gradient of
    the value with respect to each argument named in ``grads`` must equal autograd's of the
    oracle. ``not_differentiable``: the misconception to name when no gradient flows back."""
    __tracebackhide__ = True
    expected = oracle(sample, device=device)
    dout = np.ones(np.shape(expected.out))
    expected = oracle(sample, dout, device=device)
    where = f"{function}({sample.describe()})" + ("" if device == "cpu" else f" on {device}")
    args = [specs.tensor(a, requires_grad=n in grads, device=device) for n, a in zip(sample.names, sample.args)]
    answer = specs.call(impl, function, sample.names, args, sample.kwargs, grad=grads)
    out = returned_tensor(answer["value"], function, where, sample.dtype)
    if np.shape(out) != tuple(expected.out.shape):
        hint = explained(function, "out", sample)(f"{function}", out, expected.out)
        raise AssertionError(f"{function} must return {returns}, shape {tuple(expected.out.shape)}; got shape "
                             f"{np.shape(out)}\n  call: {where}" + (f"\n  {hint}" if hint else ""))
    assert_close(out, expected.out, dtype=sample.dtype, what="out" if np.ndim(out) else "loss", context=where,
                 explain=explained(function, "out", sample))
    no_gradient = answer.get("grad_error") or next(
        (f"the returned value does not depend on {n} (no gradient reaches it)" for n in grads
         if answer["grads"][n] is None), None)
    if no_gradient:
        hint = f"\n  {not_differentiable.message()}" if not_differentiable else ""
        raise AssertionError(f"{function}: {no_gradient}\n  call: {where}{hint}")
    for name in grads:
        label = f"d sum({function}) / d {name}" if np.ndim(out) else f"d loss / d {name}"
        assert_close(in_dtype(answer["grads"][name], sample.dtype), getattr(expected, f"d{name}"), dtype=sample.dtype,
                     what=label, context=where, explain=explained(function, f"d{name}", sample, dout))
    assert not answer["modified"], f"{function} modified its input {answer['modified'][0]}\n  call: {where}"


# ------------------------------------------------------------------ training steps


def reference_step(function):
    """A step oracle from a readable reference's own step (``function``), run in this process on
    the same specs, on the CPU: a second oracle for the hidden suites."""
    def oracle(sample, repeat):
        sample = specs.on_device(sample, "cpu")
        return specs.run_call(function, sample.names, list(sample.args), dict(sample.kwargs), repeat=repeat)
    return oracle


def values(value, dtype) -> dict:
    """The numbers a step returned on each call, as arrays of the step's dtype, keyed "call i[ key]"."""
    flat = {}
    for i, result in enumerate(value):
        for key, v in (result.items() if isinstance(result, dict) else [("", result)]):
            flat[f"call {i + 1}" + (f" {key}" if key else "")] = np.asarray(v, dtype=dtype)
    return flat


def state_arrays(state, dtype) -> dict:
    """Parameters and optimizer state in the step's dtype (Adam counts its steps in float32)."""
    return {k: np.asarray(v).astype(dtype, copy=False) for k, v in state.items()}


def agrees(answer, expected, dtype) -> bool:
    """The whole outcome of two runs of a step (calls, returned numbers, every module's and
    optimizer's state) within the tolerance of ``dtype``."""
    if answer["calls"] != expected["calls"]:
        return False
    try:
        assert_close(values(answer["value"], dtype), values(expected["value"], dtype), dtype=dtype, what="")
        for name in expected["state"]:
            assert_close(state_arrays(answer["state"][name], dtype), state_arrays(expected["state"][name], dtype),
                         dtype=dtype, what="")
    except AssertionError:
        return False
    return True


def step_diagnosis(op, sample, answer, expected):
    """The message of every mistake of the step ``op`` whose whole outcome agrees with the
    learner's and not with the right one (each mistake's variant run once)."""
    if not diagnose.NAMING.get():
        return ""
    outcomes = {m: m.variant(sample, None)["step"] for m in diagnose.misconceptions(op) if m.applies(sample)}
    named = [m for m, outcome in outcomes.items()
             if not agrees(expected, outcome, sample.dtype) and agrees(answer, outcome, sample.dtype)]
    return "\n  ".join(m.message() for m in named)


def compare_step(op, sample, answer, expected, where, order):
    """After the calls and the return type are checked: each module's parameters and each
    optimizer's state (in ``order``: who moves first shows a mistake first), then the returned
    numbers; a failure names the mistake whose outcome agrees with the learner's."""
    __tracebackhide__ = True
    diagnosis = {}  # computed once, when first needed

    def why(what, actual, expected_, describe=True):
        if "text" not in diagnosis:
            diagnosis["text"] = step_diagnosis(op, sample, answer, expected)
        default = diagnose.wrap(diagnose.describe(what, actual, expected_, sample.dtype)) if describe else ""
        return diagnosis["text"] or default

    given = dict(zip(sample.names, sample.args))
    for name in order:
        what = f"{name} after the steps" if specs.is_spec(given[name], "module") else f"the state of {name} after the steps"
        assert_close(state_arrays(answer["state"][name], sample.dtype), state_arrays(expected["state"][name], sample.dtype),
                     dtype=sample.dtype, what=what, context=where, explain=why)
    assert_close(values(answer["value"], sample.dtype), values(expected["value"], sample.dtype), dtype=sample.dtype,
                 what="returned", context=where, explain=lambda w, a, e: why(w, a, e, describe=False))
