"""The credentials screen: where each secret is found now, set one (masked), delete one from the keyring.

The lookups and writes are `readiness_tui.credentials` (the same code as `readiness credentials`),
run in threads: the first keyring call imports `keyring` and may wait on D-Bus. Values are held
only as long as it takes to store them: the input is masked and cleared at once, and nothing but
the source of each name (environment, keyring, readiness.toml, .env, missing) is ever shown.
"""

from __future__ import annotations

import asyncio

from readiness_tui.screens.common import KeysInOrder, ask, safe, wizard
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from readiness_tui.credentials import Found, Keyring, check_name, locate, service_for
from readiness_tui.errors import UsageError
from readiness_tui.settings import SECRET_NAMES


def where_text(found: Found) -> str:
    """Where a credential is found, as markup: the source in use first (never the value)."""
    if not found.sources:
        return "[$error]missing[/]"
    also = f" [$text-muted](also {safe(', '.join(found.sources[1:]))})[/]" if len(found.sources) > 1 else ""
    return f"[$success]{safe(found.used)}[/]{also}"


class CredentialsScreen(KeysInOrder):
    """Every credential name with where it is found; `s` sets one in the keyring, `x` deletes it."""

    CSS_PATH = "credentials.tcss"
    BINDINGS = [
        Binding("s", "set", "Set (masked)"),
        Binding("x", "delete", "Delete from keyring"),
        Binding("escape", "back", "Back"),
        Binding("slash", "find", "Find item", key_display="/", show=False),
    ]
    KEYS_HELP = [("↑ ↓", "select a name"), ("enter", "in the value field: store it"), ("escape", "back (or stop typing)")]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Found] = {}
        self.editing = ""
        self.keyring_note: str | None = None
        """Why there is no keyring ('' when there is one; None until looked up)."""

    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with Vertical(id="cred-body"):
            yield Static("[b]Credentials[/b]  looked up in order: environment, OS keyring, readiness.toml, .env",
                         id="cred-title")
            yield Static("Looking in the keyring…", id="cred-keyring")
            yield OptionList(id="cred-list")
            yield Static("", id="cred-prompt")
            yield Input(password=True, id="cred-value", compact=True, disabled=True,
                        placeholder="select a name and press s")
            yield Static("[$text-muted]Values are never shown. Stored values go to the OS keyring only; "
                         "the environment wins over the keyring, the keyring over .env.[/]", id="cred-note")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#cred-list", OptionList).focus()
        self.refresh_rows()

    @property
    def keyring(self) -> Keyring:
        """The project's keyring (one service name per project)."""
        return Keyring(service_for(wizard(self).project_dir))

    @work(group="credentials", exclusive=True, exit_on_error=False)
    async def refresh_rows(self) -> None:
        """Look every name up (in a thread) and show where each is found."""
        keyring = self.keyring
        settings = wizard(self).target.settings

        def look() -> tuple[list[Found], str, str]:
            rows = [locate(settings, name, keyring) for name in SECRET_NAMES]
            return rows, keyring.note, keyring.backend_name() if not keyring.note else ""

        rows, note, backend = await asyncio.to_thread(look)
        # The values looked up are dropped here: the screen keeps names and sources only.
        self.rows = {f.name: Found(f.name, list(f.sources), None) for f in rows}
        self.keyring_note = note
        info = self.query_one("#cred-keyring", Static)
        if note:
            info.update(f"[$warning]{safe(note)}[/]")
        else:
            info.update(f"keyring: {safe(backend)} · service [$text-muted]{safe(keyring.service)}[/]")
        options = self.query_one("#cred-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        width = max(len(n) for n in SECRET_NAMES)
        for name in SECRET_NAMES:
            options.add_option(Option(f"{safe(name):<{width}}  {where_text(self.rows[name])}", id=name))
        options.highlighted = highlighted if highlighted is not None else 0

    def selected(self) -> str | None:
        """The credential name under the cursor."""
        option = self.query_one("#cred-list", OptionList).highlighted_option
        return option.id if option is not None else None

    def action_back(self) -> None:
        if self.editing:
            self._stop_editing()
            return
        self.dismiss(None)

    def action_find(self) -> None:
        """`/` here leaves the credentials for the item filter."""
        self.dismiss(None)
        wizard(self).call_after_refresh(wizard(self).action_filter)

    def action_set(self) -> None:
        """Ask for the selected name's value in the masked input — once it is known a keyring can
        store it (without one, say so before anything is typed)."""
        name = self.selected()
        if name is None:
            return
        prompt = self.query_one("#cred-prompt", Static)
        if self.keyring_note is None:
            prompt.update("Still looking for the OS keyring; press s again in a moment.")
            return
        if self.keyring_note:
            prompt.update(f"[$warning]{safe(name)} cannot be stored here: there is no OS keyring.[/] "
                          f"Set it in the environment or in .env instead (details above).")
            return
        self.editing = name
        field = self.query_one("#cred-value", Input)
        field.value = ""
        field.disabled = False
        prompt.update(f"Value of [b]{safe(name)}[/b] (hidden; enter stores it in the keyring, escape cancels):")
        field.focus()

    def _stop_editing(self) -> None:
        self.editing = ""
        field = self.query_one("#cred-value", Input)
        field.value = ""
        field.disabled = True
        self.query_one("#cred-prompt", Static).update("")
        self.query_one("#cred-list", OptionList).focus()

    @on(Input.Submitted, "#cred-value")
    def submitted(self, event: Input.Submitted) -> None:
        name, value = self.editing, event.value
        self._stop_editing()  # the value leaves the widget at once
        wizard(self).hold_keys()  # keys typed on after enter are not this screen's hotkeys
        if not value.strip():
            wizard(self).toast(f"no value given for {name}; nothing stored", severity="warning")
            return
        if "\n" in value:
            wizard(self).toast(f"the value of {name} spans several lines; give one line", severity="error")
            return
        self.store_value(name, value)

    @work(group="credentials-write", exit_on_error=False)
    async def store_value(self, name: str, value: str) -> None:
        """Store a value in the keyring (in a thread); says plainly when there is no keyring."""
        keyring = self.keyring
        try:
            await asyncio.to_thread(keyring.set, check_name(name), value)
        except UsageError as exc:
            wizard(self).toast(str(exc), severity="error", timeout=8)
            return
        finally:
            del value
        wizard(self).toast(f"stored {name} in the OS keyring")
        await self._changed(name)

    def action_delete(self) -> None:
        """Delete the selected name from the keyring, after asking."""
        from readiness_tui.screens.modals import AskDialog

        name = self.selected()
        if name is None or self.editing:
            return
        found = self.rows.get(name)
        if found is not None and "keyring" not in found.sources:
            wizard(self).toast(f"{name} is not in the OS keyring")
            return
        ask(self.app, AskDialog(f"Delete {safe(name)} from the OS keyring?",
                                "The value is gone for good; other places it is set stay.", yes="Delete"),
            lambda _: self.delete_value(name))

    @work(group="credentials-write", exit_on_error=False)
    async def delete_value(self, name: str) -> None:
        """Remove a name from the keyring (in a thread)."""
        try:
            removed = await asyncio.to_thread(self.keyring.delete, check_name(name))
        except UsageError as exc:
            wizard(self).toast(str(exc), severity="error", timeout=8)
            return
        if not removed:
            wizard(self).toast(f"{name} is not in the OS keyring")
            return
        wizard(self).toast(f"deleted {name} from the OS keyring")
        await self._changed(name)

    async def _changed(self, name: str) -> None:
        # The checks read credentials through the settings: re-read the project so they use the change.
        reopen = getattr(self.app, "reopen_target", None)
        if callable(reopen):
            await asyncio.to_thread(reopen)
        self.refresh_rows()
