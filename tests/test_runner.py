"""The runner: concurrency, timeouts, errors, missing checks, shared checks, cancellation, progress."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from checks.base import check
from readiness_tui.checklist import parse_checklist
from readiness_tui.model import CheckResult, Status, passed
from readiness_tui.runner import ItemFinished, ItemProgress, ItemStarted, Runner
from readiness_tui.settings import load_settings

CALLS: dict[str, int] = {}
RELEASE = threading.Event()


@check("test.slow_async", "sleeps past its timeout")
async def _slow(ctx):
    await asyncio.sleep(30)
    return passed("never")


@check("test.blocking", "blocks a thread past its timeout")
def _blocking(ctx):
    RELEASE.wait(30)
    return passed("late")


@check("test.boom", "raises")
def _boom(ctx):
    raise ValueError("bad input in line 3\nsecond line")


@check("test.counted", "counts its calls and reports progress")
async def _counted(ctx):
    CALLS["n"] = CALLS.get("n", 0) + 1
    ctx.progress(0.5, "half way")
    await asyncio.sleep(0.05)
    return passed("counted")


@check("test.wrong_type", "returns a wrong type")
def _wrong(ctx):
    return "pass"


def _checklist(items: str):
    return parse_checklist(
        ('schema = 1\nname = "T"\nversion = "1"\n[[bands]]\nid = "ready"\nmin = 90\n[[bands]]\nid = "no"\nmin = 0\n'
         '[signoff]\nroles = ["Lead"]\n[[sections]]\nid = 1\ntitle = "S"\n' + items).encode(), "t.toml")


def _item(n: int, checks: str, kind: str = "auto") -> str:
    return f'[[sections.items]]\nid = "1.{n}"\ntext = "item {n}"\nkind = "{kind}"\nchecks = [{checks}]\n'


@pytest.fixture(autouse=True)
def _cleanup():
    yield
    RELEASE.set()


async def test_timeouts_errors_and_missing_checks(tmp_path):
    RELEASE.clear()
    checklist = _checklist(
        _item(1, '"test.slow_async"') + _item(2, '"test.blocking"') + _item(3, '"test.boom"')
        + _item(4, '"no.such_check"') + _item(5, '"test.wrong_type"') + _item(6, "", "manual")
    )
    settings = load_settings(tmp_path)
    settings.check_timeout = 0.5
    started = time.monotonic()
    results = await Runner(checklist, settings).run(checklist.items)
    elapsed = time.monotonic() - started
    RELEASE.set()
    assert elapsed < 3, elapsed  # concurrent: two 0.5 s timeouts do not add up to more
    assert results["1.1"].status == Status.ERROR and "timed out after 0.5 s" in results["1.1"].summary
    assert results["1.2"].status == Status.ERROR and "timed out" in results["1.2"].summary
    assert results["1.3"].status == Status.ERROR
    assert results["1.3"].summary == "test.boom: ValueError: bad input in line 3"
    assert results["1.4"].status == Status.PENDING and results["1.4"].summary == "no automated check yet"
    assert results["1.5"].status == Status.ERROR and "not CheckResult" in results["1.5"].summary
    assert results["1.6"].status == Status.PENDING and "waits for a person" in results["1.6"].summary


async def test_shared_check_runs_once_and_reports_progress(tmp_path):
    CALLS.clear()
    checklist = _checklist(_item(1, '"test.counted"') + _item(2, '"test.counted"'))
    events = []
    results = await Runner(checklist, load_settings(tmp_path), on_event=events.append).run(checklist.items)
    assert CALLS["n"] == 1
    assert all(r.status == Status.PASS for r in results.values())
    kinds = [type(e) for e in events]
    assert kinds.count(ItemStarted) == 2 and kinds.count(ItemFinished) == 2
    assert any(isinstance(e, ItemProgress) and e.message == "half way" for e in events)


async def test_cancellation_stops_every_check(tmp_path):
    checklist = _checklist(_item(1, '"test.slow_async"') + _item(2, '"test.slow_async"'))
    settings = load_settings(tmp_path)
    settings.check_timeout = 60
    task = asyncio.ensure_future(Runner(checklist, settings).run(checklist.items))
    await asyncio.sleep(0.1)
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 2


def test_worst_status_wins_when_an_item_has_several_checks():
    from readiness_tui.model import combine

    item = combine([CheckResult(Status.PASS, "a"), CheckResult(Status.WARN, "b"), CheckResult(Status.NOT_APPLICABLE, "c")])
    assert item.status == Status.WARN and item.summary == "b"
    item = combine([CheckResult(Status.FAIL, "x"), CheckResult(Status.ERROR, "y")])
    assert item.status == Status.FAIL and item.summary == "x; y"
    assert combine([CheckResult(Status.NOT_APPLICABLE, "n")]).status == Status.NOT_APPLICABLE
