"""Items 1.6 (tracked env files) and 1.7 (`.env` ignored and not tracked), from git itself."""

from __future__ import annotations

import io
import os
import shlex
from pathlib import Path, PurePosixPath

from readiness_tui import fileio, gitutil
from readiness_tui.checkapi import CheckContext, check
from readiness_tui.model import CheckResult, errored, failed, passed, warned
from readiness_tui.redact import URL_PASSWORD, is_secret_name
from readiness_tui.values import decode_jwt, is_dev_password, is_fake, is_placeholder, is_reference

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
    """True for values that are secrets whatever their name: JWTs (not the public anon key), sb_secret_
    keys, URLs with a real password (not a local default such as postgres:postgres)."""
    value = value.strip().strip("'\"")
    if value.startswith(("sb_secret_", "sk_live_", "sk-", "ghp_", "xox")) and len(value) > 12:
        return not is_fake(value)
    pw = URL_PASSWORD.search(value)
    if pw is not None:
        return not is_placeholder(pw["pw"]) and not is_dev_password(pw["pw"], pw["user"])
    decoded = decode_jwt(value)
    return decoded is not None and decoded[1].get("role") != "anon"


def _real_value(name: str, value: str, template: bool) -> bool:
    """A value of a tracked env-like file that is a real secret (by format anywhere; by name outside
    templates, when it is not made up — `SECRET_KEY=test-secret` in `.env.test` is not)."""
    if looks_secret(value):
        return True
    if template or not is_secret_name(name.rsplit(".", 1)[-1]):
        return False
    v = value.strip().strip("'\"")
    return not is_fake(v) and not is_dev_password(v) and not is_reference(v)


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
            if _real_value(name, value, template):
                names.append(name)
                lines.append(line)
        if names:
            findings.append({"file": rel, "variables": names, "lines": lines, "template": template})
    return findings


def _describe(findings: list[dict[str, object]]) -> str:
    parts = [f"{f['file']} ({', '.join(f['variables'])})" for f in findings[:4]]  # type: ignore[arg-type]
    more = f" and {len(findings) - 4} more" if len(findings) > 4 else ""
    return "; ".join(parts) + more


def _untrack_command(paths: list[str]) -> str:
    return "git rm --cached " + " ".join(shlex.quote(p) for p in paths)


@check("git.tracked_env_secrets", "No env-like file tracked by git (.env*, secrets.toml) holds real secret values")
def tracked_env_secrets(ctx: CheckContext) -> CheckResult:
    root = ctx.settings.repo_root
    if root is None and ctx.settings.repo_note:
        return errored(ctx.settings.repo_note)
    if root is None:
        return warned("not a git repository: cannot tell which env files would be committed").with_facts(
            repository=False)
    files = gitutil.tracked_files(root)
    findings = tracked_env_findings(root, files)
    env_like = [f for f in files if is_env_like(f)]
    evidence = {"repository": str(root), "tracked_env_files": env_like, "findings": findings}
    facts = {"tracked_env_files": env_like,
             "with_real_values": [{"file": f["file"], "variables": f["variables"]} for f in findings]}
    if findings:
        paths = [str(f["file"]) for f in findings]
        evidence["untrack"] = paths
        return failed(f"tracked env files hold real values: {_describe(findings)}; untrack them "
                      f"(`{_untrack_command(paths)}` from the repository root) and rotate those keys",
                      **evidence).with_facts(**facts)
    return passed(f"{len(env_like)} tracked env-like file(s), none with real secret values", **evidence).with_facts(
        **facts)


#: One name of each kind of env file a `.env.*` rule must keep out of git (relative to the project
#: directory); each is tested with `git check-ignore`, since `.env` alone proves nothing of the rest.
IGNORE_PROBES = (".env.local", ".env.production", ".env.prod", ".env.staging", ".env.development", ".env.backup",
                 ".env.bak", ".env.old", ".env.save")
#: Probed too, reported but never decisive unless such a file exists unignored.
OPTIONAL_PROBES = (".streamlit/secrets.toml",)
#: The template must stay committable (`!.env.example`).
TEMPLATE_PROBE = ".env.example"


