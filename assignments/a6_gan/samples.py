"""Inputs for the visible a6 tests: logits for the losses (small, large, unequal batches, float32
and float64), densities for the optimal discriminator, and training steps described as specs
(assignments/common/specs.py): tiny MLPs, SGD or Adam, seeded samplers, k and both loss forms."""

import numpy as np

from assignments.common import specs
from assignments.common.samples import ErrorCase, Sample, array, rng_for

LOSS_NAMES = {"discriminator_loss": ("real_logits", "fake_logits"), "generator_loss": ("fake_logits",)}


def logits(name, shape, dtype, scale=1.0):
    return (array(rng_for(name), shape, np.float64) * scale).astype(dtype)


def discriminator_loss_sample(name, dtype, real, fake, scale=1.0):
    """discriminator_loss(real_logits, fake_logits) on standard-normal logits times ``scale``
    (100: sigmoid saturates, log(sigmoid) is -inf without care)."""
    return Sample(name, LOSS_NAMES["discriminator_loss"],
                  (logits(name + "/real", real, dtype, scale), logits(name + "/fake", fake, dtype, scale)))


def generator_loss_sample(name, dtype, fake, non_saturating=True, scale=1.0):
    return Sample(name, LOSS_NAMES["generator_loss"], (logits(name, fake, dtype, scale),),
                  {"non_saturating": non_saturating})


def discriminator_loss_samples():
    return [discriminator_loss_sample("d-equal-batches", np.float64, (6,), (6,)),
            discriminator_loss_sample("d-column-logits", np.float32, (5, 1), (5, 1)),
            discriminator_loss_sample("d-unequal-batches", np.float64, (7,), (3,), scale=3.0),
            discriminator_loss_sample("d-logits-of-magnitude-100", np.float32, (8,), (8,), scale=100.0),
            discriminator_loss_sample("d-logits-of-magnitude-100", np.float64, (4, 1), (6, 1), scale=100.0)]


def generator_loss_samples():
    return [generator_loss_sample(f"g-{form}", dtype, shape, non_saturating=form == "non-saturating", scale=scale)
            for form in ("non-saturating", "minimax")
            for dtype, shape, scale in ((np.float64, (6,), 1.0), (np.float32, (5, 1), 3.0), (np.float32, (8,), 100.0))]


def densities(name, n, dtype, zeros=0):
    """Two Gaussian mixtures' densities at n points; the last ``zeros`` points are 0 under both."""
    x = np.linspace(-4, 4, n)
    rng = rng_for(name)
    bump = lambda m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    p_data = bump(rng.uniform(-1, 1), rng.uniform(0.5, 1.5))
    p_g = 0.5 * bump(rng.uniform(-2, 0), 0.7) + 0.5 * bump(rng.uniform(0, 2), 0.7)
    p_data[n - zeros:] = p_g[n - zeros:] = 0.0
    return p_data.astype(dtype), p_g.astype(dtype)


def optimal_discriminator_samples():
    return [Sample(name, ("p_data", "p_g"), densities(name, n, dtype, zeros))
            for name, n, dtype, zeros in (("dstar", 9, np.float64, 0), ("dstar-both-zero", 12, np.float64, 3),
                                          ("dstar-both-zero", 16, np.float32, 4))]


# ------------------------------------------------------------------ training steps as specs

STEP_NAMES = ("G", "D", "opt_G", "opt_D", "sample_real", "sample_noise")


def step_sample(name, dtype="float64", noise=2, data=3, hidden=8, batch=(5, 5), optimizer=("SGD", {"lr": 0.1}),
                k=1, non_saturating=True, activation="leaky_relu", device="cpu"):
    """gan_training_step on tiny MLPs G: noise -> data and D: data -> 1 logit, seeded by the name."""
    seed = int(rng_for(name).integers(2**31))
    torch_dtype = getattr(specs.torch, dtype)
    G = specs.module("mlp", {"sizes": [noise, hidden, data], "activation": activation}, seed, torch_dtype, device)
    D = specs.module("mlp", {"sizes": [data, hidden, 1], "activation": activation}, seed + 1, torch_dtype, device)
    opt_name, hyper = optimizer
    return Sample(name, STEP_NAMES, (
        G, D, specs.optimizer(opt_name, "G", hyper), specs.optimizer(opt_name, "D", hyper),
        specs.sampler("normal", (batch[0], data), seed + 2, dtype, device, mean=1.0, std=0.5),
        specs.sampler("uniform", (batch[1], noise), seed + 3, dtype, device, low=-1.0, high=1.0)),
        {"k": k, "non_saturating": non_saturating})


def gan_step_samples():
    return [step_sample("step-sgd"),
            step_sample("step-adam-k2", optimizer=("Adam", {"lr": 0.01, "betas": (0.5, 0.999)}), k=2),
            step_sample("step-minimax-momentum", "float32", optimizer=("SGD", {"lr": 0.05, "momentum": 0.9}),
                        non_saturating=False),
            step_sample("step-k3-unequal-batches", batch=(6, 4), k=3, activation="tanh")]


def invalid_calls() -> list[ErrorCase]:
    """None graded: the contract's ValueError rule covers the numpy assignments (its section 2);
    section 8 fixes no bad-argument behaviour for a6, so no check may demand one."""
    return []
