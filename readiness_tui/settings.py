"""Where the target is described: the project's `.env`, `readiness.toml` and the environment.

Precedence, highest first: the process environment, the OS keyring (secrets only, see
`credentials`), `readiness.toml` `[target]`, the project's `.env`, the defaults below. `.env` is
read with python-dotenv's parser and never exported into `os.environ`.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from readiness_tui import fileio, gitutil
from readiness_tui.errors import UsageError
from readiness_tui.neutral import one_line
from readiness_tui.redact import Redactor, is_secret_name, looks_like_credential

CONFIG_FILE = "readiness.toml"

#: Names looked up in the keyring (between the environment and `.env`).
SECRET_NAMES = (
    "SUPABASE_KEY",
    "SUPABASE_SERVICE_KEY",
    "DATABASE_URL",
    "FRONTEND_DATABASE_URL",
    "REDIS_URL",
    "PUSHER_APP_SECRET",
    "SENTRY_DSN",
)


@dataclass
class EnvEntry:
    """One assignment of the project's `.env` (value kept in memory only)."""

    key: str
    value: str
    line: int


@dataclass
class Settings:
    """Everything the checks need to know about the target. One instance per run."""

    project_dir: Path
    """The project directory given on the command line (absolute)."""
    repo_root: Path | None = None
    """The git top-level containing the project directory, or None outside a repository."""
    env_file: Path = Path(".env")
    """The project's `.env` file (it may not exist: item 1.1 says so)."""
    env_entries: list[EnvEntry] = field(default_factory=list)
    """The `.env` assignments in file order, with line numbers (values never written anywhere)."""
    config_file: Path | None = None
    """`readiness.toml` when the project has one."""
    config: dict[str, Any] = field(default_factory=dict)
    """The whole parsed `readiness.toml` (tables `[target]`, `[commands]`, `[deploy]`, `[[contacts]]`)."""
    sources: dict[str, str] = field(default_factory=dict)
    """Where each value came from: environment, keyring, readiness.toml, .env or default."""
    keyring_note: str = ""
    """Why the keyring was not consulted, when it was not (shown once, plainly)."""
    repo_note: str = ""
    """Why git was not read although the project is in a repository (git refused it), or empty."""
    app_environ: dict[str, str] = field(default_factory=dict)
    """The process environment's values of the application's own variables (BACKEND_API_URL, …)."""
    keyring_values: list[str] = field(default_factory=list, repr=False)
    """Every value read from the keyring (the redactor learns them all, used or not)."""

    backend_url: str | None = None
    """The backend API's base URL (`BACKEND_API_URL`)."""
    frontend_url: str = "http://localhost:8501"
    """The Streamlit frontend's base URL (`FRONTEND_URL`, default from `STREAMLIT_SERVER_PORT`)."""
    database_url: str | None = None
    """PostgreSQL URL for the data checks (`DATABASE_URL`); Supabase pooler URLs work."""
    frontend_database_url: str | None = None
    """The URL the frontend connects with, checked to be read-only (`FRONTEND_DATABASE_URL`)."""
    redis_url: str | None = None
    """Redis URL (`REDIS_URL`), password allowed (never shown)."""
    supabase_url: str | None = None
    """Supabase project URL (`SUPABASE_URL`)."""
    supabase_key: str | None = None
    """Supabase key the frontend uses (`SUPABASE_KEY`): must be the public one."""
    supabase_service_key: str | None = None
    """Supabase service key, if the checks may use one (`SUPABASE_SERVICE_KEY`)."""
    supabase_table: str = "leads"
    """Table queried by the Supabase reachability check (`count="exact"`)."""
    pusher_app_id: str | None = None
    """Pusher app id (`PUSHER_APP_ID`)."""
    pusher_app_key: str | None = None
    """Pusher app key (`PUSHER_APP_KEY`)."""
    pusher_app_secret: str | None = None
    """Pusher app secret (`PUSHER_APP_SECRET`), for the signed channels call."""
    pusher_cluster: str | None = None
    """Pusher cluster (`PUSHER_CLUSTER` or `PUSHER_APP_CLUSTER`)."""
    pusher_host: str | None = None
    """Override of the Pusher WebSocket host (tests point it at loopback)."""
    container: str = "iswitch-crm-frontend"
    """Name of the frontend container."""
    image: str = "iswitch-streamlit:latest"
    """The frontend image (seed's backup script)."""
    docker_host: str | None = None
    """Docker daemon address (`DOCKER_HOST`); default: the SDK's own default."""
    migrations_dir: str = "backend/migrations"
    """Directory of SQL migrations, relative to the project or repository root."""
    backup_dir: str | None = None
    """Where database backups land (item 6.1)."""
    config_backup_dir: str | None = None
    """Where configuration backups land (item 6.2); default: `backup_dir`."""
    log_dir: str | None = None
    """The application's log directory (item 5.7)."""
    ca_bundle: str | None = None
    """A CA bundle to trust besides the system CAs (private PKI, tests)."""
    check_timeout: float = 10.0
    """Seconds each live check may take before it is reported as `error` (timed out): the network budget."""
    repo_timeout: float = 60.0
    """Seconds a check that only reads the repository may take (its own bound, apart from the network's)."""
    connect_timeout: float = 3.0
    """Seconds to wait for a TCP/TLS connection."""
    read_timeout: float = 5.0
    """Seconds to wait for an answer once connected."""
    health_samples: int = 5
    """How many health requests measure latency (p50/p95)."""
    load_url: str | None = None
    """URL the load test targets (default: the backend health endpoint)."""
    load_requests: int = 1000
    """Requests the load test sends (seed: `ab -n 1000`)."""
    load_concurrency: int = 10
    """Concurrent requests in the load test (seed: `ab -c 10`)."""
    rate_limit_burst: int = 60
    """Requests in the bounded burst that must meet a rate limit (item 3.7)."""
    api_call: str = "GET /api/leads?limit=1"
    """The API call item 10.7 makes against the backend."""
    api_docs_path: str | None = None
    """Where the backend serves its API docs, if not `/docs`, `/openapi.json` or `/apidocs`."""
    system_root: str = "/"
    """Directory read as `/` for /etc/logrotate.d, /etc/crontab, /etc/cron.d, systemd timers (tests: a temp dir)."""
    keyring_service: str = ""
    """Keyring service name for this project's credentials (default: derived from the project path)."""

    @property
    def env(self) -> dict[str, str]:
        """The `.env` values by name (last assignment wins, as in python-dotenv)."""
        return {e.key: e.value for e in self.env_entries}

    def path(self, relative: str | Path) -> Path:
        """Resolve a path: absolute as is; else the project dir if it exists there, else the repo root."""
        p = Path(relative).expanduser()
        if p.is_absolute():
            return p
        candidate = self.project_dir / p
        if candidate.exists() or self.repo_root is None:
            return candidate
        in_repo = self.repo_root / p
        return in_repo if in_repo.exists() else candidate

    def find(self, *relatives: str) -> Path | None:
        """The first of these paths that exists (project dir first, then the repo root)."""
        for rel in relatives:
            for base in (self.project_dir, self.repo_root):
                if base is not None and (base / rel).exists():
                    return base / rel
        return None

    def app_setting(self, name: str, field_name: str | None = None) -> tuple[str | None, str]:
        """(value, source) of a variable as the application sees it: the environment, then `.env`.

        `readiness.toml` describes where the tool probes (it may point at loopback on the host);
        the section 1 items judge what the application itself is configured with. When neither the
        environment nor `.env` has the variable, the tool's own value (`field_name`) is used.
        """
        if self.app_environ.get(name):
            return self.app_environ[name], "environment"
        env = self.env
        if env.get(name, "").strip():
            return env[name], ".env"
        if field_name:
            value = getattr(self, field_name, None)
            if isinstance(value, str) and value:
                return value, self.sources.get(field_name, "default")
        return None, "unset"

    def table(self, name: str) -> dict[str, Any]:
        """A top-level table of `readiness.toml` (`commands`, `deploy`, ...), empty when absent."""
        value = self.config.get(name, {})
        return value if isinstance(value, dict) else {}

    def secret_values(self) -> list[str]:
        """Every secret value known to this run, for the redactor.

        The values of secret-named variables in `.env`, the settings and the environment, every
        `.env` value that looks like a credential whatever its name, and every value read from the
        keyring.
        """
        values = [e.value for e in self.env_entries if is_secret_name(e.key) or looks_like_credential(e.value)]
        values += self.keyring_values
        values += [
            v for f in fields(self)
            if isinstance(v := getattr(self, f.name), str) and is_secret_name(f.name) and f.name != "keyring_service"
        ]
        values += [v for k, v in os.environ.items() if is_secret_name(k) and k.upper() in _ENV_SECRET_WATCH]
        return [v for v in values if v]

    def redactor(self) -> Redactor:
        """A redactor that knows this target's secrets."""
        return Redactor(self.secret_values())


