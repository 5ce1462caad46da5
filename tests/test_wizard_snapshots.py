"""SVG snapshots of the section and summary screens at 100×30 (animations off, fixed data and times).

Regenerate after an intended change with `pytest tests/test_wizard_snapshots.py --snapshot-update`
and look at the SVGs in tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.projects import make_good_project
from fixtures.ui import sample_results
from readiness_tui.screens import section
from readiness_tui.screens.app import ReadinessApp, inject_results, make_app

from readiness_tui.store import Decision

SIZE = (100, 30)
DESCRIPTIONS = {"env.supabase_key": "SUPABASE_KEY is the public anon key, not service_role (JWT role claim)"}


@pytest.fixture
def snapshot_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ReadinessApp:
    """The wizard on a fixture project with fixed results and decisions (nothing depends on now)."""
    # The check descriptions come from other modules of the project: fixed here so the picture is stable.
    monkeypatch.setattr(section, "check_descriptions", lambda: DESCRIPTIONS)
    project = make_good_project(tmp_path / "repo")
    app = make_app(project, run_checks=False)
    app.animation_level = "none"
    # Toasts depend on the machine (e.g. whether an OS keyring is there): not part of the picture.
    monkeypatch.setattr(app, "notify", lambda *args, **kwargs: None)

    def decide(record) -> None:
        record.decisions["1.5"] = Decision("not_applicable", "Ada Lovelace", "2026-01-15T09:31:00+00:00",
                                           "ada@deploy-host", reason="no real-time updates in this deployment")
        record.decisions["8.6"] = Decision("confirmed", "Grace Hopper", "2026-01-15T09:40:00+00:00",
                                           "grace@deploy-host", note="pen test report PT-2026-01")
        record.decisions["2.3"] = Decision("waived", "Ada Lovelace", "2026-01-15T09:45:00+00:00",
                                           "ada@deploy-host", reason="backend deployed separately",
                                           approver="Grace Hopper", expires="2099-12-31")

    app.target.store.update(decide)
    return app


async def _prepare(app: ReadinessApp, pilot, *keys: str) -> None:
    inject_results(app, sample_results())
    await pilot.pause()
    await app.workers.wait_for_complete()  # the project is read after the first paint
    await pilot.pause()
    assert app.ready
    await pilot.press(*keys)
    await pilot.pause()
    await app.workers.wait_for_complete()
    app.redraw_now()
    await pilot.pause()


def test_section_screen(snap_compare, snapshot_app: ReadinessApp) -> None:
    async def run_before(pilot) -> None:
        await _prepare(snapshot_app, pilot, "1", "down", "down", "down")  # section 1, item 1.4 (failing)

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)


def test_summary_screen(snap_compare, snapshot_app: ReadinessApp) -> None:
    async def run_before(pilot) -> None:
        await _prepare(snapshot_app, pilot, "s")

    assert snap_compare(snapshot_app, terminal_size=SIZE, run_before=run_before)
