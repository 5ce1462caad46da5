"""Backups (6.1, 6.2) and logrotate rules (5.7) against files laid out in temp directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fixtures.infra import make_settings, run_item, write_backup, write_system_root
from readiness_tui.checks.logs import parse_logrotate, rule_covers

pytestmark = pytest.mark.fast


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    return p


def backup_settings(project: Path, backups: Path, sysroot: Path, **extra: str):
    return make_settings(project, READINESS_BACKUP_DIR=str(backups), READINESS_SYSTEM_ROOT=str(sysroot), **extra)


@pytest.mark.parametrize(
    ("age_hours", "status", "words"),
    [
        (3, "pass", "3.0 h old; scheduled by"),
        (48, "warn", "2.0 days old (more than 26 h)"),
        (240, "fail", "10.0 days old (more than 7 days)"),
    ],
)
def test_backup_age_bands(tmp_path, project, age_hours, status, words):
    backups = tmp_path / "backups"
    write_backup(backups / "20260101" / "old.sql.gz", 400)
    write_backup(backups / "20260102" / "db.sql.gz", age_hours)
    sysroot = write_system_root(tmp_path / "root", cron=True)
    result = run_item(backup_settings(project, backups, sysroot), "6.1")
    assert result.status == status, result.summary
    assert words in result.summary
    assert result.evidence["backup_newest"].endswith("20260102/db.sql.gz")
    assert abs(result.measurements["backup.age_hours"].value - age_hours) < 0.1
    assert result.evidence["backup_schedules"][0]["entry"].startswith("30 2 * * * root")


def test_no_backup_fails(tmp_path, project):
    backups = tmp_path / "backups"
    backups.mkdir()
    result = run_item(backup_settings(project, backups, write_system_root(tmp_path / "root")), "6.1")
    assert result.status == "fail" and result.summary.startswith("no backup in")
    missing = run_item(backup_settings(project, tmp_path / "nowhere", tmp_path / "root"), "6.1")
    assert missing.status == "fail" and "does not exist" in missing.summary


def test_fresh_backup_without_schedule_warns(tmp_path, project):
    backups = tmp_path / "backups"
    write_backup(backups / "db.dump", 1)
    result = run_item(backup_settings(project, backups, write_system_root(tmp_path / "root", cron=False)), "6.1")
    assert result.status == "warn"
    assert "no cron or systemd-timer entry runs a backup" in result.summary


def test_systemd_timer_counts_as_schedule(tmp_path, project):
    backups = tmp_path / "backups"
    write_backup(backups / "db.dump", 1)
    sysroot = write_system_root(tmp_path / "root", cron=False, timer=True)
    result = run_item(backup_settings(project, backups, sysroot), "6.1")
    assert result.status == "pass", result.summary
    assert "db-backup.timer (OnCalendar=daily)" in result.evidence["backup_schedules"][0]["entry"]


def test_backup_dir_unset_waits_for_a_person(project, tmp_path):
    result = run_item(make_settings(project, READINESS_SYSTEM_ROOT=str(tmp_path)), "6.1")
    assert result.status == "pending" and "backup_dir is not set" in result.summary


def test_config_backups_private_pass_world_readable_fail(tmp_path, project):
    backups = tmp_path / "backups" / "20260102"
    env_copy = write_backup(backups / ".env", 1, "SECRET_KEY=abc\n")
    conf_copy = write_backup(backups / "config.toml", 1, "[server]\n")
    write_backup(backups / "image.tar.gz", 1)
    os.chmod(env_copy, 0o600)
    os.chmod(conf_copy, 0o640)
    settings = make_settings(project, READINESS_CONFIG_BACKUP_DIR=str(tmp_path / "backups"))
    ok = run_item(settings, "6.2")
    assert ok.status == "pass", ok.summary
    assert ok.evidence["config_backups_count"] == 2
    os.chmod(env_copy, 0o644)
    bad = run_item(settings, "6.2")
    assert bad.status == "fail"
    assert "1 of 2 configuration backups readable by others: 20260102/.env (0o644)" in bad.summary
    assert "abc" not in str(bad.evidence)


def test_config_backups_missing(tmp_path, project):
    (tmp_path / "b").mkdir()
    write_backup(tmp_path / "b" / "db.sql", 1)
    result = run_item(make_settings(project, READINESS_BACKUP_DIR=str(tmp_path / "b")), "6.2")
    assert result.status == "fail" and "no configuration backup" in result.summary


def test_logrotate_parser_and_coverage():
    text = """
