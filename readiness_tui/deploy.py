"""The seed's "Deployment Steps" run from the tool: backup, final tests, deploy, verify, rollback, watch.

Commands come from `readiness.toml` `[deploy]` as argument lists (never a shell string) and default
to the seed's (`./deploy-production.sh backup`, `./deploy-production.sh`,
`./deploy-production.sh restore-backup`). Each command runs in its own process group, its output
is streamed line by line (redacted) to a callback, and a timeout kills the whole group. Every step
is recorded in the run record's `deploy_steps` (exit code, duration, a redacted log tail); deploy
is refused below the `ready` band or without valid sign-offs unless overridden with a reason.
Callers (the CLI, the wizard screen) ask for confirmation before calling `run_step`.
"""

from __future__ import annotations

import contextlib
import math
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness_tui.errors import UsageError
from readiness_tui.identity import user_host
from readiness_tui.model import now_iso
from readiness_tui.procs import ProcError, run_command
from readiness_tui.store import RunRecord
from readiness_tui.target import Target

LineFn = Callable[[str], None]

STEP_ORDER = ("backup", "final-tests", "deploy", "verify", "rollback", "watch")

#: Sections (or item ids) post-deployment verification re-runs: the seed's infrastructure,
#: monitoring and deployment-verification sections.
DEFAULT_VERIFY_ITEMS = "2,5,10"
#: How many entries of `deploy_steps` the record keeps (oldest dropped first).
MAX_RECORDED = 200
ERROR_LINE = re.compile(r"\b(error|exception|traceback|critical|fatal|panic)\b", re.IGNORECASE)


@dataclass(frozen=True)
class StepInfo:
    """What a step is, in the seed's words."""

    name: str
    title: str
    seed: str
    kind: str  # command | verify | watch
    config_key: str = ""


STEPS: dict[str, StepInfo] = {
    "backup": StepInfo("backup", "Back up current production", "Pre-Deployment: ./deploy-production.sh backup",
                       "command", "backup"),
    "final-tests": StepInfo("final-tests", "Run final tests",
                            "Pre-Deployment: test_performance_metrics.py, validate_leads_integrity.py",
                            "command", "final_tests"),
    "deploy": StepInfo("deploy", "Deploy to production", "Deployment: ./deploy-production.sh", "command", "deploy"),
    "verify": StepInfo("verify", "Verify the deployment",
                       "Post-Deployment: health endpoints, sections 2, 5 and 10, repeated until healthy", "verify"),
    "rollback": StepInfo("rollback", "Roll back", "Rollback: ./deploy-production.sh restore-backup",
                         "command", "rollback"),
    "watch": StepInfo("watch", "Watch the container's logs",
                      "Post-Deployment: docker logs -f iswitch-crm-frontend | grep -i error", "watch"),
}

_DEFAULT_COMMANDS: dict[str, list[dict[str, Any]]] = {
    "backup": [{"argv": ["./deploy-production.sh", "backup"]}],
    "final_tests": [
        {"argv": ["python3", "scripts/test_performance_metrics.py"], "cwd": "backend"},
        {"argv": ["python3", "scripts/validate_leads_integrity.py"], "cwd": "backend"},
    ],
    "deploy": [{"argv": ["./deploy-production.sh"]}],
    "rollback": [{"argv": ["./deploy-production.sh", "restore-backup"]}],
}


class DeployError(Exception):
    """A step could not start (command missing, not executable, no Docker): one clear line."""


@dataclass(frozen=True)
class Command:
    """One command of a step: an argument list and the directory it runs in."""

    argv: tuple[str, ...]
    cwd: Path

    def display(self) -> str:
        """The command as a person would type it (for showing, never for running)."""
        import shlex

        return " ".join(shlex.quote(a) for a in self.argv)


@dataclass
class DeployConfig:
    """The `[deploy]` table of readiness.toml, with the seed's defaults."""

    commands: dict[str, list[Command]]
    timeout: float = 900.0
    verify_timeout: float = 300.0
    verify_interval: float = 5.0
    verify_items: str = DEFAULT_VERIFY_ITEMS
    health_samples: int = 20
    sample_interval: float = 0.25
    health_target_pct: float = 99.0
    watch_seconds: float = 3600.0
    tail_lines: int = 40


def _number(table: dict[str, Any], key: str, default: float, where: str, integer: bool = False) -> Any:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise UsageError(f"{where}: [deploy] {key} must be a positive number, not {value!r}")
    return int(value) if integer else float(value)


