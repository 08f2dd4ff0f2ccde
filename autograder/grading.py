"""The grading engine: run the kit's visible and hidden suites against a submission.

The tests run here, in the trusted process: they compute the expected values, compare and
score (assignments/common/runner.py). The learner file runs in a sandboxed worker
(autograder/sandbox.py) behind the ``impl`` fixture, so the very tests a learner runs with
pytest decide the grade.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from assignments.common import catalog
from assignments.common.pytest_plugin import ImplUnavailable, ModuleProvider
from assignments.common.runner import TaskResult, run_suites
from autograder.confine import describe as describe_confinement
from autograder.sandbox import LearnerException, Worker, WorkerError

KIT = Path(__file__).resolve().parent.parent
SUITES = {"visible": KIT / "assignments", "hidden": KIT / "autograder" / "hidden"}
DEFAULT_TASK_TIMEOUT = 60.0  # seconds of learner compute per task (all its checks together)
AHEAD = 2  # workers started before their assignment's turn (a torch worker takes 2-3 s to start)


# ------------------------------------------------------------------ the sandboxed driver


class _AssignmentWorker:
    """The worker for one assignment of a submission, restarted after a crash or a hang."""

    def __init__(self, assignment: catalog.Assignment, submission: Path, task_timeout: float, confine: bool = True):
        self.a, self.file = assignment, submission / assignment.name / assignment.file
        self.task_timeout, self.confine = task_timeout, confine
        self.confinement: dict = {}  # what the kernel gave the last worker (autograder/confine.py)
        self.worker: Worker | None = None
        self.load_error: str | None = None
        self.spent: dict[str, float] = {}  # seconds of learner time used per task
        self.stopped: dict[str, str] = {}  # task -> why its remaining checks are not run
        self.spare: Worker | None = None  # started ahead of need: its imports run while others grade
        if not self.file.is_file():
            self.load_error = f"{assignment.name}/{assignment.file} was not found in the submission"

    def _spawn(self) -> Worker:
        return Worker(self.file, self.a.module, self.a.forbidden_imports, self.a.may_import, confine=self.confine,
                      kit_modules=self.a.kit_modules)

    def prestart(self) -> None:
        """Start the worker process now (it imports numpy, torch, the kit's fast path) and load
        it later: on two cores the start-up overlaps the grading of the assignment before."""
        if self.spare is None and self.worker is None and not self.load_error:
            self.spare = self._spawn()

    def _start(self) -> Worker:
        worker, self.spare = self.spare or self._spawn(), None
        try:
            worker.load(timeout=self.task_timeout)
        except LearnerException as exc:
            worker.close()
            self.load_error = f"{self.a.file} could not be imported: {exc}" + "".join(
                f"\n{note}" for note in getattr(exc, "__notes__", ()))
        except WorkerError as exc:
            worker.close()
            self.load_error = (f"importing {self.a.file} did not finish within {self.task_timeout:g} s"
                               if str(exc) == "TIMEOUT" else f"importing {self.a.file} failed: {exc}")
        finally:
            self.confinement = worker.confinement or self.confinement
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

    def call(self, task: str, function: str, args, kwargs, specs: str | None = None):
        """The learner's ``function`` in the worker; with ``specs`` ("call" or "experiment"), on
        torch objects built there from specs (``args`` is then the payload)."""
        __tracebackhide__ = True
        if task in self.stopped:
            raise AssertionError(f"not run: {self.stopped[task]}")
        if self.worker is None or not self.worker.alive:
            self.worker = self._start()
        left = self.task_timeout - self.spent.get(task, 0.0)
        start = time.monotonic()
        try:
            if specs is not None:
                return self.worker.run_specs(specs, function, args, timeout=max(left, 0.01))
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
        for worker in (self.worker, self.spare):
            if worker is not None:
                worker.close()


class _RemoteModule:
    """What the ``impl`` fixture gives the tests: the learner's functions, run in the worker."""

    def __init__(self, owner: _AssignmentWorker, task: str):
        self._owner, self._task = owner, task

    def _function(self, name):
        owner = self._owner
        if name.startswith("_") or name not in owner.worker.functions:
            raise AssertionError(f"{owner.a.file} has no function {name}() (the contract asks for it)")

    def run_specs(self, entry: str, function: str, payload: dict):
        """What assignments/common/specs.py's call() uses: the call is made in the worker."""
        __tracebackhide__ = True
        self._function(function)
        return self._owner.call(self._task, function, payload, None, specs=entry)

    def __getattr__(self, name):
        owner = self._owner
        self._function(name)

        def function(*args, **kwargs):
            __tracebackhide__ = True
            return owner.call(self._task, name, args, kwargs)

        function.__name__ = name
        return function


class SandboxProvider:
    """The ``impl`` driver for grading: each assignment's learner file in its own worker."""

    def __init__(self, submission: Path, task_timeout: float = DEFAULT_TASK_TIMEOUT, confine: bool = True,
                 order: tuple[str, ...] = ()):
        """``order``: the assignments in the order the suites run them; the workers of the next
        AHEAD start while the current one is graded."""
        self.submission, self.task_timeout, self.confine, self.order = submission, task_timeout, confine, order
        self.workers: dict[str, _AssignmentWorker] = {}

    def _worker(self, name: str) -> _AssignmentWorker:
        if name not in self.workers:
            self.workers[name] = _AssignmentWorker(catalog.get(name), self.submission, self.task_timeout, self.confine)
        return self.workers[name]

    def get(self, assignment: catalog.Assignment, task: str | None):
        if assignment.name in self.order:
            at = self.order.index(assignment.name)
            # the next AHEAD, and from the start any that warms the kit's fast path (a4: the numba
            # kernels load from the cache in 1 s, or compile in about 15 s when it is cold)
            heavy = [n for n in self.order[at + 1:]
                     if any(m.startswith("assignments.common.fast.") for m in catalog.get(n).kit_modules)]
            for name in dict.fromkeys(self.order[at + 1:at + 1 + AHEAD] + tuple(heavy)):
                self._worker(name).prestart()
        return self._worker(assignment.name).module_for(task)

    def confinement_notes(self) -> list[str]:
        """One line per distinct confinement outcome of the workers that ran learner code."""
        reports = [w.confinement for w in self.workers.values() if w.confinement]
        return sorted({describe_confinement(r) for r in reports})

    def close(self):
        for w in self.workers.values():
            w.close()


# ------------------------------------------------------------------ the entry point


@dataclass
class Report:
    results: list[TaskResult]
    seconds: float
    notes: list[str] = field(default_factory=list)  # for instructors: how learner code was confined

    @property
    def unconfined(self) -> bool:
        return any("UNCONFINED" in n for n in self.notes)

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
            "output": f"{self.score:g} of {self.max_score:g} points." + "".join(f"\n{n}" for n in self.notes
                                                                              if "confined by the kernel" not in n),
            "tests": [
                {"name": r.name, "score": r.score, "max_score": r.task.points,
                 "status": "passed" if r.score == r.task.points else "failed", "output": r.feedback()}
                for r in self.results
            ],
        }


