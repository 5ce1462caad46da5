"""Reachability: TCP to the frontend and backend ports (2.7), TCP + TLS to Supabase and Pusher (2.6),
and the TLS certificates of the backend (2.8) and the frontend (3.3)."""

from __future__ import annotations

import asyncio
from typing import Any

from readiness_tui.checks._common import split_url

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


@check("net.ports", "the frontend and backend ports accept TCP connections")
async def ports(ctx: CheckContext) -> CheckResult:
    """Item 2.7: a TCP connect to each service's host:port (from FRONTEND_URL and BACKEND_API_URL)."""
    targets: list[tuple[str, str, int]] = []
    skipped: list[str] = []
    for name, setting, url in (("frontend", "FRONTEND_URL", ctx.settings.frontend_url),
                               ("backend", "BACKEND_API_URL", ctx.settings.backend_url)):
        hp = host_port(url) if url else None
        if hp is None:
            skipped.append(f"{setting} {'not set' if not url else 'not an http(s) URL'}")
        else:
            targets.append((name, hp[1], hp[2]))
    if not targets:
        return errored("; ".join(skipped))
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
        return errored("; ".join(dns + skipped), **evidence)
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


@check("net.external_reach", "TCP + TLS handshake to the Supabase host and the Pusher WebSocket host")
async def external_reach(ctx: CheckContext) -> CheckResult:
    """Item 2.6. Pusher is `not applicable` when neither a cluster nor a host is configured."""
    jobs = []
    notes: dict[str, str] = {}
    if ctx.settings.supabase_url and (hp := host_port(ctx.settings.supabase_url)):
        jobs.append(_reach(ctx, "Supabase", *hp))
    else:
        notes["supabase"] = "SUPABASE_URL not set" if not ctx.settings.supabase_url else "SUPABASE_URL is not a URL"
    pusher = _pusher_target(ctx)
    if pusher:
        jobs.append(_reach(ctx, "Pusher", "https", *pusher))
    else:
        notes["pusher"] = "not applicable: Pusher not configured (no PUSHER_CLUSTER)"
    if not jobs:
        return not_applicable("neither Supabase nor Pusher is configured", **notes)
    outcomes = await asyncio.gather(*jobs)
    evidence: dict[str, Any] = dict(notes)
    for _status, line, ev in outcomes:
        evidence[line.split(" ", 1)[0].lower() + "_reach"] = ev
    lines = [line for _, line, _ in outcomes]
    statuses = [s for s, _, _ in outcomes]
    if "fail" in statuses:
        return failed("; ".join(line for s, line, _ in outcomes if s != "pass"), **evidence)
    if "error" in statuses:
        return errored("; ".join(line for s, line, _ in outcomes if s != "pass"), **evidence)
    tail = "; Pusher not configured" if "pusher" in notes else ""
    return passed("reached " + ", ".join(lines) + tail, **evidence)


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
        return errored(f"{where}: {report.reason}", **evidence)
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
    if not url:
        return errored(f"{setting} is not set: no service to check", url_setting=setting)
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
       params=TLS_PARAMS)
async def tls_backend(ctx: CheckContext) -> CheckResult:
    """Item 2.8."""
    return await _tls_item(ctx, "BACKEND_API_URL", ctx.settings.backend_url)


@check("tls.frontend", "frontend TLS certificate: chain trusted, host name, days to expiry, protocol",
       params=TLS_PARAMS)
async def tls_frontend(ctx: CheckContext) -> CheckResult:
    """Item 3.3."""
    return await _tls_item(ctx, "FRONTEND_URL", ctx.settings.frontend_url)

