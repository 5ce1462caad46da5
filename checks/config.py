"""Evidence from configuration and code for the assisted items: refresh interval (4.5, 10.5),
page size (4.6) and monitoring (5.2–5.6). A machine finds the evidence; a person confirms.

Evidence follows the rules of `_corpus` (docs/evidence.md): application code and deployment files
first; tests, notebooks, load-test scripts, lockfiles, CI pipelines, backups and vendored folders
never; comments, docstrings and empty defaults (`${ALERT_EMAIL:-}`) never. Values of `.env` are
never shown: evidence names the key or the file and line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from readiness_tui.checks._corpus import (
    APP,
    CONFIG,
    DEPLOY,
    SCRIPT,
    STATIC_TIMEOUT,
    Doc,
    empty_value,
    evidence_docs,
    exclude_param,
    may_match,
)

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, errored, failed, passed, pending, warned

EXCLUDE = {"evidence_exclude": exclude_param()}


@dataclass
class Hit:
    """Where a setting was found, what it is, and its value in the check's unit (None: not a literal)."""

    where: str
    what: str
    value: float | None = None

    def show(self, unit: str = "") -> str:
        value = f" = {self.value:g}{unit}" if self.value is not None else ""
        return f"{self.where} {self.what}{value}"


# --- durations ---------------------------------------------------------------------------------

_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60,
          "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hour": 3600, "hours": 3600, "d": 86400,
          "day": 86400, "days": 86400}


def seconds(expr: str) -> float | None:
    """A duration written in code, in seconds: `300`, `60 * 5`, `"10m"`, `"1 hour"`,
    `timedelta(minutes=5)`; None when it is not a literal (a variable, a call)."""
    text = expr.strip().strip(",")
    m = re.fullmatch(r"(?:datetime\.)?timedelta\((.*)\)", text)
    if m:
        total = 0.0
        for key, num in re.findall(r"(\w+)\s*=\s*(\d+(?:\.\d+)?)", m.group(1)):
            unit = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1,
                    "milliseconds": 0.001}.get(key)
            if unit is None:
                return None
            total += float(num) * unit
        return total or None
    m = re.fullmatch(r"""["'](\d+(?:\.\d+)?)\s*([a-z]*)["']""", text, re.I)
    if m:
        unit = _UNITS.get(m.group(2).lower() or "s")
        return float(m.group(1)) * unit if unit else None
    if re.fullmatch(r"[\d_.]+(\s*\*\s*[\d_.]+)*", text):
        value = 1.0
        try:
            for part in text.split("*"):
                value *= float(part.strip().replace("_", ""))
        except ValueError:
            return None
        return value
    return None


def _arg(call: str, name: str) -> str | None:
    """The source text of keyword argument `name` in a call's argument text."""
    m = re.search(rf"\b{name}\s*=\s*", call)
    if not m:
        return None
    depth, out = 0, []
    for ch in call[m.end():]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        out.append(ch)
    return "".join(out).strip()


def _positional(call: str) -> list[str]:
    """The top-level arguments of a call's argument text (up to its closing parenthesis)."""
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in call:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    out.append("".join(current).strip())
    return out


def _signature(lines: list[tuple[int, str]], index: int) -> str:
    """The text of the function signature around lines[index] (one parameter per line or all on one)."""
    start = index
    while start > max(0, index - 8) and not re.match(r"\s*(async\s+)?def\s", lines[start][1]):
        start -= 1
    if not re.match(r"\s*(async\s+)?def\s", lines[start][1]):
        start = index
    text = ""
    for _, line in lines[start:start + 12]:
        text += " " + line.strip()
        if "(" in text and text.count("(") <= text.count(")"):
            break
    return text


def _call_text(lines: list[tuple[int, str]], index: int, start: int) -> str:
    """The argument text of a call that opens at column `start` of lines[index], over a few lines."""
    text = lines[index][1][start:]
    for _, more in lines[index + 1:index + 8]:
        if text.count("(") <= text.count(")"):
            break
        text += " " + more.strip()
    return text


# --- 4.5 / 10.5 -------------------------------------------------------------------------------

ST_AUTOREFRESH = re.compile(r"\bst_autorefresh\s*\(")
REFRESH_CALL = re.compile(r"\b(\w*refresh\w*)\s*\(", re.I)
FRAGMENT = re.compile(r"@st\.(?:experimental_)?fragment\s*\(")
SLEEP = re.compile(r"^(\s*)(?:time\.|asyncio\.)?sleep\s*\(\s*([\d.]+|[A-Za-z_]\w*)\s*\)")
CONSTANT = re.compile(r"^([A-Za-z_]\w*)\s*(?::\s*\w+\s*)?=\s*([\d_.]+(?:\s*\*\s*[\d_.]+)*)\s*$")
RERUN = re.compile(r"\bst\.(?:experimental_)?rerun\s*\(")
WHILE_TRUE = re.compile(r"^(\s*)while\s+(True|1)\s*:")
ST_OUTPUT = re.compile(r"\bst\.\w+|\.(metric|write|dataframe|table|plotly_chart|line_chart|bar_chart|markdown|"
                       r"empty|container|text|json|area_chart|altair_chart|pyplot)\s*\(")
