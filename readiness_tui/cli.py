"""The `readiness` command line.

Subcommands live in `readiness_tui/commands/`, one module each, discovered at start-up. A
command module defines NAME, HELP, ORDER, `add_arguments(parser)` and `run(args) -> int`; it
imports nothing heavy at module level (`readiness --help` and `readiness check` never import
textual, httpx, docker or supabase).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from types import ModuleType

from readiness_tui import __version__
from readiness_tui.errors import EXIT_OK, EXIT_USAGE, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _commands() -> list[ModuleType]:
    import readiness_tui.commands as package

    modules = [importlib.import_module(f"readiness_tui.commands.{m.name}")
               for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.NAME))


def _add_verbosity(parser: argparse.ArgumentParser) -> None:
    """-q / -v on a parser and on every parser below it (so they work before or after any word)."""
    names = {option for action in parser._actions for option in action.option_strings}
    if "--quiet" not in names:
        parser.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                            help="print only results and errors (no notes, progress or summary)")
    if "--verbose" not in names:
        parser.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                            help="say more on stderr: each finished item, what was read and written")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _add_verbosity(sub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _Parser(
        prog="readiness",
        description="Production-readiness wizard: runs the deployment checklist against a project. "
        "Without a command, opens the wizard on the current directory (= readiness tui .).",
    )
    parser.add_argument("--version", action="version", version=f"readiness-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _commands():
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP))
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    _add_verbosity(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `readiness` and `python -m readiness_tui`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `readiness [-q|-v] [options]` without a command opens the wizard; `readiness -v check` is check.
    rest = [a for a in argv if a not in ("-q", "--quiet", "--verbose") and not (a[:2] == "-v" and set(a[1:]) == {"v"})]
    if not rest or (rest[0].startswith("-") and rest[0] not in ("-h", "--help", "--version")):
        argv = ["tui", *argv]
    args = parser.parse_args(argv)
    from readiness_tui.commands import _util

    _util.configure(args)
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args._run(args))
    except UsageError as exc:
        print(f"readiness: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("readiness: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
