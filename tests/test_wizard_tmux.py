"""The wizard in a real terminal (tmux): keys in, screen read back with capture-pane.

Starts `python -m readiness_tui tui DIR` on a fixture project whose live checks point at closed
loopback ports, records a decision with the keyboard, kills the terminal, reopens, records another,
quits, reopens, and checks the same decisions are shown.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, cli_env, need

from readiness_tui.store import Store

DEADLINE_S = 30.0


class Tmux:
    """One tmux server on its own socket, one session running the wizard."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", str(self.socket), *args], capture_output=True, text=True,
                              env=cli_env(), check=check, timeout=20)

    def start(self, project: Path) -> None:
        command = f"cd {shlex.quote(str(REPO))} && exec {shlex.quote(sys.executable)} -m readiness_tui tui " \
                  f"{shlex.quote(str(project))}"
        self.run("new-session", "-d", "-s", "wiz", "-x", "100", "-y", "30", command)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "wiz").stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "wiz", *keys)

    def text(self, text: str) -> None:
        self.run("send-keys", "-t", "wiz", "-l", text)

    def alive(self) -> bool:
        return self.run("has-session", "-t", "wiz", check=False).returncode == 0

    def wait(self, condition: Callable[[str], bool], what: str) -> str:
        """Poll the screen until `condition` holds (deadline: a hung wizard fails, never hangs)."""
        end = time.monotonic() + DEADLINE_S
        shown = ""
        while time.monotonic() < end:
            shown = self.screen() if self.alive() else "<session ended>"
            if condition(shown):
                return shown
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen was:\n{shown}")

    def wait_exit(self) -> None:
        end = time.monotonic() + DEADLINE_S
        while self.alive():
            assert time.monotonic() < end, f"the wizard did not quit:\n{self.screen()}"
            time.sleep(0.1)

    def kill(self) -> None:
        self.run("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path: Path):
    need(shutil.which("tmux") is not None, "tmux")
    server = Tmux(tmp_path / "tmux.sock")
    yield server
    server.kill()


def test_decisions_survive_quit_and_reopen(tmux: Tmux, wizard_project: Path) -> None:
    tmux.start(wizard_project)
    tmux.wait(lambda s: "Settings and credentials" in s, "the start screen")
    tmux.keys("Enter")
    tmux.wait(lambda s: "1. Environment Configuration" in s, "section 1")
    tmux.keys("8")
    tmux.wait(lambda s: "8. Testing & Validation" in s, "section 8")
    tmux.keys("Down", "Down", "Down", "Down", "Down")
    tmux.wait(lambda s: "8.6  Penetration" in s or "8.6  " in s.split("▏", 1)[-1], "item 8.6 selected")
    tmux.keys("n")
    tmux.wait(lambda s: "Why it does not apply" in s, "the not-applicable dialog")
    tmux.text("internal tool")
    tmux.keys("Enter")
    tmux.wait(lambda s: "not applicable: internal tool" in s, "the decision on 8.6")

    # The terminal goes away mid-run (a dropped SSH connection): nothing is lost.
    tmux.run("kill-session", "-t", "wiz")
    assert Store(wizard_project).load().decisions["8.6"].reason == "internal tool"
    tmux.start(wizard_project)
    tmux.wait(lambda s: "1 decisions" in s, "the resumed record after the terminal was killed")
    tmux.keys("8")
    tmux.wait(lambda s: "8. Testing & Validation" in s, "section 8 after the kill")
    tmux.keys("Down", "Down", "Down", "Down", "Down")
    tmux.wait(lambda s: "not applicable: internal tool" in s, "8.6 after the kill")
    tmux.keys("Down", "c")
    tmux.wait(lambda s: "Confirm item" in s, "the confirm dialog")
    tmux.text("UAT signed off")
    tmux.keys("Enter")
    tmux.wait(lambda s: "UAT signed off" in s and "confirmed by" in s, "the confirmation of 8.7")
    tmux.keys("q")
    tmux.wait_exit()

    record = Store(wizard_project).load()
    assert record.decisions["8.6"].reason == "internal tool"
    assert record.decisions["8.7"].note == "UAT signed off"

    tmux.start(wizard_project)
    shown = tmux.wait(lambda s: "2 decisions" in s, "the resumed record on the start screen")
    assert "resumed" in shown
    tmux.keys("8")
    tmux.wait(lambda s: "8. Testing & Validation" in s, "section 8 after reopening")
    tmux.keys("Down", "Down", "Down", "Down", "Down")
    shown = tmux.wait(lambda s: "not applicable: internal tool" in s, "8.6 after reopening")
    assert "N/A" in shown
    tmux.keys("Down")
    tmux.wait(lambda s: "confirmed by" in s and "UAT signed off" in s, "8.7 after reopening")
    tmux.keys("q")
    tmux.wait_exit()
