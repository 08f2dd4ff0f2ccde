"""Assignment 2: batch, layer, instance and group normalization, forward and backward, in numpy.

Read handouts/a2_normalization.md first. The four layers are one operation,

    x_hat = (x - mean) / sqrt(var + eps)        (biased variance: divide by n)
    out   = gamma * x_hat + beta

computed over different axes of the same array:

    batch norm     per channel, over the batch and the spatial axes       (N, ., *S)
    layer norm     per sample, over the trailing gamma.ndim axes          (., *normalized_shape)
    instance norm  per (sample, channel), over the spatial axes           (., ., *S)
    group norm     per (sample, group of channels), over the group's channels and space

and they share one backward formula (handout section 3). Each function below stands on its
own: write them one by one. All keep the input dtype and never modify their inputs, except
that batchnorm_forward updates the running statistics in place in training mode.

Run the visible tests with:  pytest assignments/a2_normalization
"""

import numpy as np


def _check(condition, message):
    if not condition:
        raise ValueError(message)


def batchnorm_forward(x, gamma, beta, running_mean, running_var, training=True, momentum=0.1, eps=1e-5):
    """Batch normalization (Ioffe and Szegedy, 2015), as torch.nn.functional.batch_norm.

        training:  mean, var over every axis but C (biased var), then IN PLACE
                   running_mean = (1 - momentum) * running_mean + momentum * mean
                   running_var  = (1 - momentum) * running_var  + momentum * var * n / (n - 1)
                   (n: the values per channel, N for (N, C) inputs, N*H*W for images)
        eval:      mean, var = running_mean, running_var (nothing is updated)
        out = gamma * (x - mean) / sqrt(var + eps) + beta                  (per channel)

    Args:
        x: (N, C) or (N, C, *spatial).
        gamma, beta, running_mean, running_var: (C,).
        training: batch statistics (True) or running statistics (False).
        momentum: weight of the new batch in the running averages, in [0, 1].
        eps: added to the variance inside the square root.

    Returns:
        out shaped like x, and a cache for batchnorm_backward.

    Raises:
        ValueError, with a message that names an argument involved, for: x with fewer than 2
        axes; gamma, beta, running_mean or running_var not of shape (C,); momentum outside
        [0, 1]; training with a single value per channel (no variance to estimate).

    See handouts/a2_normalization.md, sections 1-2 and 4.
    """
    ### BEGIN SOLUTION
    _check(x.ndim >= 2, f"x must be (N, C) or (N, C, *spatial), got shape {x.shape}")
    C = x.shape[1]
    for name, a in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean), ("running_var", running_var)):
        _check(a.shape == (C,), f"{name} must have shape ({C},), got {a.shape}")
    _check(0 <= momentum <= 1, f"momentum must be in [0, 1], got {momentum}")
    axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels
    shape = (1, C) + (1,) * (x.ndim - 2)  # a (C,) vector broadcast over x
    if training:
        n = x.size // C  # values per channel
        _check(n > 1, "batch norm in training needs more than one value per channel")
        mean = x.mean(axis=axes)  # (C,)
        var = x.var(axis=axes)  # (C,), biased: divide by n
        running_mean *= 1 - momentum  # in place: the caller's array changes
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * n / (n - 1)  # the running average uses the unbiased variance
    else:
        mean, var = running_mean.astype(x.dtype), running_var.astype(x.dtype)
    inv_std = 1.0 / np.sqrt(var + eps)  # (C,): eps inside the square root
    x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)  # like x
    out = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    cache = (x_hat, inv_std, gamma, axes, shape, training)
    return out.astype(x.dtype, copy=False), cache
    ### END SOLUTION


