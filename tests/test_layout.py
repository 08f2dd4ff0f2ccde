"""An assignment is a catalog entry plus its own files: this fails, naming the file, when one is
missing (adding an assignment touches no other place of the kit's machinery)."""

import importlib

import pytest

from assignments.common import catalog
from tests.conftest import KIT

ASSIGNMENTS = [pytest.param(a, id=a.name) for a in catalog.ASSIGNMENTS.values()]


def own_files(a):
    """What each assignment brings, relative to the kit, and why."""
    files = {
        f"solutions/{a.name}/{a.file}": "the readable reference, with solution markers",
        f"assignments/{a.name}/{a.file}": "the learner's stub (python -m autograder stubs)",
        f"assignments/{a.name}/samples.py": "the visible sample inputs: <op>..._samples() and invalid_calls()",
        f"assignments/{a.name}/checks.py": "the checks shared by the visible and hidden suites",
        f"assignments/{a.name}/misconceptions.py": "the classic mistakes, for the feedback's diagnoses",
        f"autograder/hidden/{a.name}/planted.py": "a planted bug for every misconception",
        a.handout: "the handout, with a checklist",
    }
    if a.fast_path:
        files[f"assignments/common/fast/{a.module}.py"] = "the numba fast path"
    return files


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_every_assignment_has_its_own_files(a):
    missing = {path: why for path, why in own_files(a).items() if not (KIT / path).is_file()}
    assert not missing, f"{a.name} lacks: " + "; ".join(f"{p} ({why})" for p, why in missing.items())
    for package in (f"solutions/{a.name}", f"assignments/{a.name}", f"autograder/hidden/{a.name}"):
        assert (KIT / package / "__init__.py").is_file(), f"{package}/__init__.py"
    assert list((KIT / "assignments" / a.name).glob("test_*.py")), f"{a.name}: no visible test module"
    assert list((KIT / "autograder" / "hidden" / a.name).glob("test_*_hidden.py")), f"{a.name}: no hidden suite"


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_every_assignment_module_exposes_the_one_convention(a):
    samples = importlib.import_module(f"assignments.{a.name}.samples")
    generators = [n for n in vars(samples) if n.endswith("_samples") and callable(getattr(samples, n))]
    assert generators, f"{a.name}/samples.py has no <op>_samples() generator"
    assert callable(getattr(samples, "invalid_calls", None)), f"{a.name}/samples.py has no invalid_calls()"
    for case in samples.invalid_calls():
        assert type(case).__name__ == "ErrorCase", f"{a.name}: a bad-argument case that is not an ErrorCase: {case!r}"
    for name in generators:
        made = getattr(samples, name)()
        assert made and all(type(s).__name__ == "Sample" for s in made), f"{a.name}: {name}() must return Samples"
    mistakes = importlib.import_module(f"assignments.{a.name}.misconceptions").MISCONCEPTIONS
    assert all(m.read.startswith(a.handout + "#") for m in mistakes), f"{a.name}: a misconception reads elsewhere"
    assert importlib.import_module(f"autograder.hidden.{a.name}.planted").PLANTED


def test_no_suite_imports_a_test_module_as_a_library():
    """Shared checks live in checks.py: a test module is collected by pytest, never imported."""
    for path in [*KIT.glob("assignments/*/test_*.py"), *KIT.glob("autograder/hidden/*/test_*.py")]:
        text = path.read_text()
        assert ".test_" not in "".join(line for line in text.splitlines() if line.startswith(("from ", "import "))), \
            f"{path.relative_to(KIT)} imports a test module"
