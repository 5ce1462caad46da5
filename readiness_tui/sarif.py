"""SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps): a check run and a secret scan.

`check`: one rule per checklist item; each failing or erroring item (an expired waiver or a
decision that does not count leaves the machine's verdict) is a result at the file and line of
its evidence when it names one. Code scanning refuses a whole file when one result has no
location, so an item whose evidence names no file (a URL probe, a database query) is located at
the project's `readiness.toml`, where its target is described, or else at the decisions file,
where a waiver for it would go; `properties.located` says which.

`secrets scan`: one rule per kind of secret, one result per finding at its file and line; the
value never appears (not even a preview).

Paths are relative to the repository root (the project directory outside git), under the
`%SRCROOT%` base, as upload-sarif expects. Text from outside goes through `neutral.one_line`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from readiness_tui import __version__
from readiness_tui.neutral import one_line

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
TOOL = "readiness-tui"


def _uri(path: Path) -> str:
    from urllib.parse import quote

    return quote(path.as_posix(), safe="/")


def _log(runs: list[dict[str, Any]]) -> str:
    return json.dumps({"$schema": SCHEMA_URI, "version": VERSION, "runs": runs}, indent=2, ensure_ascii=False) + "\n"


def _run(rules: list[dict[str, Any]], results: list[dict[str, Any]], base: Path, category: str) -> dict[str, Any]:
    return {
        "tool": {"driver": {"name": TOOL, "version": __version__, "semanticVersion": __version__, "rules": rules}},
        "automationDetails": {"id": f"{category}/"},
        "originalUriBaseIds": {SRCROOT: {"uri": base.resolve().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }


def _location(relpath: Path, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(relpath), "uriBaseId": SRCROOT}}
    if line and line > 0:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


# ---- check -----------------------------------------------------------------------------------


def _file_refs(value: Any, found: list[tuple[str, int | None]], depth: int = 0) -> None:
    """Every {"file": …, "line"/"lines": …} inside evidence, in order (bounded depth)."""
    if depth > 6 or len(found) >= 50:
        return
    if isinstance(value, dict):
        name = value.get("file")
        if isinstance(name, str) and name.strip():
            line = value.get("line")
            lines = value.get("lines")
            if not isinstance(line, int) and isinstance(lines, list) and lines and isinstance(lines[0], int):
                line = lines[0]
            found.append((name, line if isinstance(line, int) and not isinstance(line, bool) else None))
        for inner in value.values():
            _file_refs(inner, found, depth + 1)
    elif isinstance(value, list):
        for inner in value[:50]:
            _file_refs(inner, found, depth + 1)


def _relative(name: str, project: Path, base: Path) -> Path | None:
    """`name` (relative to the project or the repository, or absolute) relative to `base`, when it is inside."""
    candidates = [Path(name)] if Path(name).is_absolute() else [project / name, base / name]
    chosen = next((c for c in candidates if c.exists()), candidates[0])
    try:
        return chosen.resolve().relative_to(base.resolve())
    except (OSError, ValueError):
        return None


def evidence_locations(evidence: dict[str, Any], facts: dict[str, Any], project: Path, base: Path,
                       limit: int = 10) -> list[dict[str, Any]]:
    """The SARIF locations an item's evidence names (files inside the base only, deduplicated)."""
    refs: list[tuple[str, int | None]] = []
    _file_refs(facts, refs)
    _file_refs(evidence, refs)
    seen: set[tuple[str, int | None]] = set()
    locations = []
    for name, line in refs:
        rel = _relative(name, project, base)
        if rel is None or (str(rel), line) in seen:
            continue
        seen.add((str(rel), line))
        locations.append(_location(rel, line))
        if len(locations) >= limit:
            break
    return locations


def render_check(report: Any, base: Path | None = None) -> str:
    """A check run's report (reports.Report) as a SARIF log."""
    from readiness_tui import gitutil
    from readiness_tui.gates import machine_status
    from readiness_tui.model import Status

    project = Path(report.project)
    base = base or gitutil.repo_root(project) or project
    fallback = project / ("readiness.toml" if (project / "readiness.toml").is_file() else "readiness.decisions.toml")
    fallback_rel = _relative(str(fallback), project, base) or Path(fallback.name)
    titles = {s.id: s.title for s in report.checklist.sections}
    rules = []
    results = []
    for index, view in enumerate(report.views):
        item = view.item
        level = "error" if item.critical else "warning"
        tags = [titles.get(item.section_id, str(item.section_id)), item.kind]
        rules.append({
            "id": item.id,
            "shortDescription": {"text": one_line(item.text)},
            "fullDescription": {"text": one_line(f"{item.section_id}. {titles.get(item.section_id, '')}: {item.text}")},
            "help": {"text": one_line(item.hint or item.text)},
            "defaultConfiguration": {"level": level},
            "properties": {"tags": [*tags, "critical"] if item.critical else tags, "critical": item.critical},
        })
        if view.completed:
            continue
        status = machine_status(view)
        if status not in (Status.FAIL, Status.ERROR):
            continue
        located = evidence_locations(view.evidence, view.result.facts if view.result else {}, project, base)
        what = "fails" if status == Status.FAIL else "could not be checked"
        note = ""
        if view.waiver_expired and view.decision is not None:
            note = f" (waiver expired {view.decision.expires})"
        elif view.decision_invalid:
            note = f" (decision not counted: {view.decision_invalid})"
        results.append({
            "ruleId": item.id,
            "ruleIndex": index,
            "kind": "fail",
            "level": level if status == Status.FAIL else "warning",
            "message": {"text": one_line(f"{item.id} {what}: {view.result.summary if view.result else view.summary}{note}")},
            "locations": located or [_location(fallback_rel, None)],
            "properties": {"status": status.value, "critical": item.critical, "located": bool(located)},
        })
    return _log([_run(rules, results, base, "readiness-check")])


# ---- secrets scan ----------------------------------------------------------------------------

_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def render_secrets(result: Any, root: Path) -> str:
    """A secret scan (scanner.ScanResult, finding paths relative to `root`) as a SARIF log.

    Findings carry file, line, rule and severity; neither the value nor its preview is written.
    """
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for finding in result.findings:
        rule = str(finding.rule)
        if rule not in index:
            index[rule] = len(rules)
            rules.append({
                "id": rule,
                "shortDescription": {"text": one_line(f"possible hardcoded secret: {rule}")},
                "help": {"text": "Move the value to the environment or the OS keyring, rotate it, and remove it "
                                 "from the file (and from git history); mark a false positive with "
                                 "`pragma: allowlist secret` or `readiness secrets baseline`."},
                "defaultConfiguration": {"level": _LEVELS.get(str(finding.severity), "warning")},
                "properties": {"tags": ["security", "secret"]},
            })
        results.append({
            "ruleId": rule,
            "ruleIndex": index[rule],
            "kind": "fail",
            "level": _LEVELS.get(str(finding.severity), "warning"),
            "message": {"text": one_line(f"{finding.severity} severity {rule} at {finding.file}:{finding.line} "
                                         "(value not shown)")},
            "locations": [_location(Path(finding.file), int(finding.line))],
            "properties": {"severity": str(finding.severity)},
        })
    return _log([_run(rules, results, root, "readiness-secrets")])
