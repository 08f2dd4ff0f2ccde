"""Visible tests for assignment 6. Run: pytest assignments/a6_gan

The losses and their gradients are compared with PyTorch's binary cross-entropy (in float64),
on small and on very large logits; the training step with Algorithm 1 run from the same
weights and the same samples (twice in a row, SGD and Adam, k = 1, 2, 3, both generator
losses); the 1-D GAN of the paper's Figure 1 is trained with your step. A failure names the
case and, when your result matches a classic mistake, the mistake.
"""

import pytest

from assignments.a6_gan import samples
from assignments.a6_gan.checks import check_convergence, check_loss, check_optimal_discriminator, check_step


@pytest.mark.task("discriminator_loss")
@pytest.mark.parametrize("sample", samples.discriminator_loss_samples(), ids=str)
def test_discriminator_loss(impl, sample):
    check_loss(impl, "discriminator_loss", sample)


@pytest.mark.task("generator_loss")
@pytest.mark.parametrize("sample", samples.generator_loss_samples(), ids=str)
def test_generator_loss(impl, sample):
    check_loss(impl, "generator_loss", sample)


@pytest.mark.task("optimal_discriminator")
@pytest.mark.parametrize("as_tensor", [False, True], ids=["numpy", "tensor"])
@pytest.mark.parametrize("sample", samples.optimal_discriminator_samples(), ids=str)
def test_optimal_discriminator(impl, sample, as_tensor):
    check_optimal_discriminator(impl, sample, as_tensor)


@pytest.mark.task("gan_training_step")
@pytest.mark.parametrize("sample", samples.gan_step_samples(), ids=str)
def test_gan_training_step(impl, sample):
    check_step(impl, sample)


@pytest.mark.task("gan_1d_converges")
def test_the_1d_gan_of_figure_1_converges(impl):
    check_convergence(impl, seed=0)
