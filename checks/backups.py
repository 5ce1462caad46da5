"""Backups: a recent database backup and its schedule (6.1), configuration backups kept private (6.2).

The schedule is searched in `crontab -l`, `<system_root>/etc/crontab`, `<system_root>/etc/cron.d/*`,
`<system_root>/etc/cron.{hourly,daily,weekly}/*`, `<system_root>/var/spool/cron/crontabs/*` and systemd
timers under `<system_root>/etc/systemd/system` (a timer whose service's ExecStart runs the backup).
"""

from __future__ import annotations

import fnmatch
import re
import stat
import time
from pathlib import Path
from typing import Any

from readiness_tui import fileio
from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, Measurement, Status, errored, failed, passed, pending

DEFAULT_BACKUP_PATTERN = r"backup|pg_dump|pg_basebackup|pg_dumpall"
#: The operating system's own housekeeping "backups" (Debian's dpkg database, /etc/passwd copies in
#: /var/backups): they say "backup" but never back up the application's database.
DEFAULT_IGNORE_PATTERN = r"dpkg|\bapt\b|apt-compat|/var/backups\b|\bpasswd\b"
DEFAULT_CONFIG_PATTERNS = [".env", ".env.*", "*.env", "config.toml", "secrets.toml", "readiness.toml",
                           "docker-compose*.yml", "docker-compose*.yaml", "*config*.tar*", "*config*.zip"]

#: A crontab schedule line: five time fields or an @keyword, then the command.
_CRON_LINE = re.compile(r"^\s*(@\w+|(\S+\s+){4}\S+)\s+(?P<rest>.+)$")


def _sys(ctx: CheckContext, absolute: str) -> Path:
    return Path(ctx.settings.system_root) / absolute.lstrip("/")


