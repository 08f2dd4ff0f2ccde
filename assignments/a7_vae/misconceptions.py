"""The classic mistakes of assignment 7, each as what it computes.

The functions' variants are PyTorch in float64 on the very inputs of a failing check, with
autograd for the gradients (assignments/common/diagnose.py names the one your output agrees
with). A training step's mistakes are the oracle's step with one thing changed
(assignments/a7_vae/oracles.py, ``mistake=``): the check names the variant whose parameters,
optimizer state and returned losses all agree with yours.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from assignments.a7_vae import oracles
from assignments.common.diagnose import Misconception
from assignments.common.oracles import run

HANDOUT = "handouts/a7_vae.md"
REPARAM, KL = f"{HANDOUT}#2-the-reparameterization-trick", f"{HANDOUT}#3-the-kl-term-in-closed-form"
RECON, ELBO, STEP = (f"{HANDOUT}#4-the-reconstruction-term", f"{HANDOUT}#5-the-negative-elbo",
                     f"{HANDOUT}#6-one-training-step")


def variant(formula):
    """What ``formula`` (of the sample's named tensors and its keyword arguments) gives, with
    autograd's gradients for dout: {"out", "d<name>", ...}."""
    return lambda sample, dout: vars(run(lambda **t: formula(**t, **sample.kwargs), dict(zip(sample.names, sample.args)),
                                         dout))


def not_differentiable(sample, dout):
    """A z cut off from the graph (.detach(), numpy, torch.no_grad()): no gradient reaches mu or logvar."""
    mu, logvar, _ = sample.args
    return {"dmu": np.zeros_like(mu, dtype=np.float64), "dlogvar": np.zeros_like(logvar, dtype=np.float64)}


def naive_bernoulli(sample, dout):
    """-[x log sigmoid(a) + (1 - x) log(1 - sigmoid(a))] summed, in the logits' own dtype:
    -inf or NaN wherever sigmoid rounds to 0 or 1."""
    x_out, x = (torch.tensor(np.asarray(a)) for a in sample.args)
    x_out.requires_grad_(True)
    p = torch.sigmoid(x_out)
    out = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).flatten(1).sum(1)
    grad = torch.autograd.grad(out, x_out, torch.ones_like(out) if dout is None else torch.tensor(np.asarray(dout)))[0]
    return {"out": out.detach().numpy(), "dx_out": grad.numpy()}


def likelihood(sample):
    return sample.kwargs.get("likelihood", "bernoulli")


def per_value(x_out, x, how):
    """The reconstruction term's values before the sum over a data point's axes."""
    if how == "bernoulli":
        return F.binary_cross_entropy_with_logits(x_out, x, reduction="none")
    return 0.5 * (x - x_out) ** 2


def rec(x_out, x, how, reduce=lambda t: t.flatten(1).sum(1)):
    return reduce(per_value(x_out, x, how))


def kl_terms(mu, logvar):
    return 1 + logvar - mu ** 2 - torch.exp(logvar)  # (N, latent)


def elbo(x, x_out, mu, logvar, beta=1.0, likelihood="bernoulli", how=None):
    r, k = oracles.reconstruction(x_out, x, likelihood), oracles.kl(mu, logvar)
    return {"kl_subtracted": lambda: (r - beta * k).mean(), "beta_ignored": lambda: (r + k).mean(),
            "beta_on_reconstruction": lambda: (beta * r + k).mean(), "summed_over_batch": lambda: (r + beta * k).sum(),
            "not_negated": lambda: -(r + beta * k).mean()}[how]()


def elbo_variant(how):
    return variant(lambda **t: elbo(**t, how=how))


