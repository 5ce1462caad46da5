"""The secret scanner: every rule, placeholders, allowlisting, baseline, skipped files, file listing."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.projects import git
from fixtures.sec import PLACEHOLDER_LINES, init_repo, plant_repo, planted_secrets

from readiness_tui import scanner

pytestmark = pytest.mark.fast


def test_every_rule_is_found_with_its_severity(secrets_repo):
    root, where = secrets_repo
    result = scanner.scan(root)
    got = {(f.file, f.line): f for f in result.findings}
    for (rel, line), secret in where.items():
        finding = got.get((rel, line))
        assert finding is not None, f"{secret.rule} not found at {rel}:{line}"
        assert (finding.rule, finding.severity) == (secret.rule, secret.severity), (rel, line)
    assert len(result.findings) == len(where), [f for f in result.findings if (f.file, f.line) not in where]
    rules = {f.rule for f in result.findings}
    assert rules == {s.rule for s in where.values()}
    assert result.source == "git" and result.files_scanned == 4


def test_findings_carry_previews_never_values(secrets_repo):
    root, where = secrets_repo
    result = scanner.scan(root)
    dumped = json.dumps(result.to_dict())
    for secret in where.values():
        assert secret.value not in dumped
        assert secret.value[4:] not in dumped
    for f in result.findings:
        assert re.fullmatch(r"(?:[^…]{1,4}…)?\(\d+ chars\)", f.preview), f.preview


def test_placeholders_are_not_secrets(tmp_path):
    root = init_repo(tmp_path / "ph")
    (root / "config.py").write_text("\n".join(PLACEHOLDER_LINES) + "\n")
    (root / "README.md").write_text("\n".join(PLACEHOLDER_LINES) + "\n")
    git(root, "add", "-A")
    result = scanner.scan(root)
    assert result.files_scanned == 2
    assert result.findings == []


def test_inline_pragma_and_nextline_pragma(tmp_path):
    secrets = planted_secrets(seed=3)
    root = init_repo(tmp_path / "allow")
    lines = [
        f'SECRET_KEY = "{secrets[-2].value}"  # pragma: allowlist secret',
        "# pragma: allowlist nextline secret",
        f'SLACK = "{secrets[6].value}"',
        f'STRIPE = "{secrets[8].value}"',
    ]
    (root / "app.py").write_text("\n".join(lines) + "\n")
    git(root, "add", "-A")
    result = scanner.scan(root)
    assert [(f.line, f.rule) for f in result.findings] == [(4, "stripe-key")]
    assert result.allowlisted == 2


def test_baseline_silences_known_findings_and_reports_new_ones(secrets_repo):
    root, where = secrets_repo
    proc = run_cli("secrets", "baseline", str(root))
    assert proc.returncode == 0, proc.stderr
    baseline = root / ".readiness" / "secrets-baseline.json"
    data = json.loads(baseline.read_text())
    assert sum(len(v) for v in data["results"].values()) == len(where)
    text = baseline.read_text()
    for secret in where.values():
        assert secret.value not in text
    result = scanner.scan(root)
    assert result.findings == [] and result.baselined == len(where)
    new = planted_secrets(seed=99)[4]  # a new AWS key
    with open(root / "backend" / "settings.py", "a") as handle:
        handle.write(f"NEW_KEY = '{new.value}'\n")
    result = scanner.scan(root)
    assert [(f.file, f.rule) for f in result.findings] == [("backend/settings.py", "aws-access-key")]


def test_detect_secrets_baseline_is_honoured(tmp_path):
    secrets = planted_secrets(seed=5)
    root = init_repo(tmp_path / "ds")
    (root / "app.py").write_text(f'GH = "{secrets[13].value}"\n')
    sha1 = hashlib.sha1(secrets[13].value.encode()).hexdigest()
    (root / ".secrets.baseline").write_text(json.dumps(
        {"version": "1.5.0", "results": {"app.py": [{"type": "GitHub Token", "hashed_secret": sha1,
                                                    "line_number": 1}]}}))
    git(root, "add", "-A")
    result = scanner.scan(root)
    assert result.findings == [] and result.baselined == 1


def test_binary_huge_and_non_utf8_files_are_counted_and_skipped(tmp_path):
    secret = planted_secrets(seed=8)[4].value
    root = init_repo(tmp_path / "skip")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0" + secret.encode())
    (root / "dump.sql").write_bytes((f"-- {secret}\n" + "x" * 100 + "\n").encode() * 25_000)
    (root / "latin1.txt").write_bytes(f"caf\xe9 {secret}\n".encode("latin-1"))
    (root / "ok.py").write_text(f"KEY = '{secret}'\n")
    git(root, "add", "-A")
    result = scanner.scan(root)
    assert result.skipped == {"binary": 1, "huge": 1, "non_utf8": 1, "unreadable": 0}
    assert result.skipped_examples["huge"] == ["dump.sql"]
    assert [f.file for f in result.findings] == ["ok.py"]
    assert result.files_scanned == 1


def test_only_tracked_files_are_scanned(tmp_path):
    secret = planted_secrets(seed=9)[6].value
    root = init_repo(tmp_path / "tracked")
    (root / "tracked.py").write_text(f"A = '{secret}'\n")
    git(root, "add", "tracked.py")
    (root / "untracked.py").write_text(f"B = '{secret}'\n")
    result = scanner.scan(root)
    assert [f.file for f in result.findings] == ["tracked.py"]


def test_walk_without_git_honours_gitignore(tmp_path):
    secret = planted_secrets(seed=10)[6].value
    root = tmp_path / "plain"
    (root / "build").mkdir(parents=True)
    (root / "src" / "logs").mkdir(parents=True)
    (root / ".gitignore").write_text("build/\n*.log\n!keep.log\n/top.txt\n")
    (root / "src" / ".gitignore").write_text("local_*.py\n")
    for rel in ("build/a.py", "src/x.log", "src/keep.log", "top.txt", "src/top.txt", "src/local_a.py",
                "src/app.py", ".git-free.py"):
        (root / rel).write_text(f"T = '{secret}'\n")
    files = scanner.walk_files(root)
    assert sorted(files) == [".git-free.py", ".gitignore", "src/.gitignore", "src/app.py", "src/keep.log",
                             "src/top.txt"]
    result = scanner.scan(root)
    assert result.source == "walk"
    assert sorted(f.file for f in result.findings) == [".git-free.py", "src/app.py", "src/keep.log", "src/top.txt"]


def test_secrets_cli_text_and_json(secrets_repo):
    root, where = secrets_repo
    proc = run_cli("secrets", "scan", str(root))
    assert proc.returncode == 1
    assert "CRITICAL  backend/settings.py:3  supabase-service-role-jwt" in proc.stdout
    assert f"{len(where)} finding(s)" in proc.stdout
    proc = run_cli("secrets", "scan", str(root), "--format", "json")
    data = json.loads(proc.stdout)
    assert {(f["file"], f["line"]) for f in data["findings"]} == set(where)
    assert data["counts"]["critical"] == sum(1 for s in where.values() if s.severity == "critical")


def test_secrets_cli_clean_repo_exits_zero_and_bad_dir_is_a_usage_error(tmp_path):
    root = init_repo(tmp_path / "clean")
    (root / "app.py").write_text("print('hello')\n")
    git(root, "add", "-A")
    proc = run_cli("secrets", "scan", str(root))
    assert proc.returncode == 0 and "0 finding(s)" in proc.stdout
    proc = run_cli("secrets", "scan", str(tmp_path / "missing"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr and "Traceback" not in proc.stderr


def test_symlink_out_of_repo_is_not_followed(tmp_path):
    secret = planted_secrets(seed=12)[6].value
    outside = tmp_path / "outside.txt"
    outside.write_text(f"S = '{secret}'\n")
    root = init_repo(tmp_path / "links")
    os.symlink(outside, root / "link.txt")
    git(root, "add", "-A")
    assert scanner.scan(root).findings == []


def test_planted_every_rule_repo_helper_is_consistent(tmp_path):
    where = plant_repo(tmp_path / "again", planted_secrets(seed=1))
    for (rel, line), secret in where.items():
        text = (tmp_path / "again" / rel).read_text().splitlines()[line - 1]
        assert secret.line.splitlines()[0] == text
    assert Path(tmp_path / "again" / ".git").is_dir()


def test_unquoted_values_count_in_config_but_not_in_code(tmp_path):
    value = "Zq8" + "Pp2LmN4vB7tR1yU6w"
    root = init_repo(tmp_path / "quotes")
    (root / "crypto.py").write_text(f"private_key: Ed25519PrivateKey\napi_key = {value}\n")
    (root / "app.yml").write_text(f"api_key: {value}\n")
    (root / "deploy.sh").write_text(f"export API_KEY={value}\n")
    (root / "quoted.py").write_text(f'API_KEY = "{value}"\n')
    git(root, "add", "-A")
    result = scanner.scan(root)
    assert sorted(f.file for f in result.findings) == ["app.yml", "deploy.sh", "quoted.py"]


def test_every_rule_is_documented() -> None:
    """docs/secrets.md names every rule of the scanner (a rule added without a line there fails)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "secrets.md").read_text()
    missing = [name for name, _, _ in scanner.rule_table() if f"`{name}`" not in text]
    assert not missing


