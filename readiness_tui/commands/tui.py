"""`readiness tui [DIR]`: the wizard (also what a bare `readiness` runs)."""

from __future__ import annotations

import argparse

from readiness_tui.commands._util import add_dir

NAME = "tui"
ORDER = 5
HELP = "open the wizard on a project (the default command)"
DESCRIPTION = (
    "Open the interactive wizard on a project: every automated check starts in the background, "
    "results stream in, and every decision and sign-off is written to <DIR>/.readiness/ at once. "
    "Reopening resumes the run."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dir(parser)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from readiness_tui.errors import UsageError

    if not Path(args.dir).expanduser().is_dir():
        raise UsageError(f"{args.dir}: not a directory")
    if not (sys.stdin is not None and sys.stdin.isatty() and sys.stdout is not None and sys.stdout.isatty()):
        # Textual would wait for a terminal that never answers: say what to do instead.
        raise UsageError(f"the wizard needs a terminal (standard input and output are not one); to run headless: "
                         f"readiness check {args.dir} (reports: --format json|markdown|junit)")
    from readiness_tui.screens.app import run_app

    return run_app(args.dir, args.checklist)
