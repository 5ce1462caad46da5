"""Where a report goes with `--output`: written so that nothing but the report path is ever replaced.

- a regular file, or nothing yet: written to a temporary file beside it and renamed over it (a reader
  never sees half a report; the file keeps its mode; a symlink is followed and stays a symlink);
- a character device or a FIFO (`/dev/null`, a pipe someone reads): written through, never replaced;
- `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` (also through symlinks): written to that open descriptor, so
  `--output /dev/stdout > out.txt` appends to out.txt itself;
- anything else (a directory, a socket, a block device) is refused, and so is any path inside a
  `.readiness/` directory (the run record, its history and backups), links resolved.

Every failure, before the run or while writing, is one line naming the path (UsageError, exit 2).
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from readiness_tui.errors import UsageError
from readiness_tui.fileio import kind_of
from readiness_tui.store import STATE_DIR, Store, atomic_write

_FD_PATH = re.compile(r"^/(?:dev/(?P<name>stdout|stderr)|dev/fd/(?P<n>\d+)|proc/self/fd/(?P<m>\d+))$")
_STD_FDS = {"stdout": 1, "stderr": 2}


@dataclass(frozen=True)
class Plan:
    """How a report reaches its `--output` path."""

    how: str
    """`fd` (an open descriptor), `through` (open and write a device or FIFO) or `replace` (temp and rename)."""
    path: Path
    """The resolved path (links followed) for `through` and `replace`."""
    fd: int = -1


def _fd_of(path: str) -> int | None:
    match = _FD_PATH.match(os.path.normpath(path))
    if not match:
        return None
    if match["name"]:
        return _STD_FDS[match["name"]]
    return int(match["n"] or match["m"])


def _follow(path: str) -> tuple[str, int | None]:
    """Follow symlinks one by one (so a link to /dev/stdout is seen as such); (final path, descriptor or None)."""
    current = os.path.abspath(path)
    for _ in range(40):
        fd = _fd_of(current)
        if fd is not None:
            return current, fd
        if not os.path.islink(current):
            return os.path.realpath(current), None
        target = os.readlink(current)
        current = os.path.normpath(os.path.join(os.path.dirname(current), target))
    raise UsageError(f"--output {path}: too many levels of symbolic links")


def plan(path: str, store: Store | None = None) -> Plan:
    """How `path` would be written; UsageError (one line) when it must not or cannot be."""
    fail = f"--output {path}:"
    if not path.strip():
        raise UsageError(f"{fail} an empty path")
    try:
        final, fd = _follow(path)
    except OSError as exc:
        raise UsageError(f"{fail} cannot resolve it ({exc.strerror})") from None
    if fd is not None:
        try:
            os.fstat(fd)
        except OSError:
            raise UsageError(f"{fail} descriptor {fd} is not open") from None
        return Plan("fd", Path(final), fd)
    real = Path(final)
    state_dirs = [Path(os.path.realpath(store.dir))] if store is not None else []
    if STATE_DIR in real.parts or any(real == d or d in real.parents for d in state_dirs):
        raise UsageError(f"{fail} inside a {STATE_DIR}/ directory (the run record, its history and backups); "
                         "write the report somewhere else")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f"{fail} cannot use it ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISREG(st.st_mode):
            return Plan("replace", real)
        if stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            return Plan("through", real)
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{fail} is a directory; give a file name")
        raise UsageError(f"{fail} is {kind_of(st.st_mode)}: not a regular file, character device or FIFO")
    parent = real.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the directories still to create go under the nearest existing one
    if not parent.is_dir():
        raise UsageError(f"{fail} {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{fail} cannot write in {parent} (permission denied)")
    return Plan("replace", real)


def check_output_path(path: str, store: Store | None = None) -> None:
    """UsageError unless a report can be written to `path` (checked before a run, so no run is wasted)."""
    plan(path, store)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_output(path: str, text: str, store: Store | None = None) -> None:
    """Write a rendered report to `--output` (see the module docstring); any failure is one line (UsageError)."""
    how = plan(path, store)
    data = text.encode("utf-8")
    try:
        if how.how == "fd":
            for stream in (sys.stdout, sys.stderr):  # what was printed before comes first
                if stream is not None:
                    stream.flush()
            _write_all(how.fd, data)
        elif how.how == "through":
            fd = os.open(how.path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
        else:
            try:
                mode = stat.S_IMODE(os.stat(how.path).st_mode)
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            atomic_write(how.path, data, mode)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write ({exc.strerror or exc})") from None
