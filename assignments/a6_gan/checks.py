"""The checks of assignment 6, shared by the visible tests (test_gan.py) and the hidden suite.

Every call goes through assignments/common/specs.py: tensors, modules, optimizers and samplers
are described as data and built where your code runs, and what comes back is data (values,
the modules' and optimizers' state, the samplers' call log, gradients taken where your loss
was computed). The expected values are PyTorch's, in float64 (assignments/a6_gan/oracles.py).
"""

from __future__ import annotations

import numpy as np

from assignments.a6_gan import misconceptions, oracles
from assignments.common import diagnose, specs
from assignments.common.gan_1d import DATA_MEAN, DATA_STD
from assignments.common.testing import assert_close


def explained(op, key, sample, dout=None):
    return lambda what, actual, expected: diagnose.explain(op, key, actual, expected, sample, dout)


def _value_as_tensor(value, function, where):
    if not (isinstance(value, dict) and "tensor" in value):
        raise AssertionError(f"{function} must return a tensor (a torch.Tensor, so that it can be backpropagated), "
                             f"got {value!r:.80}\n  call: {where}")
    return value["tensor"]


def check_loss(impl, function, sample, oracle=None, device="cpu"):
    """A loss: a scalar tensor in the logits' dtype equal to PyTorch's, and its gradient with
    respect to every logit equal to autograd's of PyTorch's loss (finite for logits of 100)."""
    oracle = oracle or getattr(oracles, function)
    expected = oracle(sample, np.array(1.0), device=device)
    where = f"{function}({sample.describe()})"
    args = [specs.tensor(a, requires_grad=True, device=device) for a in sample.args]
    answer = specs.call(impl, function, sample.names, args, sample.kwargs, grad=sample.names)
    out = _value_as_tensor(answer["value"], function, where)
    if np.shape(out) != ():
        raise AssertionError(f"{function} must return a scalar (the mean over the batch), got shape {np.shape(out)}"
                             f"\n  call: {where}")
    assert_close(out, expected.out, dtype=sample.dtype, what="loss", context=where,
                 explain=explained(function, "out", sample))
    if "grad_error" in answer:
        raise AssertionError(f"{function}: {answer['grad_error']}\n  call: {where}")
    for name in sample.names:
        grad = answer["grads"][name]
        if grad is None:
            raise AssertionError(f"{function}: the loss does not depend on {name}\n  call: {where}")
        assert_close(grad, getattr(expected, f"d{name}"), dtype=sample.dtype, what=f"d loss / d {name}", context=where,
                     explain=explained(function, f"d{name}", sample, np.array(1.0)))
    assert not answer["modified"], f"{function} modified its input {answer['modified'][0]}\n  call: {where}"


def check_optimal_discriminator(impl, sample, as_tensor=False):
    """D* elementwise, 0.5 where both densities vanish; numpy in, numpy out; tensor in, tensor out."""
    expected = oracles.optimal_discriminator(sample)
    kind = "tensors" if as_tensor else "numpy arrays"
    where = f"optimal_discriminator({sample.describe()}) on {kind}"
    args = [specs.tensor(a) for a in sample.args] if as_tensor else list(sample.args)
    answer = specs.call(impl, "optimal_discriminator", sample.names, args)
    value = answer["value"]
    if as_tensor:
        out = _value_as_tensor(value, "optimal_discriminator", where)
    elif not isinstance(value, np.ndarray):
        raise AssertionError(f"optimal_discriminator: numpy arrays in, a numpy array out; got {value!r:.80}\n"
                             f"  call: {where}")
    else:
        out = value
    assert_close(out, expected.out, dtype=sample.dtype, what="D*", context=where,
                 explain=explained("optimal_discriminator", "out", sample))


# ------------------------------------------------------------------ the training step

REPEAT = 2  # calls of the step on the same objects: what one step leaves behind shows in the next


def step_context(sample) -> str:
    G, D, opt_G, _, real, noise = sample.args
    return (f"gan_training_step(G=MLP{G['config']['sizes']}, D=MLP{D['config']['sizes']}, {opt_G['name']}"
            f"{opt_G['hyper']} for both, sample_real -> {tuple(real['shape'])}, sample_noise -> "
            f"{tuple(noise['shape'])}, k={sample.kwargs['k']}, non_saturating={sample.kwargs['non_saturating']}), "
            f"{sample.dtype}, called {REPEAT} times in a row on {G['device']}")


def _agrees(answer, expected, dtype) -> bool:
    """The whole outcome (calls, losses, every parameter and optimizer state) within tolerance."""
    if answer["calls"] != expected["calls"]:
        return False
    try:
        assert_close(_losses(answer["value"], dtype), _losses(expected["value"], dtype), dtype=dtype, what="")
        for name in expected["state"]:
            assert_close(_state(answer["state"][name], dtype), _state(expected["state"][name], dtype), dtype=dtype,
                         what="")
    except AssertionError:
        return False
    return True


def _losses(value, dtype):
    """The returned losses of every call as arrays of the step's dtype (Python floats come back)."""
    return {f"call {i + 1} {key}": np.asarray(v, dtype=dtype) for i, r in enumerate(value) for key, v in r.items()}


