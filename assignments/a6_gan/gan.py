"""Assignment 6: generative adversarial nets (Goodfellow et al., 2014), in PyTorch.

Read handouts/a6_gan.md first. The discriminator D outputs a *logit* a; D(x) = sigmoid(a) is
the probability it gives to "x is real". Work with the logits: log(sigmoid(a)) computed as
torch.log(torch.sigmoid(a)) is -inf for a = -100 in float32 (sigmoid underflows to 0), and its
gradient is NaN. Two identities keep every loss finite:

    -log D       = -log sigmoid(a)      = softplus(-a)
    -log (1 - D) = -log sigmoid(-a)     = softplus(a)        softplus(a) = log(1 + e^a)

Run the visible tests with:  pytest assignments/a6_gan
"""

import numpy as np
import torch
import torch.nn.functional as F


def discriminator_loss(real_logits, fake_logits):
    """The discriminator's loss: minus the value function V(D, G), as a mean over each batch.

        L_D = mean(-log D(x)) + mean(-log(1 - D(G(z))))

    Args:
        real_logits: D's logits on real data, a tensor of any shape (N,) or (N, 1).
        fake_logits: D's logits on generated data, any shape.

    Returns:
        a scalar tensor, differentiable in both arguments, finite (with finite gradients) for
        logits of magnitude 100, in the logits' dtype.

    See handouts/a6_gan.md, section 1.
    """
    # YOUR CODE HERE
    raise NotImplementedError("discriminator_loss is not implemented yet")


def generator_loss(fake_logits, non_saturating=True):
    """The generator's loss on D's logits for generated data.

        non_saturating=True:   L_G = mean(-log D(G(z)))        (what the paper trains with)
        non_saturating=False:  L_G = mean(log(1 - D(G(z))))    (the minimax form, minimized)

    Args:
        fake_logits: D's logits on G's samples, a tensor of any shape.
        non_saturating: which form.

    Returns:
        a scalar tensor, finite with finite gradients for logits of magnitude 100.

    See handouts/a6_gan.md, section 3.
    """
    # YOUR CODE HERE
    raise NotImplementedError("generator_loss is not implemented yet")


def optimal_discriminator(p_data, p_g):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Proposition 1), elementwise; 0.5 where both are 0.

    Args:
        p_data, p_g: densities at the same points, numpy arrays or tensors of the same shape.

    Returns:
        D* of that shape, of the inputs' type (numpy in, numpy out; tensor in, tensor out) and dtype.

    See handouts/a6_gan.md, section 2.
    """
    # YOUR CODE HERE
    raise NotImplementedError("optimal_discriminator is not implemented yet")


def gan_training_step(G, D, opt_G, opt_D, sample_real, sample_noise, k=1, non_saturating=True):
    """One iteration of Algorithm 1 (Goodfellow et al., 2014): k steps of D, then one of G.

        repeat k times:
            x = sample_real();  z = sample_noise()
            one opt_D step on discriminator_loss(D(x), D(G(z))), G's output detached
        z = sample_noise()
        one opt_G step on generator_loss(D(G(z)), non_saturating)

    The samplers are called in exactly that order. Each player's step uses only the gradient
    of its own loss: clear its gradients before each backward (opt.zero_grad()), and keep D's
    loss from reaching G (detach G(z)).

    Args:
        G, D: torch.nn.Module; G maps noise to samples, D samples to logits.
        opt_G, opt_D: their optimizers (torch.optim), stepping G's and D's parameters.
        sample_real, sample_noise: callables without arguments, each returning a fresh batch.
        k: discriminator steps per generator step, k >= 1.
        non_saturating: the generator's loss form (generator_loss).

    Returns:
        {"d_loss": the last D loss, "g_loss": the G loss}, Python floats.

    Works on whatever device the modules live on.

    See handouts/a6_gan.md, section 4.
    """
    # YOUR CODE HERE
    raise NotImplementedError("gan_training_step is not implemented yet")
