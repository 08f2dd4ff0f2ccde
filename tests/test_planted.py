"""Every planted bug (autograder/hidden/<assignment>/planted.py: one per misconception the
feedback knows) loses points on its task, graded as `grade` grades, and the feedback names it.

The bugs are our own code: they are graded in this process (``sandboxed=False``: the same suites
and runner, no worker to start), 186 of them in about a tenth of the time; a few go through the
sandboxed worker as well, end to end."""

import importlib

import pytest

from assignments.common import catalog, diagnose
from tests.conftest import grade_here

PLANTED = {a.name: importlib.import_module(f"autograder.hidden.{a.name}.planted").PLANTED
           for a in catalog.ASSIGNMENTS.values()}
BUGS = [pytest.param(a, bug, id=bug) for a, table in PLANTED.items() for bug in table]


SANDBOXED = {"a1_convolution": "kernel_flipped", "a4_residual": "final_relu_missing", "a7_vae": "kl_sign_flipped"}


@pytest.mark.parametrize("assignment, bug", BUGS)
def test_each_planted_bug_loses_points_on_its_task_and_is_named(submission, assignment, bug):
    edits, task = PLANTED[assignment][bug]
    sandboxed = SANDBOXED.get(assignment) == bug
    report = grade_here(submission(edits, assignment=assignment), [assignment], task=task,  # its task's checks only
                        sandboxed=sandboxed)
    task_report = report["by_task"][f"{assignment}/{task}"]
    assert task_report["score"] < task_report["max_score"], f"{bug} kept all of {task}'s points"
    assert task_report["status"] == "failed" and report["score"] < 100
    assert f"({bug})" in task_report["output"], f"{bug} is not named in the feedback:\n{task_report['output']}"


def test_every_misconception_has_a_planted_bug():
    named = {bug for table in PLANTED.values() for bug in table}
    for a in catalog.ASSIGNMENTS.values():
        module = importlib.import_module(f"assignments.{a.name}.misconceptions")
        missing = {m.name for m in module.MISCONCEPTIONS} - named
        assert not missing, f"{a.name}: misconceptions without a planted bug: {sorted(missing)}"
    assert diagnose.misconceptions("conv2d"), "the diagnosis layer finds the assignments' misconceptions"
