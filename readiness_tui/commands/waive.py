"""`readiness waive ITEM --reason --approver --expires`: accept a risk until a date."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir, text_arg
from readiness_tui.errors import EXIT_OK
from readiness_tui.identity import login_name

NAME = "waive"
ORDER = 32
HELP = "waive an item (accepted risk) with a reason, an approver other than you, and an expiry date"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("item", metavar="ITEM", type=text_arg, help="item id, e.g. 3.7")
    add_dir(parser)
    parser.add_argument("--reason", required=True, help="why the risk is accepted")
    parser.add_argument("--approver", required=True, metavar="NAME", help="who approves (not the requester)")
    parser.add_argument("--expires", required=True, metavar="YYYY-MM-DD",
                        help="the waiver counts until the end of this day; after it the item is open again")
    parser.add_argument("--by", default=login_name(), metavar="NAME", help="who asks (default: your login)")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.commands._util import open_target_noted, score_line, shown, warn_stale
    from readiness_tui.decisions import waive

    target = open_target_noted(args)
    warn_stale(target, target.store.load())
    record = waive(target, args.item, args.by, args.reason, args.approver, args.expires)
    d = record.decisions[target.checklist.item(args.item).id]
    print(f"waived {shown(target, args.item)} until {d.expires} (requested by {shown(target, d.by)}, approved by "
          f"{shown(target, d.approver)}); {score_line(target, record)}")
    return EXIT_OK
