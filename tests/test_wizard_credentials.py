"""The wizard's credentials screen: where each name is found, set (masked) and delete, no backend.

Three keyrings: the fail backend (the normal state over SSH), an in-memory keyring backend standing
in for the OS keyring inside this process, and the real Secret Service (gnome-keyring in
`dbus-run-session`), where the Pilot test runs in a subprocess inside the session because the
session's bus address must be in the environment before `keyring` picks its backend.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import keyring
import pytest
from fixtures.keyring import SecretService
from keyring.backend import KeyringBackend
from keyring.backends import fail
from test_wizard import app_for, settle, type_text, wait_until
from textual.widgets import Input, OptionList, Static

from readiness_tui import credentials

SECRET = "wiz-Cred-Secret-4d7b2e91"


class MemoryKeyring(KeyringBackend):
    """A keyring backend holding values in memory: stands in for the OS keyring in this process."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.values.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def fail_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", credentials.FAIL_BACKEND)
    monkeypatch.setattr(credentials, "_unavailable", None)
    yield
    credentials._unavailable = None


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    for name in credentials.SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(credentials, "_unavailable", None)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous if not isinstance(previous, fail.Keyring) else fail.Keyring())
    credentials._unavailable = None


def rows(app) -> dict[str, str]:
    options = app.screen.query_one("#cred-list", OptionList)
    out = {}
    for index in range(options.option_count):
        option = options.get_option_at_index(index)
        out[option.id] = str(option.prompt)
    return out


def files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and needle.encode() in p.read_bytes()]


async def open_credentials(app, pilot) -> None:
    await settle(app, pilot)
    await pilot.press("k")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "CredentialsScreen")
    await wait_until(pilot, lambda: "SUPABASE_KEY" in rows(app))


async def test_no_backend_says_so_and_stores_nothing(good_project: Path, tmp_path: Path, fail_backend) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_credentials(app, pilot)
        shown = rows(app)
        assert list(shown) == list(credentials.SECRET_NAMES)
        assert ".env" in shown["SUPABASE_KEY"]
        assert "missing" in shown["DATABASE_URL"]
        note = str(app.screen.query_one("#cred-keyring", Static).render())
        assert "no OS keyring" in note and "dbus-run-session" in note and "PYTHON_KEYRING_BACKEND" in note
        # Said before anything is typed: the value field never opens.
        await pilot.press("s")
        await settle(app, pilot)
        prompt = str(app.screen.query_one("#cred-prompt", Static).render())
        assert "SUPABASE_KEY cannot be stored here: there is no OS keyring" in prompt
        field = app.screen.query_one("#cred-value", Input)
        assert field.disabled and not field.has_focus
        await pilot.press("escape")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "StartScreen"
    assert files_containing(tmp_path, SECRET) == []  # no plaintext fallback anywhere


async def test_set_and_delete_with_a_keyring(good_project: Path, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_credentials(app, pilot)
        assert "keyring: " in str(app.screen.query_one("#cred-keyring", Static).render())
        assert "missing" in rows(app)["DATABASE_URL"]
        app.screen.query_one("#cred-list", OptionList).highlighted = credentials.SECRET_NAMES.index("DATABASE_URL")
        await pilot.press("s")
        await type_text(pilot, SECRET)
        screen = app.export_screenshot()
        assert SECRET not in screen and "•" * 8 in screen  # masked input
        await pilot.press("enter")
        await wait_until(pilot, lambda: "keyring" in rows(app)["DATABASE_URL"])
        service = credentials.service_for(good_project)
        assert memory_keyring.values[(service, "DATABASE_URL")] == SECRET
        assert app.target.settings.database_url == SECRET  # the checks see the new credential
        assert SECRET not in app.export_screenshot()
        await pilot.press("x")  # asks first; no is the default
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AskDialog")
        await pilot.press("enter")
        await settle(app, pilot)
        assert memory_keyring.values[(service, "DATABASE_URL")] == SECRET
        await pilot.press("x")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AskDialog")
        await pilot.press("y")
        await wait_until(pilot, lambda: "missing" in rows(app)["DATABASE_URL"])
        assert (service, "DATABASE_URL") not in memory_keyring.values
        # Deleting again: it is not there, said plainly (nothing to ask).
        await pilot.press("x")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CredentialsScreen"
        assert "missing" in rows(app)["DATABASE_URL"]
    assert files_containing(tmp_path, SECRET) == []


async def test_reachable_from_the_palette(good_project: Path, fail_backend) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        from textual.widgets._footer import FooterKey

        keys = {k.key: k for k in app.screen.query(FooterKey)}
        assert keys["k"].description == "Credentials" and keys["k"].region.right <= 100  # shown in the footer
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await type_text(pilot, "Credentials")
        await settle(app, pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CredentialsScreen")


DRIVER = textwrap.dedent("""
    import asyncio, json, sys, time
    from readiness_tui.screens.app import make_app

    SECRET = sys.argv[2]

    async def main():
        app = make_app(sys.argv[1], run_checks=False)
        app.key_hold_s = 0  # scripted keys come faster than hands
        out = {}
        async with app.run_test(size=(100, 30)) as pilot:
            async def until(cond):
                end = time.monotonic() + 20
                while not cond():
                    assert time.monotonic() < end, app.export_screenshot()
                    await pilot.pause(0.05)
            await until(lambda: app.ready)
            await pilot.press("k")
            await until(lambda: type(app.screen).__name__ == "CredentialsScreen")
            screen = app.screen
            def rows():
                ol = screen.query_one("#cred-list")
                return {ol.get_option_at_index(i).id: str(ol.get_option_at_index(i).prompt)
                        for i in range(ol.option_count)}
            await until(lambda: "SUPABASE_KEY" in rows())
            out["keyring_line"] = str(screen.query_one("#cred-keyring").render())
            await pilot.press("s", *SECRET, "enter")
            await until(lambda: "[$success]keyring" in rows()["SUPABASE_KEY"])
            out["after_set"] = rows()["SUPABASE_KEY"]
            out["screens"] = app.export_screenshot()
            await pilot.press("x")
            await until(lambda: type(app.screen).__name__ == "AskDialog")
            await pilot.press("y")
            await until(lambda: "keyring" not in rows()["SUPABASE_KEY"])
            out["after_delete"] = rows()["SUPABASE_KEY"]
        print(json.dumps(out))

    asyncio.run(main())
""")


def test_real_secret_service_round_trip(secret_service: SecretService, wizard_project: Path, tmp_path: Path) -> None:
    proc = secret_service.python(DRIVER.replace("sys.argv[1]", repr(str(wizard_project)))
                                 .replace("sys.argv[2]", repr(SECRET)))
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "SecretService" in out["keyring_line"]
    assert "keyring" in out["after_set"] and ".env" in out["after_set"]  # keyring first, .env behind it
    assert "keyring" not in out["after_delete"] and ".env" in out["after_delete"]
    assert SECRET not in out["screens"] and SECRET not in proc.stdout and SECRET not in proc.stderr
    # Only the keyring's own (encrypted) store may hold it; no file in the project or elsewhere in plain text.
    assert files_containing(wizard_project, SECRET) == []
    assert files_containing(tmp_path, SECRET) == []