#: Environment variables whose values the redactor learns even if the target does not use them.
_ENV_SECRET_WATCH = {n for n in SECRET_NAMES} | {"PUSHER_APP_KEY", "SUPABASE_ANON_KEY"}

#: field name -> (.env / environment name(s), readiness.toml key)
_SOURCES: dict[str, tuple[tuple[str, ...], str]] = {
    "backend_url": (("BACKEND_API_URL",), "backend_url"),
    "frontend_url": (("FRONTEND_URL",), "frontend_url"),
    "database_url": (("DATABASE_URL",), "database_url"),
    "frontend_database_url": (("FRONTEND_DATABASE_URL",), "frontend_database_url"),
    "redis_url": (("REDIS_URL",), "redis_url"),
    "supabase_url": (("SUPABASE_URL",), "supabase_url"),
    "supabase_key": (("SUPABASE_KEY",), "supabase_key"),
    "supabase_service_key": (("SUPABASE_SERVICE_KEY",), "supabase_service_key"),
    "pusher_app_id": (("PUSHER_APP_ID",), "pusher_app_id"),
    "pusher_app_key": (("PUSHER_APP_KEY",), "pusher_app_key"),
    "pusher_app_secret": (("PUSHER_APP_SECRET",), "pusher_app_secret"),
    "pusher_cluster": (("PUSHER_CLUSTER", "PUSHER_APP_CLUSTER"), "pusher_cluster"),
    "docker_host": (("DOCKER_HOST",), "docker_host"),
}

