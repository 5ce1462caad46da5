"""PostgreSQL access for the database checks: read-only sessions, bounded queries, plain errors.

Every query runs in a READ ONLY transaction with a transaction-local `statement_timeout`
(`set_config(..., true)`, which also works through pgbouncer / the Supabase pooler in transaction
mode, where startup options are refused). Prepared statements are off (`prepare_threshold=None`)
for the same pooler. Connection errors become one line that names user, host and port — never the
password. psycopg is imported inside the functions (start-up stays fast).
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from readiness_tui.checkapi import CheckContext, Param
from readiness_tui.redact import REDACTED, redact_url
from readiness_tui.values import placeholder_host

if TYPE_CHECKING:
    import psycopg


class PgError(Exception):
    """A database problem, already explained in one line without any secret."""


def url_parts(url: str) -> dict[str, Any]:
    """user, host, port, dbname and password of a PostgreSQL URL (password only for redaction)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return {"user": "", "host": "", "port": None, "dbname": "", "password": ""}
    return {
        "user": unquote(parts.username or ""),
        "host": parts.hostname or "",
        "port": port,
        "dbname": unquote(parts.path.lstrip("/")),
        "password": unquote(parts.password or ""),
        "query": parts.query,
    }


def label(url: str) -> str:
    """`user@host:port/db` of a URL, for messages (no password)."""
    p = url_parts(url)
    user = f"{p['user']}@" if p["user"] else ""
    port = p["port"] or 5432
    return f"{user}{p['host'] or 'localhost'}:{port}/{p['dbname'] or p['user'] or 'postgres'}"


def scrub(text: str, url: str) -> str:
    """Remove the URL's password (plain and percent-encoded) and any URL password from a message."""
    try:
        raw = urlsplit(url.strip()).password or ""
    except ValueError:
        raw = ""
    for secret in {raw, unquote(raw)}:
        if secret:
            text = text.replace(secret, REDACTED)
    return redact_url(text)


def explain(exc: BaseException, url: str, connect_timeout: float) -> str:
    """One line saying why a connection failed (auth, DNS, refused, TLS, timeout, ...)."""
    p = url_parts(url)
    where = f"{p['host'] or 'localhost'}:{p['port'] or 5432}"
    user = p["user"] or "(default user)"
    message = scrub(str(exc), url)
    low = message.lower()
    first = next((line.strip() for line in message.splitlines() if line.strip()), type(exc).__name__)
    if "password authentication failed" in low or "authentication failed" in low:
        return f"authentication failed for user {user} at {where}: wrong password or user name"
    if "no password supplied" in low:
        return f"{where} asks for a password but the URL has none (user {user})"
    if "tenant or user not found" in low:
        return (f"the Supabase pooler at {where} does not know user {user} "
                "(pooler users look like postgres.<project-ref>)")
    if m := re.search(r'role "([^"]+)" does not exist', message):
        return f"role {m[1]} does not exist on {where}"
    if m := re.search(r'database "([^"]+)" does not exist', message):
        return f"database {m[1]} does not exist on {where}"
    if any(s in low for s in ("could not translate host name", "failed to resolve host", "name or service not known",
                              "temporary failure in name resolution", "nodename nor servname")):
        return f"cannot resolve host {p['host']!r} (DNS): check the host name in the URL"
    if "connection refused" in low:
        return f"connection refused by {where}: nothing listens there (server down, wrong port or a firewall)"
    if "timeout expired" in low or "timed out" in low or "connection timeout" in low:
        return (f"no answer from {where} within {connect_timeout:g} s (firewall, network restrictions or "
                "a paused Supabase project)")
    if "no pg_hba.conf entry" in low:
        return f"{where} refuses connections from this host (pg_hba.conf or Supabase network restrictions)"
    if "too many connections" in low or "remaining connection slots" in low:
        return f"{where} has no free connection slots (too many connections: connect through a pooler)"
    if any(s in low for s in ("ssl", "tls", "certificate")):
        return f"TLS failed with {where}: {first}"
    if any(s in low for s in ("invalid dsn", "missing \"=\"", "invalid connection option", "invalid uri",
                              "invalid integer value", "invalid sslmode", "invalid percent-encoded")):
        return f"the database URL is not valid: {first}"
    return f"cannot connect to {where}: {first}"


#: Parameters of every check that queries PostgreSQL.
PG_PARAMS = {
    "statement_timeout_s": Param(float, "seconds one statement may run (default: 80 % of the check's timeout)"),
}


def statement_timeout_s(ctx: CheckContext) -> float:
    """Seconds one statement may run: item param `statement_timeout_s`, else 80 % of the check timeout."""
    budget = float(ctx.params.get("timeout") or ctx.options.timeout or ctx.settings.check_timeout)
    return float(ctx.param("statement_timeout_s", max(0.1, budget * 0.8)))


@contextlib.contextmanager
def session(url: str, *, connect_timeout: float = 3.0, statement_timeout: float = 5.0,
            application_name: str = "readiness-tui") -> Iterator[psycopg.Cursor[Any]]:
    """A cursor inside a READ ONLY transaction with `statement_timeout`; rolled back and closed after.

    Raises PgError (one line, no password) for connection and query errors.
    """
    import psycopg

    try:
        conn = psycopg.connect(
            url,
            connect_timeout=max(1, math.ceil(connect_timeout)),
            prepare_threshold=None,
            application_name=application_name,
        )
    except psycopg.Error as exc:
        raise PgError(explain(exc, url, connect_timeout)) from None
    except (ValueError, TypeError) as exc:
        if "idna" in str(exc):
            raise PgError(f"cannot resolve host {url_parts(url)['host']!r}: not a valid host name") from None
        raise PgError(f"the database URL is not valid: {scrub(str(exc), url)}") from None
    try:
        conn.read_only = True
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{int(statement_timeout * 1000)}ms",))
            yield cur
    except psycopg.errors.QueryCanceled:
        raise PgError(f"a query ran longer than statement_timeout ({statement_timeout:g} s) and was cancelled"
                      ) from None
    except psycopg.OperationalError as exc:
        raise PgError(f"the connection to {label(url)} failed: {scrub(_first(exc), url)}") from None
    except psycopg.Error as exc:
        raise PgError(f"query failed: {scrub(_first(exc), url)}") from None
    finally:
        with contextlib.suppress(Exception):
            conn.rollback()
        conn.close()


def _first(exc: BaseException) -> str:
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


@contextlib.contextmanager
def ctx_session(ctx: CheckContext, url: str | None = None) -> Iterator[psycopg.Cursor[Any]]:
    """`session()` with the timeouts of a check's context (default URL: `settings.database_url`)."""
    target = url or ctx.settings.database_url or ""
    host = placeholder_host(target) if target else None
    if host is not None:
        raise PgError(f"not probed: the database URL's host is a template placeholder ({host})")
    with session(target, connect_timeout=ctx.settings.connect_timeout,
                 statement_timeout=statement_timeout_s(ctx)) as cur:
        yield cur


class Timer:
    """Milliseconds since creation (for latency evidence)."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def ms(self) -> float:
        return round((time.perf_counter() - self.start) * 1000, 1)


