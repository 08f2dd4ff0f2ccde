"""One suite, many drivers: the reference and the fast path pass every visible and hidden
test; the untouched stubs fail, with one short line per unimplemented function."""

import os

import pytest

from tests.conftest import grade_here, run

SUITES = ["assignments", "autograder/hidden"]


@pytest.mark.parametrize("driver, jit", [("solutions", True), ("fast", True), ("fast", False)],
                         ids=["reference", "fast-path", "fast-path-NUMBA_DISABLE_JIT"])
def test_driver_passes_every_visible_and_hidden_test(driver, jit):
    """Without a GPU, the hidden suite's CUDA comparisons skip, each with the reason (-rs)."""
    import torch

    env = os.environ | ({} if jit else {"NUMBA_DISABLE_JIT": "1"})
    proc = run("-m", "pytest", *SUITES, "--impl", driver, "-q", "-rs", "-p", "no:cacheprovider", env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
    if driver == "solutions" and not torch.cuda.is_available():
        assert "CUDA not available" in proc.stdout


def test_stubs_fail_with_one_short_line_per_function():
    proc = run("-m", "pytest", "assignments/a1_convolution", "-p", "no:cacheprovider")
    assert proc.returncode == 1
    out = proc.stdout
    assert "conv2d_forward is not implemented yet (" in out
    assert "maxpool2d_forward is not implemented yet (" in out
    assert "Traceback" not in out and "raise NotImplementedError" not in out
    assert len(out.splitlines()) < 20, out
    assert " passed" not in out, "a visible test passes on the untouched stubs"


def test_a_wrong_answer_names_the_case_and_the_error(submission):
    sub = submission([("patch, wg[:, :, u, v])", "patch, wg[:, :, KH - 1 - u, KW - 1 - v])")])  # a flipped kernel
    proc = run("-m", "pytest", "assignments/a1_convolution", "--impl", str(sub), "-x", "-p", "no:cacheprovider",
               "-k", "test_conv2d_forward")
    assert proc.returncode == 1
    assert "out is wrong" in proc.stdout
    # the feedback is wrapped to 80 columns, behind pytest's "E" prefix
    words = " ".join(" ".join(line.removeprefix("E") for line in proc.stdout.splitlines()).split())
    assert ("call: conv2d_forward(x (2, 3, 5, 5) float64, w (4, 3, 3, 3) float64, b (4,) float64, stride=1, "
            "padding=0, dilation=1, groups=1)") in words, "every argument, defaults included"
    assert max(len(line) for line in proc.stdout.splitlines() if "call:" in line or "mistake (" in line) <= 80
    assert "Likely mistake (kernel_flipped)" in proc.stdout
    assert "handouts/a1_convolution.md#1-cross-correlation-not-convolution" in proc.stdout


def test_a_learner_file_that_does_not_import_gets_one_line(submission):
    sub = submission(source="import numpy as np\n\ndef conv2d_forward(x, w:\n    pass\n")
    proc = run("-m", "pytest", "assignments/a1_convolution", "--impl", str(sub), "-q", "-p", "no:cacheprovider")
    assert proc.returncode == 1
    assert "could not import a1_convolution/conv.py: SyntaxError" in proc.stdout
    assert "Traceback" not in proc.stdout and len(proc.stdout.splitlines()) < 15, proc.stdout


def test_a_pytorch_error_in_learner_code_comes_with_a_hint(submission):
    """A float64 z (reparameterize with .double()) meets a float32 decoder in the learner's own
    step: the grader's feedback keeps PyTorch's words and says what they mean."""
    edits = [("    return mu + sigma * eps  # (N, latent)", "    return (mu + sigma * eps).double()")]
    report = grade_here(submission(edits, assignment="a7_vae"), ["a7_vae"], task="vae_training_step")
    output = report["by_task"]["a7_vae/vae_training_step"]["output"]
    assert "must have the same dtype" in output and "Hint: a tensor of another dtype" in output, output
