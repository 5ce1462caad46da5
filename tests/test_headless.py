"""The layout's import rules: `screens → readiness_tui ← checks`.

The core and the checks stay headless (importing them never imports Textual or a heavy library),
only the `tui` and `demo` commands wire the screens in, and the checks use the check API and small
helpers, never the store, the runner or the deployment steps.
"""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import readiness_tui.checks as checks
from conftest import REPO, cli_env

import readiness_tui

pytestmark = pytest.mark.fast

#: Core modules that may import the screens: the two commands that open the wizard.
WIRING = {"readiness_tui.commands.tui", "readiness_tui.commands.demo"}
#: Core modules a check may not import: it gets what it needs through its context.
NOT_FOR_CHECKS = ("readiness_tui.store", "readiness_tui.runner", "readiness_tui.deploy", "readiness_tui.target",
                  "readiness_tui.signoff", "readiness_tui.decisions", "readiness_tui.reports",
                  "readiness_tui.screens", "readiness_tui.cli", "readiness_tui.commands", "textual")


def _walk(package) -> list[tuple[str, Path]]:
    found = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.startswith(("readiness_tui.screens", "readiness_tui.checks")) and package is readiness_tui:
            continue
        spec = info.module_finder.find_spec(info.name.rsplit(".", 1)[1], None)  # type: ignore[call-arg]
        if spec is not None and spec.origin:
            found.append((info.name, Path(spec.origin)))
    return found


def _imports(path: Path, module: str) -> set[str]:
    names: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _core() -> list[tuple[str, Path]]:
    return _walk(readiness_tui)


def test_the_core_never_imports_the_screens_or_textual_outside_the_wiring_commands():
    core = _core()
    assert any(name == "readiness_tui.runner" for name, _ in core)
    offenders = {
        name: sorted(i for i in _imports(path, name) if i.startswith(("textual", "readiness_tui.screens")))
        for name, path in core if name not in WIRING
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    for name in WIRING:
        path = dict(core)[name]
        assert any(i.startswith("readiness_tui.screens") for i in _imports(path, name)), name


def test_checks_use_the_check_api_not_the_store_runner_or_deploy():
    found = _walk(checks)
    assert len(found) >= 15
    offenders = {name: sorted(i for i in _imports(path, name) if i.startswith(NOT_FOR_CHECKS)) for name, path in found}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_and_checks_never_import_textual_or_heavy_libraries():
    modules = [name for name, _ in _core() if name not in WIRING and name != "readiness_tui.__main__"]
    modules += [name for name, _ in _walk(checks)]
    assert "readiness_tui.checks.env" in modules and "readiness_tui.runner" in modules
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
