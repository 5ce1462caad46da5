"""Headless Chromium looking at the Streamlit dashboard as a user would (items 10.4, 10.9, 10.5, 3.8).

One browser per run: the first browser check starts a `BrowserSession` kept in the run's shared
memo; it launches Chromium (Debian's `chromium`, driven by the optional `playwright` package),
loads the app at FRONTEND_URL, finds every page of a multipage app in its navigation, loads the
other pages in parallel tabs, and records for each what a person would see: title, timings
(navigation timing, first contentful paint, the first script run until the app is idle), the
elements shown, every chart and whether it has content, exception elements with their text,
console errors of the app's own, and a screenshot under `.readiness/screenshots/` (mode 0600).
A check that asked for it (10.5) may then keep the dashboard's tab open for one auto-refresh period.

Bounded: the pages within `Settings.browser_timeout` (launch included), the refresh watch within
`Settings.refresh_watch`. The browser is always closed: when the session ends, and when every
check waiting for it was cancelled (a timeout, Ctrl+C), which cancels the session and runs its
`finally`. Playwright is imported lazily, so the rest of the tool never pays for it.

Verified with Streamlit 1.67 and Chromium 156 (docs/browser.md): Streamlit marks its root `[data-testid="stApp"]`
with `data-test-script-state` (`initial`, `running`, `notRunning`, …) and
`data-test-connection-state`; charts are `stVegaLiteChart` (line/bar/area/Altair), `stPlotlyChart`,
`stDeckGlJsonChart` (maps), `stGraphVizChart`, `stImage` (pyplot); errors are `stException` with
`stExceptionMessage` and, when `client.showErrorDetails` shows them, `stExceptionTraceRow`s.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from readiness_tui.http import Http, dead_hosts, host_key, quiet
from readiness_tui.neutral import one_line

if TYPE_CHECKING:
    from readiness_tui.settings import Settings

#: Where Chromium is looked for when `browser_path` is not set (Debian's package first).
CHROMIUM_NAMES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
INSTALL_PLAYWRIGHT = "pip install 'readiness-tui[browser]' (scripts/setup.sh does it)"
INSTALL_CHROMIUM = "apt-get install chromium (Debian/Ubuntu; scripts/setup.sh does it) or set browser_path"
#: Chromium's flags: no background traffic of its own (updates, sync, field trials), no first-run UI.
CHROMIUM_ARGS = ("--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--disable-default-apps", "--mute-audio")
#: With `browser_offline`: every name but loopback fails to resolve inside Chromium (IP literals too).
OFFLINE_RULES = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
SCREENSHOT_DIR = "screenshots"
#: Seconds the browser part leaves before the run's deadline (`--timeout`): the checks judge what was seen
#: and Chromium closes before the runner cuts them off.
DEADLINE_MARGIN = 2.0
VIEWPORT = {"width": 1280, "height": 900}

#: Chart elements by test id, with the name a person knows them by.
CHART_KINDS = {
    "stVegaLiteChart": "Vega-Lite chart",
    "stPlotlyChart": "Plotly chart",
    "stDeckGlJsonChart": "map",
    "stGraphVizChart": "Graphviz chart",
    "stEChartsChart": "ECharts chart",
    "stBokehChart": "Bokeh chart",
    "stImage": "image",
}
#: Console errors that are Streamlit's own plumbing or telemetry, never the app's (seen offline with Streamlit 1.67): the
#: metrics config it fetches, the base-path probes it makes from a page's URL (`/page/_stcore/health`).
STREAMLIT_NOISE = re.compile(r"Failed to fetch metrics config|metrics\.json|segment\.io|/_stcore/(health|host-config)",
                             re.IGNORECASE)
#: Failed loads of outside resources (fonts, map tiles, CDNs): reported, not counted as the app's errors.
NET_FAILURE = re.compile(r"net::ERR_[A-Z_]+|Failed to fetch", re.IGNORECASE)

#: Recorded in every page before its own scripts run: each change of Streamlit's script and
#: connection state, with its time (ms since navigation start).
_STATE_LOG = """
(() => {
  const log = [];
  Object.defineProperty(window, "__readinessStates", {value: log});
  const hook = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return false;
    const note = () => log.push([app.getAttribute("data-test-script-state") || "",
                                 app.getAttribute("data-test-connection-state") || "", performance.now()]);
    note();
    new MutationObserver(note).observe(app, {attributes: true,
      attributeFilter: ["data-test-script-state", "data-test-connection-state"]});
    return true;
  };
  const start = () => {
    if (hook()) return;
    const watch = new MutationObserver(() => { if (hook()) watch.disconnect(); });
    watch.observe(document.documentElement, {childList: true, subtree: true});
  };
  if (document.documentElement) start(); else document.addEventListener("readystatechange", start, {once: true});
})();
"""

#: Elements Streamlit shows while a component's code is still loading (a chart's, a map's).
_PLACEHOLDERS = '[data-testid="stMain"] [data-testid^="stSkeleton"], [data-testid="stSidebar"] [data-testid^="stSkeleton"]'
#: Wait after the first run for charts and lazily loaded elements to draw (longer when the run was slower).
SETTLE_S = 8.0

#: The links of Streamlit's page navigation (sidebar or top bar).
_NAV_LINKS = ('a[data-testid="stSidebarNavLink"], a[data-testid="stTopNavLink"], '
              'a[data-testid="stTopNavDropdownLink"]')

#: Whether a page is Streamlit's shell (its index.html: a `#root` and Streamlit's script bundle) before it ran.
_SHELL = """() => !!document.querySelector('[data-testid="stApp"]') || (!!document.getElementById("root")
  && ([...document.scripts].some((s) => /\\/static\\/js\\/index\\.[\\w-]+\\.js/.test(s.src))
      || /streamlit/i.test(document.title)))"""

#: Whether the app is idle: connected, its script not running, its first run over.
_IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const state = app.getAttribute("data-test-script-state");
  return app.getAttribute("data-test-connection-state") === "CONNECTED"
    && state !== "initial" && state !== "running" && state !== "rerunRequested";
}"""

