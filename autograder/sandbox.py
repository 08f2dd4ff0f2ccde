"""Run untrusted learner code in a worker process; bring back plain data only.

The grading process (trusted) never imports a submission. It starts this file as a script,
``python -I sandbox.py``, in an empty scratch directory holding a copy of the one learner
file; the worker imports what its assignment allows (numpy), confines itself by the kernel
(autograder/confine.py: Landlock and seccomp - it can then read only the standard library,
those packages and its scratch directory, write only the scratch directory, open no socket
and start no process), imports the learner file and answers call requests. Everything that
crosses the pipe is plain data: JSON for the structure, ``.npy`` blobs (read with
``allow_pickle=False``) for numeric arrays. Objects that are not plain data (a forward's
cache) stay in the worker and cross as a numbered handle that the parent can pass back.

Limits: the worker has an address-space limit, a cap on what it may send, a per-call deadline
set by the parent, and it runs in its own process group, killed whole when it is done. The
import guard below only gives a friendly message for a forbidden import; the kernel is what
stops it.

This file imports only the standard library and numpy: the worker runs it with ``-I`` (no
current directory, no PYTHONPATH), so it cannot lean on the rest of the kit.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.util
import io
import itertools
import json
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

MAX_MESSAGE_BYTES = 64 * 2**20  # what one answer may weigh
MEMORY_LIMIT_BYTES = 4 * 2**30  # the worker's address space
LOG_LIMIT_BYTES = 2**20  # what the learner may print
_HEADER = struct.Struct("<Q")
_ARRAY_KINDS = "biufc"  # bool, int, uint, float, complex: nothing else crosses


# ---------------------------------------------------------------- the wire format


class Handle:
    """A worker-side object (a cache), known to the parent by number only."""

    def __init__(self, id: int, type_name: str):
        self.id, self.type_name = id, type_name

    def __repr__(self):
        return f"<a {self.type_name} object>"


class Unsupported:
    """What the parent sees for a value that is not plain data (e.g. a torch tensor)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<a {self.type_name} object>"


def _layout(a: np.ndarray) -> str:
    if a.flags.c_contiguous:
        return "C"
    return "F" if a.flags.f_contiguous else "strided"


class TooLarge(ValueError):
    """What would cross the pipe weighs more than ``limit`` bytes."""


def encode(value, keep=None, limit: int | None = None) -> bytes:
    """Serialize plain data; ``keep(obj) -> Handle`` is called for anything else (worker side).

    With ``limit``, raise TooLarge before copying more than ``limit`` bytes of arrays.
    """
    arrays: list[np.ndarray] = []
    weight = 0

    def enc(v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, (np.ndarray, np.generic)) and np.asarray(v).dtype.kind in _ARRAY_KINDS:
            nonlocal weight
            a = np.asarray(v)
            if type(a) is not np.ndarray:  # a subclass: only the numbers cross
                a = a.view(np.ndarray)
            weight += a.nbytes
            if limit is not None and weight > limit:
                raise TooLarge(f"the result weighs more than the {limit // 2**20} MiB a result may take")
            arrays.append(a)
            return {"t": "nd", "i": len(arrays) - 1, "layout": _layout(a), "scalar": isinstance(v, np.generic)}
        if isinstance(v, tuple):
            return {"t": "tuple", "v": [enc(x) for x in v]}
        if isinstance(v, list):
            return {"t": "list", "v": [enc(x) for x in v]}
        if isinstance(v, dict) and all(isinstance(k, str) for k in v):
            return {"t": "dict", "v": {k: enc(x) for k, x in v.items()}}
        if isinstance(v, np.random.Generator):
            return {"t": "rng", "state": v.bit_generator.state}
        if isinstance(v, Handle):
            return {"t": "handle", "id": v.id, "type": v.type_name}
        if keep is not None:
            return enc(keep(v))
        return {"t": "unsupported", "type": type(v).__module__ + "." + type(v).__qualname__}

    header = json.dumps(enc(value)).encode()
    parts = [_HEADER.pack(len(header)), header]
    for a in arrays:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, a.T if _layout(a) == "F" else a, allow_pickle=False)
        parts += [_HEADER.pack(buf.tell()), buf.getvalue()]
    return b"".join(parts)


