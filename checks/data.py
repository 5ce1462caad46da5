"""Data-integrity checks (items 7.2–7.6) driven by the checklist's `[[data_rules]]`.

Every rule becomes one read-only query built with `psycopg.sql` (identifiers quoted, values as
literals): the count of rows that break it among the rows its `where` keeps, and up to five ids
of such rows (ids only, never names, emails or phones). The rules of a run are evaluated once and
shared by the items. Item 7.5 finds its foreign keys in the catalog instead.

A rule that sees zero rows proves nothing, so it never passes: the catalog says whether row-level
security hides rows from the connected role (`pg_class.relrowsecurity`/`relforcerowsecurity`,
`pg_roles.rolbypassrls`, ownership; docs/how-checks-work.md, "Zero rows is not a pass") — then the rule could
not be checked, and the result says how to connect — or whether the table is simply empty (a
warning). Rules that saw no row are left out of the Data Integrity percentages.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from readiness_tui.checks._pg import PG_PARAMS, PgError, ctx_session, label

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.datarules import DataRule
from readiness_tui.model import CheckResult, Measurement, Status, errored, not_applicable, pending, worst

MAX_IDS = 5
NO_DB = "no DATABASE_URL to run the data rules on (set it; a read-only user is enough)"

#: Categories of the seed's Data Integrity table and the measurement each one reports.
TABLE_MEASUREMENTS = {
    "enum": "data.enum_pass_pct",
    "required": "data.required_pass_pct",
    "range": "data.ranges_pass_pct",
    "format": "data.formats_pass_pct",
}


_ACCESS_SQL = """
SELECT c.relrowsecurity, c.relforcerowsecurity, pg_has_role(current_user, c.relowner, 'USAGE'),
       r.rolsuper OR r.rolbypassrls, current_user::text, pg_get_userbyid(c.relowner)::text,
       pg_stat_get_live_tuples(c.oid), c.reltuples
FROM pg_class c, pg_roles r
WHERE c.oid = %s AND r.rolname = current_user
"""


@dataclass
class TableAccess:
    """Whether the connected role sees every row of a table, from the catalog (readable by any role)."""

    table: str
    role: str
    owner_role: str
    rls: bool
    """`relrowsecurity`: ALTER TABLE … ENABLE ROW LEVEL SECURITY."""
    forced: bool
    """`relforcerowsecurity`: the policies bind the table's owner too."""
    owner: bool
    """The role owns the table (or inherits from its owner)."""
    bypass: bool
    """The role is a superuser or has BYPASSRLS."""
    estimate: int | None
    """Rows by the table statistics (`reltuples`, else live tuples); None when never counted."""

    @property
    def hidden(self) -> bool:
        """Row-level security filters what this role sees (no policy for it: zero rows, no error)."""
        return self.rls and not self.bypass and not (self.owner and not self.forced)

    def why(self) -> str:
        """`RLS on leads; role frontend_ro does not bypass it (about 120 rows by the statistics)`."""
        if self.estimate:
            counted = f"about {self.estimate} rows by the table statistics"
        elif self.estimate == 0:
            counted = "the table statistics count no rows either: it may be empty"
        else:
            counted = "the table statistics have not counted its rows"
        return f"row-level security is on for {self.table} and role {self.role} does not bypass it ({counted})"

    def how_to_connect(self) -> str:
        """What to connect as so that the rules see every row (the checks always run READ ONLY)."""
        if self.forced:
            return ("connect as a read-only role with BYPASSRLS (FORCE ROW LEVEL SECURITY binds the owner "
                    f"{self.owner_role} too), e.g. CREATE ROLE readiness_audit LOGIN BYPASSRLS; "
                    f"GRANT SELECT ON {self.table} TO readiness_audit")
        return (f"connect as a read-only role with BYPASSRLS (CREATE ROLE readiness_audit LOGIN BYPASSRLS; "
                f"GRANT SELECT ON {self.table} TO readiness_audit), or as the owner {self.owner_role}: "
                "the checks run every query inside a READ ONLY transaction")

    def to_evidence(self) -> dict[str, Any]:
        return {"table": self.table, "role": self.role, "owner": self.owner_role, "row_level_security": self.rls,
                "forced": self.forced, "role_owns_table": self.owner, "role_bypasses_rls": self.bypass,
                "hides_rows": self.hidden, "estimated_rows": self.estimate}


