"""Section 9 (documentation) and the documented procedures of 6.4–6.6, found in the repository.

Documents are read structurally (`_markdown`): sections under ATX, setext or label-then-list
headings; a heading inside a code block is code. A document is accepted anywhere in the repository
except the folders and files of `evidence_exclude` (tests, notebooks, backups, scanner output, …);
an empty or stub file counts as absent. A procedure (6.4–6.6, 9.5) needs procedure-like content —
numbered steps or commands — under a heading about it: a product feature named "… Recovery …", a
request-retry section or a to-do line is not one. docs/evidence.md lists the rules.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from readiness_tui.checks._corpus import (
    APP,
    DEPLOY,
    DOCS,
    SCRIPT,
    STATIC_TIMEOUT,
    Doc,
    base_dir,
    evidence_docs,
    exclude_param,
    excluded,
    may_match,
)
from readiness_tui.checks._markdown import Outline, Section, parse, procedure

from readiness_tui import fileio
from readiness_tui.checkapi import CheckContext, Param, check
from readiness_tui.model import CheckResult, errored, failed, not_applicable, passed, pending, warned

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<img[^>]+src=[\"']([^\"']+)[\"']", re.I)
ENDPOINT = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+`?(/[\w\-/{}:.?=&]*)")
MIN_WORDS = 40
_LOCK = threading.Lock()
EXCLUDE = {"evidence_exclude": exclude_param("documentation")}
#: One-off notes are not standing procedures: a plan for one change, an incident write-up, a dated note.
NOTES = ["**/taskplans/**", "**/task-plans/**", "**/postmortems/**", "**/post-mortems/**", "**/incidents/**",
         "**/meeting-notes/**", "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*",
         "**/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*/**", "[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][_-]*"]
PROCEDURE_PARAMS = {**EXCLUDE, "notes_exclude": Param(
    list[str], "documents that are one-off notes (a plan for one change, an incident write-up, a dated note), "
    "never taken as a standing procedure (globs, like evidence_exclude)", NOTES)}

SETUP_TITLE = re.compile(r"set ?up|install|getting started|get started|quick ?start|usage|\brun(ning)?\b|launch|"
                         r"how to (use|start)|local development|develop", re.I)
SETUP_COMMAND = re.compile(
    r"\b(pip3? install|uv (sync|pip|run)|poetry install|pipenv install|conda (env )?create|npm (install|ci|run)|"
    r"yarn( install)?\b|pnpm install|docker[ -]compose (up|build|-f)|docker (compose|build|run)|streamlit run|"
    r"uvicorn |flask run|python3? (-m |[\w/.-]+\.py)|make (install|setup|run|dev|up)|git clone|go run|go build)",
    re.I)
CONFIG_TITLE = re.compile(r"config|environment|settings|\.env|variables|secrets|credentials", re.I)
CONFIG_TEXT = re.compile(r"\.env\b|environment variables?|env vars?|\bexport [A-Z_]+=|config\.toml|secrets\.toml",
                         re.I)
#: A plain label line ("Common issues:") is a troubleshooting section only when it says so.
TROUBLE_LABEL = re.compile(r"troubleshoot|\bfaq\b|d[ée]pannage", re.I)
TROUBLE_TITLE = re.compile(r"troubleshoot|\bfaq\b|frequently asked|common (problems|issues|errors|pitfalls)|"
                           r"known (issues|problems)|d[ée]pannage", re.I)


def headings(text: str) -> list[str]:
    """Markdown headings (ATX, setext and label-then-list) of a document, outside code blocks."""
    return parse(text).headings()


def _outline(ctx: CheckContext, doc: Doc) -> Outline:
    with _LOCK:
        cache: dict[str, Outline] = ctx.shared.setdefault("markdown_outlines", {})
        if doc.rel not in cache:
            cache[doc.rel] = parse(doc.text)
        return cache[doc.rel]


def _docs(ctx: CheckContext) -> list[Doc]:
    """The project's own documents (Markdown, reStructuredText, text), excluded folders left out."""
    return [d for d in evidence_docs(ctx, [DOCS]) if not re.match(r"(license|copying|notice|changelog|changes|"
                                                                  r"code_of_conduct|contributing)\b", d.name, re.I)]


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _rel(ctx: CheckContext, path: Path) -> str:
    base = base_dir(ctx)
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


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


def _where(doc: Doc, section: Section) -> str:
    return f"{doc.rel}:{section.line}"


# ---------------------------------------------------------------- 9.1


def _find_readme(ctx: CheckContext) -> Path | None:
    return ctx.settings.find("README.md", "README.rst", "README.markdown", "README", "readme.md", "Readme.md")