def _state(state, dtype):
    """Parameters and optimizer state in the step's dtype (Adam counts its steps in float32)."""
    return {k: np.asarray(v).astype(dtype, copy=False) for k, v in state.items()}


def step_diagnosis(sample, answer, expected):
    """The message of every step mistake whose whole outcome agrees with the learner's."""
    if not diagnose.NAMING.get():
        return ""
    variants = {m: m.variant(sample, None)["step"] for m in diagnose.misconceptions("gan_step")}  # each run once
    named = [m for m, outcome in variants.items()
             if not _agrees(expected, outcome, sample.dtype) and _agrees(answer, outcome, sample.dtype)]
    return "\n  ".join(m.message() for m in named)


def check_step(impl, sample, oracle=oracles.training_step):
    """Your step and Algorithm 1 from the same weights and the same sampler sequences, twice in
    a row: the samplers' calls, the returned losses, then D's and G's parameters and their
    optimizers' state must agree."""
    expected = oracle(sample, repeat=REPEAT)
    where = step_context(sample)
    answer = specs.call(impl, "gan_training_step", sample.names, list(sample.args), sample.kwargs, repeat=REPEAT)
    why = lambda: ("\n  " + hint) if (hint := step_diagnosis(sample, answer, expected)) else ""
    if answer["calls"] != expected["calls"]:
        raise AssertionError(f"the samplers were called in this order: {answer['calls']}\n  expected: "
                             f"{expected['calls']}\n  call: {where}{why()}")
    for i, result in enumerate(answer["value"]):
        if not (isinstance(result, dict) and set(result) == {"d_loss", "g_loss"}):
            raise AssertionError(f"gan_training_step must return {{'d_loss': float, 'g_loss': float}}, got "
                                 f"{result!r:.100}\n  call: {where}")
        if not all(type(v) is float for v in result.values()):
            raise AssertionError(f"gan_training_step must return the losses as Python floats (loss.item()), got "
                                 f"{ {k: type(v).__name__ if not isinstance(v, dict) else 'tensor' for k, v in result.items()} }"
                                 f"\n  call: {where}")
    order = ("D", "opt_D", "G", "opt_G")  # D moves first: its mistakes show there first
    for name in order:
        mine, right = _state(answer["state"][name], sample.dtype), _state(expected["state"][name], sample.dtype)
        assert_close(mine, right, dtype=sample.dtype, what=f"{name} after the steps" if name in "DG" else
                     f"the state of {name} after the steps", context=where,
                     explain=lambda what, actual, expected_: step_diagnosis(sample, answer, expected) or
                     diagnose.wrap(diagnose.describe(what, actual, expected_, sample.dtype)))
    assert_close(_losses(answer["value"], sample.dtype), _losses(expected["value"], sample.dtype), dtype=sample.dtype,
                 what="returned", context=where,
                 explain=lambda what, actual, expected_: step_diagnosis(sample, answer, expected))


# ------------------------------------------------------------------ Figure 1: the 1-D GAN converges

BOUNDS = {"mean": 0.35 * DATA_STD, "std": (0.6 * DATA_STD, 1.6 * DATA_STD), "d_on_data": 0.08}


def check_convergence(impl, seed, steps=1000):
    """Figure 1 of the paper with your step (assignments/common/gan_1d.py): after ``steps`` steps,
    G's samples have about the data's mean and spread, and D(x) is about 1/2 over the data.
    Bounds measured on the reference over 20 seeds (handouts/a6_gan.md, section 5)."""
    r = specs.call_experiment(impl, "gan_training_step", "gan_1d", {"seed": seed, "steps": steps})
    where = (f"\n  run: the 1-D GAN of Figure 1 (data N({DATA_MEAN:g}, {DATA_STD:g}^2), z uniform on [0, 1)), seed "
             f"{seed}, {steps} calls of your gan_training_step")
    low, high = BOUNDS["std"]
    problems = []
    if not np.isfinite([r["mean"], r["std"], r["d_on_data"]]).all():
        problems.append("the samples or D's outputs are not finite")
    else:
        if abs(r["mean"] - DATA_MEAN) > BOUNDS["mean"]:
            problems.append(f"G's samples have mean {r['mean']:.3f}; the data's is {DATA_MEAN:g} (allowed: "
                            f"+-{BOUNDS['mean']:g})")
        if not low <= r["std"] <= high:
            problems.append(f"G's samples have standard deviation {r['std']:.3f}; the data's is {DATA_STD:g} (allowed: "
                            f"{low:g} to {high:g}{'; G collapsed to a few values' if r['std'] < low else ''})")
        if abs(r["d_on_data"] - 0.5) > BOUNDS["d_on_data"]:
            problems.append(f"D(x) averages {r['d_on_data']:.3f} over the data; at the equilibrium D = 1/2 "
                            f"(allowed: +-{BOUNDS['d_on_data']:g})")
    assert not problems, ("the 1-D GAN did not converge with your step: " + "; ".join(problems) + where +
                          "\n  Once the step checks pass this one does too: fix those first.")
