"""The classic mistakes of assignment 4, each as what it computes.

Every variant is the torch.nn block of assignments/a4_residual/oracles.py with one thing changed
(``mistake=``), in float64 on the very inputs of a failing check, with autograd for the
gradients: when your output agrees with one of them, and not with the right answer, the
feedback names the mistake (assignments/common/diagnose.py). They are wrong on purpose. Running
statistics that never change are read off your parameters by the checks (checks.py).
"""

from __future__ import annotations

from typing import NamedTuple

from assignments.a4_residual import oracles
from assignments.a4_residual.samples import EXPANSION
from assignments.common.diagnose import Misconception

HANDOUT = "handouts/a4_residual.md"
BASIC, BACKWARD = f"{HANDOUT}#2-the-basic-block", f"{HANDOUT}#3-the-backward-pass"
BOTTLENECK, SHORTCUTS = f"{HANDOUT}#4-the-bottleneck-block", f"{HANDOUT}#5-shortcuts-options-a-b-and-c"
OPS = {"basic_block": "basic", "bottleneck_block": "bottleneck"}


def variant(kind, mistake):
    def compute(sample, dout):
        result = oracles.block(kind, sample, dout, mistake=mistake)
        running = {oracles.after_call(k): v for k, v in result.running.items()}
        return {"out": result.out} | running | ({"dx": result.dx} if dout is not None else {})
    return compute


# The running statistics by the names the checks give them (a block has some of them).
RUNNING_STATS = tuple(oracles.after_call(f"{bn}.{stat}") for bn in ("bn1", "bn2", "bn3", "downsample.1")
                      for stat in oracles.RUNNING)
FORWARD = ("out", "dx") + RUNNING_STATS


class Geometry(NamedTuple):
    """What a block call does to shapes, read off a sample."""

    kind: str  # "basic" or "bottleneck"
    stride: tuple  # (sh, sw)
    in_channels: int
    out_channels: int
    shortcut: str

    @property
    def shapes_match(self):
        return self.stride == (1, 1) and self.in_channels == self.out_channels


def geometry(sample) -> Geometry:
    x, params = sample.args
    stride = sample.kwargs.get("stride", 1)
    kind = "bottleneck" if "conv3.weight" in params else "basic"
    return Geometry(kind, (stride, stride) if isinstance(stride, int) else tuple(stride), x.shape[1],
                    EXPANSION[kind] * params["conv1.weight"].shape[0], sample.kwargs.get("shortcut", "B"))


def strided(sample):
    return geometry(sample).stride != (1, 1)


def option_a_widens(sample):
    g = geometry(sample)
    return g.shortcut == "A" and g.out_channels > g.in_channels


def option_a_strided(sample):
    """Option A with a stride where x[:, :, 1::s, 1::s] keeps the size of x[:, :, ::s, ::s] (else
    that mistake raises instead of computing)."""
    g, x = geometry(sample), sample.args[0]
    same_size = all(len(range(1, n, s)) == len(range(0, n, s)) for n, s in zip(x.shape[2:], g.stride))
    return g.shortcut == "A" and strided(sample) and same_size


def option_c_on_same_shape(sample):
    g = geometry(sample)
    return g.shortcut == "C" and g.shapes_match


def projected(sample):
    g = geometry(sample)
    return g.shortcut == "C" or (g.shortcut == "B" and not g.shapes_match)


def in_eval(sample):
    return not sample.kwargs.get("training", True)


def in_training(sample):
    return sample.kwargs.get("training", True)


def bottleneck(sample):
    return "conv3.weight" in sample.args[1]


