"""The project's text files, read once per run and shared by every check that looks for evidence.

Two things live here:

* the corpus itself: tracked text files (or a bounded walk without git), read once per run under a
  lock and bounded on its own — file count, bytes and a wall-clock budget — so a large repository
  cannot make file-only checks race the per-check network timeout;
* the evidence rules: which files may serve as evidence that a capability is configured
  (`evidence_exclude` globs, a parameter every evidence check declares with `EVIDENCE_EXCLUDE` as its
  default), how relevant each file is (application code and deployment descriptors first), and
  which lines count (comments, docstrings and empty defaults do not). docs/evidence.md explains them.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from readiness_tui import fileio, gitutil
from readiness_tui.checkapi import CheckContext, Param

TEXT_EXT = {
    ".md", ".markdown", ".rst", ".txt", ".py", ".toml", ".yml", ".yaml", ".json", ".ini", ".cfg", ".conf",
    ".sh", ".bash", ".env", ".sql", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".html", ".mmd",
    ".puml", ".example", ".sample", ".template", ".tf", ".service", ".timer", ".properties", ".j2",
}
TEXT_NAMES = {"dockerfile", "containerfile", "makefile", "procfile", "crontab", ".env", "caddyfile", "jenkinsfile"}
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".readiness", ".tox", "site-packages",
             ".mypy_cache", ".pytest_cache", ".ruff_cache"}
#: Bounds of the corpus, independent of any per-check timeout.
MAX_FILE = 512 * 1024
MAX_FILES = 4000
MAX_TOTAL = 40 * 1024 * 1024
MAX_SECONDS = 20.0
#: Own timeout of the checks that only read files: the run's `--timeout` is a network budget.
STATIC_TIMEOUT = 120.0
_LOCK = threading.Lock()

#: Files that are never evidence that a capability is configured (gitignore-style globs, matched
#: against the path relative to the repository root; a pattern without `/` matches a file name).
EVIDENCE_EXCLUDE: list[str] = [
    # tests and their fixtures
    "**/tests/**", "**/test/**", "**/__tests__/**", "**/e2e/**", "**/fixtures/**", "**/testdata/**",
    "test_*.py", "*_test.py", "*_test.go", "*.test.*", "*.spec.*", "conftest.py",
    # notebooks and experiments
    "*.ipynb", "**/notebooks/**",
    # load-test scripts
    "locustfile*", "**/locust/**", "**/load_test*/**", "**/load-test*/**", "**/loadtest*/**", "**/k6/**",
    # lockfiles and dependency manifests (a declared package is not a configured capability)
    "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "Pipfile.lock", "uv.lock", "go.sum",
    "Cargo.lock", "composer.lock", "Gemfile.lock", "requirements*.txt", "package.json", "Pipfile", "go.mod",
    # CI pipelines (install lines, scanners)
    "**/.github/**", ".gitlab-ci.yml", "**/.circleci/**", "azure-pipelines*.yml", "Jenkinsfile",
    "bitbucket-pipelines.yml",
    # backups and copies
    "**/.rollback/**", "*.bak", "*.backup*", "*.orig", "*.old", "*~", "**/backup_*/**", "**/*_backup/**",
    "**/*.old/**", "**/*_old/**", "**/archive/**", "**/archived/**",
    # scanner and build output
    "**/.sonarqube/**", "**/.scannerwork/**", "**/htmlcov/**", "**/coverage/**", "**/.next/**",
    # vendored code
    "**/node_modules/**", "**/vendor/**", "**/site-packages/**", "**/.venv/**", "**/venv/**",
    "**/third_party/**",
    # editor and assistant configuration
    "**/.claude/**", "**/.cursor/**", "**/.vscode/**", "**/.idea/**",
]


def exclude_param(what: str = "evidence") -> Param:
    """The `evidence_exclude` parameter an evidence check declares (default: `EVIDENCE_EXCLUDE`)."""
    return Param(list[str], f"files never taken as {what} (globs; `**/x/**` a folder anywhere, a name "
                 "without `/` any file of that name); replaces the default list — see docs/evidence.md",
                 list(EVIDENCE_EXCLUDE))


# --- relevance ---------------------------------------------------------------------------------

APP, DEPLOY, CONFIG, SCRIPT, DOCS, EXAMPLE = range(6)
KIND_NAMES = {APP: "app code", DEPLOY: "deployment", CONFIG: "configuration", SCRIPT: "script",
              DOCS: "documentation", EXAMPLE: "example"}
CODE_EXT = {".py", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go"}
DOC_EXT = {".md", ".markdown", ".rst", ".txt"}
_DEPLOY_NAME = re.compile(
    r"^(dockerfile|containerfile)([._-].*)?$|.*\.dockerfile$|^(docker-)?compose[\w.-]*\.ya?ml$|^procfile$|"
    r"^render\.ya?ml$|^fly\.toml$|^railway\.(json|toml)$|^app\.yaml$|^vercel\.json$|^netlify\.toml$|"
    r"^nginx[\w.-]*\.conf$|^caddyfile$|^supervisord?[\w.-]*\.conf$|.*\.(service|timer|tf)$|"
    r"^task-?definition[\w.-]*\.json$|^logrotate[\w.-]*$|^crontab$", re.I)
_DEPLOY_DIR = {"k8s", "kubernetes", "helm", "charts", "deploy", "deployment", "deployments", "infra",
               "infrastructure", "terraform", "nginx", "ops", ".platform", ".do"}
_SCRIPT_DIR = {"scripts", "script", "bin", "tools", "utils_scripts", "devops"}
_EXAMPLE = re.compile(r"(^|[._-])(example|examples|sample|template|dist|tmpl)([._-]|$)", re.I)


def relevance(rel: str) -> int:
    """How much a file says about the deployed application: 0 app code … 5 examples and templates."""
    p = PurePosixPath(rel)
    name = p.name.lower()
    dirs = {d.lower() for d in p.parts[:-1]}
    if _EXAMPLE.search(name) or dirs & {"examples", "example", "samples"}:
        return EXAMPLE
    if _DEPLOY_NAME.match(name):
        return DEPLOY
    if p.suffix.lower() in DOC_EXT:
        return DOCS
    if dirs & _DEPLOY_DIR and p.suffix.lower() in {".yml", ".yaml", ".json", ".conf", ".toml"}:
        return DEPLOY
    if dirs & _SCRIPT_DIR or p.suffix.lower() in {".sh", ".bash"} or name == "makefile":
        return SCRIPT
    if p.suffix.lower() in CODE_EXT:
        return APP
    return CONFIG


# --- globs -------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A gitignore-style glob as a regular expression over a `/`-separated relative path."""
    pattern = pattern.strip()
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.lstrip("/")
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            inner = pattern[i + 1:end]
            inner = inner.replace("\\", "\\\\")
            out.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    return re.compile(("^" if anchored else r"^(?:.*/)?") + body + "$", re.I)


