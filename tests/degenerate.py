"""Degenerate submissions, built from the reference: code that has the right shapes and the
right argument checks but does not do the task's computation. Fair credit gives them 0.

Each is the reference module with a wrapper around every public function, appended to its
source so that it runs in the confined grading worker like any learner file:

- "zeros": every array it returns (floats, ids, masks) is replaced by zeros of the same shape and dtype;
- "identity": every such array is replaced by an input array of the same shape where there is
  one (x for a forward, dout for a backward), by zeros otherwise;
- "frozen_stats": the outputs are the reference's, but running statistics are never updated.

None of them changes its arguments in place (the reference runs on copies).
"""

from __future__ import annotations

from assignments.common import catalog
from tests.conftest import KIT

KINDS = ("zeros", "identity", "frozen_stats")

WRAPPER = '''

# ---- degenerate wrapper (tests/degenerate.py), kind = {kind!r}
import functools as _functools

import numpy as _np


def _degenerate(fn, kind):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        copy = lambda v: v.copy() if isinstance(v, _np.ndarray) else v
        result = fn(*map(copy, args), **{{k: copy(v) for k, v in kwargs.items()}})
        if kind == "frozen_stats":
            return result
        inputs = [a for a in (*args, *kwargs.values()) if isinstance(a, _np.ndarray)]

        def replace(value):
            if not (isinstance(value, _np.ndarray) and value.dtype.kind in "fiub"):  # masks and ids too
                return value
            same = [a for a in inputs if a.shape == value.shape] if kind == "identity" else []
            return same[0].astype(value.dtype) if same else _np.zeros_like(value)

        if fn.__name__.endswith("_forward"):
            out, cache = result
            return replace(out), cache
        return tuple(map(replace, result)) if isinstance(result, tuple) else replace(result)
    return wrapper


for _name, _fn in list(globals().items()):
    if callable(_fn) and not _name.startswith("_") and getattr(_fn, "__module__", None) == __name__:
        globals()[_name] = _degenerate(_fn, {kind!r})
'''


def source(assignment: catalog.Assignment, kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    reference = (KIT / "solutions" / assignment.name / assignment.file).read_text()
    return reference + WRAPPER.format(kind=kind)


def write_submission(root, kind: str, assignments=None):
    """A submission directory holding the ``kind`` version of every assignment's reference."""
    for a in assignments or catalog.ASSIGNMENTS.values():
        path = root / a.name / a.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source(a, kind))
    return root