def _scan_one(rel: str, text: str, known: tuple = ()) -> list[tuple[int, str, str]]:
    findings, _ = scanner.scan_bytes(text.encode(), rel, known)
    return [(f.line, f.rule, f.severity) for f in findings]


def _gen(seed: int, n: int = 32) -> str:
    import random
    import string

    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


@pytest.mark.parametrize(("rel", "text"), [
    ("tests/test_login.py", 'client.login(username="admin", password="MyP@ssw0rd")\n'),
    ("tests/test_login.py", 'user = User(password="TestPassword123")\n'),
    ("tests/conftest.py", 'DATABASE_URL = "postgresql://user:MyP@ssw0rd@127.0.0.1:5432/test"\n'),
    ("docker-compose.yml", "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n"),
    ("docker-compose.yml", "      DATABASE_URL: postgresql://postgres:postgres@127.0.0.1:54322/postgres\n"),
    ("app/settings.py", 'SECRET_KEY = os.environ["SECRET_KEY"]\n'),
    ("web/config.js", "export const key = process.env.STRIPE_SECRET_KEY;\n"),
    ("app/settings.py", 'REQUIRED = ["SUPABASE_SERVICE_KEY", "JWT_SECRET", "STRIPE_SECRET_KEY"]\n'),
    ("app/client.py", '"""Client.\n\n    >>> Client(api_key="sk-1234567890abcdef")\n"""\n'),
    ("README.md", "Set `JWT_SECRET=your-jwt-secret-at-least-32-characters-long` before starting.\n"),
])
def test_what_the_issue_names_as_not_a_finding(rel: str, text: str) -> None:
    assert _scan_one(rel, text) == []


