"""The wizard and sign-offs: opening it again resumes a recent run (sign-offs stay valid), actions that would
make sign-offs stale say so first, and a sign-off can be SSH-signed from the wizard (key file or ssh-agent)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import need, run_cli
from fixtures.ssh import add_key, ssh_agent
from fixtures.ui import PROBE_GATE
from readiness_tui.screens.app import make_app
from test_wizard import app_for, open_item, settle, type_text, wait_until
from test_wizard_integration import wait_screen
from textual.widgets import Input, OptionList, Static

from readiness_tui import attestation, signoff
from readiness_tui.target import open_target, resume_plan

ROLE = "Technical Lead"


def _notes(app) -> list[str]:  # noqa: ANN001
    notes: list[str] = []
    original = app.notify

    def capture(message: str, **kwargs: object) -> None:
        notes.append(message)
        original(message, **kwargs)  # type: ignore[arg-type]

    app.notify = capture  # type: ignore[method-assign]
    return notes


async def _open(project: Path, checklist: Path) -> tuple[str, int, list[str]]:
    """Open the wizard with its checks on; return the run id, the revision and the notifications."""
    app = make_app(project, str(checklist), run_checks=True)
    notes = _notes(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await settle(app, pilot)
        await wait_until(pilot, lambda: not app.running)
        record = app.target.store.load()
    return record.run_id, record.revision, notes


async def test_reopening_the_wizard_resumes_a_recent_run_and_keeps_sign_offs_valid(
        good_project: Path, probe_checklist: Path) -> None:
    (good_project / "probe.txt").write_text("pass\n")
    PROBE_GATE.set()
    first, _, _ = await _open(good_project, probe_checklist)
    target = open_target(good_project, str(probe_checklist))
    signoff.sign(target, ROLE, "ada", override="2.1 waits for a person")
    revision = target.store.load().revision
    # A second reviewer opens the wizard to sign: the run is resumed, nothing is re-run, the sign-off holds.
    again, revision_after, notes = await _open(good_project, probe_checklist)
    assert again == first and revision_after == revision
    assert any("resumed the run of" in n and "resume_minutes = 60" in n for n in notes), notes
    assert [s["state"] for s in signoff.signoff_states(target, target.store.load())] == ["valid"]

    # resume_minutes = 0: every opening is a new run; unchanged verdicts still keep the sign-off valid.
    toml = good_project / "readiness.toml"
    toml.write_text(toml.read_text() + "\n[wizard]\nresume_minutes = 0\n")
    third, _, _ = await _open(good_project, probe_checklist)
    assert third != first
    assert [s["state"] for s in signoff.signoff_states(target, target.store.load())] == ["valid"]
    # A changed verdict in the new run: stale, and the wizard says which sign-off.
    (good_project / "probe.txt").write_text("fail\n")
    _, _, notes = await _open(good_project, probe_checklist)
    assert any("Technical Lead (ada) are now stale" in n for n in notes), notes
    state = signoff.signoff_states(target, target.store.load())[0]
    assert state["state"] == "stale" and "1.1" in state["reason"]


def test_resume_plan_rules(good_project: Path) -> None:
    target = open_target(good_project)
    record = target.store.load()
    automated = [i.id for i in target.checklist.items if i.checks]
    assert resume_plan(target, record).full, "nothing recorded: a new run"
    from readiness_tui.model import ItemResult, Status

    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    record.started_at = (now - timedelta(minutes=30)).isoformat()
    record.finished_at = (now - timedelta(minutes=29)).isoformat()
    record.checklist = {"digest": target.checklist.digest}
    record.results = {i: ItemResult(Status.PASS, "ok", finished_at=record.finished_at) for i in automated}
    plan = resume_plan(target, record, now)
    assert not plan.full and plan.item_ids == [] and "resumed the run of 29 min ago" in plan.note
    assert resume_plan(target, record, now + timedelta(minutes=40)).full, "older than resume_minutes"
    record.checklist = {"digest": "sha256:other"}
    assert "checklist changed" in resume_plan(target, record, now).note
    # An interrupted run resumes: only what it had not checked yet runs.
    record.checklist = {"digest": target.checklist.digest}
    record.finished_at = ""
    record.results["1.1"].finished_at = (now - timedelta(days=2)).isoformat()
    del record.results["1.2"]
    plan = resume_plan(target, record, now)
    assert not plan.full and plan.item_ids == ["1.1", "1.2"]
    (good_project / "readiness.toml").write_text('[wizard]\nresume_minutes = "soon"\n')
    with pytest.raises(Exception, match=r"\[wizard\] resume_minutes must be a number of minutes"):
        resume_plan(open_target(good_project), record, now)


async def test_decisions_say_before_they_make_sign_offs_stale(good_project: Path) -> None:
    from fixtures.ui import sample_results
    from readiness_tui.screens.app import inject_results

    app = app_for(good_project)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        signoff.sign(app.target, ROLE, "ada", override="demo")
        app.apply_record(app.target.store.load())
        await open_item(app, pilot, "5.3")
        await pilot.press("c")
        await wait_screen(app, pilot, "ConfirmDialog")
        intro = str(app.screen.query_one(".dialog-intro", Static).render())
        assert "the sign-offs of Technical Lead (ada) will be stale" in intro
        await pilot.press("enter", "enter")  # the name, then the optional note: submitted
        await settle(app, pilot)
        assert app.view("5.3").decision is not None
        # Now stale: undoing says nothing more (no valid sign-off left to warn about).
        await pilot.press("u")
        await settle(app, pilot)
        assert app.view("5.3").decision is None
        # Signed again, undo asks first; escape keeps the decision.
        await pilot.press("c")
        await wait_screen(app, pilot, "ConfirmDialog")
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        signoff.sign(app.target, ROLE, "ada", override="demo")
        app.apply_record(app.target.store.load())
        await pilot.press("u")
        await wait_screen(app, pilot, "AskDialog")
        assert "Technical Lead (ada) will be stale" in str(app.screen.query_one(".dialog-intro", Static).render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.view("5.3").decision is not None
        await pilot.press("u")
        await wait_screen(app, pilot, "AskDialog")
        await pilot.press("y")
        await settle(app, pilot)
        assert app.view("5.3").decision is None


def _keypair(directory: Path, name: str, passphrase: str = "") -> Path:
    key = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", str(key)], check=True,
                   stdin=subprocess.DEVNULL)
    return key


async def _sign_in_wizard(project: Path, key: str, passphrase: str | None = None) -> dict:
    from fixtures.ui import sample_results
    from readiness_tui.screens.app import inject_results

    app = app_for(project)
    app.user_name = "ada@example.com"
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        inject_results(app, sample_results())
        await pilot.press("g")
        await settle(app, pilot)
        await pilot.press("enter")
        await wait_screen(app, pilot, "SignDialog")
        await pilot.press("enter")  # the name (prefilled) is kept: on to the override reason
        await type_text(pilot, "release train")
        await pilot.press("tab")
        await settle(app, pilot)
        assert app.focused is app.screen.query_one("#field-ssh_key", Input)
        app.focused.value = key
        await pilot.press("enter")
        if passphrase is not None:
            await wait_screen(app, pilot, "PassphraseDialog")
            # Pushed is not yet composed on a loaded machine: wait for the field itself.
            await wait_until(pilot, lambda: bool(app.screen.query("#field-passphrase")))
            field = app.screen.query_one("#field-passphrase", Input)
            assert field.password, "the passphrase is masked"
            await type_text(pilot, passphrase)
            await pilot.press("enter")
        await wait_until(pilot, lambda: app.target.store.load().signoffs != [], deadline_s=30)
        await settle(app, pilot)
        text = str(app.screen.query_one("#signoff-list", OptionList).get_option_at_index(1).prompt)
        assert "VALID" in text and "SSH-signed" in text
        return app.target.store.load().signoffs[0]


@pytest.mark.parametrize("how", ["key file", "encrypted key file", "ssh-agent"])
async def test_signing_from_the_wizard_with_an_ssh_key(good_project: Path, tmp_path: Path, how: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    need(shutil.which("ssh-keygen") is not None and shutil.which("ssh-agent") is not None, "openssh-client")
    keys = tmp_path / "keys"
    keys.mkdir()
    passphrase = "correct horse battery" if how == "encrypted key file" else ""
    key = _keypair(keys, "ada", passphrase)
    with contextlib.ExitStack() as stack:
        if how == "ssh-agent":
            env = stack.enter_context(ssh_agent(tmp_path))
            for name, value in env.items():
                monkeypatch.setenv(name, value)  # the wizard signs in this process
            add_key(env, key)
            key.unlink()  # only the agent holds the private key now
        given = str(key.with_suffix(".pub")) if how == "ssh-agent" else str(key)
        entry = await _sign_in_wizard(good_project, given, passphrase or None)
    assert entry["name"] == "ada@example.com" and "BEGIN SSH SIGNATURE" in entry["signature"]["signature"]
    assert passphrase == "" or passphrase not in (good_project / ".readiness" / "run.json").read_text()
    # The same signature `readiness verify --allowed-signers` accepts.
    out = tmp_path / "r.json"
    assert run_cli("report", str(good_project), "--format", "json", "--output", str(out)).returncode == 0
    kind, blob = key.with_suffix(".pub").read_text().split()[:2]
    (tmp_path / "allowed").write_text(f"ada@example.com {kind} {blob}\n")
    proc = run_cli("verify", str(out), "--allowed-signers", str(tmp_path / "allowed"))
    assert "sign-off Technical Lead by ada@example.com at" in proc.stdout
    assert "SSH signature verified against the allowed signers" in proc.stdout, proc.stdout
    assert attestation.check_signature(entry, "signoff", tmp_path / "allowed")[0]
