"""`readiness check`: run the checklist headless and report."""

from __future__ import annotations

import argparse
import sys

from readiness_tui.commands._util import add_dir
from readiness_tui.errors import EXIT_FAILED, EXIT_OK

NAME = "check"
ORDER = 10
HELP = "run the checks headless and print a report (exit 0 when the score ≥ --fail-under)"
DESCRIPTION = (
    "Run every automated check of the checklist against a project, record the results in "
    "<DIR>/.readiness/, and print a report. Exit status: 0 when the score is at least --fail-under, "
    "1 below it, 2 for usage or configuration errors."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dir(parser)
    parser.add_argument("--format", choices=("text", "json", "markdown", "junit"), default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    parser.add_argument("--fail-under", type=float, default=90.0, metavar="N",
                        help="exit 1 when the score is below N (default 90: the `ready` band)")
    parser.add_argument("--only", metavar="IDS", help="only these items or sections, e.g. 1.4,9")
    parser.add_argument("--skip", metavar="IDS", help="skip these items or sections")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="per-check timeout (default 10)")
    parser.add_argument("--run-project-commands", action="store_true",
                        help="run the project's own test and validation commands (readiness.toml [commands])")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from readiness_tui.checkapi import RunOptions
    from readiness_tui.checklist import select_items
    from readiness_tui.commands._util import say_newly_stale
    from readiness_tui.errors import UsageError
    from readiness_tui.reports import build_report, check_output_path, render, write_output
    from readiness_tui.runner import ItemFinished, RunEvent
    from readiness_tui.signoff import would_stale
    from readiness_tui.target import open_target, run_items

    if args.fail_under < 0 or args.fail_under > 100:
        raise UsageError("--fail-under must be between 0 and 100")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.output:
        check_output_path(args.output)
    target = open_target(args.dir, args.checklist)
    items = select_items(target.checklist, args.only, args.skip)
    if not items:
        raise UsageError("--only/--skip selected no item")
    full = not args.only and not args.skip
    for notice in target.store.notices:
        print(f"readiness: {notice}", file=sys.stderr)
    if target.settings.keyring_note and not args.quiet:
        print(f"readiness: {target.settings.keyring_note}", file=sys.stderr)

    show = not args.quiet and sys.stderr.isatty()
    done = 0

    def on_event(event: RunEvent) -> None:
        nonlocal done
        if show and isinstance(event, ItemFinished):
            done += 1
            print(f"\r{done}/{len(items)} checked", end="", file=sys.stderr, flush=True)

    options = RunOptions(run_project_commands=args.run_project_commands, timeout=args.timeout)
    before = target.store.load()
    valid_before = would_stale(target, before) if before.signoffs else []
    _, _elapsed = asyncio.run(run_items(target, items, options, on_event, full=full))
    say_newly_stale(target, valid_before)
    if show:
        print("\r" + " " * 20 + "\r", end="", file=sys.stderr)
    for notice in target.store.notices:
        print(f"readiness: {notice}", file=sys.stderr)
    record = target.store.load()
    contacts = target.settings.config.get("contacts", [])
    report = build_report(target.checklist, record, target.project,
                          None if full else [i.id for i in items],
                          contacts if isinstance(contacts, list) else [])
    colour = None if not args.output else False
    text = render(report, args.format, target.redactor, colour=colour)
    if args.output:
        write_output(args.output, text)
        if not args.quiet:
            s = report.score
            print(f"readiness: wrote {args.format} report to {args.output}; score {s.percent:.1f}% ({s.band})",
                  file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return EXIT_OK if report.score.percent >= args.fail_under else EXIT_FAILED
