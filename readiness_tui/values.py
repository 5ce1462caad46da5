"""What a configuration value is: a placeholder someone was meant to replace, or a JWT.

One rule for every check and the secret scanner (docs/secrets.md, "Placeholders are not secrets").
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

#: Values that stand for a secret without being one (docs/secrets.md, "Placeholders are not secrets").
_PLACEHOLDER = re.compile(
    r"^(?:your[-_ ].*|.*[-_]here|changeme|change[-_]?me|change[-_]?this.*|replace[-_]?me|todo|tbd|fixme|"
    r"placeholder.*|example.*|.*example(?:key)?|sample.*|dummy.*|fake.*|test|testing|secret|password|passwd|"
    r"none|null|nil|undefined|redacted|\[redacted\]|xxx+.*|x{3,}|\*+|\.\.\.+|…|<[^>]*>|\{\{.*\}\}|\$\{[^}]*\}|"
    r"\$[A-Za-z_][A-Za-z0-9_]*|%\(?[A-Za-z_]*\)?s|\{[A-Za-z_]*\})$",
    re.IGNORECASE,
)
_NAME_AS_VALUE = re.compile(r"^(?:my)?(?:password|passwd|secret|token|apikey|api_key)[-_]?\d{0,4}$", re.IGNORECASE)
_MASKED = re.compile(r"x{4,}|X{4,}|\*{4,}|0{10,}|\.{3}|…")
#: Published documentation values (AWS docs, Stripe docs) that show up in every tutorial.
KNOWN_PUBLIC_VALUES = frozenset({
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
})


def is_placeholder(value: str) -> bool:
    """True for a value that stands for a secret (`your-…`, `changeme`, `<…>`, `${VAR}`, `xxx…`)."""
    v = value.strip().strip("'\"`")
    if not v or v in KNOWN_PUBLIC_VALUES:
        return True
    if _PLACEHOLDER.match(v):
        return True
    lowered = v.lower()
    if "your-" in lowered or "your_" in lowered or "yourdomain" in lowered or "placeholder" in lowered:
        return True
    # `sk_live_xxxxxxxx`, `ghp_****`: a real prefix with a masked body is a stand-in, not a key.
    if _MASKED.search(v) or _NAME_AS_VALUE.match(v):
        return True
    # A run of one or two repeated characters (`aaaaaaaa`, `00000000`) is a stand-in, not a key
    # (short values such as `300` or `0` are settings, not stand-ins).
    return len(v) >= 6 and len(set(v.replace("-", "").replace("_", ""))) <= 2


def b64url_json(segment: str) -> dict[str, Any] | None:
    """Decode one base64url JWT segment as a JSON object, or None."""
    try:
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
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
