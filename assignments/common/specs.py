"""PyTorch objects described as plain data: how a6 and a7 cross to the grading worker.

A test never hands a live tensor, module, optimizer or sampler to the learner's function. The
grading worker runs learner code in another process and only numbers may come back from it
(autograder/sandbox.py), so a test describes each argument as a *spec*, a dict of plain data,
and ``run_call`` turns the specs into objects where the learner's code runs, calls it, and
answers with data only. pytest and the notebooks call ``run_call`` in their own process; the
grader sends the same specs to the worker, which calls the very same ``run_call``:

    spec                                        becomes
    tensor(array, requires_grad, device)        a tensor with the array's values and dtype
    module("mlp", config, seed, dtype, device)  FACTORIES["mlp"](**config), its seeded weights loaded
    optimizer("Adam", "D", hyper)               torch.optim.Adam(<argument "D">.parameters(), **hyper)
    sampler("normal", shape, seed, ...)         a callable: a fresh batch per call, each call logged

The answer (``run_call``'s return value, a dict of plain data):

    value      what the function returned; a tensor as {"tensor": array, "dtype", "device",
               "requires_grad"}, a number as it is
    state      every module's state_dict and every optimizer's state after the call, as arrays
    calls      the samplers' names in the order they were called
    modified   the tensor arguments whose values the call changed (inputs stay unchanged)
    grads      with ``grad=[names]``: d value / d each named tensor argument, taken where the
               call ran (the autograd graph cannot cross processes); None for an argument the
               value does not depend on, and "grad_error" when the value has no graph
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn

SPEC = "spec"  # the key that marks a spec


# ------------------------------------------------------------------ the modules the tests build


def mlp(sizes, activation="leaky_relu", out=None) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them (and ``out`` after the last)."""
    acts = {"leaky_relu": lambda: nn.LeakyReLU(0.2), "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(acts[activation]())
    if out is not None:
        layers.append(acts[out]())
    return nn.Sequential(*layers)


class TinyVAE(nn.Module):
    """An MLP encoder to (mu, logvar) and an MLP decoder to logits or means: a7's model.
    ``shape``: the shape of one data point (e.g. [1, 8, 8]); decode gives x's shape back."""

    def __init__(self, data_dim, hidden, latent, shape=None):
        super().__init__()
        self.shape = [data_dim] if shape is None else list(shape)
        self.encoder = mlp([data_dim, hidden], "relu", out="relu")
        self.mu, self.logvar = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.decoder = mlp([latent, hidden, data_dim], "relu")

    def encode(self, x):
        h = self.encoder(x.flatten(1))  # (N, hidden)
        return self.mu(h), self.logvar(h)  # (N, latent) each

    def decode(self, z):
        return self.decoder(z).view(len(z), *self.shape)  # (N, *shape)


FACTORIES = {"mlp": mlp, "tiny_vae": TinyVAE}
OPTIMIZERS = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam}


# ------------------------------------------------------------------ specs (built by the tests)


def tensor(array, requires_grad=False, device="cpu") -> dict:
    return {SPEC: "tensor", "value": np.asarray(array), "requires_grad": requires_grad, "device": device}


def module(factory: str, config: dict, seed: int = 0, dtype=torch.float64, device="cpu", state=None) -> dict:
    """A module spec; without ``state``, the weights PyTorch's default init draws with ``seed``."""
    if state is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            built = FACTORIES[factory](**config).to(dtype)
        state = {k: v.detach().numpy().copy() for k, v in built.state_dict().items()}
    return {SPEC: "module", "factory": factory, "config": config, "state": state, "device": device}


def optimizer(name: str, module_argument: str, hyper: dict) -> dict:
    """A fresh optimizer of the module passed as the argument named ``module_argument``."""
    return {SPEC: "optimizer", "name": name, "module": module_argument, "hyper": hyper}


def sampler(kind: str, shape, seed: int, dtype="float64", device="cpu", **params) -> dict:
    """kind "normal" (mean, std) or "uniform" (low, high): a fresh batch of ``shape`` per call."""
    return {SPEC: "sampler", "kind": kind, "shape": list(shape), "seed": seed, "dtype": dtype, "device": device,
            "params": params}


# ------------------------------------------------------------------ specs -> objects (where the code runs)


