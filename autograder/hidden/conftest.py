"""Fixtures of the hidden suites: the readable reference as a second oracle, and CUDA."""

import importlib

import pytest

from assignments.common import oracles
from assignments.common.pytest_plugin import assignment_of


@pytest.fixture
def reference(request):
    """The readable reference module of this test's assignment (run here, trusted)."""
    a = assignment_of(request.path)
    return importlib.import_module(f"solutions.{a.name}.{a.module}")


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request):
    """Where the PyTorch oracle runs. The cuda case needs a GPU and is skipped without one."""
    if request.param == "cuda" and not oracles.cuda_available():
        pytest.skip("CUDA not available: the torch.cuda comparison runs only on a machine with an NVIDIA GPU")
    return request.param
