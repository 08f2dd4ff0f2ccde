"""Confinement by the kernel: what the grading worker does to itself before learner code runs.

The worker (autograder/sandbox.py) calls ``confine(policy)`` once, after importing what its
assignment allows and before importing the learner file. From then on, in that process and
in every thread it starts:

- files (Landlock, Linux >= 5.13): it may read only ``policy["read"]`` (the standard library,
  the packages its assignment allows, the system's shared libraries) and read and write only
  ``policy["write"]`` (its scratch directory). Nothing is executable. A read grant is never
  placed on a directory that holds one of ``policy["holes"]`` (the kit, site-packages): such a
  directory is granted child by child, around the hole.
- network: no TCP bind or connect (Landlock ABI >= 4), and no ``socket()`` at all (seccomp).
- processes: no fork, vfork, exec or clone of a new process (threads are fine); no ptrace, no
  signals to processes outside the worker (Landlock ABI >= 6 scope, and seccomp on kill/tgkill);
  no new namespaces, mounts, io_uring or bpf; every capability dropped, even as root.

Standard library only (ctypes): the worker imports this file before anything of the kit can
be imported. Where the kernel offers nothing (macOS, an old kernel, an unknown CPU),
``confine`` changes nothing and says why; grading goes on and the report says so.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import platform
import struct
import sys

# ------------------------------------------------------------------ Landlock (linux/landlock.h)

FS = dict(EXECUTE=1 << 0, WRITE_FILE=1 << 1, READ_FILE=1 << 2, READ_DIR=1 << 3, REMOVE_DIR=1 << 4,
          REMOVE_FILE=1 << 5, MAKE_CHAR=1 << 6, MAKE_DIR=1 << 7, MAKE_REG=1 << 8, MAKE_SOCK=1 << 9,
          MAKE_FIFO=1 << 10, MAKE_BLOCK=1 << 11, MAKE_SYM=1 << 12, REFER=1 << 13, TRUNCATE=1 << 14,
          IOCTL_DEV=1 << 15)
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
FILE_ONLY = FS["EXECUTE"] | FS["WRITE_FILE"] | FS["READ_FILE"] | FS["TRUNCATE"] | FS["IOCTL_DEV"]
NET_TCP = (1 << 0) | (1 << 1)  # BIND_TCP, CONNECT_TCP (ABI 4)
SCOPE = (1 << 0) | (1 << 1)  # ABSTRACT_UNIX_SOCKET, SIGNAL (ABI 6)
READ = FS["READ_FILE"] | FS["READ_DIR"]
WRITE = READ | FS["WRITE_FILE"] | FS["REMOVE_DIR"] | FS["REMOVE_FILE"] | FS["MAKE_DIR"] | FS["MAKE_REG"] | FS["TRUNCATE"]
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")  # read and write, nothing else of /dev

# system call numbers; the seccomp filter is written per architecture
_ARCH = {
    "x86_64": dict(audit=0xC000003E, landlock_create_ruleset=444, landlock_add_rule=445, landlock_restrict_self=446,
                   capset=126, clone=56, clone3=435, fork=57, vfork=58, execve=59, execveat=322, socket=41,
                   ptrace=101, process_vm_readv=310, process_vm_writev=311, unshare=272, setns=308, mount=165,
                   bpf=321, io_uring_setup=425, kill=62, tkill=200, tgkill=234),
    "aarch64": dict(audit=0xC00000B7, landlock_create_ruleset=444, landlock_add_rule=445, landlock_restrict_self=446,
                    capset=91, clone=220, clone3=435, execve=221, execveat=281, socket=198, ptrace=117,
                    process_vm_readv=270, process_vm_writev=271, unshare=97, setns=268, mount=40, bpf=280,
                    io_uring_setup=425, kill=129, tkill=130, tgkill=131),
}
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.prctl.restype = ctypes.c_int
    return libc


def _nr(name: str) -> int | None:
    return _ARCH.get(platform.machine(), {}).get(name)


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers; 0 when it offers none."""
    if sys.platform != "linux" or _nr("landlock_create_ruleset") is None:
        return 0
    abi = _libc().syscall(_nr("landlock_create_ruleset"), None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(abi), 0)


