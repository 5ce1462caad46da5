"""Log rotation (5.7): the container's log driver rotates (`max-size`), or a logrotate rule covers `log_dir`.

logrotate rules are read from `<system_root>/etc/logrotate.conf`, `<system_root>/etc/logrotate.d/*`
and logrotate files in the project (`logrotate*.conf`, `*.logrotate`, `deploy/logrotate/*`);
`system_root` is a setting so tests can point it at a temporary directory.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness_tui.checks._corpus import APP, CONFIG, evidence_docs, exclude_param

from readiness_tui import fileio
from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, errored, failed, passed, warned

#: Drivers that rotate on their own (`local` keeps 5 × 20 MB by default) or hand logs to the system.
SELF_ROTATING = {"local", "journald", "syslog", "gelf", "fluentd", "awslogs", "splunk", "gcplogs", "none"}

PROJECT_LOGROTATE_GLOBS = ("logrotate*.conf", "*.logrotate", "logrotate.d/*", "deploy/logrotate*",
                           "deploy/logrotate.d/*", "ops/logrotate*", "config/logrotate*")


@dataclass
class LogrotateRule:
    """One `paths { directives }` block of a logrotate file."""

    file: str
    line: int
    patterns: list[str]
    directives: list[str]


def parse_logrotate(text: str, file: str = "") -> list[LogrotateRule]:
    """The blocks of a logrotate configuration (global directives and `include` are skipped)."""
    rules: list[LogrotateRule] = []
    header: list[str] = []
    header_line = 0
    body: list[str] | None = None
    in_script = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if body is not None:
            if in_script:
                if line == "endscript":
                    in_script = False
                continue
            if line in ("postrotate", "prerotate", "firstaction", "lastaction", "preremove"):
                in_script = True
                continue
            if line.startswith("}"):
                rules.append(LogrotateRule(file, header_line, header, body))
                body, header, header_line = None, [], 0
                continue
            body.append(line)
            continue
        if "{" in line:
            before = line.split("{", 1)[0]
            header = header + _split_paths(before)
            header_line = header_line or number
            body = []
            after = line.split("{", 1)[1].strip()
            if "}" in after:  # a one-line block: `path { size 10M }`
                inner = after.split("}", 1)[0].strip()
                rules.append(LogrotateRule(file, header_line, header, [inner] if inner else []))
                body, header, header_line = None, [], 0
            elif after:
                body.append(after)
            continue
        if line.startswith("/") or line.startswith('"'):
            header += _split_paths(line)
            header_line = header_line or number
        else:
            header_line = 0
    return rules


def _split_paths(text: str) -> list[str]:
    return [p.strip('"') for p in re.findall(r'"[^"]+"|\S+', text)]


def rule_covers(pattern: str, log_dir: str) -> bool:
    """True when a logrotate path pattern matches files directly inside `log_dir`."""
    directory = str(Path(pattern).parent)
    base = Path(pattern).name
    if not fnmatch.fnmatch(log_dir.rstrip("/") or "/", directory.rstrip("/") or "/"):
        return False
    return fnmatch.fnmatch("app.log", base) or "log" in base or base in ("*", "*.*")


def _system_path(root: str, absolute: str) -> Path:
    return Path(root) / absolute.lstrip("/")


def logrotate_files(ctx: CheckContext) -> list[Path]:
    """The logrotate configuration files to read: the system's (under `system_root`) and the project's."""
    root = ctx.settings.system_root
    files: list[Path] = []
    main = _system_path(root, "/etc/logrotate.conf")
    if main.is_file():
        files.append(main)
    conf_d = _system_path(root, "/etc/logrotate.d")
    if conf_d.is_dir():
        files += sorted(p for p in conf_d.iterdir() if p.is_file())
    for base in {ctx.settings.project_dir, ctx.settings.repo_root} - {None}:
        for pattern in PROJECT_LOGROTATE_GLOBS:
            files += sorted(p for p in base.glob(pattern) if p.is_file())  # type: ignore[union-attr]
    return list(dict.fromkeys(files))


ROTATING_HANDLER = re.compile(r"\b(RotatingFileHandler|TimedRotatingFileHandler|ConcurrentRotatingFileHandler)\b"
                              r"(\s*\()?")
LOGURU_ROTATION = re.compile(r"\blogger\.add\s*\(.*\brotation\s*=\s*([^,)]+)")
_SIZE = re.compile(r"\bmaxBytes\s*[=:]\s*([\d_ *]+)")
_WHEN = re.compile(r"\bwhen\s*[=:]\s*[\"']?(\w+)")
_COUNT = re.compile(r"\bbackupCount\s*[=:]\s*(\d+)")


def rotating_handlers(ctx: CheckContext) -> list[dict[str, Any]]:
    """Log handlers in the application's code or logging configuration that rotate their own files.

    `RotatingFileHandler(maxBytes=…)` (maxBytes 0 never rotates), `TimedRotatingFileHandler(when=…)`,
    the same classes in a dictConfig/fileConfig, loguru's `logger.add(…, rotation=…)`.
    """
    found: list[dict[str, Any]] = []
    for doc in evidence_docs(ctx, [APP, CONFIG]):
        if "Rotating" not in doc.text and "rotation" not in doc.text:
            continue
        lines = doc.code_lines()
        for i, (n, line) in enumerate(lines):
            where = f"{doc.rel}:{n}"
            if m := LOGURU_ROTATION.search(line):
                found.append({"where": where, "handler": "loguru", "rotation": m.group(1).strip().strip("\"'")})
                continue
            m = ROTATING_HANDLER.search(line)
            if not m or line.lstrip().startswith(("import ", "from ")):
                continue
            context = " ".join(text for _, text in lines[i:i + 8])
            entry: dict[str, Any] = {"where": where, "handler": m.group(1)}
            if size := _SIZE.search(context):
                try:
                    entry["max_bytes"] = eval_product(size.group(1))
                except ValueError:
                    entry["max_bytes"] = None
            if when := _WHEN.search(context):
                entry["when"] = when.group(1)
            if count := _COUNT.search(context):
                entry["backup_count"] = int(count.group(1))
            if m.group(1) == "RotatingFileHandler" and entry.get("max_bytes") == 0:
                continue  # maxBytes=0 never rolls over
            found.append(entry)
    return found


def eval_product(text: str) -> int:
    """`10 * 1024 * 1024` → 10485760 (a product of integer literals; ValueError otherwise)."""
    value = 1
    for part in text.split("*"):
        part = part.strip().replace("_", "")
        if not part.isdigit():
            raise ValueError(text)
        value *= int(part)
    return value


def _describe_handler(h: dict[str, Any]) -> str:
    if h["handler"] == "loguru":
        return f"loguru rotation={h['rotation']} ({h['where']})"
    parts = []
    if h.get("max_bytes"):
        parts.append(f"maxBytes={h['max_bytes'] // (1024 * 1024)} MB" if h["max_bytes"] >= 1024 * 1024
                     else f"maxBytes={h['max_bytes']}")
    if h.get("when"):
        parts.append(f"when={h['when']}")
    if h.get("backup_count") is not None:
        parts.append(f"backupCount={h['backup_count']}")
    return f"{h['handler']}({', '.join(parts)}) at {h['where']}"


def _docker_rotation(ctx: CheckContext) -> tuple[bool | None, dict[str, Any]]:
    """(rotates?, evidence) from the container's LogConfig, or from daemon.json; None when unknown."""
    from readiness_tui.checks.containers import DockerUnavailable, docker_client

    evidence: dict[str, Any] = {}
    daemon_json = _system_path(ctx.settings.system_root, "/etc/docker/daemon.json")
    daemon_max = None
    if daemon_json.is_file():
        try:
            conf = fileio.read_json(daemon_json, fileio.MAX_CONFIG, "daemon.json")
            daemon_max = (conf.get("log-opts") or {}).get("max-size")
            evidence["daemon_json_log_driver"] = conf.get("log-driver", "json-file")
            evidence["daemon_json_max_size"] = daemon_max
        except (fileio.FileProblem, AttributeError):
            evidence["daemon_json_error"] = f"{daemon_json}: not valid JSON"
    name = str(ctx.param("container", ctx.settings.container))
    try:
        client = docker_client(ctx.settings)
    except DockerUnavailable as exc:
        evidence["docker"] = str(exc)
        return (True if daemon_max else None), evidence
    import docker

    try:
        try:
            container = client.containers.get(name)
        except docker.errors.NotFound:
            evidence["log_container"] = f"{name}: not found"
            return (True if daemon_max else None), evidence
        config = container.attrs.get("HostConfig", {}).get("LogConfig") or {}
        driver = config.get("Type", "")
        opts = config.get("Config") or {}
        evidence.update(log_container=name, log_driver=driver, log_max_size=opts.get("max-size"),
                        log_max_file=opts.get("max-file"))
        if driver in ("json-file", "") and opts.get("max-size"):
            return True, evidence
        if driver in SELF_ROTATING:
            return True, evidence
        return False, evidence
    except docker.errors.DockerException as exc:
        evidence["docker"] = f"Docker API error: {exc}"
        return None, evidence
    finally:
        client.close()


