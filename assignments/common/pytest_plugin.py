"""The kit's pytest plugin: the ``impl`` fixture, the ``--impl`` option, short reports.

Tests never import learner code. They ask for the ``impl`` fixture, which is the learner
module of the test's assignment as seen by the chosen driver:

    pytest assignments/                    your files in assignments/ (the default)
    pytest assignments/ --impl solutions   the readable reference (instructors' copy only)
    pytest assignments/ --impl fast        the numba fast path in assignments/common/fast
    pytest assignments/ --impl DIR         a submission directory laid out like assignments/

The grader installs its own driver (learner code in a sandboxed worker process) through
``config.stash[PROVIDER]``. A test says which graded task it belongs to with
``@pytest.mark.task("name")``; the assignment is the name of the test file's directory.

A function that still raises NotImplementedError gets one short line in the summary instead
of a traceback per test.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from assignments.common import catalog

KIT = Path(__file__).resolve().parents[2]


class ImplUnavailable(Exception):
    """The learner module cannot be had (missing file, syntax error, ...): the test fails."""


class ModuleProvider:
    """Import the learner module in this process: from a package, or from a directory."""

    def __init__(self, spec: str):
        self.spec = spec
        self._modules: dict[str, object] = {}

    def get(self, assignment: catalog.Assignment, task: str | None):
        if assignment.name not in self._modules:  # a failure is kept too: one import per run
            self._modules[assignment.name] = self._load(assignment)
        module = self._modules[assignment.name]
        if isinstance(module, ImplUnavailable):
            raise ImplUnavailable(str(module))  # a fresh one: a re-raised instance grows its traceback
        return module

    def _load(self, a: catalog.Assignment):
        packages = {
            "learner": f"assignments.{a.name}.{a.module}",
            "solutions": f"solutions.{a.name}.{a.module}",
            "fast": f"assignments.common.fast.{a.module}",
        }
        try:
            if self.spec in packages:
                return importlib.import_module(packages[self.spec])
            path = Path(self.spec) / a.name / a.file
            if not path.is_file():
                return ImplUnavailable(f"{a.name}/{a.file} not found in {self.spec}")
            spec = importlib.util.spec_from_file_location(f"submission.{a.name}.{a.module}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
        except Exception as exc:  # a syntax error, an import error, a crash at import time
            return ImplUnavailable(f"could not import {a.name}/{a.file}: {type(exc).__name__}: {exc}")

    def close(self):
        pass


PROVIDER = pytest.StashKey[object]()


def pytest_addoption(parser):
    parser.addoption(
        "--impl", default="learner",
        help="whose code the assignment tests run: learner (assignments/, default), solutions, "
             "fast (the numba fast path), or a submission directory",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "task(name): the graded task a test belongs to")
    config.addinivalue_line("markers", "side: a side check (argument validation, edge cases): it adds credit "
                                       "only once a core check of its task passes")
    config.addinivalue_line("markers", "cuda: compares with torch.cuda; skipped without a GPU")
    if PROVIDER not in config.stash:
        config.stash[PROVIDER] = ModuleProvider(config.getoption("--impl"))


def pytest_unconfigure(config):
    provider = config.stash.get(PROVIDER, None)
    if provider is not None:
        provider.close()


def assignment_of(path: Path) -> catalog.Assignment:
    """The assignment a test file belongs to: the name of its directory."""
    name = Path(path).parent.name
    if name not in catalog.ASSIGNMENTS:
        raise pytest.UsageError(f"{path}: tests that use the impl fixture live in an assignment's directory "
                                f"({', '.join(catalog.ASSIGNMENTS)}), not in {name!r}")
    return catalog.ASSIGNMENTS[name]


def task_of(item) -> str:
    marker = item.get_closest_marker("task")
    if marker is None:
        raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.task(...): every assignment test is graded")
    return marker.args[0]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "impl" in getattr(item, "fixturenames", ()):
            assignment_of(item.path).task(task_of(item))  # fails loudly on a task not in the catalog


@pytest.fixture
def impl(request):
    """The learner module of this test's assignment, as the chosen driver provides it."""
    assignment = assignment_of(request.path)
    if request.config.getoption("impl", None) == "fast" and not assignment.fast_path:
        pytest.skip(f"{assignment.name} has no numba fast path (yet): --impl fast has nothing to run here")
    return request.config.stash[PROVIDER].get(assignment, task_of(request.node))


# ------------------------------------------------------------ one line per cause, not a traceback per test
# A function still raising NotImplementedError, or a learner file that cannot be imported, fails
# every test that needs it: those reports are sorted into their own category and summed up.

SHORT = {NotImplementedError: "not implemented", ImplUnavailable: "cannot import"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    for exc_type, category in SHORT.items():
        if call.excinfo is not None and call.excinfo.errisinstance(exc_type):
            message = str(call.excinfo.value).splitlines()[0] if str(call.excinfo.value) else category
            report.short_category, report.short_message = category, message
            report.longrepr = message
    return report


def pytest_report_teststatus(report, config):
    category = getattr(report, "short_category", None)
    if category and report.failed:
        return category, "N" if category == "not implemented" else "I", category.upper()
    return None


def pytest_terminal_summary(terminalreporter):
    for category in SHORT.values():
        reports = terminalreporter.stats.get(category, [])
        if not reports:
            continue
        waiting: dict[str, int] = {}
        for r in reports:
            waiting[r.short_message] = waiting.get(r.short_message, 0) + 1
        terminalreporter.section("still to write" if category == "not implemented" else "cannot import",
                                 sep="-", yellow=True)
        for message, count in waiting.items():
            terminalreporter.line(f"{message} ({count} test{'s' * (count != 1)} "
                                  f"{'waiting for it' if category == 'not implemented' else 'could not run'})")
        if category == "not implemented":
            files = sorted({f"assignments/{a.name}/{a.file}" for a in (assignment_of(r.fspath) for r in reports)})
            terminalreporter.line(f"Write them in {', '.join(files)}; each docstring says where to read.")
