"""Planted bugs of a1_convolution: each is one classic mistake, as an edit of the reference, with the
task that must lose points and the name the feedback must give it (tests/test_planted.py).
Every misconception the feedback knows (assignments/a1_convolution/misconceptions.py) has one here.

Each entry: name -> ([(old text, new text[, times it occurs]), ...], task).
"""

PLANTED = {
    "kernel_flipped": ([("patch, wg[:, :, u, v])", "patch, wg[:, :, KH - 1 - u, KW - 1 - v])")], "conv2d_forward"),
    "bias_forgotten": ([("        out += b.astype(x.dtype)[None, :, None, None]\n", "        pass\n")], "conv2d_forward"),
    "one_sided_padding": ([("(ph, ph), (pw, pw)))  # (N, C, H + 2ph", "(ph, 0), (pw, 0)))  # (N, C, H + 2ph"),
                           ("OH = (H + 2 * ph - dh", "OH = (H + ph - dh"), ("OW = (W + 2 * pw - dw", "OW = (W + pw - dw")],
                          "conv2d_forward"),
    "output_size_off_by_one": ([("OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1", "OH = (H + 2 * ph - dh * (KH - 1)) // sh + 1"),
                                ("OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1", "OW = (W + 2 * pw - dw * (KW - 1)) // sw + 1")],
                               "conv2d_forward"),
    "dtype_not_kept": ([("out = np.zeros((N, F, OH, OW), dtype=x.dtype)", "out = np.zeros((N, F, OH, OW))"),
                        ("        out += b.astype(x.dtype)[None, :, None, None]", "        out += b[None, :, None, None]")],
                       "conv2d_forward"),
    "dilation_ignored": ([("u * dh", "u", 4), ("v * dw", "v", 4)], "conv2d_dilation_groups"),
    "groups_miswired": ([("xg = x_pad[:, g * Cg:(g + 1) * Cg]", "xg = x_pad[:, :Cg]", 2)], "conv2d_dilation_groups"),
    "db_averaged_over_batch": ([("db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=(2, 3)).mean(axis=0)")],
                               "conv2d_backward"),
    "dw_averaged_over_batch": ([('np.einsum("nfhw,nchw->fc", doutg, patch)', 'np.einsum("nfhw,nchw->fc", doutg, patch) / N')],
                               "conv2d_backward"),
    "dx_cropped_wrong": ([("dx = dx_pad[:, :, ph:Hp - ph, pw:Wp - pw]", "dx = dx_pad[:, :, :Hp - 2 * ph, :Wp - 2 * pw]")],
                         "conv2d_backward"),
    "maxpool_gradient_to_every_position": ([("+= dout * won", "+= dout")], "maxpool2d_backward"),
    "maxpool_zero_padding": ([("constant_values=-np.inf", "constant_values=0")], "maxpool2d_forward"),
    "maxpool_default_stride_1": ([("sh, sw = (KH, KW) if stride is None", "sh, sw = (1, 1) if stride is None")],
                                 "maxpool2d_forward"),
    # public student code: the output size rounded instead of floored, or taken square
    "maxpool_size_rounded": ([("OH = (H + 2 * ph - KH) // sh + 1", "OH = round((H + 2 * ph - KH) / sh) + 1"),
                              ("OW = (W + 2 * pw - KW) // sw + 1", "OW = round((W + 2 * pw - KW) / sw) + 1")],
                             "maxpool2d_forward"),
    "maxpool_output_taken_square": ([("OW = (W + 2 * pw - KW) // sw + 1", "OW = OH")], "maxpool2d_forward"),
    "output_size_rounded": ([("OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1",
                              "OH = round((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1"),
                             ("OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1",
                              "OW = round((W + 2 * pw - dw * (KW - 1) - 1) / sw) + 1")], "conv2d_forward"),
    # a message that names no argument: "be" and "with" do not name b or w
    "value_error_names_no_argument": ([('raise ValueError(f"b must have shape ({F},), got {b.shape}")',
                                        'raise ValueError(f"the lengths must be equal, got {b.shape} with {F}")')],
                                      "conv2d_forward"),
}

