"""The Textual application shell of the wizard: state, workers, navigation and item actions.

The screens of this package draw the state kept here; the item actions (re-run, confirm, not
applicable, waive, fix, undo) live on the app so that key bindings and the command palette call
the same code. Workers never touch widgets: they post small past-tense messages
(`CheckStarted`, `CheckCompleted`, `RunSaved`, ...) whose handlers update the state.

Every change goes to the run record at once through `Store.update` (locked, atomic) in a thread,
and the record is polled so that a second wizard on the same project shows this one's changes
(with a notice saying who changed what).
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import readiness_tui.screens as screens
from readiness_tui.screens.common import ask, safe
from readiness_tui.screens.messages import (
    ActionFailed,
    CheckCompleted,
    CheckProgressed,
    CheckStarted,
    RunFinished,
    RunSaved,
)
from textual import events, work
from textual.app import App, ScreenStackError
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen

from readiness_tui.errors import UsageError
from readiness_tui.identity import login_name
from readiness_tui.neutral import one_line

if TYPE_CHECKING:
    from readiness_tui.screens.terminal import TerminalGuard
    from textual.await_complete import AwaitComplete
    from textual.notifications import SeverityLevel

    from readiness_tui.model import ItemResult
    from readiness_tui.scoring import ItemView, Score
    from readiness_tui.store import RunRecord
    from readiness_tui.target import Target

POLL_SECONDS = 2.0
REDRAW_SECONDS = 0.1
FAILING = ("fail", "error")
#: Keys typed this soon after a dialog closes are not hotkeys: they were meant for the dialog.
KEY_HOLD_S = 0.5
#: ... and a burst of typing that goes on keeps being held for this long after each key.
KEY_BURST_S = 0.25
#: Keys held after a dialog closes: what typing sends (ctrl, alt, F-keys and escape are deliberate).
TYPING = ("enter", "backspace", "delete", "tab", "space")
#: How long quitting waits for a decision still being written (seconds).
QUIT_WAIT_S = 3.0
#: Toasts are short: a line or two, a few seconds.
TOAST_S = 3.0

#: The wizard's own actions: they act on the wizard screens only (a dialog's fields own the keyboard).
NAVIGATION = {"next_section", "previous_section", "next_failing", "show_start", "show_summary", "show_signoff",
              "export", "deploy", "credentials", "reload", "filter", "goto_section", "rerun_all"}
#: Actions on the selected item: only where an item is shown selected (a section screen).
ITEM_ACTIONS = {"rerun_item", "rerun_section", "confirm", "not_applicable", "waive", "fix", "undo"}


@dataclass
class RecordStamp:
    """What identifies a version of the record and decisions files on disk (cheap to read every poll)."""

    mtime_ns: int = 0
    size: int = 0
    decisions_mtime_ns: int = 0
    decisions_size: int = 0


def _screen(module: str, name: str) -> Screen[None]:
    """Build a screen of `screens.<module>`, imported when first shown (a lighter start-up)."""
    return getattr(importlib.import_module(f"readiness_tui.screens.{module}"), name)()


def _palette_provider() -> type:
    """The command palette provider, imported when the palette first opens."""
    from readiness_tui.screens.palette import ReadinessCommands

    return ReadinessCommands


def changes_by_others(old: RunRecord, new: RunRecord, own: set[str]) -> list[str]:
    """What another person (another wizard, the CLI) changed between two versions of the record:
    decisions, sign-offs and deployment fields, one short line each, leaving out `own` keys
    (`decision:ID`, `signoff:ROLE`, `field:NAME`) this wizard wrote itself."""
    from readiness_tui.signoff import field_value

    words = {"confirmed": "confirmed", "not_applicable": "marked N/A", "waived": "waived"}
    lines = []
    for item_id in sorted(set(old.decisions) | set(new.decisions)):
        if f"decision:{item_id}" in own:
            continue
        before, after = old.decisions.get(item_id), new.decisions.get(item_id)
        if after is not None and after != before:
            lines.append(f"{after.by} {words.get(after.type, after.type)} {item_id}")
        elif after is None and before is not None:
            lines.append(f"the decision on {item_id} was removed")
    seen = {(s.get("role"), s.get("name"), s.get("at")) for s in old.signoffs}
    for entry in new.signoffs:
        key = (entry.get("role"), entry.get("name"), entry.get("at"))
        if key not in seen and f"signoff:{entry.get('role')}" not in own:
            lines.append(f"{entry.get('name')} signed as {entry.get('role')}")
    for field in sorted(set(new.deployment)):
        if f"field:{field}" in own:
            continue
        value, by = field_value(new, field)
        if (value, by) != field_value(old, field):
            lines.append(f"{by or 'someone'} set {field}")
    return lines


class ReadinessApp(App[int]):
    """The readiness wizard."""

    TITLE = "readiness"
    # Each screen brings its own .tcss (CSS_PATH on the screen), read when it is first shown.
    CSS_PATH = Path(screens.__file__).parent / "start.tcss"
    ENABLE_COMMAND_PALETTE = True
    MODES = {
        "start": lambda: _screen("start", "StartScreen"),
        "section": lambda: _screen("section", "SectionScreen"),
        "summary": lambda: _screen("summary", "SummaryScreen"),
        "signoff": lambda: _screen("signoff", "SignoffScreen"),
    }
    DEFAULT_MODE = "start"
    # The footer shows, in order: the screen's own keys, then these shown ones; the rest are in `?`.
    BINDINGS = [
        # Priority: scrolling panes bind the arrows too; dialogs get them back through check_action.
        Binding("right", "next_section", "Next", key_display="→", priority=True),
        Binding("left", "previous_section", "Back", key_display="←", priority=True, show=False),
        Binding("e", "next_failing", "Failing"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("t", "show_start", "Target", show=False),
        Binding("s", "show_summary", "Summary", show=False),
        Binding("g", "show_signoff", "Sign-off", show=False),
        Binding("x", "export", "Export", show=False),
        Binding("d", "deploy", "Deploy steps", show=False),
        Binding("k", "credentials", "Credentials", show=False),
        Binding("f5", "reload", "Reload", show=False),
        Binding("question_mark,f1", "help", "Keys", key_display="?"),
        Binding("q", "quit", "Quit"),
        # Ctrl+C quits, as q does (Textual's default only says how to quit).
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    #: Digit keys open sections 1..9 and 10 (handled in on_key: ten bindings cost start-up time).
    SECTION_KEYS = {str(n % 10): n for n in range(1, 11)}

    section_id: reactive[int] = reactive(1)
    current_item: reactive[str] = reactive("")
    state_version: reactive[int] = reactive(0)

    COMMANDS = App.COMMANDS | {lambda: _palette_provider()}

    def __init__(self, project_dir: str | Path, checklist_path: str | Path | None = None, *,
                 run_checks: bool = True) -> None:
        super().__init__()
        self.project_dir = Path(project_dir).expanduser().resolve()
        self.checklist_path = checklist_path
        self.run_checks = run_checks
        self._target: Target | None = None
        self._target_lock = threading.Lock()
        self.ready = False
        """True once the project is read: its checklist, settings and run record are shown."""
        self.startup_error: UsageError | None = None
        self.record: RunRecord | None = None
        self.record_note = ""
        """What the run record was when the wizard opened (new, or continued from when)."""
        self.views: dict[str, ItemView] = {}
        self.score: Score | None = None
        self.running: dict[str, float] = {}
        self.progress_text: dict[str, str] = {}
        self.fixable: dict[str, bool] = {}
        """Items with a safe fix that would change something now (planned in a thread)."""
        self.user_name = login_name()
        self.filter_query = ""
        """The last query of `/` (it opens with it again)."""
        self.typed_name = ""
        """The name a person typed in a dialog this session (never the login): what the recorder fields offer."""
        self.ssh_key = ""
        """The SSH key a sign-off was last signed with this session (offered again), else `[signoff] ssh_key`."""
        self._valid_cache: tuple[RunRecord | None, list[str]] = (None, [])
        self.last_run_seconds: float | None = None
        self.terminal_guard: TerminalGuard | None = None
        self._stamp = RecordStamp()
        self._redraw_pending = False
        self.key_hold_s = KEY_HOLD_S
        """Keys typed this soon after a dialog closes are held back (0: none, for scripted tests)."""
        self._hold_keys_until = 0.0
        self._held_keys = 0
        self._typing = False
        self._own_writes: set[str] = set()
        self.sub_title = one_line(self.project_dir.name)

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A notification; its text is plain (no markup) and its control characters are made visible.

        Notifications carry outside text (names, reasons, paths, error messages quoting input): as
        markup, a name like `see [/` would raise MarkupError, and an escape sequence would reach the
        terminal.
        """
        from readiness_tui.neutral import visible

        super().notify(visible(message, keep_newlines=True), title=visible(title), severity=severity,
                       timeout=timeout, markup=markup)

    @property
    def target(self) -> Target:
        """The project (checklist, settings, run record), opened on first use.

        The wizard opens it in a thread after the first paint; tests and helpers may use it at once.
        """
        with self._target_lock:
            if self._target is None:
                from readiness_tui.target import open_target

                self._target = open_target(self.project_dir, self.checklist_path)
            return self._target

    # ---- state -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.terminal_guard is not None:
            self.terminal_guard.attach(self)
        # The first screen paints before anything else happens: the project is read, the record
        # loaded and the check modules imported after it (start-up stays close to a bare Textual app).
        self.call_after_refresh(self.open_project)

    @work(group="record", exit_on_error=False)
    async def open_project(self) -> None:
        """Read the project and its run record (in a thread), show them, then start every check."""
        try:
            target = await asyncio.to_thread(lambda: self.target)
            self._stamp = self._read_stamp()
            existed = await asyncio.to_thread(target.store.exists)
            record = await asyncio.to_thread(target.store.load)
            from readiness_tui.target import resume_plan

            plan = resume_plan(target, record)
        except UsageError as exc:
            # A malformed .env, readiness.toml or checklist: leave, and the CLI prints FILE:LINE.
            from rich.text import Text

            self.startup_error = exc
            # Textual prints the message on stderr once the terminal is restored (for every caller).
            self.exit(return_code=2, message=Text(f"readiness: {exc}"))
            return
        self.record_note = self._describe_record(record, existed)
        first = target.checklist.items[0]
        if not self.current_item:
            self.set_reactive(ReadinessApp.current_item, first.id)
            self.set_reactive(ReadinessApp.section_id, first.section_id)
        self.apply_record(record)
        self.ready = True
        self.redraw_now()
        self.refresh_bindings()
        for notice in target.store.notices:
            self.toast(notice, severity="warning", timeout=8)
        target.store.on_notice = self._record_notice  # a record damaged later (another process) is said too
        self.set_interval(POLL_SECONDS, self.poll_record, name="poll-record")
        if self.run_checks:
            # After the target is painted: importing the check modules competes for the interpreter.
            # A recent run is resumed rather than replaced (readiness.toml [wizard] resume_minutes): a
            # reviewer who opens the wizard to sign changes no result, so no sign-off goes stale.
            if plan.note:
                self.toast(plan.note, timeout=8)
            if plan.item_ids:
                self.call_after_refresh(self.run_items, plan.item_ids, plan.full)

    def _record_notice(self, message: str) -> None:
        """Show a notice of the run record (a damaged record kept aside), from any thread."""
        try:
            self.call_from_thread(self.toast, message, severity="warning", timeout=8)
        except RuntimeError:  # already on the app's thread
            self.toast(message, severity="warning", timeout=8)

    def _describe_record(self, record: RunRecord, existed: bool) -> str:
        """The start screen's one honest line about the run record as it was found (fits 80 columns)."""
        if not existed:
            return "new run: nothing was recorded for this project before"
        when = (record.updated_at or record.started_at or "")[:16].replace("T", " ") or "an unknown time"
        decisions, signoffs = len(record.decisions), len(record.signoffs)
        return (f"continued from {when} · {decisions} decision{'s' * (decisions != 1)} · "
                f"{signoffs} sign-off{'s' * (signoffs != 1)}")

    def apply_record(self, record: RunRecord, force: bool = False) -> None:
        """Show this record if it is at least as new as the one shown (never step back)."""
        from readiness_tui.scoring import build_views, compute_score

        if not force and self.record is not None and record.revision < self.record.revision:
            return
        self.record = record
        views = build_views(self.target.checklist, record)
        self.views = {v.item.id: v for v in views}
        self.score = compute_score(self.target.checklist, views)
        self.plan_fixes()
        self.changed()

    def changed(self) -> None:
        """Redraw soon: bursts of results coalesce into one redraw (calm over a slow link)."""
        if self._redraw_pending:
            return
        self._redraw_pending = True
        self.set_timer(REDRAW_SECONDS, self._redraw, name="redraw")

    def redraw_now(self) -> None:
        """Redraw at once (start-up, tests)."""
        self._redraw()

    def has_screen(self) -> bool:
        """False while the app is closing (its screens are gone; a late timer must not draw)."""
        try:
            self.screen  # noqa: B018 - raises once the screens are gone
        except ScreenStackError:
            return False
        return True

    def _redraw(self) -> None:
        self._redraw_pending = False
        if not self.has_screen():
            return
        self._update_title()
        self.state_version += 1
        self.refresh_bindings()

    def _read_stamp(self) -> RecordStamp:
        """The record's stamp and the decisions file's (a `git pull` or a hand edit changes only that)."""
        stamps = []
        for path in (self.target.store.path, self.target.store.decisions_path):
            try:
                st = path.stat()
                stamps += [st.st_mtime_ns, st.st_size]
            except OSError:
                stamps += [0, 0]
        return RecordStamp(*stamps)

    def _update_title(self) -> None:
        score = self.score
        if score is None:
            return
        # What matters first (it survives 80 columns): score, band, progress, what runs. The
        # project's name is the sub-title, which gives way when the header is too narrow.
        running = f" · {len(self.running)} running" if self.running else ""
        self.title = (f"{score.percent:.1f}% {score.band} · "
                      f"{score.completed}/{score.applicable} completed{running}")

    def poll_record(self) -> None:
        """Reload the record when another process changed it (cheap stat; the read is in a thread)."""
        if self.ready and self._read_stamp() != self._stamp:
            self.reload_record()

    @work(group="record", exclusive=True, exit_on_error=False)
    async def reload_record(self) -> None:
        """Re-read the run record from disk."""
        # The file's stamp is taken before reading: a write that lands meanwhile is seen next poll.
        self._stamp = self._read_stamp()
        try:
            record = await asyncio.to_thread(self.target.store.load)
        except UsageError as exc:  # e.g. readiness.decisions.toml mid-edit: say where, keep showing the last one
            self.post_message(ActionFailed(str(exc)))
            return
        self.post_message(RunSaved(record, from_disk=True))

    @work(group="fixes", exclusive=True, exit_on_error=False)
    async def plan_fixes(self) -> None:
        """Find which items have a safe fix that would change something now (the `f` key's items)."""
        from readiness_tui import fixes

        items = [i.id for i in self.target.checklist.items if fixes.registered(i.id)]

        def plan() -> dict[str, bool]:
            found = {}
            for item_id in items:
                try:
                    found[item_id] = bool(fixes.available(self.target, item_id))
                except Exception:  # noqa: BLE001 - a fix that cannot plan is not offered
                    found[item_id] = False
            return found

        found = await asyncio.to_thread(plan)
        if found != self.fixable:
            self.fixable = found
            self.changed()

    def view(self, item_id: str | None = None) -> ItemView:
        """The effective view of an item (default: the selected one)."""
        return self.views[item_id or self.selected_item()]

    def selected_item(self) -> str:
        """The item the cursor is on now.

        Keys are read ahead of the messages that follow the cursor, so an action typed right after
        a cursor move asks the list itself rather than trusting `current_item` to be up to date.
        """
        highlighted = getattr(self.screen, "highlighted_item", None)
        item_id = highlighted() if callable(highlighted) else None
        if item_id and item_id != self.current_item:
            self.current_item = item_id
        return self.current_item

    def section_items(self, section_id: int | None = None) -> list[ItemView]:
        """Views of one section's items in order."""
        section = self.target.checklist.section(section_id or self.section_id)
        return [self.views[i.id] for i in section.items]

    def toast(self, text: str, severity: str = "information", timeout: float = TOAST_S) -> None:
        """A short notice from outside text: one line, shortened (`notify` shows it as plain text)."""
        self.notify(one_line(text, 160), severity=severity, timeout=timeout)  # type: ignore[arg-type]

    # ---- messages ----------------------------------------------------------------------------

    def on_check_started(self, message: CheckStarted) -> None:
        self.running.setdefault(message.item_id, message.started)
        self.changed()

    def on_check_progressed(self, message: CheckProgressed) -> None:
        self.progress_text[message.item_id] = message.text

    def on_check_completed(self, message: CheckCompleted) -> None:
        self.running.pop(message.item_id, None)
        self.progress_text.pop(message.item_id, None)
        if message.record is not None:
            self.apply_record(message.record)
        else:
            self.changed()

    def on_run_saved(self, message: RunSaved) -> None:
        previous = self.record
        if message.from_disk and previous is not None and message.record.revision > previous.revision:
            changes = changes_by_others(previous, message.record, self._own_writes)
            if changes:
                more = f" (+{len(changes) - 2} more)" if len(changes) > 2 else ""
                self.toast("changed elsewhere: " + "; ".join(changes[:2]) + more, timeout=6)
        self.apply_record(message.record)
        if message.note:
            self.toast(message.note)

    def on_action_failed(self, message: ActionFailed) -> None:
        self.toast(message.reason, severity="error", timeout=6)

    def on_run_finished(self, message: RunFinished) -> None:
        self.last_run_seconds = message.seconds
        self.toast(f"{message.count} item(s) checked in {message.seconds:.1f} s")

    # ---- checks ------------------------------------------------------------------------------

    def valid_signoffs(self) -> list[str]:
        """`Role (name)` of every sign-off valid now (cached per record shown): what a change would stale."""
        from readiness_tui.signoff import would_stale

        record = self.record
        if record is None or not record.signoffs:
            return []
        if self._valid_cache[0] is not record:  # each reload (run.json or the decisions file) is a new record
            self._valid_cache = (record, would_stale(self.target, record))
        return self._valid_cache[1]

    def stale_note(self) -> str:
        """`Technical Lead (ada), …`: the valid sign-offs a changed decision would make stale ('' if none)."""
        return ", ".join(self.valid_signoffs())

    def start_all_checks(self) -> None:
        """Run every item that has an automated check (a full run)."""
        items = [i for i in self.target.checklist.items if i.checks]
        self.run_items([i.id for i in items], full=True)

    @work(group="checks", exit_on_error=False)
    async def run_items(self, item_ids: list[str], full: bool = False) -> None:
        """Run items in the background; each result is saved the moment it arrives."""
        from readiness_tui.checkapi import load_checks
        from readiness_tui.model import ItemResult, Status
        from readiness_tui.runner import ItemFinished, ItemProgress, ItemStarted, RunEvent, Runner
        from readiness_tui.target import begin_run, save_results

        checklist = self.target.checklist
        ids = [i for i in item_ids if i not in self.running]
        if not ids:
            return
        valid_before = self.valid_signoffs()
        items = [checklist.item(i) for i in ids]
        loop_started = time.monotonic()
        for item_id in ids:
            self.post_message(CheckStarted(item_id, loop_started))
        try:
            await asyncio.to_thread(load_checks)
            begun = await asyncio.to_thread(begin_run, self.target, full)
        except Exception as exc:  # noqa: BLE001 - a broken record or check module is reported, not raised
            for item_id in ids:
                self.post_message(CheckCompleted(item_id, ItemResult(Status.ERROR, str(exc)), None))
            self.post_message(ActionFailed(f"could not start the checks: {exc}"))
            return
        finished: asyncio.Queue[tuple[str, ItemResult] | None] = asyncio.Queue()

        def on_event(event: RunEvent) -> None:
            if isinstance(event, ItemStarted):
                self.post_message(CheckStarted(event.item_id, event.started))
            elif isinstance(event, ItemProgress):
                self.post_message(CheckProgressed(event.item_id, event.message))
            elif isinstance(event, ItemFinished):
                finished.put_nowait((event.item_id, event.result))

        async def saver() -> None:
            # Results that finished together are written in one locked update, the moment they arrive.
            done = False
            while not done:
                batch = [await finished.get()]
                while not finished.empty():
                    batch.append(finished.get_nowait())
                done = None in batch
                results = dict(entry for entry in batch if entry is not None)
                if not results:
                    continue
                try:
                    record = await asyncio.to_thread(save_results, self.target, results, False)
                except Exception as exc:  # noqa: BLE001 - shown, and the results still displayed
                    self.post_message(ActionFailed(f"could not save {', '.join(results)}: {exc}"))
                    record = None
                for item_id, result in results.items():
                    self.post_message(CheckCompleted(item_id, result, record))

        runner = Runner(checklist, self.target.settings, on_event=on_event, deploy_steps=begun.deploy_steps)
        await runner.prepare(items)
        # The start screen shows the map from its next refresh on (the first result triggers one).
        self.target.project_map = runner.shared.get("project_map")
        saving = asyncio.create_task(saver())
        try:
            await runner.run(items)
        finally:
            finished.put_nowait(None)
            await saving
        if full:
            record = await asyncio.to_thread(save_results, self.target, {}, True)
            self.post_message(RunSaved(record))
        self.post_message(RunFinished(len(items), time.monotonic() - loop_started))
        if valid_before:
            await self._say_newly_stale(valid_before)

    async def _say_newly_stale(self, valid_before: list[str]) -> None:
        """After a run: name the sign-offs it made stale (a verdict changed), if any."""
        from readiness_tui.signoff import signoff_states

        record = await asyncio.to_thread(self.target.store.load)
        states = await asyncio.to_thread(signoff_states, self.target, record)
        gone = [f"{s['role']} ({s['name']})" for s in states
                if f"{s['role']} ({s['name']})" in valid_before and s["state"] != "valid"]
        if gone:
            self.post_message(ActionFailed(f"a verdict changed: the sign-off(s) of {', '.join(gone)} are now stale"))

    # ---- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Textual's own actions (focus moves in dialogs, quit, help, the palette) always work.
        if action not in NAVIGATION and action not in ITEM_ACTIONS:
            return True
        # The wizard's actions wait for the project, and do nothing while a dialog or a pushed
        # screen is up (its fields own the keyboard).
        if not (self.ready and self.on_wizard_screen()):
            return False
        # Keys that would go where the person already is are hidden from that screen's footer
        # (nothing comes before the start screen, nothing after the sign-off).
        if (action, self.current_mode) in (("previous_section", "start"), ("next_section", "signoff"),
                                           ("show_start", "start"), ("show_summary", "summary"),
                                           ("show_signoff", "signoff")):
            return False
        if action in ITEM_ACTIONS:
            return self.item_action_state(action)
        return True

    def item_action_state(self, action: str) -> bool:
        """Item actions act on the item shown selected, so only on a section screen; `c` only where a
        person may confirm, `f` only where a safe fix would change something, `u` only where there is
        a decision, and `r` hides once a person decided (the footer keeps to what this item offers)."""
        if self.current_mode != "section" or not self.views:
            return False
        if action == "rerun_section":
            return True
        view = self.views.get(self.current_item)
        if view is None:
            return False
        if action == "fix":
            return self.fixable.get(view.item.id, False)
        if action == "undo":
            return view.decision is not None
        if action == "rerun_item":
            return bool(view.item.checks) and view.decision is None
        if action == "confirm":
            from readiness_tui.decisions import can_confirm

            return can_confirm(view.item, view.result.status if view.result else None)
        return True

    def on_wizard_screen(self) -> bool:
        """True on the four wizard screens (not in a dialog, nor on a screen pushed over them)."""
        return self.has_screen() and bool(getattr(self.screen, "WIZARD_SCREEN", False))

    def hold_keys(self) -> None:
        """Keys typed from now to a moment later are not hotkeys (a dialog just closed under the
        person's fingers). Key events carry the time they were read from the terminal, so keys
        typed in the burst are held however late they are handled."""
        self._hold_keys_until = time.monotonic() + self.key_hold_s  # the clock of Key.time (POSIX)
        self._held_keys = 0

    def pop_screen(self) -> AwaitComplete:
        # Only a dialog one types into, closed while typing (its enter): keys right after escape,
        # or after closing help or a yes/no, are meant as keys.
        if isinstance(self.screen, ModalScreen) and self.screen.query("Input") and self._typing:
            self.hold_keys()
        return super().pop_screen()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._typing = event.is_printable or event.key in TYPING
        if (isinstance(event, events.Key) and not event.is_forwarded and (event.is_printable or event.key in TYPING)
                and event.time <= self._hold_keys_until and self.has_screen()
                and not isinstance(self.screen, ModalScreen)):
            # Typed as the dialog closed: meant for it, not a hotkey of the screen behind it. A burst
            # of typing that goes on is held as long as it goes on.
            self._hold_keys_until = max(self._hold_keys_until, event.time + min(KEY_BURST_S, self.key_hold_s))
            self._held_keys += 1
            if self._held_keys == 1:
                self.notify("keys typed as the dialog closed were ignored", timeout=2)
            return
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        section_id = self.SECTION_KEYS.get(event.key)
        if section_id is not None and self.ready and self.on_wizard_screen():
            event.stop()
            self.show_section(section_id)

    async def action_quit(self) -> None:
        """Quit once what is being written is written (every change is saved as it happens)."""
        pending = [w for w in self.workers if w.group == "write" and not w.is_finished]
        if pending:
            end = time.monotonic() + QUIT_WAIT_S
            while any(not w.is_finished for w in pending) and time.monotonic() < end:
                await asyncio.sleep(0.05)
        self.exit()

    # ---- navigation --------------------------------------------------------------------------

    def show_section(self, section_id: int, item_id: str | None = None) -> None:
        """Open a section (and select an item of it)."""
        ids = [s.id for s in self.target.checklist.sections]
        if section_id not in ids:
            return
        self.section_id = section_id
        section = self.target.checklist.section(section_id)
        if item_id is None or item_id not in [i.id for i in section.items]:
            current = self.current_item
            item_id = current if current in [i.id for i in section.items] else section.items[0].id
        self.current_item = item_id
        if self.current_mode != "section":
            self.switch_mode("section")
        self.refresh_bindings()

    def goto_item(self, item_id: str) -> None:
        """Open the section of an item with that item selected."""
        item = self.target.checklist.item(item_id)
        self.show_section(item.section_id, item.id)

    def action_goto_section(self, section_id: int) -> None:
        """Open section N."""
        self.show_section(section_id)

    def action_next_section(self) -> None:
        """The next section (from the start screen: the first; from the last: the summary)."""
        ids = [s.id for s in self.target.checklist.sections]
        if self.current_mode == "start":
            self.show_section(ids[0])
        elif self.current_mode == "section":
            position = ids.index(self.section_id)
            if position + 1 < len(ids):
                self.show_section(ids[position + 1])
            else:
                self.switch_mode("summary")
        elif self.current_mode == "summary":
            self.switch_mode("signoff")

    def action_previous_section(self) -> None:
        """The previous section (from the summary: the last one)."""
        ids = [s.id for s in self.target.checklist.sections]
        if self.current_mode == "section":
            position = ids.index(self.section_id)
            if position > 0:
                self.show_section(ids[position - 1])
            else:
                self.switch_mode("start")
        elif self.current_mode == "summary":
            self.show_section(ids[-1])
        elif self.current_mode == "signoff":
            self.switch_mode("summary")

    def next_failing_id(self) -> str | None:
        """The next failing or erroring item after the current one (wrapping round)."""
        order = [i.id for i in self.target.checklist.items]
        start = order.index(self.selected_item()) if self.current_mode == "section" else -1
        for offset in range(1, len(order) + 1):
            item_id = order[(start + offset) % len(order)]
            view = self.views.get(item_id)
            if view is not None and (view.status.value in FAILING or view.waiver_expired):
                return item_id
        return None

    def action_next_failing(self) -> None:
        """Jump to the next failing item."""
        item_id = self.next_failing_id()
        if item_id is None:
            self.toast("nothing is failing")
            return
        self.goto_item(item_id)

    def action_show_start(self) -> None:
        self.switch_mode("start")

    def action_show_summary(self) -> None:
        self.switch_mode("summary")

    def action_show_signoff(self) -> None:
        self.switch_mode("signoff")

    def action_filter(self, query: str = "") -> None:
        """Find items across every section by text, status, critical or kind (`/`)."""
        from readiness_tui.screens.filter import FilterScreen

        ask(self, FilterScreen(query or self.filter_query), self.goto_item)

    def action_help(self) -> None:
        """The keys of the screen shown, then every other key."""
        from readiness_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_deploy(self) -> None:
        """The deployment steps (backup, final tests, deploy, verify, rollback, watch) with live logs."""
        from readiness_tui.screens.deploy import DeployScreen

        # Steps write to the run record; the poll shows their outcome, and reading at once on return.
        def closed(_: None) -> None:
            self.reload_record()

        self.push_screen(DeployScreen(self.target), closed)

    def action_credentials(self) -> None:
        """The credentials: where each is found (never values), set one (masked), delete one."""
        from readiness_tui.screens.credentials import CredentialsScreen

        self.push_screen(CredentialsScreen())

    def reopen_target(self) -> None:
        """Read the project again (settings, credentials) after a credential or a fix changed it.

        Runs in a thread; the checks started afterwards see the new settings.
        """
        from readiness_tui.target import open_target

        fresh = open_target(self.project_dir, self.checklist_path)
        with self._target_lock:
            self._target = fresh

    def action_reload(self) -> None:
        self.reload_record()

    # ---- item actions (keys on the section screen and the command palette) ---------------------

    def action_rerun_item(self) -> None:
        """Run the current item's checks again."""
        item = self.target.checklist.item(self.selected_item())
        if not item.checks:
            self.toast(f"{item.id} has no automated check: confirm it, mark it n/a or waive it")
            return
        self.run_items([item.id])

    def action_rerun_all(self) -> None:
        """Run every automated check again: a new run (asks first when sign-offs are valid)."""
        stale = self.stale_note()
        if not stale:
            self.start_all_checks()
            return
        from readiness_tui.screens.modals import AskDialog

        self.push_screen(AskDialog(
            "Re-run every check?", f"A new run. If any verdict changes, the sign-offs of [b]{safe(stale)}[/b] "
            "will be stale; unchanged verdicts keep them valid.", yes="Re-run"),
            lambda yes: self.start_all_checks() if yes else None)

    def action_rerun_section(self) -> None:
        """Run every automated item of the current section again."""
        ids = [i.id for i in self.target.checklist.section(self.section_id).items if i.checks]
        if ids:
            self.run_items(ids)

    def _hides(self, view: ItemView) -> str:
        """What a decision on this item would hide or replace, for the dialog to say (markup)."""
        parts = []
        if view.result is not None and view.result.status.value in FAILING:
            parts.append(f"its check says {view.result.status.value}: {safe(view.result.summary, limit=80)}")
        decision = view.decision
        if decision is not None:
            parts.append(f"it replaces the {safe(decision.type.replace('_', ' '))} by {safe(decision.by)}")
        return "; ".join(parts)

    def action_confirm(self) -> None:
        """Ask for a name and an optional note, then confirm the current item."""
        from readiness_tui.screens.modals import ConfirmDialog

        from readiness_tui.decisions import can_confirm

        view = self.view()
        machine = view.result.status if view.result else None
        if not can_confirm(view.item, machine):
            self.toast(f"{view.item.id}: its check says {machine}; fix it, or waive it (w) with an approver",
                       severity="warning", timeout=5)
            return
        item_id = view.item.id
        ask(self, ConfirmDialog(view.item, self.user_name, stale=self.stale_note()),
            lambda answer: self._decide("confirm", item_id, answer))

    def action_not_applicable(self) -> None:
        """Ask for a reason, then mark the current item not applicable (saying what that hides)."""
        from readiness_tui.screens.modals import NotApplicableDialog

        view = self.view()
        item_id = view.item.id
        ask(self, NotApplicableDialog(view.item, self.user_name, self._hides(view), stale=self.stale_note()),
            lambda answer: self._decide("not_applicable", item_id, answer))

    def action_waive(self) -> None:
        """Ask for a reason, an approver and an expiry date, then waive the current item."""
        from readiness_tui.screens.modals import WaiveDialog

        view = self.view()
        item_id = view.item.id
        replaces = f"it replaces the {view.decision.type.replace('_', ' ')} by {view.decision.by}" \
            if view.decision is not None else ""
        ask(self, WaiveDialog(view.item, self.user_name, warning=safe(replaces), stale=self.stale_note()),
            lambda answer: self._decide("waive", item_id, answer))

    def action_undo(self) -> None:
        """Remove the decision on the current item; asks first when it is someone else's or a waiver."""
        from readiness_tui.screens.modals import AskDialog

        view = self.view()
        decision = view.decision
        if decision is None:
            self.toast("no decision to undo on this item")
            return
        item_id = view.item.id
        mine = decision.by.strip().casefold() == self.user_name.strip().casefold()
        stale = self.stale_note()
        if mine and decision.type != "waived" and not stale:
            self._decide("clear", item_id, {})
            return
        approved = f", approved by {safe(decision.approver)}" if decision.approver else ""
        details = (f"{safe(decision.type.replace('_', ' '))} by {safe(decision.by)} at {safe(decision.at)}"
                   f"{approved}. The item goes back to what its check says.")
        if stale:
            details += f"\n[$warning]The sign-offs of {safe(stale)} will be stale.[/]"
        ask(self, AskDialog(f"Remove the decision on {safe(item_id)}?", details, yes="Remove"),
            lambda _: self._decide("clear", item_id, {}))

    def _decide(self, kind: str, item_id: str, answer: dict[str, str]) -> None:
        if answer.get("name"):
            self.user_name = self.typed_name = answer["name"]
        self.write_decision(kind, item_id, answer)

    @work(group="write", exit_on_error=False)
    async def write_decision(self, kind: str, item_id: str, answer: dict[str, str]) -> None:
        """Write a decision to the run record (in a thread: the lock may be busy)."""
        from readiness_tui import decisions

        calls: dict[str, Callable[[], RunRecord]] = {
            "confirm": lambda: decisions.confirm(self.target, item_id, answer["name"], answer.get("note", "")),
            "not_applicable": lambda: decisions.mark_not_applicable(
                self.target, item_id, answer["name"], answer["reason"], answer.get("approver", "")),
            "waive": lambda: decisions.waive(self.target, item_id, answer["name"], answer["reason"],
                                             answer["approver"], answer["expires"]),
            "clear": lambda: decisions.clear(self.target, item_id),
        }
        done = {"confirm": "confirmed", "not_applicable": "marked not applicable", "waive": "waived",
                "clear": "decision removed"}
        self._own_writes.add(f"decision:{item_id}")
        try:
            record = await asyncio.to_thread(calls[kind])
        except UsageError as exc:
            self.post_message(ActionFailed(str(exc)))
            return
        self.post_message(RunSaved(record, f"{item_id} {done[kind]}"))

    def action_fix(self) -> None:
        """Show the safe fix of the current item as a diff; apply it when confirmed."""
        self.find_fix(self.selected_item())

    @work(group="fix", exclusive=True, exit_on_error=False)
    async def find_fix(self, item_id: str) -> None:
        """Plan the item's fix in a thread (the person picks one when there are several), show its diff,
        apply it on confirmation, check the item again and say when it still fails (and why)."""
        from readiness_tui import fixes

        try:
            available = await asyncio.to_thread(fixes.available, self.target, item_id)
        except Exception as exc:  # noqa: BLE001 - a fix that cannot be planned is reported
            self.post_message(ActionFailed(f"{item_id}: the fixes could not be prepared: {exc}"))
            return
        if not available:
            self.toast(f"no safe fix for {item_id}")
            return
        fix = available[0]
        if len(available) > 1:
            from readiness_tui.screens.modals import ChooseFixDialog

            choice = await self.push_screen_wait(
                ChooseFixDialog(item_id, [(f.name, f.description) for f in available]))
            if choice is None:
                return
            fix = available[choice]
        try:
            changes = await asyncio.to_thread(fix.plan, self.target)
            # The diff is shown on screen: redacted like every other output.
            diff = self.target.redactor.text(fixes.render_diff(changes))
        except Exception as exc:  # noqa: BLE001 - a fix that cannot be planned is reported
            self.post_message(ActionFailed(f"{item_id}: the fix could not be prepared: {exc}"))
            return
        if not changes:
            self.toast(f"{item_id}: nothing to change")
            return
        from readiness_tui.screens.modals import FixDialog

        description = fix.description
        stale = self.stale_note()
        if stale:
            description += (f" Applying it checks {item_id} again: if its verdict changes, the sign-offs of "
                            f"{stale} will be stale.")
        if not await self.push_screen_wait(FixDialog(item_id, fix.name, description, diff)):
            return
        try:
            backups = await asyncio.to_thread(fixes.apply, self.target, changes)
            # A fix may change what the settings read (.env, .gitignore): the re-run sees the new files.
            await asyncio.to_thread(self.reopen_target)
        except Exception as exc:  # noqa: BLE001
            self.post_message(ActionFailed(f"{item_id}: the fix failed: {exc}"))
            return
        kept = f"; old version in {fixes.BACKUP_DIR}" if backups else ""
        if not self.target.checklist.item(item_id).checks:
            self.toast(f"{item_id}: {fix.name} applied{kept}", timeout=5)
            return
        self.toast(f"{item_id}: {fix.name} applied{kept}; checking again")
        await self.run_items([item_id]).wait()
        view = self.views.get(item_id)
        if view is not None and (view.status.value in FAILING or view.status.value == "warn"):
            self.toast(f"{item_id} still {view.status.value} after the fix: {view.summary}",
                       severity="warning", timeout=8)
        elif view is not None:
            self.toast(f"{item_id} now {view.status.value}", timeout=4)

    def action_export(self) -> None:
        """Write a report of the run (Markdown, JSON or JUnit, by file extension)."""
        from readiness_tui.screens.modals import ExportDialog

        default = str(Path(self.target.project) / "readiness-report.md")
        ask(self, ExportDialog(default), lambda answer: self.export_report(answer["path"]))

    @work(group="write", exit_on_error=False)
    async def export_report(self, path: str) -> None:
        """Render and write the report in a thread."""
        from readiness_tui.reports import build_report, render
        from readiness_tui.store import atomic_write

        suffix = Path(path).suffix.lower()
        fmt = {".json": "json", ".xml": "junit", ".txt": "text"}.get(suffix, "markdown")
        target = Path(path).expanduser()
        if not target.is_absolute():
            target = Path(self.target.project) / target

        def write() -> None:
            record = self.target.store.load()
            contacts = self.target.settings.config.get("contacts", [])
            report = build_report(self.target.checklist, record, self.target.project, None,
                                  contacts if isinstance(contacts, list) else [])
            text = render(report, fmt, self.target.redactor, colour=False)
            atomic_write(target, text.encode("utf-8"))

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            self.post_message(ActionFailed(f"could not write {target}: {exc.strerror or exc}"))
            return
        self.toast(f"wrote {fmt} report to {target}", timeout=5)

    # ---- sign-off ------------------------------------------------------------------------------

    def default_ssh_key(self) -> str:
        """The key offered in the sign dialog: this session's last, else readiness.toml `[signoff] ssh_key`."""
        configured = self.target.settings.table("signoff").get("ssh_key", "")
        return self.ssh_key or (configured if isinstance(configured, str) else "")

    @work(group="write", exit_on_error=False)
    async def write_signoff(self, role: str, name: str, override: str = "", ssh_key: str = "",
                            passphrase: str | None = None) -> None:
        """Record a sign-off of the current results (every earlier sign-off is kept), SSH-signed with a key.

        ssh-keygen runs detached from the terminal the wizard owns: an encrypted key's passphrase
        is asked for in a dialog (and passed to ssh-keygen only), or the key is used through ssh-agent.
        """
        from readiness_tui.signoff import sign

        def signed() -> RunRecord:
            sign(self.target, role, name, override=override or None, ssh_key=ssh_key or None,
                 passphrase=passphrase, interactive=False)
            return self.target.store.load()

        self._own_writes.add(f"signoff:{role}")
        try:
            record = await asyncio.to_thread(signed)
        except UsageError as exc:
            if ssh_key and passphrase is None and "passphrase" in str(exc):
                from readiness_tui.screens.modals import PassphraseDialog

                answer = await self.push_screen_wait(PassphraseDialog(ssh_key))
                if answer:
                    self.write_signoff(role, name, override, ssh_key, answer["passphrase"])
                return
            self.post_message(ActionFailed(str(exc)))
            return
        self.user_name = self.typed_name = name
        if ssh_key:
            self.ssh_key = ssh_key
        how = " with an SSH signature" if ssh_key else ""
        self.post_message(RunSaved(record, f"{role} signed by {name}{how}"))

    @work(group="write", exit_on_error=False)
    async def write_deployment_field(self, field: str, value: str, by: str) -> None:
        """Record a deployment field (its value checked against its type) and who records it."""
        from readiness_tui.signoff import set_deployment_field

        def recorded() -> RunRecord:
            set_deployment_field(self.target, field, value, by)
            return self.target.store.load()

        self._own_writes.add(f"field:{field}")
        try:
            record = await asyncio.to_thread(recorded)
        except UsageError as exc:
            self.post_message(ActionFailed(str(exc)))
            return
        self.typed_name = by
        self.post_message(RunSaved(record, f"{field} recorded by {by}"))