def _commands(value: Any, key: str, target: Target, where: str) -> list[Command]:
    hint = 'an argument list like ["./deploy-production.sh", "backup"] (commands never run through a shell)'
    if isinstance(value, str):
        raise UsageError(f"{where}: [deploy] {key} must be {hint}, not a string")
    if not isinstance(value, list):
        raise UsageError(f"{where}: [deploy] {key} must be {hint}")
    specs: list[Any] = [value] if value and all(isinstance(v, str) for v in value) else value
    out: list[Command] = []
    for spec in specs:
        cwd = "."
        if isinstance(spec, dict):
            cwd = spec.get("cwd", ".")
            spec = spec.get("argv")
        if (not isinstance(spec, list) or not spec or not all(isinstance(a, str) and a for a in spec)
                or not isinstance(cwd, str)):
            raise UsageError(f"{where}: [deploy] {key} must be {hint}, a list of them, or tables "
                             "{argv = [...], cwd = \"dir\"}")
        out.append(Command(tuple(spec), target.settings.path(cwd)))
    return out


def load_config(target: Target) -> DeployConfig:
    """The deployment settings of a target (UsageError for a malformed `[deploy]` table)."""
    table = target.settings.table("deploy")
    where = str(target.settings.config_file or "readiness.toml")
    commands: dict[str, list[Command]] = {}
    for key, default in _DEFAULT_COMMANDS.items():
        value = table.get(key, table.get(key.replace("_", "-"), default))
        commands[key] = _commands(value, key, target, where)
    items = table.get("verify_items", DEFAULT_VERIFY_ITEMS)
    if isinstance(items, list):
        items = ",".join(str(i) for i in items)
    if not isinstance(items, str) or not items.strip():
        raise UsageError(f"{where}: [deploy] verify_items must be item ids or section numbers, e.g. \"2,5,10\"")
    return DeployConfig(
        commands=commands,
        timeout=_number(table, "timeout", 900.0, where),
        verify_timeout=_number(table, "verify_timeout", 300.0, where),
        verify_interval=_number(table, "verify_interval", 5.0, where),
        verify_items=items,
        health_samples=_number(table, "health_samples", 20, where, integer=True),
        sample_interval=_number(table, "sample_interval", 0.25, where),
        health_target_pct=_number(table, "health_target_pct", 99.0, where),
        watch_seconds=_number(table, "watch_seconds", 3600.0, where),
        tail_lines=_number(table, "tail_lines", 40, where, integer=True),
    )


# ---------------------------------------------------------------------------------------------
# The gate before deploying
# ---------------------------------------------------------------------------------------------


@dataclass
class Gate:
    """Whether deploying is allowed now, and what stands in the way."""

    allowed: bool
    band: str
    percent: float
    problems: list[str] = field(default_factory=list)
    signoffs_verified: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "band": self.band, "percent": self.percent, "problems": self.problems,
                "signoffs_verified": self.signoffs_verified}


def _signoff_states(target: Target, record: RunRecord) -> list[dict[str, Any]] | None:
    """Sign-off states from the sign-off module, or None when this build has none."""
    try:
        from readiness_tui.signoff import signoff_states
    except ModuleNotFoundError as exc:
        if exc.name not in ("readiness_tui.signoff",):
            raise
        return None
    return list(signoff_states(target, record))


def deploy_gate(target: Target, record: RunRecord | None = None) -> Gate:
    """Deploying needs the top score band and a valid, non-stale sign-off for every role."""
    from readiness_tui.scoring import build_views, compute_score

    record = record or target.store.load()
    score = compute_score(target.checklist, build_views(target.checklist, record))
    top = target.checklist.bands[0]
    problems: list[str] = []
    if score.band != top.id:
        problems.append(f"score {score.percent:.1f}% is in band `{score.band}`, deploying needs `{top.id}` "
                        f"(≥ {top.min:g}%)")
    states = _signoff_states(target, record)
    verified = states is not None
    if not record.signoffs:
        problems.append("no sign-offs recorded")
    elif states is None:
        problems.append(f"{len(record.signoffs)} sign-off(s) recorded but this build cannot verify them")
    else:
        by_role = {str(s.get("role")): s for s in states}  # later entries (re-signing) win
        for role in target.checklist.roles:
            state = by_role.get(role)
            if state is None:
                problems.append(f"{role}: not signed")
            elif state.get("state") != "valid":
                why = state.get("reason") or ""
                problems.append(f"{role}: sign-off {state.get('state')}{f' ({why})' if why else ''}")
    return Gate(not problems, score.band, score.percent, problems, verified)


