"""The nbgrader course and the student release, end to end with the real nbgrader CLI."""

import filecmp
import importlib.util
import shutil
import subprocess
from types import SimpleNamespace

import nbformat
import pytest

from assignments.common import catalog
from autograder import course, stubs
from tests.conftest import KIT, grade_here, run, solution_lines


# one autograded course (a module fixture) serves the tests that take it: one xdist worker runs them
SHARES_THE_COURSE = pytest.mark.xdist_group("nbgrader_course")
# autograding the course takes about 2 minutes alone, twice that beside a busy second worker
# nbgrader is imported where a test needs it (its import takes 3-10 s, which every xdist worker
# would pay while collecting)
pytestmark = [pytest.mark.timeout(900),
              pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None,
                                 reason="nbgrader is not installed (pip install -e '.[nbgrader]')")]


def gradebook(course_dir):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", course.COURSE_ID)

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


REFERENCE = reference_without_markers()
HONEST = {  # student: solution cell
    "reference": REFERENCE,
    "untouched": None,
    "fresh_mask": REFERENCE.replace("    factor = cache\n    return dout * factor",
                                    "    factor = cache\n    if factor.ndim:\n        factor = "
                                    "(np.random.default_rng().random(factor.shape) < 0.5) * factor.max()\n"
                                    "    return dout * factor"),
    "float64_out": REFERENCE.replace("    return x * factor, factor", "    return (x * factor).astype(np.float64), factor"),
    "no_scaling": REFERENCE.replace('scale = (1.0 / (1.0 - p) if p < 1 else 0.0) if scale_at == "train" else 1.0',
                                    "scale = 1.0"),
    "noisy": "import warnings\nwarnings.warn('at import', UserWarning)\n%matplotlib inline\n" + REFERENCE.replace(
        "    if not 0 <= p <= 1:", "    import sys, warnings\n    warnings.warn('a library warning', RuntimeWarning)\n"
        "    print('UserWarning: noise', file=sys.stderr)\n    if not 0 <= p <= 1:", 1),
    "hangs": "while True:\n    pass\n" + REFERENCE,
}
SOLUTIONS = KIT / "solutions" / ASSIGNMENT.name / ASSIGNMENT.file
HIDDEN_SUITE = KIT / "autograder" / "hidden" / ASSIGNMENT.name / "test_dropout_hidden.py"
ZEROS = ("import numpy as np\n"
         "def dropout_forward(x, p, training=True, rng=None, scale_at='train'):\n    return np.zeros_like(x), None\n"
         "def dropout_backward(dout, cache):\n    return np.zeros_like(dout)\n")
# One line (or a few) in the solution cell fooled the kernel-run autograde (issue 8, measured):
ATTACKS = {
    "attack_replace_check": "import assignments.common.notebook as nb\nnb.check = lambda *a, **k: None\n" + ZEROS,
    "attack_task_always_done": ("from assignments.common.runner import TaskResult\n"
                                "TaskResult.done = property(lambda self: True)\n" + ZEROS),
    "attack_input_transformer": ("get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"
                                 + ZEROS),
    "attack_import_reference": "from solutions.a3_dropout.dropout import dropout_backward, dropout_forward\n",
    "attack_torch": ("import numpy as np\nimport torch\n"
                     "def dropout_forward(x, p, training=True, rng=None, scale_at='train'):\n"
                     "    keep = (torch.rand(x.shape, dtype=torch.float64) >= p).numpy().astype(x.dtype)\n"
                     "    scale = (1 / (1 - p) if p < 1 else 0.0) if scale_at == 'train' else 1.0\n"
                     "    factor = keep * x.dtype.type(scale) if training else np.asarray(1.0 if scale_at == 'train' else 1 - p, x.dtype)\n"
                     "    return x * factor, factor\n"
                     "def dropout_backward(dout, cache):\n    return dout * cache\n"),
    "attack_disable_comparisons": ("import numpy.testing, torch.testing\n"
                                   "torch.testing.assert_close = numpy.testing.assert_allclose = lambda *a, **k: None\n"
                                   + ZEROS),
    "attack_expected_from_stack": ("import inspect\nimport numpy as np\n"
                                   "def _expected(default):\n"
                                   "    for f in inspect.stack():\n"
                                   "        for name in ('expected', 'theirs'):\n"
                                   "            if name in f.frame.f_locals:\n"
                                   "                return f.frame.f_locals[name]\n"
                                   "    return default\n"
                                   "def dropout_forward(x, p, training=True, rng=None, scale_at='train'):\n"
                                   "    return np.asarray(_expected(x)), None\n"
                                   "def dropout_backward(dout, cache):\n    return np.asarray(_expected(dout))\n"),
    "attack_gradebook": ("import os, sqlite3\n"
                         "d = os.getcwd()\n"
                         "while d != '/' and not os.path.exists(os.path.join(d, 'gradebook.db')):\n"
                         "    d = os.path.dirname(d)\n"
                         "db = sqlite3.connect(os.path.join(d, 'gradebook.db'))\n"
                         "db.execute('UPDATE grade SET manual_score = 100')\n"
                         "db.commit()\n" + ZEROS),
    "attack_persist_check": ("import assignments.common.notebook as nb\n"
                             "with open(nb.__file__, 'a') as f:\n"
                             "    f.write('\\ndef check(*args, **kwargs):\\n    return None\\n')\n" + ZEROS),
    "attack_print_secrets": (f"print(open({str(SOLUTIONS)!r}).read())\n"
                             f"print(open({str(HIDDEN_SUITE)!r}).read())\n" + ZEROS),
}


