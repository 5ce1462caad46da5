"""`readiness demo`: the sample project, its services, the headless report, and clean-up on every exit."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import cli_env, run_cli
from fixtures.demo import pid_alive, port_open, wait_for

from readiness_tui.demo.project import write_project

URLS = re.compile(r"demo project (?P<path>\S+); backend http://127\.0\.0\.1:(?P<b>\d+), "
                  r"frontend http://127\.0\.0\.1:(?P<f>\d+) \(services pid (?P<pid>\d+)"
                  r"(?:, Streamlit pids (?P<app>\d+) (?P<copy>\d+))?\)")


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def git_files(root: Path) -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()


def test_sample_project_has_the_promised_shape_and_problems(tmp_path):
    root = write_project(tmp_path, "http://127.0.0.1:1", "http://127.0.0.1:2")
    tracked = git_files(root)
    for name in ("README.md", "docs/USER_GUIDE.md", ".streamlit/config.toml", "deploy-production.sh",
                 "backend/migrations/001_initial_schema.sql", "backend/migrations/003_performance_indexes.sql",
                 "readiness.toml", ".gitignore"):
        assert name in tracked, name
    assert ".env" not in tracked and (root / ".env").is_file()
    assert ".env.backup" in tracked
    backup_key = re.search(r"SUPABASE_KEY=(\S+)", (root / ".env.backup").read_text())[1]
    payload = json.loads(base64.urlsafe_b64decode(backup_key.split(".")[1] + "=="))
    assert payload["role"] == "service_role"
    assert "docs/MAINTENANCE.md" in (root / "README.md").read_text()
    assert not (root / "docs" / "MAINTENANCE.md").exists()
    assert "enableCORS = false" in (root / ".streamlit" / "config.toml").read_text()
    assert "SENTRY_DSN=your-sentry-dsn" in (root / ".env").read_text()
    assert "idx_leads_status" in (root / "backend/migrations/003_performance_indexes.sql").read_text()
    assert 'frontend_url = "http://127.0.0.1:2"' in (root / "readiness.toml").read_text()


def test_sample_services_answer_like_the_stack(demo_services):
    backend, frontend = demo_services.backend_url, demo_services.frontend_url
    status, headers, body = get(backend + "/health", {"Origin": "https://malicious.com"})
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert "Access-Control-Allow-Origin" not in headers
    assert headers["Vary"] == "Origin" and int(headers["RateLimit-Limit"]) > 0
    _, headers, _ = get(backend + "/health", {"Origin": frontend})
    assert headers["Access-Control-Allow-Origin"] == frontend
    assert json.loads(get(backend + "/openapi.json")[2])["openapi"].startswith("3.")
    assert b"/openapi.json" in get(backend + "/docs")[2]
    leads = json.loads(get(backend + "/api/leads?limit=1")[2])
    assert len(leads["items"]) == 1 and leads["items"][0]["temperature"] in ("hot", "warm", "cool", "cold")
    status, _, body = get(backend + "/nope")
    assert status == 404 and b"Traceback" not in body
    assert get(frontend + "/_stcore/health")[2] == b"ok"
    status, headers, body = get(frontend + "/", {"Origin": "https://malicious.com"})
    assert status == 200 and b'<div id="root">' in body
    assert headers["Access-Control-Allow-Origin"] == "*"  # the seed's enableCORS = false, as Streamlit does
    assert "_streamlit_xsrf" in headers["Set-Cookie"]
    status, headers, body = get(frontend + "/static/js/index.demo.js", {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and b"refreshSeconds" in gzip.decompress(body)


async def test_frontend_speaks_enough_of_the_streamlit_session(demo_services):
    """A rerun request on /_stcore/stream (subprotocol streamlit) is answered with script_finished."""
    import websockets

    url = demo_services.frontend_url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(url, subprotocols=["streamlit"], open_timeout=5) as ws:
        assert ws.subprotocol == "streamlit"
        await ws.send(bytes([11 << 3 | 2, 0]))  # BackMsg.rerun_script with an empty ClientState
        assert await ws.recv() == bytes([6 << 3, 0])  # ForwardMsg.script_finished = finished successfully


def test_services_end_when_the_demo_is_killed(tmp_path):
    """Even SIGKILL (no clean-up possible) leaves no service process or listening port behind."""
    proc = subprocess.Popen([sys.executable, "-m", "readiness_tui", "demo", "--serve", "--parent", str(tmp_path)],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _read_until(proc, "press Ctrl+C")
        assert proc.stderr is not None
        match = URLS.search(proc.stderr.read1().decode())
        assert match
        pid, backend, frontend = int(match["pid"]), int(match["b"]), int(match["f"])
        assert match["app"], "the demo should serve its real Streamlit app (streamlit is a test dependency)"
        app, copy = int(match["app"]), int(match["copy"])
        assert pid_alive(pid) and port_open(backend) and pid_alive(app) and port_open(frontend) and pid_alive(copy)
        proc.kill()
        proc.wait(10)
        wait_for(lambda: not pid_alive(pid) and not port_open(backend), 10, "the services to end")
        wait_for(lambda: not pid_alive(app) and not port_open(frontend), 15, "the Streamlit app to end")
        wait_for(lambda: not pid_alive(copy), 15, "the Streamlit app's copy (10.10) to end")
    finally:
        proc.kill()


def _ports_from(stderr: str) -> tuple[Path, int, int]:
    """The demo's directory and ports from its stderr; asserts its services process is gone."""
    match = URLS.search(stderr)
    assert match, stderr
    assert not pid_alive(int(match["pid"])), "the demo's services process survived"
    assert not match["app"] or not pid_alive(int(match["app"])), "the demo's Streamlit app survived"
    assert not match["copy"] or not pid_alive(int(match["copy"])), "the demo's second Streamlit app survived"
    return Path(match["path"]), int(match["b"]), int(match["f"])


