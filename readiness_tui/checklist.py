"""The checklist model and its loader (the embedded default or a team's own TOML file)."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from readiness_tui import fileio
from readiness_tui.checkapi import item_problem
from readiness_tui.datarules import DataRule, parse_rules
from readiness_tui.errors import UsageError

KINDS = ("auto", "assisted", "manual")
OPS = ("<", "<=", ">", ">=", "==")
#: Types of the sign-off block's deployment fields (validated by `readiness_tui.signoff.field_value_for`).
FIELD_TYPES = ("date", "time", "yes/no", "person", "text")
EMBEDDED_NAME = "embedded default"


@dataclass(frozen=True)
class Item:
    """One checklist item (`"1.1"` .. `"10.10"` in the default)."""

    id: str
    section_id: int
    text: str
    kind: str
    critical: bool
    checks: tuple[str, ...]
    hint: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    applies_to: tuple[str, ...] = ()
    """What the item is about (`SUBJECTS`): when the project map shows none of them used and none is
    configured, a machine marks the item not applicable, with that evidence (docs/project-map.md)."""


#: What an item may be about (`applies_to`), as the project map and the target resolution know them.
SUBJECTS = ("backend", "database", "redis", "supabase", "pusher", "streamlit")


@dataclass(frozen=True)
class Section:
    """A numbered section with its items."""

    id: int
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Band:
    """A score band: a score at or above `min` falls in it (bands are ordered highest first)."""

    id: str
    min: float
    label: str


@dataclass(frozen=True)
class CriteriaRow:
    """One row of a success-criteria table, judged from a measurement a check reports."""

    metric: str
    target: str
    measurement: str
    op: str | None
    threshold: float | None


@dataclass(frozen=True)
class CriteriaTable:
    """A success-criteria table of the seed (performance, data integrity, availability)."""

    id: str
    title: str
    rows: tuple[CriteriaRow, ...]


@dataclass(frozen=True)
class Checklist:
    """A validated checklist."""

    name: str
    version: str
    sections: tuple[Section, ...]
    bands: tuple[Band, ...]
    roles: tuple[str, ...]
    deployment_fields: tuple[str, ...]
    criteria: tuple[CriteriaTable, ...]
    source: str
    digest: str
    raw: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    data_rules: tuple[DataRule, ...] = ()
    """Data-integrity rules (`[[data_rules]]`, items 7.2–7.6)."""
    deployment_types: tuple[tuple[str, str], ...] = ()
    """(name, type) of every deployment field; the type is one of FIELD_TYPES."""

    def field_type(self, name: str) -> str:
        """The type of a deployment field (`text` when the checklist gives none)."""
        return dict(self.deployment_types).get(name, "text")

    @property
    def items(self) -> list[Item]:
        """All items in order."""
        return [item for section in self.sections for item in section.items]

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError when there is none."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def section(self, section_id: int) -> Section:
        """The section with this number; KeyError when there is none."""
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def band_for(self, percent: float) -> Band:
        """The band a score falls in."""
        return band_for(self.bands, percent)


def band_for(bands: tuple[Band, ...] | list[Band], percent: float) -> Band:
    """The band a score falls in, of bands ordered highest first (`readiness verify` reads them from a report)."""
    for band in bands:
        if percent >= band.min:
            return band
    return bands[-1]


class _Locator:
    """Finds the line of a TOML table or key, so a mistake can be reported as FILE:LINE."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._ids: dict[str, int] | None = None

    def find(self, pattern: str, start: int = 1) -> int:
        rx = re.compile(pattern)
        for number in range(max(start, 1), len(self.lines) + 1):
            if rx.search(self.lines[number - 1]):
                return number
        return start if start > 1 else 1

    def item_line(self, item_id: str) -> int:
        # One scan for all ids: looking each item up separately made loading quadratic.
        if self._ids is None:
            rx = re.compile(r'^\s*id\s*=\s*"([^"]*)"')
            self._ids = {}
            for number, line in enumerate(self.lines, start=1):
                if match := rx.search(line):
                    self._ids.setdefault(match.group(1), number)
        return self._ids.get(item_id, 1)

    def key_after(self, key: str, start: int) -> int:
        return self.find(rf"^\s*{re.escape(key)}\s*=", start)


