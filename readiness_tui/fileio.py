"""Reading files anyone may have pointed anywhere: bounded, never blocking, one line when wrong.

Every file the tool parses (the checklist, `readiness.toml`, `.env`, a JSON report, the run record,
migrations, logs, cron files) may be a FIFO that never ends, `/dev/zero`, a sparse file of
gigabytes, or a structure nested thousands deep. The readers here open without blocking
(`O_NONBLOCK`: opening a FIFO returns at once), refuse anything but a regular file, refuse a file
larger than the reader's cap before reading it, and bound nesting, so a bad file costs one line
(`FILE: what` or `FILE:LINE: what`) and never a hang, a MemoryError or a RecursionError.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from readiness_tui.errors import UsageError

KB, MB = 1024, 1024 * 1024
#: Caps by kind of file (bytes). Generous for anything a person writes; far below what would hurt.
MAX_CONFIG = 1 * MB
"""readiness.toml, .streamlit/config.toml, cron files, allowed_signers."""
MAX_CHECKLIST = 4 * MB
MAX_ENV = 32 * MB
MAX_RECORD = 64 * MB
"""The run record, a history file, a JSON report for `verify`."""
MAX_TEXT = 8 * MB
"""Migrations, documents, log files read whole."""
#: Deepest nesting accepted in TOML and JSON (the embedded checklist needs 4; a report about 8).
MAX_DEPTH = 64


class FileProblem(UsageError):
    """A file that cannot be read as asked: special, too large, malformed (one line: `FILE[:LINE]: what`)."""

    def __init__(self, path: str | Path, what: str, line: int | None = None) -> None:
        self.path, self.what, self.line = Path(path), what, line
        super().__init__(f"{path}:{line}: {what}" if line else f"{path}: {what}")


class FileMissing(FileProblem):
    """The file does not exist (callers that treat absence as "not configured" catch this one)."""


class FileUnreadable(FileProblem):
    """The operating system refused the read (permission, I/O error): the file itself may be fine."""


def kind_of(mode: int) -> str:
    """What a file of this st_mode is, in words (`a FIFO`, `a directory`, …)."""
    for test, words in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return words
    return "a special file"


def size_text(n: int) -> str:
    """`3.0 GB`, `12 kB`: a size for a message."""
    if n >= 10**9:
        return f"{n / 10**9:.1f} GB"
    if n >= 10**6:
        return f"{n / 10**6:.1f} MB"
    return f"{max(1, round(n / 1000))} kB"


def read_bytes(path: str | Path, limit: int, what: str = "a file", cut: bool = False) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; FileProblem otherwise.

    With `cut`, a longer file is not refused: its first `limit` bytes are returned (a log, a document).
    Opened with O_NONBLOCK so that a FIFO (or a device) is seen for what it is instead of blocking the
    open, then checked with fstat on the open descriptor (no race between the check and the read).
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileMissing(path, "no such file") from None
    except OSError as exc:
        raise FileUnreadable(path, f"cannot read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileProblem(path, f"not a regular file ({kind_of(st.st_mode)}); {what} must be a file")
        if st.st_size > limit and not cut:
            raise FileProblem(path, f"too large ({size_text(st.st_size)}; {what} is at most {size_text(limit)})")
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 * MB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            if not cut:  # it grew while being read
                raise FileProblem(path, f"too large (over {size_text(limit)}; {what} is at most {size_text(limit)})")
            data = data[:limit]
        return data
    except OSError as exc:
        raise FileUnreadable(path, f"cannot read ({exc.strerror})") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, limit: int, what: str = "a file", strict: bool = False, cut: bool = False) -> str:
    """`read_bytes` decoded as UTF-8: undecodable bytes replaced, or with `strict` a `FILE:LINE` error."""
    raw = read_bytes(path, limit, what, cut=cut)
    if not strict:
        return raw.decode("utf-8", "replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileProblem(path, "not valid UTF-8 (save the file as UTF-8)", line) from None


def depth(value: Any) -> int:
    """How deeply lists and dicts nest in `value` (iterative: safe on any depth)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _too_deep(source: str | Path, line: int | None = None) -> FileProblem:
    return FileProblem(source, f"nested too deeply (more than {MAX_DEPTH} levels of arrays or tables)", line)


