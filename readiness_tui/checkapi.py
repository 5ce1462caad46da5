"""The check API: what a check receives, how it registers, how it declares its parameters.

This module is the core's public surface for checks. The built-in checks (`readiness_tui.checks`)
use it exactly as a team's own checks would: a check is one function registered with
`@check("area.name", "what it checks", params={...})`; it receives a `CheckContext` and returns a
`CheckResult` (see `readiness_tui.model`). A plain function runs in a worker thread, an
`async def` on the event loop.

Checks are found through the entry-point group `readiness_tui.checks`: each entry names a module
whose import registers its checks. The built-in modules are entries of this distribution; a team
ships its own as a Python package with an entry in the same group (docs/checks-plugins.md).

Parameters are typed: a check declares each parameter it reads (`Param`), the checklist loader
refuses an item parameter that none of the item's checks declares or whose type is wrong
(`FILE:LINE: what is wrong`), and `CheckContext.param` refuses an undeclared name.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any

from readiness_tui.model import CheckResult

if TYPE_CHECKING:
    from readiness_tui.checklist import Checklist, Item
    from readiness_tui.endpoints import Endpoint
    from readiness_tui.projectmap import ProjectMap
    from readiness_tui.settings import Settings

#: The entry-point group checks are registered under.
ENTRY_POINT_GROUP = "readiness_tui.checks"

ProgressFn = Callable[[float | None, str], None]


@dataclass(frozen=True)
class Param:
    """A parameter a check reads from its checklist item (`[sections.items.params]`).

    `type` is `int`, `float` (an integer is accepted), `str`, `bool`, or `list[...]` of those
    (nested lists too, e.g. `list[list[str]]` for argument vectors). `default` None means the check
    decides (usually from the target's settings); `doc` says what the parameter does, for the
    generated checks reference.
    """

    type: Any
    doc: str
    default: Any = None


#: Parameters every check accepts: the runner reads them, not the check.
COMMON_PARAMS: dict[str, Param] = {
    "timeout": Param(float, "this item's per-check timeout in seconds (overrides the run's)"),
}


@dataclass
class RunOptions:
    """Choices a person makes for a whole run."""

    run_project_commands: bool = False
    """The project's own commands (tests, validation script) run only when this is true."""
    timeout: float | None = None
    """The whole run ends within this many seconds (`--timeout`): every check, its own longer timeout
    (the load test, a test suite) included, is cut at it. None: each check gets `Settings.check_timeout`."""
    started: float | None = None
    """`time.monotonic()` when the command began, so that a slow start (imports on a loaded machine) counts
    against `timeout` beyond a short grace (`runner.STARTUP_GRACE`); None: the run's own start."""


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
    spec: CheckSpec | None = None
    """The check being run (its declared parameters); None only in hand-built contexts."""
    deploy_steps: Sequence[Mapping[str, Any]] = ()
    """The deployment steps recorded in the run record when the run began, oldest first."""
    deadline: float | None = None
    """`time.monotonic()` by which the whole run must end (`--timeout`), or None."""

    def seconds_left(self, wanted: float) -> float:
        """`wanted` seconds, or fewer when the run's deadline is nearer (never below 0).

        A check that waits or loops on its own (the load test) bounds itself with this, so it ends with
        what it measured instead of being cut off by the runner.
        """
        if self.deadline is None:
            return wanted
        import time

        return max(0.0, min(wanted, self.deadline - time.monotonic()))

    def param(self, name: str, fallback: Any = None) -> Any:
        """The item's value of a declared parameter, else its declared default, else `fallback`.

        Asking for a parameter the check did not declare is a programming error (KeyError).
        """
        if self.spec is not None and name not in self.spec.params and name not in COMMON_PARAMS:
            raise KeyError(f"check {self.spec.name} reads parameter {name!r} without declaring it")
        value = self.params.get(name)
        if value is not None:
            return value
        declared = self.spec.params.get(name) if self.spec is not None else None
        if declared is not None and declared.default is not None:
            return declared.default
        return fallback

    def project_map(self) -> ProjectMap:
        """The repository's project map (components, deployment files, services used, Streamlit options),
        built once per run and shared by every check (docs/project-map.md)."""
        from readiness_tui.projectmap import shared_map

        return shared_map(self.settings, self.shared)

    def endpoint(self, name: str) -> Endpoint:
        """Where a live probe of `backend`, `frontend`, `supabase`, `database`, `redis` or `pusher` may go, or
        why it may not (not set, a template placeholder): the run's one target-resolution step
        (docs/project-map.md). `Endpoint.heavy` says whether load, bursts and malformed requests may go there."""
        from readiness_tui.endpoints import shared_endpoints

        try:
            pm = self.project_map()
        except Exception:  # noqa: BLE001 - without a map, the seed's names still resolve
            pm = None
        return shared_endpoints(self.settings, self.shared, pm)[name]

    def last_deploy_step(self, step: str, status: str | None = None) -> Mapping[str, Any] | None:
        """The most recent recorded run of a deployment step (optionally with a given status)."""
        for entry in reversed(self.deploy_steps):
            if entry.get("step") == step and (status is None or entry.get("status") == status):
                return entry
        return None


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
    params: Mapping[str, Param] = field(default_factory=dict)
    module: str = ""
    live: bool = False
    """True for a check that talks to a running service (network, Docker, a database): the run's
    `--timeout` is its budget. A check that only reads the repository gets `Settings.repo_timeout`
    instead, so a slow disk or a large repository never races the network budget."""


class Registry:
    """Checks by name. One is current at a time; tests use `isolated_registry()`."""

    def __init__(self, specs: Mapping[str, CheckSpec] | None = None) -> None:
        self._specs: dict[str, CheckSpec] = dict(specs or {})
        self.problems: list[str] = []
        """Entry points that failed to load, one line each (shown when a check is missing)."""

    def add(self, spec: CheckSpec) -> None:
        """Register a check; a second, different function under the same name is an error."""
        known = self._specs.get(spec.name)
        if known is not None and known.func is not spec.func:
            raise ValueError(f"check {spec.name!r} registered twice ({known.module} and {spec.module})")
        self._specs[spec.name] = spec

    def get(self, name: str) -> CheckSpec | None:
        """The check of this name, or None."""
        return self._specs.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.name))

    def __len__(self) -> int:
        return len(self._specs)

    def copy(self) -> Registry:
        """An independent registry with the same checks."""
        other = Registry(self._specs)
        other.problems = list(self.problems)
        return other


