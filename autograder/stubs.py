"""Learner stubs are generated from solutions/, the one source of truth.

Every solution body sits between nbgrader's markers::

    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

A stub keeps everything else (signature, docstring, given helpers) and replaces each marked
region with a NotImplementedError that names its function, so a learner running the tests
sees one short line per function still to write.
"""

from __future__ import annotations

import ast
from pathlib import Path

from assignments.common import catalog

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
KIT = Path(__file__).resolve().parent.parent


def not_implemented_message(function: str) -> str:
    return f"{function} is not implemented yet"


def _enclosing_function(tree: ast.Module, lineno: int) -> str:
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.lineno <= lineno <= node.end_lineno and (best is None or node.lineno > best.lineno):
                best = node
    if best is None:
        raise ValueError(f"line {lineno}: {BEGIN} outside any function")
    return best.name


def make_stub(source: str, filename: str = "<solution>") -> str:
    """The learner version of a solution file: each marked region becomes a NotImplementedError."""
    tree = ast.parse(source, filename)
    lines = source.splitlines(keepends=True)
    out, region_start = [], None
    for lineno, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if region_start is not None:
                raise ValueError(f"{filename}:{lineno}: nested {BEGIN}")
            region_start = lineno
            indent = line[: len(line) - len(line.lstrip())]
            function = _enclosing_function(tree, lineno)
            out.append(f"{indent}# YOUR CODE HERE\n")
            out.append(f'{indent}raise NotImplementedError("{not_implemented_message(function)}")\n')
        elif stripped == END:
            if region_start is None:
                raise ValueError(f"{filename}:{lineno}: {END} without {BEGIN}")
            region_start = None
        elif region_start is None:
            out.append(line)
    if region_start is not None:
        raise ValueError(f"{filename}:{region_start}: {BEGIN} is never closed")
    return "".join(out)


def expected_stubs(kit: Path = KIT) -> dict[Path, str]:
    """{learner file path: the text it must hold} for every assignment in the catalog."""
    stubs = {}
    for a in catalog.ASSIGNMENTS.values():
        source = kit / "solutions" / a.name / a.file
        stubs[kit / "assignments" / a.name / a.file] = make_stub(source.read_text(), str(source))
    return stubs


def drifted(kit: Path = KIT) -> list[Path]:
    """Learner files that differ from what make_stub generates."""
    return [p for p, text in expected_stubs(kit).items() if not p.exists() or p.read_text() != text]


def write(kit: Path = KIT) -> list[Path]:
    written = []
    for path, text in expected_stubs(kit).items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(path)
    return written
