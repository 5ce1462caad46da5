"""Recording sign-offs and deployment fields in the run record, bound to the report's digest.

What a sign-off approves and how its state is judged is `readiness_tui.attestation` (docs/signoff.md);
this module takes the run record's side: it builds the report data of the run, records a sign-off or
a deployment field under the record's lock, and reports each one's state. Deployment fields are
typed (date, time, yes/no, person, text) and checked here, for the CLI and the wizard alike.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from readiness_tui.attestation import (
    DIGEST_VERSION,
    all_states,
    digest,
    item_hashes,
    principal_for,
    seal,
    signing_message,
    ssh_sign,
)
from readiness_tui.errors import UsageError
from readiness_tui.identity import required, user_host
from readiness_tui.model import now_iso
from readiness_tui.neutral import one_line
from readiness_tui.reports import build_report, to_json_data
from readiness_tui.store import RunRecord
from readiness_tui.target import Target

MAX_NAME = 120
MAX_TEXT = 300
_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?: ?(?:UTC|Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d))?")
_YES = {"yes": "yes", "y": "yes", "true": "yes", "no": "no", "n": "no", "false": "no"}


def report_data(target: Target, record: RunRecord) -> dict[str, Any]:
    """The redacted JSON report data of the whole run, as `readiness report --format json` has it."""
    return target.redactor.data(to_json_data(build_report(target.checklist, record, target.project)))


def signoff_states(target: Target, record: RunRecord) -> list[dict[str, Any]]:
    """Each sign-off with `state` valid / stale / invalid and the `reason` (plus role, name, at, user_host, ...)."""
    states, _ = all_states(record.signoffs, {}, report_data(target, record))
    return states


def deployment_states(target: Target, record: RunRecord) -> list[dict[str, Any]]:
    """Each recorded deployment field with its value, who set it, and its state."""
    _, states = all_states([], record.deployment, report_data(target, record))
    return states


def would_stale(target: Target, record: RunRecord) -> list[str]:
    """`Role (name)` of every sign-off now valid: what a change of any verdict or decision makes stale."""
    return [f"{s['role']} ({s['name']})" for s in signoff_states(target, record) if s["state"] == "valid"]


# -- values ----------------------------------------------------------------------------------------

def person(value: str | None, what: str) -> str:
    """A person's name as typed: required, one line, printable, at most MAX_NAME characters."""
    name = required(value, what)
    if not name.isprintable():
        raise UsageError(f"{what}: a name is one line of printable text, not {one_line(repr(name), 80)}")
    if len(name) > MAX_NAME:
        raise UsageError(f"{what}: at most {MAX_NAME} characters, not {len(name)}")
    if not any(ch.isalnum() for ch in name):
        raise UsageError(f"{what}: a name needs at least one letter or digit, not {one_line(repr(name), 80)}")
    return name


def field_value_for(kind: str, value: str | None, field: str) -> str:
    """A deployment field's value checked against its type and normalised (`Y` → `yes`).

    UsageError says what the type expects: `date` YYYY-MM-DD, `time` HH:MM or HH:MM:SS with an
    optional UTC / Z / ±HH:MM, `yes/no`, `person` a name, `text` one line.
    """
    text = required(value, f"a value for {field}")
    if kind == "date":
        try:
            if len(text) != 10:
                raise ValueError(text)
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise UsageError(f"{field} is a date: YYYY-MM-DD, not {one_line(repr(text), 60)}") from None
    if kind == "time":
        if not _TIME.fullmatch(text):
            raise UsageError(f"{field} is a time: HH:MM or HH:MM:SS, optionally followed by UTC, Z or ±HH:MM "
                             f"(e.g. 14:05 UTC), not {one_line(repr(text), 60)}")
        return text
    if kind == "yes/no":
        answer = _YES.get(text.casefold())
        if answer is None:
            raise UsageError(f"{field} is yes or no, not {one_line(repr(text), 60)}")
        return answer
    if kind == "person":
        return person(text, field)
    if not text.isprintable() or len(text) > MAX_TEXT:
        raise UsageError(f"{field}: one line of printable text, at most {MAX_TEXT} characters")
    return text


# -- recording -----------------------------------------------------------------------------------

def _role(target: Target, role: str) -> str:
    wanted = (role or "").strip()
    for known in target.checklist.roles:
        if known.casefold() == wanted.casefold():
            return known
    raise UsageError(f"unknown role {one_line(repr(role), 80)} "
                     f"(the checklist's roles: {', '.join(target.checklist.roles)})")


def _entry_basics(target: Target, record: RunRecord) -> tuple[dict[str, Any], dict[str, str]]:
    data = report_data(target, record)
    return {"at": now_iso(), "user_host": user_host(), "digest": digest(data),
            "digest_version": DIGEST_VERSION}, item_hashes(data)


