"""The terminal goes away mid-check (a dropped SSH connection): nothing is left running.

Ten times each, `readiness demo` and `readiness tui` are started in a real terminal (tmux), the
terminal is killed while checks run, and the test looks for every process the run had (the wizard,
the demo's services) and for the demo's directory. The wizard ends itself within 2 s of losing its
terminal (`screens/terminal.py`); the deadline here is wider only because the machine is shared.
"""

from __future__ import annotations

import shlex
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO
from fixtures.demo import descendants, pid_alive
from fixtures.tmux import Tmux
from fixtures.ui import make_wizard_project

from readiness_tui.store import Store

TRIES = 10
#: Seconds after the kill by which every process must be gone (the wizard's own limit is 2 s).
GONE_S = 6.0
ENV = {"PYTHONPATH": str(REPO), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def command(*args: str) -> str:
    return (f"cd {shlex.quote(str(REPO))} && exec env " + " ".join(f"{k}={shlex.quote(v)}" for k, v in ENV.items())
            + f" {shlex.quote(sys.executable)} -m readiness_tui " + " ".join(shlex.quote(a) for a in args))


def running_header(screen: str) -> bool:
    first = screen.splitlines()[0] if screen.strip() else ""
    return "running" in first


def kill_and_measure(tmux: Tmux) -> tuple[set[int], float]:
    """Kill the terminal now; the processes it had, and the seconds until they were all gone."""
    pane = tmux.pane_pid()
    spawned = descendants(pane) | {pane}
    killed = time.monotonic()
    tmux.kill_session()
    end = killed + GONE_S
    while time.monotonic() < end and any(pid_alive(p) for p in spawned):
        time.sleep(0.02)
    return {p for p in spawned if pid_alive(p)}, time.monotonic() - killed


@pytest.fixture
def tarpit() -> Iterator[int]:
    """A loopback port that accepts connections and never answers: checks against it keep running."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_killing_the_terminal_mid_check_leaves_no_demo_behind(tmux: Tmux, tmp_path: Path) -> None:
    outcomes = []
    for attempt in range(TRIES):
        parent = tmp_path / f"try{attempt}"
        parent.mkdir()
        tmux.start(command("demo", "--parent", str(parent)), width=80, height=24)
        tmux.wait(running_header, "checks running in the demo")
        left, seconds = kill_and_measure(tmux)
        leftover_dirs = list(parent.iterdir())
        outcomes.append((attempt, sorted(left), [d.name for d in leftover_dirs], round(seconds, 2)))
    print("demo kills (attempt, processes left, directories left, seconds):", outcomes)
    clean = [o for o in outcomes if not o[1] and not o[2]]
    assert len(clean) == TRIES, outcomes


def test_killing_the_terminal_mid_check_leaves_no_wizard_behind(tmux: Tmux, tmp_path: Path, tarpit: int) -> None:
    project = make_wizard_project(tmp_path / "repo")
    config = project / "readiness.toml"
    # Every live endpoint answers nothing: the checks run until their (long) timeout.
    config.write_text(config.read_text().replace("check_timeout = 3.0", "check_timeout = 60.0")
                      .replace(f"127.0.0.1:{_port(config)}", f"127.0.0.1:{tarpit}"))
    outcomes = []
    for attempt in range(TRIES):
        tmux.start(command("tui", str(project)), width=80, height=24)
        tmux.wait(running_header, "checks running in the wizard")
        left, seconds = kill_and_measure(tmux)
        outcomes.append((attempt, sorted(left), round(seconds, 2)))
        Store(project).load()  # the record is whole after every kill
    print("tui kills (attempt, processes left, seconds):", outcomes)
    assert all(not left for _, left, _ in outcomes), outcomes


def _port(config: Path) -> str:
    text = config.read_text()
    return text.split('backend_url = "http://127.0.0.1:', 1)[1].split('"', 1)[0]
