"""`readiness init`: a commented starting `readiness.toml` from what the project shows.

Discovery is static and bounded: the project's `.env` (only the public URLs; never a secret or
a URL with credentials in it), Docker Compose files (container name, image, published ports),
directories of SQL migrations, log and backup directories, and the test and validation commands
a reader of the repository would run. Nothing from the project runs.

This is the seam where issue 12a's project map (`readiness_tui.projectmap`) plugs in when it
lands: `discover()` is the only function that looks at the project; `render()` only writes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from readiness_tui import fileio
from readiness_tui.model import now_iso
from readiness_tui.redact import redact_url
from readiness_tui.values import is_placeholder

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
SKIP_DIRS = {".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", ".readiness", ".tox",
             ".mypy_cache", ".pytest_cache", "site-packages", "dist", "build"}
MAX_DEPTH = 4
MAX_DIRS = 2000
#: .env names of URLs that are not secrets and may be shown (as comments: .env already sets them).
PUBLIC_URLS = {"BACKEND_API_URL": "backend_url", "FRONTEND_URL": "frontend_url", "SUPABASE_URL": "supabase_url"}


@dataclass
class Found:
    """One value for readiness.toml and where it was found (shown beside it)."""

    value: object
    where: str
    active: bool = True
    """False: written commented out (another source already provides it)."""


@dataclass
class Discovery:
    """What `discover` found: [target] keys and [commands] entries."""

    target: dict[str, Found] = field(default_factory=dict)
    commands: dict[str, Found] = field(default_factory=dict)
    secrets_seen: list[str] = field(default_factory=list)
    """Secret names the project's .env sets (named in a comment, values never read out)."""


def _walk_dirs(root: Path) -> list[Path]:
    """Directories under root, breadth first, bounded in depth and count, skipping vendored trees."""
    found: list[Path] = []
    queue = [(root, 0)]
    while queue and len(found) < MAX_DIRS:
        current, depth = queue.pop(0)
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                path = Path(entry.path)
                found.append(path)
                if depth + 1 < MAX_DEPTH:
                    queue.append((path, depth + 1))
    return found


def _public_url(value: str) -> bool:
    return bool(value) and not is_placeholder(value) and redact_url(value) == value and "@" not in value


def _services(lines: list[str]) -> list[tuple[str, int, list[tuple[int, str]]]]:
    """The services of a Compose file: (name, line, [(line number, text), ...]) by indentation."""
    services: list[tuple[str, int, list[tuple[int, str]]]] = []
    level: int | None = None
    inside = False
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            inside = line.startswith("services:")
            level = None
            continue
        if not inside:
            continue
        if level is None:
            level = indent
        if indent == level and (m := re.match(r"^\s*['\"]?([A-Za-z0-9][A-Za-z0-9_.-]*)['\"]?:\s*(?:#.*)?$", line)):
            services.append((m.group(1), number, []))
        elif services and indent > level:
            services[-1][2].append((number, line))
    return services


def _compose(root: Path, d: Discovery) -> None:
    try:
        names = {entry.name.lower(): entry.name for entry in os.scandir(root) if entry.is_file()}
    except OSError:
        return
    for wanted in COMPOSE_FILES:
        if wanted not in names:  # `Docker-compose.yml` is committed too (it works on macOS disks)
            continue
        name = names[wanted]
        path = root / name
        try:
            lines = fileio.read_text(path, fileio.MAX_TEXT, "a compose file", cut=True).splitlines()[:5000]
        except fileio.FileProblem:
            continue
        services = _services(lines)
        # The frontend: the service that mentions streamlit or port 8501, else the first with a container name.
        def is_frontend(body: list[tuple[int, str]]) -> bool:
            return any("streamlit" in text.lower() or "8501" in text for _, text in body)

        ordered = sorted(services, key=lambda s: not is_frontend(s[2]))
        for service, number, body in ordered:
            for line_no, text in body:
                if m := re.match(r"^\s*container_name:\s*['\"]?([A-Za-z0-9][A-Za-z0-9_.-]*)", text):
                    d.target.setdefault("container", Found(m.group(1), f"{name}:{line_no} ({service})"))
                elif (m := re.match(r"^\s*image:\s*['\"]?([^\s'\"#]+)", text)) and is_frontend(body):
                    d.target.setdefault("image", Found(m.group(1), f"{name}:{line_no} ({service})"))
                elif re.search(r"\b8501:\d+", text):
                    d.target.setdefault("frontend_url", Found("http://localhost:8501", f"{name}:{line_no} ({service}) publishes 8501"))
                elif m := re.search(r"\b(8000):\d+", text):
                    d.target.setdefault("backend_url", Found("http://localhost:8000", f"{name}:{line_no} ({service}) publishes 8000"))
            if "container" not in d.target and is_frontend(body):
                d.target["container"] = Found(service, f"{name}:{number} (service name; no container_name)", active=False)
        return


def _head(path: Path) -> str:
    """The first MAX_TEXT bytes of a file as text ("" for a FIFO, a device or an unreadable file: never waited on)."""
    try:
        return fileio.read_text(path, fileio.MAX_TEXT, "a project file", cut=True)
    except fileio.FileProblem:
        return ""