def _noncontiguous(a: np.ndarray) -> np.ndarray:
    """The same values in a strided (non-contiguous) view."""
    buf = np.empty(a.shape + (2,), dtype=a.dtype)
    view = buf[..., 0]
    view[...] = a
    return view


def decode(data: bytes, handles=None):
    """Inverse of encode. Numeric arrays only; ``handles`` maps ids to worker-side objects."""
    (n,) = _HEADER.unpack_from(data, 0)
    tree = json.loads(data[8:8 + n])
    pos, arrays = 8 + n, []
    while pos < len(data):
        (m,) = _HEADER.unpack_from(data, pos)
        a = np.lib.format.read_array(io.BytesIO(data[pos + 8:pos + 8 + m]), allow_pickle=False)
        if a.dtype.kind not in _ARRAY_KINDS or a.dtype.fields is not None:
            raise ValueError(f"refusing an array of dtype {a.dtype}")
        arrays.append(a)
        pos += 8 + m

    def dec(v):
        if not isinstance(v, dict):
            return v
        t = v["t"]
        if t == "nd":
            a = arrays[v["i"]]
            a = a.T if v["layout"] == "F" else _noncontiguous(a) if v["layout"] == "strided" else a
            return a[()] if v.get("scalar") else a
        if t in ("tuple", "list"):
            items = [dec(x) for x in v["v"]]
            return tuple(items) if t == "tuple" else items
        if t == "dict":
            return {k: dec(x) for k, x in v["v"].items()}
        if t == "rng":
            bitgen = getattr(np.random, v["state"]["bit_generator"])()
            bitgen.state = v["state"]
            return np.random.Generator(bitgen)
        if t == "handle":
            if handles is None:
                return Handle(v["id"], v["type"])
            if v["id"] not in handles:
                raise ValueError("a cache from an earlier test was passed back; caches live for one test")
            return handles[v["id"]]
        if t == "unsupported":
            return Unsupported(v["type"])
        raise ValueError(f"unknown wire type {t!r}")

    return dec(tree)


