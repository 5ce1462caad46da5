"""The check interface and registry."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from readiness_tui.model import CheckResult

if TYPE_CHECKING:
    from readiness_tui.checklist import Checklist, Item
    from readiness_tui.settings import Settings

ProgressFn = Callable[[float | None, str], None]


@dataclass
class RunOptions:
    """Choices a person makes for a whole run."""

    run_project_commands: bool = False
    """The project's own commands (tests, validation script) run only when this is true."""
    timeout: float | None = None
    """Per-check timeout override (seconds); default: `Settings.check_timeout`."""


@dataclass
class CheckContext:
    """What a check gets: the target's settings, the item's parameters and a per-run memo."""

    settings: Settings
    params: Mapping[str, Any]
    item: Item
    checklist: Checklist
    options: RunOptions = field(default_factory=RunOptions)
    shared: dict[str, Any] = field(default_factory=dict)
    """Per-run memo shared by all checks (e.g. one secret scan for 1.6 and 3.4)."""
    progress: ProgressFn = field(default=lambda fraction, message: None)
    """Report progress (fraction 0..1 or None, short message); the wizard shows it."""

    def param(self, name: str, default: Any = None) -> Any:
        """A parameter from the checklist item (`[sections.items.params]`), else `default`."""
        return self.params.get(name, default)


CheckFn = Callable[[CheckContext], CheckResult | Awaitable[CheckResult]]


@dataclass(frozen=True)
class CheckSpec:
    """A registered check."""

    name: str
    description: str
    func: CheckFn
    is_async: bool
    timeout: float | None = None
    """Own timeout (seconds) for checks that legitimately take longer (a load test, a test suite)."""


CHECKS: dict[str, CheckSpec] = {}


def check(name: str, description: str, *, timeout: float | None = None) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under `name`; `description` says what it checks, in one line."""

    def register(func: CheckFn) -> CheckFn:
        if name in CHECKS and CHECKS[name].func is not func:
            raise ValueError(f"check {name!r} registered twice")
        CHECKS[name] = CheckSpec(name, description, func, inspect.iscoroutinefunction(func), timeout)
        return func

    return register


_loaded = False


def load_all() -> dict[str, CheckSpec]:
    """Import every module of the `checks` package once, so their checks register."""
    global _loaded
    if not _loaded:
        import checks

        for module in pkgutil.iter_modules(checks.__path__):
            if not module.name.startswith("_") and module.name != "base":
                importlib.import_module(f"checks.{module.name}")
        _loaded = True
    return CHECKS


def get_check(name: str) -> CheckSpec | None:
    """The registered check of this name, or None."""
    load_all()
    return CHECKS.get(name)
