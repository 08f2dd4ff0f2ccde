"""The checks of assignment 7, shared by the visible tests (test_vae.py) and the hidden suite.

Every call goes through assignments/common/specs.py: tensors, the model and its optimizer are
described as data and built where your code runs, and what comes back is data (values, the
model's and optimizer's state, gradients taken where your function ran). The expected values
are PyTorch's, in float64 (assignments/a7_vae/oracles.py).
"""

from __future__ import annotations

import numpy as np

from assignments.a7_vae import oracles
from assignments.common import diagnose, specs, torch_checks

GRADS = {"reparameterize": ("mu", "logvar"), "kl_standard_normal": ("mu", "logvar"),
         "reconstruction_loss": ("x_out",), "negative_elbo": ("x_out", "mu", "logvar")}
RETURNS = {"reparameterize": "z, a tensor of mu's shape", "kl_standard_normal": "one KL per sample, a tensor (N,)",
           "reconstruction_loss": "one value per sample, a tensor (N,)",
           "negative_elbo": "a scalar tensor (the batch mean)"}


def check_function(impl, function, sample, device="cpu"):
    """``function`` on tensors: its value and its gradient with respect to mu, logvar or x_out
    (the ones the contract makes it differentiable in) equal PyTorch's in float64."""
    __tracebackhide__ = True
    not_differentiable = diagnose.by_name("reparameterize_not_differentiable") if function == "reparameterize" else None
    torch_checks.check_tensor_function(impl, function, sample, getattr(oracles, function), GRADS[function],
                                       RETURNS[function], device, not_differentiable)


SIGMAS = 4  # the standard errors the closed form may lie from a Monte-Carlo estimate: a false alarm 6e-5 of the time


def check_kl_by_sampling(impl, sample, draws=20000):
    """The KL your kl_standard_normal gives agrees with E_q[log q(z) - log p(z)] estimated from
    ``draws`` samples of z ~ q, within SIGMAS standard errors of the estimate, for every row."""
    __tracebackhide__ = True
    where = f"kl_standard_normal({sample.describe()})"
    answer = specs.call(impl, "kl_standard_normal", sample.names, [specs.tensor(a) for a in sample.args])
    mine = np.asarray(torch_checks.returned_tensor(answer["value"], "kl_standard_normal", where, sample.dtype),
                      dtype=np.float64)
    estimate, error = oracles.monte_carlo_kl(*sample.args, draws=draws)
    if mine.shape != estimate.shape:
        raise AssertionError(f"kl_standard_normal must return one KL per sample, shape {estimate.shape}, got shape "
                             f"{mine.shape}\n  call: {where}")
    off = np.abs(mine - estimate) > SIGMAS * error + 1e-6 * np.abs(estimate)
    if off.any():
        i = int(np.argmax(off))
        hint = diagnose.explain("kl_standard_normal", "out", mine, oracles.kl_standard_normal(sample).out, sample)
        raise AssertionError(
            f"kl_standard_normal disagrees with sampling: for sample {i} it gives {mine[i]:.6g}, while the average of "
            f"log q(z) - log p(z) over {draws} draws z ~ q = N(mu, exp(logvar)) is {estimate[i]:.6g} +- "
            f"{error[i]:.2g} (one standard error; allowed: {SIGMAS} of them){' (a KL is never negative)' if mine[i] < 0 else ''}"
            f"\n  call: {where}" + (f"\n  {hint}" if hint else ""))


# ------------------------------------------------------------------ the training step

REPEAT = 2  # calls of the step on the same objects: what one step leaves in .grad shows in the next


def step_context(sample) -> str:
    model, opt, x, eps = sample.args
    c = model["config"]
    return (f"vae_training_step(model=TinyVAE(data {tuple(c['shape'])} -> {c['hidden']} -> latent {c['latent']}), "
            f"{opt['name']}{opt['hyper']}, x {x['value'].shape}, eps {eps['value'].shape}, beta={sample.kwargs['beta']}, "
            f"likelihood={sample.kwargs['likelihood']!r}), {sample.dtype}, called {REPEAT} times in a row on "
            f"{model['device']}")


def check_step(impl, sample, oracle=oracles.training_step):
    """Your step and the oracle's from the same weights, data and noise, twice in a row: the
    returned losses (Python floats), the model's parameters and the optimizer's state agree."""
    __tracebackhide__ = True
    expected = oracle(sample, repeat=REPEAT)
    where = step_context(sample)
    answer = specs.call(impl, "vae_training_step", sample.names, list(sample.args), sample.kwargs, repeat=REPEAT)
    for result in answer["value"]:
        if not isinstance(result, float):
            shown = "a tensor" if isinstance(result, dict) and "tensor" in result else repr(result)[:80]
            raise AssertionError(f"vae_training_step must return the loss as a Python float (loss.item()), got "
                                 f"{shown}\n  call: {where}")
    torch_checks.compare_step("vae_step", sample, answer, expected, where, order=("model", "optimizer"))
    assert not answer["modified"], f"vae_training_step modified its input {answer['modified'][0]}\n  call: {where}"