def parse_json(raw: bytes, source: str | Path, what: str = "JSON") -> Any:
    """Parse JSON bytes with nesting bounded; FileProblem(`FILE:LINE: …`) when malformed."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileProblem(source, "not valid UTF-8", line) from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise _too_deep(source) from None
    except json.JSONDecodeError as exc:
        raise FileProblem(source, f"not {what} ({exc.msg})", exc.lineno) from None
    if depth(data) > MAX_DEPTH:
        raise _too_deep(source)
    return data


def read_json(path: str | Path, limit: int = MAX_RECORD, what: str = "a JSON file") -> Any:
    """A JSON file, bounded in size and nesting."""
    return parse_json(read_bytes(path, limit, what), path)


_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)|\s*\(at end of document\)")


def parse_toml(raw: bytes | str, source: str | Path) -> dict[str, Any]:
    """Parse TOML with nesting bounded; FileProblem(`FILE:LINE: …`) when malformed."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise FileProblem(source, "not valid UTF-8 (save the file as UTF-8)", line) from None
    else:
        text = raw
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise _too_deep(source, _deepest_line(text)) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(match.group(1)) if match else (text.count("\n") + 1 if "end of document" in str(exc) else 1)
        reason = _TOML_AT.sub("", str(exc)) or "invalid TOML"
        raise FileProblem(source, f"invalid TOML: {reason}", line) from None
    if depth(data) > MAX_DEPTH:
        raise _too_deep(source, _deepest_line(text))
    return data


def _deepest_line(text: str) -> int:
    """The line where bracket nesting (outside strings, roughly) is deepest: where to look in a too-deep file."""
    level = best = 0
    best_line = line = 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "[{":
            level += 1
            if level > best:
                best, best_line = level, line
        elif ch in "]}":
            level = max(0, level - 1)
    return best_line


def read_toml(path: str | Path, limit: int = MAX_CONFIG, what: str = "a TOML file") -> dict[str, Any]:
    """A TOML file, bounded in size and nesting."""
    return parse_toml(read_bytes(path, limit, what), path)


#: Filesystems whose "files" are the kernel's state, never anybody's data (their mount points are skipped by walks).
PSEUDO_FILESYSTEMS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "debugfs", "tracefs", "pstore",
    "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "binfmt_misc", "autofs", "efivarfs", "selinuxfs",
    "rpc_pipefs", "nsfs", "ramfs", "fuse.gvfsd-fuse", "fuse.lxcfs",
})


def pseudo_mounts() -> set[str]:
    """Mount points of the pseudo filesystems (/proc, /sys, /dev, …) from /proc/self/mountinfo (empty elsewhere)."""
    found: set[str] = set()
    try:
        text = read_text("/proc/self/mountinfo", MAX_TEXT, "the mount table")
    except UsageError:
        return found
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if len(fields) >= 5 and after and after[0] in PSEUDO_FILESYSTEMS:
            found.add(fields[4].replace("\\040", " "))
    return found


def walk_files(root: Path, limit: int) -> Iterator[tuple[Path, os.stat_result]]:
    """Regular files under `root` with their stat (symlinks not followed), at most `limit` of them.

    Pseudo filesystems mounted inside (`/proc`, `/sys`, `/dev`, …) are not entered, so a walk of `/`
    meets files, not the kernel's state; unreadable directories are skipped.
    """
    skip = pseudo_mounts() - {os.path.realpath(root)}
    seen = 0
    for dirpath, dirs, names in os.walk(root):
        if skip:
            dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(dirpath, d)) not in skip]
        for name in names:
            path = Path(dirpath) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            seen += 1
            if seen > limit:
                return
            yield path, st
