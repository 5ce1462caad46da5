"""Safe fixes: planned as file changes, shown as a unified diff, applied only on confirmation.

A fix never edits a value in `.env` and never writes outside the project's repository (the
project directory when there is no repository). Applying writes each file atomically and first
copies the old version to `<project>/.readiness/backups/`. The public API (used by `readiness fix`
and the wizard): `available(target, item_id)`, `Fix.name`, `Fix.description`, `Fix.plan(target)`,
`render_diff(changes)`, `apply(target, changes)`.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from readiness_tui import fileio, gitutil
from readiness_tui.errors import UsageError

if TYPE_CHECKING:
    from readiness_tui.target import Target

BACKUP_DIR = Path(".readiness") / "backups"
STREAMLIT_CONFIG = ".streamlit/config.toml"
ENV_IGNORE_LINES = (".env", ".env.*", "!.env.example")

#: The seed's environment template ("Environment File Template"): placeholders only.
ENV_TEMPLATE = """\
# Backend API
BACKEND_API_URL=https://api.yourdomain.com

# Supabase
SUPABASE_URL=https://your-project-id.supabase.co
SUPABASE_KEY=your-anon-public-key

# Pusher (optional)
PUSHER_APP_KEY=your-pusher-app-key
PUSHER_CLUSTER=us2

