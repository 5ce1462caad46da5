"""The deployment steps screen: pick a step, confirm what it will run, follow its log live.

The work happens in `readiness_tui.deploy` (the same code as `readiness deploy STEP`), in a thread
worker that only posts messages (`StepOutput`, `StepFinished`); the screen's handlers own the
widgets. Deploy asks for an override reason when the gate (score band, sign-offs) refuses it, and a
failed deploy offers the rollback at once.
"""

from __future__ import annotations

import threading
from typing import Any

from readiness_tui.screens.common import safe
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Log, OptionList, Static
from textual.widgets.option_list import Option

from readiness_tui import deploy
from readiness_tui.neutral import visible
from readiness_tui.target import Target

GLYPH = {"ok": "✓", "failed": "✗", "timed_out": "⏱", "cancelled": "■", "refused": "⊘", "error": "E"}


class ConfirmStep(ModalScreen[bool]):
    """Asks before anything runs: what, where, and the exact argument lists."""

    CSS_PATH = "deploy.tcss"
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No"),
                Binding("escape", "answer(False)", "Cancel")]

    def __init__(self, question: str, details: list[str]) -> None:
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

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if reason:
            self.dismiss(reason)
        else:
            self.notify("A reason is required to override", severity="warning")

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


class DeployScreen(Screen[None]):
    """The seed's deployment steps for one target, with a live log."""

    CSS_PATH = "deploy.tcss"
    BINDINGS = [
        Binding("r", "run_step", "Run step"),
        Binding("s", "stop", "Stop"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, target: Target) -> None:
        super().__init__()
        self.target = target
        self.running: str | None = None
        self.last_run: deploy.StepRun | None = None
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Static("Deployment steps — Enter or r runs the highlighted step, after confirmation", id="title")
        with Horizontal():
            yield OptionList(*[Option(self._prompt(name), id=name) for name in deploy.STEP_ORDER], id="steps")
            yield Static("", id="detail")
        yield Log(id="log", highlight=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._show_detail(deploy.STEP_ORDER[0])

    def _prompt(self, name: str) -> str:
        info = deploy.STEPS[name]
        last = deploy.last_step(self.target.store.load(), name)
        state = f"{GLYPH.get(str(last.get('status')), '?')} {last.get('status')}" if last else "not run"
        return f"{info.title:<30} {state}"

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
            self.notify(f"{self.running} is still running (s stops it)", severity="warning")
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
            self.notify(str(exc), severity="error")
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
        log = self.query_one(Log)
        log.write_line(f"── {deploy.STEPS[name].title} ──")
        self.run_worker(lambda: self._work(name, override), thread=True, exclusive=True, group="deploy",
                        exit_on_error=False, name=f"deploy-{name}")

    def _work(self, name: str, override: str | None) -> None:
        try:
            run = deploy.run_step(self.target, name, on_line=lambda line: self.post_message(StepOutput(line)),
                                  override=override, cancel=self._cancel)
        except Exception as exc:  # noqa: BLE001 - reported on the screen, never a crash
            self.post_message(StepFinished(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(StepFinished(run))

    def on_step_output(self, message: StepOutput) -> None:
        self.query_one(Log).write_line(visible(message.line))  # a script's output: shown, never obeyed

    def on_step_finished(self, message: StepFinished) -> None:
        name, self.running = self.running, None
        log = self.query_one(Log)
        run = message.run
        self.last_run = run
        if run is None:
            log.write_line(visible(f"error: {message.error}"))
            return
        took = f" in {run.duration_s:.1f} s" if run.duration_s else ""
        log.write_line(visible(f"{GLYPH.get(run.status, '?')} {run.step} {run.status}{took}: {run.summary}"))
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
            self.query_one(Log).write_line(f"stopping {self.running}…")

    def action_back(self) -> None:
        self._cancel.set()
        self.dismiss(None)

    def on_unmount(self) -> None:
        self._cancel.set()

    def status(self) -> dict[str, Any]:
        """What the screen shows (for tests and the app): running step and the last outcome."""
        return {"running": self.running, "last": self.last_run.to_dict() if self.last_run else None}
