"""Database and data-integrity checks against a real PostgreSQL with planted problems.

Expected counts come from the fixture's construction (tests/fixtures/postgres.py), never from
the checks' own output.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from fixtures.infra import run_checks
from fixtures.postgres import (
    DELETED_LEADS,
    FIRST_NAMES,
    FOREIGN_KEYS,
    FUTURE_CREATED_IDS,
    GOOD_SUPABASE_KEY,
    INDEXES_003,
    LIVE_LEADS,
    MIGRATION_001,
    MIGRATION_002,
    MISSING_INDEX,
    NULL_TEMPERATURE_IDS,
    ORPHANS,
    RW_PASSWORD,
    TEMPERATURES,
    TEST_EMAIL_IDS,
    TEST_NAME_IDS,
    free_port,
    migrations,
    write_migrations,
)
from readiness_tui.checks._pg import PgError, explain, session
from readiness_tui.checks.db import migration_objects, parse_migration, strip_sql

from readiness_tui.checklist import load_checklist, parse_checklist
from readiness_tui.errors import UsageError
from readiness_tui.model import Status
from readiness_tui.settings import load_settings

CHECKLIST_TEXT = (REPO / "readiness_tui" / "data" / "checklist.toml").read_text(encoding="utf-8")
DATA_ITEMS = ["7.2", "7.3", "7.4", "7.6"]


def run(project: Path, ids: list[str], checklist_text: str | None = None, **environ: str):
    checklist = parse_checklist(checklist_text.encode(), "custom.toml") if checklist_text else load_checklist()
    settings = load_settings(project, environ=environ)
    return run_checks(checklist, settings, [checklist.item(i) for i in ids])


def with_rules(rules: str) -> str:
    """The embedded checklist with its data rules replaced by `rules`."""
    without = re.sub(r"\[\[data_rules\]\]\n(?:[^\n]+\n)+\n", "", CHECKLIST_TEXT)
    assert "[[data_rules]]" not in without
    return without + "\n" + rules


def pct(n: int, of: int = LIVE_LEADS) -> float:
    return round(n / of * 100, 1)


def expected_offenders() -> dict[str, list[int]]:
    """Offending live ids of every default rule, from the fixture's construction (others: none)."""
    return {
        "leads.temperature.required": NULL_TEMPERATURE_IDS,
        "leads.created_at.not_future": FUTURE_CREATED_IDS,
        "leads.email.test_data": TEST_EMAIL_IDS,
        "leads.first_name.test_data": TEST_NAME_IDS,
    }


# ---------------------------------------------------------------- data rules on the planted database


def test_every_default_rule_count_is_exact(crm_project: Path) -> None:
    results = run(crm_project, DATA_ITEMS)
    rules = {}
    for item_id, key in zip(DATA_ITEMS, ["enum_rules", "required_rules", "range_format_rules", "test_data_rules"],
                            strict=True):
        for entry in results[item_id].evidence[key]:
            rules[entry["rule"]] = entry
    checklist = load_checklist()
    assert set(rules) == {r.id for r in checklist.data_rules}
    assert len(checklist.data_rules) - 3 == 16  # the seed's 16 checks + 3 test-data rules
    expected = expected_offenders()
    for rule_id, entry in rules.items():
        offenders = sorted(expected.get(rule_id, []))
        assert entry["rows"] == LIVE_LEADS, rule_id  # soft-deleted rows never count
        assert entry["offending"] == len(offenders), rule_id
        assert entry["percent"] == pct(len(offenders)), rule_id
        assert entry["ids"] == [str(i) for i in offenders[:5]], rule_id
    assert results["7.2"].status == Status.PASS  # NULL temperatures are not enum violations
    assert results["7.3"].status == Status.FAIL
    assert results["7.3"].summary == f"1 of 8 required-field rules fail: temperature: {len(NULL_TEMPERATURE_IDS)} NULL " \
                                     f"({pct(len(NULL_TEMPERATURE_IDS))} %)"
    assert results["7.4"].status == Status.FAIL
    assert f"created_at: {len(FUTURE_CREATED_IDS)} in the future" in results["7.4"].summary
    assert results["7.6"].status == Status.FAIL


def test_offending_ids_never_show_names_emails_or_phones(crm_project: Path) -> None:
    results = run(crm_project, DATA_ITEMS + ["7.5"])
    text = json.dumps({k: r.to_dict() for k, r in results.items()})
    for fragment in ("@example.com", "roofs-mail.net", "555-01", "Family", "Test", *FIRST_NAMES):
        assert fragment not in text, fragment


