"""Streamlit configuration checks: XSRF/CORS (3.2) and error details (3.8, config part).

Streamlit's precedence: defaults < `~/.streamlit/config.toml` < the project's
`.streamlit/config.toml` < `STREAMLIT_*` environment variables (< command-line flags, which we
cannot see). The environment here is the process environment, and the project's `.env` for
deployments that load it into the container (Compose `env_file:`); the process wins.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness_tui.checkapi import CheckContext, check
from readiness_tui.model import CheckResult, errored, failed, passed, warned

PROJECT_CONFIG = ".streamlit/config.toml"
#: option -> (Streamlit default, environment variable)
OPTIONS = {
    "server.enableXsrfProtection": (True, "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION"),
    "server.enableCORS": (True, "STREAMLIT_SERVER_ENABLE_CORS"),
    "client.showErrorDetails": ("full", "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"),
}
#: Since Streamlit 1.41: booleans map onto the levels; only "type" and "none" hide tracebacks.
ERROR_DETAIL_LEVELS = ("full", "stacktrace", "type", "none")
SAFE_ERROR_DETAILS = ("type", "none")
CORS_EXPLANATION = (
    "with server.enableCORS = false Streamlit answers Access-Control-Allow-Origin: * and accepts "
    "WebSocket connections from any origin (XSRF protection only guards uploads); remove the line "
    "(the default is true) or list trusted origins in server.corsAllowedOrigins"
)


class ConfigError(Exception):
    """A config file Streamlit would refuse (invalid TOML)."""


@dataclass
class StreamlitConfig:
    """The effective values of the options we judge, with where each came from."""

    project_file: Path | None
    project_file_expected: Path
    global_file: Path | None
    values: dict[str, tuple[Any, str]] = field(default_factory=dict)
    version: str | None = None
    version_source: str | None = None
    gitignore_rule: str | None = None

    def value(self, option: str) -> Any:
        return self.values[option][0]

    def source(self, option: str) -> str:
        return self.values[option][1]

    def evidence(self, root: Path) -> dict[str, Any]:
        def rel(p: Path | None) -> str | None:
            if p is None:
                return None
            try:
                return str(p.relative_to(root))
            except ValueError:
                return str(p)

        ev: dict[str, Any] = {
            "streamlit_config_file": rel(self.project_file),
            "streamlit_global_config": str(self.global_file) if self.global_file else None,
            "streamlit_options": {k: {"value": v, "source": s} for k, (v, s) in self.values.items()},
        }
        if self.version:
            ev["streamlit_version"] = self.version
            ev["streamlit_version_source"] = self.version_source
        if self.gitignore_rule:
            ev["streamlit_gitignore_rule"] = self.gitignore_rule
        return ev


def _read_toml(path: Path) -> dict[str, Any]:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return tomlkit.parse(text).unwrap()
    except ParseError as exc:
        raise ConfigError(f"{path}:{exc.line}: invalid TOML: {str(exc).split(' at line')[0]}") from None


def _lookup(data: dict[str, Any], option: str) -> Any:
    section, name = option.split(".", 1)
    table = data.get(section)
    return table.get(name) if isinstance(table, dict) else None


def _parse_env_value(option: str, raw: str) -> Any:
    text = raw.strip().strip("'\"")
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _streamlit_version(ctx: CheckContext) -> tuple[str | None, str | None]:
    """The Streamlit installed in a virtual environment of the project or its repository."""
    settings = ctx.settings
    bases = [b for b in (settings.project_dir, settings.repo_root) if b is not None]
    for base in bases:
        for venv in (".venv", "venv", "env", ".env-venv"):
            root = base / venv
            if not (root / "pyvenv.cfg").is_file():
                continue
            for pattern in ("lib/python*/site-packages/streamlit-*.dist-info", "Lib/site-packages/streamlit-*.dist-info"):
                for dist in sorted(root.glob(pattern)):
                    match = re.match(r"streamlit-(.+)\.dist-info$", dist.name)
                    if match:
                        return match.group(1), os.path.relpath(root, settings.repo_root or settings.project_dir)
    return None, None


def load_streamlit_config(ctx: CheckContext) -> StreamlitConfig:
    """Resolve the effective options in Streamlit's precedence (memoised per run)."""
    from readiness_tui import gitutil

    settings = ctx.settings
    key = f"streamlit.config:{settings.project_dir}"
    if key in ctx.shared:
        cached = ctx.shared[key]
        if isinstance(cached, ConfigError):
            raise cached
        return cached
    home = Path(os.environ.get("HOME") or Path.home())
    global_file = home / ".streamlit" / "config.toml"
    project_file = settings.find(PROJECT_CONFIG)
    cfg = StreamlitConfig(project_file=project_file, project_file_expected=settings.project_dir / PROJECT_CONFIG,
                          global_file=global_file if global_file.is_file() else None)
    try:
        layers: list[tuple[dict[str, Any], str]] = []
        if cfg.global_file is not None:
            layers.append((_read_toml(cfg.global_file), "~/.streamlit/config.toml"))
        if project_file is not None:
            layers.append((_read_toml(project_file), PROJECT_CONFIG))
    except ConfigError as exc:
        ctx.shared[key] = exc
        raise
    dotenv = settings.env
    for option, (default, env_name) in OPTIONS.items():
        value, source = default, "Streamlit default"
        for data, where in layers:
            found = _lookup(data, option)
            if found is not None:
                value, source = found, where
        if dotenv.get(env_name):
            value, source = _parse_env_value(option, dotenv[env_name]), f"{env_name} in .env"
        if os.environ.get(env_name):
            value, source = _parse_env_value(option, os.environ[env_name]), f"{env_name} in the environment"
        cfg.values[option] = (value, source)
    cfg.version, cfg.version_source = _streamlit_version(ctx)
    if settings.repo_root is not None:
        probe = cfg.project_file or cfg.project_file_expected
        try:
            rel = probe.relative_to(settings.repo_root).as_posix()
            rule = gitutil.ignore_rule(settings.repo_root, rel)
            # check-ignore -v also reports a matching `!` (re-include) rule: that one does not ignore.
            cfg.gitignore_rule = None if rule is None or rule.split(":", 2)[-1].startswith("!") else rule
        except ValueError:
            cfg.gitignore_rule = None
    ctx.shared[key] = cfg
    return cfg


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return None