def table_access(cur: Any, table: str, oid: int) -> TableAccess:
    """Row-level security facts of one table for the connected role."""
    cur.execute(_ACCESS_SQL, (oid,))
    rls, forced, owner, bypass, role, owner_role, live, reltuples = cur.fetchone()
    # reltuples (set by ANALYZE and VACUUM) first: the live-tuple counter of the statistics system
    # can count the same inserts twice when ANALYZE runs before they are flushed.
    if reltuples is not None and reltuples > 0:
        estimate: int | None = round(reltuples)
    elif live:
        estimate = int(live)
    elif reltuples is not None and reltuples >= 0:
        estimate = 0
    else:
        estimate = None
    return TableAccess(table, role, owner_role, bool(rls), bool(forced), bool(owner), bool(bypass), estimate)


#: What the rows a rule saw cover: every row in scope, only the visible ones, none.
SCOPE_ALL, SCOPE_PARTIAL, SCOPE_HIDDEN, SCOPE_EMPTY, SCOPE_FILTERED = "all", "partial", "hidden", "empty", "filtered"


@dataclass
class RuleOutcome:
    """What one rule found."""

    rule: DataRule
    rows: int = 0
    offending: int = 0
    ids: list[str] = field(default_factory=list)
    error: str | None = None
    access: TableAccess | None = None
    table_has_rows: bool | None = None
    """Whether the table holds any visible row at all (asked only when the rule's scope had none)."""

    @property
    def percent(self) -> float:
        return round(self.offending / self.rows * 100, 1) if self.rows else 0.0

    @property
    def scope(self) -> str:
        hidden = self.access is not None and self.access.hidden
        if self.rows:
            return SCOPE_PARTIAL if hidden else SCOPE_ALL
        if hidden:
            return SCOPE_HIDDEN
        return SCOPE_FILTERED if self.table_has_rows else SCOPE_EMPTY

    @property
    def measured(self) -> bool:
        """The rule ran and saw rows: it counts in the Data Integrity percentages."""
        return self.error is None and self.rows > 0

    @property
    def ok(self) -> bool:
        return self.measured and self.offending == 0

    @property
    def status(self) -> Status:
        if self.error is not None:
            return Status.ERROR
        if self.offending:
            return Status.FAIL
        scope = self.scope
        if scope == SCOPE_HIDDEN:
            return Status.ERROR  # nothing was checked: the role sees no row
        return Status.PASS if scope == SCOPE_ALL else Status.WARN

    def problem(self) -> str:
        """`column: 10 NULL (8.8 %)`, `column: 0 visible rows (…)`, or the error."""
        if self.error is not None:
            return f"{self.rule.column}: error ({self.error})"
        if self.offending:
            return f"{self.rule.column}: {self.rule.problem(self.offending)} ({self.percent:.1f} %)"
        scope = self.scope
        if scope == SCOPE_HIDDEN:
            assert self.access is not None
            return f"{self.rule.column}: 0 visible rows ({self.access.why()})"
        if scope == SCOPE_EMPTY:
            return f"{self.rule.column}: table {self.rule.table} is empty (nothing to check)"
        if scope == SCOPE_FILTERED:
            return f"{self.rule.column}: no row of {self.rule.table} matches `{self.rule.where_text}`"
        if scope == SCOPE_PARTIAL:
            return f"{self.rule.column}: passes on the {self.rows} visible rows only"
        return f"{self.rule.column}: passes"

    def to_evidence(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"rule": self.rule.id, "table": self.rule.table, "column": self.rule.column}
        if self.error is not None:
            entry["error"] = self.error
        else:
            entry.update(rows=self.rows, offending=self.offending, percent=self.percent, ids=self.ids,
                         scope=self.scope)
            if self.access is not None and (self.access.rls or not self.rows):
                entry["access"] = self.access.to_evidence()
        if self.rule.where_text:
            entry["where"] = self.rule.where_text
        return entry

    def to_fact(self) -> dict[str, Any]:
        """What decides the item: the rule's status and what its rows covered (not the counts)."""
        fact: dict[str, Any] = {"rule": self.rule.id, "status": self.status.value}
        if self.error is None:
            fact["scope"] = self.scope
        return fact