META_REFRESH = re.compile(r"""http-equiv\s*=\s*\\?["']refresh\\?["'][^>]*content\s*=\s*\\?["'](\d+)""", re.I)
REFRESH_ENV = re.compile(r"^(?!.*(TOKEN|EXPIR|THRESHOLD|REUSE|TTL|LIFETIME|JWT|SESSION|CACHE|RETRY|TIMEOUT))"
                         r"(\w*_)?(AUTO_?)?REFRESH(_\w*)?(INTERVAL|RATE|PERIOD|SECONDS|SECS|_MS|_S)\w*$", re.I)
_STREAMLIT_IMPORT = re.compile(r"^\s*(import streamlit|from streamlit\b)", re.M)


def streamlit_files(ctx: CheckContext) -> list[Doc]:
    """The application's Streamlit code: Python files that import streamlit (evidence rules applied)."""
    return [d for d in evidence_docs(ctx, [APP]) if d.suffix == ".py" and "streamlit" in d.text
            and _STREAMLIT_IMPORT.search(d.text)]


def _constants(lines: list[tuple[int, str]]) -> dict[str, str]:
    """Module-level numeric constants of a file (`REFRESH_SECONDS = 30`), to read `sleep(REFRESH_SECONDS)`."""
    return {m.group(1): m.group(2) for _, line in lines if (m := CONSTANT.match(line))}


def _refresh_hits(doc: Doc) -> list[Hit]:
    hits: list[Hit] = []
    lines = doc.code_lines()
    constants = _constants(lines)

    def value_of(raw: str | None) -> float | None:
        if raw is None:
            return None
        return seconds(constants.get(raw.strip(), raw))

    for i, (n, line) in enumerate(lines):
        where = f"{doc.rel}:{n}"
        if line.lstrip().startswith(("def ", "async def ", "class ")):
            continue
        if m := ST_AUTOREFRESH.search(line):
            call = _call_text(lines, i, m.end())
            raw = _arg(call, "interval")
            if raw is None:
                first = re.match(r"\s*([\w.]+)\s*[,)]", call)
                raw = first.group(1) if first else None
                ms = value_of(raw) if raw else 1000.0  # st_autorefresh's default interval is 1000 ms
            else:
                ms = value_of(raw)
            hits.append(Hit(where, "st_autorefresh(interval=…)", ms / 1000 if ms is not None else None))
            continue
        if (m := REFRESH_CALL.search(line)) and "interval" in line + _call_text(lines, i, m.end()):
            call = _call_text(lines, i, m.end())
            for name, scale in (("interval_ms", 0.001), ("interval_seconds", 1), ("interval_s", 1),
                                ("interval_sec", 1), ("interval", 1 if "second" in m.group(1).lower() else None)):
                raw = _arg(call, name)
                if raw is None:
                    continue
                value = value_of(raw)
                if scale is None:  # plain `interval=`: milliseconds when it reads like them
                    scale = 0.001 if value is not None and value >= 1000 else 1
                hits.append(Hit(where, f"{m.group(1)}({name}=…)", value * scale if value is not None else None))
                break
            continue
        if m := FRAGMENT.search(line):
            raw = _arg(_call_text(lines, i, m.end()), "run_every")
            if raw is not None and raw != "None":
                hits.append(Hit(where, "@st.fragment(run_every=…)", value_of(raw)))
            continue
        if m := META_REFRESH.search(line):
            hits.append(Hit(where, "<meta http-equiv=refresh>", float(m.group(1))))
            continue
        if m := SLEEP.match(line):
            indent = len(m.group(1))
            for _, after in lines[i + 1:i + 7]:
                depth = len(after) - len(after.lstrip())
                if depth < indent:
                    break
                if depth == indent and RERUN.search(after):
                    hits.append(Hit(where, f"sleep({m.group(2)}) then st.rerun()", value_of(m.group(2))))
                    break
            continue
        if m := WHILE_TRUE.match(line):
            indent = len(m.group(1))
            body: list[str] = []
            for _, after in lines[i + 1:i + 60]:
                if len(after) - len(after.lstrip()) <= indent:
                    break
                body.append(after)
            sleeps = [s for s in (SLEEP.match(b) for b in body) if s]
            if sleeps and any(ST_OUTPUT.search(b) for b in body) and not any(RERUN.search(b) for b in body):
                hits.append(Hit(where, f"while-loop updating the page, sleep({sleeps[0].group(2)})",
                                value_of(sleeps[0].group(2))))
    return hits


@check("config.auto_refresh", "The Streamlit app's auto-refresh interval (st_autorefresh, *refresh*(interval_ms=…), "
       "@st.fragment(run_every=…), sleep-then-rerun, meta refresh) is at least the minimum",
       params={"min_seconds": Param(float, "the shortest acceptable refresh interval", 30.0), **EXCLUDE},
       timeout=STATIC_TIMEOUT)
