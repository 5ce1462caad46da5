"""The browser items against real Streamlit apps in headless Chromium (fixtures: tests/fixtures/browser_apps.py).

Chromium is kept on loopback (`browser_offline`): every other host fails to resolve inside it.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import need
from fixtures.browser_apps import LAZY_APP, png, write_degrading_app

from readiness_tui import browser
from readiness_tui.checkapi import CheckContext, RunOptions, get_check
from readiness_tui.checklist import load_checklist
from readiness_tui.model import CheckResult, Status
from readiness_tui.runner import Runner
from readiness_tui.settings import Settings

CHECKLIST = load_checklist()


def settings_for(tmp_path: Path, url: str, **values: Any) -> Settings:
    values.setdefault("browser_offline", True)
    values.setdefault("browser_timeout", 45.0)
    values.setdefault("refresh_watch", 1.0)
    return Settings(project_dir=tmp_path, frontend_url=url, **values)


@pytest.fixture
def need_browser(tmp_path: Path) -> None:
    need(browser.missing(Settings(project_dir=tmp_path)) is None, "playwright and Chromium (scripts/setup.sh)")


async def run_items(settings: Settings, *ids: str, options: RunOptions | None = None) -> dict[str, Any]:
    """Run items through the real runner (one browser for all of them); results by item id."""
    runner = Runner(CHECKLIST, settings, options=options)
    return await runner.run([CHECKLIST.item(i) for i in ids])


def by_check(result: Any, name: str) -> CheckResult:
    return next(c for c in result.checks if c.check == name)


async def test_charts_that_render_pass_with_a_screenshot_and_browser_timings(tmp_path: Path, need_browser: None,
                                                                            browser_apps: dict[str, str]) -> None:
    results = await run_items(settings_for(tmp_path, browser_apps["charts"]), "10.4", "10.9", "3.8")
    page = by_check(results["10.4"], "browser.dashboard")
    assert page.status == Status.PASS, page.summary
    assert page.facts["pages"] == ["Overview", "Sales"] and page.facts["problems"] == []
    shot = tmp_path / page.evidence["screenshot"]
    assert page.evidence["screenshot"] == ".readiness/screenshots/overview.png" and shot.is_file()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert stat.S_IMODE(shot.stat().st_mode) == 0o600
    assert page.evidence["screenshot"] in page.summary
    overview = page.evidence["pages"][0]
    assert overview["title"] and overview["finished"] and overview["fcp_ms"] > 0 and overview["idle_ms"] > 0
    assert results["10.4"].measurements["perf.page_load_ms"].display.endswith("(browser: navigation to load event)")
    assert "browser: first script run to idle" in results["10.4"].measurements["perf.dashboard_render_ms"].display
    charts = results["10.9"]
    assert charts.status == Status.PASS, charts.summary
    assert charts.facts["charts"] == [
        "Overview: Vega-Lite chart 1", "Overview: Vega-Lite chart 2", 'Overview: Vega-Lite chart 3 "Leads by day"',
        "Overview: map 4", "Sales: Vega-Lite chart 1", 'Sales: image 2 "logo"']
    assert all(not line.endswith("empty") for lines in charts.evidence["charts"].values() for line in lines)
    assert by_check(results["3.8"], "browser.error_details").status == Status.PASS
    assert (tmp_path / ".readiness/screenshots/sales.png").is_file()


async def test_a_chart_that_raises_fails_quoting_the_page_and_its_error(tmp_path: Path, need_browser: None,
                                                                       browser_apps: dict[str, str]) -> None:
    results = await run_items(settings_for(tmp_path, browser_apps["raising"]), "10.4", "10.9", "3.8")
    charts = results["10.9"]
    assert charts.status == Status.FAIL
    assert charts.summary.startswith("page 'Pipeline' shows KeyError: 'temperature'"), charts.summary
    assert charts.facts["problems"] == ["page 'Pipeline' shows KeyError: 'temperature'"]
    assert charts.facts["charts"] == ["Pipeline: Vega-Lite chart 1"]  # the chart before the exception drew
    page = by_check(results["10.4"], "browser.dashboard")
    assert page.status == Status.FAIL and "KeyError: 'temperature'" in page.summary
    assert ".readiness/screenshots/pipeline.png" in page.summary
    traced = by_check(results["3.8"], "browser.error_details")
    assert traced.status == Status.FAIL and "traceback" in traced.summary
    assert traced.facts["tracebacks"] == ["Pipeline: KeyError: 'temperature'"]


async def test_a_page_that_never_finishes_is_reported_within_the_timeout(tmp_path: Path, need_browser: None,
                                                                        browser_apps: dict[str, str]) -> None:
    settings = settings_for(tmp_path, browser_apps["hanging"], browser_timeout=40.0)
    results = await run_items(settings, "10.4", "10.9")
    page = by_check(results["10.4"], "browser.dashboard")
    assert page.status == Status.FAIL, page.summary
    assert "did not finish its first run within" in page.summary and "(script running)" in page.summary
    assert results["10.9"].status == Status.ERROR and "charts not checked" in results["10.9"].summary
    assert (tmp_path / ".readiness/screenshots/slow-dashboard.png").is_file()  # what it showed by then
    assert results["10.4"].duration_ms < 60_000


async def test_the_runs_timeout_bounds_the_browser_and_facts_hold_no_timing(tmp_path: Path, need_browser: None,
                                                                           browser_apps: dict[str, str]) -> None:
    # browser_timeout alone would give the page 60 s: the run's --timeout 15 cuts the browser part first, and
    # the check still judges what the page showed (not the runner's "--timeout ran out")
    settings = settings_for(tmp_path, browser_apps["hanging"], browser_timeout=60.0)
    started = asyncio.get_running_loop().time()
    results = await run_items(settings, "10.4", options=RunOptions(timeout=15.0))
    took = asyncio.get_running_loop().time() - started
    page = by_check(results["10.4"], "browser.dashboard")
    assert page.status == Status.FAIL, page.summary
    assert "did not finish its first run within" in page.summary and "ran out" not in page.summary
    within = int(page.summary.split("did not finish its first run within ")[1].split(" s")[0])
    assert within <= 13
    assert took < 15 + 3
    # the sign-off digest binds facts: no seconds, limits or ports in them
    assert page.facts["problems"] == ["page 'Slow dashboard' did not finish its first run"]
    assert page.facts["pages"] == ["Slow dashboard"]


HOSTILE_APP = """import streamlit as st

