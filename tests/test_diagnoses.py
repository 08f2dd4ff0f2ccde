"""The diagnosis layer never accuses a correct output: every misconception of every operator,
on every visible and hidden sample, is silent about the right answer (and each one's planted
bug is named: tests/test_planted.py)."""

import numpy as np
import pytest

from assignments.a1_convolution import samples as conv_samples
from assignments.a2_normalization import samples as norm_samples
from assignments.a3_dropout import misconceptions as dropout_mistakes
from assignments.a3_dropout import samples as dropout_samples
from assignments.common import diagnose, oracles
from autograder.hidden.a1_convolution import samples as hidden_conv
from autograder.hidden.a2_normalization import samples as hidden_norm
from solutions.a3_dropout import dropout as reference_dropout

SAMPLES = {
    "conv2d": conv_samples.conv2d_samples() + conv_samples.conv2d_dilation_groups_samples()
    + hidden_conv.conv2d_samples() + hidden_conv.conv2d_dilation_groups_samples(),
    "maxpool2d": conv_samples.maxpool2d_samples() + hidden_conv.maxpool2d_samples()
    + [hidden_conv.tied_windows(dtype) for dtype in (np.float64, np.float32)],
    "batchnorm": norm_samples.batchnorm_samples() + hidden_norm.batchnorm_hidden(),
    "layernorm": norm_samples.layernorm_samples() + hidden_norm.layernorm_hidden(),
    "instancenorm": norm_samples.instancenorm_samples() + hidden_norm.instancenorm_hidden(),
    "groupnorm": norm_samples.groupnorm_samples() + hidden_norm.groupnorm_hidden(),
}


@pytest.mark.parametrize("op", SAMPLES)
def test_every_misconception_computes_and_differs_from_the_right_answer(op):
    """A variant that crashes, or that equals the right answer wherever it applies, could never
    name its mistake: each computes on every case it applies to and differs on at least one."""
    oracle, differs = getattr(oracles, op), set()
    for sample in SAMPLES[op]:
        dout = sample.upstream(oracle(sample).out.shape)
        expected = oracle(sample, dout)
        for m in diagnose.misconceptions(op):
            if not m.applies(sample):
                continue
            for what in m.outputs:
                value = m.variant(sample, None if what == "out" else dout)[what]
                assert np.ndim(value) > 0, (m.name, sample)
                if not diagnose.close(value, getattr(expected, what), sample.dtype):
                    differs.add(m.name)
    silent = {m.name for m in diagnose.misconceptions(op)} - differs
    assert not silent, f"{op}: misconceptions that never differ from the right answer: {sorted(silent)}"


def test_a_correct_output_is_never_named():
    """Names go only to outputs that agree with a mistake and not with the right answer."""
    sample = conv_samples.conv2d_samples()[0]
    right = oracles.conv2d(sample).out.numpy()
    flipped = diagnose.by_name("kernel_flipped").variant(sample, None)["out"].numpy()
    assert [m.name for m in diagnose.named_mistakes("conv2d", "out", flipped, right, sample)] == ["kernel_flipped"]
    assert diagnose.named_mistakes("conv2d", "out", right, right, sample) == []


@pytest.mark.parametrize("scale_at", ["train", "test"])
def test_dropout_diagnoses_are_silent_about_a_correct_dropout(scale_at):
    for name, x, p in dropout_samples.cases() + dropout_samples.cases((16, 3, 16, 16), (0.05, 0.9)):
        rng = np.random.default_rng(0)
        out, cache = reference_dropout.dropout_forward(x, p, rng=rng, scale_at=scale_at)
        bound = 2 * np.sqrt(np.log(2 / 1e-9) / (2 * x.size))
        assert dropout_mistakes.training_output(x, p, out, scale_at, bound) == [], (name, scale_at)
        dout = dropout_samples.nonzero(name + "dout", x.shape, x.dtype)
        assert dropout_mistakes.backward(x, out, dout, reference_dropout.dropout_backward(dout, cache)) == []
        evaluated, _ = reference_dropout.dropout_forward(x, p, training=False, scale_at=scale_at)
        assert dropout_mistakes.eval_output(x, p, evaluated, scale_at) == [], (name, scale_at)
