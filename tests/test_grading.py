"""The grading command, end to end through the CLI: full marks for the reference, zero for
the stubs, points lost by every planted bug, and bad submissions that cost only their tasks."""

import time

import pytest

from assignments.common import catalog
from tests.conftest import KIT, grade, grade_here, run

ALL_TASKS = [t.qualified(a.name) for a in catalog.ASSIGNMENTS.values() for t in a.tasks]
A1 = ("--assignment", "a1_convolution")


def scores(report):
    return {name: t["score"] for name, t in report["by_task"].items()}


def test_reference_scores_full_marks_in_gradescope_schema():
    report = grade(KIT / "solutions")
    assert report["score"] == report["max_score"] == 100 * len(catalog.ASSIGNMENTS)
    assert [t["name"] for t in report["tests"]] == ALL_TASKS
    for t in report["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output"}
        assert t["status"] == "passed" and t["score"] == t["max_score"], t
        assert "checks passed" in t["output"]


def test_untouched_stubs_score_zero_with_a_message_per_task():
    report = grade(KIT / "assignments")
    assert report["score"] == 0
    for t in report["tests"]:
        assert t["status"] == "failed" and t["score"] == 0
        assert "is not implemented yet" in t["output"], t["output"]


def test_missing_file_scores_zero_with_a_message(tmp_path):
    report = grade(tmp_path)
    assert report["score"] == 0
    for t in report["tests"]:
        a = catalog.get(t["name"].split("/")[0])
        assert f"{a.name}/{a.file} was not found in the submission" in t["output"]


