"""What the backend's own code configures: CORS (3.1) and rate limiting (3.7), read from the project map.

These are the static halves of items whose live probes (`http.cors`, `http.rate_limit`) need a running
backend. The repository decides first: `CORSMiddleware(allow_origins=["*"], allow_credentials=True)` fails
whatever a probe would add; no limiter in the backend's code or its proxy configuration fails. When the
code leaves the answer to deployment settings (origins from an environment variable), only the probe
can decide, and this check says so instead of guessing.
"""

from __future__ import annotations

import re
from typing import Any

from readiness_tui.checkapi import CheckContext, check
from readiness_tui.model import CheckResult, errored, failed, not_applicable, passed, warned


def _no_backend_code(ctx: CheckContext, what: str) -> CheckResult:
    pm = ctx.project_map()
    backend = ctx.endpoint("backend")
    if not pm.used("backend") and backend.refused in ("not set", "placeholder"):
        absence = pm.absence("backend")
        return not_applicable(f"no backend API: {absence}", absent=absence).with_facts(used=False)
    if pm.used("backend"):
        why = f"the frontend calls it: {pm.evidence_of('backend_api', limit=2)}"
    else:
        why = "the target's backend URL names it"
    return errored(f"the backend's code is not in this repository ({why}): its {what} "
                   "cannot be read here").skipped("no code")


def _where(entry: dict[str, Any]) -> str:
    return f"{entry['file']}:{entry['line']}"


@check("code.cors", "the backend's CORS settings in code: no wildcard or echoed origin together with credentials")
def cors_config(ctx: CheckContext) -> CheckResult:
    """Item 3.1, static part: every CORS configuration call in the backends' code (FastAPI/Starlette
    `CORSMiddleware`, Flask-CORS, Django settings, Go and Node CORS middleware)."""
    pm = ctx.project_map()
    if not pm.backends:
        return _no_backend_code(ctx, "CORS settings")
    entries = [e for b in pm.backends for e in b.cors]
    evidence: dict[str, Any] = {"cors_settings": entries[:10], "backends": [f"{b.folder or '.'} ({b.framework})"
                                                                               for b in pm.backends]}
    facts: dict[str, Any] = {"cors": [{"at": _where(e), "origins": e["origins"], "credentials": e["credentials"]}
                                      for e in entries[:10]]}
    any_origin = [e for e in entries if e["origins"] in ("*", "echo")]
    with_credentials = [e for e in any_origin if e["credentials"]]
    if with_credentials:
        first = with_credentials[0]
        what = "reflects any origin" if first["origins"] == "echo" else "allows any origin (*)"
        return failed(f"CORS {what} together with credentials at {_where(first)}: any website can make "
                      "authenticated requests and read the answers; list the frontend's origin(s) instead",
                      **evidence).with_facts(**facts)
    if any_origin:
        first = any_origin[0]
        return warned(f"CORS allows any origin at {_where(first)} (no credentials): any site may read these "
                      "answers; list the frontend's origin(s)", **evidence).with_facts(**facts)
    defaults = [e for e in entries if e["origins"] == "default *"]
    if defaults:
        first = defaults[0]
        creds = " with credentials" if first["credentials"] else ""
        return warned(f"CORS origins come from a setting that defaults to *{creds} ({_where(first)}): unless the "
                      "deployment sets it to the frontend's origin, any site may read the answers",
                      **evidence).with_facts(**facts)
    from_settings = [e for e in entries if e["origins"] == "settings"]
    if from_settings:
        first = from_settings[0]
        return errored(f"CORS origins come from the deployment's settings ({_where(first)}): only a probe of the "
                       "running backend can tell what they are", **evidence).with_facts(**facts).skipped("settings")
    if entries:
        first = entries[0]
        return passed(f"CORS allows only listed origins ({_where(first)})", **evidence).with_facts(**facts)
    frameworks = ", ".join(sorted({b.framework for b in pm.backends}))
    return passed(f"no CORS middleware in the backend ({frameworks}): it grants no cross-origin access",
                  **evidence).with_facts(cors=[])