def is_spec(value, kind=None) -> bool:
    return isinstance(value, dict) and SPEC in value and (kind is None or value[SPEC] == kind)


class Sampler:
    """A batch per call from its own generator (on the CPU, then moved: the same numbers on
    every device); every call appends its name to the shared log."""

    def __init__(self, name, spec, log):
        self.name, self.spec, self.log = name, spec, log
        self.generator = torch.Generator().manual_seed(spec["seed"])

    def __call__(self):
        self.log.append(self.name)
        shape, dtype, p = self.spec["shape"], getattr(torch, self.spec["dtype"]), self.spec["params"]
        if self.spec["kind"] == "normal":
            draw = torch.randn(shape, generator=self.generator, dtype=torch.float64) * p.get("std", 1.0) \
                + p.get("mean", 0.0)
        else:
            low, high = p.get("low", 0.0), p.get("high", 1.0)
            draw = low + (high - low) * torch.rand(shape, generator=self.generator, dtype=torch.float64)
        return draw.to(dtype=dtype, device=self.spec["device"])


def _tensors(state: dict, device) -> dict:
    return {k: torch.from_numpy(np.array(v)).to(device) for k, v in state.items()}


def _build_module(spec):
    built = FACTORIES[spec["factory"]](**spec["config"])
    state = _tensors(spec["state"], spec["device"])
    built.to(dtype=next(iter(state.values())).dtype, device=spec["device"])
    built.load_state_dict(state)
    return built


def build(names, args, kwargs, log):
    """(args, kwargs) with every spec turned into its object; optimizers after the modules they step."""
    named = dict(zip(names, args)) | kwargs
    built = {}
    for name, value in named.items():
        if is_spec(value, "tensor"):
            built[name] = torch.from_numpy(np.array(value["value"])).to(value["device"]).requires_grad_(
                value["requires_grad"])
        elif is_spec(value, "module"):
            built[name] = _build_module(value)
        elif is_spec(value, "sampler"):
            built[name] = Sampler(name, value, log)
    for name, value in named.items():
        if is_spec(value, "optimizer"):
            built[name] = OPTIMIZERS[value["name"]](built[value["module"]].parameters(), **value["hyper"])
    objects = {name: built.get(name, value) for name, value in named.items()}
    return [objects[n] for n in names[:len(args)]], {k: objects[k] for k in kwargs}, built


# ------------------------------------------------------------------ objects -> data (what comes back)


