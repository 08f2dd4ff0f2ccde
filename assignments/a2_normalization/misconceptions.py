"""The classic mistakes of assignment 2, each as what it computes.

Every variant is PyTorch in float64 on the very inputs of a failing check, with autograd for
the gradients: when your output agrees with one of them, and not with the right answer, the
feedback names the mistake (assignments/common/diagnose.py). They are wrong on purpose.
"""

from __future__ import annotations

import numpy as np
import torch

from assignments.common.diagnose import Misconception
from assignments.common.oracles import run

HANDOUT = "handouts/a2_normalization.md"
AXES, BATCH = f"{HANDOUT}#1-one-operation-four-sets-of-axes", f"{HANDOUT}#2-batch-normalization"
BACKWARD, RUNNING = f"{HANDOUT}#3-the-backward-pass", f"{HANDOUT}#4-running-statistics-train-vs-eval"
OTHERS = f"{HANDOUT}#5-layer-instance-and-group-normalization"


def normalize(x, axes, eps, unbiased=False, eps_outside=False, constant=False, stats=None):
    """(x - mean) / sqrt(var + eps) over ``axes``, or one of the ways of getting it wrong;
    ``constant``: True (mean and variance) or "variance" treated as constants by the backward."""
    mean, var = stats if stats is not None else (x.mean(dim=axes, keepdim=True),
                                                  x.var(dim=axes, keepdim=True, unbiased=unbiased))
    if constant:
        mean, var = (mean if constant == "variance" else mean.detach()), var.detach()
    return (x - mean) / (var.sqrt() + eps if eps_outside else (var + eps).sqrt())


CONSTANT = {"statistics_constant": True, "variance_constant": "variance"}  # what a backward forgot depends on x


def without_gamma(variant):
    """dx as if gamma were 1 (the backward forgot to multiply dout by gamma); the rest unchanged."""
    def forgot(sample, dout):
        x, gamma, *rest = sample.args
        ones = np.ones_like(np.asarray(gamma, np.float64))
        return {"dx": variant(type(sample)(sample.name, sample.names, (x, ones, *rest), sample.kwargs), dout)["dx"]}
    return forgot


def channel_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def per_channel(t, ndim):
    return t.reshape((1, -1) + (1,) * (ndim - 2))


# ------------------------------------------------------------------ batch norm


def batchnorm(how=None):
    """What batchnorm_forward/backward compute with the mistake ``how`` (None: the right way)."""
    def variant(sample, dout):
        x, gamma, beta, running_mean, running_var = sample.args
        k = {"training": True, "momentum": 0.1, "eps": 1e-5} | sample.kwargs
        rm, rv = (torch.tensor(np.asarray(a, np.float64)) for a in (running_mean, running_var))

        def op(x, gamma, beta):
            axes = channel_axes(x)
            if k["training"] or how == "batch_statistics_in_eval":
                x_hat = normalize(x, axes, k["eps"], unbiased=how == "unbiased_variance",
                                  eps_outside=how == "eps_outside_sqrt", constant=CONSTANT.get(how, False))
            else:
                stats = (per_channel(rm, x.ndim), per_channel(rv, x.ndim))
                x_hat = normalize(x, axes, k["eps"], eps_outside=how == "eps_outside_sqrt", stats=stats)
            return per_channel(gamma, x.ndim) * x_hat + per_channel(beta, x.ndim)

        return vars(run(op, {"x": x, "gamma": gamma, "beta": beta}, dout))
    return variant


def running(how):
    """running_mean and running_var after one training call, updated ``how``."""
    def variant(sample, dout):
        x, _, _, running_mean, running_var = (np.asarray(a, np.float64) for a in sample.args)
        m = sample.kwargs.get("momentum", 0.1)
        axes = channel_axes(x)
        mean, n = x.mean(axis=axes), x.size // x.shape[1]
        var = x.var(axis=axes) * (1 if how == "biased" else n / (n - 1))
        if how == "not_in_place":
            return {"running_mean": running_mean, "running_var": running_var}
        if how == "var_overwritten":
            return {"running_mean": (1 - m) * running_mean + m * mean, "running_var": var}
        if how == "momentum_flipped":
            return {"running_mean": m * running_mean + (1 - m) * mean, "running_var": m * running_var + (1 - m) * var}
        return {"running_mean": (1 - m) * running_mean + m * mean, "running_var": (1 - m) * running_var + m * var}
    return variant