st.set_page_config(page_title="Leads \\u202e\\x1b]0;owned\\x07")
st.title("Hostile")
st.error("upstream said \\x1b[31mred\\x1b[0m with key PLANTED-SUPABASE-KEY-7f3a9c")
raise RuntimeError("connect failed: postgresql://app:PLANTED-DB-PASSWORD-41b@db:5432/x \\x1b[2J")
"""


async def test_page_text_is_neutralised_and_redacted_before_any_report(tmp_path: Path, need_browser: None) -> None:
    import json

    from fixtures.http_servers import _start_streamlit, _wait_healthy

    proc, port, log = _start_streamlit(tmp_path / "app", '[client]\nshowErrorDetails = "full"\n', HOSTILE_APP)
    try:
        import time

        _wait_healthy(f"http://127.0.0.1:{port}", proc, log, time.monotonic() + 60)
        settings = settings_for(tmp_path / "project", f"http://127.0.0.1:{port}",
                                supabase_key="PLANTED-SUPABASE-KEY-7f3a9c")
        (tmp_path / "project").mkdir()
        results = await run_items(settings, "10.4", "3.8")
    finally:
        proc.terminate()
        proc.wait(10)
    page = by_check(results["10.4"], "browser.dashboard")
    assert page.status == Status.FAIL and "RuntimeError" in page.summary, page.summary
    for result in results.values():
        text = "\n".join(_strings(result.to_dict()))  # every key and value, as a report would get them
        for raw in ("\x1b", "\u202e", "\x07", "PLANTED-SUPABASE-KEY-7f3a9c", "PLANTED-DB-PASSWORD-41b"):
            assert raw not in text, (raw, result.summary)
    assert "\\x1b" in json.dumps(page.facts)  # shown as an escape, not dropped


def _strings(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [t for k, v in data.items() for t in (str(k), *_strings(v))]
    if isinstance(data, (list, tuple)):
        return [t for v in data for t in _strings(v)]
    return [str(data)]


async def test_an_app_behind_a_redirect_is_followed_and_named(tmp_path: Path, need_browser: None,
                                                             browser_apps: dict[str, str]) -> None:
    results = await run_items(settings_for(tmp_path, browser_apps["redirect"]), "10.4")
    page = by_check(results["10.4"], "browser.dashboard")
    assert page.status == Status.PASS, page.summary
    assert page.evidence["redirected_to"].startswith(browser_apps["charts"])


async def test_a_page_that_is_not_streamlit_fails(tmp_path: Path, need_browser: None, gzip_frontend: Any) -> None:
    results = await run_items(settings_for(tmp_path, gzip_frontend.url, browser_timeout=20.0), "10.4")
    page = by_check(results["10.4"], "browser.dashboard")
    assert page.status == Status.FAIL and "is not a Streamlit app" in page.summary


async def test_refresh_is_watched_and_judged(tmp_path: Path, need_browser: None, browser_apps: dict[str, str]) -> None:
    settings = settings_for(tmp_path, browser_apps["refreshing"], refresh_watch=15.0)
    spec = get_check("browser.refresh")
    assert spec is not None
    item = CHECKLIST.item("10.5")

    async def run(**params: Any) -> CheckResult:
        ctx = CheckContext(settings=settings, params={**item.params, **params}, item=item, checklist=CHECKLIST,
                           spec=spec)
        return await spec.func(ctx)  # type: ignore[misc]

    too_often = await run(interval=2.0, margin=3.0, min_seconds=30.0)
    assert too_often.status == Status.PASS and "as configured (2 s)" in too_often.summary, too_often.summary
    strict = await run(margin=3.0, min_seconds=30.0)
    assert strict.status == Status.PENDING and "longer than this run watches" in strict.summary
    quick = await run(margin=3.0, min_seconds=1.0, interval=1.0)
    assert quick.status == Status.PASS and "at least 1 s" in quick.summary, quick.summary
    assert 1.0 <= quick.evidence["reruns_s"][0] < 6.0


async def test_an_app_without_charts_leaves_10_9_to_a_person(tmp_path: Path, need_browser: None,
                                                              browser_apps: dict[str, str]) -> None:
    results = await run_items(settings_for(tmp_path, browser_apps["refreshing"]), "10.9")
    charts = results["10.9"]
    assert charts.status == Status.PENDING, charts.summary
    assert charts.summary.startswith("no chart on any of the 1 page loaded: confirm the dashboard should show none")
    assert charts.facts["charts"] == [] and charts.facts["problems"] == []


async def test_no_refresh_within_the_period_fails(tmp_path: Path, need_browser: None,
                                                  browser_apps: dict[str, str]) -> None:
    settings = settings_for(tmp_path, browser_apps["charts"], refresh_watch=10.0)
    results = await run_items(settings, "10.5")
    # the default period (30 s + 5 s) is longer than refresh_watch: said, not watched
    assert results["10.5"].status == Status.PENDING and "refresh_watch 10 s" in results["10.5"].summary
    item = CHECKLIST.item("10.5")
    spec = get_check("browser.refresh")
    assert spec is not None
    ctx = CheckContext(settings=settings, params={"interval": 3.0, "margin": 1.0}, item=item, checklist=CHECKLIST,
                       spec=spec)
    result = await spec.func(ctx)  # type: ignore[misc]
    assert result.status == Status.FAIL and "did not refresh within 4 s" in result.summary


async def test_missing_chromium_is_one_line_with_how_to_install(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9", browser_path=str(tmp_path / "no-chromium"))
    results = await run_items(settings, "10.4", "10.9", "10.5", "3.8")
    for item_id in ("10.9", "10.5"):
        result = results[item_id]
        assert "is not an executable file" in result.summary and "apt-get install chromium" in result.summary
        assert "\n" not in result.summary
    assert results["10.9"].status == Status.ERROR  # nothing else decides it
    # 10.5: the code decides (no refresh here: a person confirms), and the summary says what was not probed
    assert results["10.5"].status == Status.PENDING and "not probed: " in results["10.5"].summary
    assert by_check(results["10.5"], "browser.refresh").status == Status.ERROR
    assert by_check(results["10.4"], "browser.dashboard").status == Status.ERROR
    # not probed here: 3.8 keeps what its configuration and HTTP checks decided, and says so
    part = by_check(results["3.8"], "browser.error_details")
    assert part.status == Status.ERROR and part.not_probed == "no browser" and part.facts == {"browser": "missing"}
    assert results["3.8"].status != Status.ERROR and "not probed: " in results["3.8"].summary
    assert "apt-get install chromium" in results["3.8"].summary
    assert not (tmp_path / ".readiness").exists()


def test_missing_names_what_and_how(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(browser, "CHROMIUM_NAMES", ("/nonexistent/chromium", "chromium"))
    text = browser.missing(Settings(project_dir=tmp_path))
    assert text == ("Chromium not found (/nonexistent/chromium, chromium): apt-get install chromium (Debian/Ubuntu; "
                    "scripts/setup.sh does it) or set browser_path")
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    assert browser.missing(Settings(project_dir=tmp_path)) == (
        "the browser items need Playwright, which is not installed: pip install 'readiness-tui[browser]' "
        "(scripts/setup.sh does it)")


def _our_chromiums(word: str = "chrom") -> list[int]:
    """Processes descending from this test process whose name (or, for `python`, command line) has `word`."""
    parents: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            names[int(entry)] = (Path(f"/proc/{entry}/comm").read_text().strip() + " "
                                 + Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, IndexError):
            continue
        if fields[0] in ("Z", "X"):  # exited, not yet reaped
            names.pop(int(entry))
        parents[int(entry)] = int(fields[1])
    found = []
    for pid, name in names.items():
        if word not in name:
            continue
        up = parents.get(pid)
        while up and up != os.getpid():
            up = parents.get(up)
        if up == os.getpid():
            found.append(pid)
    return found


async def test_cancelling_the_run_closes_the_browser(tmp_path: Path, need_browser: None,
                                                     browser_apps: dict[str, str]) -> None:
    settings = settings_for(tmp_path, browser_apps["hanging"], browser_timeout=60.0)
    runner = Runner(CHECKLIST, settings)
    before = set(_our_chromiums())  # another test's browser may still be on its way out
    run = asyncio.ensure_future(runner.run([CHECKLIST.item("10.4"), CHECKLIST.item("10.9")]))
    deadline = asyncio.get_running_loop().time() + 30
    while not set(_our_chromiums()) - before:
        assert asyncio.get_running_loop().time() < deadline, "Chromium never started"
        await asyncio.sleep(0.1)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    session = runner.shared["browser.session"]
    assert session._task is not None
    with pytest.raises(asyncio.CancelledError):
        await session._task
    deadline = asyncio.get_running_loop().time() + 15
    while set(_our_chromiums()) - before:
        assert asyncio.get_running_loop().time() < deadline, f"Chromium still running: {_our_chromiums()}"
        await asyncio.sleep(0.1)


@pytest.mark.fast
def test_console_errors_are_sorted_into_the_apps_own_and_the_rest() -> None:
    app = "http://127.0.0.1:8501/"
    assert browser.classify_console("Failed to fetch metrics config", "", app) is None
    assert browser.classify_console("Failed to load resource: 404", "http://127.0.0.1:8501/page/_stcore/health",
                                    app) is None
    assert browser.classify_console("Failed to load resource: net::ERR_NAME_NOT_RESOLVED",
                                    "https://basemaps.cartocdn.com/style.json", app) == "outside"
    assert browser.classify_console("uncaught TypeError: x is undefined", app, app) == "app"
    assert browser.classify_console("Failed to load resource: 500", "http://127.0.0.1:8501/media/a.png", app) == "app"


@pytest.mark.fast
def test_the_screenshot_an_item_names_and_how_it_is_shown(tmp_path: Path) -> None:
    shot = tmp_path / "s.png"
    assert browser.screenshot_of({"screenshot": ".readiness/screenshots/overview.png"}) == (
        ".readiness/screenshots/overview.png")
    assert browser.screenshot_of({"screenshots": {"Sales": ".readiness/screenshots/sales.png"}}) == (
        ".readiness/screenshots/sales.png")
    assert browser.screenshot_of({"charts": {}}) is None
    assert browser.viewer_command(shot, {"BROWSER": "firefox --new-tab:w3m"}) == ["firefox", "--new-tab", str(shot)]
    assert browser.viewer_command(shot, {"BROWSER": "open %s"}) == ["open", str(shot)]
    assert browser.viewer_command(shot, {}) is None  # over SSH: the path is shown instead


# ---- 10.10: a copy of the app against a failing stand-in backend -------------------------------------------

def degrading_settings(tmp_path: Path, frontend_url: str, **values: Any) -> Settings:
    """The DEGRADING_APP project, its frontend command in [commands] (started by the check, not here)."""
    write_degrading_app(tmp_path)
    command = [sys.executable, "-m", "streamlit", "run", "app.py"]
    return settings_for(tmp_path, frontend_url, config={"commands": {"frontend": command}}, **values)


async def test_a_page_that_lets_the_backends_error_through_fails_10_10(
        tmp_path: Path, need_browser: None, browser_apps: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKEND_API_URL", raising=False)
    settings = degrading_settings(tmp_path, browser_apps["charts"])
    before = set(_our_chromiums("streamlit")) | set(_our_chromiums())  # the fixtures' apps, another test's browser
    results = await run_items(settings, "10.10", options=RunOptions(run_project_commands=True))
    copy = by_check(results["10.10"], "browser.degradation")
    assert copy.status == Status.FAIL, copy.summary
    assert copy.summary.startswith("with its backend answering 503, page 'Careless' shows urllib.error.HTTPError: HTTP Error 503"
                                   ), copy.summary
    assert copy.facts["copy_pages"] == ["Careful", "Careless"]
    assert copy.facts["copy_messages"]["Careful"] == ["error: The leads API is unavailable (503); try again later."]
    assert copy.facts["copy_problems"] == ["page 'Careless' shows urllib.error.HTTPError: HTTP Error 503: Service Unavailable"]
    requests = copy.evidence["stand_in_requests"]
    assert requests["count"] >= 2 and {"GET /api/leads", "GET /api/stats"} <= set(requests["first"])
    assert sorted(p.name for p in (tmp_path / ".readiness/screenshots").iterdir()) == [
        "degraded-careful.png", "degraded-careless.png"]  # 10.10 alone: the dashboard itself is not loaded
    # the copy and everything it started are gone once the check is done
    port = int(copy.evidence["copy"].rsplit(":", 1)[1])
    reader = asyncio.open_connection("127.0.0.1", port)
    with pytest.raises(OSError):
        await reader
    await _until_gone(before)


async def test_a_copy_that_never_calls_the_stand_in_was_not_exercised(
        tmp_path: Path, need_browser: None, browser_apps: dict[str, str]) -> None:
    settings = degrading_settings(tmp_path, browser_apps["charts"])
    (tmp_path / "app.py").write_text(LAZY_APP)  # calls its backend only after a click
    before = set(_our_chromiums("streamlit")) | set(_our_chromiums())
    results = await run_items(settings, "10.10", options=RunOptions(run_project_commands=True))
    result = by_check(results["10.10"], "browser.degradation")
    assert result.status == Status.PENDING, result.summary
    assert result.summary.startswith("not exercised: no page of the copy called the stand-in backend (through "
                                     "BACKEND_API_URL) while loading"), result.summary
    assert result.evidence["stand_in_requests"]["count"] == 0
    assert result.evidence["backend_env"] == {"BACKEND_API_URL": "app.py:8"}
    await _until_gone(before)


async def test_a_copy_whose_code_never_names_a_backend_variable_is_not_started(
        tmp_path: Path, need_browser: None, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = degrading_settings(tmp_path, "http://127.0.0.1:9")
    for name in ("careful.py", "careless.py"):
        (tmp_path / name).write_text('import streamlit as st\n\nst.title("Static")\n')
    before = set(_our_chromiums("streamlit")) | set(_our_chromiums())
    results = await run_items(settings, "10.10", options=RunOptions(run_project_commands=True))
    result = by_check(results["10.10"], "browser.degradation")
    assert result.status == Status.PENDING
    assert result.summary.startswith("not exercised: the project's Python code never names BACKEND_API_URL nor "
                                     "another backend or API URL variable"), result.summary
    assert set(_our_chromiums("streamlit")) | set(_our_chromiums()) <= before  # nothing was started
    assert not (tmp_path / ".readiness").exists()


async def test_a_project_without_a_dashboard_has_no_browser_items(tmp_path: Path) -> None:
    (tmp_path / "api.py").write_text("from flask import Flask\n\napp = Flask(__name__)\n")
    results = await run_items(Settings(project_dir=tmp_path, browser_offline=True), "10.4", "10.5", "10.9", "10.10",
                              "3.8")
    for item_id in ("10.4", "10.5", "10.9"):  # applies_to = ["streamlit"]: the map's evidence, nothing run
        assert results[item_id].status == Status.NOT_APPLICABLE, results[item_id].summary
        assert "no Streamlit app" in results[item_id].summary and not results[item_id].checks
    for item_id, name in (("10.10", "browser.degradation"), ("3.8", "browser.error_details")):
        part = by_check(results[item_id], name)
        assert part.status == Status.NOT_APPLICABLE and "no Streamlit app" in part.summary, part.summary
        assert part.facts == {"used": False}
    assert not (tmp_path / ".readiness" / "screenshots").exists()


async def test_10_10_says_plainly_when_it_cannot_be_exercised(tmp_path: Path) -> None:
    bare = settings_for(tmp_path, "http://127.0.0.1:9")
    result = by_check((await run_items(bare, "10.10"))["10.10"], "browser.degradation")
    assert result.status == Status.PENDING and result.summary.startswith("not exercised: no frontend command")
    asked = degrading_settings(tmp_path, "http://127.0.0.1:9")
    result = by_check((await run_items(asked, "10.10"))["10.10"], "browser.degradation")
    assert result.status == Status.PENDING
    assert "streamlit run app.py`; allow the project's commands (--run-project-commands)" in result.summary
    assert not (tmp_path / ".readiness").exists()  # nothing was started


async def test_cancelling_10_10_stops_the_copy_and_the_browser(
        tmp_path: Path, need_browser: None, browser_apps: dict[str, str]) -> None:
    settings = degrading_settings(tmp_path, browser_apps["charts"])
    runner = Runner(CHECKLIST, settings, options=RunOptions(run_project_commands=True))
    apps, chromiums = set(_our_chromiums("streamlit")), set(_our_chromiums())
    run = asyncio.ensure_future(runner.run([CHECKLIST.item("10.10"), CHECKLIST.item("10.4")]))
    deadline = asyncio.get_running_loop().time() + 60
    while not (set(_our_chromiums("streamlit")) - apps and set(_our_chromiums()) - chromiums):
        assert asyncio.get_running_loop().time() < deadline, "the copy or Chromium never started"
        await asyncio.sleep(0.1)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    await _until_gone(apps | chromiums)


async def _until_gone(before: set[int], limit: float = 20) -> None:
    """Wait (at most `limit` s) until no Streamlit app or Chromium of ours is left but those in `before`."""
    deadline = asyncio.get_running_loop().time() + limit
    while left := (set(_our_chromiums("streamlit")) | set(_our_chromiums())) - before:
        assert asyncio.get_running_loop().time() < deadline, f"still running: {sorted(left)}"
        await asyncio.sleep(0.1)


@pytest.mark.fast
async def test_the_stand_in_answers_every_request_with_its_error_and_counts_them() -> None:
    from readiness_tui.http import Http
    from readiness_tui.standin import FailingBackend

    async with FailingBackend(502) as stand_in, Http() as http:
        for path in ("/api/leads?limit=5", "/health"):
            answer = await http.get(stand_in.url + path)
            assert answer.status == 502 and answer.header("retry-after") == "30"
            assert answer.text == '{"error": "bad gateway", "detail": "readiness-tui stand-in backend"}'
        assert stand_in.count == 2 and stand_in.requests == ["GET /api/leads", "GET /health"]


# ---- the wizard: the screenshot's path, and `o` --------------------------------------------------------------

async def test_the_wizard_shows_the_screenshot_and_o_opens_it(good_project: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from fixtures.ui import result
    from readiness_tui.screens.app import inject_results, make_app
    from textual.widgets import Static

    shot = good_project / ".readiness/screenshots/overview.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(png(4, 4, (0, 128, 0)))
    opened = tmp_path / "opened.txt"
    viewer = tmp_path / "viewer"
    viewer.write_text(f"#!/bin/sh\nprintf '%s' \"$1\" > {opened}\n")
    viewer.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(viewer))
    app = make_app(good_project, run_checks=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        inject_results(app, {"10.4": result("pass", "'Overview' loads", screenshot=".readiness/screenshots/overview.png"),
                             "10.9": result("pass", "2 charts", charts={})})
        app.goto_item("10.4")
        await pilot.pause()
        detail = str(app.screen.query_one("#detail", Static).render())
        assert f"Screenshot {shot}" in detail and "o open screenshot" in detail
        await pilot.press("o")
        deadline = asyncio.get_running_loop().time() + 10
        while not opened.exists():
            assert asyncio.get_running_loop().time() < deadline, "the viewer was not started"
            await pilot.pause(0.05)
        assert opened.read_text() == str(shot)
        # no viewer (over SSH): the path is shown; an item without a screenshot says so
        notes: list[str] = []
        monkeypatch.setattr(app.screen, "notify", lambda message, **kw: notes.append(message))
        monkeypatch.delenv("BROWSER")
        monkeypatch.delenv("DISPLAY", raising=False)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        await pilot.press("o")
        assert notes[-1].startswith(f"screenshot: {shot} (no image viewer here")
        app.goto_item("10.9")
        await pilot.pause()
        assert "Screenshot" not in str(app.screen.query_one("#detail", Static).render())
        await pilot.press("o")
        assert notes[-1].startswith("this item has no screenshot")


def test_an_unreachable_frontend_leaves_10_5_to_the_code(tmp_path: Path) -> None:
    """Found on real repositories: with nothing listening at the frontend's address, 10.5 was `error`
    although the code says how the dashboard refreshes. The browser part is "not probed"; the code decides."""
    import json

    from conftest import run_cli
    from fixtures.http_servers import free_port

    project = tmp_path / "dash"
    project.mkdir()
    (project / "app.py").write_text("import streamlit as st\nfrom streamlit_autorefresh import st_autorefresh\n\n"
                                    "st_autorefresh(interval=5000, key='tick')\nst.title('Sales')\n")
    (project / "requirements.txt").write_text("streamlit\nstreamlit-autorefresh\n")
    (project / ".env").write_text(f"FRONTEND_URL=http://127.0.0.1:{free_port()}\n")
    done = run_cli("check", str(project), "--only", "10.5", "--format", "json")
    item = next(i for s in json.loads(done.stdout)["sections"] for i in s["items"] if i["id"] == "10.5")
    assert item["status"] == "fail", item  # 5 s in the code: far below 30 s, whatever the browser could not see
    assert "app.py" in item["summary"] and "not probed" in item["summary"], item["summary"]