def load_checklist(path: str | Path | None = None) -> Checklist:
    """Load and validate a checklist; `None` loads the embedded default.

    Raises UsageError("FILE:LINE: what is wrong") for any mistake.
    """
    if path is None:
        data = resources.files("readiness_tui").joinpath("data/checklist.toml").read_bytes()
        source = EMBEDDED_NAME
    else:
        p = Path(path)
        try:
            data = fileio.read_bytes(p, fileio.MAX_CHECKLIST, "a checklist")
        except fileio.FileMissing:
            raise UsageError(f"{p}: checklist file not found") from None
        source = str(p)
    return parse_checklist(data, source)


def parse_checklist(data: bytes, source: str) -> Checklist:
    """Parse and validate checklist bytes; `source` names the file in messages."""
    raw = fileio.parse_toml(data, source)
    return _validate(raw, data.decode("utf-8"), source, hashlib.sha256(data).hexdigest())


def validate_checklist(raw: dict[str, Any], text: str, source: str) -> Checklist:
    """Validate a parsed checklist (`text` is its TOML, for line numbers in messages)."""
    return _validate(raw, text, source, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _validate(raw: dict[str, Any], text: str, source: str, digest: str) -> Checklist:
    loc = _Locator(text)

    def fail(line: int, message: str) -> UsageError:
        return UsageError(f"{source}:{line}: {message}")

    if raw.get("schema") != 1:
        raise fail(loc.find(r"^\s*schema\s*="), "`schema` must be 1")
    for key in ("name", "version"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise fail(loc.find(rf"^\s*{key}\s*="), f"`{key}` must be a non-empty string")

    bands = _bands(raw.get("bands"), loc, fail)
    roles, fields_ = _signoff(raw.get("signoff"), loc, fail)

    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise fail(1, "no [[sections]]: a checklist needs at least one section")
    sections: list[Section] = []
    seen: set[str] = set()
    line = 1
    for s_index, sec in enumerate(sections_raw, start=1):
        line = loc.find(r"^\s*\[\[sections\]\]", line + 1 if s_index > 1 else 1)
        if not isinstance(sec, dict):
            raise fail(line, f"section {s_index} must be a table ([[sections]]), not {_shape(sec)}")
        if sec.get("id") != s_index:
            raise fail(line, f"section {s_index}: `id` must be {s_index} (sections are numbered in order)")
        title = sec.get("title")
        if not isinstance(title, str) or not title.strip():
            raise fail(line, f"section {s_index}: `title` must be a non-empty string")
        items_raw = sec.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            raise fail(line, f"section {s_index}: has no [[sections.items]]")
        items = []
        for i_index, it in enumerate(items_raw, start=1):
            expected = f"{s_index}.{i_index}"
            if not isinstance(it, dict):
                raise fail(line, f"section {s_index}: item {i_index} must be a table ([[sections.items]]), "
                                 f"not {_shape(it)}")
            item_id = it.get("id")
            iline = loc.item_line(str(item_id)) if isinstance(item_id, str) else line
            if item_id is not None and not isinstance(item_id, str):
                # `id = 1.1` is a TOML float: "expected "1.1"" alone would read like nonsense.
                raise fail(iline, f"item {item_id!r}: `id` must be a quoted string, e.g. id = \"{expected}\"")
            if item_id != expected:
                where = f"item {item_id!r}" if item_id is not None else "an item without `id`"
                raise fail(iline, f"{where}: expected id \"{expected}\" (ids are <section>.<n> in order)")
            if item_id in seen:
                raise fail(iline, f"item {item_id}: duplicate id")
            seen.add(item_id)
            items.append(_item(it, s_index, iline, loc, fail))
        sections.append(Section(s_index, title.strip(), tuple(items)))

    criteria = _criteria(raw.get("criteria", []), loc, fail)
    data_rules = parse_rules(raw.get("data_rules"), loc.find, fail)
    name = raw["name"].strip()
    return Checklist(
        name=name,
        version=raw["version"].strip(),
        sections=tuple(sections),
        bands=bands,
        roles=roles,
        deployment_fields=tuple(name for name, _ in fields_),
        deployment_types=tuple(fields_),
        criteria=criteria,
        source=source,
        digest=digest,
        raw=raw,
        data_rules=data_rules,
    )


def _item(it: dict[str, Any], section_id: int, line: int, loc: _Locator, fail: Any) -> Item:
    item_id = it["id"]
    text = it.get("text")
    if not isinstance(text, str) or not text.strip():
        raise fail(loc.key_after("text", line), f"item {item_id}: `text` must be a non-empty string")
    kind = it.get("kind")
    if kind not in KINDS:
        raise fail(loc.key_after("kind", line), f"item {item_id}: `kind` must be one of {', '.join(KINDS)}, not {kind!r}")
    critical = it.get("critical", False)
    if not isinstance(critical, bool):
        raise fail(loc.key_after("critical", line), f"item {item_id}: `critical` must be true or false")
    checks = it.get("checks", [])
    if not isinstance(checks, list) or not all(isinstance(c, str) and c for c in checks):
        raise fail(loc.key_after("checks", line), f"item {item_id}: `checks` must be a list of check names")
    hint = it.get("hint", "")
    if not isinstance(hint, str):
        raise fail(loc.key_after("hint", line), f"item {item_id}: `hint` must be a string")
    params = it.get("params", {})
    if not isinstance(params, dict):
        raise fail(loc.key_after("params", line), f"item {item_id}: `params` must be a table")
    applies_to = it.get("applies_to", [])
    if not isinstance(applies_to, list) or not all(isinstance(a, str) and a in SUBJECTS for a in applies_to):
        raise fail(loc.key_after("applies_to", line),
                   f"item {item_id}: `applies_to` must be a list of {', '.join(SUBJECTS)}")
    unknown = set(it) - {"id", "text", "kind", "critical", "checks", "hint", "params", "applies_to"}
    if unknown:
        key = sorted(unknown)[0]
        raise fail(loc.key_after(key, line), f"item {item_id}: unknown key `{key}`")
    problem = item_problem(item_id, checks, params)
    if problem is not None:
        key, message = problem
        raise fail(loc.key_after(key, line), message)
    return Item(item_id, section_id, text.strip(), kind, critical, tuple(checks), hint.strip(), params,
                tuple(applies_to))


def _bands(raw: Any, loc: _Locator, fail: Any) -> tuple[Band, ...]:
    line = loc.find(r"^\s*\[\[bands\]\]")
    if not isinstance(raw, list) or not raw:
        raise fail(1, "no [[bands]]: a checklist needs score bands")
    bands = []
    for band in raw:
        if not isinstance(band, dict) or not isinstance(band.get("id"), str) \
                or not isinstance(band.get("min"), int | float):
            raise fail(line, "each [[bands]] needs a string `id` and a number `min`")
        if isinstance(band["min"], bool) or not math.isfinite(band["min"]):
            raise fail(line, f"[[bands]] {band['id']}: `min` must be a finite number")
        bands.append(Band(band["id"], float(band["min"]), str(band.get("label", band["id"]))))
    mins = [b.min for b in bands]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        raise fail(line, "[[bands]] must be ordered from the highest `min` down, without repeats")
    if bands[-1].min != 0:
        raise fail(line, "the last band must have `min = 0` so every score has a band")
    return tuple(bands)


def _signoff(raw: Any, loc: _Locator, fail: Any) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    line = loc.find(r"^\s*\[signoff\]")
    if not isinstance(raw, dict):
        raise fail(1, "no [signoff] table with `roles`")
    roles = raw.get("roles")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) and r for r in roles):
        raise fail(line, "[signoff] `roles` must be a non-empty list of names")
    raw_fields = raw.get("deployment_fields", [])
    if not isinstance(raw_fields, list):
        raise fail(line, "[signoff] `deployment_fields` must be a list of names or {name, type} tables")
    fields_: list[tuple[str, str]] = []
    for entry in raw_fields:
        name, kind = (entry, "text") if isinstance(entry, str) else (
            (entry.get("name"), entry.get("type", "text")) if isinstance(entry, dict) else (None, None))
        if not isinstance(name, str) or not name.strip():
            raise fail(line, "[signoff] `deployment_fields`: each is a name or a {name, type} table with a name")
        if kind not in FIELD_TYPES:
            raise fail(line, f"[signoff] deployment field {name!r}: type must be one of {', '.join(FIELD_TYPES)}, "
                             f"not {kind!r}")
        fields_.append((name.strip(), str(kind)))
    return tuple(roles), tuple(fields_)


