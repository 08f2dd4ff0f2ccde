"""PyTorch oracles of assignment 6, in float64 (``device="cuda"``: on the GPU, TF32 off).

The losses are PyTorch's binary cross-entropy with logits (label 1 for real, 0 for fake) and
autograd for their gradients. The training step is Algorithm 1 of the paper run on the very
objects the learner's step gets (the same specs, assignments/common/specs.py), each player's
gradient taken with torch.autograd.grad of its own loss only; ``mistake=`` computes what a
classic mistake would (the diagnoses, assignments/a6_gan/misconceptions.py).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import torch
import torch.nn.functional as F

from assignments.common import specs
from assignments.common.oracles import run


def bce(logits, label):
    """mean over the batch of -[label log sigmoid(a) + (1 - label) log(1 - sigmoid(a))]."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(label)))


def discriminator_loss(sample, dout=None, device="cpu"):
    """.out = BCE(real, 1) + BCE(fake, 0); with dout (a scalar), .dreal_logits, .dfake_logits."""
    real, fake = sample.args
    return run(lambda real_logits, fake_logits: bce(real_logits, 1) + bce(fake_logits, 0),
               {"real_logits": real, "fake_logits": fake}, dout, device)


def generator_loss(sample, dout=None, device="cpu"):
    """non-saturating: BCE(fake, 1) = mean(-log D); minimax: -BCE(fake, 0) = mean(log(1 - D))."""
    (fake,) = sample.args
    form = (lambda fake_logits: bce(fake_logits, 1)) if sample.kwargs.get("non_saturating", True) else \
        (lambda fake_logits: -bce(fake_logits, 0))
    return run(form, {"fake_logits": fake}, dout, device)


def optimal_discriminator(sample, dout=None, device="cpu"):
    """p_data / (p_data + p_g) in float64, 0.5 where both vanish."""
    p_data, p_g = (torch.tensor(np.asarray(a, dtype=np.float64), device=device) for a in sample.args)
    total = p_data + p_g
    return SimpleNamespace(out=torch.where(total > 0, p_data / total.clamp_min(1e-300), 0.5).cpu())


# ------------------------------------------------------------------ Algorithm 1


def _add(grads, extra):
    return list(grads) if extra is None else [g + e for g, e in zip(grads, extra)]


def _player_step(opt, params, grads):
    """One optimizer step with these gradients (torch.optim reads them from .grad)."""
    for p, g in zip(params, grads):
        p.grad = g.detach()
    opt.step()


def algorithm_1(G, D, opt_G, opt_D, sample_real, sample_noise, k=1, non_saturating=True, mistake=None, buffers=None):
    """Algorithm 1, each player's gradient by torch.autograd.grad of its own loss. ``buffers``
    holds what a mistake leaves in the players' .grad from one step (or call) to the next."""
    d_params, g_params = list(D.parameters()), list(G.parameters())
    buffers = {} if buffers is None else buffers
    first_d_loss = None
    for _ in range(k if mistake != "k_ignored" else 1):
        if mistake == "samplers_out_of_order":
            z, x = sample_noise(), sample_real()
        else:
            x, z = sample_real(), sample_noise()
        fake = G(z)
        d_loss = bce(D(x), 1) + bce(D(fake.detach()), 0)  # G's output detached: D's loss stops at D
        d_grads = torch.autograd.grad(d_loss, d_params)
        if mistake == "g_grads_leak_from_d_step":  # not detached, and G's .grad not cleared before its step
            buffers["G"] = _add(torch.autograd.grad(bce(D(fake), 0), g_params), buffers.get("G"))
        if mistake in ("zero_grad_missing", "d_grads_leak_from_g_step"):
            d_grads = _add(d_grads, buffers.pop("D", None))
            if mistake == "zero_grad_missing":
                buffers["D"] = d_grads
        _player_step(opt_D, d_params, d_grads)
        first_d_loss = d_loss if first_d_loss is None else first_d_loss
    if mistake != "noise_reused":
        z = sample_noise()
    logits = D(G(z))
    non_saturating = True if mistake == "generator_form_ignored" else non_saturating
    g_loss = bce(logits, 1) if non_saturating else -bce(logits, 0)
    both = torch.autograd.grad(g_loss, g_params + d_params)
    g_grads, d_from_g = both[:len(g_params)], both[len(g_params):]
    if mistake in ("zero_grad_missing", "d_grads_leak_from_g_step"):  # G's backward fills D's .grad too
        buffers["D"] = _add(d_from_g, buffers.get("D"))
    if mistake in ("zero_grad_missing", "g_grads_leak_from_d_step"):
        g_grads = _add(g_grads, buffers.pop("G", None))
        if mistake == "zero_grad_missing":
            buffers["G"] = g_grads
    _player_step(opt_G, g_params, g_grads)
    if mistake == "d_stepped_on_g_loss":  # opt_D.step() after G's backward: D's last grads plus G's loss
        _player_step(opt_D, d_params, _add(d_grads, d_from_g))
    returned = first_d_loss if mistake == "first_d_loss_returned" else d_loss
    return {"d_loss": returned.item(), "g_loss": g_loss.item()}


def training_step(sample, repeat=2, mistake=None):
    """``repeat`` calls of Algorithm 1 on the sample's specs, on the CPU: the answer as data
    (specs.run_call's: value, state, calls)."""
    sample = specs.on_device(sample, "cpu")
    step = functools.partial(algorithm_1, mistake=mistake, buffers={})
    return specs.run_call(step, sample.names, list(sample.args), dict(sample.kwargs), repeat=repeat)
