"""The checks of assignment 6, shared by the visible tests (test_gan.py) and the hidden suite.

Every call goes through assignments/common/specs.py: tensors, modules, optimizers and samplers
are described as data and built where your code runs, and what comes back is data (values,
the modules' and optimizers' state, the samplers' call log, gradients taken where your loss
was computed). The expected values are PyTorch's, in float64 (assignments/a6_gan/oracles.py).
"""

from __future__ import annotations

import numpy as np

from assignments.a6_gan import misconceptions, oracles
from assignments.common import specs, torch_checks
from assignments.common.gan_1d import DATA_MEAN, DATA_STD
from assignments.common.testing import assert_close


def check_loss(impl, function, sample, oracle=None, device="cpu"):
    """A loss: a scalar tensor equal to PyTorch's, and its gradient with respect to every logit
    equal to autograd's of PyTorch's loss (finite for logits of 100)."""
    __tracebackhide__ = True
    torch_checks.check_tensor_function(impl, function, sample, oracle or getattr(oracles, function), sample.names,
                                       "a scalar (the mean over the batch)", device)


def check_optimal_discriminator(impl, sample, as_tensor=False):
    """D* elementwise, 0.5 where both densities vanish; numpy in, numpy out; tensor in, tensor out."""
    __tracebackhide__ = True
    expected = oracles.optimal_discriminator(sample)
    kind = "tensors" if as_tensor else "numpy arrays"
    where = f"optimal_discriminator({sample.describe()}) on {kind}"
    args = [specs.tensor(a) for a in sample.args] if as_tensor else list(sample.args)
    answer = specs.call(impl, "optimal_discriminator", sample.names, args)
    value = answer["value"]
    if as_tensor:
        out = torch_checks.returned_tensor(value, "optimal_discriminator", where, sample.dtype)
    elif not isinstance(value, np.ndarray):
        raise AssertionError(f"optimal_discriminator: numpy arrays in, a numpy array out; got {value!r:.80}\n"
                             f"  call: {where}")
    else:
        out = torch_checks.in_dtype(value, sample.dtype)
    assert_close(out, expected.out, dtype=sample.dtype, what="D*", context=where,
                 explain=torch_checks.explained("optimal_discriminator", "out", sample))


# ------------------------------------------------------------------ the training step

REPEAT = 2  # calls of the step on the same objects: what one step leaves behind shows in the next


def step_context(sample) -> str:
    G, D, opt_G, _, real, noise = sample.args
    return (f"gan_training_step(G=MLP{G['config']['sizes']}, D=MLP{D['config']['sizes']}, {opt_G['name']}"
            f"{opt_G['hyper']} for both, sample_real -> {tuple(real['shape'])}, sample_noise -> "
            f"{tuple(noise['shape'])}, k={sample.kwargs['k']}, non_saturating={sample.kwargs['non_saturating']}), "
            f"{sample.dtype}, called {REPEAT} times in a row on {G['device']}")


def check_step(impl, sample, oracle=oracles.training_step):
    """Your step and Algorithm 1 from the same weights and the same sampler sequences, twice in
    a row: the samplers' calls, the returned losses, then D's and G's parameters and their
    optimizers' state must agree."""
    __tracebackhide__ = True
    expected = oracle(sample, repeat=REPEAT)
    where = step_context(sample)
    answer = specs.call(impl, "gan_training_step", sample.names, list(sample.args), sample.kwargs, repeat=REPEAT)
    why = lambda: ("\n  " + hint) if (hint := torch_checks.step_diagnosis("gan_step", sample, answer, expected)) else ""
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
    torch_checks.compare_step("gan_step", sample, answer, expected, where, order=("D", "opt_D", "G", "opt_G"))


# ------------------------------------------------------------------ Figure 1: the 1-D GAN converges

BOUNDS = {"mean": 0.35 * DATA_STD, "std": (0.6 * DATA_STD, 1.6 * DATA_STD), "d_on_data": 0.08}


def check_convergence(impl, seed, steps=1000):
    """Figure 1 of the paper with your step (assignments/common/gan_1d.py): after ``steps`` steps,
    G's samples have about the data's mean and spread, and D(x) is about 1/2 over the data.
    Bounds measured on the reference over 20 seeds (handouts/a6_gan.md, section 5)."""
    __tracebackhide__ = True
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