@lru_cache(maxsize=64)
def _globs_regex(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = [glob_regex(g).pattern for g in globs if g.strip()]
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I) if parts else None


def excluded(rel: str, globs: Iterable[str]) -> bool:
    """True when a relative path matches one of the globs."""
    rx = _globs_regex(tuple(globs))
    return bool(rx and rx.match(rel))


# --- the corpus --------------------------------------------------------------------------------


@dataclass
class Doc:
    """One text file of the project: path relative to the base, its text and how relevant it is."""

    rel: str
    path: Path
    text: str
    rank: int = CONFIG
    _lines: list[str] | None = field(default=None, repr=False)
    _lower: str | None = field(default=None, repr=False)
    _code: list[tuple[int, str]] | None = field(default=None, repr=False)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    @property
    def lower(self) -> str:
        """The text in lower case (a cheap first filter before line-by-line matching)."""
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    @cached_property
    def suffix(self) -> str:
        return PurePosixPath(self.rel).suffix.lower()

    @cached_property
    def name(self) -> str:
        return PurePosixPath(self.rel).name

    @cached_property
    def stem(self) -> str:
        return PurePosixPath(self.rel).stem

    def code_lines(self) -> list[tuple[int, str]]:
        """(line number, line) of the lines that are live code or configuration: comments, docstrings
        and bare string blocks removed, trailing comments cut."""
        if self._code is None:
            self._code = list(_live_lines(self))
        return self._code


@dataclass
class Corpus:
    """The files of one run, with what bounded it."""

    docs: list[Doc]
    truncated: str = ""


def base_dir(ctx: CheckContext) -> Path:
    """The repository root when there is one, else the project directory."""
    return ctx.settings.repo_root or ctx.settings.project_dir


def _candidates(base: Path) -> list[str]:
    tracked = gitutil.tracked_files(base) if (base / ".git").exists() else []
    if tracked:
        return tracked
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            found.append(os.path.relpath(os.path.join(dirpath, name), base))
            if len(found) >= MAX_FILES * 4:
                return found
    return found


