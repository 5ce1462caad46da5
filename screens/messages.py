"""Messages the wizard's workers post (named in the past tense); handlers on the app own the state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from readiness_tui.model import ItemResult
    from readiness_tui.store import RunRecord


class CheckStarted(Message):
    """An item's checks started running."""

    def __init__(self, item_id: str, started: float) -> None:
        super().__init__()
        self.item_id = item_id
        self.started = started


class CheckProgressed(Message):
    """A running check reported progress."""

    def __init__(self, item_id: str, text: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.text = text


class CheckCompleted(Message):
    """An item's checks finished and the result was saved in the run record."""

    def __init__(self, item_id: str, result: ItemResult, record: RunRecord | None) -> None:
        super().__init__()
        self.item_id = item_id
        self.result = result
        self.record = record


class RunSaved(Message):
    """The run record was written (a decision, a sign-off, a fix) or re-read from disk (`from_disk`:
    then changes in it may be another person's)."""

    def __init__(self, record: RunRecord, note: str = "", from_disk: bool = False) -> None:
        super().__init__()
        self.record = record
        self.note = note
        self.from_disk = from_disk


class ActionFailed(Message):
    """A background action could not be done; `reason` is one line for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class RunFinished(Message):
    """A batch of checks finished."""

    def __init__(self, count: int, seconds: float) -> None:
        super().__init__()
        self.count = count
        self.seconds = seconds
