"""Redaction: no secret value ever reaches disk, a report or the terminal.

Two layers: checks name keys and give `preview()`s instead of values, and everything written or
printed passes through a `Redactor` that knows every secret value of the target (from the
environment, the keyring and `.env`) and removes any that slipped into evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

REDACTED = "[REDACTED]"

#: Names whose values are secrets (or may embed one, like a database URL with a password).
SECRET_NAME = re.compile(
    r"(KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|DSN|CREDENTIAL|PRIVATE|AUTH|COOKIE|SESSION|DATABASE_URL|REDIS_URL|_URI)",
    re.IGNORECASE,
)
URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/?#@\s]*):(?P<pw>[^@/?#\s]+)@")
#: A credential in a URL's query or fragment: `?token=…`, `&api_key=…`, `#access_token=…`, `&sig=…`,
#: `&X-Amz-Signature=…` — any parameter whose name holds one of these words.
QUERY_SECRET = re.compile(
    r"(?P<name>(?<=[?&;#])[A-Za-z0-9_.\-\[\]]*?"
    r"(?:token|key|secret|passw(?:or)?d|pwd|sig|signature|auth|credential|session|jwt|code|otp)"
    r"[A-Za-z0-9_.\-\[\]]*=)(?P<value>[^&#\s\"'<>]+)",
    re.IGNORECASE,
)
_MIN_SECRET_LEN = 6
#: A long user part without a password in a secret URL is a key (a Sentry DSN: https://<key>@host/1).
_URL_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://(?P<key>[^:/?#@\s]{16,})@")
#: Below this length a secret gets no preview at all, only its length.
PREVIEW_MIN_LEN = 20


def is_secret_name(name: str) -> bool:
    """True when a variable of this name holds (or may hold) a secret."""
    return bool(SECRET_NAME.search(name))


def preview(value: str) -> str:
    """A safe preview of a secret: the first 4 characters of one of 20 or more, and the length.

    Four characters of a 20-character random value leave 16 unknown; of a 12-character password
    they give away a third of it, so shorter values show only their length.
    """
    head = value[:4] if len(value) >= PREVIEW_MIN_LEN else ""
    return f"{head}…({len(value)} chars)" if head else f"({len(value)} chars)"


def redact_url(url: str) -> str:
    """The text with any URL password and any credential in a query string (`?token=…`) replaced."""
    url = URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", url)
    if "=" not in url:
        return url
    return QUERY_SECRET.sub(lambda m: m["name"] + REDACTED if m["value"] != REDACTED else m[0], url)


def looks_like_credential(value: str) -> bool:
    """True for a `.env` value that looks like a key or token whatever its variable is called.

    At least 16 characters without spaces, letters and digits mixed, and not a URL, a path or an
    e-mail address (those are redacted by their own rules, or are not secret).
    """
    v = value.strip()
    if len(v) < 16 or any(ch.isspace() for ch in v) or "://" in v or v.startswith(("/", "./", "~")):
        return False
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", v):
        return False
    return any(ch.isalpha() for ch in v) and any(ch.isdigit() for ch in v)


class Redactor:
    """Removes known secret values (and URL passwords) from strings and JSON-like data."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Learn more secret values (short values are ignored: they would redact ordinary words)."""
        for s in secrets:
            if s and len(s) >= _MIN_SECRET_LEN:
                self._secrets.add(s)
                pw = URL_PASSWORD.search(s)
                if pw and len(pw["pw"]) >= 4:
                    self._secrets.add(pw["pw"])
                for query in QUERY_SECRET.finditer(s):
                    if len(query["value"]) >= 4:
                        self._secrets.add(query["value"])
                key = _URL_KEY.search(s)
                if key:
                    self._secrets.add(key["key"])
        if self._secrets:
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(s) for s in ordered))

    def text(self, value: str) -> str:
        """Redact one string."""
        if self._pattern is not None:
            value = self._pattern.sub(REDACTED, value)
        return redact_url(value)

    def data(self, value: Any) -> Any:
        """Redact every string inside JSON-like data (dict keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value