def grade(submission, assignments=None, suites=("visible", "hidden"), task_timeout=DEFAULT_TASK_TIMEOUT,
          progress=None, confine: bool = True, task: str | None = None, sandboxed: bool = True) -> Report:
    """Grade ``submission`` (a directory laid out like assignments/) on the named assignments;
    ``task`` (a task name): only that task's checks run, and the report holds it alone.
    ``sandboxed=False`` imports the submission into this process, as ``pytest --impl DIR`` does:
    for trusted code only (the project's planted bugs), without a worker to start or a deadline."""
    submission = Path(submission).resolve()
    if not submission.is_dir():
        raise ValueError(f"SUBMISSION must be a directory laid out like assignments/, got {submission}")
    chosen = [catalog.get(n) for n in (assignments or catalog.ASSIGNMENTS)]
    paths = [SUITES[s] / a.name for a in chosen for s in suites if (SUITES[s] / a.name).is_dir()]
    start = time.monotonic()
    provider = (SandboxProvider(submission, task_timeout, confine, order=tuple(a.name for a in chosen)) if sandboxed
                else ModuleProvider(str(submission)))
    try:
        collected = run_suites(paths, provider, progress=progress, only_task=task)
    finally:
        provider.close()
    results = [collected.get(t.qualified(a.name)) or TaskResult(a.name, t) for a in chosen for t in a.tasks
               if task is None or t.name == task]
    notes = (provider.confinement_notes() if sandboxed
             else ["learner code ran UNCONFINED: imported into the grading process (sandboxed=False)"])
    cuda = sum(r.environment_skipped for r in results)
    if cuda:
        notes.append(f"{cuda} comparisons with torch.cuda were skipped: this machine has no GPU.")
    return Report(results, time.monotonic() - start, notes)
