"""Sample inputs for the operator tests, kept apart from the test logic (as PyTorch's OpInfo).

A ``Sample`` is one call: positional arrays with their names, keyword arguments, and a name.
Each assignment has per-operator generators (``assignments/<a>/samples.py`` for the visible
tests, ``autograder/hidden/<a>/samples.py`` for the hidden ones) built from ``array`` below,
so every case is reproducible from its name alone.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

LAYOUTS = ("contiguous", "strided", "transposed")


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded by a case's name: the same case always gets the same numbers."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def _strided(values: np.ndarray) -> np.ndarray:
    """The same values in a non-contiguous view: every other element of a larger buffer."""
    buf = np.zeros(values.shape + (2,), dtype=values.dtype)
    buf[..., 0] = values
    return buf[..., 0]


def copy_array(a):
    """A copy of the same dtype and layout (a non-contiguous view stays one)."""
    if not isinstance(a, np.ndarray):
        return a
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return a.copy(order="K")
    return _strided(a)


def key_path(prefix: str, key) -> str:
    """How messages name a value inside a nested argument: params['bn1.weight'], grads[0]."""
    return f"{prefix}[{key!r}]" if prefix else str(key)


def copy_tree(tree, keep=frozenset(), path=""):
    """The same nested value (dicts, tuples and lists of arrays) with every array copied, same
    dtype and layout; values at the key paths in ``keep`` are passed as they are."""
    if path in keep:
        return tree
    if isinstance(tree, np.ndarray):
        return copy_array(tree)
    if isinstance(tree, dict):
        return {k: copy_tree(v, keep, key_path(path, k)) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(copy_tree(v, keep, key_path(path, i)) for i, v in enumerate(tree))
    return tree


def arrays_in(tree, path="", skip=frozenset()):
    """(key path, array) for every array in a nested value, not entering the paths in ``skip``."""
    if path in skip:
        return
    if isinstance(tree, np.ndarray):
        yield path, tree
    elif isinstance(tree, dict):
        for k, v in tree.items():
            yield from arrays_in(v, key_path(path, k), skip)
    elif isinstance(tree, (tuple, list)):
        for i, v in enumerate(tree):
            yield from arrays_in(v, key_path(path, i), skip)


def describe_value(name: str, value) -> str:
    """One argument for a message: shape and dtype of an array; for a dict of arrays, a few keys
    with their shapes (a toy residual block has a dozen of them)."""
    if isinstance(value, np.ndarray):
        layout = "" if value.flags.c_contiguous else " (non-contiguous view)"
        return f"{name} {value.shape} {value.dtype}{layout}"
    if isinstance(value, dict) and value and all(isinstance(v, np.ndarray) for v in value.values()):
        shown = [f"{k!r}: {v.shape}" for k, v in list(value.items())[:3]]
        more = f", ... {len(value) - 3} more" if len(value) > 3 else ""
        dtypes = sorted({str(v.dtype) for v in value.values()})
        return f"{name} {{{', '.join(shown)}{more}}} {'/'.join(dtypes)}"
    text = repr(value)
    return f"{name}={text if len(text) <= 60 else text[:57] + '...'}"


def array(rng: np.random.Generator, shape, dtype=np.float64, layout: str = "contiguous", *, low=None, high=None):
    """Random values of the given shape and dtype, standard normal (or uniform in [low, high)).

    layout "strided" returns a non-contiguous view (every other element of a larger buffer);
    "transposed" returns a Fortran-ordered view; both hold the same kind of values.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    values = rng.standard_normal(shape) if low is None else rng.uniform(low, high, size=shape)
    values = values.astype(dtype)
    if layout == "strided":
        return _strided(values)
    if layout == "transposed":
        return np.asfortranarray(values)
    return values


@dataclass
class Sample:
    """One call of an operator: ``fn(*args, **kwargs)``."""

    name: str
    names: tuple[str, ...]  # the names of the positional arguments, for messages
    args: tuple
    kwargs: dict = field(default_factory=dict)
    mutable: tuple[str, ...] = ()  # arguments the call updates in place (running statistics)

    def copy(self) -> "Sample":
        """The same call on copies of the arrays (same dtype and layout): run the learner on a
        copy, so that in-place updates never leak into the oracle or into another test."""
        return Sample(self.name, self.names, copy_tree(self.args), copy_tree(self.kwargs), self.mutable)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the first array argument (outputs keep it); float64 for a call on
        numbers only (a positional encoding of ints is float64)."""
        first = next((a for _, a in arrays_in(self.args)), None)
        return first.dtype if first is not None else np.dtype(np.float64)

    def upstream(self, shape) -> np.ndarray:
        """A reproducible upstream gradient ``dout`` of the given shape, in the sample's dtype."""
        return rng_for(self.name + "/dout").standard_normal(shape).astype(self.dtype)

    def describe(self, defaults: dict | None = None) -> str:
        """The call's arguments for a message; ``defaults`` (the function's) fill in the rest."""
        parts = [describe_value(n, a) for n, a in zip(self.names, self.args)]
        parts += [describe_value(k, v) for k, v in self.kwargs.items()]
        parts += [f"{k}={v!r}" for k, v in (defaults or {}).items() if k not in self.kwargs and k not in self.names]
        return ", ".join(parts)

    def __str__(self):  # the pytest id
        return f"{self.name}-{self.dtype}" if any(True for _ in arrays_in(self.args)) else self.name


@dataclass
class ErrorCase:
    """One call with invalid arguments: ``function(*args, **kwargs)`` must raise ValueError
    whose message names one of ``names``, the arguments involved (contract section 2)."""

    function: str
    description: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    names: tuple[str, ...] = ()

    def __str__(self):  # the pytest id
        return f"{self.function}-{self.description.replace(' ', '_')}"


def with_dtypes(make, cases, dtypes=(np.float64, np.float32)):
    """Every case in every dtype: ``make(name, dtype, **case)`` -> Sample."""
    return [make(name, dtype, **case) for name, case in cases.items() for dtype in dtypes]
