"""`readiness deployment FIELD VALUE --by NAME`: the sign-off block's deployment fields."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir
from readiness_tui.errors import EXIT_OK
from readiness_tui.identity import login_name

NAME = "deployment"
ORDER = 41
HELP = "record a deployment field (e.g. 'Deployed By'), or list them without arguments"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("field", nargs="?", metavar="FIELD", help="e.g. 'Deployment Date' (case-insensitive)")
    parser.add_argument("value", nargs="?", metavar="VALUE", help="the value to record")
    add_dir(parser)
    parser.add_argument("--by", default=login_name(), metavar="NAME", help="who records it (default: your login)")
    parser.add_argument("--ssh-key", metavar="PATH", help="sign the entry with this SSH key")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from readiness_tui.commands._util import open_target_noted
    from readiness_tui.errors import UsageError
    from readiness_tui.signoff import deployment_states, set_deployment_field

    if args.field is not None and args.value is None and args.dir == "." and Path(args.field).is_dir():
        args.dir, args.field = args.field, None  # `readiness deployment DIR` lists the fields of DIR
    target = open_target_noted(args)
    if args.field is not None and args.value is None:
        raise UsageError("give FIELD and VALUE (or neither, to list the fields)")
    if args.field is not None:
        set_deployment_field(target, args.field, args.value, args.by, ssh_key=args.ssh_key)
    states = {s["field"]: s for s in deployment_states(target, target.store.load())}
    for name in target.checklist.deployment_fields:
        s = states.get(name)
        if s is None:
            print(f"{name}: (not recorded)")
        else:
            print(f"{name}: {s['value']} (by {s['by']} at {s['at']} — {s['state']})")
    return EXIT_OK
