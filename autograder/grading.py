"""The grading engine: run the kit's visible and hidden suites against a submission.

The tests run here, in the trusted process: they compute the expected values, compare and
score. The learner file runs in a sandboxed worker (autograder/sandbox.py) behind the
``impl`` fixture, so the very tests a learner runs with pytest decide the grade.

A task's score is its points times the fraction of its checks (tests) that passed; skipped
checks (CUDA without a GPU) do not count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assignments.common import catalog
from assignments.common.pytest_plugin import PROVIDER, ImplUnavailable, task_of
from autograder.sandbox import LearnerException, Worker, WorkerError

KIT = Path(__file__).resolve().parent.parent
SUITES = {"visible": KIT / "assignments", "hidden": KIT / "autograder" / "hidden"}
DEFAULT_TASK_TIMEOUT = 60.0  # seconds of learner compute per task (all its checks together)


# ------------------------------------------------------------------ the sandboxed driver


class _AssignmentWorker:
    """The worker for one assignment of a submission, restarted after a crash or a hang."""

    def __init__(self, assignment: catalog.Assignment, submission: Path, task_timeout: float):
        self.a, self.file = assignment, submission / assignment.name / assignment.file
        self.task_timeout = task_timeout
        self.worker: Worker | None = None
        self.load_error: str | None = None
        self.spent: dict[str, float] = {}  # seconds of learner time used per task
        self.stopped: dict[str, str] = {}  # task -> why its remaining checks are not run
        if not self.file.is_file():
            self.load_error = f"{assignment.name}/{assignment.file} was not found in the submission"

    def _start(self) -> Worker:
        worker = Worker(self.file, self.a.module, self.a.forbidden_imports)
        try:
            worker.load(timeout=self.task_timeout)
        except LearnerException as exc:
            worker.close()
            self.load_error = f"{self.a.file} could not be imported: {exc}"
        except WorkerError as exc:
            worker.close()
            self.load_error = (f"importing {self.a.file} did not finish within {self.task_timeout:g} s"
                               if str(exc) == "TIMEOUT" else f"importing {self.a.file} failed: {exc}")
        if self.load_error:
            raise ImplUnavailable(self.load_error)
        return worker

    def module_for(self, task: str) -> "_RemoteModule":
        if self.load_error:
            raise ImplUnavailable(self.load_error)
        if self.worker is None or not self.worker.alive:
            self.worker = self._start()
        else:
            self.worker.reset()
        return _RemoteModule(self, task)

    def call(self, task: str, function: str, args, kwargs):
        __tracebackhide__ = True
        if task in self.stopped:
            raise AssertionError(f"not run: {self.stopped[task]}")
        if self.worker is None or not self.worker.alive:
            self.worker = self._start()
        left = self.task_timeout - self.spent.get(task, 0.0)
        start = time.monotonic()
        try:
            return self.worker.call(function, args, kwargs, timeout=max(left, 0.01))
        except LearnerException as exc:
            if exc.type_name == "MemoryError":  # every further check would fill memory again
                self.stopped[task] = "an earlier check of this task ran out of memory"
            raise exc.as_builtin() from None
        except WorkerError as exc:
            if str(exc) == "TIMEOUT":
                self.stopped[task] = f"an earlier check of this task used up its {self.task_timeout:g} s"
                raise AssertionError(f"{function} did not finish: this task's checks may take {self.task_timeout:g} s "
                                     "in all (an infinite loop? a very slow loop?)") from None
            raise AssertionError(f"{function} crashed: {exc}") from None
        finally:
            self.spent[task] = self.spent.get(task, 0.0) + time.monotonic() - start

    def close(self):
        if self.worker is not None:
            self.worker.close()


class _RemoteModule:
    """What the ``impl`` fixture gives the tests: the learner's functions, run in the worker."""

    def __init__(self, owner: _AssignmentWorker, task: str):
        self._owner, self._task = owner, task

    def __getattr__(self, name):
        owner = self._owner
        if name.startswith("_") or name not in owner.worker.functions:
            raise AssertionError(f"{owner.a.file} has no function {name}() (the contract asks for it)")

        def function(*args, **kwargs):
            __tracebackhide__ = True
            return owner.call(self._task, name, args, kwargs)

        function.__name__ = name
        return function


class SandboxProvider:
    """The ``impl`` driver for grading: each assignment's learner file in its own worker."""

    def __init__(self, submission: Path, task_timeout: float = DEFAULT_TASK_TIMEOUT):
        self.submission, self.task_timeout = submission, task_timeout
        self.workers: dict[str, _AssignmentWorker] = {}

    def get(self, assignment: catalog.Assignment, task: str | None):
        if assignment.name not in self.workers:
            self.workers[assignment.name] = _AssignmentWorker(assignment, self.submission, self.task_timeout)
        return self.workers[assignment.name].module_for(task)

    def close(self):
        for w in self.workers.values():
            w.close()


