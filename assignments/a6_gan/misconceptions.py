"""The classic mistakes of assignment 6, each as what it computes.

The losses' variants are PyTorch in float64 on the very logits of a failing check, with
autograd for the gradients (assignments/common/diagnose.py names the one your output agrees
with). A training step's mistakes are Algorithm 1 with one thing changed
(assignments/a6_gan/oracles.py, ``mistake=``): the check names the variant whose parameters,
optimizer state, returned losses and sampler calls all agree with yours.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from assignments.a6_gan import oracles
from assignments.common.diagnose import Misconception
from assignments.common.oracles import run

HANDOUT = "handouts/a6_gan.md"
VALUE, OPTIMAL = f"{HANDOUT}#1-the-value-function", f"{HANDOUT}#2-the-optimal-discriminator"
SATURATION, STEP = f"{HANDOUT}#3-the-non-saturating-generator-loss", f"{HANDOUT}#4-algorithm-1"


def naive(loss, sample, names):
    """``loss`` with torch.log(torch.sigmoid(.)) in the logits' own dtype, and its gradients:
    -inf or NaN wherever sigmoid rounds to 0 or 1."""
    leaves = [torch.tensor(np.asarray(a), requires_grad=True) for a in sample.args]
    value = loss(*leaves)
    grads = torch.autograd.grad(value, leaves)
    return {"out": value.detach().numpy(), **{f"d{n}": g.numpy() for n, g in zip(names, grads)}}


def d_variant(how):
    def variant(sample, dout):
        real, fake = sample.args
        if how == "naive":
            return naive(lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean(),
                         sample, sample.names)
        losses = {"labels_swapped": lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean(),
                  "sign_flipped": lambda r, f: -(F.softplus(-r).mean() + F.softplus(f).mean()),
                  "summed": lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(),
                  "one_mean": lambda r, f: torch.cat([F.softplus(-r).flatten(), F.softplus(f).flatten()]).mean()}
        result = run(lambda real_logits, fake_logits: losses[how](real_logits, fake_logits),
                     {"real_logits": real, "fake_logits": fake}, dout)
        return vars(result)
    return variant


def g_variant(how):
    def variant(sample, dout):
        (fake,) = sample.args
        non_saturating = sample.kwargs.get("non_saturating", True)
        if how == "naive":
            form = (lambda f: -torch.log(torch.sigmoid(f)).mean()) if non_saturating else \
                (lambda f: torch.log(1 - torch.sigmoid(f)).mean())
            return naive(form, sample, sample.names)
        losses = {"forms_swapped": (lambda f: -F.softplus(f).mean()) if non_saturating else
                  (lambda f: F.softplus(-f).mean()),
                  "minimax_sign_flipped": lambda f: F.softplus(f).mean()}
        return vars(run(lambda fake_logits: losses[how](fake_logits), {"fake_logits": fake}, dout))
    return variant


def dstar_variant(how):
    def variant(sample, dout):
        p_data, p_g = (np.asarray(a) for a in sample.args)
        with np.errstate(divide="ignore", invalid="ignore"):
            return {"out": p_g / (p_data + p_g) if how == "inverted" else p_data / (p_data + p_g)}
    return variant


LOSSES = [
    Misconception("d_loss_log_of_sigmoid", "discriminator_loss", ("out", "dreal_logits", "dfake_logits"),
                  "log(sigmoid(a)) is -inf once sigmoid rounds to 0 or 1 (a logit of -100 in float32), and its gradient "
                  "NaN: write -log D = softplus(-a) and -log(1 - D) = softplus(a) (F.softplus, or "
                  "F.binary_cross_entropy_with_logits).", VALUE, d_variant("naive"), nonfinite=True),
    Misconception("d_loss_labels_swapped", "discriminator_loss", ("out", "dreal_logits", "dfake_logits"),
                  "real data must be called real: -log D(x) on the real logits, -log(1 - D(G(z))) on the fake ones.",
                  VALUE, d_variant("labels_swapped")),
    Misconception("d_loss_sign_flipped", "discriminator_loss", ("out", "dreal_logits", "dfake_logits"),
                  "D maximizes V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))], so the loss it minimizes is -V: "
                  "mean(-log D(x)) + mean(-log(1 - D(G(z)))), positive.", VALUE, d_variant("sign_flipped")),
    Misconception("d_loss_summed", "discriminator_loss", ("out", "dreal_logits", "dfake_logits"),
                  "each term is a mean over its batch (.mean()), not a sum: the loss must not grow with the batch.",
                  VALUE, d_variant("summed")),
    Misconception("d_loss_one_mean_over_both", "discriminator_loss", ("out", "dreal_logits", "dfake_logits"),
                  "the two expectations are two means added, mean(real terms) + mean(fake terms), not one mean over "
                  "both batches put together (that halves the loss, and weighs the larger batch more).", VALUE,
                  d_variant("one_mean")),
    Misconception("g_loss_log_of_sigmoid", "generator_loss", ("out", "dfake_logits"),
                  "log(sigmoid(a)) is -inf once sigmoid rounds to 0 or 1, and its gradient NaN: write -log D = "
                  "softplus(-a) and log(1 - D) = -softplus(a).", SATURATION, g_variant("naive"), nonfinite=True),
    Misconception("g_loss_forms_swapped", "generator_loss", ("out", "dfake_logits"),
                  "non_saturating=True is mean(-log D(G(z))); non_saturating=False is the minimax mean(log(1 - "
                  "D(G(z)))): the two forms are swapped or one is ignored.", SATURATION, g_variant("forms_swapped")),
    Misconception("g_loss_minimax_sign_flipped", "generator_loss", ("out", "dfake_logits"),
                  "the minimax generator minimizes mean(log(1 - D(G(z)))), which is negative; mean(-log(1 - D)) "
                  "is D's fake term, and minimizing it helps D.", SATURATION, g_variant("minimax_sign_flipped"),
                  applies=lambda s: not s.kwargs.get("non_saturating", True)),
    Misconception("optimal_discriminator_inverted", "optimal_discriminator", ("out",),
                  "D*(x) = p_data(x) / (p_data(x) + p_g(x)): the data's density on top.", OPTIMAL,
                  dstar_variant("inverted")),
    Misconception("optimal_discriminator_nan_where_both_zero", "optimal_discriminator", ("out",),
                  "where p_data and p_g are both 0 the ratio is 0/0 = NaN; the contract says 0.5 there "
                  "(np.divide(..., where=total > 0) or torch.where).", OPTIMAL, dstar_variant("plain"), nonfinite=True),
]


def step_variant(mistake):
    return lambda sample, dout: {"step": oracles.training_step(sample, mistake=mistake)}


STEPS = [Misconception(name, "gan_step", ("step",), says, STEP, step_variant(name)) for name, says in (
    ("zero_grad_missing", "gradients accumulate in .grad until cleared: call opt_D.zero_grad() before D's backward and "
                          "opt_G.zero_grad() before G's, every step."),
    ("d_grads_leak_from_g_step", "G's backward also fills D's .grad (the G loss goes through D); D's next step must not "
                                 "use it: clear D's gradients right before D's backward, not after its step."),
    ("g_grads_leak_from_d_step", "D's loss reached G: detach G's output in D's step (G(z).detach()) and clear G's "
                                 "gradients right before G's backward."),
    ("noise_reused", "G's step draws its own fresh z = sample_noise() after the k steps of D, not the z of D's last step."),
    ("samplers_out_of_order", "each D step calls x = sample_real() first, then z = sample_noise(); G's step then calls "
                              "sample_noise() once: the contract fixes that order."),
    ("k_ignored", "D takes k steps (each with fresh x and z) before G takes one: loop k times."),
    ("generator_form_ignored", "pass non_saturating on to generator_loss: the minimax form must be used when it is False."),
    ("first_d_loss_returned", "return the last D step's loss (after k steps), as a Python float."),
    ("d_stepped_on_g_loss", "only opt_G steps after G's backward: D's parameters must not move on G's loss."),
)]

MISCONCEPTIONS = LOSSES + STEPS
