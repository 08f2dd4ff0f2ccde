"""Visible tests for assignment 7. Run: pytest assignments/a7_vae

Each function's value and its gradient with respect to mu, logvar or x_out are compared with
PyTorch in float64 (torch.distributions' KL, binary cross-entropy with logits), the closed-form
KL also with a Monte-Carlo estimate; the training step with the oracle's step from the same
weights, data and noise (twice in a row, SGD and Adam, both likelihoods, beta). A failure
names the case and, when your result matches a classic mistake, the mistake.
"""

import pytest

from assignments.a7_vae import samples
from assignments.a7_vae.checks import check_function, check_kl_by_sampling, check_step


@pytest.mark.task("reparameterize")
@pytest.mark.parametrize("sample", samples.reparameterize_samples(), ids=str)
def test_reparameterize(impl, sample):
    check_function(impl, "reparameterize", sample)


@pytest.mark.task("kl_standard_normal")
@pytest.mark.parametrize("sample", samples.kl_standard_normal_samples(), ids=str)
def test_kl_standard_normal(impl, sample):
    check_function(impl, "kl_standard_normal", sample)


@pytest.mark.task("kl_standard_normal")
@pytest.mark.parametrize("sample", samples.kl_monte_carlo_samples(), ids=str)
def test_kl_agrees_with_a_monte_carlo_estimate(impl, sample):
    check_kl_by_sampling(impl, sample)


@pytest.mark.task("reconstruction_loss")
@pytest.mark.parametrize("sample", samples.reconstruction_loss_samples(), ids=str)
def test_reconstruction_loss(impl, sample):
    check_function(impl, "reconstruction_loss", sample)


@pytest.mark.task("negative_elbo")
@pytest.mark.parametrize("sample", samples.negative_elbo_samples(), ids=str)
def test_negative_elbo(impl, sample):
    check_function(impl, "negative_elbo", sample)


@pytest.mark.task("vae_training_step")
@pytest.mark.parametrize("sample", samples.vae_step_samples(), ids=str)
def test_vae_training_step(impl, sample):
    check_step(impl, sample)
