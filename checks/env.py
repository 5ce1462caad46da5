"""Section 1 (environment configuration): what the project's `.env` says (4.1 lives in `config`).

Values are inspected in memory only; evidence names keys, never values (URLs are shown with any
password removed, since a URL without its password is not a secret).
"""

from __future__ import annotations

import os
import re
import stat
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from readiness_tui.checks._common import dev_flag, is_local_host, split_url

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, failed, not_applicable, passed, warned
from readiness_tui.redact import preview, redact_url
from readiness_tui.values import decode_jwt, is_placeholder, placeholder_host

PUSHER_CLUSTERS = ("mt1", "us2", "us3", "eu", "ap1", "ap2", "ap3", "ap4", "sa1")
SUPABASE_HOSTED = re.compile(r"^(?P<ref>[a-z0-9]{20})\.supabase\.(co|in)$")
DEMO_ISSUER = "supabase-demo"


def _probe_note(ctx: CheckContext, field: str, value: str | None) -> dict[str, str]:
    """Evidence that the tool probes another address than the application is configured with."""
    probe = getattr(ctx.settings, field, None)
    if probe and value and probe != value and ctx.settings.sources.get(field) == "readiness.toml":
        return {"probed_as": redact_url(probe)}
    return {}


@check("env.dotenv", "The project's .env exists, parses, has every template key, and holds no placeholder or dev value",
       params={
    "template_keys": Param(list[str], "keys the .env must have (default: the keys of the env template found)", []),
    "optional_keys": Param(list[str], "template keys that may be absent", []),
})
def dotenv_file(ctx: CheckContext) -> CheckResult:
    settings = ctx.settings
    path = settings.env_file
    rel = os.path.relpath(path, settings.project_dir)
    if not path.is_file():
        example = settings.find(".env.example")
        how = f"copy {example.name} to .env" if example else "create .env from the checklist's template"
        return failed(f"no .env in {settings.project_dir}: {how} and fill in production values", file=rel)
    env = settings.env
    template = list(ctx.param("template_keys"))
    optional = set(ctx.param("optional_keys"))
    missing = [k for k in template if k not in optional and not env.get(k, "").strip()]
    placeholders = [e.key for e in settings.env_entries if e.value.strip() and is_placeholder(e.value)]
    empty = [e.key for e in settings.env_entries if not e.value.strip() and e.key not in optional]
    dev = [f"{e.key}={e.value.strip()}" for e in settings.env_entries if dev_flag(e.key, e.value)]
    mode = stat.S_IMODE(path.stat().st_mode)
    evidence = {
        "file": rel,
        "keys": [e.key for e in settings.env_entries],
        "missing_keys": missing,
        "placeholder_keys": placeholders,
        "empty_keys": empty,
        "dev_settings": dev,
        "mode": oct(mode),
    }
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if placeholders:
        problems.append(f"placeholder values in {', '.join(placeholders)}")
    if dev:
        problems.append(f"development settings {', '.join(dev)}")
    if problems:
        return failed(f".env: {'; '.join(problems)}", **evidence)
    notes = []
    if empty:
        notes.append(f"empty values: {', '.join(empty)}")
    if mode & stat.S_IROTH:
        notes.append(f"readable by every user (mode {oct(mode)}; chmod 600 .env)")
    if notes:
        return warned(f".env complete, but {'; '.join(notes)}", **evidence)
    return passed(f".env has all {len(template) or len(env)} expected keys, no placeholders or dev settings", **evidence)


def _app_names_value(ctx: CheckContext, names: list[str]) -> tuple[str | None, str, str]:
    """(value, source, name) of the first of the application's own variable names that is set."""
    for name in names:
        value, source = ctx.settings.app_setting(name)
        if value:
            return value, source, name
    return None, "unset", ""


def _unused(ctx: CheckContext, service: str, what: str) -> CheckResult:
    """`not_applicable` with the map's evidence that the service is not used."""
    absence = ctx.project_map().absence(service)
    return not_applicable(f"{what}: {absence}", absent=absence).with_facts(used=False)


def _where_used(ctx: CheckContext, service: str) -> str:
    """`file:line what, …` of the first uses of a service, for a summary."""
    return ctx.project_map().evidence_of(service, limit=2)


