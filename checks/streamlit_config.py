"""Streamlit configuration checks: XSRF/CORS (3.2) and error details (3.8, configuration part).

The options are read from the project map, which resolves them for every way the repository starts
Streamlit with Streamlit's own precedence: command-line flags (Dockerfile `CMD`, compose `command:`,
Procfile, launcher scripts) over `STREAMLIT_*` environment variables over the `config.toml` the
deployment ships (the one the image copies, relative to its `WORKDIR`; a subfolder's, not the root's)
over the defaults (docs/project-map.md). Production deployments are judged; development ones only when
there is nothing else. The worst deployment decides, and the summary names the file and line.
"""

from __future__ import annotations

import os
import re
from typing import Any

from readiness_tui.checkapi import CheckContext, check
from readiness_tui.model import CheckResult, errored, failed, not_applicable, passed, warned
from readiness_tui.projectmap import Launch, OptionValue, ProjectMap

PROJECT_CONFIG = ".streamlit/config.toml"
#: Since Streamlit 1.41: booleans map onto the levels; only "type" and "none" hide tracebacks.
ERROR_DETAIL_LEVELS = ("full", "stacktrace", "type", "none")
SAFE_ERROR_DETAILS = ("type", "none")
CORS_EXPLANATION = (
    "with server.enableCORS = false Streamlit answers Access-Control-Allow-Origin: * and accepts "
    "WebSocket connections from any origin (XSRF protection only guards uploads); remove the line "
    "(the default is true) or list trusted origins in server.corsAllowedOrigins"
)


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


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return None


def _deployed(ctx: CheckContext) -> tuple[ProjectMap, list[Launch], CheckResult | None]:
    """The map, the deployments judged, and a result when there is nothing to judge (N/A) or a config
    file Streamlit would refuse (error)."""
    pm = ctx.project_map()
    if not pm.streamlit_used():
        return pm, [], not_applicable("no Streamlit app, .streamlit/ folder or `streamlit run` command in the "
                                      "repository").with_facts(used=False)
    launches = pm.deployments()
    for launch in launches:
        for config in launch.configs:
            if config.problem and config.state in ("tracked", "untracked", "template", "host"):
                return pm, launches, errored(config.problem).with_facts(config=config.path)
    return pm, launches, None


def _evidence(ctx: CheckContext, launches: list[Launch]) -> dict[str, Any]:
    first = launches[0]
    project = next((c for c in first.configs if c.role in ("project", "script") and c.read), None)
    ignored = next((c for la in launches for c in la.configs if c.rule and c.state in ("ignored", "absent", "template")),
                   None)
    evidence: dict[str, Any] = {
        "streamlit_config_file": project.path if project else None,
        "streamlit_options": {k: {"value": v.value, "source": v.source} for k, v in first.options.items()},
        "streamlit_deployments": [la.to_dict() for la in launches[:6]],
        "streamlit_fix_target": first.fix_config,
    }
    if ignored is not None:
        evidence["streamlit_gitignore_rule"] = ignored.rule
        evidence["streamlit_ignored_config"] = ignored.path
    version, where = _streamlit_version(ctx)
    if version:
        evidence["streamlit_version"] = version
        evidence["streamlit_version_source"] = where
    return evidence


def _version_note(evidence: dict[str, Any]) -> str:
    version = evidence.get("streamlit_version")
    return f" (Streamlit {version} in {evidence['streamlit_version_source']})" if version else ""


def _where(launch: Launch, others: int) -> str:
    more = f" and {others} more deployment{'s' if others > 1 else ''}" if others else ""
    return f"{launch.where}{more}"


def _facts(launches: list[Launch], option: str) -> list[dict[str, Any]]:
    return [{"deployment": la.where.split(" → ")[0], "value": la.options[option].value,
             "from": la.options[option].kind} for la in launches[:6]]


@check("streamlit.xsrf", "Streamlit XSRF protection on and CORS not opened to every origin, as each deployment "
       "runs it (flags, STREAMLIT_* env, the shipped config.toml, defaults)")