#: Every chart element and whether it shows content (marks in an SVG, a sized canvas, a loaded image).
_CHARTS = """(kinds) => {
  const sized = (n) => { const b = n.getBoundingClientRect(); return b.width >= 24 && b.height >= 24; };
  const out = [];
  const seen = new Set();
  for (const kind of kinds) {
    for (const el of document.querySelectorAll(`[data-testid="${kind}"]`)) {
      if (kind === "stImage" && !el.closest('[data-testid="stMain"], [data-testid="stSidebar"]')) continue;
      if ([...seen].some((s) => s.contains(el))) continue;
      seen.add(el);
      let content = "";
      const marks = el.querySelectorAll('svg g[class*="mark-"] path, svg g[class*="mark-"] rect, '
        + 'svg g[class*="mark-"] circle, svg g[class*="mark-"] line, svg g[class*="mark-"] text, '
        + 'svg .trace, svg .point, svg g.node, svg g.edge, svg path.bar');
      if (marks.length) content = `${marks.length} marks`;
      if (!content) for (const c of el.querySelectorAll("canvas")) {
        if (sized(c)) { content = `canvas ${c.width}×${c.height}`; break; }
      }
      if (!content) for (const img of el.querySelectorAll("img")) {
        if (img.complete && img.naturalWidth > 0 && sized(img)) { content = `image ${img.naturalWidth}×${img.naturalHeight}`; break; }
      }
      const svgOnly = !content && [...el.querySelectorAll("svg")].some(sized);
      const generic = /^(Vega visualization|Map|Chart|Image)$/i;
      const caption = (el.querySelector('[data-testid="stImageCaption"]')
        || el.parentElement?.querySelector('[data-testid="stImageCaption"]'));
      let label = el.querySelector("g.role-title-text text, text.role-title-text, .gtitle, .g-gtitle")?.textContent
        || caption?.textContent || el.getAttribute("aria-label") || "";
      if (generic.test(label.trim())) label = "";
      const box = el.getBoundingClientRect();
      out.push({kind, content, svg_only: svgOnly, label: label.trim().slice(0, 120),
                width: Math.round(box.width), height: Math.round(box.height)});
    }
  }
  return out;
}"""

#: What the page shows besides its charts: exceptions, alerts, element counts, navigation links.
_PAGE = """() => {
  const text = (el) => (el?.innerText || "").trim();
  const exceptions = [...document.querySelectorAll('[data-testid="stException"]')].map((e) => ({
    message: text(e.querySelector('[data-testid="stExceptionMessage"]')) || text(e).split("\\n")[0],
    trace_rows: e.querySelectorAll('[data-testid="stExceptionTraceRow"]').length,
  }));
  const alerts = [...document.querySelectorAll('[data-testid="stAlert"]')]
    .filter((a) => !a.closest('[data-testid="stException"]'))
    .map((a) => ({kind: (a.querySelector('[data-testid^="stAlertContent"]')?.getAttribute("data-testid") || "")
                   .replace("stAlertContent", "").toLowerCase(), text: text(a)}));
  const counts = {};
  for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid], [data-testid="stSidebar"] [data-testid]')) {
    const id = el.getAttribute("data-testid");
    if (/^st(Heading|Markdown|Metric|DataFrame|Table|VegaLiteChart|PlotlyChart|DeckGlJsonChart|GraphVizChart|Image|Alert|Exception|Button|TextInput|Selectbox|Expander|Tabs|Json|Code|Caption|Caption|Form|ChatMessage)$/.test(id)) {
      counts[id] = (counts[id] || 0) + 1;
    }
  }
  const links = [...document.querySelectorAll('a[data-testid="stSidebarNavLink"], a[data-testid="stTopNavLink"], '
                 + 'a[data-testid="stTopNavDropdownLink"]')].map((a) => ({href: a.href,
                   name: text(a.querySelector('[data-testid="stMarkdownContainer"]') || a)}));
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  const placeholders = document.querySelectorAll(PLACEHOLDERS).length;
  return {title: document.title, url: location.href, exceptions, alerts, counts, links, placeholders,
          states: window.__readinessStates || [],
          nav: nav ? {dom_content_loaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                      response: nav.responseEnd} : null,
          fcp: fcp ? fcp.startTime : null};
}"""


class BrowserUnavailable(Exception):
    """Playwright or Chromium is missing, or Chromium does not start (message: what, and how to fix)."""


