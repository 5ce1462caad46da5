"""Live HTTP checks against the running backend and Streamlit frontend (items 2.3, 3.1, 3.2, 3.7,
3.8, 4.4, 5.1, 9.4, 10.3, 10.4, 10.7, 10.10).

All requests go through `readiness_tui.http.Http` (timeouts from the settings, bodies capped,
evidence redacted). Unreachable or timed out → `error` with the reason; a wrong answer → `fail`.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
import uuid
from typing import Any
from urllib.parse import urljoin, urlsplit

from readiness_tui.checks._common import split_url, unprobed

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.http import (
    Exchange,
    Http,
    dead_hosts,
    host_key,
    join,
    latency_lock,
    percentile,
    quiet,
    ssl_context,
)
from readiness_tui.model import (
    CheckResult,
    Measurement,
    Status,
    errored,
    failed,
    not_applicable,
    passed,
    warned,
)

HEALTHY = {"ok", "healthy", "pass", "up"}
FINISHED_OK = "finished successfully"
PROBE_ORIGIN = "https://malicious.com"
#: The backend API call several probes use (`METHOD /path`).
CALL_PARAM = Param(str, "the backend API call probed, `METHOD /path` (default: setting api_call)")
STREAMLIT_HEALTH = "/_stcore/health"
API_CALL = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s+(/\S*)$", re.IGNORECASE)


def _base(ctx: CheckContext, which: str, heavy: bool = False) -> tuple[str | None, CheckResult | None]:
    """The base URL of `backend` or `frontend` from the run's target resolution, or the result saying why
    it is not probed: not applicable when the project map shows no backend, `error` (not probed) for an
    unset or placeholder address. `heavy` (load, bursts, malformed requests) also refuses a default."""
    endpoint = ctx.endpoint(which)
    if not endpoint.ok:
        service, what = ("backend", "a backend API") if which == "backend" else ("", "the frontend")
        return None, unprobed(ctx, endpoint, service, what)
    assert endpoint.url is not None
    if split_url(endpoint.url) is None:
        return None, errored(f"{endpoint.setting} is not an http(s) URL", setting=endpoint.setting).skipped("no URL")
    if heavy and not endpoint.heavy:
        return None, errored(f"{endpoint.setting} is not configured (only the default {endpoint.url}): load, bursts "
                             "and malformed requests go only to an address you set", setting=endpoint.setting
                             ).skipped("no URL")
    return endpoint.url, None


def _unreachable(what: str, ex: Exchange, http: Http) -> CheckResult:
    return errored(f"{what} unreachable: {ex.error}", exchange=ex.evidence(http.redactor)).skipped("unreachable")


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _api_call(ctx: CheckContext) -> tuple[str, str] | None:
    """(method, path) of the configured API call (`Settings.api_call`, item param `call`)."""
    match = API_CALL.match(str(ctx.param("call", ctx.settings.api_call)).strip())
    return (match.group(1).upper(), match.group(2)) if match else None


def _api_path(ctx: CheckContext) -> str:
    call = _api_call(ctx)
    return call[1] if call else "/api/leads"


# ---------------------------------------------------------------- health


def _health_reasons(data: dict[str, Any]) -> list[str]:
    """Parts of a health body that are not healthy (e.g. `redis: down`)."""
    reasons = []
    for key, value in data.items():
        if key == "status":
            continue
        state = value.get("status") if isinstance(value, dict) else value
        if isinstance(state, str | bool) and str(state).lower() not in HEALTHY | {"true"}:
            reasons.append(f"{key}: {state}")
        if isinstance(value, dict) and not isinstance(state, str):
            reasons += [f"{key}.{k}: {v}" for k, v in value.items() if isinstance(v, str) and v.lower() not in HEALTHY]
    return reasons[:6]


def judge_backend_health(ex: Exchange) -> tuple[bool, str]:
    """(healthy, why) for a backend `/health` answer: 200 with a JSON status ok/healthy."""
    data = ex.json()
    status = str(data.get("status", "")).lower() if isinstance(data, dict) else ""
    if ex.status != 200:
        detail = f" ({status})" if status else ""
        return False, f"answered HTTP {ex.status}{detail}, not 200"
    if not isinstance(data, dict):
        return False, "answered 200 but not with a JSON object (expected {\"status\": \"ok\"})"
    if status in ("ok", "healthy"):
        return True, f"200 status {status}"
    reasons = _health_reasons(data)
    why = f": {'; '.join(reasons)}" if reasons else ""
    return False, f"reports status {status or 'missing'!r}{why}"


def judge_frontend_health(ex: Exchange) -> tuple[bool, str]:
    """(healthy, why) for Streamlit's `/_stcore/health`: the body must be exactly `ok`.

    Streamlit ≥ 1.57 answers unknown paths with its index.html and status 200, so a
    200 alone proves nothing.
    """
    body = ex.text.strip()
    if ex.status == 200 and body == "ok":
        return True, "200 ok"
    html = "text/html" in (ex.header("content-type") or "") or "<html" in body[:3000].lower()
    if ex.status == 200 and html:
        return False, ("answered 200 with an HTML page, not `ok`: Streamlit serves its index.html for unknown "
                       "paths, so this is not its health endpoint (wrong URL or not Streamlit)")
    if ex.status == 503:
        return False, f"answered 503 {body[:40]!r}: Streamlit is starting or unhealthy"
    return False, f"answered HTTP {ex.status} {body[:40]!r}, not 200 `ok`"


async def _sample(ctx: CheckContext, http: Http, url: str, judge: Any) -> dict[str, Any]:
    """One judged request, then timed samples once the run's other probes are done: verdict, latencies.

    The first request pays for the TCP (and TLS) set-up and is reported apart (`first_ms`). The
    samples reuse its connection and wait until no other live check is sending (bounded), one
    sampler at a time, so they time the server's answer rather than this tool's own busy moments.
    """
    async with quiet(ctx.shared).measuring():
        ex = await http.get(url)
    if not ex.ok:
        return {"reached": False, "exchange": ex, "healthy": False, "why": ex.error, "latencies": []}
    healthy, why = judge(ex)
    first_ms = ex.ms
    latencies: list[float] = []
    if healthy:
        await quiet(ctx.shared).wait_quiet(limit=ctx.settings.check_timeout / 3)
        async with quiet(ctx.shared, "latency").measuring(), latency_lock(ctx.shared):
            for _ in range(max(1, ctx.settings.health_samples)):
                again = await http.get(url)
                if not again.ok:
                    return {"reached": False, "exchange": again, "healthy": False, "why": again.error,
                            "latencies": latencies}
                healthy, why = judge(again)
                latencies.append(again.ms)
                if not healthy:
                    ex = again
                    break
    return {"reached": True, "exchange": ex, "healthy": healthy, "why": why, "latencies": latencies or [first_ms],
            "first_ms": first_ms}


def _latency_evidence(latencies: list[float]) -> dict[str, Any]:
    return {
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
    }


async def _health(ctx: CheckContext, http: Http, which: str) -> dict[str, Any]:
    base, problem = _base(ctx, which)
    if problem is not None:
        return {"problem": problem}
    path = ctx.param(f"{which}_health_path", "/health" if which == "backend" else STREAMLIT_HEALTH)
    judge = judge_backend_health if which == "backend" else judge_frontend_health
    assert base is not None
    return await _sample(ctx, http, join(base, path), judge)


@check("http.backend_health", "backend GET /health answers 200 with a JSON status ok/healthy, fast",
       params={
    "backend_health_path": Param(str, "the backend's health path", "/health"),
    "max_ms": Param(float, "warn when p95 latency is above this", 100.0),
}, live=True)
async def backend_health(ctx: CheckContext) -> CheckResult:
    """Item 2.3."""
    async with Http(ctx.settings, shared=ctx.shared) as http:
        outcome = await _health(ctx, http, "backend")
    if "problem" in outcome:
        return outcome["problem"]
    ex: Exchange = outcome["exchange"]
    if not outcome["reached"]:
        return _unreachable("backend /health", ex, http)
    evidence = {"health": ex.evidence(http.redactor),
                "latency": dict(_latency_evidence(outcome["latencies"]), first_ms=round(outcome["first_ms"], 1))}
    if not outcome["healthy"]:
        return failed(f"backend /health {outcome['why']}", **evidence).with_facts(healthy=False, status=ex.status)
    p95 = percentile(outcome["latencies"], 95)
    limit = float(ctx.param("max_ms"))
    if p95 >= limit:
        return warned(f"backend healthy but slow: p95 {_ms(p95)} ≥ {limit:g} ms", **evidence).with_facts(
            healthy=True, slow=True)
    return passed(f"backend healthy ({outcome['why']}), p95 {_ms(p95)} over {len(outcome['latencies'])} requests",
                  **evidence).with_facts(healthy=True)


@check("http.health_both", "backend /health and frontend /_stcore/health both healthy; latency p50/p95",
       params={
    "backend_health_path": Param(str, "the backend's health path", "/health"),
    "frontend_health_path": Param(str, "the frontend's health path", STREAMLIT_HEALTH),
    "max_ms": Param(float, "warn when p95 latency is above this", 100.0),
}, live=True)
async def health_both(ctx: CheckContext) -> CheckResult:
    """Items 5.1 and 10.3; reports `perf.health_ms` (the slower endpoint's p95)."""
    async with Http(ctx.settings, shared=ctx.shared) as http:
        back, front = await asyncio.gather(_health(ctx, http, "backend"), _health(ctx, http, "frontend"))
    evidence: dict[str, Any] = {}
    bad: list[str] = []
    errors: list[str] = []
    good: list[str] = []
    p95s: list[float] = []
    skipped = ""
    for name, outcome in (("backend", back), ("frontend", front)):
        if "problem" in outcome:
            problem = outcome["problem"]
            if problem.status == Status.NOT_APPLICABLE:
                evidence[f"{name}_health"] = problem.summary
                continue
            errors.append(problem.summary)
            skipped = skipped or problem.not_probed
            continue
        ex = outcome["exchange"]
        evidence[f"{name}_health"] = ex.evidence(http.redactor)
        if not outcome["reached"]:
            errors.append(f"{name} unreachable: {ex.error}")
            skipped = skipped or "unreachable"
            continue
        evidence[f"{name}_latency"] = dict(_latency_evidence(outcome["latencies"]),
                                           first_ms=round(outcome.get("first_ms", 0.0), 1))
        if outcome["healthy"]:
            p95 = percentile(outcome["latencies"], 95)
            p95s.append(p95)
            good.append(f"{name} ok (p95 {_ms(p95)})")
        else:
            bad.append(f"{name} {outcome['why']}")
    measurements = {}
    if p95s and not bad and not errors:
        worst = max(p95s)
        measurements["perf.health_ms"] = Measurement(round(worst, 1), f"{_ms(worst)} (p95 of the slower endpoint)", "ms")
    if bad:
        result = failed("; ".join(bad + errors), **evidence)
    elif errors:
        result = errored("; ".join(errors), **evidence).skipped(skipped or "unreachable")
    elif not good:
        result = errored("no service to probe", **evidence).skipped("no URL")
    else:
        limit = float(ctx.param("max_ms"))
        slow = max(p95s) >= limit
        result = (warned if slow else passed)("both healthy: " + ", ".join(good), **evidence)
    result.measurements = measurements
    return result


# ---------------------------------------------------------------- security probes


def _judge_cors(ex: Exchange, origin: str) -> tuple[Status, str]:
    acao = (ex.header("access-control-allow-origin") or "").strip()
    creds = (ex.header("access-control-allow-credentials") or "").strip().lower() == "true"
    if not acao:
        return Status.PASS, "no Access-Control-Allow-Origin"
    if acao == origin:
        return Status.FAIL, f"echoes Origin {origin}" + (" with credentials allowed" if creds else "")
    if acao == "*" and creds:
        return Status.FAIL, "answers Access-Control-Allow-Origin: * together with Allow-Credentials: true"
    if acao.lower() == "null":
        return Status.FAIL, "allows the `null` origin (sandboxed pages and local files)"
    if acao == "*":
        return Status.WARN, "answers Access-Control-Allow-Origin: * (any site may read these answers)"
    return Status.PASS, f"allows only {acao}"


@check("http.cors", "backend CORS: a foreign Origin is not echoed, never * with credentials",
       params={
    "origin": Param(str, "the foreign origin sent", PROBE_ORIGIN),
    "paths": Param(list[str], "paths probed (default: the API call's path and /health)"),
    "call": CALL_PARAM,
}, live=True)
async def cors(ctx: CheckContext) -> CheckResult:
    """Item 3.1: preflight and GET with `Origin: https://malicious.com` on the API and /health."""
    base, problem = _base(ctx, "backend")
    if problem is not None:
        return problem
    assert base is not None
    origin = str(ctx.param("origin"))
    paths = list(ctx.param("paths", [_api_path(ctx), "/health"]))
    probes: list[tuple[str, str, dict[str, str]]] = []
    for path in paths:
        probes.append(("OPTIONS", path, {"Origin": origin, "Access-Control-Request-Method": "GET",
                                         "Access-Control-Request-Headers": "content-type"}))
        probes.append(("GET", path, {"Origin": origin}))
    async with quiet(ctx.shared).measuring(), Http(ctx.settings, shared=ctx.shared) as http:
        front_endpoint = ctx.endpoint("frontend")
        front_url = front_endpoint.url if front_endpoint.ok and split_url(front_endpoint.url or "") else None
        sent = [http.request(m, join(base, p), headers=h) for m, p, h in probes]
        if front_url:
            sent.append(http.get(join(front_url, STREAMLIT_HEALTH), headers={"Origin": origin}, max_body=1000))
        exchanges: list[Exchange | None] = list(await asyncio.gather(*sent))
        if not front_url:
            exchanges.append(None)
    *probed, front = exchanges
    answers = [ex for ex in probed if ex is not None]
    reached = [ex for ex in answers if ex.ok]
    if not reached:
        return _unreachable("backend", answers[0], http)
    verdicts = []
    evidence: dict[str, Any] = {"probe_origin": origin, "cors_probes": []}
    for (method, path, _), ex in zip(probes, answers, strict=True):
        if not ex.ok:
            evidence["cors_probes"].append(ex.evidence(http.redactor, body_chars=80))
            continue
        status, why = _judge_cors(ex, origin)
        verdicts.append((status, f"{method} {path} {why}"))
        evidence["cors_probes"].append(dict(ex.evidence(http.redactor, body_chars=80), verdict=why))
    if front is not None and front.ok and (front.header("access-control-allow-origin") or "") == "*":
        evidence["frontend_note"] = (
            "Streamlit answered Access-Control-Allow-Origin: * — that is what server.enableCORS = false does "
            "(it does not restrict origins; see item 3.2). Prefer enableCORS = true with "
            "server.corsAllowedOrigins."
        )
    failures = [why for status, why in verdicts if status == Status.FAIL]
    warnings = [why for status, why in verdicts if status == Status.WARN]
    facts = {"origin": origin, "too_open": failures, "caveats": warnings}
    if failures:
        return failed(f"CORS too open: {failures[0]}" + (f" (+{len(failures) - 1} more)" if len(failures) > 1 else ""),
                      **evidence).with_facts(**facts)
    if warnings:
        return warned(warnings[0], **evidence).with_facts(**facts)
    return passed(f"no CORS grant to {origin} on {len(verdicts)} probes (preflight and GET of {', '.join(paths)})",
                  **evidence).with_facts(**facts)


@check("http.xsrf_cookie", "the live Streamlit frontend sets its _streamlit_xsrf cookie", live=True)
async def xsrf_cookie(ctx: CheckContext) -> CheckResult:
    """Item 3.2 (live part): with XSRF protection on, Streamlit sets `_streamlit_xsrf` on its page."""
    base, problem = _base(ctx, "frontend")
    if problem is not None:
        return problem
    assert base is not None
    async with quiet(ctx.shared).measuring(), Http(ctx.settings, shared=ctx.shared) as http:
        # Streamlit 1.67 sets the cookie on /_stcore/health (the first call the page makes), not on "/".
        answers = await asyncio.gather(*(http.get(join(base, p), max_body=200_000) for p in (STREAMLIT_HEALTH, "/")))
    reached = [ex for ex in answers if ex.ok]
    if not reached:
        return _unreachable("frontend", answers[0], http)
    evidence: dict[str, Any] = {"xsrf_probes": [ex.evidence(http.redactor, body_chars=0) for ex in answers]}
    xsrf = [c for ex in reached for c in ex.cookies() if c.strip().startswith("_streamlit_xsrf=")]
    if not any(ex.status == 200 for ex in reached):
        return failed(f"frontend answered HTTP {reached[0].status}, cannot see the XSRF cookie",
                      **evidence).with_facts(status=reached[0].status)
    if not xsrf:
        return failed("no _streamlit_xsrf cookie from the frontend (/_stcore/health, /): XSRF protection looks "
                      "disabled (server.enableXsrfProtection = false?)", **evidence)
    attrs = [a.strip() for a in xsrf[0].split(";")[1:] if a.strip()]
    same_site = next((a.split("=", 1)[1] for a in attrs if a.lower().startswith("samesite=")), "not set")
    secure = any(a.lower() == "secure" for a in attrs)
    evidence["xsrf_cookie"] = {"samesite": same_site, "secure": secure}
    return passed(f"Streamlit sets the _streamlit_xsrf cookie (SameSite={same_site}{', Secure' if secure else ''})",
                  **evidence).with_facts(xsrf_cookie=True, samesite=same_site, secure=secure)


RATE_HEADERS = ("ratelimit", "ratelimit-policy", "ratelimit-limit", "x-ratelimit-limit", "retry-after")


#: Longest the burst waits for a load test of the same run (its own bound plus its last answers).
LOAD_WAIT = 95.0


@check("http.rate_limit", "a bounded burst against the backend meets a 429 or RateLimit headers",
       timeout=LOAD_WAIT + 25,
       params={
    "burst": Param(int, "requests in the burst (default: setting rate_limit_burst)"),
    "path": Param(str, "path of the burst (default: the API call's path)"),
    "call": CALL_PARAM,
}, live=True)
async def rate_limit(ctx: CheckContext) -> CheckResult:
    """Item 3.7: up to `rate_limit_burst` GETs (10 at a time); stops at the first 429. Only to a backend
    address the user configured."""
    base, problem = _base(ctx, "backend", heavy=True)
    if problem is not None:
        return problem
    assert base is not None
    burst = int(ctx.param("burst", ctx.settings.rate_limit_burst))
    path = str(ctx.param("path", _api_path(ctx)))
    url = join(base, path)
    statuses: dict[str, int] = {}
    limited: Exchange | None = None
    headers_seen: Exchange | None = None
    sent = 0
    errors = 0
    last: Exchange | None = None
    # Last of the live checks: a limiter the burst trips must not answer 429 to the others.
    ctx.progress(None, "waiting for the other live checks and the load test to finish")
    await quiet(ctx.shared).wait_quiet(limit=ctx.settings.check_timeout + 1)
    await quiet(ctx.shared, "latency").wait_quiet(limit=ctx.settings.check_timeout + 1)
    await quiet(ctx.shared, "load").wait_quiet(limit=LOAD_WAIT)
    dead = dead_hosts(ctx.shared).get(host_key(url))
    if dead:
        return errored(f"backend did not answer the other checks of this run ({dead}): no burst sent",
                       burst_url=url).skipped("unreachable")
    started = time.perf_counter()
    async with Http(ctx.settings, shared=ctx.shared) as http:
        while sent < burst and limited is None:
            batch = min(10, burst - sent)
            answers = await asyncio.gather(*(http.get(url, max_body=4096) for _ in range(batch)))
            sent += batch
            ctx.progress(sent / burst, f"{sent}/{burst} requests")
            for ex in answers:
                last = ex
                if not ex.ok:
                    errors += 1
                    continue
                statuses[str(ex.status)] = statuses.get(str(ex.status), 0) + 1
                if ex.status == 429 and limited is None:
                    limited = ex
                if headers_seen is None and any(ex.header(h) for h in RATE_HEADERS):
                    headers_seen = ex
            if errors == sent:
                assert last is not None
                return _unreachable("backend", last, http)
    elapsed = time.perf_counter() - started
    evidence: dict[str, Any] = {"burst_url": url, "sent": sent, "statuses": statuses, "elapsed_s": round(elapsed, 2)}
    if errors:
        evidence["no_answer"] = errors
    if limited is not None:
        evidence["limited_answer"] = limited.evidence(http.redactor, body_chars=120)
        return passed(f"rate limited: HTTP 429 after {sent} requests in {elapsed:.1f} s",
                      **evidence).with_facts(limited_by="HTTP 429")
    if headers_seen is not None:
        evidence["rate_limit_answer"] = headers_seen.evidence(http.redactor, body_chars=80)
        names = [h for h in RATE_HEADERS if headers_seen.header(h)]
        return passed(f"rate limit advertised ({', '.join(names)}); no 429 within {sent} requests",
                      **evidence).with_facts(limited_by="headers", headers=names)
    return failed(f"no rate limit: {sent} requests in {elapsed:.1f} s, no 429 and no RateLimit headers",
                  **evidence).with_facts(limited_by=None)


#: What an error page must not show (item 3.8): (kind, pattern).
LEAKS: list[tuple[str, re.Pattern[str]]] = [
    ("traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("debugger page", re.compile(r"Werkzeug Debugger|__debugger__|The debugger caught an exception|"
                                 r"You're seeing this error because you have <code>DEBUG = True|Django Version:|"
                                 r"Whoops! There was an error|Whitelabel Error Page")),
    ("stack frame", re.compile(r'File "[^"]+", line \d+|at [\w.$]+\([\w$]+\.java:\d+\)|at .+ \(/[^)]+\.js:\d+:\d+\)')),
    ("SQL error", re.compile(r"SQLSTATE\[|psycopg2?\.errors|sqlalchemy\.exc|sqlite3\.\w+Error|syntax error at or near|"
                             r"ORA-\d{5}|You have an error in your SQL syntax|PG::\w+Error|relation \"[^\"]+\" does not "
                             r"exist|postgrest\.exceptions")),
    ("file path", re.compile(r"(?:/home/[\w.-]+|/usr(?:/local)?/lib/python3|/site-packages/|/app/[\w/.-]+\.py|"
                             r"[A-Z]:\\[\w\\ .-]+\.py)")),
]