def test_custom_rules_count_exactly(crm_project: Path) -> None:
    rules = """
[[data_rules]]
id = "temperature.hot_warm_only"
category = "enum"
table = "leads"
column = "temperature"
values = ["hot", "warm"]
where = "is_deleted = false"

[[data_rules]]
id = "score.max50"
category = "range"
table = "public.leads"
column = "lead_score"
min = 0
max = 50
where = "is_deleted = false"

[[data_rules]]
id = "all.rows.score"
category = "range"
table = "leads"
column = "lead_score"
max = 100

[[data_rules]]
id = "missing.table"
category = "required"
table = "no_such_table"
column = "x"
"""
    results = run(crm_project, ["7.2", "7.4"], with_rules(rules))
    live = [i for i in range(1, LIVE_LEADS + 1)]
    cool_cold = [i for i in live if i not in NULL_TEMPERATURE_IDS and TEMPERATURES[i % 4] in ("cool", "cold")]
    over_50 = [i for i in live if i % 101 > 50]
    enum = results["7.2"].evidence["enum_rules"][0]
    assert (enum["offending"], enum["ids"]) == (len(cool_cold), [str(i) for i in cool_cold[:5]])
    ranges = {e["rule"]: e for e in results["7.4"].evidence["range_format_rules"]}
    assert ranges["score.max50"]["offending"] == len(over_50)
    # Without `where` the soft-deleted rows count: each has lead_score 120.
    assert ranges["all.rows.score"]["rows"] == LIVE_LEADS + DELETED_LEADS
    assert ranges["all.rows.score"]["offending"] == DELETED_LEADS
    assert results["7.4"].measurements["data.ranges_pass_pct"].display.startswith("0.0% (0/2)")
    overall = results["7.4"].measurements["data.overall_pass_pct"]
    assert overall.display == "0.0% (0/4)"  # the missing table's rule counts as not passed


def test_rule_on_missing_table_is_an_error_not_a_pass(crm_project: Path) -> None:
    rules = '[[data_rules]]\nid = "ghost"\ncategory = "required"\ntable = "no_such_table"\ncolumn = "x"\n'
    result = run(crm_project, ["7.3"], with_rules(rules))["7.3"]
    assert result.status == Status.ERROR
    assert result.summary == "1 of 1 required-field rules could not run: x: error (table no_such_table not found)"


def test_slow_rule_hits_statement_timeout_not_a_hang(crm_project: Path) -> None:
    rules = ('[[data_rules]]\nid = "slow"\ncategory = "required"\ntable = "slow_leads"\ncolumn = "slow"\n')
    text = with_rules(rules).replace('checks = ["data.required"]',
                                     'checks = ["data.required"]\nparams = { statement_timeout_s = 0.3 }')
    started = time.monotonic()
    result = run(crm_project, ["7.3"], text)["7.3"]
    assert time.monotonic() - started < 4  # the view sleeps 5 s per row
    assert result.status == Status.ERROR
    assert "statement_timeout" in result.summary


def test_session_is_read_only_with_statement_timeout(pg_server) -> None:
    started = time.monotonic()
    with pytest.raises(PgError, match=r"statement_timeout \(0.3 s\)"):
        with session(pg_server.rw_url, statement_timeout=0.3) as cur:
            cur.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 3
    with pytest.raises(PgError, match="read-only transaction"):
        with session(pg_server.rw_url) as cur:
            cur.execute("INSERT INTO customers (company) VALUES ('x')")


# ---------------------------------------------------------------- the Data Integrity table in the reports


def test_data_integrity_table_matches_by_construction_in_json_and_markdown(crm_project: Path) -> None:
    nulls, future = len(NULL_TEMPERATURE_IDS), len(FUTURE_CREATED_IDS)
    rows = {
        "ENUM Validation": ("100.0% (3/3)", "PASS"),
        "Required Fields": (f"87.5% (7/8) — temperature: {nulls} NULL ({pct(nulls)} %)", "FAIL"),
        "Data Ranges": (f"66.7% (2/3) — created_at: {future} in the future ({pct(future)} %)", "FAIL"),
        "Format Validation": ("100.0% (2/2)", "PASS"),
        "Overall Pass Rate": ("87.5% (14/16)", "PASS"),
    }
    proc = run_cli("check", str(crm_project), "--only", "7.2,7.3,7.4", "--format", "json", "--fail-under", "0")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    table = next(t for t in data["criteria"] if t["id"] == "data_integrity")
    assert {r["metric"]: (r["measured"], r["status"]) for r in table["rows"]} == rows
    proc = run_cli("check", str(crm_project), "--only", "7.2,7.3,7.4", "--format", "markdown", "--fail-under", "0")
    for metric, (measured, verdict) in rows.items():
        target = ">80%" if metric == "Overall Pass Rate" else "100%"
        assert f"| {metric} | {target} | {measured} | {verdict} |" in proc.stdout


