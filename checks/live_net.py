"""Reachability: TCP to the frontend and backend ports (2.7), TCP + TLS to Supabase and Pusher (2.6),
and the TLS certificates of the backend (2.8) and the frontend (3.3)."""

from __future__ import annotations

import asyncio
from typing import Any

from readiness_tui.checks._common import split_url, unprobed

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, errored, failed, not_applicable, passed, warned
from readiness_tui.tlsprobe import TlsReport, probe_tls, tcp_connect

DEFAULT_PORTS = {"http": 80, "https": 443}


def host_port(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL with the scheme's default port filled in."""
    parts = split_url(url)
    if parts is None:
        return None
    scheme, host, port = parts
    return scheme, host, port or DEFAULT_PORTS[scheme]


@check("net.ports", "the frontend and backend ports accept TCP connections", live=True)
async def ports(ctx: CheckContext) -> CheckResult:
    """Item 2.7: a TCP connect to each service's host:port (from FRONTEND_URL and BACKEND_API_URL)."""
    targets: list[tuple[str, str, int]] = []
    skipped: list[str] = []
    for name in ("frontend", "backend"):
        endpoint = ctx.endpoint(name)
        hp = host_port(endpoint.url) if endpoint.ok and endpoint.url else None
        if hp is None:
            if name == "backend" and endpoint.refused == "not set" and not ctx.project_map().used("backend"):
                continue
            skipped.append(endpoint.detail or f"{endpoint.setting} is not an http(s) URL")
        else:
            targets.append((name, hp[1], hp[2]))
    if not targets:
        return errored("; ".join(skipped)).skipped("no URL")
    timeout = ctx.settings.connect_timeout
    results = await asyncio.gather(*(tcp_connect(host, port, timeout) for _, host, port in targets))
    evidence: dict[str, Any] = {f"{name}_port": r.evidence() for (name, _, _), r in zip(targets, results, strict=True)}
    if skipped:
        evidence["skipped"] = skipped
    closed = [f"{name} {r.host}:{r.port} {r.error}" for (name, _, _), r in zip(targets, results, strict=True)
              if not r.ok and r.kind != "dns"]
    dns = [f"{name} {r.error}" for (name, _, _), r in zip(targets, results, strict=True) if r.kind == "dns"]
    if closed:
        return failed("; ".join(closed), **evidence)
    if dns or skipped:
        return errored("; ".join(dns + skipped), **evidence).skipped("unreachable" if dns else "no URL")
    opened = ", ".join(f"{name} {r.host}:{r.port}" for (name, _, _), r in zip(targets, results, strict=True))
    return passed(f"ports open: {opened}", **evidence)


def _pusher_target(ctx: CheckContext) -> tuple[str, int] | None:
    """The Pusher WebSocket host:port: `pusher_host` (host, host:port or a URL) or ws-<cluster>.pusher.com:443."""
    override = ctx.settings.pusher_host
    if override:
        if "://" in override:
            parts = split_url(override.replace("wss://", "https://").replace("ws://", "http://"))
            if parts:
                return parts[1], parts[2] or 443
        host, _, port = override.rpartition(":") if override.count(":") == 1 else (override, "", "")
        return (host, int(port)) if port.isdigit() else (override, 443)
    if ctx.settings.pusher_cluster:
        return f"ws-{ctx.settings.pusher_cluster.strip()}.pusher.com", 443
    return None


async def _reach(ctx: CheckContext, name: str, scheme: str, host: str, port: int) -> tuple[str, str, dict[str, Any]]:
    """(status pass|fail|error, one line, evidence) of TCP + TLS to one external host."""
    if scheme == "http":
        conn = await tcp_connect(host, port, ctx.settings.connect_timeout)
        if conn.ok:
            return "pass", f"{name} {host}:{port} reachable (plain http: no TLS to check)", conn.evidence()
        return ("error" if conn.kind == "dns" else "fail"), f"{name} {host}:{port}: {conn.error}", conn.evidence()
    report = await probe_tls(host, port, ctx.settings)
    if report.verified:
        return "pass", f"{name} {host}:{port} ({report.protocol})", report.evidence()
    if report.kind == "dns":
        return "error", f"{name} {host}: {report.reason}", report.evidence()
    return "fail", f"{name} {host}:{port}: {report.reason}", report.evidence()


@check("net.external_reach", "TCP + TLS handshake to the Supabase host and the Pusher WebSocket host", live=True)
async def external_reach(ctx: CheckContext) -> CheckResult:
    """Item 2.6. Each host is judged when the project uses the service or it is configured; not applicable
    only when the project map shows neither Supabase nor Pusher is used."""
    pm = ctx.project_map()
    jobs = []
    notes: dict[str, str] = {}
    unset: list[str] = []
    for service, name in (("supabase", "Supabase"), ("pusher", "Pusher")):
        endpoint = ctx.endpoint(service)
        if service == "pusher" and ctx.settings.pusher_host and endpoint.refused != "placeholder":
            target = _pusher_target(ctx)
            if target:
                jobs.append(_reach(ctx, name, "https", *target))
                continue
        if endpoint.ok and endpoint.url:
            if service == "pusher":
                target = _pusher_target(ctx)
                if target:
                    jobs.append(_reach(ctx, name, "https", *target))
                    continue
            elif (hp := host_port(endpoint.url)) is not None:
                jobs.append(_reach(ctx, name, *hp))
                continue
        if pm.used(service) or endpoint.refused == "placeholder":
            unset.append(f"{endpoint.detail} ({name} is used: {pm.evidence_of(service, limit=1)})"
                         if pm.used(service) else endpoint.detail)
        else:
            notes[service] = f"not used: {pm.absence(service)}"
    if not jobs:
        if not unset:
            return not_applicable("neither Supabase nor Pusher is used: " + pm.absence("supabase") + "; " +
                                  pm.absence("pusher"), **notes).with_facts(used=False)
        if ctx.settings.env_file.is_file() and not any("placeholder" in u for u in unset):
            return failed("not configured in .env: " + "; ".join(unset), **notes).with_facts(configured=False)
        return errored("not probed: " + "; ".join(unset), **notes).skipped(
            "placeholder" if any("placeholder" in u for u in unset) else "no URL")
    outcomes = await asyncio.gather(*jobs)
    evidence: dict[str, Any] = dict(notes)
    for _status, line, ev in outcomes:
        evidence[line.split(" ", 1)[0].lower() + "_reach"] = ev
    lines = [line for _, line, _ in outcomes]
    statuses = [s for s, _, _ in outcomes]
    facts = {line.split(" ", 1)[0].lower(): status for status, line, _ in outcomes}
    tail = "".join(f"; not probed: {u}" for u in unset)
    if "fail" in statuses:
        return failed("; ".join(line for s, line, _ in outcomes if s != "pass") + tail, **evidence).with_facts(**facts)
    if "error" in statuses:
        return errored("; ".join(line for s, line, _ in outcomes if s != "pass") + tail,
                       **evidence).with_facts(**facts).skipped("unreachable")
    if unset:
        return errored("reached " + ", ".join(lines) + tail, **evidence).with_facts(**facts).skipped("no URL")
    tail = "; Pusher not used" if "pusher" in notes else ""
    return passed("reached " + ", ".join(lines) + tail, **evidence).with_facts(**facts)


#: Parameters of the certificate checks (2.8, 3.3).
TLS_PARAMS = {
    "fail_days": Param(float, "fail when the certificate expires within this many days", 7.0),
    "warn_days": Param(float, "warn when the certificate expires within this many days", 30.0),
}


def judge_tls(setting: str, url: str | None, report: TlsReport | None, ctx: CheckContext) -> CheckResult:
    """The verdict on one service's certificate (2.8 backend, 3.3 frontend)."""
    evidence: dict[str, Any] = {"url_setting": setting}
    if report is None:
        return errored(f"{setting} not set or not an http(s) URL", **evidence)
    evidence["tls"] = report.evidence()
    where = f"{report.host}:{report.port}"
    if report.kind in ("refused", "timeout", "dns", "other"):
        return errored(f"{where}: {report.reason}", **evidence).skipped("unreachable")
    if not report.verified:
        return failed(f"{where}: {report.reason}", **evidence)
    days = report.days_left if report.days_left is not None else 0.0
    fail_days = float(ctx.param("fail_days"))
    warn_days = float(ctx.param("warn_days"))
    facts = f"{report.protocol}, issued by {report.issuer or 'unknown'}, expires {report.not_after[:10]}"
    # What a sign-off binds: whose certificate, from whom, which protocol; not the days left (a count).
    decisive = {"host": report.host, "issuer": report.issuer, "protocol": report.protocol}
    if report.reason:  # outdated protocol
        return failed(f"{where}: {report.reason} ({facts})", **evidence).with_facts(**decisive)
    if days < fail_days:
        return failed(f"{where}: certificate expires in {days:.0f} days (< {fail_days:g}): renew now",
                      **evidence).with_facts(**decisive)
    if days < warn_days:
        return warned(f"{where}: certificate valid but expires in {days:.0f} days (< {warn_days:g})",
                      **evidence).with_facts(**decisive)
    return passed(f"{where}: certificate valid for {report.host}, {days:.0f} days left ({facts})",
                  **evidence).with_facts(**decisive)


async def _tls_item(ctx: CheckContext, setting: str, url: str | None) -> CheckResult:
    which = "backend" if setting == "BACKEND_API_URL" else "frontend"
    endpoint = ctx.endpoint(which)
    if not endpoint.ok:
        return unprobed(ctx, endpoint, "backend" if which == "backend" else "", f"the {which}")
    if which == "frontend" and endpoint.source in ("default", "unset"):
        return errored(f"FRONTEND_URL is not set (the public address of the frontend): only its default "
                       f"{endpoint.url} is known, which has no certificate to check", url_setting=setting
                       ).skipped("no URL")
    url = endpoint.url
    assert url is not None
    hp = host_port(url)
    if hp is None:
        return errored(f"{setting} is not an http(s) URL", url_setting=setting)
    scheme, host, port = hp
    if scheme != "https":
        return failed(f"not HTTPS: {setting} is a plain http:// URL ({host}:{port}), so no certificate protects it",
                      url_setting=setting, scheme=scheme)
    report = await probe_tls(host, port, ctx.settings)
    return judge_tls(setting, url, report, ctx)


@check("tls.backend", "backend TLS certificate: chain trusted, host name, days to expiry, protocol",
       params=TLS_PARAMS, live=True)
async def tls_backend(ctx: CheckContext) -> CheckResult:
    """Item 2.8."""
    return await _tls_item(ctx, "BACKEND_API_URL", ctx.settings.backend_url)


@check("tls.frontend", "frontend TLS certificate: chain trusted, host name, days to expiry, protocol",
       params=TLS_PARAMS, live=True)
async def tls_frontend(ctx: CheckContext) -> CheckResult:
    """Item 3.3."""
    return await _tls_item(ctx, "FRONTEND_URL", ctx.settings.frontend_url)