def _where_sql(rule: DataRule) -> Any:
    from psycopg import sql

    parts = []
    for cond in rule.where:
        col = sql.Identifier(cond.column)
        if cond.value is None or cond.op.startswith("IS"):
            keyword = {None: "NULL", True: "TRUE", False: "FALSE"}[cond.value]
            negate = cond.op in ("IS NOT", "<>")
            parts.append(sql.SQL("{} IS {}{}").format(col, sql.SQL("NOT " if negate else ""), sql.SQL(keyword)))
        else:
            parts.append(sql.SQL("{} {} {}").format(col, sql.SQL(cond.op), sql.Literal(cond.value)))
    return sql.SQL(" AND ").join(parts) if parts else sql.SQL("TRUE")


def _offending_sql(rule: DataRule) -> Any:
    """The condition a row meets when it breaks the rule (SQL NULL semantics: NULL breaks only `required`)."""
    from psycopg import sql

    col = sql.Identifier(rule.column)
    text = sql.SQL("{}::text").format(col)
    if rule.category == "required":
        return sql.SQL("{} IS NULL").format(col)
    if rule.category == "enum":
        values = sql.SQL(", ").join(sql.Literal(v) for v in rule.values)
        return sql.SQL("{} IS NOT NULL AND {} NOT IN ({})").format(col, text, values)
    if rule.category == "range":
        tests = []
        if rule.min is not None:
            tests.append(sql.SQL("{} < {}").format(col, sql.Literal(rule.min)))
        if rule.max is not None:
            tests.append(sql.SQL("{} > {}").format(col, sql.Literal(rule.max)))
        if rule.not_future:
            tests.append(sql.SQL("{} > now()").format(col))
        return sql.SQL("{} IS NOT NULL AND ({})").format(col, sql.SQL(" OR ").join(tests))
    if rule.category == "format":
        if rule.pattern is not None:
            return sql.SQL("{} IS NOT NULL AND {} NOT LIKE {}").format(col, text, sql.Literal(rule.pattern))
        return sql.SQL("{} IS NOT NULL AND {} !~ {}").format(col, text, sql.Literal(rule.regex))
    likes = sql.SQL(" OR ").join(sql.SQL("{} ILIKE {}").format(text, sql.Literal(p)) for p in rule.patterns)
    return sql.SQL("{} IS NOT NULL AND ({})").format(col, likes)


def _table_info(cur: Any, table: str) -> tuple[set[str], TableAccess] | None:
    """The columns of a table and whether the role sees its rows; None when there is no such table."""
    from psycopg import sql

    quoted = sql.Identifier(*table.split(".")).as_string(cur)
    cur.execute("SELECT to_regclass(%s)::oid", (quoted,))
    row = cur.fetchone()
    if not row or row[0] is None:
        return None
    cur.execute("SELECT attname::text FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped",
                (row[0],))
    columns = {r[0] for r in cur.fetchall()}
    return columns, table_access(cur, table, row[0])


