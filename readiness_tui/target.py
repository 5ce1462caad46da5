"""Opening a target (checklist + settings + run record) and recording a run's results in it.

The CLI, the wizard and the deployment steps all go through here, so they see one record.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from readiness_tui.checkapi import RunOptions
from readiness_tui.checklist import Checklist, Item, load_checklist
from readiness_tui.errors import UsageError
from readiness_tui.model import ItemResult, now_iso
from readiness_tui.redact import Redactor
from readiness_tui.runner import EventFn, Runner
from readiness_tui.settings import Settings, load_settings
from readiness_tui.store import RunRecord, Store


@dataclass
class Target:
    """A project under check: its checklist, settings, redactor and run record."""

    checklist: Checklist
    settings: Settings
    store: Store
    redactor: Redactor
    project_map: Any = None
    """The project map of the last run through `run_items` (a `ProjectMap`), None before one."""

    @property
    def project(self) -> str:
        return str(self.settings.project_dir)


def open_target(project_dir: str | Path, checklist_path: str | Path | None = None) -> Target:
    """Load the checklist, the settings and the store of a project (UsageError on bad input).

    Secrets (settings.SECRET_NAMES) not in the environment are looked up in the OS keyring;
    `settings.keyring_note` says in one short line when a lookup found no usable keyring.
    """
    from readiness_tui.credentials import Keyring, service_for, short_note

    checklist = load_checklist(checklist_path)
    keyring = Keyring(service_for(project_dir)) if Path(project_dir).expanduser().is_dir() else None
    settings = load_settings(project_dir, keyring_lookup=keyring.get if keyring else None)
    if keyring is not None:
        settings.keyring_note = short_note()
    redactor = settings.redactor()
    store = Store(settings.project_dir, redactor)
    return Target(checklist, settings, store, redactor)


def begin_run(target: Target, full: bool) -> RunRecord:
    """Prepare the record for a run: a full run archives the previous finished run to history."""

    def start(record: RunRecord) -> None:
        if full:
            target.store.archive_current(record)
            import uuid

            record.run_id = uuid.uuid4().hex[:12]
            record.started_at = now_iso()
            record.finished_at = ""
        record.project = target.project
        record.checklist = {
            "name": target.checklist.name,
            "version": target.checklist.version,
            "source": target.checklist.source,
            "digest": target.checklist.digest,
        }
        if not record.started_at:
            record.started_at = now_iso()

    _, record = target.store.update(start)
    return record


def save_result(target: Target, item_id: str, result: ItemResult) -> RunRecord:
    """Write one item's result into the record at once (the wizard does this as results stream in)."""

    def put(record: RunRecord) -> None:
        record.results[item_id] = result

    return target.store.update(put)[1]


def save_results(target: Target, results: dict[str, ItemResult], finished: bool) -> RunRecord:
    """Write several results at once; `finished` marks a complete full run."""

    def put(record: RunRecord) -> None:
        record.results.update(results)
        if finished:
            record.finished_at = now_iso()

    return target.store.update(put)[1]


async def run_items(target: Target, items: Iterable[Item], options: RunOptions | None = None,
                    on_event: EventFn | None = None, full: bool = False) -> tuple[dict[str, ItemResult], float]:
    """Run items, record their results, and return them with the wall time in seconds."""
    items = list(items)
    record = begin_run(target, full)
    started = time.monotonic()
    runner = Runner(target.checklist, target.settings, options, on_event, deploy_steps=record.deploy_steps)
    results = await runner.run(items)
    target.project_map = runner.shared.get("project_map")
    save_results(target, results, finished=full)
    return results, time.monotonic() - started


#: How recent the latest run must be for the wizard to resume it instead of starting a new one.
DEFAULT_RESUME_MINUTES = 60.0


def resume_minutes(settings: Settings) -> float:
    """`[wizard] resume_minutes` of readiness.toml (default 60; 0 = always start a new run)."""
    raw = settings.table("wizard").get("resume_minutes", DEFAULT_RESUME_MINUTES)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
        where = settings.config_file or "readiness.toml"
        raise UsageError(f"{where}: [wizard] resume_minutes must be a number of minutes, 0 or more, not {raw!r}")
    return float(raw)


@dataclass
class ResumePlan:
    """What the wizard runs when it opens: everything (a new run), only what is missing, or nothing."""

    full: bool
    item_ids: list[str]
    note: str


def _age_minutes(stamp: str, now: datetime) -> float | None:
    try:
        then = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return (now - then).total_seconds() / 60


def _older_than_run(record: RunRecord, item_id: str, now: datetime) -> bool:
    """True when an interrupted run (no finished_at) shows this item's result of the run before it."""
    if record.finished_at:
        return False
    run_age = _age_minutes(record.started_at, now)
    item_age = _age_minutes(record.results[item_id].finished_at, now)
    return run_age is None or item_age is None or item_age > run_age


def resume_plan(target: Target, record: RunRecord, now: datetime | None = None) -> ResumePlan:
    """Resume the latest run when it is recent, so that opening the wizard changes no result.

    A run that finished (or, interrupted, started) less than `resume_minutes` ago with the same
    checklist is resumed: only the automated items without a result run. Otherwise every
    automated item runs: a new run. Opening a second wizard to sign then leaves sign-offs valid.
    """
    automated = [i.id for i in target.checklist.items if i.checks]
    now = now or datetime.now(UTC)
    minutes = resume_minutes(target.settings)
    if minutes == 0 or not record.results:
        return ResumePlan(True, automated, "")
    if record.checklist.get("digest") != target.checklist.digest:
        return ResumePlan(True, automated, "the checklist changed since the last run: checking everything again")
    age = _age_minutes(record.finished_at or record.started_at, now)
    if age is None or age < 0 or age > minutes:
        return ResumePlan(True, automated, "")
    missing = [i for i in automated if i not in record.results or _older_than_run(record, i, now)]
    when = "less than a minute" if age < 1 else f"{age:.0f} min"
    more = f"; checking the {len(missing)} item(s) it has no result for" if missing else ""
    return ResumePlan(False, missing, f"resumed the run of {when} ago (resume_minutes = {minutes:g}){more}; "
                                      f"the command palette's \"Re-run every check\" starts a new run")
