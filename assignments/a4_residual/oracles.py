"""PyTorch oracles of assignment 4: torchvision's BasicBlock and Bottleneck, rebuilt here from
``torch.nn`` layers with the same state_dict keys (torchvision is not a dependency), the
sample's parameters loaded, run in float64 in training or eval mode with autograd for the
backward (``device="cuda"``: on the GPU, TF32 off).

``block`` also computes the classic mistakes (assignments/a4_residual/misconceptions.py) through
its keyword arguments: each one changes one thing about the right block.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from assignments.common.oracles import exact_math

RUNNING = ("running_mean", "running_var")


def after_call(key: str) -> str:
    """How checks and messages name a running statistic after the call: params['bn1.running_mean'] after the call."""
    return f"params[{key!r}] after the call"


def _pair(stride):
    return (stride, stride) if isinstance(stride, (int, np.integer)) else tuple(stride)


def straight_through(value, gradient_of):
    """``value`` in the forward, the gradient of ``gradient_of`` in the backward (for mistakes
    that are only in a backward: a ReLU whose mask is forgotten, a path left out)."""
    return gradient_of + (value - gradient_of).detach()


class Block(nn.Module):
    """torchvision's BasicBlock (``kind="basic"``) or Bottleneck (``kind="bottleneck"``), built
    from the shapes of ``params``, with the shortcut options A, B and C of the ResNet paper.

    ``mistake`` names one classic mistake to compute instead of the right block (None: right).
    """

    def __init__(self, kind, params, stride=1, shortcut="B", mistake=None):
        super().__init__()
        self.kind, self.stride, self.shortcut, self.mistake = kind, _pair(stride), shortcut, mistake
        n = 2 if kind == "basic" else 3
        self.convs = [f"conv{i}" for i in range(1, n + 1)]
        strided = 0 if kind == "basic" else 1  # the first 3x3 conv carries the stride (torchvision)
        if mistake == "stride_on_wrong_conv":
            strided = 1 if kind == "basic" else 0
        for i, conv in enumerate(self.convs):
            out_c, in_c, k, _ = params[f"{conv}.weight"].shape
            padding = 1 if mistake == "padding_one_everywhere" else k // 2
            self.add_module(conv, nn.Conv2d(in_c, out_c, k, stride=self.stride if i == strided else 1,
                                            padding=padding, bias=False))
            self.add_module(f"bn{i + 1}", nn.BatchNorm2d(out_c))
        self.downsample = None
        if "downsample.0.weight" in params:
            out_c, in_c = params["downsample.0.weight"].shape[:2]
            self.downsample = nn.Sequential(nn.Conv2d(in_c, out_c, 1, stride=self.stride, bias=False),
                                            nn.BatchNorm2d(out_c))
        self.double()

    def branch(self, x):
        h = x
        for i, conv in enumerate(self.convs):
            h = getattr(self, f"bn{i + 1}")(getattr(self, conv)(h))
            if i < len(self.convs) - 1:
                h = straight_through(F.relu(h), h) if self.mistake == "inner_relu_mask_missing" else F.relu(h)
        return h

    def identity_or_shortcut(self, x, out_channels):
        C = x.shape[1]
        shapes_match = self.stride == (1, 1) and C == out_channels
        if self.mistake == "shortcut_gradient_dropped":
            x = x.detach()
        if self.shortcut == "C" or (self.shortcut == "B" and not shapes_match):
            if self.mistake == "option_c_identity" and shapes_match:
                return x
            conv, bn = self.downsample
            return conv(x) if self.mistake == "projection_without_bn" else bn(conv(x))
        if shapes_match:
            return x
        sh, sw = self.stride
        offset = 1 if self.mistake == "option_a_subsample_offset" else 0
        sub = x[:, :, offset::sh, offset::sw]  # (N, C, OH, OW)
        extra = out_channels - C
        if self.mistake == "option_a_pads_both_sides":
            return F.pad(sub, (0, 0, 0, 0, extra // 2, extra - extra // 2))
        if self.mistake == "option_a_pads_in_front":
            return F.pad(sub, (0, 0, 0, 0, extra, 0))
        return F.pad(sub, (0, 0, 0, 0, 0, extra))

    def forward(self, x):
        f = self.branch(x)
        if self.mistake == "padding_one_everywhere":  # known by its shape: the sum would raise
            return f
        s = self.identity_or_shortcut(x, f.shape[1])
        if self.mistake == "final_relu_missing":
            return f + s
        if self.mistake == "relu_before_addition":
            return F.relu(f) + s
        if self.mistake == "final_relu_mask_only_on_branch":  # the shortcut's gradient skips the mask
            return F.relu(f + s.detach()) + (s - s.detach())
        return F.relu(f + s)


def block(kind, sample, dout=None, device="cpu", mistake=None):
    """The block on ``sample`` (args x, params; kwargs stride, shortcut, training) in float64:
    .out, .running (the running statistics after the call, keyed like params), and with dout
    .dx and .grads (keyed like params: every weight and bias)."""
    x, params = sample.args
    kwargs = {"stride": 1, "shortcut": "B", "training": True} | sample.kwargs
    training = kwargs["training"]
    if mistake == "training_flag_ignored":
        training = True
    with exact_math():
        module = Block(kind, params, kwargs["stride"], kwargs["shortcut"], mistake).to(device)
        state = {k: torch.tensor(np.asarray(v, dtype=np.float64)) for k, v in params.items()}
        module.load_state_dict(state, strict=False)
        module.train(training)
        inputs = {}  # each batch norm's input, for the running-statistics mistakes
        for name, bn in module.named_modules():
            if isinstance(bn, nn.BatchNorm2d):
                bn.momentum = 0.9 if mistake == "running_momentum_swapped" else 0.1
                bn.register_forward_hook(lambda m, args, out, name=name: inputs.__setitem__(name, args[0].detach()))
        xt = torch.tensor(np.asarray(x, dtype=np.float64), device=device, requires_grad=True)
        out = module(xt)
        running = {k: v.detach().cpu() for k, v in module.state_dict().items() if k.endswith(RUNNING)}
        if mistake == "running_stats_not_in_place":
            running = {k: torch.tensor(np.asarray(params[k], dtype=np.float64)) for k in running}
        if mistake == "running_var_biased" and training:  # the biased batch variance in the update
            for name, h in inputs.items():
                key = f"{name}.running_var"
                old = torch.tensor(np.asarray(params[key], dtype=np.float64))
                running[key] = 0.9 * old + 0.1 * h.var(dim=(0, 2, 3), unbiased=False).cpu()
        result = SimpleNamespace(out=out.detach().cpu(), running=running)
        for key, value in running.items():  # also by the names the checks give them
            setattr(result, after_call(key), value)
        if dout is not None:
            out.backward(torch.as_tensor(np.asarray(dout, dtype=np.float64), device=device))
            result.dx = xt.grad.cpu()
            result.grads = {name: (p.grad if p.grad is not None else torch.zeros_like(p)).cpu()
                            for name, p in module.named_parameters()}
    return result


def basic_block(sample, dout=None, device="cpu"):
    return block("basic", sample, dout, device)


def bottleneck_block(sample, dout=None, device="cpu"):
    return block("bottleneck", sample, dout, device)