def test_cli_section_7_and_indexes_on_planted_database(crm_project: Path, pg_server) -> None:
    proc = run_cli("check", str(crm_project), "--only", "4.2,7.1,7.5,10.8", "--format", "json", "--fail-under", "0")
    items = {i["id"]: i for s in json.loads(proc.stdout)["sections"] for i in s["items"]}
    assert items["4.2"]["status"] == "fail"
    assert items["4.2"]["summary"] == f"1 of {len(INDEXES_003)} indexes missing: {MISSING_INDEX}"
    assert items["7.1"]["status"] == "fail"
    assert f"index {MISSING_INDEX}" in items["7.1"]["summary"]
    assert items["7.1"]["evidence"]["missing_objects"] == [f"index {MISSING_INDEX} (003_performance_indexes.sql:5)"]
    assert items["7.5"]["status"] == "fail"
    fks = items["7.5"]["evidence"]["foreign_keys"]
    assert len(fks) == FOREIGN_KEYS
    by_child = {f["child"]: f for f in fks if f.get("orphans")}
    assert {k: v["orphans"] for k, v in by_child.items()} == {
        f"public.{t}({c})": len(ids) for (t, c), ids in ORPHANS.items()}
    total = sum(len(v) for v in ORPHANS.values())
    assert items["7.5"]["summary"].startswith(f"{total} orphaned rows in {len(ORPHANS)} of {FOREIGN_KEYS} foreign keys")
    assert items["10.8"]["status"] == "pass"
    assert items["10.8"]["measurements"]["db.query_ms"]["value"] > 0


def test_migrations_pass_when_every_object_exists(tmp_path: Path, pg_server) -> None:
    project = tmp_path / "p"
    write_migrations(project / "db", {"001_initial_schema.sql": MIGRATION_001, "002_interactions.sql": MIGRATION_002})
    (project / "readiness.toml").write_text('[target]\nmigrations_dir = "db"\n')
    result = run(project, ["7.1"], DATABASE_URL=pg_server.rw_url)["7.1"]
    assert result.status == Status.PASS
    assert result.summary == "all 7 objects of 2 migration files exist (4 tables, 3 types, 0 indexes)"
    assert result.evidence["missing_objects"] == []


def test_migration_parser_reads_what_postgres_creates() -> None:
    objs = parse_migration(migrations()["003_performance_indexes.sql"], "003.sql")
    assert [o.display for o in objs] == INDEXES_003
    objs = parse_migration(MIGRATION_001 + MIGRATION_002, "x.sql")
    assert sorted(o.display for o in objs if o.kind == "table") == ["appointments", "customers", "interactions", "leads"]
    assert sorted(o.display for o in objs if o.kind == "type") == ["interaction_kind", "lead_source", "lead_status"]
    tricky = """
    CREATE TABLE "Odd Name" (note text DEFAULT 'CREATE TABLE fake (x int)');
    CREATE FUNCTION f() RETURNS void AS $$ CREATE TABLE in_body (x int); $$ LANGUAGE sql;
    create unique index concurrently if not exists Idx_Mixed on public.leads (email);
    CREATE TABLE public.gone (id int); DROP TABLE IF EXISTS public.gone;
    """
    assert [(o.kind, o.display) for o in parse_migration(tricky, "t.sql")] == [
        ("table", "Odd Name"), ("index", "idx_mixed")]
    assert "fake" not in strip_sql(tricky) and strip_sql(tricky).count("\n") == tricky.count("\n")


def test_migrations_and_indexes_without_files(tmp_path: Path) -> None:
    results = run(tmp_path, ["4.2", "7.1"], DATABASE_URL="postgresql://u:pw@127.0.0.1:1/x")
    assert results["4.2"].status == Status.ERROR and "not found" in results["4.2"].summary
    assert results["7.1"].status == Status.PENDING and "migrations_dir" in results["7.1"].summary
    files, objects = migration_objects(tmp_path)
    assert (files, objects) == ([], [])


