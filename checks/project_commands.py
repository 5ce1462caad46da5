"""The project's own commands: validation script (7.7), unit, integration, e2e and performance tests (8.1–8.4).

Commands come from `readiness.toml` `[commands]` as argument lists (docs/configuration.md; how
they run: docs/how-checks-work.md); when a key is absent, the seed's command is used if its file
exists (e.g. `backend/scripts/validate_leads_integrity.py`). They run only when the person confirmed it
(`RunOptions.run_project_commands`, headless `--run-project-commands`), never through a shell,
with a timeout that kills the whole process group; the output's tail is kept as evidence after
redaction, and pytest's counts and coverage's TOTAL are parsed from the full stream.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, Measurement, Status, errored, not_applicable, pending, worst
from readiness_tui.settings import Settings

DEFAULT_TIMEOUT = 900.0
#: Upper bound for the runner (each command has its own, smaller timeout).
CHECK_TIMEOUT = 3600.0
#: Parameters of the project-command checks (items 7.7, 8.1–8.4).
PROJECT_PARAMS = {
    "command": Param(str, "the [commands] key to run (default: the check's own, e.g. unit_tests)"),
    "output_lines": Param(int, "lines of output kept in the evidence", 40),
    "output_chars": Param(int, "characters of output kept in the evidence", 4000),
    "coverage_min": Param(float, "fail at or below this coverage percentage", 80.0),
    "pass_rate_min": Param(float, "fail at or below this percentage of tests passed", 80.0),
    "min_tests": Param(int, "fail when fewer tests passed"),
}

_PYTEST_SUMMARY = re.compile(
    r"^=*\s*(?P<body>(?:\d+ [a-z]+(?:, )?)+|no tests ran)\s+in\s+[\d.]+\s*s", re.IGNORECASE)
_PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|warnings?|deselected|rerun)")
_COVERAGE_TOTAL = re.compile(r"^TOTAL\s.*?(\d+(?:\.\d+)?)%\s*$")
_COVERAGE_REQUIRED = re.compile(r"Total coverage:\s*(\d+(?:\.\d+)?)%")
_RATIO = re.compile(r"(\d+)\s*/\s*(\d+)\s+(?:checks?|tests?)\s+pass(?:ed|ing)?", re.IGNORECASE)


class CommandsConfigError(Exception):
    """`[commands]` in readiness.toml is malformed (message: where and what)."""


@dataclass
class ProjectCommand:
    """One command of the project: what to run, where, for how long, and why this one."""

    key: str
    argv: list[str]
    cwd: Path
    timeout: float
    source: str
    env: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"command": shlex.join(self.argv), "cwd": str(self.cwd), "timeout_s": self.timeout,
                "source": self.source, "env_names": sorted(self.env)}


@dataclass
class OutputParser:
    """Watches a command's output line by line for pytest counts, coverage and `N/M checks passed`."""

    counts: dict[str, int] = field(default_factory=dict)
    coverage: float | None = None
    ratio: tuple[int, int] | None = None

    def feed(self, line: str) -> None:
        text = line.strip()
        if m := _PYTEST_SUMMARY.match(text):
            counts: dict[str, int] = {}
            for number, word in _PYTEST_COUNT.findall(m.group("body")):
                word = {"error": "errors", "warning": "warnings"}.get(word, word)
                counts[word] = counts.get(word, 0) + int(number)
            self.counts = counts
        elif m := _COVERAGE_TOTAL.match(text):
            self.coverage = float(m.group(1))
        elif m := _COVERAGE_REQUIRED.search(text):
            self.coverage = float(m.group(1))
        if m := _RATIO.search(text):
            self.ratio = (int(m.group(1)), int(m.group(2)))


def _python() -> str:
    return "python" if shutil.which("python") else "python3"


def _pytest() -> list[str]:
    return ["pytest"] if shutil.which("pytest") else [_python(), "-m", "pytest"]


def _locate(settings: Settings, rel: str) -> Path | None:
    """`rel` under the project dir or the repository root (the seed mixes `backend/…` and frontend paths)."""
    for base in (settings.project_dir, settings.repo_root):
        if base is not None and (base / rel).exists():
            return base / rel
    return None


