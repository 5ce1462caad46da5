"""`readiness check`: run the checklist headless and report."""

from __future__ import annotations

import argparse
import sys

from readiness_tui.commands._util import add_dir, ids_arg, path_arg, percent_arg, seconds_arg
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
    parser.add_argument("--output", "-o", metavar="FILE", type=path_arg,
                        help="write the report to FILE instead of stdout")
    parser.add_argument("--fail-under", type=percent_arg, default=90.0, metavar="N",
                        help="exit 1 when the score is below N (default 90: the `ready` band)")
    parser.add_argument("--only", metavar="IDS", type=ids_arg, help="only these items or sections, e.g. 1.4,9")
    parser.add_argument("--skip", metavar="IDS", type=ids_arg, help="skip these items or sections")
    parser.add_argument("--timeout", type=seconds_arg, metavar="SECONDS",
                        help="the whole run ends within SECONDS (each check's timeout, load test included; "
                             "default: check_timeout, 10 s per check)")
    parser.add_argument("--run-project-commands", action="store_true",
                        help="run the project's own test and validation commands (readiness.toml [commands])")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from readiness_tui.checkapi import RunOptions
    from readiness_tui.checklist import select_items
    from readiness_tui.commands._util import say
    from readiness_tui.errors import UsageError
    from readiness_tui.output import check_output_path, write_output
    from readiness_tui.reports import build_report, render
    from readiness_tui.runner import ItemFinished, RunEvent
    from readiness_tui.target import open_target, run_items

    target = open_target(args.dir, args.checklist)
    target.store.on_notice = say  # a damaged record met by the run is said when it is met
    if args.output:
        check_output_path(args.output, target.store)
    items = select_items(target.checklist, args.only, args.skip)
    if not items:
        raise UsageError("--only/--skip selected no item")
    full = not args.only and not args.skip
    if target.settings.keyring_note and not args.quiet:
        say(target.settings.keyring_note)

    show = not args.quiet and sys.stderr.isatty()
    done = 0

    def on_event(event: RunEvent) -> None:
        nonlocal done
        if show and isinstance(event, ItemFinished):
            done += 1
            print(f"\r{done}/{len(items)} checked", end="", file=sys.stderr, flush=True)

    options = RunOptions(run_project_commands=args.run_project_commands, timeout=args.timeout)
    _, _elapsed = asyncio.run(run_items(target, items, options, on_event, full=full))
    if show:
        print("\r" + " " * 20 + "\r", end="", file=sys.stderr)
    record = target.store.load()
    contacts = target.settings.config.get("contacts", [])
    report = build_report(target.checklist, record, target.project,
                          None if full else [i.id for i in items],
                          contacts if isinstance(contacts, list) else [])
    colour = None if not args.output else False
    text = render(report, args.format, target.redactor, colour=colour)
    if args.output:
        write_output(args.output, text, target.store)
        if not args.quiet:
            s = report.score
            print(f"readiness: wrote {args.format} report to {args.output}; score {s.percent:.1f}% ({s.band})",
                  file=sys.stderr)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return EXIT_OK if report.score.percent >= args.fail_under else EXIT_FAILED
