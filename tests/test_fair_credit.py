"""Fair credit: a task earns points only when the code does what the task is about.

Degenerate submissions built from the reference (tests/degenerate.py) score 0 on every task
of every assignment in the catalog, so each new assignment is held to it too; two correct
submissions written from the contract alone, by people who never saw these tests, score full
marks (tests/contract_submissions/)."""

from pathlib import Path

import pytest

from assignments.common import catalog
from assignments.common.pytest_plugin import task_of
from tests import degenerate
from tests.conftest import KIT, grade_here

CONTRACT_SUBMISSIONS = Path(__file__).parent / "contract_submissions"


@pytest.mark.parametrize("kind", ["zeros", "identity"])
def test_degenerate_submissions_score_zero_on_every_task(tmp_path, kind):
    report = grade_here(degenerate.write_submission(tmp_path / kind, kind))
    scored = {name: t["score"] for name, t in report["by_task"].items() if t["score"] > 0}
    assert scored == {}, f"{kind}: points for code that does not compute: {scored}"
    assert len(report["tests"]) == sum(len(a.tasks) for a in catalog.ASSIGNMENTS.values())


def test_running_statistics_never_updated_lose_exactly_their_task(tmp_path):
    report = grade_here(degenerate.write_submission(tmp_path / "frozen", "frozen_stats"))
    lost = {name: t["max_score"] - t["score"] for name, t in report["by_task"].items() if t["score"] < t["max_score"]}
    assert lost == {"a2_normalization/batchnorm_running_stats": 15}, lost
    output = report["by_task"]["a2_normalization/batchnorm_running_stats"]["output"]
    assert "side checks" in output and "running_mean after the call" in output


@pytest.mark.parametrize("style", ["loops", "vectorized"])
def test_a_correct_submission_written_from_the_contract_alone_gets_full_marks(style):
    report = grade_here(CONTRACT_SUBMISSIONS / style)
    missed = {name: t["output"][:400] for name, t in report["by_task"].items() if t["score"] < t["max_score"]}
    assert missed == {} and report["score"] == report["max_score"]


class _Collected:
    """A pytest plugin that records (assignment, task, is a side check) for every test."""

    def __init__(self):
        self.items = []

    def pytest_collection_modifyitems(self, items):
        self.items = [(Path(i.path).parent.name, task_of(i), i.get_closest_marker("side") is not None) for i in items]


def test_every_task_has_core_checks():
    collected = _Collected()
    code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider",
                        "--rootdir", str(KIT), "-c", str(KIT / "pyproject.toml"), "-o", "addopts=",
                        "-p", "assignments.common.pytest_plugin",
                        str(KIT / "assignments"), str(KIT / "autograder" / "hidden")], plugins=[collected])
    assert code == pytest.ExitCode.OK
    core = {(a, t) for a, t, side in collected.items if not side}
    for a in catalog.ASSIGNMENTS.values():
        for t in a.tasks:
            assert (a.name, t.name) in core, f"{a.name}/{t.name} has no core check: it could never earn points"
