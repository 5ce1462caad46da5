"""Section 9 (documentation) and the documented procedures of 6.4–6.6, found in the repository."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from readiness_tui.checks._corpus import Doc, base_dir, corpus, markdown

from readiness_tui import fileio
from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, errored, failed, passed, pending, warned

HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$|^(.+)\n[=-]{3,}\s*$", re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<img[^>]+src=[\"']([^\"']+)[\"']", re.I)
ENDPOINT = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+(/[\w\-/{}:.?=&]*)")
MIN_WORDS = 40

PARTS = {
    "setup": re.compile(r"setup|set up|install|getting started|quick ?start|usage", re.I),
    "configuration": re.compile(r"config|environment|settings|\.env", re.I),
    "troubleshooting": re.compile(r"troubleshoot|faq|common (problems|issues)|known issues", re.I),
}


def headings(text: str) -> list[str]:
    """Markdown headings (ATX and setext) of a document."""
    return [(m.group(1) or m.group(2) or "").strip() for m in HEADING.finditer(text)]


def _find_readme(ctx: CheckContext) -> Path | None:
    return ctx.settings.find("README.md", "README.rst", "README.markdown", "README", "readme.md")


def broken_links(readme: Path, text: str, root: Path) -> list[str]:
    """Relative links of a document that point at files which do not exist."""
    missing = []
    for m in LINK.finditer(text):
        target = (m.group(1) or m.group(2) or "").strip()
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith(("#", "//")):
            continue
        target = unquote(target.split("#", 1)[0].split("?", 1)[0])
        if not target:
            continue
        base = root if target.startswith("/") else readme.parent
        if not (base / target.lstrip("/")).exists():
            missing.append(target)
    return sorted(set(missing))


def _rel(ctx: CheckContext, path: Path) -> str:
    base = base_dir(ctx)
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


@check("docs.readme", "README has setup and configuration parts, and every local link in it resolves")
def readme(ctx: CheckContext) -> CheckResult:
    path = _find_readme(ctx)
    if path is None:
        return failed("no README.md in the project directory or the repository root")
    try:
        text = fileio.read_text(path, fileio.MAX_TEXT, "a README", cut=True)
    except fileio.FileProblem as exc:
        return errored(str(exc))
    heads = headings(text)
    found = {part: [h for h in heads if rx.search(h)] for part, rx in PARTS.items()}
    missing_parts = [p for p in ("setup", "configuration") if not found[p]]
    links = broken_links(path, text, base_dir(ctx))
    evidence = {"file": _rel(ctx, path), "headings": heads[:40], "parts": {k: bool(v) for k, v in found.items()},
                "broken_links": links, "words": _words(text)}
    problems = []
    if links:
        problems.append(f"links to missing files: {', '.join(links[:6])}")
    if "setup" in missing_parts:
        problems.append("no setup/installation section")
    if problems:
        return failed(f"{evidence['file']}: {'; '.join(problems)}", **evidence)
    if missing_parts:
        return warned(f"{evidence['file']} has setup instructions but no {' or '.join(missing_parts)} section", **evidence)
    extra = "" if found["troubleshooting"] else " (no troubleshooting section)"
    return passed(f"{evidence['file']} covers setup and configuration{extra}; all local links resolve", **evidence)


def _doc_by_name(ctx: CheckContext, wanted: str) -> tuple[Path | None, str]:
    exact = ctx.settings.find(wanted)
    if exact is not None:
        return exact, "exact"
    name = Path(wanted).name.lower()
    for doc in markdown(ctx):
        if Path(doc.rel).name.lower() == name:
            return doc.path, "elsewhere"
    return None, ""


def _named_document(ctx: CheckContext, default: str, what: str) -> CheckResult:
    wanted = str(ctx.param("path", default))
    path, how = _doc_by_name(ctx, wanted)
    if path is None:
        return failed(f"{wanted} not found ({what}); write it", expected=wanted)
    try:
        text = fileio.read_text(path, fileio.MAX_TEXT, "a document", cut=True)
    except fileio.FileProblem as exc:
        return errored(str(exc))
    evidence = {"file": _rel(ctx, path), "words": _words(text), "headings": headings(text)[:20]}
    stub = re.search(r"\b(TODO|TBD|coming soon|placeholder)\b", text, re.I)
    if evidence["words"] < MIN_WORDS or (stub and evidence["words"] < 4 * MIN_WORDS):
        return warned(f"{evidence['file']} exists but is a stub ({evidence['words']} words)", **evidence)
    where = "" if how == "exact" else f" (expected at {wanted})"
    return passed(f"{evidence['file']}: {evidence['words']} words{where}", **evidence)


@check("docs.user_guide", "docs/USER_GUIDE.md exists and is more than a stub",
       params={"path": Param(str, "where the user guide is", "docs/USER_GUIDE.md")})
def user_guide(ctx: CheckContext) -> CheckResult:
    return _named_document(ctx, "docs/USER_GUIDE.md", "end-user documentation")


@check("docs.maintenance", "docs/MAINTENANCE.md exists and is more than a stub",
       params={"path": Param(str, "where the maintenance guide is", "docs/MAINTENANCE.md")})
def maintenance(ctx: CheckContext) -> CheckResult:
    return _named_document(ctx, "docs/MAINTENANCE.md", "the operations guide")


def _files_matching(ctx: CheckContext, name_rx: str, heading_rx: str) -> list[str]:
    rx_name, rx_head = re.compile(name_rx, re.I), re.compile(heading_rx, re.I)
    hits = []
    for doc in markdown(ctx):
        if rx_name.search(Path(doc.rel).name) or any(rx_head.search(h) for h in headings(doc.text)):
            hits.append(doc.rel)
    return hits


@check("docs.api", "API documentation in the repository: an OpenAPI file, docs/API.md, or documented endpoints")
def api_docs(ctx: CheckContext) -> CheckResult:
    specs = [d.rel for d in corpus(ctx)
             if re.search(r"(openapi|swagger)[^/]*\.(json|ya?ml)$", d.rel, re.I)]
    pages = _files_matching(ctx, r"^api[\w\-]*\.(md|rst)$", r"^(api|endpoints|rest api)\b")
    endpoints = sorted({f"{m[0]} {m[1]}" for d in markdown(ctx) for m in ENDPOINT.findall(d.text)})
    evidence = {"specs": specs, "pages": pages, "endpoints": endpoints[:50], "endpoint_count": len(endpoints)}
    if specs or (pages and endpoints):
        what = ", ".join((specs + pages)[:4])
        return passed(f"API documented in {what} ({len(endpoints)} endpoints listed)", **evidence)
    if pages or endpoints:
        return warned(f"API documentation is thin: {len(endpoints)} endpoints listed, no OpenAPI file", **evidence)
    return warned("no API documentation in the repository (docs/API.md or openapi.json); "
                  "the backend's live /docs is checked separately", **evidence)


@check("docs.runbook", "A deployment runbook is documented")
def runbook(ctx: CheckContext) -> CheckResult:
    hits = _files_matching(ctx, r"runbook|deploy", r"runbook|deploy(ment)?\s+(steps|procedure|guide)|how to deploy")
    if not hits:
        return failed("no deployment runbook found (docs/RUNBOOK.md or a document with a Deployment/Runbook section)")
    return passed(f"runbook: {', '.join(hits[:3])}", files=hits)


@check("docs.troubleshooting", "A troubleshooting guide exists (README section or its own document)")
def troubleshooting(ctx: CheckContext) -> CheckResult:
    hits = _files_matching(ctx, r"troubleshoot|faq", r"troubleshoot|faq|common (problems|issues)")
    if not hits:
        return failed("no troubleshooting guide (a Troubleshooting section in README.md or TROUBLESHOOTING.md)")
    return passed(f"troubleshooting: {', '.join(hits[:3])}", files=hits)


BOX = re.compile(r"[┌┐└┘─│├┤]|\+[-=]{3,}\+|\|\s+\S.*\|")
ARROW = re.compile(r"-->|->|<-|──>|▶|=>")
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)


@check("docs.architecture", "An architecture diagram: an image, a mermaid/PlantUML block or an ASCII diagram")
def architecture(ctx: CheckContext) -> CheckResult:
    base = base_dir(ctx)
    images = []
    for pattern in ("**/*architecture*", "**/*diagram*", "**/*Architecture*", "**/*Diagram*"):
        for p in base.glob(pattern):
            if p.suffix.lower() in (".png", ".svg", ".jpg", ".jpeg", ".gif", ".drawio", ".puml", ".mmd", ".excalidraw") \
                    and not any(part in (".git", "node_modules", ".venv") for part in p.parts):
                images.append(p.relative_to(base).as_posix())
    blocks, ascii_ = [], []
    for doc in markdown(ctx):
        for lang, body in FENCE.findall(doc.text):
            if lang.lower() in ("mermaid", "plantuml", "puml", "dot", "graphviz") or "@startuml" in body:
                blocks.append(f"{doc.rel} ({lang or 'plantuml'})")
            elif BOX.search(body) and ARROW.search(body):
                ascii_.append(doc.rel)
    found = sorted(set(images)) + blocks + sorted(set(ascii_))
    evidence = {"images": sorted(set(images)), "diagram_blocks": blocks, "ascii_diagrams": sorted(set(ascii_))}
    if not found:
        return failed("no architecture diagram (an image named *architecture*, a mermaid block, or an ASCII diagram)",
                      **evidence)
    return passed(f"architecture diagram: {', '.join(found[:3])}", **evidence)


@check("docs.phases", "Phase documents A–E exist (PHASE_<X>_*.md)",
       params={"phases": Param(list[str], "the phase letters whose documents must exist", ["A", "B", "C", "D", "E"])})
def phases(ctx: CheckContext) -> CheckResult:
    wanted = [str(p).upper() for p in ctx.param("phases")]
    found: dict[str, list[str]] = {p: [] for p in wanted}
    for doc in markdown(ctx):
        m = re.match(r"phase[_\- ]?([a-z])(?:[_\-. ]|$)", Path(doc.rel).name, re.I)
        if m and m.group(1).upper() in found:
            found[m.group(1).upper()].append(doc.rel)
    missing = [p for p, files in found.items() if not files]
    evidence = {"found": found, "missing": missing}
    if missing:
        return failed(f"phase documentation missing for {', '.join(missing)} "
                      f"(found {len(wanted) - len(missing)} of {len(wanted)})", **evidence)
    return passed(f"phase documents {', '.join(wanted)} present", **evidence)


def _procedure(ctx: CheckContext, name_rx: str, heading_rx: str, text_rx: str, what: str) -> CheckResult:
    rx_text = re.compile(text_rx, re.I)
    hits = _files_matching(ctx, name_rx, heading_rx)
    mentions: list[str] = []
    if not hits:
        for doc in markdown(ctx):
            for n, line in enumerate(doc.lines, 1):
                if rx_text.search(line):
                    mentions.append(f"{doc.rel}:{n}")
                    break
    if hits:
        return pending(f"{what} documented in {', '.join(hits[:3])}: confirm it has been tested", files=hits)
    if mentions:
        return pending(f"{what} mentioned in {', '.join(mentions[:3])} but has no section of its own: confirm",
                       mentions=mentions)
    return failed(f"no {what} documented", files=[])


@check("docs.recovery", "A recovery (restore) procedure is documented; a person confirms it was tested")
def recovery(ctx: CheckContext) -> CheckResult:
    return _procedure(ctx, r"recover|restore", r"recover|restor", r"restore|recovery", "recovery procedure")


@check("docs.rollback", "A rollback procedure is documented and the deploy script supports it")
def rollback(ctx: CheckContext) -> CheckResult:
    result = _procedure(ctx, r"rollback", r"roll ?back", r"roll ?back|restore-backup", "rollback procedure")
    scripts = [d.rel for d in corpus(ctx) if Path(d.rel).name.startswith("deploy")
               and re.search(r"rollback|restore-backup|restore", d.text, re.I)]
    result.evidence["deploy_scripts_with_rollback"] = scripts
    if scripts and result.status.value == "fail":
        return pending(f"{scripts[0]} implements rollback but no procedure is written down: confirm", **result.evidence)
    return result


@check("docs.disaster_recovery", "A disaster recovery plan is documented (RTO/RPO, restore from backups)")
def disaster_recovery(ctx: CheckContext) -> CheckResult:
    return _procedure(ctx, r"disaster|(^|[_\-])dr([_\-.]|$)", r"disaster|business continuity",
                      r"disaster recovery|\bRTO\b|\bRPO\b", "disaster recovery plan")


__all__ = ["Doc", "broken_links", "headings"]
