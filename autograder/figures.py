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


def draw_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return [cross_correlation(out_dir / "a1_cross_correlation.png"),
            receptive_fields(out_dir / "a1_receptive_fields.png")]