def batchnorm_backward(dout, cache):
    """Gradients of batchnorm_forward, in either mode.

        training:  dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)),  g = gamma * dout
                   (means per channel over the normalized axes: the batch statistics depend on x)
        eval:      dx = inv_std * g                 (the running statistics are constants)
        dgamma = sum(dout * x_hat),  dbeta = sum(dout)      (per channel)

    Returns:
        (dx, dgamma, dbeta).
    """
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma, axes, shape, training = cache
    dgamma = (dout * x_hat).sum(axis=axes)  # (C,)
    dbeta = dout.sum(axis=axes)  # (C,)
    g = dout * gamma.reshape(shape)  # dL/dx_hat
    if training:
        g = g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
    dx = g * inv_std.reshape(shape)
    return dx.astype(dout.dtype, copy=False), dgamma, dbeta
    ### END SOLUTION


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalization (Ba, Kiros and Hinton, 2016), as
    F.layer_norm(x, gamma.shape, gamma, beta, eps).

        mean, var over the trailing gamma.ndim axes of each sample (biased var)
        out = gamma * (x - mean) / sqrt(var + eps) + beta      (gamma per normalized position)

    Args:
        x: (..., *normalized_shape).
        gamma, beta: normalized_shape, the trailing shape of x.

    Returns:
        out shaped like x, and a cache for layernorm_backward.

    Raises:
        ValueError, with a message that names an argument involved, for: gamma not the
        trailing shape of x; beta not of gamma's shape.
    """
    ### BEGIN SOLUTION
    _check(gamma.ndim >= 1 and x.shape[x.ndim - gamma.ndim:] == gamma.shape,
           f"gamma's shape {gamma.shape} must be the trailing shape of x {x.shape}")
    _check(beta.shape == gamma.shape, f"beta must have gamma's shape {gamma.shape}, got {beta.shape}")
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))  # the normalized axes
    mean = x.mean(axis=axes, keepdims=True)  # (..., 1, ..., 1)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std  # like x
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma, axes)
    return out.astype(x.dtype, copy=False), cache
    ### END SOLUTION


def layernorm_backward(dout, cache):
    """Gradients of layernorm_forward:

        dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)),  g = gamma * dout
        (means over the normalized axes of each sample)
        dgamma = sum over the leading axes of dout * x_hat,  dbeta = sum of dout

    Returns:
        (dx, dgamma, dbeta).
    """
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma, axes = cache
    leading = tuple(range(dout.ndim - gamma.ndim))  # the sample axes
    dgamma = (dout * x_hat).sum(axis=leading)  # gamma's shape
    dbeta = dout.sum(axis=leading)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))
    return dx.astype(dout.dtype, copy=False), dgamma, dbeta
    ### END SOLUTION


def instancenorm_forward(x, gamma, beta, eps=1e-5):
    """Instance normalization (Ulyanov, Vedaldi and Lempitsky, 2016), as
    F.instance_norm(x, weight=gamma, bias=beta, eps=eps).

        mean, var per (sample, channel) over the spatial axes (biased var)
        out = gamma * (x - mean) / sqrt(var + eps) + beta      (gamma per channel)

    Args:
        x: (N, C, *spatial), at least one spatial axis.
        gamma, beta: (C,).

    Returns:
        out shaped like x, and a cache for instancenorm_backward.

    Raises:
        ValueError, with a message that names an argument involved, for: x without a spatial
        axis; gamma or beta not of shape (C,).
    """
    ### BEGIN SOLUTION
    _check(x.ndim >= 3, f"x must be (N, C, *spatial), got shape {x.shape}")
    C = x.shape[1]
    _check(gamma.shape == (C,) and beta.shape == (C,), f"gamma and beta must have shape ({C},)")
    axes = tuple(range(2, x.ndim))  # the spatial axes
    shape = (1, C) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes, keepdims=True)  # (N, C, 1, ...)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    out = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    cache = (x_hat, inv_std, gamma, axes, shape)
    return out.astype(x.dtype, copy=False), cache
    ### END SOLUTION


def instancenorm_backward(dout, cache):
    """Gradients of instancenorm_forward (the same formula, means over the spatial axes):

        dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)),  g = gamma * dout
        dgamma, dbeta: sums over the batch and spatial axes, per channel

    Returns:
        (dx, dgamma, dbeta).
    """
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma, axes, shape = cache
    per_channel = (0,) + axes
    dgamma = (dout * x_hat).sum(axis=per_channel)  # (C,)
    dbeta = dout.sum(axis=per_channel)
    g = dout * gamma.reshape(shape)
    dx = inv_std * (g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))
    return dx.astype(dout.dtype, copy=False), dgamma, dbeta
    ### END SOLUTION


def groupnorm_forward(x, gamma, beta, num_groups, eps=1e-5):
    """Group normalization (Wu and He, 2018), as F.group_norm(x, num_groups, gamma, beta, eps).

        split the C channels into num_groups groups of C // num_groups;
        mean, var per (sample, group) over the group's channels and the spatial axes
        out = gamma * (x - mean) / sqrt(var + eps) + beta      (gamma per channel)
    num_groups = 1 is layer norm over (C, *spatial); num_groups = C is instance norm.

    Args:
        x: (N, C, *spatial); C divisible by num_groups.
        gamma, beta: (C,).

    Returns:
        out shaped like x, and a cache for groupnorm_backward.

    Raises:
        ValueError, with a message that names an argument involved, for: x with fewer than 2
        axes; num_groups not a positive divisor of C; gamma or beta not of shape (C,).
    """
    ### BEGIN SOLUTION
    _check(x.ndim >= 2, f"x must be (N, C, *spatial), got shape {x.shape}")
    N, C = x.shape[:2]
    _check(isinstance(num_groups, (int, np.integer)) and num_groups >= 1 and C % num_groups == 0,
           f"num_groups={num_groups!r} must be a positive int dividing C={C}")
    _check(gamma.shape == (C,) and beta.shape == (C,), f"gamma and beta must have shape ({C},)")
    xg = x.reshape(N, num_groups, -1)  # (N, G, C//G * prod(spatial)): one row per group
    mean = xg.mean(axis=2, keepdims=True)  # (N, G, 1)
    inv_std = 1.0 / np.sqrt(xg.var(axis=2, keepdims=True) + eps)
    x_hat = ((xg - mean) * inv_std).reshape(x.shape)  # like x
    shape = (1, C) + (1,) * (x.ndim - 2)
    out = gamma.reshape(shape) * x_hat + beta.reshape(shape)
    cache = (x_hat, inv_std, gamma, num_groups, shape)
    return out.astype(x.dtype, copy=False), cache
    ### END SOLUTION


def groupnorm_backward(dout, cache):
    """Gradients of groupnorm_forward (the same formula, means over each group):

        dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)),  g = gamma * dout
        dgamma, dbeta: sums over the batch and spatial axes, per channel

    Returns:
        (dx, dgamma, dbeta).
    """
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma, num_groups, shape = cache
    N = dout.shape[0]
    per_channel = (0,) + tuple(range(2, dout.ndim))
    dgamma = (dout * x_hat).sum(axis=per_channel)  # (C,)
    dbeta = dout.sum(axis=per_channel)
    g = (dout * gamma.reshape(shape)).reshape(N, num_groups, -1)  # (N, G, group size)
    xh = x_hat.reshape(N, num_groups, -1)
    dx = inv_std * (g - g.mean(axis=2, keepdims=True) - xh * (g * xh).mean(axis=2, keepdims=True))
    return dx.reshape(dout.shape).astype(dout.dtype, copy=False), dgamma, dbeta
    ### END SOLUTION