def default_commands(settings: Settings, key: str) -> list[ProjectCommand]:
    """The seed's command for `key`, when the file or directory it runs exists."""
    found: list[ProjectCommand] = []

    def add(rel: str, argv: list[str], cwd_rel: str) -> None:
        path = _locate(settings, rel)
        if path is not None:
            base = Path(str(path)[: -len(rel)])
            found.append(ProjectCommand(key, argv, base / cwd_rel if cwd_rel else base, DEFAULT_TIMEOUT,
                                        f"default (seed; {rel} exists)"))

    if key == "validation":
        add("backend/scripts/validate_leads_integrity.py", [_python(), "scripts/validate_leads_integrity.py"],
            "backend")
    elif key == "unit_tests":
        add("backend/tests", [*_pytest(), "--cov=app", "--cov-report=term-missing"], "backend")
        add("frontend-streamlit/tests", [*_pytest(), "tests/"], "frontend-streamlit")
    elif key == "integration_tests":
        add("backend/tests/integration", [*_pytest(), "tests/integration"], "backend")
    elif key == "e2e_tests":
        add("tests/e2e", [*_pytest(), "tests/e2e"], "")
    elif key == "performance_tests":
        add("backend/scripts/test_performance_metrics.py", [_python(), "scripts/test_performance_metrics.py"],
            "backend")
    return found


def configured_commands(settings: Settings, key: str) -> list[ProjectCommand] | None:
    """The commands `[commands].<key>` names (None when the key is absent; [] when set empty)."""
    table = settings.table("commands")
    where = f"{settings.config_file or 'readiness.toml'} [commands]"
    default_timeout = table.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(default_timeout, int | float) or isinstance(default_timeout, bool) or default_timeout <= 0:
        raise CommandsConfigError(f"{where}: `timeout` must be a positive number of seconds")
    if key not in table:
        return None
    value = table[key]
    entries: list[Any]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        entries = [value] if value else []
    elif isinstance(value, dict):
        entries = [value]
    elif isinstance(value, list) and all(isinstance(v, dict | list) for v in value):
        entries = value
    else:
        raise CommandsConfigError(f"{where}: `{key}` must be an argument list like [\"pytest\", \"-q\"], "
                                  "a table {argv = [...], cwd = \"...\"}, or a list of those")
    commands = []
    for n, entry in enumerate(entries, 1):
        label = f"{where}: `{key}`" + (f" #{n}" if len(entries) > 1 else "")
        spec = {"argv": entry} if isinstance(entry, list) else dict(entry)
        unknown = set(spec) - {"argv", "cwd", "timeout", "env"}
        if unknown:
            raise CommandsConfigError(f"{label}: unknown key(s) {', '.join(sorted(unknown))} "
                                      "(known: argv, cwd, timeout, env)")
        argv = spec.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) and a for a in argv):
            raise CommandsConfigError(f"{label}: `argv` must be a non-empty list of strings (no shell string)")
        cwd_value = spec.get("cwd", "")
        if not isinstance(cwd_value, str):
            raise CommandsConfigError(f"{label}: `cwd` must be a string")
        timeout = spec.get("timeout", default_timeout)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise CommandsConfigError(f"{label}: `timeout` must be a positive number of seconds")
        env = spec.get("env", {})
        if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise CommandsConfigError(f"{label}: `env` must be a table of strings")
        cwd = settings.path(cwd_value) if cwd_value else settings.project_dir
        commands.append(ProjectCommand(key, list(argv), cwd, float(timeout), "readiness.toml", dict(env)))
    return commands


def commands_for(settings: Settings, key: str) -> tuple[list[ProjectCommand], bool]:
    """(commands, explicitly configured?) for `key`: `[commands]` first, else the seed's defaults."""
    configured = configured_commands(settings, key)
    if configured is not None:
        return configured, True
    return default_commands(settings, key), False


def _tail(text: str, lines: int, chars: int) -> str:
    kept = "\n".join(text.splitlines()[-lines:])
    return kept if len(kept) <= chars else "…" + kept[-(chars - 1):]