def channels_mixed(scale_flat):
    """Statistics per column of x.reshape(-1, C): channels and positions mixed for 3-D and 4-D x;
    gamma and beta applied to those columns (``scale_flat``) or to the true channels."""
    def variant(sample, dout):
        x, gamma, beta, *_ = sample.args
        eps = sample.kwargs.get("eps", 1e-5)

        def op(x, gamma, beta):
            x_hat = normalize(x.reshape(-1, x.shape[1]), (0,), eps)
            if scale_flat:
                return (gamma * x_hat + beta).reshape(x.shape)
            return per_channel(gamma, x.ndim) * x_hat.reshape(x.shape) + per_channel(beta, x.ndim)

        return vars(run(op, {"x": x, "gamma": gamma, "beta": beta}, dout))
    return variant


def eval_backward_like_training(sample, dout):
    """In eval, dx through the training formula (mean terms included) with the running statistics."""
    x, gamma, _, running_mean, running_var = (np.asarray(a, np.float64) for a in sample.args)
    axes, shape = channel_axes(x), (1, -1) + (1,) * (x.ndim - 2)
    inv_std = 1 / np.sqrt(running_var.reshape(shape) + sample.kwargs.get("eps", 1e-5))
    x_hat = (x - running_mean.reshape(shape)) * inv_std
    g = np.asarray(dout, np.float64) * gamma.reshape(shape)
    return {"dx": inv_std * (g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))}


def training(sample):
    return sample.kwargs.get("training", True)


def dgamma_over_batch_only(op_name):
    """dgamma and dbeta summed over the batch axis only: shaped (C, *spatial) for images."""
    def variant(sample, dout):
        from assignments.a2_normalization import oracles

        right = getattr(oracles, op_name)(sample, dout)
        g = np.asarray(dout, np.float64)
        x_hat_times_gamma = np.asarray(right.out, np.float64) - per_channel_np(sample.args[2], g.ndim)
        x_hat = x_hat_times_gamma / per_channel_np(sample.args[1], g.ndim)
        return {"dgamma": (g * x_hat).sum(axis=0), "dbeta": g.sum(axis=0)}
    return variant


def per_channel_np(a, ndim):
    return np.asarray(a, np.float64).reshape((1, -1) + (1,) * (ndim - 2))


