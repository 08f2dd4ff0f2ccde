"""The self-study checklist: which tasks your code passes, from the visible tests.

    python -m assignments.common.checklist            your files in assignments/
    python -m assignments.common.checklist DIR        a directory laid out like assignments/

It runs the visible tests in this process (no sandbox: it is your own code) and prints one
row per task, in 80 columns: done, started (how many checks still fail) or not done, then
where to read next for every task not done.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table

from assignments.common import catalog
from assignments.common.pytest_plugin import KIT, ModuleProvider
from assignments.common.runner import TaskResult, run_suites


def results(spec: str = "learner", assignments=None) -> list[TaskResult]:
    """Every task's result on the visible tests, for ``spec`` (as pytest's --impl)."""
    chosen = [catalog.get(n) for n in (assignments or catalog.ASSIGNMENTS)]
    paths = [KIT / "assignments" / a.name for a in chosen if (KIT / "assignments" / a.name).is_dir()]
    collected = run_suites(paths, ModuleProvider(spec)) if paths else {}
    return [collected.get(t.qualified(a.name)) or TaskResult(a.name, t) for a in chosen for t in a.tasks
            if (KIT / "assignments" / a.name).is_dir()]


def show(results_: list[TaskResult], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title="Self-study checklist (visible tests)")
    table.add_column("", no_wrap=True)
    table.add_column("task", no_wrap=True)
    table.add_column("points", no_wrap=True, justify="right")
    done_points, assignment = 0.0, None
    for r in results_:
        if r.assignment != assignment:
            assignment = r.assignment
            table.add_row("", f"[bold]{assignment}[/]", "")
        colour = "green" if r.done else ("yellow" if r.core_passed else "red")
        mark = {"green": "✓", "yellow": "…", "red": "✗"}[colour]
        done_points += r.task.points if r.done else 0
        table.add_row(f"[{colour}]{mark} {r.status()}[/]", f"  {r.task.name}", f"{r.task.points:g}")
    console.print(table)
    total = sum(r.task.points for r in results_)
    console.print(f"{done_points:g} of {total:g} points' worth of tasks done. Details: pytest assignments/<assignment>")
    todo = [r for r in results_ if not r.done]
    if todo:
        console.print("Read next:")
        for r in todo:
            console.print(f"  {r.name}\n      {r.task.read}", markup=False, highlight=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assignments.common.checklist", description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="?", default="learner", help="a directory laid out like assignments/ "
                                                                  "(default: your files in assignments/)")
    parser.add_argument("--assignment", action="append", choices=list(catalog.ASSIGNMENTS), metavar="NAME")
    args = parser.parse_args(argv)
    show(results(args.dir, args.assignment))
    return 0


if __name__ == "__main__":
    sys.exit(main())