def run_project_command(ctx: CheckContext, command: ProjectCommand) -> tuple[Status, str, dict[str, Any],
                                                                            OutputParser]:
    """Run one command; (status, one-line outcome, evidence, parsed output)."""
    from readiness_tui.procs import ProcError, run_command

    redactor = ctx.settings.redactor()
    parser = OutputParser()
    label = shlex.join(command.argv)

    def on_line(line: str) -> None:
        parser.feed(line)
        ctx.progress(None, redactor.text(line)[:120])

    env = dict(os.environ, **command.env) if command.env else None
    evidence: dict[str, Any] = command.describe()
    try:
        result = run_command(command.argv, command.cwd, command.timeout, env=env, on_line=on_line)
    except ProcError as exc:
        evidence["error"] = str(exc)
        return Status.ERROR, f"cannot run `{label}`: {exc}", evidence, parser
    evidence.update(exit_code=result.exit_code, duration_s=result.duration_s, timed_out=result.timed_out,
                    output_tail=redactor.text(_tail(result.output_tail, int(ctx.param("output_lines")),
                                                    int(ctx.param("output_chars")))))
    if parser.counts:
        evidence["pytest"] = parser.counts
    if parser.coverage is not None:
        evidence["coverage_pct"] = parser.coverage
    if parser.ratio:
        evidence["passed_ratio"] = f"{parser.ratio[0]}/{parser.ratio[1]}"
    counts = parser.counts
    tally = ", ".join(f"{counts[k]} {k}" for k in ("passed", "failed", "errors", "skipped") if counts.get(k))
    if result.timed_out:
        return (Status.ERROR, f"`{label}` timed out after {command.timeout:g} s (stopped, its processes killed)",
                evidence, parser)
    if result.exit_code != 0:
        if result.exit_code == 5 and "pytest" in label:
            return Status.FAIL, f"`{label}`: no tests collected", evidence, parser
        detail = tally or (f"{parser.ratio[0]}/{parser.ratio[1]} passed" if parser.ratio else "")
        return (Status.FAIL, f"`{label}` failed (exit code {result.exit_code}{', ' + detail if detail else ''})",
                evidence, parser)
    problems = []
    if counts.get("failed") or counts.get("errors"):
        problems.append(tally)
    minimum_cov = float(ctx.param("coverage_min"))
    if parser.coverage is not None and parser.coverage <= minimum_cov:
        problems.append(f"coverage {parser.coverage:g}% (target > {minimum_cov:g}%)")
    min_rate = float(ctx.param("pass_rate_min"))
    if parser.ratio and parser.ratio[1] and 100 * parser.ratio[0] / parser.ratio[1] <= min_rate:
        problems.append(f"{parser.ratio[0]}/{parser.ratio[1]} passed (target > {min_rate:g}%)")
    min_tests = ctx.param("min_tests")
    passed_n = counts.get("passed", parser.ratio[0] if parser.ratio else None)
    if min_tests is not None and (passed_n is None or passed_n < int(min_tests)):
        problems.append(f"{passed_n if passed_n is not None else 'unknown number of'} tests passed, "
                        f"{int(min_tests)} expected")
    parts = [tally] if tally else []
    if parser.coverage is not None:
        parts.append(f"coverage {parser.coverage:g}%")
    if parser.ratio and not tally:
        parts.append(f"{parser.ratio[0]}/{parser.ratio[1]} passed")
    done = f"`{label}` passed in {result.duration_s:.1f} s" + (f" ({', '.join(parts)})" if parts else "")
    if problems:
        return Status.FAIL, f"`{label}` exited 0 but: {'; '.join(problems)}", evidence, parser
    return Status.PASS, done, evidence, parser


def project_check(ctx: CheckContext, key: str) -> CheckResult:
    """Shared body of the project-command checks (summary and evidence redacted: argv may hold a secret)."""
    result = _project_check(ctx, str(ctx.param("command", key)))
    redactor = ctx.settings.redactor()
    result.summary = redactor.text(result.summary)
    result.evidence = redactor.data(result.evidence)
    return result