def auto_refresh(ctx: CheckContext) -> CheckResult:
    minimum = float(ctx.param("min_seconds"))
    files = streamlit_files(ctx)
    hits: list[Hit] = []
    for doc in files:
        if any(w in doc.text for w in ("refresh", "run_every", "sleep", "Refresh")):
            hits += _refresh_hits(doc)
    for e in ctx.settings.env_entries:
        if REFRESH_ENV.search(e.key) and not empty_value(e.value):
            value = seconds(e.value)
            if value is not None and re.search(r"_MS\b|MILLI", e.key, re.I):
                value /= 1000
            hits.append(Hit(f".env:{e.line}", e.key, value))
    measured = [h for h in hits if h.value is not None]
    evidence = {"found": [h.show(" s") for h in hits[:20]], "minimum_s": minimum, "streamlit_files": len(files)}
    facts: dict[str, Any] = {"refresh": [{"where": h.where, "idiom": h.what, "seconds": h.value} for h in hits[:10]],
                             "minimum_s": minimum}
    too_fast = sorted((h for h in measured if h.value is not None and 0 < h.value < minimum),
                      key=lambda h: h.value or 0)
    if too_fast:
        shown = ", ".join(f"{h.where} {h.what} ({h.value:g} s)" for h in too_fast[:3])
        return failed(f"the app refreshes faster than every {minimum:g} s: {shown}", **evidence).with_facts(**facts)
    if measured:
        first = min(measured, key=lambda h: h.value or 0)
        others = f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""
        return pending(f"auto-refresh every {first.value:g} s: {first.where} {first.what}{others}; "
                       "confirm in the running dashboard", **evidence).with_facts(**facts)
    if hits:
        return pending(f"auto-refresh at {hits[0].where} ({hits[0].what}) with an interval that is not a literal: "
                       "confirm it in the dashboard", **evidence).with_facts(**facts)
    if not files:
        return pending("no Streamlit code found to look for an auto-refresh: confirm it in the dashboard",
                       **evidence).with_facts(**facts)
    return pending(f"the Streamlit app ({len(files)} files) does not auto-refresh (no st_autorefresh, run_every, "
                   "sleep-then-rerun or meta refresh): confirm", **evidence).with_facts(**facts)


# --- 4.6 ---------------------------------------------------------------------------------------

PAGE_NAMES = r"page_size|per_page|perpage|pagesize|page_limit|rows_per_page|items_per_page|records_per_page|" \
             r"results_per_page|pageSize|perPage|itemsPerPage|rowsPerPage|PAGE_SIZE|ITEMS_PER_PAGE|PER_PAGE"
PAGE_ASSIGN = re.compile(rf"\b({PAGE_NAMES})\b\s*(?::\s*\w+\s*)?[:=]\s*(?:Query\s*\(\s*(?:default\s*=\s*)?)?(\d+)\b")
LIMIT_PARAM = re.compile(r"\b(limit|size)\s*:\s*(?:int|Optional\[int\]|int\s*\|\s*None)\s*=\s*"
                         r"(?:Query\s*\(\s*(?:default\s*=\s*)?)?(\d+)\b")
LIMIT_QUERY = re.compile(r"\b(limit|size)\s*=\s*Query\s*\(\s*(?:default\s*=\s*)?(\d+)\b")
ARGS_GET = re.compile(rf"""\bargs\.get\(\s*["']({PAGE_NAMES}|limit|size)["']\s*,\s*(?:default\s*=\s*)?["']?(\d+)""",
                      re.I)
PAGE_SELECT = re.compile(r"st\.(selectbox|radio|select_slider|number_input|slider)\s*\(\s*[\"'][^\"']*"
                         r"(per page|page size|rows|items|records|results)[^\"']*[\"']", re.I)
PAGE_ENV = re.compile(r"PAGE_SIZE|PER_PAGE|PAGE_LIMIT|ROWS_PER_PAGE", re.I)
#: A `limit` is a page size only beside an offset, page or cursor (else it is a top-N).
PAGING = re.compile(r"\b(offset|skip|page|page_number|cursor|start|after)\b")


def _page_hits(doc: Doc) -> list[Hit]:
    hits: list[Hit] = []
    lines = doc.code_lines()
    for i, (n, line) in enumerate(lines):
        where = f"{doc.rel}:{n}"
        if m := ARGS_GET.search(line):
            if m.group(1).lower() not in ("limit", "size") or PAGING.search(
                    " ".join(text for _, text in lines[max(0, i - 5):i + 6])):
                hits.append(Hit(where, f"request {m.group(1)} default", float(m.group(2))))
        elif m := PAGE_ASSIGN.search(line):
            hits.append(Hit(where, m.group(1), float(m.group(2))))
        elif (m := LIMIT_PARAM.search(line) or LIMIT_QUERY.search(line)) and PAGING.search(_signature(lines, i)):
            hits.append(Hit(where, f"{m.group(1)} default (with an offset)", float(m.group(2))))
        elif m := PAGE_SELECT.search(line):
            call = _call_text(lines, i, m.end())
            value = _arg(call, "value")
            options = re.search(r"\[\s*([\d\s,]+)\]", call)
            if value and value.isdigit():
                hits.append(Hit(where, f"st.{m.group(1)} page size", float(value)))
            elif options:
                numbers = [int(x) for x in re.findall(r"\d+", options.group(1))]
                index = _arg(call, "index")
                k = int(index) if index and index.isdigit() and int(index) < len(numbers) else 0
                hits.append(Hit(where, f"st.{m.group(1)} page size", float(numbers[k])))
    return hits


