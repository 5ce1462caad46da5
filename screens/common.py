"""Shared pieces of the screens: status glyphs and colours as Textual markup, the spinner."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from textual.dom import DOMNode

from readiness_tui.model import Status
from readiness_tui.neutral import visible
from readiness_tui.reports import GLYPHS

if TYPE_CHECKING:
    from readiness_tui.screens.app import ReadinessApp


def safe(text: object) -> str:
    """Outside text (a note, a name, evidence, a server's answer, a file name) inside Textual markup.

    One line with every control character shown as an escape (`neutral.visible`; tabs become
    spaces), and every `[` escaped, so no text can open, close or break a markup tag: Textual's own
    `escape` leaves `see [/` (a closing tag with nothing to close) and `["x"]` (a JSON list) as
    markup that raises MarkupError. A trailing backslash would escape the markup that follows, so
    it gets a space after it.
    """
    shown = visible(str(text).expandtabs(4)).replace("[", "\\[")
    return shown + " " if shown.endswith("\\") else shown


def wizard(node: DOMNode) -> ReadinessApp:
    """The wizard app a screen or widget belongs to, typed (screens reach its state through this)."""
    return cast("ReadinessApp", node.app)

#: Theme variables per status (never hex colours: the theme and NO_COLOR decide what they look like).
STATUS_STYLE = {
    Status.PASS: "$success",
    Status.CONFIRMED: "$success",
    Status.WARN: "$warning",
    Status.FAIL: "bold $error",
    Status.ERROR: "$error",
    Status.PENDING: "$accent",
    Status.NOT_APPLICABLE: "$text-muted",
    Status.WAIVED: "$secondary",
}

LABEL = {
    Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.ERROR: "ERROR",
    Status.PENDING: "PENDING", Status.CONFIRMED: "CONFIRMED", Status.NOT_APPLICABLE: "N/A",
    Status.WAIVED: "WAIVED",
}

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def glyph(status: Status, expired: bool = False) -> str:
    """The status glyph as markup in its colour."""
    if expired:
        return "[bold $error]W[/]"
    return f"[{STATUS_STYLE[status]}]{safe(GLYPHS[status])}[/]"


def label(status: Status, expired: bool = False) -> str:
    """The status word as markup in its colour."""
    if expired:
        return "[bold $error]WAIVER EXPIRED[/]"
    return f"[{STATUS_STYLE[status]}]{LABEL[status]}[/]"


def spinner_frame(elapsed: float) -> str:
    """The spinner frame for this elapsed time (four frames a second: calm over SSH)."""
    return SPINNER[int(elapsed * 4) % len(SPINNER)]


def elapsed_text(seconds: float) -> str:
    """Elapsed time, short: 0.4s, 12s, 2m05s."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{int(seconds)}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def duration_text(ms: int) -> str:
    """A check's duration for people."""
    return f"{ms} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def evidence_value(value: Any, limit: int = 300) -> str:
    """One evidence value as a single line (JSON for lists and tables), shortened."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
