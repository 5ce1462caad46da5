"""Items 1.6 (tracked env files) and 1.7 (`.env` ignored and not tracked), from git itself."""

from __future__ import annotations

import io
import os
from pathlib import Path, PurePosixPath

from readiness_tui import fileio, gitutil
from readiness_tui.checkapi import CheckContext, check
from readiness_tui.model import CheckResult, errored, failed, passed, warned
from readiness_tui.redact import URL_PASSWORD, is_secret_name
from readiness_tui.values import decode_jwt, is_placeholder

TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".tmpl", ".defaults")
MAX_BYTES = 1_000_000


def is_env_like(path: str) -> bool:
    """True for files that hold environment settings: .env, .env.*, *.env, secrets.toml."""
    name = PurePosixPath(path).name.lower()
    return (
        name == ".env"
        or name.startswith(".env.")
        or name.endswith(".env")
        or name == "secrets.toml"
        or name == ".envrc"
    )


def is_template(path: str) -> bool:
    """True for env templates (.env.example & co.), which are meant to be committed."""
    return PurePosixPath(path).name.lower().endswith(TEMPLATE_SUFFIXES)


def looks_secret(value: str) -> bool:
    """True for values that are secrets whatever their name: JWTs, sb_secret_ keys, URLs with passwords."""
    value = value.strip().strip("'\"")
    if value.startswith(("sb_secret_", "sk_live_", "sk-", "ghp_", "xox")) and len(value) > 12:
        return True
    if URL_PASSWORD.search(value):
        pw = URL_PASSWORD.search(value)
        return pw is not None and not is_placeholder(pw["pw"])
    return decode_jwt(value) is not None


def _assignments(path: str, text: str) -> list[tuple[str, str, int]]:
    """(name, value, line) of a tracked env-like file; TOML for secrets.toml, dotenv otherwise."""
    if path.endswith(".toml"):
        try:
            data = fileio.parse_toml(text, path)
        except fileio.FileProblem:
            data = None
        if data is not None:
            out: list[tuple[str, str, int]] = []

            def walk(prefix: str, node: object) -> None:
                if isinstance(node, dict):
                    for k, v in node.items():
                        walk(f"{prefix}.{k}" if prefix else str(k), v)
                elif isinstance(node, str):
                    line = next((n for n, ln in enumerate(text.splitlines(), 1)
                                 if prefix.rsplit(".", 1)[-1] in ln and node in ln), 0)
                    out.append((prefix, node, line))

            walk("", data)
            return out
    from dotenv.parser import parse_stream

    return [(b.key, b.value or "", b.original.line) for b in parse_stream(io.StringIO(text))
            if b.key is not None and not b.error]


def tracked_env_findings(root: Path, files: list[str]) -> list[dict[str, object]]:
    """Env-like tracked files holding real (non-placeholder) secret values: file, variable names, lines."""
    findings = []
    for rel in files:
        if not is_env_like(rel):
            continue
        path = root / rel
        try:
            raw: bytes | None = fileio.read_bytes(path, MAX_BYTES, "an env file", cut=True)
        except fileio.FileProblem:  # deleted from the work tree (still tracked), or not a file there
            raw = gitutil.show_head(root, rel, MAX_BYTES)
        if raw is None:
            continue
        text = raw.decode("utf-8", "replace")
        template = is_template(rel)
        names, lines = [], []
        for name, value, line in _assignments(rel, text):
            if not value.strip() or is_placeholder(value):
                continue
            secretish = looks_secret(value) or (not template and is_secret_name(name.rsplit(".", 1)[-1]))
            if secretish:
                names.append(name)
                lines.append(line)
        if names:
            findings.append({"file": rel, "variables": names, "lines": lines, "template": template})
    return findings


def _describe(findings: list[dict[str, object]]) -> str:
    parts = [f"{f['file']} ({', '.join(f['variables'])})" for f in findings[:4]]  # type: ignore[arg-type]
    more = f" and {len(findings) - 4} more" if len(findings) > 4 else ""
    return "; ".join(parts) + more


@check("git.tracked_env_secrets", "No env-like file tracked by git (.env*, secrets.toml) holds real secret values")
def tracked_env_secrets(ctx: CheckContext) -> CheckResult:
    root = ctx.settings.repo_root
    if root is None and ctx.settings.repo_note:
        return errored(ctx.settings.repo_note)
    if root is None:
        return warned("not a git repository: cannot tell which env files would be committed")
    files = gitutil.tracked_files(root)
    findings = tracked_env_findings(root, files)
    env_like = [f for f in files if is_env_like(f)]
    evidence = {"repository": str(root), "tracked_env_files": env_like, "findings": findings}
    if findings:
        return failed(f"tracked env files hold real values: {_describe(findings)}; "
                      "remove them from git (git rm --cached) and rotate those keys", **evidence)
    return passed(f"{len(env_like)} tracked env-like file(s), none with real secret values", **evidence)


@check("git.env_ignored", ".env is ignored by .gitignore, not tracked, never committed; no other env file with real values tracked")
def env_ignored(ctx: CheckContext) -> CheckResult:
    settings = ctx.settings
    root = settings.repo_root
    if root is None and settings.repo_note:
        return errored(settings.repo_note)
    if root is None:
        return warned(f"{settings.project_dir} is not a git repository: cannot verify that .env stays out of git")
    rel = Path(os.path.relpath(settings.env_file, root)).as_posix()
    evidence: dict[str, object] = {"repository": str(root), "env_file": rel}
    tracked = gitutil.is_tracked(root, rel)
    rule = gitutil.ignore_rule(root, rel)
    evidence.update(tracked=tracked, ignore_rule=rule)
    if tracked:
        return failed(f"{rel} is tracked by git: run `git rm --cached {rel}`, commit, and rotate every key in it",
                      **evidence)
    if rule is None:
        return failed(f"{rel} is not ignored by git: add `.env` to .gitignore", **evidence)
    others = [f for f in tracked_env_findings(root, gitutil.tracked_files(root)) if not f["template"]]
    evidence["other_env_files"] = others
    if others:
        return failed(f"{rel} is ignored, but other env files with real values are tracked: {_describe(others)}",
                      **evidence)
    past = gitutil.last_commit_touching(root, rel)
    if past:
        evidence["in_history"] = past
        return warned(f"{rel} is ignored and untracked, but was committed before ({past}): rotate the keys it held",
                      **evidence)
    source, _, pattern = rule.rpartition(":")
    return passed(f"{rel} is ignored ({source} `{pattern}`) and not tracked", **evidence)