@check("config.page_size", "Pagination page size, from the application's API defaults and UI, is within range",
       params={"min": Param(float, "smallest acceptable page size", 25.0),
               "max": Param(float, "largest acceptable page size", 50.0), **EXCLUDE},
       timeout=STATIC_TIMEOUT)
def page_size(ctx: CheckContext) -> CheckResult:
    low, high = float(ctx.param("min")), float(ctx.param("max"))
    hits: list[Hit] = []
    for e in ctx.settings.env_entries:
        if PAGE_ENV.search(e.key) and not empty_value(e.value):
            hits.append(Hit(f".env:{e.line}", e.key, seconds(e.value)))
    for doc in evidence_docs(ctx, [APP]):
        if re.search(r"page|limit|size", doc.text, re.I):
            hits += _page_hits(doc)
    measured = [h for h in hits if h.value is not None]
    evidence = {"found": [h.show() for h in hits[:20]], "range": [low, high]}
    facts = {"page_sizes": [{"where": h.where, "what": h.what, "value": h.value} for h in measured[:10]],
             "range": [low, high]}
    outside = [h for h in measured if h.value is not None and not low <= h.value <= high]
    shown = ", ".join(f"{h.where} {h.what} {h.value:g}" for h in (outside or measured)[:3])
    if outside and len(outside) == len(measured):
        return failed(f"page size outside {low:g}–{high:g}: {shown}", **evidence).with_facts(**facts)
    if outside:
        return warned(f"some page sizes outside {low:g}–{high:g}: {shown} ({len(measured) - len(outside)} within)",
                      **evidence).with_facts(**facts)
    if measured:
        return pending(f"page size {shown}; confirm that large lists paginate", **evidence).with_facts(**facts)
    return pending(f"no page size in the application code: confirm that large lists are paginated "
                   f"({low:g}–{high:g} per page)", **evidence).with_facts(**facts)


# --- 5.2–5.6 -----------------------------------------------------------------------------------

SIGNALS_DOC = ("what counts as evidence: [tool, 'code' | 'env', regular expression]; 'code' matches live lines of "
               "application, deployment, configuration and script files, 'env' matches the names of variables "
               "set to a real value (in .env, compose, Dockerfile ENV, scripts)")

