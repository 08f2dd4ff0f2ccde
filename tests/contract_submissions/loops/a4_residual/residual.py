"""a4_residual: residual blocks (ResNet BasicBlock and Bottleneck) in numpy.

Parameters are dicts of numpy arrays keyed like the ``state_dict()`` of
torchvision's ``BasicBlock`` / ``Bottleneck`` (convolutions have no bias):

    conv1.weight, bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var,
    conv2.weight, bn2.*, (conv3.weight, bn3.* for the bottleneck),
    downsample.0.weight (1x1 conv, stride s), downsample.1.* (its batchnorm).

Basic block:       out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))
                   conv1 is 3x3 with the stride, conv2 is 3x3 (both padding 1).
Bottleneck block:  out = relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x))))))))
                         + shortcut(x))
                   conv1 1x1 (reduce), conv2 3x3 with the stride (as torchvision),
                   conv3 1x1 (expand).

Shortcut options:
    "A": identity when shapes match; otherwise parameter-free: subsample by the
         stride (x[:, :, ::s, ::s]) and append zero channels after the input channels.
    "B": identity when shapes match; otherwise the projection (downsample.0/1).
    "C": always the projection.

Batchnorm uses momentum 0.1 and eps 1e-5. In training it normalizes with the batch
statistics and updates the running statistics IN PLACE (the unbiased batch variance
goes into running_var, as PyTorch does); in eval it uses the running statistics and
changes nothing.

Only numpy is used; the convolution, batchnorm and relu helpers are written below.
"""

import numbers

import numpy as np

BN_MOMENTUM = 0.1
BN_EPS = 1e-5
SHORTCUT_OPTIONS = ("A", "B", "C")
BN_SUFFIXES = ("weight", "bias", "running_mean", "running_var")


# =============================================================================
# Argument checking
# =============================================================================

def _is_int(value):
    """True for Python / numpy integers, but not for booleans."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_stride(stride):
    """Return the stride as a pair (sh, sw) of positive ints, or raise ValueError."""
    if _is_int(stride):
        pair = (int(stride), int(stride))
    elif isinstance(stride, (tuple, list)) and len(stride) == 2 and all(_is_int(s) for s in stride):
        pair = (int(stride[0]), int(stride[1]))
    else:
        raise ValueError(f"stride must be a positive int or a pair (h, w) of positive ints, got {stride!r}")
    if pair[0] <= 0 or pair[1] <= 0:
        raise ValueError(f"stride must be positive, got {stride!r}")
    return pair


def _check_shortcut(shortcut):
    if not isinstance(shortcut, str) or shortcut not in SHORTCUT_OPTIONS:
        raise ValueError(f"shortcut must be one of {SHORTCUT_OPTIONS}, got {shortcut!r}")
    return shortcut


def _check_training(training):
    if isinstance(training, (bool, np.bool_)) or _is_int(training):
        return bool(training)
    raise ValueError(f"training must be a bool, got {training!r}")


def _check_input(x):
    """Return (x as an array, the dtype used for the computation).

    Floating inputs keep their dtype; other real numbers are computed in float64.
    x itself is never written to.
    """
    x = np.asarray(x)
    if x.dtype.kind == "f":
        dtype = x.dtype
    elif x.dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    else:
        raise ValueError(f"x must hold real numbers, got dtype {x.dtype}")
    if x.ndim != 4:
        raise ValueError(f"x must have shape (N, C, H, W), got shape {x.shape}")
    if x.shape[2] < 1 or x.shape[3] < 1:
        raise ValueError(f"x must have a non-empty spatial size, got shape {x.shape}")
    return x, dtype


def _get_param(params, key):
    """Fetch params[key] as an array, raising ValueError (naming params) when it is missing."""
    if key not in params:
        raise ValueError(f"params is missing the key {key!r}")
    value = params[key]
    if value is None:
        raise ValueError(f"params[{key!r}] is None")
    return value


def _check_param_shape(params, key, expected_shape):
    value = np.asarray(_get_param(params, key))
    if value.dtype.kind not in "biuf":
        raise ValueError(f"params[{key!r}] must hold real numbers, got dtype {value.dtype}")
    if value.shape != tuple(expected_shape):
        raise ValueError(f"params[{key!r}] must have shape {tuple(expected_shape)}, got {value.shape}")


def _check_running_stat(params, key, num_channels, training):
    value = _get_param(params, key)
    if training:
        # The running statistics are updated in place, so they must be real, writable arrays.
        if not isinstance(value, np.ndarray):
            raise ValueError(f"params[{key!r}] must be a numpy array (it is updated in place in training)")
        if not value.flags.writeable:
            raise ValueError(f"params[{key!r}] must be writable (it is updated in place in training)")
        if value.dtype.kind != "f":
            raise ValueError(f"params[{key!r}] must be a floating array, got dtype {value.dtype}")
    _check_param_shape(params, key, (num_channels,))


def _check_conv_bn(params, conv_name, bn_name, in_channels, kernel_size, training):
    """Check one conv + batchnorm pair and return the conv's number of output channels."""
    conv_key = conv_name + ".weight"
    w = np.asarray(_get_param(params, conv_key))
    if w.ndim != 4:
        raise ValueError(f"params[{conv_key!r}] must have 4 dimensions (F, C, KH, KW), got shape {w.shape}")
    out_channels = w.shape[0]
    if out_channels < 1:
        raise ValueError(f"params[{conv_key!r}] must have at least one output channel, got shape {w.shape}")
    _check_param_shape(params, conv_key, (out_channels, in_channels, kernel_size, kernel_size))
    _check_param_shape(params, bn_name + ".weight", (out_channels,))
    _check_param_shape(params, bn_name + ".bias", (out_channels,))
    _check_running_stat(params, bn_name + ".running_mean", out_channels, training)
    _check_running_stat(params, bn_name + ".running_var", out_channels, training)
    return out_channels


