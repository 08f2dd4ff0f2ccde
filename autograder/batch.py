"""A class at once: ``python -m autograder batch ROOT [--assignment NAME]... [--jobs N] --output grades.csv``.

Every directory under ROOT is one student's submission, named by the directory (laid out like
assignments/, or the learner files alone: autograder/uploads.py). Each is graded exactly as
``grade`` grades it, ``--jobs`` of them at once in separate processes; a submission that cannot
be graded at all scores 0 with the reason, and the batch goes on. Written: the CSV (``student``,
one column per task, ``total``) and, beside it, ``<csv stem>/<student>.json``, each student's
report in Gradescope's schema.
"""

from __future__ import annotations

import concurrent.futures
import csv
import json
import multiprocessing
import tempfile
import traceback
from pathlib import Path

from assignments.common import catalog


def students(root: Path) -> dict[str, Path]:
    """student name -> directory, every directory right under ``root`` (hidden ones skipped)."""
    if not root.is_dir():
        raise ValueError(f"ROOT must be a directory of submissions, one directory per student, got {root}")
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith((".", "__"))}


def tasks(assignments) -> list[str]:
    return [t.qualified(a.name) for a in (catalog.get(n) for n in assignments) for t in a.tasks]


def not_graded(assignments, why: str) -> dict:
    """A report in Gradescope's schema with every task at 0 and the reason."""
    chosen = [catalog.get(n) for n in assignments]
    return {"score": 0.0, "max_score": sum(a.max_score for a in chosen), "output": f"not graded: {why}",
            "tests": [{"name": t.qualified(a.name), "score": 0.0, "max_score": t.points, "status": "failed",
                       "output": f"not graded: {why}"} for a in chosen for t in a.tasks]}


def grade_one(directory: str, assignments: list[str], task_timeout: float) -> dict:
    """One student's report (Gradescope's schema), graded as ``grade`` grades; never raises."""
    from autograder import grading, uploads

    try:
        with tempfile.TemporaryDirectory(prefix="kit-upload-") as scratch:
            submission = uploads.laid_out(Path(directory), Path(scratch))
            return grading.grade(submission, assignments, task_timeout=task_timeout).gradescope()
    except Exception as exc:  # the grader itself failed on this submission: 0, with the reason
        last = traceback.format_exception_only(exc)[-1].strip()
        return not_graded(assignments, f"the grader could not grade this submission ({last})")


def run(root: Path, output: Path, assignments=None, jobs: int = 1, task_timeout: float = 60.0,
        on_done=None) -> dict[str, dict]:
    """Grade every student under ``root``; write the CSV and the reports; return the reports.
    ``on_done(student, report)`` is called as each one finishes (the progress bar)."""
    assignments = list(assignments or catalog.ASSIGNMENTS)
    everyone = students(Path(root))
    reports = {}
    if jobs <= 1:
        for name, directory in everyone.items():
            reports[name] = grade_one(str(directory), assignments, task_timeout)
            on_done and on_done(name, reports[name])
    else:
        # spawn: each job a fresh interpreter (the grader runs pytest in-process, and a fork of a
        # process that has started threads is not safe)
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            pending = {pool.submit(grade_one, str(d), assignments, task_timeout): name for name, d in everyone.items()}
            for future in concurrent.futures.as_completed(pending):
                name = pending[future]
                try:
                    reports[name] = future.result()
                except Exception as exc:  # the job's process died (out of memory, killed)
                    reports[name] = not_graded(assignments, f"its grading process stopped ({exc})")
                on_done and on_done(name, reports[name])
    write(output, {name: reports[name] for name in everyone}, assignments)
    return reports


def write(output: Path, reports: dict[str, dict], assignments) -> None:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    columns = tasks(assignments)
    folder = output.parent / output.stem
    folder.mkdir(exist_ok=True)
    with output.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *columns, "total"])
        for name, report in reports.items():
            scores = {t["name"]: t["score"] for t in report["tests"]}
            writer.writerow([name, *(f"{scores.get(c, 0.0):g}" for c in columns), f"{report['score']:g}"])
            (folder / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