# ---------------------------------------------------------------- 3.6 frontend read-only


def test_frontend_readonly_both_ways(crm_project: Path, pg_server) -> None:
    ro = run(crm_project, ["3.6"], FRONTEND_DATABASE_URL=pg_server.ro_url)["3.6"]
    assert ro.status == Status.PASS and "frontend_ro" in ro.summary
    assert ro.evidence["writable_tables"] == []
    rw = run(crm_project, ["3.6"], FRONTEND_DATABASE_URL=pg_server.rw_url)["3.6"]
    assert rw.status == Status.FAIL and "app_rw can write to" in rw.summary
    writable = {w["table"]: w["privileges"] for w in rw.evidence["writable_tables"]}
    assert writable["public.leads"] == ["INSERT", "UPDATE", "DELETE"]
    su = run(crm_project, ["3.6"], FRONTEND_DATABASE_URL=pg_server.admin_url)["3.6"]
    assert su.status == Status.FAIL and "superuser" in su.summary


def test_frontend_readonly_without_url_waits_for_a_person(tmp_path: Path) -> None:
    from fixtures.projects import anon_key

    result = run(tmp_path, ["3.6"], SUPABASE_KEY=anon_key())["3.6"]
    assert result.status == Status.PENDING
    assert result.evidence["frontend_supabase_key_role"] == "anon"


# ---------------------------------------------------------------- connection errors, never a password


@pytest.mark.parametrize(("make_url", "reason"), [
    (lambda s: s.url("app_rw", "Wrong-Passw0rd-77"), "authentication failed for user app_rw"),
    (lambda s: f"postgresql://app_rw:{RW_PASSWORD}@127.0.0.1:{free_port()}/crm", "connection refused"),
    (lambda s: s.url("app_rw", RW_PASSWORD, "nodb"), "database nodb does not exist"),
    (lambda s: s.url("app_rw", RW_PASSWORD) + "?sslmode=require", "TLS failed"),
])
def test_connection_errors_are_one_clear_line_without_password(tmp_path: Path, pg_server, make_url, reason) -> None:
    url = make_url(pg_server)
    password = url.split(":")[2].split("@")[0]
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    proc = run_cli("check", str(tmp_path), "--only", "2.4,10.8", "--format", "json", "--fail-under", "0")
    items = {i["id"]: i for s in json.loads(proc.stdout)["sections"] for i in s["items"]}
    assert items["2.4"]["status"] == "error"
    assert reason in items["2.4"]["summary"]
    assert "\n" not in items["2.4"]["summary"]
    proc_text = run_cli("check", str(tmp_path), "--only", "2.4", "--fail-under", "0")
    stored = "".join(p.read_text(errors="replace") for p in (tmp_path / ".readiness").rglob("*") if p.is_file())
    for output in (proc.stdout, proc.stderr, proc_text.stdout, proc_text.stderr, stored):
        assert password not in output
    # The check itself never puts the password in its result either (the redactor is a second layer).
    result = run(tmp_path, ["2.4"])["2.4"]
    assert password not in json.dumps(result.to_dict())


def test_dns_failure_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The resolver is replaced in-process: a real lookup of an unknown name would leave loopback.
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    result = run(tmp_path, ["2.4"], DATABASE_URL="postgresql://u:Hidden-Pw-123@db.roofs-example.net:5432/crm")["2.4"]
    assert result.status == Status.ERROR
    assert "cannot resolve host 'db.roofs-example.net' (DNS)" in result.summary
    assert "Hidden-Pw-123" not in json.dumps(result.to_dict())


def test_explain_maps_messages_and_scrubs_passwords() -> None:
    url = "postgresql://postgres.abc:S3cret%21pw@aws-0-eu.pooler.supabase.com:6543/postgres"
    cases = {
        'FATAL:  Tenant or user not found': "does not know user postgres.abc",
        "timeout expired": "no answer from aws-0-eu.pooler.supabase.com:6543 within 3 s",
        "server closed: SSL SYSCALL error": "TLS failed",
        'invalid percent-encoded token: "S3cret!pw"': "not valid",
    }
    for message, expected in cases.items():
        line = explain(Exception(message), url, 3)
        assert expected in line
        assert "S3cret" not in line