LOG_AGGREGATION = [
    ["Datadog", "code", r"datadog/agent|datadoghq/agent|driver:\s*[\"']?datadog|DatadogLogHandler|datadog_api_client\.v2\.api\.logs"],
    ["Datadog", "env", r"^DD_(API_KEY|LOGS_ENABLED)$"],
    ["CloudWatch Logs", "code", r"\bawslogs\b|CloudWatchLogHandler|\bwatchtower\b|put_log_events|logs:PutLogEvents|\baws logs (create|put)"],
    ["Loki / Promtail", "code", r"\bpromtail\b|grafana/loki|LokiHandler|logging_loki|loki/api/v1/push"],
    ["Loki / Promtail", "env", r"^LOKI_(URL|ENDPOINT|HOST)$"],
    ["Elastic / Fluent", "code", r"\b(logstash|filebeat|fluent-?bit|fluentd|timberio/vector)\b|LogstashHandler|"
                                 r"driver:\s*[\"']?(gelf|fluentd|splunk|syslog)"],
    ["Papertrail / Better Stack", "code", r"papertrailapp\.com|LogtailHandler|in\.logs\.betterstack\.com"],
    ["Papertrail / Better Stack", "env", r"^(PAPERTRAIL|LOGTAIL|BETTERSTACK)_\w+$"],
    ["Google Cloud Logging", "code", r"google\.cloud\s*import\s*logging|google\.cloud\.logging|cloud_logging\.Client"],
    ["Azure Monitor", "code", r"AzureLogHandler|configure_azure_monitor\s*\("],
    ["OpenTelemetry logs", "code", r"OTLPLogExporter|set_logger_provider\s*\("],
]
ERROR_TRACKING = [
    ["Sentry", "code", r"sentry_sdk\.init\s*\(|\bSentry\.init\s*\(|\bsentry\.Init\s*\("],
    ["Sentry", "env", r"^(NEXT_PUBLIC_)?SENTRY_DSN$"],
    ["Rollbar", "code", r"\brollbar\.init\s*\(|\bnew Rollbar\s*\("],
    ["Rollbar", "env", r"^ROLLBAR_(ACCESS_)?TOKEN$"],
    ["Bugsnag", "code", r"\bbugsnag\.configure\s*\(|\bBugsnag\.start\s*\("],
    ["Bugsnag", "env", r"^BUGSNAG_API_KEY$"],
    ["Honeybadger", "code", r"\bhoneybadger\.configure\s*\(|\bHoneybadger\.configure\s*\("],
    ["Honeybadger", "env", r"^HONEYBADGER_API_KEY$"],
]
UPTIME = [
    ["UptimeRobot", "code", r"api\.uptimerobot\.com|stats\.uptimerobot\.com"],
    ["Pingdom", "code", r"api\.pingdom\.com"],
    ["Better Stack Uptime", "code", r"uptime\.betterstack\.com|betteruptime"],
    ["Healthchecks.io", "code", r"hc-ping\.com|healthchecks\.io"],
    ["Uptime Kuma", "code", r"louislam/uptime-kuma|uptime-kuma"],
    ["StatusCake / Checkly / Cronitor", "code", r"statuscake|checklyhq|cronitor\.(io|link)"],
    ["uptime service", "env", r"^(UPTIMEROBOT|PINGDOM|BETTERUPTIME|BETTERSTACK_UPTIME|HEALTHCHECKS|STATUSCAKE|"
                              r"CHECKLY|CRONITOR)_\w+$"],
]
APM = [
    ["Sentry performance", "code", r"traces_sample_rate\s*[=:]\s*(?!0+(?:\.0+)?\b(?!\.))[\w.]|enable_tracing\s*=\s*True|"
                                   r"traces_sampler\s*=|tracesSampleRate\s*:\s*(?!0+(?:\.0+)?\b(?!\.))[\w.]"],
    ["OpenTelemetry", "code", r"\bTracerProvider\s*\(|\bOTLPSpanExporter\s*\(|Instrumentor\(\)\.instrument|"
                              r"Instrumentor\.instrument_app\s*\(|\bopentelemetry-instrument\b|\bNodeSDK\s*\("],
    ["OpenTelemetry", "env", r"^OTEL_(EXPORTER_OTLP_(TRACES_)?ENDPOINT|TRACES_EXPORTER)$"],
    ["Azure Application Insights", "code", r"configure_azure_monitor\s*\(|AzureMonitorTraceExporter"],
    ["Azure Application Insights", "env", r"^APPLICATIONINSIGHTS_CONNECTION_STRING$"],
    ["Datadog APM", "code", r"\bddtrace-run\b|^\s*(from ddtrace import|import ddtrace)|\bpatch_all\s*\("],
    ["Datadog APM", "env", r"^DD_(TRACE_ENABLED|AGENT_HOST)$"],
    ["New Relic", "code", r"newrelic\.agent\.initialize|newrelic-admin run-program|require\([\"']newrelic[\"']\)"],
    ["New Relic", "env", r"^NEW_RELIC_LICENSE_KEY$"],
    ["Elastic APM", "code", r"\belasticapm\b|ElasticAPM\s*\("],
    ["Prometheus metrics", "code", r"\bInstrumentator\(\)|\bPrometheusMetrics\s*\(|\bstart_http_server\s*\(|"
                                   r"\bmake_asgi_app\s*\(|\bmake_wsgi_app\s*\(|\bgenerate_latest\s*\(|prom/prometheus"],
]
ALERTS = [
    ["Alertmanager / alert rules", "code", r"\balertmanager\b|^\s*-\s*alert:\s*\w"],
    ["PagerDuty", "code", r"events\.pagerduty\.com|\bpdpyras\b|pagerduty_config|\bpagerduty\.EventsAPIV2"],
    ["PagerDuty", "env", r"^PAGERDUTY_\w+$"],
    ["Opsgenie", "code", r"api\.opsgenie\.com|opsgenie_sdk|opsgenie_config"],
    ["Opsgenie", "env", r"^OPSGENIE_\w+$"],
    ["Slack webhook", "code", r"hooks\.slack\.com/services/"],
    ["Slack webhook", "env", r"^SLACK_(ALERT_|ALERTS_)?WEBHOOK(_URL)?$"],
    ["CloudWatch alarms", "code", r"put-metric-alarm|put_metric_alarm|AWS::CloudWatch::Alarm|aws_cloudwatch_metric_alarm"],
    ["Grafana alerting", "code", r"contactPoints:|grafana.*alerting"],
    ["email alerts", "env", r"^(ALERT_EMAIL|ALERTS_EMAIL|ALERT_RECIPIENTS?|NOTIFY_EMAIL|ALERT_EMAIL_TO)$"],
]


def _signals(ctx: CheckContext) -> list[tuple[str, str, re.Pattern[str]]] | str:
    out = []
    for entry in ctx.param("signals"):
        if len(entry) != 3 or entry[1] not in ("code", "env"):
            return f"parameter signals: each entry is [tool, 'code' or 'env', pattern], not {entry!r}"
        try:
            out.append((str(entry[0]), str(entry[1]), re.compile(str(entry[2]), re.I)))
        except re.error as exc:
            return f"parameter signals: {entry[0]}: invalid pattern ({exc})"
    return out


_ENV_LINE = re.compile(r"""^\s*(?:ENV\s+|export\s+|-\s+)?["']?([A-Za-z_][A-Za-z0-9_]*)["']?\s*[:=]\s*(.*)$""")


_ANNOTATED = re.compile(r"^[\w.\[\], |]+?\s*=\s*(.*)$")
_READ_ENV = re.compile(r"""^(?:os\.)?(?:getenv|environ\.get|environ\[|env\.get|env\(|config\(|get_env\()\s*\(?\s*"""
                       r"""["'](\w+)["']\s*\]?\s*(?:,\s*(?:default\s*=\s*)?["']([^"']*)["'])?""")
_REFERENCE = re.compile(r"^(process\.env\.|import\.meta\.env\.|settings\.|config\.|self\.|Field\()")


