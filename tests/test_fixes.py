"""Safe fixes: plans, diffs, atomic apply with backups, round trips that keep comments, the CLI."""

from __future__ import annotations

import difflib
import stat
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.projects import git
from fixtures.sec import init_repo

from readiness_tui import fixes
from readiness_tui.target import open_target

pytestmark = pytest.mark.fast

COMMENTED = """\
# Streamlit settings for the CRM frontend.
# Reviewed by security, 2024-05.

[theme]
base = "dark"   # matches the brand

[server]
# Port behind the reverse proxy
port = 8501
enableXsrfProtection = false  # TODO: turn on before launch
enableCORS = false

# Browser options below
[browser]
gatherUsageStats = false
"""


def project(tmp_path: Path, config: str | None = COMMENTED) -> Path:
    root = init_repo(tmp_path / "proj")
    (root / ".gitignore").write_text(".env\n.env.*\n!.env.example\n.readiness/\n")
    if config is not None:
        (root / ".streamlit").mkdir()
        (root / ".streamlit" / "config.toml").write_text(config)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_xsrf_fix_changes_only_its_line_and_keeps_comments(tmp_path):
    root = project(tmp_path)
    target = open_target(root)
    [fix] = fixes.available(target, "3.2")
    changes = fix.plan(target)
    diff = fixes.render_diff(changes)
    assert "--- a/.streamlit/config.toml" in diff and "+enableXsrfProtection = true" in diff
    backups = fixes.apply(target, changes)
    after = (root / ".streamlit" / "config.toml").read_text()
    assert changed_lines(COMMENTED, after) == (
        ["enableXsrfProtection = false  # TODO: turn on before launch"],
        ["enableXsrfProtection = true  # TODO: turn on before launch"])
    assert len(backups) == 1 and backups[0].read_text() == COMMENTED
    assert backups[0].is_relative_to(root / ".readiness" / "backups")
    assert fixes.available(open_target(root), "3.2") == []


def test_error_details_fix_adds_a_table_and_keeps_every_other_byte(tmp_path):
    root = project(tmp_path)
    target = open_target(root)
    [fix] = fixes.available(target, "3.8")
    fixes.apply(target, fix.plan(target))
    after = (root / ".streamlit" / "config.toml").read_text()
    assert after.startswith(COMMENTED)
    removed, added = changed_lines(COMMENTED, after)
    assert removed == [] and added == ["", "[client]", 'showErrorDetails = "type"']


def test_key_added_to_existing_table_lands_after_its_last_key(tmp_path):
    text = "[client]\ntoolbarMode = \"minimal\"\n\n# next table\n[runner]\nfastReruns = true\n"
    out = fixes.set_toml_value(text, "client", "showErrorDetails", "type")
    assert out == ("[client]\ntoolbarMode = \"minimal\"\nshowErrorDetails = \"type\"\n\n# next table\n"
                   "[runner]\nfastReruns = true\n")


def test_fix_creates_a_missing_config_file(tmp_path):
    root = project(tmp_path, config=None)
    target = open_target(root)
    changes = fixes.available(target, "3.2")[0].plan(target)
    assert changes[0].before is None
    assert "new file .streamlit/config.toml" in fixes.render_diff(changes)
    assert fixes.apply(target, changes) == []
    assert "enableXsrfProtection = true" in (root / ".streamlit" / "config.toml").read_text()


def test_gitignore_fix_ignores_env_files_but_keeps_the_example(tmp_path):
    root = init_repo(tmp_path / "gi")
    (root / ".gitignore").write_text("__pycache__/\n*.pyc")  # no final newline
    target = open_target(root)
    [fix] = fixes.available(target, "1.7")
    assert fixes.available(target, "1.6") == [fix]
    changes = fix.plan(target)
    fixes.apply(target, changes)
    text = (root / ".gitignore").read_text()
    assert text.startswith("__pycache__/\n*.pyc\n")
    assert text.endswith(".env\n.env.*\nsecrets.toml\n!.env.example\n")
    for name in (".env", ".env.production", ".env.local", ".env.backup.20251013_182201", "app/.env.staging",
                 ".streamlit/secrets.toml", "frontend/.streamlit/secrets.toml"):
        assert fixes.is_ignored(root, name), name
    assert not fixes.is_ignored(root, ".env.example")
    assert fixes.available(open_target(root), "1.7") == []