def _is_text_name(p: PurePosixPath) -> bool:
    name = p.name.lower()
    return (p.suffix.lower() in TEXT_EXT or name in TEXT_NAMES or name.startswith((".env", "dockerfile"))
            or name.endswith(".dockerfile"))


def build(base: Path, *, max_files: int = MAX_FILES, max_total: int = MAX_TOTAL,
          max_seconds: float = MAX_SECONDS) -> Corpus:
    """Read the text files under `base` within the bounds (files, bytes, seconds)."""
    deadline = time.monotonic() + max_seconds
    docs: list[Doc] = []
    total = 0
    truncated = ""
    for rel in _candidates(base):
        p = PurePosixPath(rel.replace(os.sep, "/"))
        if any(part in SKIP_DIRS for part in p.parts) or not _is_text_name(p):
            continue
        if time.monotonic() > deadline:
            truncated = f"stopped reading after {max_seconds:g} s ({len(docs)} files read)"
            break
        path = base / rel
        try:  # a regular file within MAX_FILE, opened without blocking (a FIFO or device is skipped, never waited on)
            raw = fileio.read_bytes(path, MAX_FILE, "a text file")
        except fileio.FileProblem:
            continue
        if b"\0" in raw[:4096]:
            continue
        docs.append(Doc(p.as_posix(), path, raw.decode("utf-8", "replace"), relevance(p.as_posix())))
        total += len(raw)
        if len(docs) >= max_files or total >= max_total:
            truncated = f"stopped at {len(docs)} files / {total // (1024 * 1024)} MB"
            break
    return Corpus(docs, truncated)


def the_corpus(ctx: CheckContext) -> Corpus:
    """The run's corpus, built by the first check that asks for it."""
    with _LOCK:
        cached: Corpus | None = ctx.shared.get("corpus")
        if cached is None:
            cached = build(base_dir(ctx))
            ctx.shared["corpus"] = cached
        return cached


def corpus(ctx: CheckContext) -> list[Doc]:
    """Text files of the repository (tracked files, or a bounded walk without git), read once per run."""
    return the_corpus(ctx).docs


def markdown(ctx: CheckContext) -> list[Doc]:
    """The documentation files (Markdown, reStructuredText, text)."""
    return [d for d in corpus(ctx) if d.suffix in DOC_EXT]


def evidence_docs(ctx: CheckContext, kinds: Sequence[int] | None = None) -> list[Doc]:
    """The corpus files this check may take as evidence, most relevant first.

    Files matching the check's `evidence_exclude` globs are left out; `kinds` keeps only some
    relevance classes (APP, DEPLOY, …). Order: relevance, then path.
    """
    globs = tuple(str(g) for g in (ctx.param("evidence_exclude") or []))
    key = "evidence\0" + "\0".join(globs) + "\0" + (",".join(str(k) for k in sorted(kinds)) if kinds is not None else "all")
    cached = ctx.shared.get(key)
    if cached is None:
        keep = set(kinds) if kinds is not None else None
        docs = [d for d in corpus(ctx) if (keep is None or d.rank in keep) and not excluded(d.rel, globs)]
        cached = ctx.shared[key] = sorted(docs, key=lambda d: (d.rank, d.rel))
    return list(cached)


# --- cheap prefilter -------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def literal_hints(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
    """Lower-case strings of which at least one occurs in any text the pattern matches, or None.

    A file whose lower-cased text contains none of them cannot match, so a check skips it without
    running the (much slower) regular expression over it. Derived from the parsed pattern: each
    alternative contributes its longest literal run of three characters or more.
    """
    try:
        import re._parser as sre  # type: ignore[import-not-found]

        tree = sre.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - a pattern we cannot analyse is simply never skipped
        return None
    hints = _required(list(tree), sre)
    return tuple(sorted(hints)) if hints else None


def _required(items: list[Any], sre: Any) -> set[str] | None:
    """Strings one of which must occur for the sequence `items` to match (None: nothing required)."""
    best: set[str] | None = None
    run = ""

    def consider(candidate: set[str] | None) -> None:
        nonlocal best
        if candidate and min(len(c) for c in candidate) >= 3 and (
                best is None or min(len(c) for c in candidate) > min(len(c) for c in best)):
            best = candidate

    for op, arg in items:
        if op is sre.LITERAL:
            run += chr(arg).lower()
            continue
        consider({run} if run else None)
        run = ""
        if op is sre.SUBPATTERN:
            consider(_required(list(arg[-1]), sre))
        elif op is sre.BRANCH:
            alternatives = [_required(list(branch), sre) for branch in arg[1]]
            if all(alternatives):
                consider(set().union(*alternatives))  # type: ignore[arg-type]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and arg[0] >= 1:
            consider(_required(list(arg[2]), sre))
    consider({run} if run else None)
    return best


