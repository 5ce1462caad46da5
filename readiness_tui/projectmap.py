"""The project map: what a repository contains and what its code uses, read once per run.

Checks ask the map instead of guessing paths (docs/project-map.md). It lists

- **components**: Streamlit apps (folder + entry script), backends (folder + framework, with their
  CORS, rate-limit and API-docs settings), migrations folders, `.streamlit/` folders, env templates;
- **deployment descriptors**: compose files and their services, Dockerfiles (stages with
  CMD/ENTRYPOINT/ENV/COPY/WORKDIR), Procfile, render.yaml, fly.toml, railway.toml, launcher scripts;
- **services the code uses** (Supabase, Postgres, Redis, Pusher, Sentry, OpenTelemetry, …), each with
  `file:line`, and the environment-variable names the code reads for them;
- **Streamlit options** as each deployment resolves them, with Streamlit's own precedence (CLI flags,
  then `STREAMLIT_*` environment, then the `config.toml` the deployment ships, then defaults), each
  with its source.

The map reads files only and never runs project code. It is bounded: at most `MAX_FILES` files are
listed, files over `MAX_FILE_BYTES` are not read, `MAX_TOTAL_BYTES` caps what is read in all, symbolic
links are never followed. Files under tests, fixtures, notebooks, load tests, vendored, backup and
scanner-output folders are listed but *excluded from evidence* (`excluded(rel)` says why).

Public API (small on purpose): `build(root, env, environ)`, `ProjectMap` with `files()`,
`text(rel)`, `excluded(rel)`, `is_evidence(rel)`, `uses(service)`, `used(service)`, `env_names(service)`,
`streamlit_apps`, `backends`, `launches`, `streamlit_option(option)`, `to_dict()`, `summary_lines()`.
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import json
import os
import posixpath
import re
import shlex
import subprocess
import threading
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from readiness_tui import fileio, gitutil

#: Files listed at most (tracked and untracked-but-not-ignored, or a walk without git).
MAX_FILES = 20_000
#: Files larger than this are listed but never read.
MAX_FILE_BYTES = 512 * 1024
#: Bytes read in all by one map.
MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: Usages kept per service (the most relevant first).
MAX_USES = 25

# --------------------------------------------------------------------------------------------- files

CODE_EXT = {".py", ".pyw", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".rb", ".java", ".kt", ".rs",
            ".php", ".cs", ".ex", ".exs", ".scala", ".swift"}
CONFIG_EXT = {".toml", ".yml", ".yaml", ".json", ".ini", ".cfg", ".conf", ".env", ".properties", ".tf", ".hcl"}
DOC_EXT = {".md", ".markdown", ".rst", ".txt", ".adoc"}
SCRIPT_EXT = {".sh", ".bash", ".zsh", ".ps1", ".bat", ".cmd"}

#: Folder names whose files are not evidence of how the application is configured, with the reason.
EXCLUDED_DIRS: dict[str, str] = {
    **dict.fromkeys(("tests", "test", "__tests__", "testing", "spec", "specs", "e2e", "cypress", "integration_tests",
                     "unit_tests", "unittests"), "tests"),
    **dict.fromkeys(("fixtures", "fixture", "__fixtures__", "testdata", "test_data", "mocks", "__mocks__"), "fixtures"),
    **dict.fromkeys(("notebooks", "notebook", ".ipynb_checkpoints"), "notebooks"),
    **dict.fromkeys(("locust", "locustfiles", "load_tests", "load-tests", "loadtest", "loadtests", "load_testing",
                     "k6", "benchmarks", "benchmark", "perf_tests", "stress_tests"), "load tests"),
    **dict.fromkeys(("node_modules", "vendor", "vendors", "third_party", "third-party", "site-packages", ".venv",
                     "venv", "virtualenv", "bower_components", "__pycache__", ".tox", ".nox", ".mypy_cache",
                     ".pytest_cache", ".ruff_cache", "dist", "build", ".next", ".nuxt", ".svelte-kit", ".git",
                     ".readiness", ".cache", ".idea", ".vscode"), "vendored or generated"),
    **dict.fromkeys((".rollback", "rollback_backups", "backup", "backups", ".backup", ".backups", "archive",
                     "archived", "_archive", "old", ".old", "deprecated", "_deprecated", "attic", "trash"), "backup"),
    **dict.fromkeys((".sonarqube", ".scannerwork", "htmlcov", "coverage", ".coverage", ".nyc_output", "sonar-reports"),
                    "scanner output"),
    **dict.fromkeys(("examples", "example", "samples", "sample", "tutorials", "tutorial", "cookbook"), "examples"),
    **dict.fromkeys((".github", ".gitlab", ".circleci", ".buildkite", ".azure-pipelines", ".woodpecker"), "CI"),
}
LOCKFILES = {"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "pipfile.lock", "uv.lock",
             "cargo.lock", "go.sum", "composer.lock", "gemfile.lock", "requirements-frozen.txt", "bun.lockb",
             "npm-shrinkwrap.json", "pdm.lock"}
_TEST_FILE = re.compile(r"^(test_.+\.py|.+_test\.(py|go)|.+\.(test|spec)\.[jt]sx?|conftest\.py|locustfile.*\.py|"
                        r".+_spec\.rb)$", re.IGNORECASE)
_BACKUP_FILE = re.compile(r"(\.(bak|backup|orig|old|deprecated|save|swp)$|~$|\.(bak|backup)[._-]|"
                          r"[._-]backup[._-]?\d)", re.IGNORECASE)
_CI_FILES = {".gitlab-ci.yml", "azure-pipelines.yml", "jenkinsfile", "bitbucket-pipelines.yml", ".travis.yml",
             "cloudbuild.yaml", "cloudbuild.yml", "buildspec.yml"}


@functools.lru_cache(maxsize=65536)
def exclusion(rel: str) -> str | None:
    """Why a repository path is not evidence of the application's configuration, or None when it is.

    Tests, fixtures, notebooks, load-test scripts, vendored and generated folders, backups, scanner
    output, examples, CI definitions and lockfiles are excluded (docs/project-map.md).
    """
    parts = rel.split("/")
    for part in parts[:-1]:
        reason = EXCLUDED_DIRS.get(part.lower())
        if reason:
            return reason
        if part.lower().startswith((".rollback", "backup_", "backup-")):
            return "backup"
    name = parts[-1].lower() if parts else ""
    if name in LOCKFILES:
        return "lockfile"
    if name in _CI_FILES:
        return "CI"
    if name.endswith(".ipynb"):
        return "notebooks"
    if _TEST_FILE.match(name):
        return "load tests" if name.startswith("locustfile") else "tests"
    if _BACKUP_FILE.search(name) and not name.startswith(".env"):
        return "backup"
    return None


@functools.lru_cache(maxsize=65536)
def file_kind(rel: str) -> str:
    """`deploy`, `code`, `script`, `config`, `docs` or `other` (by name, never by content)."""
    folder, _, base = rel.rpartition("/")
    name = base.lower()
    suffix = name[name.rfind("."):] if "." in name.lstrip(".") else ""
    if is_dockerfile(rel) or is_compose_file(rel) or name in ("procfile", "render.yaml", "render.yml", "fly.toml",
                                                               "railway.toml", "railway.json", "app.yaml",
                                                               "nixpacks.toml", "heroku.yml", "vercel.json",
                                                               "netlify.toml", "nginx.conf", "caddyfile",
                                                               "supervisord.conf"):
        return "deploy"
    if name == "config.toml" and folder.rpartition("/")[2] == ".streamlit":
        return "deploy"
    if suffix in CODE_EXT:
        return "code"
    if suffix in SCRIPT_EXT or name in ("makefile", "justfile", "entrypoint", "crontab"):
        return "script"
    if suffix in CONFIG_EXT or name.startswith(".env") or name.endswith(".env") or name.endswith(".env.example"):
        return "config"
    if suffix in DOC_EXT or name in ("readme", "license", "changelog"):
        return "docs"
    return "other"


def is_dockerfile(rel: str) -> bool:
    """`Dockerfile`, `Dockerfile.prod`, `frontend.Dockerfile`, `dockerfile` (not `.dockerignore`)."""
    name = rel.rpartition("/")[2].lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile") or \
        name.startswith("dockerfile-")


def is_compose_file(rel: str) -> bool:
    """`docker-compose.yml`, `compose.prod.yaml`, `app.compose.yml`, … ."""
    name = rel.rpartition("/")[2].lower()
    return "compose" in name and bool(re.match(r"^((docker-)?compose([._-][\w.-]+)?|[\w.-]+[._-]compose)\.ya?ml$", name))


_DEV_NAME = re.compile(r"(^|[._-])(dev|develop|development|local|debug|test|testing|ci|override|example|sample)"
                       r"([._-]|$)", re.IGNORECASE)


def is_dev_name(name: str) -> bool:
    """True for descriptor or stage names meant for development (`docker-compose.dev.yml`, stage `development`)."""
    return bool(_DEV_NAME.search(name))


_PROD_NAME = re.compile(r"(^|[._-])(prod|production|release|live)([._-]|$)", re.IGNORECASE)


def is_prod_name(name: str) -> bool:
    """True for descriptor or stage names meant for production (`Dockerfile.prod`, `docker-compose.production.yml`)."""
    return bool(_PROD_NAME.search(name))


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Use:
    """Where the repository uses something: `file:line` and what was seen there."""

    file: str
    line: int
    what: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        return f"{self.where} {self.what}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "what": self.what}


@dataclass
class DockerCopy:
    """One COPY/ADD of a Dockerfile stage (paths as written; `dest` made absolute against WORKDIR)."""

    sources: list[str]
    dest: str
    line: int
    from_stage: str | None = None
    context: str | None = None
    """Repository folder the sources are relative to (None: the build context; set for compose bind mounts)."""


@dataclass
class DockerStage:
    """One stage of a Dockerfile, with what it inherits from an earlier stage it is built `FROM`."""

    name: str | None
    base: str
    line: int
    workdir: str = "/"
    user: str | None = None
    env: dict[str, tuple[str, int]] = field(default_factory=dict)
    copies: list[DockerCopy] = field(default_factory=list)
    cmd: list[str] | None = None
    cmd_line: int = 0
    entrypoint: list[str] | None = None
    entrypoint_line: int = 0
    expose: list[str] = field(default_factory=list)

    def command(self) -> tuple[list[str], int]:
        """(argv, line) the container runs: ENTRYPOINT + CMD (exec form) or whichever is set."""
        entry = self.entrypoint or []
        cmd = self.cmd or []
        line = self.cmd_line or self.entrypoint_line
        return entry + cmd, line


@dataclass
class Dockerfile:
    """A parsed Dockerfile: its stages in order."""

    path: str
    stages: list[DockerStage] = field(default_factory=list)

    @property
    def context(self) -> str:
        """The default build context: the Dockerfile's folder (repository-relative, "" for the root)."""
        parent = posixpath.dirname(self.path)
        return parent

    def stage(self, target: str | None = None) -> DockerStage | None:
        """The stage a build produces: `target`, else a stage named like production, else the last."""
        if not self.stages:
            return None
        if target:
            for stage in self.stages:
                if stage.name and stage.name.lower() == target.lower():
                    return stage
        prod = [s for s in self.stages if s.name and re.fullmatch(r"(prod|production|release|runtime|final|runner)",
                                                                  s.name, re.IGNORECASE)]
        return prod[-1] if prod else self.stages[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "stages": [{
                "name": s.name, "from": s.base, "line": s.line, "workdir": s.workdir,
                "cmd": safe_argv(s.cmd), "entrypoint": safe_argv(s.entrypoint), "env": sorted(s.env),
                "expose": s.expose,
                "copy": [{"from": c.sources, "to": c.dest, "line": c.line, **({"stage": c.from_stage}
                                                                            if c.from_stage else {})}
                         for c in s.copies][:30],
            } for s in self.stages],
        }


@dataclass
class ComposeService:
    """One service of a compose file (environment values stay in memory; `to_dict` names only keys)."""

    file: str
    name: str
    line: int
    image: str | None = None
    build_context: str | None = None
    dockerfile: str | None = None
    target: str | None = None
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    env_files: list[str] = field(default_factory=list)
    logging: dict[str, Any] | None = None
    profiles: list[str] = field(default_factory=list)
    ports: list[str] = field(default_factory=list)
    mounts: list[tuple[str, str]] = field(default_factory=list)
    """Bind mounts of repository folders: (repository path, container path)."""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def max_size(self) -> str | None:
        """The json-file log rotation size (`logging: options: max-size`), or None."""
        opts = (self.logging or {}).get("options") or {}
        value = opts.get("max-size") if isinstance(opts, dict) else None
        return str(value) if value not in (None, "") else None

    @property
    def log_driver(self) -> str | None:
        driver = (self.logging or {}).get("driver")
        return str(driver) if driver else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "line": self.line, "image": self.image, "build": self.build_context,
            "dockerfile": self.dockerfile, "target": self.target, "command": safe_argv(self.command),
            "environment": sorted(self.environment), "env_files": self.env_files,
            "logging": {"driver": self.log_driver, "max_size": self.max_size} if self.logging else None,
            "profiles": self.profiles, "ports": self.ports,
        }