MISCONCEPTIONS_OF_FUNCTIONS = [
    # reparameterize
    Misconception("reparameterize_std_is_exp_logvar", "reparameterize", ("out", "dlogvar"),
                  "exp(logvar) is the variance sigma^2; z = mu + sigma * eps needs the standard deviation, "
                  "sigma = exp(0.5 * logvar).", REPARAM,
                  variant(lambda mu, logvar, eps: mu + torch.exp(logvar) * eps)),
    Misconception("reparameterize_logvar_as_std", "reparameterize", ("out", "dlogvar"),
                  "logvar is the log of the variance, not the standard deviation: sigma = exp(0.5 * logvar).",
                  REPARAM, variant(lambda mu, logvar, eps: mu + logvar * eps)),
    Misconception("reparameterize_eps_ignored", "reparameterize", ("out", "dlogvar"),
                  "z = mu drops the noise: the sample is mu + sigma * eps, and without eps logvar gets no gradient "
                  "and the encoder's variance never learns.", REPARAM,
                  variant(lambda mu, logvar, eps: mu + 0 * logvar)),
    Misconception("reparameterize_not_differentiable", "reparameterize", ("dmu", "dlogvar"),
                  "the sample must stay in the autograd graph: compute z = mu + torch.exp(0.5 * logvar) * eps with "
                  "torch operations on mu and logvar (no .detach(), no numpy, no torch.no_grad(), no new "
                  "torch.tensor(...)), so that the gradient flows back to the encoder.", REPARAM, not_differentiable),
    # the KL
    Misconception("kl_sign_flipped", "kl_standard_normal", ("out", "dmu", "dlogvar"),
                  "the closed form is KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)), with the minus sign; "
                  "without it every value is the negative of the KL, and a KL is never negative.", KL,
                  variant(lambda mu, logvar: 0.5 * kl_terms(mu, logvar).sum(1))),
    Misconception("kl_half_missing", "kl_standard_normal", ("out", "dmu", "dlogvar"),
                  "the closed form has a factor 1/2: KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)).", KL,
                  variant(lambda mu, logvar: -kl_terms(mu, logvar).sum(1))),
    Misconception("kl_mean_over_latent", "kl_standard_normal", ("out", "dmu", "dlogvar"),
                  "the KL of independent latent dimensions is the sum of theirs: .sum(dim=1), not .mean(dim=1).", KL,
                  variant(lambda mu, logvar: -0.5 * kl_terms(mu, logvar).mean(1)),
                  applies=lambda s: s.args[0].shape[1] > 1),
    Misconception("kl_logvar_read_as_log_std", "kl_standard_normal", ("out", "dmu", "dlogvar"),
                  "logvar = log sigma^2: the terms are 1 + logvar - mu^2 - exp(logvar), not 1 + 2 logvar - mu^2 - "
                  "exp(2 logvar) (that reads logvar as log sigma).", KL,
                  variant(lambda mu, logvar: -0.5 * (1 + 2 * logvar - mu ** 2 - torch.exp(2 * logvar)).sum(1))),
    Misconception("kl_reduced_over_batch", "kl_standard_normal", ("out",),
                  "one KL per sample, shape (N,): sum over the latent dimensions only (dim=1), not over the batch "
                  "too; negative_elbo takes the batch mean.", KL,
                  variant(lambda mu, logvar: -0.5 * kl_terms(mu, logvar).sum()), shape_only=True),
    # the reconstruction term
    Misconception("reconstruction_log_of_sigmoid", "reconstruction_loss", ("out", "dx_out"),
                  "log(sigmoid(a)) is -inf once sigmoid rounds to 0 or 1 (a logit of 100), and its gradient NaN: "
                  "use F.binary_cross_entropy_with_logits(x_out, x, reduction='none') (or softplus), which never "
                  "forms sigmoid.", RECON, naive_bernoulli, nonfinite=True,
                  applies=lambda s: likelihood(s) == "bernoulli"),
    Misconception("reconstruction_mean_over_values", "reconstruction_loss", ("out", "dx_out"),
                  "-log p(x | z) of a data point is the sum over its pixels (values): .flatten(1).sum(1), not a mean "
                  "(F.binary_cross_entropy_with_logits and F.mse_loss average unless reduction='none').", RECON,
                  variant(lambda x_out, x, likelihood="bernoulli": rec(x_out, x, likelihood, lambda t: t.flatten(1).mean(1)))),
    Misconception("reconstruction_reduced_over_batch", "reconstruction_loss", ("out",),
                  "one value per sample, shape (N,): sum over every axis but the first (reduction='none', then "
                  ".flatten(1).sum(1)).", RECON,
                  variant(lambda x_out, x, likelihood="bernoulli": rec(x_out, x, likelihood, torch.sum)), shape_only=True),
    Misconception("reconstruction_gaussian_half_missing", "reconstruction_loss", ("out", "dx_out"),
                  "the unit-variance Gaussian gives -log p(x | z) = 0.5 * sum((x - x_out)^2) + const: the 0.5 belongs.",
                  RECON, variant(lambda x_out, x, likelihood: ((x - x_out) ** 2).flatten(1).sum(1)),
                  applies=lambda s: likelihood(s) == "gaussian"),
    Misconception("reconstruction_likelihood_ignored", "reconstruction_loss", ("out", "dx_out"),
                  "the likelihood argument picks the formula: binary cross-entropy with logits for 'bernoulli', "
                  "0.5 * sum((x - x_out)^2) for 'gaussian'.", RECON,
                  variant(lambda x_out, x, likelihood="bernoulli":
                          rec(x_out, x, "gaussian" if likelihood == "bernoulli" else "bernoulli"))),
    Misconception("reconstruction_arguments_swapped", "reconstruction_loss", ("out", "dx_out"),
                  "binary_cross_entropy_with_logits(input, target) takes the logits first: (x_out, x), not (x, x_out).",
                  RECON, variant(lambda x_out, x, likelihood="bernoulli": rec(x, x_out, "bernoulli")),
                  applies=lambda s: likelihood(s) == "bernoulli"),
    # the negative ELBO
    Misconception("elbo_kl_subtracted", "negative_elbo", ("out", "dmu", "dlogvar"),
                  "-ELBO = reconstruction + beta * KL: the KL is added (it is the KL with the sign the closed "
                  "form's minus gives it; check kl_standard_normal's sign).", ELBO, elbo_variant("kl_subtracted")),
    Misconception("elbo_beta_ignored", "negative_elbo", ("out", "dmu", "dlogvar"),
                  "beta weighs the KL: reconstruction + beta * KL.", ELBO, elbo_variant("beta_ignored"),
                  applies=lambda s: s.kwargs.get("beta", 1.0) != 1.0),
    Misconception("elbo_beta_on_reconstruction", "negative_elbo", ("out", "dx_out", "dmu", "dlogvar"),
                  "beta weighs the KL, not the reconstruction term: reconstruction + beta * KL.", ELBO,
                  elbo_variant("beta_on_reconstruction"), applies=lambda s: s.kwargs.get("beta", 1.0) != 1.0),
    Misconception("elbo_summed_over_batch", "negative_elbo", ("out", "dx_out", "dmu", "dlogvar"),
                  "the loss is the batch mean of the per-sample terms (.mean()), not their sum: it must not grow "
                  "with the batch.", ELBO, elbo_variant("summed_over_batch")),
    Misconception("elbo_not_negated", "negative_elbo", ("out", "dx_out", "dmu", "dlogvar"),
                  "the loss to minimize is the negative ELBO, reconstruction + beta * KL (both >= 0); the ELBO "
                  "itself is maximized.", ELBO, elbo_variant("not_negated")),
]