def _rel(root: Path, path: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


@check("git.env_ignored", ".env and every other kind of env file (.env.production, .env.backup, …) ignored by "
       ".gitignore, none tracked with real values, .env never committed")
def env_ignored(ctx: CheckContext) -> CheckResult:
    """Item 1.7: `git check-ignore` on `.env` and on a name of each kind (`.env.production`,
    `.env.backup`, …), the tracked env files named with the command that untracks them."""
    settings = ctx.settings
    root = settings.repo_root
    if root is None and settings.repo_note:
        return errored(settings.repo_note)
    if root is None:
        return warned(f"{settings.project_dir} is not a git repository: cannot verify that .env stays out of git"
                      ).with_facts(repository=False)
    rel = _rel(root, settings.env_file)
    tracked = gitutil.is_tracked(root, rel)
    rule = gitutil.ignore_rule(root, rel)
    probes: dict[str, str | None] = {}
    for name in IGNORE_PROBES + OPTIONAL_PROBES:
        probes[_rel(root, settings.project_dir / name)] = gitutil.ignore_rule(root, _rel(root, settings.project_dir / name))
    template = _rel(root, settings.project_dir / TEMPLATE_PROBE)
    optional = {_rel(root, settings.project_dir / n) for n in OPTIONAL_PROBES}
    not_ignored = [p for p, r in probes.items() if r is None and p not in optional]
    present = [p for p, r in probes.items() if r is None and (root / p).is_file() and not gitutil.is_tracked(root, p)]
    others = [f for f in tracked_env_findings(root, gitutil.tracked_files(root)) if not f["template"]]
    untrack = ([rel] if tracked else []) + [str(f["file"]) for f in others]
    past = None if tracked else gitutil.last_commit_touching(root, rel)
    facts = {"env_file": rel, "tracked": tracked, "ignored": rule is not None, "not_ignored": not_ignored,
             "unignored_present": present, "tracked_with_values": [str(f["file"]) for f in others],
             "in_history": past is not None}
    evidence: dict[str, object] = {
        "repository": str(root), "env_file": rel, "tracked": tracked, "ignore_rule": rule, "ignore_probe": probes,
        "not_ignored": not_ignored, "unignored_present": present, "other_env_files": others, "untrack": untrack,
        "template_ignored": gitutil.ignore_rule(root, template) is not None}
    if past:
        evidence["in_history"] = past
    if tracked:
        return failed(f"{rel} is tracked by git: run `{_untrack_command(untrack)}` from the repository root, commit, "
                      "and rotate every key in it", **evidence).with_facts(**facts)
    if rule is None:
        return failed(f"{rel} is not ignored by git: add `.env` and `.env.*` (keeping `!.env.example`) to .gitignore",
                      **evidence).with_facts(**facts)
    if others:
        return failed(f"{rel} is ignored, but other env files with real values are tracked: {_describe(others)}; "
                      f"run `{_untrack_command(untrack)}` from the repository root and rotate their keys",
                      **evidence).with_facts(**facts)
    if present:
        return failed(f"{rel} is ignored, but {', '.join(present)} is not and would be committed by `git add -A`: "
                      "add `.env.*` (keeping `!.env.example`) to .gitignore", **evidence).with_facts(**facts)
    if past:
        return warned(f"{rel} is ignored and untracked, but was committed before ({past}): rotate the keys it held",
                      **evidence).with_facts(**facts)
    source, _, pattern = rule.rpartition(":")
    if not_ignored:
        shown = ", ".join(PurePosixPath(p).name for p in not_ignored[:4]) + (" …" if len(not_ignored) > 4 else "")
        return warned(f"{rel} is ignored ({source} `{pattern}`), but {shown} would not be: add `.env.*` "
                      "(keeping `!.env.example`) to .gitignore", **evidence).with_facts(**facts)
    return passed(f"{rel} is ignored ({source} `{pattern}`), as is every kind of env file probed "
                  f"({len(IGNORE_PROBES)}); none tracked", **evidence).with_facts(**facts)
