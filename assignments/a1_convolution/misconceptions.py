"""The classic mistakes of assignment 1, each as what it computes.

Every variant is PyTorch in float64 on the very inputs of a failing check (or a small numpy
routine where PyTorch has no such wrong operator): when your output agrees with one of them,
and not with the right answer, the feedback names the mistake (assignments/common/diagnose.py).
They are here for the feedback, not for you to copy: each one is wrong on purpose.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from assignments.common.diagnose import Misconception
from assignments.common.oracles import run

HANDOUT = "handouts/a1_convolution.md"
FLIP, FORWARD, BACKWARD = (f"{HANDOUT}#1-cross-correlation-not-convolution", f"{HANDOUT}#2-the-forward-pass",
                           f"{HANDOUT}#4-the-backward-pass")
GROUPS, POOL = f"{HANDOUT}#5-dilation-and-groups", f"{HANDOUT}#6-max-pooling"


def pair(v):
    return (v, v) if isinstance(v, (int, np.integer)) else tuple(v)


def conv_args(sample):
    """x, w, b and the four knobs as pairs (groups an int) from a conv2d sample."""
    x, w, b = sample.args
    k = sample.kwargs
    return x, w, b, pair(k.get("stride", 1)), pair(k.get("padding", 0)), pair(k.get("dilation", 1)), k.get("groups", 1)


def conv(sample, dout, op):
    """``op(x, w, b)`` (tensors) through autograd: {"out", "dx", "dw", "db"}."""
    x, w, b = sample.args
    return vars(run(op, {"x": x, "w": w, "b": b}, dout))


def conv_with(sample, dout, **changed):
    """F.conv2d with some of the knobs changed (the learner ignored them)."""
    kwargs = sample.kwargs | changed
    return conv(sample, dout, lambda x, w, b: F.conv2d(x, w, b, **kwargs))


def undilated(sample, dout):
    """Taps next to each other, over the output size that the dilation gives."""
    x, w, b, stride, padding, (dh, dw), groups = conv_args(sample)
    oh = size(x.shape[2], w.shape[2], stride[0], padding[0], dh, "floor")
    ow = size(x.shape[3], w.shape[3], stride[1], padding[1], dw, "floor")
    return conv(sample, dout, lambda x, w, b: F.conv2d(x, w, b, stride, padding, 1, groups)[..., :oh, :ow])


def size(n, k, s, p, d, rounding):
    """One output size under a rounding rule: the formula, or a way of getting it wrong."""
    span = n + 2 * p - d * (k - 1) - 1
    return {"floor": span // s + 1, "no_minus_one": (span + 1) // s + 1, "no_plus_one": span // s,
            "round": round(span / s) + 1, "ceil": math.ceil(span / s) + 1}[rounding]


def conv_sized(rounding):
    """A conv output of the size a wrong formula gives (only the shape is known)."""
    def variant(sample, dout):
        x, w, _, (sh, sw), (ph, pw), (dh, dw), _ = conv_args(sample)
        shape = (x.shape[0], w.shape[0], size(x.shape[2], w.shape[2], sh, ph, dh, rounding),
                 size(x.shape[3], w.shape[3], sw, pw, dw, rounding))
        return {"out": np.zeros(shape)}
    return variant


def padded_one_side(sample, dout):
    """Zeros before the first row and column only, then no padding."""
    _, _, _, stride, (ph, pw), dilation, groups = conv_args(sample)
    return conv(sample, dout, lambda x, w, b: F.conv2d(F.pad(x, (pw, 0, ph, 0)), w, b, stride, 0, dilation, groups))


def grouped_channels(order):
    """Group g reads the wrong channels: "interleaved" (c % groups == g) or "first" (group 0's)."""
    def variant(sample, dout):
        *_, groups = conv_args(sample)
        C = sample.args[0].shape[1]
        if order == "interleaved":
            index = [c for g in range(groups) for c in range(C) if c % groups == g]
        else:
            index = list(range(C // groups)) * groups
        kwargs = sample.kwargs
        return conv(sample, dout, lambda x, w, b: F.conv2d(x[:, index], w, b, **kwargs))
    return variant


def padded_dx(crop):
    """The gradient with respect to the padded input, cropped ``crop``: "start" (the first H, W
    rows and columns instead of the middle ones) or "none" (the padded gradient returned)."""
    def variant(sample, dout):
        x, w, b, (sh, sw), (ph, pw), (dh, dwl), groups = conv_args(sample)
        x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        grads = vars(run(lambda x, w, b: F.conv2d(x, w, b, (sh, sw), 0, (dh, dwl), groups),
                         {"x": x_pad, "w": w, "b": b}, dout))
        H, W = x.shape[2:]
        return {"dx": grads["dx"][:, :, :H, :W] if crop == "start" else grads["dx"]}
    return variant


def one_side_twice(sample, dout):
    """All 2p zeros after the input (TensorFlow's SAME style), none before."""
    _, _, _, stride, (ph, pw), dilation, groups = conv_args(sample)
    return conv(sample, dout, lambda x, w, b: F.conv2d(F.pad(x, (0, 2 * pw, 0, 2 * ph)), w, b, stride, 0, dilation,
                                                       groups))


def filters_interleaved_in_backward(sample, dout):
    """The backward splits dout's filters into groups as f % groups: dx and dw computed from
    dout with its filters reordered (the forward was right)."""
    *_, groups = conv_args(sample)
    F_ = sample.args[1].shape[0]
    Fg = F_ // groups
    order = [k * groups + g for g in range(groups) for k in range(Fg)]
    grads = conv(sample, np.asarray(dout)[:, order], lambda x, w, b: F.conv2d(x, w, b, **sample.kwargs))
    return {"dx": grads["dx"], "dw": grads["dw"]}


def stride_ignored_dx(sample, dout):
    """col2im adds each tap's gradient into a contiguous OH x OW block, not every sh-th row."""
    x, w, _, (sh, sw), (ph, pw), (dh, dwl), groups = conv_args(sample)
    (N, C, H, W), (F_, Cg, KH, KW) = x.shape, w.shape
    Fg, dout, w = F_ // groups, np.asarray(dout, np.float64), np.asarray(w, np.float64)
    OH, OW = dout.shape[2:]
    dx_pad = np.zeros((N, C, H + 2 * ph + sh * OH, W + 2 * pw + sw * OW))
    for g in range(groups):
        for u in range(KH):
            for v in range(KW):
                contribution = np.einsum("nfhw,fc->nchw", dout[:, g * Fg:(g + 1) * Fg], w[g * Fg:(g + 1) * Fg, :, u, v])
                dx_pad[:, g * Cg:(g + 1) * Cg, u * dh:u * dh + OH, v * dwl:v * dwl + OW] += contribution
    return {"dx": dx_pad[:, :, ph:ph + H, pw:pw + W]}


def overwritten_dx(sample, dout):
    """dx_pad[slice] = contribution instead of +=, tap after tap: where windows overlap, the
    last tap (in u, v order) writing a position wins."""
    x, w, _, (sh, sw), (ph, pw), (dh, dwl), groups = conv_args(sample)
    (N, C, H, W), (F_, Cg, KH, KW) = x.shape, w.shape
    Fg, dout, w = F_ // groups, np.asarray(dout, np.float64), np.asarray(w, np.float64)
    OH, OW = dout.shape[2:]
    dx_pad = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    for g in range(groups):
        for u in range(KH):
            for v in range(KW):
                contribution = np.einsum("nfhw,fc->nchw", dout[:, g * Fg:(g + 1) * Fg], w[g * Fg:(g + 1) * Fg, :, u, v])
                dx_pad[:, g * Cg:(g + 1) * Cg, u * dh:u * dh + sh * (OH - 1) + 1:sh,
                       v * dwl:v * dwl + sw * (OW - 1) + 1:sw] = contribution
    return {"dx": dx_pad[:, :, ph:ph + H, pw:pw + W]}


def cropped_with_negative_indices(sample, dout):
    """dx_pad[:, :, ph:-ph, pw:-pw]: empty along an axis whose padding is 0 (only the shape counts)."""
    x, _, _, _, (ph, pw), _, _ = conv_args(sample)
    N, C, H, W = x.shape
    return {"dx": np.zeros((N, C, H if ph else 0, W if pw else 0))}


def scaled(name, factor):
    """The right gradient ``name``, times ``factor(sample)`` (averaged instead of summed: 1/N)."""
    def variant(sample, dout):
        from assignments.a1_convolution import oracles

        value = getattr(oracles.conv2d(sample, dout), name)
        return {name: None if value is None else value * factor(sample)}
    return variant


def has(key, default):
    return lambda sample: sample.kwargs.get(key, default) not in (default, (default, default))


CONV2D = [
    Misconception("kernel_flipped", "conv2d", ("out", "dx", "dw"),
                  "you flipped the kernel (a true convolution); deep-learning convolution is cross-correlation: "
                  "out[i, j] sums w[u, v] * x[i*s + u*d, j*s + v*d], no flip, no w[KH-1-u, KW-1-v].", FLIP,
                  lambda s, d: conv(s, d, lambda x, w, b: F.conv2d(x, w.flip(-1, -2), b, **s.kwargs))),
    Misconception("bias_forgotten", "conv2d", ("out",),
                  "the bias is never added: out[:, f] += b[f] after the sum over channels and taps.", FORWARD,
                  lambda s, d: conv(s, d, lambda x, w, b: F.conv2d(x, w, None, **s.kwargs)),
                  applies=lambda s: s.args[2] is not None),
    Misconception("one_sided_padding", "conv2d", ("out",),
                  "the padding is added on one side only; padding p adds p zeros on both sides of each spatial axis "
                  "(np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))).", FORWARD,
                  lambda s, d: padded_one_side(s, d), applies=has("padding", 0)),
    Misconception("one_sided_padding", "conv2d", ("out",),
                  "all the padding is added after the input (TensorFlow's SAME style); padding p adds p zeros on "
                  "both sides of each spatial axis.", FORWARD, one_side_twice, applies=has("padding", 0)),
    Misconception("kernel_transposed", "conv2d", ("out", "dx", "dw"),
                  "the kernel's spatial axes are swapped (w[f, c, v, u]); w is (F, C // groups, KH, KW): tap (u, v) "
                  "is w[:, :, u, v], u along the rows.", FORWARD,
                  lambda s, d: conv(s, d, lambda x, w, b: F.conv2d(x, w.transpose(-1, -2), b, **s.kwargs)),
                  applies=lambda s: s.args[1].shape[2] == s.args[1].shape[3]),
    Misconception("stride_ignored", "conv2d", ("out",),
                  "the stride is ignored: output (i, j) reads input rows i*sh + u*dh, columns j*sw + v*dw.", FORWARD,
                  lambda s, d: conv_with(s, d, stride=1), applies=has("stride", 1)),
    Misconception("dilation_ignored", "conv2d", ("out",),
                  "the dilation is ignored: tap (u, v) reads x_pad[..., i*sh + u*dh, j*sw + v*dw], dh - 1 pixels "
                  "between taps.", GROUPS, undilated, applies=has("dilation", 1)),
    Misconception("groups_interleaved", "conv2d", ("out", "dx", "dw"),
                  "the channels of a group are interleaved (c % groups == g); group g holds the contiguous channels "
                  "g*C/groups .. (g+1)*C/groups - 1.", GROUPS, grouped_channels("interleaved"), applies=has("groups", 1)),
    Misconception("groups_miswired", "conv2d", ("out", "dx", "dw"),
                  "every group reads the first group's channels; group g reads x[:, g*Cg:(g+1)*Cg] with its own "
                  "filters w[g*Fg:(g+1)*Fg].", GROUPS, grouped_channels("first"), applies=has("groups", 1)),
    Misconception("output_size_off_by_one", "conv2d", ("out",),
                  "the output size is off by one: OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1 (the -1 and the +1 both "
                  "belong).", FORWARD, conv_sized("no_minus_one"), shape_only=True),
    Misconception("output_size_missing_plus_one", "conv2d", ("out",),
                  "the output size misses the + 1 (the first window is an output too): "
                  "OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1.", FORWARD, conv_sized("no_plus_one"), shape_only=True),
    Misconception("output_size_rounded", "conv2d", ("out",),
                  "the output size is rounded (or rounded up); a window that does not fit is dropped: floor division, "
                  "OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1.", FORWARD, conv_sized("round"), shape_only=True),
    Misconception("output_size_ceil", "conv2d", ("out",),
                  "the output size is rounded up; a window that does not fit is dropped: floor division, "
                  "OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1.", FORWARD, conv_sized("ceil"), shape_only=True),
    Misconception("dw_averaged_over_batch", "conv2d", ("dw",),
                  "dw is averaged over the batch; a gradient sums over every sample: dw[f, c, u, v] = sum over n, i, j.",
                  BACKWARD, scaled("dw", lambda s: 1 / s.args[0].shape[0]), applies=lambda s: s.args[0].shape[0] > 1),
    Misconception("db_averaged_over_batch", "conv2d", ("db",),
                  "db is averaged over the batch; it sums dout over the batch and both spatial axes: "
                  "db = dout.sum(axis=(0, 2, 3)).", BACKWARD, scaled("db", lambda s: 1 / s.args[0].shape[0]),
                  applies=lambda s: s.args[0].shape[0] > 1 and s.args[2] is not None),
    Misconception("dx_cropped_wrong", "conv2d", ("dx",),
                  "dx is cropped from the wrong place: drop the padding on both sides, dx = dx_pad[:, :, ph:ph+H, pw:pw+W].",
                  BACKWARD, padded_dx("start"), applies=has("padding", 0)),
    Misconception("groups_interleaved_in_backward", "conv2d", ("dx", "dw"),
                  "the backward splits the filters into groups differently from the forward (f % groups); filter f "
                  "belongs to group f // (F / groups), in both passes: dout[:, g*Fg:(g+1)*Fg].", GROUPS,
                  filters_interleaved_in_backward, applies=has("groups", 1)),
    Misconception("dx_stride_ignored", "conv2d", ("dx",),
                  "dx adds each tap's gradient into a contiguous block; with stride s the taps sit s pixels apart: "
                  "dx_pad[:, :, u*dh : u*dh + sh*(OH-1) + 1 : sh, ...] += contribution.", BACKWARD, stride_ignored_dx,
                  applies=has("stride", 1)),
    Misconception("dx_overlap_overwritten", "conv2d", ("dx",),
                  "dx is assigned (=) where windows overlap; a pixel seen by several windows collects the gradient "
                  "of each: dx_pad[...] += contribution (col2im accumulates).", BACKWARD, overwritten_dx),
    Misconception("dx_crop_empty_without_padding", "conv2d", ("dx",),
                  "dx_pad[:, :, ph:-ph] is empty when ph = 0 (-0 is 0); crop with the size: "
                  "dx_pad[:, :, ph:ph + H, pw:pw + W].", BACKWARD, cropped_with_negative_indices, shape_only=True,
                  applies=lambda s: 0 in conv_args(s)[4]),
    Misconception("dx_still_padded", "conv2d", ("dx",),
                  "dx still has the padding: return dx_pad[:, :, ph:ph+H, pw:pw+W], shaped like x.", BACKWARD,
                  padded_dx("none"), applies=has("padding", 0)),
]


# ------------------------------------------------------------------ max-pooling


def pool_args(sample):
    (x,) = sample.args
    k = sample.kwargs
    kh, kw = pair(k["kernel_size"])
    stride = k.get("stride")
    sh, sw = (kh, kw) if stride is None else pair(stride)
    return x, (kh, kw), (sh, sw), pair(k.get("padding", 0))


def pool(sample, dout, op):
    (x,) = sample.args
    return vars(run(op, {"x": x}, dout))


def zero_padded_pool(sample, dout):
    _, kernel, stride, (ph, pw) = pool_args(sample)
    return pool(sample, dout, lambda x: F.max_pool2d(F.pad(x, (pw, pw, ph, ph)), kernel, stride))


def pool_sized(rule):
    def variant(sample, dout):
        x, (kh, kw), (sh, sw), (ph, pw) = pool_args(sample)
        oh = size(x.shape[2], kh, sh, ph, 1, rule if rule != "square" else "floor")
        ow = oh if rule == "square" else size(x.shape[3], kw, sw, pw, 1, rule)
        return {"out": np.zeros(x.shape[:2] + (oh, ow))}
    return variant


def windows(sample):
    """The -inf padded input as windows: (N, C, KH*KW, L) with L the output positions."""
    x, (kh, kw), (sh, sw), (ph, pw) = pool_args(sample)
    t = F.pad(torch.tensor(np.asarray(x, np.float64)), (pw, pw, ph, ph), value=-math.inf)
    N, C = x.shape[:2]
    return t, F.unfold(t.reshape(N * C, 1, *t.shape[2:]), (kh, kw), stride=(sh, sw)).reshape(N, C, kh * kw, -1)


def routed(how):
    """dx when each window's dout goes to "ties" (every position equal to the window's maximum)
    or "transposed" (the maximum's row and column swapped inside a square window)."""
    def variant(sample, dout):
        x, (kh, kw), (sh, sw), (ph, pw) = pool_args(sample)
        t, cols = windows(sample)
        g = torch.tensor(np.asarray(dout, np.float64)).reshape(*cols.shape[:2], 1, -1)
        if how == "ties":
            weight = (cols == cols.max(dim=2, keepdim=True).values).double()
        else:
            first = cols.argmax(dim=2, keepdim=True)
            weight = torch.zeros_like(cols).scatter_(2, (first % kw) * kw + first // kw, 1.0)
        N, C = x.shape[:2]
        dx_pad = F.fold((weight * g).reshape(N * C, kh * kw, -1), t.shape[2:], (kh, kw), stride=(sh, sw))
        return {"dx": dx_pad.reshape(N, C, *t.shape[2:])[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]}
    return variant


def overlapping_overwritten(sample, dout, origin_by_kernel=False):
    """dx[index] += dout with numpy fancy indexing: a position won by several windows gets one;
    ``origin_by_kernel``: each window's origin taken as (i*KH, j*KW), not (i*sh, j*sw), accumulated
    (it raises, as the learner's code does, where such an origin runs past the input)."""
    x, (kh, kw), (sh, sw), (ph, pw) = pool_args(sample)
    _, cols = windows(sample)
    first = cols.argmax(dim=2).numpy()  # (N, C, L)
    OW = (x.shape[3] + 2 * pw - kw) // sw + 1
    step_h, step_w = (kh, kw) if origin_by_kernel else (sh, sw)
    L = np.arange(first.shape[-1])
    rows = (L // OW) * step_h + first // kw
    columns = (L % OW) * step_w + first % kw
    dx_pad = np.zeros(x.shape[:2] + (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw))
    n, c = np.indices(first.shape[:2])
    g = np.asarray(dout, np.float64).reshape(first.shape)
    if origin_by_kernel:
        np.add.at(dx_pad, (n[..., None], c[..., None], rows, columns), g)
    else:
        dx_pad[n[..., None], c[..., None], rows, columns] += g
    return {"dx": dx_pad[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]}


def origins_by_kernel_fit(sample):
    """Windows placed every KH rows and KW columns stay inside the padded input (elsewhere that
    mistake raises an IndexError rather than giving an output)."""
    x, (kh, kw), (sh, sw), (ph, pw) = pool_args(sample)
    OH, OW = (x.shape[2] + 2 * ph - kh) // sh + 1, (x.shape[3] + 2 * pw - kw) // sw + 1
    return OH * kh <= x.shape[2] + 2 * ph and OW * kw <= x.shape[3] + 2 * pw


def overlapping(sample):
    _, (kh, kw), (sh, sw), _ = pool_args(sample)
    return sh < kh or sw < kw


MAXPOOL2D = [
    Misconception("maxpool_zero_padding", "maxpool2d", ("out",),
                  "the padding holds zeros; max-pooling pads with -inf, so a padded position never wins "
                  "(np.pad(..., constant_values=-np.inf)).", POOL,
                  lambda s, d: zero_padded_pool(s, d), applies=has("padding", 0)),
    Misconception("maxpool_default_stride_1", "maxpool2d", ("out",),
                  "stride=None is taken as 1; it means stride = kernel_size (windows side by side).", POOL,
                  lambda s, d: pool(s, d, lambda x: F.max_pool2d(x, **(s.kwargs | {"stride": 1}))),
                  applies=lambda s: s.kwargs.get("stride") is None),
    Misconception("maxpool_size_rounded", "maxpool2d", ("out",),
                  "the output size is rounded; a window that does not fit is dropped: OH = (H + 2*ph - KH) // sh + 1.",
                  POOL, pool_sized("round"), shape_only=True),
    Misconception("maxpool_size_ceil", "maxpool2d", ("out",),
                  "the output size is rounded up (PyTorch's ceil_mode); the default drops a window that does not fit: "
                  "OH = (H + 2*ph - KH) // sh + 1.", POOL, pool_sized("ceil"), shape_only=True),
    Misconception("maxpool_output_taken_square", "maxpool2d", ("out",),
                  "the output is taken square (OW = OH); compute OH from H, KH, sh, ph and OW from W, KW, sw, pw.",
                  POOL, pool_sized("square"), shape_only=True),
    Misconception("maxpool_gradient_to_every_position", "maxpool2d", ("dx",),
                  "each window's gradient goes to every position of the window; it goes to the one position that "
                  "held the maximum (the argmax), all others get 0.", POOL,
                  lambda s, d: pool(s, d, lambda x: F.avg_pool2d(x, **s.kwargs, count_include_pad=True)
                                    * (pool_args(s)[1][0] * pool_args(s)[1][1]))),
    Misconception("maxpool_gradient_averaged", "maxpool2d", ("dx",),
                  "each window's gradient is spread evenly over the window (average-pooling's backward); max-pooling "
                  "sends all of it to the maximum.", POOL,
                  lambda s, d: pool(s, d, lambda x: F.avg_pool2d(x, **s.kwargs, count_include_pad=True))),
    Misconception("maxpool_gradient_to_every_tie", "maxpool2d", ("dx",),
                  "a window whose maximum appears twice sends its gradient to both; exactly one position (say the "
                  "first argmax) takes all of it.", POOL, routed("ties")),
    Misconception("maxpool_argmax_transposed", "maxpool2d", ("dx",),
                  "the argmax of a window is unravelled with row and column swapped: index k of a KH x KW window is "
                  "row k // KW, column k % KW (np.unravel_index(k, (KH, KW))).", POOL, routed("transposed"),
                  applies=lambda s: pool_args(s)[1][0] == pool_args(s)[1][1]),
    Misconception("maxpool_overlap_overwritten", "maxpool2d", ("dx",),
                  "where windows overlap, a position that wins several windows keeps only one window's gradient "
                  "(dx[idx] += g with repeated indices, or = instead of +=); accumulate with np.add.at or a loop "
                  "with +=.", POOL, overlapping_overwritten, applies=overlapping),
    Misconception("maxpool_window_origin_by_kernel", "maxpool2d", ("dx",),
                  "the backward places window (i, j) at (i*KH, j*KW); windows start every stride: (i*sh, j*sw) "
                  "(the two agree only when the stride equals the kernel size).", POOL,
                  lambda s, d: overlapping_overwritten(s, d, origin_by_kernel=True),
                  applies=lambda s: pool_args(s)[2] != pool_args(s)[1] and origins_by_kernel_fit(s)),
]

MISCONCEPTIONS = CONV2D + MAXPOOL2D


def _conv_rule(sample):
    x, w, _, (sh, sw), (ph, pw), (dh, dw), _ = conv_args(sample)
    (N, _, H, W), (F_, _, KH, KW) = x.shape, w.shape
    oh, ow = size(H, KH, sh, ph, dh, "floor"), size(W, KW, sw, pw, dw, "floor")
    return (f"The output is (N, F, OH, OW) = ({N}, {F_}, {oh}, {ow}): OH = (H + 2*ph - dh*(KH-1) - 1) // sh + 1 = "
            f"({H} + 2*{ph} - {dh}*{KH - 1} - 1) // {sh} + 1 = {oh}, and OW = ({W} + 2*{pw} - {dw}*{KW - 1} - 1) "
            f"// {sw} + 1 = {ow}.")


def _pool_rule(sample):
    x, (kh, kw), (sh, sw), (ph, pw) = pool_args(sample)
    N, C, H, W = x.shape
    oh, ow = size(H, kh, sh, ph, 1, "floor"), size(W, kw, sw, pw, 1, "floor")
    return (f"The output is (N, C, OH, OW) = ({N}, {C}, {oh}, {ow}): OH = (H + 2*ph - KH) // sh + 1 = "
            f"({H} + 2*{ph} - {kh}) // {sh} + 1 = {oh}, and OW = ({W} + 2*{pw} - {kw}) // {sw} + 1 = {ow}.")


SHAPE_RULES = {("conv2d", "out"): _conv_rule, ("maxpool2d", "out"): _pool_rule,
               ("conv2d", "dx"): lambda s: f"dx is shaped like x: {s.args[0].shape}.",
               ("maxpool2d", "dx"): lambda s: f"dx is shaped like x: {s.args[0].shape}."}
