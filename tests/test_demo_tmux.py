"""`readiness demo` in a real terminal (tmux): the wizard shows passing, failing and pending items,
`q` quits, and nothing survives — no temporary directory, no listening service port, no process.

The tmux server runs on a private socket (`-L` with a name unique to this test), so the person's own
tmux sessions are never touched; the teardown stops only that server.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, cli_env, need
from fixtures.demo import pid_alive, port_open, wait_for

DEADLINE_S = 60.0  # the demo creates a git repository, starts two services and runs every check


class PrivateTmux:
    """A tmux server on its own named socket (`tmux -L NAME`) running one session."""

    def __init__(self) -> None:
        self.name = f"readiness-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.name, *args], capture_output=True, text=True, env=cli_env(),
                              check=check, timeout=20)

    def start(self, command: str, width: int = 100, height: int = 30) -> None:
        self.run("new-session", "-d", "-s", "demo", "-x", str(width), "-y", str(height), command)

    def alive(self) -> bool:
        return self.run("has-session", "-t", "demo", check=False).returncode == 0

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "demo").stdout

    def pane_pid(self) -> int:
        return int(self.run("display-message", "-p", "-t", "demo", "#{pane_pid}").stdout.strip())

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "demo", *keys)

    def wait(self, condition: Callable[[str], bool], what: str) -> str:
        """Poll the screen until `condition` holds; a hung demo fails the test after the deadline."""
        end = time.monotonic() + DEADLINE_S
        shown = ""
        while time.monotonic() < end:
            shown = self.screen() if self.alive() else "<session ended>"
            if condition(shown):
                return shown
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{shown}")

    def stop(self) -> None:
        # Only this test's private server (never the default socket).
        self.run("kill-server", check=False)


def descendants(root: int) -> set[int]:
    """Every live process below `root` (by parent pid, read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def glyph_lines(screen: str, glyph: str) -> list[str]:
    """Item rows of a section screen that start with this status glyph (`✓ 1.3 …`)."""
    return [line for line in screen.splitlines() if re.match(rf"^{re.escape(glyph)}\s+\d+\.\d+ ", line)]


@pytest.fixture
def private_tmux():
    need(shutil.which("tmux") is not None, "tmux")
    server = PrivateTmux()
    yield server
    server.stop()


def test_demo_in_tmux_shows_items_and_leaves_nothing(private_tmux: PrivateTmux, tmp_path: Path) -> None:
    parent = tmp_path / "demos"
    parent.mkdir()
    env = {"PYTHONPATH": str(REPO), "NO_COLOR": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    command = (f"cd {shlex.quote(str(REPO))} && exec env "
               + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
               + f" {shlex.quote(sys.executable)} -m readiness_tui demo --parent {shlex.quote(str(parent))}")
    private_tmux.start(command)
    pane = private_tmux.pane_pid()

    shown = private_tmux.wait(lambda s: "Settings and credentials" in s and "readiness-demo-" in s,
                              "the demo's start screen")
    demos = list(parent.iterdir())
    assert len(demos) == 1 and demos[0].name.startswith("readiness-demo-"), demos
    toml = (demos[0] / "readiness.toml").read_text()
    ports = sorted({int(p) for p in re.findall(r'(?:backend|frontend)_url = "http://127\.0\.0\.1:(\d+)"', toml)})
    assert len(ports) == 2 and all(port_open(p) for p in ports), (ports, toml)
    assert str(demos[0]) in shown

    private_tmux.keys("Enter")  # section 1: passing and failing items
    shown = private_tmux.wait(lambda s: glyph_lines(s, "✓") and glyph_lines(s, "✗"),
                              "passing and failing items in section 1")
    assert "1. Environment Configuration" in shown
    private_tmux.keys("8")  # section 8: the assisted items wait for a person
    shown = private_tmux.wait(lambda s: len(glyph_lines(s, "?")) >= 2, "pending items in section 8")
    assert "8. Testing & Validation" in shown and "PENDING" in shown

    spawned = descendants(pane)
    assert spawned, "the demo started no service process"
    private_tmux.keys("q")
    wait_for(lambda: not private_tmux.alive(), DEADLINE_S, "the demo to quit on q")

    wait_for(lambda: not any(pid_alive(p) for p in spawned | {pane}), 15, "the demo's processes to end")
    assert not any(port_open(p) for p in ports), "a demo service port is still open"
    assert list(parent.iterdir()) == [], "the demo's temporary directory survived"
