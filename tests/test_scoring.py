"""Score and band exactly as docs/reports.md defines them, with people's decisions."""

from __future__ import annotations

from datetime import date

import pytest

from readiness_tui import decisions
from readiness_tui.checklist import load_checklist
from readiness_tui.errors import UsageError
from readiness_tui.model import ItemResult, Status
from readiness_tui.scoring import build_views, compute_score
from readiness_tui.store import RunRecord
from readiness_tui.target import open_target

pytestmark = pytest.mark.fast


def _record(statuses: dict[str, Status]) -> RunRecord:
    record = RunRecord()
    record.results = {k: ItemResult(v, v.value) for k, v in statuses.items()}
    return record


@pytest.mark.parametrize(
    ("completed", "na", "percent", "band"),
    [(75, 0, 100.0, "ready"), (68, 0, 90.7, "ready"), (67, 0, 89.3, "nearly"), (60, 0, 80.0, "nearly"),
     (59, 0, 78.7, "not-ready"), (52, 0, 69.3, "do-not-deploy"), (63, 5, 90.0, "ready"), (0, 75, 0.0, "do-not-deploy")],
)
def test_score_and_band(completed, na, percent, band):
    checklist = load_checklist()
    ids = [i.id for i in checklist.items]
    statuses = {}
    for n, item_id in enumerate(ids):
        if n < completed:
            statuses[item_id] = [Status.PASS, Status.WARN][n % 2]
        elif n < completed + na:
            statuses[item_id] = Status.NOT_APPLICABLE
        else:
            statuses[item_id] = [Status.FAIL, Status.ERROR, Status.PENDING][n % 3]
    score = compute_score(checklist, build_views(checklist, _record(statuses)))
    assert (score.percent, score.band) == (percent, band)
    assert score.applicable == 75 - na and score.completed == completed


def test_decisions_count_and_expired_waiver_does_not(tmp_path):
    target = open_target(tmp_path)
    checklist = target.checklist
    decisions.confirm(target, "8.6", "Ana", "pen test by ACME, report 2026-11")
    decisions.mark_not_applicable(target, "1.5", "Ana", "no real-time features")
    decisions.waive(target, "6.3", "Ana", "registry migration", "Bob", "2099-01-01")
    decisions.waive(target, "6.4", "Ana", "later", "Bob", "2026-12-01", today=date(2026, 11, 1))
    record = target.store.load()
    views = {v.item.id: v for v in build_views(checklist, record, today=date(2026, 12, 2))}
    assert views["8.6"].status == Status.CONFIRMED and views["8.6"].completed
    assert views["1.5"].status == Status.NOT_APPLICABLE
    assert views["6.3"].completed and not views["6.4"].completed and views["6.4"].waiver_expired
    score = compute_score(checklist, list(views.values()))
    assert score.completed == 2 and score.applicable == 74
    d = record.decisions["8.6"]
    assert d.by == "Ana" and "@" in d.user_host and d.at


def test_decision_rules(tmp_path):
    target = open_target(tmp_path)
    with pytest.raises(UsageError, match="someone other"):
        decisions.waive(target, "6.3", "Ana", "x", "ana", "2099-01-01")
    with pytest.raises(UsageError, match="in the past"):
        decisions.waive(target, "6.3", "Ana", "x", "Bob", "2000-01-01")
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        decisions.waive(target, "6.3", "Ana", "x", "Bob", "next week")
    with pytest.raises(UsageError, match="reason"):
        decisions.mark_not_applicable(target, "1.5", "Ana", "  ")
    target.store.update(lambda r: r.results.update({"1.2": ItemResult(Status.FAIL, "http URL")}))
    with pytest.raises(UsageError, match="waive it"):
        decisions.confirm(target, "1.2", "Ana")
    decisions.confirm(target, "5.2", "Ana")  # assisted: a person may confirm
    assert target.store.load().decisions["5.2"].type == "confirmed"
