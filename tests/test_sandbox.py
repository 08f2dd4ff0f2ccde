"""The wire between the grader and the worker carries plain numeric data only."""

import io
import struct
import subprocess
import time

import numpy as np
import pytest

from autograder import confine, sandbox
from tests.conftest import REFERENCE


def roundtrip(value):
    return sandbox.decode(sandbox.encode(value))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_, np.complex128])
def test_arrays_keep_dtype_shape_and_values(dtype):
    a = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    b = roundtrip(a)
    assert type(b) is np.ndarray and b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)


def test_layouts_survive_the_trip():
    base = np.arange(60.0).reshape(3, 4, 5)
    fortran, strided = np.asfortranarray(base), base[:, ::2, ::2]
    assert roundtrip(fortran).flags.f_contiguous and np.array_equal(roundtrip(fortran), base)
    assert not roundtrip(strided).flags.c_contiguous and np.array_equal(roundtrip(strided), strided)


def test_structure_scalars_and_subclasses():
    value = {"t": (1, 2.5, None, "s", True), "l": [np.float32(1.5)], "m": np.ma.masked_array(np.ones(3))}
    back = roundtrip(value)
    assert back["t"] == (1, 2.5, None, "s", True)
    assert back["l"][0] == np.float32(1.5) and back["l"][0].dtype == np.float32
    assert type(back["m"]) is np.ndarray  # a subclass crosses as a plain array


def test_objects_that_are_not_plain_data_do_not_cross():
    class Sneaky:
        def __reduce__(self):
            raise AssertionError("pickled!")

    back = roundtrip({"x": Sneaky(), "o": np.array([object()], dtype=object)})
    assert isinstance(back["x"], sandbox.Unsupported) and "Sneaky" in repr(back["x"])
    assert isinstance(back["o"], sandbox.Unsupported)


def test_a_pickled_array_is_refused():
    header = b'{"t": "nd", "i": 0, "layout": "C", "scalar": false}'
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    payload = struct.pack("<Q", len(header)) + header + struct.pack("<Q", buf.tell()) + buf.getvalue()
    with pytest.raises(ValueError):
        sandbox.decode(payload)


def test_random_generator_state_crosses():
    rng = np.random.default_rng(7)
    copy = roundtrip(rng)
    assert copy.random() == np.random.default_rng(7).random()


def test_learner_exceptions_come_back_as_builtin_types_with_their_own_message_only():
    """The learner's source line (which may mention `gamma`) is a note, never part of the message."""
    exc = sandbox.LearnerException("ValueError", "operands could not be broadcast", '  File "norms.py", line 3\n'
                                   "    out = gamma * x_hat + beta\n")
    builtin = exc.as_builtin()
    assert type(builtin) is ValueError and str(builtin) == "operands could not be broadcast"
    assert "gamma * x_hat" in builtin.__notes__[0]
    odd = sandbox.LearnerException("MyError", "boom", "")
    assert odd.as_builtin() is odd and str(odd) == "MyError: boom"


def test_worker_keeps_caches_and_writes_back_in_place_changes(tmp_path):
    learner = tmp_path / "mod.py"
    learner.write_text(
        "import numpy as np\n"
        "def thing_forward(x, stats):\n    stats += 1\n    return x * 2, {'secret': x}\n"
        "def thing_backward(dout, cache):\n    return dout * cache['secret']\n"
        "def draw(rng):\n    return rng.random()\n"
        "def stateful_forward(x):\n    return x, {'rng': np.random.default_rng(1), 'seen': np.zeros(2)}\n"
        "def stateful_backward(dout, cache):\n    cache['seen'] += 1\n    return dout * cache['rng'].random()\n"
    )
    worker = sandbox.Worker(learner, "mod")
    try:
        assert worker.load(timeout=30) == ["draw", "stateful_backward", "stateful_forward", "thing_backward", "thing_forward"]
        x, stats = np.arange(3.0), np.zeros(2)
        out, cache = worker.call("thing_forward", (x, stats), {}, timeout=30)
        assert np.array_equal(out, 2 * x) and isinstance(cache, sandbox.Handle)
        assert np.array_equal(stats, [1, 1]), "the in-place update made in the worker reaches the caller"
        assert np.array_equal(worker.call("thing_backward", (np.ones(3), cache), {}, timeout=30), x)
        rng = np.random.default_rng(0)
        first, second = (worker.call("draw", (rng,), {}, timeout=30) for _ in range(2))
        _, stateful = worker.call("stateful_forward", (x,), {}, timeout=30)
        worker.call("stateful_backward", (np.ones(3), stateful), {}, timeout=30)  # changes its own cache only
        assert first != second, "the generator's state advances across calls"
        worker.reset()
        with pytest.raises(sandbox.LearnerException, match="earlier test"):
            worker.call("thing_backward", (np.ones(3), cache), {}, timeout=30)
    finally:
        worker.close()


