"""What only a browser sees (items 10.4, 10.9, 10.5, 10.10, 3.8 and the Performance table's browser rows).

Every check here reads the run's one `BrowserSession` (`readiness_tui.browser`): the pages are loaded
once, in headless Chromium, whichever check asks first, within the run's `--timeout`. A project whose
map shows no Streamlit app (and no frontend configured) has nothing to open: the checks are not
applicable, with the map's evidence. When Playwright or Chromium is missing, or FRONTEND_URL may not be
probed, the checks say which and how to fix it (`error`, one line) and are marked not probed, so an
item keeps what its other checks decided (3.8 its configuration and HTTP verdicts, 10.4 the HTTP load).

Facts are page names, chart names, problem kinds and the texts the pages show, never timings, ports or
limits: a sign-off must survive a re-run that saw the same pages.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

from readiness_tui.checks._common import split_url
from readiness_tui.checks._corpus import corpus
from readiness_tui.checks.config import EXCLUDE, refresh_hits
from readiness_tui.checks.project_commands import CommandsConfigError, ProjectCommand, configured_commands

from readiness_tui import browser
from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.endpoints import configured as frontend_configured
from readiness_tui.endpoints import shared_endpoints
from readiness_tui.model import (
    CheckResult,
    Measurement,
    Status,
    errored,
    failed,
    not_applicable,
    passed,
    pending,
    warned,
)
from readiness_tui.neutral import one_line
from readiness_tui.standin import AppCopy, FailingBackend

#: The runner's bound for the page checks; the session itself stops at `browser_timeout`.
PAGES_TIMEOUT = 120.0
PAGES_PARAMS = {"max_pages": Param(int, "pages of a multipage app loaded at most (its navigation's order)", 20)}


def _ms(value: float) -> str:
    return f"{value:.0f} ms"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


NO_STREAMLIT = "no Streamlit app, .streamlit/ folder or `streamlit run` command in the repository"


async def _frontend(ctx: CheckContext) -> tuple[str | None, CheckResult | None]:
    """The dashboard's URL, or the result that says why no browser opens it: not applicable when the project
    map shows no Streamlit app and no frontend is configured; `error`, not probed, for an unset or
    placeholder FRONTEND_URL."""
    pm = await asyncio.to_thread(ctx.project_map)  # built by the runner beforehand; never on the loop
    endpoints = shared_endpoints(ctx.settings, ctx.shared, pm)
    if not pm.streamlit_used() and not frontend_configured(ctx.settings, "streamlit", endpoints):
        return None, not_applicable(f"no dashboard to open in a browser: {NO_STREAMLIT}",
                                    absent=NO_STREAMLIT).with_facts(used=False)
    endpoint = endpoints["frontend"]
    if not endpoint.ok or endpoint.url is None:
        return None, errored(f"{endpoint.detail}: no page to open in the browser", setting=endpoint.setting
                             ).with_facts(browser="no URL").skipped(endpoint.why or "no URL")
    if split_url(endpoint.url) is None:
        return None, errored(f"{endpoint.setting} is not an http(s) URL: no page to open in the browser",
                             setting=endpoint.setting).with_facts(browser="no URL").skipped("no URL")
    return endpoint.url, None


def _no_browser(problem: str) -> CheckResult:
    """Playwright or Chromium is missing: one line with how to install it, not probed here."""
    return errored(problem).with_facts(browser="missing").skipped("no browser")


def _session(ctx: CheckContext) -> browser.BrowserSession:
    """The run's browser session, bounded by the run's deadline (`--timeout`)."""
    session = browser.session(ctx.shared, ctx.settings, int(ctx.param("max_pages", 20)), ctx.deadline)
    session.progress.append(ctx.progress)
    return session


async def _survey(ctx: CheckContext, watch: tuple[float, float] | None = None,
                  ) -> tuple[browser.Survey | None, CheckResult | None]:
    """The run's pages, or the result that says why there are none.

    `watch` (period, margin) asks the session to keep the dashboard open for one refresh period
    afterwards; it must be asked before the pages are done, so it is asked here.
    """
    url, problem = await _frontend(ctx)
    if problem is not None:
        return None, problem
    missing = browser.missing(ctx.settings)
    if missing:
        return None, _no_browser(missing)
    session = _session(ctx)
    if watch is not None and session.watch_wanted is None:
        session.watch_wanted = watch
    survey = await session.survey()
    if survey.error and not survey.pages:
        result = errored(survey.error, url=url, browser=survey.browser)
        if survey.unavailable:
            return None, result.with_facts(browser="missing").skipped("no browser")
        if survey.unreachable:  # nothing seen: what the repository says (10.5's refresh in code) decides
            return None, result.with_facts(browser="unreachable").skipped("unreachable")
        return None, result.with_facts(browser="failed")
    return survey, None


def _where(page: browser.PageSeen) -> str:
    return f"page '{one_line(page.name or page.url, 60)}'"


def _base_evidence(survey: browser.Survey) -> dict[str, Any]:
    evidence: dict[str, Any] = {"browser": survey.browser, "url": survey.url, "waited_ms": round(survey.waited_ms),
                                "launch_ms": round(survey.launch_ms), "elapsed_ms": round(survey.elapsed_ms)}
    main = survey.main
    if main is not None and main.screenshot:
        evidence["screenshot"] = main.screenshot
    if main is not None and main.final_url and main.final_url.rstrip("/") != survey.url.rstrip("/"):
        evidence["redirected_to"] = main.final_url
    if survey.nav_total > len(survey.pages):
        evidence["pages_not_loaded"] = survey.nav_total - len(survey.pages)
    return evidence


def page_problems(page: browser.PageSeen, timeout: float) -> list[tuple[str, str]]:
    """Why a page does not load correctly, as a user sees it (empty when it does): (what the summary says,
    the fact — the same without timings, limits or addresses). `timeout`: the seconds the pages had."""
    where = _where(page)
    if page.error:
        return [(f"{where} did not load: {page.error}", f"{where} did not load")]
    if not page.streamlit:
        return [(f"{where} ({one_line(page.final_url or page.url, 80)}, title {one_line(page.title, 40)!r}) is not "
                 "a Streamlit app", f"{where} is not a Streamlit app")]
    problems = [(f"{where} shows {one_line(e['message'], 120)}",) * 2 for e in page.exceptions]
    if not page.finished:
        state = page.script_state or "not started"
        problems.append((f"{where} did not finish its first run within {timeout:.0f} s (script {state})",
                         f"{where} did not finish its first run"))
    problems += [(f"{where} console error: {one_line(e, 120)}",) * 2 for e in page.console_errors]
    return problems


@check("browser.dashboard", "the dashboard loads in headless Chromium: every page finishes its first run without "
       "an exception or console error; title, paint and idle times, screenshot", timeout=PAGES_TIMEOUT,
       params=PAGES_PARAMS, live=True)
async def dashboard(ctx: CheckContext) -> CheckResult:
    """Item 10.4; measures `perf.page_load_ms` (navigation timing) and `perf.dashboard_render_ms` (first run to idle)."""
    survey, problem = await _survey(ctx)
    if problem is not None:
        return problem
    assert survey is not None and survey.main is not None
    main = survey.main
    evidence = _base_evidence(survey)
    evidence["pages"] = [p.to_evidence() for p in survey.pages]
    timeout = browser.session(ctx.shared, ctx.settings).pages_timeout
    found = [why for p in survey.pages for why in page_problems(p, timeout)]
    problems = [said for said, _ in found]
    names = [p.name for p in survey.pages]
    measurements: dict[str, Measurement] = {}
    if main.load_ms:
        measurements["perf.page_load_ms"] = Measurement(round(main.load_ms, 1),
                                                        f"{_ms(main.load_ms)} (browser: navigation to load event)", "ms")
    if main.render_ms is not None:
        measurements["perf.dashboard_render_ms"] = Measurement(
            round(main.render_ms, 1), f"{_ms(main.render_ms)} (browser: first script run to idle)", "ms")
    failing = next((p for p in survey.pages if page_problems(p, timeout)), main)
    shot = f" (screenshot {failing.screenshot})" if failing.screenshot else ""
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        result = failed(f"{problems[0]}{more}{shot}", **evidence)
    else:
        charts = sum(len(p.charts) for p in survey.pages)
        others = f" and {_plural(len(names) - 1, 'more page')}" if len(names) > 1 else ""
        result = passed(f"'{one_line(main.name, 60)}'{others} load in {survey.browser or 'Chromium'}: idle "
                        f"{_ms(main.idle_ms or 0)} after navigation, {_plural(charts, 'chart')}, no exception or "
                        f"console error{shot}", **evidence)
    result.measurements = measurements
    return result.with_facts(pages=names, problems=[fact for _, fact in found], streamlit=main.streamlit)


@check("browser.charts", "every chart on every page (Vega-Lite, Altair, Plotly, maps, images) is drawn with content "
       "and no exception stands in its place", timeout=PAGES_TIMEOUT, params=PAGES_PARAMS, live=True)
async def charts(ctx: CheckContext) -> CheckResult:
    """Item 10.9. An exception stops a Streamlit script, so the charts after it never draw: it fails too."""
    survey, problem = await _survey(ctx)
    if problem is not None:
        return problem
    assert survey is not None
    evidence = _base_evidence(survey)
    evidence["charts"] = {p.name: [f"{c.name}: {c.content or 'empty'}" for c in p.charts] for p in survey.pages}
    shots = {p.name: p.screenshot for p in survey.pages if p.screenshot}
    if shots:
        evidence["screenshots"] = shots
    empty = [f"{_where(p)}: {c.name} is empty" for p in survey.pages for c in p.charts if not c.content]
    raised = [f"{_where(p)} shows {one_line(e['message'], 120)}" for p in survey.pages for e in p.exceptions]
    unchecked = [p for p in survey.pages if p.error or not p.finished]
    seen = [f"{p.name}: {c.name}" for p in survey.pages for c in p.charts]
    facts = {"charts": seen, "problems": raised + empty}
    if raised or empty:
        problems = raised + empty
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        tail = " (the charts after an exception never draw)" if raised else ""
        return failed(f"{problems[0]}{more}{tail}", **evidence).with_facts(**facts)
    if unchecked:
        names = ", ".join(f"'{one_line(p.name, 40)}'" for p in unchecked[:3])
        limit = browser.session(ctx.shared, ctx.settings).pages_timeout
        why = unchecked[0].error or f"its first run did not finish within {limit:.0f} s"
        return errored(f"charts not checked on {names}: {why}", **evidence).with_facts(**facts, unchecked=[
            p.name for p in unchecked])
    if not seen:
        return pending(f"no chart on any of the {_plural(len(survey.pages), 'page')} loaded: confirm the dashboard "
                       "should show none", **evidence).with_facts(**facts)
    pages = len({p.name for p in survey.pages if p.charts})
    return passed(f"{_plural(len(seen), 'chart')} on {_plural(pages, 'page')} drawn with content, no exception",
                  **evidence).with_facts(**facts)


@check("browser.error_details", "no page of the dashboard shows a traceback to its users", timeout=PAGES_TIMEOUT,
       params=PAGES_PARAMS, live=True)
async def error_details(ctx: CheckContext) -> CheckResult:
    """Item 3.8 (browser part): an exception element with trace rows shows users the code's internals."""
    survey, problem = await _survey(ctx)
    if problem is not None:
        problem.summary = f"pages not inspected in a browser: {problem.summary}"
        return problem
    assert survey is not None
    traced = [(p, e) for p in survey.pages for e in p.exceptions if e.get("trace_rows")]
    shown = [f"{p.name}: {one_line(e['message'], 120)}" for p in survey.pages for e in p.exceptions]
    evidence = {"exceptions_seen": shown, "pages": [p.name for p in survey.pages]}
    if traced:
        page, exc = traced[0]
        more = f" (+{len(traced) - 1} more)" if len(traced) > 1 else ""
        return failed(f"{_where(page)} shows its users a traceback ({exc['trace_rows']} rows) under "
                      f"{one_line(exc['message'], 100)}{more}: set client.showErrorDetails = \"none\"",
                      **evidence).with_facts(tracebacks=[f"{p.name}: {one_line(e['message'], 120)}" for p, e in traced])
    if shown:
        return passed(f"exceptions are shown without a traceback ({shown[0]})", **evidence).with_facts(
            tracebacks=[], exceptions=shown)
    return passed(f"no exception or traceback on {_plural(len(survey.pages), 'page')}", **evidence).with_facts(
        tracebacks=[], exceptions=[])


