"""A fast secret scanner for the files of a project's repository (items 1.6 and 3.4).

The files are those git tracks (`git ls-files`), or, outside a repository, a walk that honours
`.gitignore`. Each file is read once as bytes; binary (a NUL byte in the first 8 KiB), huge
(> 2 MB by default) and non-UTF-8 files are counted and skipped. Rules with a distinctive literal
(`eyJ`, `sb_secret_`, `AKIA`, `-----BEGIN`, `xox`, ...) run only on files that contain it (a
substring test runs at memory speed); the keyword rule (`SECRET_KEY=…`, `"api_key": "…"`) runs
only on the lines that contain a secret-sounding word. That is why a repository of 600 files and
17 MB takes well under a second where detect-secrets 1.5 takes ~20 s (benchmarks/secret_scan.py).

A finding never holds the secret: file, line, rule, severity, a redacted preview (at most the
first 4 characters and the length) and the SHA-1 of the value (the baseline's `hashed_secret`, as
detect-secrets stores it). Allowlisting: `pragma: allowlist secret` on the line (or
`pragma: allowlist nextline secret` on the line above), and a baseline file (see `BASELINE`).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from readiness_tui import gitutil
from readiness_tui.redact import preview
from readiness_tui.values import decode_jwt, is_placeholder

MAX_FILE_BYTES = 2 * 1024 * 1024
#: Where `readiness secrets baseline` writes the baseline, relative to the project directory.
BASELINE = Path(".readiness") / "secrets-baseline.json"
#: detect-secrets' baseline, honoured too (same `results` shape, `hashed_secret` = SHA-1 of the value).
DETECT_SECRETS_BASELINE = ".secrets.baseline"

SEVERITIES = ("critical", "high", "medium", "low")
#: Source files where the keyword rule wants a quoted literal (unquoted, the value is code).
CODE_SUFFIXES = frozenset({".py", ".pyi", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java", ".kt",
                           ".rb", ".php", ".cs", ".c", ".h", ".cc", ".cpp", ".hpp", ".rs", ".swift", ".scala"})
PRAGMA = "pragma: allowlist secret"
PRAGMA_NEXT = "pragma: allowlist nextline secret"

#: Directories never scanned in a walk (the run record, VCS data, virtual environments).
_WALK_SKIP_DIRS = {".git", ".readiness", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv"}

def shannon_entropy(value: str) -> float:
    """Bits per character of `value`."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _char_classes(value: str) -> int:
    lower = upper = digit = other = False
    for ch in value:
        if ch.islower():
            lower = True
        elif ch.isupper():
            upper = True
        elif ch.isdigit():
            digit = True
        elif ch not in "_-./":
            other = True
    return lower + upper + digit + other


_WORDY = re.compile(r"^[A-Za-z][A-Za-z._-]*$")


def looks_random(value: str) -> bool:
    """True when a value assigned to a secret-sounding name looks like a real credential."""
    if len(value) < 8 or is_placeholder(value):
        return False
    if any(c in value for c in "()[]{}<>$%\\") or "://" in value or value.startswith(("/", "./", "~")):
        return False
    if _char_classes(value) < 2:
        return False
    entropy = shannon_entropy(value)
    if _WORDY.match(value):
        # Letters only (`privateKeyUsagePeriod`, `Access-Control-Allow-Credentials`): names, not
        # keys, unless as random as a generated key (20 random letters carry ~4.1 bits each).
        return entropy >= 4.0
    return entropy >= min(3.0, math.log2(len(value)) * 0.9)


@dataclass(frozen=True)
class Finding:
    """One suspected secret: where, which rule, how bad — never the value itself."""

    file: str
    line: int
    rule: str
    severity: str
    preview: str
    hashed_secret: str = field(repr=False, default="")
    """SHA-1 of the value (the baseline key, as in detect-secrets); not shown in reports."""

    def to_dict(self) -> dict[str, Any]:
        """The finding as report evidence: file, line, rule, severity, preview."""
        return {"file": self.file, "line": self.line, "rule": self.rule, "severity": self.severity,
                "preview": self.preview}