def _check(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def plan_rules(read, write, holes) -> list[tuple[str, int]]:
    """(path, access) rules: ``read`` trees readable, ``write`` trees writable, but no rule on a
    directory that contains one of ``holes``: it is only listed, and its children are granted
    one by one, the hole left out. A grant asked for inside a hole (numpy in site-packages) is
    kept: holes stop the grants of their ancestors."""
    holes = [os.path.realpath(h) for h in holes]
    rules: list[tuple[str, int]] = []

    def grant(path: str, access: int):
        if not os.path.exists(path):
            return
        if not os.path.isdir(path):
            rules.append((path, access & FILE_ONLY))
        elif any(_inside(h, path) and h != path for h in holes):
            rules.append((path, FS["READ_DIR"]))  # list the names; read the children below
            for name in sorted(os.listdir(path)):
                child = os.path.join(path, name)
                if child not in holes:
                    grant(child, access)
        else:
            rules.append((path, access))

    for path in read:
        grant(os.path.realpath(path), READ)
    for path in write:
        grant(os.path.realpath(path), WRITE)
    for path in DEVICES:
        if os.path.exists(path):
            rules.append((path, FS["READ_FILE"] | FS["WRITE_FILE"]))
    return rules


def _landlock(abi: int, rules) -> None:
    libc, handled_fs = _libc(), FS_BY_ABI.get(abi, FS_BY_ABI[5])
    fields = [handled_fs] + ([NET_TCP] if abi >= 4 else []) + ([SCOPE] if abi >= 6 else [])
    attr = struct.pack(f"<{len(fields)}Q", *fields)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = _check(libc.syscall(_nr("landlock_create_ruleset"), buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)),
                     "landlock_create_ruleset")
    try:
        for path, access in rules:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneath(access & handled_fs, fd)
                _check(libc.syscall(_nr("landlock_add_rule"), ruleset, 1, ctypes.byref(rule), 0),
                       f"landlock_add_rule({path})")
            finally:
                os.close(fd)
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
        _check(libc.syscall(_nr("landlock_restrict_self"), ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)


# ------------------------------------------------------------------ seccomp (a classic BPF filter)

_LD_ABS, _JEQ, _JSET, _RET = 0x20, 0x15, 0x45, 0x06
_ALLOW, _KILL = 0x7FFF0000, 0x80000000
_CLONE_THREAD = 0x00010000


def _errno(code: int) -> int:
    return 0x00050000 | code


def seccomp_program(arch: dict, pid: int) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions. seccomp_data: nr at offset 0, arch at 4,
    the low 32 bits of argument i at 16 + 8 i."""
    ld = lambda offset: (_LD_ABS, 0, 0, offset)
    ret = lambda action: (_RET, 0, 0, action)
    prog = [ld(4), (_JEQ, 1, 0, arch["audit"]), ret(_KILL), ld(0)]
    if arch["audit"] == _ARCH["x86_64"]["audit"]:
        prog += [(0x35, 0, 1, 0x40000000), ret(_errno(errno.ENOSYS))]  # JGE: the x32 ABI, refused whole

    def on(name, block):  # if nr == name: run block (which always returns), else skip it
        if name in arch:
            prog.extend([(_JEQ, 0, len(block), arch[name]), *block])

    for name in ("fork", "vfork", "execve", "execveat", "socket", "ptrace", "process_vm_readv",
                 "process_vm_writev", "unshare", "setns", "mount", "bpf", "tkill"):
        on(name, [ret(_errno(errno.EPERM))])
    for name in ("clone3", "io_uring_setup"):  # ENOSYS: glibc then starts threads with clone
        on(name, [ret(_errno(errno.ENOSYS))])
    # clone: threads only
    on("clone", [ld(16), (_JSET, 0, 1, _CLONE_THREAD), ret(_ALLOW), ret(_errno(errno.EPERM))])
    # kill: itself, its own process group (pid 0 or -pid) only; tgkill: its own threads only
    on("kill", [ld(16), (_JEQ, 3, 0, pid), (_JEQ, 2, 0, 0), (_JEQ, 1, 0, (-pid) & 0xFFFFFFFF),
                ret(_errno(errno.EPERM)), ret(_ALLOW)])
    on("tgkill", [ld(16), (_JEQ, 0, 1, pid), ret(_ALLOW), ret(_errno(errno.EPERM))])
    prog.append(ret(_ALLOW))
    return prog


def _seccomp(arch: dict) -> None:
    prog = seccomp_program(arch, os.getpid())
    raw = b"".join(struct.pack("<HBBI", *ins) for ins in prog)
    filters = ctypes.create_string_buffer(raw, len(raw))

    class FProg(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = FProg(len(prog), ctypes.cast(filters, ctypes.c_void_p))
    libc = _libc()
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "prctl(PR_SET_SECCOMP)")


def _drop_capabilities(arch: dict) -> None:
    header = struct.pack("<Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)  # two (effective, permitted, inheritable) triples, all 0
    _check(_libc().syscall(arch["capset"], ctypes.create_string_buffer(header, 8), data), "capset")


# ------------------------------------------------------------------ what a worker may read (parent side)


@functools.lru_cache(maxsize=None)
def _distribution_trees(names: tuple[str, ...]) -> list[str]:
    """The installed trees of the distributions that provide the top-level modules ``names``
    and of everything they require (torch -> sympy, ...): package directories and bundled
    libraries (numpy/, numpy.libs/), never the site-packages directory itself. Cached: reading
    every distribution's metadata costs about a second, the same for each worker."""
    import importlib.metadata as metadata
    import re

    providers = metadata.packages_distributions()
    todo = [d for name in names for d in providers.get(name, [name])]
    seen, trees = set(), set()
    while todo:
        dist_name = todo.pop()
        key = re.sub(r"[-_.]+", "-", dist_name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(dist_name)
        except metadata.PackageNotFoundError:
            continue
        for f in dist.files or ():
            top = f.parts[0]
            if top != ".." and not top.endswith((".dist-info", ".egg-info", ".pth")) and top != "__pycache__":
                trees.add(os.path.join(str(dist.locate_file("")), top))
        for requirement in dist.requires or ():
            if "extra ==" not in requirement:
                todo.append(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
    return sorted(trees)


def policy_for(modules, scratch: str, holes=()) -> dict:
    """The policy of a worker whose learner code may import ``modules`` (top-level names, e.g.
    ["numpy"]) and write ``scratch``: the standard library, those packages and what they
    require, the system's shared libraries; never ``holes`` (the kit) nor site-packages."""
    import site
    import sysconfig

    paths = sysconfig.get_paths()
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    multiarch = sysconfig.get_config_var("MULTIARCH") or f"{platform.machine()}-linux-gnu"
    read = [paths["stdlib"], paths["platstdlib"], *_distribution_trees(tuple(modules)), "/etc/ld.so.cache",
            *(os.path.join(root, multiarch) for root in ("/lib", "/usr/lib", "/usr/local/lib"))]
    if os.path.isdir(libdir):  # libpython*.so beside the standard library
        read += [os.path.join(libdir, n) for n in os.listdir(libdir) if n.startswith("libpython")]
    site_dirs = [*site.getsitepackages(), site.getusersitepackages(), paths["purelib"], paths["platlib"]]
    return {"read": sorted(set(read)), "write": [scratch],
            "holes": sorted({os.path.realpath(h) for h in (*holes, *site_dirs)})}


# ------------------------------------------------------------------ the entry point


def confine(policy: dict) -> dict:
    """Confine this process as ``policy`` says ({"read": [...], "write": [...], "holes": [...]}).

    Returns what was achieved: {"confined": bool, "landlock": ABI or 0, "seccomp": bool,
    "why": text when something is missing}. Never raises: a kernel without these features
    leaves the process as it was, and the answer says so.
    """
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    arch = _ARCH.get(platform.machine())
    abi = landlock_abi()
    report = {"confined": False, "landlock": 0, "seccomp": False, "why": ""}
    if sys.platform != "linux" or arch is None:
        report["why"] = f"no kernel confinement on {sys.platform}/{platform.machine()}"
        return report
    missing = []
    if abi:
        try:
            _landlock(abi, plan_rules(policy.get("read", ()), policy.get("write", ()), policy.get("holes", ())))
            report["landlock"] = abi
        except OSError as exc:
            missing.append(f"Landlock failed ({exc})")
    else:
        missing.append("this kernel has no Landlock (Linux >= 5.13)")
    try:
        _drop_capabilities(arch)
        _seccomp(arch)
        report["seccomp"] = True
    except OSError as exc:
        missing.append(f"seccomp failed ({exc})")
    report["confined"] = bool(report["landlock"]) and report["seccomp"]
    report["why"] = "; ".join(missing)
    return report


def describe(report: dict) -> str:
    """One line for the grading report."""
    if report.get("confined"):
        return (f"learner code ran confined by the kernel (Landlock ABI {report['landlock']}: files and TCP; "
                "seccomp: no new processes, no sockets)")
    return f"learner code ran UNCONFINED: {report.get('why') or 'no kernel confinement'}"