def streamlit_xsrf(ctx: CheckContext) -> CheckResult:
    """Item 3.2, configuration part (the live `_streamlit_xsrf` cookie is `http.xsrf_cookie`)."""
    _pm, launches, early = _deployed(ctx)
    if early is not None:
        return early
    evidence = _evidence(ctx, launches)
    note = _version_note(evidence)
    facts = {"xsrf": _facts(launches, "server.enableXsrfProtection"), "cors": _facts(launches, "server.enableCORS")}
    xsrf = [(la, la.options["server.enableXsrfProtection"]) for la in launches]
    invalid = [(la, v) for la, v in xsrf if _as_bool(v.value) is None]
    if invalid:
        launch, value = invalid[0]
        return failed(f"server.enableXsrfProtection has an invalid value ({value.source}); set it to true",
                      **evidence).with_facts(**facts)
    off = [(la, v) for la, v in xsrf if _as_bool(v.value) is False]
    if off:
        launch, value = off[0]
        return failed(f"XSRF protection is off: {value.source}{note}", **evidence).with_facts(**facts)
    cors_off = [(la, la.options["server.enableCORS"]) for la in launches
                if _as_bool(la.options["server.enableCORS"].value) is False]
    if cors_off:
        launch, value = cors_off[0]
        evidence["streamlit_cors_explanation"] = CORS_EXPLANATION
        return warned(f"XSRF protection on ({xsrf[0][1].source}), but {CORS_EXPLANATION} ({value.source}){note}",
                      **evidence).with_facts(**facts)
    ignored = ""
    if evidence.get("streamlit_gitignore_rule"):
        ignored = (f"; .gitignore ignores {evidence['streamlit_ignored_config']} ({evidence['streamlit_gitignore_rule']}), "
                   "so a deploy from git would not carry it")
    if all(v.kind == "default" for _la, v in xsrf):
        where = _where(launches[0], len(launches) - 1) if launches[0].kind != "none" else "the repository"
        return warned(f"nothing sets server.enableXsrfProtection in {where}: Streamlit's defaults apply (XSRF on) but "
                      f"the setting is not pinned{ignored}{note}", **evidence).with_facts(**facts)
    if ignored:
        return warned(f"XSRF protection on ({xsrf[0][1].source}){ignored}{note}", **evidence).with_facts(**facts)
    return passed(f"XSRF protection on ({xsrf[0][1].source}), CORS checks on{note}", **evidence).with_facts(**facts)


def _level(value: OptionValue) -> str:
    raw = value.value
    if isinstance(raw, bool):
        return "full" if raw else "stacktrace"
    return str(raw).lower()


@check("streamlit.error_details", 'Streamlit client.showErrorDetails is "type" or "none" (no tracebacks), as each '
       "deployment runs it")
def streamlit_error_details(ctx: CheckContext) -> CheckResult:
    """Item 3.8, configuration part (the live probes are `http.error_leaks`)."""
    _pm, launches, early = _deployed(ctx)
    if early is not None:
        return early
    evidence = _evidence(ctx, launches)
    note = _version_note(evidence)
    details = [(la, la.options["client.showErrorDetails"]) for la in launches]
    facts = {"show_error_details": [dict(f, level=_level(v)) for f, (_la, v) in
                                    zip(_facts(launches, "client.showErrorDetails"), details, strict=False)]}
    unsafe = [(la, v) for la, v in details if _level(v) not in SAFE_ERROR_DETAILS]
    evidence["streamlit_error_detail_level"] = _level(unsafe[0][1] if unsafe else details[0][1])
    fix = evidence.get("streamlit_fix_target") or PROJECT_CONFIG
    if not unsafe:
        launch, value = details[0]
        return passed(f'client.showErrorDetails = "{_level(value)}" ({value.source}): users see no traceback{note}',
                      **evidence).with_facts(**facts)
    launch, value = unsafe[0]
    level = _level(value)
    if level not in ERROR_DETAIL_LEVELS:
        return failed(f"client.showErrorDetails has an unknown value {value.value!r} ({value.source}); "
                      f'use "type" or "none"', **evidence).with_facts(**facts)
    shown = f'{value.value!r} → "{level}"' if isinstance(value.value, bool) else f'"{level}"'
    where = "" if launch.kind == "none" else f" for {_where(launch, len(unsafe) - 1)}"
    return failed(f"client.showErrorDetails is {shown} ({value.source}){where}: tracebacks reach the browser; "
                  f'set it to "type" or "none" (in {fix}){note}', **evidence).with_facts(**facts)