def _env_value(line: str) -> tuple[str, str] | None:
    """(name, the value the repository gives it) of an assignment; '' when it only refers elsewhere."""
    m = _ENV_LINE.match(line)
    if not m:
        return None
    value = m.group(2).strip()
    if ":" in line.split(m.group(1), 1)[1][:3] and (annotated := _ANNOTATED.match(value)):
        value = annotated.group(1).strip()  # `SENTRY_DSN: str = ""` (a settings class)
    shell = re.fullmatch(r"""["']?\$\{(\w+)(:?-)([^}]*)\}["']?""", value)
    if shell:
        value = shell.group(3)  # `${X:-default}`: what runs is the default
    read = _READ_ENV.match(value)
    if read:
        value = read.group(2) or ""  # os.getenv("X", default): only the default is in the repository
    elif _REFERENCE.match(value):
        value = ""
    return m.group(1), value.strip().strip("\"'")


def _unanchored(pattern: str) -> str:
    """A variable-name pattern without its `^`/`$` anchors, to find the name anywhere in a file."""
    return pattern.removeprefix("^").removesuffix("$")


def _monitoring(ctx: CheckContext, what: str) -> CheckResult:
    signals = _signals(ctx)
    if isinstance(signals, str):
        return errored(signals).with_facts(signals="invalid")
    found: dict[str, list[str]] = {}
    ignored: list[str] = []
    for tool, kind, rx in signals:
        if kind == "env":
            for e in ctx.settings.env_entries:
                if rx.search(e.key):
                    if empty_value(e.value):
                        ignored.append(f".env:{e.line} {e.key} (empty)")
                    else:
                        found.setdefault(tool, []).append(f".env:{e.line} {e.key}")
    unanchored = {rx.pattern: re.compile(_unanchored(rx.pattern), re.I) for _, kind, rx in signals if kind == "env"}
    for doc in evidence_docs(ctx, [APP, DEPLOY, CONFIG, SCRIPT]):
        code = [(tool, rx) for tool, kind, rx in signals if kind == "code" and may_match(doc, rx)]
        env = [(tool, rx) for tool, kind, rx in signals if kind == "env" and may_match(doc, unanchored[rx.pattern])]
        if not code and not env:
            continue
        for n, line in doc.code_lines():
            for tool, rx in code:
                if rx.search(line):
                    found.setdefault(tool, []).append(f"{doc.rel}:{n}")
            pair = _env_value(line) if env else None
            if pair is None:
                continue
            for tool, rx in env:
                if rx.search(pair[0]):
                    if empty_value(pair[1]) or pair[1].startswith(("$", "{{")):
                        ignored.append(f"{doc.rel}:{n} {pair[0]} (no value in the repository)")
                    else:
                        found.setdefault(tool, []).append(f"{doc.rel}:{n} {pair[0]}")
    evidence = {"found": {k: v[:5] for k, v in found.items()}, "not_evidence": ignored[:10]}
    facts: dict[str, Any] = {"tools": {k: v[:3] for k, v in found.items()}}
    if not found:
        evidence["searched_for"] = list(dict.fromkeys(t for t, _, _ in signals))
        return failed(f"no {what} configured in the application or deployment files", **evidence) \
            .with_facts(**facts)
    tools = ", ".join(found)
    first = next(iter(found.values()))[0]
    return pending(f"{what}: {tools} configured ({first}); confirm it receives data", **evidence).with_facts(**facts)


def _signals_param(default: list[list[str]]) -> dict[str, Param]:
    return {"signals": Param(list[list[str]], SIGNALS_DOC, default), **EXCLUDE}


@check("monitoring.log_aggregation", "Log aggregation is configured (a log driver or agent that ships logs: "
       "CloudWatch Logs, Datadog, Loki, ELK/Fluent, Papertrail…)", params=_signals_param(LOG_AGGREGATION),
       timeout=STATIC_TIMEOUT)
def log_aggregation(ctx: CheckContext) -> CheckResult:
    return _monitoring(ctx, "log aggregation")


SENTRY_DSN = re.compile(r"^https://[0-9a-f]{16,64}(:[0-9a-f]+)?@[\w.-]+(:\d+)?/\d+$")


@check("monitoring.error_tracking", "Error tracking is configured (sentry_sdk.init, a well-formed SENTRY_DSN, "
       "Rollbar, Bugsnag…)", params=_signals_param(ERROR_TRACKING), timeout=STATIC_TIMEOUT)
def error_tracking(ctx: CheckContext) -> CheckResult:
    dsn = ctx.settings.env.get("SENTRY_DSN")
    if dsn is not None and dsn.strip() and not SENTRY_DSN.match(dsn.strip()):
        return failed("SENTRY_DSN is set but malformed (expected https://<key>@<host>/<project id>)") \
            .with_facts(sentry_dsn="malformed")
    return _monitoring(ctx, "error tracking")


@check("monitoring.uptime", "Uptime monitoring is configured (UptimeRobot, Pingdom, Better Stack, Healthchecks…)",
       params=_signals_param(UPTIME), timeout=STATIC_TIMEOUT)
