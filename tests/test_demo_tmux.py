"""`readiness demo` in a real terminal (tmux): the wizard shows passing, failing and pending items,
`q` quits, and nothing survives — no temporary directory, no listening service port, no process.

The tmux server runs on a private socket (fixtures/tmux.py), so the person's own tmux sessions are
never touched; the teardown stops only that server.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from conftest import REPO
from fixtures.demo import descendants, pid_alive, port_open, wait_for
from fixtures.tmux import Tmux


def glyph_lines(screen: str, glyph: str) -> list[str]:
    """Item rows of a section screen that start with this status glyph (`✓ 1.3 …`)."""
    return [line for line in screen.splitlines() if re.match(rf"^{re.escape(glyph)}\s+\d+\.\d+ ", line)]


def test_demo_in_tmux_shows_items_and_leaves_nothing(tmux: Tmux, tmp_path: Path) -> None:
    parent = tmp_path / "demos"
    parent.mkdir()
    env = {"PYTHONPATH": str(REPO), "NO_COLOR": "1", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    command = (f"cd {shlex.quote(str(REPO))} && exec env "
               + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
               + f" {shlex.quote(sys.executable)} -m readiness_tui demo --parent {shlex.quote(str(parent))}")
    tmux.start(command)
    pane = tmux.pane_pid()

    shown = tmux.wait(lambda s: "Settings and credentials" in s and "readiness-demo-" in s,
                              "the demo's start screen")
    demos = list(parent.iterdir())
    assert len(demos) == 1 and demos[0].name.startswith("readiness-demo-"), demos
    toml = (demos[0] / "readiness.toml").read_text()
    ports = sorted({int(p) for p in re.findall(r'^(?:backend|frontend)_url = "http://127\.0\.0\.1:(\d+)"', toml, re.M)})
    assert len(ports) == 2 and all(port_open(p) for p in ports), (ports, toml)
    # With Streamlit installed, the demo also serves 10.10's degraded copy of the dashboard on its own port.
    ports += [int(p) for p in re.findall(r'^degraded_frontend_url = "http://127\.0\.0\.1:(\d+)', toml, re.M)]
    assert all(port_open(p) for p in ports), (ports, toml)
    assert str(demos[0]) in shown

    tmux.keys("Enter")  # section 1: passing and failing items
    shown = tmux.wait(lambda s: glyph_lines(s, "✓") and glyph_lines(s, "✗"),
                              "passing and failing items in section 1")
    assert "1. Environment Configuration" in shown
    tmux.keys("8")  # section 8: the assisted items wait for a person
    shown = tmux.wait(lambda s: len(glyph_lines(s, "?")) >= 2, "pending items in section 8")
    assert "8. Testing & Validation" in shown and "PENDING" in shown

    spawned = descendants(pane)
    assert spawned, "the demo started no service process"
    tmux.keys("q")
    tmux.wait_exit()

    wait_for(lambda: not any(pid_alive(p) for p in spawned | {pane}), 15, "the demo's processes to end")
    assert not any(port_open(p) for p in ports), "a demo service port is still open"
    assert list(parent.iterdir()) == [], "the demo's temporary directory survived"
