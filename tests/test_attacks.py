"""Learner code that attacks the grader. Each attack is a conv.py (a1) beside a correct
dropout.py (a3) in one submission, graded by the CLI:

- the attack scores 0 on a1, the correct a3 keeps its 100, grading finishes, the report on
  disk is ours, and no process of the worker is left behind;
- the same attack, graded with the confinement turned off, does succeed (the tests have teeth):
  what stops it is the kernel, not a mistake in the attack.

The attacks never target a file the tests do not own when they run unconfined.
"""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from autograder import confine, grading
from tests.conftest import KIT, grade, run

pytestmark = pytest.mark.skipif(not confine.landlock_abi(), reason="this kernel has no Landlock (Linux >= 5.13): "
                                                                   "learner code runs unconfined here")

REFERENCE = KIT / "solutions" / "a1_convolution" / "conv.py"
HIDDEN = KIT / "autograder" / "hidden" / "a1_convolution" / "test_conv_hidden.py"
FUNCTIONS = ("conv2d_forward", "conv2d_backward", "maxpool2d_forward", "maxpool2d_backward")

# Each attack is a function body `_payload(target)` returning the four functions (a dict) or
# raising; {marker} is a directory the test owns, {port} a TCP port the test listens on.
READ_ABSOLUTE = '''
def _payload(target):
    namespace = {{}}
    exec(open({reference!r}).read(), namespace)
    return namespace
'''
WALK_UP = '''
def _payload(target):
    import os, sys
    starts = [os.getcwd(), os.path.abspath(__file__), *sys.path, *os.environ.values()]
    try:
        starts.append(os.readlink(f"/proc/{{os.getppid()}}/cwd"))
    except OSError:
        pass
    for start in starts:
        d = start if isinstance(start, str) and start.startswith("/") else None
        while d:
            try:
                namespace = {{}}
                exec(open(os.path.join(d, "solutions", "a1_convolution", "conv.py")).read(), namespace)
                return namespace
            except OSError:
                d = None if d == "/" else os.path.dirname(d)
    raise RuntimeError("the reference was not found")
'''
LEAK_HIDDEN_SUITE = '''
def _payload(target):
    text = open({hidden!r}).read()
    def leak(*args, **kwargs):
        raise RuntimeError(text[text.index('def test_'):][:3000])  # feedback shows a message's first line
    return dict.fromkeys({functions!r}, leak)
'''
TORCH_WITHOUT_IMPORT_HOOKS = '''
def _payload(target):
    import sys
    from importlib.machinery import PathFinder
    sys.meta_path[:] = [f for f in sys.meta_path if f.__module__ in ("_frozen_importlib", "_frozen_importlib_external")
                        or f is PathFinder]
    import numpy as np
    import torch
    import torch.nn.functional as F
    def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
        t = lambda a: None if a is None else torch.from_numpy(np.ascontiguousarray(a))
        return F.conv2d(t(x), t(w), t(b), stride, padding, dilation, groups).numpy(), None
    return dict.fromkeys({functions!r}, conv2d_forward)
'''
LOW_LEVEL_OPEN = '''
def _payload(target):
    import ctypes, os
    def read(fd):
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks).decode()
    tries = [lambda: read(os.open({reference!r}, os.O_RDONLY)),
             lambda: read(os.open("/proc/self/root" + {reference!r}, os.O_RDONLY)),
             lambda: read(os.open(f"/proc/self/fd/{{os.open({reference!r}, os.O_PATH)}}", os.O_RDONLY)),
             lambda: read(ctypes.CDLL(None, use_errno=True).open({reference!r}.encode(), 0))]
    for attempt in tries:
        try:
            source = attempt()
        except (OSError, ValueError):
            continue
        namespace = {{}}
        exec(source, namespace)
        return namespace
    raise RuntimeError("every way of opening the reference was refused")
'''
WRITE_REPORTS = '''
def _payload(target):
    import json, os
    fake = json.dumps({{"score": 999, "hacked": True, "tests": []}})
    paths = [os.path.join({marker!r}, "results.json")]
    if {everywhere}:  # the grader's own places: only when the test runs it confined
        paths.append("/autograder/results/results.json")
        try:
            paths.append(os.path.join(os.readlink(f"/proc/{{os.getppid()}}/cwd"), "results.json"))
            argv = open(f"/proc/{{os.getppid()}}/cmdline").read().split("\\0")
            paths.append(argv[argv.index("--output") + 1])
        except (OSError, ValueError):
            pass
    for path in paths:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(fake)
        except OSError:
            pass
    raise RuntimeError("wrote what it could")
'''
DAEMON = '''
def _payload(target):
    import os, signal, time
    if os.fork() == 0:  # the child: a new session, then a grandchild that outlives everything
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            start = time.monotonic()
            while time.monotonic() - start < 30 and not os.path.exists(os.path.join({marker!r}, "stop")):
                try:
                    with open(os.path.join({marker!r}, "daemon-was-here"), "w") as f:
                        f.write(str(os.getpid()))
                except OSError:
                    pass
                time.sleep(0.2)
        os._exit(0)
    time.sleep(1)  # the worker is killed as soon as it answers: let the daemon leave its group first
    raise RuntimeError("a daemon is on its way")
'''
SOCKET = '''
def _payload(target):
    import socket
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"u", ("127.0.0.1", {port}))
    finally:
        with socket.create_connection(("127.0.0.1", {port}), timeout=2) as s:
            s.sendall(b"leaked")
    raise RuntimeError("sent")
'''
ATTACKS = {"read_by_absolute_path": READ_ABSOLUTE, "walk_up_to_the_reference": WALK_UP,
           "leak_the_hidden_suite": LEAK_HIDDEN_SUITE, "torch_after_removing_import_hooks": TORCH_WITHOUT_IMPORT_HOOKS,
           "ctypes_and_os_open": LOW_LEVEL_OPEN, "write_fake_reports": WRITE_REPORTS, "double_forked_daemon": DAEMON,
           "socket": SOCKET}