def uptime(ctx: CheckContext) -> CheckResult:
    return _monitoring(ctx, "uptime monitoring")


@check("monitoring.apm", "Performance monitoring is configured (Sentry tracing with traces_sample_rate > 0, "
       "OpenTelemetry SDK, ddtrace, New Relic, Prometheus metrics)", params=_signals_param(APM), timeout=STATIC_TIMEOUT)
def apm(ctx: CheckContext) -> CheckResult:
    return _monitoring(ctx, "performance monitoring")


@check("monitoring.alerts", "Alert notifications are configured (alert rules, PagerDuty, Opsgenie, a Slack webhook, "
       "an alert e-mail address with a value)", params=_signals_param(ALERTS), timeout=STATIC_TIMEOUT)
def alerts(ctx: CheckContext) -> CheckResult:
    return _monitoring(ctx, "alert notifications")


# --- 4.1 ---------------------------------------------------------------------------------------

ST_CACHE = re.compile(r"@st\.(cache_data|cache_resource|cache|experimental_memo|experimental_singleton)\b(\s*\()?")
REDIS_SETEX = re.compile(r"\.(setex|psetex)\s*\(")
REDIS_SET_EX = re.compile(r"\.set\s*\(.*\b(ex|px)\s*=\s*([^,)]+)")
REDIS_EXPIRE = re.compile(r"\.(expire|pexpire)\s*\(\s*[^,]+,\s*([^,)]+)")
TTL_KWARG = re.compile(r"\b(ttl|ttl_seconds|default_ttl|cache_ttl|expire_after|cache_timeout|"
                       r"default_timeout|CACHE_DEFAULT_TIMEOUT)\s*[=:]\s*([\w.\"'() *]+)")
FLASK_CACHED = re.compile(r"@\w*cache\w*\.(cached|memoize)\s*\(([^)]*)\)")
READS_TTL_ENV = re.compile(r"""(getenv|environ\.get|environ\[|env\.get|config\(|\bint\()\s*\(?\s*["']CACHE_TTL_SECONDS["']"""
                           r"""(\s*,\s*(?:default\s*=\s*)?["']?(\d+))?""")
SETTINGS_TTL = re.compile(r"^\s*cache_ttl_seconds\s*:\s*int\s*=\s*(\d+)", re.I)
#: A resource cache whose function fetches data is a data cache (Streamlit means cache_resource for
#: clients, connections and models, which need no expiry).
DATA_BODY = re.compile(r"\.execute\s*\(|\.table\s*\(|read_sql|\.query\s*\(|\.select\s*\(|requests\.(get|post)|"
                       r"httpx\.(get|post)|pd\.read_|\.fetch(all|one|many)\s*\(|\bSELECT\s", re.I)


def _function_body(lines: list[tuple[int, str]], decorator: int) -> str:
    """The text of the function under a decorator (its def line and indented body, at most 30 lines)."""
    out: list[str] = []
    indent = None
    for _, line in lines[decorator + 1:decorator + 32]:
        depth = len(line) - len(line.lstrip())
        if indent is None:
            if re.match(r"\s*(async\s+)?def\s", line):
                indent = depth
            out.append(line)
            continue
        if depth <= indent and line.strip():
            break
        out.append(line)
    return "\n".join(out)


@dataclass
class Cache:
    """A cache the application sets up: where, how, its TTL in seconds (None: no expiry or not a literal)."""

    where: str
    kind: str
    ttl: float | None
    expires: bool
    client: bool = False


def _caches(doc: Doc) -> list[Cache]:
    out: list[Cache] = []
    lines = doc.code_lines()
    for i, (n, line) in enumerate(lines):
        where = f"{doc.rel}:{n}"
        if m := ST_CACHE.search(line):
            call = _call_text(lines, i, m.end()) if m.group(2) else ""
            raw = _arg(call, "ttl")
            client = m.group(1) in ("cache_resource", "experimental_singleton") and not DATA_BODY.search(
                _function_body(lines, i))
            expires = raw is not None and raw.strip() != "None"
            out.append(Cache(where, f"@st.{m.group(1)}", seconds(raw) if expires and raw else None, expires, client))
        elif m := REDIS_SETEX.search(line):
            parts = _positional(_call_text(lines, i, m.end()))
            raw = parts[1] if len(parts) > 1 else ""
            value = seconds(raw)
            out.append(Cache(where, f"Redis {m.group(1)}", value / 1000 if value and m.group(1) == "psetex" else value,
                             True))
        elif m := REDIS_SET_EX.search(line):
            value = seconds(m.group(2))
            out.append(Cache(where, f"Redis set({m.group(1)}=…)", value / 1000 if value and m.group(1) == "px" else value,
                             True))
        elif m := REDIS_EXPIRE.search(line):
            out.append(Cache(where, f"Redis {m.group(1)}", seconds(m.group(2)), True))
        elif m := FLASK_CACHED.search(line):
            raw = _arg(m.group(2), "timeout")
            out.append(Cache(where, f"@cache.{m.group(1)}", seconds(raw) if raw else None, raw is not None))
        elif (m := TTL_KWARG.search(line)) and not re.match(r"\s*(async\s+)?def\s", line):
            value = seconds(_arg(line, m.group(1)) or m.group(2).rstrip(") "))
            if value is not None and value > 0:
                out.append(Cache(where, m.group(1), value, True))
    return out