# comment
weekly
include /etc/logrotate.d
/var/log/nginx/*.log /app/logs/*.log {
    daily
    postrotate
        systemctl reload nginx { weird }
    endscript
    rotate 7
}
"/srv/other/app.log" { size 10M }
"""
    rules = parse_logrotate(text, "f")
    assert len(rules) == 2
    assert rules[0].patterns == ["/var/log/nginx/*.log", "/app/logs/*.log"]
    assert rules[0].directives == ["daily", "rotate 7"] and rules[0].line == 5
    assert rule_covers("/app/logs/*.log", "/app/logs") and rule_covers("/app/logs/*.log", "/app/logs/")
    assert not rule_covers("/var/log/nginx/*.log", "/app/logs")
    assert rule_covers("/srv/other/app.log", "/srv/other")


def test_logrotate_rule_in_the_project(tmp_path, project):
    (project / "deploy").mkdir()
    (project / "deploy" / "logrotate.conf").write_text("/app/logs/*.log {\n  daily\n  rotate 14\n}\n")
    settings = make_settings(project, READINESS_LOG_DIR="/app/logs", READINESS_SYSTEM_ROOT=str(tmp_path / "r"),
                             DOCKER_HOST=f"unix://{tmp_path}/no.sock")
    result = run_item(settings, "5.7")
    assert result.status == "pass", result.summary
    assert "deploy/logrotate.conf:1" in result.summary


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("dpkg", "#!/bin/sh\nif [ -d /run/systemd/system ]; then\n  exit 0\nfi\n\n/usr/libexec/dpkg/dpkg-db-backup\n"),
        ("passwd", "#!/bin/sh\ncd /var/backups || exit 0\nfor FILE in passwd group shadow; do cp -p /etc/$FILE $FILE.bak; done\n"),
    ],
)
def test_os_housekeeping_backup_is_not_a_database_schedule(tmp_path, project, name, body):
    """Debian's own cron.daily jobs say "backup" but never back up the application's database."""
    backups = tmp_path / "backups"
    write_backup(backups / "db.dump", 1)
    sysroot = write_system_root(tmp_path / "root", cron=False)
    (sysroot / "etc" / "cron.daily").mkdir(parents=True)
    (sysroot / "etc" / "cron.daily" / name).write_text(body)
    result = run_item(backup_settings(project, backups, sysroot), "6.1")
    assert result.status == "warn", result.summary
    assert "no cron or systemd-timer entry runs a backup" in result.summary
    assert result.evidence["backup_schedules"] == []


def test_vendor_timer_counts_only_when_enabled(tmp_path, project):
    """postgresql-common ships pg_basebackup@.timer: a template that schedules nothing until an instance
    is enabled (a link in timers.target.wants)."""
    backups = tmp_path / "backups"
    write_backup(backups / "db.dump", 1)
    sysroot = write_system_root(tmp_path / "root", cron=False)
    vendor = sysroot / "usr" / "lib" / "systemd" / "system"
    vendor.mkdir(parents=True)
    (vendor / "pg_basebackup@.timer").write_text("[Timer]\nOnCalendar=weekly\n")
    (vendor / "pg_basebackup@.service").write_text("[Service]\nExecStart=/usr/bin/pg_backupcluster %i basebackup\n")
    (vendor / "nightly-dump.timer").write_text("[Timer]\nOnCalendar=daily\n")
    (vendor / "nightly-dump.service").write_text("[Service]\nExecStart=/usr/bin/pg_dump -Fc crm\n")
    result = run_item(backup_settings(project, backups, sysroot), "6.1")
    assert result.status == "warn" and result.evidence["backup_schedules"] == [], result.summary
    wants = sysroot / "etc" / "systemd" / "system" / "timers.target.wants"
    wants.mkdir(parents=True)
    (wants / "pg_basebackup@15-main.timer").symlink_to(vendor / "pg_basebackup@.timer")
    result = run_item(backup_settings(project, backups, sysroot), "6.1")
    assert result.status == "pass", result.summary
    assert [e["source"] for e in result.evidence["backup_schedules"]] == [str(vendor / "pg_basebackup@.service")]