def _write_message(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    while data:
        data = data[os.write(fd, data):]


# ---------------------------------------------------------------- the worker (untrusted side)


class _ImportGuard(importlib.abc.MetaPathFinder):
    """A friendly early message for a forbidden import (the kernel's confinement is the defence)."""

    def __init__(self, forbidden, filename, allowed=("numpy",)):
        self.forbidden, self.filename = set(forbidden), filename
        self.allowed = " and ".join(m for m in allowed if m != "numba")

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.forbidden:
            raise ModuleNotFoundError(
                f"{self.filename} may not import {name!r}: this exercise is {self.allowed} only (no "
                f"solutions/, no other assignment's file; a4 gets the fast layers of assignments.common)", name=name)
        return None


def _load_confine():
    """autograder/confine.py, loaded by path (``-I``: the kit is not importable, by design)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "confine.py")
    spec = importlib.util.spec_from_file_location("_kit_confine", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _worker_main(module_path: str, config: dict) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (LOG_LIMIT_BYTES, LOG_LIMIT_BYTES))
    for name in config["preload"]:  # what the assignment allows, imported before the doors close
        importlib.import_module(name)
    if config["kit_modules"]:  # the kit's own modules the learner builds on (a4: the fast layers)
        sys.path.insert(0, config["kit"])
        for name in config["kit_modules"]:
            warm = getattr(importlib.import_module(name), "warm", None)
            if callable(warm):  # compile the JIT kernels now: the kit is unreadable once confined
                warm()
        sys.path.remove(config["kit"])
    if config["policy"] is not None:
        confinement = _load_confine().confine(config["policy"])
    else:
        confinement = {"confined": False, "landlock": 0, "seccomp": False, "why": "confinement was turned off"}
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.dup(1)
    os.dup2(2, 1)  # the learner's prints go to the log, not into the protocol
    sys.stdout = sys.stderr
    filename = os.path.basename(module_path)
    sys.meta_path.insert(0, _ImportGuard(config["forbidden"], filename, config["preload"]))
    handles: dict[int, object] = {}
    ids = itertools.count(1)

    def keep(obj):
        handles[key := next(ids)] = obj
        return Handle(key, type(obj).__name__)

    def learner_traceback(exc):
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == module_path]
        lines = traceback.format_list(frames[-4:])
        return "".join(lines).replace(module_path, filename)

    def answer(obj):
        try:
            payload = encode(obj, keep, limit=MAX_MESSAGE_BYTES)
        except TooLarge as exc:
            payload = encode({"ok": False, "type": "OutputTooLarge", "message": str(exc)})
        _write_message(answers, payload)

    def failure(exc):
        return {"ok": False, "type": type(exc).__name__, "message": str(exc), "where": learner_traceback(exc)}

    module = None
    while True:
        head = requests.read(8)
        if len(head) < 8:
            return
        message = requests.read(_HEADER.unpack(head)[0])
        op = None
        try:
            request = decode(message, handles)
            op = request["op"]
            if op == "load":
                spec = importlib.util.spec_from_file_location(request["name"], module_path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[request["name"]] = module
                spec.loader.exec_module(module)
                names = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_"))
                answer({"ok": True, "value": names, "confinement": confinement})
            elif op == "reset":
                handles.clear()
                answer({"ok": True, "value": None})
            elif op == "call":
                args, kwargs = request["args"], request["kwargs"]
                arrays = _leaves((args, kwargs), skip={id(v) for v in handles.values()})  # not inside caches
                before = [a.copy() if isinstance(a, np.ndarray) else a.bit_generator.state for a in arrays]
                result = getattr(module, request["function"])(*args, **kwargs)
                # what the call changed in its arguments travels back (running statistics, rng state)
                changed = {i: a for i, (a, b) in enumerate(zip(arrays, before))
                           if (isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True))
                           or (not isinstance(a, np.ndarray) and a.bit_generator.state != b)}
                if request["function"].endswith("_forward") and isinstance(result, tuple) and len(result) == 2:
                    result = (result[0], keep(result[1]))  # the cache is opaque: it stays here
                answer({"ok": True, "value": result, "changed": {str(i): a for i, a in changed.items()}})
            elif op == "specs":  # a6, a7: torch objects built from plain data by the kit's specs module
                specs = sys.modules.get("assignments.common.specs")
                if specs is None:
                    raise RuntimeError("this assignment's worker has no specs module (its kit_modules)")
                fn, payload = getattr(module, request["function"]), request["payload"]
                if request["entry"] == "call":
                    result = specs.run_call(fn, payload["names"], payload["args"], payload["kwargs"], payload["grad"],
                                           payload["repeat"])
                else:
                    result = specs.run_experiment(fn, payload["name"], payload["config"])
                answer({"ok": True, "value": result})
        except BaseException as exc:  # the learner's exception, reported, never fatal
            if isinstance(exc, KeyboardInterrupt):
                raise
            answer(failure(exc) | ({"confinement": confinement} if op == "load" else {}))


def _leaves(tree, skip=frozenset()) -> list:
    """Arrays and random generators in a nested structure, in a fixed order; objects whose id
    is in ``skip`` (the worker-side caches that handles stand for) are not entered."""
    if id(tree) in skip:
        return []
    if isinstance(tree, (np.ndarray, np.random.Generator)):
        return [tree]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item, skip)]
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in _leaves(tree[key], skip)]
    return []


# ---------------------------------------------------------------- the parent (trusted side)


class WorkerError(Exception):
    """The worker failed in a way the learner's code caused: crash, hang, bad output."""


class LearnerException(Exception):
    """An exception raised by learner code, carried back as data: its type's name, its own
    message, and where in the learner file it was raised (kept apart from the message)."""

    def __init__(self, type_name: str, message: str, where: str):
        self.type_name, self.message, self.where = type_name, message, where
        super().__init__(f"{type_name}: {message}")
        if where:
            self.add_note(f"raised at:\n{where.rstrip()}")

    def as_builtin(self) -> BaseException:
        """The same exception as a builtin type where there is one, so pytest.raises works.
        Its message is the learner's message only; where it was raised is a note."""
        cls = getattr(builtins, self.type_name, None)
        if isinstance(cls, type) and issubclass(cls, Exception) and cls.__module__ == "builtins":
            try:
                exc = cls(self.message)
            except TypeError:
                return self
            for note in getattr(self, "__notes__", ()):
                exc.add_note(note)
            return exc
        return self


class Worker:
    """One worker process running one learner file."""

    def __init__(self, learner_file: str | os.PathLike, module_name: str, forbidden=(), allowed=("numpy",),
                 confine: bool = True, kit_modules=()):
        """``allowed``: the top-level modules the learner file may import (their packages become
        readable); ``forbidden``: names the import guard refuses with a friendly message;
        ``kit_modules``: modules of the kit imported (and, where they define ``warm()``, warmed)
        before the confinement, so that the learner file finds them in ``sys.modules``;
        ``confine=False`` skips the kernel confinement (tests of the unconfined report only)."""
        from autograder import confine as confinement

        self.source = os.fspath(learner_file)
        self.module_name = module_name
        self._dir = tempfile.TemporaryDirectory(prefix="grade-")
        scratch = os.path.realpath(self._dir.name)
        self.path = os.path.join(scratch, os.path.basename(self.source))
        with open(self.source, "rb") as src, open(self.path, "wb") as dst:
            dst.write(src.read())
        self.log = tempfile.TemporaryFile()
        kit = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        config = {"forbidden": list(forbidden), "preload": list(allowed), "kit": kit, "kit_modules": list(kit_modules),
                  "policy": confinement.policy_for(allowed, scratch, holes=[kit]) if confine else None}
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
               or k.startswith("NUMBA_")}
        env.update(HOME=scratch, TMPDIR=scratch, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__), self.path, json.dumps(config)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
            cwd=scratch, env=env, start_new_session=True,
        )
        self.functions: list[str] = []
        self.confinement: dict = {}

    def request(self, message: dict, timeout: float):
        """Send one request and return the decoded answer, or raise WorkerError/LearnerException."""
        try:
            _write_message(self.proc.stdin.fileno(), encode(message))
        except (BrokenPipeError, OSError):
            raise WorkerError(self._death()) from None
        deadline = time.monotonic() + timeout
        (n,) = _HEADER.unpack(self._read(8, deadline))
        if n > MAX_MESSAGE_BYTES + 2**20:
            self.close()
            raise WorkerError("the learner code sent back more data than allowed")
        try:
            reply = decode(self._read(n, deadline))
        except ValueError as exc:
            raise WorkerError(f"the result could not be read as plain data: {exc}") from None
        if "confinement" in reply:
            self.confinement = reply["confinement"]
        if not reply["ok"]:
            raise LearnerException(reply["type"], reply["message"], reply.get("where", ""))
        return reply

    def _read(self, n: int, deadline: float) -> bytes:
        fd, chunks, got = self.proc.stdout.fileno(), [], 0
        while got < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self.close()
                raise WorkerError("TIMEOUT")
            chunk = os.read(fd, min(n - got, 2**20))
            if not chunk:
                raise WorkerError(self._death())
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.close()
        why = {-signal.SIGKILL: " (killed: out of memory?)", -signal.SIGSEGV: " (segmentation fault)",
               -signal.SIGXFSZ: " (printed too much)"}.get(code, "")
        return f"the worker running your code exited with status {code}{why}{self.log_tail()}"

    def log_tail(self, limit: int = 600) -> str:
        self.log.flush()
        self.log.seek(0, os.SEEK_END)
        size = self.log.tell()
        self.log.seek(max(0, size - limit))
        text = self.log.read().decode(errors="replace").strip()
        return f"; it printed at the end:\n{text}" if text else ""

    def load(self, timeout: float) -> list[str]:
        self.functions = self.request({"op": "load", "name": self.module_name}, timeout)["value"]
        return self.functions

    def call(self, function: str, args: tuple, kwargs: dict, timeout: float):
        reply = self.request({"op": "call", "function": function, "args": args, "kwargs": kwargs}, timeout)
        originals = _leaves((args, kwargs))
        for i, new in reply["changed"].items():  # in-place changes made by the call land here too
            original = originals[int(i)]
            if isinstance(original, np.ndarray):
                if original.shape == new.shape:
                    original[...] = new
            else:
                original.bit_generator.state = new.bit_generator.state
        return reply["value"]

    def run_specs(self, entry: str, function: str, payload: dict, timeout: float):
        """``function`` on torch objects the worker builds from specs (assignments/common/specs.py)."""
        return self.request({"op": "specs", "entry": entry, "function": function, "payload": payload}, timeout)["value"]

    def reset(self, timeout: float = 10) -> None:
        self.request({"op": "reset"}, timeout)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.proc.wait()

    def __del__(self):
        try:
            self.close()
            self.log.close()
            self._dir.cleanup()
        except Exception:
            pass


if __name__ == "__main__":
    _worker_main(sys.argv[1], json.loads(sys.argv[2]))