@check("env.backend_url", "BACKEND_API_URL is an https URL of a real host (not localhost, not the template's)")
def backend_url(ctx: CheckContext) -> CheckResult:
    """Item 1.2. The frontend's own name for the variable counts too (`API_URL`, `API_BASE_URL` …); not
    applicable when the project map shows no backend API (no framework app, no backend URL read)."""
    pm = ctx.project_map()
    reads = pm.env_names("backend_api")
    url, source = ctx.settings.app_setting("BACKEND_API_URL", "backend_url")
    name = "BACKEND_API_URL"
    if not url:
        url, source, own = _app_names_value(ctx, [n for n in reads if n != name])
        name = own or name
    if not url:
        if not pm.used("backend"):
            return _unused(ctx, "backend", "no backend to configure")
        also = f"; the frontend reads {', '.join(reads[:3])}" if reads and reads != ["BACKEND_API_URL"] else ""
        return failed(f"BACKEND_API_URL is not set (.env, readiness.toml backend_url, or the environment){also}; "
                      f"the backend is used: {_where_used(ctx, 'backend')}",
                      reads=reads).with_facts(used=True, set=False, variables=reads or [name])
    shown = redact_url(url)
    evidence = {"url": shown, "source": source, "variable": name, **_probe_note(ctx, "backend_url", url)}
    facts = {"variable": name, "set": True}
    if is_placeholder(url) or placeholder_host(url):
        return failed(f"{name} is the template placeholder ({shown})", **evidence).with_facts(**facts, placeholder=True)
    parts = split_url(url)
    if parts is None:
        return failed(f"{name} is not an http(s) URL: {shown}", **evidence).with_facts(**facts, url_ok=False)
    scheme, host, _port = parts
    if is_local_host(host):
        return failed(f"{name} points at {host}, not a production host", **evidence).with_facts(**facts, host=host)
    if scheme != "https":
        return failed(f"{name} uses http: traffic and tokens would travel unencrypted ({shown})",
                      **evidence).with_facts(**facts, scheme=scheme)
    return passed(f"{name} = {shown} (from {source})", **evidence).with_facts(**facts, url=shown)


def _supabase_unset(ctx: CheckContext, name: str) -> CheckResult:
    if not ctx.project_map().used("supabase"):
        return _unused(ctx, "supabase", "Supabase is not used")
    return failed(f"{name} is not set; Supabase is used: {_where_used(ctx, 'supabase')}").with_facts(
        used=True, set=False, variable=name)


@check("env.supabase_url", "SUPABASE_URL is https://<project-ref>.supabase.co or an https custom domain")
def supabase_url(ctx: CheckContext) -> CheckResult:
    """Item 1.3; not applicable when the project map shows no Supabase client, REST call or variable."""
    url, source = ctx.settings.app_setting("SUPABASE_URL", "supabase_url")
    if not url:
        names = [n for n in ctx.project_map().env_names("supabase") if n.endswith("URL") and n != "SUPABASE_URL"]
        url, source, _ = _app_names_value(ctx, names)
    if not url:
        return _supabase_unset(ctx, "SUPABASE_URL")
    shown = redact_url(url)
    evidence: dict[str, object] = {"url": shown, "source": source, **_probe_note(ctx, "supabase_url", url)}
    result = _judge_supabase_url(url, shown, evidence)
    return result.with_facts(variable="SUPABASE_URL", set=True, url=shown)


def _judge_supabase_url(url: str, shown: str, evidence: dict[str, object]) -> CheckResult:
    if is_placeholder(url) or "your-project" in url or placeholder_host(url):
        return failed(f"SUPABASE_URL is the template placeholder ({shown})", **evidence)
    parts = split_url(url)
    if parts is None:
        return failed(f"SUPABASE_URL is not an http(s) URL: {shown}", **evidence)
    scheme, host, _ = parts
    path = urlsplit(url).path.strip("/")
    if scheme != "https":
        return failed(f"SUPABASE_URL uses {scheme}, not https", **evidence)
    if is_local_host(host):
        return failed(f"SUPABASE_URL points at {host} (a local instance), not the production project", **evidence)
    if path:
        return warned(f"SUPABASE_URL has a path (/{path}); the client expects the project's base URL", **evidence)
    match = SUPABASE_HOSTED.match(host)
    if match:
        evidence["project_ref"] = match["ref"]
        return passed(f"SUPABASE_URL is hosted project {match['ref']}", **evidence)
    if host.endswith((".supabase.co", ".supabase.in")):
        return failed(f"SUPABASE_URL host {host} is not <20-character project ref>.supabase.co", **evidence)
    return passed(f"SUPABASE_URL is a custom domain ({host})", **evidence)


def _url_ref(url: str | None) -> str | None:
    if not url:
        return None
    parts = split_url(url)
    if parts is None:
        return None
    match = SUPABASE_HOSTED.match(parts[1])
    return match["ref"] if match else None