@dataclass
class Chart:
    """One chart element of a page."""

    kind: str
    index: int
    """1-based position among the page's charts."""
    content: str
    """What shows it has content (`12 marks`, `canvas 704×500`), empty when none."""
    label: str = ""
    width: int = 0
    height: int = 0

    @property
    def name(self) -> str:
        """`Vega-Lite chart 2` or `map 1 "Sales by region"`."""
        label = f' "{one_line(self.label, 60)}"' if self.label else ""
        return f"{CHART_KINDS.get(self.kind, self.kind)} {self.index}{label}"


@dataclass
class PageSeen:
    """What one page of the app showed."""

    name: str
    url: str
    final_url: str = ""
    title: str = ""
    finished: bool = False
    """The app's first run ended (idle) within the time the page had."""
    script_state: str = ""
    streamlit: bool = False
    """A Streamlit app was on the page (`stApp`)."""
    fcp_ms: float | None = None
    dom_content_loaded_ms: float | None = None
    load_ms: float | None = None
    """Navigation timing: the load event's end, from navigation start."""
    run_started_ms: float | None = None
    idle_ms: float | None = None
    """From navigation start to the app's idle state after its first run (charts drawn)."""
    elements: dict[str, int] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, str]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions of the app's own."""
    outside_failures: list[str] = field(default_factory=list)
    """Outside resources that failed to load (fonts, map tiles): reported, not the app's errors."""
    screenshot: str = ""
    """The screenshot's path relative to the project directory."""
    error: str = ""
    """Why the page could not be loaded at all."""
    placeholders: int = 0
    """Loading placeholders left when the page was inspected (shown in the evidence, not judged: Streamlit
    also keeps them for elements far below the fold)."""
    first_idle_ms: float | None = None
    """When the first run ended (before charts finished drawing); refresh periods count from here."""
    idle_index: int = -1
    """Where the first idle state is in the page's state log (later `running` states are re-runs)."""
    links: list[dict[str, str]] = field(default_factory=list, repr=False)
    """The navigation's links (name, href) as the page listed them."""

    @property
    def render_ms(self) -> float | None:
        """The first script run until idle (what the Performance table calls Dashboard Render)."""
        if self.idle_ms is None or self.run_started_ms is None:
            return None
        return max(0.0, self.idle_ms - self.run_started_ms)

    def to_evidence(self) -> dict[str, Any]:
        data = asdict(self)
        del data["links"], data["idle_index"], data["first_idle_ms"]
        data["charts"] = [{"chart": c.name, "content": c.content or "empty", "size": f"{c.width}×{c.height}"}
                          for c in self.charts]
        for key in ("fcp_ms", "dom_content_loaded_ms", "load_ms", "run_started_ms", "idle_ms"):
            if data[key] is not None:
                data[key] = round(data[key])
        data["render_ms"] = round(self.render_ms) if self.render_ms is not None else None
        return {k: v for k, v in data.items() if v not in ("", [], {}, None)}


@dataclass
class Survey:
    """The whole browser look at the app: its pages, or why there are none."""

    url: str
    pages: list[PageSeen] = field(default_factory=list)
    error: str = ""
    """Why nothing could be looked at (browser missing, launch failed, main page failed)."""
    unavailable: bool = False
    """The error is a missing browser (Playwright or Chromium), not a problem of the app."""
    unreachable: bool = False
    """The error is a frontend that did not answer: nothing was looked at (the repository may still decide)."""
    browser: str = ""
    waited_ms: float = 0.0
    """How long the browser waited for the run's HTTP latency samples before starting."""
    launch_ms: float = 0.0
    elapsed_ms: float = 0.0
    timed_out: bool = False
    nav_total: int = 0
    """Pages the navigation listed (more than were loaded when `max_pages` cut them)."""

    @property
    def main(self) -> PageSeen | None:
        return self.pages[0] if self.pages else None


@dataclass
class Watch:
    """One auto-refresh period watched on the dashboard's tab."""

    watched_s: float = 0.0
    limit_s: float = 0.0
    reruns: list[float] = field(default_factory=list)
    """Seconds from the first run's end to the next run's start (or reload)."""
    reloads: int = 0
    error: str = ""
    skipped: str = ""
    """Why nothing was watched (too long for the limit, no dashboard)."""


def find_chromium(settings: Settings) -> str | None:
    """The Chromium executable: `browser_path` when set, else Debian's /usr/bin/chromium or one on PATH."""
    if settings.browser_path:
        path = Path(settings.browser_path).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = name if name.startswith("/") and os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    return None


def missing(settings: Settings) -> str | None:
    """What is missing for the browser items, with how to install it (one line), or None."""
    if importlib.util.find_spec("playwright") is None:
        return f"the browser items need Playwright, which is not installed: {INSTALL_PLAYWRIGHT}"
    if find_chromium(settings) is None:
        if settings.browser_path:
            return (f"browser_path {one_line(settings.browser_path, 80)} is not an executable file: "
                    f"point it at Chromium, or {INSTALL_CHROMIUM.split(' or ')[0]}")
        return f"Chromium not found ({', '.join(CHROMIUM_NAMES)}): {INSTALL_CHROMIUM}"
    return None


