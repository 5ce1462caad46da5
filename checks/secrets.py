"""Secret checks: the repository scan (1.6), secrets only from the environment (3.4), rotated keys (3.5).

The scan runs once per run: 1.6 and 3.4 share it through `ctx.shared` (they run concurrently, so
the memo is guarded by a lock). Evidence names files, lines, rules and keys; values appear only
as `redact.preview()`s.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import (
    CheckResult,
    Measurement,
    Status,
    errored,
    failed,
    not_applicable,
    passed,
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
    return {"findings": [{"file": k[0], "rule": k[1], "severity": k[2], "count": n}
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
        return errored(str(exc))
    return _judge(result, list(result.findings), "tracked file(s)")


@check("secrets.config_files", "code and config files hold no secrets: values come from the environment",
       timeout=300,
       params=SCAN_PARAMS)
def secrets_config_files(ctx: CheckContext) -> CheckResult:
    """Item 3.4: the same scan, limited to code and configuration files (not env files or prose)."""
    try:
        result = shared_scan(ctx)
    except BadParam as exc:
        return errored(str(exc))
    findings = [f for f in result.findings
                if not is_env_file(f.file) and PurePosixPath(f.file).suffix.lower() not in PROSE_SUFFIXES]
    res = _judge(result, findings, "code and config file(s)")
    res.evidence["scope"] = "tracked files except env files (.env*) and prose (" + \
        ", ".join(sorted(PROSE_SUFFIXES)) + ")"
    return res


# ---------------------------------------------------------------------------------------------
# 3.5 keys rotated
# ---------------------------------------------------------------------------------------------

def _is_backup_env(name: str) -> bool:
    lowered = name.lower()
    return (lowered.startswith(".env") and lowered not in (".env",) + COMPARE_ENV_FILES
            and any(m in lowered for m in _BACKUP_MARKERS)) or lowered.endswith(".env.bak")


def _comparison_files(ctx: CheckContext) -> list[Path]:
    from readiness_tui import gitutil

    settings = ctx.settings
    paths: list[Path] = []
    for base in (settings.project_dir, settings.repo_root):
        if base is None:
            continue
        for name in COMPARE_ENV_FILES:
            p = base / name
            if p.is_file() and p not in paths:
                paths.append(p)
    root = settings.repo_root
    if root is not None:
        for rel in gitutil.tracked_files(root):
            p = root / rel
            if _is_backup_env(PurePosixPath(rel).name) and p.is_file() and p not in paths:
                paths.append(p)
    return paths


def demo_key_reason(value: str) -> str | None:
    """Why a value is a known public key (Supabase self-hosted demo, documentation keys), or None."""
    from readiness_tui.values import KNOWN_PUBLIC_VALUES, decode_jwt

    if value in KNOWN_PUBLIC_VALUES:
        return "a published documentation key"
    decoded = decode_jwt(value) if value.count(".") == 2 else None
    if decoded is not None and decoded[1].get("iss") == "supabase-demo":
        return "the public self-hosted Supabase demo key"
    return None


@check("secrets.rotated", ".env secrets differ from example/dev env files and from public demo keys")
def secrets_rotated(ctx: CheckContext) -> CheckResult:
    """Item 3.5: a secret equal to the same key in `.env.example`, a dev or backup env file fails."""
    from readiness_tui.errors import UsageError
    from readiness_tui.settings import parse_env_file

    settings = ctx.settings
    if not settings.env_file.is_file():
        return not_applicable("no .env in the project: nothing to compare (item 1.1 covers creating it)")
    env = settings.env
    secret_keys = sorted(k for k, v in env.items() if v and is_secret_name(k))
    base = settings.repo_root or settings.project_dir
    compared: list[str] = []
    unreadable: list[str] = []
    same: list[dict[str, str]] = []
    for path in _comparison_files(ctx):
        try:
            rel = str(path.relative_to(base))
        except ValueError:
            rel = str(path)
        try:
            other = {e.key: e.value for e in parse_env_file(path)}
        except UsageError:
            unreadable.append(rel)
            continue
        compared.append(rel)
        for key in secret_keys:
            if other.get(key) == env[key]:
                same.append({"key": key, "same_as": rel})
    demo = [{"key": k, "why": why} for k, v in sorted(env.items()) if v and (why := demo_key_reason(v))]
    evidence: dict[str, Any] = {
        "keys_checked": secret_keys,
        "compared_with": compared,
        "unrotated": same,
        "demo_keys": demo,
    }
    if unreadable:
        evidence["unparsable_env_files"] = unreadable
    problems = [f"{d['key']} equals {d['same_as']}" for d in same] + [f"{d['key']} is {d['why']}" for d in demo]
    if problems:
        shown = "; ".join(problems[:4]) + (f" and {len(problems) - 4} more" if len(problems) > 4 else "")
        return CheckResult(Status.FAIL, f"{len(problems)} key(s) not rotated: {shown}", evidence)
    if not compared:
        return passed(f"{len(secret_keys)} secret value(s) in .env, none a public demo key "
                      "(no .env.example, dev or backup env file to compare with)", **evidence)
    return passed(f"{len(secret_keys)} secret value(s) in .env differ from {', '.join(compared)}; "
                  "no public demo key", **evidence)
