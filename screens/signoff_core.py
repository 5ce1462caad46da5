"""The sign-off screen's bridge to the signing core (`readiness_tui.signoff`).

The signing core binds each signature to a digest of the exact results. When it is not installed,
sign-offs are still recorded (role, name, time, user@host and a digest of the item statuses) so
the screen works either way; a later change of any status marks such a sign-off stale.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from types import ModuleType
from typing import Any

from readiness_tui.errors import UsageError
from readiness_tui.runner import now_iso
from readiness_tui.scoring import build_views
from readiness_tui.store import RunRecord, user_host
from readiness_tui.target import Target


def core() -> ModuleType | None:
    """The signing core module, or None when it is not there."""
    try:
        return importlib.import_module("readiness_tui.signoff")
    except ImportError:
        return None


def status_digest(target: Target, record: RunRecord) -> str:
    """A digest of every item's effective status (what a minimal sign-off is bound to)."""
    views = build_views(target.checklist, record)
    data = [[v.item.id, v.status.value, v.waiver_expired] for v in views]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def sign(target: Target, role: str, name: str, override: str = "") -> RunRecord:
    """Sign `role` as `name`; returns the saved record. UsageError for a bad role or empty name."""
    name = name.strip()
    if not name:
        raise UsageError("a name is required to sign")
    if role not in target.checklist.roles:
        raise UsageError(f"there is no sign-off role {role!r}")
    signing = core()
    if signing is not None:
        signing.sign(target, role, name, override=override or None)
        return target.store.load()

    def change(record: RunRecord) -> None:
        record.signoffs = [s for s in record.signoffs if s.get("role") != role]
        entry: dict[str, Any] = {"role": role, "name": name, "at": now_iso(), "user_host": user_host(),
                                 "digest": status_digest(target, record)}
        if override:
            entry["override"] = override
        record.signoffs.append(entry)

    return target.store.update(change)[1]


def set_field(target: Target, field: str, value: str, by: str) -> RunRecord:
    """Record a deployment field (date, time, deployed by, ...); returns the saved record."""
    if field not in target.checklist.deployment_fields:
        raise UsageError(f"there is no deployment field {field!r}")
    signing = core()
    if signing is not None:
        signing.set_deployment_field(target, field, value, by)
        return target.store.load()

    def change(record: RunRecord) -> None:
        record.deployment[field] = {"value": value.strip(), "by": by, "at": now_iso()}

    return target.store.update(change)[1]


def states(target: Target, record: RunRecord) -> list[dict[str, Any]]:
    """One entry per signature: role, name, at, user_host, state (valid/stale/invalid), reason."""
    signing = core()
    if signing is not None:
        return list(signing.signoff_states(target, record))
    digest = status_digest(target, record)
    out = []
    for s in record.signoffs:
        stale = s.get("digest") not in (None, digest)
        out.append({
            "role": s.get("role", ""), "name": s.get("name", ""), "at": s.get("at", ""),
            "user_host": s.get("user_host", ""), "state": "stale" if stale else "valid",
            "reason": "results changed since signing" if stale else "",
        })
    return out


def field_value(record: RunRecord, field: str) -> tuple[str, str]:
    """A deployment field's value and who recorded it (either record shape)."""
    raw = record.deployment.get(field)
    if isinstance(raw, dict):
        return str(raw.get("value", "")), str(raw.get("by", ""))
    return ("" if raw is None else str(raw)), ""
