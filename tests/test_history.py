"""Headless decisions, run history and the diff between runs."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import run_cli

from readiness_tui import history, signoff
from readiness_tui.model import ItemResult, Status
from readiness_tui.target import begin_run, open_target, save_results

pytestmark = pytest.mark.fast


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def full_run(project: Path, statuses: dict[str, Status], finished_at: str) -> None:
    """A finished full run: every item passes except those in `statuses`."""
    target = open_target(project)
    begin_run(target, full=True)
    results = {i.id: ItemResult(statuses.get(i.id, Status.PASS), f"{i.id} {statuses.get(i.id, Status.PASS).value}")
               for i in target.checklist.items}

    def put(record):  # a fixed finish time keeps the archive names distinct
        record.results.update(results)
        record.finished_at = finished_at

    target.store.update(put)


def test_decision_commands_record_who_and_reject_bad_input(tmp_path: Path):
    project = tmp_path / "p"
    project.mkdir()
    save_results(open_target(project), {"2.5": ItemResult(Status.FAIL, "Redis refused")}, finished=False)
    proc = run_cli("confirm", "5.3", str(project), "--by", "bob", "--note", "Sentry alerts seen")
    assert proc.returncode == 0 and "confirmed 5.3 by bob" in proc.stdout
    proc = run_cli("confirm", "2.5", str(project), "--by", "bob")
    assert proc.returncode == 2 and "waive it with an approver" in proc.stderr
    proc = run_cli("na", "1.5", str(project), "--reason", "no Pusher in this deployment")
    assert proc.returncode == 0, proc.stderr
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    proc = run_cli("waive", "2.5", str(project), "--reason", "cache optional", "--approver", "bob", "--by", "bob",
                   "--expires", tomorrow)
    assert proc.returncode == 2 and "approver must be someone other" in proc.stderr
    proc = run_cli("waive", "2.5", str(project), "--reason", "r", "--approver", "carol", "--expires", "31/12/2030")
    assert proc.returncode == 2 and "YYYY-MM-DD" in proc.stderr
    proc = run_cli("waive", "2.5", str(project), "--reason", "cache optional", "--approver", "carol", "--by", "bob",
                   "--expires", tomorrow)
    assert proc.returncode == 0 and f"waived 2.5 until {tomorrow}" in proc.stdout
    proc = run_cli("confirm", "99.9", str(project))
    assert proc.returncode == 2 and "no item '99.9'" in proc.stderr
    record = open_target(project).store.load()
    d = record.decisions
    assert d["5.3"].by == "bob" and d["5.3"].note == "Sentry alerts seen" and "@" in d["5.3"].user_host
    assert d["1.5"].type == "not_applicable" and d["1.5"].by  # --by defaults to the login name
    assert (d["2.5"].type, d["2.5"].approver, d["2.5"].expires) == ("waived", "carol", tomorrow)


def test_history_lists_runs_and_diff_shows_what_changed(tmp_path: Path):
    project = tmp_path / "p"
    project.mkdir()
    full_run(project, {"2.5": Status.FAIL, "3.7": Status.FAIL, "9.1": Status.PENDING}, "2026-11-20T10:00:00+00:00")
    target = open_target(project)
    signoff.sign(target, "Technical Lead", "ada")
    full_run(project, {"4.2": Status.FAIL, "3.7": Status.FAIL, "6.1": Status.ERROR}, "2026-11-25T10:00:00+00:00")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert run_cli("waive", "3.7", str(project), "--reason", "proxy limits", "--approver", "carol",
                   "--expires", tomorrow).returncode == 0

    runs = history.runs(target)
    assert [r.current for r in runs] == [False, True]
    proc = run_cli("history", str(project))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1].split()[:2] == ["1", "2026-11-20T10:00:00+00:00"]
    assert "96.0%" in lines[1] and "ready" in lines[1] and "Technical Lead (ada, valid)" in lines[1]
    assert "97.3%" in lines[2] and "[current]" in lines[2] and "Technical Lead (ada, stale)" in lines[2]

    proc = run_cli("diff", "--dir", str(project))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "score: 96.0% → 97.3% (+1.3); band ready (unchanged)" in out
    failing = out.split("Newly failing (2):")[1].split("Newly passing")[0]
    assert "4.2 " in failing and "6.1 " in failing and "pass → fail" in failing and "2.5" not in failing
    passing = out.split("Newly passing (2):")[1].split("Newly waived")[0]
    assert "2.5 " in passing and "9.1 " in passing
    assert "Newly waived (1):" in out and "3.7 " in out.split("Newly waived")[1]

    # Explicit references: numbers, run ids, reversed order.
    rid = runs[0].record.run_id
    proc = run_cli("diff", "2", rid[:6], "--dir", str(project))
    assert proc.returncode == 0 and "Newly failing (2):" in proc.stdout and "3.7 " in proc.stdout
    assert "waived → fail" in proc.stdout and "9.1" not in proc.stdout.split("Newly passing")[1]
    proc = run_cli("diff", "7", "--dir", str(project))
    assert proc.returncode == 2 and "no run '7'" in proc.stderr


def test_diff_without_history_is_a_clear_error(tmp_path: Path):
    project = tmp_path / "p"
    project.mkdir()
    proc = run_cli("diff", "--dir", str(project))
    assert proc.returncode == 2 and "history is empty" in proc.stderr
    assert run_cli("history", str(project)).stdout.startswith("no runs recorded")