def find_leak(text: str) -> tuple[str, str] | None:
    """(kind, offending line shortened) of the first leak in an answer, or None."""
    for kind, pattern in LEAKS:
        match = pattern.search(text)
        if match:
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            line = text[start:end if end != -1 else len(text)].strip()
            if len(line) > 160:
                offset = max(0, match.start() - start - 40)
                line = ("…" if offset else "") + line[offset:offset + 160] + "…"
            return kind, line
    return None


def _leak_probes(ctx: CheckContext, which: str) -> list[tuple[str, str, str, dict[str, str], str | None]]:
    """(label, method, path, headers, body) of the error probes for one service."""
    missing = f"/readiness-probe-{uuid.uuid4().hex[:10]}"
    post_path = _api_path(ctx).split("?")[0] if which == "backend" else "/"
    return [
        ("missing path", "GET", missing, {}, None),
        ("malformed JSON", "POST", post_path, {"Content-Type": "application/json"}, '{"lead": {"name": '),
        ("bad method", "BREW", post_path, {}, None),
    ]


@check("http.error_leaks", "error answers of both services show no traceback, path, debugger or SQL error",
       params={"call": CALL_PARAM}, live=True)
async def error_leaks(ctx: CheckContext) -> CheckResult:
    """Items 3.8 (live part) and 10.10: a missing path, bad JSON and a bad method on each service.

    The malformed requests go only to addresses the user configured; a default address gets the
    missing-path GET alone. A service the project map shows unused is left out."""
    targets = []
    problems: list[CheckResult] = []
    for which in ("backend", "frontend"):
        base, problem = _base(ctx, which)
        if problem is not None:
            if problem.status != Status.NOT_APPLICABLE:
                problems.append(problem)
            continue
        assert base is not None
        gentle = not ctx.endpoint(which).heavy
        targets += [(which, label, method, join(base, path), headers, body)
                    for label, method, path, headers, body in _leak_probes(ctx, which)
                    if not gentle or method == "GET"]
    if not targets:
        if not problems:
            return not_applicable("neither a backend nor a frontend to probe")
        return errored("; ".join(p.summary for p in problems)).skipped(problems[0].not_probed or "no URL")
    async with quiet(ctx.shared).measuring(), Http(ctx.settings, shared=ctx.shared) as http:
        answers = await asyncio.gather(*(
            http.request(method, url, headers=headers, content=body, max_body=300_000)
            for _, _, method, url, headers, body in targets
        ))
    leaks = []
    probes = []
    unreachable: dict[str, str] = {}
    for (which, label, *_), ex in zip(targets, answers, strict=True):
        entry = ex.evidence(http.redactor, body_chars=0)
        entry["probe"] = f"{which}: {label}"
        if not ex.ok:
            unreachable.setdefault(which, ex.error)
        else:
            found = find_leak(ex.text)
            if found:
                kind, line = found
                entry["leak"] = kind
                entry["offending_line"] = http.redactor.text(line)
                leaks.append(f"{which} {label} (HTTP {ex.status}) shows a {kind}")
        probes.append(entry)
    evidence: dict[str, Any] = {"error_probes": probes}
    if leaks:
        first = next(p for p in probes if "leak" in p)
        evidence["first_leak"] = first["offending_line"]
        more = f" (+{len(leaks) - 1} more)" if len(leaks) > 1 else ""
        return failed(f"{leaks[0]}: {first['offending_line'][:80]}{more}", **evidence).with_facts(
            leaks=sorted({p["probe"] + ": " + p["leak"] for p in probes if "leak" in p}))
    if unreachable or problems:
        reasons = [f"{w} unreachable: {e}" for w, e in unreachable.items()] + [p.summary for p in problems]
        why = "unreachable" if unreachable else (problems[0].not_probed or "no URL")
        if len(unreachable) + len(problems) >= 2 or len(unreachable) == len({t[0] for t in targets}):
            return errored("; ".join(reasons), **evidence).skipped(why)
        checked = "frontend" if "backend" in unreachable or any("BACKEND" in p.summary for p in problems) \
            else "backend"
        return errored(f"{'; '.join(reasons)} (the {checked}'s error pages leak nothing)", **evidence).skipped(why)
    return passed(f"{len(probes)} error probes on backend and frontend: no traceback, path, debugger or SQL error",
                  **evidence).with_facts(leaks=[])