@dataclass
class ScanResult:
    """What a scan found and what it had to skip."""

    root: str
    source: str
    """`git` (the files git tracks) or `walk` (a directory walk honouring .gitignore)."""
    files_scanned: int = 0
    bytes_scanned: int = 0
    findings: list[Finding] = field(default_factory=list)
    allowlisted: int = 0
    """Findings silenced by `pragma: allowlist secret`."""
    baselined: int = 0
    """Findings silenced because the baseline lists them."""
    baseline_files: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=lambda: {"binary": 0, "huge": 0, "non_utf8": 0, "unreadable": 0})
    skipped_examples: dict[str, list[str]] = field(default_factory=dict)
    duration_s: float = 0.0

    def counts(self) -> dict[str, int]:
        """Number of findings per severity (every severity present, in order)."""
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in SEVERITIES}

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary (no secret values: findings carry previews only)."""
        return {
            "root": self.root,
            "source": self.source,
            "files_scanned": self.files_scanned,
            "bytes_scanned": self.bytes_scanned,
            "findings": [f.to_dict() for f in self.findings],
            "counts": self.counts(),
            "allowlisted": self.allowlisted,
            "baselined": self.baselined,
            "baseline_files": self.baseline_files,
            "skipped": dict(self.skipped),
            "skipped_examples": {k: list(v) for k, v in self.skipped_examples.items()},
            "duration_ms": round(self.duration_s * 1000),
        }


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------

Classifier = Callable[[str], tuple[str, str] | None]
"""Given the matched value: (rule, severity), or None when it is not a secret after all."""


@dataclass(frozen=True)
class Rule:
    """A pattern that starts with one of the literals `triggers`.

    The scanner finds each trigger with `str.find` (memory speed) and tries the pattern only
    there: Python's regex engine scans a whole file for such patterns at a few MB/s.
    """

    name: str
    severity: str
    pattern: re.Pattern[bytes]
    triggers: tuple[bytes, ...]
    description: str
    classify: Classifier | None = None
    boundary: bool = False
    """The match must not follow a letter or digit (checked in Python: a leading look-behind would
    stop the regex engine from jumping to the literal prefix, making the pattern ~30x slower)."""


def _classify_jwt(token: str) -> tuple[str, str] | None:
    """Supabase keys are JWTs whose payload names the `role` (`anon`, `service_role`; docs/secrets.md)."""
    decoded = decode_jwt(token)
    if decoded is None:
        return None
    payload = decoded[1]
    role = str(payload.get("role", ""))
    if payload.get("iss") == "supabase-demo":
        # The self-hosted demo keys are published: a risk for 3.5, not a leak.
        return "supabase-demo-jwt", "low"
    if role == "service_role":
        return "supabase-service-role-jwt", "critical"
    if role == "anon":
        return "supabase-anon-jwt", "low"
    return "jwt", "medium"


def _classify_stripe(value: str) -> tuple[str, str] | None:
    return ("stripe-key", "high") if "_live_" in value else ("stripe-key", "medium")


def _classify_private_key(value: str) -> tuple[str, str] | None:
    # The pattern requires key material after the header: a bare header is documentation.
    return ("private-key", "critical")


def _rule(name: str, severity: str, pattern: str, triggers: tuple[str, ...], description: str,
          classify: Classifier | None = None, boundary: bool = False) -> Rule:
    return Rule(name, severity, re.compile(pattern.encode()), tuple(t.encode() for t in triggers), description,
                classify, boundary)


RULES: tuple[Rule, ...] = (
    _rule("jwt", "medium", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyJ",),
          "JSON Web Token; Supabase keys by role: service_role critical, anon low", _classify_jwt),
    _rule("supabase-secret-key", "critical", r"sb_secret_[A-Za-z0-9_-]{16,}", ("sb_secret_",),
          "Supabase secret API key (server only)"),
    _rule("aws-access-key", "high", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])",
          ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"), "AWS access key id", boundary=True),
    _rule("private-key", "critical", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|\s)*"
          r"(?:[A-Za-z0-9-]+: [^\n]*(?:\\n|\s)+){0,4}[A-Za-z0-9+/=]{40,}",
          ("-----BEGIN ",), "PEM / OpenSSH / PGP private key block", _classify_private_key),
    _rule("slack-token", "high", r"xox[abposr]-[0-9A-Za-z-]{10,}", ("xox",), "Slack token"),
    _rule("slack-webhook", "high",
          r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
          ("https://hooks.slack.com/",), "Slack incoming webhook URL"),
    _rule("stripe-key", "high", r"[rs]k_(?:live|test)_[0-9a-zA-Z]{16,}",
          ("sk_live_", "sk_test_", "rk_live_", "rk_test_"),
          "Stripe secret or restricted key (live high, test medium)", _classify_stripe, boundary=True),
    _rule("sendgrid-key", "high", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", ("SG.",), "SendGrid API key"),
    _rule("twilio-key", "high", r"SK[0-9a-fA-F]{32}(?![A-Za-z0-9])", ("SK",), "Twilio API key", boundary=True),
    _rule("openai-key", "high",
          r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"
          r"|[A-Za-z0-9]{48}(?![A-Za-z0-9]))", ("sk-",), "OpenAI API key", boundary=True),
    _rule("github-token", "high", r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}",
          ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), "GitHub token", boundary=True),
)

#: Everything after `scheme://` up to `@`: `user:password@` (the password is group `secret`).
_URL_CREDENTIALS = re.compile(rb"[^\s:/?#@'\"`<>\[\]]{0,64}:(?P<secret>[^\s@/?#'\"`<>\[\]]{1,128})@(?=[A-Za-z0-9\[])")
#: Passwords that only documentation puts in URLs (`postgresql://user:pass@host`).
_URL_EXAMPLE_PASSWORDS = frozenset({"pass", "pw", "pwd", "user", "username", "mypassword", "foo", "bar"})
URL_RULE = ("url-password", "high", "URL with an embedded password (postgresql://user:pass@host)")

#: Words that make a name secret-sounding, each searched in the lowered file with `bytes.find`;
#: the pattern after it (rest of a name, then `:`, `=`, `:=` or `=>`) picks the lines worth parsing.
_ASSIGNMENT_TAIL = r"[a-z0-9_.-]*[\"'\]]?[ \t]*(?::=|=>|=|:)[ \t]*\S"
_KEYWORD_PATTERNS: tuple[tuple[bytes, re.Pattern[bytes]], ...] = tuple(
    (kw.encode(), re.compile((kw + rest + _ASSIGNMENT_TAIL).encode()))
    for kw, rest in (("secret", ""), ("token", ""), ("passw", ""), ("pwd", ""), ("apikey", ""),
                     ("api", r"[_.-]key"), ("access", r"[_.-]?key"), ("private", r"[_.-]?key"),
                     ("auth_key", ""), ("master_key", ""), ("signing_key", ""), ("encryption_key", ""),
                     ("credential", ""))
)
_GENERIC = re.compile(
    r"""(?P<name>[A-Za-z0-9_.-]*?(?:secret|token|passw(?:or)?d|pwd|api[_.-]?key|apikey|access[_.-]?key|"""
    r"""private[_.-]?key|auth[_.-]?key|master[_.-]?key|signing[_.-]?key|encryption[_.-]?key|credentials?)"""
    r"""[A-Za-z0-9_.-]*)["'\]]?[ \t]*(?::=|=>|=|:)[ \t]*"""
    r"""(?:[rbuf]?(?P<q>["'`])(?P<qv>[^\s"'`]{6,200})(?P=q)|(?P<uv>[^\s"'`,;)\]}]{6,200}))""",
    re.IGNORECASE,
)
GENERIC_RULE = ("generic-secret", "medium", "high-entropy value assigned to a secret-sounding name")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PRAGMA = PRAGMA.encode()
_PRAGMA_NEXT = PRAGMA_NEXT.encode()