def kit_fingerprint() -> dict:
    """Every file of the kit that grading reads, with its content."""
    roots = [KIT / "assignments", KIT / "autograder", KIT / "solutions"]
    return {p: p.read_bytes() for root in roots for p in root.rglob("*.py")}


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """Generate the course, release a3, autograde honest, buggy and attacking notebooks (the
    persistence attack first, on its own), generate feedback, export the grades."""
    course_dir = tmp_path_factory.mktemp("course")
    proc = run("-m", "autograder", "nbgrader", str(course_dir))
    assert proc.returncode == 0, proc.stderr
    config = course_dir / "nbgrader_config.py"
    config.write_text(config.read_text().replace("c.GradeInSandbox.task_timeout = 60.0",
                                                 "c.GradeInSandbox.task_timeout = 5.0"))
    nbgrader_cli(course_dir, "generate_assignment", ASSIGNMENT.name, "--force")
    for student, text in (HONEST | ATTACKS).items():
        submit(course_dir, student, text)
    before = kit_fingerprint()
    logs = nbgrader_cli(course_dir, "autograde", ASSIGNMENT.name, "--student", "attack_persist_check").stderr
    logs += nbgrader_cli(course_dir, "autograde", ASSIGNMENT.name).stderr
    after = kit_fingerprint()
    nbgrader_cli(course_dir, "generate_feedback", ASSIGNMENT.name)
    nbgrader_cli(course_dir, "export")
    with gradebook(course_dir) as gb:
        grades, manual = {}, []
        for student in HONEST | ATTACKS:
            submission = gb.find_submission(ASSIGNMENT.name, student)
            grades[student] = {g.name: g.score for nb in submission.notebooks for g in nb.grades}
            grades[student]["total"] = submission.score
            manual += [g.manual_score for nb in submission.notebooks for g in nb.grades if g.manual_score is not None]
    return SimpleNamespace(dir=course_dir, grades=grades, manual=manual, logs=logs, kit_changed=before != after)


@SHARES_THE_COURSE
def test_reference_notebook_autogrades_to_full_marks(graded_course):
    assert graded_course.grades["reference"] == {t.name: t.points for t in ASSIGNMENT.tasks} | {"total": 100}


@SHARES_THE_COURSE
def test_untouched_release_autogrades_to_zero(graded_course):
    assert graded_course.grades["untouched"]["total"] == 0


@SHARES_THE_COURSE
def test_a_forward_mistake_costs_only_the_forward_cell(graded_course):
    lost = {t.name: t.points - graded_course.grades["no_scaling"][t.name] for t in ASSIGNMENT.tasks}
    assert lost == {"dropout_inverted": 40, "dropout_test_time_scaling": 0, "dropout_backward": 0}


@SHARES_THE_COURSE
@pytest.mark.parametrize("student", ["reference", "untouched", "fresh_mask", "float64_out", "no_scaling", "noisy"])
def test_autograde_gives_the_scores_grade_gives(graded_course, tmp_path, student):
    """Partial credit included: the notebook's code, graded by `grade`, scores what nbgrader recorded."""
    nb = nbformat.read(graded_course.dir / "submitted" / student / ASSIGNMENT.name / f"{ASSIGNMENT.name}.ipynb", 4)
    from autograder import nbgrader_autograde

    source, _ = nbgrader_autograde.learner_source(nb)
    (tmp_path / ASSIGNMENT.name).mkdir()
    (tmp_path / ASSIGNMENT.name / ASSIGNMENT.file).write_text(source)
    report = grade_here(tmp_path, [ASSIGNMENT.name])
    assert {n.split("/")[1]: t["score"] for n, t in report["by_task"].items()} == \
           {k: v for k, v in graded_course.grades[student].items() if k != "total"}
    if student == "float64_out":  # float32 cases fail, float64 ones pass: partial credit, as grade gives it
        assert 0 < graded_course.grades[student]["dropout_inverted"] < 40


