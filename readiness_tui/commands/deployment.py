"""`readiness deployment FIELD VALUE --by NAME`: the sign-off block's deployment fields."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir
from readiness_tui.errors import EXIT_OK

NAME = "deployment"
ORDER = 41
HELP = "record a deployment field (e.g. 'Deployed By'), or list them without arguments"
DESCRIPTION = (
    "Record one of the sign-off block's deployment fields, checked against its type: a date "
    "(YYYY-MM-DD), a time (HH:MM[:SS], optionally UTC or ±HH:MM), yes/no, a person's name or text. "
    "--by names who records it (asked for at a terminal when not given; never taken from the login). "
    "Without FIELD and VALUE, list the fields with who recorded them and their state."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("field", nargs="?", metavar="FIELD", help="e.g. 'Deployment Date' (case-insensitive)")
    parser.add_argument("value", nargs="?", metavar="VALUE", help="the value to record")
    add_dir(parser)
    parser.add_argument("--by", metavar="NAME", help="who records it (required; asked for at a terminal)")
    parser.add_argument("--ssh-key", metavar="PATH", help="sign the entry with this SSH key")


def _ask_name() -> str:
    """Ask the person at the terminal who records the field; UsageError when there is no terminal."""
    import sys

    from readiness_tui.errors import UsageError

    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UsageError("--by NAME is required: who records this field (it is not taken from the login)")
    print("Recorded by (your name): ", end="", file=sys.stderr, flush=True)
    try:
        return sys.stdin.readline().strip()
    except (KeyboardInterrupt, EOFError):
        raise UsageError("no name given; nothing recorded") from None


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from readiness_tui.commands._util import open_target_noted
    from readiness_tui.errors import UsageError
    from readiness_tui.neutral import one_line
    from readiness_tui.signoff import deployment_field, deployment_states, set_deployment_field

    if args.field is not None and args.value is None and args.dir == "." and Path(args.field).is_dir():
        args.dir, args.field = args.field, None  # `readiness deployment DIR` lists the fields of DIR
    target = open_target_noted(args)
    if args.field is not None and args.value is None:
        raise UsageError("give FIELD and VALUE (or neither, to list the fields)")
    if args.field is not None:
        deployment_field(target, args.field)  # an unknown field is reported before anyone is asked a name
        by = args.by if args.by is not None else _ask_name()
        set_deployment_field(target, args.field, args.value, by, ssh_key=args.ssh_key)
    states = {s["field"]: s for s in deployment_states(target, target.store.load())}
    for name in target.checklist.deployment_fields:
        s = states.get(name)
        if s is None:
            print(f"{name}: (not recorded)")
        else:
            print(f"{name}: {one_line(s.get('value'), 200)} (by {one_line(s.get('by'), 120)} at "
                  f"{one_line(s.get('at'))} — {s['state']})")
    return EXIT_OK
