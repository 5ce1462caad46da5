"""`readiness diff [A] [B]`: what changed between two runs (default: the previous run and the current one)."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import path_arg, text_arg
from readiness_tui.errors import EXIT_OK

NAME = "diff"
ORDER = 61
HELP = "compare two runs: newly failing, newly passing, newly waived items and the score change"
DESCRIPTION = (
    "Compare run A with run B. A and B are run numbers from `readiness history`, `current`, `previous`, "
    "run ids (a prefix will do) or paths of run records; defaults: the previous run and the current one."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", nargs="?", default="previous", type=text_arg, metavar="A", help="default: previous")
    parser.add_argument("b", nargs="?", default="current", type=text_arg, metavar="B", help="default: current")
    parser.add_argument("--dir", default=".", type=path_arg, metavar="DIR", help="project directory (default: .)")
    parser.add_argument("--checklist", metavar="FILE", type=path_arg,
                        help="use this checklist file instead of the embedded one")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.commands._util import open_target_noted, shown
    from readiness_tui.errors import UsageError
    from readiness_tui.history import diff, resolve, runs

    target = open_target_noted(args)
    found = runs(target)
    if args.a == "previous" and not any(not r.current for r in found):
        raise UsageError("no earlier run to compare with: the history is empty (a full `readiness check` keeps one)")
    a, b = resolve(target, args.a, found), resolve(target, args.b, found)
    d = diff(target, a, b)
    sa, sb = d["score_a"], d["score_b"]
    print(f"from {a.label} ({a.date}) to {b.label} ({b.date})")
    band = f"{sa.band} → {sb.band}" if sa.band != sb.band else f"{sb.band} (unchanged)"
    print(f"score: {sa.percent:.1f}% → {sb.percent:.1f}% ({sb.percent - sa.percent:+.1f}); band {band}")
    for key, title in (("newly_failing", "Newly failing"), ("newly_passing", "Newly passing"),
                       ("newly_waived", "Newly waived")):
        pairs = d[key]
        print(f"{title} ({len(pairs)}):" if pairs else f"{title}: none")
        for old, new in pairs:
            print(f"  {new.item.id} {shown(target, new.item.text)} — {old.status.value} → {new.status.value}: "
                  f"{shown(target, new.summary)}")
    return EXIT_OK