def test_no_database_configured(tmp_path: Path) -> None:
    # Nothing in the project uses a database: the items about it are not applicable, with that evidence.
    unused = run(tmp_path, ["2.4", "4.2", "7.2", "10.8"])
    for item_id, result in unused.items():
        assert result.status == Status.NOT_APPLICABLE and "no SQL database" in result.summary, item_id
    # The code uses Postgres but nothing says where: judged, not probed here.
    (tmp_path / "app.py").write_text("import os\nimport psycopg\n\nconn = psycopg.connect(os.environ['DSN'])\n")
    results = run(tmp_path, ["2.4", "4.2", "7.2", "7.5", "10.8"])
    assert results["2.4"].status == Status.ERROR and "DATABASE_URL (or SUPABASE_URL and SUPABASE_KEY) is not set" \
        in results["2.4"].summary and "app.py:2" in results["2.4"].summary
    assert results["2.4"].not_probed == "no URL"
    assert results["10.8"].status == Status.ERROR
    for item_id in ("7.2", "7.5"):
        assert results[item_id].status == Status.PENDING and "DATABASE_URL" in results[item_id].summary


# ---------------------------------------------------------------- 4.3 pooling


def test_pooling_evidence(tmp_path: Path) -> None:
    pooled = "postgresql://postgres.ref:pw-123456@aws-0-eu-central-1.pooler.supabase.com:6543/postgres"
    result = run(tmp_path, ["4.3"], DATABASE_URL=pooled)["4.3"]
    assert result.status == Status.PASS and "6543" in result.summary
    (tmp_path / ".env").write_text("DEBUG=false\nDB_POOL_SIZE=10\n")
    result = run(tmp_path, ["4.3"], DATABASE_URL="postgresql://u:pw-123456@db.internal:5432/crm")["4.3"]
    assert result.status == Status.PENDING and ".env:2 DB_POOL_SIZE" in result.summary
    (tmp_path / ".env").write_text("")
    (tmp_path / "backend" / "app").mkdir(parents=True)
    (tmp_path / "backend" / "app" / "db.py").write_text("import x\n\nengine = create_engine(URL, pool_size=10)\n")
    result = run(tmp_path, ["4.3"])["4.3"]
    assert result.status == Status.PENDING and "SQLAlchemy engine at backend/app/db.py:3" in result.summary
    assert "pool_size=10" in result.summary and result.facts["pools"][0]["settings"] == {"pool_size": 10}
    (tmp_path / "backend" / "app" / "db.py").write_text("conn = connect(URL)\n")
    result = run(tmp_path, ["4.3"])["4.3"]
    assert result.status == Status.PENDING and result.summary.startswith("no database client or pool found")


# ---------------------------------------------------------------- Supabase (2.4 without DATABASE_URL)


def test_supabase_reachability_against_postgrest_standin(tmp_path: Path, postgrest_standin) -> None:
    # A stand-in for hosted Supabase (which cannot run here): a loopback server answering as PostgREST.
    env = {"SUPABASE_URL": postgrest_standin.url, "SUPABASE_KEY": GOOD_SUPABASE_KEY}
    ok = run(tmp_path, ["2.4", "10.8"], **env)
    assert ok["2.4"].status == Status.PASS
    assert ok["2.4"].evidence["row_count"] == postgrest_standin.rows["leads"]
    assert "count=exact" in postgrest_standin.requests[0]["prefer"]
    assert ok["10.8"].status == Status.PASS
    bad_key = run(tmp_path, ["2.4"], SUPABASE_URL=postgrest_standin.url, SUPABASE_KEY="sb_publishable_wrong_key_0000")
    assert bad_key["2.4"].status == Status.ERROR and "401 Invalid API key" in bad_key["2.4"].summary
    (tmp_path / "readiness.toml").write_text('[target]\nsupabase_table = "leadz"\n')
    no_table = run(tmp_path, ["2.4"], **env)["2.4"]
    assert no_table.status == Status.ERROR and "table 'leadz' not found" in no_table.summary
    (tmp_path / "readiness.toml").unlink()
    down = run(tmp_path, ["2.4"], SUPABASE_URL=f"http://127.0.0.1:{free_port()}", SUPABASE_KEY=GOOD_SUPABASE_KEY)
    assert down["2.4"].status == Status.ERROR and "cannot reach Supabase" in down["2.4"].summary
    for result in (*ok.values(), bad_key["2.4"], no_table, down["2.4"]):
        assert GOOD_SUPABASE_KEY not in json.dumps(result.to_dict())


# ---------------------------------------------------------------- data rules loader