# =============================================================================
# Convolution (cross-correlation, no bias, groups=1, dilation=1)
# =============================================================================

def _conv2d_forward(x, w, stride, padding):
    """out[n, f, i, j] = sum_{c, ki, kj} w[f, c, ki, kj] * xpad[n, c, i*sh + ki, j*sw + kj].

    The sum over the kernel offsets (ki, kj) is an explicit loop; the sum over the
    input channels is a matrix product (tensordot).
    """
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    sh, sw = stride
    ph, pw = padding

    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), mode="constant")
    H_out = (H + 2 * ph - KH) // sh + 1
    W_out = (W + 2 * pw - KW) // sw + 1
    if H_out < 1 or W_out < 1:
        raise ValueError(f"kernel {KH}x{KW} is larger than the padded input x of shape {x.shape}")

    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
    for ki in range(KH):
        for kj in range(KW):
            # patch[n, c, i, j] = x_pad[n, c, i*sh + ki, j*sw + kj]
            patch = x_pad[:, :, ki:ki + sh * (H_out - 1) + 1:sh, kj:kj + sw * (W_out - 1) + 1:sw]
            # (F, C) x (N, C, Ho, Wo) summed over C -> (F, N, Ho, Wo)
            contribution = np.tensordot(w[:, :, ki, kj], patch, axes=([1], [1]))
            out += contribution.transpose(1, 0, 2, 3)

    cache = {"x_pad": x_pad, "w": w, "stride": stride, "padding": padding,
             "x_shape": x.shape, "out_shape": out.shape}
    return out, cache


def _conv2d_backward(dout, cache):
    """Return (dx, dw) for _conv2d_forward."""
    x_pad = cache["x_pad"]
    w = cache["w"]
    sh, sw = cache["stride"]
    ph, pw = cache["padding"]
    N, C, H, W = cache["x_shape"]
    F, _, KH, KW = w.shape
    _, _, H_out, W_out = cache["out_shape"]

    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for ki in range(KH):
        for kj in range(KW):
            rows = slice(ki, ki + sh * (H_out - 1) + 1, sh)
            cols = slice(kj, kj + sw * (W_out - 1) + 1, sw)
            patch = x_pad[:, :, rows, cols]
            # dw[f, c, ki, kj] = sum_{n, i, j} dout[n, f, i, j] * patch[n, c, i, j]
            dw[:, :, ki, kj] = np.tensordot(dout, patch, axes=([0, 2, 3], [0, 2, 3]))
            # dpatch[n, c, i, j] = sum_f dout[n, f, i, j] * w[f, c, ki, kj]
            dpatch = np.tensordot(dout, w[:, :, ki, kj], axes=([1], [0]))  # (N, Ho, Wo, C)
            dx_pad[:, :, rows, cols] += dpatch.transpose(0, 3, 1, 2)

    dx = dx_pad[:, :, ph:ph + H, pw:pw + W]
    return dx, dw


# =============================================================================
# Batch normalization over (N, H, W) per channel
# =============================================================================

