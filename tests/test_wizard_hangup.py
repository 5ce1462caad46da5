"""Every way the terminal can go away, in a real pseudo-terminal: nothing is left running.

`screens/terminal.py` watches for SIGHUP (the kernel sends it when the controlling terminal
closes; sshd when the connection drops), a hang-up on stdin and failing reads and writes on a
terminal that went without a signal (here: a pseudo-terminal that is not the controlling one), and
SIGTERM. Each test starts `readiness tui` or `readiness demo`, waits until checks run, takes the
terminal away one way, and checks the exit status and that the process and everything it started
are gone. The wizard's own limit is 2 s (each test prints what it took); the deadline here is wider
because the machine is shared — `benchmarks/hangup.py` measures the 2 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import cli_env, need
from fixtures.pseudo_terminal import Terminal, stalling_project

from readiness_tui.store import Store

SLOWDOWN = float(os.environ.get("READINESS_TEST_SLOWDOWN", "1"))
#: Seconds after the terminal went by which every process must be gone.
GONE_S = 6.0 * SLOWDOWN
#: How long the wizard gets to paint its first screen and start its checks.
START_S = 60.0 * SLOWDOWN
HUNG_UP, TERMINATED = 128 + signal.SIGHUP, 128 + signal.SIGTERM


def env() -> dict[str, str]:
    """The CLI's test environment, in colour (as a person's terminal is)."""
    variables = cli_env({"TERM": "xterm-256color"})
    variables.pop("NO_COLOR")
    return variables


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    """Terminals of a test, stopped (with whatever they started) however the test ends."""
    need(shutil.which("setsid") is not None, "setsid (util-linux)")
    started: list[Terminal] = []
    yield started
    for terminal in started:
        terminal.stop()


@pytest.fixture
def slow_project(tmp_path: Path) -> Iterator[Path]:
    with stalling_project(tmp_path / "repo") as project:
        yield project


def start_tui(terminals: list[Terminal], project: Path, controlling: bool = True) -> Terminal:
    terminal = Terminal.readiness("tui", str(project), env=env(), controlling=controlling)
    terminals.append(terminal)
    terminal.wait_for(b"running", "checks running", START_S)
    return terminal


def test_closing_the_terminal_ends_the_wizard(terminals: list[Terminal], slow_project: Path) -> None:
    terminal = start_tui(terminals, slow_project)
    spawned = terminal.processes()
    closed = time.monotonic()
    terminal.close()
    print(f"closed terminal: gone in {terminal.gone_after(spawned, closed, GONE_S):.2f} s")
    assert terminal.proc.returncode == HUNG_UP
    Store(slow_project).load()  # the record is whole


def test_a_terminal_gone_without_a_signal_ends_the_wizard(terminals: list[Terminal], slow_project: Path) -> None:
    """No SIGHUP (not the controlling terminal): the hang-up on stdin and the failing reads and
    writes are noticed on their own."""
    terminal = start_tui(terminals, slow_project, controlling=False)
    spawned = terminal.processes()
    closed = time.monotonic()
    terminal.close()
    print(f"terminal gone without SIGHUP: gone in {terminal.gone_after(spawned, closed, GONE_S):.2f} s")
    assert terminal.proc.returncode == HUNG_UP


def test_sighup_with_the_terminal_still_there(terminals: list[Terminal], slow_project: Path) -> None:
    """sshd sends SIGHUP when the connection drops; the terminal device may linger a while."""
    terminal = start_tui(terminals, slow_project)
    spawned = terminal.processes()
    sent = time.monotonic()
    terminal.proc.send_signal(signal.SIGHUP)
    print(f"SIGHUP: gone in {terminal.gone_after(spawned, sent, GONE_S):.2f} s")
    assert terminal.proc.returncode == HUNG_UP


def test_sigterm_restores_the_terminal_and_exits(terminals: list[Terminal], slow_project: Path) -> None:
    terminal = start_tui(terminals, slow_project)
    spawned = terminal.processes()
    before = len(terminal.output)
    sent = time.monotonic()
    terminal.proc.send_signal(signal.SIGTERM)
    print(f"SIGTERM: gone in {terminal.gone_after(spawned, sent, GONE_S):.2f} s")
    assert terminal.proc.returncode == TERMINATED
    end = time.monotonic() + 5  # the last bytes may still be on their way to the reader
    while b"\x1b[?1049l" not in terminal.output[before:] and time.monotonic() < end:
        time.sleep(0.02)
    assert b"\x1b[?1049l" in terminal.output[before:], "the terminal's main screen was not restored"


def test_closing_the_terminal_of_the_demo_leaves_nothing(terminals: list[Terminal], tmp_path: Path) -> None:
    """The demo's services stop and its directory (with its sample service_role key) goes."""
    terminal = Terminal.readiness("demo", "--parent", str(tmp_path), env=env())
    terminals.append(terminal)
    terminal.wait_for(b"running", "checks running in the demo", START_S)
    spawned = terminal.processes()
    assert len(spawned) > 1, "the demo's services were not found"
    assert list(tmp_path.iterdir()), "the demo's directory was not found"
    closed = time.monotonic()
    terminal.close()
    print(f"demo, closed terminal: gone in {terminal.gone_after(spawned, closed, GONE_S):.2f} s")
    assert terminal.proc.returncode == HUNG_UP
    assert list(tmp_path.iterdir()) == []
