"""PyTorch oracles of assignment 2: what each operator must compute, in float64, forward and backward
(``device="cuda"``: on the GPU, TF32 off). Built on assignments/common/oracles.py."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from assignments.common.oracles import run


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
