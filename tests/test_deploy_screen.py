"""The deployment-steps screen in a small test App (the wizard wires it into the real app)."""

from __future__ import annotations

import json

from readiness_tui.screens.deploy import ConfirmStep, DeployScreen, OverrideReason
from textual.app import App
from textual.widgets import Input, OptionList

from readiness_tui.target import open_target


class DeployApp(App[None]):
    def __init__(self, target) -> None:  # noqa: ANN001
        super().__init__()
        self.target = target
        self.screen_under_test = DeployScreen(target)

    def on_mount(self) -> None:
        self.push_screen(self.screen_under_test)


async def settle(app: App, pilot) -> None:  # noqa: ANN001
    """Let running workers finish and their messages be handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def steps(project) -> list[dict]:  # noqa: ANN001
    return json.loads((project / ".readiness" / "run.json").read_text())["deploy_steps"]


async def test_backup_runs_after_confirmation_with_live_log(deploy_project):
    project = deploy_project('backup = ["./ok.sh"]')
    app = DeployApp(open_target(project))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen_under_test
        assert screen.query_one(OptionList).highlighted_option.id == "backup"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmStep)
        assert "./ok.sh" in "\n".join(app.screen.details)
        await pilot.press("n")
        await settle(app, pilot)
        assert not (project / ".backup").exists()
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert (project / ".backup" / "marker").exists()
        lines = "\n".join(screen.query_one("#log").raw)
        assert "backup: saved to" in lines and "backup ok" in lines
        assert screen.status()["last"]["status"] == "ok"
        assert "✓ ok" in str(screen.query_one(OptionList).get_option("backup").prompt)
    assert steps(project)[0]["status"] == "ok"


async def test_blocked_deploy_takes_an_override_and_failure_offers_rollback(deploy_project):
    project = deploy_project('deploy = ["./fail.sh"]\nrollback = ["./rollback.sh"]')
    app = DeployApp(open_target(project))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen_under_test
        screen.query_one(OptionList).highlighted = 2  # deploy
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, OverrideReason)
        assert any("no sign-offs" in p for p in app.screen.problems)
        app.screen.query_one(Input).value = "emergency fix, CAB call 14:00"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmStep)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmStep)
        assert "Roll back" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        lines = "\n".join(screen.query_one("#log").raw)
        assert "rollback: restored previous release" in lines
    recorded = steps(project)
    assert [s["step"] for s in recorded] == ["deploy", "rollback"]
    assert recorded[0]["status"] == "failed" and recorded[0]["override"]["reason"] == "emergency fix, CAB call 14:00"
    assert recorded[1]["status"] == "ok"


async def test_stop_kills_a_running_step(deploy_project):
    from fixtures.demo import kill_leftovers, pid_alive, wait_for

    project = deploy_project('backup = ["./hang.sh"]\ntimeout = 120')
    app = DeployApp(open_target(project))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen_under_test
            await pilot.press("r")
            await pilot.pause()
            await pilot.press("y")
            for _ in range(200):
                if (project / "child.pid").exists() and (project / "child.pid").read_text().strip():
                    break
                await pilot.pause(0.05)
            child = int((project / "child.pid").read_text())
            await pilot.press("s")
            await settle(app, pilot)
            assert screen.status()["last"]["status"] == "cancelled"
            wait_for(lambda: not pid_alive(child), 5, "the child to end")
    finally:
        kill_leftovers(project / "child.pid", project / "script.pid")
