"""`readiness credentials set|get|delete|list`: secrets in the OS keyring, never in a file."""

from __future__ import annotations

import argparse
import sys

from readiness_tui.commands._util import add_dir
from readiness_tui.errors import EXIT_FAILED, EXIT_OK

NAME = "credentials"
ORDER = 50
HELP = "store, show (masked), delete or list the project's credentials in the OS keyring"
DESCRIPTION = (
    "Credentials are looked up in this order: the process environment, the OS keyring (one service "
    "per project), readiness.toml, the project's .env. Values are never printed: `get` shows a masked "
    "preview and `list` only where each name is found. Without an OS keyring (the usual state of an SSH "
    "session or a CI job) secrets come from the environment and .env only; to get one, run inside "
    "`dbus-run-session` after `gnome-keyring-daemon --unlock`, or set PYTHON_KEYRING_BACKEND to a backend "
    "you trust."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("set", help="store a credential (hidden prompt, or stdin when not a terminal)")
    p.add_argument("name", metavar="NAME", help="e.g. SUPABASE_KEY")
    add_dir(p)
    p = sub.add_parser("get", help="show where a credential comes from and a masked preview")
    p.add_argument("name", metavar="NAME")
    add_dir(p)
    p.add_argument("--masked", action="store_true", default=True,
                   help="show a masked preview (always: values are never printed)")
    p = sub.add_parser("delete", help="remove a credential from the keyring")
    p.add_argument("name", metavar="NAME")
    add_dir(p)
    p = sub.add_parser("list", help="every credential name and where it is found (never values)")
    add_dir(p)


#: Longest credential accepted on standard input (a key or a URL; far below anything that would hurt).
MAX_VALUE = 65536


def _read_value(name: str) -> str:
    from readiness_tui.errors import UsageError

    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        value = getpass.getpass(f"{name} (input hidden): ")
    else:
        value = sys.stdin.read(MAX_VALUE + 1) if sys.stdin is not None else ""  # bounded: stdin may be endless
        if len(value) > MAX_VALUE:
            raise UsageError(f"the value of {name} on standard input is longer than {MAX_VALUE} characters")
        value = value.removesuffix("\n").removesuffix("\r")
    if not value.strip():
        raise UsageError(f"no value given for {name}")
    if "\n" in value:
        raise UsageError(f"the value of {name} spans several lines; give one line")
    return value


def run(args: argparse.Namespace) -> int:
    import os

    from readiness_tui.commands._util import say
    from readiness_tui.credentials import Keyring, check_name, locate, service_for
    from readiness_tui.redact import preview
    from readiness_tui.settings import SECRET_NAMES, load_settings

    settings = load_settings(args.dir)
    keyring = Keyring(service_for(settings.project_dir))
    if args.action == "set":
        name = check_name(args.name)
        keyring.set(name, _read_value(name))
        print(f"stored {name} in the OS keyring ({keyring.backend_name()}, service {keyring.service!r})")
        if os.environ.get(name):
            say(f"{name} is also set in the environment, which takes precedence over the keyring")
        return EXIT_OK
    if args.action == "delete":
        name = check_name(args.name)
        if keyring.delete(name):
            print(f"deleted {name} from the OS keyring (service {keyring.service!r})")
            return EXIT_OK
        print(f"{name} is not in the OS keyring (service {keyring.service!r})")
        return EXIT_FAILED
    if args.action == "get":
        name = check_name(args.name)
        found = locate(settings, name, keyring)
        if keyring.note:
            say(keyring.note)
        if found.value is None:
            print(f"{name} is not set (looked in: environment, keyring, readiness.toml, .env)")
            return EXIT_FAILED
        also = f"; also in {', '.join(found.sources[1:])}" if len(found.sources) > 1 else ""
        print(f"{name}: {preview(found.value)} from {found.used}{also}")
        return EXIT_OK
    names = list(SECRET_NAMES)
    rows = [locate(settings, n, keyring) for n in names]
    if keyring.note:
        say(keyring.note)
    else:
        print(f"keyring: {keyring.backend_name()}, service {keyring.service!r}")
    width = max(len(n) for n in names)
    for found in rows:
        where = found.used
        if len(found.sources) > 1:
            where += f" (also {', '.join(found.sources[1:])})"
        print(f"{found.name:<{width}}  {where}")
    return EXIT_OK