def _version_note(cfg: StreamlitConfig) -> str:
    return f" (Streamlit {cfg.version} in {cfg.version_source})" if cfg.version else ""


@check("streamlit.xsrf", "Streamlit XSRF protection on, CORS not opened to every origin (config.toml + env)")
def streamlit_xsrf(ctx: CheckContext) -> CheckResult:
    """Item 3.2, configuration part."""
    try:
        cfg = load_streamlit_config(ctx)
    except ConfigError as exc:
        return errored(str(exc))
    root = ctx.settings.repo_root or ctx.settings.project_dir
    evidence = cfg.evidence(root)
    xsrf = _as_bool(cfg.value("server.enableXsrfProtection"))
    cors = _as_bool(cfg.value("server.enableCORS"))
    note = _version_note(cfg)
    ignored = (f"; .gitignore ignores {PROJECT_CONFIG} ({cfg.gitignore_rule}), so a deploy from git "
               "would not carry it") if cfg.gitignore_rule else ""
    if xsrf is None:
        return failed(f"server.enableXsrfProtection has an invalid value ({cfg.source('server.enableXsrfProtection')});"
                      " set it to true", **evidence)
    if not xsrf:
        return failed(f"XSRF protection is off (server.enableXsrfProtection = false from "
                      f"{cfg.source('server.enableXsrfProtection')}){note}", **evidence)
    if cors is False:
        evidence["streamlit_cors_explanation"] = CORS_EXPLANATION
        return warned(f"XSRF protection on, but {CORS_EXPLANATION} ({cfg.source('server.enableCORS')}){note}",
                      **evidence)
    if cfg.project_file is None:
        return warned(f"no {PROJECT_CONFIG}: Streamlit's defaults apply (XSRF on) but the setting is not "
                      f"pinned{ignored}{note}", **evidence)
    if cfg.gitignore_rule:
        return warned(f"XSRF protection on ({cfg.source('server.enableXsrfProtection')}){ignored}{note}", **evidence)
    return passed(f"XSRF protection on ({cfg.source('server.enableXsrfProtection')}), CORS checks on{note}",
                  **evidence)


@check("streamlit.error_details", 'Streamlit client.showErrorDetails is "type" or "none" (no tracebacks)')
def streamlit_error_details(ctx: CheckContext) -> CheckResult:
    """Item 3.8, configuration part (the live probes are `http.error_leaks`)."""
    try:
        cfg = load_streamlit_config(ctx)
    except ConfigError as exc:
        return errored(str(exc))
    root = ctx.settings.repo_root or ctx.settings.project_dir
    evidence = cfg.evidence(root)
    raw = cfg.value("client.showErrorDetails")
    source = cfg.source("client.showErrorDetails")
    level = {True: "full", False: "stacktrace"}.get(raw, raw) if isinstance(raw, bool) else str(raw).lower()
    evidence["streamlit_error_detail_level"] = level
    note = _version_note(cfg)
    if level in SAFE_ERROR_DETAILS:
        return passed(f'client.showErrorDetails = "{level}" ({source}): users see no traceback{note}', **evidence)
    if level not in ERROR_DETAIL_LEVELS:
        return failed(f"client.showErrorDetails has an unknown value {raw!r} ({source}); "
                      'use "type" or "none"', **evidence)
    shown = f"{raw!r} → \"{level}\"" if isinstance(raw, bool) else f'"{level}"'
    return failed(f"client.showErrorDetails is {shown} ({source}): tracebacks reach the browser; "
                  'set it to "type" or "none"', **evidence)