TAIL = "\n_impl = _payload('a1')\n" + "".join(f"{f} = _impl[{f!r}]\n" for f in FUNCTIONS)


def attack_submission(root: Path, attack: str, marker: Path, port: int, everywhere: bool) -> Path:
    """``everywhere``: the report-writing attack also aims at the grader's real output paths."""
    body = ATTACKS[attack].format(reference=str(REFERENCE), hidden=str(HIDDEN), functions=FUNCTIONS,
                                  marker=str(marker), port=port, everywhere=everywhere)
    (root / "a1_convolution").mkdir(parents=True)
    (root / "a1_convolution" / "conv.py").write_text(body + TAIL)
    (root / "a3_dropout").mkdir()
    (root / "a3_dropout" / "dropout.py").write_text((KIT / "solutions" / "a3_dropout" / "dropout.py").read_text())
    return root


@pytest.fixture
def listener():
    """A TCP listener and a UDP socket on the same port: what the socket attack would reach."""
    tcp, udp = socket.socket(), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(4)
    udp.bind(("127.0.0.1", tcp.getsockname()[1]))
    for s in (tcp, udp):
        s.settimeout(0.5)
    yield tcp, udp
    tcp.close()
    udp.close()


def reached(listener) -> list[str]:
    """What arrived at the listener: "tcp" and/or "udp"."""
    tcp, udp = listener
    got = []
    try:
        conn, _ = tcp.accept()
        conn.close()
        got.append("tcp")
    except OSError:
        pass
    try:
        udp.recv(16)
        got.append("udp")
    except OSError:
        pass
    return got


def orphaned_workers() -> list[str]:
    """Processes running the worker script that no grading process owns: a fork of a worker, or
    one whose parent exited (re-parented to init). What a double-forked daemon would leave; the
    workers of a grading run elsewhere on the machine have a grading process as their parent."""
    rows = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout.splitlines()
    workers = {int(r.split()[0]): (int(r.split()[1]), r) for r in rows if "autograder/sandbox.py" in r}
    return [row for ppid, row in workers.values() if ppid in workers or ppid == 1]


