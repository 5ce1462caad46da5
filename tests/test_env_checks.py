"""Section 1 and 9 checks on fixture projects: each planted problem on the right item, fixed → pass."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from fixtures.projects import GOOD_REF, PROBE_LOOPBACK, anon_key, git, make_jwt, service_key, write_env
from readiness_tui.checks.env import analyse_supabase_key

from readiness_tui.model import Status

URL = f"https://{GOOD_REF}.supabase.co"


def statuses(cli, project, only="1,9") -> dict[str, dict]:
    if not (project / "readiness.toml").exists():
        (project / "readiness.toml").write_text(PROBE_LOOPBACK)  # live probes stay on loopback
    proc = cli("check", str(project), "--format", "json", "--only", only, "--fail-under", "0")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    return {i["id"]: i for s in data["sections"] for i in s["items"]}


@pytest.mark.parametrize(
    ("key", "status", "words"),
    [
        (anon_key(), Status.PASS, "public anon key"),
        (service_key(), Status.FAIL, "service_role"),
        ("sb_secret_" + "a1B2" * 8, Status.FAIL, "secret key"),
        ("sb_publishable_" + "a1B2" * 8, Status.PASS, "publishable"),
        ("your-anon-public-key", Status.FAIL, "placeholder"),
        (make_jwt({"iss": "supabase-demo", "role": "anon", "exp": 1983812996, "iat": 1641769200}), Status.FAIL, "demo"),
        (anon_key(ref="zyxwvutsrqponmlkjihg"), Status.FAIL, "belongs to project zyxwvutsrqponmlkjihg"),
        (anon_key(exp=int(time.time()) - 86400), Status.FAIL, "expired"),
        (make_jwt({"iss": "supabase", "role": "authenticated"}), Status.FAIL, "expected 'anon'"),
        ("plainstringthatisnotakey123", Status.WARN, "neither a JWT"),
    ],
)
def test_supabase_key_analysis(key, status, words):
    result = analyse_supabase_key(key, URL)
    assert result.status == status, result.summary
    assert words in result.summary
    assert key not in json.dumps(result.evidence)


def test_good_project_passes_sections_1_and_9(cli, good_project):
    items = statuses(cli, good_project)
    pusher = {c["check"]: c["status"] for c in items["1.5"]["checks"]}
    assert pusher["env.pusher"] == "pass"  # the live handshake has no Pusher server here
    for item_id in ["1.1", "1.2", "1.3", "1.4", "1.7", "9.1", "9.2", "9.3", "9.5", "9.6", "9.7", "9.8"]:
        assert items[item_id]["status"] == "pass", (item_id, items[item_id]["summary"])


def test_planted_problems_reported_on_the_right_items_then_fixed(cli, good_project):
    front = good_project
    repo = front.parent
    env = (front / ".env").read_text()
    leaked = service_key()
    # 1.4: a service_role key; 1.2: the template's BACKEND_API_URL
    write_env(front / ".env", {"BACKEND_API_URL": "https://api.yourdomain.com", "SUPABASE_URL": URL,
                               "SUPABASE_KEY": leaked, "CACHE_TTL_SECONDS": "300", "STREAMLIT_SERVER_PORT": "8501"})
    # 1.6/1.7: a tracked backup env file with real values
    backup_secret = "Zq8" + "xP2vL9" * 5
    (front / ".env.backup-2025").write_text(f"SUPABASE_KEY={leaked}\nAPI_SECRET={backup_secret}\nPORT=8501\n")
    git(repo, "add", "-f", "frontend-streamlit/.env.backup-2025")
    # 9.2: missing user guide; 9.1: README link to a missing file
    (repo / "docs" / "USER_GUIDE.md").unlink()
    readme = (repo / "README.md").read_text()
    (repo / "README.md").write_text(readme + "\nSee [the runbook](docs/OPERATIONS.md).\n")
    git(repo, "commit", "-qam", "problems")
    proc = cli("check", str(front), "--format", "json", "--only", "1,9")
    assert proc.returncode == 1
    items = {i["id"]: i for s in json.loads(proc.stdout)["sections"] for i in s["items"]}
    assert items["1.4"]["status"] == "fail" and "service_role" in items["1.4"]["summary"]
    assert items["1.2"]["status"] == "fail" and "placeholder" in items["1.2"]["summary"]
    assert items["1.6"]["status"] == "fail"
    assert ".env.backup-2025" in items["1.6"]["summary"] and "API_SECRET" in items["1.6"]["summary"]
    assert "PORT" not in items["1.6"]["summary"]
    assert items["1.7"]["status"] == "fail" and ".env.backup-2025" in items["1.7"]["summary"]
    assert items["9.2"]["status"] == "fail" and "USER_GUIDE" in items["9.2"]["summary"]
    # a broken link is a caveat of a README that has setup and configuration, not a missing setup guide
    assert items["9.1"]["status"] == "warn" and "docs/OPERATIONS.md" in items["9.1"]["summary"]
    everything = proc.stdout + proc.stderr + (front / ".readiness" / "run.json").read_text()
    assert leaked not in everything and backup_secret not in everything

    # fixed: each item passes again
    (front / ".env").write_text(env)
    git(repo, "rm", "-q", "--cached", "frontend-streamlit/.env.backup-2025")
    (front / ".env.backup-2025").unlink()
    (repo / "docs" / "USER_GUIDE.md").write_text("# Guide\n\n" + "How to use the dashboard well. " * 20)
    (repo / "docs" / "OPERATIONS.md").write_text("# Operations\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "fixed")
    items = statuses(cli, front)
    for item_id in ("1.2", "1.4", "1.6", "9.1", "9.2"):
        assert items[item_id]["status"] == "pass", (item_id, items[item_id]["summary"])
    # .env.backup-2025 is still in history, but 1.7 is about .env: it must pass
    assert items["1.7"]["status"] == "pass", items["1.7"]["summary"]


def test_env_tracked_by_git_fails_1_7(cli, good_project):
    repo = good_project.parent
    git(repo, "add", "-f", "frontend-streamlit/.env")
    git(repo, "commit", "-qm", "oops")
    items = statuses(cli, good_project, "1.7")
    assert items["1.7"]["status"] == "fail"
    assert "tracked by git" in items["1.7"]["summary"] and "git rm --cached" in items["1.7"]["summary"]


def test_env_not_ignored_fails_and_history_warns(cli, good_project):
    repo = good_project.parent
    (repo / ".gitignore").write_text("node_modules/\n")
    items = statuses(cli, good_project, "1.7")
    assert items["1.7"]["status"] == "fail" and "not ignored" in items["1.7"]["summary"]
    (repo / ".gitignore").write_text(".env\n")
    git(repo, "add", "-f", "frontend-streamlit/.env")
    git(repo, "commit", "-qm", "leak")
    git(repo, "rm", "-q", "--cached", "frontend-streamlit/.env")
    git(repo, "commit", "-qm", "unleak")
    items = statuses(cli, good_project, "1.7")
    assert items["1.7"]["status"] == "warn" and "committed before" in items["1.7"]["summary"]


def test_not_a_git_repository_warns(cli, tmp_path):
    write_env(tmp_path / ".env", {"BACKEND_API_URL": "http://localhost:8000"})
    items = statuses(cli, tmp_path, "1.2,1.6,1.7")
    assert items["1.7"]["status"] == "warn" and "not a git repository" in items["1.7"]["summary"]
    assert items["1.2"]["status"] == "fail" and "localhost" in items["1.2"]["summary"]


def test_dotenv_missing_keys_placeholders_and_dev_flags(cli, tmp_path):
    write_env(tmp_path / ".env", {"BACKEND_API_URL": "https://api.yourdomain.com", "SUPABASE_KEY": "your-anon-public-key",
                                  "DEBUG": "True", "FLASK_ENV": "development"})
    item = statuses(cli, tmp_path, "1.1")["1.1"]
    assert item["status"] == "fail"
    for word in ("SUPABASE_URL", "placeholder", "BACKEND_API_URL", "DEBUG=True", "FLASK_ENV=development"):
        assert word in item["summary"]
    assert item["evidence"]["missing_keys"] == ["SUPABASE_URL", "CACHE_TTL_SECONDS", "STREAMLIT_SERVER_PORT"]


def test_no_dotenv_fails_with_how(cli, tmp_path):
    (tmp_path / ".env.example").write_text("A=1\n")
    item = statuses(cli, tmp_path, "1.1")["1.1"]
    assert item["status"] == "fail" and "copy .env.example to .env" in item["summary"]


def test_pusher_both_absent_not_applicable_one_missing_fails(cli, tmp_path):
    write_env(tmp_path / ".env", {"X": "1"})
    assert statuses(cli, tmp_path, "1.5")["1.5"]["status"] == "not_applicable"
    write_env(tmp_path / ".env", {"PUSHER_APP_KEY": "0f1e2d3c4b5a69788796"})
    item = statuses(cli, tmp_path, "1.5")["1.5"]
    assert item["status"] == "fail" and "PUSHER_CLUSTER" in item["summary"]
    write_env(tmp_path / ".env", {"PUSHER_APP_KEY": "0f1e2d3c4b5a69788796", "PUSHER_CLUSTER": "moon1"})
    assert "not a Pusher cluster" in statuses(cli, tmp_path, "1.5")["1.5"]["summary"]


def test_docs_architecture_phases_and_readme_parts(cli, good_project):
    repo = good_project.parent
    (repo / "docs" / "ARCHITECTURE.md").write_text("# Architecture\n\nNo picture yet.\n")
    (repo / "PHASE_C_COMPLETE.md").unlink()
    (repo / "README.md").write_text("# Project\n\n## Usage\n\n```\nstreamlit run app.py\n```\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "less docs")
    items = statuses(cli, good_project, "9")
    assert items["9.7"]["status"] == "fail"
    assert items["9.8"]["status"] == "fail" and "C" in items["9.8"]["evidence"]["missing"]
    assert items["9.1"]["status"] == "warn" and "configuration" in items["9.1"]["summary"]
    (repo / "README.md").write_text("# Project\n\n## Usage\n\nRun it.\n")  # a heading is not instructions
    git(repo, "commit", "-qam", "no setup")
    assert "no setup instructions" in statuses(cli, good_project, "9.1")["9.1"]["summary"]
    assert items["9.6"]["status"] == "fail"
    (repo / "docs" / "ARCHITECTURE.md").write_text(
        "# Architecture\n\n```\n+----------+     +-----+\n| Frontend | --> | API |\n+----------+     +-----+\n```\n")
    git(repo, "commit", "-qam", "ascii")
    assert statuses(cli, good_project, "9.7")["9.7"]["status"] == "pass"


def test_git_missing_is_not_a_crash(cli, tmp_path):
    # a directory whose .git is garbage: git fails, the checks still answer
    (tmp_path / ".git").write_text("gitdir: /nonexistent\n")
    write_env(tmp_path / ".env", {"X": "1"})
    proc = cli("check", str(tmp_path), "--only", "1.6,1.7", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    assert subprocess.run(["git", "status"], cwd=tmp_path, capture_output=True).returncode != 0



def test_env_ignore_is_probed_for_every_kind_and_tracked_files_are_named(good_project):
    """1.7 tests a name of each kind with git check-ignore, not one literal name, and names the
    tracked files in the command that untracks them."""
    from fixtures.sec import run_check

    repo = good_project.parent
    (repo / ".gitignore").write_text(".env\n.readiness/\n")
    result = run_check(good_project, "git.env_ignored", "1.7")
    assert result.status == Status.WARN, result.summary
    assert "but .env.local, .env.production, .env.prod, .env.staging … would not be" in result.summary
    assert result.facts["ignored"] is True and result.facts["tracked"] is False
    assert result.facts["not_ignored"] == [f"frontend-streamlit/{n}" for n in (
        ".env.local", ".env.production", ".env.prod", ".env.staging", ".env.development", ".env.backup", ".env.bak",
        ".env.old", ".env.save")]
    # A production copy on disk, not ignored: `git add -A` would commit it.
    (good_project / ".env.production").write_text("SUPABASE_URL=https://x.supabase.co\n")
    result = run_check(good_project, "git.env_ignored", "1.7")
    assert result.status == Status.FAIL and "frontend-streamlit/.env.production is not" in result.summary
    assert result.facts["unignored_present"] == ["frontend-streamlit/.env.production"]
    # Tracked with real values: named, with the command that untracks it.
    (repo / ".gitignore").write_text(".env\n.env.*\n!.env.example\n.readiness/\n")
    (good_project / ".env.production").write_text("JWT_SECRET=" + "Zq8" + "xP2vL9" * 5 + "\n")
    git(repo, "add", "-f", "frontend-streamlit/.env.production")
    result = run_check(good_project, "git.env_ignored", "1.7")
    assert result.status == Status.FAIL
    assert "`git rm --cached frontend-streamlit/.env.production` from the repository root" in result.summary
    assert result.evidence["untrack"] == result.facts["tracked_with_values"] == ["frontend-streamlit/.env.production"]
    # Everything ignored, nothing tracked: a pass that says how much was probed.
    git(repo, "rm", "-q", "--cached", "frontend-streamlit/.env.production")
    (good_project / ".env.production").unlink()
    result = run_check(good_project, "git.env_ignored", "1.7")
    assert result.status == Status.PASS and "every kind of env file probed (9)" in result.summary
    assert result.facts["not_ignored"] == [] and result.evidence["template_ignored"] is False


def test_made_up_values_in_a_tracked_test_env_are_not_real(good_project):
    from fixtures.sec import run_check

    repo = good_project.parent
    (good_project / ".env.test").write_text("SECRET_KEY=test-secret-key\nDB_PASSWORD=postgres\n"
                                            "DATABASE_URL=postgresql://postgres:postgres@127.0.0.1:5432/test\n")
    git(repo, "add", "-f", "frontend-streamlit/.env.test")
    result = run_check(good_project, "git.tracked_env_secrets", "1.6")
    assert result.status == Status.PASS, result.summary
    assert result.facts == {"tracked_env_files": ["frontend-streamlit/.env.example", "frontend-streamlit/.env.test"],
                            "with_real_values": []}
    assert run_check(good_project, "git.env_ignored", "1.7").status == Status.PASS