# ---------------------------------------------------------------------------------------------
# Steps and their record
# ---------------------------------------------------------------------------------------------


@dataclass
class StepRun:
    """The outcome of one step, as recorded in `deploy_steps`."""

    step: str
    status: str  # ok | failed | timed_out | cancelled | refused | error
    summary: str
    started_at: str = ""
    finished_at: str = ""
    duration_s: float = 0.0
    exit_code: int | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)
    log_tail: list[str] = field(default_factory=list)
    measurements: dict[str, dict[str, Any]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    by: str = ""
    user_host: str = ""
    override: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if v not in (None, {}, [])}
        data.setdefault("exit_code", self.exit_code)
        return data


def plan(target: Target, step: str, config: DeployConfig | None = None) -> list[Command]:
    """The commands a step will run (empty for verify and watch)."""
    info = step_info(step)
    config = config or load_config(target)
    return list(config.commands.get(info.config_key, [])) if info.kind == "command" else []


def step_info(step: str) -> StepInfo:
    """The step of this name; UsageError for an unknown one."""
    try:
        return STEPS[step]
    except KeyError:
        raise UsageError(f"unknown step {step!r} (steps: {', '.join(STEP_ORDER)})") from None


def _deployment_fields(run: StepRun) -> dict[str, str]:
    """The seed's "Production Deployment" fields a successful step fills in."""
    if run.step == "deploy" and run.ok:
        return {"Deployment Date": run.finished_at[:10], "Deployment Time": run.finished_at[11:19] + " UTC",
                "Deployed By": run.by or run.user_host}
    if run.step == "verify" and run.ok:
        return {"Verification Complete": "yes", "All Systems Operational": "yes"}
    return {}


def record_step(target: Target, run: StepRun) -> RunRecord:
    """Append a step's outcome to the run record, and fill the seed's deployment fields it settles.

    Deployment fields go through the sign-off module when this build has it (each field then carries
    who, when and the digest of the results, like a sign-off); otherwise they are stored plainly.
    """
    fields = {k: v for k, v in _deployment_fields(run).items() if k in target.checklist.deployment_fields}
    try:
        from readiness_tui.signoff import set_deployment_field
    except ModuleNotFoundError as exc:
        if exc.name != "readiness_tui.signoff":
            raise
        set_deployment_field = None  # type: ignore[assignment]

    def change(record: RunRecord) -> None:
        record.deploy_steps.append(run.to_dict())
        del record.deploy_steps[:-MAX_RECORDED]
        if set_deployment_field is None:
            for name, value in fields.items():
                record.deployment[name] = {"value": value, "by": run.by or run.user_host, "at": run.finished_at,
                                           "source": f"readiness deploy {run.step}"}

    _, record = target.store.update(change)
    if set_deployment_field is not None and fields:
        for name, value in fields.items():
            set_deployment_field(target, name, value, run.by or run.user_host)
        record = target.store.load()
    return record


def last_step(record: RunRecord, step: str, status: str | None = None) -> dict[str, Any] | None:
    """The most recent recorded run of a step (optionally with a given status)."""
    for entry in reversed(record.deploy_steps):
        if entry.get("step") == step and (status is None or entry.get("status") == status):
            return entry
    return None


