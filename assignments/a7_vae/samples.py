"""Inputs for the visible a7 tests: encoder outputs (mu, logvar) and noise for reparameterize and
the KL, decoder outputs and data for the reconstruction term (flat and image-shaped, both
likelihoods, logits of magnitude 100), whole negative ELBOs, and training steps described as
specs (assignments/common/specs.py): a tiny VAE, SGD or Adam, a batch and its noise."""

import math

import numpy as np

from assignments.common import specs
from assignments.common.samples import ErrorCase, Sample, array, rng_for

NAMES = {"reparameterize": ("mu", "logvar", "eps"), "kl_standard_normal": ("mu", "logvar"),
         "reconstruction_loss": ("x_out", "x"), "negative_elbo": ("x", "x_out", "mu", "logvar")}


def encoder_outputs(name, n, latent, dtype, logvar_scale=1.0):
    """mu ~ N(0, 1) and logvar ~ N(0, logvar_scale^2), (n, latent) each."""
    rng = rng_for(name)
    return array(rng, (n, latent), dtype), (array(rng, (n, latent), np.float64) * logvar_scale).astype(dtype)


def data(name, shape, dtype, likelihood, binary=False):
    """x for a likelihood: values in [0, 1] (0 or 1 with ``binary``) for "bernoulli", N(0, 1) for "gaussian"."""
    rng = rng_for(name + "/x")
    if likelihood == "gaussian":
        return array(rng, shape, dtype)
    x = array(rng, shape, dtype, low=0.0, high=1.0)
    return np.round(x) if binary else x


def decoder_outputs(name, shape, dtype, scale=1.0):
    """Logits (or means) N(0, scale^2) of x's shape; scale 100: sigmoid rounds to 0 or 1."""
    return (array(rng_for(name + "/out"), shape, np.float64) * scale).astype(dtype)


def reparameterize_sample(name, dtype, n, latent, logvar_scale=1.0):
    mu, logvar = encoder_outputs(name, n, latent, dtype, logvar_scale)
    return Sample(name, NAMES["reparameterize"], (mu, logvar, array(rng_for(name + "/eps"), (n, latent), dtype)))


def kl_sample(name, dtype, n, latent, logvar_scale=1.0):
    return Sample(name, NAMES["kl_standard_normal"], encoder_outputs(name, n, latent, dtype, logvar_scale))


def reconstruction_sample(name, dtype, shape, likelihood="bernoulli", scale=1.0, binary=False, default=False):
    """``default``: the call leaves likelihood out (its default is "bernoulli")."""
    args = (decoder_outputs(name, shape, dtype, scale), data(name, shape, dtype, likelihood, binary))
    return Sample(name, NAMES["reconstruction_loss"], args, {} if default else {"likelihood": likelihood})


def elbo_sample(name, dtype, shape, latent, beta=1.0, likelihood="bernoulli", scale=1.0, default=False):
    mu, logvar = encoder_outputs(name, shape[0], latent, dtype)
    args = (data(name, shape, dtype, likelihood), decoder_outputs(name, shape, dtype, scale), mu, logvar)
    return Sample(name, NAMES["negative_elbo"], args, {} if default else {"beta": beta, "likelihood": likelihood})


def reparameterize_samples():
    return [reparameterize_sample("reparam", np.float64, 4, 3),
            reparameterize_sample("reparam", np.float32, 5, 2),
            reparameterize_sample("reparam-wide-logvar", np.float64, 3, 6, logvar_scale=4.0),
            reparameterize_sample("reparam-one-latent", np.float32, 6, 1)]


def kl_standard_normal_samples():
    return [kl_sample("kl", np.float64, 4, 3),
            kl_sample("kl", np.float32, 5, 2),
            kl_sample("kl-wide-logvar", np.float64, 3, 8, logvar_scale=3.0),
            kl_sample("kl-one-latent", np.float32, 6, 1)]


def kl_monte_carlo_samples():
    """Where the closed form is checked against sampling (moderate spreads: a small standard error)."""
    return [kl_sample("kl-mc", np.float64, 3, 4), kl_sample("kl-mc", np.float32, 2, 2, logvar_scale=0.5)]


def reconstruction_loss_samples():
    return [reconstruction_sample("rec-bernoulli", np.float64, (4, 6)),
            reconstruction_sample("rec-bernoulli-image", np.float32, (3, 1, 4, 4), binary=True),
            reconstruction_sample("rec-bernoulli-logits-of-magnitude-100", np.float32, (5, 6), scale=100.0,
                                  binary=True),
            reconstruction_sample("rec-bernoulli-default", np.float64, (2, 2, 3), default=True),
            reconstruction_sample("rec-gaussian", np.float64, (4, 6), "gaussian"),
            reconstruction_sample("rec-gaussian-image", np.float32, (2, 3, 2, 2), "gaussian")]


def negative_elbo_samples():
    return [elbo_sample("elbo", np.float64, (4, 6), 3),
            elbo_sample("elbo-gaussian-beta", np.float32, (3, 1, 2, 2), 2, beta=0.3, likelihood="gaussian"),
            elbo_sample("elbo-beta-4", np.float64, (5, 1, 3, 3), 4, beta=4.0),
            elbo_sample("elbo-defaults-logits-of-magnitude-100", np.float32, (4, 5), 2, scale=100.0, default=True)]


# ------------------------------------------------------------------ training steps as specs

STEP_NAMES = ("model", "optimizer", "x", "eps")


def step_sample(name, dtype="float64", shape=(6,), hidden=5, latent=2, batch=4, optimizer=("SGD", {"lr": 0.1}),
                beta=1.0, likelihood="bernoulli", device="cpu"):
    """vae_training_step on a tiny VAE (specs.TinyVAE: data of ``shape`` -> hidden -> latent and
    back), a batch x and its noise eps, seeded by the name."""
    seed = int(rng_for(name).integers(2**31))
    config = {"data_dim": math.prod(shape), "hidden": hidden, "latent": latent, "shape": list(shape)}
    model = specs.module("tiny_vae", config, seed, getattr(specs.torch, dtype), device)
    x = data(name, (batch, *shape), dtype, likelihood)
    eps = array(rng_for(name + "/eps"), (batch, latent), dtype)
    opt_name, hyper = optimizer
    return Sample(name, STEP_NAMES, (model, specs.optimizer(opt_name, "model", hyper), specs.tensor(x, device=device),
                                     specs.tensor(eps, device=device)), {"beta": beta, "likelihood": likelihood})


def vae_step_samples():
    return [step_sample("vae-step-sgd"),
            step_sample("vae-step-adam-image", "float32", shape=(1, 3, 3), optimizer=("Adam", {"lr": 0.01})),
            step_sample("vae-step-gaussian-momentum", likelihood="gaussian", beta=0.3,
                        optimizer=("SGD", {"lr": 0.05, "momentum": 0.9})),
            step_sample("vae-step-beta-4-adam", latent=3, batch=6, beta=4.0, optimizer=("Adam", {"lr": 0.02}))]


def invalid_calls() -> list[ErrorCase]:
    """None graded: section 9 of the contract fixes no bad-argument behaviour for a7 (its
    ValueError rule, section 2, covers the numpy assignments), so no check may demand one."""
    return []
