"""Hidden tests for a6: other cases than the visible ones, against PyTorch (CPU and, with a GPU,
CUDA: the learner's code runs on torch.cuda, the oracle's step on the CPU) and against the
readable reference's step."""

import pytest

from assignments.a6_gan.checks import check_convergence, check_loss, check_optimal_discriminator, check_step
from assignments.common import specs, torch_checks
from autograder.hidden.a6_gan import samples


@pytest.mark.task("discriminator_loss")
@pytest.mark.parametrize("sample", samples.discriminator_loss_samples(), ids=str)
def test_discriminator_loss_hidden(impl, sample, device):
    check_loss(impl, "discriminator_loss", sample, device=device)


@pytest.mark.task("generator_loss")
@pytest.mark.parametrize("sample", samples.generator_loss_samples(), ids=str)
def test_generator_loss_hidden(impl, sample, device):
    check_loss(impl, "generator_loss", sample, device=device)


@pytest.mark.task("optimal_discriminator")
@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy", "tensor"])
@pytest.mark.parametrize("sample", samples.optimal_discriminator_samples(), ids=str)
def test_optimal_discriminator_hidden(impl, sample, as_tensor):
    check_optimal_discriminator(impl, sample, as_tensor)


@pytest.mark.task("gan_training_step")
@pytest.mark.parametrize("sample", samples.gan_step_samples(), ids=str)
def test_gan_training_step_hidden(impl, sample, device):
    check_step(impl, specs.on_device(sample, device))


@pytest.mark.task("gan_training_step")
@pytest.mark.parametrize("sample", samples.gan_step_samples()[:2], ids=str)
def test_gan_training_step_matches_the_reference(impl, sample, reference):
    check_step(impl, sample, torch_checks.reference_step(reference.gan_training_step))


@pytest.mark.task("gan_1d_converges")
def test_the_1d_gan_converges_on_another_seed(impl):
    check_convergence(impl, seed=1)
