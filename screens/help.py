"""The key map (`?`)."""

from __future__ import annotations

from readiness_tui.screens.common import safe
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

#: (key, what it does) — docs/wizard.md, "Keys", is the same table.
KEYMAP: list[tuple[str, list[tuple[str, str]]]] = [
    ("Anywhere", [
        ("← →", "previous / next section (start → 1 … 10 → summary → sign-off)"),
        ("1 … 9, 0", "section 1 … 9, 10"),
        ("e", "jump to the next failing item"),
        ("t / s / g", "target (start) / summary / sign-off"),
        ("x", "export the report (.md, .json, .xml)"),
        ("d", "deployment steps: backup, tests, deploy, verify, rollback"),
        ("k", "credentials: where each is found; s sets one (masked), x deletes"),
        ("ctrl+p", "command palette: every action, every section and item"),
        ("F5", "reload the run record now (it also reloads by itself)"),
        ("? / F1", "this help"),
        ("q", "quit (everything is already saved)"),
    ]),
    ("Section", [
        ("↑ ↓", "select an item"),
        ("r / R", "re-run the item / the whole section"),
        ("c", "confirm (your name, an optional note)"),
        ("n", "not applicable (a reason is required)"),
        ("w", "waive: reason, approver, expiry date"),
        ("f", "fix: show the diff of a safe fix, apply on confirmation"),
        ("u", "undo the decision on the item"),
        ("tab", "move to the detail pane (scroll with ↑ ↓)"),
    ]),
    ("Dialogs", [
        ("enter", "next field; in the last field: submit"),
        ("escape", "cancel"),
    ]),
]


class HelpScreen(ModalScreen[None]):
    """Shows every key; any of escape, q, ? closes it."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        lines = []
        for group, keys in KEYMAP:
            lines.append(f"[b]{group}[/b]")
            lines += [f"  [$accent]{safe(key):<10}[/] {safe(text)}" for key, text in keys]
            lines.append("")
        lines.append("[$text-muted]Every action is written to .readiness/run.json at once.[/]")
        with Vertical(classes="dialog wide"):
            yield Static("[b]Keys[/b]", classes="dialog-title")
            with VerticalScroll(can_focus=True):
                yield Static("\n".join(lines), id="help-text")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
