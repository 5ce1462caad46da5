"""Helpers shared by the command modules (not a command itself: the name starts with `_`)."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any


def text_arg(value: str) -> str:
    """An argument that must say something: an empty (or blank) string is a usage error, never "the default"."""
    if not value.strip():
        raise argparse.ArgumentTypeError("is an empty string; give a value")
    return value


def path_arg(value: str) -> str:
    """A path argument: `''` is a usage error (it would silently mean the current directory)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("is an empty path; give a path (. for the current directory)")
    if "\0" in value:
        raise argparse.ArgumentTypeError("is a path with a NUL character")
    return value


def ids_arg(value: str) -> str:
    """Item ids or section numbers, comma-separated: at least one (`--only ''` never means everything)."""
    if not any(token.strip() for token in value.split(",")):
        raise argparse.ArgumentTypeError("names no item id or section number (e.g. 1.4,9)")
    return value


def _number(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {value!r}")
    return number


def seconds_arg(value: str) -> float:
    """A positive, finite number of seconds (`nan`, `inf`, 0 and negatives are usage errors)."""
    number = _number(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {value!r}")
    return number


def percent_arg(value: str) -> float:
    """A score between 0 and 100 (`nan` and `inf` are usage errors)."""
    number = _number(value)
    if not 0 <= number <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, not {value!r}")
    return number


def add_dir(parser: argparse.ArgumentParser) -> None:
    """The optional project directory and --checklist."""
    parser.add_argument("dir", nargs="?", default=".", type=path_arg, metavar="DIR",
                        help="project directory (default: .)")
    parser.add_argument("--checklist", metavar="FILE", type=path_arg,
                        help="use this checklist file instead of the embedded one")


def say(message: str) -> None:
    """A note for the person at the terminal (stderr), prefixed like every readiness message."""
    print(f"readiness: {message}", file=sys.stderr)


def open_target_noted(args: argparse.Namespace) -> Any:
    """Open the target of `args.dir`, printing the keyring note and store notices once."""
    from readiness_tui.target import open_target

    target = open_target(args.dir, getattr(args, "checklist", None))
    if target.settings.keyring_note and not getattr(args, "quiet", False):
        say(target.settings.keyring_note)
    for notice in target.store.notices:
        say(notice)
    target.store.on_notice = say  # a damaged record met later in the command is said when it is met
    return target


def score_line(target: Any, record: Any) -> str:
    """`score 87.5% (nearly)` of a record."""
    from readiness_tui.reports import build_report

    s = build_report(target.checklist, record, target.project).score
    return f"score {s.percent:.1f}% ({s.band})"
