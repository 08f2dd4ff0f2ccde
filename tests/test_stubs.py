"""Learner stubs are generated from solutions/ and must not drift."""

import ast
import importlib
import inspect

import numpy as np
import pytest

from assignments.common import catalog
from autograder import stubs
from tests.conftest import KIT


def test_generated_stubs_are_in_sync_with_solutions():
    assert stubs.drifted() == [], "run: python -m autograder stubs"


def test_stubs_keep_every_signature_and_docstring():
    for a in catalog.ASSIGNMENTS.values():
        solution = ast.parse((KIT / "solutions" / a.name / a.file).read_text())
        stub = ast.parse((KIT / "assignments" / a.name / a.file).read_text())
        functions = lambda tree: {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef)}
        sol, stb = functions(solution), functions(stub)
        assert sol.keys() == stb.keys()
        for name in sol:
            assert ast.dump(sol[name].args) == ast.dump(stb[name].args), name
            assert ast.get_docstring(sol[name]) == ast.get_docstring(stb[name]), name


def test_stubs_hold_no_solution_code():
    text = (KIT / "assignments" / "a1_convolution" / "conv.py").read_text()
    assert stubs.BEGIN not in text and stubs.END not in text
    assert "np.einsum" not in text and "np.pad" not in text


STUB_FUNCTIONS = [(a, name) for a in catalog.ASSIGNMENTS.values()
                  for name, obj in vars(importlib.import_module(f"assignments.{a.name}.{a.module}")).items()
                  if inspect.isfunction(obj) and not name.startswith("_") and obj.__module__.startswith("assignments.")]


@pytest.mark.parametrize("assignment, function", STUB_FUNCTIONS, ids=lambda v: getattr(v, "name", v))
def test_each_stub_raises_not_implemented_naming_itself(assignment, function):
    fn = getattr(importlib.import_module(f"assignments.{assignment.name}.{assignment.module}"), function)
    required = [p for p in inspect.signature(fn).parameters.values() if p.default is inspect.Parameter.empty]
    with pytest.raises(NotImplementedError, match=f"^{function} is not implemented yet$"):
        fn(*[np.zeros((2, 2, 2, 2))] * len(required))


def test_make_stub_rejects_broken_markers():
    body = "def f():\n    ### BEGIN SOLUTION\n    return 1\n"
    with pytest.raises(ValueError, match="never closed"):
        stubs.make_stub(body)
    with pytest.raises(ValueError, match="without"):
        stubs.make_stub("def f():\n    return 1\n    ### END SOLUTION\n")
    with pytest.raises(ValueError, match="outside any function"):
        stubs.make_stub("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n")


def test_make_stub_keeps_given_code_and_indentation():
    source = "import numpy as np\n\n\ndef helper():\n    return 2\n\n\ndef f(x):\n    \"\"\"Doc.\"\"\"\n    ### BEGIN SOLUTION\n    return x * helper()\n    ### END SOLUTION\n"
    stub = stubs.make_stub(source)
    assert "def helper():\n    return 2" in stub
    assert '    raise NotImplementedError("f is not implemented yet")\n' in stub
    assert "x * helper()" not in stub
    namespace = {}
    exec(compile(stub, "stub", "exec"), namespace)  # the stub is valid Python
    with pytest.raises(NotImplementedError):
        namespace["f"](1)
