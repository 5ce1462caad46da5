"""The run record through real `readiness` processes: SIGKILL mid-run, then again; two runs at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import cli_env, run_cli
from fixtures.http_servers import RawServer

from readiness_tui.store import Store


def _hang(conn) -> None:  # noqa: ANN001 - a socket
    conn.settimeout(None)
    while conn.recv(4096):
        pass


@pytest.fixture
def slow_project(tmp_path: Path):
    """A project whose backend never answers: a check takes a few seconds, so a kill lands mid-run."""
    server = RawServer(_hang)
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".env").write_text(f"BACKEND_API_URL={server.url}\nFRONTEND_URL={server.url}\nCACHE_TTL_SECONDS=300\n")
    yield project
    server.stop()


def _items(report_json: str) -> dict[str, dict]:
    return {i["id"]: i for s in json.loads(report_json)["sections"] for i in s["items"]}


def _record_is_whole(project: Path) -> None:
    raw = (project / ".readiness" / "run.json").read_text()
    json.loads(raw)  # a torn write would not parse
    leftovers = [p.name for p in (project / ".readiness").iterdir() if p.name.endswith((".tmp", ".part"))
                 or p.name.startswith(".tmp")]
    assert leftovers == []


def test_sigkill_mid_run_then_run_again(slow_project: Path) -> None:
    env = cli_env({"READINESS_READ_TIMEOUT": "2"})
    assert run_cli("confirm", "8.6", str(slow_project), "--by", "sre").returncode == 0
    for delay in (0.3, 0.9, 1.8):
        proc = subprocess.Popen([sys.executable, "-m", "readiness_tui", "check", str(slow_project), "--timeout", "4"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)  # the kill's moment is the point of the test, not a wait for readiness
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        _record_is_whole(slow_project)
        report = run_cli("report", str(slow_project), "--format", "json")
        assert report.returncode in (0, 1), report.stderr
        assert _items(report.stdout)["8.6"]["status"] == "confirmed"  # nothing decided is lost
    done = run_cli("check", str(slow_project), "--format", "json", "--timeout", "4", env={"READINESS_READ_TIMEOUT": "2"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    items = _items(done.stdout)
    assert items["8.6"]["status"] == "confirmed"
    assert items["4.1"]["status"] == "pass" and items["2.3"]["status"] == "error"
    _record_is_whole(slow_project)


def test_two_checks_and_a_confirmation_at_once(slow_project: Path) -> None:
    env = cli_env({"READINESS_READ_TIMEOUT": "2"})
    argv = [sys.executable, "-m", "readiness_tui"]
    procs = [subprocess.Popen([*argv, "check", str(slow_project), "--format", "json", "--timeout", "4"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    procs.append(subprocess.Popen([*argv, "confirm", "8.7", str(slow_project), "--by", "sre"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [1, 1, 0], [o[1] for o in outs]
    assert all("Traceback" not in err for _out, err in outs)
    for out, _err in outs[:2]:
        assert _items(out)["4.1"]["status"] == "pass"
    _record_is_whole(slow_project)
    assert "8.7" in Store(slow_project).load().decisions
    report = run_cli("report", str(slow_project), "--format", "json")
    items = _items(report.stdout)
    assert items["8.7"]["status"] == "confirmed" and items["4.1"]["status"] == "pass"