# Performance
CACHE_TTL_SECONDS=300
STREAMLIT_SERVER_PORT=8501
"""

LOGROTATE_TEMPLATE = """\
# Log rotation for {log_dir} (written by `readiness fix 5.7`; the seed's rule).
# Install on the host: sudo install -m 644 {rel} /etc/logrotate.d/{name}
{log_dir}/*.log {{
    daily
    rotate 14
    compress
    delaycompress
    missingok
    notifempty
    copytruncate
}}
"""


class FixError(UsageError):
    """A fix cannot be planned or applied (stale plan, path outside the repository, bad file)."""


@dataclass
class FileChange:
    """One file a fix writes: its content before (None: a new file) and after."""

    path: Path
    before: str | None
    after: str
    mode: int | None = None
    """Permission bits of a new file (0o600 for `.env`); None keeps an existing file's mode."""
    label: str = ""
    """The path as shown in the diff (relative to the repository)."""
    notes: list[str] = field(default_factory=list)
    """What a person should know before applying (shown above the diff): an ignore rule, files to untrack."""
    ignored_by: str | None = None
    """The .gitignore rule that ignores this file (file:line:pattern): a deploy from git would not carry it,
    so `apply` refuses it unless told otherwise."""


@dataclass
class Fix:
    """A safe fix for one or more checklist items."""

    name: str
    description: str
    items: tuple[str, ...]
    planner: Callable[[Target], list[FileChange]]

    def plan(self, target: Target) -> list[FileChange]:
        """The changes this fix would make now (empty when there is nothing to do)."""
        return self.planner(target)


def _root(target: Target) -> Path:
    s = target.settings
    return (s.repo_root or s.project_dir).resolve()


def _label(target: Target, path: Path) -> str:
    try:
        return path.resolve().relative_to(_root(target)).as_posix() if path.exists() else \
            (path.parent.resolve() / path.name).relative_to(_root(target)).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path) -> str | None:
    if not path.exists():
        return None
    try:  # bounded and never blocking: a FIFO or a huge file is refused, never edited
        raw = fileio.read_bytes(path, fileio.MAX_CONFIG, "a file to fix")
    except fileio.FileProblem as exc:
        raise FixError(f"{exc}; fix it by hand") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FixError(f"{path}: not valid UTF-8; fix it by hand") from None


def _change(target: Target, path: Path, before: str | None, after: str, mode: int | None = None,
            notes: list[str] | None = None) -> list[FileChange]:
    if before == after:
        return []
    label = _label(target, path)
    change = FileChange(path, before, after, mode, label, list(notes or []))
    root = target.settings.repo_root
    env_like = path.name == ".env" or path.name.startswith(".env.")
    if root is not None and not env_like:
        change.ignored_by = gitutil.ignore_rule(root, label)
        if change.ignored_by:
            change.notes.append(f"git ignores {label} ({change.ignored_by}): a deploy built from git would not "
                                f"carry it; track it with `git add -f {label}` or change the rule")
    return [change]


# ---------------------------------------------------------------------------------------------
# .gitignore
# ---------------------------------------------------------------------------------------------

def _env_rel(target: Target, name: str) -> str:
    path = target.settings.project_dir / name
    try:
        return path.relative_to(_root(target)).as_posix()
    except ValueError:
        return name


def is_ignored(root: Path, relpath: str) -> bool:
    """True when git ignores `relpath`."""
    return gitutil.ignore_rule(root, relpath) is not None


#: Names of each kind an env ignore rule must cover (`git check-ignore` is asked about every one).
ENV_NAME_KINDS = (".env", ".env.production", ".env.local", ".env.backup.20250101_000000", ".streamlit/secrets.toml")


def _env_files(target: Target) -> tuple[list[str], list[str]]:
    """(env files that hold values, templates) in the repository, repository-relative (from the project map)."""
    from readiness_tui.projectmap import for_settings

    pm = for_settings(target.settings)
    return list(pm.env_files), list(pm.env_templates)


def _gitignore_lines_needed(target: Target, existing: str) -> list[str]:
    present = {ln.strip() for ln in existing.splitlines()}
    root = target.settings.repo_root
    if root is None:
        return [ln for ln in ENV_IGNORE_LINES if ln not in present]
    env_files, templates = _env_files(target)
    need: list[str] = []
    if not is_ignored(root, _env_rel(target, ".env")):
        need.append(".env")
    probes = [_env_rel(target, n) for n in ENV_NAME_KINDS[1:4]] + [f for f in env_files if "/.env." in "/" + f]
    if any(not is_ignored(root, p) for p in probes):
        need.append(".env.*")
    if not is_ignored(root, _env_rel(target, ENV_NAME_KINDS[4])) and "secrets.toml" not in present:
        need.append("secrets.toml")
    keep = [t for t in templates if PurePosixPath(t).name.startswith(".env.")] or [".env.example"]
    if need or any(is_ignored(root, t) for t in keep if t in _tracked(root)):
        need += [f"!{PurePosixPath(t).name}" for t in keep if f"!{PurePosixPath(t).name}" not in need]
    return list(dict.fromkeys(need))


def _tracked(root: Path) -> set[str]:
    return set(gitutil.tracked_files(root))


def plan_gitignore(target: Target) -> list[FileChange]:
    """Ignore env files of every kind (`.env`, `.env.*` — backups too — `secrets.toml`), keeping the
    templates, in the repository's `.gitignore`; name the env files git already tracks (ignoring does not
    untrack them: `git rm --cached <file>`)."""
    path = _root(target) / ".gitignore"
    before = _read(path)
    text = before or ""
    need = _gitignore_lines_needed(target, text)
    notes = []
    root = target.settings.repo_root
    if root is not None:
        tracked = _tracked(root)
        env_files, _templates = _env_files(target)
        named = [f for f in env_files if f in tracked]
        if named:
            notes.append("these env files are tracked by git; ignoring them does not untrack them: "
                         f"git rm --cached {' '.join(named)}, then rotate every key they held")
    if (_root(target) / "gitignore").is_file() and before is None:
        notes.append("a file named `gitignore` (without the dot) exists: git never reads it; this writes "
                     ".gitignore (or rename that file instead)")
    if not need:
        return []
    if text and not text.endswith("\n"):
        text += "\n"
    block = ("\n" if text.strip() else "") + "# Environment files hold secrets (readiness fix)\n" + \
        "".join(f"{ln}\n" for ln in need)
    return _change(target, path, before, text + block, notes=notes)


# ---------------------------------------------------------------------------------------------
# .streamlit/config.toml
# ---------------------------------------------------------------------------------------------

def _config_path(target: Target) -> Path:
    return target.settings.find(STREAMLIT_CONFIG) or target.settings.project_dir / STREAMLIT_CONFIG


def set_toml_value(text: str, table: str, key: str, value: Any) -> str:
    """`text` with `[table] key = value` set, everything else byte-identical (tomlkit round trip)."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        doc = tomlkit.parse(text)
    except ParseError as exc:
        raise FixError(f"invalid TOML at line {exc.line}: fix the file by hand first") from None
    if table not in doc:
        new = tomlkit.table()
        new[key] = value
        doc[table] = new
        return tomlkit.dumps(doc)
    section = doc[table]
    if not isinstance(section, dict):
        raise FixError(f"`{table}` is not a table; fix the file by hand")
    if key in section:
        section[key] = value
        return tomlkit.dumps(doc)
    body = getattr(getattr(section, "value", None), "body", None)
    keys = [k for k, _ in body or [] if k is not None]
    inserter = getattr(getattr(section, "value", None), "_insert_after", None)
    if keys and inserter is not None:
        # Insert right after the table's last key: comments and blank lines that introduce the
        # next table stay where they are.
        inserter(keys[-1].key, key, value)
    else:
        section[key] = value
    return tomlkit.dumps(doc)


def _toml_change(target: Target, path: Path, table: str, key: str, value: Any) -> list[FileChange]:
    before = _read(path)
    try:
        after = set_toml_value(before or "", table, key, value)
    except FixError as exc:
        raise FixError(f"{path}: {exc}") from None
    if before is None:
        after = f"# Streamlit configuration (written by readiness fix)\n{after.lstrip()}"
    return _change(target, path, before, after)


def _flag_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _edit_flag(target: Target, where: str, option: str, value: Any) -> list[FileChange]:
    """Set an existing `--option=value` (or `--option value`) flag in the file of `where` (file:line)."""
    rel, _, line = where.rpartition(":")
    path = _root(target) / rel
    before = _read(path)
    if before is None or not line.isdigit():
        return []
    rx = re.compile(r"(--" + re.escape(option) + r"(?:=|[\"']?\s*,\s*[\"']|\s+))([^\s\"',\]]+)")
    start = sum(len(ln) for ln in before.splitlines(keepends=True)[: int(line) - 1])
    match = rx.search(before, start) or rx.search(before)
    if match is None:
        return []
    after = before[: match.start(2)] + _flag_text(value) + before[match.end(2):]
    return _change(target, path, before, after)


def _add_flag(target: Target, where: str, option: str, value: Any) -> list[FileChange]:
    """Add `--option=value` to the Streamlit command at `where` (a Dockerfile CMD/ENTRYPOINT in exec or
    shell form, or a shell line); [] when the command's shape is not one this can edit safely."""
    rel, _, line = where.rpartition(":")
    path = _root(target) / rel
    before = _read(path)
    if before is None or not line.isdigit():
        return []
    lines = before.splitlines(keepends=True)
    index = int(line) - 1
    if not 0 <= index < len(lines) or "streamlit" not in "".join(lines[index:index + 12]):
        return []
    end = index
    while end < len(lines) - 1 and lines[end].rstrip().endswith("\\"):
        end += 1
    flag = f"--{option}={_flag_text(value)}"
    last = lines[end]
    body = last.rstrip("\r\n")
    newline = last[len(body):] or "\n"
    if body.rstrip().endswith("]") and "[" in "".join(lines[index:end + 1]):
        cut = body.rstrip()
        lines[end] = f'{cut[:-1].rstrip()}, "{flag}"]' + newline
    elif "[" in "".join(lines[index:end + 1]) or body.rstrip().endswith(("'", '"')) and "streamlit run" not in body:
        return []
    else:
        lines[end] = f"{body.rstrip()} {flag}" + newline
    return _change(target, path, before, "".join(lines))


def _edit_env(target: Target, source: str, name: str, value: Any) -> list[FileChange]:
    """Set `NAME=value` / `NAME: value` at the file:line a deployment's env source names."""
    match = re.search(r" in (\S+):(\d+)", source)
    if match is None:
        return []
    path = _root(target) / match.group(1)
    before = _read(path)
    if before is None:
        return []
    lines = before.splitlines(keepends=True)
    index = int(match.group(2)) - 1
    if not 0 <= index < len(lines):
        return []
    rx = re.compile(r"(\b" + re.escape(name) + r"\s*[=:]\s*[\"']?)([^\s\"'#]*)")
    if not rx.search(lines[index]):
        return []
    lines[index] = rx.sub(lambda m: m.group(1) + _flag_text(value), lines[index], count=1)
    return _change(target, path, before, "".join(lines))


def _already(option: str, current: Any) -> bool:
    if option == "client.showErrorDetails":
        return not isinstance(current, bool) and str(current).lower() in ("type", "none")
    return current is True


def _plan_streamlit(target: Target, table: str, key: str, value: Any) -> list[FileChange]:
    """Set a Streamlit option where each deployment reads it (the project map): the CLI flag that sets it
    now, else the deployment's `STREAMLIT_*` variable, else the `config.toml` the image ships (its COPY
    source, relative to the WORKDIR) — or, when git ignores that file, a flag on the deployment's command.
    Without a deployment descriptor: `.streamlit/config.toml` beside the app."""
    from readiness_tui.projectmap import STREAMLIT_OPTIONS, for_settings

    option = f"{table}.{key}"
    pm = for_settings(target.settings)
    launches = [la for la in pm.deployments() if la.kind != "none"]
    if not launches:
        existing = next((c.path for la in pm.deployments() for c in reversed(la.configs)
                         if c.role in ("project", "script") and c.state in ("tracked", "untracked", "ignored")), None)
        path = _root(target) / existing if existing else _config_path(target)
        return _toml_change(target, path, table, key, value)
    changes: list[FileChange] = []
    done: set[str] = set()
    for launch in launches:
        current = launch.options[option]
        if _already(option, current.value):
            continue
        planned: list[FileChange] = []
        if current.kind == "flag":
            planned = _edit_flag(target, launch.command_where or launch.where, option, value)
        elif current.kind == "env":
            planned = _edit_env(target, current.source, STREAMLIT_OPTIONS[option][1], value)
        if not planned:
            config = launch.fix_config
            rule = gitutil.ignore_rule(target.settings.repo_root, config) if (config and target.settings.repo_root) \
                else None
            if rule and launch.command_where:
                planned = _add_flag(target, launch.command_where, option, value)
            if not planned and config:
                planned = _toml_change(target, _root(target) / config, table, key, value)
        for change in planned:
            if change.label not in done:
                done.add(change.label)
                change.notes.insert(0, f"for the deployment at {launch.where}")
                changes.append(change)
    return changes


def plan_xsrf(target: Target) -> list[FileChange]:
    """Set `[server] enableXsrfProtection = true` in `.streamlit/config.toml`."""
    return _plan_streamlit(target, "server", "enableXsrfProtection", True)


def plan_error_details(target: Target) -> list[FileChange]:
    """Set `[client] showErrorDetails = "type"` in `.streamlit/config.toml`."""
    return _plan_streamlit(target, "client", "showErrorDetails", "type")


# ---------------------------------------------------------------------------------------------
# logrotate, .env
# ---------------------------------------------------------------------------------------------

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "app"


def plan_logrotate(target: Target) -> list[FileChange]:
    """Write `deploy/logrotate/<name>`: the seed's rule for the log directory, to install on the host —
    only when the application writes log files (`log_dir` is set); under compose, logs go to stdout and
    the compose fix is the one that helps."""
    if not target.settings.log_dir:
        return []
    root = _root(target)
    log_dir = (target.settings.log_dir or "/app/logs").rstrip("/") or "/app/logs"
    name = _slug(root.name)
    path = root / "deploy" / "logrotate" / name
    if path.exists():
        return []
    rel = path.relative_to(root).as_posix()
    return _change(target, path, None, LOGROTATE_TEMPLATE.format(log_dir=log_dir, rel=rel, name=name))


def plan_env_file(target: Target) -> list[FileChange]:
    """Create a missing `.env` from the seed's template (placeholders only, mode 0600), ignored first."""
    path = target.settings.project_dir / ".env"
    if path.exists() or path.is_symlink():
        return []
    changes = plan_gitignore(target)
    changes.append(FileChange(path, None, ENV_TEMPLATE, 0o600, _label(target, path)))
    return changes


def plan_compose_logging(target: Target) -> list[FileChange]:
    """Add `logging: options: max-size` to every service of the production compose files that has none
    (text inserted after the service's name: comments and layout stay)."""
    from readiness_tui.projectmap import for_settings

    pm = for_settings(target.settings)
    changes: list[FileChange] = []
    for compose in pm.compose_files:
        if compose.dev or compose.problem:
            continue
        missing = [s for s in compose.services if not s.logging]
        if not missing:
            continue
        path = _root(target) / compose.path
        before = _read(path)
        if before is None:
            continue
        lines = before.splitlines(keepends=True)
        for service in sorted(missing, key=lambda s: s.line, reverse=True):
            index = service.line - 1
            if not 0 <= index < len(lines) or not lines[index].rstrip().endswith(":"):
                continue
            below = next((ln for ln in lines[index + 1:] if ln.strip() and not ln.lstrip().startswith("#")), "")
            indent = below[: len(below) - len(below.lstrip())]
            if len(indent) <= len(lines[index]) - len(lines[index].lstrip()):
                continue
            step = indent[len(lines[index]) - len(lines[index].lstrip()):]
            block = (f"{indent}logging:\n{indent}{step}driver: json-file\n{indent}{step}options:\n"
                     f'{indent}{step}{step}max-size: "10m"\n{indent}{step}{step}max-file: "3"\n')
            lines.insert(index + 1, block)
        changes += _change(target, path, before, "".join(lines))
    return changes


REGISTRY: tuple[Fix, ...] = (
    Fix("gitignore-env", "add .env and .env.* (keeping !.env.example) to .gitignore", ("1.7", "1.6"),
        plan_gitignore),
    Fix("create-env", "create the missing .env from the checklist's template (placeholders only, mode 0600)",
        ("1.1",), plan_env_file),
    Fix("streamlit-xsrf", "turn server.enableXsrfProtection on where each deployment reads it (its flag, its "
        "STREAMLIT_* variable or the config.toml it ships)", ("3.2",), plan_xsrf),
    Fix("streamlit-error-details", 'set client.showErrorDetails = "type" where each deployment reads it (its flag, '
        "its STREAMLIT_* variable or the config.toml it ships)", ("3.8",), plan_error_details),
    Fix("compose-logging", "add logging max-size (json-file, 10m × 3) to every service of the production compose files",
        ("5.7",), plan_compose_logging),
    Fix("logrotate", "write a logrotate rule for the log directory to deploy/logrotate/ (install it on the host)",
        ("5.7",), plan_logrotate),
)


def registered(item_id: str) -> list[Fix]:
    """Every fix known for an item, whether or not it has anything to change now."""
    return [f for f in REGISTRY if item_id in f.items]


def available(target: Target, item_id: str) -> list[Fix]:
    """The fixes for an item that would change something now (a fix that cannot plan is left out)."""
    out = []
    for fix in registered(item_id):
        try:
            if fix.plan(target):
                out.append(fix)
        except FixError:
            continue
    return out


def render_diff(changes: list[FileChange]) -> str:
    """A unified diff of the changes (`/dev/null` for new files)."""
    chunks: list[str] = []
    for change in changes:
        label = change.label or str(change.path)
        before = (change.before or "").splitlines(keepends=True)
        after = change.after.splitlines(keepends=True)
        for lines in (before, after):
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n\\ No newline at end of file\n"
        chunks.extend(f"note: {note}\n" for note in change.notes)
        if change.before is None:
            mode = change.mode if change.mode is not None else 0o644
            chunks.append(f"new file {label} (mode {mode:o})\n")
        chunks.extend(difflib.unified_diff(
            before, after, fromfile="/dev/null" if change.before is None else f"a/{label}", tofile=f"b/{label}"))
    return "".join(chunks)


def _inside(path: Path, root: Path) -> Path:
    resolved = (path.parent.resolve() / path.name) if not path.exists() else path.resolve()
    if path.is_symlink():
        raise FixError(f"{path}: a symbolic link; not written")
    try:
        resolved.relative_to(root)
    except ValueError:
        raise FixError(f"{path}: outside the project's repository ({root}); not written") from None
    return resolved


def apply(target: Target, changes: list[FileChange], allow_ignored: bool = False) -> list[Path]:
    """Write the changes in order (atomically, each old version backed up); return the backups.

    Raises FixError when a file changed since the plan, lies outside the repository, is an
    existing env file, a new `.env` would not be ignored by git, or — unless `allow_ignored` — git
    ignores a file it would write (a deploy built from git would never see the fix). Nothing is
    written when any change is refused.
    """
    from readiness_tui.store import atomic_write, private_dirs

    root = _root(target)
    ignored = [c for c in changes if c.ignored_by]
    if ignored and not allow_ignored:
        first = ignored[0]
        raise FixError(f"{first.label}: git ignores it ({first.ignored_by}), so a deploy from git would not carry "
                       f"the fix; track it (git add -f {first.label}) or change the rule, or apply anyway with "
                       "--allow-ignored")
    backups: list[Path] = []
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for change in changes:
        path = _inside(change.path, root)
        name = path.name
        env_like = name == ".env" or name.startswith(".env.")
        if env_like and change.before is not None:
            raise FixError(f"{path}: readiness never edits an existing env file")
        current = _read(path)
        if current != change.before:
            raise FixError(f"{path}: changed since the fix was planned; run the fix again")
        if env_like and target.settings.repo_root is not None:
            rel = path.relative_to(target.settings.repo_root.resolve()).as_posix()
            if not is_ignored(target.settings.repo_root, rel):
                raise FixError(f"{rel}: not ignored by git; add it to .gitignore first (readiness fix 1.7)")
        mode = change.mode
        if current is not None:
            backup_dir = private_dirs(target.settings.project_dir / BACKUP_DIR)
            keep_local = backup_dir / ".gitignore"
            if not keep_local.exists():
                # Backups are this machine's undo copies, never something to commit.
                keep_local.write_text("*\n")
            label = path.relative_to(root).as_posix().replace("/", "__")
            backup = backup_dir / f"{label}.readiness-bak-{stamp}"
            n = 1
            while backup.exists():
                backup = backup_dir / f"{label}.readiness-bak-{stamp}-{n}"
                n += 1
            shutil.copy2(path, backup)
            backup.chmod(0o600)
            backups.append(backup)
            if mode is None:
                mode = os.stat(path).st_mode & 0o7777
        atomic_write(path, change.after.encode("utf-8"), mode=mode if mode is not None else 0o644)
    return backups