def _setup_section(outline: Outline) -> tuple[Section | None, str]:
    """The section that tells how to install and run, and why it counts."""
    titled = None
    for s in outline.sections:
        commands = [line for line in s.all_lines() if SETUP_COMMAND.search(line)]
        if commands and SETUP_TITLE.search(s.title):
            return s, "install/run commands"
        if commands and titled is None:
            titled = (s, "install/run commands")
    if titled:
        return titled
    for s in outline.sections:
        if SETUP_TITLE.search(s.title) and s.words() >= 15:
            return s, "setup steps"
    return None, ""


@check("docs.readme", "README tells how to set up and configure the project; every local link in it resolves",
       timeout=STATIC_TIMEOUT)
def readme(ctx: CheckContext) -> CheckResult:
    path = _find_readme(ctx)
    if path is None:
        return failed("no README in the project directory or the repository root").with_facts(file=None)
    try:
        text = fileio.read_text(path, fileio.MAX_TEXT, "a README", cut=True)  # a FIFO or device: never waited on
    except fileio.FileProblem as exc:
        return errored(str(exc)).with_facts(file=_rel(ctx, path), problem=exc.what)
    rel = _rel(ctx, path)
    outline = parse(text)
    setup, why = _setup_section(outline)
    first = outline.sections[0].line if outline.sections else 1 << 30
    opening = outline.preamble + [line for block in outline.blocks if block.line < first for line in block.body]
    if setup is None and any(SETUP_COMMAND.search(line) for line in opening):
        why = "install/run commands"
    config = next((s for s in outline.sections if CONFIG_TITLE.search(s.title)), None)
    config_line = next((n for n, line in enumerate(text.splitlines(), 1) if CONFIG_TEXT.search(line)), None)
    links = broken_links(path, text, base_dir(ctx))
    evidence: dict[str, Any] = {"file": rel, "headings": outline.headings()[:40], "broken_links": links,
                                "words": _words(text)}
    facts: dict[str, Any] = {
        "file": rel,
        "setup": f"{rel}:{setup.line} {setup.title}" if setup else ("preamble" if why else None),
        "configuration": (f"{rel}:{config.line} {config.title}" if config
                          else f"{rel}:{config_line}" if config_line else None),
        "broken_links": links[:10],
    }
    if not why:
        return failed(f"{rel} has no setup instructions (no section with install or run commands)",
                      **evidence).with_facts(**facts)
    where = f"'{setup.title}' ({rel}:{setup.line})" if setup else "its opening lines"
    caveats = []
    if not facts["configuration"]:
        caveats.append("no configuration section (.env, environment variables)")
    if links:
        caveats.append(f"links to missing files: {', '.join(links[:6])}")
    if caveats:
        return warned(f"{rel} has setup instructions under {where}; {'; '.join(caveats)}",
                      **evidence).with_facts(**facts)
    return passed(f"{rel}: setup under {where}, configuration covered; all local links resolve",
                  **evidence).with_facts(**facts)


# ---------------------------------------------------------------- 9.2, 9.3

USER_GUIDE_NAME = re.compile(r"user[_\- ]?(guide|manual|handbook|docs?)|end[_\- ]?user", re.I)
USER_GUIDE_TITLE = re.compile(r"^(\W*\s*)?(user(’s|'s|s)?\s+(guide|manual|handbook)|end[- ]user guide|"
                              r"guide de l.utilisateur)", re.I)
OPS_NAME = re.compile(r"^(maintenance|operations?|ops|operator|operating|runbooks?|on[_\- ]?call|sre)([_\-. ]|$)|"
                      r"operations?[_\- ]guide|maintenance[_\- ]guide|ops[_\- ]guide", re.I)
OPS_DIRS = {"operations", "ops", "runbooks", "runbook", "maintenance", "sre"}
OPS_TOPIC = re.compile(r"monitor|backup|restore|maintenance|log(s|ging)?\b|incident|restart|scal(e|ing)|upgrad|"
                       r"health ?check|on-?call|alert|rotat|capacity|patch", re.I)


def _substantial(ctx: CheckContext, doc: Doc) -> bool:
    return _outline(ctx, doc).words() >= MIN_WORDS


def _stub(text: str) -> bool:
    words = _words(text)
    return words < MIN_WORDS or (bool(re.search(r"\b(TODO|TBD|coming soon|placeholder)\b", text, re.I))
                                 and words < 4 * MIN_WORDS)


def _guide_result(ctx: CheckContext, wanted: str, found: list[tuple[Doc, str]], what: str) -> CheckResult:
    if not found:
        return failed(f"no {what} ({wanted} or a document like it anywhere in the repository)",
                      expected=wanted).with_facts(expected=wanted, files=[])
    files = [d.rel for d, _ in found]
    real = [(d, how) for d, how in found if not _stub(d.text)]
    doc, how = (real or found)[0]
    outline = _outline(ctx, doc)
    evidence = {"file": doc.rel, "files": files[:20], "words": _words(doc.text), "headings": outline.headings()[:20]}
    facts = {"file": doc.rel, "files": files[:10], "how": how}
    if not real:
        return warned(f"{doc.rel} exists but is a stub ({evidence['words']} words)", **evidence).with_facts(**facts)
    where = "" if doc.rel == wanted else f" ({how})"
    more = f" and {len(real) - 1} more" if len(real) > 1 else ""
    return passed(f"{what}: {doc.rel}{where}{more}", **evidence).with_facts(**facts)


