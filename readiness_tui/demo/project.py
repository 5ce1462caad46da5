"""The demo's sample project: a small git repository shaped like the seed's CRM, with deliberate problems.

What passes: a parseable `.env` ignored by git, a public Supabase key, XSRF protection on, README
with setup/configuration/troubleshooting, a user guide, migrations, the seed's deploy script.
What fails on purpose (so the first screen shows failures and their fixes):
- `.env.backup` is tracked by git and holds a service-role key (generated here, fake but shaped
  like the real thing);
- `.env` still has a placeholder (`SENTRY_DSN=your-sentry-dsn`) and points the API at plain http;
- `.streamlit/config.toml` has the seed's `enableCORS = false`;
- the README links to `docs/MAINTENANCE.md`, which does not exist.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import time
from pathlib import Path

from readiness_tui import gitutil

DEMO_REF = "qzvlkmdemoprojectref"

README = """# Roofs CRM — Streamlit dashboard (demo)

A sample project created by `readiness demo`. It is deliberately *not* ready for production.

## Setup

```bash
python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
cp .env.example .env   # then fill in production values
streamlit run app.py
```

## Configuration

All settings come from `.env` (see `.env.example`): `BACKEND_API_URL`, `SUPABASE_URL`,
`SUPABASE_KEY` (the anon key), `CACHE_TTL_SECONDS`, `STREAMLIT_SERVER_PORT`.
Operations are described in the [maintenance guide](docs/MAINTENANCE.md); end users read the
[user guide](docs/USER_GUIDE.md).

## Deployment

`./deploy-production.sh backup`, then `./deploy-production.sh`; roll back with
`./deploy-production.sh restore-backup`.

## Troubleshooting

- **Dashboard is blank**: check `BACKEND_API_URL` and `curl $BACKEND_API_URL/health`.
- **"Invalid API key"**: `SUPABASE_KEY` must be the project's anon key.
"""

USER_GUIDE = """# User guide

## Dashboard

The dashboard lists leads by temperature (hot, warm, cool, cold) and refreshes every 30 seconds.

## Leads

Open **Leads** to search, filter and page through leads (25 per page).
"""

ENV_EXAMPLE = """# Backend API
BACKEND_API_URL=https://api.yourdomain.com

# Supabase
SUPABASE_URL=https://your-project-id.supabase.co
SUPABASE_KEY=your-anon-public-key

# Performance
CACHE_TTL_SECONDS=300
STREAMLIT_SERVER_PORT=8501
"""

GITIGNORE = """.env
.venv/
__pycache__/
.readiness/
.deploy/
logs/
"""

STREAMLIT_CONFIG = """# Streamlit settings (the seed's recommendation, kept as is for the demo)
[server]
enableCORS = false
enableXsrfProtection = true

[client]
showErrorDetails = "none"
"""

APP_PY = '''"""Roofs CRM dashboard (demo stub: the demo serves a stand-in for it)."""
import os

import streamlit as st

AUTO_REFRESH_SECONDS = 30
PAGE_SIZE = 25
CACHE_TTL_SECONDS = int(os.getenv("CACHE_TTL_SECONDS", "300"))

st.set_page_config(page_title="Roofs CRM", layout="wide")
st.title("Roofs CRM")
'''

SCHEMA_SQL = """-- 001: initial schema
CREATE TYPE lead_temperature AS ENUM ('hot', 'warm', 'cool', 'cold');

