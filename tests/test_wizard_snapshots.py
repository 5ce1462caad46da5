"""SVG snapshots of every screen at 80×24 and 120×40 (animations off, fixed data and times).

Regenerate after an intended change with `pytest tests/test_wizard_snapshots.py --snapshot-update`
and look at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.projects import make_good_project
from fixtures.ui import sample_results
from readiness_tui.screens import section, start
from readiness_tui.screens.app import ReadinessApp, inject_results, make_app
from textual.widgets import Input

from readiness_tui import credentials, projectmap
from readiness_tui.settings import SECRET_NAMES
from readiness_tui.store import Decision

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
DESCRIPTIONS = {"env.supabase_key": "SUPABASE_KEY is the public anon key, not service_role (JWT role claim)"}
#: What the start screen shows for the temporary directory the project is in.
SHOWN_DIR = "/home/ada"
#: Keys from the start screen to each screen; the section screen shows item 1.4 (a critical failure).
SCREENS = {
    "start": [],
    "section": ["1", "down", "down", "down"],
    "summary": ["s"],
    "signoff": ["g"],
    "credentials": ["k"],
    "deploy": ["d"],
    "help": ["1", "question_mark"],
    "filter": ["slash", *"is:failing"],
    "confirm": ["8", "down", "down", "down", "down", "down", "c"],
    "sign": ["g", "enter"],
}


def snapshot_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReadinessApp:
    """The wizard on a fixture project with fixed results and decisions (nothing depends on now)."""
    # What depends on the machine is fixed: no keyring, a Docker host, no credentials in the environment.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    # What an earlier test of this process learnt about the keyring is forgotten (the start screen
    # says nothing of it before a lookup, the credentials screen names the fail backend).
    monkeypatch.setattr(credentials, "_unavailable", None)
    for name in SECRET_NAMES:
        monkeypatch.delenv(name, raising=False)
    # The check descriptions come from other modules of the project: fixed here so the picture is stable.
    monkeypatch.setattr(section, "check_descriptions", lambda: DESCRIPTIONS)
    project = make_good_project(tmp_path / "repo")
    real = start.target_markup
    monkeypatch.setattr(start, "target_markup",
                        lambda settings, note, map_lines=None: real(settings, note, map_lines).replace(
                            str(tmp_path), SHOWN_DIR))
    monkeypatch.setattr(ReadinessApp, "_describe_record",
                        lambda self, record, existed: "continued from 2026-01-15 09:45 · 3 decisions · 0 sign-offs")
    app = make_app(project, run_checks=False)
    app.animation_level = "none"
    app.key_hold_s = 0
    app.user_name = "Ada Lovelace"
    # Toasts depend on timing: not part of the picture.
    monkeypatch.setattr(app, "notify", lambda *args, **kwargs: None)

    def decide(record) -> None:
        record.run_id = "0123456789ab"
        record.decisions["1.5"] = Decision("not_applicable", "Ada Lovelace", "2026-01-15T09:31:00+00:00",
                                           "ada@deploy-host", reason="no real-time updates in this deployment")
        record.decisions["8.6"] = Decision("confirmed", "Grace Hopper", "2026-01-15T09:40:00+00:00",
                                           "grace@deploy-host", note="pen test report PT-2026-01")
        record.decisions["2.3"] = Decision("waived", "Ada Lovelace", "2026-01-15T09:45:00+00:00",
                                           "ada@deploy-host", reason="backend deployed separately",
                                           approver="Grace Hopper", expires="2099-12-31")

    app.target.store.update(decide)
    # The start screen shows the project map once checks have built it: built here from the project
    # alone (not this machine's environment or home folder).
    settings = app.target.settings
    app.target.project_map = projectmap.build(Path(settings.repo_root or settings.project_dir), env=settings.env,
                                              environ={}, home=tmp_path / "home")
    return app


async def _prepare(app: ReadinessApp, pilot, *keys: str) -> None:
    inject_results(app, sample_results())
    await pilot.pause()
    await app.workers.wait_for_complete()  # the project is read after the first paint
    await pilot.pause()
    assert app.ready
    for key in keys:
        await pilot.press(key)
        await pilot.pause()
    await app.workers.wait_for_complete()
    # A focused field's cursor blinks on a timer: held steady (shown) so the picture does not
    # depend on when it is taken.
    for field in app.screen.query(Input):
        field.cursor_blink = False
    app.redraw_now()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_screen(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, screen: str, size: str) -> None:
    app = snapshot_app(tmp_path, monkeypatch)

    async def run_before(pilot) -> None:
        await _prepare(app, pilot, *SCREENS[screen])

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("screen", ["section", "waive"])
def test_without_colour(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, screen: str) -> None:
    """NO_COLOR: failing glyphs are reversed blocks (also on the reversed selected row); the focused
    field of a dialog has a bar and bold text."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = snapshot_app(tmp_path, monkeypatch)
    assert app.no_color
    keys = SCREENS["section"] + (["w", "tab"] if screen == "waive" else [])

    async def run_before(pilot) -> None:
        await _prepare(app, pilot, *keys)
        if screen == "waive":  # the expiry date depends on today: shown as a fixed one
            app.screen.query_one("#field-expires").value = "2026-02-14"
            await pilot.pause()

    assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=run_before)
