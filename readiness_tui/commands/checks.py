"""`readiness checks`: the registered checks, their parameters, and the items that use them.

`--format markdown` writes the checks reference (docs/checks.md is this output for the embedded
checklist; a test fails when it is stale).
"""

from __future__ import annotations

import argparse

from readiness_tui.errors import EXIT_OK

NAME = "checks"
ORDER = 75
HELP = "list the registered checks (built-in and plugins), their parameters and the items using them"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checklist", metavar="FILE", help="use this checklist file instead of the embedded one")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.checkapi import registry
    from readiness_tui.checklist import load_checklist
    from readiness_tui.refdoc import checks_markdown, checks_text

    checklist = load_checklist(args.checklist)
    render = checks_markdown if args.format == "markdown" else checks_text
    print(render(checklist, registry()), end="")
    return EXIT_OK
