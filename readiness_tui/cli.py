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
import re
import shlex
import sys
import time
from types import ModuleType
from typing import Any, NoReturn

from readiness_tui import __version__
from readiness_tui.errors import EXIT_OK, EXIT_USAGE, UsageError
from readiness_tui.neutral import one_line


class _Parser(argparse.ArgumentParser):
    """argparse with options and positionals in any order, and usage errors on one line (exit 2)."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override] # typeshed's overloads only refine the namespace type
            self, args: Any = None, namespace: Any = None) -> tuple[argparse.Namespace, list[str]]:
        # `readiness confirm 5.4 --by NAME DIR`: plain argparse fills the optional DIR with nothing when an
        # option follows ITEM, then rejects DIR. Intermixed parsing takes the options first, then the
        # positionals, wherever they stand (the level holding the subcommands parses as usual).
        if self._intermixing or self._subparsers is not None:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return super().parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False

    def parse_args(  # type: ignore[override] # as parse_known_args above
            self, args: Any = None, namespace: Any = None) -> argparse.Namespace:
        # Words no parser took are reported by the command they were given to (`readiness sign: unrecognized
        # arguments: --by Ann`, pointing at `readiness sign --help`), an empty one visibly as ''.
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            _innermost(self, parsed).error(f"unrecognized arguments: {shlex.join(extras)}")
        return parsed

    def error(self, message: str) -> NoReturn:
        message = re.sub(r"^argument ([^:]+): (is|must|names) ", r"\1 \2 ", message)
        command = self.prog.removeprefix("readiness").strip()
        where = f"{command}: " if command else ""
        raise UsageError(f"{where}{message} (see `{self.prog} --help`)")


def _innermost(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)command parser `parsed` went through last: `readiness secrets scan`'s for `secrets scan …`."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(parsed, action.dest, None) or "")
            if chosen is not None:
                return _innermost(chosen, parsed)
    return parser


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
    # `check --timeout T` ends by about T + 2 s after this, the interpreter's start-up included when this is
    # the process's own command (called with arguments, main() runs inside a longer-lived process).
    started = _process_start() if argv is None else time.monotonic()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # `readiness [-q|-v] [options]` without a command opens the wizard; `readiness -v check` is check.
    rest = [a for a in argv if a not in ("-q", "--quiet", "--verbose") and not (a[:2] == "-v" and set(a[1:]) == {"v"})]
    if not rest or (rest[0].startswith("-") and rest[0] not in ("-h", "--help", "--version")):
        argv = ["tui", *argv]
    try:
        args = parser.parse_args(argv)
        args._started = started
        from readiness_tui.commands import _util

        _util.configure(args)
        if not getattr(args, "_run", None):
            parser.print_help()
            return EXIT_USAGE
        code = int(args._run(args))
        sys.stdout.flush()
        return code
    except UsageError as exc:
        print(f"readiness: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("readiness: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _detach_stdout()
        return EXIT_OK
    except OSError as exc:
        # A filesystem error no layer above named (permission, full disk, read-only mount): one line with the
        # path, never a traceback.
        if _is_stdout_error(exc):
            _detach_stdout()
            print(f"readiness: cannot write to standard output ({exc.strerror or exc})", file=sys.stderr)
        else:
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"readiness: {where}{exc.strerror or one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


def _process_start() -> float:
    """`time.monotonic()` at which this process started (Linux /proc), or now where that cannot be read."""
    import os

    now = time.monotonic()
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return now
    return now - age if 0 <= age < 60 else now


def _is_stdout_error(exc: OSError) -> bool:
    """True when `exc` came from writing standard output: it names no file and is a write error (a full
    device, an I/O error), or stdout still cannot be flushed."""
    import errno

    if exc.filename is not None or sys.stdout is None:
        return False
    if exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EPIPE):
        return True
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        return True
    return False


def _detach_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's own flush at exit cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
