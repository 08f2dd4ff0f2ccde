"""Run the kit's suites in this process and sort every outcome into its graded task.

Shared by the grade command (learner code in a sandboxed worker), the checklist, and the
notebook checks of the nbgrader course (learner code in the notebook's kernel): they differ
only in the ``impl`` provider they pass.

A task's score is its points times the fraction of its checks (tests) that passed, once one
of its core checks passed: side checks (``@pytest.mark.side``: argument validation, eval-mode
identity, rare edge cases) add credit only to code that does the task's main computation, so
code that returns zeros or its input earns nothing. Skipped checks (CUDA without a GPU) do
not count.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assignments.common import catalog, diagnose, specs
from assignments.common.pytest_plugin import KIT, PROVIDER, ImplUnavailable, task_of
from assignments.common.testing import without_rewrite

NAMED_FAILURES = 8  # failed comparisons per task that get the misconception search (the feedback shows 3 kinds)


@dataclass
class TaskResult:
    assignment: str
    task: catalog.Task
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    core_passed: int = 0  # passed checks of the task's main computation (not @pytest.mark.side)
    compared_failures: int = 0  # failed comparisons (not exceptions): the ones a diagnosis may name
    messages: list[str] = field(default_factory=list)
    skip_reasons: set[str] = field(default_factory=set)  # checks not run because of the learner's code
    environment_skipped: int = 0  # checks this machine cannot run (torch.cuda without a GPU): not the learner's

    @property
    def name(self) -> str:
        return self.task.qualified(self.assignment)

    @property
    def score(self) -> float:
        ran = self.passed + self.failed
        return round(self.task.points * self.passed / ran, 2) if ran and self.core_passed else 0.0

    @property
    def done(self) -> bool:
        return self.core_passed > 0 and self.failed == 0

    def feedback(self, limit: int = 3) -> str:
        ran = self.passed + self.failed
        if ran == 0:
            text = "No check of this task ran."
        elif self.failed == 0:
            text = f"All {ran} checks passed."
        else:
            distinct = list(dict.fromkeys(self.messages))
            # failures that name their mistake first: they say what to fix (a stable sort)
            distinct.sort(key=lambda m: "Likely mistake (" not in m and "Possible mistake (" not in m)
            shown = "\n\n".join(m if len(m) < 1500 else m[:1500] + " ..." for m in distinct[:limit])
            more = f"\n\n(and {len(distinct) - limit} more different failures)" if len(distinct) > limit else ""
            gate = ("" if self.core_passed or not self.passed else
                    f" The {self.passed} checks that passed are side checks (argument checks, edge cases): they "
                    "count once one check of the main computation passes.")
            # a named mistake carries its own section; otherwise point at the task's
            read = "" if "Read: " in shown else f"\n\nRead: {self.task.read}"
            text = f"{self.failed} of {ran} checks failed.{gate}\n\n{shown}{more}{read}"
        if self.skipped > self.environment_skipped:
            text += (f"\n({self.skipped - self.environment_skipped} checks not run: "
                     f"{'; '.join(sorted(self.skip_reasons))})")
        return text

    def status(self) -> str:
        """One short phrase: done, started (how many checks still fail), or not done."""
        if self.done:
            return "done"
        return f"started, {self.failed} of {self.passed + self.failed} fail" if self.core_passed else "not done"


class _Collector:
    """A pytest plugin that sorts every test outcome into its task, with a progress bar."""

    def __init__(self, provider, progress=None, only_task=None):
        self.provider, self.progress, self.bar, self.only_task = provider, progress, None, only_task
        self.results: dict[str, TaskResult] = {}
        self.errors: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        config.stash[PROVIDER] = self.provider

    def pytest_collection_modifyitems(self, config, items):
        if self.only_task is None:
            return
        keep = [i for i in items if task_of(i) == self.only_task]
        config.hook.pytest_deselected(items=[i for i in items if task_of(i) != self.only_task])
        items[:] = keep

    def pytest_collection_finish(self, session):
        if self.progress is not None:
            self.bar = self.progress.add_task("grading", total=len(session.items))

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"could not collect {report.nodeid}: {report.longreprtext[-800:]}")

    def pytest_runtest_setup(self, item):
        """Name mistakes in a task's first failures only: the feedback shows no more than those."""
        diagnose.NAMING.set(self._result(item).compared_failures < NAMED_FAILURES)

    def _result(self, item) -> TaskResult:
        a = catalog.get(Path(item.path).parent.name)
        task = a.task(task_of(item))
        return self.results.setdefault(task.qualified(a.name), TaskResult(a.name, task))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        result = self._result(item)
        if report.skipped:
            if call.when != "teardown":
                result.skipped += 1
                if item.get_closest_marker("cuda") is not None:  # no GPU here: the machine's, not the learner's
                    result.environment_skipped += 1
                else:
                    result.skip_reasons.add(str(report.longrepr[2]).removeprefix("Skipped: ")
                                            if isinstance(report.longrepr, tuple) else "skipped")
                self._advance(result)
        elif report.failed and call.when in ("setup", "call"):
            result.failed += 1
            result.compared_failures += isinstance(call.excinfo.value, AssertionError)
            result.messages.append(_message(call.excinfo))
            self._advance(result)
        elif call.when == "call":
            result.passed += 1
            result.core_passed += item.get_closest_marker("side") is None
            self._advance(result)
        return report

    def _advance(self, result):
        if self.bar is not None:
            self.progress.update(self.bar, advance=1, description=result.name)


def _message(excinfo) -> str:
    """What the learner reads: the exception's own text (and where in the learner's file it
    was raised), never the hidden test's source."""
    value = excinfo.value
    if isinstance(value, NotImplementedError):
        return str(value).splitlines()[0] if str(value) else "not implemented yet"
    if isinstance(value, (AssertionError, pytest.fail.Exception, ImplUnavailable)):
        return without_rewrite(str(value)).strip() or type(value).__name__
    text = str(value) if type(value).__name__ == "LearnerException" else f"{type(value).__name__}: {value}"
    return "\n".join([text.strip(), *getattr(value, "__notes__", ())])




def run_suites(paths, provider, progress=None, only_task: str | None = None) -> dict[str, TaskResult]:
    """Run the test files under ``paths`` with ``provider`` behind the impl fixture; returns
    {"<assignment>/<task>": TaskResult}. Raises RuntimeError when the suites cannot run."""
    collector = _Collector(provider, progress, only_task)
    # pytest's terminal plugin stays on (without it, a failing `assert x, message` loses its
    # message), its output goes nowhere
    # no:unraisableexception: its five gc.collect() at the end cost 2 s of a 4 s run in a big process
    args = ["-p", "assignments.common.pytest_plugin", "-p", "no:cacheprovider", "-p", "no:unraisableexception",
            "-p", "no:xdist", "-p", "no:benchmark", "-q", "--no-header", "--tb=no",
            "--rootdir", str(KIT), "-c", str(KIT / "pyproject.toml"), "-o", "addopts=", "-o", "timeout=0",
            *map(str, paths)]
    naming = diagnose.NAMING.set(True)
    try:  # one torch thread: the oracles' tensors are small, and the learner's worker needs the other core
        with contextlib.redirect_stdout(io.StringIO()), specs.one_thread():
            code = pytest.main(args, plugins=[collector])
    finally:
        diagnose.NAMING.reset(naming)
    if collector.errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the suites did not run (pytest exit {code}): " + "\n".join(collector.errors))
    return collector.results
