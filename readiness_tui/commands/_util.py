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


#: -1 with -q (results and errors only), 0 by default, 1 with -v (and more with -vv).
_verbosity = 0
_said: set[str] = set()


def configure(args: argparse.Namespace) -> None:
    """Read -q / -v (accepted by every command, before or after its name) for say() and detail()."""
    global _verbosity
    _verbosity = -1 if getattr(args, "quiet", False) else int(getattr(args, "verbose", 0) or 0)
    _said.clear()  # "once" is per command (main() may run several in one process: tests, the wizard's CLI calls)


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
    target.store.on_notice = lambda message: say(message, once=True)  # a damaged record met later is said then
    detail(f"project {target.project}; checklist {target.checklist.source}; "
           f"decisions {target.store.decisions_path}")
    return target


def score_line(target: Any, record: Any) -> str:
    """`score 87.5% (nearly)` of a record."""
    from readiness_tui.reports import build_report

    s = build_report(target.checklist, record, target.project).score
    return f"score {s.percent:.1f}% ({s.band})"


def shown(target: Any, value: object, limit: int = 300) -> str:
    """Outside text (a name, note, reason, summary) for a terminal line: redacted, one line, controls visible."""
    from readiness_tui.neutral import one_line

    return one_line(target.redactor.text(str(value)), limit)


def warn_stale(target: Any, record: Any) -> None:
    """Say, before a decision is written, which valid sign-offs it will make stale."""
    from readiness_tui.signoff import would_stale

    if record.signoffs:
        valid = would_stale(target, record)
        if valid:
            say(f"this changes a decision, so the sign-off{'s' if len(valid) > 1 else ''} of "
                f"{', '.join(shown(target, v) for v in valid)} will be stale: sign again afterwards")


def say_newly_stale(target: Any, valid_before: list[str]) -> None:
    """After a run: name the sign-offs that were valid before it and are not any more (a verdict changed)."""
    from readiness_tui.signoff import signoff_states

    if not valid_before:
        return
    for state in signoff_states(target, target.store.load()):
        label = f"{state['role']} ({state['name']})"
        if label in valid_before and state["state"] != "valid":
            say(f"the sign-off of {shown(target, label)} is now {state['state']}: {shown(target, state['reason'])}")