def sign(target: Target, role: str, name: str, *, override: str | None = None,
         ssh_key: str | Path | None = None, passphrase: str | None = None,
         interactive: bool = True) -> dict[str, Any]:
    """Record a sign-off of the current results and decisions; return the entry kept in the record.

    Below the checklist's top band (`ready`) a non-empty `override` reason is required and kept.
    With `ssh_key` the entry is signed with `ssh-keygen -Y sign` (principal: `name`; see
    `attestation.ssh_sign` for `passphrase` and `interactive`). Concurrent sign-offs are all kept
    (the record is updated under its lock).
    """
    role = _role(target, role)
    name = person(name, "a name (--name)")
    override = (override or "").strip()
    if override and not override.isprintable():
        raise UsageError("--override: the reason is one line of printable text")
    principal = principal_for(name) if ssh_key is not None else ""
    top = target.checklist.bands[0]

    def build(record: RunRecord) -> dict[str, Any]:
        score = build_report(target.checklist, record, target.project).score
        if score.band != top.id and not override:
            raise UsageError(
                f"the score is {score.percent:.1f}% ({score.band}), below the `{top.id}` band ({top.min:g}%): "
                f"signing anyway needs --override REASON, which is recorded with the sign-off"
            )
        basics, hashes = _entry_basics(target, record)
        entry: dict[str, Any] = {"role": role, "name": name, **basics, "score": score.percent, "band": score.band}
        if override:
            entry["override"] = override
        entry["seal"] = seal(entry, "signoff")
        entry["items"] = hashes
        return entry

    if ssh_key is None:
        def add(record: RunRecord) -> dict[str, Any]:
            entry = build(record)
            record.signoffs.append(entry)
            return entry

        return target.store.update(add)[0]

    # Sign outside the lock (ssh-keygen may wait for a passphrase), then check nothing changed.
    entry = build(target.store.load())
    entry["signature"] = ssh_sign(ssh_key, signing_message(entry, "signoff"), principal,
                                  passphrase=passphrase, interactive=interactive)

    def add_signed(record: RunRecord) -> dict[str, Any]:
        if digest(report_data(target, record)) != entry["digest"]:
            raise UsageError("the run record changed while signing; sign again")
        record.signoffs.append(entry)
        return entry

    return target.store.update(add_signed)[0]


def deployment_field(target: Target, field: str) -> str:
    """The checklist's name of a deployment field (case-insensitive); UsageError for an unknown one."""
    wanted = (field or "").strip()
    fields = target.checklist.deployment_fields
    match = next((f for f in fields if f.casefold() == wanted.casefold()), None)
    if match is None:
        raise UsageError(f"unknown deployment field {one_line(repr(field), 80)} "
                         f"(the checklist's fields: {', '.join(fields)})")
    return match


def set_deployment_field(target: Target, field: str, value: str, by: str, *,
                         ssh_key: str | Path | None = None, passphrase: str | None = None,
                         interactive: bool = True) -> dict[str, Any]:
    """Record a deployment field (date, deployed by, ...) with who, when, from where and the digest.

    The value is checked against the field's type (`field_value_for`); a new value replaces the
    shown one and earlier values are kept under `previous`. Returns the entry recorded.
    """
    match = deployment_field(target, field)
    kind = target.checklist.field_type(match)
    value = field_value_for(kind, value, match)
    by = person(by, "who records it (--by)")
    principal = principal_for(by) if ssh_key is not None else ""

    def build(record: RunRecord) -> dict[str, Any]:
        basics, hashes = _entry_basics(target, record)
        entry = {"field": match, "type": kind, "value": value, "by": by, **basics}
        entry["seal"] = seal(entry, "deployment")
        entry["items"] = hashes
        return entry

    signed: dict[str, Any] | None = None
    if ssh_key is not None:
        signed = build(target.store.load())
        signed["signature"] = ssh_sign(ssh_key, signing_message(signed, "deployment"), principal,
                                       passphrase=passphrase, interactive=interactive)

    def put(record: RunRecord) -> dict[str, Any]:
        entry = signed if signed is not None else build(record)
        if signed is not None and digest(report_data(target, record)) != signed["digest"]:
            raise UsageError("the run record changed while signing; run the command again")
        old = record.deployment.get(match)
        previous = []
        if isinstance(old, dict):
            previous = list(old.get("previous") or [])
            previous.append({k: v for k, v in old.items() if k not in ("previous", "items")})
        elif old is not None:
            previous.append({"value": old})
        if previous:
            entry["previous"] = previous
        record.deployment[match] = entry
        return entry

    return target.store.update(put)[0]


def field_value(record: RunRecord, field: str) -> tuple[str, str]:
    """A deployment field's value and who recorded it."""
    raw = record.deployment.get(field)
    if isinstance(raw, dict):
        return str(raw.get("value", "")), str(raw.get("by", ""))
    return ("" if raw is None else str(raw)), ""
