"""Planted bugs of a3_dropout: each is one classic mistake, as an edit of the reference, with the
task that must lose points and the name the feedback must give it (tests/test_planted.py).
Every misconception the feedback knows (assignments/a3_dropout/misconceptions.py) has one here.

Each entry: name -> ([(old text, new text[, times it occurs]), ...], task).
"""

PLANTED = {
    "keep_drop_confused": ([("keep = rng.random(x.shape) >= p", "keep = rng.random(x.shape) < p")], "dropout_inverted"),
    "no_scaling": ([('scale = (1.0 / (1.0 - p) if p < 1 else 0.0) if scale_at == "train" else 1.0',
                     'scale = 1.0')], "dropout_inverted"),
    "scaled_by_keep_probability": ([("(1.0 / (1.0 - p) if p < 1 else 0.0)", "(1.0 - p)")], "dropout_inverted"),
    "drops_in_eval": ([("    if not training:\n", "    if False:\n")], "dropout_inverted"),
    "nan_for_p_one": ([("(1.0 / (1.0 - p) if p < 1 else 0.0)", "(np.float64(1.0) / (1.0 - p) if p <= 1 else 0.0)")],
                      "dropout_inverted"),
    "test_time_eval_unscaled": ([('scale = 1.0 if scale_at == "train" else 1.0 - p', "scale = 1.0")],
                                "dropout_test_time_scaling"),
    "fresh_mask_in_backward": ([("    factor = cache\n    return dout * factor",
                                 "    factor = cache\n    if factor.ndim:\n"
                                 "        factor = (np.random.default_rng().random(factor.shape) < (factor != 0).mean()) * factor.max()\n"
                                 "    return dout * factor")], "dropout_backward"),
    "backward_without_scale": ([("    factor = cache\n    return dout * factor",
                                 "    factor = cache\n    return dout * (factor != 0) if factor.ndim else dout * factor")],
                               "dropout_backward"),
    "mutates_input": ([("    return x * factor, factor", "    x *= factor\n    return x, factor")], "dropout_inverted"),
    "one_mask_for_the_batch": ([("keep = rng.random(x.shape) >= p", "keep = rng.random((1,) + x.shape[1:]) >= p")],
                               "dropout_inverted"),
}

PLANTED |= {
    "scaled_by_p": ([("(1.0 / (1.0 - p) if p < 1 else 0.0)", "(1.0 / p if p > 0 else 1.0)")], "dropout_inverted"),
    "scaled_in_training_at_test_time": ([('scale = (1.0 / (1.0 - p) if p < 1 else 0.0) if scale_at == "train" else 1.0',
                                          "scale = 1.0 / (1.0 - p) if p < 1 else 0.0")], "dropout_test_time_scaling"),
    "p_one_divides_by_zero": ([("(1.0 / (1.0 - p) if p < 1 else 0.0)", "(1.0 / (1.0 - p))")], "dropout_inverted"),
    "eval_scaled_with_inverted_dropout": ([('scale = 1.0 if scale_at == "train" else 1.0 - p', "scale = 1.0 - p")],
                                          "dropout_inverted"),
    "backward_scale_inverted": ([("    factor = cache\n    return dout * factor",
                                  "    factor = cache\n    if factor.ndim:\n"
                                  "        factor = np.where(factor != 0, 1 / np.where(factor != 0, factor, 1), 0).astype(factor.dtype)\n"
                                  "    return dout * factor")], "dropout_backward"),
    "backward_scaled_twice": ([("    factor = cache\n    return dout * factor",
                                "    factor = cache\n    return dout * factor * (factor.max() if factor.ndim else 1)")],
                              "dropout_backward"),
    "eval_backward_unscaled": ([("    factor = cache\n    return dout * factor",
                                 "    factor = cache\n    return dout * factor if factor.ndim else dout")], "dropout_backward"),
    "rng_ignored": ([("rng = np.random.default_rng() if rng is None else rng", "rng = np.random.default_rng()")],
                    "dropout_inverted"),
    "test_time_scaled_by_p": ([('scale = 1.0 if scale_at == "train" else 1.0 - p', 'scale = 1.0 if scale_at == "train" else p')],
                              "dropout_test_time_scaling"),
}
