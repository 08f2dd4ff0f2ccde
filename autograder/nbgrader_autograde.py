"""nbgrader's autograde, through the kit's confined grader.

The course config written by ``python -m autograder nbgrader`` puts ``GradeInSandbox`` where
nbgrader's ``Execute`` step was in ``Autograde.autograde_preprocessors``. Nothing of the
notebook runs in a kernel any more. For each submitted notebook, in the instructor's (trusted)
process, it

1. takes the code of every code cell that is not a test cell, in order (IPython magics become
   no-ops), and writes it as the assignment's learner file (``dropout.py``);
2. grades that file with ``autograder.grading.grade``: the same confined worker, the same
   visible and hidden suites, the same scores as ``python -m autograder grade``;
3. writes each task's result into its test cell (``grade_id`` = the task's name): a passed task
   prints its summary; a task with partial credit prints its feedback and shows its score as
   the cell's result (nbgrader's partial credit); a task with no points shows an error whose
   text is the feedback.

nbgrader's own steps before (sanitize: clear outputs, restore the locked test cells) and after
(save the grades in the gradebook, late penalties, feedback) are unchanged. The learner's code
never runs where the kit, the gradebook or the course directory can be read or written.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float

from assignments.common import catalog
from autograder import grading

# Magics (%timeit, !ls) in a learner's cell call get_ipython(): when graded, they do nothing.
SHIM = '''\
def get_ipython():  # added by the grader: notebook magics do nothing when graded
    class _Shell:
        def __getattr__(self, name):
            return lambda *args, **kwargs: None
    return _Shell()
'''


def learner_source(nb: nbformat.NotebookNode) -> tuple[str, list[tuple[int, int]]]:
    """The notebook's own code as one module: every code cell that is not a test cell, in
    order, magics translated. Returns the text and, per line of it, (code cell number, line in
    that cell), 0 for the lines the grader adds."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    lines, where = SHIM.splitlines(), [(0, 0)] * len(SHIM.splitlines())
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        if utils.is_grade(cell):
            continue
        try:
            text = transform(cell.source)
        except SyntaxError:
            text = cell.source  # let the grader report the syntax error, with its line
        lines += text.splitlines()
        where += [(number, i) for i in range(1, len(text.splitlines()) + 1)]
    return "\n".join(lines) + "\n", where


def in_cells(text: str, filename: str, where: list[tuple[int, int]]) -> str:
    """Feedback that points at the learner's cells ("code cell 3, line 7"), not at the module."""
    def cell_line(match):
        n = int(match.group(2))
        cell, line = where[n - 1] if 0 < n <= len(where) else (0, 0)
        return f"code cell {cell}, line {line}" if cell else f"line {n}"

    pattern = re.escape(filename)
    text = re.sub(rf'File "{pattern}", (line) (\d+)', lambda m: "In " + cell_line(m), text)
    return re.sub(rf"\({pattern}, (line) (\d+)\)", lambda m: f"({cell_line(m)})", text)


def task_outputs(result, where, filename) -> list:
    """The outputs of a task's test cell: what nbgrader's determine_grade scores."""
    feedback = in_cells(result.feedback(), filename, where)
    points = result.task.points
    if result.score == points:
        return [nbformat.v4.new_output("stream", name="stdout", text=f"{result.task.name}: {feedback}\n")]
    if result.score > 0:  # nbgrader's partial credit: a single number as the cell's result
        return [nbformat.v4.new_output("stream", name="stdout", text=f"{result.task.name}: {feedback}\n"),
                nbformat.v4.new_output("execute_result", data={"text/plain": f"{result.score:g}"}, execution_count=1)]
    return [nbformat.v4.new_output("error", ename="TaskNotPassed", evalue=f"0 of {points:g} points",
                                   traceback=[f"{result.task.name}: 0 of {points:g} points", *feedback.splitlines()])]


class GradeInSandbox(NbGraderPreprocessor):
    """Grade the notebook's code in the confined worker; write each task's result into its cell."""

    task_timeout = Float(grading.DEFAULT_TASK_TIMEOUT,
                         help="Seconds the learner code may run for all the checks of one task.").tag(config=True)

    def _assignment(self, resources) -> catalog.Assignment:
        names = (resources.get("nbgrader", {}).get("assignment"), resources.get("nbgrader", {}).get("notebook"))
        for name in names:
            if name in catalog.ASSIGNMENTS:
                return catalog.ASSIGNMENTS[name]
        raise ValueError(f"neither the assignment nor the notebook is one of the kit's ({', '.join(catalog.ASSIGNMENTS)}):"
                         f" {names}")

    def preprocess(self, nb, resources):
        a = self._assignment(resources)
        source, where = learner_source(nb)
        with tempfile.TemporaryDirectory(prefix="nbgrader-") as tmp:
            path = Path(tmp) / a.name / a.file
            path.parent.mkdir()
            path.write_text(source)
            report = grading.grade(tmp, [a.name], task_timeout=self.task_timeout)
        for note in report.notes:
            (self.log.warning if report.unconfined else self.log.info)("%s", note)
        results = {r.task.name: r for r in report.results}
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_grade(cell):
                task = cell.metadata.nbgrader.get("grade_id")
                if task in results:
                    cell.outputs = task_outputs(results[task], where, a.file)
                    cell.execution_count = 1
        return nb, resources