CREATE TABLE leads (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    temperature lead_temperature,
    lead_score INTEGER CHECK (lead_score BETWEEN 0 AND 100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""

INDEXES_SQL = """-- 003: performance indexes (seed: backend/migrations/003_performance_indexes.sql)
CREATE INDEX IF NOT EXISTS idx_leads_status ON leads (status);
CREATE INDEX IF NOT EXISTS idx_leads_temperature ON leads (temperature);
CREATE INDEX IF NOT EXISTS idx_leads_created_at ON leads (created_at DESC);
CREATE INDEX IF NOT EXISTS idx_leads_email ON leads (email);
"""

PERF_SCRIPT = '''"""Performance tests (demo): 18 timed queries against a stand-in."""
import time

start = time.perf_counter()
for n in range(1, 19):
    print(f"test {n:2d}: ok")
print(f"18 passed, avg {(time.perf_counter() - start) * 1000 / 18:.2f}ms")
'''

VALIDATE_SCRIPT = '''"""Lead data integrity validation (demo)."""
print("ENUM values: 3/3 passed")
print("Required fields: 8/8 passed")
print("Data ranges: 3/3 passed")
print("Format validation: 2/2 passed")
print("16/16 checks passed (100.0%)")
'''

#: The seed's deploy script, made harmless: it only writes under .deploy/ in the demo directory.
DEPLOY_SCRIPT = """#!/bin/sh
# deploy-production.sh (demo): backup | deploy (default) | restore-backup.
# Harmless: everything happens under .deploy/ next to this script.
set -eu
cd "$(dirname "$0")"
state=.deploy
mkdir -p "$state/backups" "$state/releases"
case "${1:-deploy}" in
  backup)
    stamp=$(date +%Y%m%d%H%M%S)
    mkdir -p "$state/backups/$stamp"
    cp .streamlit/config.toml "$state/backups/$stamp/"
    [ -f "$state/releases/current" ] && cp "$state/releases/current" "$state/backups/$stamp/release"
    echo "backup: configuration and release saved to $state/backups/$stamp"
    ;;
  deploy)
    echo "deploy: building image iswitch-streamlit:latest"
    echo "deploy: starting container"
    date -u +%Y-%m-%dT%H:%M:%SZ > "$state/releases/current"
    echo "deploy: release $(cat "$state/releases/current") is live"
    ;;
  restore-backup)
    latest=$(ls -1 "$state/backups" 2>/dev/null | tail -n 1)
    if [ -z "$latest" ]; then echo "restore-backup: no backup to restore" >&2; exit 1; fi
    [ -f "$state/backups/$latest/release" ] && cp "$state/backups/$latest/release" "$state/releases/current"
    echo "restore-backup: restored $latest"
    ;;
  *)
    echo "usage: $0 [backup|deploy|restore-backup]" >&2
    exit 2
    ;;
esac
"""


def _jwt(payload: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()

    signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(payload)}.{signature}"


def supabase_key(role: str) -> str:
    """A freshly generated key shaped like a hosted project's legacy JWT key (not a real key)."""
    now = int(time.time())
    return _jwt({"iss": "supabase", "ref": DEMO_REF, "role": role, "iat": now, "exp": now + 5 * 365 * 86400})


def readiness_toml(backend_url: str, frontend_url: str) -> str:
    """The demo's readiness.toml: the sample services, short timeouts, the seed's deploy commands."""
    return f"""# readiness-tui settings for the demo target (services on loopback ports chosen at start-up).
[target]
backend_url = "{backend_url}"
frontend_url = "{frontend_url}"
# The sample backend also answers as the Supabase API (/rest/v1/): the demo never leaves loopback.
supabase_url = "{backend_url}"
container = "readiness-demo-frontend"
backup_dir = ".deploy/backups"
config_backup_dir = ".deploy/backups"
log_dir = "logs"
check_timeout = 8.0
connect_timeout = 3.0
read_timeout = 5.0
load_requests = 200
load_concurrency = 10
rate_limit_burst = 30

# The seed's deployment steps (`readiness deploy STEP`); the commands default to the seed's.
[deploy]
backup = ["./deploy-production.sh", "backup"]
deploy = ["./deploy-production.sh"]
rollback = ["./deploy-production.sh", "restore-backup"]
timeout = 60
# The demo has no Docker, database or Redis: verification follows the services it runs.
verify_items = "2.3,5.1,10.4,10.7"
verify_timeout = 10
verify_interval = 1
health_samples = 10
sample_interval = 0.05
"""


def _git(root: Path, *args: str) -> None:
    env = {"GIT_AUTHOR_NAME": "readiness demo", "GIT_AUTHOR_EMAIL": "demo@example.invalid",
           "GIT_COMMITTER_NAME": "readiness demo", "GIT_COMMITTER_EMAIL": "demo@example.invalid",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    gitutil.run_own(list(args), root, env=env, timeout=30)


def write_project(root: Path, backend_url: str, frontend_url: str) -> Path:
    """Write the sample project into `root` (an empty directory) and commit it; returns `root`."""
    frontend_port = frontend_url.rsplit(":", 1)[-1]
    files = {
        "README.md": README,
        "docs/USER_GUIDE.md": USER_GUIDE,
        ".env.example": ENV_EXAMPLE,
        ".gitignore": GITIGNORE,
        ".streamlit/config.toml": STREAMLIT_CONFIG,
        "app.py": APP_PY,
        "requirements.txt": "streamlit>=1.40\nrequests>=2.31\n",
        "backend/migrations/001_initial_schema.sql": SCHEMA_SQL,
        "backend/migrations/003_performance_indexes.sql": INDEXES_SQL,
        "backend/scripts/test_performance_metrics.py": PERF_SCRIPT,
        "backend/scripts/validate_leads_integrity.py": VALIDATE_SCRIPT,
        "deploy-production.sh": DEPLOY_SCRIPT,
        "readiness.toml": readiness_toml(backend_url, frontend_url),
        ".env": (
            "# Roofs CRM settings (demo)\n"
            f"BACKEND_API_URL={backend_url}\n"
            f"SUPABASE_URL=https://{DEMO_REF}.supabase.co\n"
            f"SUPABASE_KEY={supabase_key('anon')}\n"
            "CACHE_TTL_SECONDS=300\n"
            f"STREAMLIT_SERVER_PORT={frontend_port}\n"
            "SENTRY_DSN=your-sentry-dsn\n"
        ),
        # Deliberate problem: an env backup with a service-role key, committed to git.
        ".env.backup": (
            "# copy of .env before the key rotation\n"
            f"SUPABASE_URL=https://{DEMO_REF}.supabase.co\n"
            f"SUPABASE_KEY={supabase_key('service_role')}\n"
        ),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    script = root / "deploy-production.sh"
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (root / ".env").chmod(0o600)
    (root / "logs").mkdir(exist_ok=True)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "add", "-f", ".env.backup")
    _git(root, "commit", "-q", "-m", "Roofs CRM dashboard (readiness demo)")
    return root
