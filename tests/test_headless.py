"""The core and the checks stay headless: importing them never imports Textual (or heavy libraries)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

from conftest import REPO, cli_env

import checks
import readiness_tui


def _modules() -> list[str]:
    names = []
    for package, prefix in ((readiness_tui, "readiness_tui."), (checks, "checks.")):
        for info in pkgutil.walk_packages(package.__path__, prefix):
            if info.name in ("readiness_tui.app", "readiness_tui.__main__") or ".app." in info.name:
                continue
            names.append(info.name)
    return names


def test_core_and_checks_never_import_textual_or_heavy_libraries():
    modules = _modules()
    assert "checks.env" in modules and "readiness_tui.runner" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n    importlib.import_module(name)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'httpx', 'docker', 'supabase', 'psycopg', 'redis', 'aiohttp', 'websockets'))\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout, proc.stdout