@pytest.mark.parametrize("attack", ATTACKS)
def test_confined_attack_scores_zero_and_changes_nothing(tmp_path, attack, listener):
    marker = tmp_path / "marker"
    marker.mkdir()
    sub = attack_submission(tmp_path / "sub", attack, marker, listener[0].getsockname()[1], everywhere=True)
    autograder_results = Path("/autograder/results/results.json")
    existed = autograder_results.exists()
    report = grade(sub, "--assignment", "a1_convolution", "--assignment", "a3_dropout")
    a1 = {n: t for n, t in report["by_task"].items() if n.startswith("a1_convolution/")}
    assert all(t["score"] == 0 for t in a1.values()), {n: t["score"] for n, t in a1.items()}
    assert all(t["score"] == t["max_score"] for n, t in report["by_task"].items() if n.startswith("a3_dropout/"))
    assert report["score"] == 100 and "hacked" not in report
    outputs = "\n".join(t["output"] for t in report["tests"])
    assert "def test_" not in outputs and "np.einsum" not in outputs, "a solution or hidden line reached the feedback"
    time.sleep(1 if attack == "double_forked_daemon" else 0)  # the daemon would have written by now
    assert list(marker.iterdir()) == [], f"the attack wrote {list(marker.iterdir())}"
    assert existed or not autograder_results.exists()
    assert not (KIT / "results.json").exists()
    assert reached(listener) == []
    assert orphaned_workers() == []
    report_on_disk = json.loads((sub / "results.json").read_text())
    assert report_on_disk["score"] == 100 and "hacked" not in report_on_disk


# --- teeth: without the kernel's confinement the same attacks work (safe targets only)
UNCONFINED_SUCCESS = {  # attack -> what "it worked" looks like
    "read_by_absolute_path": "score", "walk_up_to_the_reference": "score", "ctypes_and_os_open": "score",
    "torch_after_removing_import_hooks": "score", "leak_the_hidden_suite": "feedback",
    "write_fake_reports": "marker", "double_forked_daemon": "marker", "socket": "listener",
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_unconfined_the_same_attack_works(tmp_path, attack, listener):
    marker = tmp_path / "marker"
    marker.mkdir()
    sub = attack_submission(tmp_path / "sub", attack, marker, listener[0].getsockname()[1], everywhere=False)
    report = grading.grade(sub, ["a1_convolution"], confine=False)
    a1_score = sum(r.score for r in report.results)
    feedback = "\n".join(r.feedback() for r in report.results)
    assert report.unconfined and any("UNCONFINED" in n for n in report.notes)
    how = UNCONFINED_SUCCESS[attack]
    if how == "score":
        assert a1_score > 0, feedback[:2000]
    elif how == "feedback":
        assert "def test_" in feedback
    elif how == "marker":
        for _ in range(40):
            if list(marker.iterdir()):
                break
            time.sleep(0.1)
        assert list(marker.iterdir()), feedback[:2000]
        if attack == "double_forked_daemon":
            assert orphaned_workers(), "the daemon outlived its worker and the check sees it"
            (marker / "stop").touch()
    else:
        assert "tcp" in reached(listener)


def test_the_report_says_when_learner_code_ran_unconfined(tmp_path):
    report = grading.grade(KIT / "solutions", ["a3_dropout"], confine=False)
    gradescope = report.gradescope()
    assert report.score == 100 and "learner code ran UNCONFINED" in gradescope["output"]
    assert all("UNCONFINED" not in t["output"] for t in gradescope["tests"]), "said once, at the top"
    confined = grading.grade(KIT / "solutions", ["a3_dropout"]).gradescope()
    assert "UNCONFINED" not in confined["output"]
    table = run("-m", "autograder", "grade", "solutions", "--assignment", "a3_dropout", env=os.environ | {"COLUMNS": "200"})
    assert "learner code ran confined by the kernel (Landlock ABI" in table.stdout
