"""The checklist, the benchmark, the figures, the handout and the README's commands."""

import os
import re
import tomllib

import numpy as np

from assignments.common import catalog
from autograder import figures
from tests.conftest import KIT, run

WIDE = os.environ | {"COLUMNS": "200"}  # rich wraps tables at 80 columns without a terminal


def test_checklist_shows_every_task_with_done_or_not():
    proc = run("-m", "autograder", "checklist", env=WIDE)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    tasks = [(a, t) for a in catalog.ASSIGNMENTS.values() for t in a.tasks]
    total = sum(t.points for _, t in tasks)
    for a, t in tasks:
        assert t.qualified(a.name) in out and t.read in out
    assert out.count("not done") == len(tasks) and f"0 of {total:g} points" in out
    done = run("-m", "autograder", "checklist", str(KIT / "solutions"), env=WIDE).stdout
    assert done.count("✓ done") == len(tasks) and "not done" not in done and f"{total:g} of {total:g}" in done


def test_benchmark_runs_and_reports_ratios():
    proc = run("-m", "autograder", "bench", "--quick", env=WIDE)
    assert proc.returncode == 0, proc.stderr
    assert "conv2d" in proc.stdout and "max_pool2d" in proc.stdout and "fast / torch" in proc.stdout
    assert "% peak" in proc.stdout and "roofline peaks" in proc.stdout  # the roofline columns and their peaks


def test_figures_are_drawn_by_the_code(tmp_path):
    paths = figures.draw_all(tmp_path, quick=True)
    shown = {name for a in catalog.ASSIGNMENTS.values()
             for name in re.findall(r"\]\(figures/([^)]+)\)", (KIT / a.handout).read_text())}
    assert sorted(p.name for p in paths) == sorted(shown), "every figure a handout shows, and only those"
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
        assert (KIT / "handouts" / "figures" / p.name).exists(), "commit the figure: python -m autograder figures"


def test_receptive_field_of_stacked_convolutions():
    rows, cols = figures.receptive_field((1, 1, 15, 15), [dict(padding=1)] * 3).nonzero()
    assert np.ptp(rows) + 1 == 7 == np.ptp(cols) + 1


def test_the_normalization_figure_shades_the_right_axes():
    assert figures.shared_statistics("batch norm")[:, 0, :].all() and not figures.shared_statistics("batch norm")[:, 1:].any()
    assert figures.shared_statistics("layer norm")[0].all() and not figures.shared_statistics("layer norm")[1:].any()
    instance = figures.shared_statistics("instance norm")
    assert instance[0, 0].all() and instance.sum() == instance[0, 0].size
    group = figures.shared_statistics("group norm (2 groups)")
    assert group[0, :3].all() and group.sum() == group[0, :3].size


def _anchors(markdown: str) -> set[str]:
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#{1,6} (.+)$", markdown, flags=re.M)}


def test_handout_sections_figures_summary_and_checklist():
    for a in catalog.ASSIGNMENTS.values():
        text = (KIT / a.handout).read_text()
        anchors = _anchors(text)
        for t in a.tasks:
            path, anchor = t.read.split("#")
            assert path == a.handout and anchor in anchors, f"{t.read} does not exist"
            assert f"`{t.qualified(a.name)}` | {t.points:g}" in text, f"checklist misses {t.name}"
        assert "summary" in anchors and "checklist" in anchors
        for figure in re.findall(r"\]\((figures/[^)]+)\)", text):
            assert (KIT / "handouts" / figure).exists(), figure


def test_readme_commands_and_ci():
    readme = (KIT / "README.md").read_text()
    ci = (KIT / ".ci" / "run").read_text()
    assert 'pip install torch==2.13.0 -e ".[nbgrader]" && python -m autograder grade solutions' in readme
    assert 'pip install -q torch==2.13.0 -e ".[nbgrader]"' in ci
    command = "python -m pytest -n auto --dist loadgroup"
    assert f"\n{command}\n" in readme and f"\n{command}\n" in ci
    # the package declares ranges (it installs beside a CUDA torch); the set-up command pins the CPU build
    requirements = tomllib.loads((KIT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [r for r in requirements if "==" in r], "pyproject pins a version: declare the range the kit supports"


def test_the_installed_packages_are_inside_the_declared_ranges():
    from importlib.metadata import version

    from packaging.requirements import Requirement

    for line in tomllib.loads((KIT / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        assert requirement.specifier.contains(version(requirement.name), prereleases=True), \
            f"{requirement.name} {version(requirement.name)} is outside {requirement}"


def test_the_attention_figure_shows_saturation_without_the_scale():
    """Measured on the reference: with 1/sqrt(dk) the largest weight stays put as dk grows; without
    it the softmax saturates and the gradient reaching the scores shrinks."""
    rows = figures.attention_saturation(dks=(1, 1024), trials=200)
    (scaled_max, scaled_grad), (unscaled_max, unscaled_grad) = rows["scaled"], rows["unscaled"]
    assert abs(scaled_max[1] - scaled_max[0]) < 0.1 and unscaled_max[1] > 0.9
    assert scaled_grad[1] > 0.8 * scaled_grad[0] and unscaled_grad[1] < unscaled_grad[0] / 5
