"""A small VAE trained with your vae_training_step on scikit-learn's 8x8 digits: the handout's
figure, and a way to see your step learn.

    from assignments.common import vae_digits
    run = vae_digits.train(vae.vae_training_step, epochs=150)
    run["losses"][-1], run["model"]        # about 24 nats per digit; the trained model

Pixels are the digits' intensities scaled to [0, 1] and read as Bernoulli probabilities
(binary cross-entropy with logits on gray values, as usual for MNIST); the model is
specs.TinyVAE, 64 -> 128 -> latent 8 and back, trained with Adam.
"""

from __future__ import annotations

import numpy as np
import torch

from assignments.common import specs, training

SHAPE, HIDDEN, LATENT = (1, 8, 8), 128, 8


def digits() -> torch.Tensor:
    """The 1797 digits, (N, 1, 8, 8) float32 in [0, 1] (the 0..16 intensities / 16)."""
    images, _ = training.raw_digits()
    return torch.tensor(images[:, None] / 16.0, dtype=torch.float32)


def train(step, epochs: int = 150, batch: int = 128, lr: float = 2e-3, seed: int = 0, beta: float = 1.0,
          on_epoch=None) -> dict:
    """``epochs`` passes of ``step`` (your vae_training_step) over the shuffled digits.

    Returns the model, the data, and the mean loss per epoch (the negative ELBO in nats per digit).
    """
    x = digits()
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = specs.TinyVAE(int(np.prod(SHAPE)), HIDDEN, LATENT, shape=SHAPE)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    with specs.one_thread():
        for epoch in range(epochs):
            order, total = torch.randperm(len(x), generator=gen), 0.0
            for i in range(0, len(x), batch):
                xb = x[order[i:i + batch]]  # (B, 1, 8, 8)
                eps = torch.randn(len(xb), LATENT, generator=gen)  # (B, latent)
                total += step(model, optimizer, xb, eps, beta=beta) * len(xb)
            losses.append(total / len(x))
            if on_epoch is not None:
                on_epoch(epoch)
    return {"model": model, "data": x, "losses": np.array(losses)}


def pictures(model, x, n: int = 10, seed: int = 1) -> dict:
    """(n, 8, 8) images: ``n`` digits, their reconstructions (decoded means of q(z | x)), and
    decodings of z ~ N(0, I) from the prior; pixel values sigmoid(logits)."""
    gen = torch.Generator().manual_seed(seed)
    picked = x[torch.randperm(len(x), generator=gen)[:n]]  # (n, 1, 8, 8)
    with torch.no_grad():
        mu, _ = model.encode(picked)
        recon = torch.sigmoid(model.decode(mu))
        prior = torch.sigmoid(model.decode(torch.randn(n, LATENT, generator=gen)))
    return {name: t.reshape(n, 8, 8).numpy() for name, t in
            (("digits", picked), ("reconstructions", recon), ("samples from the prior", prior))}
