"""A class at once (``batch``) and Gradescope (``gradescope-bundle``), as contract section 10
fixes them: run as an instructor runs them, on a3 (the quickest to grade)."""

import csv
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import KIT

A3 = "a3_dropout"
REFERENCE, STUB = KIT / "solutions" / A3 / "dropout.py", KIT / "assignments" / A3 / "dropout.py"


def _cli(*args, env=None, cwd=KIT):
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


def test_batch_grades_every_student_and_goes_on_past_broken_ones(tmp_path):
    root = tmp_path / "hand-ins"
    for student, where, text in (("ada", "dropout.py", REFERENCE.read_text()),  # uploaded alone
                                 ("ben", f"assignments/{A3}/dropout.py", REFERENCE.read_text()),  # laid out, one deeper
                                 ("cy", f"{A3}/dropout.py", STUB.read_text()),  # not started
                                 ("dee", "dropout.py", "def dropout_forward(:\n")):  # a syntax error
        (root / student / where).parent.mkdir(parents=True, exist_ok=True)
        (root / student / where).write_text(text)
    (root / "eve").mkdir()  # handed in nothing
    out = tmp_path / "grades" / "a3.csv"
    proc = _cli("batch", str(root), "--assignment", A3, "--jobs", "2", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    with out.open() as f:
        rows = list(csv.DictReader(f))
    tasks = [f"{A3}/dropout_inverted", f"{A3}/dropout_test_time_scaling", f"{A3}/dropout_backward"]
    assert list(rows[0]) == ["student", *tasks, "total"]
    totals = {r["student"]: float(r["total"]) for r in rows}
    assert totals == {"ada": 100, "ben": 100, "cy": 0, "dee": 0, "eve": 0}
    for r in rows:
        assert sum(float(r[t]) for t in tasks) == pytest.approx(float(r["total"]))
        report = json.loads((out.parent / "a3" / f"{r['student']}.json").read_text())
        assert report["score"] == float(r["total"]) and [t["name"] for t in report["tests"]] == tasks
        assert all(t["status"] == ("passed" if t["score"] == t["max_score"] else "failed") for t in report["tests"])
    feedback = lambda s: json.loads((out.parent / "a3" / f"{s}.json").read_text())["tests"][0]["output"]
    assert "SyntaxError" in feedback("dee") and "was not found" in feedback("eve")
    assert "ada: 100 / 100" in proc.stderr, "each student reported as graded, under a progress bar"


def _unzip(bundle, root):
    """As Gradescope does: the zip into $AUTOGRADER_ROOT/source (modes kept)."""
    with zipfile.ZipFile(bundle) as z:
        for info in z.infolist():
            z.extract(info, root / "source")
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, mode)
    return root


def _run_autograder(root, tmp_path):
    """run_autograder with AUTOGRADER_ROOT=root and this interpreter as python3."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "python3").exists():
        (bin_dir / "python3").symlink_to(sys.executable)
    env = os.environ | {"AUTOGRADER_ROOT": str(root), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_the_gradescope_bundle_grades_flat_and_laid_out_uploads(tmp_path):
    bundle = tmp_path / "a3.zip"
    proc = _cli("gradescope-bundle", str(bundle), "--assignment", A3)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "pyproject.toml", f"solutions/{A3}/dropout.py",
                f"autograder/hidden/{A3}/test_dropout_hidden.py"} <= names
        assert not any(n.startswith("tests/") or "__pycache__" in n for n in names)
        for script in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(z.getinfo(script).external_attr >> 16) & 0o111, f"{script} is not executable"
        setup = z.read("setup.sh").decode()
        assert "torch==2.13.0" in setup and "warm --assignment a3_dropout" in setup
        assert "--assignment a3_dropout" in z.read("run_autograder").decode()

    flat = _unzip(bundle, tmp_path / "flat")
    (flat / "submission").mkdir()
    (flat / "submission" / "dropout.py").write_text(REFERENCE.read_text())
    results = _run_autograder(flat, tmp_path)
    assert results["score"] == 100 and len(results["tests"]) == 3
    assert all(t["status"] == "passed" for t in results["tests"])

    laid_out = _unzip(bundle, tmp_path / "laid-out")
    (laid_out / "submission" / A3).mkdir(parents=True)
    (laid_out / "submission" / A3 / "dropout.py").write_text(STUB.read_text())
    results = _run_autograder(laid_out, tmp_path)
    assert results["score"] == 0 and all(t["status"] == "failed" for t in results["tests"])
    assert "not implemented" in results["tests"][0]["output"]