@check("docs.user_guide", "An end-user guide exists (docs/USER_GUIDE.md or a user guide anywhere) and is more than a stub",
       params={"path": Param(str, "where the user guide is expected", "docs/USER_GUIDE.md"), **EXCLUDE},
       timeout=STATIC_TIMEOUT)
def user_guide(ctx: CheckContext) -> CheckResult:
    wanted = str(ctx.param("path"))
    found: list[tuple[Doc, str]] = []
    for doc in _docs(ctx):
        if doc.rel.lower() == wanted.lower():
            found.insert(0, (doc, "exact"))
        elif USER_GUIDE_NAME.search(doc.stem):
            found.append((doc, "named for it"))
        elif (heads := _outline(ctx, doc).headings()) and USER_GUIDE_TITLE.search(heads[0]):
            found.append((doc, "titled for it"))
    return _guide_result(ctx, wanted, found, "user guide")


@check("docs.maintenance", "An operations/maintenance guide exists (docs/MAINTENANCE.md, OPERATIONS.md, a runbooks folder…)",
       params={"path": Param(str, "where the maintenance guide is expected", "docs/MAINTENANCE.md"), **EXCLUDE},
       timeout=STATIC_TIMEOUT)
def maintenance(ctx: CheckContext) -> CheckResult:
    wanted = str(ctx.param("path"))
    found: list[tuple[Doc, str]] = []
    for doc in _docs(ctx):
        p = PurePosixPath(doc.rel)
        if doc.rel.lower() == wanted.lower():
            found.insert(0, (doc, "exact"))
        elif OPS_NAME.search(p.stem):
            found.append((doc, "named for it"))
        elif {d.lower() for d in p.parts[:-1]} & OPS_DIRS:
            found.append((doc, "in an operations folder"))
        elif p.stem.lower() != "readme":
            outline = _outline(ctx, doc)
            top = [s for s in outline.sections if s.level <= 2]
            ops = [s for s in top if OPS_TOPIC.search(s.title) and procedure(s)]
            if len(ops) >= 2 and (len(ops) * 2 >= len(top) or (top and OPS_NAME.search(top[0].title))):
                found.append((doc, f"sections: {', '.join(s.title for s in ops[:3])}"))
    return _guide_result(ctx, wanted, found, "operations guide")


# ---------------------------------------------------------------- 9.4

API_DOC_NAME = re.compile(r"^(api|rest[_\- ]?api|endpoints?|api[_\- ](reference|docs?|documentation|guide|spec))"
                          r"([_\-. ]|$)|(^|[_\-])api[_\-]?(reference|documentation)", re.I)
API_TITLE = re.compile(r"^\W*(api|rest api|endpoints?|api (reference|endpoints|documentation))\b", re.I)
API_REFERENCE = re.compile(r"^(api|rest[_\- ]?api|endpoints?)$|api[_\- ]?(reference|documentation|docs|spec)", re.I)
SPEC_FILE = re.compile(r"(^|/)(openapi|swagger)[^/]*\.(json|ya?ml)$", re.I)


@dataclass
class _Framework:
    name: str
    where: str
    docs: str  # "served", "disabled", "" (the framework serves none by itself)


_FASTAPI = re.compile(r"\bFastAPI\s*\(")
_FRAMEWORKS = [
    ("Flask", re.compile(r"\bFlask\s*\(\s*__name__")),
    ("Django", re.compile(r"\bdjango\.(urls|conf)\b|\bfrom django\.")),
    ("Express", re.compile(r"\bexpress\s*\(\s*\)")),
    ("Go net/http", re.compile(r"\bhttp\.(HandleFunc|ListenAndServe)\s*\(|\bchi\.NewRouter\(|\bgin\.(Default|New)\(|"
                               r"\bmux\.NewRouter\(|\becho\.New\(|\bfiber\.New\(")),
    ("Starlette", re.compile(r"\bStarlette\s*\(")),
    ("aiohttp", re.compile(r"\bweb\.Application\s*\(")),
]
_SERVED_DOCS = [
    ("flask-restx/flask-restful-swagger", re.compile(r"\bApi\s*\(\s*(app|bp|blueprint)\b(?![^)]*doc\s*=\s*False)")),
    ("flasgger", re.compile(r"\bSwagger\s*\(\s*app\b")),
    ("flask-smorest/apispec", re.compile(r"\bfrom (flask_smorest|apispec)\b")),
    ("drf-spectacular/drf-yasg", re.compile(r"\b(drf_spectacular|drf_yasg)\b")),
    ("swagger-ui", re.compile(r"\bswagger-ui-express\b|\bswaggerUi\.serve\b|@nestjs/swagger|\bswag init\b|"
                              r"\bhttpSwagger\.")),
]


