"""Helpers of the project's own tests: run the CLI, build submissions from the reference."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from assignments.common import catalog
from autograder import stubs

KIT = Path(__file__).resolve().parent.parent
REFERENCE = KIT / "solutions" / "a1_convolution" / "conv.py"

# Each xdist worker has a core of its own and the oracles' tensors are small: two torch threads per
# worker fight over the two cores (test_diagnoses.py -k bottleneck_block, loaded machine: 40 s with
# two threads, 14 s with one).
torch.set_num_threads(1)


def run(*args, timeout=600, env=None, cwd=KIT):
    """Run ``python *args`` in the kit; returns the CompletedProcess (text). One torch thread
    there too (OMP_NUM_THREADS), as in this process."""
    env = (os.environ if env is None else env) | {"OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def grade(submission, *extra, timeout=600) -> dict:
    """``python -m autograder grade SUBMISSION --format gradescope`` -> the parsed report."""
    out = Path(submission) / "results.json" if Path(submission).is_dir() else None
    proc = run("-m", "autograder", "grade", str(submission), "--format", "gradescope", "--output", str(out), *extra,
               timeout=timeout)
    assert proc.returncode == 0, f"grade exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    report = json.loads(out.read_text())
    report["by_task"] = {t["name"]: t for t in report["tests"]}
    return report


def grade_here(submission, assignments=None, **options) -> dict:
    """``grading.grade`` in this process (no CLI start-up; learner code still runs in the
    confined worker unless ``sandboxed=False``: our own planted bugs) -> the Gradescope report, as
    ``grade`` gives it (``task=``: that task alone; ``task_timeout=``)."""
    from autograder import grading

    report = grading.grade(submission, assignments, **options).gradescope()
    report["by_task"] = {t["name"]: t for t in report["tests"]}
    return report


@pytest.fixture
def submission(tmp_path):
    """make(edits) -> a submission directory holding the reference conv.py with text edits.

    Each edit is (old, new); it must apply exactly where intended (the count is checked).
    """
    def make(edits=(), source=None, extra_files=None, assignment="a1_convolution"):
        a = catalog.get(assignment)
        text = source if source is not None else (KIT / "solutions" / a.name / a.file).read_text()
        for old, new, *count in edits:
            expected = count[0] if count else 1
            assert text.count(old) == expected, f"edit does not apply {expected} time(s): {old!r}"
            text = text.replace(old, new)
        path = tmp_path / "sub" / a.name / a.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        for name, content in (extra_files or {}).items():
            (tmp_path / "sub" / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "sub" / name).write_text(content)
        return tmp_path / "sub"
    return make


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