def make_app(project_dir: str | Path, checklist_path: str | None = None, *, run_checks: bool = True) -> ReadinessApp:
    """Build the wizard for a project (the one factory used by the CLI and the tests).

    Raises UsageError for a missing directory or checklist file; a malformed `.env`,
    `readiness.toml` or checklist is found when the app reads the project (`startup_error`).
    """
    root = Path(project_dir).expanduser()
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    if checklist_path is not None and not Path(checklist_path).is_file():
        raise UsageError(f"{checklist_path}: checklist file not found")
    return ReadinessApp(root, checklist_path, run_checks=run_checks)


def run_app(project_dir: str | Path, checklist_path: str | None = None,
            cleanup: Callable[[], None] | None = None) -> int:
    """Run the wizard in this terminal; returns the exit status.

    When the terminal goes away (SIGHUP, a hang-up or EOF on stdin, a read or write error) the
    wizard exits within `terminal.GRACE_S` seconds whatever it was doing: `cleanup` runs (the demo
    stops its services and removes its directory) and the process ends there, with status 129.
    SIGTERM exits the same way but restores the terminal first and returns 143.
    """
    from readiness_tui.screens.terminal import TerminalGuard, guarded_driver

    app = make_app(project_dir, checklist_path)
    guard = TerminalGuard(cleanup)
    app.terminal_guard = guard
    app.driver_class = guarded_driver(guard)
    try:
        with guard.signals():
            result = app.run()
    finally:
        guard.finish()  # when the terminal is gone: clean up and end here
    if app.startup_error is not None:
        return 2  # the message was printed as the app closed
    if guard.status:
        return guard.status
    if app.return_code not in (None, 0):
        return int(app.return_code)
    return int(result or 0)


def inject_results(app: ReadinessApp, results: dict[str, ItemResult]) -> None:
    """Save results into the app's run record as if the checks had produced them (tests, demos)."""
    from readiness_tui.target import save_results

    app.apply_record(save_results(app.target, results, finished=False))
    app.redraw_now()


__all__ = ["ReadinessApp", "changes_by_others", "inject_results", "make_app", "run_app"]
