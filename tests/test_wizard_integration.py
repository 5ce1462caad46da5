"""The wizard with the real cores: fixes (`readiness_tui.fixes`), signing (`readiness_tui.signoff`)
and the deployment steps screen, driven with Pilot on fixture projects."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fixtures.ui import result, sample_results
from readiness_tui.screens.app import inject_results
from test_wizard import NAME, app_for, open_item, settle, type_text, wait_until
from textual.widgets import Input, OptionList, Static

from readiness_tui import fixes
from readiness_tui.model import Status


def repo_root(project: Path) -> Path:
    return Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=project, capture_output=True,
                               text=True, check=True).stdout.strip())


async def wait_screen(app, pilot, name: str) -> None:
    await wait_until(pilot, lambda: type(app.screen).__name__ == name)


async def test_real_gitignore_fix_shows_diff_applies_and_rechecks(good_project: Path) -> None:
    gitignore = repo_root(good_project) / ".gitignore"
    gitignore.write_text(".readiness/\n")  # .env no longer ignored: item 1.7 fails
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await open_item(app, pilot, "1.7")
        await pilot.press("r")
        await wait_until(pilot, lambda: app.record.results.get("1.7") is not None and not app.running)
        assert app.record.results["1.7"].status == Status.FAIL

        await pilot.press("f")
        await wait_screen(app, pilot, "FixDialog")
        diff = str(app.screen.query_one("#diff", Static).render())
        assert "+.env" in diff and "b/.gitignore" in diff
        await pilot.press("escape")
        await settle(app, pilot)
        assert gitignore.read_text() == ".readiness/\n"  # cancelled: nothing written

        await pilot.press("f")
        await wait_screen(app, pilot, "FixDialog")
        await pilot.press("a")
        await wait_until(pilot, lambda: app.record.results["1.7"].status == Status.PASS and not app.running)
        assert ".env\n" in gitignore.read_text() and "!.env.example" in gitignore.read_text()
        backups = list((good_project / fixes.BACKUP_DIR).glob(".gitignore.readiness-bak-*"))
        assert len(backups) == 1 and backups[0].read_text() == ".readiness/\n"


async def test_several_fixes_let_the_person_choose(good_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = good_project / ".streamlit" / "config.toml"
    config.write_text("[server]\nheadless = true\n")
    # Two real planners registered for 3.2, so the wizard has to ask which one.
    extra = fixes.Fix("streamlit-error-details", 'set showErrorDetails = "type" under [client]', ("3.2",),
                      fixes.plan_error_details)
    monkeypatch.setattr(fixes, "REGISTRY", (*fixes.REGISTRY, extra))
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await open_item(app, pilot, "3.2")
        await pilot.press("f")
        await wait_screen(app, pilot, "ChooseFixDialog")
        choices = app.screen.query_one("#fix-choices", OptionList)
        assert choices.option_count == 2
        assert "streamlit-xsrf" in str(choices.get_option_at_index(0).prompt)
        await pilot.press("escape")
        await settle(app, pilot)
        assert config.read_text() == "[server]\nheadless = true\n"

        await pilot.press("f")
        await wait_screen(app, pilot, "ChooseFixDialog")
        await pilot.press("down", "enter")
        await wait_screen(app, pilot, "FixDialog")
        diff = str(app.screen.query_one("#diff", Static).render())
        assert 'showErrorDetails = "type"' in diff and "enableXsrfProtection" not in diff
        await pilot.press("a")
        await wait_until(pilot, lambda: "showErrorDetails" in config.read_text())
        text = config.read_text()
        assert text.startswith("[server]\nheadless = true\n") and "enableXsrfProtection" not in text
        await wait_until(pilot, lambda: not app.running and app.record.results.get("3.2") is not None)


async def test_signing_below_ready_asks_for_and_records_an_override(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        await pilot.press("g")
        await settle(app, pilot)
        assert app.score.band != "ready"
        listing = app.screen.query_one("#signoff-list", OptionList)
        assert listing.highlighted_option.id == "role:Technical Lead"
        await pilot.press("enter")
        await wait_screen(app, pilot, "SignDialog")
        assert "below `ready`" in str(app.screen.query_one(".dialog-intro", Static).render())
        await pilot.press("enter", "enter")  # the name kept; no reason typed: refused in the dialog
        await settle(app, pilot)
        assert type(app.screen).__name__ == "SignDialog"
        assert "Override reason" in str(app.screen.query_one("#error-override", Static).render())
        assert app.target.store.load().signoffs == []
        await type_text(pilot, "hotfix window approved by CTO")
        await pilot.press("enter")  # on to the optional SSH key field (left empty) ...
        assert app.focused is app.screen.query_one("#field-ssh_key", Input)
        await pilot.press("enter")  # ... the last field: enter signs
        await wait_until(pilot, lambda: app.target.store.load().signoffs != [])
        await settle(app, pilot)
        entry = app.target.store.load().signoffs[0]
        assert entry["name"] == NAME and entry["override"] == "hotfix window approved by CTO"
        assert entry["digest"].startswith("sha256:")  # the real signing core, not the fallback
        text = str(app.screen.query_one("#signoff-list", OptionList).get_option_at_index(1).prompt)
        assert "VALID" in text and "override reason: hotfix window approved by CTO" in text

        inject_results(app, {"9.1": result("fail", "README lost its troubleshooting section")})
        await settle(app, pilot)
        text = str(app.screen.query_one("#signoff-list", OptionList).get_option_at_index(1).prompt)
        assert "STALE" in text and "9.1" in text  # the stale reason names the item that changed


async def test_deployment_steps_from_the_palette(good_project: Path) -> None:
    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await type_text(pilot, "Deployment steps")
        await settle(app, pilot)
        await pilot.press("enter")
        await wait_screen(app, pilot, "DeployScreen")
        await pilot.press("escape")
        await wait_screen(app, pilot, "StartScreen")


#: The keys each wizard screen's footer shows at 80 columns, in order of use (the rest: `?`).
FOOTERS = {
    "start": ["s", "g", "k", "right", "e", "slash", "question_mark", "q"],
    "section": ["c", "n", "w", "right", "e", "slash", "question_mark", "q"],
    "summary": ["enter", "g", "x", "right", "e", "slash", "question_mark", "q"],
    "signoff": ["enter", "x", "d", "e", "slash", "question_mark", "q"],
}


async def test_each_screens_keys_fit_the_footer_at_80_columns(good_project: Path) -> None:
    from textual.widgets._footer import FooterKey

    app = app_for(good_project)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        for mode, expected in FOOTERS.items():
            if mode == "section":
                await open_item(app, pilot, "8.6")  # pending: confirm offered, no decision, no fix
            else:
                app.switch_mode(mode)
            await settle(app, pilot)
            keys = list(app.screen.query(FooterKey))
            assert [k.key for k in keys] == expected, mode
            assert all(k.region.right <= 80 and k.region.width > len(k.description) for k in keys), mode
