"""Credentials: a real Secret Service round trip, the fail backend, and secrets that never leak."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.keyring import SecretService, isolated_home

from readiness_tui import credentials
from readiness_tui.errors import UsageError
from readiness_tui.settings import load_settings

KR_SECRET = "kr-Secret-Value-7f3a9c1e"
FAIL_ENV = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def _project(tmp_path: Path, env_lines: str = "") -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    (project / ".env").write_text("BACKEND_API_URL=https://api.example.invalid\n" + env_lines)
    return project


def _files_containing(roots: list[Path], needle: str) -> list[Path]:
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink() and needle.encode() in path.read_bytes():
                hits.append(path)
    return hits


def test_round_trip_through_the_real_secret_service(secret_service: SecretService, tmp_path: Path):
    project = _project(tmp_path, "SUPABASE_KEY=from-dotenv-value-123456\n")
    proc = secret_service.cli("credentials", "set", "SUPABASE_KEY", str(project), input=KR_SECRET + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "stored SUPABASE_KEY in the OS keyring (SecretService.Keyring" in proc.stdout

    # The value really is in the Secret Service, under the project's service name.
    service = credentials.service_for(project)
    probe = secret_service.python(f"import keyring; print(keyring.get_password({service!r}, 'SUPABASE_KEY'))")
    assert probe.stdout.strip() == KR_SECRET, probe.stderr

    proc = secret_service.cli("credentials", "get", "SUPABASE_KEY", str(project), "--masked")
    assert proc.returncode == 0 and "from keyring; also in .env" in proc.stdout
    assert "kr-S…(24 chars)" in proc.stdout

    listing = secret_service.cli("credentials", "list", str(project))
    assert re.search(r"^SUPABASE_KEY\s+keyring \(also \.env\)$", listing.stdout, re.M), listing.stdout
    assert re.search(r"^REDIS_URL\s+not set$", listing.stdout, re.M)

    # open_target takes it from the keyring (above .env) and says where it came from.
    source = secret_service.python(
        "from readiness_tui.target import open_target; t = open_target('.'); "
        "print(t.settings.sources['supabase_key'], t.settings.supabase_key == " + repr(KR_SECRET) + ", "
        "repr(t.settings.keyring_note))", cwd=project)
    assert source.stdout.split() == ["keyring", "True", "''"], source.stderr

    # The environment wins over the keyring.
    proc = secret_service.cli("credentials", "get", "SUPABASE_KEY", str(project),
                              extra={"SUPABASE_KEY": "env-value-abcdef123"})
    assert "from environment; also in keyring, .env" in proc.stdout

    proc = secret_service.cli("credentials", "delete", "SUPABASE_KEY", str(project))
    assert proc.returncode == 0 and "deleted SUPABASE_KEY" in proc.stdout
    proc = secret_service.cli("credentials", "delete", "SUPABASE_KEY", str(project))
    assert proc.returncode == 1 and "not in the OS keyring" in proc.stdout
    proc = secret_service.cli("credentials", "get", "SUPABASE_KEY", str(project))
    assert "from .env" in proc.stdout and "keyring" not in proc.stdout

    outputs = "".join(p.stdout + p.stderr for p in (listing, source))
    assert KR_SECRET not in outputs
    # Stored encrypted by gnome-keyring: the value is in no file of the project or HOME.
    assert _files_containing([project, secret_service.home], KR_SECRET) == []


def test_hidden_prompt_is_used_on_a_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from readiness_tui.commands import credentials as command

    class Tty:
        def isatty(self) -> bool:
            return True

    asked = []
    monkeypatch.setattr("sys.stdin", Tty())
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "typed-secret-value")
    assert command._read_value("REDIS_URL") == "typed-secret-value"
    assert asked == ["REDIS_URL (input hidden): "]


def test_without_a_backend_one_clear_message_and_no_plaintext_file(tmp_path: Path):
    project = _project(tmp_path)
    for env in (FAIL_ENV, {"PYTHON_KEYRING_BACKEND": ""}):
        # Second round: no PYTHON_KEYRING_BACKEND and no session bus, as over SSH: keyring finds nothing.
        home = isolated_home(tmp_path / f"h{len(env['PYTHON_KEYRING_BACKEND'])}")
        extra = dict(env, **home, DBUS_SESSION_BUS_ADDRESS="")
        proc = run_cli("credentials", "set", "PUSHER_APP_SECRET", str(project), input=KR_SECRET, env=extra)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "cannot store PUSHER_APP_SECRET: no OS keyring" in proc.stderr
        assert "dbus-run-session" in proc.stderr and "gnome-keyring-daemon --unlock" in proc.stderr
        assert "PYTHON_KEYRING_BACKEND" in proc.stderr
        check = run_cli("check", str(project), "--only", "1.2", env=extra)
        assert check.stderr.count("no OS keyring") == 1, check.stderr
        assert _files_containing([project, Path(home["HOME"])], KR_SECRET) == []
        assert KR_SECRET not in proc.stdout + proc.stderr + check.stdout + check.stderr


def test_names_are_checked(tmp_path: Path):
    with pytest.raises(UsageError, match="not a variable name"):
        credentials.check_name("supabase key")
    with pytest.raises(UsageError, match="only these names"):
        credentials.check_name("HOME")
    proc = run_cli("credentials", "set", "NOT_A_SECRET_NAME", str(tmp_path), input="x")
    assert proc.returncode == 2 and "SUPABASE_KEY" in proc.stderr
    proc = run_cli("credentials", "set", "REDIS_URL", str(tmp_path), input="\n", env=FAIL_ENV)
    assert proc.returncode == 2 and "no value given" in proc.stderr


def test_service_name_follows_settings(tmp_path: Path):
    project = _project(tmp_path)
    assert credentials.service_for(project, {}) == load_settings(project, {}).keyring_service
    (project / "readiness.toml").write_text('[target]\nkeyring_service = "crm-prod"\n')
    assert credentials.service_for(project, {}) == "crm-prod" == load_settings(project, {}).keyring_service
    env = {"READINESS_KEYRING_SERVICE": "from-env"}
    assert credentials.service_for(project, env) == "from-env" == load_settings(project, env).keyring_service


def test_planted_secrets_never_reach_a_file_or_output(secret_service: SecretService, tmp_path: Path):
    """Secrets in .env, the keyring and the environment, echoed by a leaky check: redacted everywhere."""
    dotenv_secret = "dotenv-Pusher-Secret-5e8d2b"
    env_secret = "env-Service-Key-91c4aa0f"
    redis_password = "kr-redis-pw-3b7e1d"
    redis_url = f"redis://:{redis_password}@127.0.0.1:1/0"
    project = _project(tmp_path, f"PUSHER_APP_SECRET={dotenv_secret}\n")
    extra = {"SUPABASE_SERVICE_KEY": env_secret}
    outputs = []

    def cli(*args: str, **kw: object) -> None:
        proc = secret_service.cli(*args, extra=extra, **kw)  # type: ignore[arg-type]
        outputs.append(proc.stdout + proc.stderr)
        assert proc.returncode in (0, 1), proc.stderr

    cli("credentials", "set", "REDIS_URL", str(project), input=redis_url)
    # A check that leaks every secret into its summary and evidence (what the redactor must catch).
    leak = secret_service.python(
        "import os\n"
        "from readiness_tui.model import ItemResult, Status\n"
        "from readiness_tui.target import open_target, begin_run, save_results\n"
        "t = open_target('.')\n"
        "s = t.settings\n"
        "assert s.sources['redis_url'] == 'keyring' and s.sources['supabase_service_key'] == 'environment'\n"
        "begin_run(t, full=True)\n"
        "leaky = ' '.join([s.redis_url, s.pusher_app_secret, os.environ['SUPABASE_SERVICE_KEY']])\n"
        "save_results(t, {'2.5': ItemResult(Status.FAIL, 'saw ' + leaky, {'url': s.redis_url, 'dump': leaky})},"
        " finished=True)\n", cwd=project, extra=extra)
    assert leak.returncode == 0, leak.stderr
    cli("check", str(project), "--only", "1.2,1.6,1.7")
    cli("confirm", "5.3", str(project), "--by", "bob")
    cli("sign", "--role", "Technical Lead", "--name", "ada", str(project), "--override", "test")
    for fmt in ("text", "json", "markdown", "junit"):
        cli("report", str(project), "--format", fmt)
        cli("report", str(project), "--format", fmt, "--output", str(project / f"report.{fmt}"))
    cli("verify", str(project / "report.json"))
    cli("history", str(project))
    cli("credentials", "list", str(project))
    cli("credentials", "get", "REDIS_URL", str(project), "--masked")
    cli("credentials", "get", "PUSHER_APP_SECRET", str(project))
    cli("credentials", "get", "SUPABASE_SERVICE_KEY", str(project))
    text = "\n".join(outputs)
    assert "[REDACTED]" in (project / "report.markdown").read_text(), "the leaky result was redacted, not dropped"
    assert '"url": "[REDACTED]"' in (project / ".readiness" / "run.json").read_text()
    for secret in (dotenv_secret, env_secret, redis_password, redis_url):
        assert secret not in text, f"{secret[:6]}… printed"
        files = _files_containing([project, secret_service.home], secret)
        if secret == dotenv_secret:
            assert files == [project / ".env"], files  # only where the user put it
        else:
            assert files == [], files
    assert os.environ.get("SUPABASE_SERVICE_KEY") != env_secret


def test_a_failing_backend_is_explained_not_silently_skipped(monkeypatch: pytest.MonkeyPatch):
    import keyring
    from keyring.backends import fail

    class Locked(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            raise RuntimeError("Collection is locked")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError("Collection is locked")

        def delete_password(self, service: str, username: str) -> None:
            raise RuntimeError("Collection is locked")

    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(credentials, "_unavailable", None)
    previous = keyring.get_keyring()
    keyring.set_keyring(Locked())
    try:
        kr = credentials.Keyring("svc")
        assert kr.get("SUPABASE_KEY") is None
        assert kr.note.startswith("no OS keyring (RuntimeError: Collection is locked)")
        with pytest.raises(UsageError, match="cannot store SUPABASE_KEY: no OS keyring"):
            kr.set("SUPABASE_KEY", "value-123456")
    finally:
        keyring.set_keyring(previous if not isinstance(previous, fail.Keyring) else fail.Keyring())
    monkeypatch.setattr(credentials, "_unavailable", None)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", credentials.FAIL_BACKEND)
    assert credentials.Keyring("svc").get("X") is None
    assert "PYTHON_KEYRING_BACKEND selects the fail backend" in credentials.unavailable_note()
