"""Hidden a7 cases: other shapes, scales and dtypes than the visible ones, a prior-matching
encoder (mu = 0, logvar = 0: KL 0), logits of 300, a 3-D data point, and training steps with
other sizes, optimizers, beta and likelihoods."""

import numpy as np

from assignments.a7_vae.samples import (NAMES, Sample, elbo_sample, kl_sample, reconstruction_sample,
                                        reparameterize_sample, step_sample)


def reparameterize_samples():
    return [reparameterize_sample("hidden-reparam", np.float64, 7, 4, logvar_scale=2.0),
            reparameterize_sample("hidden-reparam", np.float32, 2, 5)]


def kl_standard_normal_samples():
    zeros = np.zeros((3, 4))
    return [kl_sample("hidden-kl", np.float64, 9, 5, logvar_scale=2.0),
            kl_sample("hidden-kl", np.float32, 4, 3),
            Sample("hidden-kl-prior", NAMES["kl_standard_normal"], (zeros, zeros.copy()))]


def kl_monte_carlo_samples():
    return [kl_sample("hidden-kl-mc", np.float64, 4, 3)]


def reconstruction_loss_samples():
    return [reconstruction_sample("hidden-rec", np.float64, (3, 2, 2, 2), binary=True),
            reconstruction_sample("hidden-rec-logits-of-magnitude-300", np.float64, (4, 5), scale=300.0),
            reconstruction_sample("hidden-rec-gaussian", np.float64, (5, 3, 4), "gaussian", scale=3.0),
            reconstruction_sample("hidden-rec-one-value", np.float32, (6, 1), binary=True)]


def negative_elbo_samples():
    return [elbo_sample("hidden-elbo", np.float64, (2, 8), 4, beta=0.25),
            elbo_sample("hidden-elbo-gaussian", np.float64, (6, 3), 2, likelihood="gaussian"),
            elbo_sample("hidden-elbo", np.float32, (3, 1, 4, 4), 3, beta=2.0, scale=100.0)]


def vae_step_samples():
    return [step_sample("hidden-vae-step-adam", shape=(1, 4, 4), hidden=7, latent=3, batch=5,
                        optimizer=("Adam", {"lr": 0.01, "betas": (0.5, 0.999)})),
            step_sample("hidden-vae-step-gaussian-f32", "float32", shape=(5,), likelihood="gaussian", beta=2.0,
                        optimizer=("Adam", {"lr": 0.02})),
            step_sample("hidden-vae-step-sgd-beta", shape=(2, 3), batch=3, beta=0.1, optimizer=("SGD", {"lr": 0.2})),
            step_sample("hidden-vae-step-one-sample", batch=1, optimizer=("SGD", {"lr": 0.1, "momentum": 0.5}))]