def data(value):
    """A return value as plain data: tensors as arrays with their dtype and device."""
    if isinstance(value, torch.Tensor):
        return {"tensor": value.detach().cpu().numpy().copy(), "dtype": str(value.dtype).removeprefix("torch."),
                "device": value.device.type, "requires_grad": value.requires_grad}
    if isinstance(value, (tuple, list)):
        return type(value)(data(v) for v in value)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: data(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        return value
    return {"object": f"{type(value).__module__}.{type(value).__qualname__}"}


def state_of(obj) -> dict:
    """A module's state_dict, or an optimizer's per-parameter state (keyed "<index>.<name>"), as arrays."""
    if isinstance(obj, nn.Module):
        return {k: v.detach().cpu().numpy().copy() for k, v in obj.state_dict().items()}
    return {f"{i}.{k}": v.detach().cpu().numpy().copy() if isinstance(v, torch.Tensor) else np.asarray(v)
            for i, s in obj.state_dict()["state"].items() for k, v in s.items()}


def run_call(fn, names, args, kwargs, grad=(), repeat=1) -> dict:
    """``fn`` on the objects the specs describe; the answer is plain data (the module docstring).
    ``repeat`` > 1: that many calls on the same objects, "value" the list of what they returned."""
    log: list[str] = []
    args, kwargs, built = build(names, args, kwargs, log)
    before = {n: t.detach().clone() for n, t in built.items() if isinstance(t, torch.Tensor)}
    values = [fn(*args, **kwargs) for _ in range(repeat)]
    value = values[0] if repeat == 1 else values
    answer = {"value": data(value), "calls": log,
              "state": {n: state_of(o) for n, o in built.items() if isinstance(o, (nn.Module, torch.optim.Optimizer))},
              "modified": sorted(n for n, t in before.items() if not torch.equal(built[n].detach(), t))}
    if grad:
        wrt = [built[n] for n in grad]
        if not (isinstance(value, torch.Tensor) and value.requires_grad):
            answer["grad_error"] = ("the returned value carries no autograd graph (a Python number, a detached "
                                    "tensor, or numpy): gradients cannot flow back through it")
        else:
            upstream = None if value.ndim == 0 else torch.ones_like(value)
            found = torch.autograd.grad(value, wrt, grad_outputs=upstream, allow_unused=True)
            answer["grads"] = {n: None if g is None else g.detach().cpu().numpy() for n, g in zip(grad, found)}
    return answer


@contextlib.contextmanager
def one_thread():
    """Run tiny networks on one thread: their matrices are too small to share, and on a loaded
    two-core machine two threads made 300 steps of the 1-D GAN 7x slower (17.4 s against 2.5 s)."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


EXPERIMENTS = {}  # name -> function(fn, **config) -> plain data: long runs that stay in the worker


def experiment(name):
    def register(function):
        EXPERIMENTS[name] = function
        return function
    return register


def run_experiment(fn, name, config) -> dict:
    """A registered experiment (a whole training run around the learner's ``fn``), as data."""
    return EXPERIMENTS[name](fn, **config)


# ------------------------------------------------------------------ the tests' side


def on_device(sample, device):
    """The same call (a Sample of specs) with every module, tensor and sampler on ``device``."""
    moved = sample.copy()
    for value in (*moved.args, *moved.kwargs.values()):
        if is_spec(value) and "device" in value:
            value["device"] = device
    return moved


def as_array(value):
    """A returned tensor's values as a numpy array (None and numbers as they are)."""
    return value["tensor"] if isinstance(value, dict) and "tensor" in value else value


# What PyTorch's own words mean in a learner's code: (words of the error, the hint added to it)
HINTS = (
    ("must have the same dtype", "a tensor of another dtype met the model's weights: keep the inputs' dtype in every "
                                 "function (z = mu + sigma * eps keeps mu's; no .double() and no float64 tensors of "
                                 "your own)."),
    ("backward through the graph a second time", "a graph was used twice: an input changed in place (x.mul_(...), "
                                                 "x += ...) or a tensor kept from an earlier call; compute new tensors "
                                                 "and call backward once per step."),
    ("modified by an inplace operation", "autograd needed a tensor that was then changed in place (x.mul_(...), "
                                         "x += ...): compute a new tensor instead."),
)


def with_hint(exc: BaseException) -> BaseException:
    """``exc`` with a note saying what PyTorch's message means, when it is one of HINTS."""
    for words, hint in HINTS:
        if words in str(exc):
            exc.add_note(f"Hint: {hint}")
            break
    return exc


def call(impl, function, names, args, kwargs=None, grad=(), repeat=1) -> dict:
    """``impl.<function>`` on these specs, wherever impl runs: in this process (a module) or in the
    grading worker (the grader's remote module, which sends the specs there)."""
    __tracebackhide__ = True
    kwargs = kwargs or {}
    remote = getattr(type(impl), "run_specs", None)
    try:
        if remote is not None:
            return remote(impl, "call", function, {"names": list(names), "args": list(args), "kwargs": kwargs,
                                                   "grad": list(grad), "repeat": repeat})
        return run_call(getattr(impl, function), list(names), list(args), kwargs, list(grad), repeat)
    except Exception as exc:
        raise with_hint(exc)


def call_experiment(impl, function, name, config) -> dict:
    __tracebackhide__ = True
    remote = getattr(type(impl), "run_specs", None)
    if remote is not None:
        return remote(impl, "experiment", function, {"name": name, "config": config})
    return run_experiment(getattr(impl, function), name, config)


def warm():
    """Before the worker is confined: everything torch imports lazily on a first backward and a
    first optimizer step (the package is unreadable afterwards), and the GPU opened now."""
    for device in ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",):
        for name, optimizer_class in OPTIMIZERS.items():
            net = mlp([2, 3, 1]).to(device)
            opt = optimizer_class(net.parameters(), lr=0.1)
            torch.nn.functional.softplus(net(torch.ones(4, 2, device=device))).mean().backward()
            opt.step()
            opt.zero_grad()
