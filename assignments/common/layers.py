"""The layers of earlier assignments, for the later ones that build on them (a4 composes
convolution and batch norm):

    from assignments.common import layers
    out, cache = layers.conv2d_forward(x, w, stride=2, padding=1)

A name resolves to the numba fast path (assignments/common/fast/<module>.py) where it ships,
otherwise to your own function from the earlier assignment (assignments/<assignment>/<file>).
The kit ships every fast kernel; a student release carries an assignment's fast kernel only
once that assignment is past (``python -m autograder release --through``), so until then
your own code runs. The grader always gives the fast kernels: a later assignment is graded
independently of your earlier ones.
"""

from __future__ import annotations

import importlib

from assignments.common import catalog


def _module(path: str):
    """The module at ``path``, or None when it is not part of this copy of the kit."""
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name and path.startswith(exc.name):  # the module itself is missing, not one it imports
            return None
        raise


def source_of(name: str):
    """The module ``name`` comes from: a fast kernel where it ships, else the learner's file."""
    earlier = catalog.ASSIGNMENTS.values()
    candidates = [f"assignments.common.fast.{a.module}" for a in earlier if a.fast_path] + [f"assignments.{a.name}.{a.module}" for a in earlier]
    for path in candidates:
        module = _module(path)
        if module is not None and callable(getattr(module, name, None)):
            return module
    raise AttributeError(f"no earlier assignment provides {name!r}")


def __getattr__(name: str):
    if name.startswith("_"):
        raise AttributeError(name)
    return getattr(source_of(name), name)
