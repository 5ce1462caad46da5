"""`readiness na ITEM --reason R`: mark an item not applicable."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir, text_arg
from readiness_tui.errors import EXIT_OK
from readiness_tui.identity import login_name

NAME = "na"
ORDER = 31
HELP = "mark an item not applicable to this deployment, with the reason"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("item", metavar="ITEM", type=text_arg, help="item id, e.g. 1.5")
    add_dir(parser)
    parser.add_argument("--reason", required=True, help="why it does not apply")
    parser.add_argument("--by", default=login_name(), metavar="NAME", help="who decides (default: your login)")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.commands._util import open_target_noted, score_line
    from readiness_tui.decisions import mark_not_applicable

    target = open_target_noted(args)
    record = mark_not_applicable(target, args.item, args.by, args.reason)
    print(f"marked {args.item} not applicable ({args.reason.strip()}) by {args.by}; {score_line(target, record)}")
    return EXIT_OK
