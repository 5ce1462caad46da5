"""Helpers shared by checks: development flags, URL inspection (placeholders and JWTs: `readiness_tui.values`)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

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