@pytest.mark.parametrize("fail_under", ["90", "0"])
def test_headless_json_exits_with_the_score_and_leaves_nothing(tmp_path, fail_under):
    proc = run_cli("demo", "--headless", "--format", "json", "--parent", str(tmp_path), "--fail-under", fail_under)
    report = json.loads(proc.stdout)
    score = report["score"]["percent"]
    assert proc.returncode == (0 if score >= float(fail_under) else 1), proc.stderr
    statuses = {item["status"] for section in report["sections"] for item in section["items"]}
    assert "pending" in statuses
    assert len([i for s in report["sections"] for i in s["items"]]) == 75
    path, backend, frontend = _ports_from(proc.stderr)
    assert path.parent == tmp_path.resolve()
    assert list(tmp_path.iterdir()) == []
    assert not port_open(backend) and not port_open(frontend)


def test_headless_report_shows_passing_failing_and_manual_items(tmp_path):
    proc = run_cli("demo", "--headless", "--format", "json", "--parent", str(tmp_path))
    items = {i["id"]: i for s in json.loads(proc.stdout)["sections"] for i in s["items"]}
    assert items["2.3"]["status"] in ("pass", "warn"), items["2.3"]  # the sample backend is healthy
    assert items["1.6"]["status"] == "fail", items["1.6"]  # the tracked .env.backup with a service key
    # the real Streamlit app in Chromium: Overview's charts draw, Pipeline's chart data is broken
    assert items["10.9"]["status"] == "fail" and items["10.9"]["summary"].startswith("page 'Pipeline' shows"), items["10.9"]
    overview = items["10.9"]["evidence"]["charts"]["Overview"]
    assert [c.split(":")[0] for c in overview] == ["Vega-Lite chart 1", "Vega-Lite chart 2"], overview
    assert not any(c.endswith("empty") for c in overview), overview
    assert items["10.4"]["status"] == "fail" and ".readiness/screenshots/pipeline.png" in items["10.4"]["summary"]
    assert items["10.5"]["status"] == "pending" and "refresh_watch 10 s" in items["10.5"]["summary"]
    # its copy against a backend answering 503: every page says so with st.error instead of raising
    degraded = items["10.10"]["evidence"]
    browser = next(c for c in items["10.10"]["checks"] if c["check"] == "browser.degradation")
    assert browser["status"] == "pass", browser
    assert browser["summary"].startswith("with its backend answering 503, every page finished and shows a message "
                                         "(error: The CRM API is not answering right now (503)"), browser
    assert [p["name"] for p in degraded["copy_pages"]] == ["Overview", "Pipeline"], degraded
    assert set(degraded["screenshots"].values()) == {".readiness/screenshots/degraded-overview.png",
                                                     ".readiness/screenshots/degraded-pipeline.png"}
    assert proc.returncode == 1


def test_text_is_the_default_and_markdown_works(tmp_path):
    proc = run_cli("demo", "--headless", "--parent", str(tmp_path))
    assert "Score:" in proc.stdout and "1. Environment Configuration" in proc.stdout
    proc = run_cli("demo", "--headless", "--format", "markdown", "--parent", str(tmp_path))
    assert proc.stdout.startswith("# Production Deployment Checklist")
    assert "### Availability" in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_without_a_terminal_the_demo_falls_back_to_the_report(tmp_path):
    proc = run_cli("demo", "--parent", str(tmp_path))
    assert ("the wizard is not available" in proc.stderr) or ("no terminal attached" in proc.stderr)
    assert "Score:" in proc.stdout
    assert list(tmp_path.iterdir()) == []