@dataclass
class ComposeFile:
    """A compose file and its services (`dev` when its name says it is for development)."""

    path: str
    services: list[ComposeService] = field(default_factory=list)
    problem: str | None = None

    @property
    def dev(self) -> bool:
        return is_dev_name(PurePosixPath(self.path).name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "dev": self.dev, "services": [s.to_dict() for s in self.services]}
        if self.problem:
            out["problem"] = self.problem
        return out


@dataclass
class Backend:
    """A backend application: its folder, framework, entry `file:line`, and what its code configures."""

    folder: str
    framework: str
    entry: Use
    cors: list[dict[str, Any]] = field(default_factory=list)
    rate_limits: list[Use] = field(default_factory=list)
    api_docs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"folder": self.folder, "framework": self.framework, "entry": self.entry.to_dict(),
                "cors": self.cors, "rate_limits": [u.to_dict() for u in self.rate_limits],
                "api_docs": self.api_docs}


@dataclass
class StreamlitApp:
    """A Streamlit app: its folder and entry script (repository-relative)."""

    folder: str
    entry: str
    evidence: Use
    pages: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"folder": self.folder, "entry": self.entry, "evidence": self.evidence.to_dict(), "pages": self.pages}


@dataclass
class OptionValue:
    """A Streamlit option's effective value for one deployment and where it comes from."""

    value: Any
    source: str
    kind: str
    """`flag`, `env`, `config`, `default`."""
    file: str | None = None
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "kind": self.kind}


@dataclass
class ConfigFile:
    """A `.streamlit/config.toml` a deployment reads: where it is in the repository and its state."""

    path: str
    """Repository-relative path of the file (or of where it would be)."""
    role: str
    """`project` (the working directory's), `script` (beside the entry script), `global` (~/.streamlit)."""
    state: str
    """`tracked`, `untracked` (present, not ignored, not committed), `ignored` (present, ignored by git),
    `absent`, `template` (absent; a tracked example beside it is what a deploy copies)."""
    rule: str | None = None
    """The .gitignore rule that ignores it (file:line:pattern)."""
    template: str | None = None
    data: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def read(self) -> bool:
        """True when the deployment reads this file's values (it exists and git would carry it)."""
        return self.data is not None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "role": self.role, "state": self.state}
        for key in ("rule", "template", "problem"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass
class Launch:
    """How a deployment starts Streamlit: the command, its environment and the config files it reads."""

    kind: str
    """`dockerfile`, `compose`, `procfile`, `render`, `fly`, `railway`, `script`, `none`."""
    where: str
    """`file:line` of the command (or of the app when no deployment descriptor was found)."""
    argv: list[str]
    app: str | None = None
    """The entry script, repository-relative when it could be placed."""
    env: dict[str, tuple[str, str]] = field(default_factory=dict)
    """STREAMLIT_* variables the deployment sets: name -> (value, where)."""
    configs: list[ConfigFile] = field(default_factory=list)
    """Config files in Streamlit's order, lowest precedence first."""
    dev: bool = False
    dockerfile: str | None = None
    """The Dockerfile whose flags a fix would edit (for `dockerfile`/`compose` launches built from one)."""
    options: dict[str, OptionValue] = field(default_factory=dict)
    command_where: str = ""
    """`file:line` of the command's flags (the Dockerfile CMD, the compose `command:`, the launcher script)."""

    @property
    def fix_config(self) -> str | None:
        """Where a setting belongs for this deployment: the project config.toml it ships (repository path)."""
        project = [c for c in self.configs if c.role in ("project", "script")]
        for config in reversed(project):
            if config.state in ("tracked", "untracked", "ignored", "template"):
                return config.path
        return project[0].path if project else None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "where": self.where, "app": self.app, "dev": self.dev,
                "command": safe_argv(self.argv[:24]),
                "env": {k: {"value": v, "where": w} for k, (v, w) in self.env.items()},
                "configs": [c.to_dict() for c in self.configs],
                "options": {k: v.to_dict() for k, v in self.options.items()}}


# --------------------------------------------------------------------------------------------- services

#: Services the map reports, with the words a reviewer reads.
SERVICES: dict[str, str] = {
    "supabase": "Supabase", "postgres": "PostgreSQL", "sql": "an SQL database (driver or ORM)",
    "sqlite": "SQLite", "mysql": "MySQL", "mongodb": "MongoDB", "redis": "Redis", "pusher": "Pusher",
    "sentry": "Sentry", "opentelemetry": "OpenTelemetry", "datadog": "Datadog", "newrelic": "New Relic",
    "prometheus": "Prometheus", "celery": "Celery", "kafka": "Kafka", "backend_api": "a backend API (called by the frontend)",
}

# (service, language group, compiled pattern, what) — a line matching the pattern is a use.
_PY = "py"
_JS = "js"
_GO = "go"
_ANY = "any"
_RULES: list[tuple[str, str, re.Pattern[str], str]] = [
    ("supabase", _PY, re.compile(r"^\s*(from\s+supabase(\.\w+)*\s+import|import\s+supabase\b)"), "import supabase"),
    ("supabase", _PY, re.compile(r"\bfrom\s+st_supabase_connection\s+import|SupabaseConnection\b"),
     "st_supabase_connection"),
    ("supabase", _ANY, re.compile(r"\bcreateClient\s*\(|\bcreate_client\s*\("), "create_client()"),
    ("supabase", _JS, re.compile(r"""['"]@supabase/(supabase-js|ssr|auth-helpers[\w-]*)['"]"""), "@supabase/supabase-js"),
    ("supabase", _ANY, re.compile(r"/rest/v1/|/auth/v1/"), "Supabase REST path"),
    ("postgres", _PY, re.compile(r"^\s*(import|from)\s+(psycopg2?|psycopg_pool|asyncpg|pg8000)\b"), "Postgres driver"),
    ("postgres", _ANY, re.compile(r"""['"]postgres(ql)?(\+\w+)?://"""), "postgres:// URL"),
    ("postgres", _GO, re.compile(r'"github\.com/(lib/pq|jackc/pgx[\w/]*)"'), "Go Postgres driver"),
    ("postgres", _JS, re.compile(r"""(require\(\s*|from\s+)['"](pg|postgres|pg-promise)['"]"""), "Node Postgres driver"),
    ("postgres", _PY, re.compile(r"django\.db\.backends\.postgresql"), "Django PostgreSQL backend"),
    ("sql", _PY, re.compile(r"^\s*(from|import)\s+(sqlalchemy|sqlmodel|databases|tortoise|peewee|django\.db)\b"),
     "SQL ORM/driver import"),
    ("sql", _PY, re.compile(r"\bcreate_(async_)?engine\s*\("), "SQLAlchemy create_engine()"),
    ("sql", _PY, re.compile(r"\bst\.(experimental_)?connection\s*\([^)]*type\s*=\s*['\"]sql['\"]|"
                            r"\bst\.(experimental_)?connection\s*\(\s*['\"](sql|postgresql|postgres)['\"]"),
     "st.connection (SQL)"),
    ("sql", _GO, re.compile(r'"database/sql"'), "Go database/sql"),
    ("sql", _JS, re.compile(r"""['"](@prisma/client|sequelize|typeorm|knex|drizzle-orm)['"]"""), "Node ORM"),
    ("sqlite", _PY, re.compile(r"^\s*import\s+(sqlite3|aiosqlite)\b|\bsqlite3\.connect\s*\("), "sqlite3"),
    ("sqlite", _ANY, re.compile(r"""['"]sqlite(\+\w+)?:///"""), "sqlite:// URL"),
    ("mysql", _PY, re.compile(r"^\s*(import|from)\s+(pymysql|mysql\.connector|MySQLdb|aiomysql)\b"), "MySQL driver"),
    ("mongodb", _PY, re.compile(r"^\s*(import|from)\s+(pymongo|motor|mongoengine|beanie)\b"), "MongoDB driver"),
    ("redis", _PY, re.compile(r"^\s*(import\s+(redis|aioredis)\b|from\s+(redis|aioredis)(\.\w+)*\s+import)"),
     "import redis"),
    ("redis", _PY, re.compile(r"\b(redis\.(asyncio\.)?(Strict)?Redis|Redis\.from_url|redis\.from_url|"
                              r"ConnectionPool\.from_url)\b|\bRedis\s*\("), "Redis client"),
    ("redis", _PY, re.compile(r"django_redis|RedisCache\b|flask_caching.*redis|CACHE_TYPE.*[Rr]edis"), "Redis cache"),
    ("redis", _ANY, re.compile(r"""['"]rediss?://"""), "redis:// URL"),
    ("redis", _JS, re.compile(r"""(require\(\s*|from\s+)['"](ioredis|redis|@upstash/redis)['"]"""), "Node Redis client"),
    ("redis", _GO, re.compile(r'"github\.com/(go-redis/redis|redis/go-redis)[\w/]*"'), "Go Redis client"),
    ("pusher", _PY, re.compile(r"^\s*(import\s+pusher\b|from\s+pusher\s+import)|\bpusher\.Pusher\s*\("), "Pusher client"),
    ("pusher", _ANY, re.compile(r"js\.pusher\.com|pusher-js|new\s+Pusher\s*\(|\bPusher\s*\(\s*['\"`{]"),
     "Pusher JS"),
    ("sentry", _ANY, re.compile(r"\bsentry_sdk\b|@sentry/|\bSentry\.init\s*\("), "Sentry SDK"),
    ("opentelemetry", _ANY, re.compile(r"\bopentelemetry\b|@opentelemetry/"), "OpenTelemetry SDK"),
    ("datadog", _ANY, re.compile(r"\bddtrace\b|\bfrom\s+datadog\b|dd-trace"), "Datadog"),
    ("newrelic", _ANY, re.compile(r"^\s*import\s+newrelic\b|newrelic\.agent|require\(['\"]newrelic['\"]\)"),
     "New Relic agent"),
    ("prometheus", _ANY, re.compile(r"\bprometheus_client\b|prometheus_fastapi_instrumentator|prometheus_flask_exporter|"
                                    r"prom-client"), "Prometheus client"),
    ("celery", _PY, re.compile(r"^\s*from\s+celery\s+import|\bCelery\s*\("), "Celery"),
    ("kafka", _ANY, re.compile(r"\bkafka\b|aiokafka|confluent_kafka"), "Kafka client"),
]
_RULES = [(service, group, re.compile(rx.pattern, rx.flags | re.MULTILINE), what) for service, group, rx, what in _RULES]
_RULE_WORDS = {
    "supabase": ("supabase", "createclient", "create_client", "/rest/v1/", "/auth/v1/"),
    "postgres": ("psycopg", "asyncpg", "pg8000", "postgres", "lib/pq", "jackc/pgx", "'pg'", '"pg"'),
    "sql": ("sqlalchemy", "sqlmodel", "create_engine", "create_async_engine", "database/sql", "databases", "tortoise",
            "peewee", "django.db", "prisma", "sequelize", "typeorm", "knex", "drizzle", "connection("),
    "sqlite": ("sqlite",), "mysql": ("mysql",), "mongodb": ("mongo", "motor", "beanie"),
    "redis": ("redis",), "pusher": ("pusher",), "sentry": ("sentry",), "opentelemetry": ("opentelemetry",),
    "datadog": ("ddtrace", "datadog", "dd-trace"), "newrelic": ("newrelic",), "prometheus": ("prometheus", "prom-client"),
    "celery": ("celery",), "kafka": ("kafka",),
}
#: Compose/Dockerfile images that are the service itself.
_IMAGES: list[tuple[str, re.Pattern[str]]] = [
    ("redis", re.compile(r"^(docker\.io/)?(library/)?(redis|valkey/valkey|eqalpha/keydb|bitnami/redis|redis/redis-stack[\w-]*)"
                         r"(:|@|$)", re.IGNORECASE)),
    ("postgres", re.compile(r"^(docker\.io/)?(library/)?(postgres|postgis/postgis|timescale/timescaledb[\w-]*|"
                            r"pgvector/pgvector|ankane/pgvector|supabase/postgres|bitnami/postgresql)(:|@|$)",
                            re.IGNORECASE)),
    ("supabase", re.compile(r"^(docker\.io/)?supabase/(studio|gotrue|realtime|storage-api|postgres-meta|edge-runtime|"
                            r"postgres|supavisor|logflare)", re.IGNORECASE)),
    ("postgrest", re.compile(r"^(docker\.io/)?postgrest/postgrest", re.IGNORECASE)),
    ("mysql", re.compile(r"^(docker\.io/)?(library/)?(mysql|mariadb)(:|@|$)", re.IGNORECASE)),
    ("mongodb", re.compile(r"^(docker\.io/)?(library/)?mongo(:|@|$)", re.IGNORECASE)),
    ("kafka", re.compile(r"kafka", re.IGNORECASE)),
    ("prometheus", re.compile(r"^(docker\.io/)?prom/prometheus", re.IGNORECASE)),
    ("datadog", re.compile(r"datadog/agent", re.IGNORECASE)),
    ("opentelemetry", re.compile(r"otel/opentelemetry-collector", re.IGNORECASE)),
    ("nginx", re.compile(r"^(docker\.io/)?(library/)?nginx", re.IGNORECASE)),
]