def _fastapi_docs(doc: Doc, n: int) -> str:
    """'served' or 'disabled' for the FastAPI(...) call starting at line n (arguments over a few lines)."""
    call = " ".join(line for _, line in doc.code_lines() if n <= _ <= n + 12)
    call = call[call.find("FastAPI"):]
    depth, end = 0, len(call)
    for i, ch in enumerate(call):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                end = i
                break
    args = call[:end]
    if re.search(r"openapi_url\s*=\s*None", args):
        return "disabled"
    docs_off = re.search(r"docs_url\s*=\s*None", args)
    redoc_off = re.search(r"redoc_url\s*=\s*None", args)
    if docs_off and redoc_off:
        return "disabled"
    if re.search(r"docs_url\s*=\s*[^,)]*\bif\b", args):
        return "conditional"
    return "served"


def backends(ctx: CheckContext) -> list[_Framework]:
    """Web frameworks the application code builds an API with, and whether they serve API docs."""
    found: list[_Framework] = []
    for doc in evidence_docs(ctx, [APP]):
        fastapi = may_match(doc, _FASTAPI)
        frameworks = [(name, rx) for name, rx in _FRAMEWORKS if may_match(doc, rx)]
        served = [(name, rx) for name, rx in _SERVED_DOCS if may_match(doc, rx)]
        if not (fastapi or frameworks or served):
            continue
        for n, line in doc.code_lines():
            if fastapi and _FASTAPI.search(line):
                found.append(_Framework("FastAPI", f"{doc.rel}:{n}", _fastapi_docs(doc, n)))
                continue
            for name, rx in frameworks:
                if rx.search(line):
                    found.append(_Framework(name, f"{doc.rel}:{n}", ""))
                    break
            for name, rx in served:
                if rx.search(line):
                    found.append(_Framework(name, f"{doc.rel}:{n}", "served"))
    return found


@check("docs.api", "API documentation: an OpenAPI file, an API reference in the docs, or docs the framework serves "
       "(FastAPI /docs unless disabled, flask-restx, flasgger…)", params=EXCLUDE, timeout=STATIC_TIMEOUT)
def api_docs(ctx: CheckContext) -> CheckResult:
    specs = [d.rel for d in evidence_docs(ctx) if SPEC_FILE.search(d.rel)]
    pages: list[str] = []
    endpoints: set[str] = set()
    for doc in _docs(ctx):
        found = {f"{m[0]} {m[1]}" for m in ENDPOINT.findall(doc.text)}
        named = API_DOC_NAME.search(doc.stem) or "/api/" in f"/{doc.rel.lower()}"
        titled = any(API_TITLE.search(s.title) for s in _outline(ctx, doc).sections[:3])
        if (named or titled) and (found or _words(doc.text) >= MIN_WORDS):
            pages.append(doc.rel)
        if named or titled or len(found) >= 3:
            endpoints |= found
    pages.sort(key=lambda rel: (0 if API_REFERENCE.search(PurePosixPath(rel).stem) else 1, rel.count("/"), rel))
    frameworks = backends(ctx)
    served = [f for f in frameworks if f.docs in ("served", "conditional")]
    disabled = [f for f in frameworks if f.docs == "disabled"]
    evidence = {"specs": specs[:20], "pages": pages[:20], "endpoints": sorted(endpoints)[:50],
                "endpoint_count": len(endpoints), "frameworks": [f"{f.name} ({f.where})" for f in frameworks][:10]}
    facts: dict[str, Any] = {"specs": specs[:10], "pages": pages[:10],
                             "served_docs": [f"{f.name} {f.where}" for f in served][:5],
                             "backend": [f"{f.name} {f.where}" for f in frameworks][:5]}
    parts = []
    if specs:
        parts.append(f"OpenAPI file {specs[0]}")
    if pages:
        parts.append(f"API reference {pages[0]}" + (f" (+{len(pages) - 1})" if len(pages) > 1 else ""))
    if served:
        f = served[0]
        how = "serves /docs" if f.name == "FastAPI" else "serves its API docs"
        cond = " (docs_url is conditional: confirm production keeps it)" if f.docs == "conditional" else ""
        parts.append(f"{f.name} {how} ({f.where}){cond}")
    if parts:
        return passed(f"API documented: {'; '.join(parts)}", **evidence).with_facts(**facts)
    if endpoints:
        return warned(f"API documentation is thin: {len(endpoints)} endpoints listed, no OpenAPI file or reference",
                      **evidence).with_facts(**facts)
    if not frameworks:
        return not_applicable("no backend API in the code (no FastAPI, Flask, Django, Express or Go HTTP server) and "
                              "no API documentation", **evidence).with_facts(**facts)
    f = (disabled or frameworks)[0]
    off = " with its docs disabled" if disabled else ""
    return failed(f"the {f.name} API ({f.where}){off} has no documentation: no OpenAPI file, no API reference "
                  "in the docs", **evidence).with_facts(**facts)


