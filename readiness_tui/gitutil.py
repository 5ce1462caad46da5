"""Small, fast wrappers around the git command line (no GitPython)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

GIT_TIMEOUT = 20.0


def _git(args: list[str], cwd: Path, timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


@functools.lru_cache(maxsize=64)
def repo_root(path: Path) -> Path | None:
    """The git top-level directory containing `path`, or None outside a repository (or without git)."""
    if shutil.which("git") is None or not path.is_dir():
        return None
    try:
        proc = _git(["rev-parse", "--show-toplevel"], path)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode("utf-8", "replace").strip()).resolve()


def tracked_files(root: Path) -> list[str]:
    """Paths (relative to `root`, posix) of the files git tracks under `root`."""
    proc = _git(["ls-files", "-z", "--cached", "--", "."], root)
    if proc.returncode != 0:
        return []
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def is_tracked(root: Path, relpath: str) -> bool:
    """True when git tracks the file."""
    return _git(["ls-files", "--error-unmatch", "--", relpath], root).returncode == 0


def ignore_rule(root: Path, relpath: str) -> str | None:
    """The `.gitignore` rule ignoring `relpath` ("file:line:pattern"), or None when not ignored."""
    proc = _git(["check-ignore", "-v", "--no-index", "--", relpath], root)
    if proc.returncode != 0:
        return None
    line = proc.stdout.decode("utf-8", "replace").strip()
    rule = line.split("\t", 1)[0] if line else "ignored"
    # -v also reports a matching negation (`!.env.example`): the file is then NOT ignored.
    if rule.rpartition(":")[2].startswith("!"):
        return None
    return rule
