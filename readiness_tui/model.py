"""Result types shared by the checks, the runner, the store and the reports (no I/O here)."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

#: The summary of an item that only a person can decide.
MANUAL = "waits for a person: confirm it, mark it not applicable, or waive it"


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds (every timestamp the tool records)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def one_line(text: str, limit: int = 200) -> str:
    """The first line of a message, shortened."""
    first = (text.strip().splitlines() or [""])[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


class Status(enum.StrEnum):
    """Status of one checklist item (docs/reports.md, "Statuses and the score")."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"


#: Order used to combine the results of several checks of one item: the worst wins.
_SEVERITY = {
    Status.FAIL: 6,
    Status.ERROR: 5,
    Status.PENDING: 4,
    Status.WARN: 3,
    Status.PASS: 2,
    Status.CONFIRMED: 1,
    Status.WAIVED: 1,
    Status.NOT_APPLICABLE: 0,
}


def worst(statuses: list[Status]) -> Status:
    """The most severe of several statuses (fail > error > pending > warn > pass > n/a)."""
    if not statuses:
        return Status.PENDING
    return max(statuses, key=lambda s: _SEVERITY[s])


@dataclass
class Measurement:
    """A measured value a success-criteria table can show (e.g. health p95 in ms)."""

    value: float | None
    display: str
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        return cls(value=data.get("value"), display=str(data.get("display", "")), unit=str(data.get("unit", "")))


@dataclass
class CheckResult:
    """What one check found: a status, a one-line summary, evidence and measured values.

    `evidence` is JSON-serialisable and must never contain a secret value: name the key, the file
    and the line, give a redacted preview (`redact.preview`) if anything.

    `facts` are the part of the evidence that decides the verdict (files, keys, statuses, thresholds
    crossed) and nothing that varies between identical runs (timings, counts of requests, probe
    ids, rate-limit counters, timestamps): a sign-off binds the status and the facts, so a re-run
    with the same verdict keeps it valid (docs/signoff.md). Set them with `with_facts`.
    """

    status: Status
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    measurements: dict[str, Measurement] = field(default_factory=dict)
    duration_ms: int = 0
    check: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    not_probed: str = ""
    """Set when a live check could not run here, to why, in a few words (`no URL`, `placeholder`,
    `unreachable`, `no Docker daemon`, `no database`, …): the item then keeps what its other checks
    decided from the repository (`combine`), and the report counts it under "could not be checked here"."""

    def with_facts(self, **facts: Any) -> CheckResult:
        """Record the facts that decide this verdict (JSON-serialisable, no secret); returns self."""
        self.facts.update(facts)
        return self

    def skipped(self, why: str) -> CheckResult:
        """Mark this (error) result as a live probe that could not run here, and why; returns self."""
        self.not_probed = why
        return self

    def to_dict(self) -> dict[str, Any]:
        data = {
            "check": self.check,
            "status": self.status.value,
            "summary": self.summary,
            "evidence": self.evidence,
            "facts": self.facts,
            "measurements": {k: m.to_dict() for k, m in self.measurements.items()},
            "duration_ms": self.duration_ms,
        }
        if self.not_probed:
            data["not_probed"] = self.not_probed
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        return cls(
            status=Status(data["status"]),
            summary=str(data.get("summary", "")),
            evidence=dict(data.get("evidence") or {}),
            measurements={k: Measurement.from_dict(v) for k, v in (data.get("measurements") or {}).items()},
            duration_ms=int(data.get("duration_ms") or 0),
            check=str(data.get("check", "")),
            facts=dict(data.get("facts") or {}),
            not_probed=str(data.get("not_probed") or ""),
        )


def passed(summary: str, **evidence: Any) -> CheckResult:
    """Shorthand for a passing result."""
    return CheckResult(Status.PASS, summary, dict(evidence))


def warned(summary: str, **evidence: Any) -> CheckResult:
    """Shorthand for a result that passes with a caveat."""
    return CheckResult(Status.WARN, summary, dict(evidence))