PLANTED |= {
    "stride_ignored": ([('    sh, sw = _pair(stride, "stride")\n', '    _pair(stride, "stride")\n    sh, sw = 1, 1\n')],
                       "conv2d_forward"),
    "groups_interleaved": ([("xg = x_pad[:, g * Cg:(g + 1) * Cg]  # (N, Cg, Hp, Wp): this group's channels",
                             "xg = x_pad[:, g::groups]  # every groups-th channel")], "conv2d_dilation_groups"),
    "output_size_ceil": ([("OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1", "OH = -(-(H + 2 * ph - dh * (KH - 1) - 1) // sh) + 1"),
                          ("OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1", "OW = -(-(W + 2 * pw - dw * (KW - 1) - 1) // sw) + 1")],
                         "conv2d_forward"),
    "dx_still_padded": ([("dx = dx_pad[:, :, ph:Hp - ph, pw:Wp - pw]", "dx = dx_pad")], "conv2d_backward"),
    "maxpool_size_ceil": ([("OH = (H + 2 * ph - KH) // sh + 1", "OH = -(-(H + 2 * ph - KH) // sh) + 1"),
                           ("OW = (W + 2 * pw - KW) // sw + 1", "OW = -(-(W + 2 * pw - KW) // sw) + 1")], "maxpool2d_forward"),
    "maxpool_gradient_averaged": ([("+= dout * won", "+= dout / (KH * KW)")], "maxpool2d_backward"),
    "maxpool_gradient_to_every_tie": ([("cache = (x.shape, x.dtype, argmax, (KH, KW), (sh, sw), (ph, pw))",
                                        "cache = (x.shape, x.dtype, (windows, out), (KH, KW), (sh, sw), (ph, pw))"),
                                       ("won = argmax == u * KW + v", "won = argmax[0][u * KW + v] == argmax[1]")],
                                      "maxpool2d_backward"),
    "maxpool_window_origin_by_kernel": ([("dx_pad[:, :, u:u + sh * (OH - 1) + 1:sh, v:v + sw * (OW - 1) + 1:sw] += dout * won",
                                          "dx_pad[:, :, u:u + KH * (OH - 1) + 1:KH, v:v + KW * (OW - 1) + 1:KW] += dout * won")],
                                        "maxpool2d_backward"),
    "maxpool_argmax_transposed": ([("won = argmax == u * KW + v", "won = argmax == v * KW + u")], "maxpool2d_backward"),
    "maxpool_overlap_overwritten": ([("""    for u in range(KH):
        for v in range(KW):
            won = argmax == u * KW + v  # (N, C, OH, OW): windows whose max sits at tap (u, v)
            # overlapping windows (stride < kernel) may send gradient to the same position: +=
            dx_pad[:, :, u:u + sh * (OH - 1) + 1:sh, v:v + sw * (OW - 1) + 1:sw] += dout * won
""", """    n, c, i, j = np.indices(argmax.shape)
    dx_pad[n, c, i * sh + argmax // KW, j * sw + argmax % KW] += dout  # repeated indices add once
""")], "maxpool2d_backward"),
    "output_size_missing_plus_one": ([("OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1", "OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh"),
                                      ("OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw + 1", "OW = (W + 2 * pw - dw * (KW - 1) - 1) // sw")],
                                     "conv2d_forward"),
    "dx_overlap_overwritten": ([('dxg[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", doutg, wg[:, :, u, v])',
                                 'dxg[:, :, rows, cols] = np.einsum("nfhw,fc->nchw", doutg, wg[:, :, u, v])')], "conv2d_backward"),
    "dx_crop_empty_without_padding": ([("dx = dx_pad[:, :, ph:Hp - ph, pw:Wp - pw]", "dx = dx_pad[:, :, ph:-ph, pw:-pw]")],
                                      "conv2d_backward"),
    "kernel_transposed": ([("patch, wg[:, :, u, v])", "patch, wg[:, :, v, u])")], "conv2d_forward"),
    "groups_interleaved_in_backward": ([("doutg = dout[:, g * Fg:(g + 1) * Fg]", "doutg = dout[:, g::groups]")],
                                       "conv2d_dilation_groups"),
    "dx_stride_ignored": ([('dxg[:, :, rows, cols] += np.einsum("nfhw,fc->nchw", doutg, wg[:, :, u, v])',
                            'dxg[:, :, u * dh:u * dh + OH, v * dw:v * dw + OW] += np.einsum("nfhw,fc->nchw", doutg, wg[:, :, u, v])')],
                          "conv2d_backward"),
}
