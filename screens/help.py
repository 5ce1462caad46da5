"""The keys (`?`): this screen's first, then the keys that work anywhere, then the dialogs'."""

from __future__ import annotations

from readiness_tui.screens.common import safe
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

#: Keys of the wizard screens (start, sections, summary, sign-off); docs/wizard.md, "Keys", is the same table.
ANYWHERE: list[tuple[str, str]] = [
    ("← →", "previous / next section (start → 1 … 10 → summary → sign-off)"),
    ("1 … 9, 0", "section 1 … 9, 10"),
    ("e", "jump to the next failing item (again: the one after)"),
    ("/", "find items in every section: words, is:failing, is:critical, status:…, kind:…"),
    ("t / s / g", "target (start) / summary / sign-off"),
    ("x", "export the report (.md, .json, .xml, .txt)"),
    ("d", "deployment steps: backup, tests, deploy, verify, rollback"),
    ("k", "credentials: where each is found; s sets one (masked), x deletes"),
    ("ctrl+p", "command palette: every action, every section and item"),
    ("F5", "reload the run record now (it also reloads by itself)"),
    ("? / F1", "these keys"),
    ("q / ctrl+c", "quit (everything is already saved)"),
]
DIALOGS: list[tuple[str, str]] = [
    ("tab / shift+tab", "next / previous field or button"),
    ("enter", "next field; in the last field: submit"),
    ("escape", "cancel (nothing is written)"),
]
#: Screen names for the heading.
TITLES = {"StartScreen": "Start (the target)", "SectionScreen": "Section", "SummaryScreen": "Summary",
          "SignoffScreen": "Sign-off", "CredentialsScreen": "Credentials", "DeployScreen": "Deployment steps"}


def screen_keys(screen: Screen[object]) -> list[tuple[str, str]]:
    """The keys of one screen: its own bindings (shown or not) and its other keys (`KEYS_HELP`; Textual's own
    `HELP` is a markdown string)."""
    keys: list[tuple[str, str]] = []
    for binding in getattr(type(screen), "BINDINGS", []):
        if not isinstance(binding, Binding):
            continue
        display = binding.key_display or screen.app.get_key_display(binding)
        keys.append((display, binding.description or binding.action))
    keys += list(getattr(screen, "KEYS_HELP", []))
    return keys


def key_lines(keys: list[tuple[str, str]]) -> list[str]:
    """One markup line per key."""
    return [f"  [$accent]{safe(key):<16}[/] {safe(text)}" for key, text in keys]


class HelpScreen(ModalScreen[None]):
    """Shows the keys; any of escape, q, ? closes it."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def __init__(self, shown: Screen[object]) -> None:
        """`shown`: the screen the keys were asked on (its keys come first)."""
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        name = TITLES.get(type(self.shown).__name__, "This screen")
        lines = [f"[b]This screen: {safe(name)}[/b]", *key_lines(screen_keys(self.shown)), ""]
        if getattr(self.shown, "WIZARD_SCREEN", False):
            lines += ["[b]Anywhere[/b]", *key_lines(ANYWHERE), ""]
        else:
            lines += ["[b]Anywhere[/b]", *key_lines([("escape", "back"), ("?", "these keys"),
                                                     ("q / ctrl+c", "quit (everything is already saved)")]), ""]
        lines += ["[b]Dialogs[/b]", *key_lines(DIALOGS), ""]
        lines.append("[$text-muted]Every action is written to .readiness/run.json at once.[/]")
        with Vertical(classes="dialog wide"):
            yield Static("[b]Keys[/b] [$text-muted](escape closes)[/]", classes="dialog-title")
            with VerticalScroll(can_focus=True):
                yield Static("\n".join(lines), id="help-text")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
