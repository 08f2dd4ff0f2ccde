"""PyTorch oracles of assignment 1: what each operator must compute, in float64, forward and backward
(``device="cuda"``: on the GPU, TF32 off). Built on assignments/common/oracles.py."""

from __future__ import annotations

import torch.nn.functional as F

from assignments.common.oracles import run


def conv2d(sample, dout=None, device="cpu"):
    """F.conv2d in float64: .out, and with dout .dx, .dw, .db (None without bias)."""
    x, w, b = sample.args
    return run(lambda x, w, b: F.conv2d(x, w, b, **sample.kwargs), {"x": x, "w": w, "b": b}, dout, device)


def maxpool2d(sample, dout=None, device="cpu"):
    """F.max_pool2d in float64: .out, and with dout .dx."""
    (x,) = sample.args
    return run(lambda x: F.max_pool2d(x, **sample.kwargs), {"x": x}, dout, device)
