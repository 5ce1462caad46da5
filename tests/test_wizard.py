"""Pilot tests of the wizard: every action, the flow start → sections → summary → sign-off, and
that nothing is lost (every action is in the run record at once; a second wizard sees it)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, cli_env, run_cli
from fixtures.ui import PROBE_GATE, result, sample_results
from readiness_tui.screens.app import ReadinessApp, inject_results, make_app
from textual.widgets import Input, OptionList, Static

from readiness_tui import decisions
from readiness_tui.model import Status
from readiness_tui.target import open_target

NAME = "Ada Lovelace"


async def settle(app: ReadinessApp, pilot) -> None:
    """Let posted messages and background workers finish, then redraw."""
    from textual.worker import WorkerCancelled

    for _ in range(2):
        await pilot.pause()
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive worker (fix plans, a run) replaced by a newer one: not a failure
            pass
    app.redraw_now()
    await pilot.pause()


async def wait_until(pilot, condition, deadline_s: float = 15.0) -> None:
    """Pause until `condition()` holds (bounded: a broken wizard fails the test, never hangs it)."""
    end = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < end, "timed out waiting for the wizard"
        await pilot.pause(0.02)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*["space" if ch == " " else ch for ch in text])


def app_for(project: Path, **kwargs) -> ReadinessApp:
    app = make_app(project, run_checks=False, **kwargs)
    app.user_name = NAME
    # Scripted keys come faster than hands: the hold after a dialog closes has its own test.
    app.key_hold_s = 0
    return app


def detail_text(app: ReadinessApp) -> str:
    return str(app.screen.query_one("#detail", Static).render())


async def open_item(app: ReadinessApp, pilot, item_id: str) -> None:
    app.goto_item(item_id)
    await settle(app, pilot)
    assert app.current_mode == "section" and app.current_item == item_id


# ---- the flow -------------------------------------------------------------------------------

async def test_flow_start_sections_summary_signoff(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        inject_results(app, sample_results())
        await settle(app, pilot)
        assert app.current_mode == "start"
        start = str(app.screen.query_one("#start-text", Static).render())
        assert "SUPABASE_KEY" in start and "set" in start
        assert "DATABASE_URL" in start and "missing" in start
        secret = app.target.settings.supabase_key
        assert secret and secret not in start  # a credential's value is never shown

        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "section" and app.section_id == 1
        seen = [app.section_id]
        for _ in range(9):
            await pilot.press("right")
            await settle(app, pilot)
            seen.append(app.section_id)
        assert seen == list(range(1, 11))
        title = str(app.screen.query_one("#section-title", Static).render())
        assert "10. Deployment Verification" in title

        await pilot.press("right")
        await settle(app, pilot)
        assert app.current_mode == "summary"
        score = str(app.screen.query_one("#score", Static).render())
        assert f"{app.score.percent:.1f}%" in score and app.score.band in score
        blockers = app.screen.query_one("#blockers", OptionList)
        assert blockers.get_option_at_index(0).id == "1.4"  # the critical failure comes first

        await pilot.press("right")
        await settle(app, pilot)
        assert app.current_mode == "signoff"
        listing = app.screen.query_one("#signoff-list", OptionList)
        assert listing.highlighted_option.id == "role:Technical Lead"
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")  # the name (prefilled) is kept: on to the override reason
        await type_text(pilot, "demo run")  # the run is not `ready`: a reason is required
        await pilot.press("enter")  # on to the optional SSH key: left empty, enter submits
        await pilot.press("enter")
        await settle(app, pilot)
        record = app.target.store.load()
        signed = [s for s in record.signoffs if s.get("role") == "Technical Lead"]
        assert signed and signed[0]["name"] == NAME
        text = str(listing.get_option_at_index(1).prompt)
        assert NAME in text and "VALID" in text

        # Any later change of the results makes the signature stale.
        inject_results(app, {"9.1": result("fail", "README lost its troubleshooting section")})
        await settle(app, pilot)
        text = str(app.screen.query_one("#signoff-list", OptionList).get_option_at_index(1).prompt)
        assert "STALE" in text


async def test_deployment_field_recorded(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await pilot.press("g")
        await settle(app, pilot)
        listing = app.screen.query_one("#signoff-list", OptionList)
        listing.highlighted = listing.get_option_index("field:Deployed By")
        await pilot.press("enter")
        await settle(app, pilot)
        await type_text(pilot, "Grace Hopper")
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "FieldDialog", "who records it is asked, never the login"
        await type_text(pilot, "Ada")
        await pilot.press("enter")
        await settle(app, pilot)
        raw = app.target.store.load().deployment["Deployed By"]
        assert raw["value"] == "Grace Hopper" and raw["by"] == "Ada" and raw["type"] == "person"
        assert "Grace Hopper" in str(listing.get_option("field:Deployed By").prompt)

        # A typed field refuses what is not of its type, in the dialog, and records nothing.
        listing.highlighted = listing.get_option_index("field:Deployment Time")
        await pilot.press("enter")
        await settle(app, pilot)
        await type_text(pilot, "banana")
        await pilot.press("enter")  # refused as typed: enter stays on the field, the problem under it
        await settle(app, pilot)
        assert type(app.screen).__name__ == "FieldDialog"
        assert app.focused is app.screen.query_one("#field-value")
        assert "is a time: HH:MM" in str(app.screen.query_one("#error-value", Static).render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert "Deployment Time" not in app.target.store.load().deployment


# ---- item actions -----------------------------------------------------------------------------

async def test_confirm_with_note(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await open_item(app, pilot, "8.6")
        await pilot.press("c")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmDialog"
        await pilot.press("enter")  # the name (prefilled) is kept: on to the note
        await type_text(pilot, "pen test report 2026-01")
        await pilot.press("enter")
        await settle(app, pilot)
        decision = app.target.store.load().decisions["8.6"]
        assert (decision.type, decision.by, decision.note) == ("confirmed", NAME, "pen test report 2026-01")
        assert app.views["8.6"].status == Status.CONFIRMED
        assert "confirmed by Ada Lovelace" in detail_text(app)


async def test_confirm_refused_for_failing_automated_item(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        inject_results(app, sample_results())
        await open_item(app, pilot, "1.4")
        await pilot.press("c")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "SectionScreen"  # no dialog opened
        assert "1.4" not in app.target.store.load().decisions
        assert "c confirm" not in detail_text(app)


async def test_not_applicable_requires_reason(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await open_item(app, pilot, "1.5")
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("enter", "enter")  # name kept, then an empty reason
        await settle(app, pilot)
        assert type(app.screen).__name__ == "NotApplicableDialog"
        assert "required" in str(app.screen.query_one("#error-reason", Static).render())
        await type_text(pilot, "no real-time")
        await pilot.press("enter")
        await settle(app, pilot)
        decision = app.target.store.load().decisions["1.5"]
        assert (decision.type, decision.reason) == ("not_applicable", "no real-time")
        assert app.score.applicable == 74


async def test_waive_needs_another_approver(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        inject_results(app, sample_results())
        await open_item(app, pilot, "1.4")
        await pilot.press("w")
        await settle(app, pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "WaiveDialog"
        dialog.query_one("#field-reason", Input).value = "key rotation scheduled"
        dialog.query_one("#field-approver", Input).value = NAME
        dialog.query_one("#field-expires", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is dialog
        assert "someone other" in str(dialog.query_one("#error-approver", Static).render())
        assert dialog.focused is dialog.query_one("#field-approver", Input)  # taken to the problem
        dialog.query_one("#field-approver", Input).value = "Grace Hopper"
        dialog.query_one("#field-expires", Input).value = "2099-12-31"
        dialog.query_one("#field-expires", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        decision = app.target.store.load().decisions["1.4"]
        assert (decision.type, decision.approver, decision.expires) == ("waived", "Grace Hopper", "2099-12-31")
        assert app.views["1.4"].completed


async def test_escape_cancels_without_writing(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await open_item(app, pilot, "8.7")
        await pilot.press("c")
        await settle(app, pilot)
        await type_text(pilot, "half typed")
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "SectionScreen"
        assert "8.7" not in app.target.store.load().decisions


async def test_undo_decision(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        decisions.confirm(app.target, "8.6", NAME)
        await pilot.press("f5")
        await settle(app, pilot)
        await open_item(app, pilot, "8.6")
        assert app.views["8.6"].status == Status.CONFIRMED
        await pilot.press("u")
        await settle(app, pilot)
        assert "8.6" not in app.target.store.load().decisions
        assert app.views["8.6"].status == Status.PENDING


async def test_rerun_item_and_section(good_project: Path, probe_checklist: Path) -> None:
    app = app_for(good_project, checklist_path=str(probe_checklist))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        (good_project / "probe.txt").write_text("fail\n")
        PROBE_GATE.set()
        await open_item(app, pilot, "1.1")
        await pilot.press("r")
        await settle(app, pilot)
        assert app.target.store.load().results["1.1"].status == Status.FAIL
        assert "probe.txt says fail" in detail_text(app)
        (good_project / "probe.txt").write_text("pass\n")
        await pilot.press("R")
        await settle(app, pilot)
        record = app.target.store.load()
        assert record.results["1.1"].status == Status.PASS
        assert record.results["1.2"].status == Status.PASS
        assert "1.2" in record.results and "2.1" not in record.results  # only the section's checks


async def test_running_check_shows_spinner_and_elapsed(good_project: Path, probe_checklist: Path) -> None:
    app = app_for(good_project, checklist_path=str(probe_checklist))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await open_item(app, pilot, "1.2")
        await pilot.press("r")
        await wait_until(pilot, lambda: "1.2" in app.running)  # the gate check waits; the UI answers
        app.screen._tick()
        row = str(app.screen.query_one("#items", OptionList).get_option_at_index(1).prompt)
        assert any(frame in row for frame in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
        assert re.search(r"\b\d+\.\ds\b", row), row  # the elapsed time
        assert "running" in detail_text(app)
        await pilot.press("up")  # the UI answers while the check runs
        await pilot.pause()
        assert app.current_item == "1.1" and "1.2" in app.running
        PROBE_GATE.set()
        await settle(app, pilot)
        assert "1.2" not in app.running
        assert app.target.store.load().results["1.2"].status == Status.PASS


async def test_background_run_streams_results(good_project: Path, probe_checklist: Path) -> None:
    (good_project / "probe.txt").write_text("warn\n")
    PROBE_GATE.set()
    app = make_app(good_project, str(probe_checklist), run_checks=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await settle(app, pilot)
        record = app.target.store.load()
        assert record.results["1.1"].status == Status.WARN
        assert record.results["1.2"].status == Status.PASS
        assert record.finished_at
        assert not app.running


async def test_no_fix_no_f(good_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await open_item(app, pilot, "2.1")
        assert "f fix" not in detail_text(app)
        assert "fix" not in {b.action.removeprefix("app.") for _, b, _, _ in app.screen.active_bindings.values()}
        await pilot.press("f")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SectionScreen"  # nothing opened


async def test_fix_shows_diff_and_applies(good_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fix engine's functions are replaced: this test is about the dialog and what it calls.
    from readiness_tui import fixes

    applied: list[object] = []

    class Fix:
        name = "ignore .env"
        description = "add .env to .gitignore"

        def plan(self, target):
            return ["change"]

    monkeypatch.setattr(fixes, "available", lambda target, item_id: [Fix()] if item_id == "1.7" else [])
    monkeypatch.setattr(fixes, "render_diff",
                        lambda changes: "--- a/.gitignore\n+++ b/.gitignore\n@@ -1 +1,2 @@\n node_modules\n+.env\n")
    monkeypatch.setattr(fixes, "apply", lambda target, changes: applied.append(changes))
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await open_item(app, pilot, "1.7")
        await pilot.press("f")
        # No settle() while the dialog is open: the fix worker is waiting for its answer.
        await wait_until(pilot, lambda: type(app.screen).__name__ == "FixDialog")
        assert "+.env" in str(app.screen.query_one("#diff", Static).render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert applied == []
        await pilot.press("f")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "FixDialog")
        await pilot.press("a")
        await settle(app, pilot)
        assert applied == [["change"]]


async def test_next_failing_jumps_and_wraps(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        inject_results(app, sample_results())
        order = []
        for _ in range(4):
            await pilot.press("e")
            await settle(app, pilot)
            order.append(app.current_item)
        assert order == ["1.4", "2.3", "7.2", "1.4"]
        assert app.section_id == 1


async def test_digit_keys_and_left_right(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await pilot.press("7")
        await settle(app, pilot)
        assert (app.current_mode, app.section_id) == ("section", 7)
        await pilot.press("0")
        await settle(app, pilot)
        assert app.section_id == 10
        await pilot.press("left")
        await settle(app, pilot)
        assert app.section_id == 9
        await pilot.press("1", "left")
        await settle(app, pilot)
        assert app.current_mode == "start"
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("left")
        await settle(app, pilot)
        assert (app.current_mode, app.section_id) == ("section", 10)


async def test_summary_blocker_opens_item(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        inject_results(app, sample_results())
        await pilot.press("s")
        await settle(app, pilot)
        blockers = app.screen.query_one("#blockers", OptionList)
        blockers.focus()
        blockers.highlighted = 1
        second = blockers.get_option_at_index(1).id
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.current_mode == "section" and app.current_item == second
        criteria = None
        await pilot.press("s")
        await settle(app, pilot)
        criteria = str(app.screen.query_one("#criteria", Static).render())
        assert "142 ms" in criteria and "91.2%" in criteria and "TBD" in criteria


async def test_command_palette_runs_actions(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await type_text(pilot, "Item 9.4")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert (app.current_mode, app.current_item) == ("section", "9.4")
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await type_text(pilot, "not applicable")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "NotApplicableDialog"
        await pilot.press("enter")
        await type_text(pilot, "no API docs")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.target.store.load().decisions["9.4"].reason == "no API docs"


async def test_help_and_export(good_project: Path, tmp_path: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await pilot.press("question_mark")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        assert "next failing" in str(app.screen.query_one("#help-text", Static).render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "StartScreen"
        inject_results(app, sample_results())
        await pilot.press("x")
        await settle(app, pilot)
        field = app.screen.query_one(Input)
        out = tmp_path / "report.json"
        field.value = str(out)
        await pilot.press("enter")
        await settle(app, pilot)
        import json

        data = json.loads(out.read_text())
        assert data["score"]["percent"] == app.score.percent
        statuses = {i["id"]: i["status"] for s in data["sections"] for i in s["items"]}
        assert statuses["1.4"] == "fail"


async def test_deployment_steps_screen(good_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        notes: list[str] = []
        monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(message))
        await pilot.press("d")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DeployScreen"
        await pilot.press("right", "7")  # the wizard's navigation keys stay out of its way
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DeployScreen"
        await pilot.press("escape")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "StartScreen"


async def test_usable_at_80x24(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        inject_results(app, sample_results())
        await open_item(app, pilot, "1.4")
        items = app.screen.query_one("#items", OptionList)
        detail = app.screen.query_one("#detail-scroll")
        assert items.region.width >= 30 and detail.region.width >= 30
        assert items.region.height >= 7  # all of section 1 visible
        assert detail.region.right <= 80
        footer = app.screen.query_one("Footer")
        assert footer.region.y == 23


def test_no_color_is_honoured(good_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert make_app(good_project, run_checks=False).no_color is True
    monkeypatch.delenv("NO_COLOR")
    assert make_app(good_project, run_checks=False).no_color is False


# ---- nothing lost -----------------------------------------------------------------------------

async def test_second_wizard_sees_changes_and_never_overwrites(good_project: Path) -> None:
    first = app_for(good_project)
    async with first.run_test(size=(100, 30)) as pilot:
        await settle(first, pilot)  # the project is read after the first paint
        await open_item(first, pilot, "8.6")
        # A second wizard (another process, same project) records a decision.
        other = open_target(good_project)
        decisions.mark_not_applicable(other, "8.7", "Grace Hopper", "no UAT for an internal tool")
        assert first.views["8.7"].status == Status.PENDING
        first.poll_record()
        await settle(first, pilot)
        assert first.views["8.7"].status == Status.NOT_APPLICABLE
        # This wizard's next action keeps the other's decision.
        decisions.confirm(other, "10.9", "Grace Hopper")
        await pilot.press("c")
        await settle(first, pilot)
        await pilot.press("enter", "enter")
        await settle(first, pilot)
        record = first.target.store.load()
        assert {"8.6", "8.7", "10.9"} <= set(record.decisions)
        assert first.views["10.9"].status == Status.CONFIRMED


async def test_reopening_resumes_the_record(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)  # the project is read after the first paint
        await open_item(app, pilot, "3.6")
        await pilot.press("n", "enter")
        await type_text(pilot, "frontend has no DB user")
        await pilot.press("enter")
        await settle(app, pilot)
    again = app_for(good_project)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(again, pilot)  # the project is read after the first paint
        await settle(again, pilot)
        assert again.views["3.6"].status == Status.NOT_APPLICABLE
        assert "continued from" in str(again.screen.query_one("#start-text", Static).render())


# ---- command line and start-up ------------------------------------------------------------------

async def test_malformed_env_is_a_clear_message(good_project: Path) -> None:
    (good_project / ".env").write_text("GOOD=1\nthis line is not an assignment\n")
    app = make_app(good_project, run_checks=False)  # the project is read after the first paint
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.startup_error is not None)
    assert app.return_code == 2
    assert f"{good_project / '.env'}:2" in str(app.startup_error)


def test_tui_bad_directory_is_a_clear_message(tmp_path: Path) -> None:
    proc = run_cli("tui", str(tmp_path / "missing"))
    assert proc.returncode == 2
    assert "not a directory" in proc.stderr and "Traceback" not in proc.stderr


def test_tui_help_and_light_imports() -> None:
    proc = run_cli("tui", "--help")
    assert proc.returncode == 0 and "--checklist" in proc.stdout
    code = (
        "import sys, readiness_tui.commands.tui, readiness_tui.cli\n"
        "assert 'textual' not in sys.modules, 'textual imported by the command module'\n"
        "import readiness_tui.screens.app, readiness_tui.screens.start\n"
        "heavy = [m for m in ('httpx', 'docker', 'supabase', 'psycopg', 'aiohttp') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(), check=True, timeout=60)
