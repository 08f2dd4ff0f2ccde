"""What every PyTorch oracle is built on: ``run`` an operator in float64 with autograd, on the
CPU or on CUDA with TF32 off (cuDNN with TF32 on differs from float64 by about 3e-4 relative;
with it off, by about 1e-6).

Each assignment's own oracles (``assignments/<a>/oracles.py``) take a ``Sample`` (and
optionally the upstream gradient ``dout``) and return float64 tensors computed by PyTorch
from the sample's very inputs: the output, and with ``dout`` the gradients from autograd.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np
import torch


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
