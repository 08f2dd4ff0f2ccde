"""Planted bugs of a4_residual: each is one classic mistake, as an edit of the reference, with the
task that must lose points and the name the feedback must give it (tests/test_planted.py).
Every misconception the feedback knows (assignments/a4_residual/misconceptions.py) has one here.

Each entry: name -> ([(old text, new text[, times it occurs]), ...], task).
"""

FINAL_RELU = "    out = np.maximum(f + s, 0)  # the ReLU after the addition"
BOTH_PATHS = "    dx = branch_backward(dsum, branch_cache, grads) + shortcut_backward(dsum, shortcut_cache, grads)"
APPEND = "    out[:, :C] = sub  # the new channels stay zero"
BN_STATS = '''params[f"{bn}.running_mean"], params[f"{bn}.running_var"],'''

PLANTED = {
    "final_relu_missing": ([(FINAL_RELU, "    out = f + s"),
                            ("    dsum = dout * (out > 0)", "    dsum = dout")], "basic_block_forward"),
    "relu_before_addition": ([(FINAL_RELU, "    out = np.maximum(f, 0) + s")], "basic_block_forward"),
    "stride_on_wrong_conv": ([('BASIC = (("conv1", "bn1", 3, True), ("conv2", "bn2", 3, False))',
                               'BASIC = (("conv1", "bn1", 3, False), ("conv2", "bn2", 3, True))')],
                             "basic_block_forward"),
    "training_flag_ignored": ([("training=training, momentum=BN_MOMENTUM", "training=True, momentum=BN_MOMENTUM")],
                              "basic_block_forward"),
    "running_stats_not_in_place": ([(BN_STATS, '''params[f"{bn}.running_mean"].copy(), params[f"{bn}.running_var"].copy(),''')],
                                   "bottleneck_forward"),
    "padding_one_everywhere": ([("stride=stride if strided else 1, padding=k // 2)", "stride=stride if strided else 1, padding=1)")],
                               "bottleneck_forward"),
    "running_momentum_swapped": ([("momentum=BN_MOMENTUM, eps=BN_EPS", "momentum=1 - BN_MOMENTUM, eps=BN_EPS")],
                                 "basic_block_forward"),
    "running_var_biased": ([("    out, bn_cache = layers.batchnorm_forward(out,", "    pre = out\n    out, bn_cache = layers.batchnorm_forward(out,"),
                            ("    return out, (layer, conv_cache, bn_cache)",
                             "    if training:  # the update with the biased variance: n / (n - 1) times less of it\n"
                             "        params[f\"{bn}.running_var\"] -= BN_MOMENTUM * pre.var(axis=(0, 2, 3), ddof=1) / (pre.size // pre.shape[1])\n"
                             "    return out, (layer, conv_cache, bn_cache)")], "basic_block_forward"),
    "option_a_pads_in_front": ([(APPEND, "    out[:, out_channels - C:] = sub")], "shortcuts"),
    "option_a_pads_both_sides": ([(APPEND, "    front = (out_channels - C) // 2\n    out[:, front:front + C] = sub")],
                                 "shortcuts"),
    "option_a_subsample_offset": ([("    sub = x[:, :, ::sh, ::sw]", "    sub = x[:, :, 1::sh, 1::sw]")], "shortcuts"),
    "option_c_identity": ([('    if shortcut == "C" or (shortcut == "B" and not shapes_match):',
                            '    if shortcut in ("B", "C") and not shapes_match:')], "shortcuts"),
    "projection_without_bn": ([("        out, cache = conv_bn_forward(x, params, PROJECTION, stride, training)\n",
                                '        out, cache = layers.conv2d_forward(x, params["downsample.0.weight"], None, stride=stride)\n')],
                              "shortcuts"),
    "shortcut_gradient_dropped": ([(BOTH_PATHS, "    dx = branch_backward(dsum, branch_cache, grads)\n"
                                                "    shortcut_backward(dsum, shortcut_cache, grads)")],
                                  "basic_block_backward"),
    "final_relu_mask_only_on_branch": ([(BOTH_PATHS, "    dx = branch_backward(dsum, branch_cache, grads) + "
                                                     "shortcut_backward(dout, shortcut_cache, grads)")],
                                       "basic_block_backward"),
    "inner_relu_mask_missing": ([("            dout = dout * (out > 0)  # relu: the gradient passes where the output was positive",
                                  "            pass")], "bottleneck_backward"),
}
