"""Credentials: the process environment, then the OS keyring, then the project's `.env`.

Secrets live in the OS keyring under one service name per project (`Settings.keyring_service`,
by default `readiness-tui:<project path>`), one entry per variable name (`SUPABASE_KEY`, ...).
The `keyring` library is imported only when a lookup happens (it costs ~0.3 s to import and pick
a backend). Without a usable backend — the normal state of an SSH session — the tool says so
once, plainly, with how to get one, and carries on with the environment and `.env`. It never
falls back to a plaintext file: setting a credential then fails with the same explanation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness_tui.errors import UsageError
from readiness_tui.settings import CONFIG_FILE, SECRET_NAMES, Settings

FAIL_BACKEND = "keyring.backends.fail.Keyring"
HOW_TO_GET_ONE = (
    "to get one: run inside `dbus-run-session` after `gnome-keyring-daemon --unlock` "
    "(docs/configuration.md, Credentials), or set PYTHON_KEYRING_BACKEND to a backend you trust"
)
NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")

#: Why the keyring is unusable in this process (once found, not asked again).
_unavailable: str | None = None


def _note(reason: str) -> str:
    return f"no OS keyring ({reason}); using the environment and .env only; {HOW_TO_GET_ONE}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(text) > 120:
        text = text[:117] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def unavailable_note() -> str:
    """The plain explanation when the keyring turned out to be unusable, else ''."""
    return _note(_unavailable) if _unavailable else ""


def short_note() -> str:
    """One short line for a command's stderr when a secret lookup found no keyring, else ''."""
    if not _unavailable:
        return ""
    return f"no OS keyring ({_unavailable}): secrets from the environment and .env only (`readiness credentials -h`)"


class Keyring:
    """The OS keyring for one project (service name), imported lazily.

    Reading never raises: an unusable backend is remembered and `note` explains it. Writing and
    deleting raise UsageError with the same explanation, so nothing silently goes elsewhere.
    """

    def __init__(self, service: str) -> None:
        self.service = service

    @property
    def note(self) -> str:
        """Why the keyring is not used, or '' while it works."""
        return unavailable_note()

    def _module(self) -> Any:
        global _unavailable
        if _unavailable is not None:
            return None
        # The fail backend is what keyring picks with no backend; named explicitly we need not
        # spend 0.3 s importing keyring to learn it.
        if os.environ.get("PYTHON_KEYRING_BACKEND", "").strip() == FAIL_BACKEND:
            _unavailable = "PYTHON_KEYRING_BACKEND selects the fail backend"
            return None
        try:
            import keyring
            from keyring.backends import fail

            if isinstance(keyring.get_keyring(), fail.Keyring):
                _unavailable = "no Secret Service, KWallet or macOS/Windows keychain found"
                return None
        except Exception as exc:  # noqa: BLE001 - a broken backend configuration must not stop a run
            _unavailable = _reason(exc)
            return None
        return keyring

    def _call(self, op: str, *args: str) -> Any:
        global _unavailable
        module = self._module()
        if module is None:
            raise _Unavailable(unavailable_note())
        try:
            return getattr(module, op)(self.service, *args)
        except Exception as exc:  # noqa: BLE001 - locked collection, D-Bus failure, broken backend
            from keyring.errors import PasswordDeleteError

            if isinstance(exc, PasswordDeleteError):
                raise
            # Whatever failed (locked collection, D-Bus gone), treat the keyring as unusable for
            # this process and say why, rather than silently using .env instead.
            _unavailable = _reason(exc)
            raise _Unavailable(unavailable_note()) from None

    def available(self) -> bool:
        """True when a usable backend exists (imports keyring on the first call)."""
        return self._module() is not None

    def get(self, name: str) -> str | None:
        """The stored value, or None (also when the keyring is unusable: see `note`)."""
        try:
            return self._call("get_password", name)
        except _Unavailable:
            return None

    def set(self, name: str, value: str) -> None:
        """Store a value; UsageError when there is no keyring (never a plaintext fallback)."""
        try:
            self._call("set_password", name, value)
        except _Unavailable as exc:
            raise UsageError(f"cannot store {name}: {exc}") from None

    def delete(self, name: str) -> bool:
        """Remove a value; False when it was not there. UsageError when there is no keyring."""
        try:
            self._call("delete_password", name)
            return True
        except _Unavailable as exc:
            raise UsageError(f"cannot delete {name}: {exc}") from None
        except Exception as exc:
            from keyring.errors import PasswordDeleteError

            if isinstance(exc, PasswordDeleteError):
                return False
            raise

    def backend_name(self) -> str:
        """A short name of the backend in use (for `credentials list`)."""
        module = self._module()
        if module is None:
            return "none"
        backend = module.get_keyring()
        return f"{type(backend).__module__.removeprefix('keyring.backends.')}.{type(backend).__name__}"


class _Unavailable(Exception):
    pass


def service_for(project_dir: str | Path, environ: Mapping[str, str] | None = None) -> str:
    """The keyring service name of a project, resolved the way `load_settings` resolves it.

    `READINESS_KEYRING_SERVICE`, else `keyring_service` in `readiness.toml` `[target]`, else
    `readiness-tui:<absolute project path>`. Read before the settings because the keyring is
    consulted while they load; a malformed `readiness.toml` is reported by `load_settings`.
    """
    from readiness_tui import fileio
    from readiness_tui.settings import default_keyring_service

    environ = os.environ if environ is None else environ
    if environ.get("READINESS_KEYRING_SERVICE"):
        return environ["READINESS_KEYRING_SERVICE"]
    root = Path(project_dir).expanduser().resolve()
    config = root / CONFIG_FILE
    if config.is_file():
        try:
            target = fileio.read_toml(config, fileio.MAX_CONFIG, CONFIG_FILE).get("target", {})
            value = target.get("keyring_service") if isinstance(target, dict) else None
            if isinstance(value, str) and value:
                return value
        except fileio.FileProblem:
            pass
    return default_keyring_service(root)


def check_name(name: str) -> str:
    """Validate a credential name: one the settings look up in the keyring."""
    name = (name or "").strip()
    if not NAME_RE.match(name):
        raise UsageError(f"{name!r} is not a variable name (use upper case, e.g. SUPABASE_KEY)")
    if name not in SECRET_NAMES:
        raise UsageError(f"readiness looks up only these names in the keyring: {', '.join(SECRET_NAMES)}")
    return name


@dataclass
class Found:
    """Where a credential is found, in lookup order (the first one is used)."""

    name: str
    sources: list[str]
    value: str | None
    """The value in effect (memory only, never printed)."""

    @property
    def used(self) -> str:
        return self.sources[0] if self.sources else "not set"


def locate(settings: Settings, name: str, keyring: Keyring, environ: Mapping[str, str] | None = None) -> Found:
    """Every place a credential is set, in lookup order: environment, keyring, readiness.toml, .env."""
    environ = os.environ if environ is None else environ
    sources: list[str] = []
    values: list[str] = []
    if environ.get(name):
        sources.append("environment")
        values.append(environ[name])
    stored = keyring.get(name)
    if stored:
        sources.append("keyring")
        values.append(stored)
    target = settings.table("target")
    toml_value = target.get(name.lower())
    if isinstance(toml_value, str) and toml_value:
        sources.append(CONFIG_FILE)
        values.append(toml_value)
    env_value = settings.env.get(name)
    if env_value:
        sources.append(".env")
        values.append(env_value)
    return Found(name, sources, values[0] if values else None)