@check("code.rate_limit", "rate limiting in the backend's code (a limiter library or middleware) or its proxy")
def rate_limit_config(ctx: CheckContext) -> CheckResult:
    """Item 3.7, static part: slowapi, flask-limiter, fastapi-limiter, django-ratelimit, express-rate-limit,
    Go limiters, a rate-limit middleware of the project's own, or nginx `limit_req` / Traefik rate limits."""
    pm = ctx.project_map()
    if not pm.backends:
        return _no_backend_code(ctx, "rate limiting")
    found = [u for b in pm.backends for u in b.rate_limits] + list(pm.proxy_rate_limits)
    evidence = {"rate_limits": [str(u) for u in found[:10]],
                "backends": [f"{b.folder or '.'} ({b.framework})" for b in pm.backends]}
    if found:
        return passed(f"rate limiting configured: {found[0]}", **evidence).with_facts(
            rate_limits=[u.where for u in found[:10]])
    scanned = len(pm.files(("code", "deploy", "config")))
    return failed(f"no rate limiting: no limiter library or middleware in the backend's code and no limit_req or "
                  f"rate-limit rule in a proxy configuration ({scanned} files read)", **evidence).with_facts(
        rate_limits=[])


#: Deployment settings that put a backend's error pages in debug mode (tracebacks, an interactive debugger).
_DEBUG_ENV = {"FLASK_DEBUG": ("1", "true", "yes", "on"), "FLASK_ENV": ("development",),
              "DJANGO_DEBUG": ("1", "true", "yes", "on"), "WERKZEUG_DEBUG_PIN": ("off",)}


def _resolved(value: str) -> str:
    """`${VAR:-x}` → x (what runs unless VAR is set); other values unchanged, lower-cased."""
    match = re.fullmatch(r"\$\{\w+(?::?[-=])([^}]*)\}", value.strip())
    return (match.group(1) if match else value).strip().strip("'\"").lower()


@check("code.debug_mode", "the backend's deployment does not run it in debug mode (FLASK_DEBUG, FLASK_ENV=development, "
       "DJANGO_DEBUG, FastAPI(debug=True))")
def debug_mode(ctx: CheckContext) -> CheckResult:
    """Item 3.8, backend part read from the repository: debug settings in the production compose services'
    environment, the Dockerfile `ENV` of the stage a build produces, and `FastAPI(debug=True)` in code."""
    pm = ctx.project_map()
    if not pm.backends:
        return not_applicable("no backend code in this repository").with_facts(backend=False)
    found: list[str] = []
    for compose in pm.compose_files:
        if compose.dev:
            continue
        for service in compose.services:
            for name, (value, line) in service.environment.items():
                if value is not None and _resolved(value) in _DEBUG_ENV.get(name, ()):
                    found.append(f"{compose.path}:{line} {name}={value} (service {service.name})")
    targets = {(s.dockerfile, s.target) for c in pm.compose_files if not c.dev for s in c.services if s.dockerfile}
    built = {path for path, _target in targets}
    stages = [(d, d.stage(target)) for d in pm.dockerfiles for path, target in targets if path == d.path]
    stages += [(d, d.stage()) for d in pm.dockerfiles if d.path not in built]
    for dockerfile, stage in stages:
        if stage is None:
            continue
        for name, (value, line) in stage.env.items():
            if _resolved(value) in _DEBUG_ENV.get(name, ()):
                found.append(f"{dockerfile.path}:{line} ENV {name}={value}")
    for backend in pm.backends:
        if backend.framework != "fastapi":
            continue
        text = pm.text(backend.entry.file) or ""
        match = re.search(r"\bFastAPI\s*\([^)]*\bdebug\s*=\s*True", text, re.S)
        if match:
            found.append(f"{backend.entry.file}:{text.count(chr(10), 0, match.start()) + 1} FastAPI(debug=True)")
    if found:
        return failed(f"the backend's deployment runs in debug mode: {found[0]}"
                      + (f" (+{len(found) - 1} more)" if len(found) > 1 else "")
                      + ": its error pages show tracebacks (and Flask's debugger runs code)",
                      debug_settings=found[:10]).with_facts(debug=sorted(found[:10]))
    return passed("no debug mode in the backend's deployment settings (compose environment, Dockerfile ENV, "
                  "FastAPI(debug=…))").with_facts(debug=[])
