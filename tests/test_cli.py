"""The `readiness check` contract: formats, exit codes, bad input, and a light start-up path."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import REPO, cli_env
from fixtures.projects import write_env

CONTRACT_ITEM = {"id", "text", "kind", "status", "summary", "evidence", "duration_ms"}


def test_json_has_all_75_items_with_contract_fields(cli, good_project):
    proc = cli("check", str(good_project), "--format", "json")
    assert proc.returncode == 1, proc.stderr  # far from 90 %: the live services are absent
    data = json.loads(proc.stdout)
    items = [i for s in data["sections"] for i in s["items"]]
    assert len(items) == 75 and len(data["sections"]) == 10
    for item in items:
        assert CONTRACT_ITEM <= set(item), item["id"]
        assert item["status"] in {"pass", "warn", "fail", "error", "pending", "confirmed", "not_applicable", "waived"}
    score = data["score"]
    assert {"percent", "completed", "applicable", "total", "band"} <= set(score)
    assert score["total"] == 75
    completed = sum(1 for i in items if i["status"] in ("pass", "warn", "confirmed", "waived"))
    na = sum(1 for i in items if i["status"] == "not_applicable")
    assert score["completed"] == completed and score["applicable"] == 75 - na
    assert score["percent"] == round(completed / (75 - na) * 100, 1)
    assert "signoffs" in data and isinstance(data["signoffs"], list)
    # a manual item waits for a person: its evidence never makes it pass on its own
    manual = [i for i in items if i["kind"] == "manual"]
    assert len(manual) >= 2
    assert not [i["id"] for i in manual if i["status"] in ("pass", "warn")]


def test_fail_under_decides_the_exit_code(cli, good_project):
    high = cli("check", str(good_project), "--only", "9", "--skip", "9.4", "--fail-under", "100")
    assert high.returncode == 0, high.stdout  # section 9 passes on the good project (9.4 is live)
    low = cli("check", str(good_project), "--only", "1.1,5.2", "--fail-under", "60")
    assert low.returncode == 1
    assert "Score: 50.0%" in low.stdout
    ok = cli("check", str(good_project), "--only", "1.1,5.2", "--fail-under", "50")
    assert ok.returncode == 0


def test_markdown_in_the_seeds_shape(cli, good_project, tmp_path):
    out = tmp_path / "report.md"
    proc = cli("check", str(good_project), "--format", "markdown", "--output", str(out), "--only", "1,9")
    assert proc.returncode in (0, 1)
    text = out.read_text()
    assert "## ✅ Production Readiness Score" in text and "### 1. Environment Configuration" in text
    assert "- [x] **1.2** BACKEND_API_URL set to production backend URL" in text
    assert "### Performance Metrics" in text and "## 📝 Sign-Off" in text
    assert "- [ ] Technical Lead:" in text
    assert "wrote markdown report" in proc.stderr


def test_junit_one_testcase_per_item(cli, tmp_path):
    write_env(tmp_path / ".env", {"BACKEND_API_URL": "http://localhost:1"})
    proc = cli("check", str(tmp_path), "--format", "junit")
    root = ET.fromstring(proc.stdout)
    cases = [c for c in root.findall(".//testcase") if c.get("classname", "").startswith("readiness.section")]
    assert len(cases) == 75
    by_name = {c.get("name").split(" ", 1)[0]: c for c in cases}
    assert by_name["1.2"].find("failure") is not None  # localhost backend URL
    assert by_name["8.6"].find("skipped") is not None  # manual item: pending
    assert by_name["1.5"].find("skipped") is not None  # pusher not configured: n/a


def test_text_report_is_a_table(cli, good_project):
    proc = cli("check", str(good_project), "--only", "1")
    assert "1. Environment Configuration" in proc.stdout
    assert "✓ 1.2" in proc.stdout and "Score:" in proc.stdout
    assert "\x1b[" not in proc.stdout  # NO_COLOR and not a terminal


def one_line_exit_2(proc):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_malformed_env_one_line_exit_2(cli, tmp_path):
    (tmp_path / ".env").write_text("A=1\nthis line is not an assignment\nB=2\n")
    line = one_line_exit_2(cli("check", str(tmp_path)))
    assert f"{tmp_path}/.env:2: cannot parse" in line


def test_non_utf8_env_exit_2(cli, tmp_path):
    (tmp_path / ".env").write_bytes(b"A=1\nB=\xff\xfe\n")
    assert ".env:2: not valid UTF-8" in one_line_exit_2(cli("check", str(tmp_path)))


def test_malformed_readiness_toml_exit_2(cli, tmp_path):
    (tmp_path / "readiness.toml").write_text('[target]\nbackend_url = "https://x\n')
    assert "readiness.toml:2: invalid TOML" in one_line_exit_2(cli("check", str(tmp_path)))
    (tmp_path / "readiness.toml").write_text('[target]\ncheck_timeout = "soon"\n')
    assert "check_timeout" in one_line_exit_2(cli("check", str(tmp_path)))
    (tmp_path / "readiness.toml").write_text('[target]\nbakend_url = "https://x"\n')
    assert "unknown key `bakend_url`" in one_line_exit_2(cli("check", str(tmp_path)))


def test_malformed_checklist_exit_2(cli, tmp_path):
    bad = tmp_path / "team.toml"
    bad.write_text((REPO / "readiness_tui" / "data" / "checklist.toml").read_text().replace(
        'kind = "manual"', 'kind = "by hand"', 1))
    line = one_line_exit_2(cli("check", str(tmp_path), "--checklist", str(bad)))
    assert line.startswith(f"readiness: {bad}:") and "`kind` must be one of" in line
    assert "by hand" in (bad.read_text().splitlines()[int(line.split(":")[2]) - 1])


def test_usage_errors_exit_2(cli, tmp_path):
    assert "no item" in one_line_exit_2(cli("check", str(tmp_path), "--only", "99.1"))
    assert "not a directory" in one_line_exit_2(cli("check", str(tmp_path / "nope")))
    assert cli("check", "--format", "yaml").returncode == 2
    assert "--fail-under" in one_line_exit_2(cli("check", str(tmp_path), "--fail-under", "120"))


def test_custom_checklist_is_used(cli, tmp_path):
    team = tmp_path / "team.toml"
    team.write_text(
        'schema = 1\nname = "Team"\nversion = "1"\n'
        '[[bands]]\nid = "ready"\nmin = 90\n[[bands]]\nid = "do-not-deploy"\nmin = 0\n'
        '[signoff]\nroles = ["Lead"]\n'
        '[[sections]]\nid = 1\ntitle = "Env"\n'
        '[[sections.items]]\nid = "1.1"\ntext = "Cache TTL"\nkind = "auto"\nchecks = ["env.cache_ttl"]\n'
        '[sections.items.params]\nmin = 10\n'
    )
    write_env(tmp_path / ".env", {"CACHE_TTL_SECONDS": "20"})
    proc = cli("check", str(tmp_path), "--checklist", str(team), "--format", "json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 0, proc.stderr
    assert data["score"]["total"] == 1 and data["sections"][0]["items"][0]["status"] == "pass"


HEAVY = ("textual", "httpx", "docker", "supabase", "psycopg", "redis", "aiohttp")


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys\nfrom readiness_tui.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=REPO)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("MODULES"))
    return set(line.split()[1:])


def test_help_and_version_import_nothing_heavy():
    for args in (["--help"], ["check", "--help"], ["--version"]):
        loaded = _modules_after(args)
        heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
        assert not heavy, (args, heavy)


def test_check_run_does_not_import_textual(tmp_path):
    loaded = _modules_after(["check", str(tmp_path), "--only", "1,9", "-q"])
    assert not [m for m in loaded if m.split(".")[0] == "textual"]


def test_python_m_and_version(cli):
    proc = cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("readiness-tui ")