# ---------------------------------------------------------------- frontend page, assets, docs, API


ASSET = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)=["']([^"'#]+?\.(?:js|mjs|css)(?:\?[^"']*)?)["']""",
                   re.IGNORECASE)
ENCODED = {"gzip", "br", "zstd", "deflate"}


def _count(n: int, noun: str) -> str:
    """"1 asset", "3 assets"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def page_assets(html: str, page_url: str) -> list[str]:
    """Same-origin JS/CSS assets referenced by a page, as absolute URLs, in page order."""
    origin = urlsplit(page_url)[:2]
    seen: list[str] = []
    for ref in ASSET.findall(html):
        url = urljoin(page_url, ref)
        if urlsplit(url)[:2] == origin and url not in seen:
            seen.append(url)
    return seen


@check("http.compression", "the frontend page and a static asset are served with gzip or br when asked", live=True)
async def compression(ctx: CheckContext) -> CheckResult:
    """Item 4.4."""
    base, problem = _base(ctx, "frontend")
    if problem is not None:
        return problem
    assert base is not None
    ask = {"Accept-Encoding": "gzip, br"}
    async with quiet(ctx.shared).measuring(), Http(ctx.settings, shared=ctx.shared) as http:
        page = await http.get(join(base, "/"), headers=ask, raw=True, max_body=200_000)
        if not page.ok:
            return _unreachable("frontend", page, http)
        decoded = await http.get(join(base, "/"), max_body=500_000) if page.header("content-encoding") else page
        assets = page_assets(decoded.text, page.final_url or join(base, "/"))
        js = [a for a in assets if ".js" in a] or assets
        asset = await http.get(js[0], headers=ask, raw=True, max_body=64_000) if js else None
    page_enc = (page.header("content-encoding") or "identity").lower()
    evidence: dict[str, Any] = {"page": page.evidence(http.redactor, body_chars=0)}
    if asset is not None:
        evidence["asset"] = asset.evidence(http.redactor, body_chars=0)
    streamlit = "streamlit" in decoded.text[:20_000].lower()
    if streamlit:
        evidence["note"] = ("Streamlit 1.67 deliberately serves / and /static/ uncompressed (its gzip middleware "
                            "bypasses them); compress at the reverse proxy (nginx gzip on / Caddy encode).")
    if page.status != 200:
        return failed(f"frontend page answered HTTP {page.status}", **evidence)
    if asset is None:
        if page_enc in ENCODED:
            return passed(f"page served with {page_enc} (no static asset referenced)", **evidence)
        return failed("page served uncompressed (no Content-Encoding) and no static asset found", **evidence)
    if not asset.ok or asset.status != 200:
        why = asset.error or f"HTTP {asset.status}"
        return failed(f"static asset {urlsplit(asset.url).path} not served: {why}", **evidence)
    asset_enc = (asset.header("content-encoding") or "identity").lower()
    name = urlsplit(asset.url).path.rsplit("/", 1)[-1]
    if asset_enc in ENCODED and page_enc in ENCODED:
        return passed(f"page ({page_enc}) and asset {name} ({asset_enc}) served compressed", **evidence)
    if asset_enc in ENCODED:
        return warned(f"asset {name} served with {asset_enc}, but the page itself is uncompressed", **evidence)
    return failed(f"static asset {name} served uncompressed (asked for gzip, br; got no Content-Encoding)"
                  + ("; page uncompressed too" if page_enc not in ENCODED else ""), **evidence)


@check("http.dashboard_html", "the frontend serves the Streamlit page and its script runs over the WebSocket; "
       "page load, render and refresh times",
       params={
    "max_assets": Param(int, "static assets fetched at most", 40),
    "session": Param(bool, "also run the script over the WebSocket and time it", True),
    "refreshes": Param(int, "script reruns timed", 3),
    "max_ms": Param(float, "warn when the page takes longer to load", 2000.0),
    "max_render_ms": Param(float, "warn when a script run takes longer", 1000.0),
}, live=True)
async def dashboard_html(ctx: CheckContext) -> CheckResult:
    """Item 10.4. Measures, on quiet hosts after the run's other probes:

    - `perf.page_load_ms`: the root HTML plus its same-origin JS/CSS (6 at a time, like a browser);
    - `perf.dashboard_render_ms`: a new session on `/_stcore/stream` until the script's first run
      reports `script_finished` (server side; the browser's painting is not included);
    - `perf.refresh_overhead_ms`: the median of automatic reruns on that session (what an
      auto-refresh costs).
    """
    from readiness_tui.stsession import time_session

    base, problem = _base(ctx, "frontend")
    if problem is not None:
        return problem
    assert base is not None
    await quiet(ctx.shared).wait_quiet(limit=ctx.settings.check_timeout / 3)
    session = None
    async with quiet(ctx.shared, "latency").measuring(), latency_lock(ctx.shared), \
            Http(ctx.settings, shared=ctx.shared) as http:
        started = time.perf_counter()
        page = await http.get(join(base, "/"), max_body=2_000_000)
        if not page.ok:
            return _unreachable("frontend", page, http)
        assets = page_assets(page.text, page.final_url or join(base, "/"))[: int(ctx.param("max_assets"))]
        gate = asyncio.Semaphore(6)  # what a browser opens per host over HTTP/1.1

        async def fetch(url: str) -> Exchange:
            async with gate:
                return await http.get(url, max_body=50_000_000, keep=False)

        fetched = await asyncio.gather(*(fetch(a) for a in assets))
        load_ms = (time.perf_counter() - started) * 1000
        text = page.text
        shell = page.status == 200 and 'id="root"' in text and "streamlit" in text.lower()
        if shell and ctx.param("session"):
            session = await time_session(base, refreshes=int(ctx.param("refreshes")),
                                         timeout=ctx.settings.read_timeout + ctx.settings.connect_timeout,
                                         ssl_context=ssl_context(ctx.settings))
    evidence: dict[str, Any] = {
        "page": page.evidence(http.redactor, body_chars=120),
        "assets": len(assets),
        "asset_bytes": sum(ex.body_size for ex in fetched),
        "page_load_ms": round(load_ms, 1),
    }
    broken = [f"{urlsplit(ex.url).path} ({ex.error or ex.status})" for ex in fetched if ex.status != 200]
    if broken:
        evidence["broken_assets"] = broken[:10]
    measurements: dict[str, Measurement] = {}
    if shell:
        measurements["perf.page_load_ms"] = Measurement(
            round(load_ms, 1), f"{_ms(load_ms)} (HTML + {_count(len(assets), 'asset')})", "ms")
    if session is not None:
        evidence["session"] = session.evidence()
        if not session.error and session.status == FINISHED_OK:
            measurements["perf.dashboard_render_ms"] = Measurement(
                round(session.render_ms, 1), f"{_ms(session.render_ms)} (new session to script_finished)", "ms")
            if session.refresh_ms:
                median = statistics.median(session.refresh_ms)
                measurements["perf.refresh_overhead_ms"] = Measurement(
                    round(median, 1), f"{_ms(median)} (median of {len(session.refresh_ms)} auto-reruns)", "ms")
    if page.status != 200:
        result = failed(f"frontend root answered HTTP {page.status}", **evidence)
    elif not shell:
        result = failed("frontend root is not the Streamlit page (no <div id=\"root\"> Streamlit shell)", **evidence)
    elif broken:
        result = failed(f"{len(broken)} of {len(assets)} page assets failed: {broken[0]}", **evidence)
    elif session is not None and session.error:
        result = failed(f"page served, but the app's WebSocket session failed: {session.error} (a reverse proxy "
                        "must pass WebSocket upgrades to /_stcore/stream)", **evidence)
    elif session is not None and session.status != FINISHED_OK:
        result = failed(f"page served, but the dashboard script {session.status}", **evidence)
    else:
        timing = f"page {_ms(load_ms)} with {_count(len(assets), 'asset')}"
        if session is not None:
            timing += f", script run {_ms(session.render_ms)}"
        slow = load_ms >= float(ctx.param("max_ms")) or (
            session is not None and session.render_ms >= float(ctx.param("max_render_ms")))
        result = (warned if slow else passed)(f"Streamlit dashboard loads{' but slowly' if slow else ''}: {timing}",
                                              **evidence)
    result.measurements = measurements
    return result


DOC_PATHS = ("/docs", "/openapi.json", "/apidocs", "/swagger.json")


def _is_docs(ex: Exchange) -> str | None:
    """What kind of API docs an answer is (OpenAPI JSON, Swagger UI, ReDoc), or None."""
    if ex.status != 200:
        return None
    data = ex.json()
    if isinstance(data, dict) and ("openapi" in data or "swagger" in data):
        return f"OpenAPI {data.get('openapi') or data.get('swagger')} document ({len(data.get('paths', {}))} paths)"
    low = ex.text[:100_000].lower()
    if "swagger-ui" in low or "swaggerui" in low:
        return "Swagger UI page"
    if "redoc" in low:
        return "ReDoc page"
    return None


@check("http.api_docs", "the backend serves API docs (configured path, /docs, /openapi.json, /apidocs)",
       params={"path": Param(str, "the API docs path (default: setting api_docs_path, then /docs, /openapi.json, /apidocs)")}, live=True)
async def api_docs(ctx: CheckContext) -> CheckResult:
    """Item 9.4 (live part)."""
    base, problem = _base(ctx, "backend")
    if problem is not None:
        return problem
    assert base is not None
    configured = ctx.param("path", ctx.settings.api_docs_path)
    paths = ([configured] if configured else []) + [p for p in DOC_PATHS if p != configured]
    async with quiet(ctx.shared).measuring(), Http(ctx.settings, shared=ctx.shared) as http:
        answers = await asyncio.gather(*(http.get(join(base, p), max_body=2_000_000) for p in paths))
    if not any(ex.ok for ex in answers):
        return _unreachable("backend", answers[0], http)
    tried = {p: (ex.status if ex.ok else ex.error_kind) for p, ex in zip(paths, answers, strict=True)}
    for path, ex in zip(paths, answers, strict=True):
        kind = _is_docs(ex)
        if kind:
            return passed(f"API docs at {path}: {kind}", api_docs=ex.evidence(http.redactor, body_chars=80),
                          tried=tried).with_facts(docs_path=path)
    where = f"the configured {configured} or " if configured else ""
    return failed(f"no API docs served at {where}{', '.join(p for p in DOC_PATHS if p != configured)}",
                  tried=tried).with_facts(docs_path=None)


@check("http.api_call", "a configured backend API call (default GET /api/leads?limit=1) answers 2xx",
       params={"call": CALL_PARAM}, live=True)
async def api_call(ctx: CheckContext) -> CheckResult:
    """Item 10.7."""
    base, problem = _base(ctx, "backend")
    if problem is not None:
        return problem
    assert base is not None
    call = _api_call(ctx)
    if call is None:
        return errored(f"api_call must look like 'GET /api/leads?limit=1', not {str(ctx.settings.api_call)[:60]!r}")
    method, path = call
    async with quiet(ctx.shared).measuring(), Http(ctx.settings, shared=ctx.shared) as http:
        ex = await http.request(method, join(base, path), headers={"Accept": "application/json"})
    if not ex.ok:
        return _unreachable("backend", ex, http)
    evidence = {"api_call": ex.evidence(http.redactor)}
    if not 200 <= (ex.status or 0) < 300:
        return failed(f"{method} {path} answered HTTP {ex.status}", **evidence).with_facts(call=f"{method} {path}",
                                                                                           status=ex.status)
    data = ex.json()
    shape = ""
    if isinstance(data, list):
        shape = f", {len(data)} records"
    elif isinstance(data, dict):
        shape = f", JSON keys: {', '.join(list(data)[:5])}"
    head = f"{method} {path} answered {ex.status} in {_ms(ex.ms)}"
    if data is None and (ex.truncated or "json" in (ex.header("content-type") or "").lower()):
        # Connected, but what came back is not the API's JSON: a proxy page, a runaway stream, garbage.
        why = (f"a body cut off after {ex.body_size} bytes (larger than the read cap)" if ex.truncated
               else "a body that does not parse as JSON")
        return warned(f"{head} but with {why} (expected JSON)", **evidence)
    return passed(f"{head}{shape}", **evidence)