def _evaluate(cur: Any, rule: DataRule, info: tuple[set[str], TableAccess] | None) -> RuleOutcome:
    import psycopg
    from psycopg import sql

    outcome = RuleOutcome(rule)
    if info is None:
        outcome.error = f"table {rule.table} not found"
        return outcome
    columns, outcome.access = info
    missing = [c for c in [rule.column, *(w.column for w in rule.where)] if c not in columns]
    if missing:
        outcome.error = f"column {missing[0]} not found in {rule.table}"
        return outcome
    table = sql.Identifier(*rule.table.split("."))
    where, bad = _where_sql(rule), _offending_sql(rule)
    try:
        with cur.connection.transaction():  # a savepoint: one failing rule leaves the others running
            cur.execute(sql.SQL("SELECT count(*), count(*) FILTER (WHERE {bad}) FROM {table} WHERE {where}").format(
                bad=bad, table=table, where=where))
            outcome.rows, outcome.offending = cur.fetchone()
            if not outcome.rows and not outcome.access.hidden:
                cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {table})").format(table=table))
                outcome.table_has_rows = bool(cur.fetchone()[0])
            if outcome.offending and rule.id_column in columns:
                ident = sql.Identifier(rule.id_column)
                cur.execute(sql.SQL("SELECT {id} FROM {table} WHERE ({where}) AND ({bad}) ORDER BY {id} LIMIT {n}").format(
                    id=ident, table=table, where=where, bad=bad, n=sql.Literal(MAX_IDS)))
                outcome.ids = [str(r[0]) for r in cur.fetchall()]
    except psycopg.errors.QueryCanceled:
        outcome.error = "cancelled by statement_timeout"
    except psycopg.Error as exc:
        outcome.error = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return outcome


def evaluate_rules(ctx: CheckContext) -> list[RuleOutcome]:
    """Evaluate every data rule of the checklist once per run (shared by 7.2–7.6).

    Raises PgError when the database cannot be reached.
    """
    key = f"data_rules:{ctx.checklist.digest}:{label(ctx.settings.database_url or '')}"
    lock = ctx.shared.setdefault("data_rules_lock", threading.Lock())
    with lock:
        cached = ctx.shared.get(key)
        if isinstance(cached, PgError):
            raise cached
        if cached is not None:
            return cached
        try:
            outcomes: list[RuleOutcome] = []
            with ctx_session(ctx) as cur:
                tables: dict[str, tuple[set[str], TableAccess] | None] = {}
                rules = ctx.checklist.data_rules
                for index, rule in enumerate(rules):
                    if rule.table not in tables:
                        tables[rule.table] = _table_info(cur, rule.table)
                    ctx.progress(index / len(rules), f"data rule {rule.id}")
                    outcomes.append(_evaluate(cur, rule, tables[rule.table]))
        except PgError as exc:
            ctx.shared[key] = exc
            raise
        ctx.shared[key] = outcomes
        return outcomes


def _measurement(outcomes: list[RuleOutcome]) -> Measurement:
    """`87.5% (7/8) — problems`, over the rules that saw rows; not measured when none did."""
    measured = [o for o in outcomes if o.measured or o.error is not None]
    unseen = [o for o in outcomes if o.error is None and not o.rows]
    if not measured:
        why = unseen[0].problem().split(": ", 1)[1] if unseen else "no rules"
        return Measurement(None, f"not measured: {why}", "%")
    passed_ = sum(1 for o in measured if o.ok)
    pct = round(passed_ / len(measured) * 100, 1)
    text = f"{pct:.1f}% ({passed_}/{len(measured)})"
    problems = [o.problem() for o in measured if not o.ok]
    if unseen:
        problems.append(f"{len(unseen)} rule(s) saw no rows")
    return Measurement(pct, text + (f" — {'; '.join(problems)}" if problems else ""), "%")


def _where(outcomes: list[RuleOutcome]) -> str:
    scopes = []
    for o in outcomes:
        if o.error is None:
            scope = f"{o.rows} rows of {o.rule.table}" + (f" ({o.rule.where_text})" if o.rule.where_text else "")
            if scope not in scopes:
                scopes.append(scope)
    return ", ".join(scopes) or "no rows"


