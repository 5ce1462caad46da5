"""Reports of a run: text (a terminal table), JSON (the contract), Markdown (the seed's shape), JUnit, SARIF.

Every report is built from the same `Report` and passes through the redactor before it is
returned: no secret value leaves in a report. Every string that came from outside the tool (names,
notes, reasons, summaries and evidence from servers, file names, the checklist's own texts) is
redacted first and then neutralised for its format (`readiness_tui.neutral`): control characters
shown as escapes, no line break that could open a heading or a "Signed:" line, XML well-formed.
"""

from __future__ import annotations

import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from readiness_tui import __version__, neutral
from readiness_tui.attestation import annotate
from readiness_tui.checklist import Checklist
from readiness_tui.model import Status, now_iso
from readiness_tui.redact import REDACTED, Redactor
from readiness_tui.scoring import (
    ItemView,
    Score,
    blockers,
    build_views,
    compute_score,
    criteria_tables,
    critical_not_applicable,
)
from readiness_tui.store import RunRecord

_ESCAPED_MARK = re.compile(re.escape(neutral.markdown_inline(REDACTED)) + r"(?!\()")

FORMATS = ("text", "json", "markdown", "junit", "sarif")

GLYPHS = {
    Status.PASS: "✓",
    Status.WARN: "!",
    Status.FAIL: "✗",
    Status.ERROR: "E",
    Status.PENDING: "?",
    Status.CONFIRMED: "✓",
    Status.NOT_APPLICABLE: "-",
    Status.WAIVED: "W",
}
ASCII_GLYPHS = {Status.PASS: "+", Status.CONFIRMED: "+", Status.FAIL: "x"}
COLOURS = {
    Status.PASS: "32", Status.CONFIRMED: "32", Status.WARN: "33", Status.FAIL: "31", Status.ERROR: "35",
    Status.PENDING: "36", Status.NOT_APPLICABLE: "2", Status.WAIVED: "34",
}


@dataclass
class Report:
    """Everything a report shows."""

    checklist: Checklist
    record: RunRecord
    views: list[ItemView]
    score: Score
    project: str
    scope: list[str] | None = None
    contacts: list[dict[str, Any]] = field(default_factory=list)
    generated_at: str = field(default_factory=now_iso)
    signoffs: list[dict[str, Any]] | None = None
    """Sign-offs with their `state` and `reason`, once `render` has checked them."""
    deployment: dict[str, Any] | None = None
    """Deployment fields with their `state`, once `render` has checked them."""
    project_map: dict[str, Any] | None = None
    """The project map of the run (`ProjectMap.to_dict`), the JSON report's `project_map` key."""
    unsigned_roles: list[str] = field(default_factory=list)
    """The roles without a valid sign-off, once `render` has checked them."""


def build_report(checklist: Checklist, record: RunRecord, project: str, item_ids: list[str] | None = None,
                 contacts: list[dict[str, Any]] | None = None,
                 project_map: dict[str, Any] | None = None) -> Report:
    """Build the report of a run (all items, or only `item_ids`)."""
    items = checklist.items if item_ids is None else [i for i in checklist.items if i.id in set(item_ids)]
    views = build_views(checklist, record, items)
    report = Report(checklist, record, views, compute_score(checklist, views), project, item_ids, contacts or [])
    report.project_map = project_map
    return report


