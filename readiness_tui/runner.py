"""The asyncio runner: every check of the selected items at once, each under its own timeout.

An exception or a timeout becomes `error` with a one-line reason (the checklist loader has already
refused unknown check names; one that disappeared since is an `error` too, never `pass`). Identical checks (same name and parameters)
shared by several items run once (the load test serves 4.7 and 8.5). Progress is reported through
a callback the wizard subscribes to. Cancelling the coroutine cancels every check.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from readiness_tui.checkapi import CheckContext, CheckSpec, RunOptions, get_check, load_checks
from readiness_tui.checklist import Checklist, Item
from readiness_tui.model import MANUAL, CheckResult, ItemResult, Status, combine, now_iso, one_line
from readiness_tui.settings import Settings

#: Seconds of a command's start-up that do not shorten `--timeout T` for the checks. A command that took longer
#: to start gives its checks less, so it still ends by about T + 2 s (the rest writes the record and the report).
STARTUP_GRACE = 1.0


@dataclass
class ItemStarted:
    """An item's checks started."""

    item_id: str
    started: float


@dataclass
class ItemProgress:
    """A running check reported progress."""

    item_id: str
    fraction: float | None
    message: str


@dataclass
class ItemFinished:
    """An item's checks all finished."""

    item_id: str
    result: ItemResult


RunEvent = ItemStarted | ItemProgress | ItemFinished
EventFn = Callable[[RunEvent], None]


