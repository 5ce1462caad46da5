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
from dataclasses import dataclass
from pathlib import Path
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


def _change(target: Target, path: Path, before: str | None, after: str, mode: int | None = None) -> list[FileChange]:
    if before == after:
        return []
    return [FileChange(path, before, after, mode, _label(target, path))]


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


def _gitignore_lines_needed(target: Target, existing: str) -> list[str]:
    present = {ln.strip() for ln in existing.splitlines()}
    root = target.settings.repo_root
    if root is None:
        return [ln for ln in ENV_IGNORE_LINES if ln not in present]
    need: list[str] = []
    if not is_ignored(root, _env_rel(target, ".env")):
        need.append(".env")
    if not is_ignored(root, _env_rel(target, ".env.production")):
        need.append(".env.*")
    if need or is_ignored(root, _env_rel(target, ".env.example")):
        need.append("!.env.example")
    return need


def plan_gitignore(target: Target) -> list[FileChange]:
    """Append `.env`, `.env.*` and `!.env.example` to the repository's `.gitignore` where missing."""
    path = _root(target) / ".gitignore"
    before = _read(path)
    text = before or ""
    need = _gitignore_lines_needed(target, text)
    if not need:
        return []
    if text and not text.endswith("\n"):
        text += "\n"
    block = ("\n" if text.strip() else "") + "# Environment files hold secrets (readiness fix)\n" + \
        "".join(f"{ln}\n" for ln in need)
    return _change(target, path, before, text + block)


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


def _plan_streamlit(target: Target, table: str, key: str, value: Any) -> list[FileChange]:
    path = _config_path(target)
    before = _read(path)
    try:
        after = set_toml_value(before or "", table, key, value)
    except FixError as exc:
        raise FixError(f"{path}: {exc}") from None
    if before is None:
        after = f"# Streamlit configuration (written by readiness fix)\n{after.lstrip()}"
    return _change(target, path, before, after)


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
    """Write `deploy/logrotate/<name>`: the seed's rule for the log directory, to install on the host."""
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


REGISTRY: tuple[Fix, ...] = (
    Fix("gitignore-env", "add .env and .env.* (keeping !.env.example) to .gitignore", ("1.7", "1.6"),
        plan_gitignore),
    Fix("create-env", "create the missing .env from the checklist's template (placeholders only, mode 0600)",
        ("1.1",), plan_env_file),
    Fix("streamlit-xsrf", "set enableXsrfProtection = true under [server] in .streamlit/config.toml",
        ("3.2",), plan_xsrf),
    Fix("streamlit-error-details", 'set showErrorDetails = "type" under [client] in .streamlit/config.toml',
        ("3.8",), plan_error_details),
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


def apply(target: Target, changes: list[FileChange]) -> list[Path]:
    """Write the changes in order (atomically, each old version backed up); return the backups.

    Raises FixError when a file changed since the plan, lies outside the repository, is an
    existing env file, or a new `.env` would not be ignored by git.
    """
    from readiness_tui.store import atomic_write

    root = _root(target)
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
            backup_dir = target.settings.project_dir / BACKUP_DIR
            backup_dir.mkdir(parents=True, exist_ok=True)
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
            backups.append(backup)
            if mode is None:
                mode = os.stat(path).st_mode & 0o7777
        atomic_write(path, change.after.encode("utf-8"), mode=mode if mode is not None else 0o644)
    return backups
