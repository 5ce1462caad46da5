"""Find items (`/`): every item of every section that matches words and conditions, live as typed.

A query is words and conditions separated by spaces; an item matches when it has every one:

- a word: in the item's id, text or current summary (any case);
- `is:failing` (fail, error, expired waiver), `is:critical`, `is:open` (applicable, not completed),
  `is:decided` (a person's decision), `is:running`;
- `status:S` with S one of pass warn fail error pending confirmed na waived;
- `kind:auto|assisted|manual`; `section:N`.

A condition that is not understood is treated as a word, so nothing typed is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from readiness_tui.screens.common import glyph, safe, wizard
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from readiness_tui.scoring import ItemView

STATUS_WORDS = {"pass": "pass", "warn": "warn", "fail": "fail", "error": "error", "pending": "pending",
                "confirmed": "confirmed", "na": "not_applicable", "n/a": "not_applicable",
                "not_applicable": "not_applicable", "waived": "waived"}
FLAGS = ("failing", "critical", "open", "decided", "running")
KINDS = ("auto", "assisted", "manual")
HINT = "words · is:failing · is:critical · is:open · status:pending · kind:manual · section:3"


@dataclass
class Query:
    """A parsed query: words and conditions, all of which an item must meet."""

    words: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)
    sections: set[int] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.words or self.flags or self.statuses or self.kinds or self.sections)


def parse_query(text: str) -> Query:
    """Parse a query; never fails (what is not a known condition is a word)."""
    query = Query()
    for token in text.split():
        name, sep, value = token.partition(":")
        name, value = name.casefold(), value.casefold()
        if sep and name == "is" and value in FLAGS:
            query.flags.add(value)
        elif sep and name == "status" and value in STATUS_WORDS:
            query.statuses.add(STATUS_WORDS[value])
        elif sep and name == "kind" and value in KINDS:
            query.kinds.add(value)
        elif sep and name == "section" and value.isdigit():
            query.sections.add(int(value))
        else:
            query.words.append(token.casefold())
    return query


def matches(view: ItemView, query: Query, running: set[str] | None = None) -> bool:
    """True when the item meets every word and condition of the query."""
    item = view.item
    status = view.status.value
    flags = {
        "failing": status in ("fail", "error") or view.waiver_expired,
        "critical": item.critical,
        "open": not view.completed and status != "not_applicable",
        "decided": view.decision is not None,
        "running": item.id in (running or set()),
    }
    if any(not flags[f] for f in query.flags):
        return False
    if query.statuses and status not in query.statuses:
        return False
    if query.kinds and item.kind not in query.kinds:
        return False
    if query.sections and item.section_id not in query.sections:
        return False
    haystack = f"{item.id} {item.text} {view.summary}".casefold()
    return all(word in haystack for word in query.words)


class FilterScreen(ModalScreen[str]):
    """Type to filter every item; ↑ ↓ choose, enter opens the item, escape goes back."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial = query

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static("[b]Find items[/b] [$text-muted](enter opens, escape goes back)[/]", classes="dialog-title")
            yield Input(value=self.initial, placeholder=HINT, id="filter-input", compact=True)
            yield Static("", id="filter-count")
            yield OptionList(id="filter-results")

    def on_mount(self) -> None:
        self.query_one("#filter-input", Input).focus()
        self._show(self.initial)

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    def _show(self, text: str) -> None:
        app = wizard(self)
        query = parse_query(text)
        running = set(app.running)
        found = [v for v in app.views.values() if matches(v, query, running)] if app.views else []
        options = self.query_one("#filter-results", OptionList)
        options.clear_options()
        titles = {s.id: s.title for s in app.target.checklist.sections} if app.ready else {}
        options.add_options([
            Option(f"{glyph(v.status, v.waiver_expired, app.no_color)} {safe(v.item.id):>5} "
                   f"{'[b]' if v.item.critical else ''}{safe(v.item.text)}{'[/b]' if v.item.critical else ''} "
                   f"[$text-muted]— {safe(titles.get(v.item.section_id, ''))}: {safe(v.summary, limit=80)}[/]",
                   id=v.item.id)
            for v in found
        ])
        if found:
            options.highlighted = 0
        sections = len({v.item.section_id for v in found})
        total = len(app.views)
        self.query_one("#filter-count", Static).update(
            f"{len(found)} of {total} items in {sections} section(s)" if not query.empty
            else f"all {total} items · {HINT}")
        app.filter_query = text

    def action_move(self, step: int) -> None:
        options = self.query_one("#filter-results", OptionList)
        if options.option_count:
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.query_one("#filter-results", OptionList).highlighted_option
        self.dismiss(option.id if option is not None else None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