# ---------------------------------------------------------------- 9.5, 9.6

DEPLOY_TITLE = re.compile(r"deploy|production|going live|go live|hosting|release process|runbook|"
                          r"d[ée]ploiement|mise en production", re.I)
DEPLOY_NAME = re.compile(r"deploy|release|production|hosting|d[ée]ploiement", re.I)
LOCAL_ONLY = re.compile(r"local|development|dev\b|quick ?start|getting started", re.I)


@check("docs.runbook", "A deployment runbook: deployment steps (numbered steps or commands) in a document or section",
       params=PROCEDURE_PARAMS, timeout=STATIC_TIMEOUT)
def runbook(ctx: CheckContext) -> CheckResult:
    hits: list[tuple[str, str]] = []
    mentions: list[str] = []
    for doc in _standing_docs(ctx):
        outline = _outline(ctx, doc)
        named = bool(DEPLOY_NAME.search(doc.stem))
        found = None
        for deep in (False, True):
            for s in outline.sections:
                if LOCAL_ONLY.search(s.title) and not re.search(r"production|prod\b", s.title, re.I):
                    continue
                titled = DEPLOY_TITLE.search(s.title)
                if not (titled or named):
                    continue
                how = procedure(s, deep)
                if how and (titled or "command" in how):  # a numbered list under another heading may be anything
                    found = (_where(doc, s), f"'{s.title}': {how}")
                    break
                if titled and deep:
                    mentions.append(_where(doc, s))
            if found:
                hits.append(found)
                break
    def relevance(hit: tuple[str, str]) -> tuple[int, str]:
        stem = PurePosixPath(hit[0].rsplit(":", 1)[0]).stem
        named = bool(DEPLOY_NAME.search(stem))
        return (0 if named and re.search(r"runbook", stem, re.I) else 1 if named and re.search(r"guide", stem, re.I)
                else 2 if named else 3 if stem.lower() == "readme" else 4, hit[0])

    hits.sort(key=relevance)
    facts = {"runbooks": [w for w, _ in hits][:10]}
    if hits:
        where, how = hits[0]
        more = f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""
        return passed(f"deployment steps in {where} {how}{more}", files=[w for w, _ in hits]).with_facts(**facts)
    if mentions:
        return failed(f"deployment is mentioned ({', '.join(mentions[:3])}) but no steps are written down",
                      mentions=mentions).with_facts(**facts, mentions=mentions[:10])
    return failed("no deployment runbook (a document or section with the deployment steps)").with_facts(**facts)


@check("docs.troubleshooting", "A troubleshooting guide exists (a Troubleshooting/FAQ section with content, or its own document)",
       params=EXCLUDE, timeout=STATIC_TIMEOUT)
def troubleshooting(ctx: CheckContext) -> CheckResult:
    hits: list[str] = []
    for doc in _docs(ctx):
        outline = _outline(ctx, doc)
        sections = [s for s in outline.sections if (
            TROUBLE_LABEL.search(s.title) if s.kind == "label" else TROUBLE_TITLE.search(s.title)) and s.words() >= 6]
        if sections:
            hits.append(_where(doc, sections[0]))
        elif TROUBLE_TITLE.search(doc.stem.replace("_", " ")) and outline.words() >= MIN_WORDS:
            hits.append(f"{doc.rel}:1")
    hits.sort(key=lambda h: (0 if TROUBLE_LABEL.search(h) else 1, h.count("/"), h))
    if not hits:
        return failed("no troubleshooting guide (a Troubleshooting section with content, or TROUBLESHOOTING.md)") \
            .with_facts(files=[])
    return passed(f"troubleshooting: {', '.join(hits[:3])}", files=hits).with_facts(files=hits[:10])


# ---------------------------------------------------------------- 9.7

IMAGE_EXT = {".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp", ".drawio", ".puml", ".mmd", ".excalidraw"}
ARCH_NAME = re.compile(r"architect|system[_\- ]?(diagram|overview|design)|infra(structure)?[_\- ]?diagram|topology|"
                       r"c4[_\- ]|deployment[_\- ]diagram|component[_\- ]diagram", re.I)
ARCH_CONTEXT = re.compile(r"architect|system (overview|design|diagram)|high[- ]level|topology|infrastructure|"
                          r"components|how it works|overview|\bstack\b|deployment diagram", re.I)
