"""Data-integrity checks (items 7.2–7.6) driven by the checklist's `[[data_rules]]`.

Every rule becomes one read-only query built with `psycopg.sql` (identifiers quoted, values as
literals): the count of rows that break it among the rows its `where` keeps, and up to five ids
of such rows (ids only, never names, emails or phones). The rules of a run are evaluated once and
shared by the items. Item 7.5 finds its foreign keys in the catalog instead.
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


@dataclass
class RuleOutcome:
    """What one rule found."""

    rule: DataRule
    rows: int = 0
    offending: int = 0
    ids: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def percent(self) -> float:
        return round(self.offending / self.rows * 100, 1) if self.rows else 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.offending == 0

    @property
    def status(self) -> Status:
        if self.error is not None:
            return Status.ERROR
        return Status.PASS if self.offending == 0 else Status.FAIL

    def problem(self) -> str:
        """`column: 10 NULL (8.8 %)`, or the error."""
        if self.error is not None:
            return f"{self.rule.column}: error ({self.error})"
        return f"{self.rule.column}: {self.rule.problem(self.offending)} ({self.percent:.1f} %)"

    def to_evidence(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"rule": self.rule.id, "table": self.rule.table, "column": self.rule.column}
        if self.error is not None:
            entry["error"] = self.error
        else:
            entry.update(rows=self.rows, offending=self.offending, percent=self.percent, ids=self.ids)
        if self.rule.where_text:
            entry["where"] = self.rule.where_text
        return entry


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


def _columns(cur: Any, table: str) -> set[str] | None:
    from psycopg import sql

    quoted = sql.Identifier(*table.split(".")).as_string(cur)
    cur.execute("SELECT to_regclass(%s)::oid", (quoted,))
    row = cur.fetchone()
    if not row or row[0] is None:
        return None
    cur.execute("SELECT attname::text FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped",
                (row[0],))
    return {r[0] for r in cur.fetchall()}


def _evaluate(cur: Any, rule: DataRule, columns: set[str] | None) -> RuleOutcome:
    import psycopg
    from psycopg import sql

    outcome = RuleOutcome(rule)
    if columns is None:
        outcome.error = f"table {rule.table} not found"
        return outcome
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
                tables: dict[str, set[str] | None] = {}
                rules = ctx.checklist.data_rules
                for index, rule in enumerate(rules):
                    if rule.table not in tables:
                        tables[rule.table] = _columns(cur, rule.table)
                    ctx.progress(index / len(rules), f"data rule {rule.id}")
                    outcomes.append(_evaluate(cur, rule, tables[rule.table]))
        except PgError as exc:
            ctx.shared[key] = exc
            raise
        ctx.shared[key] = outcomes
        return outcomes


def _pass_display(outcomes: list[RuleOutcome]) -> tuple[float, str]:
    passed = sum(1 for o in outcomes if o.ok)
    pct = round(passed / len(outcomes) * 100, 1)
    text = f"{pct:.1f}% ({passed}/{len(outcomes)})"
    problems = [o.problem() for o in outcomes if not o.ok]
    return pct, text + (f" — {'; '.join(problems)}" if problems else "")


def _where(outcomes: list[RuleOutcome]) -> str:
    scopes = []
    for o in outcomes:
        if o.error is None:
            scope = f"{o.rows} rows of {o.rule.table}" + (f" ({o.rule.where_text})" if o.rule.where_text else "")
            if scope not in scopes:
                scopes.append(scope)
    return ", ".join(scopes) or "no rows"


def category_check(ctx: CheckContext, categories: tuple[str, ...], what: str, evidence_key: str) -> CheckResult:
    """Run the rules of some categories and report them; adds the Data Integrity measurements."""
    chosen = [r for r in ctx.checklist.data_rules if r.category in categories]
    if not chosen:
        return not_applicable(f"the checklist has no {what} rules ([[data_rules]] with category "
                              f"{' or '.join(categories)})")
    if not ctx.settings.database_url:
        return pending(f"{NO_DB}; {len(chosen)} {what} rules wait", data_rules=[r.id for r in chosen])
    try:
        outcomes = evaluate_rules(ctx)
    except PgError as exc:
        return errored(f"cannot run the {what} rules: {exc}", database=label(ctx.settings.database_url))
    mine = [o for o in outcomes if o.rule.category in categories]
    bad = [o for o in mine if not o.ok]
    failing = [o for o in bad if o.error is None]
    status = worst([o.status for o in mine])
    if bad:
        lead = (f"{len(failing)} of {len(mine)} {what} rules fail" if failing
                else f"{len(bad)} of {len(mine)} {what} rules could not run")
        summary = f"{lead}: " + "; ".join(o.problem() for o in (failing + [o for o in bad if o.error])[:4])
    else:
        summary = f"all {len(mine)} {what} rules pass on {_where(mine)}"
    result = CheckResult(status, summary, {
        evidence_key: [o.to_evidence() for o in mine], "database": label(ctx.settings.database_url)})
    for category in categories:
        name = TABLE_MEASUREMENTS.get(category)
        of_category = [o for o in mine if o.rule.category == category]
        if name and of_category:
            result.measurements[name] = Measurement(*_pass_display(of_category), unit="%")
    table_rules = [o for o in outcomes if o.rule.category in TABLE_MEASUREMENTS]
    if table_rules and any(c in TABLE_MEASUREMENTS for c in categories):
        pct, text = _pass_display(table_rules)
        result.measurements["data.overall_pass_pct"] = Measurement(pct, text.split(" — ")[0], "%")
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
         WHERE i.indrelid = con.conrelid AND i.indisprimary)
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
        return errored("item param `schemas` must be a list of schema names")
    if not ctx.settings.database_url:
        return pending(f"{NO_DB}; foreign keys wait")
    where = label(ctx.settings.database_url)
    found: list[dict[str, Any]] = []
    try:
        with ctx_session(ctx) as cur:
            cur.execute(_FOREIGN_KEYS, (schemas,))
            constraints = cur.fetchall()
            for name, validated, cschema, ctable, pschema, ptable, ccols, pcols, pk in constraints:
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
                        rows, orphans = cur.fetchone()
                        ids: list[str] = []
                        if orphans and pk and len(pk) == 1:
                            cur.execute(sql.SQL("SELECT c.{pk} FROM {t} c WHERE {o} ORDER BY 1 LIMIT {n}").format(
                                pk=sql.Identifier(pk[0]), t=child, o=orphan, n=sql.Literal(MAX_IDS)))
                            ids = [str(r[0]) for r in cur.fetchall()]
                    entry.update(rows=rows, orphans=orphans, ids=ids,
                                 percent=round(orphans / rows * 100, 1) if rows else 0.0)
                except psycopg.errors.QueryCanceled:
                    entry["error"] = "cancelled by statement_timeout"
                except psycopg.Error as exc:
                    entry["error"] = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                found.append(entry)
    except PgError as exc:
        return errored(f"cannot check foreign keys: {exc}", database=where)
    evidence = {"database": where, "schemas": schemas, "foreign_keys": found}
    if not found:
        return CheckResult(Status.WARN, f"no foreign keys in schema {', '.join(schemas)}: nothing enforces the "
                                        "relations between tables", evidence)
    broken = [f for f in found if f.get("orphans")]
    errors = [f for f in found if "error" in f]
    if broken:
        total = sum(f["orphans"] for f in broken)
        parts = [f"{f['child']} → {f['parent']}: {f['orphans']} ({f['percent']:.1f} %)"
                 + ("" if f["validated"] else " [NOT VALID]") for f in broken[:4]]
        return CheckResult(Status.FAIL, f"{total} orphaned rows in {len(broken)} of {len(found)} foreign keys: "
                                        + "; ".join(parts), evidence)
    if errors:
        return CheckResult(Status.ERROR, f"{len(errors)} of {len(found)} foreign keys could not be checked: "
                                         f"{errors[0]['constraint']}: {errors[0]['error']}", evidence)
    return CheckResult(Status.PASS, f"no orphaned rows in any of {len(found)} foreign keys", evidence)
