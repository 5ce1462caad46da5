"""`readiness report [DIR]`: render the recorded run without running the checks again."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir
from readiness_tui.errors import EXIT_OK

NAME = "report"
ORDER = 20
HELP = "print the recorded run as text, json, markdown, junit or sarif (no checks are run)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dir(parser)
    parser.add_argument("--format", choices=("text", "json", "markdown", "junit", "sarif"), default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")


def run(args: argparse.Namespace) -> int:
    import sys

    from readiness_tui.commands._util import open_target_noted, say
    from readiness_tui.errors import UsageError
    from readiness_tui.reports import build_report, render, write_output

    target = open_target_noted(args)
    if not target.store.exists():
        raise UsageError(f"no run recorded in {target.project} yet: run `readiness check` first")
    contacts = target.settings.config.get("contacts", [])
    report = build_report(target.checklist, target.store.load(), target.project,
                          contacts=contacts if isinstance(contacts, list) else [])
    text = render(report, args.format, target.redactor, colour=False if args.output else None)
    if args.output:
        write_output(args.output, text)
        say(f"wrote {args.format} report to {args.output}; score {report.score.percent:.1f}% ({report.score.band})")
    else:
        sys.stdout.write(text)
    return EXIT_OK