@check("browser.refresh", "the dashboard re-runs by itself within one refresh period, no more often than asked",
       timeout=PAGES_TIMEOUT + 300, params={
    **PAGES_PARAMS,
    "min_seconds": Param(float, "the shortest acceptable refresh interval", 30.0),
    "interval": Param(float, "the refresh period the app is configured with, in seconds (default: found in code)"),
    "margin": Param(float, "seconds watched beyond one period", 5.0),
    **EXCLUDE,
}, live=True)
async def refresh(ctx: CheckContext) -> CheckResult:
    """Item 10.5: watch one period (bounded by `refresh_watch`) and judge the interval seen."""
    minimum = float(ctx.param("min_seconds"))
    margin = float(ctx.param("margin"))
    hits = [h for h in await asyncio.to_thread(refresh_hits, ctx) if h.value]
    configured = ctx.param("interval")
    expected = float(configured) if configured else min((h.value or 0 for h in hits), default=minimum)
    found = [h.show(" s") for h in hits[:10]]
    facts: dict[str, Any] = {"configured": [h.where for h in hits[:10]], "minimum_s": minimum}
    if configured:
        facts["interval_s"] = float(configured)
    survey, problem = await _survey(ctx, watch=(expected, margin))
    if problem is not None:
        if problem.status != Status.NOT_APPLICABLE:
            problem.evidence["found"] = found
        return problem
    assert survey is not None
    watch = await browser.session(ctx.shared, ctx.settings).watch()
    evidence: dict[str, Any] = {"found": found, "expected_s": expected, "watch_limit_s": watch.limit_s,
                                "watched_s": watch.watched_s, "reruns_s": watch.reruns}
    where = f" ({found[0]})" if found else ""
    if watch.skipped:
        return pending(f"not watched: {watch.skipped}; confirm the refresh{where} in the running dashboard",
                       **evidence).with_facts(**facts, refresh="not watched")
    if watch.error:
        return errored(f"the refresh watch failed: {watch.error}", **evidence).with_facts(**facts, refresh="error")
    if not watch.reruns:
        why = f" although {found[0]}" if found else ""
        return failed(f"the dashboard did not refresh within {expected + margin:g} s{why}", **evidence).with_facts(
            **facts, refresh="none")
    seen = watch.reruns[0]
    how = "reloaded" if watch.reloads else "re-ran"
    tolerance = max(1.0, 0.05 * minimum)
    if seen >= minimum - tolerance:
        return passed(f"the dashboard {how} {seen:g} s after its first run ended (at least {minimum:g} s)",
                      **evidence).with_facts(**facts, refresh="at least minimum")
    # Seen within the watched period + margin, and not sooner than configured: as configured (a loaded
    # host delays a timer, it never brings one forward).
    if configured and seen >= float(configured) - max(1.0, 0.1 * float(configured)):
        return passed(f"the dashboard {how} {seen:g} s after its first run ended, as configured ({float(configured):g} s)",
                      **evidence).with_facts(**facts, refresh="as configured")
    return failed(f"the dashboard {how} after {seen:g} s: more often than every {minimum:g} s{where}",
                  **evidence).with_facts(**facts, refresh="too often")