#: Environment variables a program reads (literal first word -> pattern whose group 1 is the name):
#: os.getenv("X"), os.environ["X"], os.environ.get("X"), st.secrets["X"], process.env.X, os.Getenv("X"), …
_NAME = r"([A-Z][A-Z0-9_]{1,63})"
_ENV_READS: list[tuple[str, re.Pattern[str]]] = [
    ("getenv", re.compile(r"""[gG]etenv\s*\(\s*['"]""" + _NAME + "['\"]")),
    ("lookupenv", re.compile(r"""LookupEnv\s*\(\s*['"]""" + _NAME + "['\"]")),
    ("environ", re.compile(r"""environ\s*(?:\.get\s*\(|\[)\s*['"]""" + _NAME + "['\"]")),
    ("secrets", re.compile(r"""st\.secrets\s*(?:\.get\s*\(|\[)\s*['"]([A-Za-z][A-Za-z0-9_]{1,63})['"]""")),
    ("process.env", re.compile(r"""process\.env(?:\.|\[\s*['"])""" + _NAME)),
    ("meta.env", re.compile(r"import\.meta\.env\." + _NAME)),
    ("config(", re.compile(r"""(?<![\w.])(?:config|env)\s*\(\s*['"]""" + _NAME + "['\"]")),
]
#: Names of variables that hold the address of the project's own backend API.
BACKEND_URL_NAME = re.compile(
    r"^(?:(?:REACT_APP|VITE|NEXT_PUBLIC|NUXT_PUBLIC|EXPO_PUBLIC|PUBLIC|STREAMLIT|FRONTEND|APP|ML|INTERNAL|MAIN|CORE)_)?"
    r"(?:BACKEND(?:_API)?|API(?:_BASE)?|FASTAPI|FLASK(?:_API)?|REST_API|SERVER_API|BASE_API)"
    r"_(?:URL|URI|HOST|ENDPOINT|BASE_URL|BASE|ADDR|ADDRESS)$|^BACKEND_\w*(?:URL|URI|HOST|ENDPOINT)$")
#: Providers whose *_API_URL variables are not the project's backend.
_THIRD_PARTY = re.compile(r"^(OPENAI|AZURE|ANTHROPIC|GROQ|HF|HUGGINGFACE|GOOGLE|GEMINI|AWS|STRIPE|TWILIO|SENDGRID|PUSHER|"
                          r"SLACK|GITHUB|COHERE|MISTRAL|OLLAMA|PINECONE|WEAVIATE|QDRANT|SUPABASE|SENTRY|LANGCHAIN|"
                          r"LANGSMITH|REPLICATE|TOGETHER|PERPLEXITY|DEEPSEEK|XAI|FIRECRAWL|TAVILY|SERP|NOTION|"
                          r"JIRA|HUBSPOT|SALESFORCE|BIRDEYE|YELP|FACEBOOK|MAPBOX|POSTHOG|VERCEL|RENDER|RAILWAY)_")
_ENV_SERVICE = [
    ("supabase", re.compile(r"SUPABASE")), ("redis", re.compile(r"REDIS")), ("pusher", re.compile(r"PUSHER")),
    ("postgres", re.compile(r"^(DATABASE_URL|DB_URI|DB_URL|POSTGRES\w*|PG(HOST|USER|PASSWORD|DATABASE|PORT))$")),
    ("sentry", re.compile(r"^SENTRY_")),
]

# --------------------------------------------------------------------------------------------- backends

_BACKEND_RULES: list[tuple[str, str, re.Pattern[str], str, tuple[str, ...]]] = [
    ("fastapi", _PY, re.compile(r"\b(?:fastapi\.)?FastAPI\s*\("), "fastapi", ("fastapi",)),
    ("flask", _PY, re.compile(r"\b(?:flask\.)?Flask\s*\(\s*(__name__|['\"])"), "flask", ("flask",)),
    ("starlette", _PY, re.compile(r"\bStarlette\s*\("), "starlette", ("starlette(",)),
    ("quart", _PY, re.compile(r"\bQuart\s*\(\s*__name__"), "quart", ("quart(",)),
    ("sanic", _PY, re.compile(r"\bSanic\s*\(\s*['\"]"), "sanic", ("sanic(",)),
    ("aiohttp", _PY, re.compile(r"\bweb\.Application\s*\("), "aiohttp", ("web.application",)),
    ("django", _PY, re.compile(r"get_wsgi_application\(\)|get_asgi_application\(\)"), "django",
     ("get_wsgi_application", "get_asgi_application")),
    ("litestar", _PY, re.compile(r"\bLitestar\s*\("), "litestar", ("litestar",)),
    ("go", _GO, re.compile(r"\b(chi\.NewRouter|gin\.(Default|New)|echo\.New|fiber\.New|mux\.NewRouter|"
                           r"http\.ListenAndServe(TLS)?|http\.NewServeMux)\s*\("), "go",
     ("newrouter", "gin.", "echo.new", "fiber.new", "listenandserve", "newservemux")),
    ("express", _JS, re.compile(r"\bexpress\s*\(\s*\)|NestFactory\.create\s*\(|\bfastify\s*\(|new\s+Hono\s*\("), "node",
     ("express(", "nestfactory", "fastify(", "hono(")),
]
_BACKEND_IMPORT = {
    "fastapi": re.compile(r"^\s*(from\s+fastapi\b|import\s+fastapi\b)", re.M),
    "flask": re.compile(r"^\s*(from\s+flask\s+import|import\s+flask\b)", re.M),
    "starlette": re.compile(r"^\s*from\s+starlette\.applications\s+import", re.M),
    "quart": re.compile(r"^\s*from\s+quart\s+import", re.M),
    "sanic": re.compile(r"^\s*from\s+sanic\s+import", re.M),
    "aiohttp": re.compile(r"^\s*(from\s+aiohttp\s+import\s+web|import\s+aiohttp)", re.M),
    "litestar": re.compile(r"^\s*from\s+litestar\s+import", re.M),
}
_LIMIT_WORDS = ("limiter", "ratelimit", "rate_limit", "rate-limit", "throttl", "httprate", "tollbooth", "time/rate")
_LIMIT_RULES = [
    re.compile(r"\bslowapi\b|\bflask_limiter\b|\bfastapi_limiter\b|FastAPILimiter|django_ratelimit|\bratelimit\s*\(|"
               r"express-rate-limit|rate-limiter-flexible|\brateLimit\s*\(|\bhttprate\b|tollbooth|ulule/limiter|"
               r"golang\.org/x/time/rate|\bthrottle_classes\b|DEFAULT_THROTTLE_RATES|@limiter\.limit|\bLimiter\s*\("),
    re.compile(r"(?i)\b(class|def|func|function|const|let)\s+\w*rate_?limit\w*|\w*RateLimit\w*Middleware\b|"
               r"add_middleware\s*\(\s*\w*RateLimit"),
]
_PROXY_LIMIT = re.compile(r"^\s*limit_req(_zone)?\b|^\s*rate_limit\b|ratelimit\.(average|burst)|"
                          r"traefik\.http\.middlewares\.[\w-]+\.ratelimit", re.IGNORECASE)

# --------------------------------------------------------------------------------------------- Streamlit

#: The options 3.2 and 3.8 judge: option -> (Streamlit default, environment variable).
STREAMLIT_OPTIONS: dict[str, tuple[Any, str]] = {
    "server.enableXsrfProtection": (True, "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION"),
    "server.enableCORS": (True, "STREAMLIT_SERVER_ENABLE_CORS"),
    "client.showErrorDetails": ("full", "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"),
}
#: The STREAMLIT_* variables of the judged options: the only ones the map keeps (others may be secrets,
#: e.g. STREAMLIT_SERVER_COOKIE_SECRET, and never reach a report).
_OPTION_ENV = frozenset(env for _default, env in STREAMLIT_OPTIONS.values())
_ST_IMPORT = re.compile(r"^\s*(import\s+streamlit\b|from\s+streamlit(\.\w+)*\s+import)", re.M)
_ST_RUN = re.compile(r"(?:^|[\s\"'\[,(;&|])(?:[\w./-]*/)?(?:python[\d.]*\s+-m\s+)?streamlit['\",]?\s*[,\s]\s*['\"]?run\b")
#: Folders of helper modules: a script there is not an app's entry unless a launch command names it.
_HELPER_DIRS = {"utils", "util", "components", "component", "lib", "libs", "helpers", "helper", "services", "common",
                "core", "modules", "widgets", "views", "models", "api", "schemas", "config", "auth", "styles"}
_ENTRY_NAMES = ("streamlit_app.py", "app.py", "main.py", "home.py", "dashboard.py", "index.py", "run.py")


def safe_argv(argv: list[str] | None) -> list[str] | None:
    """A command for the report with every secret-looking value replaced: `--server.cookieSecret=x`,
    `--requirepass x`, `PASSWORD=x`, and any URL's password (commands may carry credentials)."""
    from readiness_tui.redact import REDACTED, is_secret_name, redact_url

    if argv is None:
        return None
    out: list[str] = []
    hide_next = False
    def secret(name: str) -> bool:
        return is_secret_name(name) or bool(re.search(r"pass|secret|token|key|auth|cred", name, re.IGNORECASE))

    for word in argv[:40]:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        name, sep, _value = word.lstrip("-").partition("=")
        if sep and secret(name.rsplit(".", 1)[-1]):
            out.append(word[: len(word) - len(_value)] + REDACTED)
        elif word.startswith("-") and not sep and secret(name.rsplit(".", 1)[-1]):
            out.append(word)
            hide_next = True
        else:
            out.append(redact_url(word) if "://" in word else word)
    return out


def _option_value(option: str, raw: Any) -> Any:
    """A Streamlit option value from a flag, an env variable or TOML (`"false"` → False for booleans)."""
    default = STREAMLIT_OPTIONS[option][0]
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().strip("'\"").lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        return str(raw).strip()
    if isinstance(raw, bool):
        return raw
    return str(raw).strip().strip("'\"")


def _env_default(value: str) -> tuple[str, bool]:
    """`${VAR:-x}` → ("x", True): the value used unless VAR is set; other values unchanged."""
    match = re.fullmatch(r"\$\{\w+(?::?[-=])([^}]*)\}", value.strip())
    if match:
        return match.group(1), True
    return value, False


# --------------------------------------------------------------------------------------------- the map