# name, outputs, applies, what the feedback says, where to read
MISTAKES = [
    ("final_relu_missing", ("out", "dx"), lambda s: True,
     "the block returns F(x) + shortcut(x) without the last ReLU; the block's output is relu(F(x) + shortcut(x)), "
     "and its backward masks dout with (out > 0) before it splits into the two paths.", BASIC),
    ("relu_before_addition", ("out", "dx"), lambda s: True,
     "the last ReLU is applied to the branch before the addition, relu(F(x)) + shortcut(x); it comes after it, "
     "relu(F(x) + shortcut(x)), so the branch's last batch norm reaches the sum unclipped.", BASIC),
    ("stride_on_wrong_conv", FORWARD, strided,
     "the stride is on the wrong convolution: in torchvision's BasicBlock conv1 (3x3) carries it, and in the "
     "Bottleneck the 3x3 conv2 does (not the first 1x1, as in the original Caffe model).", BOTTLENECK),
    ("option_a_pads_in_front", ("out", "dx"), option_a_widens,
     "option A puts the zero channels before the input's channels; the contract appends them after: out[:, :C] "
     "holds x[:, :, ::s, ::s] and out[:, C:] is zero.", SHORTCUTS),
    ("option_a_pads_both_sides", ("out", "dx"), option_a_widens,
     "option A splits the zero channels between both sides (as some CIFAR code does with F.pad(..., (0, 0, 0, 0, "
     "p, p))); the contract appends all of them after the input's channels.", SHORTCUTS),
    ("option_a_subsample_offset", ("out", "dx"), option_a_strided,
     "option A subsamples from the wrong origin (x[:, :, 1::s, 1::s]); the 3x3 conv with padding 1 and stride s "
     "centres its windows on rows and columns 0, s, 2s, ...: x[:, :, ::s, ::s].", SHORTCUTS),
    ("option_c_identity", ("out", "dx"), option_c_on_same_shape,
     "option C uses the identity when the shapes match; C always projects: bn(conv1x1(x)) with the downsample "
     "parameters, whatever the shapes (B projects only when they differ).", SHORTCUTS),
    ("projection_without_bn", FORWARD, projected,
     "the projection shortcut skips its batch norm; it is downsample.1(downsample.0(x)): the 1x1 convolution, "
     "then batch norm with the downsample.1.* parameters.", SHORTCUTS),
    ("padding_one_everywhere", ("out",), bottleneck,
     "every convolution gets padding 1, the 1x1 ones too, so each 1x1 conv grows the image by 2 and the branch no "
     "longer matches the shortcut; the padding is kernel_size // 2: 0 for a 1x1 conv, 1 for a 3x3.", BOTTLENECK),
    ("running_momentum_swapped", RUNNING_STATS, in_training,
     "the running statistics keep 0.1 of the old value and take 0.9 of the batch's; PyTorch's momentum is the "
     "weight of the NEW value: running = (1 - 0.1) * running + 0.1 * batch.", BASIC),
    ("running_var_biased", RUNNING_STATS, in_training,
     "the running variance is updated with the biased batch variance; normalizing uses the biased one (divide by "
     "n), but running_var takes the unbiased one (divide by n - 1), as PyTorch.", BASIC),
    ("training_flag_ignored", ("out", "dx"), in_eval,
     "in eval mode (training=False) the block still normalizes with the batch statistics; pass training on to "
     "every batch norm, so that eval uses (and leaves alone) the running statistics.", BASIC),
    ("shortcut_gradient_dropped", ("dx",), lambda s: True,
     "dx holds only the branch's gradient; the shortcut carries x to the sum too, so dx = dx_branch + dx_shortcut "
     "(the identity's gradient is the masked dout itself): the gradient highway of the paper.", BACKWARD),
    ("final_relu_mask_only_on_branch", ("dx",), lambda s: True,
     "the last ReLU's mask reaches only the branch; both paths get the same masked gradient, d = dout * (out > 0), "
     "since the ReLU comes after the sum.", BACKWARD),
    ("inner_relu_mask_missing", ("dx",), lambda s: True,
     "the backward skips the ReLU inside the branch: multiply the gradient by (h > 0), with h that ReLU's output, "
     "before going back through the batch norm and convolution under it.", BACKWARD),
]

SHAPE_ONLY = {"padding_one_everywhere"}
ONLY_IN = {"padding_one_everywhere": "bottleneck_block"}  # a basic block has no 1x1 conv to pad
MISCONCEPTIONS = [Misconception(name, op, outputs, says, read, variant(kind, name), applies, shape_only=name in SHAPE_ONLY)
                  for op, kind in OPS.items() for name, outputs, applies, says, read in MISTAKES
                  if ONLY_IN.get(name, op) == op]

# Read off the parameters by check_running_stats: they need no variant.
RUNNING = Misconception(
    "running_stats_not_in_place", "block_running_stats", (),
    "the running statistics in params are not updated in training: update the caller's arrays in place (batch "
    "norm does, given params[...] itself; a copy such as params[k].astype(...) or params[k] + 0 is lost).",
    BASIC, variant=lambda sample, dout: {})
MISCONCEPTIONS.append(RUNNING)

MUTATIONS = {(f"{op}_forward", f"params[{key!r}]"): (
    "Likely mistake (training_flag_ignored): in eval mode (training=False) the block changed the running "
    "statistics: pass training on to every batch norm; eval normalizes with the running statistics and updates "
    f"nothing. Read: {BASIC}")
    for op in OPS for bn in ("bn1", "bn2", "bn3", "downsample.1") for key in (f"{bn}.running_mean", f"{bn}.running_var")}
