"""The wizard and readiness.decisions.toml: the N/A dialog asks a critical item's approver, and the
poll shows changes made to the decisions file alone (a git pull, a hand edit), or says where it is broken."""

from __future__ import annotations

import os
from pathlib import Path

from readiness_tui.screens.app import ReadinessApp
from test_wizard import NAME, app_for, open_item, settle, type_text
from textual.widgets import Input, Static

from readiness_tui import decisionsfile
from readiness_tui.model import Status


def critical_manual(app: ReadinessApp) -> str:
    return next(i.id for i in app.target.checklist.items if i.critical)


async def test_na_on_a_critical_item_asks_for_another_approver(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        item = critical_manual(app)
        await open_item(app, pilot, item)
        await pilot.press("n")
        await settle(app, pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "NotApplicableDialog"
        dialog.query_one("#field-reason", Input).value = "no such service here"
        dialog.query_one("#field-approver", Input).value = NAME.upper()
        dialog.query_one("#field-approver", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "NotApplicableDialog"
        assert "someone other than you" in str(app.screen.query_one("#error-approver", Static).render())
        app.screen.query_one("#field-approver", Input).value = ""
        await type_text(pilot, "Grace Hopper")
        await pilot.press("enter")
        await settle(app, pilot)
        decision = decisionsfile.read(good_project / decisionsfile.FILE)[item]
        assert (decision.type, decision.by, decision.approver) == ("not_applicable", NAME, "Grace Hopper")
        assert app.views[item].status == Status.NOT_APPLICABLE


async def test_na_on_a_plain_item_asks_no_approver(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        plain = next(i.id for i in app.target.checklist.items if not i.critical)
        await open_item(app, pilot, plain)
        await pilot.press("n")
        await settle(app, pilot)
        assert not app.screen.query("#field-approver")


async def test_the_poll_shows_a_change_to_the_decisions_file_alone(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await open_item(app, pilot, "8.7")
        assert app.views["8.7"].status == Status.PENDING
        record = app.target.store.path
        stamp = record.stat().st_mtime_ns if record.exists() else None
        path = good_project / decisionsfile.FILE
        # As a `git pull` would bring it: only the decisions file changes.
        path.write_text('["8.7"]\ndecision = "confirmed"\nby = "Grace Hopper"\nat = 2026-01-15\n'
                        'note = "UAT signed off"\n')
        app.poll_record()
        await settle(app, pilot)
        assert app.views["8.7"].status == Status.CONFIRMED
        assert (record.stat().st_mtime_ns if record.exists() else None) == stamp
        # A broken edit is named (FILE:LINE), and the wizard keeps showing the last good state.
        path.write_text('["8.7"]\ndecision = "confirmd"\nby = "Grace Hopper"\nat = 2026-01-15\n')
        os.utime(path, ns=(1, 1))
        notes: list[str] = []
        original = app.notify
        app.notify = lambda message, **kw: (notes.append(message), original(message, **kw))  # type: ignore[method-assign]
        app.poll_record()
        await settle(app, pilot)
        assert any(n.startswith(f"{path}:2: item 8.7: `decision` must be one of") for n in notes), notes
        assert app.views["8.7"].status == Status.CONFIRMED