def _criteria(raw: Any, loc: _Locator, fail: Any) -> tuple[CriteriaTable, ...]:
    if not isinstance(raw, list):
        raise fail(loc.find(r"criteria"), "`criteria` must be an array of tables ([[criteria]])")
    tables = []
    line = 1
    for table in raw:
        line = loc.find(r"^\s*\[\[criteria\]\]", line + 1)
        if not isinstance(table, dict) or not isinstance(table.get("id"), str) or not isinstance(table.get("title"), str):
            raise fail(line, "each [[criteria]] needs a string `id` and `title`")
        rows = []
        rows_raw = table.get("rows", [])
        if not isinstance(rows_raw, list) or not all(isinstance(r, dict) for r in rows_raw):
            raise fail(line, f"criteria {table['id']}: `rows` must be an array of tables ([[criteria.rows]])")
        for row in rows_raw:
            for key in ("metric", "target", "measurement"):
                if not isinstance(row.get(key), str):
                    raise fail(line, f"criteria {table['id']}: each row needs a string `{key}`")
            op = row.get("op")
            if op is not None and op not in OPS:
                raise fail(loc.key_after("op", line), f"criteria {table['id']}: `op` must be one of {' '.join(OPS)}")
            threshold = row.get("threshold")
            if threshold is not None and (not isinstance(threshold, int | float) or isinstance(threshold, bool)
                                          or not math.isfinite(threshold)):
                raise fail(loc.key_after("threshold", line), f"criteria {table['id']}: `threshold` must be a number")
            rows.append(
                CriteriaRow(row["metric"], row["target"], row["measurement"], op,
                            float(threshold) if threshold is not None else None)
            )
        tables.append(CriteriaTable(table["id"], table["title"], tuple(rows)))
    return tuple(tables)


def _shape(value: Any) -> str:
    """A value's TOML kind for a message (`a string`, `an array`, …)."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


def select_items(checklist: Checklist, only: str | None, skip: str | None) -> list[Item]:
    """Items chosen by `--only` / `--skip` (comma-separated item ids or section numbers)."""

    def parse(spec: str, flag: str) -> set[str]:
        chosen: set[str] = set()
        for token in (t.strip() for t in spec.split(",")):
            if not token:
                continue
            if re.fullmatch(r"\d+", token):
                try:
                    chosen.update(i.id for i in checklist.section(int(token)).items)
                except KeyError:
                    raise UsageError(f"{flag}: there is no section {token}") from None
            else:
                try:
                    chosen.add(checklist.item(token).id)
                except KeyError:
                    raise UsageError(f"{flag}: there is no item {token!r}") from None
        return chosen

    items = checklist.items
    if only:
        keep = parse(only, "--only")
        items = [i for i in items if i.id in keep]
    if skip:
        drop = parse(skip, "--skip")
        items = [i for i in items if i.id not in drop]
    return items
