"""The wizard from the keyboard alone: each dialog's path (Tab, Shift+Tab, Enter, checks as typed),
keys typed as a dialog closes, the signer's own name, asking before destructive actions, acting
only on what is shown, the filter, the header and footer at 80×24, NO_COLOR, and notices of
another reviewer's changes."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from fixtures.ui import result, sample_results
from readiness_tui.screens.app import inject_results
from readiness_tui.screens.modals import ConfirmDialog, SignDialog, WaiveDialog
from test_wizard import NAME, app_for, detail_text, open_item, settle, type_text, wait_until
from textual import events
from textual.widgets import Input, OptionList, Static

from readiness_tui import decisions
from readiness_tui.model import Status
from readiness_tui.target import open_target

TODAY = date.today()


def focused_id(app) -> str:
    return app.screen.focused.id if app.screen.focused is not None else ""


def error_text(app, key: str) -> str:
    return str(app.screen.query_one(f"#error-{key}", Static).render())


# ---- dialogs ----------------------------------------------------------------------------------

async def test_tab_and_shift_tab_move_between_fields(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        await open_item(app, pilot, "1.4")
        await pilot.press("w")
        await settle(app, pilot)
        assert isinstance(app.screen, WaiveDialog)
        assert focused_id(app) == "field-name"  # focus starts in the first field
        await pilot.press("tab")
        assert focused_id(app) == "field-reason"
        await type_text(pilot, "rotation booked")
        await pilot.press("tab")
        assert focused_id(app) == "field-approver"
        await type_text(pilot, "Grace Hopper")
        await pilot.press("shift+tab")
        assert focused_id(app) == "field-reason"
        await pilot.press("tab", "tab")
        assert focused_id(app) == "field-expires"
        answer = app.screen.answer()
        assert (answer["name"], answer["reason"], answer["approver"]) == (NAME, "rotation booked", "Grace Hopper")
        await pilot.press("enter")  # the last field: submit
        await settle(app, pilot)
        decision = app.target.store.load().decisions["1.4"]
        assert (decision.type, decision.reason, decision.approver) == ("waived", "rotation booked", "Grace Hopper")


async def test_enter_moves_to_the_next_field_and_submits_from_the_last(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_item(app, pilot, "8.6")
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmDialog) and focused_id(app) == "field-name"
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmDialog) and focused_id(app) == "field-note"
        assert "8.6" not in app.target.store.load().decisions  # nothing written on the first enter
        await type_text(pilot, "indexes seen")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.target.store.load().decisions["8.6"].note == "indexes seen"


async def test_waive_fields_are_checked_as_typed_and_keep_what_was_typed(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        await open_item(app, pilot, "1.4")
        await pilot.press("w", "tab")
        await settle(app, pilot)
        await type_text(pilot, "key rotation scheduled")
        await pilot.press("tab")
        await type_text(pilot, NAME)  # the approver is the person asking
        await pilot.pause()
        assert "someone other than you" in error_text(app, "approver")  # shown while typing, no enter
        await pilot.press("tab")  # the expiry: selected on focus, a past date typed over it
        await type_text(pilot, "2020-01-01")
        await pilot.pause()
        assert f"today ({TODAY.isoformat()}) or later" in error_text(app, "expires")
        await pilot.press("enter")  # refused: the dialog stays on the field with the problem
        await settle(app, pilot)
        assert isinstance(app.screen, WaiveDialog) and focused_id(app) == "field-expires"
        answer = app.screen.answer()
        assert answer["reason"] == "key rotation scheduled" and answer["expires"] == "2020-01-01"  # kept
        expires = app.screen.query_one("#field-expires", Input)
        expires.value = TODAY.isoformat()  # today is accepted
        await pilot.pause()
        assert error_text(app, "expires") == ""
        await pilot.press("enter")  # submitting with a problem elsewhere goes to it
        await settle(app, pilot)
        assert isinstance(app.screen, WaiveDialog) and focused_id(app) == "field-approver"
        assert "1.4" not in app.target.store.load().decisions
        app.screen.query_one("#field-approver", Input).value = ""
        await type_text(pilot, "Grace Hopper")
        await pilot.pause()
        assert error_text(app, "approver") == ""
        await pilot.press("tab", "enter")
        await settle(app, pilot)
        decision = app.target.store.load().decisions["1.4"]
        assert (decision.approver, decision.expires) == ("Grace Hopper", TODAY.isoformat())


async def test_not_applicable_says_what_it_hides_and_requires_a_reason(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        await open_item(app, pilot, "1.4")
        await pilot.press("n")
        await settle(app, pilot)
        intro = str(app.screen.query_one(".dialog-intro", Static).render())
        assert "its check says fail" in intro and "service_role" in intro
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        assert "Why it does not apply is required" in error_text(app, "reason")
        assert "1.4" not in app.target.store.load().decisions


async def test_keys_typed_as_a_dialog_closes_are_not_hotkeys(good_project: Path) -> None:
    app = app_for(good_project)
    app.key_hold_s = 0.5  # as people get it
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_item(app, pilot, "8.6")
        await pilot.press("c", "enter")
        # One burst, as hands type it: the enter that submits, then "nde" meant for the note.
        for key in ("enter", "n", "d", "e"):
            app.post_message(events.Key(key, None if key == "enter" else key))
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SectionScreen"  # no N/A dialog, no deployment screen
        assert app.current_item == "8.6"  # `e` did not jump either
        assert app.target.store.load().decisions["8.6"].type == "confirmed"
        start = time.monotonic()
        await wait_until(pilot, lambda: time.monotonic() - start > 0.6)
        await pilot.press("n")  # a moment later keys are hotkeys again
        await settle(app, pilot)
        assert type(app.screen).__name__ == "NotApplicableDialog"


async def test_a_reviewer_signs_under_their_own_name(good_project: Path) -> None:
    app = app_for(good_project)
    app.user_name = "root"  # the shared login an SSH session reports
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("g")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SignDialog) and focused_id(app) == "field-name"
        field = app.screen.query_one("#field-name", Input)
        assert field.value == "root"
        # The prefilled name is selected: typing replaces it. Emptied, it is refused as typed.
        await pilot.press("backspace")
        await pilot.pause()
        assert field.value == "" and "required" in error_text(app, "name")
        await type_text(pilot, "Grace Hopper")
        await pilot.press("enter")
        await type_text(pilot, "release train 42")  # below ready: the override reason
        await pilot.press("enter")
        assert focused_id(app) == "field-ssh_key"  # the optional key: left empty, enter submits
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.target.store.load().signoffs != [])
        entry = app.target.store.load().signoffs[0]
        assert (entry["name"], entry["override"]) == ("Grace Hopper", "release train 42")
        assert app.user_name == "Grace Hopper"  # the next dialog starts with it


async def test_export_and_field_dialogs_from_the_keyboard(good_project: Path, tmp_path: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        assert focused_id(app) == "field-path"
        app.screen.query_one("#field-path", Input).value = str(tmp_path / "out.json")
        await pilot.press("enter")
        await settle(app, pilot)
        assert (tmp_path / "out.json").is_file()
        await pilot.press("g")
        await settle(app, pilot)
        listing = app.screen.query_one("#signoff-list", OptionList)
        listing.highlighted = listing.get_option_index("field:Deployed By")
        await pilot.press("enter")
        await settle(app, pilot)
        assert focused_id(app) == "field-value"
        await pilot.press("enter")  # empty: refused in place
        await settle(app, pilot)
        assert "required" in error_text(app, "value")
        await type_text(pilot, "Grace Hopper")
        await pilot.press("enter")
        await settle(app, pilot)
        assert focused_id(app) == "field-by"  # who records it: asked, never the login
        await type_text(pilot, "Ada Lovelace")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Deployed By" in app.target.store.load().deployment)
        raw = app.target.store.load().deployment["Deployed By"]
        assert isinstance(raw, dict) and (raw["value"], raw["by"]) == ("Grace Hopper", "Ada Lovelace")


# ---- destructive actions and what is shown ------------------------------------------------------

async def test_undoing_someone_elses_waiver_asks_first(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        other = open_target(good_project)
        inject_results(app, sample_results())
        expires = (TODAY + timedelta(days=7)).isoformat()
        decisions.waive(other, "1.4", "Grace Hopper", "rotation booked", "Alan Turing", expires)
        await pilot.press("f5")
        await settle(app, pilot)
        await open_item(app, pilot, "1.4")
        await pilot.press("u")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "AskDialog"
        assert "Grace Hopper" in str(app.screen.query_one(".dialog-intro", Static).render())
        await pilot.press("enter")  # the default button is No
        await settle(app, pilot)
        assert app.target.store.load().decisions["1.4"].type == "waived"
        await pilot.press("u")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert "1.4" not in app.target.store.load().decisions


async def test_undoing_my_own_confirmation_does_not_ask(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        decisions.confirm(app.target, "8.6", NAME)
        await pilot.press("f5")
        await settle(app, pilot)
        await open_item(app, pilot, "8.6")
        await pilot.press("u")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SectionScreen"
        assert "8.6" not in app.target.store.load().decisions


async def test_item_actions_act_only_on_a_shown_item(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_item(app, pilot, "10.1")
        await pilot.press("g")  # the sign-off screen: no item is shown selected
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await type_text(pilot, "Confirm the selected item")
        await settle(app, pilot)
        await pilot.press("enter")  # nothing matches: the palette does not offer it here
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CommandPalette"
        await pilot.press("escape")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SignoffScreen"
        await app.run_action("confirm")  # the same action by name: refused here too
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SignoffScreen"
        assert "10.1" not in app.target.store.load().decisions


async def test_a_fix_that_leaves_the_item_failing_says_why(good_project: Path) -> None:
    import subprocess

    from readiness_tui import fixes

    root = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=good_project, capture_output=True,
                               text=True, check=True).stdout.strip())
    (root / ".gitignore").write_text(".readiness/\n")
    # A copy of .env tracked by git: ignoring .env* does not untrack it, so 1.7 still fails.
    (good_project / ".env.backup").write_text((good_project / ".env").read_text())
    subprocess.run(["git", "add", "-f", ".env.backup"], cwd=good_project, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "backup"], cwd=good_project, check=True, capture_output=True)
    app = app_for(good_project)
    toasts: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        original = app.notify
        app.notify = lambda message, **kw: (toasts.append(str(message)), original(message, **kw))  # type: ignore[method-assign]
        await settle(app, pilot)
        await open_item(app, pilot, "1.7")
        await pilot.press("r")
        await wait_until(pilot, lambda: app.record.results.get("1.7") is not None and not app.running)
        await wait_until(pilot, lambda: app.fixable.get("1.7") is True)
        assert fixes.available(app.target, "1.7")
        await pilot.press("f")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "FixDialog")
        await pilot.press("a")
        await wait_until(pilot, lambda: any("still fail after the fix" in t for t in toasts), 30)
        said = next(t for t in toasts if "still fail after the fix" in t)
        assert ".env.backup" in said, said  # why: the summary of the check that still fails


# ---- finding items, keys, header ------------------------------------------------------------------

async def test_filter_lists_matches_across_sections_and_opens_one(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        await pilot.press("g", "slash")  # from any screen
        await settle(app, pilot)
        assert type(app.screen).__name__ == "FilterScreen"
        await type_text(pilot, "is:failing")
        await settle(app, pilot)
        results = app.screen.query_one("#filter-results", OptionList)
        found = [results.get_option_at_index(i).id for i in range(results.option_count)]
        assert found == ["1.4", "2.3", "7.2"]  # fail, error and fail, in three sections
        assert "3 of 75 items in 3 section(s)" in str(app.screen.query_one("#filter-count", Static).render())
        await pilot.press("down", "enter")
        await settle(app, pilot)
        assert (app.current_mode, app.current_item) == ("section", "2.3")
        await pilot.press("slash")  # opens with the last query
        await settle(app, pilot)
        assert app.screen.query_one("#filter-input", Input).value == "is:failing"
        app.screen.query_one("#filter-input", Input).value = "is:critical section:3"
        await settle(app, pilot)
        results = app.screen.query_one("#filter-results", OptionList)
        found = [results.get_option_at_index(i).id for i in range(results.option_count)]
        assert found == [i.id for i in app.target.checklist.section(3).items if i.critical]
        app.screen.query_one("#filter-input", Input).value = "service_role"  # words: the summary too
        await settle(app, pilot)
        results = app.screen.query_one("#filter-results", OptionList)
        assert [results.get_option_at_index(i).id for i in range(results.option_count)] == ["1.4"]
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.current_item == "2.3"


async def test_e_keeps_jumping_to_the_next_failing_item(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        await pilot.press("e", "e", "e", "e")  # typed quickly, with no pause between
        await settle(app, pilot)
        assert app.current_item == "1.4"  # 1.4 → 2.3 → 7.2 → 1.4
        seen = []
        for _ in range(3):
            await pilot.press("e")
            await settle(app, pilot)
            seen.append(app.current_item)
        assert seen == ["2.3", "7.2", "1.4"]


async def test_help_shows_this_screens_keys_first(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_item(app, pilot, "8.6")
        await pilot.press("question_mark")
        await settle(app, pilot)
        text = str(app.screen.query_one("#help-text", Static).render())
        assert text.startswith("This screen: Section")
        section_part = text.split("Anywhere")[0]
        for word in ("Confirm", "N/A", "Waive", "Fix", "Undo", "Rerun section"):
            assert word in section_part, word
        await pilot.press("escape", "d", "question_mark")
        await settle(app, pilot)
        text = str(app.screen.query_one("#help-text", Static).render())
        assert text.startswith("This screen: Deployment steps") and "Search log" in text


async def test_ctrl_c_quits(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+c")
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


async def test_header_keeps_score_band_and_running_count_at_80(good_project: Path, probe_checklist: Path) -> None:
    from fixtures.ui import PROBE_GATE

    app = app_for(good_project, checklist_path=str(probe_checklist))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        PROBE_GATE.clear()
        app.run_items(["1.1", "1.2"])
        await wait_until(pilot, lambda: len(app.running) == 1)
        app.redraw_now()
        await pilot.pause()
        header = app.screen.query_one("HeaderTitle")
        shown = str(header.render())
        assert f"{app.score.percent:.1f}%" in shown and app.score.band in shown and "1 running" in shown
        PROBE_GATE.set()
        await settle(app, pilot)


async def test_detail_pane_starts_at_the_top_for_a_new_item(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inject_results(app, {"1.1": result("fail", "x", **{f"key{n}": "v" * 60 for n in range(30)})})
        await open_item(app, pilot, "1.1")
        pane = app.screen.query_one("#detail-scroll")
        pane.scroll_end(animate=False)
        await pilot.pause()
        assert pane.scroll_y > 0
        await pilot.press("down")
        await settle(app, pilot)
        assert app.current_item == "1.2" and pane.scroll_y == 0
        assert "1.2" in detail_text(app).splitlines()[0]


async def test_no_color_keeps_failures_and_focus_visible(good_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        await open_item(app, pilot, "1.4")
        items = app.screen.query_one("#items", OptionList)
        failing = items.get_option("1.4").prompt
        assert str(failing).startswith("[bold reverse]✗[/]")  # reversed and bold: a block, in any grey
        passing = items.get_option("1.3").prompt
        assert str(passing).startswith("✓ ")  # plain: only what needs work stands out
        await pilot.press("w")
        await settle(app, pilot)
        name = app.screen.query_one("#field-name", Input)
        reason = app.screen.query_one("#field-reason", Input)
        assert name.has_focus
        assert name.styles.border_left[0] != reason.styles.border_left[0]  # a bar marks the focused field
        assert "bold" in str(name.styles.text_style)


async def test_summary_shows_whole_section_names_at_120(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        text = str(app.screen.query_one("#sections", Static).render())
        for section in app.target.checklist.sections:
            assert section.title in text, section.title


async def test_another_reviewers_change_is_announced(good_project: Path) -> None:
    app = app_for(good_project)
    toasts: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        original = app.notify
        app.notify = lambda message, **kw: (toasts.append(str(message)), original(message, **kw))  # type: ignore[method-assign]
        await settle(app, pilot)
        await open_item(app, pilot, "8.6")
        await pilot.press("c", "enter", "enter")  # this wizard's own change: no notice about it
        await settle(app, pilot)
        app.poll_record()
        await settle(app, pilot)
        assert not any("changed elsewhere" in t for t in toasts), toasts
        decisions.mark_not_applicable(open_target(good_project), "8.7", "Grace Hopper", "internal tool")
        app.poll_record()
        await wait_until(pilot, lambda: app.views["8.7"].status == Status.NOT_APPLICABLE)
        assert any("changed elsewhere: Grace Hopper marked N/A 8.7" in t for t in toasts), toasts


@pytest.mark.parametrize("key", ["g", "s"])
async def test_the_list_keeps_the_keyboard_after_a_palette_action(good_project: Path, key: str) -> None:
    """Found walking the demo: on the sign-off screen, an action from the command palette (re-run every check,
    then its question) left nothing focused; ↑ ↓ did nothing and enter edited the row highlighted before."""
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(key)
        await settle(app, pilot)
        if key == "g":  # a valid sign-off first: re-running every check then asks before going on
            await pilot.press("enter")
            await settle(app, pilot)
            await type_text(pilot, "Grace Hopper")
            await pilot.press("enter")
            await type_text(pilot, "walk")
            await pilot.press("enter", "enter")
            await wait_until(pilot, lambda: app.target.store.load().signoffs != [])
            await wait_until(pilot, lambda: not isinstance(app.screen, SignDialog))
        listing = app.screen.query_one(OptionList)
        before = listing.highlighted
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await type_text(pilot, "Re-run every check")
        await settle(app, pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ != "CommandPalette")
        if key == "g":  # asked only when valid sign-offs could go stale
            await wait_until(pilot, lambda: type(app.screen).__name__ == "AskDialog")
            await pilot.press("y")
        await wait_until(pilot, lambda: app.screen.query(OptionList) and not app.running)  # the new run is done
        listing = app.screen.query_one(OptionList)
        assert app.screen.focused is listing, app.screen.focused
        await pilot.press("down")
        await pilot.pause()
        assert listing.highlighted != before


@pytest.mark.parametrize(("key", "widget"), [("g", "#signoff-list"), ("s", "#blockers")])
async def test_the_list_takes_the_keyboard_back_when_nothing_has_it(good_project: Path, key: str,
                                                                    widget: str) -> None:
    """Whatever took the focus away while a dialog was up, coming back to the screen gives the keys to its list."""
    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(key)
        await settle(app, pilot)
        screen = app.screen
        screen.set_focus(None)
        await pilot.press("question_mark")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert screen.focused is screen.query_one(widget)