_SKIP = {"project_dir", "repo_root", "env_file", "env_entries", "config_file", "config", "sources", "keyring_note",
         "app_environ", "keyring_values", "repo_note"}

KeyringLookup = Callable[[str], str | None]


def parse_env_file(path: Path) -> list[EnvEntry]:
    """Parse a `.env` file; UsageError("FILE:LINE: ...") on a line python-dotenv cannot parse."""
    from dotenv.parser import parse_stream

    text = fileio.read_text(path, fileio.MAX_ENV, "a .env file", strict=True)
    entries: list[EnvEntry] = []
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            snippet = one_line(binding.original.string.strip().split("=", 1)[0][:40])
            raise UsageError(
                f"{path}:{binding.original.line}: cannot parse {snippet!r} (expected NAME=value)"
            )
        if binding.key is not None:
            entries.append(EnvEntry(binding.key, binding.value or "", binding.original.line))
    return entries


#: Keys of one `[[contacts]]` entry (all strings; the report lists them under Support & Escalation).
CONTACT_KEYS = ("name", "role", "email", "phone")
#: Keys of `[deploy]` (readiness_tui.deploy reads them; named here so a typo is caught by every command).
DEPLOY_COMMAND_KEYS = ("backup", "final_tests", "deploy", "rollback")
DEPLOY_KEYS = (*DEPLOY_COMMAND_KEYS, "timeout", "verify_timeout", "verify_interval", "verify_items", "health_samples",
               "sample_interval", "health_target_pct", "watch_seconds", "tail_lines", "uptime_url")