def test_keep_leaves_the_project_and_prints_its_path(tmp_path):
    proc = run_cli("demo", "--headless", "--keep", "--parent", str(tmp_path))
    path, backend, _ = _ports_from(proc.stderr)
    assert f"kept the demo project in {path}" in proc.stderr
    assert (path / "readiness.toml").is_file() and (path / ".readiness" / "run.json").is_file()
    assert not port_open(backend)


def test_bad_option_is_a_usage_error(tmp_path):
    proc = run_cli("demo", "--headless", "--fail-under", "120", "--parent", str(tmp_path))
    assert proc.returncode == 2 and "--fail-under must be between 0 and 100" in proc.stderr
    assert "Traceback" not in proc.stderr


def _read_until(proc: subprocess.Popen, marker: str, timeout: float = 30) -> str:
    """Read the process's stdout (raw, unbuffered) until `marker` appears or the deadline passes."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + timeout
    while marker.encode() not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"no {marker!r} in the demo's output: {seen!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                pytest.fail(f"the demo ended early: {seen!r}")
            seen += chunk
    return seen.decode()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_and_cleans_up_on_signal(tmp_path, sig):
    proc = subprocess.Popen([sys.executable, "-m", "readiness_tui", "demo", "--serve", "--parent", str(tmp_path)],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out = _read_until(proc, "press Ctrl+C")
        path = Path(re.search(r"demo project: (\S+)", out)[1])
        backend = int(re.search(r"backend: +http://127\.0\.0\.1:(\d+)", out)[1])
        frontend = int(re.search(r"frontend: +http://127\.0\.0\.1:(\d+)", out)[1])
        assert path.is_dir() and port_open(backend) and port_open(frontend)
        assert get(f"http://127.0.0.1:{frontend}/_stcore/health")[2] == b"ok"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
        err = err.decode()
        _ports_from(err)
        assert proc.returncode == 0, err  # stopping is how --serve ends
        assert not path.exists() and list(tmp_path.iterdir()) == []
        assert not port_open(backend) and not port_open(frontend)
    finally:
        proc.kill()


def test_deployment_steps_on_the_demo_target(tmp_path):
    """The demo's own deploy script: backup, deploy (override), verify, rollback; 6.5 gets measured."""
    from readiness_tui import deploy
    from readiness_tui.demo import Demo
    from readiness_tui.target import open_target

    with Demo(parent=str(tmp_path)) as demo:
        target = open_target(demo.path)
        lines: list[str] = []
        assert deploy.run_step(target, "backup", on_line=lines.append).ok
        refused = deploy.run_step(target, "deploy")
        assert refused.status == "refused"
        done = deploy.run_step(target, "deploy", on_line=lines.append, override="demo", by="Ana")
        assert done.ok, done.summary
        assert any("is live" in line for line in lines)
        verified = deploy.run_step(target, "verify", on_line=lines.append)
        assert verified.measurements["avail.health_success_pct"]["value"] == 100.0
        assert verified.ok, verified.summary
        back = deploy.run_step(target, "rollback", on_line=lines.append)
        assert back.ok and back.measurements["avail.rollback_s"]["value"] == back.duration_s
        assert any("restore-backup: restored" in line for line in lines)
        path = demo.path
    assert not path.exists()


def test_main_job_command_without_a_terminal_prints_the_report(tmp_path):
    """scripts/demo with stdin/stdout not a TTY runs `readiness demo --headless` (set-up already done)."""
    import hashlib

    from conftest import REPO

    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    readiness = venv / "bin" / "readiness"
    readiness.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m readiness_tui "$@"\n')
    readiness.chmod(0o755)
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    (venv / ".readiness-installed").write_text(f"{digest}-0\n")
    parent = tmp_path / "demos"
    parent.mkdir()
    proc = subprocess.run([str(REPO / "scripts" / "demo"), "--format", "json", "--parent", str(parent)],
                          env=cli_env({"READINESS_VENV": str(venv)}), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    report = json.loads(proc.stdout)
    assert proc.returncode == (0 if report["score"]["percent"] >= 90 else 1), proc.stderr
    assert report["score"]["total"] == 75
    assert list(parent.iterdir()) == []
