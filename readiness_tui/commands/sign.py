"""`readiness sign --role ROLE --name NAME`: sign off the current results and decisions."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir, path_arg
from readiness_tui.errors import EXIT_OK

NAME = "sign"
ORDER = 40
HELP = "sign off the run as one of the checklist's roles (bound to a digest of the results)"
DESCRIPTION = (
    "Record a sign-off: role, name, time, user@host and the SHA-256 digest of the results and "
    "decisions it approves. Any later change shows it as stale. Below the `ready` band, --override "
    "REASON is required and recorded. --ssh-key signs it with `ssh-keygen -Y sign` (a private key, "
    "or a public key whose private half is in ssh-agent); `readiness verify` checks it."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", required=True, help="e.g. 'Technical Lead', 'Operations Manager', 'Security Review'")
    parser.add_argument("--name", required=True, help="who signs (with --ssh-key: the allowed_signers principal)")
    add_dir(parser)
    parser.add_argument("--override", metavar="REASON", help="sign although the score is below the ready band")
    parser.add_argument("--ssh-key", metavar="PATH", type=path_arg, help="sign with this SSH key (private, or public with ssh-agent)")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.commands._util import open_target_noted
    from readiness_tui.errors import UsageError
    from readiness_tui.neutral import one_line
    from readiness_tui.signoff import sign, signoff_states

    target = open_target_noted(args)
    if not target.store.exists():
        raise UsageError(f"no run recorded in {target.project} yet: run `readiness check` first")
    entry = sign(target, args.role, args.name, override=args.override, ssh_key=args.ssh_key)
    signed = " with an SSH signature" if entry.get("signature") else ""
    override = f"; override: {one_line(entry['override'], 200)}" if entry.get("override") else ""
    print(f"signed as {entry['role']} by {one_line(entry['name'])}{signed}: {entry['digest'][:23]}… "
          f"(score {entry['score']:.1f}%, {entry['band']}{override})")
    for state in signoff_states(target, target.store.load()):
        print(f"  {one_line(state['role'])}: {one_line(state['name'])} {one_line(state['at'])} — {state['state']}")
    return EXIT_OK
