"""Shared test set-up: the CLI runner, project fixtures, and the fixture modules in tests/fixtures/.

Real services (PostgreSQL, Redis, dockerd, Streamlit, Flask, TLS servers, gnome-keyring, tmux)
are started by fixtures in `tests/fixtures/*.py`, loaded here automatically. A fixture that
cannot find its service calls `need()`: with CI=true that is a failure, never a skip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

# Loopback only: every process the suite starts (and this one) refuses to look up any other host.
NETGUARD = REPO / "tests" / "netguard"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(NETGUARD), os.environ.get("PYTHONPATH")) if p)
sys.path.insert(0, str(NETGUARD))
import sitecustomize as _netguard  # noqa: E402,F401 - installs the guard in this process too
from hypothesis import HealthCheck, settings  # noqa: E402

# Property tests judge correctness, not speed: on a loaded two-core machine an example may take
# longer than hypothesis' default 200 ms deadline, which would fail the test for nothing.
settings.register_profile("readiness", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("readiness")

# The fixture repositories are projects for the tool to read, not tests of ours.
collect_ignore_glob = ["fixtures/repos/*"]

pytest_plugins = sorted(
    f"fixtures.{p.stem}" for p in (REPO / "tests" / "fixtures").glob("*.py") if not p.stem.startswith("_")
)


def need(condition: bool, what: str) -> None:
    """Require a service or tool: skip locally when missing, fail when CI=true."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required in CI but missing", pytrace=False)
    pytest.skip(f"{what} not available")


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """An environment for running the CLI in a subprocess: this checkout first on the path, no colour."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("READINESS_", "SUPABASE", "PUSHER", "BACKEND_API"))}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(NETGUARD), env.get("PYTHONPATH", "")])
    env["NO_COLOR"] = "1"
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    if extra:
        env.update(extra)
    return env


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m readiness_tui ARGS` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "readiness_tui", *args],
        cwd=cwd or REPO,
        env=cli_env(env),
        capture_output=True,
        text=True,
        input=input,
        timeout=timeout,
    )


@pytest.fixture
def cli():
    """The `run_cli` function."""
    return run_cli


@pytest.fixture(autouse=True)
def _loopback_only(tmp_path_factory, monkeypatch):
    """Fail a test that tried to look up a host other than loopback (the lookup itself was refused)."""
    log = tmp_path_factory.mktemp("netguard") / "lookups.log"
    monkeypatch.setenv("NETGUARD_LOG", str(log))
    yield
    if log.exists():
        hosts = sorted(set(log.read_text().split()))
        pytest.fail(f"the test looked up non-loopback hosts: {', '.join(hosts)}", pytrace=False)