def frontend_command(ctx: CheckContext) -> tuple[ProjectCommand | None, str]:
    """The command that starts a copy of the frontend: `[commands] frontend`, else `streamlit run <entry>`
    for the Streamlit app the project map found (when `streamlit` is on PATH); (None, why not) otherwise."""
    configured = configured_commands(ctx.settings, "frontend")
    if configured is not None:
        if not configured:
            return None, "[commands] frontend is empty"
        return configured[0], ""
    streamlit = shutil.which("streamlit")
    pm = ctx.project_map()
    for app in pm.streamlit_apps:
        path = pm.root / app.entry
        if path.is_file() and streamlit:
            return ProjectCommand("frontend", [streamlit, "run", path.name], path.parent, 600.0,
                                  f"default (the Streamlit app {app.entry}, streamlit on PATH)"), ""
    found = f"the Streamlit app {pm.streamlit_apps[0].entry} but no streamlit on PATH" if pm.streamlit_apps else \
        "no Streamlit app in the project map"
    return None, (f"no frontend command ({found}): set `frontend = [\"streamlit\", \"run\", \"app.py\"]` in "
                  "readiness.toml [commands]")


def backend_variables(ctx: CheckContext, named: list[str]) -> dict[str, str]:
    """The variables through which the app may find its backend, name -> where the code names it: those of
    `named` (the item's `backend_env`) that the project's Python code mentions (any case: a settings class
    field counts), and every backend-URL variable the project map saw the frontend read."""
    found: dict[str, str] = {}
    if named:
        for doc in corpus(ctx):
            if not doc.rel.endswith(".py"):
                continue
            lower = doc.text.lower()
            for name in named:
                if name not in found and name.lower() in lower:
                    line = next(n for n, text in enumerate(doc.lines, 1) if name.lower() in text.lower())
                    found[name] = f"{doc.rel}:{line}"
    for use in ctx.project_map().env_reads("backend_api"):
        if use.what not in found and len(found) < 10:
            found[use.what] = use.where
    return found


