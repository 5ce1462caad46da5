"""Helpers shared by checks: placeholder detection, JWT decoding, URL inspection."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlsplit

#: Values a template leaves for a person to replace (seed: `your-anon-public-key`, `yourdomain.com`).
PLACEHOLDER = re.compile(
    r"^(?:your[-_].*|.*yourdomain\.com.*|.*your-project-id.*|changeme|change[-_]me|replace[-_]?me|todo|tbd|"
    r"placeholder|example|xxx+.*|\*+|<[^>]*>|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|\.\.\.|…|dummy|fake|secret|password|"
    r"none|null|test)$",
    re.IGNORECASE,
)

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


def is_placeholder(value: str) -> bool:
    """True for a template value a person was meant to replace."""
    v = value.strip().strip("'\"")
    return not v or bool(PLACEHOLDER.match(v)) or "yourdomain" in v.lower() or v.lower().startswith("your-")


def dev_flag(key: str, value: str) -> bool:
    """True when `key=value` is a development setting."""
    allowed = DEV_FLAGS.get(key.upper())
    return bool(allowed) and value.strip().lower() in allowed  # type: ignore[operator]


def b64url_json(segment: str) -> dict[str, Any] | None:
    """Decode one base64url JWT segment as a JSON object, or None."""
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        data = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(header, payload) of a JWT, without verifying it; None when it is not a JWT."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    header, payload = b64url_json(parts[0]), b64url_json(parts[1])
    if header is None or payload is None:
        return None
    return header, payload


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