def _hidden_tables(outcomes: list[RuleOutcome]) -> list[TableAccess]:
    seen: dict[str, TableAccess] = {}
    for o in outcomes:
        if o.access is not None and o.access.hidden and o.error is None:
            seen.setdefault(o.access.table, o.access)
    return list(seen.values())


def category_check(ctx: CheckContext, categories: tuple[str, ...], what: str, evidence_key: str) -> CheckResult:
    """Run the rules of some categories and report them; adds the Data Integrity measurements.

    Never a pass over zero rows: a rule whose rows row-level security hides is an error that says
    how to connect; one over an empty table (or a filter no row matches) a warning.
    """
    chosen = [r for r in ctx.checklist.data_rules if r.category in categories]
    if not chosen:
        return not_applicable(f"the checklist has no {what} rules ([[data_rules]] with category "
                              f"{' or '.join(categories)})").with_facts(rules=[])
    if not ctx.settings.database_url:
        return pending(f"{NO_DB}; {len(chosen)} {what} rules wait", data_rules=[r.id for r in chosen]).with_facts(
            database=False, rules=[r.id for r in chosen])
    try:
        outcomes = evaluate_rules(ctx)
    except PgError as exc:
        return errored(f"cannot run the {what} rules: {exc}", database=label(ctx.settings.database_url)).with_facts(
            database=True, reachable=False)
    mine = [o for o in outcomes if o.rule.category in categories]
    failing = [o for o in mine if o.error is None and o.offending]
    errors = [o for o in mine if o.error is not None]
    hidden = [o for o in mine if o.status == Status.ERROR and o.error is None]
    empty = [o for o in mine if o.scope in (SCOPE_EMPTY, SCOPE_FILTERED) and o.error is None and not o.offending]
    partial = [o for o in mine if o.error is None and o.scope == SCOPE_PARTIAL]
    status = worst([o.status for o in mine])
    tables = _hidden_tables(mine)
    connect = f"; {tables[0].how_to_connect()}" if tables else ""
    if failing:
        summary = f"{len(failing)} of {len(mine)} {what} rules fail: " + "; ".join(
            o.problem() for o in (failing + errors + hidden)[:4])
        if tables:
            summary += f" (row-level security hides rows of {', '.join(t.table for t in tables)} from "\
                       f"{tables[0].role}: more may fail)"
    elif errors or hidden:
        lead = (f"{len(hidden)} of {len(mine)} {what} rules saw 0 visible rows" if hidden and not errors
                else f"{len(errors) + len(hidden)} of {len(mine)} {what} rules could not run")
        summary = f"{lead}: " + "; ".join(o.problem() for o in (errors + hidden)[:3]) + connect
    elif empty:
        summary = (f"{len(empty)} of {len(mine)} {what} rules saw no rows, nothing to check: "
                   + "; ".join(o.problem() for o in empty[:3]))
    elif partial:
        summary = (f"all {len(mine)} {what} rules pass on the rows role {tables[0].role} can see "
                   f"({_where(mine)}), but row-level security hides the rest{connect}")
    else:
        summary = f"all {len(mine)} {what} rules pass on {_where(mine)}"
    evidence: dict[str, Any] = {evidence_key: [o.to_evidence() for o in mine], "database": label(ctx.settings.database_url)}
    if tables:
        evidence["row_level_security"] = [t.to_evidence() for t in tables]
        evidence["how_to_connect"] = tables[0].how_to_connect()
    result = CheckResult(status, summary, evidence).with_facts(
        rules=[o.to_fact() for o in mine], rls_hides_rows_of=[t.table for t in tables])
    for category in categories:
        name = TABLE_MEASUREMENTS.get(category)
        of_category = [o for o in mine if o.rule.category == category]
        if name and of_category:
            result.measurements[name] = _measurement(of_category)
    table_rules = [o for o in outcomes if o.rule.category in TABLE_MEASUREMENTS]
    if table_rules and any(c in TABLE_MEASUREMENTS for c in categories):
        overall = _measurement(table_rules)
        result.measurements["data.overall_pass_pct"] = Measurement(overall.value, overall.display.split(" — ")[0], "%")
    return result


