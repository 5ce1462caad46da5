"""Shared pieces of the screens: outside text made safe for markup, status glyphs, the spinner."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.app import App
from textual.binding import ActiveBinding, Binding
from textual.command import Provider
from textual.dom import DOMNode
from textual.screen import Screen

from readiness_tui.model import Status
from readiness_tui.neutral import one_line, visible
from readiness_tui.reports import GLYPHS

if TYPE_CHECKING:
    from readiness_tui.screens.app import ReadinessApp

_Answer = TypeVar("_Answer")


def wizard(node: DOMNode | Provider) -> ReadinessApp:
    """The wizard app a screen, widget or command palette provider belongs to, typed (screens reach its
    state through this)."""
    return cast("ReadinessApp", node.app)


def ask(app: App[Any], dialog: Screen[_Answer], act: Callable[[_Answer], object]) -> None:
    """Show `dialog` and `act` on its answer; a cancel (None) or a no (False) does nothing. What `act`
    returns (a worker, say) is not the dialog's business."""

    def answered(answer: _Answer | None) -> None:
        if answer:
            act(answer)

    app.push_screen(dialog, answered)


class KeysInOrder(Screen[None]):
    """A screen whose footer shows its own keys first, then the app's, each in the order declared.

    Textual lists a key where it first appears along the focus chain, so a priority key of the
    app (→) that a scrolling widget also binds came first; the footer reads in order of use instead.
    """

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        bindings = super().active_bindings
        app = self.app
        found = {key: n for n, key in enumerate(bindings)}
        declared = {key.strip(): n for n, b in enumerate(type(app).BINDINGS) if isinstance(b, Binding)
                    for key in b.key.split(",")}

        def rank(key: str) -> tuple[bool, int]:
            of_app = bindings[key].node is app
            return of_app, declared.get(key, len(declared)) if of_app else found[key]

        return {key: bindings[key] for key in sorted(bindings, key=rank)}


def safe(text: object, *, limit: int | None = None, keep_newlines: bool = False) -> str:
    """Outside text (a note, a name, evidence, a file name, a server's answer) as Textual markup
    that shows exactly that text: controls made visible (`neutral`), every `[` escaped.

    Textual's own `escape` only escapes brackets that look like a whole tag, so `see [/` or a
    shortened JSON list still opened a tag and crashed the screen; here no `[` of the text can.
    A trailing backslash would escape the `[` of the tag that follows, so it gets a space after it.
    """
    shown = visible(text, keep_newlines=keep_newlines) if limit is None else one_line(text, limit)
    shown = shown.replace("[", "\\[")
    return shown + " " if shown.endswith("\\") else shown


#: Theme variables per status (never hex colours: the theme decides what they look like).
STATUS_STYLE = {
    Status.PASS: "$success",
    Status.CONFIRMED: "$success",
    Status.WARN: "$warning",
    Status.FAIL: "bold $error",
    Status.ERROR: "bold $error",
    Status.PENDING: "$accent",
    Status.NOT_APPLICABLE: "$text-muted",
    Status.WAIVED: "$secondary",
}
#: Without colour (NO_COLOR) the glyph and its weight tell the statuses apart: what needs work is
#: reversed (a block that survives the selected row's reverse), what waits on a person is bold.
MONO_STYLE = {
    Status.PASS: "",
    Status.CONFIRMED: "",
    Status.WARN: "bold",
    Status.FAIL: "bold reverse",
    Status.ERROR: "bold reverse",
    Status.PENDING: "bold",
    Status.NOT_APPLICABLE: "dim",
    Status.WAIVED: "italic",
}
EXPIRED_STYLE, EXPIRED_MONO = "bold $error", "bold reverse"

LABEL = {
    Status.PASS: "PASS", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.ERROR: "ERROR",
    Status.PENDING: "PENDING", Status.CONFIRMED: "CONFIRMED", Status.NOT_APPLICABLE: "N/A",
    Status.WAIVED: "WAIVED",
}

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def _styled(style: str, text: str) -> str:
    return f"[{style}]{text}[/]" if style else text


def status_style(status: Status, expired: bool = False, mono: bool = False) -> str:
    """The markup style of a status (empty when the plain text says it all)."""
    if expired:
        return EXPIRED_MONO if mono else EXPIRED_STYLE
    return (MONO_STYLE if mono else STATUS_STYLE)[status]


def glyph(status: Status, expired: bool = False, mono: bool = False) -> str:
    """The status glyph as markup in its style (`mono`: no colour, weight and reverse instead)."""
    return _styled(status_style(status, expired, mono), "W" if expired else GLYPHS[status])


def label(status: Status, expired: bool = False, mono: bool = False) -> str:
    """The status word as markup in its style."""
    return _styled(status_style(status, expired, mono), "WAIVER EXPIRED" if expired else LABEL[status])


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
    """One evidence value as a single line (JSON for lists and tables), shortened; not yet safe."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
