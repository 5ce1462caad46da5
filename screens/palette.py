"""The command palette provider: every action, every section and every item, by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from readiness_tui.screens.app import ITEM_ACTIONS
from readiness_tui.screens.common import wizard
from textual.command import DiscoveryHit, Hit, Hits, Provider

from readiness_tui.neutral import one_line

#: (title, app action, help) — the same actions the keys run.
ACTIONS = [
    ("Re-run the selected item", "rerun_item", "r: run its checks again"),
    ("Re-run this section", "rerun_section", "R: run every automated item of the section again"),
    ("Re-run every check (a new run)", "rerun_all", "the wizard resumes a recent run when it opens"),
    ("Confirm the selected item", "confirm", "c: your name and an optional note"),
    ("Mark the selected item not applicable", "not_applicable", "n: a reason is required"),
    ("Waive the selected item", "waive", "w: reason, approver, expiry date"),
    ("Fix the selected item", "fix", "f: show the diff of a safe fix, apply on confirmation"),
    ("Undo the decision on the selected item", "undo", "u"),
    ("Jump to the next failing item", "next_failing", "e"),
    ("Find items: text, is:failing, is:critical, status:…, kind:…", "filter", "/"),
    ("Next section", "next_section", "→"),
    ("Previous section", "previous_section", "←"),
    ("Show the target (start screen)", "show_start", "t"),
    ("Show the summary and score", "show_summary", "s"),
    ("Show the sign-off", "show_signoff", "g"),
    ("Export the report", "export", "x: Markdown, JSON or JUnit"),
    ("Deployment steps: backup, deploy, verify, rollback", "deploy", "d: run them with live logs"),
    ("Credentials: where each is found, set (masked), delete", "credentials", "k: values are never shown"),
    ("Reload the run record", "reload", "F5"),
    ("Help: every key", "help", "?"),
]


class ReadinessCommands(Provider):
    """Actions, sections and items of the wizard."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = wizard(self)
        # Actions on "the selected item" are offered only where an item is shown selected (a section),
        # and only those that item offers: the palette never acts on an item that is not on screen.
        commands: list[tuple[str, Callable[[], object], str]] = [
            (title, partial(app.run_action, action), text) for title, action, text in ACTIONS
            if action not in ITEM_ACTIONS or app.item_action_state(action)
        ]
        if not app.ready:
            return commands
        checklist = app.target.checklist
        for section in checklist.sections:
            commands.append((f"Section {section.id}: {one_line(section.title)}",
                             partial(app.show_section, section.id), "open the section"))
        for item in checklist.items:
            commands.append((f"Item {one_line(item.id)}: {one_line(item.text)}", partial(app.goto_item, item.id),
                             "open the item"))
        return commands

    async def discover(self) -> Hits:
        titles = {title for title, _, _ in ACTIONS}
        for title, callback, text in self._commands():
            if title in titles:
                yield DiscoveryHit(title, callback, help=text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, callback, text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=text)
