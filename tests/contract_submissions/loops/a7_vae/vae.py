"""a7_vae: reparameterization, KL, reconstruction loss and the negative ELBO.

Style "plain": written with elementwise torch ops.  The Bernoulli log-likelihood with
logits l and targets x uses the stable form

    BCE(l, x) = -[x log sigmoid(l) + (1 - x) log(1 - sigmoid(l))]
              = softplus(l) - x * l
              = log1p(exp(-|l|)) + (l + |l|) / 2 - x * l,

which only exponentiates non-positive numbers.
"""
import math
import numbers

import torch

_LIKELIHOODS = ("bernoulli", "gaussian")


# --------------------------------------------------------------------------- helpers
def _as_float_tensor(x, name):
    if not torch.is_tensor(x):
        try:
            x = torch.as_tensor(x)
        except Exception as exc:  # pragma: no cover - defensive
            raise ValueError(f"{name} must be a tensor") from exc
    if not torch.is_floating_point(x):
        x = x.to(torch.get_default_dtype())
    return x


def _check_likelihood(likelihood):
    if not isinstance(likelihood, str) or likelihood not in _LIKELIHOODS:
        raise ValueError(
            f"likelihood must be one of {_LIKELIHOODS}, got {likelihood!r}")
    return likelihood


def _check_beta(beta):
    if torch.is_tensor(beta):
        if beta.numel() != 1:
            raise ValueError("beta must be a scalar")
        value = float(beta.detach().item())
    elif isinstance(beta, numbers.Real) and not isinstance(beta, bool):
        value = float(beta)
    else:
        raise ValueError(f"beta must be a real number, got {beta!r}")
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise ValueError(f"beta must be a finite non-negative number, got {beta!r}")
    return beta


def _sum_non_batch(t):
    """Sum over every axis except the first, giving shape (N,)."""
    if t.dim() == 0:
        raise ValueError("inputs must have a batch axis")
    out = t
    for dim in range(t.dim() - 1, 0, -1):
        out = out.sum(dim=dim)
    return out


def _softplus(t):
    a = torch.abs(t)
    return torch.log1p(torch.exp(-a)) + 0.5 * (t + a)


# --------------------------------------------------------------------------- API
def reparameterize(mu, logvar, eps):
    """z = mu + exp(0.5 * logvar) * eps (differentiable in mu and logvar)."""
    mu = _as_float_tensor(mu, "mu")
    logvar = _as_float_tensor(logvar, "logvar")
    eps = _as_float_tensor(eps, "eps")
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape, got {tuple(mu.shape)} "
            f"and {tuple(logvar.shape)}")
    if eps.shape != mu.shape:
        raise ValueError(
            f"eps must have the shape of mu, got {tuple(eps.shape)} and {tuple(mu.shape)}")
    std = torch.exp(0.5 * logvar)
    return mu + std * eps


def kl_standard_normal(mu, logvar):
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) per sample, shape (N,)."""
    mu = _as_float_tensor(mu, "mu")
    logvar = _as_float_tensor(logvar, "logvar")
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape, got {tuple(mu.shape)} "
            f"and {tuple(logvar.shape)}")
    terms = 1.0 + logvar - mu * mu - torch.exp(logvar)
    return -0.5 * _sum_non_batch(terms)


def reconstruction_loss(x_out, x, likelihood="bernoulli"):
    """Per-sample negative log-likelihood, summed over non-batch axes: shape (N,)."""
    likelihood = _check_likelihood(likelihood)
    x_out = _as_float_tensor(x_out, "x_out")
    x = _as_float_tensor(x, "x")
    if x_out.shape != x.shape:
        raise ValueError(
            f"x_out and x must have the same shape, got {tuple(x_out.shape)} "
            f"and {tuple(x.shape)}")
    dtype = torch.promote_types(x_out.dtype, x.dtype)
    x_out = x_out.to(dtype)
    x = x.to(dtype)
    if likelihood == "bernoulli":
        per_elem = _softplus(x_out) - x * x_out
    else:  # gaussian, unit variance, constant dropped
        diff = x - x_out
        per_elem = 0.5 * diff * diff
    return _sum_non_batch(per_elem)


def negative_elbo(x, x_out, mu, logvar, beta=1.0, likelihood="bernoulli"):
    """Scalar batch mean of reconstruction_loss + beta * kl_standard_normal."""
    likelihood = _check_likelihood(likelihood)
    beta = _check_beta(beta)
    rec = reconstruction_loss(x_out, x, likelihood)
    kl = kl_standard_normal(mu, logvar)
    if rec.shape[0] != kl.shape[0]:
        raise ValueError(
            f"x and mu must have the same batch size, got {rec.shape[0]} and {kl.shape[0]}")
    total = rec + beta * kl
    return total.sum() / total.shape[0]


def vae_training_step(model, optimizer, x, eps, beta=1.0, likelihood="bernoulli"):
    """One optimizer step on the negative ELBO; returns the loss as a Python float."""
    likelihood = _check_likelihood(likelihood)
    _check_beta(beta)
    optimizer.zero_grad()
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, eps)
    x_out = model.decode(z)
    loss = negative_elbo(x, x_out, mu, logvar, beta=beta, likelihood=likelihood)
    loss.backward()
    optimizer.step()
    return float(loss.detach().item())
