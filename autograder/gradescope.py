"""Gradescope: ``python -m autograder gradescope-bundle OUT.zip [--assignment NAME]...``.

The zip holds the kit (the grader, the suites, the reference the hidden suites compare with)
and, at its root, the two scripts Gradescope runs:

    setup.sh        once, when the autograder image is built: installs the pinned dependencies
                    and the kit, then grades the reference once, which compiles and caches the
                    numba fast path and imports everything a grading run needs
    run_autograder  for every upload: finds the learner files in $AUTOGRADER_ROOT/submission/
                    (uploaded alone, ``conv.py``, or laid out like assignments/), grades them and
                    writes $AUTOGRADER_ROOT/results/results.json (AUTOGRADER_ROOT: /autograder)

``run`` below is what run_autograder calls; it always writes a results.json, 0 points with the
reason when nothing could be graded.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
import zipfile
from pathlib import Path

from assignments.common import catalog

KIT = Path(__file__).resolve().parent.parent
PACKAGES = ("assignments", "solutions", "autograder")  # what grading needs, with pyproject.toml and README.md
TORCH_CPU = "https://download.pytorch.org/whl/cpu"  # torch's CPU wheels: the default index pulls a multi-GB CUDA build

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image. The kit needs Python
# 3.11 or newer: choose Gradescope's Ubuntu 24.04 base image (Python 3.12).
set -euo pipefail
cd /autograder/source
command -v pip3 >/dev/null || (apt-get update -q && apt-get install -y -q python3-pip)
export PIP_BREAK_SYSTEM_PACKAGES=1  # the image is the grader's alone (PEP 668's guard does not apply)
pip3 install -q --extra-index-url {torch_cpu} "torch==2.13.0" "numba==0.68.1"
pip3 install -q -e .
# grade the reference once: compiles and caches the numba fast path, imports torch and the suites
python3 -m autograder.gradescope warm {assignments}
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every upload; it writes $AUTOGRADER_ROOT/results/results.json.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
cd "$ROOT/source" && exec python3 -m autograder.gradescope run --root "$ROOT" {assignments}
"""


def _options(assignments) -> str:
    return " ".join(f"--assignment {name}" for name in assignments)


def kit_files():
    """(path in the zip, file) for the kit's files that grading needs, caches and tests left out."""
    for name in ("pyproject.toml", "README.md"):
        yield name, KIT / name
    for package in PACKAGES:
        for path in sorted((KIT / package).rglob("*")):
            relative = path.relative_to(KIT)
            if path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc":
                yield str(relative), path


def bundle(out: Path, assignments=None) -> Path:
    """Write the autograder zip for ``assignments`` (default: all of them)."""
    assignments = list(assignments or catalog.ASSIGNMENTS)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, path in kit_files():
            z.write(path, name)
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16  # executable
            z.writestr(info, text.format(torch_cpu=TORCH_CPU, assignments=_options(assignments)))
    return out


def run(root: Path, assignments) -> Path:
    """Grade $AUTOGRADER_ROOT/submission, write $AUTOGRADER_ROOT/results/results.json."""
    from autograder import batch, grading, uploads

    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="kit-upload-") as scratch:
            submission = uploads.laid_out(root / "submission", Path(scratch))
            report = grading.grade(submission, assignments).gradescope()
    except Exception as exc:
        report = batch.not_graded(assignments, "the grader failed: " + traceback.format_exception_only(exc)[-1].strip())
    results.write_text(json.dumps(report, indent=2) + "\n")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope", description="run inside Gradescope")
    parser.add_argument("step", choices=("run", "warm"))
    parser.add_argument("--root", default="/autograder", help="AUTOGRADER_ROOT")
    parser.add_argument("--assignment", action="append", choices=list(catalog.ASSIGNMENTS), metavar="NAME")
    args = parser.parse_args(argv)
    assignments = args.assignment or list(catalog.ASSIGNMENTS)
    if args.step == "warm":
        from autograder import grading

        report = grading.grade(KIT / "solutions", assignments)
        print(f"warmed: the reference scores {report.score:g} / {report.max_score:g}")
        return 0
    print(f"wrote {run(Path(args.root), assignments)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
