"""Checks secrets.scan (1.6), secrets.config_files (3.4), secrets.rotated (3.5)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from fixtures.projects import anon_key, git, make_good_project, make_jwt, service_key, write_env
from fixtures.sec import init_repo, planted_secrets, run_check

from readiness_tui import scanner
from readiness_tui.model import Status

pytestmark = pytest.mark.fast


def test_scan_fails_on_planted_secrets_with_findings_in_evidence(secrets_repo):
    root, where = secrets_repo
    result = run_check(root, "secrets.scan", "1.6")
    assert result.status == Status.FAIL
    assert "hardcoded secret(s)" in result.summary and "worst: critical" in result.summary
    findings = result.evidence["findings"]
    assert {(f["file"], f["line"]) for f in findings} == set(where)
    assert set(findings[0]) == {"file", "line", "rule", "severity", "preview"}
    assert result.evidence["severity_counts"]["critical"] == sum(1 for s in where.values() if s.severity == "critical")
    assert result.measurements["secret_findings"].value == len(where) - 1  # the anon key is informational
    assert result.facts["findings"] and all(set(f) == {"path", "rule", "severity", "count"}
                                            for f in result.facts["findings"])
    dumped = json.dumps(result.evidence)
    assert all(s.value not in dumped for s in where.values())


def test_scan_passes_on_a_clean_project_and_notes_public_keys(good_project, tmp_path):
    result = run_check(good_project, "secrets.scan", "1.6")
    assert result.status == Status.PASS, result.summary
    assert "no hardcoded secrets" in result.summary
    root = init_repo(tmp_path / "anon")
    (root / "app.py").write_text(f"SUPABASE_KEY = '{anon_key()}'\n")
    git(root, "add", "-A")
    result = run_check(root, "secrets.scan", "1.6")
    assert result.status == Status.PASS
    assert "1 public key(s) noted, informational (supabase-anon-jwt at app.py:1)" in result.summary
    assert result.facts["findings"] == [{"path": "app.py", "rule": "supabase-anon-jwt", "severity": "info",
                                         "count": 1}]


def test_skipped_files_are_reported(tmp_path):
    root = init_repo(tmp_path / "bin")
    (root / "logo.png").write_bytes(b"\x89PNG\0\0\0")
    (root / "app.py").write_text("print(1)\n")
    git(root, "add", "-A")
    result = run_check(root, "secrets.scan", "1.6")
    assert result.status == Status.PASS
    assert result.evidence["skipped"]["binary"] == 1 and "1 binary" in result.summary


def test_config_files_ignores_prose_and_env_files_but_not_code(tmp_path):
    secret = planted_secrets(seed=21)[6].value
    root = init_repo(tmp_path / "scope")
    (root / "docs").mkdir()
    (root / "docs" / "RUNBOOK.md").write_text(f"Slack: {secret}\n")
    (root / ".env.production").write_text(f"SLACK={secret}\n")
    git(root, "add", "-A", "-f")
    shared: dict = {}
    assert run_check(root, "secrets.scan", "1.6", shared=shared).status == Status.FAIL
    result = run_check(root, "secrets.config_files", "3.4", shared=shared)
    assert result.status == Status.PASS, result.summary
    (root / "settings.py").write_text(f"SLACK = '{secret}'\n")
    git(root, "add", "-A")
    result = run_check(root, "secrets.config_files", "3.4")
    assert result.status == Status.FAIL
    assert [f["file"] for f in result.evidence["findings"]] == ["settings.py"]


def test_one_scan_serves_both_items(secrets_repo, monkeypatch):
    from readiness_tui.target import open_target, run_items

    root, _ = secrets_repo
    calls = []
    real = scanner.scan

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(scanner, "scan", counting)
    target = open_target(root)
    items = [target.checklist.item("1.6"), target.checklist.item("3.4")]
    results, _ = asyncio.run(run_items(target, items))
    assert len(calls) == 1
    assert results["3.4"].status == Status.FAIL
    assert any(c.check == "secrets.scan" and c.status == Status.FAIL for c in results["1.6"].checks)


def test_rotated_fails_when_env_matches_example_or_backup(tmp_path):
    front = make_good_project(tmp_path / "repo")
    env = (front / ".env").read_text()
    key = anon_key()
    write_env(front / ".env.example", {"SUPABASE_KEY": "your-anon-public-key", "PUSHER_APP_KEY": "0f1e2d3c4b5a69788796"})
    result = run_check(front, "secrets.rotated", "3.5")
    assert result.status == Status.FAIL
    assert "PUSHER_APP_KEY equals frontend-streamlit/.env.example" in result.summary
    assert key[:12] not in json.dumps(result.evidence)
    write_env(front / ".env.example", {"SUPABASE_KEY": "your-anon-public-key"})
    (front / ".env.backup").write_text(env)
    git(tmp_path / "repo", "add", "-f", "frontend-streamlit/.env.backup")
    result = run_check(front, "secrets.rotated", "3.5")
    assert result.status == Status.FAIL
    assert {d["same_as"] for d in result.evidence["unrotated"]} == {"frontend-streamlit/.env.backup"}


def test_rotated_flags_public_demo_keys_and_passes_otherwise(tmp_path):
    front = make_good_project(tmp_path / "repo")
    result = run_check(front, "secrets.rotated", "3.5")
    assert result.status == Status.PASS, result.summary
    assert "differ from" in result.summary and "frontend-streamlit/.env.example" in result.evidence["compared_with"]
    assert result.facts["unrotated"] == [] and result.facts["env_file"] is True
    demo = make_jwt({"iss": "supabase-demo", "role": "anon", "exp": 1983812996})
    lines = [ln for ln in (front / ".env").read_text().splitlines() if not ln.startswith("SUPABASE_KEY=")]
    env = "\n".join(lines) + f"\nSUPABASE_KEY={demo}\n"
    (front / ".env").write_text(env)
    result = run_check(front, "secrets.rotated", "3.5")
    assert result.status == Status.FAIL
    assert result.evidence["demo_keys"] == [{"key": "SUPABASE_KEY", "why": "the public self-hosted Supabase demo key"}]


def test_rotated_without_env_and_without_files_waits_for_a_person(tmp_path):
    """3.5 is never not applicable: with nothing to compare, a person confirms."""
    root = init_repo(tmp_path / "noenv")
    (root / "app.py").write_text("print('hi')\n")
    git(root, "add", "-A")
    result = run_check(root, "secrets.rotated", "3.5")
    assert result.status == Status.PENDING
    assert "no .env here to compare (no tracked env backup or compose file either)" in result.summary
    assert result.facts["env_file"] is False and result.facts["compared_with"] == []


def _real_values(seed: int) -> dict[str, str]:
    secrets = planted_secrets(seed=seed)
    return {"JWT_SECRET": secrets[-2].value, "STRIPE_SECRET_KEY": secrets[8].value,
            "DATABASE_URL": f"postgresql://crm:{secrets[-1].value}@db.prod.internal:5432/crm"}


def test_rotated_without_env_fails_on_a_tracked_backup_with_production_keys(tmp_path):
    root = init_repo(tmp_path / "backup")
    values = _real_values(31)
    write_env(root / ".env.production.bak", {**values, "LOG_LEVEL": "info", "SUPABASE_KEY": anon_key()})
    write_env(root / ".env.example", {"JWT_SECRET": "change-me", "DATABASE_URL": "postgresql://postgres:postgres@localhost/crm"})
    git(root, "add", "-f", ".env.production.bak", ".env.example")
    result = run_check(root, "secrets.rotated", "3.5")
    assert result.status == Status.FAIL
    assert result.facts["exposed_in_git"] == [{"file": ".env.production.bak",
                                               "keys": ["DATABASE_URL (password)", "JWT_SECRET", "STRIPE_SECRET_KEY"]}]
    assert ".env.production.bak holds production keys (DATABASE_URL (password), JWT_SECRET, STRIPE_SECRET_KEY) in git" \
        in result.summary and "git rm --cached" in result.summary
    dumped = json.dumps(result.to_dict())
    assert all(v not in dumped for v in values.values())


def test_rotated_without_env_passes_placeholder_backups_to_a_person(tmp_path):
    root = init_repo(tmp_path / "placeholders")
    write_env(root / ".env.backup", {"JWT_SECRET": "your-jwt-secret", "DB_PASSWORD": "postgres",
                                     "DATABASE_URL": "postgresql://postgres:postgres@127.0.0.1:54322/postgres"})
    git(root, "add", "-f", ".env.backup")
    result = run_check(root, "secrets.rotated", "3.5")
    assert result.status == Status.PENDING, result.summary
    assert result.facts["compared_with"] == [".env.backup"] and result.facts["exposed_in_git"] == []


def test_rotated_without_env_flags_keys_shared_between_tracked_files_and_demo_keys(tmp_path):
    root = init_repo(tmp_path / "shared")
    secret = _real_values(32)["JWT_SECRET"]
    write_env(root / ".env.staging", {"JWT_SECRET": secret})
    (root / "docker-compose.yml").write_text(
        "services:\n  api:\n    environment:\n      JWT_SECRET: " + secret + "\n"
        "      SERVICE_ROLE_KEY: " + make_jwt({"iss": "supabase-demo", "role": "service_role", "exp": 1983812996}) + "\n")
    git(root, "add", "-f", ".env.staging", "docker-compose.yml")
    result = run_check(root, "secrets.rotated", "3.5")
    assert result.status == Status.FAIL
    assert result.facts["shared_between_files"] == [{"key": "JWT_SECRET", "file": ".env.staging",
                                                     "same_as": "docker-compose.yml"}]
    assert result.facts["demo_keys"] == [{"key": "SERVICE_ROLE_KEY", "why": "the public self-hosted Supabase demo key",
                                          "file": "docker-compose.yml"}]


def test_rotated_with_env_compares_compose_passwords_and_development_defaults(tmp_path):
    front = make_good_project(tmp_path / "repo")
    repo = front.parent
    password = _real_values(33)["DATABASE_URL"].split(":")[2].split("@")[0]
    env = (front / ".env").read_text()
    (front / ".env").write_text(env + f"DATABASE_URL=postgresql://crm:{password}@db:5432/crm\n")
    (repo / "docker-compose.yml").write_text(f"services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {password}\n")
    git(repo, "add", "docker-compose.yml")
    result = run_check(front, "secrets.rotated", "3.5")
    assert result.status == Status.FAIL
    assert result.facts["unrotated"] == [{"key": "DATABASE_URL (password)", "same_as": "docker-compose.yml"}]
    (front / ".env").write_text(env + "DATABASE_URL=postgresql://postgres:postgres@db:5432/crm\n")
    (repo / "docker-compose.yml").write_text("services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${PW}\n")
    result = run_check(front, "secrets.rotated", "3.5")
    assert result.status == Status.FAIL
    assert result.facts["development_defaults"] == [{"key": "DATABASE_URL (password)", "why": "a development default"}]
    assert "docker-compose.yml" in result.facts["compared_with"]


def test_service_key_in_frontend_config_is_critical(tmp_path):
    root = init_repo(tmp_path / "svc")
    (root / ".streamlit").mkdir()
    (root / ".streamlit" / "secrets.toml").write_text(f'supabase_key = "{service_key()}"\n')
    git(root, "add", "-A")
    result = run_check(root, "secrets.config_files", "3.4")
    assert result.status == Status.FAIL
    assert result.evidence["findings"][0]["rule"] == "supabase-service-role-jwt"
    assert result.evidence["findings"][0]["severity"] == "critical"


def test_scan_params_exclude_and_bad_values(secrets_repo):
    root, where = secrets_repo
    result = run_check(root, "secrets.scan", "1.6", params={"exclude": ["docs/*"], "max_file_bytes": 2097152})
    assert {f["file"] for f in result.evidence["findings"]} == {r for r, _ in where} - {"docs/RUNBOOK.md"}
    result = run_check(root, "secrets.scan", "1.6", params={"max_file_bytes": 0})
    assert result.status == Status.ERROR and "max_file_bytes" in result.summary


@pytest.mark.parametrize(("params", "message"), [
    ('max_file_bytes = "big"', "parameter 'max_file_bytes' must be an integer, not a string"),
    ('exclude = "docs/*"', "parameter 'exclude' must be a list of strings, not a string"),
    ("exclude = [1]", "parameter 'exclude' must be a list of strings, not a list of other values"),
])
def test_scan_params_of_the_wrong_type_are_load_errors(params: str, message: str) -> None:
    from readiness_tui.checklist import parse_checklist
    from readiness_tui.errors import UsageError

    text = (Path(__file__).parents[1] / "readiness_tui/data/checklist.toml").read_text()
    key = params.split(" = ")[0]
    bad = re.sub(rf"(?m)^{key} = .*$", params, text, count=1)
    assert bad != text
    with pytest.raises(UsageError, match=r"^mine\.toml:\d+: item 1\.6: " + message.replace("(", "\\(")):
        parse_checklist(bad.encode(), "mine.toml")


@pytest.mark.parametrize(("n", "shown"), [(0, "0 bytes"), (12_345, "12 kB"), (300, "1 kB"), (2_500_000, "2.5 MB")])
def test_scanned_size_is_never_zero_megabytes(n: int, shown: str) -> None:
    """A small repository's scan read "(0.0 MB scanned)", as if nothing was read."""
    from readiness_tui.checks.secrets import _size

    assert _size(n) == shown
