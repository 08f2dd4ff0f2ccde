"""The numba fast path: same signatures as the learner files, fast enough to train small nets."""

import os

import numba
import numpy as np

# Learner code (a4's blocks, a5's projections) alternates the kernels' parallel loops with
# numpy's BLAS matrix multiplies. numba's default OpenMP layer keeps its threads spinning after
# each loop, and they steal the cores BLAS needs (measured when conv2d's im2col was a parallel
# loop: its forward took 16 ms instead of 3.6 ms at N=16, C=32->64, 32x32). The workqueue layer
# does not spin. An explicit NUMBA_THREADING_LAYER still wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"


def readonly(a):
    """A read-only view of ``a``, for a kernel input that comes from the caller. numba compiles a
    kernel once per type of its arguments, and an array's type says whether it is writable: a
    kernel handed a broadcast view (read-only) in one call and a fresh array in the next compiles
    twice, 5 to 10 s each time. Such inputs are always read-only: one compiled version per
    dtype, the one warm() builds."""
    view = a.view()
    view.flags.writeable = False
    return view


def require_float(name, a):
    """ValueError unless ``a`` holds float32 or float64, the contract's dtypes: the kernels keep
    the input's dtype, so integers would come back truncated, without an error."""
    dtype = np.asarray(a).dtype
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must be float32 or float64, got {dtype}")