def screenshot_dir(settings: Settings) -> Path:
    """Where screenshots go: `.readiness/screenshots/` in the project."""
    from readiness_tui.store import STATE_DIR

    return settings.project_dir / STATE_DIR / SCREENSHOT_DIR


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return slug or "page"


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".shot-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def classify_console(text: str, location: str, app_url: str) -> str | None:
    """`app` for a console error of the app's own, `outside` for a failed outside resource, None for noise."""
    if STREAMLIT_NOISE.search(text) or STREAMLIT_NOISE.search(location):
        return None
    if location and not _same_origin(location, app_url) and location.startswith(("http:", "https:")):
        return "outside"
    if NET_FAILURE.search(text) and "ERR_NAME_NOT_RESOLVED" in text:
        return "outside"
    return "app"


class BrowserSession:
    """The run's one browser: pages loaded once, shared by every browser check of the run."""

    def __init__(self, settings: Settings, shared: dict[str, Any], *, max_pages: int = 20,
                 deadline: float | None = None) -> None:
        self.settings = settings
        self.shared = shared
        self.deadline = deadline
        """`time.monotonic()` by which the run ends (`--timeout`, `CheckContext.deadline`), or None."""
        self.budget = self.seconds_left(settings.browser_timeout)
        """Seconds for the whole browser part (waits, launch, pages): `browser_timeout`, or what is left of
        the run's `--timeout` when that is less."""
        self.pages_timeout = self.budget
        """What is left of the budget for launch and pages once the waits are over."""
        self.max_pages = max_pages
        self.url = settings.frontend_url
        self.pages_done: asyncio.Future[Survey] = asyncio.get_running_loop().create_future()
        self.watch_done: asyncio.Future[Watch] = asyncio.get_running_loop().create_future()
        self.watch_wanted: tuple[float, float] | None = None
        """(period, margin) of the refresh watch a check asked for; None: close once the pages are done."""
        self.copy_wanted: asyncio.Future[str | None] | None = None
        """The URL of a copy of the dashboard to look at too (10.10), once a check said one is coming."""
        self.copy_done: asyncio.Future[Survey] = asyncio.get_running_loop().create_future()
        self.progress: list[Any] = []
        self._waiting = 0
        self._task: asyncio.Task[None] | None = None
        self._dashboard: Any = None
        self._pages_asked = False
        self._copy_limit = 5.0
        self._redactor: Any = None
        self._dashboard_done = asyncio.Event()
        """Set once the dashboard's first page is looked at (or will not be)."""

    # ---------------------------------------------------------------- waiting, shared and bounded

    def seconds_left(self, wanted: float) -> float:
        """`wanted` seconds, or what is left of the run before its deadline less `DEADLINE_MARGIN` (the checks
        still have to judge and the browser to close), never below 1 s."""
        if self.deadline is None:
            return wanted
        return max(1.0, min(wanted, self.deadline - time.monotonic() - DEADLINE_MARGIN))

    @property
    def watch_limit(self) -> float:
        """How long the refresh watch may last from now: `refresh_watch`, or less near the run's deadline."""
        return self.seconds_left(self.settings.refresh_watch)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def _attend(self, future: asyncio.Future[Any]) -> Any:
        """Wait for one of the session's results; the last waiter to be cancelled cancels the session."""
        self.start()
        self._waiting += 1
        try:
            return await asyncio.shield(future)
        finally:
            self._waiting -= 1
            if self._waiting == 0 and self._task is not None and not self._task.done() and not future.done():
                self._task.cancel()

    async def survey(self) -> Survey:
        """Every page of the app, loaded (at most `browser_timeout` from the session's start)."""
        self._pages_asked = True
        return await self._attend(self.pages_done)

    async def watch(self) -> Watch:
        """The refresh watch asked for with `watch_wanted` (period, margin) before the pages were done."""
        return await self._attend(self.watch_done)

    def expect_copy(self, within: float = 0.0) -> None:
        """Say, before the pages are done, that a copy of the dashboard will be given (`copy_ready`) within
        `within` seconds: the browser stays open for it that long (one browser per run)."""
        if self.copy_wanted is None:
            self.copy_wanted = asyncio.get_running_loop().create_future()
        self._copy_limit = max(self._copy_limit, within + 5.0)
        self.start()

    def copy_ready(self, url: str | None) -> None:
        """The copy's URL, or None when it could not be started (the browser stops waiting for it)."""
        self.expect_copy()
        assert self.copy_wanted is not None
        if not self.copy_wanted.done():
            self.copy_wanted.set_result(url)

    async def copy(self) -> Survey:
        """The pages of the copy given to `copy_ready`, loaded in the run's browser like the dashboard's."""
        return await self._attend(self.copy_done)

    def _note(self, message: str) -> None:
        for report in self.progress:
            with contextlib.suppress(Exception):
                report(None, message)

    # ---------------------------------------------------------------- the session itself

    async def _run(self) -> None:
        survey = Survey(self.url)
        started = time.perf_counter()
        browser = None
        playwright = None
        copying: asyncio.Future[None] | None = None
        try:
            problem = missing(self.settings)
            if problem:
                survey.error, survey.unavailable = problem, True
                return
            # Chromium is heavy on a small host: it starts once the run's HTTP latency samples are taken (they
            # would time its load, not the servers), and holds the latency phase so the load test waits for it.
            waited = time.perf_counter()
            await quiet(self.shared).wait_quiet(limit=min(self.settings.check_timeout / 3, self.budget / 4))
            await quiet(self.shared, "latency").wait_quiet(limit=min(self.settings.check_timeout, self.budget / 4),
                                                           settle=0.3)
            survey.waited_ms = (time.perf_counter() - waited) * 1000
            # Every check that wants the dashboard's pages asked before the waits above ended; a run of 10.10
            # alone only needs the browser for the copy.
            pages = self._pages_asked or self.copy_wanted is None
            problem, unreachable = await self._preflight() if pages else ("", False)
            if problem or not pages:
                survey.error = problem or "the dashboard's pages were not asked for in this run"
                survey.unreachable = unreachable
                self.pages_done.set_result(survey)
                if self.copy_wanted is None or (self.copy_wanted.done() and self.copy_wanted.result() is None):
                    return  # nothing to look at: no Chromium
                pages = False
            started = time.perf_counter()
            self.pages_timeout = max(self.budget - survey.waited_ms / 1000, 1.0)
            try:
                async with quiet(self.shared, "latency").measuring(), asyncio.timeout(self.pages_timeout):
                    playwright, browser = await self._launch(survey)
                    survey.launch_ms = (time.perf_counter() - started) * 1000
                    if self.copy_wanted is not None:
                        copying = asyncio.ensure_future(self._copy(browser, survey))
                    if pages:
                        await self._pages(browser, survey, started)
            except TimeoutError:
                survey.timed_out = True
                if not survey.pages and not survey.error:
                    survey.error = f"the browser did not finish within {self.pages_timeout:.1f} s"
            finally:
                self._dashboard_done.set()
            survey.elapsed_ms = (time.perf_counter() - started) * 1000
            if not self.pages_done.done():
                self.pages_done.set_result(survey)
            # The refresh watch keeps the dashboard's tab open; the copy's pages load meanwhile in their own tabs.
            await asyncio.gather(self._watched(survey), *([copying] if copying is not None else []))
        except BrowserUnavailable as exc:
            survey.error, survey.unavailable = str(exc), True
        finally:
            if copying is not None and not copying.done():
                copying.cancel()
                with contextlib.suppress(BaseException):
                    await copying
            if not self.pages_done.done():
                self.pages_done.set_result(survey)
            if not self.watch_done.done():
                self.watch_done.set_result(Watch(error=survey.error or "the browser session ended"))
            if not self.copy_done.done():
                self.copy_done.set_result(Survey("", error=survey.error or "the browser session ended",
                                                 unavailable=survey.unavailable))
            await self._close(browser, playwright)

    async def _watched(self, survey: Survey) -> None:
        if self.watch_wanted is not None and not self.watch_done.done():
            self.watch_done.set_result(await self._watch(survey))

    async def _copy(self, browser: Any, survey: Survey) -> None:
        """Load the copy's pages (10.10) once its URL comes, within the budget; a browser that never started fails it."""
        if self.copy_wanted is None or self.copy_done.done():
            return
        copy = Survey("")
        try:
            limit = self.seconds_left(self._copy_limit)
            url = await asyncio.wait_for(asyncio.shield(self.copy_wanted), limit)
        except TimeoutError:
            url, copy.error = None, f"no copy of the dashboard came within {limit:g} s"
        if url is None or browser is None:
            copy.error = copy.error or survey.error or "no copy of the dashboard to look at"
            self.copy_done.set_result(copy)
            return
        # The dashboard's first page gives the Performance table its figures: the copy loads once it is done
        # (beside the dashboard's other pages).
        await self._dashboard_done.wait()
        copy.url, copy.browser = url, survey.browser
        started = time.perf_counter()
        self.pages_timeout = self.seconds_left(self.pages_timeout)
        try:
            async with asyncio.timeout(self.pages_timeout):
                await self._pages(browser, copy, started, keep=False, prefix="degraded-")
        except TimeoutError:
            copy.timed_out = True
            if not copy.pages and not copy.error:
                copy.error = f"the browser did not finish within {self.pages_timeout:.1f} s"
        copy.elapsed_ms = (time.perf_counter() - started) * 1000
        self.copy_done.set_result(copy)

    async def _preflight(self) -> tuple[str, bool]:
        """Why the dashboard is not worth a browser's launch (no answer, a redirect loop, not a page), or '';
        and whether that is because the frontend did not answer at all.

        One plain request first: Chromium costs a second of CPU to start, and a frontend that answers
        no one would hold it for the whole budget.
        """
        dead = dead_hosts(self.shared).get(host_key(self.url))
        if dead:
            return f"the frontend did not answer the other checks of this run ({dead}): not opened in the browser", True
        limit = max(1.0, self.budget / 4)
        async with Http(self.settings, read_timeout=min(self.settings.read_timeout, limit),
                        connect_timeout=min(self.settings.connect_timeout, limit), shared=self.shared) as http:
            ex = await http.get(self.url, max_body=2_000_000)
        if not ex.ok:
            return f"the frontend did not answer ({ex.error}): not opened in the browser", True
        kind = (ex.header("content-type") or "").split(";")[0].strip().lower()
        if ex.truncated or (kind and "html" not in kind):
            what = "a body larger than 2 MB" if ex.truncated else kind
            return f"the frontend answered HTTP {ex.status} with {what}, not a page: not opened in the browser", False
        return "", False

    async def _close(self, browser: Any, playwright: Any) -> None:
        """Close Chromium and the Playwright driver, even while being cancelled."""
        async def close() -> None:
            if browser is not None:
                with contextlib.suppress(Exception):
                    await browser.close()
            if playwright is not None:
                with contextlib.suppress(Exception):
                    await playwright.stop()

        task = asyncio.ensure_future(close())
        try:
            await asyncio.wait_for(asyncio.shield(task), 10)
        except (TimeoutError, asyncio.CancelledError):
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
            raise

    async def _launch(self, survey: Survey) -> tuple[Any, Any]:
        """Chromium with a fresh profile (Playwright makes a new temporary user-data-dir and removes it)."""
        from playwright.async_api import Error, async_playwright

        executable = find_chromium(self.settings)
        args = list(CHROMIUM_ARGS)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        if self.settings.browser_offline:
            args.append(OFFLINE_RULES)
        self._note("starting Chromium")
        playwright = await async_playwright().start()
        try:
            browser = await playwright.chromium.launch(executable_path=executable, args=args, headless=True,
                                                       timeout=self.pages_timeout * 1000)
        except Error as exc:
            with contextlib.suppress(Exception):
                await playwright.stop()
            first = one_line(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 160)
            raise BrowserUnavailable(f"Chromium ({executable}) did not start: {first}") from None
        survey.browser = f"Chromium {browser.version}"
        return playwright, browser

    async def _pages(self, browser: Any, survey: Survey, started: float, keep: bool = True,
                     prefix: str = "") -> None:
        """Load `survey.url` and the pages its navigation lists, in parallel tabs of a new context.

        `keep`: keep the first page's tab open (the refresh watch uses it); `prefix`: of the screenshots' names.
        """
        context = await browser.new_context(viewport=VIEWPORT, ignore_https_errors=False,
                                            service_workers="block")
        await context.add_init_script(_STATE_LOG)
        # The pages stop waiting a little before the session's bound, to look at what they show by then.
        timeout = self.pages_timeout
        deadline = started + timeout - min(3.0, 0.2 * timeout)
        what = "the dashboard" if keep else "the copy of the dashboard"
        self._note(f"loading {what}")
        first = await context.new_page()
        main = PageSeen(name="", url=survey.url)
        survey.pages.append(main)  # kept, as far as it got, when browser_timeout cuts the session short
        loading = asyncio.ensure_future(self._load(context, main, deadline, keep=keep, page=first, prefix=prefix))
        # The navigation shows as soon as the app connects, long before its first run ends: the other
        # pages start loading then, in parallel tabs, while the dashboard finishes.
        links = await self._navigation(first, loading, deadline)
        survey.nav_total = len(links) + 1
        links = links[: max(0, self.max_pages - 1)]
        others: list[asyncio.Future[PageSeen]] = []
        if links:
            self._note(f"loading {what} and {len(links)} more page{'s' if len(links) > 1 else ''} in parallel")
            seen = [PageSeen(name=name, url=href) for href, name in links]
            survey.pages.extend(seen)
            others = [asyncio.ensure_future(self._load(context, page, deadline, prefix=prefix)) for page in seen]
        try:
            await loading
            if keep:
                self._dashboard_done.set()
            await asyncio.gather(*others)
        finally:
            for task in others:
                task.cancel()
        if main.error:
            survey.error = main.error

    async def _navigation(self, page: Any, loading: asyncio.Future[PageSeen], deadline: float) -> list[tuple[str, str]]:
        """The other pages the app's navigation lists, as (url, name), once it shows (or the dashboard is done)."""
        from playwright.async_api import Error

        found = asyncio.ensure_future(page.wait_for_function(
            f"() => document.querySelectorAll({_NAV_LINKS!r}).length > 0",
            polling=100, timeout=max(0.5, deadline - time.perf_counter()) * 1000))
        try:
            await asyncio.wait({found, loading}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not found.done():
                found.cancel()
            with contextlib.suppress(BaseException):
                await found
        try:
            current, anchors = await page.evaluate(
                f"() => [location.href, [...document.querySelectorAll({_NAV_LINKS!r})].map((a) => ({{href: a.href, "
                "name: ((a.querySelector('[data-testid=\"stMarkdownContainer\"]') || a).innerText || '').trim()}))]")
        except Error:
            return []
        links: list[tuple[str, str]] = []
        for link in anchors:
            href = link["href"].split("#")[0]
            if href and _same_origin(href, current) and href not in (current, *(lk[0] for lk in links)):
                links.append((href, self._text(link["name"], 120)))
        return links

    async def _load(self, context: Any, seen: PageSeen, deadline: float, keep: bool = False,
                    page: Any = None, prefix: str = "") -> PageSeen:
        """Open one page in a new tab, wait for the app's first run, look at it, screenshot it (fills `seen`)."""
        from playwright.async_api import Error

        url = seen.url
        page = page or await context.new_page()
        console: list[tuple[str, str]] = []
        page.on("console", lambda m: console.append((m.text, (m.location or {}).get("url", ""))) if m.type == "error"
                else None)
        page.on("pageerror", lambda e: console.append((f"uncaught {one_line(str(e), 300)}", url)))
        try:
            left = max(0.5, deadline - time.perf_counter())
            try:
                await page.goto(url, wait_until="domcontentloaded", timeout=left * 1000)
            except Error as exc:
                seen.error = _playwright_error(exc, url)
                return seen
            try:
                # Streamlit's root appears once its script bundle ran, soon after the load event: a page that
                # is Streamlit's shell gets until the deadline (a busy host), any other page 5 s more.
                await page.wait_for_load_state("load", timeout=max(0.5, deadline - time.perf_counter()) * 1000)
                shell = await page.evaluate(_SHELL)
                wait = deadline - time.perf_counter() if shell else min(deadline - time.perf_counter(), 5)
                await page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=max(0.5, wait) * 1000)
                seen.streamlit = True
            except Error:
                seen.streamlit = False
            if seen.streamlit:
                try:
                    await page.wait_for_function(_IDLE, polling=100,
                                                 timeout=max(0.5, deadline - time.perf_counter()) * 1000)
                    seen.finished = True
                except Error:
                    seen.finished = False
            drawn = await self._settle(page, deadline) if seen.finished else None
            await self._inspect(page, seen, console, drawn)
            await self._screenshot(page, seen, prefix)
            if keep:
                self._dashboard = page
            return seen
        except Error as exc:
            seen.error = seen.error or _playwright_error(exc, url)
            return seen
        finally:
            if not keep or seen.error:
                with contextlib.suppress(Exception):
                    await page.close()

    async def _settle(self, page: Any, deadline: float) -> float:
        """Give charts that draw after the run (Vega embeds, maps) a bounded moment to show content.

        Returns when (ms since navigation start) every chart had content, or the last look.
        """
        # As long as the first run took (a busy host draws slowly too), at least SETTLE_S.
        took = await page.evaluate("performance.now()") / 1000
        limit = min(time.perf_counter() + max(SETTLE_S, took), deadline)
        while True:
            charts, placeholders, now = await page.evaluate(
                f"[({_CHARTS})({list(CHART_KINDS)!r}), document.querySelectorAll({_PLACEHOLDERS!r}).length, "
                "performance.now()]")
            if (all(c["content"] for c in charts) and not placeholders) or time.perf_counter() >= limit:
                return float(now)
            await asyncio.sleep(0.2)

    async def _inspect(self, page: Any, seen: PageSeen, console: list[tuple[str, str]], drawn: float | None) -> None:
        data = await page.evaluate(_PAGE.replace("PLACEHOLDERS", repr(_PLACEHOLDERS)))
        charts = await page.evaluate(_CHARTS, list(CHART_KINDS)) if seen.streamlit else []
        text = self._text
        seen.final_url = text(data["url"], 300)
        seen.title = text(data["title"], 200)
        own = next((lk["name"] for lk in data["links"] if lk["href"].split("#")[0] == data["url"] and lk["name"]), "")
        seen.name = seen.name or text(own or data["title"] or urlsplit(data["url"]).path or "/", 120)
        seen.exceptions = [{"message": text(e["message"], 500), "trace_rows": int(e["trace_rows"])}
                           for e in data["exceptions"]]
        seen.alerts = [{"kind": text(a["kind"], 20), "text": text(" ".join(str(a["text"]).split()), 500)}
                       for a in data["alerts"]]
        seen.elements = {text(k, 40): int(v) for k, v in data["counts"].items()}
        seen.placeholders = data["placeholders"]
        seen.fcp_ms = data["fcp"]
        if data["nav"]:
            seen.dom_content_loaded_ms = data["nav"]["dom_content_loaded"] or None
            seen.load_ms = data["nav"]["load"] or None
        states = data["states"]
        seen.script_state = states[-1][0] if states else ""
        running = [t for state, _, t in states if state == "running"]
        seen.run_started_ms = running[0] if running else None
        if seen.finished:
            idle = [(n, t) for n, (state, conn, t) in enumerate(states)
                    if state not in ("initial", "running", "rerunRequested") and conn == "CONNECTED"]
            if idle:
                seen.idle_index, seen.first_idle_ms = idle[0]
            seen.idle_ms = max(idle[0][1] if idle else 0.0, drawn if charts and drawn is not None else 0.0)
        seen.charts = [Chart(kind=c["kind"], index=i, content=c["content"], label=text(c["label"], 120),
                             width=c["width"], height=c["height"]) for i, c in enumerate(charts, 1)]
        for message, location in console:
            kind = classify_console(message, location, seen.final_url or seen.url)
            if kind == "app":
                seen.console_errors.append(text(message, 300))
            elif kind == "outside":
                seen.outside_failures.append(text(f"{message} ({location})" if location else message, 300))
        if any(seen.outside_failures):
            # "Failed to fetch" thrown by a chart that could not load its outside tiles is theirs, not the app's.
            seen.console_errors = [e for e in seen.console_errors if not NET_FAILURE.search(e)]
        seen.links = [{"href": str(lk["href"]), "name": text(lk["name"], 120)} for lk in data["links"]]

    def _text(self, value: object, limit: int) -> str:
        """Text the page shows, for evidence and reports: one line, controls and invisible characters shown as
        escapes (`neutral.one_line`), the target's secrets redacted (an exception may quote a database URL)."""
        if self._redactor is None:
            self._redactor = self.settings.redactor()
        return one_line(self._redactor.text(str(value or "")), limit)

    async def _screenshot(self, page: Any, seen: PageSeen, prefix: str = "") -> None:
        shots = screenshot_dir(self.settings)
        path = shots / f"{prefix}{_slug(seen.name)}.png"
        with contextlib.suppress(Exception):
            data = await page.screenshot(type="png", timeout=5000, animations="disabled")
            await asyncio.to_thread(_write_private, path, data)
            seen.screenshot = str(path.relative_to(self.settings.project_dir))

    # ---------------------------------------------------------------- the refresh watch

    async def _watch(self, survey: Survey) -> Watch:
        assert self.watch_wanted is not None
        interval, margin = self.watch_wanted
        limit = round(self.watch_limit, 1)
        watch = Watch(limit_s=limit)
        page, main = self._dashboard, survey.main
        if page is None or main is None or not main.finished or main.first_idle_ms is None:
            watch.skipped = "the dashboard did not finish its first run, so there is no refresh to watch"
            return watch
        wanted = interval + margin
        if wanted > limit:
            bound = (f"refresh_watch {limit:g} s" if limit >= self.settings.refresh_watch
                     else f"{limit:g} s, what is left of the run's --timeout")
            watch.skipped = (f"one refresh period ({interval:g} s + {margin:g} s margin) is longer than this run "
                             f"watches ({bound})")
            return watch
        elapsed_ms = await page.evaluate("performance.now()")
        # A refresh timer starts when the app has drawn: periods count from the first run's end.
        remaining = wanted - (elapsed_ms - main.first_idle_ms) / 1000
        started = time.perf_counter()
        reloaded = asyncio.get_running_loop().create_future()

        def navigated(frame: Any) -> None:
            if frame == page.main_frame and not reloaded.done():
                reloaded.set_result(time.perf_counter())

        page.on("framenavigated", navigated)
        self._note(f"watching the dashboard for its refresh (up to {max(remaining, 0):.0f} s)")
        count = main.idle_index + 1  # a re-run may have begun while the other pages loaded
        rerun = asyncio.ensure_future(page.wait_for_function(
            """(count) => window.__readinessStates.slice(count).some((s) => s[0] === "running")""",
            arg=count, polling=200, timeout=max(remaining, 0.1) * 1000))
        try:
            done, _ = await asyncio.wait({rerun, reloaded}, timeout=max(remaining, 0.1) + 1,
                                         return_when=asyncio.FIRST_COMPLETED)
            if reloaded in done:
                watch.reloads = 1
                already = (elapsed_ms - main.first_idle_ms) / 1000
                watch.reruns.append(round(already + reloaded.result() - started, 1))
            elif rerun in done and rerun.exception() is None:
                states = await page.evaluate("window.__readinessStates")
                later = [t for state, _, t in states[count:] if state == "running"]
                if later:
                    watch.reruns.append(round((later[0] - main.first_idle_ms) / 1000, 1))
        except Exception as exc:  # noqa: BLE001 - a page that went away is what the watch saw
            watch.error = one_line(str(exc), 160)
        finally:
            for waiter in (rerun,):
                if not waiter.done():
                    waiter.cancel()
                with contextlib.suppress(BaseException):
                    await waiter
            page.remove_listener("framenavigated", navigated)
        watch.watched_s = round(time.perf_counter() - started + (elapsed_ms - main.first_idle_ms) / 1000, 1)
        return watch


