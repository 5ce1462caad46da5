"""Docker checks against a real dockerd (tests/fixtures/dockerd.py): 2.1, 2.2, 5.7, 6.3, 10.1–10.3."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.infra import make_settings, run_item, write_system_root
from readiness_tui.checks.containers import judge_image_tags, parse_compose_version, version_tuple


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    return p


def own(result, name: str):
    """The result of one check of an item (other areas' checks may share the item)."""
    return next(c for c in result.checks if c.check == name)


def settings_for(project: Path, engine, container: str = "rt-healthy", **extra: str):
    return make_settings(project, DOCKER_HOST=engine.host, READINESS_CONTAINER=container,
                         READINESS_SYSTEM_ROOT=str(project / "sysroot"), **extra)


def test_engine_version_passes_against_the_real_daemon(docker_engine, project):
    result = run_item(settings_for(project, docker_engine), "2.1")
    assert result.status == "pass", result.summary
    assert docker_engine.version.split("+")[0] in result.summary
    assert result.evidence["engine_version"] == docker_engine.version


def test_engine_older_than_required_fails(docker_engine, project):
    result = run_item(settings_for(project, docker_engine), "2.1", {"min_version": "99.0"})
    assert result.status == "fail"
    assert "older than 99.0" in result.summary


def test_engine_unreachable_is_a_clear_error(project, tmp_path):
    settings = make_settings(project, DOCKER_HOST=f"unix://{tmp_path}/missing.sock")
    for item, name in (("2.1", "docker.engine"), ("10.1", "docker.image"), ("10.2", "docker.container"),
                       ("10.3", "docker.health"), ("6.3", "docker.image_tags")):
        result = own(run_item(settings, item), name)
        assert result.status == "error", (item, result.summary)
        assert result.summary.startswith("Docker daemon unreachable at unix://"), result.summary
        assert "dockerd running" in result.summary
        assert "Traceback" not in result.summary


def test_image_exists_and_missing_image_fails(docker_engine, project):
    ok = run_item(settings_for(project, docker_engine), "10.1")
    assert ok.status == "pass", ok.summary
    assert "iswitch-streamlit:2.0.0" in ok.evidence["image_tags"]
    missing = run_item(settings_for(project, docker_engine, READINESS_IMAGE="nope:1.0"), "10.1")
    assert missing.status == "fail"
    assert "nope:1.0 not found" in missing.summary


def test_image_tags_tell_versioned_from_latest_only(docker_engine, project):
    tagged = run_item(settings_for(project, docker_engine), "6.3")
    # No registry runs here, so nothing is pushed: the versioned tag is seen, the push is missing.
    assert tagged.status == "fail"
    assert tagged.evidence["image_versioned_tags"] == ["iswitch-streamlit:2.0.0"]
    assert "only `latest`" not in tagged.summary and "not pushed" in tagged.summary
    only = run_item(settings_for(project, docker_engine, READINESS_IMAGE="onlylatest:latest"), "6.3")
    assert only.status == "fail"
    assert "tagged only `latest`" in only.summary


def test_judge_image_tags_passes_a_tagged_pushed_image():
    result = judge_image_tags("reg.example:5000/app:latest", ["reg.example:5000/app:latest", "reg.example:5000/app:2.0.0"],
                              ["reg.example:5000/app@sha256:" + "a" * 64])
    assert result.status == "pass" and "app:2.0.0" in result.summary
    assert judge_image_tags("app:latest", ["app:latest"], []).summary.count(";") == 1


@pytest.mark.parametrize(
    ("container", "status", "words", "auto"),
    [
        ("rt-healthy", "pass", "0 restarts, no error lines, restart policy unless-stopped", 1.0),
        ("rt-norestart", "warn", "without a restart policy", 0.0),
        ("rt-errors", "fail", "2 error line(s)", 1.0),
        ("rt-restarted", "warn", "restarted 1 time(s)", 1.0),
        ("rt-exited", "fail", "is exited (exit code 3)", 0.0),
    ],
)
def test_container_states_are_told_apart(docker_engine, project, container, status, words, auto):
    result = run_item(settings_for(project, docker_engine, container), "10.2")
    assert result.status == status, result.summary
    assert words in result.summary
    measurement = result.measurements["avail.auto_restart"]
    assert measurement.value == auto
    expected = {"rt-restarted": "Yes (always)", "rt-norestart": "No", "rt-exited": "No"}
    assert measurement.display == expected.get(container, "Yes (unless-stopped)")


def test_container_error_lines_are_evidence(docker_engine, project):
    result = run_item(settings_for(project, docker_engine, "rt-errors"), "10.2")
    samples = result.evidence["container_error_samples"]
    assert any("ERROR could not connect to database" in s for s in samples)
    assert not any(s == "ready" for s in samples)


def test_missing_container_fails(docker_engine, project):
    result = run_item(settings_for(project, docker_engine, "no-such-container"), "10.2")
    assert result.status == "fail" and "not found" in result.summary


@pytest.mark.parametrize(
    ("container", "status", "words"),
    [
        ("rt-healthy", "pass", "is healthy"),
        ("rt-unhealthy", "fail", "is unhealthy"),
        ("rt-nohealth", "warn", "no health check"),
        ("rt-exited", "fail", "not running"),
    ],
)
def test_health_status(docker_engine, project, container, status, words):
    result = run_item(settings_for(project, docker_engine, container), "10.3")
    docker_result = own(result, "docker.health")
    assert docker_result.status == status, docker_result.summary
    assert words in docker_result.summary


def test_log_rotation_from_the_container_log_driver(docker_engine, project):
    result = run_item(settings_for(project, docker_engine, "rt-healthy"), "5.7")
    assert result.status == "pass", result.summary
    assert "json-file (max-size 10m)" in result.summary


def test_log_rotation_without_max_size_needs_a_logrotate_rule(docker_engine, project):
    no_rule = run_item(settings_for(project, docker_engine, "rt-norestart", READINESS_LOG_DIR="/app/logs"), "5.7")
    assert no_rule.status == "fail"
    assert "no logrotate rule covers /app/logs" in no_rule.summary
    write_system_root(project / "sysroot", logrotate_dir="/app/logs")
    covered = run_item(settings_for(project, docker_engine, "rt-norestart", READINESS_LOG_DIR="/app/logs"), "5.7")
    assert covered.status == "pass", covered.summary
    assert "iswitch-crm:2" in covered.summary
    assert covered.evidence["logrotate_rules"][0]["directives"][:2] == ["daily", "rotate 14"]


def test_log_rotation_unknown_everything_is_an_error(project, tmp_path):
    settings = make_settings(project, DOCKER_HOST=f"unix://{tmp_path}/none.sock",
                             READINESS_SYSTEM_ROOT=str(tmp_path / "empty"))
    result = run_item(settings, "5.7")
    assert result.status == "error"
    assert "log_dir is not set" in result.summary


def test_compose_v2_v1_and_missing(tmp_path, project):
    # The Compose plugin is not installed on this machine: small scripts print exactly what
    # `docker compose version` (v2) and `docker-compose version` (v1) print.
    def script(name: str, text: str, code: int = 0) -> str:
        path = tmp_path / name
        path.write_text(f"#!/bin/sh\necho '{text}'\nexit {code}\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return str(path)

    v2 = script("compose-v2", "Docker Compose version v2.24.6")
    v1 = script("compose-v1", "docker-compose version 1.29.2, build unknown")
    none = script("docker-no-plugin", "docker: unknown command: docker compose", 1)
    settings = make_settings(project)
    ok = run_item(settings, "2.2", {"compose_commands": [[v2, "version"], [v1, "version"]]})
    assert ok.status == "pass" and "2.24.6" in ok.summary
    old = run_item(settings, "2.2", {"compose_commands": [[none, "compose", "version"], [v1, "version"]]})
    assert old.status == "fail" and "Compose v1 (docker-compose 1.29.2)" in old.summary and "too old" in old.summary
    missing = run_item(settings, "2.2", {"compose_commands": [[none, "compose", "version"],
                                                              [str(tmp_path / "nothing"), "version"]]})
    assert missing.status == "fail" and "not found" in missing.summary
    assert any("not found" in str(t.get("result")) for t in missing.evidence["compose_tried"])


def test_version_parsing():
    assert version_tuple("20.10.24+dfsg1") == (20, 10, 24)
    assert version_tuple("v2.24.0-desktop.1") == (2, 24, 0)
    assert parse_compose_version("Docker Compose version v2.27.0") == ("v2", "2.27.0")
    assert parse_compose_version("docker-compose version 1.29.2, build 5becea4c") == ("v1", "1.29.2")
    assert parse_compose_version("garbage") is None


def test_availability_row_is_filled_from_the_container(docker_engine, project):
    def row_for(container: str) -> dict:
        env = {"DOCKER_HOST": docker_engine.host, "READINESS_CONTAINER": container}
        proc = run_cli("check", str(project), "--only", "10.2", "--format", "json", env=env)
        report = json.loads(proc.stdout)
        rows = [r for t in report["criteria"] if t["id"] == "availability" for r in t["rows"]]
        return next(r for r in rows if r["metric"] == "Auto-restart on Failure")

    assert row_for("rt-healthy") | {"target": None} == {
        "metric": "Auto-restart on Failure", "target": None, "measured": "Yes (unless-stopped)", "value": 1.0,
        "status": "PASS"}
    no = row_for("rt-norestart")
    assert (no["measured"], no["value"], no["status"]) == ("No", 0.0, "FAIL")
