"""What a learner hands in, laid out as a submission.

A submission is a directory laid out like assignments/ (``a2_normalization/norms.py``); on
Gradescope, or in a folder of a class's hand-ins, learners also upload the files alone
(``norms.py``), or inside one more folder. ``laid_out`` finds each learner file the kit knows,
either way, and returns a directory laid out like assignments/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from assignments.common import catalog


def found(directory: Path) -> dict[str, Path]:
    """assignment name -> the learner file for it in ``directory``: at ``<assignment>/<file>``
    (any depth, e.g. ``assignments/a3_dropout/dropout.py``), else a file of that name alone (the
    shallowest one); files under hidden or cache folders are ignored."""
    located = {}
    for a in catalog.ASSIGNMENTS.values():
        candidates = [p for p in directory.rglob(a.file) if p.is_file() and not _ignored(p.relative_to(directory))]
        laid = [p for p in candidates if p.parent.name == a.name]
        pick = laid or candidates
        if pick:
            located[a.name] = min(pick, key=lambda p: (len(p.relative_to(directory).parts), str(p)))
    return located


def _ignored(relative: Path) -> bool:
    return any(part.startswith((".", "__")) for part in relative.parts[:-1])


def laid_out(directory: Path, scratch: Path) -> Path:
    """``directory`` itself when it is laid out like assignments/, else a copy under ``scratch``
    that is (each learner file at ``<assignment>/<file>``)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"not a directory: {directory}")
    located = found(directory)
    if all(path == directory / name / path.name for name, path in located.items()):
        return directory
    scratch.mkdir(parents=True, exist_ok=True)
    for name, path in located.items():
        (scratch / name).mkdir(exist_ok=True)
        shutil.copyfile(path, scratch / name / path.name)
    return scratch