def _cron_entries(text: str, where: str, pattern: re.Pattern[str]) -> list[dict[str, Any]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", stripped):
            continue
        if _CRON_LINE.match(stripped) and pattern.search(stripped):
            found.append({"source": where, "line": number, "entry": stripped[:200]})
    return found


def _listing(directory: Path, unreadable: list[str]) -> list[Path]:
    """The regular files of a directory, sorted; [] (and the directory noted) when this user may not list it."""
    try:
        return sorted(p for p in directory.iterdir() if p.is_file())
    except OSError:
        unreadable.append(str(directory))
        return []


def _read(path: Path, unreadable: list[str]) -> str | None:
    """A schedule file's text (bounded, never blocking); None (and the file noted) when it cannot be read."""
    try:
        return fileio.read_text(path, fileio.MAX_CONFIG, "a schedule file", cut=True)
    except fileio.FileProblem:
        unreadable.append(str(path))
        return None


def find_schedules(ctx: CheckContext, pattern: re.Pattern[str], ignore: re.Pattern[str] | None = None,
                   unreadable: list[str] | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """(cron / systemd entries running the backup, places searched); lines matching `ignore` do not count.

    Places this user may not read (other users' crontabs for anyone but root) go to `unreadable`.
    """
    unreadable = [] if unreadable is None else unreadable
    if ignore is not None:
        pattern = _Unless(pattern, ignore)  # type: ignore[assignment]
    from readiness_tui.procs import ProcError, run_command

    entries: list[dict[str, Any]] = []
    searched: list[str] = []
    redactor = ctx.settings.redactor()
    if ctx.settings.system_root in ("/", ""):
        argv = [str(a) for a in ctx.param("crontab_command")]
        searched.append(" ".join(argv))
        try:
            res = run_command(argv, None, timeout=ctx.settings.read_timeout)
            if res.exit_code == 0:
                entries += _cron_entries(res.output_tail, " ".join(argv), pattern)
        except ProcError:
            pass
    files: list[Path] = []
    for single in ("/etc/crontab",):
        if _sys(ctx, single).is_file():
            files.append(_sys(ctx, single))
    for directory in ("/etc/cron.d", "/var/spool/cron/crontabs"):
        d = _sys(ctx, directory)
        searched.append(str(d))
        if d.is_dir():
            files += _listing(d, unreadable)
    for f in files:
        text = _read(f, unreadable)
        if text is not None:
            entries += _cron_entries(text, str(f), pattern)
    # Scripts in cron.daily etc. run on their schedule: their name or content names the backup.
    for period in ("hourly", "daily", "weekly"):
        d = _sys(ctx, f"/etc/cron.{period}")
        searched.append(str(d))
        if not d.is_dir():
            continue
        for script in _listing(d, unreadable):
            text = _read(script, unreadable)
            if text is None:
                continue
            if pattern.search(script.name) or any(pattern.search(x) for x in text.splitlines()
                                                  if not x.strip().startswith("#")):
                entries.append({"source": str(script), "line": 0, "entry": f"cron.{period} script {script.name}"})
    enabled = _enabled_timers(ctx)
    for unit_dir in ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"):
        d = _sys(ctx, unit_dir)
        searched.append(str(d))
        if not d.is_dir():
            continue
        for timer in sorted(d.glob("*.timer")):
            # A vendor unit (e.g. postgresql-common's pg_basebackup@.timer) schedules nothing until it is
            # enabled; a unit the admin wrote in /etc/systemd/system counts as meant to run.
            if not _timer_active(timer, unit_dir == "/etc/systemd/system", enabled):
                continue
            entries += _timer_entry(timer, pattern)
    for e in entries:
        e["entry"] = redactor.text(e["entry"])
    return entries, searched


def _enabled_timers(ctx: CheckContext) -> set[str]:
    """Names of the timers enabled under `<system_root>/etc/systemd/system/*.wants/`."""
    names: set[str] = set()
    base = _sys(ctx, "/etc/systemd/system")
    if base.is_dir():
        for wants in base.glob("*.wants"):
            names.update(p.name for p in wants.glob("*.timer"))
    return names


def _timer_active(timer: Path, admin_unit: bool, enabled: set[str]) -> bool:
    name = timer.name
    if name.endswith("@.timer"):  # a template: only its enabled instances run
        prefix = name.removesuffix(".timer")
        return any(n.startswith(prefix) and n != name for n in enabled)
    return admin_unit or name in enabled


class _Unless:
    """A pattern that matches a line only when `ignore` does not (duck-types `re.Pattern.search`)."""

    def __init__(self, pattern: re.Pattern[str], ignore: re.Pattern[str]) -> None:
        self.pattern, self.ignore = pattern, ignore

    def search(self, text: str) -> re.Match[str] | None:
        return None if self.ignore.search(text) else self.pattern.search(text)


def _timer_entry(timer: Path, pattern: re.Pattern[str]) -> list[dict[str, Any]]:
    try:
        text = fileio.read_text(timer, fileio.MAX_CONFIG, "a systemd unit", cut=True)
        unit = re.search(r"^\s*Unit\s*=\s*(\S+)", text, re.M)
        service = timer.parent / (unit.group(1) if unit else timer.name.removesuffix(".timer") + ".service")
        service_text = fileio.read_text(service, fileio.MAX_CONFIG, "a systemd unit", cut=True)
    except fileio.FileProblem:
        return []
    for number, line in enumerate(service_text.splitlines(), 1):
        if line.strip().startswith("ExecStart") and pattern.search(line):
            when = re.search(r"^\s*(OnCalendar|OnUnitActiveSec|OnBootSec)\s*=\s*(.+)$", text, re.M)
            schedule = f"{when.group(1)}={when.group(2).strip()}" if when else "timer"
            return [{"source": str(service), "line": number,
                     "entry": f"systemd {timer.name} ({schedule}): {line.strip()[:160]}"}]
    return []


def newest_file(root: Path, limit: int) -> tuple[Path | None, int]:
    """The most recently modified regular file under `root` (recursive, at most `limit` files looked at;
    pseudo filesystems such as /proc are not entered, so `backup_dir = "/"` never finds the kernel's files)."""
    newest: Path | None = None
    newest_mtime = -1.0
    seen = 0
    for path, st in fileio.walk_files(root, limit):
        seen += 1
        if st.st_mtime > newest_mtime:
            newest, newest_mtime = path, st.st_mtime
    return newest, seen


def _age_text(hours: float) -> str:
    if hours < 1:
        return f"{int(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


@check("backup.database", "the newest database backup is recent (≤ 26 h) and a cron/systemd entry runs it",
       params={
    "crontab_command": Param(list[str], "the command that lists the user's crontab", ["crontab", "-l"]),
    "warn_hours": Param(float, "warn when the newest backup is older than this", 26.0),
    "fail_days": Param(float, "fail when the newest backup is older than this", 7.0),
    "backup_command_pattern": Param(str, "regular expression of a backup command in a schedule", DEFAULT_BACKUP_PATTERN),
    "backup_ignore_pattern": Param(str, "regular expression of schedule lines that are not database backups",
                                   DEFAULT_IGNORE_PATTERN),
    "max_files": Param(int, "files looked at in backup_dir at most", 20_000),
})
def backup_database(ctx: CheckContext) -> CheckResult:
    warn_hours = float(ctx.param("warn_hours"))
    fail_days = float(ctx.param("fail_days"))
    try:
        pattern = re.compile(str(ctx.param("backup_command_pattern")), re.I)
        ignore = re.compile(str(ctx.param("backup_ignore_pattern")), re.I)
    except re.error as exc:
        return errored(f"param backup_command_pattern / backup_ignore_pattern is not a valid regular expression: {exc}")
    if not ctx.settings.backup_dir:
        return pending("backup_dir is not set: set it in readiness.toml [target], or confirm the hosted "
                       "backups (e.g. Supabase daily backups / PITR)")
    root = ctx.settings.path(ctx.settings.backup_dir)
    unreadable: list[str] = []
    schedules, searched = find_schedules(ctx, pattern, ignore, unreadable)
    evidence: dict[str, Any] = {"backup_dir": str(root), "backup_schedules": schedules,
                                "backup_schedule_searched": searched, "backup_warn_hours": warn_hours,
                                "backup_fail_days": fail_days}
    if unreadable:
        evidence["backup_schedule_unreadable"] = unreadable
    schedule_note = (f"scheduled by {schedules[0]['source']}" if schedules
                     else "no cron or systemd-timer entry runs a backup")
    if unreadable and not schedules:
        schedule_note += f" (not readable as this user: {', '.join(unreadable[:2])})"
    if not root.is_dir():
        return failed(f"backup directory {root} does not exist; {schedule_note}", **evidence)
    newest, count = newest_file(root, int(ctx.param("max_files")))
    evidence["backup_files_seen"] = count
    if newest is None:
        return failed(f"no backup in {root}; {schedule_note}", **evidence)
    age_h = max(0.0, (time.time() - newest.stat().st_mtime) / 3600)
    evidence["backup_newest"] = str(newest)
    evidence["backup_age_hours"] = round(age_h, 2)
    rel = newest.relative_to(root) if newest.is_relative_to(root) else newest
    head = f"newest backup {rel} is {_age_text(age_h)} old"
    if age_h > fail_days * 24:
        status = Status.FAIL
        head += f" (more than {fail_days:g} days)"
    elif age_h > warn_hours:
        status = Status.WARN
        head += f" (more than {warn_hours:g} h)"
    else:
        status = Status.PASS
    if not schedules and status is Status.PASS:
        status = Status.WARN
    result = CheckResult(status, f"{head}; {schedule_note}", evidence)
    result.measurements["backup.age_hours"] = Measurement(round(age_h, 2), _age_text(age_h), "h")
    return result


@check("backup.config", "configuration backups exist and are not readable by other users",
       params={
    "config_patterns": Param(list[str], "glob patterns of configuration backups", DEFAULT_CONFIG_PATTERNS),
    "max_files": Param(int, "files looked at in backup_dir at most", 20_000),
})
def backup_config(ctx: CheckContext) -> CheckResult:
    where = ctx.settings.config_backup_dir or ctx.settings.backup_dir
    if not where:
        return pending("config_backup_dir / backup_dir is not set: set one in readiness.toml [target], "
                       "or confirm where configuration backups are kept")
    root = ctx.settings.path(where)
    patterns = [str(p) for p in ctx.param("config_patterns")]
    limit = int(ctx.param("max_files"))
    evidence: dict[str, Any] = {"config_backup_dir": str(root), "config_patterns": patterns}
    if not root.is_dir():
        return failed(f"configuration backup directory {root} does not exist", **evidence)
    found: list[Path] = []
    modes: dict[Path, int] = {}
    for path, st in fileio.walk_files(root, limit):
        if any(fnmatch.fnmatch(path.name, p) for p in patterns):
            found.append(path)
            modes[path] = st.st_mode
    exposed: list[dict[str, str]] = []
    for f in found:
        mode = modes[f]
        if mode & stat.S_IROTH:
            exposed.append({"file": str(f.relative_to(root)), "mode": oct(stat.S_IMODE(mode))})
    evidence["config_backups"] = [str(f.relative_to(root)) for f in found[:50]]
    evidence["config_backups_count"] = len(found)
    evidence["config_backups_world_readable"] = exposed
    try:
        evidence["config_backup_dir_mode"] = oct(stat.S_IMODE(root.stat().st_mode))
    except OSError:
        pass
    if not found:
        return failed(f"no configuration backup (.env, config.toml, …) in {root}", **evidence)
    if exposed:
        names = ", ".join(f"{e['file']} ({e['mode']})" for e in exposed[:3])
        more = f" and {len(exposed) - 3} more" if len(exposed) > 3 else ""
        return failed(f"{len(exposed)} of {len(found)} configuration backups readable by others: {names}{more} "
                      "(chmod 600)", **evidence)
    return passed(f"{len(found)} configuration backup(s) in {root}, none readable by others", **evidence)