def to_json_data(report: Report) -> dict[str, Any]:
    """The JSON contract (docs/reports.md, "The JSON report") plus extra fields."""
    by_section: dict[int, list[ItemView]] = {}
    for view in report.views:
        by_section.setdefault(view.item.section_id, []).append(view)
    sections = []
    for section in report.checklist.sections:
        views = by_section.get(section.id)
        if not views:
            continue
        items = []
        for v in views:
            entry: dict[str, Any] = {
                "id": v.item.id,
                "text": v.item.text,
                "kind": v.item.kind,
                "critical": v.item.critical,
                "status": v.status.value,
                "summary": v.summary,
                "evidence": v.evidence,
                "duration_ms": v.duration_ms,
                "hint": v.item.hint,
            }
            if v.result is not None:
                entry["facts"] = v.result.facts
                entry["machine_status"] = v.result.status.value
                entry["checks"] = [
                    {"check": c.check, "status": c.status.value, "summary": c.summary, "duration_ms": c.duration_ms}
                    for c in v.result.checks
                ]
                entry["measurements"] = {k: m.to_dict() for k, m in v.result.measurements.items()}
                entry["finished_at"] = v.result.finished_at
            if v.decision is not None:
                entry["decision"] = v.decision.to_dict()
            if v.waiver_expired:
                entry["waiver_expired"] = True
            if v.decision_invalid:
                entry["decision_invalid"] = v.decision_invalid
            items.append(entry)
        sections.append({"id": section.id, "title": section.title, "items": items})
    return {
        "tool": {"name": "readiness-tui", "version": __version__},
        "generated_at": report.generated_at,
        "project": report.project,
        "run_id": report.record.run_id,
        "checklist": {
            "name": report.checklist.name,
            "version": report.checklist.version,
            "source": report.checklist.source,
            "digest": report.checklist.digest,
            "bands": [{"id": b.id, "min": b.min, "label": b.label} for b in report.checklist.bands],
            "roles": list(report.checklist.roles),
            "deployment_fields": [{"name": n, "type": t} for n, t in report.checklist.deployment_types],
        },
        "scope": report.scope,
        "score": report.score.to_dict(),
        "sections": sections,
        "criteria": [
            {"id": tid, "title": title, "rows": [c.to_dict() for c in cells]}
            for tid, title, cells in criteria_tables(report.checklist, report.views)
        ],
        "blockers": [v.item.id for v in blockers(report.views)],
        "critical_not_applicable": [
            {"id": v.item.id, "by": v.decision.by, "approver": v.decision.approver, "reason": v.decision.reason}
            for v in critical_not_applicable(report.views) if v.decision is not None
        ],
        "signoffs": report.record.signoffs,
        "deployment": report.record.deployment,
        "deploy_steps": report.record.deploy_steps,
        **({"project_map": report.project_map} if report.project_map is not None else {}),
    }


def _plain(redactor: Redactor | None) -> Any:
    """Outside text for a terminal line: redacted, then one line with controls made visible."""
    redact = redactor.text if redactor is not None else str

    def clean(value: object) -> str:
        return neutral.one_line(redact(str(value)))

    return clean