def step_variant(mistake):
    return lambda sample, dout: {"step": oracles.training_step(sample, mistake=mistake)}


STEPS = [Misconception(name, "vae_step", ("step",), says, STEP, step_variant(name), applies=applies)
         for name, says, applies in (
    ("vae_step_zero_grad_missing", "gradients accumulate in .grad until cleared: call optimizer.zero_grad() before "
                                   "loss.backward(), every step.", lambda s: True),
    ("vae_step_std_is_exp_logvar", "the step's z uses exp(logvar), the variance, as the standard deviation: "
                                   "z = mu + exp(0.5 * logvar) * eps (reparameterize).", lambda s: True),
    ("vae_step_eps_ignored", "decode z = reparameterize(mu, logvar, eps), the sample, not mu: the step must see the "
                             "noise it is given.", lambda s: True),
    ("vae_step_kl_sign_flipped", "the step's loss subtracts the KL: the closed-form KL needs its minus sign, "
                                 "-0.5 * sum(1 + logvar - mu^2 - exp(logvar)) (kl_standard_normal), and -ELBO adds it.",
     lambda s: True),
    ("vae_step_beta_ignored", "pass beta on to negative_elbo: the KL is weighed by it.",
     lambda s: s.kwargs.get("beta", 1.0) != 1.0),
    ("vae_step_likelihood_ignored", "pass likelihood on to negative_elbo: a 'gaussian' step must use the Gaussian "
                                    "reconstruction term.", lambda s: s.kwargs.get("likelihood") == "gaussian"),
    ("vae_step_summed_over_batch", "the step minimizes the batch mean of the per-sample negative ELBO (negative_elbo), "
                                   "not its sum.", lambda s: True),
)]

MISCONCEPTIONS = MISCONCEPTIONS_OF_FUNCTIONS + STEPS
