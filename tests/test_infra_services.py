"""Redis (2.5) against real redis-server instances; Pusher (1.5, 10.6) against a local stand-in.

Pusher's servers cannot run here: `tests/fixtures/pusher.py` is a local WebSocket server speaking
the Pusher protocol's messages (connection_established, error 4001) and checking the REST
signature like Pusher does. Redis is real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.infra import make_settings, run_item
from fixtures.pusher import PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET
from fixtures.redis import REDIS_TEST_PASSWORD, free_port
from readiness_tui.checks.pusher_live import sign_query


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p = tmp_path / "proj"
    p.mkdir()
    return p


def everything(result) -> str:
    """Every string a result carries (summary, evidence, per-check results), for leak assertions."""
    return json.dumps(result.to_dict())


# ----------------------------------------------------------------------------------------------
# Redis
# ----------------------------------------------------------------------------------------------
def test_redis_with_password_and_lru_passes(redis_auth, project):
    result = run_item(make_settings(project, REDIS_URL=redis_auth.url), "2.5")
    assert result.status == "pass", result.summary
    assert result.evidence["redis_version"] and result.evidence["redis_version"] in result.summary
    assert result.evidence["redis_requires_password"] is True
    assert result.evidence["redis_maxmemory_policy"] == "allkeys-lru"
    assert REDIS_TEST_PASSWORD not in everything(result)
    assert "[REDACTED]" in result.evidence["redis_url"]


def test_redis_without_password_warns(redis_open, project):
    result = run_item(make_settings(project, REDIS_URL=redis_open.url), "2.5")
    assert result.status == "warn"
    assert "no password required" in result.summary
    assert "noeviction" in result.summary
    assert result.evidence["redis_requires_password"] is False


def test_redis_wrong_password_is_a_clear_error_without_the_password(redis_auth, project):
    wrong = "Wr0ng-passw0rd-for-redis"
    url = f"redis://:{wrong}@127.0.0.1:{redis_auth.port}/0"
    result = run_item(make_settings(project, REDIS_URL=url), "2.5")
    assert result.status == "error"
    assert "refused the password" in result.summary
    assert wrong not in everything(result) and REDIS_TEST_PASSWORD not in everything(result)


def test_redis_missing_password_is_explained(redis_auth, project):
    url = f"redis://127.0.0.1:{redis_auth.port}/0"
    result = run_item(make_settings(project, REDIS_URL=url), "2.5")
    assert result.status == "error"
    assert "requires a password and REDIS_URL has none" in result.summary


def test_redis_unreachable_and_not_configured(project):
    port = free_port()
    down = run_item(make_settings(project, REDIS_URL=f"redis://:Sekrit-pw-123@127.0.0.1:{port}/0"), "2.5")
    assert down.status == "error" and "cannot connect to Redis" in down.summary
    assert "Sekrit-pw-123" not in everything(down)
    unset = run_item(make_settings(project), "2.5")
    assert unset.status == "not_applicable" and "no Redis client" in unset.summary  # the project map's evidence


def test_redis_password_never_reaches_the_cli_output_or_record(redis_auth, project):
    (project / ".env").write_text(f"REDIS_URL=redis://:{REDIS_TEST_PASSWORD}@127.0.0.1:{redis_auth.port}/0\n")
    proc = run_cli("check", str(project), "--only", "2.5", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    item = report["sections"][0]["items"][0]
    assert item["id"] == "2.5" and item["status"] == "pass"
    assert REDIS_TEST_PASSWORD not in proc.stdout + proc.stderr
    assert REDIS_TEST_PASSWORD not in (project / ".readiness" / "run.json").read_text()
    wrong = "Wr0ng-cli-passw0rd-xyz"
    (project / ".env").write_text(f"REDIS_URL=redis://:{wrong}@127.0.0.1:{redis_auth.port}/0\n")
    for fmt in ("text", "json", "markdown", "junit"):
        proc = run_cli("check", str(project), "--only", "2.5", "--format", fmt)
        assert proc.returncode == 1 and "refused the password" in proc.stdout, proc.stdout + proc.stderr
        assert wrong not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    assert wrong not in (project / ".readiness" / "run.json").read_text()


# ----------------------------------------------------------------------------------------------
# Pusher
# ----------------------------------------------------------------------------------------------
def pusher_settings(project: Path, fake, **env: str):
    base = {"PUSHER_APP_KEY": PUSHER_KEY, "PUSHER_CLUSTER": "us2", "READINESS_PUSHER_HOST": fake.url}
    base.update(env)
    return make_settings(project, **{k: v for k, v in base.items() if v})


def own(result, name: str):
    return next(c for c in result.checks if c.check == name)


def test_pusher_key_and_secret_verified(fake_pusher, project):
    before = len(fake_pusher.requests)
    settings = pusher_settings(project, fake_pusher, PUSHER_APP_ID=PUSHER_APP_ID, PUSHER_APP_SECRET=PUSHER_SECRET)
    result = own(run_item(settings, "10.6"), "pusher.handshake")
    assert result.status == "pass", result.summary
    assert "accepted in cluster us2" in result.summary and "2 occupied channel(s)" in result.summary
    assert result.evidence["pusher_event"] == "pusher:connection_established"
    seen = fake_pusher.requests[before:]
    assert any(p.startswith(f"/app/{PUSHER_KEY}?protocol=7") for p in seen)
    assert any(p.startswith(f"/apps/{PUSHER_APP_ID}/channels?") for p in seen)
    assert not any("/events" in p for p in seen), "the check must publish nothing"
    assert PUSHER_SECRET not in everything(result) and PUSHER_KEY not in json.dumps(result.evidence)


def test_pusher_key_only_passes_without_the_signed_call(fake_pusher, project):
    result = own(run_item(pusher_settings(project, fake_pusher), "10.6"), "pusher.handshake")
    assert result.status == "pass" and "signed call skipped" in result.summary


def test_pusher_unknown_key_is_error_4001(fake_pusher, project):
    settings = pusher_settings(project, fake_pusher, PUSHER_APP_KEY="9f8e7d6c5b4a39281706")
    result = own(run_item(settings, "10.6"), "pusher.handshake")
    assert result.status == "fail"
    assert "error 4001" in result.summary and "not exist in this cluster" in result.summary


def test_pusher_wrong_secret_fails_the_signed_call(fake_pusher, project):
    settings = pusher_settings(project, fake_pusher, PUSHER_APP_ID=PUSHER_APP_ID,
                               PUSHER_APP_SECRET="0000wrong0000secret00")
    result = own(run_item(settings, "10.6"), "pusher.handshake")
    assert result.status == "fail"
    assert "HTTP 401" in result.summary and "0000wrong0000secret00" not in everything(result)


def test_pusher_not_configured_is_not_applicable(project):
    result = run_item(make_settings(project), "10.6")
    assert result.status == "not_applicable" and "no Pusher client" in result.summary  # the project map's evidence


def test_a_placeholder_pusher_key_is_never_sent(fake_pusher, project):
    settings = pusher_settings(project, fake_pusher, PUSHER_APP_KEY="your-pusher-app-key")
    result = own(run_item(settings, "10.6"), "pusher.handshake")
    assert result.status == "error" and result.not_probed == "placeholder"
    assert not any("your-pusher-app-key" in path for path in fake_pusher.requests)


def test_pusher_half_configured_defers_to_env_pusher_on_1_5(project):
    settings = make_settings(project, PUSHER_APP_KEY=PUSHER_KEY)
    on_1_5 = run_item(settings, "1.5")
    # env.pusher judges the half configuration; the handshake was not probed and does not hide that.
    assert on_1_5.status == "fail" and "PUSHER_CLUSTER" in on_1_5.summary and "not probed" in on_1_5.summary
    on_10_6 = own(run_item(settings, "10.6"), "pusher.handshake")
    assert on_10_6.status == "error" and on_10_6.not_probed == "no URL"
    assert "PUSHER_CLUSTER is not set" in on_10_6.summary


def test_pusher_unreachable_host_is_an_error(project):
    settings = make_settings(project, PUSHER_APP_KEY=PUSHER_KEY, PUSHER_CLUSTER="us2",
                             READINESS_PUSHER_HOST=f"ws://127.0.0.1:{free_port()}")
    result = own(run_item(settings, "10.6"), "pusher.handshake")
    assert result.status == "error" and "cannot reach ws://127.0.0.1" in result.summary


def test_signature_matches_pushers_documented_example():
    # Pusher's REST auth docs: key 278d425bdf160c739803, secret 7ad3773142a6692b25b8, this exact body.
    params = {"auth_key": "278d425bdf160c739803", "auth_timestamp": "1353088179", "auth_version": "1.0",
              "body_md5": "ec365a775a4cd0599faeb73354201b6f"}
    signature = sign_query("7ad3773142a6692b25b8", "POST", "/apps/3/events", params)
    assert signature == "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"


def test_check_modules_import_no_heavy_library():
    import subprocess
    import sys

    code = ("import sys; import checks.containers, checks.logs, checks.backups, checks.cache, checks.pusher_live, "
            "checks.project_commands, readiness_tui.procs; "
            "print([m for m in ('docker', 'redis', 'websockets', 'httpx', 'textual') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"
