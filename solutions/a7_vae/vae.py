"""Assignment 7: the variational autoencoder (Kingma and Welling, 2014), in PyTorch.

Read handouts/a7_vae.md first. The encoder gives, for each x, a diagonal Gaussian
q(z | x) = N(mu, diag(exp(logvar))); the decoder maps a code z to the parameters of p(x | z)
(logits of Bernoulli pixels, or the means of unit-variance Gaussians). Training minimizes the
negative evidence lower bound, per sample

    -ELBO(x) = E_q[-log p(x | z)] + KL(q(z | x) || N(0, I))
             ~ reconstruction_loss(decode(z), x) + kl_standard_normal(mu, logvar),

with one z = mu + sigma * eps per sample. Every per-sample quantity is (N,): sum over the
latent dimensions and over every non-batch axis of x, never over the batch.

Run the visible tests with:  pytest assignments/a7_vae
"""

import torch
import torch.nn.functional as F


def reparameterize(mu, logvar, eps):
    """z = mu + sigma * eps with sigma = exp(logvar / 2): a sample of N(mu, diag(sigma^2)) that
    gradients flow through to mu and logvar (eps carries the randomness).

    Args:
        mu, logvar: the encoder's outputs, tensors (N, latent).
        eps: standard-normal noise of the same shape (the caller draws it).

    Returns:
        z, a tensor (N, latent), differentiable in mu and logvar.

    See handouts/a7_vae.md, section 2.
    """
    ### BEGIN SOLUTION
    sigma = torch.exp(0.5 * logvar)  # exp(logvar / 2) = sqrt(variance)
    return mu + sigma * eps  # (N, latent)
    ### END SOLUTION


def kl_standard_normal(mu, logvar):
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) per sample, summed over the latent dimensions:

        KL = -0.5 * sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j))          (>= 0)

    Args:
        mu, logvar: tensors (N, latent).

    Returns:
        a tensor (N,), differentiable in mu and logvar.

    See handouts/a7_vae.md, section 3.
    """
    ### BEGIN SOLUTION
    per_dim = 1 + logvar - mu ** 2 - torch.exp(logvar)  # (N, latent)
    return -0.5 * per_dim.sum(dim=1)  # (N,)
    ### END SOLUTION


def reconstruction_loss(x_out, x, likelihood="bernoulli"):
    """-log p(x | z) per sample, summed over every non-batch axis.

        "bernoulli": x_out are logits; sum of BCE with logits  x_out.clamp(min=0) - x_out * x + log(1 + e^-|x_out|)
        "gaussian":  x_out are means, unit variance, constant dropped: 0.5 * sum((x - x_out)^2)

    Args:
        x_out: the decoder's output, a tensor of x's shape (N, ...).
        x: the data, values in [0, 1] for "bernoulli".
        likelihood: "bernoulli" or "gaussian".

    Returns:
        a tensor (N,), finite (with finite gradients) for logits of magnitude 100.

    See handouts/a7_vae.md, section 4.
    """
    ### BEGIN SOLUTION
    if likelihood == "bernoulli":
        per_value = F.binary_cross_entropy_with_logits(x_out, x, reduction="none")  # never forms sigmoid
    elif likelihood == "gaussian":
        per_value = 0.5 * (x - x_out) ** 2
    else:
        raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
    return per_value.flatten(1).sum(dim=1)  # (N,): every non-batch axis summed
    ### END SOLUTION


def negative_elbo(x, x_out, mu, logvar, beta=1.0, likelihood="bernoulli"):
    """The loss to minimize: the batch mean of  reconstruction_loss + beta * kl_standard_normal.

    Args:
        x, x_out: the data and the decoder's output for it, (N, ...).
        mu, logvar: the encoder's outputs for x, (N, latent).
        beta: the KL's weight (beta-VAE; 1 is the ELBO).
        likelihood: "bernoulli" or "gaussian" (reconstruction_loss).

    Returns:
        a scalar tensor.

    See handouts/a7_vae.md, section 5.
    """
    ### BEGIN SOLUTION
    per_sample = reconstruction_loss(x_out, x, likelihood) + beta * kl_standard_normal(mu, logvar)  # (N,)
    return per_sample.mean()
    ### END SOLUTION


def vae_training_step(model, optimizer, x, eps, beta=1.0, likelihood="bernoulli"):
    """One optimizer step on the negative ELBO of the batch x:

        mu, logvar = model.encode(x);  z = reparameterize(mu, logvar, eps);  x_out = model.decode(z)
        loss = negative_elbo(x, x_out, mu, logvar, beta, likelihood);  one optimizer step on it

    Args:
        model: a torch.nn.Module with encode(x) -> (mu, logvar) and decode(z) -> x_out.
        optimizer: a torch.optim optimizer over the model's parameters.
        x: a batch of data (N, ...); eps: the noise for reparameterize, (N, latent).
        beta, likelihood: as in negative_elbo.

    Returns:
        the loss, a Python float.

    See handouts/a7_vae.md, section 6.
    """
    ### BEGIN SOLUTION
    mu, logvar = model.encode(x)  # (N, latent) each
    z = reparameterize(mu, logvar, eps)  # (N, latent)
    x_out = model.decode(z)  # (N, ...) like x
    loss = negative_elbo(x, x_out, mu, logvar, beta, likelihood)
    optimizer.zero_grad()  # clear what the previous step left in .grad
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION
