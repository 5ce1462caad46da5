"""Database checks: reachability (2.4), the frontend's read-only user (3.6), indexes (4.2), pooling (4.3),
migrations (7.1) and a read query (10.8).

PostgreSQL through psycopg 3 (`checks._pg`: READ ONLY transactions, statement_timeout, plain errors);
when only SUPABASE_URL / SUPABASE_KEY are given, reachability and the read query go through
supabase-py (imported lazily: it costs ~0.3 s).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness_tui.checks._common import unprobed
from readiness_tui.checks._corpus import (
    APP,
    CONFIG,
    DEPLOY,
    EXAMPLE,
    STATIC_TIMEOUT,
    evidence_docs,
    exclude_param,
    may_match,
)
from readiness_tui.checks._pg import PG_PARAMS, PgError, Timer, ctx_session, label, url_parts

from readiness_tui import fileio
from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.datarules import IDENT
from readiness_tui.endpoints import Endpoint
from readiness_tui.model import (
    CheckResult,
    Measurement,
    errored,
    failed,
    not_applicable,
    passed,
    pending,
    warned,
)
from readiness_tui.values import decode_jwt, is_placeholder, placeholder_host

EXCLUDE = {"evidence_exclude": exclude_param()}
NO_DB = "no DATABASE_URL (set it in .env, readiness.toml or the keyring; a read-only user is enough)"


# ---------------------------------------------------------------- SQL migration files

_IDENT_RX = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_QNAME = rf"{_IDENT_RX}(?:\s*\.\s*{_IDENT_RX})?"
_CREATE = {
    "index": re.compile(
        rf"\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QNAME})\s+ON\b",
        re.IGNORECASE),
    "table": re.compile(
        rf"\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_QNAME})", re.IGNORECASE),
    "type": re.compile(rf"\bCREATE\s+TYPE\s+(?P<name>{_QNAME})\s+AS\s+ENUM\b", re.IGNORECASE),
}
_DROP = re.compile(
    rf"\bDROP\s+(?P<kind>TABLE|INDEX|TYPE)\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?"
    rf"(?P<names>{_QNAME}(?:\s*,\s*{_QNAME})*)", re.IGNORECASE)


_SPECIAL = re.compile(r"--|/\*|'|\$[A-Za-z_]*\$")


@dataclass(frozen=True)
class SqlObject:
    """A table, enum type or index a migration file creates."""

    kind: str
    name: tuple[str, ...]
    file: str
    line: int

    @property
    def display(self) -> str:
        return ".".join(self.name)


def strip_sql(text: str) -> str:
    """The SQL with comments and the contents of strings / dollar-quoted bodies blanked (lines kept)."""
    out: list[str] = []
    i, n = 0, len(text)

    def blank(chunk: str) -> str:
        return re.sub(r"[^\n]", " ", chunk)

    while (m := _SPECIAL.search(text, i)) is not None:
        start, token = m.start(), m.group(0)
        out.append(text[i:start])
        if token == "--":
            end = text.find("\n", start)
            end = n if end < 0 else end
            out.append(blank(text[start:end]))
        elif token == "/*":
            end = text.find("*/", start + 2)
            end = n if end < 0 else end + 2
            out.append(blank(text[start:end]))
        elif token == "'":
            close = start + 1
            while (close := text.find("'", close)) >= 0 and text.startswith("''", close):
                close += 2
            end = n if close < 0 else close + 1
            out.append(blank(text[start:end]) if close < 0 else "'" + blank(text[start + 1:close]) + "'")
        else:
            close = text.find(token, start + len(token))
            end = n if close < 0 else close + len(token)
            out.append(blank(text[start:end]))
        i = end
    out.append(text[i:])
    return "".join(out)


def _name(raw: str) -> tuple[str, ...]:
    parts = re.findall(_IDENT_RX, raw)
    return tuple(p[1:-1].replace('""', '"') if p.startswith('"') else p.lower() for p in parts)


def parse_migration(text: str, file: str) -> list[SqlObject]:
    """Objects a migration creates, in order, minus those it drops again later in the same text."""
    sql = strip_sql(text)
    events: list[tuple[int, str, str, tuple[str, ...]]] = []
    for kind, rx in _CREATE.items():
        events += [(m.start(), "create", kind, _name(m["name"])) for m in rx.finditer(sql)]
    for m in _DROP.finditer(sql):
        events += [(m.start(), "drop", m["kind"].lower(), _name(n)) for n in m["names"].split(",")]
    newlines = [m.start() for m in re.finditer("\n", sql)]
    objects: dict[tuple[str, tuple[str, ...]], SqlObject] = {}
    for pos, action, kind, name in sorted(events):
        if action == "create":
            objects.setdefault((kind, name), SqlObject(kind, name, file, bisect.bisect_left(newlines, pos) + 1))
        else:
            for key in [k for k in objects if k[0] == kind and k[1][-1] == name[-1]]:
                del objects[key]
    return list(objects.values())


def migration_objects(directory: Path) -> tuple[list[Path], list[SqlObject]]:
    """The `*.sql` files of a directory (sorted) and what they leave created, in order."""
    files = sorted(p for p in directory.glob("*.sql") if p.is_file())
    found: dict[tuple[str, tuple[str, ...]], SqlObject] = {}
    for path in files:
        try:
            text = fileio.read_text(path, fileio.MAX_TEXT, "a migration", cut=True)
        except fileio.FileProblem:
            continue
        sql = strip_sql(text)
        for m in _DROP.finditer(sql):
            for raw in m["names"].split(","):
                name = _name(raw)
                for key in [k for k in found if k[0] == m["kind"].lower() and k[1][-1] == name[-1]]:
                    del found[key]
        for obj in parse_migration(text, path.name):
            found[(obj.kind, obj.name)] = obj
    return files, list(found.values())


def _missing_indexes(cur: Any, objects: list[SqlObject]) -> list[SqlObject]:
    cur.execute("SELECT schemaname, indexname FROM pg_indexes")
    present = {(s, n) for s, n in cur.fetchall()}
    names = {n for _, n in present}
    return [o for o in objects if (o.name not in present if len(o.name) == 2 else o.name[-1] not in names)]


def _missing(cur: Any, objects: list[SqlObject]) -> list[SqlObject]:
    from psycopg import sql

    missing = _missing_indexes(cur, [o for o in objects if o.kind == "index"])
    for obj in objects:
        if obj.kind == "index":
            continue
        quoted = sql.Identifier(*obj.name).as_string(cur)
        fn = "to_regtype" if obj.kind == "type" else "to_regclass"
        cur.execute(f"SELECT {fn}(%s) IS NOT NULL", (quoted,))
        row = cur.fetchone()
        if not (row and row[0]):
            missing.append(obj)
    order = {id(o): i for i, o in enumerate(objects)}
    return sorted(missing, key=lambda o: order[id(o)])


def _names(objects: list[SqlObject], limit: int = 6) -> str:
    shown = ", ".join(o.display for o in objects[:limit])
    return shown + (f" and {len(objects) - limit} more" if len(objects) > limit else "")


# ---------------------------------------------------------------- Supabase


def supabase_probe(ctx: CheckContext, table: str) -> tuple[int | None, float]:
    """Rows of `table` counted through the Supabase API (`count="exact"`) and the latency in ms.

    Raises PgError with a one-line reason (invalid key, missing table, network).
    """
    import httpx
    from postgrest.exceptions import APIError
    from postgrest.types import CountMethod
    from supabase import SupabaseException, create_client
    from supabase.lib.client_options import SyncClientOptions

    s = ctx.settings
    url, key = s.supabase_url or "", s.supabase_key or ""
    host = url_parts(url)["host"] or url
    if placeholder_host(url) or is_placeholder(key):
        raise PgError(f"not probed: SUPABASE_URL or SUPABASE_KEY is a template placeholder ({host})")
    http = httpx.Client(timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout))
    options = SyncClientOptions(httpx_client=http, postgrest_client_retry=False, auto_refresh_token=False,
                                persist_session=False)
    try:
        client = create_client(url, key, options=options)
        timer = Timer()
        response = client.table(table).select("*", count=CountMethod.exact).limit(1).execute()
        ms = timer.ms
    except SupabaseException as exc:
        raise PgError(f"cannot create the Supabase client: {exc.message if hasattr(exc, 'message') else exc}"
                      ) from None
    except APIError as exc:
        code, message = str(exc.code or ""), str(exc.message or "")
        if "invalid api key" in message.lower() or code == "401":
            raise PgError(f"Supabase rejected SUPABASE_KEY (401 Invalid API key) at {host}") from None
        if code in ("PGRST301", "PGRST302", "PGRST303") or "jwt" in message.lower():
            raise PgError(f"Supabase refused the key at {host}: {message or code}") from None
        if code in ("42P01", "PGRST205", "PGRST200", "404") or "does not exist" in message or \
                "could not find the table" in message.lower():
            raise PgError(f"table {table!r} not found through the Supabase API at {host} (404): "
                          "create it or set supabase_table in readiness.toml") from None
        if code == "42501":
            raise PgError(f"the key may not read {table!r} at {host} (permission denied)") from None
        raise PgError(f"Supabase API error at {host}: {code} {message}".strip()) from None
    except httpx.TimeoutException:
        raise PgError(f"no answer from {host} within {s.connect_timeout + s.read_timeout:g} s") from None
    except httpx.ConnectError as exc:
        reason = str(exc) or "connection failed"
        if "name or service not known" in reason.lower() or "nodename" in reason.lower():
            reason = "cannot resolve the host name (DNS)"
        elif "refused" in reason.lower():
            reason = "connection refused"
        raise PgError(f"cannot reach Supabase at {host}: {reason}") from None
    except httpx.HTTPError as exc:
        raise PgError(f"cannot reach Supabase at {host}: {type(exc).__name__}: {exc}") from None
    finally:
        http.close()
    return response.count, ms


def _has_supabase(ctx: CheckContext) -> bool:
    return bool(ctx.settings.supabase_url and ctx.settings.supabase_key)


def _table_param(ctx: CheckContext) -> str | None:
    table = str(ctx.param("table", ctx.settings.supabase_table))
    parts = table.split(".")
    return table if 1 <= len(parts) <= 2 and all(IDENT.fullmatch(p) for p in parts) else None


# ---------------------------------------------------------------- 2.4


@check("db.reachable", "PostgreSQL answers: DATABASE_URL via psycopg, or the Supabase API with a count query",
       params={**PG_PARAMS, "table": Param(str, "table counted through the Supabase API (default: setting supabase_table)")}, live=True)
def reachable(ctx: CheckContext) -> CheckResult:
    """Item 2.4; not applicable when the project map shows no SQL database and none is configured."""
    s = ctx.settings
    database, supabase = ctx.endpoint("database"), ctx.endpoint("supabase")
    if not database.ok and not supabase.ok:
        return _no_database(ctx, database, supabase)
    if database.ok:
        where = label(s.database_url or "")
        timer = Timer()
        try:
            with ctx_session(ctx) as cur:
                connect_ms = timer.ms
                cur.execute("SELECT current_setting('server_version'), current_user, current_database()")
                version, user, db = cur.fetchone()  # type: ignore[misc]
        except PgError as exc:
            return errored(f"database unreachable: {exc}", database=where)
        result = passed(f"PostgreSQL {version.split()[0]} at {where} answered in {timer.ms:g} ms as {user}",
                        database=where, server_version=version, db_user=user, db_name=db,
                        connect_ms=connect_ms, latency_ms=timer.ms, via="DATABASE_URL")
        result.measurements["db.connect_ms"] = Measurement(connect_ms, f"{connect_ms:g} ms", "ms")
        return result
    if supabase.ok and _has_supabase(ctx):
        table = s.supabase_table
        if _table_param(ctx) is None:
            return errored(f"supabase_table {table!r} is not a plain table name")
        try:
            count, ms = supabase_probe(ctx, table)
        except PgError as exc:
            return errored(str(exc), via="Supabase API")
        host = url_parts(s.supabase_url or "")["host"]
        return passed(f"Supabase at {host} answered in {ms:g} ms: {table} has {count} rows (count=exact)",
                      via="Supabase API", supabase_host=host, supabase_table=table, row_count=count,
                      latency_ms=ms)
    return errored("no database configured: set DATABASE_URL, or SUPABASE_URL and SUPABASE_KEY").skipped("no URL")


def _no_database(ctx: CheckContext, database: Endpoint, supabase: Endpoint) -> CheckResult:
    """Why there is no database to query: not used (N/A with the map's evidence), SQLite only, or not set."""
    pm = ctx.project_map()
    if database.refused == "not set" and supabase.refused == "not set":
        endpoint = Endpoint("database", "DATABASE_URL", None, "unset", "not set",
                            "DATABASE_URL (or SUPABASE_URL and SUPABASE_KEY) is not set")
    else:
        endpoint = database if database.refused != "not set" else supabase
    if not pm.used("database") and endpoint.refused == "not set":
        if pm.used("sqlite"):
            where = pm.evidence_of("sqlite", limit=2)
            return not_applicable(f"the application's only database is SQLite ({where}): no PostgreSQL server "
                                  "to reach").with_facts(used=False, sqlite=True)
        absence = pm.absence("database")
        return not_applicable(absence, absent=absence).with_facts(used=False)
    return unprobed(ctx, endpoint, "database", "a database")


# ---------------------------------------------------------------- 3.6

_WRITE_PRIVILEGES = """
SELECT n.nspname, c.relname,
       has_table_privilege(c.oid, 'INSERT'), has_table_privilege(c.oid, 'UPDATE'),
       has_table_privilege(c.oid, 'DELETE')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2
"""


@check("db.frontend_readonly", "the frontend's database user has no INSERT/UPDATE/DELETE privileges",
       params=PG_PARAMS, live=True)
def frontend_readonly(ctx: CheckContext) -> CheckResult:
    s = ctx.settings
    if not s.frontend_database_url:
        evidence: dict[str, Any] = {"frontend_database_url": "not set"}
        decoded = decode_jwt(s.supabase_key) if s.supabase_key else None
        role = decoded[1].get("role") if decoded else None
        if role:
            evidence["frontend_supabase_key_role"] = role
        note = (f"; the frontend's SUPABASE_KEY has role {role} (row-level security decides what it may write)"
                if role else "")
        return pending("no FRONTEND_DATABASE_URL to test: confirm the frontend's database user only has SELECT "
                       f"grants{note}", **evidence)
    url = s.frontend_database_url
    where = label(url)
    try:
        with ctx_session(ctx, url) as cur:
            cur.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            user, superuser, bypass = cur.fetchone()  # type: ignore[misc]
            cur.execute(_WRITE_PRIVILEGES)
            rows = cur.fetchall()
    except PgError as exc:
        return errored(f"cannot check the frontend user: {exc}", frontend_database=where)
    writable: list[dict[str, Any]] = []
    for schema, table, ins, upd, dele in rows:
        privs = [p for p, ok in (("INSERT", ins), ("UPDATE", upd), ("DELETE", dele)) if ok]
        if privs:
            writable.append({"table": f"{schema}.{table}", "privileges": privs})
    evidence = {"frontend_database": where, "frontend_user": user, "tables_checked": len(rows),
                "writable_tables": writable[:50], "superuser": bool(superuser), "bypass_rls": bool(bypass)}
    if superuser:
        return failed(f"the frontend user {user} is a superuser: create a role with SELECT grants only", **evidence)
    if writable:
        names = ", ".join(w["table"] for w in writable[:4]) + (f" and {len(writable) - 4} more"
                                                                if len(writable) > 4 else "")
        return failed(f"the frontend user {user} can write to {len(writable)} of {len(rows)} tables: {names}",
                      **evidence)
    return passed(f"the frontend user {user} has no INSERT/UPDATE/DELETE on any of {len(rows)} tables", **evidence)


# ---------------------------------------------------------------- 4.2


@check("db.indexes", "every index the performance migration creates exists in pg_indexes",
       params={**PG_PARAMS, "file": Param(str, "the migration file whose indexes must exist", "backend/migrations/003_performance_indexes.sql")}, live=True)
def indexes(ctx: CheckContext) -> CheckResult:
    rel = str(ctx.param("file"))
    path = ctx.settings.path(rel)
    if not path.is_file():
        return errored(f"index file {rel} not found (set the item param `file`)", index_file=rel)
    try:
        text = fileio.read_text(path, fileio.MAX_TEXT, "a migration", cut=True)
    except fileio.FileProblem as exc:
        return errored(str(exc), index_file=rel)
    objects = [o for o in parse_migration(text, path.name) if o.kind == "index"]
    names = [o.display for o in objects]
    if not objects:
        return errored(f"{rel} has no CREATE INDEX statement", index_file=rel)
    if not ctx.settings.database_url:
        return pending(f"{NO_DB}; {rel} names {len(objects)} indexes to confirm", index_file=rel,
                       expected_indexes=names)
    try:
        with ctx_session(ctx) as cur:
            missing = _missing_indexes(cur, objects)
    except PgError as exc:
        return errored(f"cannot read pg_indexes: {exc}", index_file=rel, expected_indexes=names)
    evidence = {"index_file": rel, "expected_indexes": names,
                "missing_indexes": [f"{o.display} ({o.file}:{o.line})" for o in missing]}
    if missing:
        return failed(f"{len(missing)} of {len(objects)} indexes missing: {_names(missing)}", **evidence)
    return passed(f"all {len(objects)} indexes of {path.name} exist", **evidence)


# ---------------------------------------------------------------- 4.3

_POOL_ENV = re.compile(r"(POOL|PGBOUNCER|MAX_OVERFLOW|MAX_CONNECTIONS|MAXCONN|MINCONN)", re.IGNORECASE)


@dataclass(frozen=True)
class _PoolRule:
    """How one kind of database access pools connections."""

    what: str
    pattern: re.Pattern[str]
    note: str
    needs: str = ""
    """A word the file must contain (the library's name), so a Redis ConnectionPool is not a database pool."""


#: Connection pools the code sets up, including the ones a library keeps by default.
_POOL_RULES = [
    _PoolRule("SQLAlchemy engine", re.compile(r"\bcreate_(async_)?engine\s*\("),
              "pools by default (QueuePool: 5 connections + 10 overflow)"),
    _PoolRule("psycopg2 pool", re.compile(r"\b(Simple|Threaded|Persistent)ConnectionPool\s*\("), "an explicit pool"),
    _PoolRule("psycopg pool", re.compile(r"\b(Async)?ConnectionPool\s*\(|\bpsycopg_pool\b"), "an explicit pool",
              "psycopg"),
    _PoolRule("asyncpg pool", re.compile(r"\basyncpg\.create_pool\s*\("), "an explicit pool"),
    _PoolRule("Go database/sql", re.compile(r"\bsql\.Open\s*\(|\bsqlx\.(Open|Connect)\s*\("),
              "database/sql keeps a connection pool by default"),
    _PoolRule("pgx pool", re.compile(r"\bpgxpool\.(New|Connect|ParseConfig)"), "an explicit pool"),
    _PoolRule("node-postgres Pool", re.compile(r"\bnew\s+(pg\.)?Pool\s*\("), "an explicit pool", "pg"),
    _PoolRule("Supabase client", re.compile(r"\bcreate_client\s*\(|\bcreateClient\s*\("),
              "talks HTTP to PostgREST, which pools database connections on the server", "supabase"),
    _PoolRule("PostgREST", re.compile(r"postgrest/postgrest|PGRST_DB_POOL"), "pools database connections (db-pool)"),
    _PoolRule("PgBouncer / Supavisor", re.compile(r"\bpgbouncer\b|edoburu/pgbouncer|bitnami/pgbouncer|:6543/|"
                                                  r"\.pooler\.supabase\.com"), "a connection pooler"),
]
#: Connections opened one at a time: no pool (SQLite needs none).
_DIRECT = re.compile(r"\b(psycopg2?\.connect|asyncpg\.connect|pg8000\.connect|sqlite3\.connect|"
                     r"mysql\.connector\.connect|pymysql\.connect)\s*\(")
_POOL_ARGS = re.compile(r"\b(pool_size|max_overflow|maxconn|minconn|max_size|min_size|SetMaxOpenConns|"
                        r"SetMaxIdleConns|connection_limit)\s*[=(:]\s*(\d+)")
_NULL_POOL = re.compile(r"\bpoolclass\s*=\s*NullPool\b")


def _pooler_url(url: str) -> str | None:
    p = url_parts(url)
    if "pgbouncer=true" in (p.get("query") or "").lower():
        return "pgbouncer=true in the URL"
    if p["port"] == 6543:
        return f"port 6543 (Supabase pooler, transaction mode) at {p['host']}"
    if p["host"].endswith(".pooler.supabase.com"):
        return f"Supabase pooler host {p['host']} (session mode)"
    return None


def _direct_connections(ctx: CheckContext) -> list[str]:
    """`file:line driver.connect` for connections the code opens without a pool."""
    found = []
    for doc in evidence_docs(ctx, [APP]):
        if not may_match(doc, _DIRECT):
            continue
        for n, line in doc.code_lines():
            if m := _DIRECT.search(line):
                found.append(f"{doc.rel}:{n} {m.group(1)}")
    return found


def _pool_evidence(ctx: CheckContext) -> list[dict[str, Any]]:
    """Pools in the application's code and deployment files, most relevant first."""
    found: list[dict[str, Any]] = []
    needles = ("engine", "Pool", "pool", "sql.Open", "sqlx", "pgx", "create_client", "createClient", "postgrest",
               "PGRST", "pgbouncer", "6543", "pooler")
    for doc in evidence_docs(ctx, [APP, DEPLOY, CONFIG, EXAMPLE]):
        if not any(n in doc.text for n in needles):
            continue
        lines = doc.code_lines()
        for i, (n, line) in enumerate(lines):
            for rule in _POOL_RULES:
                if not rule.pattern.search(line):
                    continue
                if rule.needs and rule.needs not in doc.lower:
                    continue
                if doc.rank == EXAMPLE and rule.what != "PgBouncer / Supavisor":
                    continue
                call = " ".join(text for _, text in lines[i:i + 6])
                args = {k: int(v) for k, v in _POOL_ARGS.findall(call)} if rule.what not in (
                    "Supabase client", "PostgREST", "PgBouncer / Supavisor") else {}
                disabled = bool(_NULL_POOL.search(call))
                found.append({"where": f"{doc.rel}:{n}", "what": rule.what,
                              "note": "pooling disabled (poolclass=NullPool)" if disabled else rule.note,
                              "settings": args, "disabled": disabled})
                break
    return found


@check("db.pooling", "connection pooling: a pooler URL (port 6543, pgbouncer), pool settings, or the pool the "
       "database library keeps by default (SQLAlchemy, Go database/sql, PostgREST)",
       params={**EXCLUDE}, timeout=STATIC_TIMEOUT)
def pooling(ctx: CheckContext) -> CheckResult:
    s = ctx.settings
    evidence: dict[str, Any] = {}
    if s.database_url:
        via_url = _pooler_url(s.database_url)
        evidence["database"] = label(s.database_url)
        if via_url:
            evidence["pooler"] = via_url
            return passed(f"DATABASE_URL goes through a connection pooler: {via_url}", **evidence) \
                .with_facts(pooler=via_url)
    env_hits = [f"{s.env_file.name}:{e.line} {e.key}" for e in s.env_entries if _POOL_ENV.search(e.key) and e.value]
    pools = _pool_evidence(ctx)
    evidence.update(pool_env=env_hits, pools=[f"{p['where']} {p['what']}" for p in pools[:20]])
    facts = {"pools": [{k: p[k] for k in ("where", "what", "settings")} for p in pools[:10]], "pool_env": env_hits[:10]}
    if pools:
        first = next((p for p in pools if p["settings"]), pools[0])
        sizes = ", ".join(f"{k}={v}" for k, v in first["settings"].items())
        shown = f"{first['what']} at {first['where']} {first['note']}" + (f" ({sizes})" if sizes else "")
        more = f" (+{len(pools) - 1} more)" if len(pools) > 1 else ""
        verb = "warn" if all(p["disabled"] for p in pools) else "pending"
        message = f"{shown}{more}: confirm the pool size fits the database's connection limit"
        return (warned if verb == "warn" else pending)(message, **evidence).with_facts(**facts)
    if env_hits:
        return pending(f"pool settings in .env ({', '.join(env_hits[:3])}): confirm the backend uses them",
                       **evidence).with_facts(**facts)
    direct = _direct_connections(ctx)
    if direct:
        evidence["direct_connections"] = direct[:20]
        facts["direct_connections"] = direct[:10]
        if all("sqlite3" in d for d in direct):
            return pending(f"SQLite ({direct[0]}): a file database needs no connection pool; confirm the production "
                           "database", **evidence).with_facts(**facts)
        more = f" (+{len(direct) - 1} more)" if len(direct) > 1 else ""
        return pending(f"the code opens database connections without a pool ({direct[0]}{more}): confirm the "
                       "connection count stays within the database's limit, or add a pool", **evidence).with_facts(**facts)
    return pending("no database client or pool found in the application code (no SQLAlchemy engine, driver pool, "
                   "Supabase client or pooler URL): confirm how the backend reaches the database",
                   **evidence).with_facts(**facts)


# ---------------------------------------------------------------- 7.1


@check("db.migrations", "the tables, enum types and indexes the migration files create exist",
       params=PG_PARAMS, live=True)
def migrations(ctx: CheckContext) -> CheckResult:
    s = ctx.settings
    directory = s.path(s.migrations_dir)
    files, objects = migration_objects(directory) if directory.is_dir() else ([], [])
    if not files:
        return pending(f"no SQL migrations in {s.migrations_dir}: set migrations_dir in readiness.toml, or confirm "
                       "the migrations by hand", migrations_dir=s.migrations_dir)
    counts = {k: sum(1 for o in objects if o.kind == k) for k in ("table", "type", "index")}
    evidence: dict[str, Any] = {"migrations_dir": s.migrations_dir, "migration_files": [f.name for f in files],
                                "expected_objects": counts}
    if not objects:
        return errored(f"the {len(files)} migration files create no table, enum type or index", **evidence)
    if not s.database_url:
        return pending(f"{NO_DB}; {len(files)} migration files create {len(objects)} objects to confirm", **evidence)
    try:
        with ctx_session(ctx) as cur:
            missing = _missing(cur, objects)
    except PgError as exc:
        return errored(f"cannot check the migrations: {exc}", **evidence)
    evidence["missing_objects"] = [f"{o.kind} {o.display} ({o.file}:{o.line})" for o in missing]
    what = f"{counts['table']} tables, {counts['type']} types, {counts['index']} indexes"
    if missing:
        shown = ", ".join(f"{o.kind} {o.display}" for o in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        return failed(f"{len(missing)} of {len(objects)} objects from {len(files)} migration files missing: "
                      f"{shown}{more}", **evidence)
    return passed(f"all {len(objects)} objects of {len(files)} migration files exist ({what})", **evidence)


# ---------------------------------------------------------------- 10.8


@check("db.query", "a simple read query succeeds, with its latency",
       params={
    **PG_PARAMS,
    "table": Param(str, "table queried (default: setting supabase_table)"),
    "warn_ms": Param(float, "warn when the query takes longer", 500.0),
}, live=True)
def query(ctx: CheckContext) -> CheckResult:
    s = ctx.settings
    table = _table_param(ctx)
    if table is None:
        return errored(f"table {ctx.param('table', s.supabase_table)!r} is not a plain table name")
    warn_ms = float(ctx.param("warn_ms"))
    database, supabase = ctx.endpoint("database"), ctx.endpoint("supabase")
    if not database.ok and not supabase.ok:
        return _no_database(ctx, database, supabase)
    if database.ok:
        from psycopg import sql

        where = label(s.database_url or "")
        timer = Timer()
        try:
            with ctx_session(ctx) as cur:
                connect_ms = timer.ms
                started = Timer()
                cur.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(*table.split("."))))
                rows = len(cur.fetchall())
                ms = started.ms
        except PgError as exc:
            return errored(f"SELECT from {table} failed: {exc}", database=where, query_table=table)
        evidence = {"database": where, "query_table": table, "query_ms": ms, "connect_ms": connect_ms,
                    "rows_returned": rows}
    elif _has_supabase(ctx):
        try:
            count, ms = supabase_probe(ctx, table)
        except PgError as exc:
            return errored(str(exc), via="Supabase API", query_table=table)
        evidence = {"via": "Supabase API", "query_table": table, "query_ms": ms, "row_count": count}
    else:
        return errored("no database configured: set DATABASE_URL, or SUPABASE_URL and SUPABASE_KEY").skipped("no URL")
    result = (warned if ms > warn_ms else passed)(
        f"SELECT from {table} answered in {ms:g} ms" + (f" (slower than {warn_ms:g} ms)" if ms > warn_ms else ""),
        **evidence)
    result.measurements["db.query_ms"] = Measurement(ms, f"{ms:g} ms", "ms")
    return result
