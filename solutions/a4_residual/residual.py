"""Assignment 4: residual blocks (He et al., 2016, "Deep Residual Learning for Image
Recognition"), forward and backward, in numpy.

Read handouts/a4_residual.md first. A block computes relu(F(x) + shortcut(x)): the residual
branch F is convolution + batch norm layers, the shortcut is the identity where the shapes
allow and a projection (a 1x1 convolution with its batch norm) or zero padding where they do not.

Parameters are a dict keyed like the state_dict() of torchvision's BasicBlock / Bottleneck
("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", ...,
"downsample.0.weight", "downsample.1.*"); convolutions have no bias. Batch norm uses momentum
0.1 and eps 1e-5, and in training updates the running statistics in place.

Build the blocks from the layers of assignments 1 and 2, through the kit's dispatch (the fast
kernels where they ship, otherwise your own code; the grader always uses the fast kernels):

    layers.conv2d_forward(x, w, b=None, stride=1, padding=0) -> (out, cache)
    layers.conv2d_backward(dout, cache) -> (dx, dw, db)
    layers.batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps)
    layers.batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)

Run the visible tests with:  pytest assignments/a4_residual
"""

import numpy as np

from assignments.common import layers

BN_MOMENTUM, BN_EPS = 0.1, 1e-5
SHORTCUTS = ("A", "B", "C")

# The residual branch of each block: (conv, its batch norm, kernel size, carries the stride).
BASIC = (("conv1", "bn1", 3, True), ("conv2", "bn2", 3, False))
BOTTLENECK = (("conv1", "bn1", 1, False), ("conv2", "bn2", 3, True), ("conv3", "bn3", 1, False))
PROJECTION = ("downsample.0", "downsample.1", 1, True)  # the 1x1 conv of options B and C, and its BN


def _check(condition, message):
    """Raise ValueError(message) unless condition holds (given: the argument checks use it)."""
    if not condition:
        raise ValueError(message)


def _stride_pair(stride):
    """stride as (sh, sw) from an int or a pair (given)."""
    pair = (stride, stride) if isinstance(stride, (int, np.integer)) else tuple(stride)
    _check(len(pair) == 2 and all(isinstance(s, (int, np.integer)) and s >= 1 for s in pair),
           f"stride must be a positive int or a pair of them, got {stride!r}")
    return int(pair[0]), int(pair[1])