def run_step(target: Target, step: str, *, on_line: LineFn | None = None, by: str = "",
             override: str | None = None, cancel: threading.Event | None = None,
             config: DeployConfig | None = None, seconds: float | None = None) -> StepRun:
    """Run one step (the caller has asked for confirmation) and record its outcome.

    Deploy is refused (and the refusal recorded) when `deploy_gate` finds problems, unless
    `override` gives a reason, which is recorded with the problems it overrode.
    """
    info = step_info(step)
    config = config or load_config(target)
    on_line = on_line or (lambda line: None)
    run = StepRun(step, "ok", "", started_at=now_iso(), by=by.strip(), user_host=user_host())
    started = time.monotonic()
    if step == "deploy":
        gate = deploy_gate(target)
        if not gate.allowed:
            if not (override or "").strip():
                run.status = "refused"
                run.summary = "refused: " + "; ".join(gate.problems)
                run.details["gate"] = gate.to_dict()
                run.finished_at = now_iso()
                record_step(target, run)
                return run
            run.override = {"reason": override.strip(), "by": run.by or run.user_host, "at": now_iso(),  # type: ignore[union-attr]
                            "user_host": run.user_host, "overrode": gate.problems}
    try:
        if info.kind == "command":
            _run_commands(target, run, plan(target, step, config), config, on_line, cancel)
        elif info.kind == "verify":
            _verify(target, run, config, on_line, cancel)
        else:
            _watch(target, run, config, on_line, cancel, seconds or config.watch_seconds)
    except DeployError as exc:
        run.status, run.summary = "error", str(exc)
        on_line(f"readiness: {exc}")
    except KeyboardInterrupt:
        run.status, run.summary = "cancelled", f"{step} interrupted"
        run.duration_s = round(time.monotonic() - started, 3)
        run.finished_at = now_iso()
        record_step(target, run)
        raise
    run.duration_s = round(time.monotonic() - started, 3)
    run.finished_at = now_iso()
    if step == "rollback" and run.ok:
        run.measurements["avail.rollback_s"] = {"value": run.duration_s, "display": _duration(run.duration_s),
                                                "unit": "s"}
    record_step(target, run)
    return run


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _run_commands(target: Target, run: StepRun, commands: list[Command], config: DeployConfig,
                  on_line: LineFn, cancel: threading.Event | None) -> None:
    if not commands:
        raise DeployError(f"no command configured for {run.step} ([deploy] in readiness.toml)")
    tail: deque[str] = deque(maxlen=config.tail_lines)
    for command in commands:
        on_line(f"$ {command.display()}")
        tail.append(f"$ {command.display()}")
        try:
            result = run_command(command.argv, command.cwd, config.timeout,
                                 on_line=lambda line: on_line(target.redactor.text(line)),
                                 tail_lines=config.tail_lines, stop=cancel)
        except ProcError as exc:
            raise DeployError(str(exc)) from None
        tail.extend(target.redactor.text(result.output_tail).splitlines())
        run.commands.append({"argv": list(command.argv), "cwd": str(command.cwd), "exit_code": result.exit_code,
                             "duration_s": result.duration_s, "timed_out": result.timed_out})
        run.exit_code = result.exit_code
        run.log_tail = list(tail)
        if result.timed_out:
            run.status = "timed_out"
            run.summary = (f"{command.display()} timed out after {config.timeout:g} s; its process group was killed")
            return
        if result.cancelled:
            run.status, run.summary = "cancelled", f"{command.display()} was stopped"
            return
        if result.exit_code != 0:
            run.status = "failed"
            run.summary = f"{command.display()} failed with exit code {result.exit_code}"
            return
    total = sum(c["duration_s"] for c in run.commands)
    run.summary = f"{len(commands)} command(s) succeeded in {_duration(total)}"


def _wait(seconds: float, cancel: threading.Event | None) -> bool:
    """Wait between retries; True when cancelled."""
    event = cancel or threading.Event()
    return event.wait(max(0.0, seconds))


def sample_health(target: Target, samples: int, interval: float,
                  cancel: threading.Event | None = None) -> tuple[int, int, dict[str, int]]:
    """Request both health endpoints `samples` times: (successes, attempts, failures by URL).

    A backend sample succeeds on 200 with a JSON status ok/healthy, a frontend sample on 200 with
    the body `ok` (Streamlit answers unknown paths with its index page and 200, so the body matters).
    """
    import json
    import urllib.error
    import urllib.request

    settings = target.settings
    urls: list[tuple[str, str]] = []
    if settings.backend_url:
        urls.append(("backend", settings.backend_url.rstrip("/") + "/health"))
    if settings.frontend_url:
        urls.append(("frontend", settings.frontend_url.rstrip("/") + "/_stcore/health"))
    ok = total = 0
    failures: dict[str, int] = {}
    timeout = settings.connect_timeout + settings.read_timeout
    for n in range(samples):
        if n and _wait(interval, cancel):
            break
        for kind, url in urls:
            total += 1
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - configured URL
                    body = response.read(4096).decode("utf-8", "replace")
                    good = response.status == 200 and (
                        body.strip().lower() == "ok" if kind == "frontend"
                        else str(json.loads(body).get("status", "")).lower() in ("ok", "healthy")
                    )
            except (OSError, ValueError, AttributeError, RecursionError):  # RecursionError: JSON nested too deep
                good = False
            if good:
                ok += 1
            else:
                failures[url] = failures.get(url, 0) + 1
    return ok, total, failures


