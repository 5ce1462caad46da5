"""The section screen: one class for all ten sections, driven by the checklist data."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from readiness_tui.screens.common import (
    KeysInOrder,
    duration_text,
    elapsed_text,
    evidence_value,
    glyph,
    label,
    safe,
    spinner_frame,
    wizard,
)
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from readiness_tui.browser import screenshot_of, viewer_command
from readiness_tui.decisions import can_confirm
from readiness_tui.scoring import ItemView


def check_descriptions() -> dict[str, str]:
    """Registered checks' one-line descriptions by name (the check modules load on first use)."""
    from readiness_tui.checkapi import registry

    return {spec.name: spec.description for spec in registry()}


class SectionScreen(KeysInOrder):
    """Items of the current section with their status, and the selected item's detail."""

    WIZARD_SCREEN = True  # the app's navigation keys work here

    CSS_PATH = "section.tcss"

    # In the order they are used; the app adds → e / ? q after them. Keys an item does not offer
    # (f without a safe fix, u without a decision, r once a person decided) leave the footer.
    BINDINGS = [
        Binding("c", "app.confirm", "Confirm"),
        Binding("n", "app.not_applicable", "N/A"),
        Binding("w", "app.waive", "Waive"),
        Binding("f", "app.fix", "Fix"),
        Binding("u", "app.undo", "Undo"),
        Binding("r", "app.rerun_item", "Rerun"),
        Binding("R", "app.rerun_section", "Rerun section", key_display="R", show=False),
        Binding("o", "open_screenshot", "Screenshot", show=False),
    ]
    #: For the help screen: keys of this screen that are not bindings.
    KEYS_HELP = [("↑ ↓", "select an item"), ("tab", "the detail pane and back (↑ ↓ scroll it)")]

    def __init__(self) -> None:
        super().__init__()
        self._descriptions: dict[str, str] | None = None
        self._shown_section = 0
        self._shown_item = ""

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield Static(id="section-title")
        with Horizontal(id="section-body"):
            yield OptionList(id="items")
            with VerticalScroll(id="detail-scroll", can_focus=True):
                yield Static(id="detail")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.watch(self.app, "state_version", self._refresh_all, init=False)
        self.watch(self.app, "section_id", self._refresh_all, init=False)
        self.watch(self.app, "current_item", self._select_current, init=False)
        self.set_interval(0.25, self._tick, name="spinner")
        self._refresh_all()
        self.query_one("#items", OptionList).focus()

    def on_screen_resume(self) -> None:
        self._refresh_all()

    # ---- drawing -----------------------------------------------------------------------------

    def _row(self, view: ItemView, now: float) -> str:
        app = wizard(self)
        started = app.running.get(view.item.id)
        if started is not None:
            elapsed = now - started
            mark = f"[$accent]{spinner_frame(elapsed)}[/]"
            tail = f" [$text-muted]{elapsed_text(elapsed)}[/]"
        else:
            mark = glyph(view.status, view.waiver_expired, app.no_color)
            tail = ""
        item_id = f"[b]{safe(view.item.id):>5}[/b]" if view.item.critical else f"{safe(view.item.id):>5}"
        return f"{mark} {item_id} {safe(view.item.text)}{tail}"

    def _refresh_all(self, *_: object) -> None:
        app = wizard(self)
        section = app.target.checklist.section(app.section_id)
        views = app.section_items()
        done = sum(1 for v in views if v.completed)
        applicable = sum(1 for v in views if v.status.value != "not_applicable")
        total = len(app.target.checklist.sections)
        self.query_one("#section-title", Static).update(
            f"[b]{section.id}. {safe(section.title)}[/b]  [$text-muted]section {section.id} of {total} · "
            f"{done}/{applicable} completed[/]"
        )
        options = self.query_one("#items", OptionList)
        now = time.monotonic()
        prompts = [self._row(v, now) for v in views]
        if self._shown_section != section.id or options.option_count != len(prompts):
            self._shown_section = section.id
            options.clear_options()
            options.add_options([Option(p, id=v.item.id) for p, v in zip(prompts, views, strict=True)])
            self._select_current()
        else:
            # The cursor stays where the person put it: a redraw never moves it (keys may be ahead).
            for index, prompt in enumerate(prompts):
                options.replace_option_prompt_at_index(index, prompt)
        self._show_detail()

    def _tick(self) -> None:
        """Redraw running rows (spinner and elapsed time) only while something runs here."""
        running = wizard(self).running
        if not running or self.app.screen is not self:
            return
        options = self.query_one("#items", OptionList)
        now = time.monotonic()
        for index, view in enumerate(wizard(self).section_items()):
            if view.item.id in running:
                options.replace_option_prompt_at_index(index, self._row(view, now))
        if wizard(self).current_item in running:
            self._show_detail()

    def _select_current(self, *_: object) -> None:
        options = self.query_one("#items", OptionList)
        current = wizard(self).current_item
        try:
            index = options.get_option_index(current)
        except Exception:  # noqa: BLE001 - the item is in another section
            return
        if options.highlighted != index:
            options.highlighted = index
        self._show_detail()

    def highlighted_item(self) -> str | None:
        """The id of the item under the cursor."""
        option = self.query_one("#items", OptionList).highlighted_option
        return option.id if option is not None else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index != event.option_list.highlighted:
            return  # stale: the cursor has moved on since (keys typed ahead)
        if event.option.id and event.option.id != wizard(self).current_item:
            wizard(self).current_item = event.option.id

    def action_open_screenshot(self) -> None:
        """Show the selected item's screenshot in the system's viewer, or say where it is."""
        app = wizard(self)
        shot = screenshot_of(app.view().evidence)
        if not shot:
            self.notify("this item has no screenshot (the browser items 10.4 and 10.9 take them)", timeout=4)
            return
        path = Path(app.target.project) / shot
        if not path.is_file():
            self.notify(f"the screenshot is gone: {safe(str(path))} (re-run the item)", severity="warning", timeout=6)
            return
        command = viewer_command(path)
        if command is None:
            self.notify(f"screenshot: {safe(str(path))} (no image viewer here: set $BROWSER, or copy it to a "
                        "machine with a screen)", timeout=10)
            return
        try:
            subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        except OSError as exc:
            self.notify(f"could not start {safe(command[0])}: {safe(exc.strerror or str(exc))}; screenshot: "
                        f"{safe(str(path))}", severity="warning", timeout=10)
            return
        self.notify(f"opened {safe(str(path))}", timeout=4)

    def _show_detail(self) -> None:
        app = wizard(self)
        view: ItemView = app.view(app.current_item)
        if self._descriptions is None and view.item.checks:
            self._descriptions = check_descriptions()
        self.query_one("#detail", Static).update(self.detail_markup(view))
        if view.item.id != self._shown_item:
            # A new item is read from its title and status: the pane starts at the top.
            self._shown_item = view.item.id
            self.query_one("#detail-scroll", VerticalScroll).scroll_home(animate=False)
        self.refresh_bindings()

    def detail_markup(self, view: ItemView) -> str:
        """The selected item's detail: what was checked, evidence, duration, decision, hint."""
        app = wizard(self)
        mono = app.no_color
        redact = app.target.redactor.text
        item = view.item
        lines = [f"[b]{safe(item.id)}  {safe(item.text)}[/b]"]
        tags = [safe(item.kind)] + (["[bold $error]critical[/]"] if item.critical else [])
        lines.append(f"[$text-muted]{' · '.join(tags)}[/]")
        lines.append("")
        started = app.running.get(item.id)
        if started is not None:
            elapsed = time.monotonic() - started
            progress = app.progress_text.get(item.id, "")
            lines.append(f"[$accent]{spinner_frame(elapsed)} running {elapsed_text(elapsed)}[/] {safe(progress)}")
        lines.append(f"{glyph(view.status, view.waiver_expired, mono)} {label(view.status, view.waiver_expired, mono)}"
                     f"  {safe(redact(view.summary))}")
        if view.decision is not None:
            d = view.decision
            lines.append(f"[$text-muted]by {safe(d.by)} at {safe(d.at)} ({safe(d.user_host)})[/]")
            if view.result is not None:
                lines.append(f"[$text-muted]machine said: {view.result.status.value} — "
                             f"{safe(redact(view.result.summary))}[/]")
        if item.checks:
            lines += ["", "[b]What was checked[/b]"]
            by_check = {c.check: c for c in (view.result.checks if view.result else [])}
            for name in item.checks:
                description = (self._descriptions or {}).get(name, "no automated check yet")
                outcome = by_check.get(name)
                tail = (f"  {glyph(outcome.status, mono=mono)} {duration_text(outcome.duration_ms)}"
                        if outcome else "")
                lines.append(f" • [$accent]{safe(name)}[/] — {safe(description)}{tail}")
        facts = view.result.facts if view.result is not None else {}
        if facts:
            lines += ["", "[b]Facts[/b] [$text-muted](what decides the verdict; a sign-off binds them)[/]"]
            for key, value in facts.items():
                lines.append(f" {safe(key)}: {safe(redact(evidence_value(value)))}")
        evidence = view.evidence
        if evidence:
            lines += ["", "[b]Evidence[/b]"]
            for key, value in evidence.items():
                lines.append(f" {safe(key)}: {safe(redact(evidence_value(value)))}")
        shot = screenshot_of(evidence)
        if shot:
            where = Path(app.target.project) / shot
            lines += ["", f"[b]Screenshot[/b] {safe(str(where))}  [$text-muted](o opens it)[/]"]
        if view.result is not None:
            finished = f" · finished {safe(view.result.finished_at)}" if view.result.finished_at else ""
            lines += ["", f"[$text-muted]took {duration_text(view.duration_ms)}{finished}[/]"]
        if item.hint:
            lines += ["", "[b]How to fix[/b]", safe(item.hint)]
        lines += ["", f"[$text-muted]{' · '.join(self.offered(view))}[/]"]
        return "\n".join(lines)

    def offered(self, view: ItemView) -> list[str]:
        """The keys this item offers, as the footer shows them (no `f` without a safe fix)."""
        app = wizard(self)
        machine = view.result.status if view.result else None
        actions = []
        if can_confirm(view.item, machine):
            actions.append("c confirm")
        actions += ["n not applicable", "w waive"]
        if app.fixable.get(view.item.id, False):
            actions.append("f fix")
        if view.decision is not None:
            actions.append("u undo decision")
        elif view.item.checks:
            actions.append("r re-run")
        if screenshot_of(view.evidence):
            actions.append("o open screenshot")
        return actions
