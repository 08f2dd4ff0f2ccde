"""PyTorch oracles: what each operator must compute, in float64, forward and backward.

Each oracle takes a ``Sample`` (and optionally the upstream gradient ``dout``) and returns
float64 tensors computed by PyTorch from the sample's very inputs: the output, and with
``dout`` the gradients from autograd. ``device="cuda"`` computes on the GPU with TF32 off
(cuDNN with TF32 on differs from float64 by about 3e-4 relative; with it off, by about 1e-6).
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F


@contextlib.contextmanager
def exact_math():
    """TF32 off for cuDNN convolutions and CUDA matmuls, restored afterwards."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def cuda_available() -> bool:
    return torch.cuda.is_available()


def _leaf(a, device):
    if a is None:
        return None
    return torch.tensor(np.asarray(a, dtype=np.float64), device=device, requires_grad=True)


def run(op, arrays: dict, dout=None, device="cpu"):
    """out = op(**tensors); with dout, also d<name> for each input: returns a namespace."""
    with exact_math():
        leaves = {k: _leaf(v, device) for k, v in arrays.items()}
        out = op(**leaves)
        result = {"out": out.detach().cpu()}
        if dout is not None:
            out.backward(torch.as_tensor(np.asarray(dout, dtype=np.float64), device=device))
            # an input the output does not depend on (a bias a variant leaves out) gets zeros
            result |= {f"d{k}": None if t is None else (t.grad if t.grad is not None else torch.zeros_like(t)).cpu()
                       for k, t in leaves.items()}
    return SimpleNamespace(**result)


def conv2d(sample, dout=None, device="cpu"):
    """F.conv2d in float64: .out, and with dout .dx, .dw, .db (None without bias)."""
    x, w, b = sample.args
    return run(lambda x, w, b: F.conv2d(x, w, b, **sample.kwargs), {"x": x, "w": w, "b": b}, dout, device)


def maxpool2d(sample, dout=None, device="cpu"):
    """F.max_pool2d in float64: .out, and with dout .dx."""
    (x,) = sample.args
    return run(lambda x: F.max_pool2d(x, **sample.kwargs), {"x": x}, dout, device)


def batchnorm(sample, dout=None, device="cpu"):
    """F.batch_norm in float64: .out, .running_mean, .running_var (after the call), and with
    dout .dx, .dgamma, .dbeta."""
    x, gamma, beta, running_mean, running_var = sample.args
    stats = [torch.tensor(np.asarray(a, dtype=np.float64), device=device) for a in (running_mean, running_var)]
    kwargs = {"training": True} | sample.kwargs  # the contract's default; F.batch_norm's is False
    result = run(lambda x, gamma, beta: F.batch_norm(x, *stats, gamma, beta, **kwargs),
                  {"x": x, "gamma": gamma, "beta": beta}, dout, device)
    result.running_mean, result.running_var = (s.cpu() for s in stats)
    return result


def layernorm(sample, dout=None, device="cpu"):
    """F.layer_norm over gamma's shape in float64: .out, and with dout .dx, .dgamma, .dbeta."""
    x, gamma, beta = sample.args
    return run(lambda x, gamma, beta: F.layer_norm(x, gamma.shape, gamma, beta, **sample.kwargs),
                {"x": x, "gamma": gamma, "beta": beta}, dout, device)


def instancenorm(sample, dout=None, device="cpu"):
    """F.instance_norm in float64: .out, and with dout .dx, .dgamma, .dbeta."""
    x, gamma, beta = sample.args
    return run(lambda x, gamma, beta: F.instance_norm(x, weight=gamma, bias=beta, **sample.kwargs),
                {"x": x, "gamma": gamma, "beta": beta}, dout, device)


def groupnorm(sample, dout=None, device="cpu"):
    """F.group_norm in float64: .out, and with dout .dx, .dgamma, .dbeta."""
    x, gamma, beta, num_groups = sample.args
    return run(lambda x, gamma, beta: F.group_norm(x, num_groups, gamma, beta, **sample.kwargs),
                {"x": x, "gamma": gamma, "beta": beta}, dout, device)