def _batchnorm_forward(x, gamma, beta, running_mean, running_var, training):
    """Batchnorm for NCHW input. running_mean / running_var are updated in place in training."""
    N, C, H, W = x.shape
    dtype = x.dtype
    gamma = gamma.astype(dtype, copy=False)
    beta = beta.astype(dtype, copy=False)
    axes = (0, 2, 3)
    count = N * H * W

    if training:
        if count <= 1:
            raise ValueError(f"batchnorm in training needs more than 1 value per channel, x has shape {x.shape}")
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)  # biased variance, used for normalizing
        # Running statistics: exponential moving average, unbiased variance (as PyTorch).
        unbiased_var = var * (count / (count - 1))
        running_mean[...] = (1.0 - BN_MOMENTUM) * running_mean + BN_MOMENTUM * mean
        running_var[...] = (1.0 - BN_MOMENTUM) * running_var + BN_MOMENTUM * unbiased_var
    else:
        # Copies, so that a later change of the running statistics cannot alter this cache.
        mean = np.array(running_mean, dtype=dtype)
        var = np.array(running_var, dtype=dtype)

    inv_std = (1.0 / np.sqrt(var + BN_EPS)).astype(dtype, copy=False)
    x_hat = (x - mean.reshape(1, C, 1, 1)) * inv_std.reshape(1, C, 1, 1)
    out = gamma.reshape(1, C, 1, 1) * x_hat + beta.reshape(1, C, 1, 1)

    cache = {"x_hat": x_hat, "gamma": gamma, "inv_std": inv_std, "training": training}
    return out.astype(dtype, copy=False), cache


def _batchnorm_backward(dout, cache):
    """Return (dx, dgamma, dbeta) for _batchnorm_forward, in either mode."""
    x_hat = cache["x_hat"]
    gamma = cache["gamma"]
    inv_std = cache["inv_std"]
    N, C, H, W = x_hat.shape
    axes = (0, 2, 3)
    count = N * H * W

    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)

    scale = (gamma * inv_std).reshape(1, C, 1, 1)
    if cache["training"]:
        # The mean and variance depend on x too:
        # dx = gamma * inv_std / m * (m * dout - sum(dout) - x_hat * sum(dout * x_hat))
        dx = scale / count * (count * dout
                              - dbeta.reshape(1, C, 1, 1)
                              - x_hat * dgamma.reshape(1, C, 1, 1))
    else:
        # The running statistics are constants.
        dx = scale * dout
    return dx, dgamma, dbeta


# =============================================================================
# ReLU
# =============================================================================

def _relu_forward(x):
    out = np.maximum(x, 0)
    return out, out > 0


def _relu_backward(dout, mask):
    return dout * mask


# =============================================================================
# conv -> batchnorm unit (the building piece of both blocks)
# =============================================================================

def _conv_bn_forward(x, params, conv_name, bn_name, stride, padding, training):
    dtype = x.dtype
    w = np.asarray(params[conv_name + ".weight"]).astype(dtype, copy=False)
    gamma = np.asarray(params[bn_name + ".weight"])
    beta = np.asarray(params[bn_name + ".bias"])
    running_mean = params[bn_name + ".running_mean"]
    running_var = params[bn_name + ".running_var"]

    conv_out, conv_cache = _conv2d_forward(x, w, stride, padding)
    bn_out, bn_cache = _batchnorm_forward(conv_out, gamma, beta, running_mean, running_var, training)
    cache = {"conv_name": conv_name, "bn_name": bn_name, "conv": conv_cache, "bn": bn_cache}
    return bn_out, cache


def _conv_bn_backward(dout, cache):
    """Return (dx, grads) with grads keyed like params."""
    d_conv_out, dgamma, dbeta = _batchnorm_backward(dout, cache["bn"])
    dx, dw = _conv2d_backward(d_conv_out, cache["conv"])
    grads = {
        cache["conv_name"] + ".weight": dw,
        cache["bn_name"] + ".weight": dgamma,
        cache["bn_name"] + ".bias": dbeta,
    }
    return dx, grads


# =============================================================================
# Shortcut
# =============================================================================

def _shortcut_kind(shortcut, stride, in_channels, out_channels):
    """Return "identity", "pad" (option A with a shape change) or "projection"."""
    shapes_match = stride == (1, 1) and in_channels == out_channels
    if shortcut == "C":
        return "projection"
    if shapes_match:
        return "identity"
    if shortcut == "B":
        return "projection"
    # shortcut == "A" with a shape change: subsample and append zero channels.
    if out_channels < in_channels:
        raise ValueError(
            f"shortcut 'A' can only add channels: the block maps {in_channels} input channels "
            f"of x to {out_channels} output channels (see params)")
    return "pad"