#: The tables of `readiness.toml` (`[commands]` keys are open: a checklist item may name its own).
CONFIG_TABLES = ("target", "commands", "deploy", "contacts", "wizard", "signoff")
#: Keys of `[wizard]` and `[signoff]` (readiness_tui.target and the wizard's sign dialog read them).
SMALL_TABLE_KEYS: dict[str, tuple[str, ...]] = {"wizard": ("resume_minutes",), "signoff": ("ssh_key",)}


class ConfigText:
    """Finds the line of a table or key in `readiness.toml`, so a mistake is reported as FILE:LINE."""

    _HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    @staticmethod
    def _parts(dotted: str) -> list[str]:
        return [p.strip().strip("\"'") for p in re.findall(r"""(?:"[^"]*"|'[^']*'|[^.]+)""", dotted)]

    def line(self, table: str | None, key: str | None = None, index: int = 1) -> int:
        """The line of `[table]` (its `index`-th occurrence for `[[table]]`), or of `key` inside it; 0 if unknown."""
        current: list[str] = []
        seen = 0
        for number, text in enumerate(self.lines, 1):
            header = self._HEADER.match(text)
            if header and not self._KEY.match(text):
                current = self._parts(header.group(1))
                if table is not None and current[:1] == [table]:
                    seen += current == [table]
                    if key is None and seen == index:
                        return number
                continue
            match = self._KEY.match(text)
            if not match or key is None:
                continue
            path = current + self._parts(match.group(1))
            if table is None and path[:1] == [key]:
                return number
            in_header = current[:1] == [table]
            if table is not None and path[:2] == [table, key] and (seen == index if in_header else index == 1):
                return number
        return 0

    def where(self, table: str | None, key: str | None = None, index: int = 1) -> str:
        """`FILE:LINE` (or `FILE` when the line is unknown)."""
        number = self.line(table, key, index)
        return f"{self.path}:{number}" if number else str(self.path)


def _q(name: str) -> str:
    """A name from the file, for a one-line message (line breaks and control characters made visible)."""
    return one_line(name, 60)


def _shown(value: Any) -> str:
    """A value from the file, for a one-line message: its repr, shortened."""
    return one_line(repr(value), 60)


def _suggest(name: str, known: tuple[str, ...] | list[str] | set[str], brackets: bool = False) -> str:
    """` (did you mean `x`?)` for a close match among `known`, else the list of known names."""
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if close:
        return f" (did you mean [{close[0]}]?)" if brackets else f" (did you mean `{close[0]}`?)"
    return f" (known: {', '.join(sorted(known))})"


