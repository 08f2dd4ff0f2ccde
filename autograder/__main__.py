"""The kit's command line.

    python -m autograder grade SUBMISSION [--assignment NAME]... [--format table|json|gradescope] [--output FILE]
    python -m autograder checklist [DIR]      self-study: which tasks your visible tests pass (as
                                              python -m assignments.common.checklist)
    python -m autograder stubs [--check]      regenerate assignments/ stubs from solutions/
    python -m autograder bench [--quick]      fast path vs reference vs torch CPU timings
    python -m autograder figures [--out DIR]  redraw the handout figures
    python -m autograder nbgrader COURSE_DIR  write an nbgrader course (source notebooks, config)
    python -m autograder batch ROOT [--assignment NAME]... [--jobs N] --output grades.csv
                                              grade every student's directory under ROOT
    python -m autograder gradescope-bundle OUT.zip [--assignment NAME]...
                                              the Gradescope autograder zip (setup.sh, run_autograder)
    python -m autograder release OUT_DIR [--through NAME]
                                              the student repository up to NAME (no solutions, no hidden
                                              tests, the fast kernels of past assignments only)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assignments.common import catalog

KIT = Path(__file__).resolve().parent.parent


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


def _run_grade(submission, assignments, suites, task_timeout):
    from autograder import grading

    err = Console(stderr=True)
    with _progress(err) as progress:
        return grading.grade(submission, assignments, suites, task_timeout=task_timeout, progress=progress)


def cmd_grade(args) -> int:
    report = _run_grade(args.submission, args.assignment, ("visible", "hidden"), args.task_timeout)
    if args.format in ("json", "gradescope"):
        text = json.dumps(report.gradescope(), indent=2) + "\n"
        if args.output:
            Path(args.output).write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    if args.output:
        with open(args.output, "w") as out:
            _print_report(Console(file=out, width=100), args.submission, report)
    else:
        _print_report(Console(), args.submission, report)
    return 0


def cmd_batch(args) -> int:
    from autograder import batch

    try:
        everyone = batch.students(Path(args.root))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        bar = progress.add_task(f"grading {len(everyone)} students", total=len(everyone))

        def done(student, report):
            progress.console.print(f"{student}: {report['score']:g} / {report['max_score']:g}", highlight=False)
            progress.advance(bar)

        batch.run(Path(args.root), Path(args.output), args.assignment, args.jobs, args.task_timeout, on_done=done)
    output = Path(args.output)
    print(f"wrote {output} and the reports in {output.parent / output.stem}/")
    return 0


def cmd_gradescope_bundle(args) -> int:
    from autograder import gradescope

    out = gradescope.bundle(Path(args.out_zip), args.assignment)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): upload it as the assignment's autograder "
          f"(Ubuntu 24.04 base image)")
    return 0


def _print_report(console: Console, submission, report) -> None:
    """A score table that fits 80 columns, then the feedback of every task not passed."""
    table = Table(title=f"{submission}: {report.score:g} / {report.max_score:g} points")
    table.add_column("task", no_wrap=True)
    table.add_column("score", no_wrap=True, justify="right")
    table.add_column("", no_wrap=True)
    for r in report.results:
        passed = r.score == r.task.points
        table.add_row(r.name, f"{r.score:g} / {r.task.points:g}", "[green]passed[/]" if passed else "[red]failed[/]")
    console.print(table)
    for note in report.notes:
        console.print(note, style="dim")
    for r in report.results:
        if r.score != r.task.points:
            console.rule(f"{r.name}: {r.score:g} / {r.task.points:g}", align="left")
            console.print(r.feedback(), markup=False, highlight=False)


def cmd_checklist(args) -> int:
    from assignments.common import checklist

    checklist.show(checklist.results(args.dir, args.assignment))
    return 0


def cmd_stubs(args) -> int:
    from autograder import stubs

    if args.check:
        drift = stubs.drifted()
        for path in drift:
            print(f"out of date: {path.relative_to(KIT)} (run: python -m autograder stubs)")
        return 1 if drift else 0
    for path in stubs.write():
        print(f"wrote {path.relative_to(KIT)}")
    return 0


def cmd_bench(args) -> int:
    from autograder import bench

    bench.main(quick=args.quick, repeat=args.repeat)
    return 0


def cmd_figures(args) -> int:
    from autograder import figures

    for path in figures.draw_all(Path(args.out), epochs=args.epochs):
        print(f"wrote {path}")
    return 0


def cmd_nbgrader(args) -> int:
    from autograder import course

    for path in course.write_course(Path(args.course_dir)):
        print(f"wrote {path}")
    print(f"next: cd {args.course_dir} && nbgrader generate_assignment <assignment>")
    return 0


def cmd_release(args) -> int:
    from autograder import course

    try:
        out = course.write_release(Path(args.out_dir), args.through)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the student release to {out}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def assignment_options(p):
        p.add_argument("--assignment", action="append", choices=list(catalog.ASSIGNMENTS), metavar="NAME",
                       help=f"grade only this assignment (repeatable): {', '.join(catalog.ASSIGNMENTS)}")
        p.add_argument("--task-timeout", type=float, default=60.0,
                       help="seconds the learner code may run for all the checks of one task (default 60)")

    p = sub.add_parser("grade", help="grade a submission against the visible and hidden suites")
    p.add_argument("submission", help="a directory laid out like assignments/ (e.g. solutions, assignments)")
    assignment_options(p)
    p.add_argument("--format", choices=("table", "json", "gradescope"), default="table")
    p.add_argument("--output", help="write the report to this file instead of standard output")
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("batch", help="grade a class: every directory under ROOT is one student's submission")
    p.add_argument("root", help="a directory with one directory per student")
    assignment_options(p)
    p.add_argument("--jobs", type=int, default=1, help="students graded at once (default 1)")
    p.add_argument("--output", required=True, help="the CSV to write (reports go to <csv stem>/<student>.json)")
    p.set_defaults(run=cmd_batch)

    p = sub.add_parser("gradescope-bundle", help="write the Gradescope autograder zip")
    p.add_argument("out_zip")
    p.add_argument("--assignment", action="append", choices=list(catalog.ASSIGNMENTS), metavar="NAME",
                   help=f"the assignments it grades (repeatable; default: all): {', '.join(catalog.ASSIGNMENTS)}")
    p.set_defaults(run=cmd_gradescope_bundle)

    p = sub.add_parser("checklist", help="the self-study checklist: done / not done per task")
    p.add_argument("dir", nargs="?", default="learner", help="a directory laid out like assignments/ "
                                                            "(default: your files in assignments/)")
    assignment_options(p)
    p.set_defaults(run=cmd_checklist)

    p = sub.add_parser("stubs", help="regenerate the learner stubs in assignments/ from solutions/")
    p.add_argument("--check", action="store_true", help="only report stubs that differ (exit 1)")
    p.set_defaults(run=cmd_stubs)

    p = sub.add_parser("bench", help="time the fast path, the reference and torch CPU")
    p.add_argument("--quick", action="store_true", help="tiny shapes, one repeat: a smoke test (rough peaks; the first run "
                   "on a fresh copy compiles the numba kernels, about 40 s)")
    p.add_argument("--repeat", type=int, default=20, help="timed runs per measurement (median reported)")
    p.set_defaults(run=cmd_bench)

    p = sub.add_parser("figures", help="redraw the handout figures")
    p.add_argument("--out", default=str(KIT / "handouts" / "figures"))
    p.add_argument("--epochs", type=int, default=8, help="of the plain and residual training runs (a4's figure)")
    p.set_defaults(run=cmd_figures)

    p = sub.add_parser("nbgrader", help="write an nbgrader course generated from the one source")
    p.add_argument("course_dir")
    p.set_defaults(run=cmd_nbgrader)

    p = sub.add_parser("release", help="write the student repository: stubs, visible tests, handouts")
    p.add_argument("out_dir")
    p.add_argument("--through", choices=list(catalog.ASSIGNMENTS), metavar="NAME",
                   help="hand out every assignment up to and including NAME (default: all); the fast "
                        "kernels of the assignments before NAME ship, none of NAME's")
    p.set_defaults(run=cmd_release)

    args = parser.parse_args(argv)
    if getattr(args, "submission", None) and not Path(args.submission).is_dir():
        parser.error(f"SUBMISSION {args.submission!r} is not a directory (expected a layout like assignments/)")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