@check("data.enums", "enum columns hold only their allowed values (checklist data rules, category enum)",
       params=PG_PARAMS)
def enums(ctx: CheckContext) -> CheckResult:
    return category_check(ctx, ("enum",), "enum", "enum_rules")


@check("data.required", "required columns have no NULLs (checklist data rules, category required)",
       params=PG_PARAMS)
def required(ctx: CheckContext) -> CheckResult:
    return category_check(ctx, ("required",), "required-field", "required_rules")


@check("data.ranges", "values within their ranges and formats (checklist data rules, range and format)",
       params=PG_PARAMS)
def ranges(ctx: CheckContext) -> CheckResult:
    return category_check(ctx, ("range", "format"), "range and format", "range_format_rules")


@check("data.test_data", "no test records (example/test emails, \"Test\" names) in the database",
       params=PG_PARAMS)
def test_data(ctx: CheckContext) -> CheckResult:
    return category_check(ctx, ("test_data",), "test-data", "test_data_rules")


# ---------------------------------------------------------------- 7.5

_FOREIGN_KEYS = """
SELECT con.conname::text, con.convalidated, cn.nspname::text, cl.relname::text, fn.nspname::text,
       fl.relname::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord),
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.ord),
       (SELECT array_agg(a.attname::text) FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
         WHERE i.indrelid = con.conrelid AND i.indisprimary),
       con.conrelid::oid, con.confrelid::oid
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = cl.relnamespace
JOIN pg_class fl ON fl.oid = con.confrelid JOIN pg_namespace fn ON fn.oid = fl.relnamespace
WHERE con.contype = 'f' AND cn.nspname = ANY(%s)
ORDER BY cn.nspname, cl.relname, con.conname
"""


@check("data.foreign_keys", "no orphaned rows for any foreign key found in the catalog",
       params={**PG_PARAMS, "schemas": Param(list[str], "schemas whose foreign keys are checked", ["public"])})