MERMAID_KIND = re.compile(r"^\s*(flowchart|graph|C4\w*|architecture(-beta)?|block(-beta)?)\b", re.I | re.M)
MERMAID_NOT = re.compile(r"^\s*(classDiagram|sequenceDiagram|erDiagram|stateDiagram|gantt|pie|journey|gitGraph|"
                         r"mindmap|timeline|quadrantChart|requirementDiagram|xychart)", re.I | re.M)
COMPONENT = re.compile(r"\b(frontend|backend|api|server|database|db|postgres(ql)?|redis|cache|queue|worker|nginx|"
                       r"proxy|load ?balancer|streamlit|fastapi|flask|supabase|storage|s3|browser|client|cdn|"
                       r"gateway|kafka|celery|docker|container|service|pusher|auth)\b", re.I)
#: A process flowchart, not a system: decision (rhombus) nodes, start/end nodes, yes/no edges.
DECISION = re.compile(r"\w\{[^{}]+\}|\(\[\s*(start|end|begin|stop|done)\s*\]\)|--\s*>?\s*\|\s*(yes|no)\s*\|", re.I)
BOX_TOP = re.compile(r"[┌╔╭]─|─[┐╗╮]|\+[-=]{3,}\+")
CONNECTOR = re.compile(r"[▼▲►◄▶◀↓↑→←]|──+>|-{2,}>|<-{2,}|=+>|\bv\b\s*$", re.M)


def _mermaid_architecture(body: str, context: bool) -> bool:
    if MERMAID_NOT.search(body) or not MERMAID_KIND.search(body):
        return False
    if context:
        return True
    components = {m.group(1).lower() for m in COMPONENT.finditer(body)}
    return len(components) >= 3 and not DECISION.search(body)


BARS_ONLY = re.compile(r"^[ \t]*[│|][ \t│|]*$")


def _vertical_links(body: str) -> bool:
    """Boxes joined by plain vertical lines: a bars-only line just below a box's bottom or above a box's top."""
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if BARS_ONLY.match(line):
            before = lines[i - 1] if i else ""
            after = lines[i + 1] if i + 1 < len(lines) else ""
            if re.search(r"[┘┴╯╝]|\+-{3,}\+", before) or re.search(r"[┌┬╭╔]", after):
                return True
    return False


def _ascii_architecture(body: str, context: bool) -> bool:
    if len(BOX_TOP.findall(body)) < 2 or not (CONNECTOR.search(body) or _vertical_links(body)):
        return False
    if context:
        return True
    components = {m.group(1).lower() for m in COMPONENT.finditer(body)}
    return len(components) >= 3 and not re.search(r"\w\?\s*[│|]", body)


@check("docs.architecture", "An architecture diagram: an image named for it, a mermaid flowchart/C4 block or a boxed "
       "ASCII diagram of the system (not a class or sequence diagram)", params=EXCLUDE, timeout=STATIC_TIMEOUT)
def architecture(ctx: CheckContext) -> CheckResult:
    globs = [str(g) for g in ctx.param("evidence_exclude") or []]
    images = sorted(rel for rel in _all_paths(ctx)
                    if PurePosixPath(rel).suffix.lower() in IMAGE_EXT and ARCH_NAME.search(PurePosixPath(rel).stem)
                    and not excluded(rel, globs))
    blocks: list[str] = []
    ascii_: list[str] = []
    for doc in _docs(ctx):
        if "```" not in doc.text and "~~~" not in doc.text:
            continue
        outline = _outline(ctx, doc)
        named = bool(re.search(r"architect|overview|design|infra|system", doc.name, re.I))
        first = outline.sections[0].line if outline.sections else 1 << 30
        groups: list[tuple[bool, list]] = [(named, [b for b in outline.blocks if b.line < first])]
        stack: list[Section] = []
        for section in outline.sections:
            while stack and stack[-1].level >= section.level:
                stack.pop()
            stack.append(section)
            groups.append((named or any(ARCH_CONTEXT.search(s.title) for s in stack), section.blocks))
        for context, own in groups:
            for block in own:
                body = "\n".join(block.body)
                where = f"{doc.rel}:{block.line}"
                if block.lang == "mermaid" and _mermaid_architecture(body, context):
                    blocks.append(f"{where} (mermaid)")
                elif block.lang in ("plantuml", "puml") or "@startuml" in body:
                    if context or re.search(r"\b(component|node|deployment|cloud|database)\b", body):
                        blocks.append(f"{where} (PlantUML)")
                elif block.lang in ("", "text", "txt", "ascii", "plain", "none") and _ascii_architecture(body, context):
                    ascii_.append(f"{where} (ASCII)")
    found = images + ascii_ + blocks
    found.sort(key=lambda w: (0 if re.match(r"readme\.", w, re.I) else 1 if re.search(r"architect", w, re.I) else 2))
    evidence = {"images": images[:20], "diagram_blocks": blocks[:20], "ascii_diagrams": ascii_[:20]}
    facts = {"diagrams": found[:10]}
    if not found:
        return failed("no architecture diagram (an image named *architecture*, a mermaid flowchart of the system, or "
                      "a boxed ASCII diagram)", **evidence).with_facts(**facts)
    more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
    return passed(f"architecture diagram: {found[0]}{more}", **evidence).with_facts(**facts)


