"""Secrets planted in `.env`, the environment, tracked files and a deploy script never reach a file written
or an output printed, by any command."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from conftest import run_cli
from fixtures.projects import GOOD_ENV, PROBE_LOOPBACK, git, make_good_project, service_key, write_env
from fixtures.sec import planted_secrets

DB_PASSWORD = "Pg-Sup3r-S3cret-9931"
REDIS_PASSWORD = "r3dis-Pa55-77129"
PUSHER_SECRET = "9f8e7d6c5b4a39281706"
ENV_ONLY_SECRET = "EnvOnly-K3y-55512345"


def test_planted_secrets_never_written_or_printed(cli, good_project, tmp_path):
    service = service_key()
    env = dict(GOOD_ENV, SUPABASE_KEY=service, DATABASE_URL=f"postgresql://app:{DB_PASSWORD}@127.0.0.1:1/crm",
               REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0", PUSHER_APP_SECRET=PUSHER_SECRET,
               BACKEND_API_URL=f"https://admin:{DB_PASSWORD}@api.roofs-example.net")
    write_env(good_project / ".env", env)
    secrets = [service, DB_PASSWORD, REDIS_PASSWORD, PUSHER_SECRET, ENV_ONLY_SECRET]
    outputs: list[str] = []
    for fmt in ("text", "json", "markdown", "junit"):
        out = tmp_path / f"report.{fmt}"
        proc = cli("check", str(good_project), "--format", fmt, "--timeout", "2",
                   env={"SUPABASE_SERVICE_KEY": ENV_ONLY_SECRET})
        outputs += [proc.stdout, proc.stderr]
        proc = cli("check", str(good_project), "--format", fmt, "--output", str(out), "--timeout", "2",
                   env={"SUPABASE_SERVICE_KEY": ENV_ONLY_SECRET})
        outputs += [proc.stdout, proc.stderr, out.read_text()]
        assert proc.returncode in (0, 1), proc.stderr
    written = [p for p in (good_project / ".readiness").rglob("*") if p.is_file()]
    assert any(p.name == "run.json" for p in written) and any("history" in p.parts for p in written)
    outputs += [p.read_text("utf-8", "replace") for p in written]
    assert "1.4" in outputs[0]
    for secret in secrets:
        for n, text in enumerate(outputs):
            assert secret not in text, (secret[:6], n)


def test_redactor_removes_known_values_and_url_passwords():
    from readiness_tui.redact import Redactor, preview

    r = Redactor(["supersecretvalue123", "short"])
    data = r.data({"a": "x supersecretvalue123 y", "k": ["postgres://u:pw1234@h/db"], "short": "short"})
    assert data == {"a": "x [REDACTED] y", "k": ["postgres://u:[REDACTED]@h/db"], "short": "short"}
    assert preview("eyJhbGciOiJIUzI1NiJ9.payload.sig") == "eyJh…(32 chars)"
    assert "abc" not in preview("abcdefg")
    assert preview("Tr0ub4dor&3x") == "(12 chars)", "no characters of a value shorter than 20"
    assert preview("x" * 19) == "(19 chars)" and preview("y" * 20) == "yyyy…(20 chars)"
    # Credentials in URL queries and fragments, whatever else the URL holds.
    assert r.text("GET https://api.example.net/v1/leads?page=2&api_key=K3y-123&access_token=t0k#sig=abc") == \
        "GET https://api.example.net/v1/leads?page=2&api_key=[REDACTED]&access_token=[REDACTED]#sig=[REDACTED]"
    assert r.text("https://h/cb#access_token=zz&state=1 SKIP_AUTH=true") == \
        "https://h/cb#access_token=[REDACTED]&state=1 SKIP_AUTH=true"
    # A secret learnt from a URL setting is redacted on its own too (a server may echo it).
    r.add(["https://api.example.net/?token=Qu3ryT0ken-abc"])
    assert r.text("echo: Qu3ryT0ken-abc") == "echo: [REDACTED]"


def test_readiness_dir_is_private_and_ignored_by_its_own_gitignore(cli, good_project):
    state = Path(good_project) / ".readiness"
    state.mkdir()
    state.chmod(0o755)
    (state / ".gitignore").write_text("*.lock\n*.tmp\n")  # what an earlier version wrote
    cli("check", str(good_project), "--only", "1.1,1.6", "-q")
    cli("secrets", "baseline", str(good_project))
    cli("check", str(good_project), "-q", "--only", "1.1")
    assert "*" in (state / ".gitignore").read_text().split()
    for path in [state, *state.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    repo = good_project.parent if not (good_project / ".git").exists() else good_project
    git(repo, "add", "-A")
    staged = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert ".readiness" not in staged, staged


def test_every_command_together_leaks_nothing(good_project, tmp_path):
    """Secrets in `.env`, in a tracked file, in the environment and in a deploy script's output; every command
    that writes or prints runs once; every output and every file it could have written is grepped."""
    front = good_project
    repo = front if (front / ".git").exists() else front.parent
    service = service_key()
    tracked = planted_secrets(seed=5)[:4]
    (front / "settings_prod.py").write_text("\n".join(s.line for s in tracked) + "\n")
    env = dict(GOOD_ENV, SUPABASE_KEY=service, DATABASE_URL=f"postgresql://app:{DB_PASSWORD}@127.0.0.1:1/crm",
               REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0", PUSHER_APP_SECRET=PUSHER_SECRET)
    write_env(front / ".env", env)
    # The deploy script prints what a careless script prints: the database URL and an environment secret.
    (front / "deploy.py").write_text(
        "import os, sys\n"
        "env = dict(l.strip().split('=', 1) for l in open('.env') if '=' in l)\n"
        "print('backing up', env['DATABASE_URL'], 'with', os.environ.get('SUPABASE_SERVICE_KEY'))\n"
        "print('redis', env['REDIS_URL'], file=sys.stderr)\n")
    (front / "readiness.toml").write_text(
        PROBE_LOOPBACK + '[deploy]\nbackup = ["python3", "deploy.py", "backup"]\n'
        '[[contacts]]\nrole = "On-call"\nname = "Grace"\nemail = "oncall@example.invalid"\n')
    (front / ".streamlit").mkdir(exist_ok=True)
    (front / ".streamlit" / "config.toml").write_text("[server]\nenableXsrfProtection = false\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "leaky")
    env_vars = {"SUPABASE_SERVICE_KEY": ENV_ONLY_SECRET}
    d = str(front)
    report_json = tmp_path / "signed.json"
    runs: list[tuple[str, ...]] = []
    runs += [("check", d, "--format", fmt, "--timeout", "3", "--output", str(tmp_path / f"r.{fmt}"))
             for fmt in ("text", "json", "markdown", "junit")]
    runs += [("check", d, "--format", fmt, "--timeout", "3", "--only", "1,3") for fmt in ("text", "json")]
    runs += [
        ("report", d), ("report", d, "--format", "markdown"), ("history", d), ("diff", "--dir", d),
        ("secrets", "scan", d), ("secrets", "scan", d, "--format", "json"),
        ("fix", "3.2", d), ("fix", "3.2", d, "--yes"), ("fix", "1.7", d), ("fix", "3.5", d),
        ("deploy", "backup", d, "--yes", "--by", "sre", "--override", "leak test"),
        ("confirm", "8.6", d, "--by", "sre", "--note", "pen test done"),
        ("na", "1.5", d, "--reason", "no pusher", "--by", "sre"),
        ("waive", "8.7", d, "--reason", "later", "--approver", "lead", "--expires", "2099-01-01", "--by", "sre"),
        ("deployment", "Deployed By", "sre", d, "--by", "sre"),
        ("sign", "--role", "Technical Lead", "--name", "Ann", d, "--override", "leak test"),
        ("report", d, "--format", "json", "--output", str(report_json)), ("verify", str(report_json)),
        ("credentials", "list", d),
        ("demo", "--headless", "--fail-under", "0"),
    ]
    outputs: dict[str, str] = {}
    codes: dict[str, int] = {}
    every_code: list[tuple[tuple[str, ...], int]] = []
    for args in runs:
        proc = run_cli(*args, env=env_vars, timeout=180)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        codes[args[0] + (" " + args[1] if args[0] in ("secrets", "fix") else "")] = proc.returncode
        every_code.append((args, proc.returncode))
        outputs[" ".join(args) + " :out"], outputs[" ".join(args) + " :err"] = proc.stdout, proc.stderr
    # The commands saw the secrets: the grep below means something.
    assert "supabase-service-role-jwt" in outputs["secrets scan " + d + " :out"]
    assert "backing up" in outputs["deploy backup " + d + " --yes --by sre --override leak test :out"] \
        + outputs["deploy backup " + d + " --yes --by sre --override leak test :err"]
    backups = list((front / ".readiness" / "backups").glob("*"))
    assert backups, "fix --yes backs up what it changes"
    sources = {front / ".env", front / "settings_prod.py", front / "deploy.py"}
    for path in sorted(p for p in repo.rglob("*") if p.is_file() and ".git" not in p.relative_to(repo).parts):
        if path not in sources:
            outputs[str(path.relative_to(repo))] = path.read_text("utf-8", "replace")
    for path in tmp_path.glob("r.*"):
        outputs[path.name] = path.read_text()
    assert any(".readiness/history" in k for k in outputs)
    # Every command did its job (a command that failed early would prove nothing).
    assert [(a, c) for a, c in every_code if c not in (0, 1)] == []
    assert codes["deploy"] == 0 and codes["sign"] == 0 and codes["verify"] == 0 and codes["fix 3.2"] == 0
    values = [service, DB_PASSWORD, REDIS_PASSWORD, PUSHER_SECRET, ENV_ONLY_SECRET] + [s.value for s in tracked]
    for name, text in outputs.items():
        for value in values:
            assert value not in text, f"a secret ({value[:4]}…) leaked into {name}"


ITEMS = "1,3.2,3.4,3.5,3.8"


def test_secrets_of_every_rule_never_reach_reports_fixes_or_the_baseline(tmp_path):
    repo = tmp_path / "repo"
    front = make_good_project(repo)
    secrets = planted_secrets(seed=77)
    (repo / "backend").mkdir()
    (repo / "backend" / "settings.py").write_text("\n".join(s.line for s in secrets[::2]) + "\n")
    (repo / "docs" / "LEAKY_RUNBOOK.md").write_text("\n".join(s.line for s in secrets[1::2]) + "\n")
    (front / ".streamlit" / "config.toml").write_text(
        "# frontend settings\n[server]\nenableXsrfProtection = false  # off for the demo\n")
    env_secret = "Pa55-" + "q8Wz3rT7vY1uK9mN"
    service = service_key()
    with open(front / ".env", "a") as handle:
        handle.write(f"PUSHER_APP_SECRET={env_secret}\nSUPABASE_SERVICE_KEY={service}\n")
    with open(front / ".env.example", "a") as handle:
        handle.write(f"PUSHER_APP_SECRET={env_secret}\n")  # not rotated: 3.5 must name the key only
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "leaks")

    outputs: dict[str, str] = {}
    for fmt in ("text", "json", "markdown", "junit"):
        report = tmp_path / f"report.{fmt}"
        proc = run_cli("check", str(front), "--only", ITEMS, "--format", fmt, "--output", str(report), "-q")
        assert proc.returncode in (0, 1), proc.stderr
        outputs[f"report {fmt}"] = report.read_text()
        outputs[f"check {fmt} stdout"] = proc.stdout
        outputs[f"check {fmt} stderr"] = proc.stderr
    proc = run_cli("check", str(front), "--only", ITEMS)
    outputs["check stdout"], outputs["check stderr"] = proc.stdout, proc.stderr
    for args in (("secrets", "scan", str(front)), ("secrets", "scan", str(front), "--format", "json"),
                 ("secrets", "baseline", str(front)), ("secrets", "scan", str(repo), "--no-baseline"),
                 ("fix", "3.2", str(front)), ("fix", "3.2", str(front), "--yes"), ("fix", "1.7", str(front)),
                 ("fix", "3.5", str(front))):
        proc = run_cli(*args)
        outputs[" ".join(args[:2]) + " stdout"] = proc.stdout
        outputs[" ".join(args[:2]) + " stderr"] = proc.stderr
    state = front / ".readiness"
    for path in sorted(p for p in state.rglob("*") if p.is_file()):
        outputs[str(path.relative_to(front))] = path.read_text(errors="replace")

    # The commands did see the secrets (so the grep below means something).
    assert "hardcoded secret(s)" in outputs["report json"]
    assert "supabase-service-role-jwt" in outputs["report markdown"]
    assert "PUSHER_APP_SECRET equals" in outputs["report json"]
    assert "item 3.2 now:" in outputs["fix 3.2 stdout"] and "XSRF protection on" in outputs["fix 3.2 stdout"]
    assert any(k.startswith(".readiness/run.json") for k in outputs)
    assert any("secrets-baseline.json" in k for k in outputs)

    values = [s.value for s in secrets] + [env_secret, service]
    for name, text in outputs.items():
        for value in values:
            assert value not in text, f"a secret leaked into {name}"
            assert value[4:24] not in text, f"part of a secret leaked into {name}"
    assert Path(front / ".env").read_text().count(env_secret) == 1


QUERY_TOKEN = "QueryT0ken-8cd2e5f1a9b7"
ACCESS_TOKEN = "Acc3ssT0k-55e1d0c9b8a7f6"
DSN_KEY = "k3yInTheDsn77a1b2c3d4e5"
KEYRING_SECRET = "Keyr1ng-Pusher-Secret-90817"


def test_credentials_in_url_queries_and_the_keyring_never_reach_disk(secret_service, tmp_path):
    """A token in the backend URL's query string, an access token in the probe URL, secrets in the keyring
    (one no setting reads), a backend that echoes them back: no file the tool writes holds any of them."""
    from fixtures.http_servers import ThreadedWsgi
    from flask import Flask, request

    app = Flask("echo")

    @app.get("/<path:anything>")
    @app.get("/")
    def echo(anything: str = ""):  # noqa: ANN202 - a careless backend that echoes what it was sent
        return {"status": "ok", "you_sent": request.url, "pusher": KEYRING_SECRET, "dsn": DSN_KEY}

    server = ThreadedWsgi(app)
    repo = tmp_path / "repo"
    front = make_good_project(repo)
    try:
        write_env(front / ".env", dict(GOOD_ENV, BACKEND_API_URL=f"https://api.roofs-example.net/v1?token={QUERY_TOKEN}"
                                                                  f"&page=1"))
        (front / "readiness.toml").write_text(PROBE_LOOPBACK.replace(
            'backend_url = "http://127.0.0.1:9"', f'backend_url = "{server.url}/?access_token={ACCESS_TOKEN}"'))
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "project")
        for name, value in (("PUSHER_APP_SECRET", KEYRING_SECRET), ("SENTRY_DSN", f"https://{DSN_KEY}@o1.ingest.example/1")):
            proc = secret_service.cli("credentials", "set", name, str(front), input=value + "\n")
            assert proc.returncode == 0, proc.stderr
        outputs: dict[str, str] = {}
        for args in (("check", str(front), "--format", "json", "--output", str(tmp_path / "r.json"), "--fail-under", "0"),
                     ("check", str(front), "--format", "markdown", "--output", str(tmp_path / "r.md"), "--only", "1,2,3"),
                     ("check", str(front), "--only", "1.2,2.3,3.1,3.8"),
                     ("report", str(front), "--format", "junit"), ("history", str(front)),
                     ("secrets", "baseline", str(front)), ("secrets", "scan", str(front), "--no-baseline")):
            proc = secret_service.cli(*args)
            assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, (args, proc.stderr)
            outputs[" ".join(args[:2]) + " out"], outputs[" ".join(args[:2]) + " err"] = proc.stdout, proc.stderr
    finally:
        server.stop()
    written = [p for p in [*front.rglob("*"), *tmp_path.glob("r.*")]
               if p.is_file() and ".git" not in p.parts and p.name not in (".env", "readiness.toml")]
    for path in written:
        outputs[str(path)] = path.read_text("utf-8", "replace")
    report = json.loads((tmp_path / "r.json").read_text())
    items = {i["id"]: i for sec in report["sections"] for i in sec["items"]}
    # The tool did meet the values (the grep below means something): the backend answered with them.
    assert "you_sent" in json.dumps(items["2.3"]["evidence"]) and "[REDACTED]" in json.dumps(items["2.3"]["evidence"])
    assert any(".readiness/run.json" in k for k in outputs) and any("secrets-baseline.json" in k for k in outputs)
    for name, text in outputs.items():
        for value in (QUERY_TOKEN, ACCESS_TOKEN, KEYRING_SECRET, DSN_KEY):
            assert value not in text and value[:12] not in text, f"{value[:4]}… leaked into {name}"
    # The baseline holds no plain hash of any value (keyed fingerprints, with the key beside it).
    baseline = (front / ".readiness" / "secrets-baseline.json").read_text()
    for value in (QUERY_TOKEN, ACCESS_TOKEN, KEYRING_SECRET, DSN_KEY):
        for digest in (hashlib.sha1, hashlib.sha256):
            assert digest(value.encode()).hexdigest() not in baseline