def conv_bn_forward(x, params, layer, stride, training):
    """bn(conv(x)) for one layer of a block's spec, e.g. ("conv1", "bn1", 3, True): a KxK
    convolution without bias, padding K // 2, the block's stride where the layer carries it,
    then batch norm with its four arrays from ``params``.

    Returns:
        (out (N, F, OH, OW), cache).
    """
    ### BEGIN SOLUTION
    conv, bn, k, strided = layer
    out, conv_cache = layers.conv2d_forward(x, params[f"{conv}.weight"], None,
                                            stride=stride if strided else 1, padding=k // 2)  # (N, F, OH, OW)
    out, bn_cache = layers.batchnorm_forward(out, params[f"{bn}.weight"], params[f"{bn}.bias"],
                                             params[f"{bn}.running_mean"], params[f"{bn}.running_var"],
                                             training=training, momentum=BN_MOMENTUM, eps=BN_EPS)
    return out, (layer, conv_cache, bn_cache)
    ### END SOLUTION


def conv_bn_backward(dout, cache, grads):
    """The backward of conv_bn_forward: returns dx and writes the gradients of the conv weight
    and of the batch norm's weight and bias into ``grads`` (keyed like params)."""
    ### BEGIN SOLUTION
    (conv, bn, _, _), conv_cache, bn_cache = cache
    dout, grads[f"{bn}.weight"], grads[f"{bn}.bias"] = layers.batchnorm_backward(dout, bn_cache)
    dx, grads[f"{conv}.weight"], _ = layers.conv2d_backward(dout, conv_cache)
    return dx
    ### END SOLUTION


def branch_forward(x, params, spec, stride, training):
    """The residual branch F(x): conv_bn_forward for each layer of ``spec`` (BASIC or
    BOTTLENECK), with a ReLU after every layer but the last.

    Returns:
        (F(x) (N, F, OH, OW), cache).
    """
    ### BEGIN SOLUTION
    caches, out = [], x
    for i, layer in enumerate(spec):
        out, cache = conv_bn_forward(out, params, layer, stride, training)
        if i < len(spec) - 1:
            out = np.maximum(out, 0)  # relu; its mask is (out > 0), read again in the backward
        caches.append((cache, out))
    return out, caches
    ### END SOLUTION


def branch_backward(dout, cache, grads):
    """The backward of branch_forward: returns dx, writes the parameters' gradients into grads."""
    ### BEGIN SOLUTION
    for i in reversed(range(len(cache))):
        layer_cache, out = cache[i]
        if i < len(cache) - 1:
            dout = dout * (out > 0)  # relu: the gradient passes where the output was positive
        dout = conv_bn_backward(dout, layer_cache, grads)
    return dout
    ### END SOLUTION


def shortcut_forward(x, params, out_channels, stride, shortcut, training):
    """The shortcut of a block whose branch outputs ``out_channels`` channels at ``stride``:

        "A": identity when the shapes match, otherwise x[:, :, ::sh, ::sw] with zero channels
             appended after the input channels (no parameters);
        "B": identity when the shapes match, otherwise the projection bn(conv1x1(x, stride));
        "C": always the projection.

    Returns:
        (out (N, out_channels, OH, OW), cache).
    """
    ### BEGIN SOLUTION
    C, (sh, sw) = x.shape[1], stride
    shapes_match = (sh, sw) == (1, 1) and C == out_channels
    if shortcut == "C" or (shortcut == "B" and not shapes_match):
        _check(f"{PROJECTION[0]}.weight" in params,
               f"shortcut {shortcut!r} here needs a projection: params must hold 'downsample.0.weight' and 'downsample.1.*'")
        out, cache = conv_bn_forward(x, params, PROJECTION, stride, training)
        return out, ("projection", cache)
    if shapes_match:
        return x, ("identity", None)
    _check(out_channels >= C, f"shortcut 'A' cannot drop channels: x has {C}, the block outputs {out_channels}")
    sub = x[:, :, ::sh, ::sw]  # (N, C, OH, OW): the stride's subsampling
    out = np.zeros((x.shape[0], out_channels) + sub.shape[2:], dtype=x.dtype)  # (N, out_channels, OH, OW)
    out[:, :C] = sub  # the new channels stay zero
    return out, ("A", (x.shape, sh, sw))
    ### END SOLUTION


def shortcut_backward(dout, cache, grads):
    """The backward of shortcut_forward: returns dx, writes a projection's gradients into grads."""
    ### BEGIN SOLUTION
    kind, inner = cache
    if kind == "identity":
        return dout
    if kind == "projection":
        return conv_bn_backward(dout, inner, grads)
    x_shape, sh, sw = inner
    dx = np.zeros(x_shape, dtype=dout.dtype)  # (N, C, H, W): zero where the subsampling skipped
    dx[:, :, ::sh, ::sw] = dout[:, :x_shape[1]]  # the appended channels have no input to reach
    return dx
    ### END SOLUTION


def block_forward(x, params, spec, stride, shortcut, training):
    """A residual block, relu(F(x) + shortcut(x)), F the branch ``spec`` (BASIC or BOTTLENECK);
    check the arguments first (x 4-D, a known shortcut, the weights the branch needs; _check and
    _stride_pair are given; a projection without its downsample parameters may raise too).
    Returns (out (N, F, OH, OW), cache)."""
    ### BEGIN SOLUTION
    _check(isinstance(x, np.ndarray) and x.ndim == 4, f"x must be (N, C, H, W), got {getattr(x, 'shape', x)!r}")
    _check(shortcut in SHORTCUTS, f"shortcut must be one of {SHORTCUTS}, got {shortcut!r}")
    missing = [f"{conv}.weight" for conv, *_ in spec if f"{conv}.weight" not in params]
    _check(not missing, f"params lacks {missing}")
    stride = _stride_pair(stride)
    f, branch_cache = branch_forward(x, params, spec, stride, training)  # (N, F, OH, OW)
    s, shortcut_cache = shortcut_forward(x, params, f.shape[1], stride, shortcut, training)
    _check(s.shape == f.shape, f"the shortcut gives {s.shape} but the branch {f.shape}: check stride and params")
    out = np.maximum(f + s, 0)  # the ReLU after the addition
    trainable = [k for k in params if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]
    return out, (out, branch_cache, shortcut_cache, trainable, {k: params[k] for k in trainable})
    ### END SOLUTION


def block_backward(dout, cache):
    """The backward of block_forward: (dx shaped like x, grads), grads keyed like params for
    every trainable array."""
    ### BEGIN SOLUTION
    out, branch_cache, shortcut_cache, trainable, weights = cache
    dsum = dout * (out > 0)  # (N, F, OH, OW): through the final relu, into both paths
    grads = {}
    dx = branch_backward(dsum, branch_cache, grads) + shortcut_backward(dsum, shortcut_cache, grads)
    return dx, {k: grads.get(k, np.zeros_like(weights[k])) for k in trainable}  # zeros for an unused one
    ### END SOLUTION


def basic_block_forward(x, params, stride=1, shortcut="B", training=True):
    """torchvision's BasicBlock:

        out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))

    conv1 is 3x3 with the stride (padding 1), conv2 is 3x3 (padding 1). The helpers above do
    the work (block_forward with the BASIC spec); any structure of your own is fine too.

    Args:
        x: (N, C, H, W), float32 or float64 (possibly a non-contiguous view).
        params: dict of arrays keyed like BasicBlock's state_dict (see the module docstring);
            the running statistics are updated in place when training.
        stride: int or pair (sh, sw).
        shortcut: "A", "B" or "C" (see shortcut_forward).
        training: batch statistics (and running-statistic updates) or the running statistics.

    Returns:
        (out (N, F, OH, OW) in x's dtype, cache).

    Raises:
        ValueError naming the argument for: x not 4-D, an unknown shortcut, params without a
        weight the block needs, shortcut "A" asked to drop channels.

    See handouts/a4_residual.md, section 2.
    """
    ### BEGIN SOLUTION
    return block_forward(x, params, BASIC, stride, shortcut, training)
    ### END SOLUTION


def basic_block_backward(dout, cache):
    """The backward of basic_block_forward.

    Returns:
        (dx shaped like x, grads): grads keyed like params for every trainable array (conv
        weights, batch norm weights and biases; not the running statistics).

    See handouts/a4_residual.md, section 3.
    """
    ### BEGIN SOLUTION
    return block_backward(dout, cache)
    ### END SOLUTION


def bottleneck_block_forward(x, params, stride=1, shortcut="B", training=True):
    """torchvision's Bottleneck:

        out = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x)))))))) + shortcut(x))

    conv1 1x1 reduces the channels, conv2 3x3 carries the stride (padding 1), conv3 1x1
    expands them (block_forward with the BOTTLENECK spec). Arguments, returns and errors as
    basic_block_forward.

    See handouts/a4_residual.md, section 4.
    """
    ### BEGIN SOLUTION
    return block_forward(x, params, BOTTLENECK, stride, shortcut, training)
    ### END SOLUTION


def bottleneck_block_backward(dout, cache):
    """The backward of bottleneck_block_forward: (dx, grads) as basic_block_backward."""
    ### BEGIN SOLUTION
    return block_backward(dout, cache)
    ### END SOLUTION