def _all_paths(ctx: CheckContext) -> list[str]:
    from readiness_tui import gitutil

    base = base_dir(ctx)
    tracked = gitutil.tracked_files(base) if (base / ".git").exists() else []
    if tracked:
        return tracked
    return [p.relative_to(base).as_posix() for p in base.rglob("*")
            if p.suffix.lower() in IMAGE_EXT and not any(part in (".git", "node_modules", ".venv") for part in p.parts)]


# ---------------------------------------------------------------- 9.8


@check("docs.phases", "Phase documents A–E exist (PHASE_<X>_*.md)",
       params={"phases": Param(list[str], "the phase letters whose documents must exist", ["A", "B", "C", "D", "E"]),
               **EXCLUDE}, timeout=STATIC_TIMEOUT)
def phases(ctx: CheckContext) -> CheckResult:
    wanted = [str(p).upper() for p in ctx.param("phases")]
    found: dict[str, list[str]] = {p: [] for p in wanted}
    for doc in _docs(ctx):
        m = re.match(r"phase[_\- ]?([a-z])(?:[_\-. ]|$)", doc.name, re.I)
        if m and m.group(1).upper() in found:
            found[m.group(1).upper()].append(doc.rel)
    missing = [p for p, files in found.items() if not files]
    evidence = {"found": found, "missing": missing}
    facts = {"missing": missing, "found": {k: v[:3] for k, v in found.items()}}
    if missing:
        return failed(f"phase documentation missing for {', '.join(missing)} "
                      f"(found {len(wanted) - len(missing)} of {len(wanted)})", **evidence).with_facts(**facts)
    return passed(f"phase documents {', '.join(wanted)} present", **evidence).with_facts(**facts)


# ---------------------------------------------------------------- 6.4–6.6


@dataclass(frozen=True)
class _Topic:
    what: str
    title: re.Pattern[str]
    name: re.Pattern[str]
    body: re.Pattern[str]
    not_title: re.Pattern[str] = re.compile(r"(?!x)x")


RECOVERY = _Topic(
    "recovery procedure",
    re.compile(r"\brecover(y|ing)?\b|\brestor(e|ing|ation)\b", re.I),
    re.compile(r"recover|restore", re.I),
    re.compile(r"restore|backup|back up|snapshot|pg_restore|psql|point[- ]in[- ]time|\bpitr\b|recover|redeploy|"
               r"restart|failover|re-?create|rebuild", re.I),
    re.compile(r"error handling|retr(y|ies)|exception|password|account|energy|capital|self-healing|key recovery|"
               r"data recovery rate", re.I),
)
ROLLBACK = _Topic(
    "rollback procedure",
    re.compile(r"roll ?-?back|revert(ing)? (a |the )?(deploy|release)|downgrad", re.I),
    re.compile(r"rollback|roll-back|revert", re.I),
    re.compile(r"roll ?back|revert|previous (version|release|image|tag|deploy)|redeploy|downgrade|restore|"
               r"git (checkout|reset|revert)|docker|kubectl|helm", re.I),
    re.compile(r"transaction|migration rollback on error", re.I),
)
DISASTER = _Topic(
    "disaster recovery plan",
    re.compile(r"disaster|business continuity|\bDR\b( plan| drill| procedure|$)|\bBCP\b", re.I),
    re.compile(r"disaster|(^|[_\-])dr([_\-.]|$)|business[_\-]continuity", re.I),
    re.compile(r"restore|backup|\bRTO\b|\bRPO\b|failover|recover|region|replica|snapshot", re.I),
)
TODO_LINE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s*(\[[ x]\]\s*)?(todo|to do|prepare|create|write|add|plan|define|"
                       r"document)\b", re.I)


def _standing_docs(ctx: CheckContext) -> list[Doc]:
    notes = [str(g) for g in ctx.param("notes_exclude") or []]
    return [d for d in _docs(ctx) if not excluded(d.rel, notes)]


#: Documents about running the service: a procedure deep inside a guide about something else (a
#: dependency manager, a cache's configuration) is that thing's procedure, not the service's.
OPS_DOC = re.compile(r"deploy|release|operat|runbook|maintenan|migrat|recover|restore|backup|incident|disaster|"
                     r"rollback|roll-back|production|(^|/|_|-)ops|sre|on-?call|readme|emergency|continuity", re.I)


