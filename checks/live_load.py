"""The built-in load test (items 4.7 and 8.5; the runner runs it once for both)."""

from __future__ import annotations

from typing import Any

from readiness_tui.checks._common import split_url

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.http import SLOW_FAILURES, dead_hosts, host_key, join, quiet, ssl_context
from readiness_tui.model import CheckResult, Measurement, errored, failed, passed, warned
from readiness_tui.values import placeholder_host

#: Longest a load test may run (seconds); the check's own timeout leaves room for the last answers.
MAX_SECONDS = 60.0
#: Most connections the load test opens at once (a readiness check, not a stress test).
MAX_CONCURRENCY = 256


def load_target(ctx: CheckContext) -> tuple[str | None, str]:
    """(URL, where it came from): item param `url`, `Settings.load_url`, else the backend or frontend health
    — only an address the user configured, never a template placeholder or the frontend's default."""
    if ctx.param("url"):
        return str(ctx.param("url")), "item param url"
    if ctx.settings.load_url:
        return ctx.settings.load_url, "load_url"
    backend, frontend = ctx.endpoint("backend"), ctx.endpoint("frontend")
    if backend.heavy and backend.url:
        return join(backend.url, "/health"), f"{backend.setting} + /health"
    if frontend.heavy and frontend.url:
        return join(frontend.url, "/_stcore/health"), "FRONTEND_URL + /_stcore/health"
    return None, ""


def _verified_health(ctx: CheckContext) -> bool:
    """Whether the last `readiness deploy verify` recorded a health-check success rate (item 6.5 reports it)."""
    verify = ctx.last_deploy_step("verify") or {}
    return bool(verify.get("measurements", {}).get("avail.health_success_pct"))


@check("load.test", "N requests at concurrency C: req/s, p50/p95/p99 latency, errors by kind",
       timeout=MAX_SECONDS + 30,
       params={
    "url": Param(str, "URL to load (default: the backend's /health, else the frontend's health)"),
    "requests": Param(int, "number of requests (default: setting load_requests)"),
    "concurrency": Param(int, "requests in flight at once (default: setting load_concurrency)"),
    "max_seconds": Param(float, "stop after this many seconds", MAX_SECONDS),
    "max_error_pct": Param(float, "fail above this percentage of errors", 1.0),
    "target_ms": Param(float, "warn when the mean response time is above this", 500.0),
}, live=True)
async def load_test(ctx: CheckContext) -> CheckResult:
    """Items 4.7 and 8.5; reports `perf.avg_response_ms` (mean latency under load) and, when the target is a
    health endpoint, `avail.health_success_pct`."""
    from readiness_tui.loadgen import run_load

    url, source = load_target(ctx)
    if not url or split_url(url) is None:
        backend = ctx.endpoint("backend")
        why = f"; {backend.detail}" if backend.refused else ""
        return errored(f"no load-test target: set load_url (readiness.toml), BACKEND_API_URL or FRONTEND_URL{why}"
                       ).skipped(backend.why or "no URL")
    host = placeholder_host(url)
    if host is not None:
        return errored(f"not probed: the load-test target is a template placeholder ({host})").skipped("placeholder")
    total = int(ctx.param("requests", ctx.settings.load_requests))
    concurrency = int(ctx.param("concurrency", ctx.settings.load_concurrency))
    max_seconds = min(float(ctx.param("max_seconds")), MAX_SECONDS)
    if total <= 0 or concurrency <= 0:
        return errored("load test needs positive requests and concurrency")
    capped = concurrency > MAX_CONCURRENCY
    concurrency = min(concurrency, MAX_CONCURRENCY)
    # Held from the start, so the rate-limit burst (which waits for this gate) cannot slip in first.
    async with quiet(ctx.shared, "load").measuring():
        ctx.progress(0.0, "load test: waiting for the latency measurements of this run to finish")
        waited = await quiet(ctx.shared).wait_quiet(limit=ctx.seconds_left(ctx.settings.check_timeout + 1))
        waited += await quiet(ctx.shared, "latency").wait_quiet(limit=ctx.seconds_left(ctx.settings.check_timeout + 1))
        dead = dead_hosts(ctx.shared).get(host_key(url))
        if dead:
            return errored(f"load test not started: {host_key(url)} did not answer the other checks of this run "
                           f"({dead})", load_url=url).skipped("unreachable")
        # Within the run's --timeout: stop sending early enough for the last answers to come back.
        read_timeout = ctx.seconds_left(ctx.settings.read_timeout)
        max_seconds = ctx.seconds_left(max_seconds + read_timeout) - read_timeout
        if max_seconds <= 0.1:
            return errored("load test not started: the run's --timeout left no time for it", load_url=url).skipped("timed out")
        ctx.progress(0.0, f"load test: {total} requests, {concurrency} at a time")
        result = await run_load(
            url, total, concurrency,
            connect_timeout=ctx.seconds_left(ctx.settings.connect_timeout), read_timeout=read_timeout,
            max_seconds=max_seconds, ssl_context=ssl_context(ctx.settings), progress=ctx.progress,
        )
    if not result.answered and SLOW_FAILURES & set(result.errors):
        dead_hosts(ctx.shared).setdefault(host_key(url), "no answer to the load test within the read timeout")
    summary = result.summary()
    evidence: dict[str, Any] = {"load_test": summary, "target_from": source,
                                "waited_for_measurements_s": round(waited, 2)}
    if capped:
        evidence["concurrency_capped_at"] = MAX_CONCURRENCY
    if not result.answered:
        kinds = ", ".join(f"{k} {n}" for k, n in result.errors_by_kind().items())
        what = "no usable answer" if result.statuses or "body_too_large" in result.errors else "no answer"
        return errored(f"load test: {what} from {url} ({kinds})", **evidence).skipped("unreachable")
    error_pct = 100.0 * result.failures / max(1, result.sent)
    max_error_pct = float(ctx.param("max_error_pct"))
    target_ms = float(ctx.param("target_ms"))
    line = (f"{result.answered} of {total} answered at {result.rps:.0f} req/s (c={concurrency}): "
            f"p50 {result.pct(50):.1f} ms, p95 {result.pct(95):.1f} ms, p99 {result.pct(99):.1f} ms")
    if result.failures:
        kinds = ", ".join(f"{k} {n}" for k, n in result.errors_by_kind().items())
        line += f"; {result.failures} errors ({kinds})"
    if result.stopped:
        line += f"; {result.stopped}"
    if error_pct > max_error_pct:
        verdict = failed(f"{error_pct:.1f}% errors (> {max_error_pct:g}%): {line}", **evidence)
    elif result.pct(95) >= target_ms or result.stopped:
        verdict = warned(f"slow under load: {line}", **evidence)
    else:
        verdict = passed(line, **evidence)
    mean = result.mean_ms
    verdict.measurements = {
        "perf.avg_response_ms": Measurement(
            round(mean, 2), f"{mean:.1f} ms (mean of {result.answered}, c={concurrency})", "ms"),
    }
    if "health" in url and result.sent and not _verified_health(ctx):
        # Every request of the load test asked the health endpoint: its 2xx share is a health-check
        # success rate over `sent` probes (the deployment verification's own figure, when recorded, wins).
        ok = sum(n for status, n in result.statuses.items() if 200 <= status < 300)
        pct = round(100.0 * ok / result.sent, 2)
        verdict.measurements["avail.health_success_pct"] = Measurement(
            pct, f"{pct:g}% ({ok} of {result.sent} health probes under load)", "%")
    return verdict
