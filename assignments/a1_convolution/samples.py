"""Sample inputs for the visible a1 tests: small shapes, each case in float64 and float32."""

import numpy as np

from assignments.common.samples import ErrorCase, Sample, array, rng_for, with_dtypes


def conv2d_sample(name, dtype, x, w, bias=True, layout="contiguous", **kwargs):
    rng = rng_for(name)
    b = array(rng, (w[0],), dtype) if bias else None
    return Sample(name, ("x", "w", "b"), (array(rng, x, dtype, layout), array(rng, w, dtype), b), kwargs)


def maxpool2d_sample(name, dtype, x, layout="contiguous", **kwargs):
    return Sample(name, ("x",), (array(rng_for(name), x, dtype, layout),), kwargs)


# (N, C, H, W) and (F, C // groups, KH, KW): every case differs from the others in one idea
CONV2D = {
    "basic": dict(x=(2, 3, 5, 5), w=(4, 3, 3, 3)),
    "no_bias": dict(x=(2, 3, 5, 5), w=(4, 3, 3, 3), bias=False),
    "padding": dict(x=(2, 2, 5, 6), w=(3, 2, 3, 3), padding=1),
    "stride": dict(x=(1, 2, 7, 7), w=(3, 2, 3, 3), stride=2),
    "asymmetric": dict(x=(2, 2, 6, 8), w=(3, 2, 2, 3), stride=(2, 1), padding=(0, 2)),
    "kernel_1x1": dict(x=(2, 4, 4, 4), w=(2, 4, 1, 1)),
    "kernel_full": dict(x=(2, 3, 4, 5), w=(5, 3, 4, 5)),
    "stride_gt_kernel": dict(x=(1, 2, 9, 9), w=(2, 2, 2, 2), stride=3, padding=1),
    "batch_of_one": dict(x=(1, 1, 6, 6), w=(1, 1, 3, 3), padding=2),
    "non_square_output": dict(x=(2, 3, 5, 9), w=(4, 3, 3, 3)),  # (3, 7): no padding, no stride
    "window_does_not_fit": dict(x=(1, 2, 10, 10), w=(3, 2, 2, 2), stride=3),  # (10 - 2) / 3 = 2.67: floor
    "non_contiguous": dict(x=(2, 3, 5, 5), w=(2, 3, 3, 3), padding=1, layout="strided"),
}
CONV2D_DILATION_GROUPS = {
    "dilation": dict(x=(2, 2, 7, 7), w=(3, 2, 3, 3), dilation=2),
    "dilation_pair_padding": dict(x=(1, 2, 8, 7), w=(2, 2, 3, 2), dilation=(2, 3), padding=(2, 1)),
    "groups": dict(x=(2, 4, 5, 5), w=(6, 2, 3, 3), groups=2),
    "depthwise": dict(x=(2, 3, 5, 5), w=(3, 1, 3, 3), groups=3, padding=1),
    "all_together": dict(x=(2, 4, 9, 8), w=(4, 2, 3, 3), stride=2, padding=(1, 2), dilation=2, groups=2),
}
MAXPOOL2D = {
    "2x2": dict(x=(2, 3, 4, 4), kernel_size=2),
    "3x3_stride_2": dict(x=(1, 2, 7, 7), kernel_size=3, stride=2),
    "padding": dict(x=(2, 2, 5, 5), kernel_size=3, stride=2, padding=1),
    "asymmetric": dict(x=(1, 2, 6, 7), kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
    "non_square_output": dict(x=(1, 2, 4, 8), kernel_size=2),  # (2, 4): no padding, square kernel
    "window_does_not_fit": dict(x=(1, 2, 10, 10), kernel_size=2, stride=3),  # (10 - 2) / 3 = 2.67: floor
    "non_contiguous": dict(x=(2, 2, 6, 6), kernel_size=2, layout="transposed"),
}


def conv2d_samples():
    return with_dtypes(conv2d_sample, CONV2D)


def conv2d_dilation_groups_samples():
    return with_dtypes(conv2d_sample, CONV2D_DILATION_GROUPS)


def maxpool2d_samples():
    return with_dtypes(maxpool2d_sample, MAXPOOL2D)


def invalid_calls():
    """Bad arguments: each must raise ValueError naming one of the arguments involved."""
    x, w = np.zeros((1, 4, 5, 5)), np.zeros((2, 4, 3, 3))
    return [
        ErrorCase("conv2d_forward", "groups does not divide C", (x, w), dict(groups=3), ("groups", "x", "w")),
        ErrorCase("conv2d_forward", "w channels != C // groups", (x, np.zeros((2, 2, 3, 3))), {}, ("w", "x", "groups")),
        ErrorCase("conv2d_forward", "bias of the wrong length", (x, w, np.zeros(3)), {}, ("b", "w")),
        ErrorCase("conv2d_forward", "stride 0", (x, w), dict(stride=0), ("stride",)),
        ErrorCase("conv2d_forward", "negative padding", (x, w), dict(padding=-1), ("padding",)),
        ErrorCase("conv2d_forward", "kernel larger than the padded input", (x, np.zeros((2, 4, 7, 7))), {},
                  ("x", "w", "padding", "dilation")),
    ]