def _shortcut_forward(x, params, kind, stride, out_channels, training):
    if kind == "identity":
        return x, {"kind": kind}
    if kind == "pad":
        sh, sw = stride
        sub = x[:, :, ::sh, ::sw]
        N, C, H_sub, W_sub = sub.shape
        out = np.zeros((N, out_channels, H_sub, W_sub), dtype=x.dtype)
        out[:, :C] = sub  # the extra channels (after the input channels) stay zero
        return out, {"kind": kind, "stride": stride, "x_shape": x.shape}
    # projection: 1x1 conv with the stride, then batchnorm
    out, unit_cache = _conv_bn_forward(x, params, "downsample.0", "downsample.1",
                                       stride, (0, 0), training)
    return out, {"kind": kind, "unit": unit_cache}


def _shortcut_backward(dout, cache):
    """Return (dx, grads) for the shortcut path."""
    kind = cache["kind"]
    if kind == "identity":
        return dout, {}
    if kind == "pad":
        sh, sw = cache["stride"]
        C = cache["x_shape"][1]
        dx = np.zeros(cache["x_shape"], dtype=dout.dtype)
        dx[:, :, ::sh, ::sw] = dout[:, :C]  # zero channels receive no gradient path
        return dx, {}
    return _conv_bn_backward(dout, cache["unit"])


# =============================================================================
# Shared block machinery
# =============================================================================

def _is_trainable_key(key):
    """Conv weights and batchnorm weight/bias; not running statistics or counters."""
    return key.endswith(".weight") or key.endswith(".bias")


def _projection_keys():
    keys = ["downsample.0.weight"]
    keys += ["downsample.1." + suffix for suffix in BN_SUFFIXES]
    return keys


