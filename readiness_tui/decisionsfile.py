"""`readiness.decisions.toml`: people's decisions as code, committed with the project.

Confirmations, not-applicable items and waivers are what a person decided, and a pipeline in a
fresh checkout must see them as the wizard does, so they live in a reviewable file in the
project root rather than in the git-ignored run record. One table per item, in checklist order:

    ["3.7"]
    decision = "waived"
    by = "Ada Lovelace"
    at = 2026-01-15T09:45:00Z
    user_host = "ada@build-host"
    reason = "rate limits at the proxy"
    approver = "Grace Hopper"
    expires = 2026-06-30

Writing changes only the tables of the items whose decision changed, each edited with tomlkit,
so a reviewer's comments (above a table, inside it, at the end of a line) survive. Reading is
strict: a mistake is `FILE:LINE: what` (exit 2) and the file is never replaced or set aside.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from readiness_tui import fileio
from readiness_tui.errors import UsageError
from readiness_tui.neutral import one_line

FILE = "readiness.decisions.toml"
SCHEMA = 1
TYPES = ("confirmed", "not_applicable", "waived")
#: The keys of an item's table, in the order they are written.
KEYS = ("decision", "by", "at", "user_host", "note", "reason", "approver", "expires")
ID_RE = re.compile(r"^\d+\.\d+$")

HEADER = """\
# Decisions people made on readiness checklist items (readiness-tui).
# Commit this file: `readiness check` applies it in every checkout, so CI sees the same
# confirmations, not-applicable items and waivers as the wizard. `readiness confirm|na|waive`
# and the wizard write it; hand edits are fine (review them like code).
# One table per item: decision = "confirmed" (note), "not_applicable" (reason; an approver
# other than `by` on a critical item) or "waived" (reason, approver, expires = YYYY-MM-DD).
"""


@dataclass
class Decision:
    """A person's decision on an item: confirmed, not applicable, or waived."""

    type: str
    by: str
    at: str
    user_host: str
    note: str = ""
    reason: str = ""
    approver: str = ""
    expires: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v != "" or k in ("type", "by", "at", "user_host")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        keys = {"type", "by", "at", "user_host", "note", "reason", "approver", "expires"}
        return cls(**{k: str(v) for k, v in data.items() if k in keys})


def sort_key(item_id: str) -> tuple[Any, ...]:
    """Checklist order of item ids ("2.10" after "2.9")."""
    if ID_RE.match(item_id):
        section, number = item_id.split(".")
        return (0, int(section), int(number))
    return (1, item_id)


# ---- reading ---------------------------------------------------------------------------------


_HEADER_RE = re.compile(r"""^\s*\[(?!\[)\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_.\-]+))\s*\]\s*(?:#.*)?$""")


@dataclass
class _Header:
    index: int
    """0-based line index of `["1.5"]`."""
    key: str
    bare: bool


def _open_multiline(line: str, delimiter: str) -> str:
    """The multi-line string delimiter still open at the end of `line` ('' when none), given the one
    open at its start: a small TOML lexer of strings and comments, enough to tell headers from text."""
    i, n = 0, len(line)
    while i < n:
        if delimiter:
            if delimiter == '"""' and line[i] == "\\":
                i += 2
                continue
            if line.startswith(delimiter, i):
                i += 3
                while i < n and line[i] == delimiter[0]:  # up to two quotes may end the content
                    i += 1
                delimiter = ""
                continue
            i += 1
            continue
        ch = line[i]
        if ch == "#":
            break
        if line.startswith('"""', i) or line.startswith("'''", i):
            delimiter, i = line[i: i + 3], i + 3
            continue
        if ch in "\"'":
            i += 1
            while i < n and line[i] != ch:
                i += 2 if ch == '"' and line[i] == "\\" else 1
        i += 1
    return delimiter


def _scan(lines: list[str]) -> tuple[list[_Header], list[bool]]:
    """The table headers, and for each line whether it lies inside a multi-line string."""
    headers: list[_Header] = []
    inside: list[bool] = []
    delimiter = ""
    for index, line in enumerate(lines):
        inside.append(bool(delimiter))
        if not delimiter and (match := _HEADER_RE.match(line)):
            key = match.group(1) if match.group(1) is not None else match.group(2) or match.group(3) or ""
            headers.append(_Header(index, key, match.group(3) is not None))
            continue
        delimiter = _open_multiline(line, delimiter)
    return headers, inside