@pytest.mark.parametrize(("bad", "message"), [
    ('table = "leads; DROP TABLE leads"', "`table` must be a plain SQL identifier"),
    ('column = "email) OR (1=1"', "`column` must be a plain SQL identifier"),
    ('where = "is_deleted = false; DROP TABLE leads"', "`where`: cannot read"),
    ('where = "1 = 1"', "`where`: cannot read"),
    ('category = "regex"', "`category` must be one of"),
    ('id_column = "id, email"', "`id_column` must be a plain SQL identifier"),
])
def test_loader_rejects_unsafe_rules_with_file_and_line(bad: str, message: str) -> None:
    key = bad.split(" = ")[0]
    rule = {"table": 'table = "leads"', "column": 'column = "status"', "where": 'where = "is_deleted = false"',
            "category": 'category = "required"', "id_column": 'id_column = "id"'}
    rule[key] = bad
    text = CHECKLIST_TEXT + '\n[[data_rules]]\nid = "bad.rule"\n' + "\n".join(rule.values()) + "\n"
    with pytest.raises(UsageError) as info:
        parse_checklist(text.encode(), "team.toml")
    line = text.splitlines().index(bad) + 1
    assert str(info.value).startswith(f"team.toml:{line}: data rule bad.rule: {message}")


def test_loader_rejects_incomplete_rules() -> None:
    cases = {
        'category = "range"': "needs `min`, `max` or `not_future = true`",
        'category = "format"': "exactly one of `pattern`",
        'category = "enum"': "`values` must be a non-empty list",
        'category = "required"\nvalues = ["a"]': "`values` does not apply to category required",
        'category = "format"\nregex = "("': "`regex` is not a valid expression",
    }
    for body, message in cases.items():
        text = CHECKLIST_TEXT + f'\n[[data_rules]]\nid = "r"\ntable = "t"\ncolumn = "c"\n{body}\n'
        with pytest.raises(UsageError, match=re.escape(message)):
            parse_checklist(text.encode(), "team.toml")


def test_loader_error_through_the_cli_is_a_message(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text(CHECKLIST_TEXT + '\n[[data_rules]]\nid = "x"\ncategory = "required"\ntable = "a b"\ncolumn = "c"\n')
    proc = run_cli("check", str(tmp_path), "--checklist", str(path), "--only", "7.3")
    assert proc.returncode == 2
    assert "team.toml:" in proc.stderr and "plain SQL identifier" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_db_modules_import_nothing_heavy() -> None:
    code = ("import sys, checks.db, checks.data, checks._pg; "
            "print([m for m in ('psycopg', 'supabase', 'httpx', 'postgrest') if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stderr



def test_checks_work_through_pgbouncer_transaction_mode(crm_project: Path, pg_server, pgbouncer_url: str) -> None:
    # pgbouncer in transaction mode is what the Supabase pooler (port 6543) runs: no startup options,
    # no prepared statements across transactions.
    ids = ["2.4", "4.2", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "10.8"]
    direct = run(crm_project, ids, DATABASE_URL=pg_server.rw_url)
    pooled = run(crm_project, ids, DATABASE_URL=pgbouncer_url)
    for item_id in ids:
        assert pooled[item_id].status == direct[item_id].status, (item_id, pooled[item_id].summary)
    for item_id in ("4.2", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6"):
        assert pooled[item_id].summary == direct[item_id].summary
    assert pooled["7.3"].measurements["data.required_pass_pct"] == direct["7.3"].measurements["data.required_pass_pct"]
    with session(pgbouncer_url, statement_timeout=0.3) as cur:
        for _ in range(8):  # more than psycopg's default prepare threshold (5)
            cur.execute("SELECT count(*) FROM leads WHERE id > %s", (0,))
        assert cur.fetchone()[0] == LIVE_LEADS + DELETED_LEADS
    with pytest.raises(PgError, match="statement_timeout"):
        with session(pgbouncer_url, statement_timeout=0.3) as cur:
            cur.execute("SELECT pg_sleep(3)")


def test_strip_sql_handles_unterminated_and_repeated_creates() -> None:
    assert strip_sql("x 'open -- not a comment") == "x " + " " * len("'open -- not a comment")
    assert strip_sql("a /* open") == "a " + " " * len("/* open")
    objs = parse_migration("CREATE INDEX IF NOT EXISTS i ON t (x);\nCREATE INDEX IF NOT EXISTS i ON t (x);\n", "f.sql")
    assert [(o.display, o.line) for o in objs] == [("i", 1)]