BATCHNORM = [
    Misconception("batchnorm_eps_outside_sqrt", "batchnorm", ("out", "dx"),
                  "eps is added outside the square root; it goes inside: (x - mean) / np.sqrt(var + eps). The two "
                  "differ most where the variance is tiny.", AXES, batchnorm("eps_outside_sqrt")),
    Misconception("batchnorm_unbiased_variance", "batchnorm", ("out", "dx"),
                  "the normalization uses the unbiased variance (ddof=1); it divides by n (x.var(), ddof=0). Only "
                  "the running_var update uses n / (n - 1).", AXES, batchnorm("unbiased_variance"), applies=training),
    Misconception("batchnorm_statistics_treated_as_constants", "batchnorm", ("dx",),
                  "the backward treats the batch mean and variance as constants (dx = gamma * dout / std); they "
                  "depend on x: subtract mean(g) and x_hat * mean(g * x_hat), with g = gamma * dout.", BACKWARD,
                  batchnorm("statistics_constant"), applies=training),
    Misconception("batchnorm_variance_treated_as_constant", "batchnorm", ("dx",),
                  "the backward subtracts mean(g) but treats the variance as a constant: the term "
                  "- x_hat * mean(g * x_hat) is missing.", BACKWARD, batchnorm("variance_constant"), applies=training),
    Misconception("batchnorm_batch_statistics_in_eval", "batchnorm", ("out", "dx"),
                  "eval mode normalizes with the batch's statistics; it uses running_mean and running_var, and "
                  "updates nothing.", RUNNING, batchnorm("batch_statistics_in_eval"),
                  applies=lambda s: not training(s)),
    Misconception("batchnorm_eval_backward_like_training", "batchnorm", ("dx",),
                  "in eval mode the backward keeps the training formula's mean terms; the running statistics are "
                  "constants there: dx = gamma * dout / sqrt(running_var + eps).", RUNNING,
                  eval_backward_like_training, applies=lambda s: not training(s)),
    Misconception("batchnorm_channels_mixed", "batchnorm", ("out", "dx"),
                  "x.reshape(-1, C) on an (N, C, H, W) array mixes channels and positions (C is not the last axis); "
                  "take the statistics over axes (0, 2, 3), or move C last before reshaping.", BATCH,
                  channels_mixed(True), applies=lambda s: s.args[0].ndim > 2 and training(s)),
    Misconception("batchnorm_channels_mixed", "batchnorm", ("out", "dx"),
                  "x.reshape(-1, C) on an (N, C, H, W) array mixes channels and positions (C is not the last axis); "
                  "take the statistics over axes (0, 2, 3), or move C last before reshaping.", BATCH,
                  channels_mixed(False), applies=lambda s: s.args[0].ndim > 2 and training(s)),
    Misconception("batchnorm_dgamma_summed_over_batch_only", "batchnorm", ("dgamma", "dbeta"),
                  "dgamma and dbeta are summed over the batch axis only; gamma is broadcast over every axis but C, "
                  "so sum over all of them: axis=(0, 2, 3) for images.", BACKWARD, dgamma_over_batch_only("batchnorm"),
                  applies=lambda s: s.args[0].ndim > 2),
    Misconception("batchnorm_gamma_forgotten_in_backward", "batchnorm", ("dx",),
                  "dx leaves out gamma: the gradient reaching x_hat is g = gamma * dout, not dout.", BACKWARD,
                  without_gamma(batchnorm())),
    Misconception("running_var_overwritten", "batchnorm", ("running_var",),
                  "running_var is replaced by the batch's variance; it is a running average too: "
                  "running_var = (1 - momentum) * running_var + momentum * unbiased_var.", RUNNING,
                  running("var_overwritten"), applies=training),
    Misconception("running_var_biased", "batchnorm", ("running_var",),
                  "running_var is updated with the biased variance; PyTorch's running average uses the unbiased one, "
                  "var * n / (n - 1), although the normalization itself uses the biased one.", RUNNING,
                  running("biased"), applies=training),
    Misconception("momentum_flipped", "batchnorm", ("running_mean", "running_var"),
                  "momentum weighs the old value (Keras' convention); in PyTorch it is the weight of the new batch: "
                  "running = (1 - momentum) * running + momentum * batch_statistic.", RUNNING,
                  running("momentum_flipped"), applies=training),
    Misconception("running_stats_not_in_place", "batchnorm", ("running_mean", "running_var"),
                  "the caller's running statistics did not change: a new array (running_mean = ...) is lost when the "
                  "function returns; update in place: running_mean *= 1 - momentum; running_mean += momentum * mean.",
                  RUNNING, running("not_in_place"), applies=training),
]

MUTATIONS = {("batchnorm_forward", name): (
    "Likely mistake (batchnorm_batch_statistics_in_eval): in eval mode (training=False) batch norm normalizes with "
    f"running_mean and running_var and updates nothing. Read: {RUNNING}") for name in ("running_mean", "running_var")}


# ------------------------------------------------------------------ layer, instance and group norm


def norm_variant(op_name, axes_of, how=None, group=None):
    """What a layer/instance/group norm computes with statistics over ``axes_of(y, gamma)`` and
    the mistake ``how``; ``group(x, sample) -> (y, back)`` views x in groups first (and ``back``
    returns to x's layout)."""
    def variant(sample, dout):
        x, gamma, beta, *_ = sample.args
        eps = sample.kwargs.get("eps", 1e-5)

        def op(x, gamma, beta):
            y, back = group(x, sample) if group else (x, lambda t: t)
            x_hat = back(normalize(y, axes_of(y, gamma), eps, unbiased=how == "unbiased_variance",
                                   eps_outside=how == "eps_outside_sqrt", constant=CONSTANT.get(how, False)))
            if op_name == "layernorm":
                return gamma * x_hat + beta
            return per_channel(gamma, x.ndim) * x_hat + per_channel(beta, x.ndim)

        return vars(run(op, {"x": x, "gamma": gamma, "beta": beta}, dout))
    return variant


