"""Helpers shared by the command modules (not a command itself: the name starts with `_`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_dir(parser: argparse.ArgumentParser) -> None:
    """The optional project directory and --checklist."""
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="project directory (default: .)")
    parser.add_argument("--checklist", metavar="FILE", help="use this checklist file instead of the embedded one")


#: -1 with -q (results and errors only), 0 by default, 1 with -v (and more with -vv).
_verbosity = 0
_said: set[str] = set()


def configure(args: argparse.Namespace) -> None:
    """Read -q / -v (accepted by every command, before or after its name) for say() and detail()."""
    global _verbosity
    _verbosity = -1 if getattr(args, "quiet", False) else int(getattr(args, "verbose", 0) or 0)


def verbosity() -> int:
    """-1 quiet, 0 normal, 1+ verbose."""
    return _verbosity


def say(message: str, once: bool = False) -> None:
    """A note for the person at the terminal (stderr), prefixed like every readiness message.

    Silent with -q; with `once`, the same note is printed at most once per process.
    """
    if _verbosity < 0 or (once and message in _said):
        return
    _said.add(message)
    print(f"readiness: {message}", file=sys.stderr)


def detail(message: str) -> None:
    """A note shown only with -v (what was read and written, timings)."""
    if _verbosity > 0:
        print(f"readiness: {message}", file=sys.stderr)


def notices(target: Any, secrets_used: bool = False) -> None:
    """Print the store's notices, and the keyring note once when this command looked a secret up."""
    if secrets_used and target.settings.keyring_note:
        say(target.settings.keyring_note, once=True)
    for notice in target.store.notices:
        say(notice, once=True)


def open_target_noted(args: argparse.Namespace, secrets_used: bool = False) -> Any:
    """Open the target of `args.dir` and print its notices (see `notices`)."""
    from readiness_tui.target import open_target

    target = open_target(args.dir, getattr(args, "checklist", None))
    notices(target, secrets_used)
    detail(f"project {target.project}; checklist {target.checklist.source}; "
           f"decisions {target.store.decisions_path}")
    return target


def score_line(target: Any, record: Any) -> str:
    """`score 87.5% (nearly)` of a record."""
    from readiness_tui.reports import build_report

    s = build_report(target.checklist, record, target.project).score
    return f"score {s.percent:.1f}% ({s.band})"
