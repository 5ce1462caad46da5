"""`readiness report [DIR]`: render the recorded run without running the checks again."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir, path_arg
from readiness_tui.errors import EXIT_OK

NAME = "report"
ORDER = 20
HELP = "print the recorded run as text, json, markdown, junit or sarif (no checks are run)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dir(parser)
    parser.add_argument("--format", choices=("text", "json", "markdown", "junit", "sarif"), default="text")
    parser.add_argument("--output", "-o", metavar="FILE", type=path_arg,
                        help="write the report to FILE instead of stdout")


def run(args: argparse.Namespace) -> int:
    import sys

    from readiness_tui.commands._util import open_target_noted, say
    from readiness_tui.errors import UsageError
    from readiness_tui.output import check_output_path, write_output
    from readiness_tui.reports import build_report, render

    target = open_target_noted(args)
    if args.output:
        check_output_path(args.output, target.store)
    if not target.store.exists():
        raise UsageError(f"no run recorded in {target.project} yet: run `readiness check` first")
    contacts = target.settings.config.get("contacts", [])
    project_map = None
    if args.format == "json":
        from readiness_tui.projectmap import for_settings

        project_map = for_settings(target.settings).to_dict()
    report = build_report(target.checklist, target.store.load(), target.project,
                          contacts=contacts if isinstance(contacts, list) else [], project_map=project_map)
    text = render(report, args.format, target.redactor, colour=False if args.output else None)
    if args.output:
        write_output(args.output, text, target.store)
        say(f"wrote {args.format} report to {args.output}; score {report.score.percent:.1f}% ({report.score.band})")
    else:
        sys.stdout.write(text)
    return EXIT_OK
