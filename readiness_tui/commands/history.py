"""`readiness history [DIR]`: every kept run with its date, score, band and sign-offs."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir
from readiness_tui.errors import EXIT_OK

NAME = "history"
ORDER = 60
HELP = "list the kept runs: date, score, band, who signed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dir(parser)


def run(args: argparse.Namespace) -> int:
    from readiness_tui.commands._util import open_target_noted, shown
    from readiness_tui.history import runs, summary

    target = open_target_noted(args)
    found = runs(target)
    if not found:
        print(f"no runs recorded in {target.project} yet")
        return EXIT_OK
    print(f"{'#':>3}  {'date':<25} {'run':<12}  {'score':>6}  {'band':<14} signed")
    for run_ in found:
        s = summary(target, run_)
        signed = ", ".join(f"{shown(target, so['role'])} ({shown(target, so['name'])}, {so['state']})"
                           for so in s["signoffs"]) or "-"
        label = "current" if s["current"] else ""
        date = s["date"] + ("" if s["finished"] else " (unfinished)")
        print(f"{s['number']:>3}  {date:<25} {s['run_id']:<12}  {s['percent']:>5.1f}%  {s['band']:<14} {signed}"
              + (f"  [{label}]" if label else ""))
    return EXIT_OK
