"""`readiness tui [DIR]`: the wizard (also what a bare `readiness` runs)."""

from __future__ import annotations

import argparse

NAME = "tui"
ORDER = 5
HELP = "open the wizard on a project (the default command)"
DESCRIPTION = (
    "Open the interactive wizard on a project: every automated check starts in the background, "
    "results stream in, and every decision and sign-off is written to <DIR>/.readiness/ at once. "
    "Reopening resumes the run."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="project directory (default: .)")
    parser.add_argument("--checklist", metavar="FILE", help="use this checklist file instead of the embedded one")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.screens.app import run_app

    return run_app(args.dir, args.checklist)