# -------------------------------------------------------------------------- planted bugs
# (edit of the reference, the task that must lose points). Each is one common mistake.
PLANTED = {
    "kernel_flipped": ([("patch, wg[:, :, u, v])", "patch, wg[:, :, KH - 1 - u, KW - 1 - v])")], "conv2d_forward"),
    "one_sided_padding": ([("(ph, ph), (pw, pw)))  # (N, C, H + 2ph", "(ph, 0), (pw, 0)))  # (N, C, H + 2ph")],
                          "conv2d_forward"),
    "output_size_off_by_one": ([("OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1",
                                 "OH = (H + 2 * ph - dh * (KH - 1)) // sh + 1")], "conv2d_forward"),
    "dtype_not_kept": ([("out = np.zeros((N, F, OH, OW), dtype=x.dtype)", "out = np.zeros((N, F, OH, OW))")],
                       "conv2d_forward"),
    "dilation_ignored": ([("u * dh", "u", 4), ("v * dw", "v", 4)], "conv2d_dilation_groups"),
    "groups_miswired": ([("xg = x_pad[:, g * Cg:(g + 1) * Cg]", "xg = x_pad[:, :Cg]", 2)], "conv2d_dilation_groups"),
    "db_summed_wrong": ([("db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=(2, 3)).mean(axis=0)")],
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
    "conv_size_rounded": ([("OH = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1",
                            "OH = round((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1")], "conv2d_forward"),
    # a message that names no argument: "be" and "with" do not name b or w
    "bias_message_names_no_argument": ([('raise ValueError(f"b must have shape ({F},), got {b.shape}")',
                                         'raise ValueError(f"the lengths must be equal, got {b.shape} with {F}")')],
                                       "conv2d_forward"),
}


PLANTED_NORMS = {
    "eps_outside_sqrt": ([("inv_std = 1.0 / np.sqrt(var + eps)", "inv_std = 1.0 / (np.sqrt(var) + eps)")],
                         "batchnorm_forward"),
    "unbiased_variance": ([("var = x.var(axis=axes)  # (C,)", "var = x.var(axis=axes, ddof=1)  # (C,)")],
                          "batchnorm_forward"),
    "batch_statistics_in_eval": ([("    if training:\n        n = x.size // C", "    if True:\n        n = x.size // C")],
                                 "batchnorm_forward"),
    "running_var_biased": ([("running_var += momentum * var * n / (n - 1)", "running_var += momentum * var")],
                           "batchnorm_running_stats"),
    "momentum_flipped": ([("running_mean *= 1 - momentum", "running_mean *= momentum"),
                          ("running_mean += momentum * mean", "running_mean += (1 - momentum) * mean")],
                         "batchnorm_running_stats"),
    "running_stats_not_in_place": ([("running_mean *= 1 - momentum  # in place: the caller's array changes\n"
                                     "        running_mean += momentum * mean",
                                     "running_mean = (1 - momentum) * running_mean + momentum * mean")],
                                   "batchnorm_running_stats"),
    "statistics_treated_as_constants": ([("        g = g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)\n",
                                          "        pass\n")], "batchnorm_backward"),
    "dgamma_summed_over_batch_only": ([("dgamma = (dout * x_hat).sum(axis=axes)  # (C,)\n    dbeta = dout.sum(axis=axes)  # (C,)\n    g = dout * gamma.reshape(shape)  # dL/dx_hat",
                                        "dgamma = (dout * x_hat).sum(axis=0).reshape(-1)[:gamma.size]\n    dbeta = dout.sum(axis=axes)  # (C,)\n    g = dout * gamma.reshape(shape)  # dL/dx_hat")],
                                      "batchnorm_backward"),
    "layernorm_over_last_axis_only": ([("axes = tuple(range(x.ndim - gamma.ndim, x.ndim))  # the normalized axes",
                                        "axes = (x.ndim - 1,)")], "layernorm"),
    "layernorm_eps_outside_sqrt": ([("inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)\n    x_hat = (x - mean) * inv_std  # like x",
                                     "inv_std = 1.0 / (np.sqrt(x.var(axis=axes, keepdims=True)) + eps)\n    x_hat = (x - mean) * inv_std  # like x")],
                                   "layernorm"),
    "instancenorm_over_the_batch_too": ([("axes = tuple(range(2, x.ndim))  # the spatial axes",
                                          "axes = (0,) + tuple(range(2, x.ndim))")], "instancenorm"),
    "groupnorm_channels_interleaved": ([("xg = x.reshape(N, num_groups, -1)",
                                         "xg = np.moveaxis(x.reshape(N, C // num_groups, num_groups, -1), 2, 1).reshape(N, num_groups, -1)")],
                                       "groupnorm"),
}
PLANTED_NORMS["no_argument_checks"] = (  # numpy's own error, raised on a line that mentions gamma: not a message
    [("        _check(a.shape == (C,), f\"{name} must have shape ({C},), got {a.shape}\")", "        pass")],
    "batchnorm_forward")
PLANTED_DROPOUT = {
    "keep_drop_confused": ([("keep = rng.random(x.shape) >= p", "keep = rng.random(x.shape) < p")], "dropout_inverted"),
    "no_scaling": ([('scale = (1.0 / (1.0 - p) if p < 1 else 0.0) if scale_at == "train" else 1.0',
                     'scale = 1.0')], "dropout_inverted"),
    "scaled_by_keep_probability": ([("(1.0 / (1.0 - p) if p < 1 else 0.0)", "(1.0 - p)")], "dropout_inverted"),
    "drops_in_eval": ([("    if not training:\n", "    if False:\n")], "dropout_inverted"),
    "nan_for_p_one": ([("(1.0 / (1.0 - p) if p < 1 else 0.0)", "(1.0 / (1.0 - p) if p <= 1 else 0.0)")],
                      "dropout_inverted"),
    "test_time_eval_unscaled": ([('scale = 1.0 if scale_at == "train" else 1.0 - p', "scale = 1.0")],
                                "dropout_test_time_scaling"),
    "fresh_mask_in_backward": ([("    factor = cache\n    return dout * factor",
                                 "    factor = cache\n    if factor.ndim:\n"
                                 "        factor = (np.random.default_rng().random(factor.shape) < (factor != 0).mean()) * factor.max()\n"
                                 "    return dout * factor")], "dropout_backward"),
    "mutates_input": ([("    return x * factor, factor", "    x *= factor\n    return x, factor")], "dropout_inverted"),
    "one_mask_for_the_batch": ([("keep = rng.random(x.shape) >= p", "keep = rng.random((1,) + x.shape[1:]) >= p")],
                               "dropout_inverted"),
}
BUGS = [pytest.param("a1_convolution", bug, id=bug) for bug in PLANTED] + \
       [pytest.param("a2_normalization", bug, id=bug) for bug in PLANTED_NORMS] + \
       [pytest.param("a3_dropout", bug, id=bug) for bug in PLANTED_DROPOUT]
BY_ASSIGNMENT = {"a1_convolution": PLANTED, "a2_normalization": PLANTED_NORMS, "a3_dropout": PLANTED_DROPOUT}


@pytest.mark.parametrize("assignment, bug", BUGS)
def test_each_planted_bug_loses_points_on_its_task(submission, assignment, bug):
    edits, task = BY_ASSIGNMENT[assignment][bug]
    report = grade_here(submission(edits, assignment=assignment), [assignment])
    task_report = report["by_task"][f"{assignment}/{task}"]
    assert task_report["score"] < task_report["max_score"], f"{bug} kept all of {task}'s points"
    assert task_report["status"] == "failed" and report["score"] < 100
    if bug in ("no_argument_checks", "bias_message_names_no_argument"):
        assert "should name the argument involved" in task_report["output"]


def test_a_submission_that_changes_its_inputs_cannot_spoil_the_next_one(submission, tmp_path):
    """Grading in one process (a batch, an nbgrader autograde) shares the test inputs between
    submissions: code that writes into its inputs must not change what the next one is given."""
    vandal = submission([("    return x * factor, factor", "    x[...] = 0\n    return x * factor, factor")],
                        assignment="a3_dropout")
    assert grade_here(vandal, ["a3_dropout"])["score"] < 100
    assert grade_here(KIT / "solutions", ["a3_dropout"])["score"] == 100


# -------------------------------------------------------------------------- bad submissions


def test_syntax_error_costs_a1_and_the_command_still_reports(submission):
    sub = submission(source=(KIT / "solutions/a1_convolution/conv.py").read_text() + "\ndef broken(:\n")
    report = grade(sub, *A1)
    assert report["score"] == 0
    for t in report["tests"]:
        assert "could not be imported: SyntaxError" in t["output"] and "line" in t["output"]


def test_hang_costs_only_the_tasks_that_hang(submission):
    sub = submission([("    x_pad, w, has_bias, (sh, sw)", "    while True:\n        pass\n    x_pad, w, has_bias, (sh, sw)")])
    start = time.monotonic()
    report = grade(sub, "--task-timeout", "2", *A1)
    assert time.monotonic() - start < 120
    s = scores(report)
    assert s["a1_convolution/conv2d_backward"] == 0 and s["a1_convolution/conv2d_dilation_groups"] == 0
    assert "did not finish" in report["by_task"]["a1_convolution/conv2d_backward"]["output"]
    for task in ("conv2d_forward", "maxpool2d_forward", "maxpool2d_backward"):
        assert report["by_task"][f"a1_convolution/{task}"]["status"] == "passed"


def test_hang_at_import_costs_the_assignment(submission):
    report = grade(submission([("import numpy as np\n", "import numpy as np\nwhile True:\n    pass\n")]),
                   "--task-timeout", "2", *A1)
    assert report["score"] == 0
    assert "importing conv.py did not finish" in report["tests"][0]["output"]


@pytest.mark.parametrize("module", ["torch", "solutions.a1_convolution.conv", "assignments.common.fast.conv"])
def test_forbidden_import_costs_the_tasks_with_a_reason(submission, module):
    report = grade(submission([("import numpy as np\n", f"import numpy as np\nimport {module}\n")]), *A1)
    assert report["score"] == 0
    assert f"may not import '{module.split('.')[0]}'" in report["tests"][0]["output"]
    assert "numpy only" in report["tests"][0]["output"]


def test_torch_imported_inside_one_function_costs_that_function(submission):
    edit = ("    x_shape, dtype, argmax,", "    import torch\n    x_shape, dtype, argmax,")
    s = scores(grade(submission([edit]), *A1))
    assert s["a1_convolution/maxpool2d_backward"] == 0
    assert s["a1_convolution/conv2d_forward"] == 25


def test_crash_costs_only_the_task_in_flight(submission):
    report = grade(submission([("    x_shape, dtype, argmax,", "    import os\n    os._exit(3)\n    x_shape, dtype, argmax,")]), *A1)
    assert report["by_task"]["a1_convolution/maxpool2d_backward"]["score"] == 0
    assert "crashed" in report["by_task"]["a1_convolution/maxpool2d_backward"]["output"]
    assert report["score"] == 85


def test_memory_blow_up_costs_only_its_task(submission):
    edit = ("    x_shape, dtype, argmax,", "    hog = [np.ones(10**7) for _ in range(10**5)]\n    x_shape, dtype, argmax,")
    report = grade(submission([edit]), *A1)
    assert report["score"] == 85
    assert "MemoryError" in report["by_task"]["a1_convolution/maxpool2d_backward"]["output"]


def test_stray_conftest_and_sitecustomize_are_ignored(submission):
    poison = "import os\nos._exit(7)\n"
    sub = submission(extra_files={"conftest.py": poison, "a1_convolution/conftest.py": poison,
                                  "sitecustomize.py": poison, "a1_convolution/sitecustomize.py": poison,
                                  "a1_convolution/numpy.py": poison})
    assert grade(sub, *A1)["score"] == 100


def test_prints_do_not_disturb_grading(submission):
    sub = submission([("    N, C, H, W = x.shape\n    F, Cg", "    print('debugging', x.shape)\n    N, C, H, W = x.shape\n    F, Cg")])
    assert grade(sub, *A1)["score"] == 100


def test_returning_something_that_is_not_an_array_is_reported(submission):
    edit = ("    return dx_pad[:, :, ph:ph + H, pw:pw + W]  # (N, C, H, W)",
            "    class Opaque:\n        pass\n    return Opaque()")
    report = grade(submission([edit]), *A1)
    output = report["by_task"]["a1_convolution/maxpool2d_backward"]["output"]
    assert report["by_task"]["a1_convolution/maxpool2d_backward"]["score"] == 0
    assert "expected a numpy array, got <a Opaque object>" in output


def test_table_format_and_bad_arguments():
    proc = run("-m", "autograder", "grade", "solutions", "--assignment", "a1_convolution")
    assert proc.returncode == 0 and "100 / 100" in proc.stdout
    proc = run("-m", "autograder", "grade", "solutions")
    assert proc.returncode == 0 and f"{100 * len(catalog.ASSIGNMENTS)} / {100 * len(catalog.ASSIGNMENTS)}" in proc.stdout
    proc = run("-m", "autograder", "grade", "solutions", "--assignment", "a9_nothing")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = run("-m", "autograder", "grade", "no/such/dir")
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_an_answer_over_the_output_cap_is_refused_with_a_message(submission):
    edit = ("    return dx_pad[:, :, ph:ph + H, pw:pw + W]  # (N, C, H, W)", "    return np.zeros(10**8)")
    report = grade(submission([edit]), *A1)
    output = report["by_task"]["a1_convolution/maxpool2d_backward"]["output"]
    assert report["by_task"]["a1_convolution/maxpool2d_backward"]["score"] == 0
    assert "OutputTooLarge" in output and "MiB a result may take" in output
