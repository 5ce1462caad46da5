"""`readiness init [DIR]`: write a commented starting readiness.toml from what the project shows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from readiness_tui.errors import EXIT_OK

NAME = "init"
ORDER = 5
HELP = "write a commented readiness.toml from what the project shows (URLs, container, migrations, commands)"
DESCRIPTION = (
    "Look at the project (its .env's public URLs, Docker Compose files, migrations, log and backup "
    "directories, test and validation scripts) without running anything, and write a commented "
    "readiness.toml to review. Never writes a secret. Refuses to replace an existing readiness.toml "
    "unless --force; --stdout prints it instead."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="project directory (default: .)")
    parser.add_argument("--force", action="store_true", help="replace an existing readiness.toml")
    parser.add_argument("--stdout", action="store_true", help="print the file instead of writing it")


def run(args: argparse.Namespace) -> int:
    from readiness_tui.commands._util import detail, say
    from readiness_tui.errors import UsageError
    from readiness_tui.initconfig import discover, render
    from readiness_tui.settings import CONFIG_FILE, load_settings
    from readiness_tui.store import atomic_write

    project = Path(args.dir).expanduser()
    if not project.is_dir():
        raise UsageError(f"{project}: not a directory")
    project = project.resolve()
    target = project / CONFIG_FILE
    if target.exists() and not (args.force or args.stdout):
        raise UsageError(f"{target} exists; --force replaces it, --stdout prints a new one")
    found = discover(project)
    text = render(found, project)
    if args.stdout:
        sys.stdout.write(text)
        return EXIT_OK
    backup = target.read_bytes() if target.exists() else None
    atomic_write(target, text.encode("utf-8"))
    try:
        load_settings(project, environ={})  # what init writes must load (else put the old file back)
    except UsageError:
        if backup is not None:
            atomic_write(target, backup)
        else:
            target.unlink()
        raise
    say(f"wrote {target}: {len(found.target)} setting(s) and {len(found.commands)} command(s) found; review it")
    detail("found: " + ", ".join(f"{k} ({f.where})" for k, f in {**found.target, **found.commands}.items()))
    return EXIT_OK
