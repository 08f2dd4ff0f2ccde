"""The grading command: full marks for the reference, zero for the stubs, and bad submissions
that cost only their tasks. End to end through the CLI where the command itself is what is
tested (the reference, the stubs, a missing file, a syntax error, stray files beside the
submission, the table, bad arguments); the rest grade in this process (``grade_here``), the
learner code in the same confined worker."""

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
    report = grade_here(sub, ["a1_convolution"], task_timeout=2)
    assert time.monotonic() - start < 120
    s = scores(report)
    assert s["a1_convolution/conv2d_backward"] == 0 and s["a1_convolution/conv2d_dilation_groups"] == 0
    assert "did not finish" in report["by_task"]["a1_convolution/conv2d_backward"]["output"]
    for task in ("conv2d_forward", "maxpool2d_forward", "maxpool2d_backward"):
        assert report["by_task"][f"a1_convolution/{task}"]["status"] == "passed"


def test_hang_at_import_costs_the_assignment(submission):
    report = grade_here(submission([("import numpy as np\n", "import numpy as np\nwhile True:\n    pass\n")]),
                        ["a1_convolution"], task_timeout=2)
    assert report["score"] == 0
    assert "importing conv.py did not finish" in report["tests"][0]["output"]


@pytest.mark.parametrize("module", ["torch", "solutions.a1_convolution.conv", "assignments.common.fast.conv"])
def test_forbidden_import_costs_the_tasks_with_a_reason(submission, module):
    edit = ("import numpy as np\n", f"import numpy as np\nimport {module}\n")
    report = grade_here(submission([edit]), ["a1_convolution"])
    assert report["score"] == 0
    assert f"may not import '{module.split('.')[0]}'" in report["tests"][0]["output"]
    assert "numpy only" in report["tests"][0]["output"]


def test_torch_imported_inside_one_function_costs_that_function(submission):
    edit = ("    x_shape, dtype, argmax,", "    import torch\n    x_shape, dtype, argmax,")
    s = scores(grade_here(submission([edit]), ["a1_convolution"]))
    assert s["a1_convolution/maxpool2d_backward"] == 0
    assert s["a1_convolution/conv2d_forward"] == 25


def test_crash_costs_only_the_task_in_flight(submission):
    edit = ("    x_shape, dtype, argmax,", "    import os\n    os._exit(3)\n    x_shape, dtype, argmax,")
    report = grade_here(submission([edit]), ["a1_convolution"])
    assert report["by_task"]["a1_convolution/maxpool2d_backward"]["score"] == 0
    assert "crashed" in report["by_task"]["a1_convolution/maxpool2d_backward"]["output"]
    assert report["score"] == 85


def test_memory_blow_up_costs_only_its_task(submission):
    edit = ("    x_shape, dtype, argmax,", "    hog = [np.ones(10**7) for _ in range(10**5)]\n    x_shape, dtype, argmax,")
    report = grade_here(submission([edit]), ["a1_convolution"])
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
    assert grade_here(sub, ["a1_convolution"])["score"] == 100


def test_returning_something_that_is_not_an_array_is_reported(submission):
    edit = ("    return dx_pad[:, :, ph:ph + H, pw:pw + W]  # (N, C, H, W)",
            "    class Opaque:\n        pass\n    return Opaque()")
    report = grade_here(submission([edit]), ["a1_convolution"])
    output = report["by_task"]["a1_convolution/maxpool2d_backward"]["output"]
    assert report["by_task"]["a1_convolution/maxpool2d_backward"]["score"] == 0
    assert "expected a numpy array, got <a Opaque object>" in output


def test_table_format_and_bad_arguments():
    # the table (all seven assignments are graded in the Gradescope schema above, and by CI)
    proc = run("-m", "autograder", "grade", "solutions", "--assignment", "a1_convolution", "--assignment", "a3_dropout")
    assert proc.returncode == 0 and "200 / 200" in proc.stdout and "a3_dropout/dropout_backward" in proc.stdout
    proc = run("-m", "autograder", "grade", "solutions", "--assignment", "a9_nothing")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = run("-m", "autograder", "grade", "no/such/dir")
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_an_answer_over_the_output_cap_is_refused_with_a_message(submission):
    edit = ("    return dx_pad[:, :, ph:ph + H, pw:pw + W]  # (N, C, H, W)", "    return np.zeros(10**8)")
    report = grade_here(submission([edit]), ["a1_convolution"])
    output = report["by_task"]["a1_convolution/maxpool2d_backward"]["output"]
    assert report["by_task"]["a1_convolution/maxpool2d_backward"]["score"] == 0
    assert "OutputTooLarge" in output and "MiB a result may take" in output