def _env(root: Path, d: Discovery) -> None:
    from readiness_tui.errors import UsageError
    from readiness_tui.settings import SECRET_NAMES, parse_env_file

    path = root / ".env"
    if not path.is_file():
        return
    try:
        entries = parse_env_file(path)
    except UsageError:
        return
    for entry in entries:
        if entry.key in PUBLIC_URLS and _public_url(entry.value):
            key = PUBLIC_URLS[entry.key]
            d.target[key] = Found(entry.value, f".env:{entry.line} {entry.key} already sets it", active=False)
        elif entry.key in SECRET_NAMES and entry.value:
            d.secrets_seen.append(entry.key)


def _directories(root: Path, d: Discovery) -> None:
    dirs = _walk_dirs(root)
    for path in dirs:
        rel = path.relative_to(root).as_posix()
        if path.name == "migrations" and "migrations_dir" not in d.target:
            sql = sorted(p.name for p in path.glob("*.sql"))
            if sql:
                d.target["migrations_dir"] = Found(rel, f"{len(sql)} .sql file(s)")
        elif path.name in ("logs", "log") and "log_dir" not in d.target and path.parent == root:
            d.target["log_dir"] = Found(rel, "a log directory")
        elif path.name in ("backups", "backup") and "backup_dir" not in d.target and path.parent == root:
            d.target["backup_dir"] = Found(rel, "a backup directory")
    # Test suites a reader would run: pytest where tests/ sits beside a pytest configuration.
    for base in [root, *[p for p in dirs if p.parent == root]]:
        tests = base / "tests"
        if not tests.is_dir():
            continue
        configured = any((base / f).is_file() for f in ("pytest.ini", "conftest.py", "tox.ini", "setup.cfg")) or (
            (base / "pyproject.toml").is_file() and "[tool.pytest" in _head(base / "pyproject.toml"))
        if configured or any(tests.glob("test_*.py")):
            rel = base.relative_to(root).as_posix()
            entry: dict[str, object] = {"argv": ["python", "-m", "pytest", "-q", "tests"]}
            if rel != ".":
                entry["cwd"] = rel
            d.commands.setdefault("unit_tests", Found([], "pytest suites found"))
            value = d.commands["unit_tests"].value
            assert isinstance(value, list)
            value.append(entry)
    for pattern in ("scripts/validate*.py", "*/scripts/validate*.py"):
        script = next(iter(sorted(root.glob(pattern))), None)
        if script is not None:
            rel_dir = script.parent.parent.relative_to(root).as_posix()
            validation: dict[str, object] = {"argv": ["python", script.relative_to(script.parent.parent).as_posix()]}
            if rel_dir != ".":
                validation["cwd"] = rel_dir
            d.commands["validation"] = Found([validation], f"{script.relative_to(root).as_posix()} (item 7.7)")
            break


def discover(project: Path) -> Discovery:
    """What the project shows about its deployment (static: nothing runs, no secret is kept)."""
    d = Discovery()
    _env(project, d)
    _compose(project, d)
    _directories(project, d)
    return d


def _toml(value: object) -> str:
    import tomlkit

    return tomlkit.item(value).as_string()


def _command(entries: list[dict[str, object]]) -> str:
    if len(entries) == 1 and set(entries[0]) == {"argv"}:
        return _toml(entries[0]["argv"])
    parts = []
    for entry in entries:
        inner = ", ".join(f"{k} = {_toml(v)}" for k, v in entry.items())
        parts.append("{ " + inner + " }")
    return "[" + ", ".join(parts) + "]"


def render(d: Discovery, project: Path) -> str:
    """The commented readiness.toml text for a discovery."""
    out = [
        "# readiness.toml: where readiness-tui finds the deployment it checks (docs/configuration.md).",
        f"# Written by `readiness init` at {now_iso()} from what it found in {project.name or project};",
        "# review every value. Secrets never go here: keep them in the environment, the git-ignored",
        "# .env, or the OS keyring (`readiness credentials set NAME`). Precedence: environment, keyring,",
        "# this file, .env.",
        "",
        "[target]",
    ]
    order = ["backend_url", "frontend_url", "supabase_url", "container", "image", "migrations_dir", "log_dir",
             "backup_dir"]
    for key in order:
        found = d.target.get(key)
        if found is None:
            continue
        if found.active:
            out.append(f"{key} = {_toml(found.value)}  # {found.where}")
        else:
            out.append(f"# {key} = {_toml(found.value)}  # {found.where}")
    missing = [k for k in ("backend_url", "frontend_url", "container", "migrations_dir") if k not in d.target]
    if missing:
        out.append(f"# Not found, defaults apply (docs/configuration.md): {', '.join(missing)}")
    secrets = sorted(set(d.secrets_seen))
    if secrets:
        out.append(f"# Secrets .env sets (values not copied): {', '.join(secrets)}")
    out += ["", "# The project's own commands run only with --run-project-commands (items 7.7, 8.1-8.4).",
            "[commands]"]
    if d.commands:
        for key, found in d.commands.items():
            assert isinstance(found.value, list)
            out.append(f"{key} = {_command(found.value)}  # {found.where}")
    else:
        out.append('# unit_tests = ["python", "-m", "pytest", "-q"]')
    return "\n".join(out) + "\n"
