"""`readiness demo`: the wizard (or the headless report) on a built-in sample target."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from readiness_tui.commands._util import path_arg, percent_arg
from readiness_tui.errors import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    from readiness_tui.demo import Demo

NAME = "demo"
ORDER = 5
HELP = "try the tool on a built-in sample project with running services (removed on exit)"
DESCRIPTION = (
    "Create a sample project in a temporary directory (a git repository with .env, Streamlit config, "
    "migrations, docs, a deploy script and a few deliberate problems), start a sample backend and "
    "frontend on free loopback ports, and open the wizard on it. Everything stops and is removed on "
    "exit (Ctrl+C and SIGTERM included) unless --keep. --headless prints the report instead and exits "
    "like `readiness check`: 0 when the score is at least --fail-under, else 1."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--headless", action="store_true", help="print the report instead of opening the wizard")
    parser.add_argument("--serve", action="store_true",
                        help="only create the project and run the services until Ctrl+C (to try other commands)")
    parser.add_argument("--keep", action="store_true", help="keep the sample project's directory and print its path")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="headless report format (default text)")
    parser.add_argument("--fail-under", type=percent_arg, default=90.0, metavar="N",
                        help="headless: exit 1 when the score is below N (default 90)")
    parser.add_argument("--parent", metavar="DIR", type=path_arg, help="create the temporary directory inside DIR")


def _headless(path: str, fmt: str, fail_under: float) -> int:
    import asyncio

    from readiness_tui.reports import build_report, render
    from readiness_tui.target import open_target, run_items

    target = open_target(path)
    asyncio.run(run_items(target, target.checklist.items, full=True))
    report = build_report(target.checklist, target.store.load(), target.project)
    sys.stdout.write(render(report, fmt, target.redactor))
    sys.stdout.flush()
    return EXIT_OK if report.score.percent >= fail_under else EXIT_FAILED


def _serve(demo: Demo) -> int:
    import signal

    try:  # the signal that stops --serve may come at any moment once the lines below are out
        print(f"demo project: {demo.path}", flush=True)
        print(f"backend:      {demo.services.backend_url}", flush=True)
        print(f"frontend:     {demo.frontend_url}", flush=True)
        print(f"try:          readiness check {demo.path}   ·   readiness deploy backup {demo.path}", flush=True)
        print("press Ctrl+C to stop the services and remove the project", flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        return EXIT_OK


def _wizard(demo: Demo) -> int:
    """The wizard on the demo. When the terminal goes away the wizard ends the process itself
    (within 2 s, whatever it was doing): it stops the services and removes the directory first."""
    from readiness_tui.screens.app import run_app

    return int(run_app(str(demo.path), cleanup=demo.abandon) or 0)


def run(args: argparse.Namespace) -> int:
    from readiness_tui.demo import Demo, isolate_environment, signals_interrupt
    headless = args.headless
    if not headless and not args.serve:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            print("readiness: no terminal attached; showing the headless report instead", file=sys.stderr)
            headless = True
    isolate_environment()
    print("readiness: starting the demo target…", file=sys.stderr, flush=True)
    demo = Demo(keep=args.keep, parent=args.parent)
    try:
        with signals_interrupt(), demo:
            print(f"readiness: demo project {demo.path}; backend {demo.services.backend_url}, "
                  f"frontend {demo.frontend_url} (services pid {demo.services.pid}"
                  + (f", Streamlit pids {demo.app.pid} {demo.degraded.pid})" if demo.app and demo.degraded else ")"),
                  file=sys.stderr, flush=True)
            if demo.app is None:
                print("readiness: Streamlit is not installed, so the demo's frontend is a stand-in and the browser "
                      "items have no dashboard to look at (scripts/setup.sh installs it)", file=sys.stderr, flush=True)
            if args.serve:
                return _serve(demo)
            if headless:
                return _headless(str(demo.path), args.format, args.fail_under)
            return _wizard(demo)
    finally:
        if args.keep and demo.path is not None:
            print(f"readiness: kept the demo project in {demo.path} (its services are stopped)", file=sys.stderr)
