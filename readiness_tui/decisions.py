"""People's decisions on items: confirm, not applicable, waive (and undo).

Each decision records who, when and from which user@host, and is written at once, under the
locks, to `readiness.decisions.toml` in the project root (through `Store.update`; the file is
meant to be committed, so CI applies the same decisions). The wizard and the headless commands
both go through these functions.
"""

from __future__ import annotations

from datetime import date

from readiness_tui.checklist import Item
from readiness_tui.decisionsfile import Decision
from readiness_tui.errors import UsageError
from readiness_tui.identity import required, user_host
from readiness_tui.model import Status, now_iso
from readiness_tui.store import RunRecord
from readiness_tui.target import Target


def can_confirm(item: Item, machine_status: Status | None) -> bool:
    """A person may confirm assisted and manual items, and automated ones the machine could not decide.

    A failing automated check cannot be confirmed away: waive it (with an approver) instead.
    """
    if item.kind != "auto":
        return True
    return machine_status in (None, Status.PENDING, Status.ERROR)


def _item(target: Target, item_id: str) -> Item:
    try:
        return target.checklist.item(item_id)
    except KeyError:
        raise UsageError(f"there is no item {item_id!r} in the checklist") from None


def confirm(target: Target, item_id: str, by: str, note: str = "") -> RunRecord:
    """Record that `by` confirmed the item."""
    item = _item(target, item_id)
    by = required(by, "a name (--by)")

    def change(record: RunRecord) -> None:
        result = record.results.get(item.id)
        if not can_confirm(item, result.status if result else None):
            assert result is not None
            raise UsageError(
                f"item {item.id} is automated and its check says {result.status.value} "
                f"({result.summary}); fix it, or waive it with an approver"
            )
        record.decisions[item.id] = Decision("confirmed", by, now_iso(), user_host(), note=note.strip())

    return target.store.update(change)[1]


def mark_not_applicable(target: Target, item_id: str, by: str, reason: str, approver: str = "") -> RunRecord:
    """Record that the item does not apply to this deployment, with the reason.

    On a critical item this needs an approver other than the person, as a waiver does: one
    person alone cannot remove a blocker by calling it not applicable.
    """
    item = _item(target, item_id)
    reason = required(reason, "a reason (--reason)")
    by = required(by, "a name (--by)")
    approver = approver.strip()
    if item.critical and not approver:
        raise UsageError(f"item {item.id} is critical: marking it not applicable needs an approver "
                         "other than you (--approver)")
    if approver and approver.casefold() == by.casefold():
        raise UsageError("the approver must be someone other than the person marking the item not applicable")

    def change(record: RunRecord) -> None:
        record.decisions[item.id] = Decision("not_applicable", by, now_iso(), user_host(), reason=reason,
                                             approver=approver)

    return target.store.update(change)[1]


def waive(target: Target, item_id: str, by: str, reason: str, approver: str, expires: str,
          today: date | None = None) -> RunRecord:
    """Record an accepted risk: reason, an approver other than the requester, an expiry date."""
    item = _item(target, item_id)
    by = required(by, "a name (--by)")
    reason = required(reason, "a reason (--reason)")
    approver = required(approver, "an approver (--approver)")
    if approver.casefold() == by.casefold():
        raise UsageError("the approver must be someone other than the person asking for the waiver")
    try:
        expiry = date.fromisoformat(required(expires, "an expiry date (--expires YYYY-MM-DD)"))
    except ValueError:
        raise UsageError(f"--expires must be a date as YYYY-MM-DD, not {expires!r}") from None
    if expiry < (today or date.today()):
        raise UsageError(f"the expiry date {expiry} is in the past")

    def change(record: RunRecord) -> None:
        record.decisions[item.id] = Decision(
            "waived", by, now_iso(), user_host(), reason=reason, approver=approver, expires=expiry.isoformat()
        )

    return target.store.update(change)[1]


def clear(target: Target, item_id: str) -> RunRecord:
    """Remove a person's decision on an item (its machine result shows again)."""
    item = _item(target, item_id)

    def change(record: RunRecord) -> None:
        record.decisions.pop(item.id, None)

    return target.store.update(change)[1]
