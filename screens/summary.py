"""The summary: score and band, progress per section, success criteria, and the blockers."""

from __future__ import annotations

from readiness_tui.screens.common import KeysInOrder, glyph, safe, wizard
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from readiness_tui.reports import critical_not_applicable
from readiness_tui.scoring import blockers, criteria_tables

BAND_STYLE = {"ready": "$success", "nearly": "$warning", "not-ready": "$error", "do-not-deploy": "bold $error"}
VERDICT_STYLE = {"PASS": "$success", "FAIL": "$error", "TBD": "$text-muted", "INFO": "$accent"}
#: Columns a section cell needs besides its title: mark, id, bar and counts.
CELL_EXTRA = 19
#: Columns of the screen that are not the cells': the padding, the scroll bar and the gap between cells.
CHROME = 6
BAR = 6


def bar(done: int, total: int, width: int = 20) -> str:
    """A progress bar in block characters."""
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def title_width(width: int, titles: list[str]) -> int:
    """How wide section titles are in two columns on a screen `width` wide: whole where they fit
    (120 columns: every title), shortened below (80 columns: five lines, room for the blockers)."""
    longest = max((len(t) for t in titles), default=10)
    return max(min(longest, (width - CHROME) // 2 - CELL_EXTRA), 8)


class SummaryScreen(KeysInOrder):
    """Where the run stands, and what stands between it and `ready`."""

    WIZARD_SCREEN = True  # the app's navigation keys work here

    CSS_PATH = "summary.tcss"

    BINDINGS = [
        Binding("enter", "open_blocker", "Open item", priority=True),
        Binding("g", "app.show_signoff", "Sign-off"),
        Binding("x", "app.export", "Export"),
    ]
    KEYS_HELP = [("↑ ↓", "select a blocker")]

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static(id="score")
        with VerticalScroll(id="summary-scroll"):
            yield Static(id="sections")
            yield Static(id="blockers-title", classes="heading")
            yield OptionList(id="blockers")
            yield Static(id="criteria")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.watch(self.app, "state_version", self._refresh, init=True)
        self.query_one("#blockers", OptionList).focus(scroll_visible=False)

    def on_screen_resume(self) -> None:
        if self.focused is None:  # back from a dialog or another screen: the keys go to the list again
            self.query_one("#blockers", OptionList).focus(scroll_visible=False)

    def on_resize(self, event: events.Resize) -> None:
        self._refresh()

    def _refresh(self, *_: object) -> None:
        app = wizard(self)
        mono = app.no_color
        checklist = app.target.checklist
        score = app.score
        if score is None:
            return
        views = list(app.views.values())
        style = BAND_STYLE.get(score.band, "$text")
        running = len(app.running)
        lines = [
            f"[b]Score {score.percent:.1f}%[/b]  [{style}]{safe(score.band)}[/] — {safe(score.band_label)}",
            f"[$text-muted]{score.completed} of {score.applicable} applicable items completed "
            f"({score.total - score.applicable} not applicable)"
            + (f" · {running} check(s) still running" if running else "") + "[/]",
        ]
        critical_na = critical_not_applicable(views)
        if critical_na:
            lines.append("[$warning]Critical items marked not applicable: "
                         + ", ".join(v.item.id for v in critical_na) + "[/]")
        self.query_one("#score", Static).update("\n".join(lines))
        width = title_width(self.size.width or 80, [s.title for s in checklist.sections])
        cells = []
        for section in checklist.sections:
            items = app.section_items(section.id)
            done = sum(1 for v in items if v.completed)
            applicable = sum(1 for v in items if v.status.value != "not_applicable")
            failing = sum(1 for v in items if v.status.value in ("fail", "error") or v.waiver_expired)
            mark = ("[bold reverse]✗[/]" if mono else "[$error]✗[/]") if failing else \
                ("[$success]✓[/]" if done == applicable else " ")
            title = section.title if len(section.title) <= width else section.title[: width - 1] + "…"
            cells.append(f"{mark}{section.id:>3}. {safe(title.ljust(width))} {bar(done, applicable, BAR)} "
                         f"{done:>2}/{applicable:<2}")
        half = (len(cells) + 1) // 2
        rows = ["[b]Sections[/b] [$text-muted](✗ has a failing item)[/]"]
        rows += [f"{left}  {right}" for left, right in zip(cells[:half], cells[half:] + [""], strict=False)]
        self.query_one("#sections", Static).update("\n".join(rows))
        options = self.query_one("#blockers", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        open_items = blockers(views)
        self.query_one("#blockers-title", Static).update(
            f"[b]Blockers[/b] {len(open_items)} [$text-muted](critical first; enter opens the item)[/]")
        if open_items:
            options.add_options([
                Option(f"{glyph(v.status, v.waiver_expired, mono)} {safe(v.item.id):>5} "
                       f"{'[bold $error]critical[/] ' if v.item.critical else ''}"
                       f"{safe(v.item.text)} [$text-muted]— {safe(app.target.redactor.text(v.summary))}[/]",
                       id=v.item.id)
                for v in open_items
            ])
            if highlighted is not None:
                options.highlighted = min(highlighted, len(open_items) - 1)
        else:
            options.add_option(Option("[$success]nothing blocks this run[/]", disabled=True))
        tables = []
        for _id, title, criteria in criteria_tables(checklist, views):
            tables.append(f"[b]{safe(title)}[/b]")
            for cell in criteria:
                verdict = f"[{VERDICT_STYLE.get(cell.verdict, '$text')}]{cell.verdict:<4}[/]"
                measured = cell.measurement.display if cell.measurement else "—"
                tables.append(f" {verdict} {safe(cell.row.metric[:28].ljust(28))} target "
                              f"{safe(cell.row.target.ljust(12))} measured {safe(measured)}")
            tables.append("")
        self.query_one("#criteria", Static).update("\n".join(tables).rstrip())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            wizard(self).goto_item(event.option.id)

    def action_open_blocker(self) -> None:
        options = self.query_one("#blockers", OptionList)
        option = options.highlighted_option
        if option is not None and option.id:
            wizard(self).goto_item(option.id)
