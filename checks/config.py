"""Evidence from configuration and code for the assisted items: refresh interval (4.5, 10.5),
page size (4.6) and monitoring (5.2–5.6). A machine finds the evidence; a person confirms.

Values of `.env` are never shown: evidence names the key or the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from readiness_tui.checks._corpus import corpus

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, failed, pending

CODE_EXT = (".py", ".toml", ".yml", ".yaml", ".json", ".ini", ".cfg", ".conf", ".js", ".ts", ".sh")


@dataclass
class Hit:
    """Where a setting was found."""

    where: str
    value: float | None = None


def _config_docs(ctx: CheckContext):
    return [d for d in corpus(ctx) if d.rel.endswith(CODE_EXT) or Path(d.rel).name.lower() in ("dockerfile", "crontab")
            or ".env" in Path(d.rel).name]


def _env_hits(ctx: CheckContext, key_rx: re.Pattern[str]) -> list[Hit]:
    hits = []
    for e in ctx.settings.env_entries:
        if key_rx.search(e.key):
            try:
                value: float | None = float(e.value)
            except ValueError:
                value = None
            hits.append(Hit(f".env:{e.line} {e.key}", value))
    return hits


def _code_hits(ctx: CheckContext, rx: re.Pattern[str], scale: float = 1.0) -> list[Hit]:
    hits = []
    for doc in _config_docs(ctx):
        if not rx.search(doc.text):
            continue
        for n, line in enumerate(doc.lines, 1):
            m = rx.search(line)
            if m:
                raw = m.groupdict().get("value")
                value = float(raw) * scale if raw else None
                hits.append(Hit(f"{doc.rel}:{n}", value))
    return hits


REFRESH_KEY = re.compile(r"REFRESH", re.I)
REFRESH_MS = re.compile(r"st_autorefresh\s*\(\s*(?:interval\s*=\s*)?(?P<value>\d+(?:\.\d+)?)")
REFRESH_S = re.compile(r"(?i)(?:auto_?refresh|refresh)_?(?:interval|seconds|secs|rate)?\w*\s*[:=]\s*(?P<value>\d+(?:\.\d+)?)\b")


def refresh_hits(ctx: CheckContext) -> list[Hit]:
    """Where `.env` and the code set an auto-refresh interval (seconds when a value is given)."""
    hits = _env_hits(ctx, REFRESH_KEY)
    for h in hits:
        if h.value is not None and re.search(r"_MS\b|MILLI", h.where, re.I):
            h.value /= 1000
    code = _code_hits(ctx, REFRESH_MS, scale=0.001) + _code_hits(ctx, REFRESH_S)
    # readiness.toml is this tool's own configuration (its refresh_watch is not the app's interval).
    return hits + [h for h in code if not h.where.split(":")[0].endswith("readiness.toml")]


@check("config.auto_refresh", "The dashboard's auto-refresh interval, found in code and .env, is at least 30 s",
       params={"min_seconds": Param(float, "the shortest acceptable refresh interval", 30.0)})
def auto_refresh(ctx: CheckContext) -> CheckResult:
    minimum = float(ctx.param("min_seconds"))
    hits = refresh_hits(ctx)
    measured = [h for h in hits if h.value is not None]
    evidence = {"found": [f"{h.where} = {h.value:g} s" if h.value is not None else h.where for h in hits[:20]],
                "minimum_s": minimum}
    too_fast = [h for h in measured if h.value is not None and 0 < h.value < minimum]
    if too_fast:
        where = ", ".join(f"{h.where} ({h.value:g} s)" for h in too_fast[:3])
        return failed(f"auto-refresh faster than {minimum:g} s: {where}", **evidence)
    if measured:
        shortest = min(h.value for h in measured if h.value is not None)
        return pending(f"auto-refresh every {shortest:g} s ({measured[0].where}); confirm in the running dashboard",
                       **evidence)
    return pending("no auto-refresh interval found in code or .env: confirm it in the dashboard", **evidence)


PAGE_KEY = re.compile(r"PAGE_SIZE|PER_PAGE|PAGE_LIMIT|ROWS_PER_PAGE", re.I)
PAGE_CODE = re.compile(r"(?i)\b(?:page_size|per_page|page_limit|rows_per_page|items_per_page)\s*[:=]\s*(?P<value>\d+)\b")


@check("config.page_size", "Pagination page size, found in code and .env, is 25–50 records",
       params={"min": Param(float, "smallest acceptable page size", 25.0), "max": Param(float, "largest acceptable page size", 50.0)})
def page_size(ctx: CheckContext) -> CheckResult:
    low, high = float(ctx.param("min")), float(ctx.param("max"))
    hits = _env_hits(ctx, PAGE_KEY) + _code_hits(ctx, PAGE_CODE)
    measured = [h for h in hits if h.value is not None]
    evidence = {"found": [f"{h.where} = {h.value:g}" if h.value is not None else h.where for h in hits[:20]],
                "range": [low, high]}
    outside = [h for h in measured if h.value is not None and not low <= h.value <= high]
    if outside:
        where = ", ".join(f"{h.where} ({h.value:g})" for h in outside[:3])
        return failed(f"page size outside {low:g}–{high:g}: {where}", **evidence)
    if measured:
        return pending(f"page size {measured[0].value:g} ({measured[0].where}); confirm large lists paginate",
                       **evidence)
    return pending("no page size setting found: confirm that large lists are paginated (25–50 per page)", **evidence)


@dataclass(frozen=True)
class Signal:
    """A sign that a monitoring tool is configured."""

    name: str
    env: str
    code: str


def _monitoring(ctx: CheckContext, what: str, signals: list[Signal]) -> CheckResult:
    found: dict[str, list[str]] = {}
    for signal in signals:
        where = [h.where for h in _env_hits(ctx, re.compile(signal.env))]
        where += [h.where for h in _code_hits(ctx, re.compile(signal.code))][:5]
        if where:
            found[signal.name] = where
    evidence = {"found": found}
    if not found:
        names = ", ".join(s.name for s in signals)
        return failed(f"no {what} configured in .env, code or config ({names} not found)", **evidence)
    tools = ", ".join(found)
    first = next(iter(found.values()))[0]
    return pending(f"{what}: {tools} configured ({first}); confirm it receives data", **evidence)


@check("monitoring.log_aggregation", "Log aggregation is configured (CloudWatch, Datadog, Loki, a Docker log driver…)")
def log_aggregation(ctx: CheckContext) -> CheckResult:
    return _monitoring(ctx, "log aggregation", [
        Signal("Datadog", r"^DD_(API_KEY|LOGS)", r"(?i)datadog|logging\.driver.*datadog"),
        Signal("CloudWatch", r"CLOUDWATCH|AWS_LOG", r"(?i)awslogs|cloudwatch"),
        Signal("Loki / Grafana", r"LOKI", r"(?i)\bloki\b|promtail"),
        Signal("Elastic / Logstash", r"ELASTIC|LOGSTASH", r"(?i)logstash|filebeat|fluent-?bit|fluentd|gelf"),
        Signal("Papertrail / Logtail", r"PAPERTRAIL|LOGTAIL|BETTERSTACK", r"(?i)papertrail|logtail|betterstack"),
    ])


SENTRY_DSN = re.compile(r"^https://[0-9a-f]{16,64}(:[0-9a-f]+)?@[\w.-]+(:\d+)?/\d+$")


@check("monitoring.error_tracking", "Error tracking is configured (a well-formed SENTRY_DSN, sentry_sdk.init)")
def error_tracking(ctx: CheckContext) -> CheckResult:
    dsn = ctx.settings.env.get("SENTRY_DSN")
    if dsn is not None and dsn.strip() and not SENTRY_DSN.match(dsn.strip()):
        return failed("SENTRY_DSN is set but malformed (expected https://<key>@<host>/<project id>)")
    return _monitoring(ctx, "error tracking", [
        Signal("Sentry", r"^SENTRY_DSN$", r"sentry_sdk\.init|import sentry_sdk"),
        Signal("Rollbar", r"ROLLBAR", r"(?i)rollbar\.init"),
        Signal("Bugsnag", r"BUGSNAG", r"(?i)bugsnag\.configure"),
    ])


@check("monitoring.uptime", "Uptime monitoring is configured (UptimeRobot, Pingdom, Better Stack, Healthchecks…)")
def uptime(ctx: CheckContext) -> CheckResult:
    return _monitoring(ctx, "uptime monitoring", [
        Signal("UptimeRobot", r"UPTIMEROBOT", r"(?i)uptimerobot"),
        Signal("Pingdom", r"PINGDOM", r"(?i)pingdom"),
        Signal("Better Stack", r"BETTERUPTIME|BETTERSTACK", r"(?i)betteruptime|better stack"),
        Signal("Healthchecks.io", r"HEALTHCHECKS", r"(?i)hc-ping\.com|healthchecks\.io"),
    ])


@check("monitoring.apm", "Performance monitoring is configured (New Relic, Datadog APM, OpenTelemetry, Prometheus)")
def apm(ctx: CheckContext) -> CheckResult:
    return _monitoring(ctx, "performance monitoring", [
        Signal("New Relic", r"NEW_RELIC", r"(?i)newrelic"),
        Signal("Datadog APM", r"^DD_(TRACE|SERVICE|AGENT)", r"(?i)ddtrace"),
        Signal("OpenTelemetry", r"^OTEL_", r"(?i)opentelemetry"),
        Signal("Prometheus", r"PROMETHEUS", r"(?i)prometheus_client|prometheus_flask_exporter"),
    ])


@check("monitoring.alerts", "Alert notifications are configured (email, Slack, PagerDuty, Opsgenie)")
def alerts(ctx: CheckContext) -> CheckResult:
    return _monitoring(ctx, "alert notifications", [
        Signal("Slack", r"SLACK", r"(?i)hooks\.slack\.com|slack_sdk"),
        Signal("PagerDuty", r"PAGERDUTY", r"(?i)pagerduty"),
        Signal("Opsgenie", r"OPSGENIE", r"(?i)opsgenie"),
        Signal("email alerts", r"ALERT_EMAIL|SMTP_HOST|ALERT", r"(?i)alertmanager|alert_email"),
    ])
