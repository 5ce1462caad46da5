"""What a headless run's exit status says: the score gate, the `--fail-on` gates, and why.

Exit statuses (docs/ci.md): 0 when the score is at least `--fail-under` and no `--fail-on` gate
trips; 1 otherwise; 2 for usage or configuration errors. `--pending-exit-code N` (opt-in, like
InSpec's 101) turns a 1 into N when only items waiting for a person keep the run from passing —
had every such item been confirmed, the score would reach the bar and no gate would trip — so a
pipeline can tell "a person has not decided yet" from "something is broken". Without the option
the contract above holds unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from readiness_tui.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, GATES, UsageError
from readiness_tui.model import Status

if TYPE_CHECKING:
    from readiness_tui.scoring import ItemView

__all__ = ["GATES", "Outcome", "decide", "machine_status", "tripped_items", "validate"]


def machine_status(view: ItemView) -> Status | None:
    """The status a gate judges: the machine's when a person's decision does not count."""
    if view.waiver_expired or view.decision_invalid:
        return view.result.status if view.result else Status.PENDING
    return view.status


def tripped_items(gate: str, views: list[ItemView]) -> list[str]:
    """The items that trip one `--fail-on` gate.

    `fail` / `error`: an item whose check failed / could not run and no valid decision covers it
    (an expired waiver covers nothing). `critical`: a critical item not completed and not
    (validly) not applicable — failing, erroring, waiting for a person, or an expired waiver.
    """
    if gate == "fail":
        return [v.item.id for v in views if not v.completed and machine_status(v) == Status.FAIL]
    if gate == "error":
        return [v.item.id for v in views if not v.completed and machine_status(v) == Status.ERROR]
    if gate == "critical":
        return [v.item.id for v in views
                if v.item.critical and not v.completed and v.status != Status.NOT_APPLICABLE]
    raise ValueError(gate)


def _waiting(view: ItemView) -> bool:
    """True when only a person's decision is missing (nothing failed or errored)."""
    return not view.completed and machine_status(view) == Status.PENDING


@dataclass
class Outcome:
    """The exit status of a run and every reason for it (empty when it passed)."""

    code: int
    reasons: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    """Items waiting for a person among those not completed."""
    pending_only: bool = False
    """True when confirming the waiting items alone would make the run pass."""


def validate(fail_under: float, pending_exit_code: int | None) -> None:
    """UsageError for a threshold outside 0–100 or an exit code that would collide with 2 or signals."""
    if not 0 <= fail_under <= 100:
        raise UsageError("--fail-under must be between 0 and 100")
    if pending_exit_code is not None and (pending_exit_code == EXIT_USAGE or not 0 <= pending_exit_code <= 125):
        raise UsageError("--pending-exit-code must be 0, 1 or 3–125 (2 means a usage error; 126+ are the shell's)")


def decide(views: list[ItemView], percent: float, applicable: int, fail_under: float, fail_on: list[str],
           pending_exit_code: int | None = None) -> Outcome:
    """The exit status of a run whose items look like `views` and whose score is `percent`."""
    reasons = []
    if percent < fail_under:
        reasons.append(f"score {percent:.1f}% is below {fail_under:g}")
    blocking_beyond_waiting = False
    for gate in dict.fromkeys(fail_on):
        items = tripped_items(gate, views)
        if items:
            shown = ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")
            reasons.append(f"--fail-on {gate}: {shown}")
            if any(not _waiting(v) for v in views if v.item.id in set(items)):
                blocking_beyond_waiting = True
    waiting = [v.item.id for v in views if _waiting(v)]
    if not reasons:
        return Outcome(EXIT_OK, waiting=waiting)
    completed_if_confirmed = sum(1 for v in views if v.completed or _waiting(v))
    best = round(completed_if_confirmed / applicable * 100, 1) if applicable else 0.0
    pending_only = bool(waiting) and not blocking_beyond_waiting and best >= fail_under
    code = pending_exit_code if pending_only and pending_exit_code is not None else EXIT_FAILED
    return Outcome(code, reasons, waiting, pending_only)
