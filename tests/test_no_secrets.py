"""Secrets planted in `.env` and the environment never reach a file written or an output printed."""

from __future__ import annotations

from pathlib import Path

from fixtures.projects import GOOD_ENV, service_key, write_env

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


def test_readiness_dir_is_ignored_by_its_own_gitignore(cli, good_project):
    cli("check", str(good_project), "--only", "1.1", "-q")
    assert (Path(good_project) / ".readiness" / ".gitignore").is_file()