def test_unconfined_worker_timeout_still_kills_its_process_group(tmp_path):
    """Where the kernel offers no confinement, a child in the worker's group dies with it."""
    learner = tmp_path / "spin.py"
    learner.write_text("import subprocess, sys\n"
                       "def spin():\n    subprocess.Popen([sys.executable, '-c', 'while True: pass'])\n"
                       "    while True:\n        pass\n")
    worker = sandbox.Worker(learner, "spin", confine=False)
    worker.load(timeout=30)
    with pytest.raises(sandbox.WorkerError, match="TIMEOUT"):
        worker.call("spin", (), {}, timeout=1)
    assert not worker.alive
    for _ in range(50):  # SIGKILL is delivered at once; the kernel may take a moment to reap
        leftover = subprocess.run(["pgrep", "-g", str(worker.proc.pid)], capture_output=True, text=True).stdout
        if not leftover.strip():
            break
        time.sleep(0.1)
    assert leftover.strip() == "", "a child of the worker survived"


def test_reference_runs_in_the_worker():
    worker = sandbox.Worker(REFERENCE, "conv", forbidden=("torch",))
    try:
        worker.load(timeout=30)
        x = np.random.default_rng(0).standard_normal((1, 1, 4, 4)).astype(np.float32)
        out, cache = worker.call("maxpool2d_forward", (x, 2), {}, timeout=30)
        assert out.dtype == np.float32 and out.shape == (1, 1, 2, 2)
    finally:
        worker.close()


def test_worker_reports_its_confinement(tmp_path):
    learner = tmp_path / "mod.py"
    learner.write_text("def f():\n    return 1\n")
    confined, unconfined = sandbox.Worker(learner, "mod"), sandbox.Worker(learner, "mod", confine=False)
    try:
        confined.load(timeout=30)
        unconfined.load(timeout=30)
    finally:
        confined.close()
        unconfined.close()
    assert unconfined.confinement == {"confined": False, "landlock": 0, "seccomp": False,
                                      "why": "confinement was turned off"}
    if not confine.landlock_abi():
        pytest.skip("this kernel has no Landlock: the confined case cannot be shown here")
    assert confined.confinement["confined"] and confined.confinement["landlock"] == confine.landlock_abi()
    assert "UNCONFINED" in confine.describe(unconfined.confinement)
    assert "confined by the kernel" in confine.describe(confined.confinement)


def test_a4_worker_gets_the_fast_layers_and_nothing_else_of_the_kit(tmp_path):
    """a4 builds on the kit's layers: the worker imports (and warms) them before it is confined;
    any other module of the kit stays out of reach, running statistics inside a dict of params
    travel back."""
    from assignments.common import catalog

    a4 = catalog.get("a4_residual")
    learner = tmp_path / "residual.py"
    learner.write_text(
        "import numpy as np\n"
        "from assignments.common import layers\n"
        "def bn(x, params):\n"
        "    return layers.batchnorm_forward(x, params['w'], params['b'], params['bn.running_mean'],\n"
        "                                    params['bn.running_var'])[0]\n"
        "def other():\n"
        "    import assignments.a1_convolution.conv\n"
        f"def read():\n    return open({str(REFERENCE)!r}).read()\n")
    worker = sandbox.Worker(learner, "residual", a4.forbidden_imports, a4.may_import, kit_modules=a4.kit_modules)
    try:
        worker.load(timeout=120)
        x = np.random.default_rng(0).standard_normal((4, 2, 3, 3)).astype(np.float32)
        params = {"w": np.ones(2, np.float32), "b": np.zeros(2, np.float32),
                  "bn.running_mean": np.zeros(2, np.float32), "bn.running_var": np.ones(2, np.float32)}
        out = worker.call("bn", (x, params), {}, timeout=60)
        assert out.dtype == np.float32 and abs(float(out.mean())) < 1e-5
        assert np.allclose(params["bn.running_mean"], 0.1 * x.mean(axis=(0, 2, 3)), atol=1e-6), "in place, nested"
        with pytest.raises(sandbox.LearnerException, match="may not import"):
            worker.call("other", (), {}, timeout=30)
        if worker.confinement.get("landlock"):
            with pytest.raises(sandbox.LearnerException, match="PermissionError"):
                worker.call("read", (), {}, timeout=30)
    finally:
        worker.close()


# ------------------------------------------------------------------ PyTorch over the wire (a6, a7)


