"""`readiness confirm ITEM`: a person confirms an item."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir, text_arg
from readiness_tui.errors import EXIT_OK
from readiness_tui.identity import login_name

NAME = "confirm"
ORDER = 30
HELP = "confirm an item as done (assisted and manual items, or a check that could not decide)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("item", metavar="ITEM", type=text_arg, help="item id, e.g. 5.3")
    add_dir(parser)
    parser.add_argument("--by", default=login_name(), metavar="NAME", help="who confirms (default: your login)")
    parser.add_argument("--note", default="", help="what you looked at")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.commands._util import open_target_noted, score_line, shown, warn_stale
    from readiness_tui.decisions import confirm

    target = open_target_noted(args)
    warn_stale(target, target.store.load())
    record = confirm(target, args.item, args.by, args.note)
    print(f"confirmed {shown(target, args.item)} by {shown(target, args.by)}; {score_line(target, record)}")
    return EXIT_OK
