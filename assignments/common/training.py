"""What it takes to train a tiny ResNet of your own blocks (assignment 4), given: data, Kaiming
initialization, a network around your blocks (stem, global average pooling, linear head),
softmax cross-entropy and SGD with momentum. Everything is numpy over the kit's layers
(assignments/common/layers.py), fast enough to train on the 8x8 digits in seconds.

    from assignments.common import training
    x, y = training.digits()                               # (1797, 1, 8, 8), (1797,)
    net = training.TinyResNet(residual.basic_block_forward, residual.basic_block_backward,
                              widths=(8, 16), rng=np.random.default_rng(0))
    opt = training.SGD(net.params, lr=0.1, momentum=0.9)
    loss = net.train_step(x[:64], y[:64], opt)

The recipe (He et al., 2016, section 3.4): Kaiming-normal convolutions, batch norm after every
convolution (weight 1, bias 0), SGD with momentum 0.9, no dropout.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from assignments.common import layers

BN = ("weight", "bias", "running_mean", "running_var")


# ------------------------------------------------------------------ data and initialization


@functools.lru_cache(maxsize=1)
def raw_digits():
    """(images (1797, 8, 8) float64 0..16, labels (1797,)), loaded once per process: read only."""
    from sklearn.datasets import load_digits  # about a second: scikit-learn's import and the file

    data = load_digits()
    return data.images, data.target


def digits(dtype=np.float32):
    """scikit-learn's 8x8 handwritten digits (1797 images, shipped with scikit-learn: no
    download), as x (N, 1, 8, 8) standardized to mean 0 and standard deviation 1, y (N,) int64."""
    images, target = raw_digits()
    x = images.astype(np.float64)[:, None]  # (N, 1, 8, 8), values 0..16
    x = (x - x.mean()) / x.std()
    return x.astype(dtype), target.astype(np.int64)


def kaiming_normal(rng, shape, dtype=np.float64):
    """He et al. (2015) for a ReLU network: N(0, 2 / fan_in), fan_in = in_channels * KH * KW."""
    fan_in = math.prod(shape[1:])
    return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)


def batchnorm_params(prefix, channels, dtype=np.float64, rng=None):
    """A batch norm's four arrays keyed like torch's state_dict: weight 1, bias 0, running mean 0
    and variance 1 (rng: random values instead, so that tests see every array matter)."""
    if rng is None:
        values = (np.ones(channels), np.zeros(channels), np.zeros(channels), np.ones(channels))
    else:
        values = (rng.uniform(0.5, 1.5, channels), rng.normal(0, 0.2, channels), rng.normal(0, 0.3, channels),
                  rng.uniform(0.5, 2.0, channels))
    return {f"{prefix}.{name}": v.astype(dtype) for name, v in zip(BN, values)}


def block_params(kind, in_channels, planes, projection=False, rng=None, dtype=np.float64, random_bn=False):
    """The parameters of a residual block, keyed like torchvision's state_dict:

        kind "basic":      conv1 (planes, in, 3, 3), conv2 (planes, planes, 3, 3); out = planes
        kind "bottleneck": conv1 (planes, in, 1, 1), conv2 (planes, planes, 3, 3),
                           conv3 (4 * planes, planes, 1, 1); out = 4 * planes
        projection:        downsample.0 (out, in, 1, 1) and its batch norm downsample.1
    """
    rng = np.random.default_rng(0) if rng is None else rng
    if kind == "basic":
        convs, out = {"conv1": (planes, in_channels, 3, 3), "conv2": (planes, planes, 3, 3)}, planes
    elif kind == "bottleneck":
        out = 4 * planes
        convs = {"conv1": (planes, in_channels, 1, 1), "conv2": (planes, planes, 3, 3), "conv3": (out, planes, 1, 1)}
    else:
        raise ValueError(f"kind must be 'basic' or 'bottleneck', got {kind!r}")
    if projection:
        convs["downsample.0"] = (out, in_channels, 1, 1)
    params = {}
    for i, (conv, shape) in enumerate(convs.items()):
        params[f"{conv}.weight"] = kaiming_normal(rng, shape, dtype)
        bn = f"bn{i + 1}" if conv.startswith("conv") else "downsample.1"
        params |= batchnorm_params(bn, shape[0], dtype, rng if random_bn else None)
    return params


# ------------------------------------------------------------------ loss and optimizer


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of integer labels y (N,) under softmax(logits) (N, K), and its gradient:

        loss = -mean_n log softmax(logits_n)[y_n];   dlogits = (softmax(logits) - onehot(y)) / N
    """
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, K), <= 0: exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    return float(loss), (dlogits / n).astype(logits.dtype)


class SGD:
    """SGD with momentum (PyTorch's form): v = momentum * v + (g + weight_decay * w); w -= lr * v.
    Updates the arrays of ``params`` in place, for the keys its ``step`` gets gradients of."""

    def __init__(self, params, lr=0.1, momentum=0.9, weight_decay=0.0):
        self.params, self.lr, self.momentum, self.weight_decay = params, lr, momentum, weight_decay
        self.velocity = {}

    def step(self, grads):
        for key, g in grads.items():
            w = self.params[key]
            g = g + self.weight_decay * w if self.weight_decay else g
            v = self.velocity[key] = self.momentum * self.velocity[key] + g if key in self.velocity else g.copy()
            w -= (self.lr * v).astype(w.dtype)


