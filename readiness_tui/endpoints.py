"""Target resolution: the one step that decides which address each live probe may use.

Every live check asks here before it sends anything (`CheckContext.endpoint`). An address is probed
only when the user configured it — in the environment, `readiness.toml`, the keyring or the project's
`.env` (under the seed's name or the name the application itself reads, e.g. `API_URL` or
`REDIS_HOST`) — and it is not a template placeholder (`api.yourdomain.com`,
`your-project-id.supabase.co`, `example.com`, `${HOST}` …). The frontend's default
(`http://localhost:8501`) is probed by gentle GETs but never loaded, burst or sent malformed
requests: those go only to addresses the user configured (`Endpoint.heavy`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from readiness_tui.values import is_placeholder, placeholder_host

if TYPE_CHECKING:
    from readiness_tui.projectmap import ProjectMap
    from readiness_tui.settings import Settings

#: The key of the resolved endpoints in the run's shared memo.
SHARED_KEY = "endpoints"


@dataclass(frozen=True)
class Endpoint:
    """One address a live check may probe, or why it may not."""

    name: str
    """`backend`, `frontend`, `supabase`, `redis`, `database`, `pusher`."""
    setting: str
    """The variable the summary names (`BACKEND_API_URL`, or the application's own `API_URL`)."""
    url: str | None
    source: str
    """Where the value came from: `.env`, `environment`, `readiness.toml`, `keyring`, `default`, `unset`."""
    refused: str = ""
    """Why it is not probed: `not set`, `placeholder`, `not a URL` ("" when it may be probed)."""
    detail: str = ""
    """One line for a summary: `BACKEND_API_URL is not set`, `… is the template placeholder (api.yourdomain.com)`."""

    @property
    def ok(self) -> bool:
        """True when gentle probes (a GET, a TCP or TLS handshake) may go to this address."""
        return self.url is not None and not self.refused

    @property
    def heavy(self) -> bool:
        """True when load tests, bursts and malformed requests may go here: configured, not a default."""
        return self.ok and self.source not in ("default", "unset")

    @property
    def why(self) -> str:
        """The short reason class for the report's "could not be checked here" count."""
        return {"not set": "no URL", "placeholder": "placeholder", "not a URL": "no URL"}.get(self.refused, "")


def _judge(name: str, setting: str, value: str | None, source: str, scheme_required: bool = True) -> Endpoint:
    if not value or not value.strip():
        return Endpoint(name, setting, None, "unset", "not set", f"{setting} is not set")
    value = value.strip()
    host = placeholder_host(value)
    if host is not None or is_placeholder(value):
        shown = host or "template value"
        return Endpoint(name, setting, value, source, "placeholder",
                        f"{setting} is the template placeholder ({shown}): not probed")
    if scheme_required and "://" not in value:
        return Endpoint(name, setting, value, source, "not a URL", f"{setting} is not an http(s) URL")
    return Endpoint(name, setting, value, source)


def _app_value(settings: Settings, names: list[str]) -> tuple[str, str, str] | None:
    """(name, value, source) of the first of the application's own variables that is set."""
    for name in names:
        if os.environ.get(name):
            return name, os.environ[name], "environment"
        value = settings.env.get(name, "").strip()
        if value:
            return name, value, ".env"
    return None


def _source(settings: Settings, field_name: str) -> str:
    """Where a setting's value came from; a value set on a hand-built Settings counts as configured."""
    from dataclasses import fields

    recorded = settings.sources.get(field_name)
    if recorded:
        return recorded
    default = next((f.default for f in fields(settings) if f.name == field_name), None)
    return "default" if getattr(settings, field_name, None) == default else "settings"


def _backend(settings: Settings, pm: ProjectMap | None) -> Endpoint:
    source = _source(settings, "backend_url")
    if settings.backend_url:
        return _judge("backend", "BACKEND_API_URL", settings.backend_url, source)
    names = [n for n in (pm.env_names("backend_api") if pm else []) if n != "BACKEND_API_URL"]
    found = _app_value(settings, [n for n in names if n.endswith(("URL", "URI", "ENDPOINT", "BASE"))])
    if found:
        name, value, where = found
        return _judge("backend", name, value, where)
    return _judge("backend", "BACKEND_API_URL", None, "unset")


def _redis(settings: Settings, pm: ProjectMap | None) -> Endpoint:
    if settings.redis_url:
        return _judge("redis", "REDIS_URL", settings.redis_url, _source(settings, "redis_url"))
    names = pm.env_names("redis") if pm else []
    found = _app_value(settings, [n for n in names if n.endswith("URL")])
    if found:
        return _judge("redis", found[0], found[1], found[2])
    host = _app_value(settings, [n for n in names if n.endswith("HOST")])
    if host:
        port = _app_value(settings, [n for n in names if n.endswith("PORT")])
        url = f"redis://{host[1]}:{port[1] if port else 6379}"
        return _judge("redis", host[0], url, host[2])
    return _judge("redis", "REDIS_URL", None, "unset")


def _pusher(settings: Settings, pm: ProjectMap | None) -> Endpoint:
    key, cluster = settings.pusher_app_key, settings.pusher_cluster
    key_name = "PUSHER_APP_KEY"
    if not key and pm is not None:
        own = [n for n in pm.env_names("pusher") if n.endswith("KEY") and "SECRET" not in n]
        found = _app_value(settings, own)
        if found:
            key_name, key = found[0], found[1]
        elif own and "PUSHER_APP_KEY" not in own:
            key_name = own[0]
    if not key or not cluster:
        missing = key_name if not key else "PUSHER_CLUSTER"
        return Endpoint("pusher", key_name, None, "unset", "not set", f"{missing} is not set")
    if is_placeholder(key) or placeholder_host(key) or is_placeholder(cluster):
        return Endpoint("pusher", key_name, None, _source(settings, "pusher_app_key"), "placeholder",
                        f"{key_name} is the template placeholder: not probed")
    return Endpoint("pusher", key_name, f"wss://ws-{cluster}.pusher.com/app/{key}", _source(settings, "pusher_app_key"))


def resolve(settings: Settings, pm: ProjectMap | None = None) -> dict[str, Endpoint]:
    """Every endpoint of the target, judged once (see the module docstring)."""
    out = {
        "backend": _backend(settings, pm),
        "frontend": _judge("frontend", "FRONTEND_URL", settings.frontend_url, _source(settings, "frontend_url")),
        "supabase": _judge("supabase", "SUPABASE_URL", settings.supabase_url, _source(settings, "supabase_url")),
        "database": _judge("database", "DATABASE_URL", settings.database_url, _source(settings, "database_url")),
        "redis": _redis(settings, pm),
        "pusher": _pusher(settings, pm),
    }
    key = settings.supabase_key
    if out["supabase"].ok and key and is_placeholder(key):
        out["supabase"] = Endpoint("supabase", "SUPABASE_KEY", out["supabase"].url, out["supabase"].source,
                                   "placeholder", "SUPABASE_KEY is the template placeholder: not probed")
    return out


def _real(value: str | None) -> bool:
    return bool(value and value.strip() and not is_placeholder(value) and placeholder_host(value) is None)


def configured(settings: Settings, subject: str, endpoints: dict[str, Endpoint]) -> bool:
    """Whether the user configured anything real for an item's subject (`Item.applies_to`): then the item
    is judged even when the project map does not see the service (its code may live elsewhere)."""
    if subject == "backend":
        return endpoints["backend"].refused not in ("not set", "placeholder")
    if subject == "supabase":
        return _real(settings.supabase_url) or _real(settings.supabase_key)
    if subject == "database":
        return _real(settings.database_url) or configured(settings, "supabase", endpoints)
    if subject == "redis":
        return endpoints["redis"].refused not in ("not set", "placeholder")
    if subject == "pusher":
        return _real(settings.pusher_app_key) or _real(settings.pusher_cluster) or endpoints["pusher"].ok
    if subject == "streamlit":
        front = endpoints["frontend"]
        return front.refused not in ("not set", "placeholder") and front.source not in ("default", "unset")
    return False


def shared_endpoints(settings: Settings, shared: dict[str, Any], pm: ProjectMap | None) -> dict[str, Endpoint]:
    """The run's endpoints, resolved once and kept in the run's shared memo."""
    found = shared.get(SHARED_KEY)
    if isinstance(found, dict):
        return found
    resolved = resolve(settings, pm)
    shared[SHARED_KEY] = resolved
    return resolved