def backward_over_the_batch(op_name):
    """dx with the right statistics but the mean terms taken over the axes dgamma sums over (the
    batch, and the spatial axes of images): batch norm's backward pasted into a per-sample norm."""
    def variant(sample, dout):
        x, gamma = (np.asarray(a, np.float64) for a in sample.args[:2])
        eps, N = sample.kwargs.get("eps", 1e-5), x.shape[0]
        if op_name == "layernorm":
            y, stat, scale, means = x, trailing(x, gamma), gamma, (0,)
        else:
            y = x.reshape(N, sample.args[3], -1) if op_name == "groupnorm" else x
            stat, scale, means = (2,) if op_name == "groupnorm" else spatial(x, gamma), per_channel_np(gamma, x.ndim), channel_axes(x)
        inv_std = 1 / np.sqrt(y.var(axis=stat, keepdims=True) + eps)
        x_hat = ((y - y.mean(axis=stat, keepdims=True)) * inv_std).reshape(x.shape)
        inv_std = np.broadcast_to(inv_std, y.shape).reshape(x.shape)
        g = np.asarray(dout, np.float64) * scale
        return {"dx": inv_std * (g - g.mean(axis=means, keepdims=True) - x_hat * (g * x_hat).mean(axis=means, keepdims=True))}
    return variant


def trailing(y, gamma):
    return tuple(range(y.ndim - gamma.ndim, y.ndim))


def spatial(y, gamma):
    return tuple(range(2, y.ndim))


def within_group(y, gamma):
    return (2,)


def contiguous_groups(count=lambda sample: sample.args[3]):
    """Groups of neighbouring channels, ``count(sample)`` of them: x.reshape(N, G, -1)."""
    def group(x, sample):
        return x.reshape(x.shape[0], count(sample), -1), lambda t: t.reshape(x.shape)
    return group


def interleaved_groups(x, sample):
    """Channel c in group c % G: the channels reordered, then grouped."""
    G, C = sample.args[3], x.shape[1]
    order = [c for g in range(G) for c in range(C) if c % G == g]
    inverse = np.argsort(order)
    return x[:, order].reshape(x.shape[0], G, -1), lambda t: t.reshape(x.shape)[:, inverse]


def common(op_name, axes_of, group=None):
    """The mistakes every member of the family can make."""
    return [
        Misconception(f"{op_name}_gamma_forgotten_in_backward", op_name, ("dx",),
                      "dx leaves out gamma: the gradient reaching x_hat is g = gamma * dout, not dout.", BACKWARD,
                      without_gamma(norm_variant(op_name, axes_of, None, group))),
        Misconception(f"{op_name}_eps_outside_sqrt", op_name, ("out", "dx"),
                      "eps is added outside the square root; it goes inside: (x - mean) / np.sqrt(var + eps).", AXES,
                      norm_variant(op_name, axes_of, "eps_outside_sqrt", group)),
        Misconception(f"{op_name}_unbiased_variance", op_name, ("out", "dx"),
                      "the variance is the unbiased one (ddof=1); normalization divides by n (x.var(), ddof=0).", AXES,
                      norm_variant(op_name, axes_of, "unbiased_variance", group)),
        Misconception(f"{op_name}_statistics_treated_as_constants", op_name, ("dx",),
                      "the backward treats the mean and variance as constants; they depend on x: subtract mean(g) and "
                      "x_hat * mean(g * x_hat) over the normalized values, with g = gamma * dout.", BACKWARD,
                      norm_variant(op_name, axes_of, "statistics_constant", group)),
        Misconception(f"{op_name}_backward_over_the_batch", op_name, ("dx",),
                      "the backward takes its means over the batch (batch norm's formula, over the axes dgamma sums "
                      "over); the statistics here are per sample, so the means run over the normalized values only.",
                      BACKWARD, backward_over_the_batch(op_name)),
    ]