def _verify(target: Target, run: StepRun, config: DeployConfig, on_line: LineFn,
            cancel: threading.Event | None) -> None:
    import asyncio

    from readiness_tui.checklist import select_items
    from readiness_tui.model import Status
    from readiness_tui.target import run_items

    items = select_items(target.checklist, config.verify_items, None)
    if not items:
        raise DeployError(f"[deploy] verify_items {config.verify_items!r} selects no item")
    deadline = time.monotonic() + config.verify_timeout
    attempt = 0
    bad: dict[str, str] = {}
    while True:
        attempt += 1
        results, _ = asyncio.run(run_items(target, items))
        bad = {i: r.summary for i, r in results.items() if r.status in (Status.FAIL, Status.ERROR)}
        line = f"verify attempt {attempt}: {len(items) - len(bad)}/{len(items)} items healthy"
        on_line(line + (f"; failing: {', '.join(bad)}" if bad else ""))
        if not bad or time.monotonic() + config.verify_interval > deadline:
            break
        if _wait(config.verify_interval, cancel):
            run.status, run.summary = "cancelled", "verification stopped"
            return
    ok, total, failures = sample_health(target, config.health_samples, config.sample_interval, cancel)
    pct = round(ok / total * 100, 1) if total else None
    if pct is not None:
        run.measurements["avail.health_success_pct"] = {
            "value": pct, "display": f"{pct:g}% ({ok}/{total})", "unit": "%"}
        on_line(f"health samples: {ok}/{total} succeeded ({pct:g}%)")
    run.details = {"attempts": attempt, "items": [i.id for i in items], "failing": bad,
                   "health_samples": total, "health_failures": failures}
    run.log_tail = [f"{item_id}: {summary}" for item_id, summary in bad.items()][-config.tail_lines:]
    problems = []
    if bad:
        problems.append(f"{len(bad)} item(s) still failing after {attempt} attempt(s): {', '.join(bad)}")
    if pct is None:
        problems.append("no health endpoint configured to sample")
    elif pct <= config.health_target_pct:
        problems.append(f"health checks succeeded {pct:g}% of the time (target > {config.health_target_pct:g}%)")
    if problems:
        run.status, run.summary = "failed", "; ".join(problems)
    else:
        run.summary = f"healthy after {attempt} attempt(s); health checks {pct:g}% ({ok}/{total})"


def _watch(target: Target, run: StepRun, config: DeployConfig, on_line: LineFn,
           cancel: threading.Event | None, seconds: float) -> None:
    try:
        import docker
        from docker.errors import DockerException, NotFound
    except ImportError:
        raise DeployError("watching needs the Docker SDK (pip install docker)") from None
    name = target.settings.container
    try:
        client = (docker.DockerClient(base_url=target.settings.docker_host, timeout=10)
                  if target.settings.docker_host else docker.from_env(timeout=10))
        client.ping()
        container = client.containers.get(name)
    except NotFound:
        raise DeployError(f"no container named {name!r} (set `container` in readiness.toml)") from None
    except DockerException as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DeployError(f"cannot reach the Docker daemon: {reason}") from None
    stream = container.logs(stream=True, follow=True, since=int(time.time()))
    chunks: queue.Queue[bytes | None] = queue.Queue()

    def read() -> None:
        with contextlib.suppress(Exception):  # the stream is closed under us at the deadline
            for chunk in stream:
                chunks.put(chunk)
        chunks.put(None)

    threading.Thread(target=read, name="readiness-watch", daemon=True).start()
    errors: list[str] = []
    lines_seen = 0
    pending = ""
    deadline = time.monotonic() + seconds
    on_line(f"watching {name} for {_duration(seconds)} (error lines are recorded)")
    while time.monotonic() < deadline and not (cancel and cancel.is_set()):
        try:
            chunk = chunks.get(timeout=min(0.5, max(0.01, deadline - time.monotonic())))
        except queue.Empty:
            continue
        if chunk is None:
            break
        pending += chunk.decode("utf-8", "replace")
        *complete, pending = pending.split("\n")
        for raw in complete:
            line = target.redactor.text(raw.rstrip("\r"))
            lines_seen += 1
            on_line(line)
            if ERROR_LINE.search(line):
                errors.append(line)
    with contextlib.suppress(Exception):
        stream.close()
    with contextlib.suppress(Exception):
        client.close()
    run.details = {"container": name, "seconds": seconds, "lines": lines_seen, "error_lines": len(errors)}
    run.log_tail = errors[-config.tail_lines:]
    if errors:
        run.status = "failed"
        run.summary = f"{len(errors)} error line(s) in {lines_seen} log line(s) of {name}"
    else:
        run.summary = f"no error lines in {lines_seen} log line(s) of {name} over {_duration(seconds)}"