def rule_table() -> list[tuple[str, str, str]]:
    """(rule, default severity, description) of every rule, for help texts and docs/secrets.md."""
    rows = [(r.name, r.severity, r.description) for r in RULES]
    rows.insert(1, ("supabase-service-role-jwt", "critical", "Supabase service_role key (bypasses RLS)"))
    rows.insert(2, ("supabase-anon-jwt", "low", "Supabase anon key (public by design)"))
    rows.insert(3, ("supabase-demo-jwt", "low", "published self-hosted Supabase demo key"))
    rows.append(URL_RULE)
    rows.append(GENERIC_RULE)
    return rows


def _sha1(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()


class _Lines:
    """Line numbers and bounds of byte offsets in a file (the newline index is built on first use)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._nl: list[int] | None = None

    def number(self, offset: int) -> int:
        if self._nl is None:
            self._nl = [m.start() for m in re.finditer(b"\n", self.data)]
        return bisect.bisect_left(self._nl, offset) + 1

    def bounds(self, offset: int) -> tuple[int, int]:
        start = self.data.rfind(b"\n", 0, offset) + 1
        end = self.data.find(b"\n", offset)
        return start, len(self.data) if end == -1 else end

    def allowlisted(self, offset: int) -> bool:
        start, end = self.bounds(offset)
        if _PRAGMA in self.data[start:end]:
            return True
        if start > 0:
            prev_start = self.data.rfind(b"\n", 0, start - 1) + 1
            return _PRAGMA_NEXT in self.data[prev_start:start]
        return False


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def scan_bytes(data: bytes, relpath: str) -> tuple[list[Finding], int]:
    """Findings in one UTF-8 file's bytes, and how many were allowlisted inline.

    Works on bytes: `bytes.find` is about twice as fast as `str.find`, and `bytes.lower()` keeps
    offsets (ASCII only), so keyword hits map straight back to the file.
    """
    lines = _Lines(data)
    code_file = PurePosixPath(relpath).suffix.lower() in CODE_SUFFIXES
    found: list[tuple[int, int, str, str, str]] = []  # (start, end, rule, severity, value)
    for rule in RULES:
        for anchor in rule.triggers:
            pos = data.find(anchor)
            while pos != -1:
                m = rule.pattern.match(data, pos)
                pos = data.find(anchor, pos + 1)
                if m is None or (rule.boundary and m.start() > 0 and data[m.start() - 1:m.start()].isalnum()):
                    continue
                value = _text(m.group(0))
                if is_placeholder(value):
                    continue
                name, severity = rule.name, rule.severity
                if rule.classify is not None:
                    verdict = rule.classify(value)
                    if verdict is None:
                        continue
                    name, severity = verdict
                found.append((m.start(), m.end(), name, severity, value))
    pos = data.find(b"://")
    while pos != -1:
        m = _URL_CREDENTIALS.match(data, pos + 3)
        if m:
            pw = _text(m.group("secret"))
            if not is_placeholder(pw) and not pw.isdigit() and pw.lower() not in _URL_EXAMPLE_PASSWORDS:
                found.append((m.start("secret"), m.end("secret"), URL_RULE[0], URL_RULE[1], pw))
        pos = data.find(b"://", pos + 3)
    lowered = data.lower()
    line_starts: set[int] = set()
    for kw, pattern in _KEYWORD_PATTERNS:
        pos = lowered.find(kw)
        while pos != -1:
            if pattern.match(lowered, pos):
                line_starts.add(data.rfind(b"\n", 0, pos) + 1)
            pos = lowered.find(kw, pos + len(kw))
    for start in sorted(line_starts):
        end = data.find(b"\n", start)
        end = len(data) if end == -1 else end
        line = _text(data[start:end])
        for m in _GENERIC.finditer(line):
            quoted = m.group("qv") is not None
            value = m.group("qv") if quoted else m.group("uv")
            if not looks_random(value):
                continue
            if not quoted and (code_file or (_IDENTIFIER.match(value) and not any(c.isdigit() for c in value))):
                continue  # in code an unquoted value is an expression (`private_key: Ed25519PrivateKey`)
            vstart = start + len(line[:m.start("qv" if quoted else "uv")].encode("utf-8"))
            vend = vstart + len(value.encode("utf-8"))
            if any(s < vend and vstart < e for s, e, *_ in found):
                continue  # a specific rule already reported this value
            found.append((vstart, vend, GENERIC_RULE[0], GENERIC_RULE[1], value))
    findings: list[Finding] = []
    allowlisted = 0
    seen: set[tuple[int, str]] = set()
    for start, _end, rule, severity, value in sorted(found):
        if lines.allowlisted(start):
            allowlisted += 1
            continue
        number = lines.number(start)
        key = (number, _sha1(value))
        if key in seen:
            continue
        seen.add(key)
        findings.append(Finding(relpath, number, rule, severity, preview(value), key[1]))
    return findings, allowlisted


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

def _gitignore_regex(pattern: str) -> str:
    """Translate one .gitignore glob (without `!` and trailing `/`) to a regex for a relative path."""
    anchored = "/" in pattern
    pattern = pattern.lstrip("/")
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            close = pattern.find("]", i + 1)
            if close == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:close].replace("\\", "\\\\")
                out.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
                i = close + 1
                continue
        else:
            out.append(re.escape(c))
        i += 1
    body = "".join(out)
    return f"^{body}(?:/.*)?$" if anchored else f"^(?:.*/)?{body}(?:/.*)?$"


class _IgnoreRules:
    """The .gitignore files met while walking (later and deeper rules win, `!` re-includes)."""

    def __init__(self) -> None:
        self.rules: list[tuple[str, re.Pattern[str], bool, bool]] = []  # (base, regex, negate, dir_only)

    def load(self, directory: Path, base: str) -> None:
        try:
            text = (directory / ".gitignore").read_text("utf-8", "replace")
        except OSError:
            return
        for raw in text.splitlines():
            line = raw.rstrip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            line = line[1:] if negate else line
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if line:
                self.rules.append((base, re.compile(_gitignore_regex(line)), negate, dir_only))

    def ignored(self, relpath: str, is_dir: bool) -> bool:
        verdict = False
        for base, regex, negate, dir_only in self.rules:
            if base and not relpath.startswith(base + "/"):
                continue
            sub = relpath[len(base) + 1:] if base else relpath
            if dir_only and not is_dir:
                continue  # a directory rule; files inside it are pruned with the directory
            if regex.match(sub):
                verdict = not negate
        return verdict


def walk_files(root: Path) -> list[str]:
    """Files under `root` (relative posix paths), honouring .gitignore files as git would, roughly."""
    rules = _IgnoreRules()
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        rules.load(Path(dirpath), rel_dir)
        keep = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if d not in _WALK_SKIP_DIRS and not rules.ignored(rel, True):
                keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            rel = f"{rel_dir}/{f}" if rel_dir else f
            if not rules.ignored(rel, False):
                out.append(rel)
    return out


def list_files(root: Path) -> tuple[list[str], str]:
    """The files to scan under `root` and how they were found (`git` or `walk`)."""
    if gitutil.repo_root(root) is not None:
        return gitutil.tracked_files(root), "git"
    return walk_files(root), "walk"


# ---------------------------------------------------------------------------------------------
# Baseline
# ---------------------------------------------------------------------------------------------

def baseline_candidates(root: Path, project_dir: Path | None = None) -> list[Path]:
    """Baseline files honoured for a scan of `root` (existing ones only)."""
    paths = [(project_dir or root) / BASELINE, root / BASELINE, root / DETECT_SECRETS_BASELINE]
    seen: list[Path] = []
    for p in paths:
        if p.is_file() and p not in seen:
            seen.append(p)
    return seen


def load_baseline(paths: Iterable[Path]) -> set[tuple[str, str]]:
    """(file, hashed_secret) pairs listed by baseline files (detect-secrets' shape); bad files are ignored."""
    entries: set[tuple[str, str]] = set()
    for path in paths:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, dict):
            continue
        for file, items in results.items():
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("hashed_secret"), str):
                    entries.add((str(file), item["hashed_secret"]))
    return entries


