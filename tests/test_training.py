"""The training kit of assignment 4 (assignments/common/training.py) against independent oracles:
PyTorch's cross-entropy and SGD, finite differences through the whole TinyResNet."""

import math

import numpy as np
import torch
import torch.nn.functional as F

from assignments.common import training
from assignments.common.gradcheck import numerical_gradient, relative_error
from solutions.a4_residual import residual


def test_softmax_cross_entropy_matches_torch_even_for_large_logits():
    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((6, 10)) * 50, rng.integers(0, 10, 6)
    loss, dlogits = training.softmax_cross_entropy(logits, y)
    t = torch.tensor(logits, requires_grad=True)
    expected = F.cross_entropy(t, torch.tensor(y))
    expected.backward()
    assert math.isclose(loss, expected.item(), rel_tol=1e-12)
    torch.testing.assert_close(torch.from_numpy(dlogits), t.grad, rtol=1e-10, atol=1e-12)


def test_sgd_with_momentum_and_weight_decay_matches_torch():
    rng = np.random.default_rng(1)
    params = {"w": rng.standard_normal((3, 4))}
    t = torch.tensor(params["w"].copy(), requires_grad=True)
    ours = training.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-2)
    theirs = torch.optim.SGD([t], lr=0.1, momentum=0.9, weight_decay=1e-2)
    for _ in range(4):
        g = rng.standard_normal((3, 4))
        ours.step({"w": g})
        t.grad = torch.tensor(g)
        theirs.step()
    torch.testing.assert_close(torch.from_numpy(params["w"]), t.detach(), rtol=1e-12, atol=1e-12)


def test_kaiming_normal_has_variance_two_over_fan_in():
    w = training.kaiming_normal(np.random.default_rng(2), (64, 32, 3, 3))
    assert abs(w.var() * 32 * 9 / 2 - 1) < 0.03 and abs(w.mean()) < 0.01


def test_block_params_are_keyed_like_torchvision():
    basic = training.block_params("basic", 4, 8, projection=True)
    assert sorted(basic) == sorted(["conv1.weight", "conv2.weight", "downsample.0.weight"] +
                                   [f"{bn}.{k}" for bn in ("bn1", "bn2", "downsample.1") for k in training.BN])
    bottleneck = training.block_params("bottleneck", 16, 4)
    assert bottleneck["conv3.weight"].shape == (16, 4, 1, 1) and "downsample.0.weight" not in bottleneck


def test_the_tiny_resnet_gradients_agree_with_finite_differences():
    """The network around the learner's blocks: its backward (stem, pooling, head, and the blocks'
    gradients put back under their keys) is the gradient of its loss."""
    rng = np.random.default_rng(3)
    net = training.TinyResNet(residual.basic_block_forward, residual.basic_block_backward, widths=(2, 3),
                              rng=rng, dtype=np.float64)
    x, y = rng.standard_normal((4, 1, 8, 8)), rng.integers(0, 10, 4)
    logits, caches = net.logits(x)
    grads = net.gradients(training.softmax_cross_entropy(logits, y)[1], caches)
    trainable = [k for k in net.params if not k.endswith(("running_mean", "running_var"))]
    assert sorted(grads) == sorted(trainable)
    for key in ("stem.conv.weight", "block1.downsample.0.weight", "block0.bn2.bias", "head.weight"):
        original = net.params[key].copy()

        def loss(value, key=key):
            net.params[key][...] = value
            return net.loss(x, y, training=True)

        numeric = numerical_gradient(loss, original)
        net.params[key][...] = original
        assert relative_error(grads[key], numeric) < 1e-6, key