_current = Registry()
_loaded = False


def check(name: str, description: str, *, timeout: float | None = None,
          params: Mapping[str, Param] | None = None, live: bool = False) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under `name`; `description` says what it checks, in one line.

    `live=True` marks a check that probes a running service (its timeout is the run's network budget);
    other checks read the repository and are bounded by `Settings.repo_timeout`.
    """
    declared = dict(params or {})
    for key, param in declared.items():
        _describe_type(param.type)  # an unsupported type fails at import, not at load time
        if param.default is not None and not conforms(param.default, param.type):
            raise TypeError(f"check {name}: default of parameter {key!r} is not {_a(_describe_type(param.type))}")

    def register(func: CheckFn) -> CheckFn:
        spec = CheckSpec(name, description, func, inspect.iscoroutinefunction(func), timeout, declared,
                         getattr(func, "__module__", ""), live)
        _current.add(spec)
        return func

    return register


def load_checks() -> Registry:
    """Import every module named in the entry-point group once, so its checks register."""
    global _loaded
    if not _loaded:
        _loaded = True
        for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.value):
            try:
                if entry.attr:
                    entry.load()
                else:
                    importlib.import_module(entry.module)
            except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, never a crash
                _current.problems.append(f"check plugin {entry.name} ({entry.value}) failed to load: "
                                         f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        if not len(_current):
            _current.problems.append("no checks are registered: is readiness-tui installed (pip install .)?")
    return _current


def registry() -> Registry:
    """The current registry, with every entry point loaded."""
    return load_checks()


def get_check(name: str) -> CheckSpec | None:
    """The registered check of this name, or None."""
    return load_checks().get(name)


@contextmanager
def isolated_registry() -> Iterator[Registry]:
    """A copy of the registry that checks registered inside the block go to; the original comes back after."""
    global _current
    saved = load_checks()
    _current = saved.copy()
    try:
        yield _current
    finally:
        _current = saved


# --- parameter types --------------------------------------------------------------------------

_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean"}


def _describe_type(kind: Any) -> str:
    """A parameter type in words, without an article (`number`, `list of strings`)."""
    if kind in _SCALARS:
        return _SCALARS[kind]
    if typing.get_origin(kind) is list:
        (inner,) = typing.get_args(kind) or (Any,)
        return f"list of {_describe_type(inner)}s" if inner is not Any else "list"
    if kind is Any:
        return "value"
    raise TypeError(f"unsupported parameter type {kind!r}")


def _a(words: str) -> str:
    return ("an " if words[0] in "aeiou" else "a ") + words


def conforms(value: Any, kind: Any) -> bool:
    """Whether a TOML value is of a parameter type (`float` accepts integers, never booleans)."""
    if kind is Any:
        return True
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is str:
        return isinstance(value, str)
    if typing.get_origin(kind) is list:
        (inner,) = typing.get_args(kind) or (Any,)
        return isinstance(value, list) and all(conforms(v, inner) for v in value)
    return False


def describe_type(kind: Any) -> str:
    """A parameter type in words (`number`, `list of strings`)."""
    return _describe_type(kind)


def item_problem(item_id: str, checks: Sequence[str], params: Mapping[str, Any]) -> tuple[str, str] | None:
    """What is wrong with an item's checks and parameters, as (key, message), or None.

    `key` is the checklist key the message is about (`checks` or the parameter's name), so the loader
    can point at its line.
    """
    reg = load_checks()
    specs = []
    for name in checks:
        spec = reg.get(name)
        if spec is None:
            close = [s.name for s in reg if s.name.split(".")[0] == name.split(".")[0]][:5]
            hint = f" (known in {name.split('.')[0]}: {', '.join(close)})" if close else ""
            extra = f"; {reg.problems[0]}" if reg.problems else ""
            return "checks", f"item {item_id}: unknown check {name!r}{hint}{extra}"
        specs.append(spec)
    for key, value in params.items():
        declared = [s.params[key] for s in specs if key in s.params] + (
            [COMMON_PARAMS[key]] if key in COMMON_PARAMS else [])
        if not declared:
            names = ", ".join(checks) or "no checks"
            return key, f"item {item_id}: unknown parameter {key!r} (not read by {names})"
        for param in declared:
            if not conforms(value, param.type):
                return key, (f"item {item_id}: parameter {key!r} must be {_a(_describe_type(param.type))}, "
                             f"not {_toml_type(value)}")
    return None


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list of other values" if value else "an empty list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