def _ttl_env(ctx: CheckContext) -> tuple[list[str], float | None]:
    """Where the application reads CACHE_TTL_SECONDS, and the default it falls back to."""
    reads, default = [], None
    for doc in evidence_docs(ctx, [APP, CONFIG]):
        if "cache_ttl_seconds" not in doc.lower:
            continue
        for n, line in doc.code_lines():
            m = READS_TTL_ENV.search(line) or SETTINGS_TTL.search(line)
            if m:
                reads.append(f"{doc.rel}:{n}")
                number = m.groups()[-1]
                if default is None and number:
                    default = float(number)
    return reads, default


def _ttl_setting(ctx: CheckContext, raw: str, low: int, high: int, evidence: dict[str, Any]) -> CheckResult:
    try:
        value = int(raw.strip())
    except ValueError:
        return failed(f"CACHE_TTL_SECONDS is not an integer ({raw.strip()[:20]!r})", **evidence) \
            .with_facts(cache_ttl_seconds="not an integer")
    evidence.update(value=value, min=low, max=high)
    facts = {"cache_ttl_seconds": value, "range": [low, high]}
    if value <= 0:
        return failed("CACHE_TTL_SECONDS disables caching (≤ 0)", **evidence).with_facts(**facts)
    if value < low:
        return warned(f"CACHE_TTL_SECONDS={value} is below {low} s: the cache barely helps", **evidence) \
            .with_facts(**facts)
    if value > high:
        return warned(f"CACHE_TTL_SECONDS={value} is above {high} s: data may look stale", **evidence) \
            .with_facts(**facts)
    return passed(f"CACHE_TTL_SECONDS={value}", **evidence).with_facts(**facts)


@check("env.cache_ttl", "Caches expire: TTLs in the application's caches (st.cache_data(ttl=…), Redis setex/ex, "
       "TTL caches) or CACHE_TTL_SECONDS are within range; a cache without a TTL never expires",
       params={"min": Param(int, "the shortest sane TTL in seconds", 30),
               "max": Param(int, "the longest sane TTL in seconds", 3600), **EXCLUDE},
       timeout=STATIC_TIMEOUT)
def cache_ttl(ctx: CheckContext) -> CheckResult:
    low, high = int(ctx.param("min")), int(ctx.param("max"))
    raw = os.environ.get("CACHE_TTL_SECONDS") or ctx.settings.env.get("CACHE_TTL_SECONDS")
    if raw is not None and raw.strip():
        return _ttl_setting(ctx, raw, low, high, {"source": "environment or .env"})
    reads, default = _ttl_env(ctx)
    if reads:
        shown = f"{default:g} s" if default is not None else "its built-in default"
        return warned(f"CACHE_TTL_SECONDS is not set: the application's default ({shown}, {reads[0]}) applies, "
                      "unpinned", reads=reads).with_facts(reads_cache_ttl_seconds=reads[:5], default_s=default)
    caches: list[Cache] = []
    for doc in evidence_docs(ctx, [APP]):
        if re.search(r"cache|setex|\bex=|expire|ttl", doc.text, re.I):
            caches += _caches(doc)
    expiring = [c for c in caches if c.expires]
    never = [c for c in caches if not c.expires and not c.client]
    clients = [c for c in caches if not c.expires and c.client]
    outside = [c for c in expiring if c.ttl is not None and not low <= c.ttl <= high]
    evidence = {"caches": [f"{c.where} {c.kind}" + (f" ttl {c.ttl:g} s" if c.ttl is not None else "") +
                           ("" if c.expires else " (no ttl)") for c in caches[:30]], "range": [low, high]}
    facts: dict[str, Any] = {
        "expiring": [{"where": c.where, "kind": c.kind, "ttl_s": c.ttl} for c in expiring[:10]],
        "never_expire": [{"where": c.where, "kind": c.kind} for c in never[:10]],
        "range": [low, high],
    }

    def show(items: list[Cache]) -> str:
        return ", ".join(f"{c.where} {c.kind}" + (f"(ttl={c.ttl:g} s)" if c.ttl is not None else "")
                         for c in items[:3]) + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")

    if not caches:
        return failed("no cache with an expiry in the application code (no st.cache_data(ttl=…), Redis setex/ex, "
                      "TTL cache or CACHE_TTL_SECONDS)", **evidence).with_facts(**facts)
    if not expiring and not never:
        return warned(f"no data cache: only client/connection caches without expiry ({show(clients)})",
                      **evidence).with_facts(**facts)
    if not expiring:
        return warned(f"cached data never expires: {show(never)} without ttl", **evidence).with_facts(**facts)
    notes = []
    if outside:
        notes.append(f"TTL outside {low}–{high} s: {show(outside)}")
    if never:
        notes.append(f"{len(never)} cache(s) never expire: {show(never)}")
    if notes:
        return warned(f"caches expire ({show(expiring)}); " + "; ".join(notes), **evidence).with_facts(**facts)
    return passed(f"caches expire: {show(expiring)}", **evidence).with_facts(**facts)
