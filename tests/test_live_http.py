"""Live HTTP/TLS checks against real servers on loopback (fixtures in tests/fixtures/http_servers.py)."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from readiness_tui.checkapi import CheckContext, get_check
from readiness_tui.checklist import load_checklist
from readiness_tui.http import Http
from readiness_tui.model import CheckResult, Status
from readiness_tui.runner import Runner
from readiness_tui.settings import Settings

CHECKLIST = load_checklist()


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    values.setdefault("connect_timeout", 1.0)
    values.setdefault("read_timeout", 2.0)
    return Settings(project_dir=tmp_path, **values)


async def run_check(name: str, settings: Settings, item_id: str, **params: Any) -> CheckResult:
    """Run one registered check the way the runner does (item params + overrides)."""
    spec = get_check(name)
    assert spec is not None, f"check {name} is not registered"
    item = CHECKLIST.item(item_id)
    merged = {**item.params, **params}
    assert all(key in spec.params for key in params), f"{name} does not declare {sorted(params)}"
    ctx = CheckContext(settings=settings, params=merged, item=item, checklist=CHECKLIST, spec=spec)
    result = spec.func(ctx)
    if spec.is_async:
        result = await result  # type: ignore[misc]
    assert isinstance(result, CheckResult)
    json.dumps(result.to_dict())  # evidence must be JSON-serialisable
    return result


# ---------------------------------------------------------------- the HTTP layer


async def test_http_layer_caps_a_50mb_answer(tmp_path: Path, raw_servers: dict) -> None:
    settings = settings_for(tmp_path)
    tracemalloc.start()
    async with Http(settings) as http:
        ex = await http.get(raw_servers["huge"].url + "/health", max_body=100_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert ex.status == 200 and ex.truncated
    assert len(ex.body) == 100_000
    assert peak < 10 * 1024 * 1024, f"peak memory {peak} bytes while reading a 50 MB answer"
    assert ex.evidence()["body_truncated"] is True


async def test_http_layer_hang_is_bounded_by_read_timeout(tmp_path: Path, raw_servers: dict) -> None:
    settings = settings_for(tmp_path, read_timeout=0.5)
    started = time.monotonic()
    async with Http(settings) as http:
        ex = await http.get(raw_servers["hang"].url + "/health")
    assert time.monotonic() - started < 3
    assert ex.status is None and ex.error_kind == "read_timeout"


async def test_http_layer_tolerates_invalid_utf8(tmp_path: Path, raw_servers: dict) -> None:
    async with Http(settings_for(tmp_path)) as http:
        ex = await http.get(raw_servers["bad_utf8"].url + "/")
    assert ex.status == 200
    assert "\ufffd" in ex.text and "caf" in ex.text
    json.dumps(ex.evidence())


async def test_http_layer_redacts_cookies_secrets_and_authorization(tmp_path: Path,
                                                                     streamlit_servers: dict) -> None:
    secret = "sk_live_0123456789abcdef"
    settings = settings_for(tmp_path, supabase_key=secret)
    async with Http(settings) as http:
        ex = await http.get(streamlit_servers["strict"].url + f"/_stcore/health?token={secret}&page=1",
                            headers={"Authorization": f"Bearer {secret}"})
    text = json.dumps(ex.evidence(http.redactor))
    assert secret not in text
    assert "[REDACTED]" in text and "page=1" in text
    cookie = ex.cookies()[0]
    value = cookie.split("=", 1)[1].split(";")[0]
    assert value and value not in text
    assert "_streamlit_xsrf=[REDACTED]" in text


async def test_http_layer_records_redirects(tmp_path: Path, strict_backend: Any) -> None:
    async with Http(settings_for(tmp_path)) as http:
        ex = await http.get(strict_backend.url + "/healthz")
        stay = await http.get(strict_backend.url + "/healthz", follow_redirects=False)
    assert ex.status == 200 and ex.json() == {"status": "healthy", "database": "ok", "cache": "ok"}
    assert ex.redirects == [{"status": 301, "url": strict_backend.url + "/healthz", "location": "/health"}]
    assert ex.evidence()["redirects"][0]["status"] == 301
    assert stay.status == 301 and not stay.redirects


# ---------------------------------------------------------------- health (2.3, 5.1, 10.3)


async def test_backend_health_passes_on_strict(tmp_path: Path, strict_backend: Any) -> None:
    # max_ms raised: this test is about the answer, not about how loaded the test machine is
    result = await run_check("http.backend_health", settings_for(tmp_path, backend_url=strict_backend.url), "2.3",
                             max_ms=10_000)
    assert result.status == Status.PASS, result.summary
    assert "healthy" in result.summary
    assert result.evidence["latency"]["samples"] == 5


async def test_backend_health_degraded_fails_with_reasons(tmp_path: Path, careless_backend: Any) -> None:
    result = await run_check("http.backend_health", settings_for(tmp_path, backend_url=careless_backend.url), "2.3")
    assert result.status == Status.FAIL
    assert "degraded" in result.summary and "redis connection refused" in result.summary


async def test_backend_health_unreachable_is_error(tmp_path: Path, raw_servers: dict) -> None:
    settings = settings_for(tmp_path, backend_url=raw_servers["hang"].url, read_timeout=0.5)
    result = await run_check("http.backend_health", settings, "2.3")
    assert result.status == Status.ERROR
    assert "read timeout" in result.summary


async def test_backend_health_not_configured_is_clear(tmp_path: Path) -> None:
    # No backend in the project (the project map): not applicable, with the evidence.
    unused = await run_check("http.backend_health", settings_for(tmp_path), "2.3")
    assert unused.status == Status.NOT_APPLICABLE and "no backend API" in unused.summary
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    result = await run_check("http.backend_health", settings_for(tmp_path), "2.3")
    assert result.status == Status.ERROR and "BACKEND_API_URL is not set" in result.summary
    assert result.not_probed == "no URL" and "main.py:3 fastapi app" in result.summary


async def test_health_both_passes_and_measures(tmp_path: Path, strict_backend: Any, streamlit_servers: dict) -> None:
    settings = settings_for(tmp_path, backend_url=strict_backend.url, frontend_url=streamlit_servers["strict"].url)
    result = await run_check("http.health_both", settings, "5.1")
    assert result.status in (Status.PASS, Status.WARN), result.summary
    m = result.measurements["perf.health_ms"]
    assert m.value is not None and m.value > 0 and "ms" in m.display


async def test_frontend_health_html_200_is_a_fail(tmp_path: Path, strict_backend: Any,
                                                  streamlit_servers: dict) -> None:
    # Streamlit 1.67 answers any unknown path (e.g. the old /healthz) with index.html and 200.
    settings = settings_for(tmp_path, backend_url=strict_backend.url, frontend_url=streamlit_servers["strict"].url)
    result = await run_check("http.health_both", settings, "5.1", frontend_health_path="/healthz")
    assert result.status == Status.FAIL
    assert "HTML page" in result.summary


# ---------------------------------------------------------------- reachability (2.6, 2.7)


async def test_ports_open_and_closed(tmp_path: Path, strict_backend: Any, streamlit_servers: dict) -> None:
    settings = settings_for(tmp_path, backend_url=strict_backend.url, frontend_url=streamlit_servers["strict"].url)
    assert (await run_check("net.ports", settings, "2.7")).status == Status.PASS
    from fixtures.http_servers import free_port

    closed = settings_for(tmp_path, backend_url=f"http://127.0.0.1:{free_port()}",
                          frontend_url=streamlit_servers["strict"].url)
    result = await run_check("net.ports", closed, "2.7")
    assert result.status == Status.FAIL and "refused" in result.summary


async def test_external_reach(tmp_path: Path, tls_servers: Any) -> None:
    # Supabase and Pusher are hosted services: their hosts are replaced by loopback TLS servers.
    settings = settings_for(tmp_path, supabase_url=tls_servers.urls["valid"], ca_bundle=str(tls_servers.ca_bundle),
                            pusher_cluster="us2", pusher_host=tls_servers.urls["valid"].replace("https://", "wss://"))
    result = await run_check("net.external_reach", settings, "2.6")
    assert result.status == Status.PASS, result.summary
    assert "Supabase" in result.summary and "Pusher" in result.summary
    no_pusher = settings_for(tmp_path, supabase_url=tls_servers.urls["valid"], ca_bundle=str(tls_servers.ca_bundle))
    result = await run_check("net.external_reach", no_pusher, "2.6")
    assert result.status == Status.PASS and "Pusher not used" in result.summary
    bad = settings_for(tmp_path, supabase_url=tls_servers.urls["self_signed"], ca_bundle=str(tls_servers.ca_bundle))
    result = await run_check("net.external_reach", bad, "2.6")
    assert result.status == Status.FAIL and "self-signed" in result.summary
    none = await run_check("net.external_reach", settings_for(tmp_path), "2.6")
    assert none.status == Status.NOT_APPLICABLE


# ---------------------------------------------------------------- TLS (2.8, 3.3)


@pytest.mark.parametrize(("server", "status", "reason"), [
    ("valid", Status.PASS, "days left"),
    ("soon", Status.WARN, "expires in"),
    ("very_soon", Status.FAIL, "renew now"),
    ("expired", Status.FAIL, "certificate expired on"),
    ("wrong_host", Status.FAIL, "certificate is for other.roofs-example.net, not 127.0.0.1"),
    ("self_signed", Status.FAIL, "self-signed certificate"),
    ("plain_on_tls", Status.FAIL, "plain HTTP on a TLS port"),
])
async def test_tls_reasons(tmp_path: Path, tls_servers: Any, server: str, status: Status, reason: str) -> None:
    settings = settings_for(tmp_path, backend_url=tls_servers.urls[server], ca_bundle=str(tls_servers.ca_bundle))
    result = await run_check("tls.backend", settings, "2.8")
    assert result.status == status, result.summary
    assert reason in result.summary
    if server == "expired":
        assert result.evidence["tls"]["verify_code"] == 10
    if server == "wrong_host":
        assert result.evidence["tls"]["verify_code"] in (62, 64)  # 64: the IP-address variant of 62
    if server == "self_signed":
        assert result.evidence["tls"]["verify_code"] == 18


async def test_tls_untrusted_without_ca_bundle(tmp_path: Path, tls_servers: Any) -> None:
    settings = settings_for(tmp_path, frontend_url=tls_servers.urls["valid"])
    result = await run_check("tls.frontend", settings, "3.3")
    assert result.status == Status.FAIL and "not trusted" in result.summary
    assert result.evidence["tls"]["issuer"]  # details read from the untrusted certificate


async def test_tls_plain_http_url_fails(tmp_path: Path, streamlit_servers: dict) -> None:
    result = await run_check("tls.frontend", settings_for(tmp_path, frontend_url=streamlit_servers["strict"].url), "3.3")
    assert result.status == Status.FAIL and "not HTTPS" in result.summary


# ---------------------------------------------------------------- security probes (3.1, 3.2, 3.7, 3.8)


async def test_cors_strict_passes_careless_fails(tmp_path: Path, strict_backend: Any, careless_backend: Any,
                                                 streamlit_servers: dict) -> None:
    ok = await run_check("http.cors", settings_for(tmp_path, backend_url=strict_backend.url), "3.1")
    assert ok.status == Status.PASS, ok.summary
    bad = await run_check("http.cors", settings_for(tmp_path, backend_url=careless_backend.url,
                                                    frontend_url=streamlit_servers["careless"].url), "3.1")
    assert bad.status == Status.FAIL
    assert "echoes Origin https://malicious.com with credentials allowed" in bad.summary
    assert "enableCORS = false" in bad.evidence["frontend_note"]


async def test_xsrf_cookie(tmp_path: Path, streamlit_servers: dict) -> None:
    ok = await run_check("http.xsrf_cookie", settings_for(tmp_path, frontend_url=streamlit_servers["strict"].url), "3.2")
    assert ok.status == Status.PASS, ok.summary
    assert ok.evidence["xsrf_cookie"]["samesite"]
    bad = await run_check("http.xsrf_cookie", settings_for(tmp_path, frontend_url=streamlit_servers["careless"].url),
                          "3.2")
    assert bad.status == Status.FAIL and "no _streamlit_xsrf cookie" in bad.summary


async def test_rate_limit(tmp_path: Path, strict_backend: Any, careless_backend: Any) -> None:
    ok = await run_check("http.rate_limit", settings_for(tmp_path, backend_url=strict_backend.url), "3.7")
    assert ok.status == Status.PASS, ok.summary
    assert "429" in ok.summary or "RateLimit" in ok.summary or "ratelimit" in ok.summary.lower()
    assert ok.evidence["sent"] <= 60
    bad = await run_check("http.rate_limit", settings_for(tmp_path, backend_url=careless_backend.url), "3.7",
                          burst=30)
    assert bad.status == Status.FAIL and "no rate limit: 30 requests" in bad.summary


async def test_error_leaks(tmp_path: Path, strict_backend: Any, careless_backend: Any,
                           streamlit_servers: dict) -> None:
    ok = await run_check("http.error_leaks", settings_for(tmp_path, backend_url=strict_backend.url,
                                                          frontend_url=streamlit_servers["strict"].url), "3.8")
    assert ok.status == Status.PASS, ok.summary
    assert len(ok.evidence["error_probes"]) == 6
    bad = await run_check("http.error_leaks", settings_for(tmp_path, backend_url=careless_backend.url,
                                                           frontend_url=streamlit_servers["careless"].url), "3.8")
    assert bad.status == Status.FAIL
    assert "backend malformed JSON" in bad.summary
    assert bad.evidence["first_leak"]  # the offending line is quoted


async def test_error_leaks_tolerates_invalid_utf8_and_huge(tmp_path: Path, raw_servers: dict) -> None:
    settings = settings_for(tmp_path, backend_url=raw_servers["huge"].url, frontend_url=raw_servers["bad_utf8"].url)
    started = time.monotonic()
    result = await run_check("http.error_leaks", settings, "3.8")
    assert time.monotonic() - started < 10
    # the invalid-UTF-8 page says "Traceback" but not the Python header: no leak; the 50 MB answer is cut
    assert result.status == Status.PASS, result.summary


# ---------------------------------------------------------------- 4.4, 9.4, 10.4, 10.7


async def test_compression(tmp_path: Path, gzip_frontend: Any, streamlit_servers: dict) -> None:
    ok = await run_check("http.compression", settings_for(tmp_path, frontend_url=gzip_frontend.url), "4.4")
    assert ok.status == Status.PASS, ok.summary
    assert "gzip" in ok.summary
    raw = await run_check("http.compression", settings_for(tmp_path, frontend_url=streamlit_servers["strict"].url),
                          "4.4")
    # Streamlit serves its page and static bundles uncompressed by design: the reverse proxy must compress.
    assert raw.status == Status.FAIL and "uncompressed" in raw.summary
    assert "reverse proxy" in raw.evidence["note"]


async def test_api_docs(tmp_path: Path, strict_backend: Any, careless_backend: Any) -> None:
    ok = await run_check("http.api_docs", settings_for(tmp_path, backend_url=strict_backend.url), "9.4")
    assert ok.status == Status.PASS and "/openapi.json" in ok.summary
    bad = await run_check("http.api_docs", settings_for(tmp_path, backend_url=careless_backend.url), "9.4")
    assert bad.status == Status.FAIL and "no API docs" in bad.summary
    assert bad.evidence["tried"]["/docs"] == 404


async def test_dashboard_html_and_page_load(tmp_path: Path, streamlit_servers: dict, raw_servers: dict) -> None:
    ok = await run_check("http.dashboard_html", settings_for(tmp_path, frontend_url=streamlit_servers["strict"].url),
                         "10.4")
    assert ok.status in (Status.PASS, Status.WARN), ok.summary
    assert ok.evidence["assets"] >= 1
    assert ok.evidence["session"]["script"] == "finished successfully"
    assert ok.evidence["session"]["messages"] > 1
    for key in ("perf.page_load_ms", "perf.dashboard_render_ms", "perf.refresh_overhead_ms"):
        assert ok.measurements[key].value > 0, key
    assert len(ok.evidence["session"]["refresh_ms"]) == 3
    broken = await run_check("http.dashboard_html",
                             settings_for(tmp_path, frontend_url=streamlit_servers["careless"].url), "10.4")
    assert broken.status == Status.FAIL and "compile error" in broken.summary
    assert "perf.dashboard_render_ms" not in broken.measurements
    not_streamlit = await run_check("http.dashboard_html",
                                    settings_for(tmp_path, frontend_url=raw_servers["bad_utf8"].url), "10.4")
    assert not_streamlit.status == Status.FAIL and "not the Streamlit page" in not_streamlit.summary
    assert not not_streamlit.measurements


async def test_dashboard_without_websocket_fails(tmp_path: Path, gzip_frontend: Any) -> None:
    # A proxy that serves the page but not the WebSocket: the browser would show a spinner forever.
    result = await run_check("http.dashboard_html", settings_for(tmp_path, frontend_url=gzip_frontend.url), "10.4")
    assert result.status == Status.FAIL and "WebSocket session failed" in result.summary


async def test_api_call(tmp_path: Path, strict_backend: Any) -> None:
    ok = await run_check("http.api_call", settings_for(tmp_path, backend_url=strict_backend.url), "10.7")
    assert ok.status == Status.PASS and "2 records" not in ok.summary and "1 records" in ok.summary
    missing = await run_check("http.api_call", settings_for(tmp_path, backend_url=strict_backend.url), "10.7",
                              call="GET /api/nothing")
    assert missing.status == Status.FAIL and "404" in missing.summary
    bad_input = await run_check("http.api_call", settings_for(tmp_path, backend_url=strict_backend.url), "10.7",
                                call="fetch leads please")
    assert bad_input.status == Status.ERROR and "must look like" in bad_input.summary


# ---------------------------------------------------------------- load test (4.7, 8.5)


async def test_load_test_measures(tmp_path: Path, strict_backend: Any) -> None:
    settings = settings_for(tmp_path, load_url=strict_backend.url + "/health", load_requests=200, load_concurrency=5)
    seen: list[float | None] = []
    spec = get_check("load.test")
    assert spec is not None
    item = CHECKLIST.item("4.7")
    ctx = CheckContext(settings=settings, params={}, item=item, checklist=CHECKLIST, spec=spec,
                       progress=lambda fraction, message: seen.append(fraction))
    result = await spec.func(ctx)  # type: ignore[misc]
    assert result.status in (Status.PASS, Status.WARN), result.summary  # WARN only when p95 ≥ 500 ms
    lt = result.evidence["load_test"]
    assert lt["answered"] == 200 and lt["p50_ms"] <= lt["p95_ms"] <= lt["p99_ms"]
    assert lt["requests_per_s"] > 0 and lt["statuses"] == {"200": 200}
    assert result.measurements["perf.avg_response_ms"].value > 0
    # The target is the health endpoint: its success rate fills the Availability table's row.
    health = result.measurements["avail.health_success_pct"]
    assert health.value == 100.0 and "200 of 200" in health.display
    assert seen and seen[-1] == 1.0


async def test_load_test_errors_by_kind_and_bounded(tmp_path: Path, raw_servers: dict) -> None:
    from fixtures.http_servers import free_port

    refused = settings_for(tmp_path, load_url=f"http://127.0.0.1:{free_port()}/", load_requests=50)
    result = await run_check("load.test", refused, "4.7")
    assert result.status == Status.ERROR and "connect_refused" in result.summary
    hang = settings_for(tmp_path, load_url=raw_servers["hang"].url + "/", load_requests=1000, read_timeout=0.5)
    started = time.monotonic()
    result = await run_check("load.test", hang, "4.7")
    assert time.monotonic() - started < 5
    lt = result.evidence["load_test"]
    assert set(lt["errors"]) == {"timeout"} and lt["sent"] < 30
    assert "no answer to the first" in lt["stopped"]


async def test_load_generator_refuses_answers_beyond_the_cap(raw_servers: dict) -> None:
    """By default a body over 1 MB is an error at once: streaming 50 MB (or 1 GB) per request would
    spend the whole time budget on a broken endpoint."""
    from readiness_tui.loadgen import run_load

    started = time.monotonic()
    result = await run_load(raw_servers["huge"].url + "/", 50, 2, read_timeout=5)
    assert time.monotonic() - started < 3
    assert set(result.errors) == {"body_too_large"} and result.answered == 0
    assert "no answer to the first" in result.stopped


@pytest.mark.parametrize("server", ["chunked", "until_close", "huge"])
async def test_load_generator_reads_every_framing(raw_servers: dict, server: str) -> None:
    from readiness_tui.loadgen import run_load

    total = 3 if server == "huge" else 40
    tracemalloc.start()
    # The 50 MB answers are read through (a raised cap) to prove they are counted and dropped, not kept.
    result = await run_load(raw_servers[server].url + "/", total, 2, read_timeout=5, max_body=64 << 20)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.answered == total and result.statuses == {200: total}, result.summary()
    assert peak < 10 * 1024 * 1024  # 3 × 50 MB answers were counted and dropped, not kept


async def test_load_test_runs_once_for_both_items(tmp_path: Path, strict_backend: Any) -> None:
    settings = settings_for(tmp_path, load_url=strict_backend.url + "/health", load_requests=100, load_concurrency=4)
    runner = Runner(CHECKLIST, settings)
    results = await runner.run([CHECKLIST.item("4.7"), CHECKLIST.item("8.5")])
    a, b = results["4.7"].checks[0], results["8.5"].checks[0]
    assert a is b  # memoised: one run serves both items
    assert results["4.7"].evidence["load_test"]["answered"] == 100


# ---------------------------------------------------------------- the performance table in every report


def test_performance_table_in_reports(tmp_path: Path, strict_backend: Any, streamlit_servers: dict) -> None:
    from conftest import run_cli

    project = tmp_path / "proj"
    project.mkdir()
    (project / ".env").write_text(f"BACKEND_API_URL={strict_backend.url}\n"
                                  f"FRONTEND_URL={streamlit_servers['strict'].url}\n")
    (project / "readiness.toml").write_text("[target]\nload_requests = 200\nload_concurrency = 5\n")
    only = "2.3,4.7,5.1,10.4,10.7"
    out = run_cli("check", str(project), "--only", only, "--format", "json", "--fail-under", "0")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    table = next(t for t in data["criteria"] if t["id"] == "performance")
    rows = {r["metric"]: r for r in table["rows"]}
    for metric in ("Average Response Time", "Page Load Time", "Dashboard Render", "Auto-refresh Overhead",
                   "Health Check"):
        assert rows[metric]["value"] is not None and rows[metric]["value"] > 0, rows[metric]
        assert "ms" in rows[metric]["measured"]
    md = run_cli("check", str(project), "--only", only, "--format", "markdown", "--fail-under", "0")
    assert md.returncode == 0, md.stderr
    line = next(x for x in md.stdout.splitlines() if x.startswith("| Health Check"))
    assert " ms" in line and "TBD" not in line
    assert "| Dashboard Render | <1s | " in md.stdout and "script_finished" in md.stdout
    text = run_cli("check", str(project), "--only", only, "--format", "text", "--fail-under", "0")
    assert "Performance Metrics:" in text.stdout
    assert any(x.strip().startswith("Average Response Time") and " ms" in x for x in text.stdout.splitlines())


async def test_one_run_orders_burst_after_probes_and_load(tmp_path: Path, strict_backend: Any) -> None:
    # The strict backend limits /api/* to 30 per minute: if the burst of 3.7 ran first, the API call
    # of 10.7 and the CORS probes of 3.1 would meet its 429s. In one run they must not.
    settings = settings_for(tmp_path, backend_url=strict_backend.url, load_requests=100, load_concurrency=4)
    runner = Runner(CHECKLIST, settings)
    results = await runner.run([CHECKLIST.item(i) for i in ("3.7", "10.7", "3.1", "4.7")])
    assert results["10.7"].status == Status.PASS, results["10.7"].summary
    assert results["3.1"].status == Status.PASS, results["3.1"].summary
    assert results["3.7"].status == Status.PASS, results["3.7"].summary
    assert results["4.7"].status in (Status.PASS, Status.WARN), results["4.7"].summary
    assert results["4.7"].evidence["load_test"]["errors"] == {}


# ---------------------------------------------------------------- headless imports, bad input


def test_live_modules_import_no_heavy_library() -> None:
    import subprocess
    import sys

    from conftest import REPO

    code = (
        "import sys\n"
        "import checks.live_http, checks.live_net, checks.live_load\n"
        "import readiness_tui.http, readiness_tui.tlsprobe, readiness_tui.loadgen, readiness_tui.stsession\n"
        "heavy = [m for m in ('httpx', 'websockets', 'cryptography', 'aiohttp', 'textual') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_bad_live_settings_give_clear_messages(tmp_path: Path) -> None:
    from conftest import run_cli

    project = tmp_path / "proj"
    project.mkdir()
    (project / ".env").write_text("BACKEND_API_URL=not a url\nFRONTEND_URL=ftp://files.internal\n")
    (project / "readiness.toml").write_text('[target]\napi_call = "fetch the leads"\nload_url = "gopher://x"\n')
    out = run_cli("check", str(project), "--only", "2.3,2.7,2.8,4.7,10.4,10.7", "--format", "json",
                  "--fail-under", "0")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    items = {i["id"]: i for s in json.loads(out.stdout)["sections"] for i in s["items"]}
    assert items["2.3"]["status"] == "error" and "BACKEND_API_URL is not an http(s) URL" in items["2.3"]["summary"]
    assert items["10.4"]["status"] == "error" and "FRONTEND_URL is not an http(s) URL" in items["10.4"]["summary"]
    assert items["2.7"]["status"] == "error"
    assert items["4.7"]["status"] == "error" and "no load-test target" in items["4.7"]["summary"]
    assert items["10.7"]["status"] == "error"
    zero = project / "readiness.toml"
    zero.write_text("[target]\nload_requests = 0\n")
    out = run_cli("check", str(project), "--only", "4.7")
    assert out.returncode == 2 and "load_requests" in out.stderr and "Traceback" not in out.stderr