def test_a_password_with_an_at_sign_is_read_whole() -> None:
    """`MyP@ssw0rd` was read as `MyP`; a real password with `@` must be reported whole."""
    password = "Kx9@q2Lm!ZpR7wVt8sJd"  # 20 characters: the preview shows the first 4
    findings, _ = scanner.scan_bytes(f'DB = "postgresql://crm:{password}@db.prod.internal/crm"\n'.encode(),
                                     "app/settings.py")
    assert [(f.rule, f.preview) for f in findings] == [("url-password", f"Kx9@…({len(password)} chars)")]


@pytest.mark.parametrize(("rel", "text", "expected"), [
    ("app/settings.py", 'SECRET_KEY = "{v}"\n', (1, "secret-key", "high")),
    (".env.production", "TWILIO_AUTH_TOKEN={h}\n", (1, "twilio-key", "high")),
    (".env.production", "CLOUDFLARE_API_TOKEN={v}\n", (1, "cloudflare-key", "high")),
    ("deploy/render.sh", "export RENDER_API_KEY=rnd_{v}\n", (1, "render-key", "high")),
    ("app/gemini.py", 'GEMINI = "AIzaSy{g}"\n', (1, "google-api-key", "high")),
    ("web/firebase.js", 'const c = {{ apiKey: "AIzaSy{g}", authDomain: "crm.firebaseapp.com" }};\n',
     (1, "google-api-key", "info")),
    ("docs/RUNBOOK.md", "- **Database Password:** Storm!ridge42xQ\n", (1, "password", "high")),
    ("docs/RUNBOOK.md", "### SESSION_SECRET\n\nValue: `{v}`\n", (3, "secret-key", "high")),
    ("tests/test_pay.py", 'KEY = "sk_live_{v}"\n', (1, "stripe-key", "critical")),
])
def test_severity_follows_what_the_key_is(rel: str, text: str, expected: tuple[int, str, str]) -> None:
    body = text.format(v=_gen(1), h=_gen(2, 32).lower().encode().hex()[:32], g=_gen(3, 33))
    assert _scan_one(rel, body) == [expected]


def test_a_compose_password_equal_to_the_env_one_is_found_and_a_dev_default_is_not() -> None:
    known = (scanner.KnownValue("DATABASE_URL (password)", "roofcrm2024"),)
    compose = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: roofcrm2024\n"
    assert _scan_one("docker-compose.yml", compose, known) == [(4, "env-value-copy", "high")]
    assert _scan_one("docker-compose.yml", compose) == []
    assert _scan_one("docker-compose.yml", compose.replace("roofcrm2024", "postgres"), known) == []


def test_a_credential_in_a_url_query_inside_a_code_string_is_found() -> None:
    """Found on a real Streamlit project: an open-data API key written into request URLs in code. The
    value is a query parameter inside a string literal, so it is not an expression; it ends at `&`."""
    import base64
    import secrets as pysecrets

    key = base64.b64encode(pysecrets.token_bytes(33)).decode()
    code = (f"URL = 'https://stats.example.org/openapi/data.do?method=getList&apiKey={key}&format=json'\n"
            "DOCS = 'https://api.example.org/v1/search?api_key=YOUR_API_KEY&q=x'\n"
            "NEXT = 'https://api.example.org/v1/list?page=2&key=&sort=asc'\n")
    findings, _ = scanner.scan_bytes(code.encode(), "app/data_summary.py")
    assert [(f.line, f.severity) for f in findings] == [(1, "high")], findings
    assert key not in json.dumps([f.to_dict() for f in findings])  # a preview, never the value
    assert findings[0].hashed_secret == hashlib.sha1(key.encode()).hexdigest()  # the value ends before `&format`
