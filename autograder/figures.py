"""The handout figures, drawn by the kit's own code (the readable reference).

    python -m autograder figures    writes handouts/figures/*.png
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_sample_image  # noqa: E402

from solutions.a1_convolution import conv  # noqa: E402
from solutions.a2_normalization import norms  # noqa: E402
from solutions.a4_residual import residual  # noqa: E402
from solutions.a5_attention import attention  # noqa: E402


def _photo(size: int = 160) -> np.ndarray:
    """A grayscale crop of scikit-learn's sample photo, (1, 1, size, size) in [0, 1]."""
    image = load_sample_image("china.jpg").mean(axis=2) / 255.0  # (427, 640)
    crop = image[100:100 + 2 * size:2, 250:250 + 2 * size:2]  # (size, size)
    return crop[None, None]


def cross_correlation(path: Path) -> Path:
    """conv2d_forward with a Sobel kernel (cross-correlation) vs true convolution (kernel flipped)."""
    x = _photo()
    sobel = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])[None, None]  # (1, 1, 3, 3)
    corr, _ = conv.conv2d_forward(x, sobel)  # (1, 1, size - 2, size - 2)
    true_conv, _ = conv.conv2d_forward(x, sobel[:, :, ::-1, ::-1])
    fig, axes = plt.subplots(1, 3, figsize=(11, 4))
    panels = [(x, "input", "gray"), (corr, "conv2d_forward (cross-correlation):\ndark-to-bright edges positive", "RdBu_r"),
              (true_conv, "true convolution (kernel flipped):\nthe same edges, opposite sign", "RdBu_r")]
    for ax, (img, title, cmap) in zip(axes, panels):
        limit = np.percentile(np.abs(img), 99)
        ax.imshow(img[0, 0], cmap=cmap, vmin=-limit if cmap != "gray" else 0, vmax=limit)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle("Sobel kernel [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]: what deep-learning 'convolution' computes")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def receptive_field(x_shape, layers) -> np.ndarray:
    """Which input pixels reach the centre output pixel through a stack of 3x3 convolutions:
    backpropagate a one-hot gradient through conv2d_backward (all-ones kernels)."""
    x = np.zeros(x_shape)
    caches, out = [], x
    for kwargs in layers:
        out, cache = conv.conv2d_forward(out, np.ones((1, 1, 3, 3)), **kwargs)
        caches.append(cache)
    grad = np.zeros_like(out)
    grad[0, 0, out.shape[2] // 2, out.shape[3] // 2] = 1.0
    for cache in reversed(caches):
        grad, _, _ = conv.conv2d_backward(grad, cache)
    return grad[0, 0]


def receptive_fields(path: Path) -> Path:
    """Receptive fields of stacked 3x3 convolutions: depth, stride and dilation."""
    shape = (1, 1, 23, 23)
    stacks = {
        "one 3x3 conv": [dict(padding=1)],
        "two 3x3 convs": [dict(padding=1)] * 2,
        "three 3x3 convs": [dict(padding=1)] * 3,
        "3x3 stride 2, then 3x3": [dict(padding=1, stride=2), dict(padding=1)],
        "3x3 dilation 2": [dict(padding=2, dilation=2)],
        "3x3, then 3x3 dilation 2,\nthen 3x3 dilation 4": [dict(padding=1), dict(padding=2, dilation=2),
                                                            dict(padding=4, dilation=4)],
    }
    fig, axes = plt.subplots(2, 3, figsize=(10, 7))
    for ax, (title, layers) in zip(axes.flat, stacks.items()):
        field = receptive_field(shape, layers)
        rows, cols = np.nonzero(field)
        size = int(rows.max() - rows.min() + 1)  # the span, holes included
        ax.imshow(field, cmap="magma")
        ax.set_title(f"{title}\nreceptive field {size}x{size}", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("How many paths lead from each input pixel to one output pixel (computed with conv2d_backward)")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def shared_statistics(name: str, shape=(4, 6, 5)) -> np.ndarray:
    """Which values share their mean and variance with x[0, 0, 0]: nudge that one value and see
    which outputs of the reference move. A boolean (N, C, HW) mask."""
    N, C, _ = shape
    x = np.random.default_rng(0).standard_normal(shape)
    ones, zeros = np.ones(C), np.zeros(C)
    run = {
        "batch norm": lambda x: norms.batchnorm_forward(x, ones, zeros, np.zeros(C), np.ones(C))[0],
        "layer norm": lambda x: norms.layernorm_forward(x, np.ones(shape[1:]), np.zeros(shape[1:]))[0],
        "instance norm": lambda x: norms.instancenorm_forward(x, ones, zeros)[0],
        "group norm (2 groups)": lambda x: norms.groupnorm_forward(x, ones, zeros, 2)[0],
    }[name]
    nudged = x.copy()
    nudged[0, 0, 0] += 1.0
    moved = np.abs(run(nudged) - run(x)) > 1e-12
    moved[0, 0, 0] = True
    return moved


def normalization_axes(path: Path) -> Path:
    """The classic N / C / HW cubes (Wu and He, 2018), each shaded from the reference's behaviour."""
    names = ["batch norm", "layer norm", "instance norm", "group norm (2 groups)"]
    fig = plt.figure(figsize=(13, 3.8))
    for i, name in enumerate(names):
        mask = shared_statistics(name)  # (N, C, HW)
        ax = fig.add_subplot(1, 4, i + 1, projection="3d")
        filled = np.ones_like(mask)
        colors = np.where(mask[..., None], np.array([0.16, 0.44, 0.78, 0.9]), np.array([0.85, 0.85, 0.85, 0.25]))
        # axes: x = C, y = N, z = HW, as in the Group Normalization paper's figure
        ax.voxels(filled.transpose(1, 0, 2), facecolors=colors.transpose(1, 0, 2, 3), edgecolor=(0.3, 0.3, 0.3, 0.3))
        ax.set_xlabel("C")
        ax.set_ylabel("N")
        ax.set_zlabel("HW")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_zticks([])
        ax.set_title(name)
    fig.suptitle("Blue: the values that share one mean and variance (found by nudging one value "
                 "and watching which outputs of the reference move)")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def attention_saturation(dks=(1, 4, 16, 64, 256, 1024), trials=400, keys=16):
    """For each dk: the mean largest attention weight, and the mean size of the gradient that
    reaches the scores, dS = w * (g - sum_j g_j w_j) for a random upstream g, with and without the
    1/sqrt(dk) (the reference's attention on unit-variance random q and k)."""
    rng = np.random.default_rng(0)
    rows = {"scaled": ([], []), "unscaled": ([], [])}
    for dk in dks:
        q, k = rng.standard_normal((trials, 1, dk)), rng.standard_normal((trials, keys, dk))
        v = np.eye(keys)[None].repeat(trials, axis=0)  # out = the weights themselves
        g = rng.standard_normal((trials, 1, keys))  # an upstream gradient of the weights
        for name, q_used in (("scaled", q), ("unscaled", q * np.sqrt(dk))):  # times sqrt(dk) undoes the scale
            _, weights = attention.scaled_dot_product_attention(q_used, k, v)  # (trials, 1, keys)
            ds = weights * (g - (g * weights).sum(axis=-1, keepdims=True))  # the softmax's backward
            rows[name][0].append(weights.max(axis=-1).mean())
            rows[name][1].append(np.abs(ds).sum(axis=-1).mean())
    return rows


def attention_scaling(path: Path) -> Path:
    """Why divide by sqrt(dk): without it the softmax saturates and its gradient vanishes as dk grows."""
    dks = (1, 4, 16, 64, 256, 1024)
    rows = attention_saturation(dks)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, style in (("scaled", "o-"), ("unscaled", "s--")):
        label = "softmax(q k^T / sqrt(dk))" if name == "scaled" else "softmax(q k^T)"
        axes[0].plot(dks, rows[name][0], style, label=label)
        axes[1].plot(dks, rows[name][1], style, label=label)
    axes[0].set(xscale="log", xlabel="dk", ylabel="mean largest weight (16 keys)", title="the softmax saturates",
                ylim=(0, 1.05))
    axes[1].set(xscale="log", yscale="log", xlabel="dk", ylabel="mean |gradient reaching the scores|",
                title="and its gradient vanishes")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def positional_encoding(path: Path, length: int = 100, d_model: int = 128) -> Path:
    """The sinusoidal positional encoding as a heat map (the reference's)."""
    pe = attention.sinusoidal_positional_encoding(length, d_model)
    fig, ax = plt.subplots(figsize=(9, 3.8))
    image = ax.imshow(pe, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set(xlabel="feature (even: sin, odd: cos; the wavelength grows to the right)", ylabel="position t",
           title=f"sinusoidal_positional_encoding({length}, {d_model})")
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plain_block_forward(x, params, stride=1, shortcut="B", training=True):
    """The basic block without its shortcut, relu(F(x)): a plain net's two layers (the reference's branch)."""
    f, cache = residual.branch_forward(x, params, residual.BASIC, residual._stride_pair(stride), training)
    out = np.maximum(f, 0)
    return out, (out, cache)


def plain_block_backward(dout, cache):
    out, branch_cache = cache
    grads = {}
    return residual.branch_backward(dout * (out > 0), branch_cache, grads), grads


def training_curves(blocks_per_width=(1, 8), epochs=8, batch=128, seed=0):
    """Training loss, per step, of plain and residual TinyResNets (widths 16 and 32) on all 1797
    digits: {label: losses}. Depth = stem + 2 convolutions per block + head."""
    from rich.progress import Progress

    from assignments.common import training

    x, y = training.digits()
    runs = [(f"{kind}-{2 + 4 * n}", forward, backward, n) for n in blocks_per_width
            for kind, forward, backward in (("plain", plain_block_forward, plain_block_backward),
                                            ("ResNet", residual.basic_block_forward, residual.basic_block_backward))]
    steps = epochs * -(-len(x) // batch)
    curves = {}
    with Progress() as progress:
        bar = progress.add_task("training plain and residual nets", total=steps * len(runs))
        for label, forward, backward, n in runs:
            progress.update(bar, description=f"training {label}")
            rng = np.random.default_rng(seed)
            net = training.TinyResNet(forward, backward, widths=(16, 32), blocks_per_width=n, rng=rng)
            optimizer = training.SGD(net.params, lr=0.05, momentum=0.9, weight_decay=1e-4)
            curves[label] = []
            for _ in range(epochs):
                order = rng.permutation(len(x))
                for i in range(0, len(x), batch):
                    curves[label].append(net.train_step(x[order[i:i + batch]], y[order[i:i + batch]], optimizer))
                    progress.advance(bar)
    return curves


def degradation(path: Path, epochs: int = 8, blocks_per_width=(1, 8)) -> Path:
    """The degradation problem (He et al., 2016, figure 1 and 4), measured on the digits: the deeper
    plain net trains worse than the shallow one; with shortcuts, the deeper net trains better."""
    curves = training_curves(blocks_per_width, epochs=epochs)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    window = 7
    for label, losses in curves.items():
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")  # a moving average over steps
        style = "--" if label.startswith("plain") else "-"
        ax.plot(np.arange(len(smooth)) + window, smooth, style, lw=1.8 if "34" in label else 1.0, label=label)
    ax.set(yscale="log", xlabel="SGD step (batch 128; 14 steps per epoch)", ylabel="training loss",
           title="plain vs residual nets of the same depth on the 8x8 digits")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def gan_1d(path: Path, steps: int = 1000, seed: int = 0) -> Path:
    """Figure 1 of Goodfellow et al. (2014), measured: the data's density, G's density and D(x)
    at four points of training the 1-D GAN with the reference's step."""
    from rich.progress import Progress

    from assignments.common import gan_1d as experiment
    from solutions.a6_gan import gan

    points = (0, steps // 10, steps // 3, steps)
    with Progress() as progress:
        bar = progress.add_task("training the 1-D GAN of Figure 1", total=steps)
        result = experiment.train(gan.gan_training_step, seed=seed, steps=steps, snapshots=points,
                                  on_step=lambda i: progress.advance(bar))
    grid, mean, std = experiment.GRID, result["data_mean"], result["data_std"]
    data_density = np.exp(-0.5 * ((grid - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
    fig, axes = plt.subplots(1, len(points), figsize=(13, 3.2), sharey=True)
    for ax, step in zip(axes, points):
        shot = result["snapshots"][str(step)]
        ax.plot(grid, data_density, ":", color="black", label="data p_data")
        ax.plot(grid, shot["g_density"], color="tab:green", label="generator p_g")
        ax.plot(grid, shot["d_grid"], "--", color="tab:blue", label="D(x)")
        ax.axhline(0.5, color="gray", lw=0.5)
        ax.set(title=f"after {step} steps", xlabel="x", ylim=(0, 1.05))
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("a 1-D GAN (z uniform on [0, 1), data N(2, 1)): D is driven to 1/2 where p_g = p_data")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def generator_gradients(path: Path) -> Path:
    """Why the non-saturating loss: d loss / d logit of both generator losses against D(G(z)),
    computed by autograd through the reference's generator_loss."""
    import torch

    from solutions.a6_gan import gan

    logits = torch.linspace(-8, 8, 401, dtype=torch.float64, requires_grad=True)
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for non_saturating, label in ((False, "minimax  log(1 - D(G(z)))"), (True, "non-saturating  -log D(G(z))")):
        (grad,) = torch.autograd.grad(gan.generator_loss(logits, non_saturating) * len(logits), logits)
        ax.plot(torch.sigmoid(logits).detach(), grad.abs(), label=label)
    ax.set(xlabel="D(G(z)): how real D finds the fake", ylabel="|d loss / d logit|",
           title="early in training D(G(z)) is near 0: only the non-saturating loss has a gradient there")
    ax.title.set_fontsize(9)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def vae_digits(path: Path, epochs: int = 60) -> Path:
    """A VAE trained on the 8x8 digits with the reference's step: digits, their reconstructions,
    and decodings of z drawn from the prior, one grid; beside it the negative ELBO per epoch."""
    from rich.progress import Progress

    from assignments.common import vae_digits as experiment
    from solutions.a7_vae import vae

    with Progress() as progress:
        bar = progress.add_task("training a VAE on the 8x8 digits", total=epochs)
        run = experiment.train(vae.vae_training_step, epochs=epochs, on_epoch=lambda i: progress.advance(bar))
    rows = experiment.pictures(run["model"], run["data"])
    fig = plt.figure(figsize=(12, 3.6))
    grid = fig.add_gridspec(len(rows), 14)
    for r, (label, images) in enumerate(rows.items()):
        for c, image in enumerate(images):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label.replace("samples ", "samples\n"), fontsize=8, rotation=0, ha="right", va="center")
    ax = fig.add_subplot(grid[:, 11:])
    ax.plot(np.arange(1, epochs + 1), run["losses"])
    ax.set(xlabel="epoch (14 steps of 128 digits)", ylabel="-ELBO, nats per digit",
           title=f"training: {run['losses'][-1]:.1f} after {epochs} epochs")
    ax.title.set_fontsize(9)
    ax.grid(alpha=0.3)
    fig.suptitle("a VAE on scikit-learn's 8x8 digits (latent 8): data, reconstructions from mu, and decodings of "
                 "z ~ N(0, I)", fontsize=10)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def draw_all(out_dir: Path, epochs: int = 8, quick: bool = False) -> list[Path]:
    """Every handout figure; ``epochs``: of the training runs behind the degradation figure;
    ``quick``: every training run cut short (shallow nets, a few steps): the drawing code runs,
    the curves mean little (the project's tests)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [cross_correlation(out_dir / "a1_cross_correlation.png"),
            receptive_fields(out_dir / "a1_receptive_fields.png"),
            normalization_axes(out_dir / "a2_normalization_axes.png"),
            degradation(out_dir / "a4_degradation.png", 1 if quick else epochs, (1, 2) if quick else (1, 8)),
            attention_scaling(out_dir / "a5_attention_scaling.png"),
            positional_encoding(out_dir / "a5_positional_encoding.png"),
            gan_1d(out_dir / "a6_gan_1d.png", steps=100 if quick else 1000),
            generator_gradients(out_dir / "a6_generator_gradients.png"),
            vae_digits(out_dir / "a7_vae_digits.png", epochs=2 if quick else 60)]
