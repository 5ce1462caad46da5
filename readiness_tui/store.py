"""The run record in `<project>/.readiness/`: atomic, locked, versioned, resumable.

`run.json` holds the latest results, sign-offs and deployment steps; people's decisions live in
`readiness.decisions.toml` in the project root (`decisionsfile`), meant to be committed, and the
store reads and writes both, so every caller sees one `RunRecord` with its `decisions`. Every
change is a read-modify-write under a file lock (`Store.update`), written to a temporary file,
fsynced and renamed over the old one, so a killed process leaves either the old or the new
record, and two processes never lose each other's changes. Each finished full run is also kept
in `history/`. Everything written passes through the redactor: no secret value reaches disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from readiness_tui import decisionsfile
from readiness_tui.decisionsfile import Decision
from readiness_tui.errors import UsageError
from readiness_tui.model import ItemResult
from readiness_tui.redact import Redactor

SCHEMA = 1
STATE_DIR = ".readiness"
RECORD = "run.json"
LOCK_TIMEOUT = 30.0
T = TypeVar("T")

__all__ = ["Decision", "RunRecord", "Store", "atomic_write"]

_GITIGNORE = "# readiness-tui run records: results and decisions, never secrets.\n*.lock\n*.tmp\n"


@dataclass
class RunRecord:
    """The state of a project's run."""

    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    project: str = ""
    checklist: dict[str, str] = field(default_factory=dict)
    started_at: str = ""
    updated_at: str = ""
    finished_at: str = ""
    revision: int = 0
    results: dict[str, ItemResult] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)
    signoffs: list[dict[str, Any]] = field(default_factory=list)
    deployment: dict[str, Any] = field(default_factory=dict)
    deploy_steps: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    """Top-level fields this version does not know, kept as they were."""

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.extra)
        data.update(
            schema=SCHEMA,
            run_id=self.run_id,
            project=self.project,
            checklist=self.checklist,
            started_at=self.started_at,
            updated_at=self.updated_at,
            finished_at=self.finished_at,
            revision=self.revision,
            results={k: v.to_dict() for k, v in self.results.items()},
            decisions={k: v.to_dict() for k, v in self.decisions.items()},
            signoffs=self.signoffs,
            deployment=self.deployment,
            deploy_steps=self.deploy_steps,
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        known = {"schema", "run_id", "project", "checklist", "started_at", "updated_at", "finished_at",
                 "revision", "results", "decisions", "signoffs", "deployment", "deploy_steps"}
        return cls(
            run_id=str(data.get("run_id") or uuid.uuid4().hex[:12]),
            project=str(data.get("project", "")),
            checklist=dict(data.get("checklist") or {}),
            started_at=str(data.get("started_at", "")),
            updated_at=str(data.get("updated_at", "")),
            finished_at=str(data.get("finished_at", "")),
            revision=int(data.get("revision") or 0),
            results={k: ItemResult.from_dict(v) for k, v in (data.get("results") or {}).items()},
            decisions={k: Decision.from_dict(v) for k, v in (data.get("decisions") or {}).items()},
            signoffs=list(data.get("signoffs") or []),
            deployment=dict(data.get("deployment") or {}),
            deploy_steps=list(data.get("deploy_steps") or []),
            extra={k: v for k, v in data.items() if k not in known},
        )


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a file atomically: temp file in the same directory, fsync, rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class Store:
    """Reads and writes a project's run record."""

    def __init__(self, project_dir: Path, redactor: Redactor | None = None) -> None:
        self.project_dir = Path(project_dir)
        self.dir = self.project_dir / STATE_DIR
        self.path = self.dir / RECORD
        self.history_dir = self.dir / "history"
        self.redactor = redactor or Redactor()
        self.decisions_path = self.project_dir / decisionsfile.FILE
        self.notices: list[str] = []
        """Things the user must be told (a corrupt record kept aside, decisions moved)."""
        self._decisions_read: dict[str, Decision] = {}

    def _lock(self) -> Any:
        from filelock import FileLock

        self.dir.mkdir(parents=True, exist_ok=True)
        ignore = self.dir / ".gitignore"
        if not ignore.exists():
            with contextlib.suppress(OSError):
                ignore.write_text(_GITIGNORE)
        return FileLock(str(self.dir / "run.lock"), timeout=LOCK_TIMEOUT)

    def _read(self) -> RunRecord:
        """The record with the decisions of the decisions file (moving any still in run.json there)."""
        record = self._read_record()
        decisions = decisionsfile.read(self.decisions_path)
        if record.decisions:
            decisions = self._migrate(record, decisions)
        record.decisions = decisions
        self._decisions_read = {k: replace(v) for k, v in decisions.items()}  # copies: a change may edit in place
        return record

    def _migrate(self, record: RunRecord, decisions: dict[str, Decision]) -> dict[str, Decision]:
        """Move the decisions an older version kept in run.json to the decisions file, once."""
        record_decisions = dict(record.decisions)
        legacy = {k: v for k, v in record_decisions.items() if k not in decisions}
        merged = {**decisions, **legacy}
        try:
            if legacy:
                decisionsfile.write(self.decisions_path, self.dir / "decisions.lock",
                                    {k: self._redacted(v) for k, v in legacy.items()})
            record.decisions = {}
            self._write_record(record)
        except (OSError, UsageError) as exc:
            self.notices.append(f"could not move the decisions of {self.path} to {self.decisions_path.name} ({exc}); "
                                "using them from run.json this time")
            return merged
        if legacy:
            self.notices.append(
                f"moved {len(legacy)} decision(s) from {STATE_DIR}/{RECORD} to {self.decisions_path.name}; "
                "commit it so every checkout and CI apply them")
        differing = sorted(k for k, v in record_decisions.items() if k in decisions and decisions[k] != v)
        if differing:
            self.notices.append(f"{STATE_DIR}/{RECORD} had other decisions on {', '.join(differing)}; "
                                f"kept those of {self.decisions_path.name}")
        return merged

    def _redacted(self, decision: Decision) -> Decision:
        return Decision.from_dict(self.redactor.data(decision.to_dict()))

    def _read_record(self) -> RunRecord:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return RunRecord(project=str(self.project_dir))
        except OSError as exc:
            raise UsageError(f"{self.path}: cannot read the run record ({exc.strerror})") from None
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            schema = data.get("schema")
            if isinstance(schema, int) and schema > SCHEMA:
                raise UsageError(
                    f"{self.path}: written by a newer readiness-tui (schema {schema}, this one reads {SCHEMA}); upgrade"
                )
            if schema != SCHEMA:
                raise ValueError(f"unknown schema {schema!r}")
            return RunRecord.from_dict(data)
        except UsageError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            aside = self.path.with_name(f"{RECORD}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
            os.replace(self.path, aside)
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.notices.append(
                f"{self.path} was unreadable ({reason}); kept aside as {aside.name}, starting a new run record"
            )
            return RunRecord(project=str(self.project_dir))

    def _write(self, record: RunRecord) -> None:
        from readiness_tui.model import now_iso

        record.revision += 1
        record.updated_at = now_iso()
        changes: dict[str, Decision | None] = {
            k: (self._redacted(record.decisions[k]) if k in record.decisions else None)
            for k in set(record.decisions) | set(self._decisions_read)
            if record.decisions.get(k) != self._decisions_read.get(k)
        }
        if changes:
            decisionsfile.write(self.decisions_path, self.dir / "decisions.lock", changes)
            self._decisions_read = {k: replace(v) for k, v in record.decisions.items()}
        self._write_record(record)

    def _write_record(self, record: RunRecord) -> None:
        data = self.redactor.data(record.to_dict())
        data.pop("decisions", None)  # they live in the decisions file
        atomic_write(self.path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    def load(self) -> RunRecord:
        """The current record (a new empty one when there is none)."""
        with self._lock():
            return self._read()

    def exists(self) -> bool:
        """True when the project has a run record."""
        return self.path.is_file()

    def update(self, change: Callable[[RunRecord], T]) -> tuple[T, RunRecord]:
        """Apply `change` to the freshest record under the lock and save it atomically."""
        with self._lock():
            record = self._read()
            value = change(record)
            self._write(record)
            return value, record

    def archive_current(self, record: RunRecord) -> Path | None:
        """Keep a finished run in `history/` (called before a new full run replaces its results)."""
        if not record.finished_at or not record.results:
            return None
        stamp = record.finished_at.replace(":", "").replace("-", "").replace("+0000", "Z")
        target = self.history_dir / f"{stamp}-{record.run_id}.json"
        if target.exists():
            return target
        data = self.redactor.data(record.to_dict())
        atomic_write(target, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return target

    def history(self) -> list[Path]:
        """Archived runs, oldest first."""
        if not self.history_dir.is_dir():
            return []
        return sorted(self.history_dir.glob("*.json"))