def _project_check(ctx: CheckContext, key: str) -> CheckResult:
    try:
        commands, explicit = commands_for(ctx.settings, key)
    except CommandsConfigError as exc:
        return errored(str(exc))
    if not commands:
        if explicit:
            return not_applicable(f"[commands] {key} is empty: the project has no such command")
        return pending(f"no {key.replace('_', ' ')} command: add `{key} = [\"…\"]` to readiness.toml [commands], "
                       "or confirm by hand", command_key=key)
    planned = [c.describe() for c in commands]
    if not ctx.options.run_project_commands:
        listing = "; ".join(f"`{p['command']}` in {p['cwd']}" for p in planned)
        return pending(f"run on confirmation: {listing}", commands=planned, command_key=key)
    runs: list[dict[str, Any]] = []
    statuses: list[Status] = []
    summaries: list[str] = []
    measurements: dict[str, Measurement] = {}
    # The runner gives up on the check after CHECK_TIMEOUT: every command must end before that,
    # so none is ever left running behind a check that already reported.
    deadline = time.monotonic() + CHECK_TIMEOUT - 30
    for number, command in enumerate(commands, 1):
        command.timeout = max(1.0, min(command.timeout, deadline - time.monotonic()))
        ctx.progress((number - 1) / len(commands), f"running {shlex.join(command.argv)}")
        status, summary, evidence, parser = run_project_command(ctx, command)
        runs.append(evidence)
        statuses.append(status)
        summaries.append(summary)
        suffix = "" if len(commands) == 1 else f"_{number}"
        if parser.counts:
            measurements[f"tests.{key}_passed{suffix}"] = Measurement(
                float(parser.counts.get("passed", 0)), str(parser.counts.get("passed", 0)))
            measurements[f"tests.{key}_failed{suffix}"] = Measurement(
                float(parser.counts.get("failed", 0)), str(parser.counts.get("failed", 0)))
        if parser.coverage is not None:
            measurements[f"tests.{key}_coverage_pct{suffix}"] = Measurement(parser.coverage,
                                                                             f"{parser.coverage:g}%", "%")
    status = worst(statuses)
    if len(summaries) == 1:
        summary = summaries[0]
    else:
        bad = [s for s, st in zip(summaries, statuses, strict=True) if st is not Status.PASS]
        summary = (f"{len(bad)} of {len(summaries)} commands failed: " + "; ".join(bad)) if bad else \
            f"all {len(summaries)} commands passed: " + "; ".join(summaries)
    return CheckResult(status, summary, {"command_key": key, "command_runs": runs}, measurements)


@check("project.validation", "the project's data validation script runs successfully (on confirmation)",
       timeout=CHECK_TIMEOUT,
       params=PROJECT_PARAMS)
def project_validation(ctx: CheckContext) -> CheckResult:
    return project_check(ctx, "validation")


@check("project.unit_tests", "the project's unit tests pass with coverage > 80% (on confirmation)",
       timeout=CHECK_TIMEOUT,
       params=PROJECT_PARAMS)
def project_unit_tests(ctx: CheckContext) -> CheckResult:
    return project_check(ctx, "unit_tests")


@check("project.integration_tests", "the project's integration tests pass (on confirmation)",
       timeout=CHECK_TIMEOUT,
       params=PROJECT_PARAMS)
def project_integration_tests(ctx: CheckContext) -> CheckResult:
    return project_check(ctx, "integration_tests")


@check("project.e2e_tests", "the project's end-to-end tests pass (on confirmation)", timeout=CHECK_TIMEOUT,
       params=PROJECT_PARAMS)
def project_e2e_tests(ctx: CheckContext) -> CheckResult:
    return project_check(ctx, "e2e_tests")


@check("project.performance_tests", "the project's performance tests pass (on confirmation)",
       timeout=CHECK_TIMEOUT,
       params=PROJECT_PARAMS)
def project_performance_tests(ctx: CheckContext) -> CheckResult:
    return project_check(ctx, "performance_tests")
