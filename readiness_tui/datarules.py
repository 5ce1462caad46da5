"""Data-integrity rules (items 7.2–7.6) as data: the `[[data_rules]]` array of a checklist file.

A rule names a table, a column, a category and its parameters; the checks turn it into SQL with
`psycopg.sql` (identifiers quoted, values as literals), so a rule can never inject SQL. The
soft-delete filter `where` is parsed here into simple conditions (`col = value`, `col IS [NOT]
NULL`, joined by AND) for the same reason. No database access in this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from readiness_tui.errors import UsageError

CATEGORIES = ("enum", "required", "range", "format", "test_data")
"""Rule categories; the first four make up the seed's Data Integrity table."""

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")

_KEYS = {
    "id", "category", "table", "column", "where", "id_column", "values", "min", "max", "not_future",
    "pattern", "regex", "patterns", "description",
}
_PARAMS = {
    "enum": {"values"},
    "required": set(),
    "range": {"min", "max", "not_future"},
    "format": {"pattern", "regex"},
    "test_data": {"patterns"},
}
_LITERAL = r"(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false|null)"
_COND = re.compile(
    rf"^\s*(?P<col>{IDENT.pattern})\s*(?:(?P<op>=|<>|!=)\s*(?P<value>{_LITERAL})|"
    r"(?P<is>is\s+(?:not\s+)?)(?P<isvalue>null|true|false))\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Condition:
    """One condition of a rule's `where`: `column op value` (op: =, <>, IS, IS NOT)."""

    column: str
    op: str
    value: Any


@dataclass(frozen=True)
class DataRule:
    """One data-integrity rule on one column."""

    id: str
    category: str
    table: str
    column: str
    where: tuple[Condition, ...] = ()
    where_text: str = ""
    id_column: str = "id"
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    not_future: bool = False
    pattern: str | None = None
    regex: str | None = None
    patterns: tuple[str, ...] = ()
    description: str = ""
    line: int = 0

    def problem(self, count: int) -> str:
        """How `count` offending rows read in a summary, e.g. "10 NULL", "4 in the future"."""
        if self.category == "required":
            return f"{count} NULL"
        if self.category == "enum":
            return f"{count} not in ({', '.join(self.values)})" if len(self.values) <= 4 else f"{count} not allowed"
        if self.category == "range":
            parts = []
            if self.min is not None and self.max is not None:
                parts.append(f"outside {self.min:g}–{self.max:g}")
            elif self.min is not None:
                parts.append(f"below {self.min:g}")
            elif self.max is not None:
                parts.append(f"above {self.max:g}")
            if self.not_future:
                parts.append("in the future")
            return f"{count} {' or '.join(parts)}"
        if self.category == "format":
            return f"{count} not matching {self.pattern or '/' + str(self.regex) + '/'}"
        return f"{count} look like test data"


def parse_where(text: str) -> tuple[Condition, ...]:
    """Parse a soft-delete filter like `is_deleted = false AND deleted_at IS NULL`.

    Raises ValueError with the part that is not understood.
    """
    if not text.strip():
        return ()
    conditions = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        m = _COND.match(part)
        if not m:
            raise ValueError(f"cannot read {part.strip()!r} (use `column = value` or `column IS [NOT] NULL`, "
                             "joined by AND)")
        if m["is"]:
            op = "IS NOT" if "not" in m["is"].lower() else "IS"
            conditions.append(Condition(m["col"], op, _literal(m["isvalue"])))
        else:
            conditions.append(Condition(m["col"], "<>" if m["op"] == "!=" else m["op"], _literal(m["value"])))
    return tuple(conditions)


def _literal(token: str) -> Any:
    low = token.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    return float(token) if "." in token else int(token)


def parse_rules(raw: Any, find_line: Callable[[str, int], int], fail: Callable[[int, str], UsageError]
                ) -> tuple[DataRule, ...]:
    """Validate the `[[data_rules]]` array of a checklist; `fail(line, message)` builds the error."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise fail(find_line(r"data_rules", 1), "`data_rules` must be an array of tables ([[data_rules]])")
    rules: list[DataRule] = []
    seen: set[str] = set()
    line = 0
    for rule in raw:
        line = find_line(r"^\s*\[\[data_rules\]\]", line + 1)

        def at(key: str, line: int = line) -> int:
            return find_line(rf"^\s*{re.escape(key)}\s*=", line)

        rid = rule.get("id")
        if not isinstance(rid, str) or not rid.strip():
            raise fail(line, "each [[data_rules]] needs a string `id`")
        if rid in seen:
            raise fail(at("id"), f"data rule {rid}: duplicate id")
        seen.add(rid)
        unknown = sorted(set(rule) - _KEYS)
        if unknown:
            raise fail(at(unknown[0]), f"data rule {rid}: unknown key `{unknown[0]}`")
        category = rule.get("category")
        if category not in CATEGORIES:
            raise fail(at("category"), f"data rule {rid}: `category` must be one of {', '.join(CATEGORIES)}, "
                                       f"not {category!r}")
        for key in ("table", "column", "id_column"):
            value = rule.get(key, "id" if key == "id_column" else None)
            parts = value.split(".") if isinstance(value, str) else []
            limit = 2 if key == "table" else 1
            if not parts or len(parts) > limit or not all(IDENT.fullmatch(p) for p in parts):
                raise fail(at(key), f"data rule {rid}: `{key}` must be a plain SQL identifier"
                                    f"{' (optionally schema.table)' if key == 'table' else ''}, not {value!r}")
        extra = sorted(set(rule) & (set().union(*_PARAMS.values()) - _PARAMS[category]))
        if extra:
            raise fail(at(extra[0]), f"data rule {rid}: `{extra[0]}` does not apply to category {category}")
        where_text = rule.get("where", "")
        if not isinstance(where_text, str):
            raise fail(at("where"), f"data rule {rid}: `where` must be a string")
        try:
            where = parse_where(where_text)
        except ValueError as exc:
            raise fail(at("where"), f"data rule {rid}: `where`: {exc}") from None
        kwargs: dict[str, Any] = {}
        if category in ("enum", "test_data"):
            key = "values" if category == "enum" else "patterns"
            values = rule.get(key)
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                raise fail(at(key), f"data rule {rid}: `{key}` must be a non-empty list of strings")
            kwargs[key] = tuple(values)
        if category == "range":
            for key in ("min", "max"):
                if key in rule and (not isinstance(rule[key], int | float) or isinstance(rule[key], bool)):
                    raise fail(at(key), f"data rule {rid}: `{key}` must be a number")
                kwargs[key] = float(rule[key]) if key in rule else None
            if not isinstance(rule.get("not_future", False), bool):
                raise fail(at("not_future"), f"data rule {rid}: `not_future` must be true or false")
            kwargs["not_future"] = rule.get("not_future", False)
            if kwargs["min"] is None and kwargs["max"] is None and not kwargs["not_future"]:
                raise fail(line, f"data rule {rid}: a range rule needs `min`, `max` or `not_future = true`")
            if kwargs["min"] is not None and kwargs["max"] is not None and kwargs["min"] > kwargs["max"]:
                raise fail(at("min"), f"data rule {rid}: `min` is greater than `max`")
        if category == "format":
            given = [k for k in ("pattern", "regex") if k in rule]
            if len(given) != 1 or not isinstance(rule[given[0]], str) or not rule[given[0]]:
                raise fail(line, f"data rule {rid}: a format rule needs exactly one of `pattern` (SQL LIKE) "
                                 "or `regex` (POSIX), as a non-empty string")
            if given[0] == "regex":
                try:
                    re.compile(rule["regex"])
                except re.error as exc:
                    raise fail(at("regex"), f"data rule {rid}: `regex` is not a valid expression ({exc})") from None
            kwargs[given[0]] = rule[given[0]]
        description = rule.get("description", "")
        if not isinstance(description, str):
            raise fail(at("description"), f"data rule {rid}: `description` must be a string")
        rules.append(DataRule(
            id=rid, category=category, table=rule["table"], column=rule["column"], where=where,
            where_text=where_text.strip(), id_column=rule.get("id_column", "id"), description=description,
            line=line, **kwargs,
        ))
    return tuple(rules)