def analyse_supabase_key(key: str, url: str | None, now: float | None = None) -> CheckResult:
    """Classify a Supabase key: public or secret, demo, project mismatch, expiry (never shows the key)."""
    key = key.strip()
    evidence: dict[str, object] = {"preview": preview(key)}
    if is_placeholder(key):
        return failed("SUPABASE_KEY is the template placeholder", **evidence)
    if key.startswith("sb_secret_"):
        evidence["kind"] = "sb_secret"
        return failed("SUPABASE_KEY is a secret key (sb_secret_…): it bypasses row-level security; "
                      "use the publishable key in the frontend", **evidence)
    if key.startswith("sb_publishable_"):
        evidence["kind"] = "sb_publishable"
        return passed("SUPABASE_KEY is a publishable key (sb_publishable_…)", **evidence)
    decoded = decode_jwt(key)
    if decoded is None:
        evidence["kind"] = "unknown"
        return warned("SUPABASE_KEY is neither a JWT nor an sb_publishable_/sb_secret_ key: cannot tell if it is public",
                      **evidence)
    _header, claims = decoded
    role = claims.get("role")
    evidence.update(kind="jwt", role=role, iss=claims.get("iss"), ref=claims.get("ref"))
    exp = claims.get("exp")
    if isinstance(exp, int | float):
        evidence["expires"] = datetime.fromtimestamp(exp, UTC).date().isoformat()
    if role == "service_role":
        return failed("SUPABASE_KEY is the service_role key: it bypasses row-level security and must never reach "
                      "a frontend; use the anon key and rotate this one", **evidence)
    if role != "anon":
        return failed(f"SUPABASE_KEY has role {role!r}, expected 'anon'", **evidence)
    if claims.get("iss") == DEMO_ISSUER:
        return failed("SUPABASE_KEY is the public self-hosted demo key (iss supabase-demo): anyone can forge tokens; "
                      "generate your own JWT secret and keys", **evidence)
    url_ref = _url_ref(url)
    if url_ref and claims.get("ref") and claims["ref"] != url_ref:
        evidence["url_ref"] = url_ref
        return failed(f"SUPABASE_KEY belongs to project {claims['ref']}, but SUPABASE_URL is project {url_ref}",
                      **evidence)
    if isinstance(exp, int | float) and exp < (now or time.time()):
        return failed(f"SUPABASE_KEY expired on {evidence['expires']}", **evidence)
    return passed("SUPABASE_KEY is the public anon key"
                  + (f" of project {claims.get('ref')}" if claims.get("ref") else ""), **evidence)


@check("env.supabase_key", "SUPABASE_KEY is the public key: anon JWT or sb_publishable_, not service_role, not a demo key")
def supabase_key(ctx: CheckContext) -> CheckResult:
    """Item 1.4; not applicable when the project map shows Supabase is not used."""
    key, source = ctx.settings.app_setting("SUPABASE_KEY", "supabase_key")
    if not key:
        names = [n for n in ctx.project_map().env_names("supabase")
                 if n.endswith("KEY") and n != "SUPABASE_KEY" and not re.search(r"SERVICE|SECRET|ROLE", n)]
        key, source, _ = _app_names_value(ctx, names)
    if not key:
        return _supabase_unset(ctx, "SUPABASE_KEY")
    url, _ = ctx.settings.app_setting("SUPABASE_URL", "supabase_url")
    result = analyse_supabase_key(key, url)
    result.evidence["source"] = source
    return result.with_facts(variable="SUPABASE_KEY", set=True, kind=result.evidence.get("kind"),
                             role=result.evidence.get("role"))


@check("env.pusher", "PUSHER_APP_KEY and PUSHER_CLUSTER both set (cluster a known one), or Pusher not used")
def pusher_config(ctx: CheckContext) -> CheckResult:
    """Item 1.5. The application's own names count (`PUSHER_KEY`, `PUSHER_APP_CLUSTER`); not applicable only
    when neither is set and the project map shows no Pusher client, script or variable."""
    pm = ctx.project_map()
    reads = pm.env_names("pusher")
    key_name = "PUSHER_APP_KEY"
    key, _ = ctx.settings.app_setting("PUSHER_APP_KEY", "pusher_app_key")
    if not key:
        key, _, own = _app_names_value(ctx, [n for n in reads if n.endswith("KEY") and "SECRET" not in n])
        key_name = own or key_name
    cluster, _ = ctx.settings.app_setting("PUSHER_CLUSTER", "pusher_cluster")
    if not cluster:
        cluster, _ = ctx.settings.app_setting("PUSHER_APP_CLUSTER")
    if not key and not cluster:
        if not pm.used("pusher"):
            return _unused(ctx, "pusher", "Pusher is not used (real-time is optional)")
        return failed(f"Pusher is used ({_where_used(ctx, 'pusher')}) but neither its key nor its cluster is set "
                      f"({' / '.join(n for n in reads if n.endswith(('KEY', 'CLUSTER')) and 'SECRET' not in n) or 'PUSHER_APP_KEY / PUSHER_CLUSTER'})",
                      reads=reads).with_facts(used=True, key_set=False, cluster_set=False)
    evidence = {"cluster": cluster, "key_set": bool(key), "key_variable": key_name}
    facts = {"key_set": bool(key), "cluster": cluster}
    if not key:
        return failed(f"PUSHER_CLUSTER is set but {key_name} is missing", **evidence).with_facts(**facts)
    if not cluster:
        return failed(f"{key_name} is set but PUSHER_CLUSTER is missing", **evidence).with_facts(**facts)
    if is_placeholder(key):
        return failed(f"{key_name} is the template placeholder", **evidence).with_facts(**facts, placeholder=True)
    if cluster not in PUSHER_CLUSTERS:
        return failed(f"PUSHER_CLUSTER {cluster!r} is not a Pusher cluster ({' '.join(PUSHER_CLUSTERS)})",
                      **evidence).with_facts(**facts)
    return passed(f"Pusher configured for cluster {cluster}", **evidence).with_facts(**facts)