def _block_forward(block_type, x, params, stride, shortcut, training):
    """Forward pass for both block types.

    block_type "basic":      layers (conv1 3x3 stride s, conv2 3x3)
    block_type "bottleneck": layers (conv1 1x1, conv2 3x3 stride s, conv3 1x1)
    """
    # ---- check every argument before anything is computed or updated ----
    stride = _check_stride(stride)
    shortcut = _check_shortcut(shortcut)
    training = _check_training(training)
    x, dtype = _check_input(x)
    if params is None or not hasattr(params, "__contains__") or not hasattr(params, "__getitem__"):
        raise ValueError(f"params must be a dict of numpy arrays, got {type(params).__name__}")

    if block_type == "basic":
        # (conv name, bn name, kernel size, stride, padding)
        layers = [("conv1", "bn1", 3, stride, (1, 1)),
                  ("conv2", "bn2", 3, (1, 1), (1, 1))]
    else:
        layers = [("conv1", "bn1", 1, (1, 1), (0, 0)),
                  ("conv2", "bn2", 3, stride, (1, 1)),
                  ("conv3", "bn3", 1, (1, 1), (0, 0))]

    in_channels = x.shape[1]
    first_weight = np.asarray(_get_param(params, "conv1.weight"))
    if first_weight.ndim == 4 and first_weight.shape[1] != in_channels:
        raise ValueError(f"x has {in_channels} channels but params['conv1.weight'] expects "
                         f"{first_weight.shape[1]} input channels")
    channels = in_channels
    for conv_name, bn_name, kernel_size, _, _ in layers:
        channels = _check_conv_bn(params, conv_name, bn_name, channels, kernel_size, training)
    out_channels = channels

    kind = _shortcut_kind(shortcut, stride, in_channels, out_channels)
    if kind == "projection":
        proj_channels = _check_conv_bn(params, "downsample.0", "downsample.1", in_channels, 1, training)
        if proj_channels != out_channels:
            raise ValueError(
                f"params['downsample.0.weight'] must have {out_channels} output channels, got {proj_channels}")
    if training and x.shape[0] * ((x.shape[2] - 1) // stride[0] + 1) * ((x.shape[3] - 1) // stride[1] + 1) <= 1:
        raise ValueError(f"batchnorm in training needs more than 1 value per channel, x has shape {x.shape}")

    # ---- forward computation ----
    x_compute = x.astype(dtype, copy=False)

    unit_caches = []
    relu_masks = []
    h = x_compute
    for index, (conv_name, bn_name, _, layer_stride, padding) in enumerate(layers):
        h, unit_cache = _conv_bn_forward(h, params, conv_name, bn_name, layer_stride, padding, training)
        unit_caches.append(unit_cache)
        if index < len(layers) - 1:  # ReLU after every conv-bn except the last one
            h, mask = _relu_forward(h)
            relu_masks.append(mask)
    main_out = h

    shortcut_out, shortcut_cache = _shortcut_forward(x_compute, params, kind, stride, out_channels, training)
    if shortcut_out.shape != main_out.shape:
        raise ValueError(f"shortcut output shape {shortcut_out.shape} does not match the block output "
                         f"shape {main_out.shape} for x of shape {x.shape} and stride {stride}")

    out, final_mask = _relu_forward(main_out + shortcut_out)

    # Trainable keys in params that this call did not use (e.g. a downsample given to an
    # identity shortcut) get zero gradients, so that grads always covers every trainable array.
    used_keys = set()
    for unit_cache in unit_caches:
        used_keys.update([unit_cache["conv_name"] + ".weight",
                          unit_cache["bn_name"] + ".weight", unit_cache["bn_name"] + ".bias"])
    if kind == "projection":
        used_keys.update(["downsample.0.weight", "downsample.1.weight", "downsample.1.bias"])
    unused = {}
    for key in _projection_keys():
        if key in params and _is_trainable_key(key) and key not in used_keys:
            value = np.asarray(params[key])
            unused[key] = (value.shape, value.dtype)

    # Each gradient is returned in the dtype of its parameter (the compute dtype if that is not floating).
    grad_dtypes = {}
    for key in used_keys:
        value_dtype = np.asarray(params[key]).dtype
        grad_dtypes[key] = value_dtype if value_dtype.kind == "f" else dtype

    cache = {
        "block_type": block_type,
        "units": unit_caches,
        "relu_masks": relu_masks,
        "final_mask": final_mask,
        "shortcut": shortcut_cache,
        "out_shape": out.shape,
        "dtype": dtype,
        "grad_dtypes": grad_dtypes,
        "unused": unused,
    }
    return out.astype(dtype, copy=False), cache


def _block_backward(block_type, dout, cache):
    if not isinstance(cache, dict) or cache.get("block_type") != block_type:
        raise ValueError(f"cache must come from {block_type}_block_forward")
    dtype = cache["dtype"]
    dout = np.asarray(dout)
    if dout.shape != cache["out_shape"]:
        raise ValueError(f"dout must have the output's shape {cache['out_shape']}, got {dout.shape}")
    if dout.dtype.kind not in "biuf":
        raise ValueError(f"dout must hold real numbers, got dtype {dout.dtype}")
    dout = dout.astype(dtype, copy=False)

    grads = {}

    # out = relu(main + shortcut)
    d_sum = _relu_backward(dout, cache["final_mask"])

    # main path, walked backwards: last conv-bn, then (relu, conv-bn) pairs
    units = cache["units"]
    relu_masks = cache["relu_masks"]
    dh = d_sum
    for index in reversed(range(len(units))):
        if index < len(units) - 1:
            dh = _relu_backward(dh, relu_masks[index])
        dh, unit_grads = _conv_bn_backward(dh, units[index])
        grads.update(unit_grads)
    dx = dh

    # shortcut path
    dx_shortcut, shortcut_grads = _shortcut_backward(d_sum, cache["shortcut"])
    grads.update(shortcut_grads)
    dx = dx + dx_shortcut

    # gradients in the dtype of their parameters, zeros for unused trainable arrays
    for key in list(grads):
        grads[key] = grads[key].astype(cache["grad_dtypes"][key], copy=False)
    for key, (shape, value_dtype) in cache["unused"].items():
        grads[key] = np.zeros(shape, dtype=value_dtype if value_dtype.kind == "f" else dtype)

    return dx.astype(dtype, copy=False), grads


# =============================================================================
# Public functions
# =============================================================================

def basic_block_forward(x, params, stride=1, shortcut="B", training=True):
    """ResNet basic block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).

    x: (N, C, H, W); params keyed like torchvision's BasicBlock state_dict.
    conv1 is 3x3 with the given stride, conv2 is 3x3; both use padding 1.
    Returns (out, cache). In training the running statistics in params update in place.
    """
    return _block_forward("basic", x, params, stride, shortcut, training)


def basic_block_backward(dout, cache):
    """Return (dx, grads) for basic_block_forward; grads keyed like params (trainable arrays only)."""
    return _block_backward("basic", dout, cache)


def bottleneck_block_forward(x, params, stride=1, shortcut="B", training=True):
    """ResNet bottleneck block: 1x1 reduce, 3x3 (with the stride), 1x1 expand, each
    followed by its batchnorm, ReLU after the first two and after adding the shortcut.

    x: (N, C, H, W); params keyed like torchvision's Bottleneck state_dict.
    Returns (out, cache). In training the running statistics in params update in place.
    """
    return _block_forward("bottleneck", x, params, stride, shortcut, training)


def bottleneck_block_backward(dout, cache):
    """Return (dx, grads) for bottleneck_block_forward; grads keyed like params (trainable arrays only)."""
    return _block_backward("bottleneck", dout, cache)
