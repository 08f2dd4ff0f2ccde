"""The nbgrader course and the student release, end to end with the real nbgrader CLI."""

import ast
import filecmp
import shutil
import subprocess

import nbformat
import pytest

from assignments.common import catalog
from autograder import course, stubs
from tests.conftest import KIT, run

nbgrader = pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[nbgrader]')")
from nbgrader.api import Gradebook  # noqa: E402

ASSIGNMENT = catalog.A3  # the quickest to autograde; every assignment is generated and released below


def nbgrader_cli(course_dir, *args, timeout=600):
    proc = subprocess.run([shutil.which("nbgrader") or "nbgrader", *args], cwd=course_dir, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def submit(course_dir, student, solution_text=None):
    """A submission: the released notebook, its solution cell filled with ``solution_text``."""
    a = ASSIGNMENT
    nb = nbformat.read(course_dir / "release" / a.name / f"{a.name}.ipynb", as_version=4)
    if solution_text is not None:
        [cell] = [c for c in nb.cells if c.get("id") == f"{a.name}-solution"]
        cell.source = solution_text
    path = course_dir / "submitted" / student / a.name / f"{a.name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def reference_without_markers():
    text = (KIT / "solutions" / ASSIGNMENT.name / ASSIGNMENT.file).read_text()
    return "".join(line for line in text.splitlines(True) if stubs.BEGIN not in line and stubs.END not in line)


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """Generate the course, release a3, autograde five submissions, export the grades."""
    course_dir = tmp_path_factory.mktemp("course")
    proc = run("-m", "autograder", "nbgrader", str(course_dir))
    assert proc.returncode == 0, proc.stderr
    config = course_dir / "nbgrader_config.py"
    config.write_text(config.read_text().replace(f"CELL_TIMEOUT = {course.CELL_TIMEOUT}", "CELL_TIMEOUT = 20"))
    nbgrader_cli(course_dir, "generate_assignment", ASSIGNMENT.name, "--force")
    reference = reference_without_markers()
    fresh_mask = reference.replace("    factor = cache\n    return dout * factor",
                                   "    factor = cache\n    if factor.ndim:\n        factor = "
                                   "(np.random.default_rng().random(factor.shape) < 0.5) * factor.max()\n"
                                   "    return dout * factor")
    noisy = reference.replace("    if not 0 <= p <= 1:", "    import sys, warnings\n"
                              "    warnings.warn('a library warning', RuntimeWarning)\n"
                              "    print('UserWarning: noise', file=sys.stderr)\n    if not 0 <= p <= 1:", 1)
    assert fresh_mask != reference and noisy != reference
    submit(course_dir, "reference", reference)
    submit(course_dir, "untouched")
    submit(course_dir, "fresh_mask", fresh_mask)
    submit(course_dir, "noisy", "import warnings\nwarnings.warn('at import', UserWarning)\n" + noisy)
    submit(course_dir, "hangs", "while True:\n    pass\n" + reference)
    nbgrader_cli(course_dir, "autograde", ASSIGNMENT.name)
    nbgrader_cli(course_dir, "generate_feedback", ASSIGNMENT.name)
    nbgrader_cli(course_dir, "export")
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", course.COURSE_ID) as gb:
        grades = {}
        for student in ("reference", "untouched", "fresh_mask", "noisy", "hangs"):
            submission = gb.find_submission(ASSIGNMENT.name, student)
            grades[student] = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            grades[student]["total"] = submission.score
    return course_dir, grades


def test_reference_notebook_autogrades_to_full_marks(graded_course):
    _, grades = graded_course
    assert grades["reference"] == {t.name: t.points for t in ASSIGNMENT.tasks} | {"total": 100}


def test_untouched_release_autogrades_to_zero(graded_course):
    _, grades = graded_course
    assert grades["untouched"]["total"] == 0


def test_one_planted_mistake_loses_exactly_its_task(graded_course):
    _, grades = graded_course
    lost = {t.name: t.points - grades["fresh_mask"][t.name] for t in ASSIGNMENT.tasks}
    assert lost == {"dropout_inverted": 0, "dropout_test_time_scaling": 0, "dropout_backward": 30}


def test_warnings_on_stderr_cost_no_points(graded_course):
    _, grades = graded_course
    assert grades["noisy"]["total"] == 100


def test_a_hanging_cell_is_cut_off_with_a_clear_message(graded_course):
    course_dir, grades = graded_course
    assert grades["hangs"]["total"] == 0
    nb = nbformat.read(course_dir / "autograded" / "hangs" / ASSIGNMENT.name / f"{ASSIGNMENT.name}.ipynb", 4)
    [cell] = [c for c in nb.cells if c.get("id") == f"{ASSIGNMENT.name}-solution"]
    assert any("did not finish within its time limit" in "".join(o.get("traceback", [])) for o in cell.outputs)


def test_feedback_and_export(graded_course):
    course_dir, _ = graded_course
    assert (course_dir / "feedback" / "fresh_mask" / ASSIGNMENT.name / f"{ASSIGNMENT.name}.html").exists()
    assert "fresh_mask" in (course_dir / "grades.csv").read_text()


def test_released_notebooks_hold_no_solution_and_no_hidden_tests(tmp_path):
    course.write_course(tmp_path)
    for a in catalog.ASSIGNMENTS.values():
        nbgrader_cli(tmp_path, "generate_assignment", a.name, "--force")
        text = (tmp_path / "release" / a.name / f"{a.name}.ipynb").read_text()
        assert "BEGIN HIDDEN TESTS" not in text and 'suite=\\"hidden\\"' not in text
        assert stubs.BEGIN not in text
        for line in solution_lines(a):
            assert line not in text, f"solution text in the released {a.name} notebook: {line!r}"
        source = nbformat.read(tmp_path / "source" / a.name / f"{a.name}.ipynb", 4)
        graded = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader["points"] for c in source.cells
                  if c.metadata.get("nbgrader", {}).get("grade")}
        assert graded == {t.name: t.points for t in a.tasks}


