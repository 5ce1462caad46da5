"""Data rules over zero rows, against a real PostgreSQL with row-level security (issue 12, point 8).

A schema `rls_lab` owned by `rls_owner` holds a `leads` table with row-level security on and a
policy only for `rls_partial` (ids up to PARTIAL_MAX), a copy with FORCE ROW LEVEL SECURITY, an
empty table and an `appointments` table whose parents `rls_reader` cannot see. Four roles connect:
the reader (no policy: sees nothing), the partial reader, an auditor with BYPASSRLS, and the owner.
Expected counts come from the construction below, never from the checks' output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.infra import run_checks
from fixtures.postgres import PgServer

from readiness_tui.checklist import parse_checklist
from readiness_tui.model import Status
from readiness_tui.scoring import criteria_tables, view_item
from readiness_tui.settings import load_settings

ROWS = 40
NULL_TEMPERATURE_IDS = [25, 30, 35]  # all above PARTIAL_MAX: the partial reader sees none of them
PARTIAL_MAX = 20
ORPHAN_PARENTS = [3, 4]  # appointments whose lead the reader cannot see (the leads exist)
PASSWORDS = {"rls_owner": "own-Rls-5521-pq", "rls_reader": "read-Rls-7730-mz", "rls_partial": "part-Rls-1184-kc",
             "rls_audit": "audit-Rls-9046-tw"}

CHECKLIST = (Path(__file__).resolve().parents[1] / "readiness_tui" / "data" / "checklist.toml").read_text()


def with_rules(table: str) -> str:
    """The embedded checklist with its data rules on `table` (3 enum/required/range rules)."""
    without = re.sub(r"\[\[data_rules\]\]\n(?:[^\n]+\n)+\n", "", CHECKLIST)
    assert "[[data_rules]]" not in without
    return without + f"""
[[data_rules]]
id = "t.temperature.enum"
category = "enum"
table = "{table}"
column = "temperature"
values = ["hot", "warm", "cool", "cold"]

[[data_rules]]
id = "t.temperature.required"
category = "required"
table = "{table}"
column = "temperature"