def _static_rotation(ctx: CheckContext) -> tuple[str, str, dict[str, Any], dict[str, Any]] | None:
    """(status, summary, evidence, facts) from the repository: the compose files that deploy the project
    (`logging: options: max-size` per service) and the application's own rotating log handlers; None when
    the repository does not decide it (no production compose file, no rotating handler)."""
    pm = ctx.project_map()
    composes = [c for c in pm.compose_files if not c.dev and c.services]
    services = [(c.path, s) for c in composes for s in c.services]
    handlers = rotating_handlers(ctx)
    evidence: dict[str, Any] = {
        "compose_logging": {f"{path}:{s.name}": ({"driver": s.log_driver, "max_size": s.max_size} if s.logging
                                                 else None) for path, s in services[:30]},
        "rotating_handlers": [_describe_handler(h) for h in handlers[:10]],
    }
    rotating = [(p, s) for p, s in services if s.max_size or (s.log_driver or "") in SELF_ROTATING]
    missing = [(p, s) for p, s in services if (p, s) not in rotating]
    facts: dict[str, Any] = {"compose_without_max_size": sorted(f"{p}:{s.name}" for p, s in missing),
                             "compose_rotating": sorted(f"{p}:{s.name}" for p, s in rotating),
                             "rotating_handlers": handlers[:5]}
    names = ", ".join(s.name for _p, s in missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    files = ", ".join(sorted({p for p, _s in missing}))
    handler = f"the application rotates its own log files: {_describe_handler(handlers[0])}" if handlers else ""
    if services and not missing:
        return ("pass", f"every service of {', '.join(c.path for c in composes)} rotates its logs "
                        f"(logging max-size or a rotating driver)", evidence, facts)
    if services and handler:
        return ("warn", f"{handler}; but compose services {names} ({files}) have no logging max-size, so "
                        "Docker's json-file logs of their output still grow unbounded", evidence, facts)
    if services and rotating:
        return ("warn", f"compose services {names} ({files}) have no logging max-size (the others do): their "
                        "json-file logs grow unbounded", evidence, facts)
    if services:
        return ("fail", f"no log rotation: compose services {names} ({files}) set no logging max-size and Docker's "
                        "json-file logs grow unbounded; add `logging: options: max-size` to each service (or "
                        "log-opts in /etc/docker/daemon.json)", evidence, facts)
    if handler:
        return ("pass", f"{handler}", evidence, facts)
    return None


@check("logs.rotation", "log rotation: Docker log driver max-size (container, daemon.json or compose), the "
       "application's rotating handler, or a logrotate rule covering log_dir",
       params={"container": Param(str, "the container (default: setting container)"),
               "evidence_exclude": exclude_param("the application's log handlers")}, live=True)
def logs_rotation(ctx: CheckContext) -> CheckResult:
    """Item 5.7. The running container's log settings decide when Docker answers; otherwise the repository
    does (compose `logging`, rotating handlers), then a logrotate rule for `log_dir`."""
    docker_ok, evidence = _docker_rotation(ctx)
    name = str(ctx.param("container", ctx.settings.container))
    if docker_ok:
        if evidence.get("log_driver"):
            size = evidence.get("log_max_size")
            how = f"max-size {size}" if size else "rotates on its own"
            return passed(f"container {name} logs with {evidence['log_driver']} ({how})", **evidence).with_facts(
                container=name, driver=evidence["log_driver"], max_size=size)
        return passed(f"daemon.json sets log max-size {evidence.get('daemon_json_max_size')}", **evidence).with_facts(
            daemon_max_size=evidence.get("daemon_json_max_size"))
    log_dir = ctx.settings.log_dir
    if log_dir:
        covering: list[dict[str, Any]] = []
        files = logrotate_files(ctx)
        evidence["logrotate_files_read"] = [str(f) for f in files]
        for f in files:
            try:
                text = fileio.read_text(f, fileio.MAX_CONFIG, "a logrotate file", cut=True)
            except fileio.FileProblem:
                continue
            for rule in parse_logrotate(text, str(f)):
                hits = [p for p in rule.patterns if rule_covers(p, log_dir)]
                if hits:
                    covering.append({"file": rule.file, "line": rule.line, "paths": hits,
                                     "directives": rule.directives[:12]})
        evidence["log_dir"] = log_dir
        evidence["logrotate_rules"] = covering
        if covering:
            first = covering[0]
            return passed(f"logrotate rule for {', '.join(first['paths'])} in {first['file']}:{first['line']}",
                          **evidence).with_facts(log_dir=log_dir, rule=f"{first['file']}:{first['line']}")
        where = "container log driver has no max-size; " if docker_ok is False else ""
        return failed(f"{where}no logrotate rule covers {log_dir}", **evidence).with_facts(log_dir=log_dir, rule=None)
    if docker_ok is False:
        return failed(f"container {name} logs with {evidence.get('log_driver')} without max-size, "
                      "and log_dir is not set", **evidence).with_facts(container=name, driver=evidence.get("log_driver"),
                                                                        max_size=None)
    static = _static_rotation(ctx)
    if static is not None:
        status, summary, more, facts = static
        evidence.update(more)
        why = evidence.get("docker") or evidence.get("log_container")
        if why:
            summary += f" (running container not checked: {why})"
        verdict = {"pass": passed, "warn": warned, "fail": failed}[status]
        return verdict(summary, **evidence).with_facts(**facts)
    return errored("cannot check log rotation: the container's log settings are unknown "
                   f"({evidence.get('docker') or evidence.get('log_container')}), log_dir is not set, and the "
                   "repository has no production compose file or rotating log handler", **evidence
                   ).skipped("no Docker daemon")