def _regular_or_absent(path: Path) -> bool:
    """True for a regular file (links followed), False when absent; FileProblem when it is anything else
    (a directory, a FIFO, a device, a broken or looping link): silently skipping it would report "no .env"
    while one is plainly there, and reading it could block."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise fileio.FileProblem(path, "is a broken link; it must be a file") from None
        return False
    except OSError as exc:
        raise fileio.FileUnreadable(path, f"cannot read ({exc.strerror}); it must be a file") from None
    if not stat.S_ISREG(st.st_mode):
        raise fileio.FileProblem(path, f"not a regular file ({fileio.kind_of(st.st_mode)}); it must be a file")
    return True


def _check_tables(config: dict[str, Any], loc: ConfigText) -> None:
    """The shape of every table, checked up front so a mistake is one line (exit 2) instead of a silently
    ignored table or a traceback in a report."""
    for name in config:
        if name not in CONFIG_TABLES:
            where = loc.where(name) if loc.line(name) else loc.where(None, name)
            what = f"table [{_q(name)}]" if isinstance(config[name], dict) else f"key `{_q(name)}`"
            raise UsageError(f"{where}: unknown {what}{_suggest(name, CONFIG_TABLES, brackets=True)}")
    if "target" in config and not isinstance(config["target"], dict):
        raise UsageError(f"{loc.where(None, 'target')}: `target` must be a table ([target])")
    for name in ("commands", "deploy", *SMALL_TABLE_KEYS):
        if name in config and not isinstance(config[name], dict):
            raise UsageError(f"{loc.where(None, name)}: `{name}` must be a table ([{name}]), "
                             f"not {type(config[name]).__name__}")
    for name, keys in SMALL_TABLE_KEYS.items():
        for key in config.get(name, {}):
            if key not in keys:
                raise UsageError(f"{loc.where(name, key)}: unknown key `{_q(key)}` in [{name}]{_suggest(key, keys)}")
    ssh_key = config.get("signoff", {}).get("ssh_key")
    if ssh_key is not None and not isinstance(ssh_key, str):
        raise UsageError(f"{loc.where('signoff', 'ssh_key')}: [signoff] ssh_key must be a path string, "
                         f"not {_shown(ssh_key)}")
    deploy = config.get("deploy", {})
    for key in deploy:
        if key not in DEPLOY_KEYS and key.replace("-", "_") not in DEPLOY_COMMAND_KEYS:
            raise UsageError(f"{loc.where('deploy', key)}: unknown key `{_q(key)}` in [deploy]{_suggest(key, DEPLOY_KEYS)}")
    uptime = deploy.get("uptime_url")
    if uptime is not None and not isinstance(uptime, str):
        raise UsageError(f"{loc.where('deploy', 'uptime_url')}: [deploy] uptime_url must be a URL string, "
                         f"not {_shown(uptime)}")
    contacts = config.get("contacts")
    if contacts is None:
        return
    if not isinstance(contacts, list):
        raise UsageError(f"{loc.where(None, 'contacts')}: `contacts` must be an array of tables "
                         "([[contacts]] with name, role, email, phone)")
    for number, contact in enumerate(contacts, 1):
        if not isinstance(contact, dict):
            raise UsageError(f"{loc.where(None, 'contacts')}: contact {number} must be a table ([[contacts]] with "
                             f"name, role, email, phone), not {_shown(contact)}")
        for key, value in contact.items():
            if key not in CONTACT_KEYS:
                raise UsageError(f"{loc.where('contacts', key, number)}: contact {number}: unknown key `{_q(key)}`"
                                 f"{_suggest(key, CONTACT_KEYS)}")
            if not isinstance(value, str):
                raise UsageError(f"{loc.where('contacts', key, number)}: contact {number}: `{key}` must be a string, "
                                 f"not {_shown(value)}")
        if not any(contact.get(k) for k in ("name", "email", "phone")):
            raise UsageError(f"{loc.where('contacts', None, number)}: contact {number} needs a name, email or phone")


def _coerce(name: str, value: Any, default: Any, where: str) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
        raise UsageError(f"{where}: `{name}` must be true or false, not {_shown(value)}")
    if isinstance(default, int):
        number: Any = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            number = int(value)
        if number is None:
            raise UsageError(f"{where}: `{name}` must be an integer, not {_shown(value)}")
        if number <= 0:
            raise UsageError(f"{where}: `{name}` must be positive")
        return number
    if isinstance(default, float):
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None:
            raise UsageError(f"{where}: `{name}` must be a number, not {_shown(value)}")
        if not math.isfinite(number) or number <= 0:
            raise UsageError(f"{where}: `{name}` must be a positive number, not {_shown(value)}")
        return number
    if not isinstance(value, str):
        raise UsageError(f"{where}: `{name}` must be a string, not {_shown(value)}")
    return value


def load_settings(
    project_dir: str | Path,
    environ: Mapping[str, str] | None = None,
    keyring_lookup: KeyringLookup | None = None,
) -> Settings:
    """Build the settings of a project directory.

    Raises UsageError for a missing directory, a malformed `.env` or `readiness.toml`.
    `keyring_lookup(name)` returns a secret from the OS keyring or None.
    """
    environ = os.environ if environ is None else environ
    root = Path(project_dir).expanduser()
    if not str(project_dir).strip():
        raise UsageError("the project directory is an empty string; give a path (or . for this one)")
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    root = root.resolve()
    try:
        with os.scandir(root):
            pass
    except OSError as exc:
        raise UsageError(f"{root}: cannot read the project directory ({exc.strerror})") from None
    settings = Settings(project_dir=root, repo_root=gitutil.repo_root(root))
    settings.repo_note = gitutil.refusal(root) if settings.repo_root is None else ""
    settings.env_file = root / ".env"
    if _regular_or_absent(settings.env_file):
        settings.env_entries = parse_env_file(settings.env_file)
    config_path = root / CONFIG_FILE
    target: dict[str, Any] = {}
    loc = ConfigText(config_path, "")
    if _regular_or_absent(config_path):
        settings.config_file = config_path
        raw = fileio.read_bytes(config_path, fileio.MAX_CONFIG, CONFIG_FILE)
        settings.config = fileio.parse_toml(raw, config_path)
        loc = ConfigText(config_path, raw.decode("utf-8"))
        _check_tables(settings.config, loc)
        target = settings.config.get("target", {})
    known = {f.name for f in fields(Settings)} - _SKIP
    for key in target:
        if key not in known:
            raise UsageError(f"{loc.where('target', key)}: unknown key `{_q(key)}` in [target]{_suggest(key, known)}")
    dotenv = settings.env
    env_lines = {e.key: e.line for e in settings.env_entries}
    defaults = {f.name: getattr(settings, f.name) for f in fields(Settings) if f.name in known}
    port = dotenv.get("STREAMLIT_SERVER_PORT") or environ.get("STREAMLIT_SERVER_PORT") or "8501"
    defaults["frontend_url"] = f"http://localhost:{port}"
    for name in sorted(known):
        env_names, toml_key = _SOURCES.get(name, ((f"READINESS_{name.upper()}",), name))
        value: Any = None
        source = "default"
        where = ""
        for env_name in env_names:
            if environ.get(env_name):
                value, source, where = environ[env_name], "environment", f"environment variable {env_name}"
                break
        if value is None and keyring_lookup is not None and env_names[0] in SECRET_NAMES:
            found = keyring_lookup(env_names[0])
            if found:
                value, source, where = found, "keyring", f"keyring entry {env_names[0]}"
                settings.keyring_values.append(found)
        if value is None and toml_key in target:
            value, source, where = target[toml_key], CONFIG_FILE, loc.where("target", toml_key)
        if value is None:
            for env_name in env_names:
                if dotenv.get(env_name):
                    value, source = dotenv[env_name], ".env"
                    where = f"{settings.env_file}:{env_lines.get(env_name, 1)}"
                    break
        if value is None:
            value = defaults[name]
        elif defaults[name] is not None and not isinstance(defaults[name], str):
            value = _coerce(name, value, defaults[name], where)
        elif not isinstance(value, str):
            raise UsageError(f"{where}: `{name}` must be a string, not {_shown(value)}")
        setattr(settings, name, value)
        settings.sources[name] = source
    if keyring_lookup is not None:
        # Secrets no setting reads (SENTRY_DSN) may be in the keyring too: the redactor learns them.
        looked_up = {names[0] for names, _ in _SOURCES.values()}
        settings.keyring_values += [v for n in SECRET_NAMES if n not in looked_up and (v := keyring_lookup(n))]
    if settings.ca_bundle:
        bundle = settings.path(settings.ca_bundle)
        try:
            if not _regular_or_absent(bundle):
                raise fileio.FileMissing(bundle, "no such file")
        except fileio.FileProblem as exc:
            where = loc.where("target", "ca_bundle") if settings.sources["ca_bundle"] == CONFIG_FILE else "ca_bundle"
            raise UsageError(f"{exc} (ca_bundle, {where})") from None
    settings.app_environ = {
        name: environ[name] for names, _ in _SOURCES.values() for name in names if environ.get(name)
    }
    if not settings.keyring_service:
        settings.keyring_service = default_keyring_service(root)
    return settings


def default_keyring_service(project_dir: Path) -> str:
    """The keyring service name of a project without `keyring_service` set: one per project path."""
    return f"readiness-tui:{project_dir}"