@dataclass
class ProjectMap:
    """What the repository contains and uses (see the module docstring). Built by `build`."""

    root: Path
    source: str
    """`git` (tracked and untracked-but-not-ignored files) or `walk` (no repository)."""
    all_files: list[str] = field(default_factory=list)
    tracked: set[str] = field(default_factory=set)
    truncated: bool = False
    dockerfiles: list[Dockerfile] = field(default_factory=list)
    compose_files: list[ComposeFile] = field(default_factory=list)
    procfiles: list[Use] = field(default_factory=list)
    platform_files: list[Use] = field(default_factory=list)
    """render.yaml, fly.toml, railway.toml, app.yaml start commands."""
    streamlit_apps: list[StreamlitApp] = field(default_factory=list)
    streamlit_dirs: list[str] = field(default_factory=list)
    backends: list[Backend] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)
    env_templates: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    """Env files other than templates that are in the repository listing (`.env.backup.2025…`)."""
    launches: list[Launch] = field(default_factory=list)
    proxy_rate_limits: list[Use] = field(default_factory=list)
    cors_elsewhere: list[dict[str, Any]] = field(default_factory=list)
    """CORS settings in code outside any backend folder the map found."""
    logging_handlers: list[Use] = field(default_factory=list)
    _uses: dict[str, list[Use]] = field(default_factory=dict)
    _env_reads: dict[str, list[Use]] = field(default_factory=dict)
    _texts: dict[str, str | None] = field(default_factory=dict)
    _listed: set[str] | None = None
    _bytes_read: int = 0
    problems: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    files_read: int = 0

    # ------------------------------------------------------------------ files

    @property
    def listed(self) -> set[str]:
        """Every listed path, as a set (built once)."""
        if self._listed is None:
            self._listed = set(self.all_files)
        return self._listed

    def files(self, kinds: Iterable[str] | None = None, evidence_only: bool = True) -> list[str]:
        """Repository paths, optionally of some kinds (`file_kind`), excluded paths left out by default."""
        wanted = set(kinds) if kinds is not None else None
        return [rel for rel in self.all_files
                if (wanted is None or file_kind(rel) in wanted) and (not evidence_only or exclusion(rel) is None)]

    def excluded(self, rel: str) -> str | None:
        """Why a path is not evidence (tests, fixtures, notebooks, backup, …), or None."""
        return exclusion(rel)

    def is_evidence(self, rel: str) -> bool:
        """True when a path is application code, a deployment file, configuration or documentation."""
        return exclusion(rel) is None

    def text(self, rel: str) -> str | None:
        """The text of a repository file (read once, bounded), or None when it cannot or may not be read."""
        if rel in self._texts:
            return self._texts[rel]
        text: str | None = None
        path = self.root / rel
        try:
            info = path.lstat()
            if (not path.is_symlink() and path.is_file() and info.st_size <= MAX_FILE_BYTES
                    and self._bytes_read + info.st_size <= MAX_TOTAL_BYTES):
                raw = path.read_bytes()
                self._bytes_read += len(raw)
                self.files_read += 1
                if b"\0" not in raw[:4096]:
                    text = raw.decode("utf-8", "replace")
        except OSError:
            text = None
        self._texts[rel] = text
        return text

    def lines(self, rel: str) -> list[str]:
        """The lines of a repository file ([] when unreadable)."""
        text = self.text(rel)
        return text.splitlines() if text is not None else []

    def exists(self, rel: str) -> bool:
        """True when the path exists in the working tree as a regular file (never through a symlink)."""
        path = self.root / rel
        return not path.is_symlink() and path.is_file()

    # ------------------------------------------------------------------ services

    def uses(self, service: str) -> list[Use]:
        """Where the repository uses a service (`SERVICES`), most relevant first ([] when unused)."""
        return list(self._uses.get(service, []))

    def used(self, service: str) -> bool:
        """True when the map found the service in application code or deployment files."""
        if service == "backend":
            return bool(self.backends or self._uses.get("backend_api"))
        if service == "database":
            server = any(self._uses.get(s) for s in ("postgres", "supabase", "mysql"))
            # An ORM or driver over SQLite files only is not a database server to reach.
            return server or bool(self._uses.get("sql") and not self._uses.get("sqlite"))
        return bool(self._uses.get(service))

    def env_names(self, service: str) -> list[str]:
        """Environment-variable names the code reads for a service (`backend_api`, `redis`, `pusher`, …)."""
        return sorted({u.what for u in self._env_reads.get(service, [])})

    def env_reads(self, service: str) -> list[Use]:
        """Where the code reads each environment variable of a service."""
        return list(self._env_reads.get(service, []))

    def absence(self, service: str) -> str:
        """The evidence that a service is not used, in words (for a `not_applicable` summary)."""
        scanned = len(self.files(("code", "deploy", "script", "config")))
        where = f"{scanned} application, deployment and configuration files"
        cut = " (listing truncated)" if self.truncated else ""
        if service == "backend":
            return (f"no backend API: no web framework app (FastAPI, Flask, Django, Express, Go …) in {where}, and "
                    f"the frontend reads no backend URL variable{cut}")
        if service == "database":
            if self._uses.get("sqlite"):
                return (f"the application's only database is SQLite ({self.evidence_of('sqlite', limit=1)}): no "
                        f"database server in {where}{cut}")
            return f"no SQL database: no Postgres/Supabase/SQL driver, ORM or database service in {where}{cut}"
        return f"no {SERVICES.get(service, service)} client, import or service in {where}{cut}"

    def evidence_of(self, service: str, limit: int = 3) -> str:
        """`file:line what, …` of a service's first uses (for summaries)."""
        if service == "backend":
            found = [b.entry for b in self.backends] + self._uses.get("backend_api", [])
        elif service == "database":
            found = [u for s in ("postgres", "supabase", "sql", "mysql") for u in self._uses.get(s, [])]
        else:
            found = self._uses.get(service, [])
        return ", ".join(str(u) for u in found[:limit])

    # ------------------------------------------------------------------ Streamlit

    def streamlit_used(self) -> bool:
        """True when the repository has a Streamlit app, a `.streamlit/` folder or a `streamlit run` command."""
        return bool(self.streamlit_apps or self.streamlit_dirs or self._uses.get("streamlit")
                    or any(la.kind != "none" for la in self.launches))

    def deployments(self) -> list[Launch]:
        """The Streamlit launches a verdict judges: those named for production (`Dockerfile.prod`,
        `docker-compose.prod.yml`) when there are any, else every one not meant for development, else all."""
        named = [la for la in self.launches if not la.dev and is_prod_name(
            " ".join(PurePosixPath(p.split(":")[0]).name for p in (la.where, la.dockerfile or "") if p))]
        if named:
            return named
        prod = [la for la in self.launches if not la.dev]
        return prod or list(self.launches)

    def streamlit_option(self, option: str) -> list[tuple[Launch, OptionValue]]:
        """Each judged deployment with its effective value of a Streamlit option."""
        return [(la, la.options[option]) for la in self.deployments() if option in la.options]

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict[str, Any]:
        """The map for the JSON report (names and places only; never an environment value)."""
        return {
            "root": str(self.root),
            "source": self.source,
            "files": len(self.all_files),
            "truncated": self.truncated,
            "elapsed_ms": round(self.elapsed_ms, 1),
            "components": {
                "streamlit_apps": [a.to_dict() for a in self.streamlit_apps],
                "backends": [b.to_dict() for b in self.backends],
                "migrations": self.migrations,
                "streamlit_dirs": self.streamlit_dirs,
                "env_templates": self.env_templates,
                "env_files": self.env_files,
            },
            "deployment": {
                "compose": [c.to_dict() for c in self.compose_files],
                "dockerfiles": [d.to_dict() for d in self.dockerfiles],
                "procfiles": [u.to_dict() for u in self.procfiles],
                "platform": [u.to_dict() for u in self.platform_files],
            },
            "services": {name: [u.to_dict() for u in uses[:10]] for name, uses in sorted(self._uses.items()) if uses},
            "service_env": {name: self.env_names(name) for name in sorted(self._env_reads)},
            "streamlit": [la.to_dict() for la in self.launches],
            "proxy_rate_limits": [u.to_dict() for u in self.proxy_rate_limits],
            "logging_handlers": [u.to_dict() for u in self.logging_handlers[:10]],
            "problems": self.problems,
        }

    def summary_lines(self) -> list[str]:
        """A few lines for the wizard's start screen and the text report's head. The same project gives the
        same lines: how long mapping took is not among them (it is `elapsed_ms` in the JSON report)."""
        lines = []
        apps = ", ".join(a.entry for a in self.streamlit_apps[:3]) or "none found"
        lines.append(f"Streamlit: {apps}")
        backends = ", ".join(f"{b.folder or '.'} ({b.framework})" for b in self.backends[:3]) or "none"
        lines.append(f"Backend: {backends}")
        services = [SERVICES[s].split(" (")[0] for s in ("supabase", "postgres", "redis", "pusher", "sentry",
                                                           "opentelemetry", "datadog") if self._uses.get(s)]
        lines.append(f"Services: {', '.join(services) or 'none found'}")
        deploy = []
        if self.compose_files:
            deploy.append(f"{len(self.compose_files)} compose file{'s' if len(self.compose_files) > 1 else ''}")
        if self.dockerfiles:
            deploy.append(f"{len(self.dockerfiles)} Dockerfile{'s' if len(self.dockerfiles) > 1 else ''}")
        deploy += [u.file for u in self.procfiles + self.platform_files][:3]
        lines.append(f"Deployment: {', '.join(deploy) or 'no descriptor found'}")
        cut = ", listing truncated" if self.truncated else ""
        lines.append(f"Mapped {len(self.all_files)} files{cut}")
        return lines

    # ------------------------------------------------------------------ building blocks (used by build)

    def _add_use(self, service: str, use: Use) -> None:
        found = self._uses.setdefault(service, [])
        if len(found) < 4 * MAX_USES and use not in found:
            found.append(use)

    def _add_env_read(self, service: str, use: Use) -> None:
        found = self._env_reads.setdefault(service, [])
        if len(found) < 4 * MAX_USES and use not in found:
            found.append(use)


# --------------------------------------------------------------------------------------------- listing


