"""Hidden a6 cases: other shapes, scales and dtypes than the visible ones, zero logits, a
(N, 1, 1) batch, and training steps with other sizes, optimizers, k and activations."""

import numpy as np

from assignments.a6_gan.samples import (Sample, densities, discriminator_loss_sample, generator_loss_sample,
                                        step_sample)


def discriminator_loss_samples():
    return [discriminator_loss_sample("hidden-d", np.float64, (9,), (9,), scale=2.0),
            discriminator_loss_sample("hidden-d-zero", np.float32, (4,), (4,), scale=0.0),
            discriminator_loss_sample("hidden-d-3d", np.float64, (3, 1, 1), (5, 1, 1)),
            discriminator_loss_sample("hidden-d-huge", np.float64, (6,), (2,), scale=300.0),
            discriminator_loss_sample("hidden-d-huge", np.float32, (3, 1), (7, 1), scale=100.0)]


def generator_loss_samples():
    return [generator_loss_sample("hidden-g", np.float64, (7, 1), non_saturating=True, scale=4.0),
            generator_loss_sample("hidden-g", np.float64, (7, 1), non_saturating=False, scale=4.0),
            generator_loss_sample("hidden-g-huge", np.float64, (5,), non_saturating=True, scale=300.0),
            generator_loss_sample("hidden-g-huge", np.float32, (5,), non_saturating=False, scale=100.0)]


def optimal_discriminator_samples():
    return [Sample(name, ("p_data", "p_g"), densities(name, n, dtype, zeros))
            for name, n, dtype, zeros in (("hidden-dstar", 30, np.float64, 5), ("hidden-dstar", 7, np.float32, 0))]


def gan_step_samples():
    return [step_sample("hidden-step-adam", noise=3, data=2, hidden=6, batch=(4, 6),
                        optimizer=("Adam", {"lr": 0.02, "betas": (0.5, 0.999)})),
            step_sample("hidden-step-adam-k2-f32", "float32", optimizer=("Adam", {"lr": 0.01}), k=2, activation="tanh"),
            step_sample("hidden-step-sgd-minimax-k2", optimizer=("SGD", {"lr": 0.2}), k=2, non_saturating=False),
            step_sample("hidden-step-sgd-k4", batch=(3, 3), optimizer=("SGD", {"lr": 0.1, "momentum": 0.5}), k=4)]
