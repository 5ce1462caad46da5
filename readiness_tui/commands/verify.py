"""`readiness verify REPORT.json`: check a JSON report's sign-offs from the report alone."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import path_arg
from readiness_tui.errors import EXIT_FAILED, EXIT_OK

NAME = "verify"
ORDER = 42
HELP = "recompute a JSON report's digest and check every sign-off (exit 1 if any is stale or invalid)"
DESCRIPTION = (
    "Recompute the digest of the results and decisions in a JSON report (readiness report --format json) "
    "and check every sign-off and deployment field against it, and SSH signatures against an "
    "allowed_signers file. Exit 0 when the report is intact and all are valid, 1 otherwise, 2 for bad input."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report", metavar="REPORT.json", type=path_arg)
    parser.add_argument("--allowed-signers", metavar="FILE", type=path_arg,
                        help="ssh-keygen allowed_signers file (principal = the signer's --name)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from readiness_tui import fileio
    from readiness_tui.attestation import verify_report
    from readiness_tui.errors import UsageError

    path = Path(args.report)
    try:
        data = fileio.parse_json(fileio.read_bytes(path, fileio.MAX_RECORD, "a JSON report"), path, "a JSON report")
    except fileio.FileMissing:
        raise UsageError(f"{path}: cannot read (no such file)") from None
    if args.allowed_signers is not None and not Path(args.allowed_signers).is_file():
        raise UsageError(f"{args.allowed_signers}: no such allowed_signers file")
    result = verify_report(data, args.allowed_signers)
    if result["altered"]:
        print(f"report: ALTERED — its contents hash to {result['digest']}, but it records {result['recorded']}")
    elif result["recorded"] is None:
        print(f"report: no recorded digest; contents hash to {result['digest']}")
    else:
        print(f"report: intact ({result['digest']})")
    bad = []
    for s in result["signoffs"]:
        role, name, at, state, reason = (_field(s, k) for k in ("role", "name", "at", "state", "reason"))
        print(f"sign-off {role} by {name} at {at}: {state} — {reason}")
        if s.get("state") != "valid":
            bad.append(f"{role} ({name}): {state}")
    for s in result["deployment"]:
        field, value, by, state, reason = (_field(s, k) for k in ("field", "value", "by", "state", "reason"))
        print(f"deployment field {field} = {value} by {by}: {state} — {reason}")
        if s.get("state") != "valid":
            bad.append(f"{field}: {state}")
    if not result["signoffs"]:
        print("no sign-offs in this report")
    if result["ok"]:
        print("verified: all sign-offs valid")
        return EXIT_OK
    print("NOT verified: " + ("; ".join(bad) if bad else "the report was altered"))
    return EXIT_FAILED


def _field(entry: dict[str, object], key: str) -> str:
    """One field of a sign-off or deployment entry as one line ("?" when the report lacks it)."""
    from readiness_tui.neutral import one_line

    value = entry.get(key)
    return "?" if value is None or value == "" else one_line(value, 200)