def _in_daemon_thread(fn: Callable[[], CheckResult]) -> asyncio.Future[CheckResult]:
    """Run a blocking check in a daemon thread, so a hung one never blocks the process's exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[CheckResult] = loop.create_future()

    def target() -> None:
        def settle(result: Any, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        value: Any = None
        error: BaseException | None = None
        try:
            value = fn()
        except BaseException as exc:  # noqa: BLE001 - reported as the check's error
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop closed: the run was over (timed out)
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=target, name="readiness-check", daemon=True).start()
    return future


class Runner:
    """Runs checklist items against one target."""

    def __init__(
        self,
        checklist: Checklist,
        settings: Settings,
        options: RunOptions | None = None,
        on_event: EventFn | None = None,
        deploy_steps: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.checklist = checklist
        self.settings = settings
        self.options = options or RunOptions()
        self.on_event = on_event or (lambda event: None)
        self.deploy_steps = tuple(deploy_steps)
        self.shared: dict[str, Any] = {}
        self._memo: dict[str, asyncio.Task[CheckResult]] = {}
        self.deadline: float | None = None
        """`time.monotonic()` by which the run ends (set by `run` from `RunOptions.timeout`)."""
        load_checks()

    def timeout_for(self, spec: CheckSpec, item: Item) -> float:
        """The timeout of one check of one item, never past the run's deadline (`--timeout` bounds the run).

        Without `--timeout`, a live check gets `check_timeout` and a check that only reads the repository gets
        `repo_timeout` (a 1,300-file repository must not time out at a 5 s network budget).
        """
        if "timeout" in item.params:
            own = float(item.params["timeout"])
        else:
            network = float(self.options.timeout or self.settings.check_timeout)
            own = network if spec.live else max(network, float(self.settings.repo_timeout))
            if spec.timeout is not None:
                own = max(spec.timeout, own)
        if self.deadline is not None:
            own = min(own, max(0.0, self.deadline - time.monotonic()))
        return own

    async def prepare(self, items: Iterable[Item] = ()) -> None:
        """Before any check starts: build the run's project map (files only, bounded), so the checks that
        read it never race the live probes or each other; and, when live checks will run, import the HTTP
        client in a worker thread, so its first use cannot stall the event loop (and every live check's
        clock) for the seconds an import takes on a busy machine."""
        from readiness_tui.projectmap import shared_map

        jobs: list[Awaitable[object]] = [asyncio.to_thread(shared_map, self.settings, self.shared)]
        specs = [get_check(name) for item in items for name in item.checks]
        if any(spec is not None and spec.live for spec in specs):
            jobs.append(asyncio.to_thread(importlib.import_module, "httpx"))
        try:
            bound = float(self.settings.repo_timeout)
            if self.deadline is not None:
                bound = min(bound, max(0.0, self.deadline - time.monotonic()))
            await asyncio.wait_for(asyncio.gather(*jobs), bound)
        except Exception:  # noqa: BLE001 - the checks that need the map build (or report) it themselves
            pass

    async def run(self, items: Iterable[Item]) -> dict[str, ItemResult]:
        """Run the items concurrently; results by item id, in the order given.

        With `RunOptions.timeout` the whole run ends within it: every check is cut at the deadline.
        """
        items = list(items)
        if self.options.timeout is not None:
            self.deadline = time.monotonic() + self.options.timeout
            if self.options.started is not None:  # `--timeout T` promises the command's end by T + 2 s
                self.deadline = min(self.deadline, self.options.started + self.options.timeout + STARTUP_GRACE)
        await self.prepare(items)
        tasks = [asyncio.ensure_future(self.run_item(item)) for item in items]
        try:
            results = await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            for memo in self._memo.values():
                memo.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return {item.id: result for item, result in zip(items, results, strict=True)}

    def applicability(self, item: Item) -> ItemResult | None:
        """`not_applicable` with the project map's evidence when none of what the item is about
        (`Item.applies_to`) is used by the repository or configured for the target; else None."""
        from readiness_tui.endpoints import configured, shared_endpoints
        from readiness_tui.projectmap import ProjectMap

        pm = self.shared.get("project_map")
        if not item.applies_to or not isinstance(pm, ProjectMap):
            return None
        endpoints = shared_endpoints(self.settings, self.shared, pm)
        for subject in item.applies_to:
            used = pm.streamlit_used() if subject == "streamlit" else pm.used(subject)
            if used or configured(self.settings, subject, endpoints):
                return None
        absent = [pm.absence(subject) if subject != "streamlit" else
                  "no Streamlit app, .streamlit/ folder or `streamlit run` command in the repository"
                  for subject in item.applies_to]
        summary = "not used by this project: " + "; ".join(absent)
        return ItemResult(Status.NOT_APPLICABLE, summary, {"absent": absent},
                          facts={"used": False, "applies_to": list(item.applies_to)})

    async def run_item(self, item: Item) -> ItemResult:
        """Run all checks of one item and combine their results (not applicable first, from the map)."""
        started = time.monotonic()
        self.on_event(ItemStarted(item.id, started))
        unused = self.applicability(item)
        if unused is not None:
            result = unused
        elif not item.checks:
            result = ItemResult(Status.PENDING, MANUAL)
        else:
            specs = [(name, get_check(name)) for name in item.checks]
            missing = [name for name, spec in specs if spec is None]
            if missing:
                result = ItemResult(Status.ERROR, f"check {missing[0]!r} is not registered",
                                    {"checks_missing": missing})
            else:
                outcomes = await asyncio.gather(*(self._run_shared(spec, item) for _, spec in specs if spec))
                result = combine(list(outcomes))
                if item.kind == "manual" and result.status == Status.PASS:
                    result.status = Status.PENDING
        result.finished_at = now_iso()
        if not result.duration_ms:
            result.duration_ms = int((time.monotonic() - started) * 1000)
        self.on_event(ItemFinished(item.id, result))
        return result

    def _run_shared(self, spec: CheckSpec, item: Item) -> asyncio.Task[CheckResult]:
        key = spec.name + json.dumps(item.params, sort_keys=True, default=str)
        task = self._memo.get(key)
        if task is None or task.cancelled():
            task = asyncio.ensure_future(self._run_one(spec, item))
            self._memo[key] = task
        return task

    async def _run_one(self, spec: CheckSpec, item: Item) -> CheckResult:
        loop = asyncio.get_running_loop()

        def progress(fraction: float | None, message: str) -> None:
            event = ItemProgress(item.id, fraction, one_line(message, 120))
            if threading.current_thread() is threading.main_thread():
                self.on_event(event)
            else:
                loop.call_soon_threadsafe(self.on_event, event)

        ctx = CheckContext(
            settings=self.settings,
            params=item.params,
            item=item,
            checklist=self.checklist,
            options=self.options,
            shared=self.shared,
            progress=progress,
            spec=spec,
            deploy_steps=self.deploy_steps,
            deadline=self.deadline,
        )
        timeout = self.timeout_for(spec, item)
        started = time.monotonic()
        try:
            if spec.is_async:
                awaitable = spec.func(ctx)
            else:
                awaitable = _in_daemon_thread(lambda: spec.func(ctx))  # type: ignore[arg-type,return-value]
            result = await asyncio.wait_for(awaitable, timeout)  # type: ignore[arg-type]
            if not isinstance(result, CheckResult):
                raise TypeError(f"check {spec.name} returned {type(result).__name__}, not CheckResult")
        except TimeoutError:
            cut = self.deadline is not None and time.monotonic() >= self.deadline - 0.05
            why = f"the run's --timeout {self.options.timeout:g} s ran out" if cut else f"timed out after {timeout:g} s"
            result = CheckResult(Status.ERROR, f"{spec.name}: {why}", {"timeout_s": round(timeout, 3)})
            if spec.live:
                result.skipped("timed out")  # a probe that got no answer decided nothing
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a check's failure is its result, never a crash
            reason = one_line(str(exc)) or "no message"
            result = CheckResult(Status.ERROR, f"{spec.name}: {type(exc).__name__}: {reason}")
        result.check = spec.name
        result.duration_ms = int((time.monotonic() - started) * 1000)
        return result