# ------------------------------------------------------------------ the network around the blocks


class TinyResNet:
    """stem (3x3 conv 1 -> widths[0], batch norm, ReLU) -> one block per width (stride 2 where
    the width grows, a projection shortcut "B" there) -> global average pooling -> linear head.

    ``forward(x, params, stride, shortcut, training)`` and ``backward(dout, cache)`` are the
    block functions (basic_block_forward / basic_block_backward); ``blocks_per_width`` stacks
    more of them (a deeper net). Parameters live in one flat dict, ``net.params``: "stem.*",
    "block3.conv1.weight", ..., "head.weight", "head.bias".
    """

    def __init__(self, forward, backward, widths=(8, 16), blocks_per_width=1, classes=10, rng=None,
                 dtype=np.float32, shortcut="B"):
        rng = np.random.default_rng(0) if rng is None else rng
        self.forward, self.backward, self.shortcut, self.dtype = forward, backward, shortcut, dtype
        self.params = {"stem.conv.weight": kaiming_normal(rng, (widths[0], 1, 3, 3), dtype)}
        self.params |= batchnorm_params("stem.bn", widths[0], dtype)
        self.blocks = []  # (prefix, stride)
        channels = widths[0]
        for width in widths:
            for _ in range(blocks_per_width):
                stride = 2 if width != channels else 1
                prefix = f"block{len(self.blocks)}"
                block = block_params("basic", channels, width, projection=stride != 1 or width != channels, rng=rng,
                                     dtype=dtype)
                self.params |= {f"{prefix}.{k}": v for k, v in block.items()}
                self.blocks.append((prefix, stride))
                channels = width
        bound = 1 / math.sqrt(channels)  # nn.Linear's default initialization
        self.params["head.weight"] = rng.uniform(-bound, bound, (classes, channels)).astype(dtype)
        self.params["head.bias"] = rng.uniform(-bound, bound, classes).astype(dtype)

    def _block(self, prefix):
        """The block's own parameters (the same arrays: running statistics update in place)."""
        return {k[len(prefix) + 1:]: v for k, v in self.params.items() if k.startswith(prefix + ".")}

    def logits(self, x, training=True):
        """(logits (N, classes), cache)."""
        p = self.params
        h, conv_cache = layers.conv2d_forward(x.astype(self.dtype), p["stem.conv.weight"], None, padding=1)
        h, bn_cache = layers.batchnorm_forward(h, p["stem.bn.weight"], p["stem.bn.bias"], p["stem.bn.running_mean"],
                                               p["stem.bn.running_var"], training=training)
        h = np.maximum(h, 0)  # (N, C, 8, 8)
        caches = [conv_cache, bn_cache, h]
        for prefix, stride in self.blocks:
            h, cache = self.forward(h, self._block(prefix), stride=stride, shortcut=self.shortcut, training=training)
            caches.append(cache)
        pooled = h.mean(axis=(2, 3))  # (N, C): global average pooling
        caches.append((h.shape, pooled))
        return pooled @ p["head.weight"].T + p["head.bias"], caches  # (N, classes)

    def gradients(self, dlogits, caches):
        """Every trainable parameter's gradient, keyed like ``params``."""
        p, grads = self.params, {}
        shape, pooled = caches[-1]
        grads["head.weight"], grads["head.bias"] = dlogits.T @ pooled, dlogits.sum(axis=0)
        dh = np.broadcast_to((dlogits @ p["head.weight"])[:, :, None, None] / (shape[2] * shape[3]), shape)
        for (prefix, _), cache in zip(reversed(self.blocks), reversed(caches[3:-1])):
            dh, block_grads = self.backward(np.ascontiguousarray(dh), cache)
            grads |= {f"{prefix}.{k}": v for k, v in block_grads.items()}
        conv_cache, bn_cache, h = caches[:3]
        dh, grads["stem.bn.weight"], grads["stem.bn.bias"] = layers.batchnorm_backward(dh * (h > 0), bn_cache)
        _, grads["stem.conv.weight"], _ = layers.conv2d_backward(dh, conv_cache)
        return grads

    def loss(self, x, y, training=False):
        """The mean cross-entropy on (x, y), with no update (eval mode by default)."""
        return softmax_cross_entropy(self.logits(x, training)[0], y)[0]

    def accuracy(self, x, y, training=False):
        return float((self.logits(x, training)[0].argmax(axis=1) == y).mean())

    def train_step(self, x, y, optimizer):
        """One step of SGD on the batch (x, y); returns the batch's loss before the step."""
        logits, caches = self.logits(x, training=True)
        loss, dlogits = softmax_cross_entropy(logits, y)
        optimizer.step(self.gradients(dlogits, caches))
        return loss
