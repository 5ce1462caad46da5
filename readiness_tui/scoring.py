"""Effective item statuses (machine result + a person's decision), the score and its band.

As docs/reports.md ("Statuses and the score") states it: completed = pass, warn, confirmed, or
waived not yet expired; score = completed / (total − not_applicable) × 100, rounded to one
decimal; bands from the checklist (the seed's: 90 ready, 80 nearly, 70 not-ready, below
do-not-deploy).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from readiness_tui.checklist import Checklist, CriteriaRow, Item
from readiness_tui.decisionsfile import Decision
from readiness_tui.model import MANUAL, ItemResult, Measurement, Status
from readiness_tui.store import RunRecord

COMPLETED = {Status.PASS, Status.WARN, Status.CONFIRMED, Status.WAIVED}


@dataclass
class ItemView:
    """What a report or screen shows for one item."""

    item: Item
    status: Status
    summary: str
    result: ItemResult | None
    decision: Decision | None
    waiver_expired: bool = False
    decision_invalid: str = ""
    """Why the person's decision does not count (then the status is the machine's), else ''."""

    @property
    def completed(self) -> bool:
        """True when the item counts towards the score."""
        return self.status in COMPLETED and not self.waiver_expired

    @property
    def evidence(self) -> dict[str, Any]:
        return self.result.evidence if self.result else {}

    @property
    def duration_ms(self) -> int:
        return self.result.duration_ms if self.result else 0


#: Why an item could not be checked here, by the `not_probed` class of its result (docs/reports.md).
WHY_LABELS = {
    "no URL": "no address configured",
    "placeholder": "template placeholder address",
    "unreachable": "service unreachable",
    "timed out": "no answer in time",
    "no Docker daemon": "no Docker daemon",
    "no database": "no database configured",
    "no code": "code not in this repository",
    "settings": "decided by deployment settings",
}


def why_not_checked(result: ItemResult | None) -> str:
    """The reason class of an item that ended in `error`: why it could not be checked here."""
    if result is None:
        return "not run"
    checks = [c.check for c in result.checks]
    why = result.not_probed
    if not why:
        text = result.summary.lower()
        if "docker" in text and ("daemon" in text or "socket" in text or "unreachable" in text):
            why = "no Docker daemon"
        elif "timed out" in text:
            why = "timed out"
        elif any(w in text for w in ("unreachable", "connection refused", "cannot connect", "resolve")):
            why = "unreachable"
        elif "not set" in text or "not configured" in text or "no database" in text:
            why = "no URL"
        else:
            return "the check could not run"
    if why == "no URL" and checks and all(c.split(".")[0] in ("db", "data") for c in checks):
        why = "no database"
    return WHY_LABELS.get(why, why)


@dataclass
class Headline:
    """What a reader needs first: done, to fix, not checkable here (and why), waiting for a person."""

    completed: int
    failing: int
    cannot_check: int
    waiting: int
    not_applicable: int
    why: dict[str, int] = field(default_factory=dict)
    """Items that could not be checked here, by reason (`why_not_checked`), most frequent first."""

    def to_dict(self) -> dict[str, Any]:
        return {"completed": self.completed, "failing": self.failing, "cannot_check": self.cannot_check,
                "cannot_check_why": self.why, "waiting": self.waiting, "not_applicable": self.not_applicable}

    def line(self) -> str:
        """One line: `14 completed · 9 failing (fix the project) · 21 not checked here (…) · 12 waiting …`."""
        why = ", ".join(f"{reason} {n}" for reason, n in self.why.items())
        parts = [f"{self.completed} completed", f"{self.failing} failing (fix the project)",
                 f"{self.cannot_check} could not be checked here" + (f" ({why})" if why else ""),
                 f"{self.waiting} waiting for a person"]
        if self.not_applicable:
            parts.append(f"{self.not_applicable} not applicable")
        return " · ".join(parts)


@dataclass
class Score:
    """The readiness score."""

    percent: float
    completed: int
    applicable: int
    total: int
    band: str
    band_label: str
    by_status: dict[str, int] = field(default_factory=dict)
    headline: Headline | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "percent": self.percent,
            "completed": self.completed,
            "applicable": self.applicable,
            "total": self.total,
            "band": self.band,
            "band_label": self.band_label,
            "by_status": self.by_status,
        }
        if self.headline is not None:
            data["headline"] = self.headline.to_dict()
        return data


def waiver_expired(decision: Decision, today: date | None = None) -> bool:
    """True when a waiver's expiry date has passed (it expires at the end of that day)."""
    if decision.type != "waived" or not decision.expires:
        return False
    try:
        return date.fromisoformat(decision.expires) < (today or date.today())
    except ValueError:
        return True


def approver_problem(item: Item, decision: Decision) -> str:
    """Why a decision that needs a second person lacks one, else ''.

    A waiver always needs an approver other than the person; so does marking a critical item not
    applicable (otherwise one person could remove every blocker by saying "n/a").
    """
    needs = decision.type == "waived" or (decision.type == "not_applicable" and item.critical)
    if not needs:
        return ""
    what = "a waiver" if decision.type == "waived" else "not applicable on a critical item"
    if not decision.approver.strip():
        return f"{what} needs an approver other than {decision.by}"
    if decision.approver.strip().casefold() == decision.by.strip().casefold():
        return f"{what} needs an approver other than {decision.by} (they approved it themselves)"
    return ""


