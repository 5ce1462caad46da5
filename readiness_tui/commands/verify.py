"""`readiness verify REPORT.json`: check a JSON report's score and sign-offs from the report alone."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import path_arg
from readiness_tui.errors import EXIT_FAILED, EXIT_OK

NAME = "verify"
ORDER = 42
HELP = "recompute a JSON report's digest and score and check every sign-off (exit 1 on any problem)"
DESCRIPTION = (
    "Recompute the digest of the verdicts and decisions in a JSON report (readiness report --format json) "
    "and its score from its items, check every sign-off's own fields and its digest, SSH signatures "
    "against an allowed_signers file, and name the roles without a sign-off. Exit 0 when the report is "
    "intact and every sign-off is valid (with --allowed-signers: signed by an allowed signer; with "
    "--require-all: one for every role), 1 otherwise, 2 for bad input. Without signatures, verify "
    "detects accidental edits only: see docs/signoff.md."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report", metavar="REPORT.json", type=path_arg)
    parser.add_argument("--allowed-signers", metavar="FILE", type=path_arg,
                        help="ssh-keygen allowed_signers file (principal = the signer's name); "
                             "every sign-off must then be SSH-signed by a key it lists")
    parser.add_argument("--require-all", action="store_true",
                        help="exit 1 unless every role of the checklist has a valid sign-off")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from readiness_tui import fileio
    from readiness_tui.attestation import verify_report
    from readiness_tui.errors import UsageError
    from readiness_tui.neutral import one_line

    path = Path(args.report)
    try:
        data = fileio.parse_json(fileio.read_bytes(path, fileio.MAX_RECORD, "a JSON report"), path, "a JSON report")
    except fileio.FileMissing:
        raise UsageError(f"{one_line(str(path))}: cannot read (no such file)") from None
    if args.allowed_signers is not None and not Path(args.allowed_signers).is_file():
        raise UsageError(f"{one_line(args.allowed_signers)}: no such allowed_signers file")
    result = verify_report(data, args.allowed_signers, require_all=args.require_all)

    def show(value: object) -> str:
        return one_line(value, 300)

    if result["altered"]:
        print("report: ALTERED — " + "; ".join(show(a) for a in result["alterations"]))
    else:
        print(f"report: intact ({result['digest']}; score recomputed from its items)")
    for s in result["signoffs"]:
        role, name, at, state, reason = (_field(s, k) for k in ("role", "name", "at", "state", "reason"))
        print(f"sign-off {role} by {name} at {at}: {state} — {reason}")
    for s in result["deployment"]:
        field, value, by, state, reason = (_field(s, k) for k in ("field", "value", "by", "state", "reason"))
        print(f"deployment field {field} = {value} by {by}: {state} — {reason}")
    if not result["signoffs"]:
        print("no sign-offs in this report")
    if result["unsigned_roles"]:
        print("not signed (no valid sign-off): " + ", ".join(show(r) for r in result["unsigned_roles"]))
    if result["ok"]:
        how = (", each SSH-signed by an allowed signer" if args.allowed_signers else
               " (digest and seals only: without --allowed-signers this detects edits, not forgery)")
        print(f"verified: all sign-offs valid{how}")
        return EXIT_OK
    reasons = [show(p) for p in result["problems"]] or ["the report was altered"]
    print("NOT verified: " + "; ".join(reasons))
    return EXIT_FAILED


def _field(entry: dict[str, object], key: str) -> str:
    """One field of a sign-off or deployment entry as one line ("?" when the report lacks it)."""
    from readiness_tui.neutral import one_line

    value = entry.get(key)
    return "?" if value is None or value == "" else one_line(value, 200)
