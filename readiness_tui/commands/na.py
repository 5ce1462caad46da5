"""`readiness na ITEM --reason R`: mark an item not applicable."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir, text_arg
from readiness_tui.errors import EXIT_OK
from readiness_tui.identity import login_name

NAME = "na"
ORDER = 31
HELP = "mark an item not applicable to this deployment, with the reason (a critical item needs an approver)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("item", metavar="ITEM", type=text_arg, help="item id, e.g. 1.5")
    add_dir(parser)
    parser.add_argument("--reason", required=True, help="why it does not apply")
    parser.add_argument("--approver", default="", metavar="NAME",
                        help="who approves (required on a critical item, and not the person deciding)")
    parser.add_argument("--by", default=login_name(), metavar="NAME", help="who decides (default: your login)")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.commands._util import open_target_noted, score_line, shown, warn_stale
    from readiness_tui.decisions import mark_not_applicable

    target = open_target_noted(args)
    warn_stale(target, target.store.load())
    record = mark_not_applicable(target, args.item, args.by, args.reason, args.approver)
    approved = f", approved by {shown(target, args.approver.strip())}" if args.approver.strip() else ""
    print(f"marked {shown(target, args.item)} not applicable ({shown(target, args.reason.strip())}) by "
          f"{shown(target, args.by)}{approved}; {score_line(target, record)}")
    return EXIT_OK