def _key_line(lines: list[str], start: int, key: str) -> int:
    """1-based line of `key = …` in the table whose header is at `start` (the header if absent)."""
    rx = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for index in range(start + 1, len(lines)):
        if _HEADER_RE.match(lines[index]):
            break
        if rx.match(lines[index]):
            return index + 1
    return start + 1


def _text(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return None


def parse(text: str, source: str) -> dict[str, Decision]:
    """The decisions of a decisions file's text (UsageError `SOURCE:LINE: what` on any mistake)."""
    data = fileio.parse_toml(text, source)  # FILE:LINE on a mistake; nesting bounded
    lines = text.split("\n")
    headers, _ = _scan(lines)
    for h in headers:
        if h.bare and "." in h.key:
            raise UsageError(f'{source}:{h.index + 1}: write the item id in quotes, ["{h.key}"] '
                             f"([{h.key}] would be a table inside a table)")
    where = {h.key: h.index for h in headers}

    def fail(key: str | None, field: str | None, message: str) -> UsageError:
        line = 1
        if key is not None and key in where:
            line = _key_line(lines, where[key], field) if field else where[key] + 1
        elif key is not None:
            rx = re.compile(rf"^\s*{re.escape(key)}\s*=")
            line = next((i + 1 for i, x in enumerate(lines) if rx.match(x)), 1)
        return UsageError(f"{source}:{line}: {one_line(message)}")  # a key may hold a line break

    schema = data.pop("schema", SCHEMA)
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise fail("schema", None, "`schema` must be a whole number")
    if schema > SCHEMA:
        raise fail("schema", None, f"written by a newer readiness-tui (schema {schema}, this one reads {SCHEMA}); upgrade")
    decisions: dict[str, Decision] = {}
    for key, table in data.items():
        if not isinstance(table, dict):
            raise fail(key, None, f"`{key}` is not an item table; write the item as a table, e.g. [\"1.5\"]")
        if not ID_RE.match(key):
            raise fail(key, None, f"{key!r} is not an item id (ids look like \"1.5\")")
        unknown = sorted(set(table) - set(KEYS))
        if unknown:
            raise fail(key, unknown[0], f"item {key}: unknown key `{unknown[0]}` (known: {', '.join(KEYS)})")
        values: dict[str, str] = {}
        for field in KEYS:
            if field not in table:
                continue
            value = _text(table[field])
            if value is None or (field not in ("at", "expires") and not isinstance(table[field], str)):
                raise fail(key, field, f"item {key}: `{field}` must be a string, not {table[field]!r}")
            values[field] = value.strip()
        kind = values.get("decision", "")
        if kind not in TYPES:
            raise fail(key, "decision" if "decision" in table else None,
                       f"item {key}: `decision` must be one of {', '.join(TYPES)}" + (f", not {kind!r}" if kind else ""))
        needed = {"confirmed": ("by", "at"), "not_applicable": ("by", "at", "reason"),
                  "waived": ("by", "at", "reason", "approver", "expires")}[kind]
        for field in needed:
            if not values.get(field):
                raise fail(key, field if field in table else None, f"item {key}: a {kind} decision needs `{field}`")
        if kind == "waived":
            try:
                date.fromisoformat(values["expires"])
            except ValueError:
                raise fail(key, "expires", f"item {key}: `expires` must be a date (YYYY-MM-DD), "
                                           f"not {values['expires']!r}") from None
        values.setdefault("user_host", "")
        decisions[key] = Decision(type=kind, **{k: v for k, v in values.items() if k != "decision"})
    return decisions


def read(path: Path) -> dict[str, Decision]:
    """The decisions in `path` ({} when there is no file)."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not the decisions file")
    try:
        raw = fileio.read_bytes(path, fileio.MAX_CONFIG, "the decisions file")  # bounded, never blocking
    except fileio.FileMissing:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UsageError(f"{path}:{line}: not valid UTF-8") from None
    return parse(text, str(path))


# ---- writing ---------------------------------------------------------------------------------


def _toml_value(field: str, value: str) -> Any:
    """Dates and times as TOML dates and times (when they read back identically), else strings."""
    if field == "at":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return parsed if parsed.isoformat() == value else value
    if field == "expires":
        try:
            parsed_date = date.fromisoformat(value)
        except ValueError:
            return value
        return parsed_date if parsed_date.isoformat() == value else value
    return value


def _fields(decision: Decision) -> dict[str, str]:
    values = {"decision": decision.type, "by": decision.by, "at": decision.at, "user_host": decision.user_host,
              "note": decision.note, "reason": decision.reason, "approver": decision.approver,
              "expires": decision.expires}
    return {k: v for k, v in values.items() if v}


def _quoted(item_id: str) -> str:
    return '"' + item_id.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _new_block(item_id: str, decision: Decision) -> list[str]:
    import tomlkit

    table = tomlkit.table()
    for field, value in _fields(decision).items():
        table[field] = _toml_value(field, value)
    doc = tomlkit.document()
    doc.add(item_id, table)
    text = tomlkit.dumps(doc)
    return ["", *text.rstrip("\n").split("\n")]


def _edit_block(block: list[str], item_id: str, decision: Decision) -> list[str]:
    """Set the keys of an existing table in place (comments kept; keys no longer used removed)."""
    import tomlkit

    doc = tomlkit.parse("\n".join(block) + "\n")
    table: Any = doc[item_id]
    values = _fields(decision)
    for field in KEYS:
        if field in values:
            if _text(table.get(field)) != values[field]:  # unchanged values keep their comments
                table[field] = _toml_value(field, values[field])
        elif field in table:
            del table[field]
    trailing = len(block) - len("\n".join(block).rstrip("\n").split("\n"))
    return [*tomlkit.dumps(doc).rstrip("\n").split("\n"), *[""] * trailing]


def _blocks(lines: list[str]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The preamble and each item's block: the comment lines right above its header, the header, its body."""
    headers, inside = _scan(lines)
    starts: list[tuple[int, int, str]] = []
    for h in headers:
        start = h.index
        while start > 0 and not inside[start - 1] and lines[start - 1].lstrip().startswith("#") and (
                not starts or start - 1 > starts[-1][1]):
            start -= 1
        starts.append((start, h.index, h.key))
    preamble = lines[: starts[0][0]] if starts else list(lines)
    blocks: list[tuple[str, list[str]]] = []
    for n, (start, _header, key) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        blocks.append((key, lines[start:end]))
    return preamble, blocks


def render(text: str | None, changes: dict[str, Decision | None]) -> str:
    """The file's new text: `text` (None: no file yet) with the given items set or (None) removed.

    Items are kept in the order they appear; a new item goes before the first item that sorts
    after it, so a file the tool wrote stays in checklist order.
    """
    blocks: list[tuple[str, list[str]]]
    if text is None:
        preamble, blocks = [*HEADER.rstrip("\n").split("\n"), "", f"schema = {SCHEMA}"], []
    else:
        preamble, blocks = _blocks(text.split("\n"))
    by_key = {key: n for n, (key, _) in enumerate(blocks)}
    for item_id in sorted(changes, key=sort_key):
        decision = changes[item_id]
        if item_id in by_key:
            n = by_key[item_id]
            if decision is None:
                blocks[n] = (item_id, [])
            else:
                blocks[n] = (item_id, _edit_block(blocks[n][1], item_id, decision))
        elif decision is not None:
            position = next((n for n, (key, _) in enumerate(blocks) if sort_key(key) > sort_key(item_id)), len(blocks))
            blocks.insert(position, (item_id, [*_new_block(item_id, decision), ""]))
            by_key = {key: n for n, (key, _) in enumerate(blocks)}
    lines = list(preamble)
    for _key, block in blocks:
        lines.extend(block)
    return "\n".join(_single_blank_lines(lines)).strip("\n") + "\n"


def _single_blank_lines(lines: list[str]) -> list[str]:
    """No run of blank lines longer than one (outside multi-line strings), as the tool writes them."""
    _, inside = _scan(lines)
    out: list[str] = []
    for line, in_string in zip(lines, inside, strict=True):
        if not in_string and not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return out


def write(path: Path, lock_path: Path, changes: dict[str, Decision | None], lock_timeout: float = 30.0) -> None:
    """Apply `changes` to the decisions file under its lock, atomically (re-read first: a hand edit
    made meanwhile to another item is kept). A malformed file is refused, never replaced."""
    from filelock import FileLock

    from readiness_tui.store import PRIVATE_FILE, atomic_write, private_dirs

    private_dirs(lock_path.parent)
    with FileLock(str(lock_path), timeout=lock_timeout, mode=PRIVATE_FILE):
        try:
            text: str | None = fileio.read_text(path, fileio.MAX_CONFIG, "the decisions file", strict=True)
        except fileio.FileMissing:
            text = None
        if text is not None:
            parse(text, str(path))
        new = render(text, changes)
        parse(new, str(path))  # what is written reads back, or nothing is written
        try:
            atomic_write(path, new.encode("utf-8"))
        except OSError as exc:
            raise UsageError(f"{path}: cannot write the decisions ({exc.strerror or exc})") from None