def _playwright_error(exc: BaseException, url: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^\w+\.\w+: ", "", text)
    text = re.sub(r"(\d+)\.\d+ms", r"\1 ms", text)
    if "Timeout" in text:
        return f"{url} did not load in time ({one_line(text, 120)})"
    return one_line(text, 200)


def session(shared: dict[str, Any], settings: Settings, max_pages: int = 20,
            deadline: float | None = None) -> BrowserSession:
    """The run's browser session (created on first use; `shared` is the run's memo; `deadline`: the run's,
    `CheckContext.deadline`)."""
    current = shared.get("browser.session")
    if current is None:
        current = shared["browser.session"] = BrowserSession(settings, shared, max_pages=max_pages,
                                                             deadline=deadline)
    return current


#: What a screenshot named in evidence looks like (a run record edited by hand must not open another file).
_SHOT_PATH = re.compile(r"\.readiness/screenshots/[a-z0-9][a-z0-9-]{0,60}\.png")


def screenshot_of(evidence: dict[str, Any]) -> str | None:
    """The screenshot an item's evidence names (10.4's own, else the first page's of 10.9 or 10.10), or None.

    Only a name this module writes (`.readiness/screenshots/<slug>.png`) counts.
    """
    shot = evidence.get("screenshot")
    if isinstance(shot, str) and _SHOT_PATH.fullmatch(shot):
        return shot
    shots = evidence.get("screenshots")
    if isinstance(shots, dict):
        return next((s for s in shots.values() if isinstance(s, str) and _SHOT_PATH.fullmatch(s)), None)
    return None


def viewer_command(path: Path, environ: dict[str, str] | None = None) -> list[str] | None:
    """How to show an image to the person at this terminal: `$BROWSER`, else xdg-open in a graphical session.

    None over SSH or on a console without one: the caller shows the path instead.
    """
    import shlex

    env = os.environ if environ is None else environ
    chosen = (env.get("BROWSER") or "").split(os.pathsep)[0].strip()
    if chosen:
        argv = shlex.split(chosen)
        return [part.replace("%s", str(path)) for part in argv] if "%s" in chosen else [*argv, str(path)]
    if (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")) and shutil.which("xdg-open"):
        return ["xdg-open", str(path)]
    return None
