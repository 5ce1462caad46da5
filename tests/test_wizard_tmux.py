"""The wizard in a real terminal (tmux): keys in, screen read back with capture-pane.

Starts `python -m readiness_tui tui DIR` on a fixture project whose live checks point at closed
loopback ports, records a decision with the keyboard, kills the terminal, reopens, records another,
quits, reopens, and checks the same decisions are shown.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from conftest import REPO
from fixtures.tmux import Tmux

from readiness_tui.store import Store


def start_wizard(tmux: Tmux, project: Path) -> None:
    tmux.start(f"cd {shlex.quote(str(REPO))} && exec {shlex.quote(sys.executable)} -m readiness_tui tui "
               f"{shlex.quote(str(project))}")


def test_decisions_survive_quit_and_reopen(tmux: Tmux, wizard_project: Path) -> None:
    start_wizard(tmux, wizard_project)
    tmux.wait(lambda s: "Settings and credentials" in s, "the start screen")
    tmux.keys("Enter")
    tmux.wait(lambda s: "1. Environment Configuration" in s, "section 1")
    tmux.keys("8")
    tmux.wait(lambda s: "8. Testing & Validation" in s, "section 8")
    tmux.keys("Down", "Down", "Down", "Down", "Down")
    tmux.wait(lambda s: "8.6  Penetration" in s or "8.6  " in s.split("▏", 1)[-1], "item 8.6 selected")
    tmux.keys("n")
    tmux.wait(lambda s: "Why it does not apply" in s, "the not-applicable dialog")
    tmux.keys("Enter")  # your name is prefilled: on to the reason
    tmux.text("internal tool")
    tmux.keys("Enter")
    tmux.wait(lambda s: "not applicable: internal tool" in s, "the decision on 8.6")

    # The terminal goes away mid-run (a dropped SSH connection): nothing is lost.
    tmux.kill_session()
    assert Store(wizard_project).load().decisions["8.6"].reason == "internal tool"
    start_wizard(tmux, wizard_project)
    tmux.wait(lambda s: "1 decision ·" in s, "the continued record after the terminal was killed")
    tmux.keys("8")
    tmux.wait(lambda s: "8. Testing & Validation" in s, "section 8 after the kill")
    tmux.keys("Down", "Down", "Down", "Down", "Down")
    tmux.wait(lambda s: "not applicable: internal tool" in s, "8.6 after the kill")
    tmux.keys("Down", "c")
    tmux.wait(lambda s: "Confirm item" in s, "the confirm dialog")
    tmux.keys("Enter")
    tmux.text("UAT signed off")
    tmux.keys("Enter")
    tmux.wait(lambda s: "UAT signed off" in s and "confirmed by" in s, "the confirmation of 8.7")
    tmux.quit_after_dialog()

    record = Store(wizard_project).load()
    assert record.decisions["8.6"].reason == "internal tool"
    assert record.decisions["8.7"].note == "UAT signed off"

    start_wizard(tmux, wizard_project)
    shown = tmux.wait(lambda s: "2 decisions" in s, "the continued record on the start screen")
    assert "continued from" in shown
    tmux.keys("8")
    tmux.wait(lambda s: "8. Testing & Validation" in s, "section 8 after reopening")
    tmux.keys("Down", "Down", "Down", "Down", "Down")
    shown = tmux.wait(lambda s: "not applicable: internal tool" in s, "8.6 after reopening")
    assert "N/A" in shown
    tmux.keys("Down")
    tmux.wait(lambda s: "confirmed by" in s and "UAT signed off" in s, "8.7 after reopening")
    tmux.keys("q")
    tmux.wait_exit()