def test_create_env_fix_writes_placeholders_0600_after_ignoring(tmp_path):
    root = init_repo(tmp_path / "mk")
    target = open_target(root)
    [fix] = fixes.available(target, "1.1")
    changes = fix.plan(target)
    assert [c.label for c in changes] == [".gitignore", ".env"]
    fixes.apply(target, changes)
    env = root / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert "SUPABASE_KEY=your-anon-public-key" in env.read_text()
    assert fixes.is_ignored(root, ".env")
    assert fixes.available(open_target(root), "1.1") == []


def test_apply_refuses_unsafe_changes(tmp_path):
    root = project(tmp_path)
    (root / ".env").write_text("SECRET_KEY=abc\n")
    target = open_target(root)
    changes = fixes.available(target, "3.2")[0].plan(target)
    (root / ".streamlit" / "config.toml").write_text(COMMENTED + "# edited meanwhile\n")
    with pytest.raises(fixes.FixError, match="changed since"):
        fixes.apply(target, changes)
    outside = tmp_path / "elsewhere.txt"
    with pytest.raises(fixes.FixError, match="outside the project's repository"):
        fixes.apply(target, [fixes.FileChange(outside, None, "x\n")])
    assert not outside.exists()
    with pytest.raises(fixes.FixError, match="never edits an existing env file"):
        fixes.apply(target, [fixes.FileChange(root / ".env", "SECRET_KEY=abc\n", "SECRET_KEY=\n")])
    assert (root / ".env").read_text() == "SECRET_KEY=abc\n"
    (root / ".gitignore").write_text("")
    with pytest.raises(fixes.FixError, match="not ignored by git"):
        fixes.apply(target, [fixes.FileChange(root / "sub" / ".env.local", None, "A=your-a\n", 0o600)])


def test_logrotate_fix_writes_a_rule_for_the_log_dir(tmp_path):
    root = project(tmp_path)
    (root / "readiness.toml").write_text('[target]\nlog_dir = "/srv/crm/logs"\n')
    target = open_target(root)
    [fix] = fixes.available(target, "5.7")
    [change] = fix.plan(target)
    assert change.label == "deploy/logrotate/proj"
    fixes.apply(target, [change])
    text = (root / "deploy" / "logrotate" / "proj").read_text()
    assert "/srv/crm/logs/*.log {" in text and "rotate 14" in text and "compress" in text
    assert fixes.available(open_target(root), "5.7") == []


def _check_line(stdout: str, check: str) -> str:
    """The status of one check after `readiness fix --yes` (the item line when it is the only check)."""
    for line in stdout.splitlines():
        if line.strip().startswith(f"{check}:"):
            return line.split(":", 1)[1].strip()
    item_line = next(ln for ln in stdout.splitlines() if ln.startswith("item ") and " now: " in ln)
    return item_line.split(" now: ", 1)[1]


