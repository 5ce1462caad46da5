"""The one place git is run: small wrappers around the git command line (no GitPython), made safe.

A project's own git configuration can run programs: `core.fsmonitor` on every index read,
hooks (`core.hooksPath`), filter drivers (`filter.<name>.process`/`clean`/`smudge`), diff drivers
(`diff.<name>.textconv`/`command`, `diff.external`), signature verification (`log.showSignature`
with `gpg.program`), a lazy fetch of a partial clone over `core.sshCommand`. A checkout unpacked
from a tarball or a shared folder must never run code because someone checked it, so every git
command here runs with all of them switched off on the command line (which overrides every
config file), with no pager, no prompt, no optional index writes and no transport at all.

`safe.directory` is kept as git has it, on purpose: a repository owned by another user is not read
(git refuses it), and `refusal()` says so with the command that trusts it, rather than this tool
silently overriding the owner check that exists for exactly these settings.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

GIT_TIMEOUT = 20.0

#: Settings that would run a program, switched off for every command (command-line config wins over files).
_SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.sshCommand=false",
    "core.askPass=false",
    "core.editor=false",
    "core.pager=cat",
    "core.untrackedCache=false",
    "diff.external=",
    "log.showSignature=false",
    "gpg.program=false",
    "gpg.ssh.program=false",
    "gpg.x509.program=false",
    "credential.helper=",
    "protocol.allow=never",
    "fetch.recurseSubmodules=false",
    "submodule.recurse=false",
)
#: Environment for every git command: no prompt, no optional lock/index writes, no lazy fetch, no
#: external diff from the environment either.
_SAFE_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_PAGER": "cat",
    "GIT_ASKPASS": "false",
    "SSH_ASKPASS": "false",
}
_DROP_ENV = ("GIT_EXTERNAL_DIFF", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PROXY_COMMAND", "GIT_CONFIG_PARAMETERS",
             "GIT_CONFIG_COUNT", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_EDITOR")
#: Per-driver settings that run a program (the driver names are the project's own: read from its config).
_DRIVER_KEYS = re.compile(r"^(filter|diff|merge)\.(.+)\.(clean|smudge|process|textconv|command|driver)$")


def _environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env.update(_SAFE_ENV)
    if extra:
        env.update(extra)
    return env


def _git(args: list[str], cwd: Path, timeout: float, drivers: tuple[str, ...] = (),
         env: dict[str, str] | None = None, check: bool = False) -> subprocess.CompletedProcess[bytes]:
    config = [a for setting in _SAFE_CONFIG for a in ("-c", setting)]
    return subprocess.run(["git", "--no-pager", *config, *drivers, *args], cwd=cwd, capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, env=_environ(env), check=check)


@functools.lru_cache(maxsize=64)
def _driver_overrides(cwd: Path) -> tuple[str, ...]:
    """`-c filter.x.process= …` for every program-running driver the repository's config defines."""
    try:
        proc = _git(["config", "--null", "--get-regexp", _DRIVER_KEYS.pattern], cwd, GIT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    out: list[str] = []
    for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        key = entry.split("\n", 1)[0]
        if _DRIVER_KEYS.match(key):
            out += ["-c", f"{key}="]
    return tuple(out)


def run(args: list[str], cwd: Path, timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """Run `git ARGS` in `cwd` with every program-running setting of the repository switched off.

    Raises OSError (no git) and subprocess.TimeoutExpired like subprocess.run.
    """
    return _git(args, cwd, timeout, _driver_overrides(Path(cwd)))


def run_own(args: list[str], cwd: Path, env: dict[str, str] | None = None,
            timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """Run git in a repository this tool created itself (the demo), with the same settings; raises on failure."""
    return _git(args, cwd, timeout, env=env, check=True)


@functools.lru_cache(maxsize=64)
def _top_level(path: Path) -> tuple[Path | None, str]:
    """(the git top-level containing `path` or None, why git refuses to read it or "")."""
    if shutil.which("git") is None or not path.is_dir():
        return None, ""
    try:
        proc = _git(["rev-parse", "--show-toplevel"], path, GIT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None, ""
    if proc.returncode == 0:
        return Path(proc.stdout.decode("utf-8", "replace").strip()).resolve(), ""
    err = proc.stderr.decode("utf-8", "replace")
    if "dubious ownership" not in err:
        return None, ""
    match = re.search(r"repository at '([^']+)'", err)
    where = match.group(1) if match else str(path)
    return None, (f"git refuses to read {where}: the repository is owned by another user (git's safe.directory "
                  f"protection); if you trust it, run `git config --global --add safe.directory {where}`")


def repo_root(path: Path) -> Path | None:
    """The git top-level directory containing `path`, or None outside a repository (or without git)."""
    return _top_level(path)[0]


def refusal(path: Path) -> str:
    """Why git will not read the repository containing `path` (another user owns it), or "" when it will or
    when there is no repository."""
    return _top_level(path)[1]


def tracked_files(root: Path) -> list[str]:
    """Paths (relative to `root`, posix) of the files git tracks under `root`."""
    try:
        proc = run(["ls-files", "-z", "--cached", "--", "."], root)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if proc.returncode != 0:
        return []
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def is_tracked(root: Path, relpath: str) -> bool:
    """True when git tracks the file."""
    try:
        return run(["ls-files", "--error-unmatch", "--", relpath], root).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ignore_rule(root: Path, relpath: str) -> str | None:
    """The `.gitignore` rule ignoring `relpath` ("file:line:pattern"), or None when not ignored."""
    try:
        proc = run(["check-ignore", "-v", "--no-index", "--", relpath], root)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    line = proc.stdout.decode("utf-8", "replace").strip()
    rule = line.split("\t", 1)[0] if line else "ignored"
    # -v also reports a matching negation (`!.env.example`): the file is then NOT ignored.
    if rule.rpartition(":")[2].startswith("!"):
        return None
    return rule


def show_head(root: Path, relpath: str, limit: int, timeout: float = 10.0) -> bytes | None:
    """The committed content of `relpath` at HEAD (at most `limit` bytes), or None when git cannot show it."""
    try:
        proc = run(["show", "--no-textconv", f"HEAD:{relpath}"], root, timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout[:limit] if proc.returncode == 0 else None


def last_commit_touching(root: Path, relpath: str, timeout: float = 15.0) -> str | None:
    """`<short hash> <date>` of the latest commit (on any branch) that touched `relpath`, or None."""
    try:
        proc = run(["log", "--all", "--no-show-signature", "--no-ext-diff", "--no-textconv", "--format=%h %ad",
                    "--date=short", "-1", "--", relpath], root, timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.decode("utf-8", "replace").strip() or None
