"""`readiness verify REPORT.json`: check a JSON report's sign-offs from the report alone."""

from __future__ import annotations

import argparse

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
    parser.add_argument("report", metavar="REPORT.json")
    parser.add_argument("--allowed-signers", metavar="FILE",
                        help="ssh-keygen allowed_signers file (principal = the signer's --name)")


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from readiness_tui.attestation import verify_report
    from readiness_tui.errors import UsageError

    path = Path(args.report)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a JSON report ({str(exc).splitlines()[0]})") from None
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
        print(f"sign-off {s['role']} by {s['name']} at {s['at']}: {s['state']} — {s['reason']}")
        if s["state"] != "valid":
            bad.append(f"{s['role']} ({s['name']}): {s['state']}")
    for s in result["deployment"]:
        print(f"deployment field {s['field']} = {s['value']} by {s['by']}: {s['state']} — {s['reason']}")
        if s["state"] != "valid":
            bad.append(f"{s['field']}: {s['state']}")
    if not result["signoffs"]:
        print("no sign-offs in this report")
    if result["ok"]:
        print("verified: all sign-offs valid")
        return EXIT_OK
    print("NOT verified: " + ("; ".join(bad) if bad else "the report was altered"))
    return EXIT_FAILED
