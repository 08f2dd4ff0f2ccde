"""Figure 1 of the GAN paper, run with your training step: noise z uniform on [0, 1), data a
1-D Gaussian, small MLPs for G and D. Trained well, G's samples take the data's mean and
spread, and D is driven to D(x) = 1/2 over the data: it can no longer tell them apart.

    from assignments.common import gan_1d
    result = gan_1d.train(gan.gan_training_step, seed=0)
    result["mean"], result["std"], result["d_on_data"]     # about 2.0, 1.0, 0.5

The a6 check (gan_1d_converges) and the figure (python -m autograder figures) both call
``train``; in the grader it runs inside the worker beside your code and sends back numbers.
"""

from __future__ import annotations

import numpy as np
import torch

from assignments.common import specs

DATA_MEAN, DATA_STD = 2.0, 1.0
GRID = np.linspace(-2.0, 6.0, 161)  # where the figure draws densities and D(x)


def networks(seed: int):
    """G: z (N, 1) -> x (N, 1); D: x (N, 1) -> logit (N, 1); Adam with beta1 = 0.5 as in DCGAN."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = specs.mlp([1, 16, 16, 1], "leaky_relu")
        D = specs.mlp([1, 32, 32, 1], "leaky_relu")
    opt_G = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
    return G, D, opt_G, opt_D


def snapshot(G, D, n: int = 20000, seed: int = 12345) -> dict:
    """G's sample statistics and density on GRID, D(x) on GRID and on average over the data."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        x_g = G(torch.rand(n, 1, generator=gen)).squeeze(1).numpy()  # (n,)
        x_data = DATA_MEAN + DATA_STD * torch.randn(n, 1, generator=gen)  # (n, 1)
        d_data = torch.sigmoid(D(x_data)).mean().item()
        d_grid = torch.sigmoid(D(torch.tensor(GRID, dtype=torch.float32)[:, None])).squeeze(1).numpy()
    width = GRID[1] - GRID[0]
    edges = np.concatenate([GRID - width / 2, [GRID[-1] + width / 2]])
    density, _ = np.histogram(x_g, bins=edges)
    return {"mean": float(x_g.mean()), "std": float(x_g.std()), "d_on_data": d_data,
            "d_grid": d_grid.astype(np.float64), "g_density": density / (n * width)}


@specs.experiment("gan_1d")
def train(step, seed: int = 0, steps: int = 1000, k: int = 1, batch: int = 128, snapshots=(), on_step=None) -> dict:
    """``steps`` calls of ``step`` (your gan_training_step) from seeded networks and samplers.

    Returns the final snapshot (mean, std, d_on_data, ...), the losses per step, and a snapshot
    after each step count listed in ``snapshots`` (0: before training).
    """
    G, D, opt_G, opt_D = networks(seed)
    gen = torch.Generator().manual_seed(seed + 1)

    def sample_real():  # (batch, 1) from N(DATA_MEAN, DATA_STD^2)
        return DATA_MEAN + DATA_STD * torch.randn(batch, 1, generator=gen)

    def sample_noise():  # (batch, 1) uniform on [0, 1), as in the paper's Figure 1
        return torch.rand(batch, 1, generator=gen)

    taken = {0: snapshot(G, D)} if 0 in snapshots else {}
    losses = np.zeros((steps, 2))
    with specs.one_thread():
        for i in range(steps):
            result = step(G, D, opt_G, opt_D, sample_real, sample_noise, k=k)
            losses[i] = result["d_loss"], result["g_loss"]
            if i + 1 in snapshots:
                taken[i + 1] = snapshot(G, D)
            if on_step is not None:
                on_step(i)
    return snapshot(G, D) | {"losses": losses, "snapshots": {str(s): v for s, v in taken.items()},
                             "data_mean": DATA_MEAN, "data_std": DATA_STD}