# ------------------------------------------------------------------ collecting the results


@dataclass
class TaskResult:
    assignment: str
    task: catalog.Task
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    messages: list[str] = field(default_factory=list)
    skip_reasons: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.task.qualified(self.assignment)

    @property
    def score(self) -> float:
        ran = self.passed + self.failed
        return round(self.task.points * self.passed / ran, 2) if ran else 0.0

    @property
    def done(self) -> bool:
        return self.passed > 0 and self.failed == 0

    def feedback(self, limit: int = 3) -> str:
        ran = self.passed + self.failed
        if ran == 0:
            text = "No check of this task ran."
        elif self.failed == 0:
            text = f"All {ran} checks passed."
        else:
            distinct = list(dict.fromkeys(self.messages))
            shown = "\n\n".join(m if len(m) < 1500 else m[:1500] + " ..." for m in distinct[:limit])
            more = f"\n\n(and {len(distinct) - limit} more different failures)" if len(distinct) > limit else ""
            text = f"{self.failed} of {ran} checks failed.\n\n{shown}{more}\n\nRead: {self.task.read}"
        if self.skipped:
            text += f"\n({self.skipped} checks skipped: {'; '.join(sorted(self.skip_reasons))})"
        return text


class _Collector:
    """A pytest plugin that sorts every test outcome into its task, with a progress bar."""

    def __init__(self, provider, progress=None):
        self.provider, self.progress, self.bar = provider, progress, None
        self.results: dict[str, TaskResult] = {}
        self.errors: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        config.stash[PROVIDER] = self.provider

    def pytest_collection_finish(self, session):
        if self.progress is not None:
            self.bar = self.progress.add_task("grading", total=len(session.items))

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"could not collect {report.nodeid}: {report.longreprtext[-800:]}")

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
                result.skip_reasons.add(str(report.longrepr[2]).removeprefix("Skipped: ")
                                        if isinstance(report.longrepr, tuple) else "skipped")
                self._advance(result)
        elif report.failed and call.when in ("setup", "call"):
            result.failed += 1
            result.messages.append(_message(call.excinfo))
            self._advance(result)
        elif call.when == "call":
            result.passed += 1
            self._advance(result)
        return report

    def _advance(self, result):
        if self.bar is not None:
            self.progress.update(self.bar, advance=1, description=result.name)


def _message(excinfo) -> str:
    """What the learner reads: the exception's own text, never the hidden test's source."""
    value = excinfo.value
    if isinstance(value, NotImplementedError):
        return str(value).splitlines()[0] if str(value) else "not implemented yet"
    if isinstance(value, (AssertionError, pytest.fail.Exception, ImplUnavailable)):
        return str(value).strip() or type(value).__name__
    return f"{type(value).__name__}: {value}".strip()


# ------------------------------------------------------------------ the entry point


@dataclass
class Report:
    results: list[TaskResult]
    seconds: float

    @property
    def score(self) -> float:
        return round(sum(r.score for r in self.results), 2)

    @property
    def max_score(self) -> float:
        return sum(r.task.points for r in self.results)

    def gradescope(self) -> dict:
        """Gradescope's results.json schema."""
        return {
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.seconds, 1),
            "output": f"{self.score:g} of {self.max_score:g} points.",
            "tests": [
                {"name": r.name, "score": r.score, "max_score": r.task.points,
                 "status": "passed" if r.score == r.task.points else "failed", "output": r.feedback()}
                for r in self.results
            ],
        }


def grade(submission, assignments=None, suites=("visible", "hidden"), task_timeout=DEFAULT_TASK_TIMEOUT,
          progress=None) -> Report:
    """Grade ``submission`` (a directory laid out like assignments/) on the named assignments."""
    submission = Path(submission).resolve()
    if not submission.is_dir():
        raise ValueError(f"SUBMISSION must be a directory laid out like assignments/, got {submission}")
    names = list(assignments or catalog.ASSIGNMENTS)
    chosen = [catalog.get(n) for n in names]
    paths = [str(SUITES[s] / a.name) for a in chosen for s in suites if (SUITES[s] / a.name).is_dir()]
    provider = SandboxProvider(submission, task_timeout)
    collector = _Collector(provider, progress)
    start = time.monotonic()
    args = ["-p", "assignments.common.pytest_plugin", "-p", "no:cacheprovider", "-p", "no:terminal",
            "--rootdir", str(KIT), "-c", str(KIT / "pyproject.toml"), "-o", "addopts=",
            "-o", "timeout=0", *paths]
    code = pytest.main(args, plugins=[collector])
    if collector.errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the grading suites did not run (pytest exit {code}): " + "\n".join(collector.errors))
    results = [collector.results.get(t.qualified(a.name)) or TaskResult(a.name, t) for a in chosen for t in a.tasks]
    return Report(results, time.monotonic() - start)
