"""Hidden tests for a7: other cases than the visible ones, against PyTorch (CPU and, with a GPU,
CUDA: the learner's code runs on torch.cuda, the oracle on the CPU) and against the readable
reference's step."""

import pytest

from assignments.a7_vae.checks import check_function, check_kl_by_sampling, check_step
from assignments.common import specs, torch_checks
from autograder.hidden.a7_vae import samples


@pytest.mark.task("reparameterize")
@pytest.mark.parametrize("sample", samples.reparameterize_samples(), ids=str)
def test_reparameterize_hidden(impl, sample, device):
    check_function(impl, "reparameterize", sample, device)


@pytest.mark.task("kl_standard_normal")
@pytest.mark.parametrize("sample", samples.kl_standard_normal_samples(), ids=str)
def test_kl_standard_normal_hidden(impl, sample, device):
    check_function(impl, "kl_standard_normal", sample, device)


@pytest.mark.task("kl_standard_normal")
@pytest.mark.parametrize("sample", samples.kl_monte_carlo_samples(), ids=str)
def test_kl_agrees_with_sampling_hidden(impl, sample):
    check_kl_by_sampling(impl, sample)


@pytest.mark.task("reconstruction_loss")
@pytest.mark.parametrize("sample", samples.reconstruction_loss_samples(), ids=str)
def test_reconstruction_loss_hidden(impl, sample, device):
    check_function(impl, "reconstruction_loss", sample, device)


@pytest.mark.task("negative_elbo")
@pytest.mark.parametrize("sample", samples.negative_elbo_samples(), ids=str)
def test_negative_elbo_hidden(impl, sample, device):
    check_function(impl, "negative_elbo", sample, device)


@pytest.mark.task("vae_training_step")
@pytest.mark.parametrize("sample", samples.vae_step_samples(), ids=str)
def test_vae_training_step_hidden(impl, sample, device):
    check_step(impl, specs.on_device(sample, device))


@pytest.mark.task("vae_training_step")
@pytest.mark.parametrize("sample", samples.vae_step_samples()[:2], ids=str)
def test_vae_training_step_matches_the_reference(impl, sample, reference):
    check_step(impl, sample, torch_checks.reference_step(reference.vae_training_step))
