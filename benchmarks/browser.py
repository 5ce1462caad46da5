"""The browser items against a bare Playwright load-and-screenshot of the same page, in the same run.

    python benchmarks/browser.py [--runs N]

Starts the demo's real two-page Streamlit app with charts on loopback, pointed at the demo's sample
backend, and its second copy pointed at a backend path that answers 503 (item 10.10), then
alternates, N times each:
- the references: launch Chromium, open the dashboard (second reference: both its pages in parallel
  tabs; third: those and the copy's two pages), wait for Streamlit's first run to end
  (`data-test-script-state="notRunning"`), take a screenshot, close — the least any browser check
  does (it does not wait for charts to draw);
- ours: the browser checks of items 10.4, 10.9 and 3.8, concurrently as the runner runs them (one
  browser for all three, every page of the app in parallel tabs, charts inspected, screenshots
  written); then the same with 10.10's check, which also looks at the copy's pages.
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
from readiness_tui.demo.services import UNAVAILABLE, DemoServices  # noqa: E402
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


CHECKS = (("browser.dashboard", "10.4"), ("browser.charts", "10.9"), ("browser.error_details", "3.8"))


async def ours(project: Path, degradation: bool = False) -> tuple[float, dict[str, str]]:
    """The browser checks as the runner runs them: concurrently, sharing the run's one browser."""
    settings = load_settings(project, environ={})
    checklist = load_checklist()
    shared: dict[str, object] = {}
    contexts = []
    for name, item_id in CHECKS + ((("browser.degradation", "10.10"),) if degradation else ()):
        spec = get_check(name)
        assert spec is not None
        item = checklist.item(item_id)
        contexts.append(CheckContext(settings=settings, params=item.params, item=item, checklist=checklist,
                                     shared=shared, spec=spec))
    started = time.perf_counter()
    results = await asyncio.gather(*(ctx.spec.func(ctx) for ctx in contexts if ctx.spec))  # type: ignore[misc]
    took = time.perf_counter() - started
    return took, {ctx.item.id: r.status.value for ctx, r in zip(contexts, results, strict=True)}


async def measure(project: Path, url: str, copy_url: str, runs: int) -> None:
    settings = load_settings(project, environ={})
    pages = [url, url + "/pipeline"]
    every = [*pages, copy_url, copy_url + "/pipeline"]
    one_page: list[float] = []
    same_pages: list[float] = []
    all_pages: list[float] = []
    measured: list[float] = []
    measured_all: list[float] = []
    statuses: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        await bare(every, Path(tmp), settings)  # Streamlit's first sessions import pandas: not timed
        for _ in range(runs):
            one_page.append(await bare(pages[:1], Path(tmp), settings))
            same_pages.append(await bare(pages, Path(tmp), settings))
            took, statuses = await ours(project)
            measured.append(took)
            all_pages.append(await bare(every, Path(tmp), settings))
            took, statuses = await ours(project, degradation=True)
            measured_all.append(took)
    ref1, ref2, our = statistics.median(one_page), statistics.median(same_pages), statistics.median(measured)
    ref4, our4 = statistics.median(all_pages), statistics.median(measured_all)
    print(f"bare Playwright: the dashboard page, load + first run + screenshot   {ref1:6.2f} s  (median of {runs})")
    print(f"bare Playwright: both pages in parallel tabs, the same way            {ref2:6.2f} s  (median of {runs})")
    print(f"ours: browser checks of 10.4, 10.9, 3.8 (both pages, charts drawn)    {our:6.2f} s  (median of {runs})")
    print(f"bare Playwright: both pages and the copy's two, in parallel tabs      {ref4:6.2f} s  (median of {runs})")
    print(f"ours: the same checks and 10.10's (the copy's pages too)              {our4:6.2f} s  (median of {runs}; "
          f"{statuses})")
    print(f"ratio ours / bare, same pages: {our / ref2:.2f}x (target <= 1.5x); ours / one page: {our / ref1:.2f}x; "
          f"with 10.10, same pages: {our4 / ref4:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp, DemoServices() as services:
        project = Path(tmp)
        app = StreamlitApp(project, free_port(), services.backend_url)
        copy = StreamlitApp(project, free_port(), services.backend_url + UNAVAILABLE)
        write_project(project, services.backend_url, app.url, copy.url)
        try:
            app.launch()
            copy.launch()
            app.wait_ready()
            copy.wait_ready()
            asyncio.run(measure(project, app.url, copy.url, runs))
        finally:
            app.stop()
            copy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
