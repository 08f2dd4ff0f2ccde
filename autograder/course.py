"""The nbgrader course and the student release, both generated from the one source.

    python -m autograder nbgrader COURSE_DIR   nbgrader_config.py + source/<assignment>/<assignment>.ipynb
    python -m autograder release OUT_DIR [--through NAME]
                                               the student repository through NAME: no solutions, no
                                               hidden tests, fast kernels of past assignments only

A source notebook is the handout (markdown cells, one per section), the reference module in
one solution cell (its ``### BEGIN SOLUTION`` markers are nbgrader's), and one autograded
test cell per task, worth the task's points, that runs the task's visible checks for the
learner. ``nbgrader autograde`` runs no kernel: the course config hands the notebook's code
to the kit's confined grader (autograder/nbgrader_autograde.py), which writes each task's
result into its test cell. Everything comes from the catalog, the handouts and solutions/: a
new assignment needs no new code here. Output is deterministic.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

from assignments.common import catalog
from autograder.grading import DEFAULT_TASK_TIMEOUT

KIT = Path(__file__).resolve().parent.parent
COURSE_ID = "foundations-kit"
CELL_TIMEOUT = 300  # seconds a cell may run before nbgrader stops it (catalog tasks may ask for more)
IGNORE_PATTERN = r"[A-Za-z]*Warning\b|warnings\.warn"  # stderr lines nbgrader drops before scoring

NBGRADER_CONFIG = '''\
# nbgrader configuration of the foundations-kit course, written by `python -m autograder nbgrader`.
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, SaveAutoGrades

from autograder.nbgrader_autograde import GradeInSandbox

c = get_config()  # noqa: F821 (nbgrader provides it)

c.CourseDirectory.course_id = "{course_id}"

# What a released solution cell holds instead of the reference code.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}

# autograde runs no kernel: GradeInSandbox (in place of nbgrader's Execute) grades the
# notebook's code in the kit's confined worker, with the same suites and scores as
# `python -m autograder grade`, and writes each task's result into its test cell.
c.Autograde.autograde_preprocessors = [GradeInSandbox, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
c.GradeInSandbox.task_timeout = {task_timeout}  # seconds of learner code per task
# a test cell deleted from a submission is put back (and graded) rather than lost
c.OverwriteCells.add_missing_cells = True

# `nbgrader validate` still runs notebooks in a kernel: a cell may run CELL_TIMEOUT seconds, or
# what its metadata["kit"]["timeout"] asks for; a cell that runs longer is stopped with this message.
CELL_TIMEOUT = {timeout}
c.Execute.timeout = CELL_TIMEOUT
c.Execute.timeout_func = lambda cell: cell.get("metadata", {{}}).get("kit", {{}}).get("timeout", CELL_TIMEOUT)
c.Execute.error_on_timeout = {{
    "ename": "CellTimeoutError",
    "evalue": "this cell did not finish in time",
    "traceback": ["CellTimeoutError: this cell did not finish within its time limit and was stopped "
                  "(an infinite loop? a very slow loop?). Cells after it ran without it."],
}}

# nbgrader scores a test cell 0 when it writes to stderr. The checks print nothing there,
# and library warnings (PyTorch, numba) that reach stderr anyway are removed before grading.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"{ignore_pattern}"
'''


def _cell(kind: str, source: str, cell_id: str, **nbgrader):
    cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
    cell["id"] = cell_id  # deterministic ids: generating twice gives identical files
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
    return cell


def _sections(markdown: str) -> list[str]:
    """The handout split at its second-level headings, one cell per section."""
    parts = re.split(r"(?m)^(?=## )", markdown)
    return [p.strip() for p in parts if p.strip()]


def check_cell_source(a: catalog.Assignment, task: catalog.Task) -> str:
    """A test cell: the visible checks, for the learner to run. Autograding does not run it: it
    grades the notebook's code with the visible and hidden checks in the grader's sandbox."""
    return (f"# Runs the visible checks of {task.name} on your functions. Autograding grades them\n"
            f"# with the visible and hidden checks, in the grader's sandbox.\n"
            f"from assignments.common.notebook import check\n"
            f"check({a.name!r}, {task.name!r}, globals())\n")


def source_notebook(a: catalog.Assignment) -> nbformat.NotebookNode:
    sections = _sections((KIT / a.handout).read_text())
    reference = (KIT / "solutions" / a.name / a.file).read_text()
    cells = [_cell("markdown", s, f"{a.name}-handout-{i}") for i, s in enumerate(sections)]
    cells.append(_cell("markdown", f"## Your code\n\nWrite the functions of `{a.file}` in the next cell, then run "
                                   "the test cells below it.", f"{a.name}-your-code"))
    cells.append(_cell("code", reference, f"{a.name}-solution", grade=False, solution=True, locked=False,
                       grade_id=f"{a.name}-solution"))
    for task in a.tasks:
        cells.append(_cell("markdown", f"### {task.name} ({task.points:g} points)\n\nRead: `{task.read}`",
                           f"{a.name}-{task.name}-about"))
        test = _cell("code", check_cell_source(a, task), f"{a.name}-{task.name}", grade=True, solution=False,
                     locked=True, points=task.points, grade_id=task.name)
        test.metadata["kit"] = {"timeout": task.cell_timeout or CELL_TIMEOUT}  # slower tasks ask for more
        cells.append(test)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _figures(handout: Path) -> list[Path]:
    return [handout.parent / f for f in re.findall(r"\]\((figures/[^)]+)\)", handout.read_text())]


def write_course(course_dir: Path) -> list[Path]:
    """nbgrader_config.py and one source notebook (with its figures) per assignment."""
    course_dir = Path(course_dir)
    written = [course_dir / "nbgrader_config.py"]
    course_dir.mkdir(parents=True, exist_ok=True)
    written[0].write_text(NBGRADER_CONFIG.format(course_id=COURSE_ID, timeout=CELL_TIMEOUT,
                                                 ignore_pattern=IGNORE_PATTERN,
                                                 task_timeout=DEFAULT_TASK_TIMEOUT))
    for a in catalog.ASSIGNMENTS.values():
        folder = course_dir / "source" / a.name
        (folder / "figures").mkdir(parents=True, exist_ok=True)
        path = folder / f"{a.name}.ipynb"
        nbformat.write(source_notebook(a), path)
        written.append(path)
        for figure in _figures(KIT / a.handout):
            shutil.copyfile(figure, folder / "figures" / figure.name)
            written.append(folder / "figures" / figure.name)
    return written


# ------------------------------------------------------------------ the student release

STUDENT_README = """\
# Foundations kit: build the deep-learning papers by hand, test-first

