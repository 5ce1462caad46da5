"""Opening a target (checklist + settings + run record) and recording a run's results in it.

The CLI, the wizard and the deployment steps all go through here, so they see one record.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from readiness_tui.checkapi import RunOptions
from readiness_tui.checklist import Checklist, Item, load_checklist
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
    save_results(target, results, finished=full)
    return results, time.monotonic() - started
