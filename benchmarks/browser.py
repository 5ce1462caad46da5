"""The browser items against a bare Playwright load-and-screenshot of the same page, in the same run.

    python benchmarks/browser.py [--runs N]

Starts a real two-page Streamlit app with charts on loopback (the demo's, pointed at the demo's
sample backend), then alternates, N times each:
- the references: launch Chromium, open the dashboard (and, second reference, both pages in parallel
  tabs), wait for Streamlit's first run to end (`data-test-script-state="notRunning"`), take a
  screenshot, close — the least any browser check does (it does not wait for charts to draw);
- ours: the browser checks of items 10.4, 10.9 and 3.8, concurrently as the runner runs them (one
  browser for all three, every page of the app in parallel tabs, charts inspected, screenshots written).
Prints the medians and the ratios (target ≤ 1.5× against the same pages). Everything stays on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from readiness_tui import browser  # noqa: E402
from readiness_tui.checkapi import CheckContext, get_check  # noqa: E402
from readiness_tui.checklist import load_checklist  # noqa: E402
from readiness_tui.demo.project import write_project  # noqa: E402
from readiness_tui.demo.services import DemoServices  # noqa: E402
from readiness_tui.demo.streamlit_app import StreamlitApp, free_port  # noqa: E402
from readiness_tui.settings import load_settings  # noqa: E402


async def bare(urls: list[str], shots: Path, settings: object) -> float:
    """Launch, load each page in its own tab at once, wait for its first run, screenshot, close: the reference."""
    from playwright.async_api import async_playwright

    started = time.perf_counter()
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=browser.find_chromium(settings),  # type: ignore[arg-type]
                                           args=[*browser.CHROMIUM_ARGS, browser.OFFLINE_RULES, "--no-sandbox"])
        context = await chromium.new_context(viewport=browser.VIEWPORT)

        async def one(n: int, url: str) -> None:
            page = await context.new_page()
            await page.goto(url)
            await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
            await page.screenshot(path=str(shots / f"bare-{n}.png"))

        await asyncio.gather(*(one(n, url) for n, url in enumerate(urls)))
        await chromium.close()
    return time.perf_counter() - started


async def ours(project: Path) -> tuple[float, dict[str, str]]:
    """The three browser checks as the runner runs them: concurrently, sharing the run's one browser."""
    settings = load_settings(project, environ={})
    checklist = load_checklist()
    shared: dict[str, object] = {}
    contexts = []
    for name, item_id in (("browser.dashboard", "10.4"), ("browser.charts", "10.9"), ("browser.error_details", "3.8")):
        spec = get_check(name)
        assert spec is not None
        item = checklist.item(item_id)
        contexts.append(CheckContext(settings=settings, params=item.params, item=item, checklist=checklist,
                                     shared=shared, spec=spec))
    started = time.perf_counter()
    results = await asyncio.gather(*(ctx.spec.func(ctx) for ctx in contexts if ctx.spec))  # type: ignore[misc]
    took = time.perf_counter() - started
    return took, {ctx.item.id: r.status.value for ctx, r in zip(contexts, results, strict=True)}


async def measure(project: Path, url: str, runs: int) -> None:
    settings = load_settings(project, environ={})
    pages = [url, url + "/pipeline"]
    one_page: list[float] = []
    same_pages: list[float] = []
    measured: list[float] = []
    statuses: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        await bare(pages, Path(tmp), settings)  # Streamlit's first sessions import pandas: not timed
        for _ in range(runs):
            one_page.append(await bare(pages[:1], Path(tmp), settings))
            same_pages.append(await bare(pages, Path(tmp), settings))
            took, statuses = await ours(project)
            measured.append(took)
    ref1, ref2, our = statistics.median(one_page), statistics.median(same_pages), statistics.median(measured)
    print(f"bare Playwright: the dashboard page, load + first run + screenshot   {ref1:6.2f} s  (median of {runs})")
    print(f"bare Playwright: both pages in parallel tabs, the same way            {ref2:6.2f} s  (median of {runs})")
    print(f"ours: browser checks of 10.4, 10.9, 3.8 (both pages, charts drawn)    {our:6.2f} s  (median of {runs}; "
          f"{statuses})")
    print(f"ratio ours / bare, same pages: {our / ref2:.2f}x (target <= 1.5x); ours / one page: {our / ref1:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp, DemoServices() as services:
        project = Path(tmp)
        port = free_port()
        app = StreamlitApp(project, port, services.backend_url)
        write_project(project, services.backend_url, app.url)
        app.start()
        try:
            asyncio.run(measure(project, app.url, runs))
        finally:
            app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