You will implement the building blocks of the foundation papers, in numpy (a1-a5) and in
PyTorch (a6, a7), and the tests will tell you precisely whether your code is right.

## Set up

```bash
pip install torch==2.13.0 -e .
```

## Work

For each assignment, read its handout in `handouts/`, then fill in the functions of the
learner file and run its tests:

{assignments}

```bash
pytest assignments/                      # everything; one short line per function still to write
pytest assignments/a1_convolution -x     # one assignment, stop at the first failure
python -m assignments.common.checklist   # which tasks are done, and where to read next
```

A failing test names the input case (shapes, dtype, arguments) and, when your output matches a
classic mistake, the mistake and its fix; otherwise how far your output was from PyTorch's. `assignments/common/gradcheck.py` checks a backward pass against finite
differences. The hidden tests your course grades with use other inputs than these: make the
visible ones pass, then think about the edge cases the handout lists.
"""

STUDENT_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "foundations-kit-student"
version = "{version}"
description = "Learner files and visible tests of the foundations kit."
requires-python = ">=3.11"
dependencies = {dependencies}

[tool.setuptools.packages.find]
include = ["assignments*"]

[tool.pytest.ini_options]
testpaths = ["assignments"]
addopts = "-p assignments.common.pytest_plugin -p no:cacheprovider --tb=short"
timeout = 300
"""

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")


def released(through: str | None = None) -> tuple[list[catalog.Assignment], list[catalog.Assignment]]:
    """(handed out, past) for a release through ``through``: every assignment up to and including
    it is handed out (stub, visible tests, handout); those before it are past (their fast kernels
    ship)."""
    names = list(catalog.ASSIGNMENTS)
    last = names.index(catalog.get(through).name) if through else len(names) - 1
    handed_out = [catalog.ASSIGNMENTS[n] for n in names[:last + 1]]
    return handed_out, handed_out[:-1]


def write_release(out_dir: Path, through: str | None = None) -> Path:
    """The student repository through ``through`` (default: every assignment): stubs and visible
    tests, common/ with the fast kernels of past assignments only, handouts, README, pyproject."""
    import tomllib

    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty: choose a new directory for the release")
    handed_out, past = released(through)
    project = tomllib.loads((KIT / "pyproject.toml").read_text())["project"]
    src, dst = KIT / "assignments", out_dir / "assignments"
    dst.mkdir(parents=True)
    shutil.copyfile(src / "__init__.py", dst / "__init__.py")
    withheld = {f"{a.module}.py" for a in catalog.ASSIGNMENTS.values() if a.fast_path and a not in past}
    shutil.copytree(src / "common", dst / "common",
                    ignore=lambda d, names: set(_IGNORE(d, names)) | (withheld & set(names) if Path(d).name == "fast"
                                                                      else set()))
    (out_dir / "handouts" / "figures").mkdir(parents=True)
    for a in handed_out:
        shutil.copytree(src / a.name, dst / a.name, ignore=_IGNORE)
        shutil.copyfile(KIT / a.handout, out_dir / a.handout)
        for figure in _figures(KIT / a.handout):
            shutil.copyfile(figure, out_dir / "handouts" / "figures" / figure.name)
    listing = "\n".join(f"- `{a.name}`: edit `assignments/{a.name}/{a.file}`, read `{a.handout}`" for a in handed_out)
    (out_dir / "README.md").write_text(STUDENT_README.format(assignments=listing))
    dependencies = "[\n" + "".join(f'    "{d}",\n' for d in project["dependencies"]) + "]"
    (out_dir / "pyproject.toml").write_text(STUDENT_PYPROJECT.format(version=project["version"],
                                                                      dependencies=dependencies))
    return out_dir
