"""Recording sign-offs and deployment fields in the run record, bound to the report's digest.

What a sign-off approves and how its state is judged is `readiness_tui.attestation` (docs/signoff.md);
this module takes the run record's side: it builds the report data of the run, records a sign-off or
a deployment field under the record's lock, and reports each one's state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from readiness_tui.attestation import (
    DIGEST_VERSION,
    all_states,
    digest,
    item_hashes,
    principal_for,
    signing_message,
    ssh_sign,
)
from readiness_tui.errors import UsageError
from readiness_tui.identity import required, user_host
from readiness_tui.model import now_iso
from readiness_tui.reports import build_report, to_json_data
from readiness_tui.store import RunRecord
from readiness_tui.target import Target


def report_data(target: Target, record: RunRecord) -> dict[str, Any]:
    """The redacted JSON report data of the whole run, as `readiness report --format json` has it."""
    return target.redactor.data(to_json_data(build_report(target.checklist, record, target.project)))


def signoff_states(target: Target, record: RunRecord) -> list[dict[str, Any]]:
    """Each sign-off with `state` valid / stale / invalid and the `reason` (plus role, name, at, user_host, ...)."""
    data = report_data(target, record)
    states, _ = all_states(record.signoffs, {}, digest(data), item_hashes(data), None, None, False)
    return states


def deployment_states(target: Target, record: RunRecord) -> list[dict[str, Any]]:
    """Each recorded deployment field with its value, who set it, and its state."""
    data = report_data(target, record)
    _, states = all_states([], record.deployment, digest(data), item_hashes(data), None, None, False)
    return states


# -- recording -----------------------------------------------------------------------------------

def _role(target: Target, role: str) -> str:
    wanted = (role or "").strip()
    for known in target.checklist.roles:
        if known.casefold() == wanted.casefold():
            return known
    raise UsageError(f"unknown role {role!r} (the checklist's roles: {', '.join(target.checklist.roles)})")


def sign(target: Target, role: str, name: str, *, override: str | None = None,
         ssh_key: str | Path | None = None) -> dict[str, Any]:
    """Record a sign-off of the current results and decisions; return the entry kept in the record.

    Below the checklist's top band (`ready`) a non-empty `override` reason is required and kept.
    With `ssh_key` the entry is signed with `ssh-keygen -Y sign` (principal: `name`). Concurrent
    sign-offs are all kept (the record is updated under its lock).
    """
    role = _role(target, role)
    name = required(name, "a name (--name)")
    override = (override or "").strip()
    principal = principal_for(name) if ssh_key is not None else ""
    top = target.checklist.bands[0]

    def build(record: RunRecord) -> dict[str, Any]:
        data = report_data(target, record)
        score = build_report(target.checklist, record, target.project).score
        if score.band != top.id and not override:
            raise UsageError(
                f"the score is {score.percent:.1f}% ({score.band}), below the `{top.id}` band ({top.min:g}%): "
                f"signing anyway needs --override REASON, which is recorded with the sign-off"
            )
        entry: dict[str, Any] = {
            "role": role, "name": name, "at": now_iso(), "user_host": user_host(),
            "digest": digest(data), "digest_version": DIGEST_VERSION,
            "score": score.percent, "band": score.band,
        }
        if override:
            entry["override"] = override
        entry["items"] = item_hashes(data)
        return entry

    if ssh_key is None:
        def add(record: RunRecord) -> dict[str, Any]:
            entry = build(record)
            record.signoffs.append(entry)
            return entry

        return target.store.update(add)[0]

    # Sign outside the lock (ssh-keygen may wait for a passphrase), then check nothing changed.
    entry = build(target.store.load())
    entry["signature"] = ssh_sign(ssh_key, signing_message(entry, "signoff"), principal)

    def add_signed(record: RunRecord) -> dict[str, Any]:
        if digest(report_data(target, record)) != entry["digest"]:
            raise UsageError("the run record changed while signing; run the command again")
        record.signoffs.append(entry)
        return entry

    return target.store.update(add_signed)[0]


def set_deployment_field(target: Target, field: str, value: str, by: str, *,
                         ssh_key: str | Path | None = None) -> None:
    """Record a deployment field (date, deployed by, ...) with who, when, from where and the digest.

    A new value replaces the shown one; earlier values are kept under `previous`.
    """
    wanted = (field or "").strip()
    fields = target.checklist.deployment_fields
    match = next((f for f in fields if f.casefold() == wanted.casefold()), None)
    if match is None:
        raise UsageError(f"unknown deployment field {field!r} (the checklist's fields: {', '.join(fields)})")
    value = required(value, "a value")
    by = required(by, "a name (--by)")
    principal = principal_for(by) if ssh_key is not None else ""

    def build(record: RunRecord) -> dict[str, Any]:
        data = report_data(target, record)
        return {"field": match, "value": value, "by": by, "at": now_iso(), "user_host": user_host(),
                "digest": digest(data), "digest_version": DIGEST_VERSION, "items": item_hashes(data)}

    signed: dict[str, Any] | None = None
    if ssh_key is not None:
        signed = build(target.store.load())
        signed["signature"] = ssh_sign(ssh_key, signing_message(signed, "deployment"), principal)

    def put(record: RunRecord) -> None:
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

    target.store.update(put)


def field_value(record: RunRecord, field: str) -> tuple[str, str]:
    """A deployment field's value and who recorded it."""
    raw = record.deployment.get(field)
    if isinstance(raw, dict):
        return str(raw.get("value", "")), str(raw.get("by", ""))
    return ("" if raw is None else str(raw)), ""