def view_item(item: Item, result: ItemResult | None, decision: Decision | None, today: date | None = None) -> ItemView:
    """The effective status of one item."""
    problem = approver_problem(item, decision) if decision is not None else ""
    if problem:
        view = view_item(item, result, None, today)
        view.decision = decision
        view.decision_invalid = problem
        view.summary = f"{view.summary} (decision not counted: {problem})"
        return view
    if decision is not None:
        if decision.type == "confirmed":
            note = f": {decision.note}" if decision.note else ""
            return ItemView(item, Status.CONFIRMED, f"confirmed by {decision.by}{note}", result, decision)
        if decision.type == "not_applicable":
            approved = f" (approved by {decision.approver})" if decision.approver else ""
            return ItemView(item, Status.NOT_APPLICABLE, f"not applicable: {decision.reason}{approved}", result, decision)
        if decision.type == "waived":
            expired = waiver_expired(decision, today)
            text = (
                f"waiver EXPIRED {decision.expires} ({decision.reason})"
                if expired
                else f"waived until {decision.expires} by {decision.approver}: {decision.reason}"
            )
            return ItemView(item, Status.WAIVED, text, result, decision, waiver_expired=expired)
    if result is None:
        summary = MANUAL if not item.checks else "not run yet"
        return ItemView(item, Status.PENDING, summary, None, None)
    return ItemView(item, result.status, result.summary, result, None)


def build_views(checklist: Checklist, record: RunRecord, items: list[Item] | None = None,
                today: date | None = None) -> list[ItemView]:
    """Views of the given items (default: all), in checklist order."""
    chosen = items if items is not None else checklist.items
    return [view_item(i, record.results.get(i.id), record.decisions.get(i.id), today) for i in chosen]


def tally(statuses: Iterable[tuple[Status, bool]]) -> tuple[int, int, int, float]:
    """(completed, applicable, total, percent) of (status, waiver expired) pairs: the one rule of the score.

    `readiness verify` recomputes a report's score with it from the report's items alone.
    """
    completed = applicable = total = 0
    for status, expired in statuses:
        total += 1
        if status != Status.NOT_APPLICABLE:
            applicable += 1
        if status in COMPLETED and not expired:
            completed += 1
    return completed, applicable, total, round(completed / applicable * 100, 1) if applicable else 0.0


def compute_score(checklist: Checklist, views: list[ItemView]) -> Score:
    """The score over these views."""
    completed, applicable, total, percent = tally((v.status, v.waiver_expired) for v in views)
    band = checklist.band_for(percent)
    counts: dict[str, int] = {}
    for v in views:
        key = "waived_expired" if v.waiver_expired else v.status.value
        counts[key] = counts.get(key, 0) + 1
    return Score(percent, completed, applicable, total, band.id, band.label, counts, headline(views))


def headline(views: list[ItemView]) -> Headline:
    """The headline split of these views (an expired waiver counts as failing again)."""
    why: dict[str, int] = {}
    errors = [v for v in views if v.status == Status.ERROR]
    for v in errors:
        reason = why_not_checked(v.result)
        why[reason] = why.get(reason, 0) + 1
    ordered = dict(sorted(why.items(), key=lambda kv: (-kv[1], kv[0])))
    return Headline(
        completed=sum(1 for v in views if v.completed),
        failing=sum(1 for v in views if v.status == Status.FAIL or v.waiver_expired),
        cannot_check=len(errors),
        waiting=sum(1 for v in views if v.status == Status.PENDING),
        not_applicable=sum(1 for v in views if v.status == Status.NOT_APPLICABLE),
        why=ordered,
    )


def critical_not_applicable(views: list[ItemView]) -> list[ItemView]:
    """Critical items a person marked not applicable (with a valid approver): reports list them."""
    return [v for v in views if v.item.critical and v.status == Status.NOT_APPLICABLE and v.decision is not None]


def blockers(views: list[ItemView]) -> list[ItemView]:
    """What stands between this run and `ready`: not completed, applicable items, critical first."""
    open_ = [v for v in views if not v.completed and v.status != Status.NOT_APPLICABLE]
    rank = {Status.FAIL: 0, Status.ERROR: 1, Status.WAIVED: 2, Status.PENDING: 3}
    return sorted(open_, key=lambda v: (not v.item.critical, rank.get(v.status, 4)))


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


@dataclass
class CriteriaCell:
    """One row of a success-criteria table with its measured value."""

    row: CriteriaRow
    measurement: Measurement | None
    verdict: str  # PASS | FAIL | TBD

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.row.metric,
            "target": self.row.target,
            "measured": self.measurement.display if self.measurement else None,
            "value": self.measurement.value if self.measurement else None,
            "status": self.verdict,
        }


def criteria_tables(checklist: Checklist, views: list[ItemView]) -> list[tuple[str, str, list[CriteriaCell]]]:
    """The success-criteria tables filled with the measurements the checks reported."""
    found: dict[str, Measurement] = {}
    for v in views:
        if v.result:
            found.update(v.result.measurements)
    tables = []
    for table in checklist.criteria:
        cells = []
        for row in table.rows:
            m = found.get(row.measurement)
            if m is None or m.value is None:
                verdict = "TBD"
            elif row.op and row.threshold is not None:
                verdict = "PASS" if _OPS[row.op](m.value, row.threshold) else "FAIL"
            else:
                verdict = "INFO"
            cells.append(CriteriaCell(row, m, verdict))
        tables.append((table.id, table.title, cells))
    return tables


__all__ = [
    "COMPLETED", "Headline", "ItemView", "Score", "approver_problem", "build_views", "compute_score", "blockers",
    "critical_not_applicable", "criteria_tables", "headline", "tally", "view_item", "waiver_expired",
    "why_not_checked",
]
