"""The numba fast path: same signatures as the learner files, fast enough to train small nets."""

import os

import numba

# The kernels alternate numba's parallel loops with BLAS matrix multiplies. numba's default
# OpenMP layer keeps its threads spinning after each loop, and they steal the cores BLAS needs
# (measured: conv2d forward 16 ms instead of 3.6 ms at N=16, C=32->64, 32x32). The workqueue
# layer does not spin. An explicit NUMBA_THREADING_LAYER still wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