def _use_colour(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _glyph(status: Status, ascii_only: bool) -> str:
    return ASCII_GLYPHS.get(status, GLYPHS[status]) if ascii_only else GLYPHS[status]


def render_text(report: Report, colour: bool | None = None, width: int | None = None,
                redactor: Redactor | None = None) -> str:
    """A compact table a person reads in a terminal (outside text on one line, controls made visible)."""
    colour = _use_colour(sys.stdout) if colour is None else colour
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    ascii_only = "utf" not in encoding
    if width is None:
        width = max(80, min(160, _terminal_width())) if sys.stdout.isatty() else 400
    clean = _plain(redactor)
    label_width = 40
    prefix = 2 + 2 + 6 + label_width + 1 + 15
    one_line = width - prefix >= 40

    def cut(text: str, room: int) -> str:
        return text if len(text) <= room else text[: max(1, room - 1)] + "…"

    def paint(status: Status, text: str) -> str:
        return f"\x1b[{COLOURS[status]}m{text}\x1b[0m" if colour else text

    lines = [
        f"readiness-tui {__version__} · {clean(report.checklist.name)} v{clean(report.checklist.version)}",
        f"project: {clean(report.project)}",
        "",
    ]
    by_section: dict[int, list[ItemView]] = {}
    for v in report.views:
        by_section.setdefault(v.item.section_id, []).append(v)
    for section in report.checklist.sections:
        views = by_section.get(section.id)
        if not views:
            continue
        done = sum(1 for v in views if v.completed)
        applicable = sum(1 for v in views if v.status != Status.NOT_APPLICABLE)
        lines.append(f"{section.id}. {clean(section.title)}  ({done}/{applicable})")
        for v in views:
            label = cut(clean(v.item.text), label_width)
            status = v.status.value if not v.waiver_expired else "waived!"
            item_id = v.item.id + ("*" if v.item.critical else "")
            head = (f"  {paint(v.status, _glyph(v.status, ascii_only))} {item_id:<6}{label:<{label_width}} "
                    f"{paint(v.status, f'{status:<14}')}")
            if one_line:
                lines.append(f"{head} {cut(clean(v.summary), width - prefix)}")
            else:
                lines.append(head.rstrip())
                lines.append(f"{'':10}{cut(clean(v.summary), width - 11)}")
        lines.append("")
    for _tid, title, cells in criteria_tables(report.checklist, report.views):
        if not any(c.measurement for c in cells):
            continue
        lines.append(f"{clean(title)}:")
        for c in cells:
            measured = clean(c.measurement.display) if c.measurement else "not measured"
            lines.append(f"  {clean(c.row.metric):<28} target {clean(c.row.target):<10} measured {measured:<24} "
                         f"{c.verdict}")
        lines.append("")
    s = report.score
    scope = f" (of the {s.total} selected items)" if report.scope else ""
    lines.append(
        f"Score: {s.percent:.1f}% — {s.band} ({clean(s.band_label)}); {s.completed}/{s.applicable} applicable "
        f"items completed{scope}" + (f"; {s.headline.cannot_check} could not be checked here" if s.headline else "")
    )
    if s.headline is not None:
        lines.append(s.headline.line())
    counts = ", ".join(f"{n} {k}" for k, n in sorted(s.by_status.items()))
    lines.append(f"Items: {counts}. * = critical")
    top = [v for v in blockers(report.views) if v.item.critical and v.status in (Status.FAIL, Status.ERROR)]
    if top:
        lines.append("Critical: " + ", ".join(f"{v.item.id} {v.status.value}" for v in top[:12]))
    marked_na = [v for v in critical_not_applicable(report.views) if v.decision is not None]
    if marked_na:
        lines.append("Critical items marked not applicable: " + ", ".join(
            f"{v.item.id} (approved by {clean(v.decision.approver)})" for v in marked_na if v.decision is not None))
    expired = [v for v in report.views if v.waiver_expired and v.decision is not None]
    if expired:
        lines.append("Expired waivers (not completed): " + ", ".join(
            f"{v.item.id} (expired {clean(v.decision.expires)})" for v in expired if v.decision is not None))
    for so in report.signoffs if report.signoffs is not None else report.record.signoffs:
        if isinstance(so, dict):
            state = f" — {clean(so['state'])}" if so.get("state") else ""
            override = f" (override: {clean(so['override'])})" if so.get("override") else ""
            lines.append(f"Signed: {clean(so.get('role'))}: {clean(so.get('name'))} at {clean(so.get('at'))}"
                         f"{state}{override}")
    if report.unsigned_roles:
        lines.append("Not signed: " + ", ".join(clean(r) for r in report.unsigned_roles))
    return "\n".join(lines) + "\n"


def _terminal_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 120


def render_markdown(report: Report, redactor: Redactor | None = None) -> str:
    """The seed's layout with boxes ticked, one-line results and the tables filled.

    Every outside string is one line of escaped Markdown (`neutral.markdown_inline`): a note can
    neither open a heading nor a table cell, nor forge a "Signed" line.
    """
    redact = redactor.text if redactor is not None else str

    def md(value: object) -> str:
        # The redaction marker stays readable: `[REDACTED]` followed by no `(` is no link.
        return _ESCAPED_MARK.sub(REDACTED, neutral.markdown_inline(redact(str(value))))

    s = report.score
    rec = report.record
    out = [
        "# Production Deployment Checklist",
        "",
        f"**{md(report.checklist.name)}**",
        f"**Version**: {md(report.checklist.version)}",
        f"**Date**: {report.generated_at[:10]}",
        f"**Project**: {md(report.project)}",
        f"**Generated by**: readiness-tui {__version__} at {report.generated_at}",
        "",
        "---",
        "",
        "## ✅ Production Readiness Score",
        "",
        f"**Score: {s.percent:.1f}%** — `{s.band}`: {md(s.band_label)}",
        "",
        f"{s.completed} of {s.applicable} applicable items completed ({s.total} items, "
        f"{s.total - s.applicable} not applicable).",
        "",
    ]
    if s.headline is not None:
        out += [md(s.headline.line()), ""]
    for band in report.checklist.bands:
        mark = "**→**" if band.id == s.band else "-"
        out.append(f"{mark} {band.min:g}%+: `{band.id}` — {md(band.label)}")
    out += ["", "## 📋 Pre-Deployment Requirements", ""]
    by_section: dict[int, list[ItemView]] = {}
    for v in report.views:
        by_section.setdefault(v.item.section_id, []).append(v)
    for section in report.checklist.sections:
        views = by_section.get(section.id)
        if not views:
            continue
        out += [f"### {section.id}. {md(section.title)}", ""]
        for v in views:
            box = "x" if v.completed else " "
            crit = " (critical)" if v.item.critical else ""
            status = "waived (expired)" if v.waiver_expired else v.status.value
            out.append(f"- [{box}] **{v.item.id}** {md(v.item.text)}{crit} — *{status}*: {md(v.summary)}")
        out.append("")
    out += ["---", "", "## 📊 Success Criteria", ""]
    for _tid, title, cells in criteria_tables(report.checklist, report.views):
        out += [f"### {md(title)}", "", "| Metric | Target | Measured | Status |", "|--------|--------|----------|--------|"]
        for c in cells:
            measured = md(c.measurement.display) if c.measurement else "TBD"
            out.append(f"| {md(c.row.metric)} | {md(c.row.target)} | {measured} | {c.verdict} |")
        out.append("")
    known = [v for v in report.views if v.decision and v.decision.type in ("waived", "not_applicable")]
    out += ["## 🔧 Known Issues & Limitations", ""]
    critical_na = critical_not_applicable(report.views)
    if critical_na:
        out += ["**Critical items marked not applicable**: " + ", ".join(f"**{v.item.id}**" for v in critical_na), ""]
    if known:
        for v in known:
            d = v.decision
            assert d is not None
            crit = " (critical)" if v.item.critical else ""
            if d.type == "waived":
                state = "EXPIRED" if v.waiver_expired else "until"
                out.append(f"- **{v.item.id}** {md(v.item.text)}{crit}: waived ({state} {md(d.expires)}) — "
                           f"{md(d.reason)} (requested by {md(d.by)}, approved by {md(d.approver)})")
            else:
                crit = (f" — critical, approved by {md(d.approver)}"
                        if v.item.critical and not v.decision_invalid else "")
                invalid = f" — not counted: {md(v.decision_invalid)}" if v.decision_invalid else ""
                out.append(f"- **{v.item.id}** {md(v.item.text)}: not applicable — {md(d.reason)} ({md(d.by)})"
                           f"{crit}{invalid}")
    if not known:
        out.append("None recorded (no waivers, nothing marked not applicable).")
    out += ["", "## 📞 Support & Escalation", ""]
    if report.contacts:
        for contact in report.contacts:
            parts = [md(contact.get(k)) for k in ("name", "email", "phone") if contact.get(k)]
            out.append(f"- **{md(contact.get('role', 'Contact'))}**: {', '.join(parts)}")
    else:
        out.append("No escalation contacts configured (`[[contacts]]` in readiness.toml).")
    out += ["", "## 📝 Sign-Off", "", "**Deployment Authorized By**:", ""]
    signoffs = report.signoffs if report.signoffs is not None else rec.signoffs
    for role in report.checklist.roles:
        entries = [so for so in signoffs if isinstance(so, dict) and so.get("role") == role]
        if not entries:
            out.append(f"- [ ] {md(role)}: _________________ Date: _________")
        for so in entries:
            state = str(so.get("state", ""))
            box = "x" if state in ("valid", "") else " "
            line = f"- [{box}] {md(role)}: {md(so.get('name'))} Date: {md(str(so.get('at', ''))[:10])}"
            if state:
                line += f" — **{md(state)}**"
                if state != "valid" and so.get("reason"):
                    line += f" ({md(so['reason'])})"
            details = [md(so.get("user_host")), f"score {md(so.get('score'))}% ({md(so.get('band'))})"]
            if isinstance(so.get("signature") or so.get("ssh"), dict):
                sig = so.get("ssh") or so.get("signature") or {}
                details.append(f"SSH-signed {md(sig.get('fingerprint', ''))}".rstrip())
            if so.get("override"):
                details.append(f"override: {md(so['override'])}")
            out.append(f"{line}; {'; '.join(details)}")
    out += ["", "**Production Deployment**:", ""]
    deployment = report.deployment if report.deployment is not None else rec.deployment
    for name in report.checklist.deployment_fields:
        value = deployment.get(name)
        shown = value.get("value") if isinstance(value, dict) else value
        box = "x" if shown else " "
        line = f"- [{box}] {md(name)}: {md(shown) if shown else '_________________'}"
        if isinstance(value, dict) and value.get("by"):
            line += f" (recorded by {md(value['by'])}, {md(value.get('at', ''))}, {md(value.get('user_host', ''))}"
            line += f" — **{md(value['state'])}**)" if value.get("state") else ")"
        out.append(line)
    out += ["", "---", "", f"**Checklist Version**: {md(report.checklist.version)}", ""]
    return "\n".join(out)


def render_junit(report: Report, redactor: Redactor | None = None) -> str:
    """One testcase per item: fail → failure, error → error, pending / not_applicable → skipped.

    `warn` passes with a caveat: the case carries a `status` property and a system-out line that
    starts with WARN, which CI reporters show. The root's counts add up the suites'. Every outside
    string passes `neutral.xml_text`, so the document stays well-formed whatever a note or a server
    answer holds.
    """
    redact = redactor.text if redactor is not None else str

    def x(value: object) -> str:
        return neutral.xml_text(redact(str(value)))

    suites = ET.Element("testsuites", name="readiness")
    by_section: dict[int, list[ItemView]] = {}
    for v in report.views:
        by_section.setdefault(v.item.section_id, []).append(v)
    for section in report.checklist.sections:
        views = by_section.get(section.id)
        if not views:
            continue
        suite = ET.SubElement(suites, "testsuite", name=x(f"{section.id}. {section.title}"), tests=str(len(views)))
        counts = {"failures": 0, "errors": 0, "skipped": 0}
        for v in views:
            case = ET.SubElement(
                suite, "testcase", classname=f"readiness.section{section.id}", name=x(f"{v.item.id} {v.item.text}"),
                time=f"{v.duration_ms / 1000:.3f}",
            )
            if v.status == Status.FAIL or v.waiver_expired:
                ET.SubElement(case, "failure", message=x(v.summary)).text = x(v.item.hint)
                counts["failures"] += 1
            elif v.status == Status.ERROR:
                ET.SubElement(case, "error", message=x(v.summary))
                counts["errors"] += 1
            elif v.status in (Status.PENDING, Status.NOT_APPLICABLE):
                ET.SubElement(case, "skipped", message=x(f"{v.status.value}: {v.summary}"))
                counts["skipped"] += 1
            else:
                if v.status == Status.WARN:
                    props = ET.SubElement(case, "properties")
                    ET.SubElement(props, "property", name="status", value="warn")
                    ET.SubElement(case, "system-out").text = x(f"WARN (passes with a caveat): {v.summary}")
                else:
                    ET.SubElement(case, "system-out").text = x(f"{v.status.value}: {v.summary}")
        for key, value in counts.items():
            suite.set(key, str(value))
    if report.signoffs is not None:
        suite = ET.SubElement(suites, "testsuite", name="Sign-off", tests=str(len(report.checklist.roles)))
        failures = skipped = 0
        for role in report.checklist.roles:
            entries = [so for so in report.signoffs if isinstance(so, dict) and so.get("role") == role]
            case = ET.SubElement(suite, "testcase", classname="readiness.signoff", name=x(role), time="0")
            if not entries:
                ET.SubElement(case, "skipped", message="not signed")
                skipped += 1
            elif entries[-1].get("state") != "valid":
                last = entries[-1]
                ET.SubElement(case, "failure",
                              message=x(f"{last.get('name')}: {last.get('state')}: {last.get('reason')}"))
                failures += 1
            else:
                ET.SubElement(case, "system-out").text = x(
                    f"signed by {entries[-1].get('name')} at {entries[-1].get('at')}")
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", str(skipped))
    for key in ("tests", "failures", "errors", "skipped"):
        suites.set(key, str(sum(int(suite.get(key, "0")) for suite in suites.iter("testsuite"))))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def render(report: Report, fmt: str, redactor: Redactor, colour: bool | None = None) -> str:
    """Render a report in one of FORMATS, redacted, with the digest and every sign-off's state.

    JSON keeps the data as it is (strings stay strings) with every control or invisible character
    inside them written as a `\\uXXXX` escape (`neutral.json_text`).
    """
    data = annotate(redactor.data(to_json_data(report)))
    report.signoffs, report.deployment = data["signoffs"], data["deployment"]
    report.unsigned_roles = data["unsigned_roles"]
    if fmt == "json":
        return neutral.json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    if fmt == "sarif":
        from readiness_tui.sarif import render_check

        return neutral.json_text(redactor.text(render_check(report)))
    renderers = {"text": lambda r: render_text(r, colour, redactor=redactor),
                 "markdown": lambda r: render_markdown(r, redactor),
                 "junit": lambda r: render_junit(r, redactor)}
    return redactor.text(renderers[fmt](report))