[[data_rules]]
id = "t.score.range"
category = "range"
table = "{table}"
column = "lead_score"
min = 0
max = 100
"""


@pytest.fixture(scope="module")
def rls_lab(pg_server: PgServer) -> PgServer:
    import psycopg

    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS rls_lab CASCADE")
        for role, password in PASSWORDS.items():
            conn.execute(f"DROP ROLE IF EXISTS {role}")
            extra = " BYPASSRLS" if role == "rls_audit" else ""
            conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'{extra}")
        conn.execute("CREATE SCHEMA rls_lab AUTHORIZATION rls_owner")
        conn.execute("GRANT USAGE ON SCHEMA rls_lab TO rls_reader, rls_partial, rls_audit")
    owner = pg_server.url("rls_owner", PASSWORDS["rls_owner"])
    with psycopg.connect(owner, autocommit=True) as conn:
        for table in ("leads", "forced_leads", "empty_leads"):
            conn.execute(f"CREATE TABLE rls_lab.{table} (id int PRIMARY KEY, temperature text, lead_score int)")
        for i in range(1, ROWS + 1):
            temperature = None if i in NULL_TEMPERATURE_IDS else ["hot", "warm", "cool", "cold"][i % 4]
            for table in ("leads", "forced_leads"):
                conn.execute(f"INSERT INTO rls_lab.{table} VALUES (%s, %s, %s)", (i, temperature, i * 2))
        conn.execute("CREATE TABLE rls_lab.appointments (id int PRIMARY KEY, lead_id int REFERENCES rls_lab.leads (id))")
        for n, lead in enumerate(ORPHAN_PARENTS, 1):
            conn.execute("INSERT INTO rls_lab.appointments VALUES (%s, %s)", (n, lead))
        conn.execute("ALTER TABLE rls_lab.leads ENABLE ROW LEVEL SECURITY")
        conn.execute("ALTER TABLE rls_lab.forced_leads ENABLE ROW LEVEL SECURITY")
        conn.execute("ALTER TABLE rls_lab.forced_leads FORCE ROW LEVEL SECURITY")
        conn.execute(f"CREATE POLICY partial_view ON rls_lab.leads FOR SELECT TO rls_partial USING (id <= {PARTIAL_MAX})")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA rls_lab TO rls_reader, rls_partial, rls_audit")
        conn.execute("ANALYZE rls_lab.leads")
        conn.execute("ANALYZE rls_lab.forced_leads")
        conn.execute("ANALYZE rls_lab.empty_leads")
    return pg_server


def run_as(server: PgServer, tmp_path: Path, role: str, ids: list[str], table: str = "rls_lab.leads",
           checklist_text: str | None = None):
    project = tmp_path / role
    project.mkdir(exist_ok=True)
    checklist = parse_checklist((checklist_text or with_rules(table)).encode(), "rls.toml")
    settings = load_settings(project, environ={"DATABASE_URL": server.url(role, PASSWORDS[role])})
    return checklist, run_checks(checklist, settings, [checklist.item(i) for i in ids])


def test_zero_visible_rows_under_rls_is_not_a_pass_and_says_how_to_connect(rls_lab, tmp_path) -> None:
    checklist, results = run_as(rls_lab, tmp_path, "rls_reader", ["7.2", "7.3", "7.4"])
    for item_id in ("7.2", "7.3", "7.4"):
        result = results[item_id]
        assert result.status == Status.ERROR, (item_id, result.summary)
        assert "saw 0 visible rows" in result.summary
        assert (f"row-level security is on for rls_lab.leads and role rls_reader does not bypass it "
                f"(about {ROWS} rows by the table statistics)") in result.summary
        assert "BYPASSRLS" in result.summary and "or as the owner rls_owner" in result.summary
        assert "READ ONLY transaction" in result.summary
        assert result.facts["rls_hides_rows_of"] == ["rls_lab.leads"]
        assert all(f["status"] == "error" and f["scope"] == "hidden" for f in result.facts["rules"])
    access = results["7.3"].evidence["row_level_security"][0]
    assert access == {"table": "rls_lab.leads", "role": "rls_reader", "owner": "rls_owner", "row_level_security": True,
                      "forced": False, "role_owns_table": False, "role_bypasses_rls": False, "hides_rows": True,
                      "estimated_rows": ROWS}
    # The Data Integrity table prints no percentage over zero rows.
    views = [view_item(checklist.item(k), v, None) for k, v in results.items()]
    table = next(cells for tid, _, cells in criteria_tables(checklist, views) if tid == "data_integrity")
    assert {c.row.metric: c.verdict for c in table} == dict.fromkeys(
        ["ENUM Validation", "Required Fields", "Data Ranges", "Format Validation", "Overall Pass Rate"], "TBD")
    displays = {c.row.metric: c.measurement.display for c in table if c.measurement is not None}
    assert set(displays) == {"ENUM Validation", "Required Fields", "Data Ranges", "Overall Pass Rate"}  # no format rule
    assert all(d.startswith("not measured: 0 visible rows (row-level security is on") for d in displays.values())


def test_a_role_that_bypasses_rls_or_owns_the_table_sees_every_row(rls_lab, tmp_path) -> None:
    nulls = len(NULL_TEMPERATURE_IDS)
    for role in ("rls_audit", "rls_owner"):
        _, results = run_as(rls_lab, tmp_path, role, ["7.2", "7.3", "7.4"])
        assert results["7.3"].status == Status.FAIL, (role, results["7.3"].summary)
        entry = results["7.3"].evidence["required_rules"][0]
        assert (entry["rows"], entry["offending"], entry["scope"]) == (ROWS, nulls, "all")
        assert entry["ids"] == [str(i) for i in NULL_TEMPERATURE_IDS]
        assert results["7.2"].status == results["7.4"].status == Status.PASS
        assert results["7.2"].facts["rls_hides_rows_of"] == []
        measured = results["7.3"].measurements["data.required_pass_pct"]
        assert (measured.value, measured.display.split(" — ")[0]) == (0.0, "0.0% (0/1)")


def test_rows_partly_hidden_pass_only_with_a_caveat(rls_lab, tmp_path) -> None:
    _, results = run_as(rls_lab, tmp_path, "rls_partial", ["7.3"])
    result = results["7.3"]
    assert result.status == Status.WARN, result.summary
    assert f"pass on the rows role rls_partial can see ({PARTIAL_MAX} rows of rls_lab.leads)" in result.summary
    assert "row-level security hides the rest" in result.summary
    assert result.facts["rules"] == [{"rule": "t.temperature.required", "status": "warn", "scope": "partial"}]


def test_forced_rls_binds_the_owner_too(rls_lab, tmp_path) -> None:
    _, results = run_as(rls_lab, tmp_path, "rls_owner", ["7.3"], table="rls_lab.forced_leads")
    result = results["7.3"]
    assert result.status == Status.ERROR
    assert "FORCE ROW LEVEL SECURITY binds the owner rls_owner too" in result.summary
    _, results = run_as(rls_lab, tmp_path, "rls_audit", ["7.3"], table="rls_lab.forced_leads")
    assert results["7.3"].status == Status.FAIL
    assert results["7.3"].evidence["required_rules"][0]["offending"] == len(NULL_TEMPERATURE_IDS)


def test_an_empty_table_is_a_warning_not_a_pass(rls_lab, tmp_path) -> None:
    _, results = run_as(rls_lab, tmp_path, "rls_reader", ["7.3"], table="rls_lab.empty_leads")
    result = results["7.3"]
    assert result.status == Status.WARN
    assert result.summary == ("1 of 1 required-field rules saw no rows, nothing to check: temperature: "
                              "table rls_lab.empty_leads is empty (nothing to check)")
    assert result.facts["rules"] == [{"rule": "t.temperature.required", "status": "warn", "scope": "empty"}]
    assert result.measurements["data.required_pass_pct"].value is None


def test_children_whose_parents_rls_hides_are_not_called_orphans(rls_lab, tmp_path) -> None:
    text = with_rules("rls_lab.leads").replace('checks = ["data.foreign_keys"]',
                                               'checks = ["data.foreign_keys"]\nparams = { schemas = ["rls_lab"] }')
    assert 'params = { schemas = ["rls_lab"] }' in text
    _, results = run_as(rls_lab, tmp_path, "rls_reader", ["7.5"], checklist_text=text)
    result = results["7.5"]
    assert result.status == Status.ERROR, result.summary
    assert (f"{len(ORPHAN_PARENTS)} rows look orphaned, but row-level security is on for rls_lab.leads and role "
            "rls_reader does not bypass it") in result.summary
    assert result.facts["rls_hides_rows_of"] == ["rls_lab.leads"]
    _, results = run_as(rls_lab, tmp_path, "rls_audit", ["7.5"], checklist_text=text)
    assert results["7.5"].status == Status.PASS, results["7.5"].summary


def test_cli_data_integrity_table_over_hidden_rows(rls_lab, tmp_path) -> None:
    project = tmp_path / "cli"
    project.mkdir()
    (project / "checklist.toml").write_text(with_rules("rls_lab.leads"))
    (project / ".env").write_text(f"DATABASE_URL={rls_lab.url('rls_reader', PASSWORDS['rls_reader'])}\n")
    proc = run_cli("check", str(project), "--checklist", str(project / "checklist.toml"), "--only", "7.2,7.3,7.4",
                   "--format", "json", "--fail-under", "0")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    table = next(t for t in data["criteria"] if t["id"] == "data_integrity")
    assert {r["status"] for r in table["rows"]} == {"TBD"}
    assert all("100" not in str(r["measured"]) for r in table["rows"])
    assert PASSWORDS["rls_reader"] not in proc.stdout + proc.stderr
