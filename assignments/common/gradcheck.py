"""Numerical gradients: check a backward pass against finite differences of its forward.

    df/dx[i] ~= (f(x + h e_i) - f(x - h e_i)) / (2h)      (central differences, error O(h^2))

Use it on small float64 inputs: it calls ``f`` twice per element of ``x``.

    >>> out, cache = conv2d_forward(x, w, b)
    >>> dout = np.random.randn(*out.shape)
    >>> dx, dw, db = conv2d_backward(dout, cache)
    >>> num_dx = numerical_gradient(lambda x: np.sum(conv2d_forward(x, w, b)[0] * dout), x)
    >>> relative_error(dx, num_dx)   # about 1e-9 or smaller when dx is right
"""

from __future__ import annotations

import numpy as np


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar function ``f`` at ``x`` by central differences.

    ``x`` is not modified: each step perturbs a float64 copy.
    """
    x = np.array(x, dtype=np.float64)  # a copy: the caller's array stays as it was
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + h
        f_plus = float(f(x.copy()))
        x[i] = saved - h
        f_minus = float(f(x.copy()))
        x[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a| + |b|), 0 when both are 0: below 1e-7 means they agree in float64."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denominator = np.max(np.abs(a) + np.abs(b))
    return 0.0 if denominator == 0 else float(np.max(np.abs(a - b)) / denominator)
