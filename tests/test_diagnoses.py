"""The diagnosis layer never accuses a correct output: every misconception of every operator,
on every visible and hidden sample, is silent about the right answer (and each one's planted
bug is named: tests/test_planted.py)."""

import importlib
import inspect

import numpy as np
import pytest

from assignments.a1_convolution import oracles as conv_oracles
from assignments.a1_convolution import samples as conv_samples
from assignments.a3_dropout import misconceptions as dropout_mistakes
from assignments.a3_dropout import samples as dropout_samples
from assignments.common import catalog, diagnose
from solutions.a3_dropout import dropout as reference_dropout


def _module(name):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


def every_sample_of(a, op):
    """Every visible and hidden sample of ``op``: the ``<op>..._samples()`` of both samples modules
    (the one naming scheme), sorted out by name."""
    found = []
    for module in filter(None, (_module(f"assignments.{a.name}.samples"), _module(f"autograder.hidden.{a.name}.samples"))):
        for name, make in inspect.getmembers(module, inspect.isfunction):
            if make.__module__ == module.__name__ and name.startswith(op) and name.endswith("_samples"):
                found += make()
    return found


# every op with a PyTorch oracle (assignments/<a>/oracles.py) and misconceptions: its samples and oracle
OPS = {op: (getattr(oracles, op), every_sample_of(a, op)) for a in catalog.ASSIGNMENTS.values()
       if (oracles := _module(f"assignments.{a.name}.oracles"))
       for op in sorted({m.op for m in importlib.import_module(f"assignments.{a.name}.misconceptions").MISCONCEPTIONS})
       if hasattr(oracles, op)}


def test_the_ops_with_oracles_are_found_with_their_samples():
    assert {"conv2d", "maxpool2d", "batchnorm", "layernorm", "instancenorm", "groupnorm"} <= set(OPS)
    assert all(len(samples) >= 4 for _, samples in OPS.values()), {op: len(s) for op, (_, s) in OPS.items()}


@pytest.mark.parametrize("op", OPS)
def test_every_misconception_computes_and_differs_from_the_right_answer(op):
    """A variant that crashes, or that equals the right answer wherever it applies, could never
    name its mistake: each computes on every case it applies to and differs on at least one."""
    (oracle, samples), differs = OPS[op], set()
    for sample in samples:
        dout = sample.upstream(oracle(sample).out.shape)
        expected = oracle(sample, dout)
        for m in diagnose.misconceptions(op):
            if not m.applies(sample):
                continue
            for what in m.outputs:
                values = diagnose.variant_outputs(m, sample, None if what == "out" else dout)
                if what not in values:  # an output this case does not have (a basic block has no bn3)
                    continue
                value = values[what]
                # a loss is 0-d; a shape_only variant gives its wrong shape (a scalar for a per-sample output) on purpose
                assert np.ndim(value) > 0 or np.ndim(getattr(expected, what)) == 0 or m.shape_only, (m.name, sample)
                if not diagnose.close(value, getattr(expected, what), sample.dtype):
                    differs.add(m.name)
    silent = {m.name for m in diagnose.misconceptions(op)} - differs
    assert not silent, f"{op}: misconceptions that never differ from the right answer: {sorted(silent)}"


def test_a_correct_output_is_never_named():
    """Names go only to outputs that agree with a mistake and not with the right answer."""
    sample = conv_samples.conv2d_samples()[0]
    right = conv_oracles.conv2d(sample).out.numpy()
    flipped = diagnose.by_name("kernel_flipped").variant(sample, None)["out"].numpy()
    assert [m.name for m in diagnose.named_mistakes("conv2d", "out", flipped, right, sample)] == ["kernel_flipped"]
    assert diagnose.named_mistakes("conv2d", "out", right, right, sample) == []


@pytest.mark.parametrize("scale_at", ["train", "test"])
def test_dropout_diagnoses_are_silent_about_a_correct_dropout(scale_at):
    for sample in dropout_samples.dropout_samples() + dropout_samples.dropout_samples((16, 3, 16, 16), (0.05, 0.9)):
        (x, p), name = sample.args, sample.name
        rng = np.random.default_rng(0)
        out, cache = reference_dropout.dropout_forward(x, p, rng=rng, scale_at=scale_at)
        bound = 2 * np.sqrt(np.log(2 / 1e-9) / (2 * x.size))
        assert dropout_mistakes.training_output(x, p, out, scale_at, bound) == [], (name, scale_at)
        dout = dropout_samples.nonzero(name + "dout", x.shape, x.dtype)
        assert dropout_mistakes.backward(x, out, dout, reference_dropout.dropout_backward(dout, cache)) == []
        evaluated, _ = reference_dropout.dropout_forward(x, p, training=False, scale_at=scale_at)
        assert dropout_mistakes.eval_output(x, p, evaluated, scale_at) == [], (name, scale_at)