def failed(summary: str, **evidence: Any) -> CheckResult:
    """Shorthand for a failing result."""
    return CheckResult(Status.FAIL, summary, dict(evidence))


def errored(summary: str, **evidence: Any) -> CheckResult:
    """Shorthand for a check that could not run (unreachable, timed out, bad input)."""
    return CheckResult(Status.ERROR, summary, dict(evidence))


def pending(summary: str, **evidence: Any) -> CheckResult:
    """Shorthand for evidence gathered that a person must now confirm."""
    return CheckResult(Status.PENDING, summary, dict(evidence))


def not_applicable(summary: str, **evidence: Any) -> CheckResult:
    """Shorthand for an item that does not apply to this target (e.g. Pusher not configured)."""
    return CheckResult(Status.NOT_APPLICABLE, summary, dict(evidence))


@dataclass
class ItemResult:
    """The combined machine result of an item: the worst of its checks' results."""

    status: Status
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    measurements: dict[str, Measurement] = field(default_factory=dict)
    duration_ms: int = 0
    checks: list[CheckResult] = field(default_factory=list)
    finished_at: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    """The decisive facts of the item's checks, merged (see `CheckResult.facts`)."""
    not_probed: str = ""
    """Why a live part of this item could not run here (see `CheckResult.not_probed`); "" when it ran."""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "status": self.status.value,
            "summary": self.summary,
            "evidence": self.evidence,
            "facts": self.facts,
            "measurements": {k: m.to_dict() for k, m in self.measurements.items()},
            "duration_ms": self.duration_ms,
            "checks": [c.to_dict() for c in self.checks],
            "finished_at": self.finished_at,
        }
        if self.not_probed:
            data["not_probed"] = self.not_probed
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        return cls(
            status=Status(data["status"]),
            summary=str(data.get("summary", "")),
            evidence=dict(data.get("evidence") or {}),
            measurements={k: Measurement.from_dict(v) for k, v in (data.get("measurements") or {}).items()},
            duration_ms=int(data.get("duration_ms") or 0),
            checks=[CheckResult.from_dict(c) for c in data.get("checks") or []],
            finished_at=str(data.get("finished_at", "")),
            facts=dict(data.get("facts") or {}),
            not_probed=str(data.get("not_probed") or ""),
        )


def combine(results: list[CheckResult]) -> ItemResult:
    """Combine the results of an item's checks: worst status, its summary first, evidence merged.

    Static first, live second: a live check that could not run here (`not_probed`) does not override
    what the item's other checks decided from the repository; the summary then says what was not
    probed. Only when nothing decided the item is it `error`. Evidence of several checks is merged key
    by key (checks of one item use distinct keys); the per-check statuses and summaries stay
    available under `checks`.
    """
    if not results:
        return ItemResult(Status.PENDING, "no automated check yet")
    skipped = [r for r in results if r.not_probed and r.status == Status.ERROR]
    decided = [r for r in results if r not in skipped]
    judged = decided or results
    status = worst([r.status for r in judged])
    lead = next(r for r in judged if r.status == status)
    others = [r.summary for r in judged if r is not lead and r.status not in (Status.PASS, Status.NOT_APPLICABLE)]
    summary = lead.summary if not others else f"{lead.summary}; {'; '.join(others)}"
    not_probed = ""
    if skipped and decided:
        summary += "; not probed: " + "; ".join(r.summary for r in skipped)
        not_probed = skipped[0].not_probed
    elif skipped:
        not_probed = skipped[0].not_probed
    evidence: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    measurements: dict[str, Measurement] = {}
    for r in results:
        evidence.update(r.evidence)
        facts.update(r.facts)
        measurements.update(r.measurements)
    return ItemResult(
        status=status,
        summary=summary,
        evidence=evidence,
        measurements=measurements,
        duration_ms=max(r.duration_ms for r in results),
        checks=list(results),
        facts=facts,
        not_probed=not_probed,
    )
