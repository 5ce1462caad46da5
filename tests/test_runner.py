"""The runner: concurrency, timeouts, errors, shared checks, cancellation, progress; the check registry."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from readiness_tui.checkapi import check, get_check, isolated_registry
from readiness_tui.checklist import parse_checklist
from readiness_tui.model import CheckResult, Status, passed
from readiness_tui.runner import ItemFinished, ItemProgress, ItemStarted, Runner
from readiness_tui.settings import load_settings

pytestmark = pytest.mark.fast

CALLS: dict[str, int] = {}
RELEASE = threading.Event()


async def _slow(ctx):
    await asyncio.sleep(30)
    return passed("never")


def _blocking(ctx):
    RELEASE.wait(30)
    return passed("late")


def _boom(ctx):
    raise ValueError("bad input in line 3\nsecond line")


async def _counted(ctx):
    CALLS["n"] = CALLS.get("n", 0) + 1
    ctx.progress(0.5, "half way")
    await asyncio.sleep(0.05)
    return passed("counted")


def _wrong(ctx):
    return "pass"


def _checklist(items: str):
    return parse_checklist(
        ('schema = 1\nname = "T"\nversion = "1"\n[[bands]]\nid = "ready"\nmin = 90\n[[bands]]\nid = "no"\nmin = 0\n'
         '[signoff]\nroles = ["Lead"]\n[[sections]]\nid = 1\ntitle = "S"\n' + items).encode(), "t.toml")


def _item(n: int, checks: str, kind: str = "auto") -> str:
    return f'[[sections.items]]\nid = "1.{n}"\ntext = "item {n}"\nkind = "{kind}"\nchecks = [{checks}]\n'


TEST_CHECKS = {
    "test.slow_async": (_slow, "sleeps past its timeout"),
    "test.blocking": (_blocking, "blocks a thread past its timeout"),
    "test.boom": (_boom, "raises"),
    "test.counted": (_counted, "counts its calls and reports progress"),
    "test.wrong_type": (_wrong, "returns a wrong type"),
}


@pytest.fixture(autouse=True)
def _registry():
    """The test checks live in an isolated registry: the global one never sees them."""
    with isolated_registry() as registry:
        for name, (func, description) in TEST_CHECKS.items():
            check(name, description, live=True)(func)
        yield registry
    RELEASE.set()


def _reads_repo(ctx):
    time.sleep(0.6)
    return passed("read the repository")


async def _probes(ctx):
    await asyncio.sleep(0.6)
    return passed("probed")


async def test_repository_checks_have_their_own_bound_apart_from_the_network_timeout(tmp_path):
    check("test.reads_repo", "reads files for a while")(_reads_repo)
    check("test.probes", "waits on the network", live=True)(_probes)
    checklist = _checklist(_item(1, '"test.reads_repo"') + _item(2, '"test.probes"'))
    settings = load_settings(tmp_path)
    settings.check_timeout = 0.2
    runner = Runner(checklist, settings)
    assert runner.timeout_for(get_check("test.reads_repo"), checklist.items[0]) == settings.repo_timeout == 60
    assert runner.timeout_for(get_check("test.probes"), checklist.items[1]) == 0.2
    results = await runner.run(checklist.items)
    assert results["1.1"].status == Status.PASS, results["1.1"].summary
    assert results["1.2"].status == Status.ERROR and "timed out after 0.2 s" in results["1.2"].summary
    settings.repo_timeout = 0.3
    again = await Runner(checklist, settings).run(checklist.items[:1])
    assert again["1.1"].status == Status.ERROR and "timed out after 0.3 s" in again["1.1"].summary


async def test_timeouts_and_errors(tmp_path):
    RELEASE.clear()
    checklist = _checklist(
        _item(1, '"test.slow_async"') + _item(2, '"test.blocking"') + _item(3, '"test.boom"')
        + _item(4, '"test.counted"', "manual") + _item(5, '"test.wrong_type"') + _item(6, "", "manual")
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
    assert results["1.4"].status == Status.PENDING  # a manual item's passing evidence still waits for a person
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


async def test_a_slow_start_counts_against_the_runs_timeout(tmp_path):
    """`check --timeout T` promises the command's end by about T + 2 s: start-up beyond the grace (imports on a
    loaded machine) shortens what the checks get; a quick start leaves them all of T."""
    from readiness_tui.checkapi import RunOptions
    from readiness_tui.runner import STARTUP_GRACE

    checklist = _checklist(_item(1, '"test.slow_async"'))
    settings = load_settings(tmp_path)
    for startup, budget in ((0.0, 3.0), (STARTUP_GRACE + 1.0, 2.0), (10.0, 0.0)):
        options = RunOptions(timeout=3.0, started=time.monotonic() - startup)
        runner = Runner(checklist, settings, options)
        began = time.monotonic()
        results = await runner.run(checklist.items)
        elapsed = time.monotonic() - began
        assert runner.deadline is not None and max(0.0, runner.deadline - began) == pytest.approx(budget, abs=0.3)
        assert budget - 0.3 <= elapsed <= budget + 5, elapsed  # the checks got their time, and not much more
        assert results["1.1"].status == Status.ERROR and "the run's --timeout 3 s ran out" in results["1.1"].summary


def test_worst_status_wins_when_an_item_has_several_checks():
    from readiness_tui.model import combine

    item = combine([CheckResult(Status.PASS, "a"), CheckResult(Status.WARN, "b"), CheckResult(Status.NOT_APPLICABLE, "c")])
    assert item.status == Status.WARN and item.summary == "b"
    item = combine([CheckResult(Status.FAIL, "x"), CheckResult(Status.ERROR, "y")])
    assert item.status == Status.FAIL and item.summary == "x; y"
    assert combine([CheckResult(Status.NOT_APPLICABLE, "n")]).status == Status.NOT_APPLICABLE


def test_test_checks_never_reach_the_global_registry():
    assert get_check("test.boom") is not None  # inside this test's isolated registry
    with isolated_registry():
        pass
    import subprocess
    import sys

    code = "from readiness_tui.checkapi import registry; r = registry(); print(len(r), 'test.boom' in r)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) >= 70 and out[1] == "False"


def test_unknown_checks_and_parameters_are_load_errors_with_their_line():
    from readiness_tui.errors import UsageError

    with pytest.raises(UsageError, match=r"^t\.toml:19: item 1\.1: unknown check 'no\.such_check'"):
        _checklist(_item(1, '"no.such_check"'))
    with pytest.raises(UsageError, match=r"^t\.toml:21: item 1\.1: unknown parameter 'min_secondz'"):
        _checklist(_item(1, '"config.auto_refresh"') + "[sections.items.params]\nmin_secondz = 30\n")
    with pytest.raises(UsageError, match=r"^t\.toml:21: item 1\.1: parameter 'min_seconds' must be a number, not a string"):
        _checklist(_item(1, '"config.auto_refresh"') + '[sections.items.params]\nmin_seconds = "30"\n')
    with pytest.raises(UsageError, match=r"list of strings, not a list of other values"):
        _checklist(_item(1, '"docs.phases"') + "[sections.items.params]\nphases = [1, 2]\n")
    ok = _checklist(_item(1, '"config.auto_refresh"') + "[sections.items.params]\nmin_seconds = 45\ntimeout = 2\n")
    assert ok.item("1.1").params == {"min_seconds": 45, "timeout": 2}


async def test_a_check_reading_an_undeclared_parameter_is_an_error(tmp_path):
    @check("test.sloppy", "reads a parameter it did not declare")
    def sloppy(ctx):
        return passed(str(ctx.param("nope", 1)))

    checklist = _checklist(_item(1, '"test.sloppy"'))
    results = await Runner(checklist, load_settings(tmp_path)).run(checklist.items)
    assert results["1.1"].status == Status.ERROR and "without declaring it" in results["1.1"].summary
