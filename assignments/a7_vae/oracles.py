"""PyTorch oracles of assignment 7, in float64 (``device="cuda"``: on the GPU, TF32 off).

Written with torch.distributions rather than the formulas the learner writes: the KL is
``kl_divergence(Normal(mu, sigma), Normal(0, 1))``, the Gaussian reconstruction term
``-Normal(x_out, 1).log_prob(x)`` less its constant, the Bernoulli one PyTorch's binary
cross-entropy with logits; gradients by autograd. ``monte_carlo_kl`` estimates the KL by
sampling, with its standard error. The training step runs on the very objects the learner's step
gets (the same specs), its gradient by torch.autograd.grad; ``mistake=`` computes what a
classic mistake would (assignments/a7_vae/misconceptions.py).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from assignments.common import specs
from assignments.common.oracles import run

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def kl(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, 1)) summed over the latent dims, (N,)."""
    return kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1)


NEGATIVE_LOG_LIKELIHOOD = {  # per value: Bernoulli with logits x_out; unit Gaussian with means x_out, constant dropped
    "bernoulli": lambda x_out, x: F.binary_cross_entropy_with_logits(x_out, x, reduction="none"),
    "gaussian": lambda x_out, x: -Normal(x_out, torch.ones_like(x_out)).log_prob(x) - HALF_LOG_2PI,
}


def reconstruction(x_out, x, likelihood="bernoulli"):
    """-log p(x | z) per sample, summed over every non-batch axis, (N,)."""
    return NEGATIVE_LOG_LIKELIHOOD[likelihood](x_out, x).flatten(1).sum(1)


def reparameterize(sample, dout=None, device="cpu"):
    """.out = mu + sqrt(exp(logvar)) * eps; with dout, .dmu, .dlogvar (and .deps)."""
    return run(lambda mu, logvar, eps: mu + torch.sqrt(torch.exp(logvar)) * eps,
               dict(zip(sample.names, sample.args)), dout, device)


def kl_standard_normal(sample, dout=None, device="cpu"):
    return run(kl, dict(zip(sample.names, sample.args)), dout, device)


def reconstruction_loss(sample, dout=None, device="cpu"):
    likelihood = sample.kwargs.get("likelihood", "bernoulli")
    return run(lambda x_out, x: reconstruction(x_out, x, likelihood), dict(zip(sample.names, sample.args)), dout,
               device)


def negative_elbo(sample, dout=None, device="cpu"):
    beta, likelihood = sample.kwargs.get("beta", 1.0), sample.kwargs.get("likelihood", "bernoulli")
    return run(lambda x, x_out, mu, logvar: (reconstruction(x_out, x, likelihood) + beta * kl(mu, logvar)).mean(),
               dict(zip(sample.names, sample.args)), dout, device)


def monte_carlo_kl(mu, logvar, draws=20000, seed=0):
    """E_q[log q(z) - log p(z)] estimated from ``draws`` samples z ~ q per row: (estimate, standard
    error), each (N,), in float64."""
    mu, logvar = (torch.tensor(np.asarray(a, dtype=np.float64)) for a in (mu, logvar))
    q, p = Normal(mu, torch.exp(0.5 * logvar)), Normal(torch.zeros_like(mu), torch.ones_like(mu))
    eps = torch.randn((draws, *mu.shape), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * eps  # (draws, N, latent) from q
    log_ratio = (q.log_prob(z) - p.log_prob(z)).sum(-1)  # (draws, N)
    return log_ratio.mean(0).numpy(), (log_ratio.std(0) / math.sqrt(draws)).numpy()


# ------------------------------------------------------------------ the training step


def step(model, optimizer, x, eps, beta=1.0, likelihood="bernoulli", mistake=None, buffers=None):
    """One step on the negative ELBO, the gradient by torch.autograd.grad; ``buffers`` holds what
    a mistake leaves in .grad from one call to the next."""
    params = list(model.parameters())
    mu, logvar = model.encode(x)
    sigma = torch.exp(logvar if mistake == "vae_step_std_is_exp_logvar" else 0.5 * logvar)
    z = mu if mistake == "vae_step_eps_ignored" else mu + sigma * eps
    x_out = model.decode(z)
    rec = reconstruction(x_out, x, "bernoulli" if mistake == "vae_step_likelihood_ignored" else likelihood)
    weight = {"vae_step_beta_ignored": 1.0, "vae_step_kl_sign_flipped": -beta}.get(mistake, beta)
    per_sample = rec + weight * kl(mu, logvar)  # (N,)
    loss = per_sample.sum() if mistake == "vae_step_summed_over_batch" else per_sample.mean()
    grads = torch.autograd.grad(loss, params)
    if mistake == "vae_step_zero_grad_missing":  # .grad never cleared: each step adds to the last
        grads = buffers["grads"] = [g + b for g, b in zip(grads, buffers["grads"])] if "grads" in buffers else grads
    for p, g in zip(params, grads):
        p.grad = g.detach()
    optimizer.step()
    return loss.item()


def training_step(sample, repeat=2, mistake=None):
    """``repeat`` calls of the step on the sample's specs, on the CPU: the answer as data."""
    sample = specs.on_device(sample, "cpu")
    one_step = functools.partial(step, mistake=mistake, buffers={})
    return specs.run_call(one_step, sample.names, list(sample.args), dict(sample.kwargs), repeat=repeat)
