"""Secret checks: the repository scan (1.6), secrets only from the environment (3.4), rotated keys (3.5).

The scan runs once per run: 1.6 and 3.4 share it through `ctx.shared` (they run concurrently, so
the memo is guarded by a lock). Evidence names files, lines, rules and keys; values appear only
as `redact.preview()`s.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from readiness_tui import fileio
from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import (
    CheckResult,
    Measurement,
    Status,
    errored,
    failed,
    passed,
    pending,
    warned,
)
from readiness_tui.redact import is_secret_name

#: Findings listed in evidence at most (the counts always cover all of them).
MAX_LISTED = 200
#: Extensions of prose files: 1.6 scans them (leaks hide in runbooks), 3.4 is about code and config.
PROSE_SUFFIXES = {".md", ".markdown", ".rst", ".txt", ".adoc"}
#: Env files compared with `.env` by item 3.5 (besides tracked backups such as `.env.backup`).
COMPARE_ENV_FILES = (".env.example", ".env.development", ".env.local")
_BACKUP_MARKERS = ("backup", "bak", "old", "orig", "save", "copy")


#: Parameters of the repository scan (1.6 and 3.4 share one scan).
SCAN_PARAMS = {
    "max_file_bytes": Param(int, "tracked files larger than this are counted and skipped (default: 2 MiB)"),
    "exclude": Param(list[str], "fnmatch globs of tracked files not to scan, e.g. [\"tests/fixtures/*\"]", []),
}


class BadParam(ValueError):
    """A checklist parameter of the scan is malformed."""


@dataclass
class _Memo:
    lock: threading.Lock = field(default_factory=threading.Lock)
    result: Any = None


def shared_scan(ctx: CheckContext) -> Any:
    """The repository scan of this run (computed once, shared by 1.6 and 3.4)."""
    from readiness_tui import scanner

    root = ctx.settings.repo_root or ctx.settings.project_dir
    max_bytes = ctx.param("max_file_bytes", scanner.MAX_FILE_BYTES)
    if max_bytes <= 0:
        raise BadParam(f"param max_file_bytes must be a positive integer, not {max_bytes!r}")
    exclude = tuple(ctx.param("exclude"))
    key = f"secrets.scan:{root}:{max_bytes}:{exclude}"
    memo = ctx.shared.setdefault(key, _Memo())
    with memo.lock:
        if memo.result is None:
            memo.result = scanner.scan(root, project_dir=ctx.settings.project_dir, max_bytes=max_bytes,
                                       exclude=exclude, progress=ctx.progress)
        return memo.result


def is_env_file(relpath: str) -> bool:
    """True for `.env`, `.env.*`, `*.env` files (item 1.7's business, not code or config)."""
    name = PurePosixPath(relpath).name
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")


def _skipped_phrase(skipped: dict[str, int]) -> str:
    total = sum(skipped.values())
    if not total:
        return ""
    parts = ", ".join(f"{n} {k.replace('non_utf8', 'non-UTF-8').replace('huge', 'over 2 MB')}"
                      for k, n in skipped.items() if n)
    return f"; {total} file(s) skipped ({parts})"


def _evidence(result: Any, findings: list[Any]) -> dict[str, Any]:
    from readiness_tui.scanner import SEVERITIES

    counts = {s: 0 for s in SEVERITIES}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return {
        "findings": [f.to_dict() for f in findings[:MAX_LISTED]],
        "findings_total": len(findings),
        "severity_counts": counts,
        "files_scanned": result.files_scanned,
        "bytes_scanned": result.bytes_scanned,
        "skipped": dict(result.skipped),
        "skipped_examples": {k: list(v) for k, v in result.skipped_examples.items()},
        "allowlisted_inline": result.allowlisted,
        "baselined": result.baselined,
        "baseline_files": list(result.baseline_files),
        "known_values_from": list(result.known_values_from),
        "file_source": result.source,
        "scan_ms": round(result.duration_s * 1000),
    }


def _facts(findings: list[Any]) -> dict[str, Any]:
    """What decides 1.6 / 3.4: which rules fired in which files at which severity (not line numbers,
    which move with every edit above them, and never a value or its hash)."""
    counted: dict[tuple[str, str, str], int] = {}
    for f in findings:
        key = (f.file, f.rule, f.severity)
        counted[key] = counted.get(key, 0) + 1
    # `path`, not `file`: the SARIF writer locates results by the `file` entries of the evidence,
    # which carry line numbers; these do not.
    return {"findings": [{"path": k[0], "rule": k[1], "severity": k[2], "count": n}
                         for k, n in sorted(counted.items())]}


def _where(findings: list[Any], limit: int = 3) -> str:
    shown = ", ".join(f"{f.rule} at {f.file}:{f.line}" for f in findings[:limit])
    more = len(findings) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _size(n: int) -> str:
    """Bytes for a summary: "0.0 MB" for a small repository read like nothing was scanned."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{max(1, round(n / 1000))} kB" if n else "0 bytes"


def _judge(result: Any, findings: list[Any], scope: str) -> CheckResult:
    from readiness_tui.scanner import BLOCKING

    serious = [f for f in findings if f.severity in BLOCKING]
    low = [f for f in findings if f.severity == "low"]
    public = [f for f in findings if f.severity == "info"]
    evidence = _evidence(result, findings)
    skipped = _skipped_phrase(result.skipped)
    noted = (f"; {len(public)} public key(s) noted, informational ({_where(public, 2)})" if public else "")
    if serious:
        worst = serious[0].severity
        res = failed(f"{len(serious)} hardcoded secret(s) in {scope} (worst: {worst}): {_where(serious)}"
                     f"{skipped}", **evidence)
    elif low:
        res = warned(f"no secrets in {scope}, but {len(low)} low-severity finding(s) to look at "
                     f"({_where(low, 2)}){noted}{skipped}", **evidence)
    else:
        res = passed(f"no hardcoded secrets in {result.files_scanned} {scope} ({_size(result.bytes_scanned)} scanned)"
                     f"{noted}{skipped}", **evidence)
    res.measurements["secret_findings"] = Measurement(float(len(serious)), str(len(serious)))
    return res.with_facts(scope=scope, **_facts(findings))


@check("secrets.scan", "no hardcoded secrets in the files git tracks (repository-wide scan)", timeout=300,
       params=SCAN_PARAMS)
def secrets_scan(ctx: CheckContext) -> CheckResult:
    """Item 1.6: every tracked file — code, config and prose — scanned for secrets."""
    try:
        result = shared_scan(ctx)
    except BadParam as exc:
        return errored(str(exc)).with_facts(bad_param="max_file_bytes")
    return _judge(result, list(result.findings), "tracked file(s)")


@check("secrets.config_files", "code and config files hold no secrets: values come from the environment",
       timeout=300,
       params=SCAN_PARAMS)
def secrets_config_files(ctx: CheckContext) -> CheckResult:
    """Item 3.4: the same scan, limited to code and configuration files (not env files or prose)."""
    try:
        result = shared_scan(ctx)
    except BadParam as exc:
        return errored(str(exc)).with_facts(bad_param="max_file_bytes")
    findings = [f for f in result.findings
                if not is_env_file(f.file) and PurePosixPath(f.file).suffix.lower() not in PROSE_SUFFIXES]
    res = _judge(result, findings, "code and config file(s)")
    res.evidence["scope"] = "tracked files except env files (.env*) and prose (" + \
        ", ".join(sorted(PROSE_SUFFIXES)) + ")"
    return res


# ---------------------------------------------------------------------------------------------
# 3.5 keys rotated
# ---------------------------------------------------------------------------------------------

#: Tracked compose files, whose `environment:` entries repeat keys (`POSTGRES_PASSWORD: …`).
_COMPOSE = re.compile(r"^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$", re.IGNORECASE)
_COMPOSE_ENTRY = re.compile(r"""^\s*(?:-\s*)?["']?(?P<key>[A-Za-z_][A-Za-z0-9_]*)["']?\s*[:=]\s*"""
                            r"""(?P<q>["']?)(?P<value>[^"'#\s][^"'#]*?)(?P=q)\s*(?:#.*)?$""")
_TEMPLATE_MARKERS = (".example", ".sample", ".template", ".dist", ".tmpl", ".defaults")


@dataclass
class _EnvSource:
    """An env-like file whose values 3.5 compares: a template, a dev file, a backup or a compose file."""

    rel: str
    kind: str  # "template" | "dev" | "backup" | "compose"
    values: dict[str, str]
    tracked: bool


def _is_backup_env(name: str) -> bool:
    """A copy of production settings: `.env.backup*`, `.env.production`, `.env.prod.bak`, `prod.env`, …"""
    lowered = name.lower()
    if lowered == ".env" or lowered in COMPARE_ENV_FILES or lowered.endswith(_TEMPLATE_MARKERS):
        return False
    return lowered.startswith(".env.") or lowered.endswith(".env") or lowered.endswith(".env.bak")


def _env_values(path: Path) -> dict[str, str] | None:
    from readiness_tui.errors import UsageError
    from readiness_tui.settings import parse_env_file

    try:
        return {e.key: e.value for e in parse_env_file(path)}
    except UsageError:
        return None


def _compose_values(path: Path) -> dict[str, str]:
    from readiness_tui.values import shell_default

    out: dict[str, str] = {}
    try:
        lines = fileio.read_text(path, fileio.MAX_TEXT, "a compose file", cut=True).splitlines()[:5000]
    except fileio.FileProblem:
        return out
    for line in lines:
        m = _COMPOSE_ENTRY.match(line)
        if m:
            value = m["value"].strip()
            out[m["key"]] = shell_default(value) if shell_default(value) is not None else value  # type: ignore[assignment]
    return out


def _env_sources(ctx: CheckContext) -> tuple[list[_EnvSource], list[str]]:
    """The files 3.5 compares with `.env` (and with each other), and the ones it could not parse."""
    from readiness_tui import gitutil

    settings = ctx.settings
    base = settings.repo_root or settings.project_dir
    sources: list[_EnvSource] = []
    unreadable: list[str] = []
    seen: set[Path] = set()

    def rel_of(path: Path) -> str:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            return str(path)

    def add(path: Path, kind: str, tracked: bool) -> None:
        if path in seen or not path.is_file() or path == settings.env_file:
            return
        seen.add(path)
        values = _compose_values(path) if kind == "compose" else _env_values(path)
        if values is None:
            unreadable.append(rel_of(path))
        else:
            sources.append(_EnvSource(rel_of(path), kind, values, tracked))

    root = settings.repo_root
    tracked = gitutil.tracked_files(root) if root is not None else []
    for rel in tracked:
        name = PurePosixPath(rel).name
        assert root is not None
        if _is_backup_env(name):
            add(root / rel, "backup", True)
        elif name.lower().startswith(".env") and name.lower().endswith(_TEMPLATE_MARKERS):
            add(root / rel, "template", True)
        elif _COMPOSE.match(name):
            add(root / rel, "compose", True)
    for directory in (settings.project_dir, settings.repo_root):
        if directory is None:
            continue
        for name in COMPARE_ENV_FILES:
            add(directory / name, "template" if name == ".env.example" else "dev", False)
    return sources, unreadable


def demo_key_reason(value: str) -> str | None:
    """Why a value is a known public key (Supabase self-hosted demo, documentation keys), or None."""
    from readiness_tui.values import KNOWN_PUBLIC_VALUES, decode_jwt

    if value in KNOWN_PUBLIC_VALUES:
        return "a published documentation key"
    decoded = decode_jwt(value) if value.count(".") == 2 else None
    if decoded is not None and decoded[1].get("iss") == "supabase-demo":
        return "the public self-hosted Supabase demo key"
    return None


def _secrets_of(values: dict[str, str], made_up: bool = True) -> dict[str, str]:
    """The secret values of an env file: secret-named keys and URL passwords, without placeholders,
    references or public keys (`KEY` or `KEY (password)` → value); made-up values (`test-key-123`)
    only when `made_up` — equal in `.env` and a dev file, even they are unrotated dev values."""
    from urllib.parse import unquote

    from readiness_tui.redact import URL_PASSWORD
    from readiness_tui.values import decode_jwt, is_fake, is_placeholder, is_reference

    out: dict[str, str] = {}
    for key, value in values.items():
        v = value.strip()
        if not v or is_placeholder(v) or is_reference(v):
            continue
        m = URL_PASSWORD.search(v)
        if m:
            pw = unquote(m["pw"])
            if pw and not is_placeholder(pw) and not is_reference(pw):
                out[f"{key} (password)"] = pw
            continue
        if not is_secret_name(key) or len(v) < 6 or (not made_up and is_fake(v)):
            continue
        decoded = decode_jwt(v) if v.count(".") == 2 else None
        if (decoded is not None and decoded[1].get("role") == "anon") or v.startswith("sb_publishable_"):
            continue  # public by design: the same anon key everywhere is no rotation problem
        out[key] = v
    return out


def _production_looking(key: str, value: str) -> bool:
    """A value that would be a finding in a config file: a real key, not a local default."""
    from readiness_tui import scanner
    from readiness_tui.values import is_dev_password

    if key.endswith(" (password)"):
        return not is_dev_password(value) and len(value) >= 6
    found, _ = scanner.scan_bytes(f"{key}={value}\n".encode(), ".env.production", ())
    return any(f.severity in scanner.BLOCKING for f in found)


@check("secrets.rotated", "production keys differ from example, dev, backup and compose files and from public "
       "demo keys; no tracked env backup holds production keys")
def secrets_rotated(ctx: CheckContext) -> CheckResult:
    """Item 3.5, never not applicable: with `.env`, a secret equal to the same value in an example,
    dev, backup or compose file, a development default or a public demo key fails; without it,
    the tracked env backups and compose files are compared with each other and with demo keys, and
    a tracked backup holding production-looking keys fails (they are exposed until rotated)."""
    from readiness_tui.values import DEV_PASSWORDS

    settings = ctx.settings
    sources, unreadable = _env_sources(ctx)
    compared = [s.rel for s in sources]
    has_env = settings.env_file.is_file()
    current = _secrets_of(settings.env) if has_env else {}
    same: list[dict[str, str]] = []
    for key, value in sorted(current.items()):
        for src in sources:
            hits = [k for k, v in _secrets_of(src.values).items() if v == value]
            if hits:
                same.append({"key": key, "same_as": src.rel})
    dev = [{"key": k, "why": "a development default"} for k, v in sorted(current.items())
           if ("pass" in k.lower() or "pwd" in k.lower()) and v.lower() in DEV_PASSWORDS]
    demo = [{"key": k, "why": why} for k, v in sorted(settings.env.items()) if has_env and v
            and (why := demo_key_reason(v))]
    demo += [{"key": k, "why": why, "file": src.rel} for src in sources if src.kind in ("backup", "compose")
             for k, v in sorted(src.values.items()) if v and (why := demo_key_reason(v))]
    exposed: list[dict[str, Any]] = []
    shared: list[dict[str, str]] = []
    if not has_env:
        backups = [s for s in sources if s.kind == "backup" and s.tracked]
        for src in backups:
            keys = sorted(k for k, v in _secrets_of(src.values, made_up=False).items() if _production_looking(k, v))
            if keys:
                exposed.append({"file": src.rel, "keys": keys})
        for i, a in enumerate(sources):
            mine = _secrets_of(a.values)
            for b in sources[i + 1:]:
                if "backup" not in (a.kind, b.kind):
                    continue
                theirs = _secrets_of(b.values)
                for key, value in sorted(mine.items()):
                    if value in theirs.values() and _production_looking(key, value):
                        shared.append({"key": key, "file": a.rel, "same_as": b.rel})
    facts: dict[str, Any] = {"env_file": has_env, "compared_with": compared, "unrotated": same,
                             "development_defaults": dev, "demo_keys": demo, "exposed_in_git": exposed,
                             "shared_between_files": shared}
    evidence: dict[str, Any] = {"keys_checked": sorted(current), **facts}
    if unreadable:
        evidence["unparsable_env_files"] = unreadable
    problems = ([f"{d['key']} equals {d['same_as']}" for d in same] + [f"{d['key']} is {d['why']}" for d in dev]
                + [f"{d['key']} is {d['why']}" + (f" (in {d['file']})" if "file" in d else "") for d in demo]
                + [f"{e['file']} holds production keys ({', '.join(e['keys'][:4])}) in git" for e in exposed]
                + [f"{d['key']} of {d['file']} equals {d['same_as']}" for d in shared])
    if problems:
        shown = "; ".join(problems[:4]) + (f" and {len(problems) - 4} more" if len(problems) > 4 else "")
        advice = ("rotate them at each provider" + (", then untrack the file (git rm --cached)" if exposed else ""))
        return CheckResult(Status.FAIL, f"{len(problems)} key problem(s): {shown}: {advice}", evidence).with_facts(**facts)
    if not has_env:
        what = (f"compared {', '.join(compared[:4])}{' and more' if len(compared) > 4 else ''}: no production key "
                "in git, none shared, no demo key" if compared else "no tracked env backup or compose file either")
        return pending(f"no .env here to compare ({what}); a person confirms the production keys were rotated "
                       "from the development ones", **evidence).with_facts(**facts)
    if not compared:
        return passed(f"{len(current)} secret value(s) in .env, none a public demo key or development default "
                      "(no .env.example, dev, backup or compose file to compare with)", **evidence).with_facts(**facts)
    return passed(f"{len(current)} secret value(s) in .env differ from {', '.join(compared[:4])}"
                  f"{' and more' if len(compared) > 4 else ''}; no public demo key or development default",
                  **evidence).with_facts(**facts)