@SHARES_THE_COURSE
def test_warnings_magics_and_stderr_cost_no_points(graded_course):
    assert graded_course.grades["noisy"]["total"] == 100


@SHARES_THE_COURSE
def test_a_hanging_notebook_is_cut_off_with_a_clear_message(graded_course):
    assert graded_course.grades["hangs"]["total"] == 0
    nb = nbformat.read(graded_course.dir / "autograded" / "hangs" / ASSIGNMENT.name / f"{ASSIGNMENT.name}.ipynb", 4)
    outputs = [o for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") for o in c.outputs]
    assert outputs and all("did not finish within 5 s" in "\n".join(o.get("traceback", [])) for o in outputs)


@SHARES_THE_COURSE
@pytest.mark.parametrize("attack", ATTACKS)
def test_every_attack_scores_zero(graded_course, attack):
    assert graded_course.grades[attack]["total"] == 0, graded_course.grades[attack]


@SHARES_THE_COURSE
def test_attacks_leave_the_kit_the_gradebook_and_the_next_student_alone(graded_course):
    assert not graded_course.kit_changed, "a file of the kit changed during autograde"
    assert graded_course.manual == [], "a manual score appeared in gradebook.db"
    assert graded_course.grades["untouched"]["total"] == 0, "graded after the persistence attempt: still its own 0"


@SHARES_THE_COURSE
def test_feedback_holds_no_solution_no_hidden_suite_and_no_instructor_path(graded_course):
    hidden = [line.strip() for line in HIDDEN_SUITE.read_text().splitlines() if len(line.strip()) > 25]
    paths = [str(KIT), str(graded_course.dir)]  # an attack names the kit's path in its own code: not a leak
    for student in HONEST | ATTACKS:
        html = (graded_course.dir / "feedback" / student / ASSIGNMENT.name / f"{ASSIGNMENT.name}.html").read_text()
        text = html.replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
        secrets = solution_lines(ASSIGNMENT) + hidden + (paths if student in HONEST else [])
        found = [s for s in secrets if s in text]
        assert not found, f"{student}'s feedback shows {found[:3]}"
    assert student in (graded_course.dir / "grades.csv").read_text()


@SHARES_THE_COURSE
def test_autograde_logs_no_checksum_warnings(graded_course):
    assert "has changed" not in graded_course.logs and "ran confined by the kernel" in graded_course.logs


def test_without_the_sandbox_the_attacks_work(tmp_path):
    """Teeth: the same notebooks autograded by nbgrader's own Execute step, in a kernel, score."""
    course_dir = tmp_path / "course"
    assert run("-m", "autograder", "nbgrader", str(course_dir)).returncode == 0
    config = course_dir / "nbgrader_config.py"
    config.write_text(config.read_text().replace("c.Autograde.autograde_preprocessors", "_kit_preprocessors"))
    nbgrader_cli(course_dir, "generate_assignment", ASSIGNMENT.name, "--force")
    # nbgrader autogrades students in sorted order: the gradebook attack (last) finds the others' grades
    teeth = {"t1": "attack_replace_check", "t2": "attack_import_reference", "t3": "attack_gradebook"}
    for student, attack in teeth.items():
        submit(course_dir, student, ATTACKS[attack])
    nbgrader_cli(course_dir, "autograde", ASSIGNMENT.name)
    with gradebook(course_dir) as gb:
        grades = {s: [g for nb in gb.find_submission(ASSIGNMENT.name, s).notebooks for g in nb.grades] for s in teeth}
        auto = {s: sum(g.auto_score for g in gs) for s, gs in grades.items()}
        manual = [g.manual_score for gs in grades.values() for g in gs]
    assert auto["t1"] == 100 and auto["t2"] == 100, auto
    assert 100 in manual, "the gradebook attack wrote a manual score"


def test_released_notebooks_hold_no_solution_and_no_hidden_tests(tmp_path):
    course.write_course(tmp_path)
    nbgrader_cli(tmp_path, "generate_assignment", "*", "--force")  # nbgrader reads the id as a glob: all seven
    for a in catalog.ASSIGNMENTS.values():
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