def _a6(task, assignment="a6_gan"):
    """The reference gan.py (vae.py) in its confined grading worker, as the grader's remote module."""
    from assignments.common import catalog
    from autograder.grading import SandboxProvider
    from tests.conftest import KIT

    provider = SandboxProvider(KIT / "solutions")
    return provider, provider.get(catalog.get(assignment), task)


def _same(here, there, path="answer"):
    """Two answers of specs.run_call agree: same structure, same strings, same numbers (1e-12)."""
    if isinstance(here, dict):
        assert isinstance(there, dict) and set(here) == set(there), path
        for key in here:
            _same(here[key], there[key], f"{path}[{key!r}]")
    elif isinstance(here, (list, tuple)):
        assert isinstance(there, (list, tuple)) and len(here) == len(there), path
        for i, (a, b) in enumerate(zip(here, there)):
            _same(a, b, f"{path}[{i}]")
    elif isinstance(here, (str, bool)) or here is None:
        assert here == there, path
    else:
        assert type(here) is type(there) and np.asarray(here).dtype == np.asarray(there).dtype, path
        np.testing.assert_allclose(there, here, rtol=1e-12, atol=1e-14, err_msg=path)


def test_one_gan_step_gives_the_same_numbers_sandboxed_and_in_process():
    """Specs cross, objects are built in the worker, only data comes back: parameters, Adam's
    state, the samplers' call log and the returned floats equal an in-process run's."""
    from assignments.a6_gan import samples
    from assignments.common import specs
    from solutions.a6_gan import gan

    sample = samples.gan_step_samples()[1]  # Adam, k = 2
    here = specs.call(gan, "gan_training_step", sample.names, list(sample.args), sample.kwargs, repeat=2)
    provider, remote = _a6("gan_training_step")
    try:
        there = specs.call(remote, "gan_training_step", sample.names, list(sample.args), sample.kwargs, repeat=2)
        assert remote._owner.confinement.get("confined"), remote._owner.confinement
    finally:
        provider.close()
    _same(here, there)
    assert there["calls"] == ["sample_real", "sample_noise"] * 2 + ["sample_noise"] + \
        ["sample_real", "sample_noise"] * 2 + ["sample_noise"]
    assert set(there["state"]) == {"G", "D", "opt_G", "opt_D"} and "0.exp_avg" in there["state"]["opt_D"]
    assert all(type(v) is float for r in there["value"] for v in r.values())


def test_one_vae_step_gives_the_same_numbers_sandboxed_and_in_process():
    """The model (specs.TinyVAE, image-shaped data) is built in the worker from its spec."""
    from assignments.a7_vae import samples
    from assignments.common import specs
    from solutions.a7_vae import vae

    sample = samples.vae_step_samples()[1]  # Adam, float32, x (N, 1, 3, 3)
    here = specs.call(vae, "vae_training_step", sample.names, list(sample.args), sample.kwargs, repeat=2)
    provider, remote = _a6("vae_training_step", "a7_vae")
    try:
        there = specs.call(remote, "vae_training_step", sample.names, list(sample.args), sample.kwargs, repeat=2)
        assert remote._owner.confinement.get("confined"), remote._owner.confinement
    finally:
        provider.close()
    _same(here, there)
    assert set(there["state"]) == {"model", "optimizer"} and all(type(v) is float for v in there["value"])
    assert there["value"][1] < there["value"][0], "the second call starts from the weights the first one stepped"


def test_a_loss_and_its_gradient_come_back_as_arrays_from_the_worker():
    """The autograd graph stays in the worker: the gradient is taken there ("grad") and returned."""
    from assignments.common import specs

    logits = np.array([[-100.0], [0.5], [100.0]], dtype=np.float32)
    args = [specs.tensor(logits, requires_grad=True), specs.tensor(logits[::-1].copy(), requires_grad=True)]
    provider, remote = _a6("discriminator_loss")
    try:
        there = specs.call(remote, "discriminator_loss", ("real_logits", "fake_logits"), args, grad=("real_logits",))
        untouched = specs.call(remote, "discriminator_loss", ("real_logits", "fake_logits"), args)
    finally:
        provider.close()
    value = there["value"]
    assert value["dtype"] == "float32" and value["tensor"].shape == () and value["requires_grad"]
    assert np.isfinite(value["tensor"]) and there["grads"]["real_logits"].dtype == np.float32
    assert np.isfinite(there["grads"]["real_logits"]).all() and there["modified"] == []
    assert "grads" not in untouched


def test_a_live_tensor_does_not_cross_the_wire():
    """Only specs describe torch objects: a tensor itself arrives as an Unsupported marker."""
    import torch

    back = roundtrip({"t": torch.ones(2)})
    assert isinstance(back["t"], sandbox.Unsupported) and "Tensor" in repr(back["t"])
