"""Running a project's command: no shell, a timeout, streamed output, nothing left running.

Used by the project-command checks (7.7, 8.1–8.4) and the deployment steps. The command runs in
its own process group (session), so a timeout or a cancellation kills the command *and* every
child it started; after a normal exit, whatever the command left behind in its group is killed
too (a test runner's stray server must not outlive the check).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Longest line kept (longer lines are cut): a runaway line must not exhaust memory.
MAX_LINE = 64 * 1024


class ProcError(Exception):
    """The command could not be started (not found, not executable, missing directory)."""


@dataclass
class CommandResult:
    """What a finished command left: its exit code, how long it took and the tail of its output."""

    exit_code: int | None
    """The exit code; negative for a signal (as subprocess reports it); None if it never ended."""
    duration_s: float
    output_tail: str
    """The last lines of stdout and stderr interleaved (bounded by `tail_lines`/`tail_chars`)."""
    timed_out: bool
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True when the command exited 0 on its own."""
        return self.exit_code == 0 and not self.timed_out and not self.cancelled


def _kill_group(pgid: int, sig: int) -> bool:
    """Signal a whole process group; False when nothing is left in it."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    return _kill_group(pgid, 0)


def _live_members(pgid: int) -> int:
    """How many processes of the group still run (zombies excluded); Linux /proc, else 0."""
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    count = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            count += 1
    return count


def _reap_group(pgid: int, wait: float) -> None:
    """SIGKILL what is left of the group and wait (bounded) until the kernel has taken it down."""
    if not _group_alive(pgid):
        return
    _kill_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + wait
    while _live_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)


def run_command(
    argv: Sequence[str],
    cwd: str | Path | None,
    timeout: float,
    env: Mapping[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
    *,
    stop: threading.Event | None = None,
    tail_lines: int = 200,
    tail_chars: int = 20_000,
    kill_grace: float = 2.0,
) -> CommandResult:
    """Run `argv` (never through a shell) and wait for it, at most `timeout` seconds.

    Args:
        argv: the program and its arguments.
        cwd: working directory (None: the current one).
        timeout: seconds before the process group gets SIGTERM, then SIGKILL after `kill_grace`.
        env: the complete environment of the command (None: inherit this process's).
        on_line: called with each output line (without its newline) from a reader thread.
        stop: set it from another thread to cancel the command (killed like a timeout).
        tail_lines: how many last lines `output_tail` keeps.
        tail_chars: the most characters `output_tail` keeps (the end is kept).
        kill_grace: seconds between SIGTERM and SIGKILL.

    Raises:
        ProcError: the command could not be started (message names the program, never the env).
    """
    if not argv or not all(isinstance(a, str) for a in argv):
        raise ProcError("the command must be a non-empty list of strings")
    if timeout <= 0:
        raise ProcError("the timeout must be positive")
    if cwd is not None and not Path(cwd).is_dir():
        raise ProcError(f"cannot run {argv[0]}: directory {cwd} does not exist")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(  # noqa: S603 - argv list, no shell: nothing is interpreted
            list(argv),
            cwd=str(cwd) if cwd is not None else None,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise ProcError(f"cannot run {argv[0]}: not found (in {cwd or Path.cwd()})") from None
    except PermissionError:
        raise ProcError(f"cannot run {argv[0]}: permission denied (is it executable? chmod +x)") from None
    except OSError as exc:
        raise ProcError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None

    pgid = proc.pid  # start_new_session: the child leads its own group
    tail: deque[str] = deque(maxlen=max(1, tail_lines))

    def read() -> None:
        stdout = proc.stdout
        assert stdout is not None
        for raw in iter(lambda: stdout.readline(MAX_LINE), b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            tail.append(line)
            if on_line is not None:
                try:
                    on_line(line)
                except Exception:  # noqa: BLE001 - a faulty listener must not stop the reading
                    pass

    reader = threading.Thread(target=read, name="readiness-proc-reader", daemon=True)
    timed_out = cancelled = False
    deadline = started + timeout
    try:  # an interrupt (Ctrl+C, SIGTERM turned into an exception) kills the command's whole group too
        reader.start()
        while True:
            try:
                proc.wait(timeout=min(0.1, max(0.0, deadline - time.monotonic())))
                break
            except subprocess.TimeoutExpired:
                pass
            if stop is not None and stop.is_set():
                cancelled = True
            elif time.monotonic() >= deadline:
                timed_out = True
            if timed_out or cancelled:
                _terminate(proc, pgid, kill_grace)
                break
    except BaseException:
        _terminate(proc, pgid, kill_grace)
        raise
    # Whatever the command started and left in its group goes too (nothing is left running).
    _reap_group(pgid, wait=kill_grace)
    reader.join(timeout=kill_grace + 1.0)
    # A process that escaped the group (setsid) may still hold the pipe: never close it under the
    # blocked reader (that could hang); the daemon reader ends when that process closes its end.
    if proc.stdout is not None and not reader.is_alive():
        proc.stdout.close()
    text = "\n".join(tail)
    if len(text) > tail_chars:
        text = "…" + text[-(tail_chars - 1):]
    return CommandResult(
        exit_code=proc.returncode,
        duration_s=round(time.monotonic() - started, 3),
        output_tail=text,
        timed_out=timed_out,
        cancelled=cancelled,
    )


def _terminate(proc: subprocess.Popen[bytes], pgid: int, grace: float) -> None:
    """SIGTERM the group, then SIGKILL it if it is still there after `grace` seconds."""
    _kill_group(pgid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    # Children may ignore SIGTERM or outlive the leader: the group gets SIGKILL regardless.
    _kill_group(pgid, signal.SIGKILL)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
