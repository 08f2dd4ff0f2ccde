"""Hidden sample inputs for a1: other shapes than the visible ones, and the edge cases that
separate the common mistakes (one-sided padding, off-by-one sizes, zero padding in max-pool)."""


from assignments.a1_convolution.samples import conv2d_sample, maxpool2d_sample
import numpy as np

from assignments.common.samples import Sample, array, rng_for, with_dtypes

CONV2D = {
    "odd_sizes": dict(x=(3, 5, 11, 9), w=(7, 5, 3, 3), stride=2, padding=1),
    "wide_kernel": dict(x=(2, 3, 8, 10), w=(4, 3, 1, 5), padding=(0, 2)),
    "tall_kernel_stride": dict(x=(2, 3, 10, 8), w=(4, 3, 5, 1), stride=(3, 1)),
    "padding_beyond_half": dict(x=(1, 2, 4, 4), w=(3, 2, 3, 3), padding=3),
    "stride_4_kernel_2": dict(x=(2, 2, 13, 13), w=(3, 2, 2, 2), stride=4),
    "kernel_full_padded": dict(x=(2, 2, 3, 3), w=(2, 2, 3, 3), padding=1, bias=False),
    "single_everything": dict(x=(1, 1, 5, 7), w=(1, 1, 2, 2), bias=False),
    "fortran_order": dict(x=(2, 3, 6, 5), w=(2, 3, 2, 2), stride=(1, 2), layout="transposed"),
    "resnet_like": dict(x=(4, 16, 12, 12), w=(24, 16, 3, 3), padding=1),
    "wide_output": dict(x=(2, 2, 6, 11), w=(3, 2, 2, 2)),  # (5, 10): non-square, nothing else
    "stride_leaves_a_remainder": dict(x=(2, 3, 14, 14), w=(2, 3, 3, 3), stride=4),  # 11 / 4 = 2.75: floor
}
CONV2D_DILATION_GROUPS = {
    "dilation_3_stride_2": dict(x=(2, 3, 13, 12), w=(4, 3, 3, 3), dilation=3, stride=2, padding=2),
    "dilation_one_axis": dict(x=(2, 2, 7, 9), w=(3, 2, 2, 3), dilation=(1, 2), padding=(0, 2)),
    "groups_4": dict(x=(2, 8, 6, 6), w=(12, 2, 3, 3), groups=4),
    "depthwise_multiplier_2": dict(x=(2, 4, 6, 6), w=(8, 1, 3, 3), groups=4, padding=1),
    "groups_dilation_stride": dict(x=(1, 6, 11, 11), w=(9, 2, 2, 3), groups=3, dilation=2, stride=(2, 3), padding=1),
    "groups_no_bias_strided": dict(x=(2, 4, 7, 7), w=(4, 2, 3, 3), groups=2, bias=False, layout="strided"),
}
MAXPOOL2D = {
    "overlapping_windows": dict(x=(2, 3, 6, 6), kernel_size=3, stride=1),
    "stride_gt_kernel": dict(x=(1, 2, 11, 11), kernel_size=2, stride=3),
    "global": dict(x=(2, 3, 5, 7), kernel_size=(5, 7)),
    "rectangular_padded": dict(x=(2, 2, 7, 6), kernel_size=(3, 2), stride=(2, 1), padding=(1, 1)),
    "odd_sizes": dict(x=(3, 5, 9, 7), kernel_size=3, stride=2, padding=1),
    "strided_view": dict(x=(2, 2, 8, 8), kernel_size=2, layout="strided"),
    "non_square_3x3": dict(x=(2, 3, 6, 9), kernel_size=3),  # (2, 3): non-square, nothing else
    "stride_leaves_a_remainder": dict(x=(1, 2, 14, 14), kernel_size=3, stride=4),  # 11 / 4 = 2.75: floor
}


def conv2d_samples():
    return with_dtypes(conv2d_sample, CONV2D)


def conv2d_dilation_groups_samples():
    return with_dtypes(conv2d_sample, CONV2D_DILATION_GROUPS)


def maxpool2d_samples():
    return with_dtypes(maxpool2d_sample, MAXPOOL2D) + maxpool2d_negative_padded_samples()


def maxpool2d_negative_padded_samples():
    """Every value negative and padding on: padding with 0 instead of -inf changes the border."""
    def make(name, dtype, x, **kwargs):
        return Sample(name, ("x",), (array(rng_for(name), x, dtype, low=-2.0, high=-1.0),), kwargs)
    return with_dtypes(make, {"all_negative_padded": dict(x=(2, 2, 5, 5), kernel_size=2, stride=2, padding=1),
                              "all_negative_3x3": dict(x=(1, 3, 6, 6), kernel_size=3, stride=2, padding=1)})


def maxpool2d_tied_samples():
    """Small integers in non-overlapping 2x2 windows: most windows hold their maximum twice or more."""
    x = rng_for("ties").integers(0, 3, size=(2, 3, 6, 6))
    return [Sample("ties", ("x",), (x.astype(dtype),), dict(kernel_size=2)) for dtype in (np.float64, np.float32)]