LAYERNORM = common("layernorm", trailing) + [
    Misconception("layernorm_variance_treated_as_constant", "layernorm", ("dx",),
                  "the backward subtracts mean(g) but treats the variance as a constant: the term "
                  "- x_hat * mean(g * x_hat) is missing.", BACKWARD,
                  norm_variant("layernorm", trailing, "variance_constant")),
    Misconception("layernorm_over_last_axis_only", "layernorm", ("out", "dx"),
                  "the statistics are taken over the last axis only; layer norm normalizes over the trailing "
                  "gamma.ndim axes: axes = tuple(range(x.ndim - gamma.ndim, x.ndim)).", OTHERS,
                  norm_variant("layernorm", lambda y, g: (y.ndim - 1,)), applies=lambda s: s.args[1].ndim > 1),
    Misconception("layernorm_over_all_but_the_batch", "layernorm", ("out", "dx"),
                  "the statistics are taken over every axis but the first; layer norm normalizes over the trailing "
                  "gamma.ndim axes only (a (N, L, D) input with gamma (D,) normalizes each of the N*L tokens).",
                  OTHERS, norm_variant("layernorm", lambda y, g: tuple(range(1, y.ndim))),
                  applies=lambda s: s.args[1].ndim < s.args[0].ndim - 1),
    Misconception("layernorm_over_the_batch", "layernorm", ("out", "dx"),
                  "the statistics are taken over the batch (one mean per feature: that is batch norm); layer norm "
                  "takes them per sample, over its trailing gamma.ndim axes.", OTHERS,
                  norm_variant("layernorm", lambda y, g: (0,))),
]
INSTANCENORM = common("instancenorm", spatial) + [
    Misconception("instancenorm_over_the_batch_too", "instancenorm", ("out", "dx"),
                  "the statistics are shared by the whole batch (that is batch norm); instance norm takes them per "
                  "sample and channel, over the spatial axes only: axes = tuple(range(2, x.ndim)).", OTHERS,
                  norm_variant("instancenorm", lambda y, g: (0,) + tuple(range(2, y.ndim)))),
    Misconception("instancenorm_over_the_channels_too", "instancenorm", ("out", "dx"),
                  "the statistics are shared by all channels of a sample (that is layer norm); instance norm takes "
                  "them per channel, over the spatial axes only.", OTHERS,
                  norm_variant("instancenorm", lambda y, g: tuple(range(1, y.ndim)))),
]
GROUPNORM = common("groupnorm", within_group, contiguous_groups()) + [
    Misconception("groupnorm_channels_interleaved", "groupnorm", ("out", "dx"),
                  "a group takes every G-th channel (channel c in group c % G); group g holds the contiguous channels "
                  "g*C/G .. (g+1)*C/G - 1: x.reshape(N, G, -1).", OTHERS,
                  norm_variant("groupnorm", within_group, group=interleaved_groups),
                  applies=lambda s: 1 < s.args[3] < s.args[0].shape[1]),
    Misconception("groupnorm_num_groups_as_group_size", "groupnorm", ("out", "dx"),
                  "num_groups is taken as the number of channels per group; it is the number of groups, each of "
                  "C // num_groups channels: x.reshape(N, num_groups, -1).", OTHERS,
                  norm_variant("groupnorm", within_group, group=contiguous_groups(lambda s: s.args[0].shape[1] // s.args[3])),
                  applies=lambda s: s.args[0].shape[1] // s.args[3] != s.args[3]),
    Misconception("groupnorm_without_spatial_axes", "groupnorm", ("out", "dx"),
                  "a group's statistics leave out the spatial axes; they run over the group's C // num_groups "
                  "channels and every spatial position: x.reshape(N, num_groups, -1).", OTHERS,
                  norm_variant("groupnorm", within_group,
                               group=lambda x, s: (x.reshape(x.shape[0], s.args[3], x.shape[1] // s.args[3], -1),
                                                   lambda t: t.reshape(x.shape))),
                  applies=lambda s: s.args[0].ndim > 2),
    Misconception("groupnorm_per_channel", "groupnorm", ("out", "dx"),
                  "the statistics are per channel (that is instance norm); group norm shares them across the "
                  "C // num_groups channels of a group: x.reshape(N, num_groups, -1).", OTHERS,
                  norm_variant("groupnorm", spatial), applies=lambda s: s.args[3] < s.args[0].shape[1]),
]

MISCONCEPTIONS = BATCHNORM + LAYERNORM + INSTANCENORM + GROUPNORM


def _like(argument, index):
    return lambda sample: f"This output is shaped like {argument}: {np.shape(sample.args[index])}."


SHAPE_RULES = {(op, what): _like(argument, index) for op in ("batchnorm", "layernorm", "instancenorm", "groupnorm")
               for what, argument, index in (("out", "x", 0), ("dx", "x", 0), ("dgamma", "gamma", 1),
                                             ("dbeta", "beta", 2))}