def _git(root: Path, *args: str) -> list[str] | None:
    try:
        proc = gitutil.run(list(args), root, timeout=20)  # the project's own git config runs nothing
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def list_files(root: Path) -> tuple[list[str], set[str], str, bool]:
    """(files, tracked, source, truncated): git's tracked + untracked-not-ignored files, else a bounded walk."""
    if (root / ".git").exists():
        tracked = _git(root, "ls-files", "-z", "--cached", "--", ".")
        if tracked is not None:
            others = _git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".") or []
            files = sorted(set(tracked) | set(others))
            truncated = len(files) > MAX_FILES
            return files[:MAX_FILES], set(tracked), "git", truncated
    found: list[str] = []
    truncated = False
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if EXCLUDED_DIRS.get(d.lower()) != "vendored or generated")
        for name in sorted(filenames):
            found.append(os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/"))
            if len(found) >= MAX_FILES:
                truncated = True
                break
        if truncated:
            break
    return found, set(), "walk", truncated


def _ignore_rule(root: Path, rel: str, source: str) -> str | None:
    """The .gitignore rule ignoring `rel` (file:line:pattern), or None (also outside a repository)."""
    if source != "git":
        return None
    try:
        proc = gitutil.run(["check-ignore", "-v", "--no-index", "--", rel], root, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    line = proc.stdout.decode("utf-8", "replace").strip()
    rule = line.split("\t", 1)[0] if line else "ignored"
    return None if rule.rpartition(":")[2].startswith("!") else rule


# --------------------------------------------------------------------------------------------- parsers


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Dockerfile instructions: (first line number, text) with `\\` continuations joined, comments dropped."""
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1].strip())
            continue
        buffer.append(stripped)
        yield start, " ".join(part for part in buffer if part)
        buffer = []
    if buffer:
        yield start, " ".join(part for part in buffer if part)


def _split_command(text: str) -> list[str]:
    """An instruction's argument list: JSON exec form, else shell words."""
    text = text.strip()
    if text.startswith("["):
        try:
            value = json.loads(text)
            if isinstance(value, list):
                return [str(v) for v in value]
        except ValueError:
            pass
    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError:
        return text.split()


def _env_pairs(text: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="x y"` or `ENV A 1` → [(name, value)]."""
    words = _split_command(text)
    if not words:
        return []
    if "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    pairs = []
    for word in words:
        if "=" in word:
            name, _, value = word.partition("=")
            pairs.append((name, value))
    return pairs


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """Stages of a Dockerfile with WORKDIR, ENV, COPY/ADD, CMD, ENTRYPOINT, EXPOSE, USER (inheritance kept)."""
    result = Dockerfile(path)
    by_name: dict[str, DockerStage] = {}
    stage: DockerStage | None = None
    for line, instruction in _logical_lines(text):
        keyword, _, rest = instruction.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            base = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            parent = by_name.get(base.lower())
            stage = DockerStage(name=name, base=base, line=line)
            if parent is not None:
                stage.workdir, stage.user = parent.workdir, parent.user
                stage.env = dict(parent.env)
                stage.copies = list(parent.copies)
                stage.cmd, stage.cmd_line = parent.cmd, parent.cmd_line
                stage.entrypoint, stage.entrypoint_line = parent.entrypoint, parent.entrypoint_line
                stage.expose = list(parent.expose)
            result.stages.append(stage)
            if name:
                by_name[name.lower()] = stage
            continue
        if stage is None:
            continue
        if keyword == "WORKDIR":
            stage.workdir = posixpath.normpath(posixpath.join(stage.workdir, rest.strip("\"'"))) if rest else stage.workdir
        elif keyword == "USER":
            stage.user = rest.split(":")[0] or None
        elif keyword == "ENV":
            for name, value in _env_pairs(rest):
                stage.env[name] = (value, line)
        elif keyword in ("COPY", "ADD"):
            words = _split_command(rest)
            flags = [w for w in words if w.startswith("--")]
            args = [w for w in words if not w.startswith("--")]
            if len(args) >= 2:
                source_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
                dest = args[-1]
                absolute = posixpath.normpath(dest if dest.startswith("/") else posixpath.join(stage.workdir, dest))
                if dest.endswith("/") or dest in (".", "./") or len(args) > 2:
                    absolute = absolute.rstrip("/") + "/"
                stage.copies.append(DockerCopy(args[:-1], absolute, line, source_stage))
        elif keyword == "CMD":
            stage.cmd, stage.cmd_line = _split_command(rest), line
            if not rest.startswith("["):
                stage.cmd = ["/bin/sh", "-c", rest]
        elif keyword == "ENTRYPOINT":
            stage.entrypoint, stage.entrypoint_line = _split_command(rest), line
            if not rest.startswith("["):
                stage.entrypoint = ["/bin/sh", "-c", rest]
            stage.cmd = None
        elif keyword == "EXPOSE":
            stage.expose += rest.split()
    return result


def _yaml_load(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def _as_command(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    return ["/bin/sh", "-c", str(value)] if re.search(r"[;&|]", str(value)) else _split_command(str(value))


def _line_of(lines: list[str], pattern: str, start: int = 0) -> int:
    rx = re.compile(pattern)
    for index in range(start, len(lines)):
        if rx.search(lines[index]):
            return index + 1
    return 0


def parse_compose(text: str, path: str) -> ComposeFile:
    """Services of a compose file: image, build, command, environment, env_file, logging, profiles, ports."""
    result = ComposeFile(path)
    try:
        data = _yaml_load(text)
    except Exception as exc:  # noqa: BLE001 - a broken compose file is a note in the map, never a crash
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        result.problem = f"{path}{where}: not valid YAML"
        return result
    if not isinstance(data, dict):
        return result
    services = data.get("services")
    if not isinstance(services, dict):
        return result
    lines = text.splitlines()
    services_line = _line_of(lines, r"^services\s*:")
    first = next((ln for ln in lines[services_line:] if ln.strip() and not ln.lstrip().startswith("#")), "  ")
    indent = re.escape(first[: len(first) - len(first.lstrip())] or "  ")
    folder = posixpath.dirname(path)
    for name, spec in services.items():
        if not isinstance(spec, dict):
            continue
        line = _line_of(lines, rf"^{indent}['\"]?{re.escape(str(name))}['\"]?\s*:\s*(#.*)?$", services_line) \
            or services_line
        service = ComposeService(path, str(name), line)
        image = spec.get("image")
        service.image = str(image) if image else None
        build = spec.get("build")
        if isinstance(build, str):
            service.build_context = posixpath.normpath(posixpath.join(folder, build))
        elif isinstance(build, dict):
            context = build.get("context", ".")
            service.build_context = posixpath.normpath(posixpath.join(folder, str(context)))
            if build.get("dockerfile"):
                service.dockerfile = posixpath.normpath(posixpath.join(service.build_context, str(build["dockerfile"])))
            if build.get("target"):
                service.target = _env_default(str(build["target"]))[0]
        if service.build_context in (".", ""):
            service.build_context = ""
        if service.build_context is not None and service.dockerfile is None:
            service.dockerfile = posixpath.join(service.build_context, "Dockerfile").lstrip("/")
        service.command = _as_command(spec.get("command"))
        service.entrypoint = _as_command(spec.get("entrypoint"))
        env = spec.get("environment")
        pairs: list[tuple[str, str | None]] = []
        if isinstance(env, dict):
            pairs = [(str(k), None if v is None else str(v)) for k, v in env.items()]
        elif isinstance(env, list):
            for entry in env:
                key, sep, value = str(entry).partition("=")
                pairs.append((key.strip(), value if sep else None))
        for key, env_value in pairs:
            service.environment[key] = (env_value, _line_of(lines, rf"\b{re.escape(key)}\s*[=:]", line - 1) or line)
        env_file = spec.get("env_file")
        files = env_file if isinstance(env_file, list) else [env_file] if env_file else []
        for entry in files:
            target = entry.get("path") if isinstance(entry, dict) else entry
            if target:
                service.env_files.append(posixpath.normpath(posixpath.join(folder, str(target))))
        logging = spec.get("logging")
        service.logging = logging if isinstance(logging, dict) else None
        profiles = spec.get("profiles")
        service.profiles = [str(p) for p in profiles] if isinstance(profiles, list) else []
        ports = spec.get("ports")
        service.ports = [str(p) for p in ports] if isinstance(ports, list) else []
        volumes = spec.get("volumes")
        for volume in volumes if isinstance(volumes, list) else []:
            source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":")[0]
            target = volume.get("target") if isinstance(volume, dict) else (str(volume).split(":") + [""])[1]
            if source and target and str(source).startswith((".", "/")) and not str(source).startswith("//"):
                if str(source).startswith("/"):
                    continue
                repo_path = posixpath.normpath(posixpath.join(folder, str(source)))
                service.mounts.append(("" if repo_path == "." else repo_path, str(target)))
        result.services.append(service)
    return result


def _procfile_commands(text: str, path: str) -> list[tuple[str, int, str]]:
    """(process, line, command) of a Procfile."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        match = re.match(r"^\s*([\w-]+)\s*:\s*(.+)$", raw)
        if match and not raw.lstrip().startswith("#"):
            out.append((match.group(1), number, match.group(2).strip()))
    return out


def _platform_commands(text: str, path: str) -> list[tuple[str, int, str, dict[str, str], str]]:
    """(name, line, command, env, root dir) of render.yaml / fly.toml / railway.toml / app.yaml start commands."""
    name = PurePosixPath(path).name.lower()
    lines = text.splitlines()
    out: list[tuple[str, int, str, dict[str, str], str]] = []
    try:
        if name.endswith((".yaml", ".yml")):
            data = _yaml_load(text)
        else:
            data = tomllib.loads(text)
    except Exception:  # noqa: BLE001 - unreadable descriptor: nothing to add
        return out
    if not isinstance(data, dict):
        return out
    if name.startswith("render"):
        for service in data.get("services") or []:
            if not isinstance(service, dict):
                continue
            env = {str(e.get("key")): str(e.get("value", "")) for e in service.get("envVars") or []
                   if isinstance(e, dict) and e.get("key") and "value" in e}
            command = service.get("startCommand") or service.get("dockerCommand")
            if command:
                line = _line_of(lines, r"startCommand|dockerCommand")
                out.append((str(service.get("name", "web")), line, str(command), env, str(service.get("rootDir", ""))))
    elif name == "fly.toml":
        env = {str(k): str(v) for k, v in (data.get("env") or {}).items()}
        processes = data.get("processes") or {}
        for proc, command in processes.items() if isinstance(processes, dict) else []:
            out.append((str(proc), _line_of(lines, rf"^\s*{re.escape(str(proc))}\s*="), str(command), env, ""))
        cmd = (data.get("experimental") or {}).get("cmd")
        if cmd:
            out.append(("app", _line_of(lines, r"^\s*cmd\s*="), " ".join(cmd) if isinstance(cmd, list) else str(cmd),
                        env, ""))
    elif name.startswith("railway"):
        command = (data.get("deploy") or {}).get("startCommand")
        if command:
            out.append(("web", _line_of(lines, r"startCommand"), str(command), {}, ""))
    elif name == "app.yaml":
        command = data.get("entrypoint")
        if command:
            env = {str(k): str(v) for k, v in (data.get("env_variables") or {}).items()}
            out.append(("app", _line_of(lines, r"^entrypoint"), str(command), env, ""))
    return out


# --------------------------------------------------------------------------------------------- Streamlit commands


def streamlit_argv(argv: list[str]) -> list[str] | None:
    """The words after `streamlit run` in a command (`sh -c "…"` unwrapped), or None when it does not run Streamlit."""
    words = list(argv)
    if len(words) >= 3 and PurePosixPath(words[0]).name in ("sh", "bash", "ash", "dash", "zsh") and words[1] in ("-c", "-lc"):
        inner = _shell_streamlit(words[2])
        return inner
    for index, word in enumerate(words[:-1]):
        if PurePosixPath(word).name == "streamlit" and words[index + 1] == "run":
            return words[index + 2:]
        if word == "-m" and words[index + 1] == "streamlit" and index + 2 < len(words) and words[index + 2] == "run":
            return words[index + 3:]
    return None


def _shell_streamlit(text: str) -> list[str] | None:
    """The words after `streamlit run` in a shell command line (several commands joined by && ; |)."""
    for part in re.split(r"&&|\|\||;|\|", text):
        try:
            words = shlex.split(part, comments=True, posix=True)
        except ValueError:
            words = part.split()
        words = [w for w in words if not re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", w)] if words else words
        found = streamlit_argv([w for w in words if w != "exec"]) if words else None
        if found is not None:
            return found
    return None


def _inline_env(text: str) -> dict[str, str]:
    """`STREAMLIT_X=y streamlit run …` → {STREAMLIT_X: y} (only the variables of the options judged)."""
    env = {}
    for match in re.finditer(r"(?:^|\s)(STREAMLIT_[A-Z0-9_]+)=(\S+)", text):
        if match.group(1) in _OPTION_ENV:
            env[match.group(1)] = match.group(2).strip("'\"")
    return env


def _script_launch(text: str, rel: str) -> tuple[list[str], int, dict[str, str]] | None:
    """(args after `streamlit run`, line, inline env) found in a shell or Python launcher script."""
    if rel.endswith((".py", ".pyw")):
        # A list literal such as sys.argv = ["streamlit", "run", "app.py", "--server.port=8501"].
        for match in re.finditer(r"\[([^\[\]]*?['\"]streamlit['\"][^\[\]]*?['\"]run['\"][^\[\]]*)\]", text, re.S):
            words = re.findall(r"['\"]([^'\"]*)['\"]", match.group(1))
            argv = streamlit_argv(words)
            if argv is not None:
                extra = [w for w in re.findall(r"['\"](--(?:server|client|browser|runner|global|logger|theme)\.[^'\"]+)['\"]",
                                               text) if w not in argv]
                return argv + extra, text.count("\n", 0, match.start()) + 1, {}
        return None
    joined = list(_logical_lines(text)) if not rel.endswith((".ps1", ".bat", ".cmd")) else []
    for number, line in joined:
        if line.lstrip().startswith("#") or "streamlit" not in line:
            continue
        argv = _shell_streamlit(line)
        if argv is not None:
            return argv, number, _inline_env(line)
    return None


# --------------------------------------------------------------------------------------------- build

_SHARED_LOCK = threading.Lock()
#: The key of the run's map in `CheckContext.shared`.
SHARED_KEY = "project_map"


def shared_map(settings: Any, shared: dict[str, Any]) -> ProjectMap:
    """The run's map, built on first use from `settings` and kept in the run's shared memo.

    Thread-safe: checks run in worker threads; the first one builds, the others wait for it.
    """
    with _SHARED_LOCK:
        found = shared.get(SHARED_KEY)
        if isinstance(found, ProjectMap):
            return found
        pm = for_settings(settings)
        shared[SHARED_KEY] = pm
        return pm


def for_settings(settings: Any) -> ProjectMap:
    """The map of a target: its repository (or project directory), its `.env`, this process's environment
    and home folder (for a Streamlit deployment that runs on this host)."""
    root = settings.repo_root or settings.project_dir
    home = Path(os.environ.get("HOME") or Path.home())
    return build(Path(root), env=settings.env, environ=os.environ, home=home)


def build(root: Path, env: Mapping[str, str] | None = None, environ: Mapping[str, str] | None = None,
          home: Path | None = None) -> ProjectMap:
    """Map the repository at `root` (files only; bounded; never runs project code).

    `env` is the project's `.env` (values used only to resolve Streamlit's `STREAMLIT_*` variables for a
    deployment that runs on this host), `environ` the process environment, `home` the home folder whose
    `~/.streamlit/config.toml` a host deployment reads.
    """
    started = time.perf_counter()
    root = root.resolve()
    files, tracked, source, truncated = list_files(root)
    pm = ProjectMap(root=root, source=source, all_files=files, tracked=tracked, truncated=truncated)
    steps = (("descriptors", lambda: _scan_descriptors(pm)), ("code", lambda: _scan_code(pm)),
             ("Streamlit apps", lambda: _find_streamlit_apps(pm)),
             ("Streamlit options", lambda: _resolve_streamlit(pm, dict(env or {}), dict(environ or {}), home)),
             ("ranking", lambda: _rank(pm)))
    for name, step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - a map with a gap beats no map; the gap is reported
            pm.problems.append(f"mapping {name} failed: {type(exc).__name__}: {str(exc)[:120]}")
    pm.elapsed_ms = (time.perf_counter() - started) * 1000
    return pm


def _scan_descriptors(pm: ProjectMap) -> None:
    for rel in pm.all_files:
        name = PurePosixPath(rel).name
        lower = name.lower()
        excluded = exclusion(rel)
        if PurePosixPath(rel).parent.name == ".streamlit":
            folder = posixpath.dirname(rel)
            if folder not in pm.streamlit_dirs and excluded is None:
                pm.streamlit_dirs.append(folder)
        if lower.startswith(".env") or lower.endswith(".env") or ".env." in lower or lower in ("env.example",
                                                                                              "env.sample"):
            if re.search(r"example|sample|template|dist|default", lower):
                pm.env_templates.append(rel)
            elif lower != ".env" or posixpath.dirname(rel):
                pm.env_files.append(rel)
        if excluded is not None:
            continue
        if re.search(r"(^|/)(migrations|alembic/versions|supabase/migrations|db/migrate|migrate)/[^/]+\.(sql|py)$", rel):
            folder = posixpath.dirname(rel)
            if folder not in pm.migrations:
                pm.migrations.append(folder)
        if is_dockerfile(rel):
            text = pm.text(rel)
            if text is not None:
                pm.dockerfiles.append(parse_dockerfile(text, rel))
        elif is_compose_file(rel):
            text = pm.text(rel)
            if text is not None:
                compose = parse_compose(text, rel)
                pm.compose_files.append(compose)
                if compose.problem:
                    pm.problems.append(compose.problem)
        elif lower == "procfile":
            text = pm.text(rel) or ""
            for proc, line, command in _procfile_commands(text, rel):
                pm.procfiles.append(Use(rel, line, f"{proc}: {' '.join(safe_argv(_split_command(command)) or [])[:120]}"))
        elif lower in ("render.yaml", "render.yml", "fly.toml", "railway.toml", "app.yaml"):
            text = pm.text(rel) or ""
            for proc, line, command, _env, _root in _platform_commands(text, rel):
                shown = " ".join(safe_argv(_split_command(command)) or [])
                pm.platform_files.append(Use(rel, line, f"{proc}: {shown[:120]}"))
        elif lower in ("nginx.conf", "caddyfile", "traefik.yml", "traefik.yaml") or rel.endswith(".conf"):
            text = pm.text(rel) or ""
            for number, raw in enumerate(text.splitlines(), 1):
                if _PROXY_LIMIT.search(raw) and not raw.lstrip().startswith("#"):
                    pm.proxy_rate_limits.append(Use(rel, number, raw.strip()[:80]))
                    break
    for compose in pm.compose_files:
        for service in compose.services:
            if service.image:
                for kind, rx in _IMAGES:
                    if rx.search(service.image):
                        pm._add_use(kind if kind != "postgrest" else "postgres",
                                    Use(compose.path, service.line, f"service {service.name} (image {service.image})"))
            for key, (value, line) in service.environment.items():
                if value and re.match(r"^rediss?://", value):
                    pm._add_use("redis", Use(compose.path, line, f"{key} in service {service.name}"))
                if value and re.match(r"^postgres(ql)?(\+\w+)?://", value):
                    pm._add_use("postgres", Use(compose.path, line, f"{key} in service {service.name}"))
            for key in service.environment:
                if re.search(r"traefik.*ratelimit", key, re.IGNORECASE):
                    pm.proxy_rate_limits.append(Use(compose.path, service.line, key))


def _lang(rel: str) -> str:
    suffix = PurePosixPath(rel).suffix.lower()
    if suffix in (".py", ".pyw"):
        return _PY
    if suffix in (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx"):
        return _JS
    if suffix == ".go":
        return _GO
    return "other"


class _Source:
    """Positions in a text: line numbers by offset, and whether an offset sits in a comment line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def commented(self, pos: int) -> bool:
        start = self.text.rfind("\n", 0, pos) + 1
        return self.text[start:pos].lstrip().startswith(("#", "//", "--", "<!--"))

    def line_text(self, pos: int) -> str:
        start = self.text.rfind("\n", 0, pos) + 1
        end = self.text.find("\n", pos)
        return self.text[start:end if end != -1 else len(self.text)].strip()


    def lines_with(self, lower: str, needles: Iterable[str]) -> list[int]:
        """Numbers of the lines holding any of the (lower-case) needles, in order, each once."""
        found: set[int] = set()
        for needle in needles:
            pos = lower.find(needle)
            while pos != -1:
                number = self.line(pos)
                found.add(number)
                nxt = self.newlines[number - 1] + 1 if number - 1 < len(self.newlines) else len(lower)
                pos = lower.find(needle, nxt)
        return sorted(found)

    def line_at(self, number: int) -> str:
        start = self.newlines[number - 2] + 1 if number >= 2 else 0
        end = self.newlines[number - 1] if number - 1 < len(self.newlines) else len(self.text)
        return self.text[start:end]


#: Uses kept per rule and file (the first few are enough to show where).
_PER_FILE = 3
#: Line starts that make a line a comment or a documentation example (doctest), not code.
_COMMENT = ("#", "//", "--", "<!--", "*", ">>>", "... ")


def _scan_code(pm: ProjectMap) -> None:
    """Services, env reads, backends, CORS, rate limits and log handlers in application code.

    Fast on large repositories: each rule runs only on the lines that hold one of its literal words.
    """
    candidates = [rel for rel in pm.all_files if exclusion(rel) is None and file_kind(rel) in ("code", "script")]
    env_reads: list[tuple[str, int, str, bool]] = []
    for rel in candidates:
        text = pm.text(rel)
        if not text:
            continue
        lang = _lang(rel)
        lower = text.lower()
        src = _Source(text)
        supabase_import = "supabase" in lower
        for service, words in _RULE_WORDS.items():
            numbers = src.lines_with(lower, words)
            if not numbers:
                continue
            for rule_service, group, rx, what in _RULES:
                if rule_service != service or group not in (lang, _ANY):
                    continue
                if service == "supabase" and what == "create_client()" and not supabase_import:
                    continue
                hits = 0
                for number in numbers:
                    line = src.line_at(number)
                    if line.lstrip().startswith(_COMMENT) or not rx.search(line):
                        continue
                    pm._add_use(service, Use(rel, number, what))
                    hits += 1
                    if hits >= _PER_FILE:
                        break
        streamlit_file = "streamlit" in lower
        for word, rx in _ENV_READS:
            for number in src.lines_with(lower, (word,)):
                line = src.line_at(number)
                if line.lstrip().startswith(_COMMENT):
                    continue
                for match in rx.finditer(line):
                    env_reads.append((rel, number, match.group(1), streamlit_file))
        for number in src.lines_with(lower, ("rotatingfilehandler(",)):
            line = src.line_at(number)
            if not line.lstrip().startswith(_COMMENT):
                pm.logging_handlers.append(Use(rel, number, line.strip()[:80]))
        for framework, group, rx, label, words in _BACKEND_RULES:
            if group != lang or not any(word in lower for word in words):
                continue
            found = rx.search(text)
            if not found or src.commented(found.start()):
                continue
            if framework in _BACKEND_IMPORT and not _BACKEND_IMPORT[framework].search(text):
                continue
            if framework == "aiohttp" and "aiohttp" not in lower:
                continue
            pm.backends.append(Backend(_component_folder(pm, rel), label,
                                       Use(rel, src.line(found.start()), f"{framework} app")))
            break
        if "cors" in lower:
            _scan_cors(pm, rel, text, src.lines_with(lower, ("cors",)), src)
        limit_lines = src.lines_with(lower, _LIMIT_WORDS)
        for number in limit_lines:
            line = src.line_at(number)
            if not line.lstrip().startswith(_COMMENT) and any(rx.search(line) for rx in _LIMIT_RULES):
                _attach_limit(pm, Use(rel, number, line.strip()[:80]))
                break
        if lang == _PY and "fastapi(" in lower:
            _scan_fastapi_docs(pm, rel, text)
    _merge_backends(pm)
    _docs_elsewhere(pm)
    for where, number, name, streamlit_file in env_reads:
        _classify_env(pm, where, number, name, streamlit_file)


def _classify_env(pm: ProjectMap, rel: str, line: int, name: str, streamlit_file: bool) -> None:
    """File an environment variable the code reads under the service it configures.

    A backend-URL name counts as the frontend calling a backend only outside the backend's own folder
    (a backend reading its own API_HOST is not a client of itself), or in a file that imports Streamlit.
    """
    upper = name.upper()
    inside_backend = any(b.folder and (rel == b.folder or rel.startswith(b.folder + "/")) for b in pm.backends) or \
        any(b.folder == "" for b in pm.backends)
    if BACKEND_URL_NAME.match(upper) and not _THIRD_PARTY.match(upper) and (streamlit_file or not inside_backend):
        pm._add_env_read("backend_api", Use(rel, line, upper))
        pm._add_use("backend_api", Use(rel, line, f"reads {upper}"))
        return
    for service, rx in _ENV_SERVICE:
        if rx.search(upper):
            pm._add_env_read(service, Use(rel, line, upper))
            if service in ("supabase", "redis", "pusher", "postgres"):
                pm._add_use(service, Use(rel, line, f"reads {upper}"))
            return


def _component_folder(pm: ProjectMap, rel: str) -> str:
    """The folder of the component holding `rel`: the nearest ancestor with a build or package manifest."""
    markers = ("Dockerfile", "requirements.txt", "pyproject.toml", "go.mod", "package.json", "setup.py", "Pipfile")
    listed = pm.listed
    folder = posixpath.dirname(rel)
    while folder:
        if any(posixpath.join(folder, m) in listed for m in markers):
            return folder
        folder = posixpath.dirname(folder)
    return posixpath.dirname(rel)


def _merge_backends(pm: ProjectMap) -> None:
    """One backend per folder and framework (several app objects in one package are one backend)."""
    merged: dict[tuple[str, str], Backend] = {}
    for backend in pm.backends:
        key = (backend.folder, backend.framework)
        if key not in merged:
            merged[key] = backend
        else:
            merged[key].cors += backend.cors
    pm.backends = list(merged.values())


def _backend_for(pm: ProjectMap, rel: str) -> Backend | None:
    best: Backend | None = None
    for backend in pm.backends:
        if backend.folder == "" or rel == backend.folder or rel.startswith(backend.folder + "/"):
            if best is None or len(backend.folder) > len(best.folder):
                best = backend
    return best


_CORS_CALL = re.compile(r"(add_middleware\s*\(\s*CORSMiddleware|CORSMiddleware\s*,|Middleware\s*\(\s*CORSMiddleware|"
                        r"\bCORS\s*\(|cors\.Handler\s*\(|cors\.New\s*\(|\bcors\s*\(|cors\.Options\s*\{|"
                        r"cors\.Config\s*\{|CORS_ALLOW_ALL_ORIGINS|CORS_ORIGIN_ALLOW_ALL|CORS_ALLOWED_ORIGINS)")


def _scan_cors(pm: ProjectMap, rel: str, text: str, numbers: list[int], src: _Source) -> None:
    """CORS configuration calls: origins (wildcard, list, from settings) and credentials, with file:line."""
    for number in numbers:
        line_text = src.line_at(number)
        if line_text.lstrip().startswith(_COMMENT):
            continue
        match = _CORS_CALL.search(line_text)
        if not match:
            continue
        start = (src.newlines[number - 2] + 1 if number >= 2 else 0) + match.start()
        if match.group(0).startswith("CORSMiddleware"):
            # `app.add_middleware(\n    CORSMiddleware, …)`: the call starts at the parenthesis before it.
            opening = text.rfind("(", max(0, start - 200), start)
            start = opening if opening != -1 else start
        window = text[start:start + 900]
        depth = 0
        end = len(window)
        for index, char in enumerate(window):
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth <= 0 and index > 0:
                    end = index + 1
                    break
        call = window[:end]
        if match.group(0).startswith(("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL")):
            call = line_text[match.start():]
            origins = "*" if re.search(r"=\s*True", call) else "list"
        else:
            origins = _cors_origins(call)
        credentials = _cors_credentials(call)
        entry = {"file": rel, "line": number, "origins": origins, "credentials": credentials,
                 "call": re.sub(r"\s+", " ", call)[:160]}
        backend = _backend_for(pm, rel)
        if backend is not None:
            backend.cors.append(entry)
        else:
            pm.cors_elsewhere.append(entry)


def _cors_origins(call: str) -> str:
    """`*` (any origin), `echo` (a regex or callback that allows any), `list`, `settings`, `default` (none given)."""
    match = re.search(r"(allow_origins|origins|AllowedOrigins|AllowOrigins|origin|allow_origin_regex|"
                      r"AllowOriginFunc|resources)\s*[:=]\s*(.{0,200})", call, re.S)
    if not match:
        if re.search(r"AllowAllOrigins\s*:\s*true", call):
            return "*"
        if re.fullmatch(r"\s*(CORS\s*\(\s*\w+\s*\)|cors\s*\(\s*\))\s*", call):
            return "*"
        return "default"
    key, value = match.group(1), match.group(2)
    if key in ("allow_origin_regex",) and re.match(r"""\s*r?['"](\.\*|\^?https?://\.\*|\.\+)""", value):
        return "echo"
    if key == "AllowOriginFunc":
        return "echo" if re.search(r"return\s+true", value) else "settings"
    if key == "origin" and re.match(r"\s*true\b", value):
        return "echo"
    if re.match(r"""\s*(\[|\{)?\s*(r?['"`]\*['"`]|["']\*["'])""", value) or \
            re.match(r"""\s*\{?\s*r?['"]/?\*['"]\s*:\s*\{\s*['"]origins['"]\s*:\s*['"]\*['"]""", value):
        return "*"
    if re.match(r"""\s*(\[|\{|\(|\[\]string\{)\s*['"`]""", value):
        return "list"
    if re.search(r"""(get|getenv|Getenv)\s*\([^()]*,\s*\[?\s*['"]\*['"]|\bor\s+\[?\s*['"]\*['"]""", value):
        return "default *"
    return "settings"


def _cors_credentials(call: str) -> bool | None:
    match = re.search(r"(allow_credentials|supports_credentials|AllowCredentials|credentials)\s*[:=]\s*(\w+)", call)
    if not match:
        return None
    return match.group(2).lower() == "true"


def _attach_limit(pm: ProjectMap, use: Use) -> None:
    backend = _backend_for(pm, use.file)
    if backend is not None:
        backend.rate_limits.append(use)
    else:
        pm._add_use("rate_limit", use)


#: Libraries that serve API documentation, by what they serve (used for every framework but FastAPI,
#: which serves /docs, /redoc and /openapi.json unless its settings say otherwise).
_DOCS_LIBS = re.compile(r"\bflasgger\b|\bSwagger\s*\(\s*app|flask_restx|flask_restplus|flask_smorest|\bapispec\b|"
                        r"drf_spectacular|drf_yasg|get_schema_view|github\.com/swaggo/|swagger-ui-express|"
                        r"@nestjs/swagger|fastify-swagger|@fastify/swagger|springdoc|\bspectree\b|flask_openapi3")


def _docs_elsewhere(pm: ProjectMap) -> None:
    """`api_docs` of backends other than FastAPI: a docs library in the backend's code, or none served."""
    for backend in pm.backends:
        if backend.api_docs:
            continue
        prefix = backend.folder + "/" if backend.folder else ""
        found: Use | None = None
        for rel in pm.files(("code",)):
            if not rel.startswith(prefix):
                continue
            text = pm.text(rel) or ""
            match = _DOCS_LIBS.search(text)
            if match and not _Source(text).commented(match.start()):
                found = Use(rel, text.count("\n", 0, match.start()) + 1, match.group(0))
                break
        if found is not None:
            backend.api_docs = {"file": found.file, "line": found.line, "served": True, "library": found.what}
        else:
            backend.api_docs = {"served": False, "framework": backend.framework}


def _scan_fastapi_docs(pm: ProjectMap, rel: str, text: str) -> None:
    """FastAPI's docs settings (`docs_url`, `redoc_url`, `openapi_url`): default on, None disables them."""
    match = re.search(r"\bFastAPI\s*\(", text)
    if not match:
        return
    call = text[match.start():match.start() + 1500]
    settings: dict[str, Any] = {"file": rel, "line": text.count("\n", 0, match.start()) + 1, "served": True}
    for key in ("docs_url", "redoc_url", "openapi_url"):
        found = re.search(rf"\b{key}\s*=\s*([^,\n)]+)", call)
        if found:
            value = found.group(1).strip()
            if value == "None":
                settings[key] = None
            elif re.fullmatch(r"""['"][^'"]*['"]""", value):
                settings[key] = value.strip("'\"")
            else:
                settings[key] = "conditional"
        else:
            settings[key] = {"docs_url": "/docs", "redoc_url": "/redoc", "openapi_url": "/openapi.json"}[key]
    settings["served"] = any(settings[k] for k in ("docs_url", "redoc_url", "openapi_url"))
    backend = _backend_for(pm, rel)
    if backend is not None and not backend.api_docs:
        backend.api_docs = settings


# --------------------------------------------------------------------------------------------- Streamlit apps


def _entry_score(pm: ProjectMap, rel: str, has_pages: bool) -> tuple[int, str]:
    """Sort key of an entry-script candidate (lower is likelier): entry-like name, page config, pages/ beside."""
    name = PurePosixPath(rel).name.lower()
    text = pm.text(rel) or ""
    points = 0.0
    if name in _ENTRY_NAMES:
        points += 3 - _ENTRY_NAMES.index(name) / 10
    if "set_page_config" in text:
        points += 2
    if has_pages:
        points += 1
    if re.match(r"^\d+_|^home", name):
        points += 1
    return (-int(points * 10), rel)


def _find_streamlit_apps(pm: ProjectMap) -> None:
    """Streamlit apps: entry scripts named by launch commands, else scripts that import streamlit and look like
    an entry (a `pages/` folder beside, `st.set_page_config`, an entry-like name)."""
    importers: list[str] = []
    for rel in pm.files(("code",)):
        if not rel.endswith(".py"):
            continue
        text = pm.text(rel)
        if text and "streamlit" in text and _ST_IMPORT.search(text):
            importers.append(rel)
    if not importers:
        return
    pm._add_use("streamlit", Use(importers[0], 0, "import streamlit"))
    listed = pm.listed
    by_folder: dict[str, list[str]] = {}
    for rel in importers:
        parent = posixpath.dirname(rel)
        if PurePosixPath(parent).name == "pages":
            continue
        by_folder.setdefault(parent, []).append(rel)
    for folder, scripts in sorted(by_folder.items()):
        if folder.rpartition("/")[2].lower() in _HELPER_DIRS:
            continue
        pages_dir = posixpath.join(folder, "pages") if folder else "pages"
        has_pages = any(p.startswith(pages_dir + "/") for p in listed)
        best = sorted(scripts, key=lambda rel: _entry_score(pm, rel, has_pages))[0]
        text = pm.text(best) or ""
        standalone = "set_page_config" in text or PurePosixPath(best).name.lower() in _ENTRY_NAMES or \
            re.match(r"^\d+_|^home", PurePosixPath(best).name.lower())
        if not standalone:
            continue
        pages = sum(1 for p in listed if p.startswith(pages_dir + "/") and p.endswith(".py"))
        line = _line_of(text.splitlines(), r"^\s*(import\s+streamlit|from\s+streamlit)") or 1
        pm.streamlit_apps.append(StreamlitApp(folder, best, Use(best, line, "import streamlit"), pages))
    if not pm.streamlit_apps:
        # Scripts import Streamlit but none looks like an entry: the shallowest one stands for the app.
        best = sorted(importers, key=lambda rel: (rel.count("/"), _entry_score(pm, rel, False)))[0]
        line = _line_of(pm.lines(best), r"^\s*(import\s+streamlit|from\s+streamlit)") or 1
        pm.streamlit_apps.append(StreamlitApp(posixpath.dirname(best), best, Use(best, line, "import streamlit")))


# --------------------------------------------------------------------------------------------- Streamlit options


def _config_candidate(pm: ProjectMap, rel: str, role: str) -> ConfigFile:
    """A config.toml the deployment reads: its state in the repository and (when shipped) its values."""
    rel = posixpath.normpath(rel).lstrip("/")
    if rel.startswith("../"):
        return ConfigFile(rel, role, "absent", problem="outside the repository")
    present = pm.exists(rel)
    rule = _ignore_rule(pm.root, rel, pm.source) if present or pm.source == "git" else None
    if present:
        if rel in pm.tracked or pm.source != "git":
            state = "tracked" if pm.source == "git" else "untracked"
        elif rule:
            state = "ignored"
        else:
            state = "untracked"
    else:
        state = "absent"
    config = ConfigFile(rel, role, state, rule=rule)
    if state in ("tracked", "untracked"):
        config.data, config.problem = _read_config(pm, rel)
    elif state in ("absent", "ignored"):
        folder = posixpath.dirname(rel)
        for name in ("config.example.toml", "config.toml.example", "config.sample.toml", "config.toml.sample",
                     "config.template.toml", "config.toml.template", "config.toml.dist"):
            candidate = posixpath.join(folder, name)
            if candidate in pm.tracked or (pm.source != "git" and pm.exists(candidate)):
                config.template = candidate
                if state == "absent":
                    config.state = "template"
                    config.data, config.problem = _read_config(pm, candidate)
                break
    return config


def _read_config(pm: ProjectMap, rel: str) -> tuple[dict[str, Any] | None, str | None]:
    text = pm.text(rel)
    if text is None:
        return None, f"{rel}: cannot read"
    try:  # bounded nesting: a hostile config.toml is a problem named with its line, never a RecursionError
        return fileio.parse_toml(text, rel), None
    except fileio.FileProblem as exc:
        return None, str(exc)


def _toml_option(data: dict[str, Any], option: str) -> Any:
    section, name = option.split(".", 1)
    table = data.get(section)
    return table.get(name) if isinstance(table, dict) else None


def _toml_line(pm: ProjectMap, rel: str, option: str) -> int:
    section, name = option.split(".", 1)
    lines = pm.lines(rel)
    start = _line_of(lines, rf"^\s*\[\s*{re.escape(section)}\s*\]")
    return _line_of(lines, rf"^\s*{re.escape(name)}\s*=", start) or _line_of(lines, rf"^\s*{re.escape(option)}\s*=")


def _image_config(pm: ProjectMap, copies: list[DockerCopy], context: str, container_path: str) -> str | None:
    """The repository file a container holds at `container_path` (COPY from the build context, or a bind
    mount of a repository folder; later ones win), or None."""
    found: str | None = None
    for copy in copies:
        if copy.from_stage:
            continue
        base_context = context if copy.context is None else copy.context
        dest = copy.dest
        for source in copy.sources:
            if source in (".", "./"):
                source_rel = base_context
            else:
                source_rel = posixpath.normpath(posixpath.join(base_context, source)).lstrip("/")
            source_rel = "" if source_rel == "." else source_rel
            is_dir = (source in (".", "./") or source.endswith("/") or copy.context is not None or not source_rel
                      or (pm.root / source_rel).is_dir())
            if is_dir:
                base = dest.rstrip("/")
                if container_path.startswith(base + "/"):
                    inner = container_path[len(base) + 1:]
                    found = posixpath.join(source_rel, inner) if source_rel else inner
            else:
                target = dest + PurePosixPath(source).name if dest.endswith("/") else dest
                if target == container_path:
                    found = source_rel
    return found


def _dockerignored(pm: ProjectMap, context: str, rel: str) -> bool:
    ignore = posixpath.join(context, ".dockerignore") if context else ".dockerignore"
    text = pm.text(ignore) if ignore in pm.listed else None
    if not text:
        return False
    inner = rel[len(context) + 1:] if context and rel.startswith(context + "/") else rel
    excluded = False
    for raw in text.splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        hit = fnmatch.fnmatch(inner, pattern) or fnmatch.fnmatch(inner, pattern + "/*") or \
            any(fnmatch.fnmatch(part, pattern) for part in PurePosixPath(inner).parts[:-1]) or \
            fnmatch.fnmatch(inner, "**/" + pattern) or inner.startswith(pattern.replace("**/", "") + "/")
        if hit:
            excluded = not negate
    return excluded


def _app_for(pm: ProjectMap, script: str | None, folder: str) -> str | None:
    if not script:
        return None
    candidate = posixpath.normpath(posixpath.join(folder, script)).lstrip("/")
    if candidate in pm.listed:
        return candidate
    return None


def _first_script(argv: list[str]) -> str | None:
    """The target of `streamlit run [OPTIONS] TARGET [ARGS]`: the first word that is not an option."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            return None
        if word.startswith("-"):
            index += 1 if "=" in word or index + 1 >= len(argv) or argv[index + 1].startswith("-") else 2
            continue
        return word
    return None


def _launch_from_image(pm: ProjectMap, dockerfile: Dockerfile, stage: DockerStage, argv: list[str], kind: str,
                       where: str, extra_env: dict[str, tuple[str, str]], dev: bool, context: str | None = None,
                       mounts: list[tuple[str, str]] | None = None, command_where: str = "") -> Launch | None:
    """A launch of an image built from `dockerfile` running `argv` (Streamlit directly or via a launcher).

    `context` is the build context (default: the Dockerfile's folder); `mounts` are compose bind mounts
    of repository folders, which cover what the image copied.
    """
    context = dockerfile.context if context is None else context
    copies = list(stage.copies) + [DockerCopy([""], target.rstrip("/") + "/", 0, None, repo)
                                   for repo, target in mounts or []]
    st_args = streamlit_argv(argv)
    origin = where
    if st_args is None:
        script = next((w for w in argv if re.search(r"\.(sh|py)$", w)), None)
        if script is None:
            return None
        container = script if script.startswith("/") else posixpath.join(stage.workdir, script)
        rel = _image_config(pm, copies, context, container) or posixpath.normpath(
            posixpath.join(context, script)).lstrip("/")
        text = pm.text(rel) if rel in pm.listed else None
        found = _script_launch(text, rel) if text else None
        if found is None:
            return None
        st_args, script_line, inline = found
        origin = f"{where} → {rel}:{script_line}"
        command_where = f"{rel}:{script_line}"
        for key, value in inline.items():
            extra_env.setdefault(key, (value, f"{rel}:{script_line}"))
    env: dict[str, tuple[str, str]] = {k: (v, f"{dockerfile.path}:{ln}") for k, (v, ln) in stage.env.items()
                                      if k in _OPTION_ENV}
    env.update(extra_env)
    script = _first_script(st_args)
    workdir = stage.workdir
    script_container = script if script and script.startswith("/") else posixpath.join(workdir, script or "app.py")
    app = _image_config(pm, copies, context, script_container)
    app = app if app in pm.listed else None
    configs = []
    home = "/root" if not stage.user or stage.user == "root" else f"/home/{stage.user}"
    project = posixpath.join(workdir, ".streamlit/config.toml")
    script_config = posixpath.join(posixpath.dirname(script_container), ".streamlit/config.toml")
    places = [("global", f"{home}/.streamlit/config.toml"), ("project", project), ("script", script_config)]
    for role, container in places:
        if (role == "global" and container in (project, script_config)) or (role == "script" and container == project):
            continue
        shipped = _image_config(pm, copies, context, container)
        if shipped is not None:
            config = _config_candidate(pm, shipped, role)
            if _dockerignored(pm, context, shipped):
                config.state, config.data = "ignored", None
                config.rule = f"{posixpath.join(context, '.dockerignore') if context else '.dockerignore'}"
            configs.append(config)
        elif role == "project":
            # Not copied: where it would belong in the build context (the fix writes there).
            inner = app and posixpath.dirname(app)
            guess = posixpath.join(inner or context, ".streamlit/config.toml") if (inner or context) \
                else ".streamlit/config.toml"
            configs.append(ConfigFile(guess.lstrip("/"), role, "absent",
                                      problem=f"the image copies no .streamlit/config.toml into {workdir}"))
    return Launch(kind, origin, st_args, app, env, configs, dev, dockerfile.path, command_where=command_where or where)


def _host_configs(pm: ProjectMap, cwd: str, app: str | None) -> list[ConfigFile]:
    configs = [_config_candidate(pm, posixpath.join(cwd, ".streamlit/config.toml") if cwd else ".streamlit/config.toml",
                                 "project")]
    if app and posixpath.dirname(app) != cwd:
        folder = posixpath.dirname(app)
        configs.append(_config_candidate(pm, posixpath.join(folder, ".streamlit/config.toml") if folder
                                         else ".streamlit/config.toml", "script"))
    return configs


def _resolve_streamlit(pm: ProjectMap, dotenv: dict[str, str], environ: dict[str, str], home: Path | None) -> None:
    """Every way the repository starts Streamlit, with its effective options (Streamlit's precedence)."""
    launches: list[Launch] = []
    used_dockerfiles: set[str] = set()
    dockerfiles = {d.path: d for d in pm.dockerfiles}
    for compose in pm.compose_files:
        for service in compose.services:
            env = {k: (v or "", f"{compose.path}:{ln}") for k, (v, ln) in service.environment.items()
                   if k in _OPTION_ENV and v is not None}
            dev = compose.dev or bool(set(p.lower() for p in service.profiles) & {"dev", "development", "local", "test"})
            dockerfile = dockerfiles.get(service.dockerfile or "")
            if dockerfile is not None:
                stage = dockerfile.stage(service.target)
                if stage is None:
                    continue
                argv, line = stage.command()
                command_where = f"{dockerfile.path}:{line}"
                if service.entrypoint is not None:
                    argv = service.entrypoint + (service.command or [])
                    command_where = service.where
                elif service.command is not None:
                    argv = (stage.entrypoint or []) + service.command
                    command_where = service.where
                launch = _launch_from_image(pm, dockerfile, stage, argv, "compose",
                                            f"{compose.path}:{service.line} (service {service.name})", env,
                                            dev or is_dev_name(stage.name or ""), service.build_context,
                                            service.mounts, command_where)
                if launch is not None:
                    used_dockerfiles.add(dockerfile.path)
                    launches.append(launch)
            elif service.command is not None:
                st_args = streamlit_argv(service.command)
                if st_args is not None:
                    folder = posixpath.dirname(compose.path)
                    app = _app_for(pm, _first_script(st_args), folder)
                    launches.append(Launch("compose", f"{compose.path}:{service.line} (service {service.name})",
                                           st_args, app, env, _host_configs(pm, folder, app), dev))
    for dockerfile in pm.dockerfiles:
        if dockerfile.path in used_dockerfiles:
            continue
        seen: set[int] = set()
        for stage in dockerfile.stages:
            argv, line = stage.command()
            if not argv or line in seen:
                continue
            seen.add(line)
            dev = is_dev_name(stage.name or "") or is_dev_name(PurePosixPath(dockerfile.path).name)
            launch = _launch_from_image(pm, dockerfile, stage, argv, "dockerfile",
                                        f"{dockerfile.path}:{line}" + (f" (stage {stage.name})" if stage.name else ""),
                                        {}, dev, command_where=f"{dockerfile.path}:{line}")
            if launch is not None:
                launches.append(launch)
    for use in pm.procfiles + pm.platform_files:
        command = use.what.split(": ", 1)[1] if ": " in use.what else use.what
        full, platform_env = _platform_full_command(pm, use)
        st_args = _shell_streamlit(full or command)
        if st_args is None:
            continue
        folder = posixpath.dirname(use.file)
        env = {k: (v, use.file) for k, v in platform_env.items() if k in _OPTION_ENV}
        env.update({k: (v, use.where) for k, v in _inline_env(full or command).items()})
        kind = "procfile" if PurePosixPath(use.file).name.lower() == "procfile" else \
            PurePosixPath(use.file).stem.split(".")[0].lower()
        app = _app_for(pm, _first_script(st_args), folder)
        launches.append(Launch(kind, use.where, st_args, app, env, _host_configs(pm, folder, app), False))
    if not launches:
        for rel in pm.files(("script",)):
            text = pm.text(rel)
            if not text or "streamlit" not in text:
                continue
            found = _script_launch(text, rel)
            if found is None:
                continue
            st_args, line, inline = found
            folder = posixpath.dirname(rel)
            app = _app_for(pm, _first_script(st_args), folder)
            dev = is_dev_name(PurePosixPath(rel).name) or PurePosixPath(rel).name.lower() in ("makefile", "justfile")
            launches.append(Launch("script", f"{rel}:{line}", st_args, app,
                                   {k: (v, f"{rel}:{line}") for k, v in inline.items()},
                                   _host_configs(pm, folder, app), dev))
    if not launches and (pm.streamlit_apps or pm.streamlit_dirs):
        apps = pm.streamlit_apps or [StreamlitApp(posixpath.dirname(pm.streamlit_dirs[0]), "", Use("", 0, ""))]
        for found_app in apps[:3]:
            cwd = found_app.folder
            configs = _host_configs(pm, "", found_app.entry or None)
            if cwd and not any(c.path == posixpath.join(cwd, ".streamlit/config.toml") for c in configs):
                configs.append(_config_candidate(pm, posixpath.join(cwd, ".streamlit/config.toml"), "script"))
            launches.append(Launch("none", found_app.entry or pm.streamlit_dirs[0],
                                   [found_app.entry] if found_app.entry else [], found_app.entry or None, {},
                                   configs, False))
    for launch in launches:
        if launch.kind in ("none", "script", "procfile") and home is not None:
            global_file = home / ".streamlit" / "config.toml"
            if global_file.is_file():
                try:
                    data = fileio.read_toml(global_file, fileio.MAX_CONFIG, "a Streamlit config")
                    launch.configs.insert(0, ConfigFile("~/.streamlit/config.toml", "global", "host", data=data))
                except fileio.FileProblem as exc:
                    launch.configs.insert(0, ConfigFile("~/.streamlit/config.toml", "global", "host",
                                                        problem=f"~/.streamlit/config.toml: {exc}"))
        host_env: dict[str, tuple[str, str]] = {}
        if launch.kind in ("none", "script", "procfile"):
            host_env.update({k: (v, ".env") for k, v in dotenv.items() if k in _OPTION_ENV and v})
            host_env.update({k: (v, "the environment") for k, v in environ.items() if k in _OPTION_ENV and v})
        launch.options = _options(pm, launch, host_env)
    pm.launches = launches
    known = {a.entry for a in pm.streamlit_apps}
    for launch in launches:
        if launch.app and launch.app not in known:
            known.add(launch.app)
            folder = posixpath.dirname(launch.app)
            pm.streamlit_apps.append(StreamlitApp(folder, launch.app, Use(launch.where.split(" ")[0], 0,
                                                                          "streamlit run")))


def _platform_full_command(pm: ProjectMap, use: Use) -> tuple[str | None, dict[str, str]]:
    """(the whole start command, the environment the platform file sets) of a Procfile/render/fly line."""
    lines = pm.lines(use.file)
    if PurePosixPath(use.file).name.lower() == "procfile" and 0 < use.line <= len(lines):
        return lines[use.line - 1].split(":", 1)[1].strip(), {}
    for _proc, line, command, env, _root in _platform_commands(pm.text(use.file) or "", use.file):
        if line == use.line:
            return command, env
    return None, {}


def _options(pm: ProjectMap, launch: Launch, host_env: dict[str, tuple[str, str]]) -> dict[str, OptionValue]:
    """Streamlit's precedence for one launch: flags > env > config files (script dir > cwd > global) > default."""
    out: dict[str, OptionValue] = {}
    flags = _flags(launch.argv)
    for option, (default, env_name) in STREAMLIT_OPTIONS.items():
        value = OptionValue(default, "Streamlit default", "default")
        for config in launch.configs:
            if config.data is None:
                continue
            found = _toml_option(config.data, option)
            if found is not None:
                line = _toml_line(pm, config.path, option) if config.state != "host" else 0
                label = f"{config.path}:{line}" if line else config.path
                if config.state == "template" and config.template:
                    line = _toml_line(pm, config.template, option)
                    label = f"{config.template}:{line} (the template copied to {config.path})"
                value = OptionValue(_option_value(option, found), label, "config", config.path, line)
        env = dict(host_env)
        env.update(launch.env)
        if env_name in env:
            raw, where = env[env_name]
            resolved, conditional = _env_default(raw)
            source = f"{env_name}={raw} in {where}" if not conditional else \
                f"{env_name}={resolved} by default in {where} (unless the variable it names is set)"
            value = OptionValue(_option_value(option, resolved), source, "env")
        if option in flags:
            raw = flags[option]
            value = OptionValue(_option_value(option, raw), f"--{option}={raw} ({launch.command_where or launch.where})",
                                "flag")
        out[option] = value
    return out


def _flags(argv: list[str]) -> dict[str, str]:
    """`--server.enableCORS=false` / `--server.enableCORS false` → {"server.enableCORS": "false"}."""
    found: dict[str, str] = {}
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            break  # what follows goes to the script, not to Streamlit
        if word.startswith("--") and "." in word:
            name, sep, value = word[2:].partition("=")
            if not sep and index + 1 < len(argv) and not argv[index + 1].startswith("--"):
                value = argv[index + 1]
                index += 1
            found[name] = value
        index += 1
    return found


# --------------------------------------------------------------------------------------------- ranking


def _relevance(pm: ProjectMap, use: Use) -> tuple[int, str, int]:
    """Application code first, then deployment files, then scripts and configuration."""
    kind = file_kind(use.file) if use.file else "other"
    order = {"code": 0, "deploy": 1, "script": 2, "config": 3}.get(kind, 4)
    return order, use.file, use.line


def _rank(pm: ProjectMap) -> None:
    for _service, uses in pm._uses.items():
        uses.sort(key=lambda u: _relevance(pm, u))
        del uses[MAX_USES:]
    for _service, reads in pm._env_reads.items():
        reads.sort(key=lambda u: _relevance(pm, u))
        del reads[MAX_USES:]


__all__ = [
    "Backend", "ComposeFile", "ComposeService", "ConfigFile", "Dockerfile", "DockerStage", "Launch", "OptionValue",
    "ProjectMap", "SERVICES", "STREAMLIT_OPTIONS", "StreamlitApp", "Use", "build", "exclusion", "file_kind",
    "is_compose_file", "is_dockerfile", "list_files", "parse_compose", "parse_dockerfile", "streamlit_argv",
]