def test_cli_shows_diff_without_writing_then_applies_and_reruns(tmp_path):
    root = project(tmp_path)
    proc = run_cli("fix", "3.2", str(root))
    assert proc.returncode == 0, proc.stderr
    assert "+enableXsrfProtection = true" in proc.stdout and "Nothing written" in proc.stdout
    assert (root / ".streamlit" / "config.toml").read_text() == COMMENTED
    proc = run_cli("fix", "3.2", str(root), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "backup:" in proc.stdout
    # enableCORS = false stays (the seed's choice): the item now warns with the explanation.
    # (3.2 and 3.8 also have live checks of a running frontend: look at the config check's own line.)
    assert _check_line(proc.stdout, "streamlit.xsrf").startswith("warn")
    assert "Access-Control-Allow-Origin" in proc.stdout
    proc = run_cli("fix", "3.8", str(root), "--yes")
    assert _check_line(proc.stdout, "streamlit.error_details").startswith("pass")
    assert len(list((root / ".readiness" / "backups").glob("*.readiness-bak-*"))) == 2
    assert (root / ".readiness" / "backups" / ".gitignore").read_text() == "*\n"
    proc = run_cli("fix", "3.2", str(root))
    assert proc.returncode == 1 and "nothing to fix automatically" in proc.stdout


def test_cli_bad_input(tmp_path):
    root = project(tmp_path)
    proc = run_cli("fix", "42.1", str(root))
    assert proc.returncode == 2 and "no item '42.1'" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("fix", "2.1", str(root))
    assert proc.returncode == 1 and "no automatic fix for item 2.1" in proc.stderr
    (root / ".streamlit" / "config.toml").write_text("[server\n")
    proc = run_cli("fix", "3.2", str(root))
    assert proc.returncode == 2 and "invalid TOML" in proc.stderr and "Traceback" not in proc.stderr


def test_gitignore_fix_covers_a_tracked_backup_and_names_it_for_git_rm(tmp_path):
    root = init_repo(tmp_path / "bk")
    (root / ".gitignore").write_text(".env\n")
    (root / ".env.backup.20251013_182201").write_text("SECRET_KEY=" + "q" * 3 + "Zt8\n")
    (root / ".env.production.example").write_text("SECRET_KEY=your-secret-key\n")
    git(root, "add", "-A")
    target = open_target(root)
    [change] = fixes.available(target, "1.7")[0].plan(target)
    assert any("git rm --cached .env.backup.20251013_182201" in note for note in change.notes)
    assert "note: these env files are tracked" in fixes.render_diff([change])
    fixes.apply(target, [change])
    assert fixes.is_ignored(root, ".env.backup.20251013_182201")
    assert not fixes.is_ignored(root, ".env.production.example")


STREAMLIT_DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
CMD ["streamlit", "run", "Home.py", \\
     "--server.enableXsrfProtection=false"]
"""


def monorepo(tmp_path: Path, ignore: str = ".env\n.streamlit/\n") -> Path:
    """A frontend in a subfolder whose Dockerfile runs Streamlit with a flag; the root ignores .streamlit/."""
    root = init_repo(tmp_path / "mono")
    (root / ".gitignore").write_text(ignore)
    front = root / "frontend-streamlit"
    front.mkdir()
    (front / "Home.py").write_text("import streamlit as st\nst.set_page_config(page_title='CRM')\n")
    (front / "Dockerfile").write_text(STREAMLIT_DOCKERFILE)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def test_streamlit_fixes_follow_the_deployment_flag_and_refuse_an_ignored_config(tmp_path):
    root = monorepo(tmp_path)
    target = open_target(root)
    [xsrf] = fixes.available(target, "3.2")[0].plan(target)
    assert xsrf.label == "frontend-streamlit/Dockerfile" and xsrf.ignored_by is None
    removed, added = changed_lines(xsrf.before or "", xsrf.after)
    assert removed == ['     "--server.enableXsrfProtection=false"]']
    assert added == ['     "--server.enableXsrfProtection=true"]']
    [details] = fixes.available(target, "3.8")[0].plan(target)
    # The config the image would ship is ignored by git: the flag goes on the command instead.
    assert details.label == "frontend-streamlit/Dockerfile"
    assert '"--client.showErrorDetails=type"]' in details.after
    assert not (root / ".streamlit").exists() and not (root / "frontend-streamlit" / ".streamlit").exists()


def test_a_fix_that_git_would_ignore_is_refused_unless_allowed(tmp_path):
    root = init_repo(tmp_path / "ign")
    (root / ".gitignore").write_text(".env\n.streamlit/\n")
    (root / "app.py").write_text("import streamlit as st\nst.set_page_config()\n")
    git(root, "add", "-A")
    target = open_target(root)
    [change] = fixes.available(target, "3.8")[0].plan(target)
    assert change.label == ".streamlit/config.toml" and change.ignored_by == ".gitignore:2:.streamlit/"
    assert "note: git ignores .streamlit/config.toml" in fixes.render_diff([change])
    with pytest.raises(fixes.FixError, match="git ignores it"):
        fixes.apply(target, [change])
    assert not (root / ".streamlit").exists()
    fixes.apply(target, [change], allow_ignored=True)
    assert 'showErrorDetails = "type"' in (root / ".streamlit" / "config.toml").read_text()


def test_compose_logging_fix_adds_max_size_to_each_service_and_keeps_comments(tmp_path):
    root = init_repo(tmp_path / "logs")
    compose = ("services:\n  # the dashboard\n  app:\n    build: .\n    ports:\n      - \"8501:8501\"\n"
               "  redis:\n    image: redis:7\n    logging:\n      options:\n        max-size: \"5m\"\n")
    (root / "docker-compose.yml").write_text(compose)
    git(root, "add", "-A")
    target = open_target(root)
    fix = next(f for f in fixes.available(target, "5.7") if f.name == "compose-logging")
    [change] = fix.plan(target)
    removed, added = changed_lines(compose, change.after)
    assert removed == [] and added == ["    logging:", "      driver: json-file", "      options:",
                                       '        max-size: "10m"', '        max-file: "3"']
    fixes.apply(target, [change])
    assert not [f for f in fixes.available(open_target(root), "5.7") if f.name == "compose-logging"]