def foreign_keys(ctx: CheckContext) -> CheckResult:
    import psycopg
    from psycopg import sql

    schemas = ctx.param("schemas")
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        return errored("item param `schemas` must be a list of schema names").with_facts(bad_param="schemas")
    if not ctx.settings.database_url:
        return pending(f"{NO_DB}; foreign keys wait").with_facts(database=False)
    where = label(ctx.settings.database_url)
    found: list[dict[str, Any]] = []
    hidden: dict[str, TableAccess] = {}
    try:
        with ctx_session(ctx) as cur:
            cur.execute(_FOREIGN_KEYS, (schemas,))
            constraints = cur.fetchall()
            access: dict[int, TableAccess] = {}
            for name, validated, cschema, ctable, pschema, ptable, ccols, pcols, pk, coid, poid in constraints:
                for oid, table in ((coid, f"{cschema}.{ctable}"), (poid, f"{pschema}.{ptable}")):
                    if oid not in access:
                        access[oid] = table_access(cur, table, oid)
                        if access[oid].hidden:
                            hidden[table] = access[oid]
                child, parent = sql.Identifier(cschema, ctable), sql.Identifier(pschema, ptable)
                not_null = sql.SQL(" AND ").join(sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(c)) for c in ccols)
                join = sql.SQL(" AND ").join(
                    sql.SQL("p.{} = c.{}").format(sql.Identifier(p), sql.Identifier(c))
                    for c, p in zip(ccols, pcols, strict=True))
                orphan = sql.SQL("{nn} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {join})").format(
                    nn=not_null, parent=parent, join=join)
                entry: dict[str, Any] = {
                    "constraint": name, "child": f"{cschema}.{ctable}({', '.join(ccols)})",
                    "parent": f"{pschema}.{ptable}({', '.join(pcols)})", "validated": bool(validated)}
                try:
                    with cur.connection.transaction():
                        cur.execute(sql.SQL("SELECT count(*), count(*) FILTER (WHERE {o}) FROM {t} c").format(
                            o=orphan, t=child))
                        counted = cur.fetchone()
                        assert counted is not None  # an aggregate always returns one row
                        rows, orphans = counted
                        ids: list[str] = []
                        if orphans and pk and len(pk) == 1:
                            cur.execute(sql.SQL("SELECT c.{pk} FROM {t} c WHERE {o} ORDER BY 1 LIMIT {n}").format(
                                pk=sql.Identifier(pk[0]), t=child, o=orphan, n=sql.Literal(MAX_IDS)))
                            ids = [str(r[0]) for r in cur.fetchall()]
                    entry.update(rows=rows, orphans=orphans, ids=ids,
                                 percent=round(orphans / rows * 100, 1) if rows else 0.0)
                    child_access, parent_access = access[coid], access[poid]
                    if parent_access.hidden and orphans:
                        # A child whose parent row the policy hides looks orphaned: nothing is proved.
                        entry["error"] = (f"{orphans} rows look orphaned, but {parent_access.why()}: "
                                          "their parents may exist")
                    elif child_access.hidden and not rows:
                        entry["error"] = f"0 visible rows: {child_access.why()}"
                    elif child_access.hidden:
                        entry["partial"] = f"only the {rows} visible rows were checked: {child_access.why()}"
                except psycopg.errors.QueryCanceled:
                    entry["error"] = "cancelled by statement_timeout"
                except psycopg.Error as exc:
                    entry["error"] = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                found.append(entry)
    except PgError as exc:
        return errored(f"cannot check foreign keys: {exc}", database=where).with_facts(reachable=False)
    evidence: dict[str, Any] = {"database": where, "schemas": schemas, "foreign_keys": found}
    connect = ""
    if hidden:
        first = next(iter(hidden.values()))
        evidence["row_level_security"] = [a.to_evidence() for a in hidden.values()]
        evidence["how_to_connect"] = first.how_to_connect()
        connect = f"; {first.how_to_connect()}"
    broken = [f for f in found if f.get("orphans") and "error" not in f]
    errors = [f for f in found if "error" in f]
    partial = [f for f in found if "partial" in f]
    facts = {"foreign_keys": [{"constraint": f["constraint"], "orphans": bool(f.get("orphans")) and "error" not in f,
                               "checked": "error" not in f, "partial": "partial" in f} for f in found],
             "rls_hides_rows_of": sorted(hidden)}
    if not found:
        return CheckResult(Status.WARN, f"no foreign keys in schema {', '.join(schemas)}: nothing enforces the "
                                        "relations between tables", evidence).with_facts(**facts)
    if broken:
        total = sum(f["orphans"] for f in broken)
        parts = [f"{f['child']} → {f['parent']}: {f['orphans']} ({f['percent']:.1f} %)"
                 + ("" if f["validated"] else " [NOT VALID]") for f in broken[:4]]
        return CheckResult(Status.FAIL, f"{total} orphaned rows in {len(broken)} of {len(found)} foreign keys: "
                                        + "; ".join(parts), evidence).with_facts(**facts)
    if errors:
        return CheckResult(Status.ERROR, f"{len(errors)} of {len(found)} foreign keys could not be checked: "
                                         f"{errors[0]['constraint']}: {errors[0]['error']}{connect}",
                           evidence).with_facts(**facts)
    if partial:
        return CheckResult(Status.WARN, f"no orphaned rows among the visible rows of {len(found)} foreign keys, "
                                        f"but {partial[0]['partial']}{connect}", evidence).with_facts(**facts)
    return CheckResult(Status.PASS, f"no orphaned rows in any of {len(found)} foreign keys",
                       evidence).with_facts(**facts)
