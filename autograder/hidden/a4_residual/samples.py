"""Hidden sample inputs for a4: the cases that separate the usual mistakes.

- odd sizes with stride 2 (7x7 -> 4x4: the subsampling of option A and the projection must agree
  with the 3x3 conv's padding), a stride pair (2, 1), non-contiguous and Fortran-ordered inputs;
- eval mode with a projection (the projection's batch norm uses its running statistics too);
- option A on the bottleneck and with an odd number of new channels, option C on a stride-2 block,
  option B with the shapes matching (identity: no projection parameters are given);
- a batch of one image with 3x3 spatial size (batch statistics over few values).
"""

from assignments.a4_residual import samples as visible

BASIC = {
    "odd_stride2": dict(x=(2, 3, 7, 7), planes=6, stride=2),
    "stride_pair": dict(x=(2, 4, 6, 5), planes=4, stride=(2, 1)),
    "strided_view": dict(x=(2, 4, 5, 5), planes=4, layout="strided"),
    "eval_projection_odd": dict(x=(2, 3, 7, 7), planes=5, stride=2, training=False),
    "one_image": dict(x=(1, 4, 3, 3), planes=4),
}
BOTTLENECK = {
    "odd_stride2": dict(x=(2, 8, 7, 7), planes=3, stride=2),
    "transposed_view": dict(x=(2, 12, 4, 4), planes=3, layout="transposed"),
    "eval_identity": dict(x=(3, 16, 4, 4), planes=4, training=False),
    "widening": dict(x=(2, 4, 5, 5), planes=2),
}
SHORTCUTS = {
    "A_odd_size_stride2": dict(kind="basic", x=(2, 3, 7, 7), planes=6, stride=2, shortcut="A"),
    "A_odd_new_channels": dict(kind="basic", x=(2, 4, 6, 6), planes=7, stride=2, shortcut="A"),
    "A_eval": dict(kind="basic", x=(2, 2, 6, 6), planes=4, stride=2, shortcut="A", training=False),
    "A_bottleneck_channels_only": dict(kind="bottleneck", x=(2, 6, 4, 4), planes=3, shortcut="A"),
    "B_identity_bottleneck": dict(kind="bottleneck", x=(2, 8, 4, 4), planes=2, shortcut="B"),
    "C_stride2": dict(kind="basic", x=(2, 4, 6, 6), planes=4, stride=2, shortcut="C"),
    "C_bottleneck_eval": dict(kind="bottleneck", x=(2, 8, 5, 5), planes=2, shortcut="C", training=False),
}


def basic_block_samples():
    return visible.basic_block_samples(BASIC)


def bottleneck_block_samples():
    return visible.bottleneck_block_samples(BOTTLENECK)


def basic_block_shortcut_samples():
    return visible.basic_block_shortcut_samples(SHORTCUTS)


def bottleneck_block_shortcut_samples():
    return visible.bottleneck_block_shortcut_samples(SHORTCUTS)