def _judge_copy(copy: browser.Survey, status: int, timeout: float) -> tuple[str, str, dict[str, Any]]:
    """(status, summary, facts) for the copy's pages with the backend answering `status`."""
    where = f"with its backend answering {status}"
    raised = [f"{_where(p)} shows {one_line(e['message'], 120)}" for p in copy.pages for e in p.exceptions]
    hung = [f"{_where(p)} did not finish its first run" for p in copy.pages
            if not p.error and p.streamlit and not p.finished]
    broken = [f"{_where(p)} did not load: {p.error}" for p in copy.pages if p.error]
    broken += [f"{_where(p)} is not a Streamlit app" for p in copy.pages if not p.error and not p.streamlit]
    said = {p.name: [f"{a['kind'] or 'alert'}: {one_line(' '.join(a['text'].split()), 120)}" for a in p.alerts]
            for p in copy.pages}
    silent = [p.name for p in copy.pages if p.finished and not p.exceptions and not p.alerts]
    facts: dict[str, Any] = {"copy_pages": [p.name for p in copy.pages], "copy_problems": raised + hung,
                             "copy_messages": said, "copy_silent": silent, "stand_in_status": status}
    if raised or hung:
        problems = raised + [f"{h} within {timeout:.0f} s" for h in hung]
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        fix = ": catch the API's errors and show a message (st.error), as the item asks" if raised else ""
        return "fail", f"{where}, {problems[0]}{more}{fix}", facts
    if broken:
        return "error", f"{where}, {broken[0]}", facts
    if silent:
        names = ", ".join(f"'{one_line(n, 40)}'" for n in silent[:3])
        return ("warn", f"{where}, every page finished without an exception, but {names} tell users nothing "
                f"(no error, warning or info message)", facts)
    first = next(iter(m for msgs in said.values() for m in msgs), "")
    return "pass", f"{where}, every page finished and shows a message ({one_line(first, 100)})", facts