def may_match(doc: Doc, rx: re.Pattern[str]) -> bool:
    """False when the file cannot match `rx` (none of its literal hints occurs in the text)."""
    hints = literal_hints(rx.pattern, rx.flags & ~re.UNICODE)
    return hints is None or any(h in doc.lower for h in hints)


def ranked(locations: Iterable[str]) -> list[str]:
    """`file:line` strings ordered by the relevance of their file (app code and deployment first)."""
    return sorted(dict.fromkeys(locations), key=lambda loc: (relevance(loc.rsplit(":", 1)[0]), loc))


# --- live lines ----------------------------------------------------------------------------------

_HASH_COMMENT = {".py", ".sh", ".bash", ".yml", ".yaml", ".toml", ".env", ".ini", ".cfg", ".conf", ".properties",
                 ".tf", ".service", ".timer", ""}
_SLASH_COMMENT = {".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go"}
_TRIPLE = re.compile(r"^[rRbBuUfF]{0,2}(\"\"\"|''')")


def _comment_style(doc: Doc) -> str:
    suffix = doc.suffix
    name = doc.name.lower()
    if suffix in _SLASH_COMMENT:
        return "//"
    if suffix == ".sql":
        return "--"
    if suffix in (".html", ".md", ".markdown"):
        return "<!--"
    if suffix in _HASH_COMMENT or name.startswith((".env", "dockerfile")) or name in TEXT_NAMES:
        return "#"
    return ""


def _cut_trailing(line: str, marker: str) -> str:
    """The line without a trailing comment (`marker` outside quotes, after whitespace)."""
    if marker not in line:
        return line
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and line[i - 1] != "\\":
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif line.startswith(marker, i) and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line


def _live_lines(doc: Doc) -> Iterator[tuple[int, str]]:
    style = _comment_style(doc)
    in_block = ""
    in_string = ""  # inside a triple-quoted value (an f-string of HTML, SQL…): its lines are kept
    for n, raw in enumerate(doc.lines, 1):
        line = raw.strip()
        if in_block:
            if in_block in line:
                in_block = ""
            continue
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = ""
            yield n, raw
            continue
        if not line:
            continue
        if style == "#":
            if line.startswith("#"):
                continue
            if doc.suffix == ".py":
                m = _TRIPLE.match(line)
                if m:  # a docstring or a bare string block: never configuration
                    quote = m.group(1)
                    if line.count(quote) < 2:
                        in_block = quote
                    continue
                for quote in ('"""', "'''"):
                    if line.count(quote) % 2 == 1:
                        in_string = quote
                        break
            yield n, _cut_trailing(raw, "#")
        elif style == "//":
            if line.startswith("//"):
                continue
            if line.startswith("/*"):
                if "*/" not in line:
                    in_block = "*/"
                continue
            yield n, _cut_trailing(raw, "//")
        elif style == "--":
            if not line.startswith("--"):
                yield n, raw
        elif style == "<!--":
            if line.startswith("<!--"):
                if "-->" not in line:
                    in_block = "-->"
                continue
            yield n, raw
        else:
            yield n, raw


#: A value that says nothing: empty, a bare reference to a variable, or a shell default that is empty.
_EMPTY_VALUE = re.compile(
    r"""^\s*(?:["']{2}|["']?\$\{?\w+\}?["']?|["']?\$\{\w+:?-\}["']?|None|null|~|<[^>]*>|your[-_\w]*|
    changeme|xxx+|\.\.\.)?\s*$""", re.I | re.X)


def empty_value(value: str) -> bool:
    """True for values that configure nothing: ``""``, ``${X}``, ``${X:-}``, ``None``, placeholders."""
    return bool(_EMPTY_VALUE.match(value.strip().rstrip(",;)")))


__all__ = [
    "APP", "CONFIG", "DEPLOY", "DOCS", "EVIDENCE_EXCLUDE", "EXAMPLE", "SCRIPT", "STATIC_TIMEOUT", "Corpus", "Doc",
    "base_dir", "build", "corpus", "empty_value", "evidence_docs", "exclude_param",
    "excluded", "glob_regex", "literal_hints", "markdown", "may_match", "ranked", "relevance", "the_corpus",
]