def baseline_document(result: ScanResult, findings: Iterable[Finding] | None = None) -> dict[str, Any]:
    """A baseline listing these findings (hashes, never values), shaped like detect-secrets'."""
    results: dict[str, list[dict[str, Any]]] = {}
    for f in findings if findings is not None else result.findings:
        results.setdefault(f.file, []).append(
            {"type": f.rule, "severity": f.severity, "line_number": f.line, "hashed_secret": f.hashed_secret})
    return {
        "version": 1,
        "generated_by": "readiness-tui",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": results,
    }


# ---------------------------------------------------------------------------------------------
# Scanning
# ---------------------------------------------------------------------------------------------

def _note_skip(result: ScanResult, why: str, rel: str) -> None:
    result.skipped[why] = result.skipped.get(why, 0) + 1
    examples = result.skipped_examples.setdefault(why, [])
    if len(examples) < 5:
        examples.append(rel)


def scan(root: str | Path, *, project_dir: Path | None = None, files: list[str] | None = None,
         max_bytes: int = MAX_FILE_BYTES, exclude: Iterable[str] = (), use_baseline: bool = True,
         progress: Callable[[float, str], None] | None = None) -> ScanResult:
    """Scan the files of a repository (git-tracked, or a .gitignore-honouring walk) for secrets.

    Args:
        root: The repository (or project) directory; finding paths are relative to it.
        project_dir: The project directory, where `.readiness/secrets-baseline.json` is looked for.
        files: Scan exactly these relative paths instead of listing the repository.
        max_bytes: Larger files are skipped and counted as `huge`.
        exclude: Globs (fnmatch, on the relative path) of files not to scan.
        use_baseline: Drop findings the baseline lists (False to write a new baseline).
        progress: Called with (fraction, message) now and then.
    """
    import fnmatch

    started = time.perf_counter()
    root = Path(root).resolve()
    if files is None:
        files, source = list_files(root)
    else:
        source = "given"
    result = ScanResult(root=str(root), source=source)
    baselines = baseline_candidates(root, project_dir) if use_baseline else []
    result.baseline_files = [os.path.relpath(p, root) for p in baselines]
    known = load_baseline(baselines)
    own = {BASELINE.as_posix(), DETECT_SECRETS_BASELINE}
    patterns = list(exclude)
    total = len(files) or 1
    for index, rel in enumerate(files):
        if rel in own or rel.endswith("/" + BASELINE.as_posix()) or rel.startswith(".readiness/") \
                or "/.readiness/" in rel:
            continue
        if patterns and any(fnmatch.fnmatch(rel, p) for p in patterns):
            continue
        if progress is not None and index % 200 == 0:
            progress(index / total, f"scanning {index}/{total} files")
        path = root / rel
        try:
            st = os.lstat(path)
        except OSError:
            continue  # tracked but deleted in the work tree
        if not os.path.stat.S_ISREG(st.st_mode):
            continue  # symlinks (possibly pointing outside the repository), sockets, ...
        if st.st_size > max_bytes:
            _note_skip(result, "huge", rel)
            continue
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            _note_skip(result, "unreadable", rel)
            continue
        if b"\0" in data[:8192]:
            _note_skip(result, "binary", rel)
            continue
        if not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                _note_skip(result, "non_utf8", rel)
                continue
        result.files_scanned += 1
        result.bytes_scanned += len(data)
        findings, allowlisted = scan_bytes(data, rel)
        result.allowlisted += allowlisted
        for f in findings:
            if (f.file, f.hashed_secret) in known:
                result.baselined += 1
            else:
                result.findings.append(f)
    severity_rank = {s: i for i, s in enumerate(SEVERITIES)}
    result.findings.sort(key=lambda f: (severity_rank.get(f.severity, 9), f.file, f.line))
    result.duration_s = time.perf_counter() - started
    return result


def write_baseline(root: str | Path, project_dir: Path | None = None) -> tuple[Path, ScanResult]:
    """Scan without the baseline and write every current finding into `<project>/.readiness/secrets-baseline.json`."""
    from readiness_tui.store import atomic_write

    root = Path(root).resolve()
    result = scan(root, project_dir=project_dir, use_baseline=False)
    path = (project_dir or root) / BASELINE
    doc = baseline_document(result)
    atomic_write(path, (json.dumps(doc, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    return path, result
