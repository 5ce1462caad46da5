"""`readiness init [DIR]`: write a commented starting readiness.toml from what the project shows."""

from __future__ import annotations

import argparse
import os
import stat
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
    from readiness_tui.commands._util import path_arg

    parser.add_argument("dir", nargs="?", default=".", type=path_arg, metavar="DIR",
                        help="project directory (default: .)")
    parser.add_argument("--force", action="store_true", help="replace an existing readiness.toml")
    parser.add_argument("--stdout", action="store_true", help="print the file instead of writing it")


def run(args: argparse.Namespace) -> int:
    from readiness_tui import fileio
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
    # The file replaced is read first (bounded: a FIFO or a device is one line, never waited on or replaced);
    # a symlink is written through and stays a link, and the file keeps its mode.
    real = Path(os.path.realpath(target))
    try:
        backup: bytes | None = fileio.read_bytes(real, fileio.MAX_CONFIG, "readiness.toml")
        mode = stat.S_IMODE(real.stat().st_mode)
        if not mode & 0o222:
            raise UsageError(f"{real}: read-only (mode {mode:04o}); nothing was written. To replace it, make it "
                             f"writable: chmod u+w {real}")
    except fileio.FileMissing:
        backup, mode = None, 0o644
    atomic_write(real, text.encode("utf-8"), mode)
    try:
        load_settings(project, environ={})  # what init writes must load (else put the old file back)
    except UsageError:
        if backup is not None:
            atomic_write(real, backup, mode)
        else:
            real.unlink()
        raise
    say(f"wrote {target}: {len(found.target)} setting(s) and {len(found.commands)} command(s) found; review it")
    detail("found: " + ", ".join(f"{k} ({f.where})" for k, f in {**found.target, **found.commands}.items()))
    return EXIT_OK
