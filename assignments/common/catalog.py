"""The kit's assignments and their graded tasks: the one place that names them.

Tests say which task they belong to with ``@pytest.mark.task("<task>")``; the grader, the
checklist and the stub generator all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    name: str
    points: float
    read: str  # where to read next: a handout section
    cell_timeout: int | None = None  # seconds for its nbgrader test cell, when the default is too short

    def qualified(self, assignment: str) -> str:
        return f"{assignment}/{self.name}"


@dataclass(frozen=True)
class Assignment:
    name: str  # directory under assignments/, e.g. "a1_convolution"
    file: str  # the learner file, e.g. "conv.py"
    tasks: tuple[Task, ...]
    handout: str = ""
    # Top-level modules the learner file may import when graded: the worker imports them, then
    # the kernel lets it read only their packages, the standard library and its scratch
    # directory (autograder/confine.py).
    may_import: tuple[str, ...] = ("numpy",)
    # Names the grading worker's import guard refuses with a friendly message ("assignments"
    # covers the fast path in assignments/common); the kernel refuses them anyway.
    forbidden_imports: tuple[str, ...] = ("torch", "solutions", "assignments", "autograder")
    # Its numba fast path, assignments/common/fast/<module>.py (a student release carries it
    # only once the assignment is past: `release --through`).
    fast_path: bool = True
    # Modules of the kit the learner file builds on (a4: assignments.common.layers and the fast
    # kernels behind it): the grading worker imports and warms them before it is confined.
    kit_modules: tuple[str, ...] = ()

    @property
    def module(self) -> str:  # "conv"
        return self.file.removesuffix(".py")

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tasks)

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(f"{self.name} has no task {name!r}; tasks: {[t.name for t in self.tasks]}")


def _handout(name: str, section: str) -> str:
    return f"handouts/{name}.md#{section}"


A1 = Assignment(
    name="a1_convolution",
    file="conv.py",
    handout="handouts/a1_convolution.md",
    tasks=(
        Task("conv2d_forward", 25, _handout("a1_convolution", "2-the-forward-pass")),
        Task("conv2d_backward", 25, _handout("a1_convolution", "4-the-backward-pass")),
        Task("conv2d_dilation_groups", 20, _handout("a1_convolution", "5-dilation-and-groups")),
        Task("maxpool2d_forward", 15, _handout("a1_convolution", "6-max-pooling")),
        Task("maxpool2d_backward", 15, _handout("a1_convolution", "6-max-pooling")),
    ),
)

A2 = Assignment(
    name="a2_normalization",
    file="norms.py",
    handout="handouts/a2_normalization.md",
    tasks=(
        Task("batchnorm_forward", 20, _handout("a2_normalization", "2-batch-normalization")),
        Task("batchnorm_backward", 20, _handout("a2_normalization", "3-the-backward-pass")),
        Task("batchnorm_running_stats", 15, _handout("a2_normalization", "4-running-statistics-train-vs-eval")),
        Task("layernorm", 15, _handout("a2_normalization", "5-layer-instance-and-group-normalization")),
        Task("instancenorm", 15, _handout("a2_normalization", "5-layer-instance-and-group-normalization")),
        Task("groupnorm", 15, _handout("a2_normalization", "5-layer-instance-and-group-normalization")),
    ),
)

A3 = Assignment(
    name="a3_dropout",
    file="dropout.py",
    handout="handouts/a3_dropout.md",
    tasks=(
        Task("dropout_inverted", 40, _handout("a3_dropout", "2-inverted-dropout")),
        Task("dropout_test_time_scaling", 30, _handout("a3_dropout", "3-scaling-at-test-time")),
        Task("dropout_backward", 30, _handout("a3_dropout", "4-the-backward-pass")),
    ),
)

A4 = Assignment(
    name="a4_residual",
    file="residual.py",
    handout="handouts/a4_residual.md",
    tasks=(
        Task("basic_block_forward", 20, _handout("a4_residual", "2-the-basic-block")),
        Task("basic_block_backward", 20, _handout("a4_residual", "3-the-backward-pass")),
        Task("bottleneck_forward", 15, _handout("a4_residual", "4-the-bottleneck-block")),
        Task("bottleneck_backward", 15, _handout("a4_residual", "4-the-bottleneck-block")),
        Task("shortcuts", 15, _handout("a4_residual", "5-shortcuts-options-a-b-and-c")),
        Task("training_sanity", 15, _handout("a4_residual", "6-training-a-tiny-resnet"), cell_timeout=300),
    ),
    may_import=("numpy", "numba"),
    kit_modules=("assignments.common.layers", "assignments.common.fast.conv", "assignments.common.fast.norms"),
    fast_path=False,
)

A5 = Assignment(
    name="a5_attention",
    file="attention.py",
    handout="handouts/a5_attention.md",
    tasks=(
        Task("softmax", 10, _handout("a5_attention", "1-scaled-dot-product-attention")),
        Task("sdpa_forward", 20, _handout("a5_attention", "1-scaled-dot-product-attention")),
        Task("sdpa_backward", 20, _handout("a5_attention", "3-the-backward-pass")),
        Task("causal_mask", 5, _handout("a5_attention", "2-masks")),
        Task("multi_head_attention", 20, _handout("a5_attention", "4-multi-head-attention")),
        Task("positional_encoding", 10, _handout("a5_attention", "5-positional-encoding")),
        Task("bert_masking", 15, _handout("a5_attention", "6-berts-masked-language-model")),
    ),
)

A6 = Assignment(
    name="a6_gan",
    file="gan.py",
    handout="handouts/a6_gan.md",
    tasks=(
        Task("discriminator_loss", 20, _handout("a6_gan", "1-the-value-function")),
        Task("generator_loss", 20, _handout("a6_gan", "3-the-non-saturating-generator-loss")),
        Task("optimal_discriminator", 10, _handout("a6_gan", "2-the-optimal-discriminator")),
        Task("gan_training_step", 30, _handout("a6_gan", "4-algorithm-1")),
        Task("gan_1d_converges", 20, _handout("a6_gan", "5-figure-1-a-1-d-gan"), cell_timeout=300),
    ),
    # PyTorch: the worker imports torch, and the kit's specs module that builds the modules,
    # optimizers and samplers a test describes as data (assignments/common/specs.py)
    may_import=("numpy", "torch"),
    forbidden_imports=("solutions", "assignments", "autograder"),
    fast_path=False,
    kit_modules=("assignments.common.specs", "assignments.common.gan_1d"),
)

A7 = Assignment(
    name="a7_vae",
    file="vae.py",
    handout="handouts/a7_vae.md",
    tasks=(
        Task("reparameterize", 15, _handout("a7_vae", "2-the-reparameterization-trick")),
        Task("kl_standard_normal", 20, _handout("a7_vae", "3-the-kl-term-in-closed-form")),
        Task("reconstruction_loss", 20, _handout("a7_vae", "4-the-reconstruction-term")),
        Task("negative_elbo", 15, _handout("a7_vae", "5-the-negative-elbo")),
        Task("vae_training_step", 30, _handout("a7_vae", "6-one-training-step")),
    ),
    may_import=("numpy", "torch"),  # as a6: PyTorch, the models and optimizers built from specs
    forbidden_imports=("solutions", "assignments", "autograder"),
    fast_path=False,
    kit_modules=("assignments.common.specs",),
)

ASSIGNMENTS: dict[str, Assignment] = {a.name: a for a in (A1, A2, A3, A4, A5, A6, A7)}


def get(name: str) -> Assignment:
    try:
        return ASSIGNMENTS[name]
    except KeyError:
        raise ValueError(
            f"unknown assignment {name!r}; the kit has: {', '.join(ASSIGNMENTS)}"
        ) from None