STANDING = re.compile(r"procedure|plan|steps|runbook|how to|process|playbook", re.I)


def _procedures(ctx: CheckContext, topic: _Topic) -> tuple[list[tuple[str, str]], list[str]]:
    """(sections with a procedure: (where, how)), most relevant first; (mentions without one)."""
    hits: list[tuple[tuple[int, int, int], str, str]] = []
    mentions: list[str] = []
    for doc in _standing_docs(ctx):
        if not (may_match(doc, topic.title) and topic.title.search(doc.text)) and not topic.name.search(doc.name):
            continue
        outline = _outline(ctx, doc)
        named = bool(topic.name.search(doc.stem))
        ops_doc = named or bool(OPS_DOC.search(doc.rel) or outline.sections and OPS_DOC.search(outline.sections[0].title))
        for s in outline.sections:
            titled = bool(topic.title.search(s.title)) and not topic.not_title.search(s.title)
            if not titled and not (named and s.level <= 2):
                continue
            if not ops_doc and s.level > 2:
                mentions.append(f"{_where(doc, s)} (in a guide about something else)")
                continue
            body = "\n".join(s.deep_body())
            how = procedure(s)
            if how and not titled and "command" not in how:
                how = ""  # a numbered list under another heading of a named document may be anything
            if how and topic.body.search(body + " " + s.title):
                rank = (0 if named else 1 if OPS_DOC.search(doc.rel) else 2,
                        0 if STANDING.search(s.title) else 1, s.level)
                hits.append((rank, _where(doc, s), f"'{s.title}': {how}"))
                break
            if titled:
                mentions.append(_where(doc, s))
        else:
            for n, line in enumerate(doc.lines, 1):
                if topic.title.search(line) and not topic.not_title.search(line):
                    kind = "to-do line" if TODO_LINE.match(line) else "mention"
                    mentions.append(f"{doc.rel}:{n} ({kind})")
                    break
    hits.sort(key=lambda h: h[0])
    return [(where, how) for _, where, how in hits], mentions


def _procedure_result(ctx: CheckContext, topic: _Topic, scripts: list[str] | None = None) -> CheckResult:
    hits, mentions = _procedures(ctx, topic)
    scripts = scripts or []
    facts = {"procedures": [w for w, _ in hits][:10], "scripts": scripts[:10]}
    evidence = {"files": [w for w, _ in hits], "mentions": mentions[:20], "scripts": scripts}
    if hits:
        where, how = hits[0]
        more = f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""
        return pending(f"{topic.what} documented in {where} {how}{more}: confirm it has been tested",
                       **evidence).with_facts(**facts)
    if scripts:
        return pending(f"{scripts[0]} implements rollback but no procedure is written down: confirm",
                       **evidence).with_facts(**facts)
    if mentions:
        return failed(f"no {topic.what}: only mentioned without steps ({', '.join(mentions[:3])})",
                      **evidence).with_facts(**facts, mentions=mentions[:10])
    return failed(f"no {topic.what} documented", **evidence).with_facts(**facts)


@check("docs.recovery", "A recovery (restore) procedure is documented with steps or commands; a person confirms it was tested",
       params=PROCEDURE_PARAMS, timeout=STATIC_TIMEOUT)
def recovery(ctx: CheckContext) -> CheckResult:
    return _procedure_result(ctx, RECOVERY)


ROLLBACK_SCRIPT = re.compile(r"^\s*(function\s+)?rollback\w*\s*\(\)|^\s*def rollback\w*\(|--rollback\b|"
                             r"\brollback\)\s*$|^\s*rollback\w*\s*\(\)\s*\{", re.I | re.M)


@check("docs.rollback", "A rollback procedure is documented (steps or commands) or scripted in the deployment",
       params=PROCEDURE_PARAMS, timeout=STATIC_TIMEOUT)
def rollback(ctx: CheckContext) -> CheckResult:
    scripts = []
    for doc in evidence_docs(ctx, [SCRIPT, DEPLOY, APP]):
        stem = doc.stem.lower()
        if "rollback" in stem and doc.rank in (SCRIPT, DEPLOY):
            scripts.append(doc.rel)
        elif ("deploy" in stem or "release" in stem) and ROLLBACK_SCRIPT.search(doc.text):
            scripts.append(doc.rel)
    return _procedure_result(ctx, ROLLBACK, scripts)


@check("docs.disaster_recovery", "A disaster recovery plan is documented (RTO/RPO, restore steps)",
       params=PROCEDURE_PARAMS, timeout=STATIC_TIMEOUT)
def disaster_recovery(ctx: CheckContext) -> CheckResult:
    return _procedure_result(ctx, DISASTER)


__all__ = ["Doc", "backends", "broken_links", "headings"]