def test_a_slow_task_gets_a_longer_cell_timeout():
    slow = catalog.Task("slow", 10, "handouts/x.md#y", cell_timeout=1200)
    a = catalog.Assignment("a3_dropout", "dropout.py", (slow,), handout=catalog.A3.handout)
    [cell] = [c for c in course.source_notebook(a).cells if c.get("id") == "a3_dropout-slow"]
    assert cell.metadata["kit"]["timeout"] == 1200 and cell.metadata["nbgrader"]["points"] == 10
    [default] = [c for c in course.source_notebook(catalog.A3).cells if c.get("id") == "a3_dropout-dropout_backward"]
    assert default.metadata["kit"]["timeout"] == course.CELL_TIMEOUT


def test_generating_twice_gives_identical_files(tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    course.write_course(first)
    course.write_course(second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files and files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(first, second, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors


def solution_lines(a):
    """The substantial lines inside the solution markers of ``a``'s reference, less those the
    handout teaches on purpose (equation, then the line that implements it)."""
    handout = (KIT / a.handout).read_text()
    lines, inside = [], False
    for line in (KIT / "solutions" / a.name / a.file).read_text().splitlines():
        if stubs.BEGIN in line or stubs.END in line:
            inside = stubs.BEGIN in line
        elif inside and len(line.strip()) > 25 and line.strip() not in handout \
                and not line.strip().startswith(("raise ValueError", "_check(", "f\"")):
            lines.append(line.strip())
    return lines


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
            if isinstance(node, ast.FunctionDef) and node.name in names:
                assert path == stub and _is_stub(node), f"a body of {node.name} in {path.relative_to(out)}"
    text = "\n".join(p.read_text(errors="ignore") for p in out.rglob("*") if p.is_file())
    for line in solution_lines(current):
        assert line not in text, f"solution text {line!r} in the release through {through}"
    # later assignments build on earlier layers: the fast kernel where it ships, else the learner's own
    probe = "; ".join(f"print({sorted(_public_functions(a))[0]!r}, layers.source_of({sorted(_public_functions(a))[0]!r})"
                      ".__name__)" for a in handed_out)
    proc = run("-c", f"from assignments.common import layers; {probe}", cwd=out)
    assert proc.returncode == 0, proc.stderr
    sources = dict(line.split() for line in proc.stdout.splitlines())
    for a in handed_out:
        expected = f"assignments.common.fast.{a.module}" if a in past else f"assignments.{a.name}.{a.module}"
        assert sources[sorted(_public_functions(a))[0]] == expected


def test_ignore_pattern_drops_warning_lines_and_keeps_real_errors():
    """The configured IgnorePattern, run through nbgrader's own preprocessor."""
    from nbgrader.preprocessors import IgnorePattern

    cell = nbformat.v4.new_code_cell("check(...)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="NumbaPerformanceWarning: parallel=True ..."),
                    nbformat.v4.new_output("stream", name="stderr", text="/x.py:3: UserWarning: old numpy\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="Something really went wrong\n")]
    cell, _ = IgnorePattern(pattern=course.IGNORE_PATTERN, enabled=True).preprocess_cell(cell, {}, 0)
    assert [o.text for o in cell.outputs] == ["Something really went wrong\n"]


def test_notebook_check_writes_nothing_to_stderr(capfd):
    """A learner function that warns and prints to stderr: the check cell itself stays silent there."""
    import os
    import warnings

    from assignments.common.notebook import check
    from solutions.a3_dropout import dropout

    def noisy_forward(*args, **kwargs):
        warnings.warn("a library warning", RuntimeWarning)
        os.write(2, b"UserWarning: written straight to fd 2\n")
        return dropout.dropout_forward(*args, **kwargs)

    check("a3_dropout", "dropout_inverted", vars(dropout) | {"dropout_forward": noisy_forward})
    out, err = capfd.readouterr()
    assert err == "" and "all" in out
    with pytest.raises(AssertionError, match="not implemented yet"):
        check("a3_dropout", "dropout_backward", {"dropout_forward": lambda *a, **k: (_ for _ in ()).throw(
            NotImplementedError("dropout_forward is not implemented yet"))})
