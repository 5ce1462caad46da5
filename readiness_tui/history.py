"""Every finished run, and what changed between two runs.

A full run archives the previous finished run to `.readiness/history/` before it starts
(`target.begin_run`); the current run stays in `run.json`. Runs are numbered oldest first, the
current one last.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness_tui.errors import UsageError
from readiness_tui.model import Status
from readiness_tui.scoring import ItemView, Score, build_views, compute_score
from readiness_tui.store import RunRecord, read_record_file
from readiness_tui.target import Target

FAILING = {Status.FAIL, Status.ERROR}


@dataclass
class Run:
    """One run: archived (with its file) or the current one."""

    number: int
    record: RunRecord
    path: Path | None
    current: bool

    @property
    def date(self) -> str:
        return self.record.finished_at or self.record.updated_at or self.record.started_at

    @property
    def label(self) -> str:
        return f"#{self.number} {'current ' if self.current else ''}{self.record.run_id}"


def runs(target: Target) -> list[Run]:
    """Archived runs oldest first, then the current run (when there is one).

    An archived file that cannot be read is skipped with a notice (one damaged file never hides the others).
    """
    found = [Run(n, record, p, False) for n, (p, record) in enumerate(target.store.archived(), start=1)]
    if target.store.exists():
        found.append(Run(len(found) + 1, target.store.load(), target.store.path, True))
    return found


def resolve(target: Target, ref: str, all_runs: list[Run] | None = None) -> Run:
    """A run by number (`3`), `current`, `previous`, a run id (prefix) or a record file path."""
    all_runs = runs(target) if all_runs is None else all_runs
    ref = ref.strip()
    if ref == "current":
        match = [r for r in all_runs if r.current]
    elif ref == "previous":
        match = [r for r in all_runs if not r.current][-1:]
    elif ref.isdigit() and (len(ref) < 4 or any(r.number == int(ref) for r in all_runs)):
        match = [r for r in all_runs if r.number == int(ref)]
    elif Path(ref).is_file():
        return Run(0, read_record_file(Path(ref)), Path(ref), False)
    else:  # a run id prefix (hex ids can be all digits: "881116" is an id when there is no run 881116)
        match = [r for r in all_runs if r.record.run_id.startswith(ref)]
        if len(match) > 1:
            raise UsageError(f"run id {ref!r} is ambiguous: {', '.join(r.record.run_id for r in match)}")
    if not match:
        known = ", ".join(str(r.number) for r in all_runs) or "none"
        raise UsageError(f"no run {ref!r} (runs: {known}; or `current`, `previous`, a run id, a file)")
    return match[0]


def score_of(target: Target, record: RunRecord) -> tuple[list[ItemView], Score]:
    """Views and score of a record under the target's checklist."""
    views = build_views(target.checklist, record)
    return views, compute_score(target.checklist, views)


def summary(target: Target, run: Run) -> dict[str, Any]:
    """Date, score, band and sign-offs (with states) of a run."""
    from readiness_tui.signoff import signoff_states

    _, score = score_of(target, run.record)
    return {
        "number": run.number, "run_id": run.record.run_id, "date": run.date, "current": run.current,
        "finished": bool(run.record.finished_at), "percent": score.percent, "band": score.band,
        "signoffs": signoff_states(target, run.record) if run.record.signoffs else [],
    }


def diff(target: Target, a: Run, b: Run) -> dict[str, Any]:
    """Newly failing, newly passing and newly waived items from run `a` to run `b`, and the score change."""
    views_a, score_a = score_of(target, a.record)
    views_b, score_b = score_of(target, b.record)
    before = {v.item.id: v for v in views_a}
    failing, passing, waived = [], [], []
    for v in views_b:
        old = before.get(v.item.id)
        if old is None:
            continue
        if v.status in FAILING and old.status not in FAILING:
            failing.append((old, v))
        elif v.completed and v.status != Status.WAIVED and not old.completed:
            passing.append((old, v))
        elif v.status == Status.WAIVED and old.status != Status.WAIVED:
            waived.append((old, v))
    return {"a": a, "b": b, "score_a": score_a, "score_b": score_b,
            "newly_failing": failing, "newly_passing": passing, "newly_waived": waived}
