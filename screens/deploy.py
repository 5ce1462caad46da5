"""The deployment steps screen: pick a step, confirm what it will run, follow its log live.

The work happens in `readiness_tui.deploy` (the same code as `readiness deploy STEP`), in a thread
worker that only posts messages (`StepOutput`, `StepFinished`); the screen's handlers own the
widgets. Deploy asks for an override reason when the gate (score band, sign-offs) refuses it, and a
failed deploy offers the rollback at once. The log wraps to the screen, follows new lines while it
is scrolled to the end, and `/` searches it (n / N for the next and previous match).
"""

from __future__ import annotations

import threading
from typing import Any

from readiness_tui.screens.common import KeysInOrder, safe, wizard
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from readiness_tui import deploy
from readiness_tui.neutral import visible
from readiness_tui.target import Target

GLYPH = {"ok": "✓", "failed": "✗", "timed_out": "⏱", "cancelled": "■", "refused": "⊘", "error": "E"}
#: Lines the log keeps (older ones are dropped from the screen; the record keeps the outcome).
LOG_LINES = 5000


class ConfirmStep(ModalScreen[bool]):
    """Asks before anything runs: what, where, and the exact argument lists."""

    CSS_PATH = "deploy.tcss"
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No"),
                Binding("escape", "answer(False)", "Cancel")]

    def __init__(self, question: str, details: list[str]) -> None:
        """`question` and `details` are plain text (shown as they are)."""
        super().__init__()
        self.question = question
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(safe(self.question), classes="question")
            yield Static("\n".join(safe(d) for d in self.details) or "(nothing to run)", classes="details")
            with Horizontal(classes="buttons"):
                yield Button("Run (y)", variant="warning", id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # enter on the default does nothing harmful

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class OverrideReason(ModalScreen[str | None]):
    """Deploy is blocked: show why, and take a reason to override (recorded) or cancel."""

    CSS_PATH = "deploy.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, problems: list[str]) -> None:
        super().__init__()
        self.problems = problems

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Deploy is blocked", classes="question")
            yield Static("\n".join(f"• {safe(p)}" for p in self.problems), classes="details")
            yield Static("To deploy anyway, give a reason (it is recorded with your name):")
            yield Input(placeholder="reason for the override", id="reason")
            yield Static("", id="reason-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if reason:
            self.dismiss(reason)
        else:
            self.query_one("#reason-error", Static).update("[$error]✗ a reason is required to override[/]")

    def action_cancel(self) -> None:
        self.dismiss(None)


class StepOutput(Message):
    """A line of a running step's output (already redacted)."""

    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class StepFinished(Message):
    """A step finished (or could not start) and was recorded."""

    def __init__(self, run: deploy.StepRun | None, error: str = "") -> None:
        super().__init__()
        self.run = run
        self.error = error


class LogView(RichLog):
    """A step log: wrapped to its width, following new lines while scrolled to the end, searchable.

    The raw lines are kept, so a new width or a new search draws the log again (wrapping and
    highlights stay right) and a match can be scrolled to.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(wrap=True, markup=False, highlight=False, auto_scroll=False, **kwargs)
        self.raw: list[str] = []
        self.offsets: list[int] = []
        self.search = ""
        self.matches: list[int] = []
        self.current = -1
        self._width = 0

    def _text(self, index: int) -> Text:
        text = Text(self.raw[index])
        if self.search:
            text.highlight_words([self.search], "reverse", case_sensitive=False)
            if self.matches and self.current >= 0 and self.matches[self.current] == index:
                text.stylize("bold")
        return text

    def add(self, line: str) -> None:
        """Append a line (control characters shown, never sent to the terminal)."""
        following = self.is_vertical_scroll_end or self.max_scroll_y == 0
        self.raw.append(visible(line))
        if len(self.raw) > LOG_LINES:
            del self.raw[: len(self.raw) - LOG_LINES]
            self.redraw()
            return
        index = len(self.raw) - 1
        if self.search and self.search.casefold() in self.raw[index].casefold():
            self.matches.append(index)
        self.offsets.append(len(self.lines))
        self.write(self._text(index), scroll_end=following)

    def redraw(self) -> None:
        """Draw every line again (new width, new search), keeping the view at the end when it was."""
        following = self.is_vertical_scroll_end
        self.clear()
        self.offsets = []
        for index in range(len(self.raw)):
            self.offsets.append(len(self.lines))
            self.write(self._text(index), scroll_end=False)
        if following:
            self.scroll_end(animate=False)

    def on_resize(self, event: events.Resize) -> None:
        super().on_resize(event)
        if event.size.width != self._width:
            self._width = event.size.width
            self.call_after_refresh(self.redraw)

    def find(self, search: str) -> int:
        """Highlight `search` (case-insensitive); the number of lines that match."""
        self.search = search
        needle = search.casefold()
        self.matches = [i for i, line in enumerate(self.raw) if needle and needle in line.casefold()]
        self.current = -1
        self.redraw()
        return len(self.matches)

    def step(self, direction: int) -> int:
        """Scroll to the next (1) or previous (-1) match; its position (1-based), 0 when none."""
        if not self.matches:
            return 0
        self.current = (self.current + direction) % len(self.matches)
        self.redraw()
        if self.current < len(self.matches) and self.matches[self.current] < len(self.offsets):
            self.scroll_to(y=max(self.offsets[self.matches[self.current]] - 1, 0), animate=False)
        return self.current + 1


class DeployScreen(KeysInOrder):
    """The seed's deployment steps for one target, with a live log."""

    CSS_PATH = "deploy.tcss"
    BINDINGS = [
        Binding("r", "run_step", "Run step"),
        Binding("s", "stop", "Stop"),
        Binding("slash", "search", "Search log", key_display="/"),
        Binding("n", "match(1)", "Next match", show=False),
        Binding("N", "match(-1)", "Previous match", key_display="N", show=False),
        Binding("end", "follow", "Follow", show=False),
        Binding("escape", "back", "Back"),
    ]
    KEYS_HELP = [("↑ ↓ enter", "select a step and run it (after confirmation)"),
            ("tab", "the log (↑ ↓ pgup pgdn home end scroll it)"),
            ("n / N", "next / previous match of the search"), ("end", "follow the log again")]

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
        self.running: str | None = None
        self.last_run: deploy.StepRun | None = None
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static("Deployment steps — enter or r runs the highlighted step, after confirmation", id="title")
        with Horizontal(id="deploy-top"):
            yield OptionList(*[Option(self._prompt(name), id=name) for name in deploy.STEP_ORDER], id="steps")
            yield Static("", id="detail")
        yield LogView(id="log")
        yield Static("", id="log-status")
        yield Input(placeholder="search the log (enter: first match, escape: clear)", id="log-search",
                    compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.query_one("#log-search", Input).display = False
        self._show_detail(deploy.STEP_ORDER[0])
        self._status()

    def _prompt(self, name: str) -> str:
        info = deploy.STEPS[name]
        last = deploy.last_step(self.target.store.load(), name)
        state = f"{GLYPH.get(str(last.get('status')), '?')} {safe(last.get('status'))}" if last else "not run"
        return f"{safe(info.title):<30} {state}"

    def _command(self, command: deploy.Command) -> str:
        """`$ argv` and, when it is not the project directory, where it runs (relative if inside)."""
        try:
            where = str(command.cwd.relative_to(self.target.settings.project_dir))
        except ValueError:
            where = str(command.cwd)
        return f"$ {command.display()}" + ("" if where == "." else f"   (in {where})")

    def _show_detail(self, name: str) -> None:
        info = deploy.STEPS[name]
        try:
            commands = [self._command(c) for c in deploy.plan(self.target, name)]
        except Exception as exc:  # noqa: BLE001 - a malformed [deploy] table is shown, not raised
            commands = [f"cannot read [deploy]: {exc}"]
        self.query_one("#detail", Static).update("\n".join(safe(line) for line in [info.seed, *commands]))

    def _status(self, note: str = "") -> None:
        log = self.query_one(LogView)
        parts = [note] if note else []
        if log.search:
            parts.append(f"{len(log.matches)} line(s) match “{safe(log.search)}” · n next · N previous")
        parts.append("[$text-muted]following[/]" if log.is_vertical_scroll_end or log.max_scroll_y == 0
                     else "[$warning]paused[/] [$text-muted](end: follow)[/]")
        self.query_one("#log-status", Static).update(" · ".join(parts))

    @on(OptionList.OptionHighlighted)
    def highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show_detail(event.option.id)

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.action_run_step()

    def action_run_step(self, name: str | None = None) -> None:
        """Run the highlighted step: gate (deploy), confirmation, then a thread worker."""
        if self.running:
            wizard(self).toast(f"{self.running} is still running (s stops it)", severity="warning")
            return
        option = self.query_one(OptionList).highlighted_option
        name = name or (option.id if option else None)
        if not name:
            return
        if name == "deploy":
            gate = deploy.deploy_gate(self.target)
            if not gate.allowed:
                self.app.push_screen(OverrideReason(gate.problems),
                                     lambda reason: self._confirm(name, reason) if reason else None)
                return
        self._confirm(name, None)

    def _confirm(self, name: str, override: str | None) -> None:
        try:
            commands = deploy.plan(self.target, name)
        except Exception as exc:  # noqa: BLE001 - shown to the person
            wizard(self).toast(str(exc), severity="error")
            return
        if not commands:
            self._start(name, override)
            return
        info = deploy.STEPS[name]
        details = [self._command(c) for c in commands]
        if override:
            details.append(f"override reason: {override}")
        self.app.push_screen(ConfirmStep(f"{info.title}: run now?", details),
                             lambda yes: self._start(name, override) if yes else None)

    def _start(self, name: str, override: str | None) -> None:
        self.running = name
        self._cancel.clear()
        self.query_one(LogView).add(f"── {deploy.STEPS[name].title} ──")
        self.run_worker(lambda: self._work(name, override), thread=True, exclusive=True, group="deploy",
                        exit_on_error=False, name=f"deploy-{name}")

    def _output(self, line: str) -> None:
        """A line of a step's output, from its worker thread to the log."""
        self.post_message(StepOutput(line))

    def _work(self, name: str, override: str | None) -> None:
        try:
            run = deploy.run_step(self.target, name, on_line=self._output, override=override, cancel=self._cancel)
        except Exception as exc:  # noqa: BLE001 - reported on the screen, never a crash
            self.post_message(StepFinished(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(StepFinished(run))

    def on_step_output(self, message: StepOutput) -> None:
        self.query_one(LogView).add(message.line)
        self._status()

    def on_step_finished(self, message: StepFinished) -> None:
        name, self.running = self.running, None
        log = self.query_one(LogView)
        run = message.run
        self.last_run = run
        if run is None:
            log.add(f"error: {message.error}")
            self._status()
            return
        took = f" in {run.duration_s:.1f} s" if run.duration_s else ""
        log.add(f"{GLYPH.get(run.status, '?')} {run.step} {run.status}{took}: {run.summary}")
        self._status()
        options = self.query_one(OptionList)
        for step in deploy.STEP_ORDER:
            options.replace_option_prompt(step, self._prompt(step))
        if name == "deploy" and run.status not in ("ok", "refused"):
            commands = deploy.plan(self.target, "rollback")
            self.app.push_screen(
                ConfirmStep("The deploy did not succeed. Roll back now?",
                            [self._command(c) for c in commands]),
                lambda yes: self._start("rollback", None) if yes else None,
            )

    def action_stop(self) -> None:
        if self.running:
            self._cancel.set()
            self.query_one(LogView).add(f"stopping {self.running}…")

    # ---- the log ---------------------------------------------------------------------------------

    def action_search(self) -> None:
        """Show the search field under the log."""
        field = self.query_one("#log-search", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#log-search")
    def search_changed(self, event: Input.Changed) -> None:
        self.query_one(LogView).find(event.value)
        self._status()

    @on(Input.Submitted, "#log-search")
    def search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        log = self.query_one(LogView)
        event.input.display = False
        log.focus()
        position = log.step(1)
        self._status(f"match {position} of {len(log.matches)}" if position else "no match")

    def action_match(self, direction: int) -> None:
        log = self.query_one(LogView)
        position = log.step(direction)
        self._status(f"match {position} of {len(log.matches)}" if position else "no match")

    def action_follow(self) -> None:
        log = self.query_one(LogView)
        log.scroll_end(animate=False)
        self.call_after_refresh(self._status)

    def action_back(self) -> None:
        field = self.query_one("#log-search", Input)
        if field.display:
            # Escape in the search field: clear the search, back to the log.
            field.value = ""
            field.display = False
            self.query_one(LogView).find("")
            self.query_one(LogView).focus()
            self._status()
            return
        self._cancel.set()
        self.dismiss(None)

    def on_unmount(self) -> None:
        self._cancel.set()

    def status(self) -> dict[str, Any]:
        """What the screen shows (for tests and the app): running step and the last outcome."""
        return {"running": self.running, "last": self.last_run.to_dict() if self.last_run else None}
