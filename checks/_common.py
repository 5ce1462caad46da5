"""Helpers shared by checks: development flags, URL inspection (placeholders and JWTs: `readiness_tui.values`)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from readiness_tui.model import CheckResult, errored, failed, not_applicable

if TYPE_CHECKING:
    from readiness_tui.checkapi import CheckContext
    from readiness_tui.endpoints import Endpoint

#: Settings that betray a development configuration (item 1.1).
DEV_FLAGS = {
    "DEBUG": {"true", "1", "yes", "on"},
    "FLASK_DEBUG": {"true", "1", "yes", "on"},
    "FLASK_ENV": {"development", "dev"},
    "ENVIRONMENT": {"development", "dev", "local"},
    "ENV": {"development", "dev", "local"},
    "APP_ENV": {"development", "dev", "local"},
    "SKIP_AUTH": {"true", "1", "yes", "on"},
}


def dev_flag(key: str, value: str) -> bool:
    """True when `key=value` is a development setting."""
    allowed = DEV_FLAGS.get(key.upper())
    return bool(allowed) and value.strip().lower() in allowed  # type: ignore[operator]


def is_local_host(host: str) -> bool:
    """True for localhost, loopback, unspecified and link-local addresses."""
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain", "0.0.0.0", "") or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified or ip.is_link_local


def split_url(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of a URL, or None when it is not an absolute http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


def unprobed(ctx: CheckContext, endpoint: Endpoint, service: str, what: str) -> CheckResult:
    """The verdict of a live check whose address may not be probed (`endpoint.ok` is False).

    Not applicable when the project map shows `service` is not used (with that evidence); `fail` when the
    project's `.env` exists and lacks the setting (the deployment's configuration is incomplete); otherwise
    `error`, marked as not probed here (no URL, a template placeholder), so the item keeps what the
    repository decided and the report counts it under "could not be checked here".
    """
    from readiness_tui.endpoints import configured, shared_endpoints

    pm = ctx.project_map()
    partly = bool(service) and configured(ctx.settings, service, shared_endpoints(ctx.settings, ctx.shared, pm))
    if endpoint.refused == "not set" and service and not pm.used(service) and not partly:
        absence = pm.absence(service)
        return not_applicable(f"{what} is not used: {absence}", absent=absence).with_facts(used=False)
    where = pm.evidence_of(service, limit=2) if service else ""
    used = f"; {what} is used: {where}" if where else ""
    if endpoint.refused == "not set" and ctx.settings.env_file.is_file():
        return failed(f"{endpoint.setting} is not set in .env{used}", setting=endpoint.setting).with_facts(
            used=True, set=False, setting=endpoint.setting)
    return errored(f"{endpoint.detail}{used}", setting=endpoint.setting).skipped(endpoint.why or "no URL")
