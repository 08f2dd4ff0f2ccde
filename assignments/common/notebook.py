"""Checks for notebooks: run one task's tests against the functions defined in a notebook.

The nbgrader course's test cells call this for the learner (``python -m autograder nbgrader``):

    from assignments.common.notebook import check
    check("a1_convolution", "conv2d_forward", globals())                  # the visible tests
    check("a1_convolution", "conv2d_forward", globals(), suite="hidden")  # an instructor's copy

It runs the very tests ``pytest`` and ``python -m autograder grade`` run, with the notebook's
functions behind the ``impl`` fixture, in the notebook's own kernel: it helps the learner, it
decides no grade (``nbgrader autograde`` grades the notebook's code in the confined worker,
autograder/nbgrader_autograde.py). A cell passes when every check of its task passes;
otherwise it raises AssertionError with the same feedback the grade command gives. Nothing
goes to stderr (nbgrader scores a test cell 0 when it writes there): warnings are recorded
by pytest, not printed.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from types import SimpleNamespace

from assignments.common import catalog
from assignments.common.pytest_plugin import KIT, ImplUnavailable
from assignments.common.runner import TaskResult, run_suites

SUITE_DIRS = {"visible": KIT / "assignments", "hidden": KIT / "autograder" / "hidden"}


class NamespaceProvider:
    """The ``impl`` driver for a notebook: the functions defined in its namespace."""

    def __init__(self, namespace: dict):
        self.module = SimpleNamespace(**{k: v for k, v in namespace.items() if callable(v) and not k.startswith("_")})

    def get(self, assignment, task):
        return self.module

    def close(self):
        pass


def check(assignment: str, task: str, namespace: dict, suite: str = "visible") -> None:
    """Run the ``suite`` checks of ``assignment/task`` against the functions in ``namespace``."""
    a = catalog.get(assignment)
    a.task(task)  # a clear KeyError for a task that does not exist
    path = SUITE_DIRS[suite] / a.name
    if not path.is_dir():
        raise ImplUnavailable(f"the {suite} tests of {a.name} are not installed here ({path})")
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        results = run_suites([path], NamespaceProvider(namespace), only_task=task)
    result = results.get(f"{a.name}/{task}") or TaskResult(a.name, a.task(task))
    if not result.done:
        raise AssertionError(f"{a.name}/{task} ({suite} checks): {result.feedback()}")
    print(f"{task}: all {result.passed} {suite} checks passed.")
