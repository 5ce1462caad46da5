"""Helpers shared by the command modules (not a command itself: the name starts with `_`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_dir(parser: argparse.ArgumentParser) -> None:
    """The optional project directory and --checklist."""
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="project directory (default: .)")
    parser.add_argument("--checklist", metavar="FILE", help="use this checklist file instead of the embedded one")


def say(message: str) -> None:
    """A note for the person at the terminal (stderr), prefixed like every readiness message."""
    print(f"readiness: {message}", file=sys.stderr)


def open_target_noted(args: argparse.Namespace) -> Any:
    """Open the target of `args.dir`, printing the keyring note and store notices once."""
    from readiness_tui.target import open_target

    target = open_target(args.dir, getattr(args, "checklist", None))
    if target.settings.keyring_note:
        say(target.settings.keyring_note)
    for notice in target.store.notices:
        say(notice)
    return target


def score_line(target: Any, record: Any) -> str:
    """`score 87.5% (nearly)` of a record."""
    from readiness_tui.reports import build_report

    s = build_report(target.checklist, record, target.project).score
    return f"score {s.percent:.1f}% ({s.band})"
