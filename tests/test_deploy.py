"""The deployment steps with real scripts: success, failure, hang (process group killed), refusal,
override, redaction, confirmation, and the availability measurements they feed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

from conftest import cli_env, run_cli
from fixtures.demo import PLANTED, kill_leftovers, pid_alive, port_open, wait_for


def record(project: Path) -> dict:
    return json.loads((project / ".readiness" / "run.json").read_text())


def steps(project: Path) -> list[dict]:
    return record(project)["deploy_steps"]


def test_successful_step_streams_output_and_is_recorded(deploy_project):
    project = deploy_project('backup = ["./ok.sh"]')
    proc = run_cli("deploy", "backup", str(project), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "backup: saved to" in proc.stdout
    assert (project / ".backup" / "marker").read_text().strip() == "done"
    [entry] = steps(project)
    assert entry["step"] == "backup" and entry["status"] == "ok"
    assert entry["exit_code"] == 0
    assert entry["duration_s"] > 0
    assert any("backup: saved to" in line for line in entry["log_tail"])
    assert entry["commands"][0]["argv"] == ["./ok.sh"]


def test_failed_deploy_is_recorded_and_offers_rollback(deploy_project):
    project = deploy_project('deploy = ["./fail.sh"]\nrollback = ["./rollback.sh", "--now"]')
    proc = run_cli("deploy", "deploy", str(project), "--yes", "--override", "hotfix for outage", "--by", "Ana")
    assert proc.returncode == 1
    assert "container exited with code 1" in proc.stdout  # stderr of the script is streamed too
    assert "Roll back with: readiness deploy rollback" in proc.stderr
    assert "./rollback.sh --now" in proc.stderr
    [entry] = steps(project)
    assert entry["status"] == "failed" and entry["exit_code"] == 3
    assert "exit code 3" in entry["summary"]
    assert entry["override"]["reason"] == "hotfix for outage"
    assert entry["override"]["by"] == "Ana"
    assert any("score" in p for p in entry["override"]["overrode"])


def test_deploy_refused_below_ready_without_signoffs(deploy_project):
    project = deploy_project('deploy = ["./deploy-ok.sh"]')
    proc = run_cli("deploy", "deploy", str(project), "--yes")
    assert proc.returncode == 1
    assert "deploy blocked: score" in proc.stderr
    assert "no sign-offs recorded" in proc.stderr
    assert "--override REASON" in proc.stderr
    assert not (project / "deployed.marker").exists()
    [entry] = steps(project)
    assert entry["status"] == "refused"
    assert entry["details"]["gate"]["band"] == "do-not-deploy"


def test_deploy_in_ready_band_still_needs_verified_signoffs(deploy_project, tmp_path):
    """Ready score (the mini checklist's one item passes) but sign-offs unverifiable or missing."""
    project = deploy_project('deploy = ["./deploy-ok.sh"]\nrollback = ["./rollback.sh"]')
    mini = str(project / "mini.toml")
    assert run_cli("deploy", "rollback", str(project), "--yes", "--checklist", mini).returncode == 0
    check = run_cli("check", str(project), "--checklist", mini, "--format", "json")
    assert json.loads(check.stdout)["score"]["band"] == "ready", check.stdout
    proc = run_cli("deploy", "deploy", str(project), "--yes", "--checklist", mini)
    assert proc.returncode == 1
    assert "deploy blocked: score" not in proc.stderr
    assert "sign-off" in proc.stderr or "Technical Lead" in proc.stderr
    assert not (project / "deployed.marker").exists()
    proc = run_cli("deploy", "deploy", str(project), "--yes", "--checklist", mini, "--override", "CAB approved")
    assert proc.returncode == 0, proc.stderr
    assert (project / "deployed.marker").exists()
    deployment = record(project)["deployment"]
    assert deployment["Deployment Date"]["value"]


def test_hanging_step_times_out_and_its_process_group_is_killed(deploy_project):
    project = deploy_project('backup = ["./hang.sh"]\ntimeout = 1')
    try:
        proc = run_cli("deploy", "backup", str(project), "--yes", timeout=60)
        assert proc.returncode == 1
        assert "timed out after 1 s" in proc.stderr
        [entry] = steps(project)
        assert entry["status"] == "timed_out"
        assert entry["commands"][0]["timed_out"] is True
        child = int((project / "child.pid").read_text())
        script = int((project / "script.pid").read_text())
        wait_for(lambda: not pid_alive(child) and not pid_alive(script), 5, "the step's processes to end")
    finally:
        kill_leftovers(project / "child.pid", project / "script.pid")


def test_sigterm_to_deploy_kills_the_running_step(deploy_project):
    project = deploy_project('backup = ["./hang.sh"]\ntimeout = 120')
    proc = subprocess.Popen([sys.executable, "-m", "readiness_tui", "deploy", "backup", str(project), "--yes"],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # "started" on readiness's stdout: the script runs and readiness is streaming its output.
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "$ ./hang.sh"
        assert proc.stdout.readline().strip() == "started"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 130
        child = int((project / "child.pid").read_text())
        wait_for(lambda: not pid_alive(child), 5, "the child to end")
        [entry] = steps(project)
        assert entry["status"] == "cancelled"
    finally:
        proc.kill()
        kill_leftovers(project / "child.pid", project / "script.pid")


def test_secret_in_output_is_redacted_in_terminal_and_record(deploy_project):
    project = deploy_project('backup = ["./secret.sh"]')
    proc = run_cli("deploy", "backup", str(project), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert PLANTED not in proc.stdout + proc.stderr
    assert "[REDACTED]" in proc.stdout
    raw = (project / ".readiness" / "run.json").read_text()
    assert PLANTED not in raw
    assert "connecting with key [REDACTED]" in raw


def test_escape_sequences_in_step_output_are_shown_not_obeyed(deploy_project):
    """A step's output (or a container's log) is outside text: the terminal gets `\\x1b`, not ESC."""
    script = "import sys; sys.stdout.write('title\\x1b]0;pwned\\x07 clear\\x1b[2J done\\n'); sys.exit(3)"
    project = deploy_project(f'backup = [{json.dumps(sys.executable)}, "-c", {json.dumps(script)}]')
    proc = run_cli("deploy", "backup", str(project), "--yes")
    assert proc.returncode == 1, proc.stderr
    for stream in (proc.stdout, proc.stderr):
        assert "\x1b" not in stream and "\x07" not in stream, stream
    assert "title\\x1b]0;pwned\\x07 clear\\x1b[2J done" in proc.stdout


def test_step_runs_only_after_confirmation(deploy_project):
    project = deploy_project('backup = ["./ok.sh"]')
    proc = run_cli("deploy", "backup", str(project), input="n\n")
    assert proc.returncode == 1
    assert "not confirmed" in proc.stderr
    assert not (project / ".backup").exists()
    proc = run_cli("deploy", "backup", str(project), input="y\n")
    assert proc.returncode == 0, proc.stderr
    assert (project / ".backup" / "marker").exists()


def test_shell_string_and_unknown_step_are_clear_usage_errors(deploy_project):
    project = deploy_project('backup = "./ok.sh && rm -rf /"')
    proc = run_cli("deploy", "backup", str(project), "--yes")
    assert proc.returncode == 2
    assert "argument list" in proc.stderr and "never run through a shell" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_cli("deploy", "launch", str(project))
    assert proc.returncode == 2 and "unknown step 'launch'" in proc.stderr


def test_missing_command_is_an_error_not_a_crash(deploy_project):
    project = deploy_project('backup = ["./nope.sh"]')
    proc = run_cli("deploy", "backup", str(project), "--yes")
    assert proc.returncode == 1
    assert "cannot run ./nope.sh: not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert steps(project)[0]["status"] == "error"


def test_rollback_duration_fills_the_availability_table(deploy_project):
    project = deploy_project('rollback = ["./rollback.sh"]')
    mini = str(project / "mini.toml")
    before = json.loads(run_cli("check", str(project), "--checklist", mini, "--format", "json").stdout)
    assert before["sections"][0]["items"][0]["status"] == "pending"
    assert before["criteria"][0]["rows"][0]["status"] == "TBD"
    assert run_cli("deploy", "rollback", str(project), "--yes").returncode == 0
    after = json.loads(run_cli("check", str(project), "--checklist", mini, "--format", "json").stdout)
    item = after["sections"][0]["items"][0]
    assert item["status"] == "pass", item
    measured = item["measurements"]["avail.rollback_s"]["value"]
    assert measured == steps(project)[-1]["duration_s"]
    row = after["criteria"][0]["rows"][0]
    assert row["status"] == "PASS" and row["value"] == measured


def test_failed_rollback_fails_the_item(deploy_project):
    project = deploy_project('rollback = ["./rollback-fail.sh"]')
    assert run_cli("deploy", "rollback", str(project), "--yes").returncode == 1
    out = json.loads(run_cli("check", str(project), "--checklist", str(project / "mini.toml"),
                             "--format", "json").stdout)
    item = out["sections"][0]["items"][0]
    assert item["status"] == "fail" and "rollback" in item["summary"]


def test_verify_samples_health_and_records_the_rate(deploy_project, demo_services):
    project = deploy_project('verify_items = "1"\nverify_timeout = 5\nhealth_samples = 5\nsample_interval = 0.01\n'
                             'rollback = ["./rollback.sh"]',
                             env_extra=f"BACKEND_API_URL={demo_services.backend_url}\n"
                                       f"FRONTEND_URL={demo_services.frontend_url}\n")
    mini = str(project / "mini.toml")
    assert run_cli("deploy", "rollback", str(project), "--yes", "--checklist", mini).returncode == 0
    proc = run_cli("deploy", "verify", str(project), "--checklist", mini)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    entry = steps(project)[-1]
    assert entry["step"] == "verify" and entry["status"] == "ok"
    assert entry["measurements"]["avail.health_success_pct"]["value"] == 100.0
    assert entry["details"]["health_samples"] == 10
    assert record(project)["deployment"]["All Systems Operational"]["value"] == "yes"
    report = json.loads(run_cli("check", str(project), "--checklist", mini, "--format", "json").stdout)
    assert report["sections"][0]["items"][0]["measurements"]["avail.health_success_pct"]["value"] == 100.0


def test_verify_retries_until_the_deadline_and_fails(deploy_project):
    # Nothing listens on these ports: health samples fail; the rollback failed: the item fails.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert not port_open(free)
    project = deploy_project('verify_items = "1.1"\nverify_timeout = 1.5\nverify_interval = 0.3\n'
                             'health_samples = 3\nsample_interval = 0.01\nrollback = ["./rollback-fail.sh"]',
                             env_extra=f"BACKEND_API_URL=http://127.0.0.1:{free}\n"
                                       f"FRONTEND_URL=http://127.0.0.1:{free}\n")
    mini = str(project / "mini.toml")
    run_cli("deploy", "rollback", str(project), "--yes", "--checklist", mini)
    proc = run_cli("deploy", "verify", str(project), "--checklist", mini)
    assert proc.returncode == 1
    entry = steps(project)[-1]
    assert entry["status"] == "failed"
    assert entry["details"]["attempts"] >= 2
    assert entry["details"]["failing"].keys() == {"1.1"}
    assert entry["measurements"]["avail.health_success_pct"]["value"] == 0.0
    assert "target > 99%" in entry["summary"]


def test_watch_without_docker_says_so(deploy_project, tmp_path):
    project = deploy_project("")
    proc = run_cli("deploy", "watch", str(project), "--seconds", "1",
                   env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    assert proc.returncode == 1
    assert "cannot reach the Docker daemon" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert steps(project)[0]["status"] == "error"


def test_deploy_allowed_with_valid_signoffs_and_refused_once_stale(deploy_project):
    """With the sign-off module: a valid sign-off opens the gate; re-running the checks with the same verdicts
    keeps it open; a changed decision makes the sign-off stale."""
    import pytest

    signoff = pytest.importorskip("readiness_tui.signoff", reason="the sign-off module is not on this branch")
    from readiness_tui.target import open_target

    project = deploy_project('deploy = ["./deploy-ok.sh"]\nrollback = ["./rollback.sh"]')
    mini = str(project / "mini.toml")
    assert run_cli("deploy", "rollback", str(project), "--yes", "--checklist", mini).returncode == 0
    assert run_cli("check", str(project), "--checklist", mini).returncode == 0
    signoff.sign(open_target(project, mini), "Technical Lead", "Ana")
    proc = run_cli("deploy", "deploy", str(project), "--yes", "--checklist", mini)
    assert proc.returncode == 0, proc.stderr
    assert "override" not in steps(project)[-1]
    # A new rollback and check change item 1.1's evidence and timings, not its verdict: still valid.
    assert run_cli("deploy", "rollback", str(project), "--yes", "--checklist", mini).returncode == 0
    assert run_cli("check", str(project), "--checklist", mini).returncode == 0
    proc = run_cli("deploy", "deploy", str(project), "--yes", "--checklist", mini)
    assert proc.returncode == 0, proc.stderr
    # A changed decision does change what was signed.
    proc = run_cli("waive", "1.1", str(project), "--checklist", mini, "--reason", "known", "--approver", "carol",
                   "--expires", "2099-01-01", "--by", "bob")
    assert proc.returncode == 0 and "sign-off of Technical Lead (Ana) will be stale" in proc.stderr
    proc = run_cli("deploy", "deploy", str(project), "--yes", "--checklist", mini)
    assert proc.returncode == 1
    assert "Technical Lead: sign-off stale" in proc.stderr


def test_watch_records_error_lines_from_a_real_container(deploy_project, docker_engine):
    """Against the real dockerd of the Docker checks' fixture (`docker_engine`, tests/fixtures/dockerd.py)."""
    import uuid

    import docker

    engine = docker_engine

    client = docker.DockerClient(base_url=engine.host, timeout=30)
    name = f"rt-watch-{uuid.uuid4().hex[:6]}"
    script = "i=0; while true; do echo \"tick $i\"; echo \"ERROR payment timeout $i\"; i=$((i+1)); sleep 0.2; done"
    container = client.containers.run("iswitch-streamlit:latest", ["sh", "-c", script], name=name, detach=True,
                                      network_mode="none")
    try:
        project = deploy_project("")
        proc = run_cli("deploy", "watch", str(project), "--seconds", "2",
                       env={"DOCKER_HOST": engine.host, "READINESS_CONTAINER": name})
        assert proc.returncode == 1, proc.stderr
        assert "tick" in proc.stdout
        [entry] = steps(project)
        assert entry["status"] == "failed"
        assert entry["details"]["container"] == name
        assert entry["details"]["error_lines"] >= 2
        assert entry["details"]["lines"] > entry["details"]["error_lines"]
        assert all("ERROR payment timeout" in line for line in entry["log_tail"])
    finally:
        container.remove(force=True)
        client.close()
