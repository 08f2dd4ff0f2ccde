"""The student release: stubs, visible tests and handouts up to an assignment, the fast
kernels of past assignments only, and no working body of anything it hands out."""

import ast

import pytest

from assignments.common import catalog
from autograder import course, stubs
from tests.conftest import KIT, run, solution_lines


def test_student_release_has_no_solutions_and_its_tests_run(tmp_path):
    out = tmp_path / "release"
    proc = run("-m", "autograder", "release", str(out))
    assert proc.returncode == 0, proc.stderr
    names = {p.relative_to(out).parts[0] for p in out.iterdir()}
    assert names == {"assignments", "handouts", "README.md", "pyproject.toml"}
    # A release through the last assignment carries the fast kernels of the earlier ones (they
    # are past): those files may share lines with their own reference, nothing else may.
    _, past = course.released()
    files = [p for p in out.rglob("*") if p.is_file()]
    text = {p: p.read_text(errors="ignore") for p in files}
    for a in catalog.ASSIGNMENTS.values():
        given = out / "assignments" / "common" / "fast" / f"{a.module}.py" if a in past else None
        for line in solution_lines(a):
            found = [str(p.relative_to(out)) for p, t in text.items() if line in t and p != given]
            assert not found, f"solution text {line!r} in {found}"
    for needle in (stubs.BEGIN, "BEGIN HIDDEN TESTS", "from solutions", "import solutions"):
        assert not [p for p, t in text.items() if needle in t], needle
    assert not [p for p in out.rglob("*") if "hidden" in p.name], "a hidden suite file in the release"
    assert not (out / "solutions").exists() and not (out / "autograder").exists()
    proc = run("-m", "pytest", "assignments/a3_dropout", "-q", "-p", "no:cacheprovider", cwd=out)
    assert proc.returncode == 1 and "dropout_forward is not implemented yet" in proc.stdout, proc.stdout[-2000:]
    proc = run("-m", "assignments.common.checklist", "--assignment", "a3_dropout", cwd=out)
    assert proc.returncode == 0 and "not done" in proc.stdout and "a3_dropout/dropout_inverted" in proc.stdout
    assert "pytest assignments/" in (out / "README.md").read_text()
    again = run("-m", "autograder", "release", str(out))
    assert again.returncode == 2 and "not empty" in again.stderr


def _public_functions(a: catalog.Assignment) -> set[str]:
    tree = ast.parse((KIT / "solutions" / a.name / a.file).read_text())
    return {f.name for f in tree.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}


def _is_stub(function: ast.FunctionDef) -> bool:
    """The body is a docstring, then ``raise NotImplementedError(...)``: nothing that works."""
    body = [n for n in function.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    return (len(body) == 1 and isinstance(body[0], ast.Raise)
            and getattr(getattr(body[0].exc, "func", None), "id", None) == "NotImplementedError")


def _is_oracle(path, function: ast.FunctionDef) -> bool:
    """A PyTorch oracle of the same name (oracles.py: it takes a Sample, not the learner's arguments)."""
    return path.name == "oracles.py" and [a.arg for a in function.args.args][:1] == ["sample"]


@pytest.mark.parametrize("through", list(catalog.ASSIGNMENTS))
def test_a_release_through_each_assignment_gives_no_answer_away(tmp_path, through):
    out = tmp_path / "release"
    proc = run("-m", "autograder", "release", str(out), "--through", through)
    assert proc.returncode == 0, proc.stderr
    handed_out, past = course.released(through)
    current = catalog.get(through)
    assert handed_out[-1] == current and current not in past
    for a in catalog.ASSIGNMENTS.values():
        assert (out / "assignments" / a.name / a.file).exists() == (a in handed_out), a.name
        assert (out / a.handout).exists() == (a in handed_out), a.handout
    shipped = {p.stem for p in (out / "assignments" / "common" / "fast").glob("*.py")} - {"__init__"}
    assert shipped == {a.module for a in past if a.fast_path}
    # no working body of the current assignment's functions anywhere but its stub, which has none
    stub = out / "assignments" / current.name / current.file
    names = _public_functions(current)
    for path in out.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name in names and not _is_oracle(path, node):
                assert path == stub and _is_stub(node), f"a body of {node.name} in {path.relative_to(out)}"
    text = "\n".join(p.read_text(errors="ignore") for p in out.rglob("*") if p.is_file())
    for line in solution_lines(current):
        assert line not in text, f"solution text {line!r} in the release through {through}"
    # later assignments build on earlier layers: the fast kernel where it ships, else the learner's own
    probe = "; ".join(f"print({sorted(_public_functions(a))[0]!r}, layers.source_of({sorted(_public_functions(a))[0]!r})"
                      ".__name__)" for a in handed_out)
    probe += "; from assignments.common import diagnose; print('diagnoses', len(diagnose.misconceptions('conv2d')) > 0)"
    proc = run("-c", f"from assignments.common import layers; {probe}", cwd=out)
    assert proc.returncode == 0, proc.stderr
    sources = dict(line.split() for line in proc.stdout.splitlines())
    assert sources.pop("diagnoses") == "True", "the feedback's diagnoses work in the release"
    for a in handed_out:
        expected = f"assignments.common.fast.{a.module}" if a in past and a.fast_path else f"assignments.{a.name}.{a.module}"
        assert sources[sorted(_public_functions(a))[0]] == expected
