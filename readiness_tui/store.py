"""The run record in `<project>/.readiness/`: atomic, locked, versioned, resumable.

`run.json` holds the latest results, sign-offs and deployment steps; people's decisions live in
`readiness.decisions.toml` in the project root (`decisionsfile`), meant to be committed, and the
store reads and writes both, so every caller sees one `RunRecord` with its `decisions`. Every
change is a read-modify-write under a file lock (`Store.update`), written to a temporary file,
fsynced and renamed over the old one, so a killed process leaves either the old or the new
record, and two processes never lose each other's changes. Each finished full run is also kept
in `history/`. Everything written passes through the redactor: no secret value reaches disk.
`.readiness/` is the owner's alone (files 0600, directories 0700) and ignores itself in git (`*`).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from readiness_tui import decisionsfile, fileio
from readiness_tui.decisionsfile import Decision
from readiness_tui.errors import UsageError
from readiness_tui.model import ItemResult, Status
from readiness_tui.neutral import one_line
from readiness_tui.redact import Redactor

SCHEMA = 1
STATE_DIR = ".readiness"
RECORD = "run.json"
LOCK_TIMEOUT = 30.0
T = TypeVar("T")

__all__ = ["Decision", "RunRecord", "Store", "StoreError", "atomic_write", "private_dirs", "read_record_file",
           "record_problem"]

_GITIGNORE = ("# readiness-tui's run state (results, history, backups): this machine's, never committed.\n"
              "*\n")
#: Modes of what the tool writes under `.readiness/`: only the owner reads it.
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700


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


_TEXT_FIELDS = ("run_id", "project", "started_at", "updated_at", "finished_at")
_STATUSES = {s.value for s in Status}
_DECISION_TYPES = {"confirmed", "not_applicable", "waived"}


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _result_problem(where: str, data: Any, nested: bool = True) -> str | None:
    """What is wrong with one stored result (an item's or one check's), or None."""
    if not isinstance(data, dict):
        return f"{where} must be an object, not {_kind(data)}"
    if data.get("status") not in _STATUSES:
        return f"{where}: unknown status {data.get('status')!r}"
    for key, kinds in (("summary", str), ("evidence", dict), ("measurements", dict), ("facts", dict),
                       ("finished_at", str), ("check", str)):
        if data.get(key) is not None and not isinstance(data[key], kinds):
            return f"{where}: `{key}` must be {_kind(kinds())}, not {_kind(data[key])}"
    duration = data.get("duration_ms")
    if duration is not None and (not isinstance(duration, int | float) or isinstance(duration, bool)):
        return f"{where}: `duration_ms` must be a number, not {_kind(duration)}"
    if any(not isinstance(m, dict) for m in (data.get("measurements") or {}).values()):
        return f"{where}: every measurement must be an object"
    checks = data.get("checks")
    if checks is not None:
        if not nested or not isinstance(checks, list):
            return f"{where}: `checks` must be an array of check results"
        for n, check_ in enumerate(checks, 1):
            problem = _result_problem(f"{where} check {n}", check_, nested=False)
            if problem:
                return problem
    return None


def record_problem(data: Any) -> str | None:
    """What makes stored run-record data unusable (wrong shape or types), or None when it can be loaded.

    Checked before `RunRecord.from_dict`, so a damaged record is named precisely and set aside instead of
    failing somewhere later with an AttributeError.
    """
    if not isinstance(data, dict):
        return f"not a JSON object but {_kind(data)}"
    for key in _TEXT_FIELDS:
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"`{key}` must be a string, not {_kind(data[key])}"
    revision = data.get("revision")
    if revision is not None and (not isinstance(revision, int) or isinstance(revision, bool) or revision < 0):
        return f"`revision` must be a whole number, not {revision!r}"
    for key, kinds in (("checklist", dict), ("results", dict), ("decisions", dict), ("deployment", dict),
                       ("signoffs", list), ("deploy_steps", list)):
        if data.get(key) is not None and not isinstance(data[key], kinds):
            return f"`{key}` must be {_kind(kinds())}, not {_kind(data[key])}"
    for key in ("signoffs", "deploy_steps"):
        if any(not isinstance(entry, dict) for entry in data.get(key) or []):
            return f"every entry of `{key}` must be an object"
    for item_id, result in (data.get("results") or {}).items():
        problem = _result_problem(f"result {item_id}", result)
        if problem:
            return problem
    for item_id, decision in (data.get("decisions") or {}).items():
        if not isinstance(decision, dict):
            return f"decision {item_id} must be an object, not {_kind(decision)}"
        if decision.get("type") not in _DECISION_TYPES:
            return f"decision {item_id}: unknown type {decision.get('type')!r}"
        missing = [k for k in ("by", "at", "user_host") if not isinstance(decision.get(k), str)]
        if missing:
            return f"decision {item_id}: `{missing[0]}` must be a string"
    return None


class StoreError(UsageError):
    """The run record cannot be read or written here (permission, full disk, read-only): one line, nothing lost."""


def _in_state_dir(path: Path) -> bool:
    return STATE_DIR in path.parts


def private_dirs(directory: Path) -> Path:
    """Create `directory` and its missing parents; those under a `.readiness` directory are 0700.

    `.readiness` itself also gets its `.gitignore` (`*`: nothing in it is ever committed), and an
    existing `.readiness` written by an earlier version is brought to 0700 with that `.gitignore`.
    """
    directory = Path(directory)
    missing = []
    probe = directory
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for part in reversed(missing):
        with contextlib.suppress(FileExistsError):
            part.mkdir(mode=PRIVATE_DIR if _in_state_dir(part) else 0o777)
    if _in_state_dir(directory):
        parts = directory.parts
        state = Path(*parts[: parts.index(STATE_DIR) + 1])
        _protect_state_dir(state)
    return directory


def _protect_state_dir(state: Path) -> None:
    with contextlib.suppress(OSError):
        mode = state.stat().st_mode
        if mode & 0o077 and mode & 0o200:
            # Written by an earlier version (0755 / 0644): made private once, everything in it. A directory its
            # owner made read-only (0555) is a choice: left alone, and writing into it fails with one line.
            for path in [state, *state.rglob("*")]:
                if not path.is_symlink():
                    path.chmod(PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)
    ignore = state / ".gitignore"
    try:
        current = ignore.read_text("utf-8")
    except FileNotFoundError:
        current = None
    except OSError:
        return
    if current is None or "*" not in current.split():
        with contextlib.suppress(OSError):
            fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
            os.fchmod(fd, PRIVATE_FILE)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(_GITIGNORE)


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a file atomically: temp file in the same directory, fsync, rename, fsync the directory.

    `mode` defaults to 0600 under a `.readiness` directory (its directories 0700) and 0644 elsewhere.
    """
    if mode is None:
        mode = PRIVATE_FILE if _in_state_dir(path) else 0o644
    private_dirs(path.parent)
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

    def __init__(self, project_dir: Path, redactor: Redactor | None = None,
                 on_notice: Callable[[str], None] | None = None) -> None:
        self.project_dir = Path(project_dir)
        self.dir = self.project_dir / STATE_DIR
        self.path = self.dir / RECORD
        self.history_dir = self.dir / "history"
        self.redactor = redactor or Redactor()
        self.decisions_path = self.project_dir / decisionsfile.FILE
        self.notices: list[str] = []
        """Things the user was or must be told (a damaged record kept aside, decisions moved, a history file
        skipped)."""
        self.on_notice = on_notice
        """Called with each notice as it happens (the CLI prints it, the wizard shows it)."""
        self._decisions_read: dict[str, Decision] = {}
        self._unmoved_damage = False

    def notify(self, message: str) -> None:
        """Tell the user something about the record (kept in `notices`, passed to `on_notice`)."""
        self.notices.append(message)
        if self.on_notice is not None:
            self.on_notice(message)

    @contextlib.contextmanager
    def _fs(self, path: Path, doing: str) -> Iterator[None]:
        """Turn a filesystem error into one line naming the path (StoreError)."""
        try:
            yield
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise StoreError(f"{exc.filename or path}: cannot {doing} ({reason}); nothing was changed") from None

    def _lock(self) -> Any:
        from filelock import FileLock

        with self._fs(self.dir, "create the run-record directory"):
            private_dirs(self.dir)
        return FileLock(str(self.dir / "run.lock"), timeout=LOCK_TIMEOUT, mode=PRIVATE_FILE)

    @contextlib.contextmanager
    def _locked(self, for_writing: bool) -> Iterator[None]:
        """Hold the record's lock. A reader that cannot create the lock file (a read-only directory or mount)
        reads without it: every write is an atomic rename, so a reader never sees half a record."""
        from filelock import Timeout

        if not for_writing and not self.dir.is_dir():
            yield
            return
        lock = self._lock()
        locked = False
        try:
            with self._fs(self.dir / "run.lock", "lock the run record"):
                lock.acquire()
            locked = True
        except StoreError:
            if for_writing:
                raise
        except Timeout:
            raise StoreError(f"{self.dir / 'run.lock'}: another readiness process has held the run record for "
                             f"{LOCK_TIMEOUT:g} s; try again when it is done") from None
        try:
            yield
        finally:
            if locked:
                lock.release()

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
            self.notify(f"could not move the decisions of {self.path} to {self.decisions_path.name} ({exc}); "
                                "using them from run.json this time")
            return merged
        if legacy:
            self.notify(
                f"moved {len(legacy)} decision(s) from {STATE_DIR}/{RECORD} to {self.decisions_path.name}; "
                "commit it so every checkout and CI apply them")
        differing = sorted(k for k, v in record_decisions.items() if k in decisions and decisions[k] != v)
        if differing:
            self.notify(f"{STATE_DIR}/{RECORD} had other decisions on {', '.join(differing)}; "
                                f"kept those of {self.decisions_path.name}")
        return merged

    def _redacted(self, decision: Decision) -> Decision:
        return Decision.from_dict(self.redactor.data(decision.to_dict()))

    def _read_record(self) -> RunRecord:
        self._unmoved_damage = False
        try:
            raw = fileio.read_bytes(self.path, fileio.MAX_RECORD, "the run record")
        except fileio.FileMissing:
            return RunRecord(project=str(self.project_dir))
        except fileio.FileUnreadable as exc:
            raise StoreError(f"{exc}; nothing was changed") from None
        except fileio.FileProblem as exc:
            if self.path.is_dir():
                raise StoreError(str(exc)) from None
            return self._set_aside(exc.what)  # a FIFO, a device, far too large: damaged too
        try:
            data = fileio.parse_json(raw, self.path)
        except fileio.FileProblem as exc:
            return self._set_aside(f"line {exc.line}: {exc.what}" if exc.line else exc.what)
        if isinstance(data, dict):
            schema = data.get("schema")
            if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA:
                raise UsageError(
                    f"{self.path}: written by a newer readiness-tui (schema {schema}, this one reads {SCHEMA}); upgrade"
                )
            if schema != SCHEMA:
                return self._set_aside(f"unknown schema {schema!r}")
        problem = record_problem(data)
        if problem:
            return self._set_aside(problem)
        return RunRecord.from_dict(data)

    def _set_aside(self, reason: str) -> RunRecord:
        """Keep a damaged record aside under a new name (never over an earlier one) and say so."""
        stamp = time.strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{RECORD}.corrupt-{stamp}")
        n = 1
        while os.path.lexists(aside):
            n += 1
            aside = self.path.with_name(f"{RECORD}.corrupt-{stamp}-{n}")
        reason = one_line(reason, 160)
        try:
            os.rename(self.path, aside)
        except OSError as exc:
            self._unmoved_damage = True
            self.notify(f"{self.path}: damaged ({reason}); could not keep it aside ({exc.strerror}), so it is "
                        "left as it is and nothing will be written over it")
            return RunRecord(project=str(self.project_dir))
        self.notify(f"{self.path}: damaged ({reason}); kept aside as {aside.name}, starting a new run record")
        return RunRecord(project=str(self.project_dir))

    def _check_writable(self) -> None:
        """StoreError when the record exists but its mode (or owner) says it is not to be written."""
        if self._unmoved_damage:
            raise StoreError(f"{self.path}: damaged and could not be kept aside; move it away to record changes")
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot write the run record ({exc.strerror}); nothing was changed") from None
        mode = stat.S_IMODE(st.st_mode)
        if not mode & 0o222:
            raise StoreError(f"{self.path}: read-only (mode {mode:04o}); nothing was recorded. To record changes, "
                             f"make it writable: chmod u+w {self.path}")
        if not os.access(self.path, os.W_OK):
            raise StoreError(f"{self.path}: not writable by this user (mode {mode:04o}, owner uid {st.st_uid}); "
                             "nothing was recorded")

    def _write(self, record: RunRecord) -> None:
        from readiness_tui.model import now_iso

        self._check_writable()
        record.revision += 1
        record.updated_at = now_iso()
        changes: dict[str, Decision | None] = {
            k: (self._redacted(record.decisions[k]) if k in record.decisions else None)
            for k in set(record.decisions) | set(self._decisions_read)
            if record.decisions.get(k) != self._decisions_read.get(k)
        }
        if changes:
            with self._fs(self.decisions_path, "write the decisions file"):
                decisionsfile.write(self.decisions_path, self.dir / "decisions.lock", changes)
            self._decisions_read = {k: replace(v) for k, v in record.decisions.items()}
        self._write_record(record)

    def _write_record(self, record: RunRecord) -> None:
        self._check_writable()
        mode: int | None
        try:  # a rewritten record keeps its owner's bits, never group or other access (the record is private)
            mode = stat.S_IMODE(os.stat(self.path).st_mode) & ~0o077
        except OSError:
            mode = None
        data = self.redactor.data(record.to_dict())
        data.pop("decisions", None)  # they live in the decisions file
        with self._fs(self.path, "write the run record"):
            atomic_write(self.path, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"), mode)

    def load(self) -> RunRecord:
        """The current record (a new empty one when there is none)."""
        with self._locked(for_writing=False):
            return self._read()

    def exists(self) -> bool:
        """True when the project has a run record."""
        return self.path.is_file()

    def update(self, change: Callable[[RunRecord], T]) -> tuple[T, RunRecord]:
        """Apply `change` to the freshest record under the lock and save it atomically."""
        with self._locked(for_writing=True):
            record = self._read()
            self._check_writable()
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
        with self._fs(target, "keep the previous run in the history"):
            atomic_write(target, (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
        return target

    def history(self) -> list[Path]:
        """Archived runs, oldest first."""
        if not self.history_dir.is_dir():
            return []
        try:
            return sorted(self.history_dir.glob("*.json"))
        except OSError as exc:
            raise StoreError(f"{self.history_dir}: cannot read the history ({exc.strerror})") from None

    def archived(self) -> list[tuple[Path, RunRecord]]:
        """The archived runs that can be read, oldest first; each unreadable one is skipped with a notice."""
        found = []
        for path in self.history():
            try:
                found.append((path, read_record_file(path)))
            except UsageError as exc:
                self.notify(f"skipped {path}: {str(exc).removeprefix(f'{path}: ')}")
        return found


def read_record_file(path: Path) -> RunRecord:
    """A run record from a file (a history entry, or one named on the command line); UsageError when unusable."""
    data = fileio.read_json(path, fileio.MAX_RECORD, "a run record")
    problem = record_problem(data)
    if problem:
        raise UsageError(f"{path}: not a readable run record ({problem})")
    return RunRecord.from_dict(data)
