"""Packaging: one import package in the wheel, and checks shipped by another distribution as a plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from conftest import REPO, cli_env

PLUGIN_PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-readiness-checks"
version = "0.1"

[project.entry-points."readiness_tui.checks"]
acme = "acme_checks"

[tool.setuptools]
py-modules = ["acme_checks"]
"""

PLUGIN_MODULE = '''
"""A team's own check, shipped as a package."""

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, failed, passed


@check("acme.motd", "the project has a MOTD file with the expected greeting",
       params={"greeting": Param(str, "the words the MOTD must contain", "hello")})
def motd(ctx: CheckContext) -> CheckResult:
    path = ctx.settings.path("MOTD")
    text = path.read_text() if path.is_file() else ""
    if ctx.param("greeting") in text:
        return passed("MOTD greets", file="MOTD")
    return failed("MOTD does not greet", file="MOTD")
'''

CHECKLIST = """
schema = 1
name = "Acme"
version = "1"

[[bands]]
id = "ready"
min = 90
[[bands]]
id = "no"
min = 0

[signoff]
roles = ["Lead"]

[[sections]]
id = 1
title = "Acme"

[[sections.items]]
id = "1.1"
text = "The MOTD greets"
kind = "auto"
checks = ["acme.motd"]
params = { greeting = "%s" }
"""


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True,
                   capture_output=True, text=True, timeout=300)


def test_wheel_installs_only_the_readiness_tui_package(tmp_path: Path) -> None:
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(REPO))
    (wheel,) = tmp_path.glob("readiness_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"readiness_tui"}
    assert "readiness_tui/checks/env.py" in names and "readiness_tui/screens/app.py" in names
    assert "readiness_tui/screens/section.tcss" in names and "readiness_tui/data/checklist.toml" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[readiness_tui.checks]" in text and "env = readiness_tui.checks.env" in text


def test_a_plugin_distribution_registers_its_checks(tmp_path: Path) -> None:
    source = tmp_path / "plugin"
    source.mkdir()
    (source / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    (source / "acme_checks.py").write_text(textwrap.dedent(PLUGIN_MODULE))
    site = tmp_path / "site"
    _pip("install", "--no-deps", "--no-build-isolation", "--target", str(site), str(source))
    project = tmp_path / "project"
    project.mkdir()
    (project / "MOTD").write_text("hello from acme\n")
    env = cli_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH", "")]))

    def check(greeting: str) -> tuple[int, dict]:
        checklist = tmp_path / f"acme-{greeting}.toml"
        checklist.write_text(CHECKLIST % greeting)
        proc = subprocess.run([sys.executable, "-m", "readiness_tui", "check", str(project), "--checklist",
                               str(checklist), "--format", "json", "--fail-under", "0"],
                              capture_output=True, text=True, env=env, timeout=120)
        return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {"stderr": proc.stderr}

    code, report = check("hello")
    assert code == 0, report
    assert report["sections"][0]["items"][0]["status"] == "pass"
    code, report = check("goodbye")
    assert report["sections"][0]["items"][0]["status"] == "fail"

    # Without the plugin on the path, the checklist naming its check is refused with the line.
    checklist = tmp_path / "acme-hello.toml"
    proc = subprocess.run([sys.executable, "-m", "readiness_tui", "check", str(project), "--checklist", str(checklist)],
                          capture_output=True, text=True, env=cli_env(), timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith(f"{checklist}:24: item 1.1: unknown check 'acme.motd'"), proc.stderr