@check("browser.degradation", "with the backend answering errors (a stand-in), every page of the dashboard shows a "
       "message instead of an exception or a hang", timeout=PAGES_TIMEOUT + 120, params={
    **PAGES_PARAMS,
    "status": Param(int, "the HTTP status the stand-in backend answers every request with", 503),
    "backend_env": Param(str, "the variables, comma-separated, through which the app finds its backend (besides "
                         "those its code reads whose name says backend or API URL)", "BACKEND_API_URL"),
    "start_timeout": Param(float, "seconds the copy of the frontend may take to answer", 45.0),
}, live=True)
async def degradation(ctx: CheckContext) -> CheckResult:
    """Item 10.10 (browser part): a copy of the dashboard pointed at a failing stand-in backend, looked at.

    The copy is `degraded_frontend_url` when someone runs one (the demo does), else the project's frontend
    command started here against `readiness_tui.standin.FailingBackend` — only with the project's commands
    allowed. Without either, the item says plainly that it was not exercised.
    """
    status = int(ctx.param("status"))
    given = ctx.settings.degraded_frontend_url
    if given:
        if split_url(given) is None:
            return errored("degraded_frontend_url is not an http(s) URL", setting="degraded_frontend_url")
        problem = browser.missing(ctx.settings)
        if problem:
            return _no_browser(problem)
        session = _session(ctx)
        session.copy_ready(given)
        return _copy_result(await session.copy(), session.pages_timeout, status, {"copy": given},
                            {"source": "degraded_frontend_url"})
    _, unused = await _frontend(ctx)
    if unused is not None and unused.status == Status.NOT_APPLICABLE:
        return unused
    try:
        command, why = await asyncio.to_thread(frontend_command, ctx)
    except CommandsConfigError as exc:
        return errored(str(exc))
    if command is None:
        return pending(f"not exercised: {why}, or degraded_frontend_url to a copy of the dashboard whose backend "
                       "answers errors; confirm by hand (stop the backend, look at every page)",
                       ).with_facts(exercised=False)
    planned = command.describe()
    if not ctx.options.run_project_commands:
        return pending(f"not exercised: starting a copy of the dashboard against a failing stand-in backend runs "
                       f"`{planned['command']}`; allow the project's commands (--run-project-commands) or confirm "
                       "by hand", command=planned).with_facts(exercised=False)
    problem = browser.missing(ctx.settings)
    if problem:
        return _no_browser(problem)
    session = _session(ctx)
    start_timeout = ctx.seconds_left(float(ctx.param("start_timeout")))
    session.expect_copy(start_timeout)  # before the first await: the browser waits for the copy
    named = [n.strip() for n in str(ctx.param("backend_env")).split(",") if n.strip()]
    redactor = ctx.settings.redactor()
    try:
        variables = await asyncio.to_thread(backend_variables, ctx, named)  # the project's files: off the loop
        if not variables:
            return pending(f"not exercised: the project's Python code never names {', '.join(named)} nor another "
                           "backend or API URL variable, so a copy cannot be pointed at a failing backend (set the "
                           "item's backend_env to the variable the app reads); confirm by hand", command=planned,
                           ).with_facts(exercised=False, backend_env=named)
        names = list(variables)
        async with FailingBackend(status) as stand_in:
            ctx.progress(None, f"starting a copy of the frontend against a stand-in answering {status}")
            async with AppCopy(command.argv, command.cwd, stand_in.url, names, command.env,
                               timeout=command.timeout) as copy:
                failed_start = await copy.ready(start_timeout)
                session.copy_ready(None if failed_start else copy.url)
                evidence: dict[str, Any] = {"command": planned, "copy": copy.url, "stand_in": stand_in.url,
                                            "backend_env": variables}
                if failed_start:
                    evidence["output_tail"] = redactor.text("\n".join(copy.output))
                    return errored(redactor.text(f"the copy of the frontend did not start: {failed_start}"),
                                   **evidence).with_facts(exercised=False)
                survey = await session.copy()
            evidence["stand_in_requests"] = {"count": stand_in.count, "first": stand_in.requests}
            if stand_in.count == 0 and not survey.error:
                return pending(f"not exercised: no page of the copy called the stand-in backend (through "
                               f"{', '.join(names)}) while loading: the app reads another variable (set the item's "
                               "backend_env) or calls its backend only later, after a click; confirm by hand",
                               **evidence).with_facts(exercised=False, backend_env=names)
    finally:
        session.copy_ready(None)
    return _copy_result(survey, session.pages_timeout, status, evidence, {"source": planned["source"]})


def _copy_result(copy: browser.Survey, timeout: float, status: int, evidence: dict[str, Any],
                 facts: dict[str, Any]) -> CheckResult:
    if copy.error and not copy.pages:
        return errored(f"the copy of the dashboard was not looked at: {copy.error}", **evidence).with_facts(
            exercised=False, **facts)
    evidence = {**evidence, "browser": copy.browser, "copy_pages": [p.to_evidence() for p in copy.pages]}
    shots = {p.name: p.screenshot for p in copy.pages if p.screenshot}
    if shots:
        evidence["screenshots"] = shots
    verdict, summary, judged = _judge_copy(copy, status, timeout)
    make = {"pass": passed, "warn": warned, "fail": failed, "error": errored}[verdict]
    return make(summary, **evidence).with_facts(exercised=True, **facts, **judged)
