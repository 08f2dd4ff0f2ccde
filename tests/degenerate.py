"""Degenerate submissions, built from the reference: code that has the right shapes and the
right argument checks but does not do the task's computation. Fair credit gives them 0.

Each is the reference module with a wrapper around every public function, appended to its
source so that it runs in the confined grading worker like any learner file:

- "zeros": every array it returns (floats, ids, masks) is replaced by zeros of the same shape and dtype;
  a tensor by itself times 0 (the graph kept, every gradient 0), a float by 0.0;
- "identity": every such array is replaced by an input array of the same shape where there is
  one (x for a forward, dout for a backward), by zeros otherwise;
- "frozen_stats": the outputs are the reference's, but running statistics are never updated.

None of them changes its arguments in place (the reference runs on copies: modules and
optimizers too, so a degenerate training step trains nothing).
"""

from __future__ import annotations

from assignments.common import catalog
from tests.conftest import KIT

KINDS = ("zeros", "identity", "frozen_stats")

WRAPPER = '''

# ---- degenerate wrapper (tests/degenerate.py), kind = {kind!r}
import copy as _copy
import functools as _functools

import numpy as _np

try:
    import torch as _torch
except ImportError:  # the numpy assignments' workers have no torch
    _torch = None


def _copied(v, memo):
    if isinstance(v, _np.ndarray):
        return v.copy()
    if memo is not None and _torch is not None and isinstance(v, (_torch.Tensor, _torch.nn.Module,
                                                                    _torch.optim.Optimizer)):
        return _copy.deepcopy(v, memo)  # one memo: the copied optimizers step the copied modules
    return v


def _degenerate(fn, kind):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        memo = None if kind == "frozen_stats" else {{}}  # frozen statistics: numpy's, torch trains as it should
        result = fn(*(_copied(a, memo) for a in args), **{{k: _copied(v, memo) for k, v in kwargs.items()}})
        if kind == "frozen_stats":
            return result
        inputs = [a for a in (*args, *kwargs.values()) if isinstance(a, _np.ndarray)]
        tensors = [a for a in (*args, *kwargs.values()) if _torch is not None and isinstance(a, _torch.Tensor)]

        def replace(value):
            if isinstance(value, float):
                return 0.0
            if _torch is not None and isinstance(value, _torch.Tensor):
                same = [t for t in tensors if t.shape == value.shape] if kind == "identity" else []
                return same[0] if same else value * 0
            if isinstance(value, dict):
                return {{k: replace(v) for k, v in value.items()}}
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
