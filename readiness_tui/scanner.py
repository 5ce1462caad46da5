"""A fast secret scanner for the files of a project's repository (items 1.6 and 3.4).

The files are those git tracks (`git ls-files`), or, outside a repository, a walk that honours
`.gitignore`. Each file is read once as bytes; binary (a NUL byte in the first 8 KiB), huge
(> 2 MB by default) and non-UTF-8 files are counted and skipped. Format rules with a distinctive
literal (`eyJ`, `sb_`, `AKIA`, `-----BEGIN`, `sk-`, ...) run only where it occurs (a substring test
runs at memory speed); the name rules (`SECRET_KEY=…`, `"api_key": "…"`, `**Database Password:**`,
`Value:` lines) only on lines where a secret-sounding word starts an assignment. On the labelled
corpus of benchmarks/secret_scan.py (8 MB) that is ~50x faster than detect-secrets 1.5.

Severity is what the key is (docs/secrets.md): a Supabase service_role key is critical, the public
anon key informational. Values found only by their name are judged with `readiness_tui.values`
(placeholders, references, made-up values, local defaults) and by where the file sits: tests and
examples must hold generated-looking values, a runbook's labelled password counts as it is.

A finding never holds the secret: file, line, rule, severity, a redacted preview (the first 4
characters of a value of 20 or more, and the length) and, in memory only, the SHA-1 of the value.
Allowlisting: `pragma: allowlist secret` on the line (or `pragma: allowlist nextline secret` on the
line above), and a baseline file (see `BASELINE`). Our baseline stores no hash of a secret: each
entry's `fingerprint` is an HMAC-SHA256 keyed with a random per-project key kept beside it in
`.readiness/secrets-baseline.key` (0600), so the baseline alone cannot be brute-forced from a
dictionary of passwords (docs/secrets.md). detect-secrets' `.secrets.baseline` (`hashed_secret`,
SHA-1) is still honoured, read-only.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import os
import re
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from readiness_tui import fileio, gitutil
from readiness_tui.redact import preview
from readiness_tui.values import (
    decode_jwt,
    is_dev_password,
    is_example_host,
    is_fake,
    is_local_host,
    is_placeholder,
    is_reference,
    looks_generated,
    random_material,
    shell_default,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
#: Where `readiness secrets baseline` writes the baseline, relative to the project directory.
BASELINE = Path(".readiness") / "secrets-baseline.json"
#: The random key of the baseline's fingerprints, beside it (never committed: `.readiness/` ignores itself).
BASELINE_KEY = Path(".readiness") / "secrets-baseline.key"
#: detect-secrets' baseline, honoured too (same `results` shape, `hashed_secret` = SHA-1 of the value).
DETECT_SECRETS_BASELINE = ".secrets.baseline"

#: Severities, worst first. `low`: worth a look (a test-mode key); `info`: public by design (a
#: Supabase anon or publishable key, a Firebase web key), listed but never a failure.
SEVERITIES = ("critical", "high", "medium", "low", "info")
#: Severities that make a scan (and items 1.6 / 3.4) fail.
BLOCKING = frozenset({"critical", "high", "medium"})
#: Source files where the keyword rule wants a quoted literal (unquoted, the value is code).
CODE_SUFFIXES = frozenset({".py", ".pyi", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java", ".kt",
                           ".rb", ".php", ".cs", ".c", ".h", ".cc", ".cpp", ".hpp", ".rs", ".swift", ".scala",
                           ".vue", ".svelte", ".dart", ".gs"})
#: Prose: leaks hide in runbooks, but so do examples.
DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc", ".org", ".mdx"})
PRAGMA = "pragma: allowlist secret"
PRAGMA_NEXT = "pragma: allowlist nextline secret"

#: Directories never scanned in a walk (the run record, VCS data, virtual environments).
_WALK_SKIP_DIRS = {".git", ".readiness", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv"}

# ---------------------------------------------------------------------------------------------
# Where a file sits: how much a value found only by its name must prove
# ---------------------------------------------------------------------------------------------

ROLE_TEST, ROLE_EXAMPLE, ROLE_DOC, ROLE_CODE, ROLE_CONFIG = "test", "example", "doc", "code", "config"
_TEST_DIR = re.compile(r"^(?:tests?(?:[._-].*)?|__tests__|specs?|testing|testdata|test_data|fixtures|__fixtures__|"
                       r"e2e|cypress|playwright|mocks|__mocks__|unit|integration|functional|qa)$")
_TEST_NAME = re.compile(r"^(?:test_.*|.*_tests?|conftest|.*\.(?:test|spec|e2e|cy|stories))\.[A-Za-z0-9]+$"
                        r"|^.*_spec\.rb$|^.*Tests?\.(?:java|kt|cs|swift)$")
_EXAMPLE_DIRS = frozenset({"example", "examples", "sample", "samples", "demo", "demos", "tutorial", "tutorials",
                           "docs_src", "cookbook", "snippets", "templates", "template"})
_TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".tmpl", ".tpl", ".dist", ".defaults", ".default")
_DOC_DIRS = frozenset({"docs", "doc", "documentation", "wiki"})


def file_role(relpath: str) -> str:
    """`test`, `example` (examples, env templates, code under docs/), `doc` (prose), `code` or `config`.

    Real-format keys are findings in every role; a value found only by its name (`password = …`)
    must look generated in tests and examples, while a runbook's labelled password or a config
    file's typed one counts as it is.
    """
    path = PurePosixPath(relpath)
    dirs = [d.lower() for d in path.parts[:-1]]
    name = path.name
    lowered = name.lower()
    if any(_TEST_DIR.match(d) for d in dirs) or _TEST_NAME.match(name):
        return ROLE_TEST
    if lowered.endswith(_TEMPLATE_SUFFIXES) or ".example." in lowered or lowered.startswith("example.") \
            or any(d in _EXAMPLE_DIRS for d in dirs):
        return ROLE_EXAMPLE
    if path.suffix.lower() in DOC_SUFFIXES or lowered in ("readme", "license", "changelog"):
        return ROLE_DOC
    if any(d in _DOC_DIRS for d in dirs):
        return ROLE_EXAMPLE
    if path.suffix.lower() in CODE_SUFFIXES or lowered.endswith(".ipynb"):
        return ROLE_CODE
    return ROLE_CONFIG


# ---------------------------------------------------------------------------------------------
# Rules with a distinctive literal
# ---------------------------------------------------------------------------------------------

@dataclass
class _File:
    """One file being scanned: its bytes, role and lazily built indexes."""

    data: bytes
    relpath: str
    role: str
    _nl: list[int] | None = None
    _triple: list[int] | None = None

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

    def role_at(self, offset: int) -> str:
        """The file's role, or `example` inside a Python docstring or on a `>>>` doctest line."""
        if self.role != ROLE_CODE:
            return self.role
        start, _ = self.bounds(offset)
        if self.data[start:start + 64].lstrip().startswith((b">>>", b"... ")):
            return ROLE_EXAMPLE
        if self.relpath.endswith((".py", ".pyi")):
            if self._triple is None:
                self._triple = [m.start() for m in re.finditer(rb'"""|\x27\x27\x27', self.data)]
            if bisect.bisect_left(self._triple, start) % 2 == 1:
                return ROLE_EXAMPLE
        return self.role


Classifier = Callable[[str, _File, int], tuple[str, str] | None]
"""Given the matched value, its file and offset: (rule, severity), or None when it is not a secret after all."""


@dataclass(frozen=True)
class Rule:
    """A pattern found through one of the literals `triggers`.

    The scanner finds each trigger with `bytes.find` (memory speed) and tries the pattern only
    there (`back` bytes before it, for a literal in the middle of the token): Python's regex
    engine scans a whole file for such patterns at a few MB/s.
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
    back: int = 0


#: The example token of jwt.io and RFC 7519, in every JWT tutorial.
_SAMPLE_JWT_SUBJECTS = frozenset({"1234567890"})


def _classify_jwt(token: str, file: _File, at: int) -> tuple[str, str] | None:
    """Supabase keys are JWTs whose payload names the `role` (`anon`, `service_role`; docs/secrets.md)."""
    decoded = decode_jwt(token)
    if decoded is None:
        return None
    payload = decoded[1]
    role = str(payload.get("role", ""))
    signature = token.rsplit(".", 1)[-1]
    if payload.get("iss") == "supabase-demo":
        # The self-hosted demo keys are published: a risk for 3.5 (keys rotated), not a leak.
        return "supabase-demo-jwt", "info"
    if role == "anon":
        return "supabase-anon-jwt", "info"
    if is_fake(signature) or random_material(signature) < 8:
        return None  # `….fake-signature`, `….test`: a made-up token
    if role == "service_role":
        return "supabase-service-role-jwt", "critical"
    if str(payload.get("sub", "")) in _SAMPLE_JWT_SUBJECTS or file.role_at(at) in (ROLE_TEST, ROLE_EXAMPLE):
        return None  # a session token in a test or an example proves nothing about the project's keys
    return "jwt", "medium"


def _classify_stripe(value: str, file: _File, at: int) -> tuple[str, str] | None:
    if value.startswith("sk_live_"):
        return "stripe-key", "critical"
    return ("stripe-key", "high") if "_live_" in value else ("stripe-key", "medium")


def _classify_private_key(value: str, file: _File, at: int) -> tuple[str, str] | None:
    # The pattern requires key material after the header (two lines, or 100 characters on one): a
    # bare header, or the one constant line every RSA key starts with, is documentation or a test.
    if b"service_account" in file.data and b"client_email" in file.data:
        return "gcp-service-account-key", "critical"
    return "private-key", "critical"


def _classify_google(value: str, file: _File, at: int) -> tuple[str, str] | None:
    # A Firebase web configuration ships its API key to every browser (restricted in the console).
    if b"firebaseapp.com" in file.data or b"authDomain" in file.data:
        return "google-api-key", "info"
    return "google-api-key", "high"


def _rule(name: str, severity: str, pattern: str, triggers: tuple[str, ...], description: str,
          classify: Classifier | None = None, boundary: bool = False, back: int = 0) -> Rule:
    return Rule(name, severity, re.compile(pattern.encode()), tuple(t.encode() for t in triggers), description,
                classify, boundary, back)


RULES: tuple[Rule, ...] = (
    _rule("jwt", "medium", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", ("eyJ",),
          "JSON Web Token: a Supabase service_role key is critical, anon and demo keys informational; "
          "other tokens medium in code and configuration", _classify_jwt),
    _rule("supabase-secret-key", "critical", r"sb_secret_[A-Za-z0-9_-]{16,}", ("sb_",),
          "Supabase secret API key (server only, bypasses row-level security)"),
    _rule("supabase-publishable-key", "info", r"sb_publishable_[A-Za-z0-9_-]{16,}", ("sb_",),
          "Supabase publishable key (public by design)"),
    _rule("supabase-access-token", "critical", r"sbp_[a-f0-9]{40}(?![A-Za-z0-9])", ("sbp_",),
          "Supabase personal access token (the management API of every project)", boundary=True),
    _rule("aws-access-key", "high", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])",
          ("AKIA", "ASIA", "ABIA", "ACCA", "A3T"), "AWS access key id", boundary=True),
    _rule("private-key", "critical", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\\[nr]|\s)*"
          r"(?:[A-Za-z0-9-]+: [^\n]*(?:\\n|\s)+){0,4}"
          r"(?:[A-Za-z0-9+/=]{100,}|[A-Za-z0-9+/=]{40,}(?:\\[nr]|\s)+[A-Za-z0-9+/=]{20,})",
          ("-----BEGIN ",), "PEM / OpenSSH / PGP private key block; in a file with `client_email` and "
          "`service_account`, a GCP service-account key", _classify_private_key),
    _rule("azure-storage-key", "critical", r"AccountKey=[A-Za-z0-9+/]{86}==", ("AccountKey=",),
          "Azure storage account key (in a connection string)"),
    _rule("azure-client-secret", "high", r"[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
          ("Q~",), "Azure AD (Entra ID) application client secret", boundary=True, back=4),
    _rule("google-api-key", "high", r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", ("AIza",),
          "Google API key (Gemini, Maps, …); informational in a Firebase web configuration",
          _classify_google, boundary=True),
    _rule("google-oauth-secret", "high", r"GOCSPX-[A-Za-z0-9_-]{28}(?![A-Za-z0-9_-])", ("GOCSPX-",),
          "Google OAuth client secret"),
    _rule("slack-token", "high", r"xox[abposr]-[0-9A-Za-z-]{10,}", ("xox",), "Slack token"),
    _rule("slack-webhook", "high",
          r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
          ("https://hooks.slack.com/",), "Slack incoming webhook URL"),
    _rule("discord-webhook", "high", r"discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_-]{50,}", ("discord",),
          "Discord webhook URL"),
    _rule("stripe-key", "high", r"[rs]k_(?:live|test)_[0-9a-zA-Z]{16,}", ("k_live_", "k_test_"),
          "Stripe secret key (live critical, restricted live high, test mode medium)", _classify_stripe,
          boundary=True, back=1),
    _rule("stripe-webhook-secret", "high", r"whsec_[A-Za-z0-9+/=]{24,}", ("whsec_",), "Stripe webhook signing secret",
          boundary=True),
    _rule("sendgrid-key", "high", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", ("SG.",), "SendGrid API key"),
    _rule("twilio-key", "high", r"SK[0-9a-fA-F]{32}(?![A-Za-z0-9])", ("SK",), "Twilio API key", boundary=True),
    _rule("mailgun-key", "high", r"key-[0-9a-f]{32}(?![A-Za-z0-9])", ("key-",), "Mailgun API key", boundary=True),
    _rule("openai-key", "high",
          r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"
          r"|[A-Za-z0-9]{48}(?![A-Za-z0-9]))", ("sk-",), "OpenAI API key", boundary=True),
    _rule("anthropic-key", "high", r"sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}", ("sk-",),
          "Anthropic API key", boundary=True),
    _rule("openrouter-key", "high", r"sk-or-v1-[a-f0-9]{64}", ("sk-",), "OpenRouter API key", boundary=True),
    _rule("groq-key", "high", r"gsk_[A-Za-z0-9]{52}(?![A-Za-z0-9])", ("gsk_",), "Groq API key", boundary=True),
    _rule("huggingface-token", "high", r"hf_[A-Za-z]{34}(?![A-Za-z0-9])", ("hf_",), "Hugging Face access token",
          boundary=True),
    _rule("github-token", "high", r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}",
          ("gh", "github_pat_"), "GitHub token", boundary=True),
    _rule("gitlab-token", "high", r"glpat-[A-Za-z0-9_-]{20,}", ("glpat-",), "GitLab personal access token",
          boundary=True),
    _rule("npm-token", "high", r"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])", ("npm_",), "npm access token", boundary=True),
    _rule("render-key", "high", r"rnd_[A-Za-z0-9]{20,}", ("rnd_",), "Render API key", boundary=True),
    _rule("digitalocean-token", "high", r"do[por]_v1_[a-f0-9]{64}", ("_v1_",), "DigitalOcean token", boundary=True,
          back=3),
    _rule("sentry-token", "high", r"sntry[su]_[A-Za-z0-9+/=_-]{40,}", ("sntr",),
          "Sentry auth token", boundary=True),
    _rule("shopify-token", "high", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", ("shp",),
          "Shopify access token", boundary=True),
    _rule("databricks-token", "high", r"dapi[a-f0-9]{32}(?![A-Za-z0-9])", ("dapi",), "Databricks token",
          boundary=True),
)

# ---------------------------------------------------------------------------------------------
# Values found by their name: `password = …`, `**Database Password:** …`, `Value: …` under a key
# ---------------------------------------------------------------------------------------------

URL_RULE = ("url-password", "high", "URL with an embedded password (postgresql://user:pass@host); local "
            "development URLs and image defaults (postgres:postgres@127.0.0.1) are not findings")
ENV_COPY_RULE = ("env-value-copy", "high", "a secret value of the project's .env (a password, a key) copied into "
                 "a tracked file, e.g. POSTGRES_PASSWORD in docker-compose.yml equal to DATABASE_URL's")
NAMED_RULES = (
    ("password", "high", "a real-looking password assigned to a password-named key (not a made-up test or "
                         "example value, not a local-development default)"),
    ("secret-key", "high", "a generated value assigned to SECRET_KEY, JWT_SECRET, a signing or encryption key"),
    ("<service>-key", "high", "a generated value assigned to a name of a known service "
                              "(TWILIO_AUTH_TOKEN, CLOUDFLARE_API_TOKEN, PUSHER_APP_SECRET, …)"),
    ("aws-secret-key", "critical", "an AWS secret access key (40 characters under aws_secret_access_key)"),
    ("supabase-service-key", "critical", "a value under a Supabase service-role name (SUPABASE_SERVICE_ROLE_KEY) "
                                         "that is not a JWT or sb_secret_ key"),
    ("supabase-secret", "critical", "a generated value under SUPABASE_JWT_SECRET or another Supabase secret name "
                                    "(the JWT secret signs service_role keys)"),
    ("generic-secret", "medium", "a value assigned to a token, API key or credential name: high when it looks "
                                 "generated"),
)
_URL_EXAMPLE_PASSWORDS = frozenset({"pass", "pw", "pwd", "user", "username", "mypassword", "foo", "bar", "password1"})

_NAME_WORD = (r"secret|token|passw(?:or)?d|passphrase|(?<![a-z])pass(?![a-z])|pwd|api[_. -]?key|apikey|"
              r"access[_. -]?key|private[_. -]?key|auth[_. -]?key|master[_. -]?key|signing[_. -]?key|"
              r"encryption[_. -]?key|client[_. -]?key|service[_. -]?(?:role[_. -]?)?key|account[_. -]?key|"
              r"credentials?|connection[_. -]?string|conn[_.-]?str")
_NAME_HAS_WORD = re.compile(_NAME_WORD, re.IGNORECASE)
#: `name = value`, `name: value`, `"name": "value"`, `**Database Password:** value`, `name := value`.
_NAMED = re.compile(
    r"""(?P<name>[A-Za-z0-9_.-]*?(?:""" + _NAME_WORD + r""")[A-Za-z0-9_.-]*)"""
    r"""(?:\*\*|__)?\\?["']?\]?(?:\*\*|__)?[ \t]*(?::=|=>|=|:)[ \t]*(?:\*\*|__)?[ \t]*"""
    r"""(?:[rbuf]?\\?(?P<q>["'`])(?P<qv>[^\s"'`\\]{6,200})\\?(?P=q)|(?P<uv>[^\s"'`,;\[\]{}|\\]{6,200}))""",
    re.IGNORECASE,
)
#: A labelled line of prose: `- **AWS Secret Access Key:** `…``, `Database password: …`.
_LABEL_LINE = re.compile(r"""^[ \t]*(?:[-*+>][ \t]+|\d+\.[ \t]+)?(?:\*\*|__)?(?P<label>[A-Za-z][A-Za-z0-9 _./()-]{1,60}?)"""
                         r"""(?:\*\*|__)?[ \t]*:(?:(?:\*\*|__)[ \t]*|[ \t]+)(?:`(?P<bv>[^`\s]{6,200})`|(?P<uv>[^\s`*|]{6,200}))"""
                         r"""[ \t]*$""")
#: A secret's name in prose or a heading above a `Value:` line (`SUPABASE_SERVICE_KEY`, `Database password`).
_NAME_IN_TEXT = re.compile(r"[A-Za-z0-9_.-]*(?:" + _NAME_WORD + r")[A-Za-z0-9_.-]*", re.IGNORECASE)
#: `Value: …`, `- **Value:** …`, `value: "…"` (a Kubernetes env entry under `- name: DB_PASSWORD`).
_VALUE_LINE = re.compile(r"""^[ \t>*+|-]*(?:\*\*|__)?value(?:\*\*|__)?[ \t]*[:=][ \t]*(?:\*\*|__)?[ \t]*"""
                         r"""(?:(?P<q>["'`])(?P<qv>[^\s"'`]{6,200})(?P=q)|(?P<uv>[^\s"'`,;|]{6,200}))""",
                         re.IGNORECASE)
#: `os.getenv("DB_PASSWORD", "…")`, `environ.get(…, "…")`, `process.env.JWT_SECRET || "…"`: a fallback literal.
_FALLBACK = re.compile(
    r"""(?:getenv|environ\.get|environ\.setdefault|env\.get|config|env)\(\s*["'](?P<name>[A-Za-z0-9_.-]+)["']"""
    r"""\s*,\s*(?:default\s*=\s*)?(?P<q>["'])(?P<qv>[^"'\s]{6,200})(?P=q)"""
    r"""|process\.env\.(?P<jsname>[A-Za-z0-9_]+)\s*(?:\|\||\?\?)\s*(?P<jq>["'`])(?P<jv>[^"'`\s]{6,200})(?P=jq)""")
#: Values that are interpolations, paths, hashes or YAML tags and aliases rather than literals.
_NOT_A_VALUE = re.compile(r"\$\{|\$\(|\{\{|\{%|%\([A-Za-z_]+\)[sdr]|://|^[A-Za-z]:\\|^\$\d|"
                          r"^\$[A-Za-z_]|\$[A-Z_][A-Z0-9_]{2,}|\.\*|^\{|\benviron\b|\bgetenv\b|process\.env|"
                          r"\.(?:pem|key|json|p12|pfx|crt|cer|txt|env|ya?ml|toml|ini|cfg|conf|py|js|ts|tsx|jsx|md|rst|sh|"
                          r"go|rb|java|html|css|sql|lock|log|csv)(?::\d+)*$", re.IGNORECASE)
#: A file path (`/run/secrets/db_password`, `./keys/deploy.pem`) — unless random enough to be base64.
_PATH = re.compile(r"^(?:\.{1,2}|~)?/[\w.-]+/")
#: What is code in a value left unquoted (or written in a source file): calls, indexing, sigils,
#: YAML tags (`!vault`) and anchors or aliases (`*default_password`).
_EXPRESSION = re.compile(r"^[A-Za-z_][A-Za-z_.]*\(.*\)$|^[A-Za-z_][A-Za-z_.]*\($|\[[\w'\"]+\]|^[$\[]|"
                         r"^![A-Za-z]|^[*&][A-Za-z_][\w-]*$")
_TABLE_LABEL = re.compile(r"[*_]{0,2}[A-Za-z][A-Za-z0-9 _./()-]{0,60}[*_]{0,2}")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
#: Name parts that say the value is about a secret, not the secret (`PASSWORD_MIN_LENGTH`, `token_url`).
_NAME_TAILS_NOT_SECRET = frozenset("""
hash hashed digest checksum fingerprint sha sha1 sha256 sha512 md5 name names file files path paths dir directory
url urls uri endpoint env var vars variable header headers field fields type types length len size ttl expiry expires
expire expiration lifetime timeout count prefix suffix algorithm alg algo version id ids label labels hint policy
regex pattern format template min max limit enabled required rotation days hours minutes mins seconds secs ms
mode kind scope scopes usage input column col location store provider source arn ref reference setting settings
option options param params placeholder description desc help title text message msg error errors key_id
""".split())
_NAME_HEADS_NOT_SECRET = frozenset("""
is has use uses enable enabled disable show hide no max min num n total require requires validate validated
generate get set check verify reset forgot forget confirm toggle mask masked input label default invalid wrong
bad fake mock dummy test example sample new_ old_ expected
""".split())
_SERVICE_ALIASES = {"cf": "cloudflare", "gh": "github", "hf": "huggingface", "sg": "sendgrid", "oai": "openai",
                    "gcloud": "gcp", "sb": "supabase"}
_SERVICES = ("twilio", "cloudflare", "render", "sendgrid", "mailgun", "stripe", "openai", "anthropic", "github",
             "gitlab", "slack", "discord", "telegram", "pusher", "supabase", "firebase", "sentry", "datadog",
             "newrelic", "algolia", "mapbox", "twitter", "facebook", "google", "gemini", "azure", "aws", "gcp",
             "heroku", "vercel", "netlify", "digitalocean", "shopify", "paypal", "braintree", "plaid", "hubspot",
             "salesforce", "zendesk", "mailchimp", "postmark", "resend", "brevo", "auth0", "okta", "clerk",
             "openrouter", "groq", "mistral", "cohere", "huggingface", "pinecone", "replicate", "elevenlabs",
             "deepgram", "notion", "airtable", "dropbox", "segment", "mixpanel", "cloudinary", "mongodb", "atlas",
             "upstash", "neon", "planetscale", "railway", "fly", "smtp")
_SECRET_KINDS = ("secret", "signing", "encryption", "master", "jwt", "hmac", "session", "cookie", "fernet")


def _snake(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip().strip("*_`\"'"))
    return [p for p in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if p]


def name_verdict(name: str) -> tuple[str, str, str] | None:
    """(rule, severity, kind) for a value under this name, or None when the name is about a secret
    rather than one (`PASSWORD_MIN_LENGTH`, `token_url`, `password_hash`, `is_secret`).

    kind is `critical` (Supabase service key, AWS secret key, private key), `password`, `service`
    (a known provider's key), `secret` (SECRET_KEY, JWT and signing secrets) or `token`.
    """
    parts = _snake(name)
    if not parts or parts[-1] in _NAME_TAILS_NOT_SECRET or parts[0] in _NAME_HEADS_NOT_SECRET:
        return None
    joined = "_".join(parts)
    if not _NAME_HAS_WORD.search(joined) and not _NAME_HAS_WORD.search(name):
        return None
    parts = [_SERVICE_ALIASES.get(p, p) for p in parts]
    joined = "_".join(parts)
    if "service_role" in joined or "service_key" in joined:
        return "supabase-service-key", "critical", "critical"
    if "supabase" in parts and "secret" in parts:
        return "supabase-secret", "critical", "critical"  # the JWT secret signs service_role keys
    if "aws" in parts and "secret" in parts or "secret_access_key" in joined:
        return "aws-secret-key", "critical", "critical"
    if "private_key" in joined:
        return "private-key", "critical", "critical"
    if any(p in ("password", "passwd", "pwd", "pass", "passphrase", "passw") for p in parts) or "password" in joined:
        return "password", "high", "password"
    service = next((s for s in _SERVICES if s in parts), None)
    if service is not None:
        return f"{service}-key", "high", "service"
    if any(k in parts for k in _SECRET_KINDS) and ("key" in parts or "secret" in parts or "token" not in parts):
        return "secret-key", "high", "secret"
    return "generic-secret", "medium", "token"


def _human_secret(value: str) -> bool:
    """A typed password that is not a default: long enough, mixed, not made of example words."""
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                   any(c.isdigit() for c in value), any(not c.isalnum() for c in value)))
    return len(value) >= 8 and any(c.isalpha() for c in value) and (classes >= 3 or random_material(value) >= 4) \
        and not is_dev_password(value)


def judge_named(name: str, value: str, role: str, labelled: bool = False, quoted: bool = True
                ) -> tuple[str, str] | None:
    """(rule, severity) when `value`, assigned to `name` in a file of this role, is a secret.

    Tests need a generated-looking value under a provider's or a critical name (`TWILIO_AUTH_TOKEN`,
    `AWS_SECRET_ACCESS_KEY`), examples a generated-looking value (`test-api-key-12345`, `MyP@ssw0rd`
    are made up); prose needs a generated value, or a real-looking password on a labelled line
    (`**Database Password:** …`, `Value: …` under a key, a table row); code and configuration also
    take a typed password or secret that is not a default.
    """
    verdict = name_verdict(name)
    if verdict is None:
        return None
    rule, severity, kind = verdict
    v = value.strip()
    default = shell_default(v)
    if default is not None:
        v = default.strip().strip("'\"")
    if not v or not v.isascii() or is_reference(v) or is_placeholder(v) or _NOT_A_VALUE.search(v) or is_fake(v):
        return None
    if not quoted and _EXPRESSION.search(v) or _PATH.match(v) and not looks_generated(v, 20):
        return None
    generated = looks_generated(v, 12)
    if role == ROLE_TEST:
        # Tests mint their own keys (a Fernet key for an encryption test, a JWT secret for a token
        # test): only a generated value under a provider's or a critical name reads as pasted in.
        ok = generated and kind in ("critical", "service")
    elif role == ROLE_EXAMPLE:
        ok = generated
    elif role == ROLE_DOC:
        # A value a document labels as the password (`**Database Password:** …`) is the password
        # unless it reads as an example or a default, however weak it is.
        ok = generated or (labelled and kind == "password" and len(v) >= 8 and any(c.isalpha() for c in v)
                           and not is_dev_password(v)) \
            or ((labelled or kind == "password") and kind != "token" and _human_secret(v))
    else:
        ok = looks_generated(v, 10) or (kind != "token" and _human_secret(v))
    if not ok:
        return None
    if rule == "aws-secret-key" and len(v) != 40:
        rule = "generic-secret"
    if kind == "token" and generated:
        severity = "high"
    return rule, severity


def judge_url_password(password: str, user: str, host: str, role: str) -> bool:
    """True when a URL's password is a real one (not a local development default or an example)."""
    pw = password
    if not pw or pw.isdigit() or is_reference(pw) or is_placeholder(pw) or _NOT_A_VALUE.search(pw) \
            or _EXPRESSION.search(pw) or _PATH.match(pw):
        return False
    if pw.lower() in _URL_EXAMPLE_PASSWORDS or is_dev_password(pw, user) or is_example_host(host):
        return False
    generated = looks_generated(pw, 12)
    if is_local_host(host):
        return generated and role in (ROLE_CODE, ROLE_CONFIG)
    if role in (ROLE_TEST, ROLE_EXAMPLE):
        return generated
    return generated or len(pw) >= 6 and (random_material(pw) >= 3 or _human_secret(pw))


def rule_table() -> list[tuple[str, str, str]]:
    """(rule, default severity, description) of every rule, for help texts and docs/secrets.md."""
    rows = [(r.name, r.severity, r.description) for r in RULES]
    rows.insert(1, ("supabase-service-role-jwt", "critical", "Supabase service_role key (bypasses RLS)"))
    rows.insert(2, ("supabase-anon-jwt", "info", "Supabase anon key (public by design)"))
    rows.insert(3, ("supabase-demo-jwt", "info", "published self-hosted Supabase demo key (item 3.5 fails if "
                                                 "the project uses it)"))
    rows.append(URL_RULE)
    rows.append(ENV_COPY_RULE)
    rows.extend(NAMED_RULES)
    return rows


def _sha1(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


_PRAGMA = PRAGMA.encode()
_PRAGMA_NEXT = PRAGMA_NEXT.encode()
#: Words that make a line worth parsing for a named value, each found in the lowered file with
#: `bytes.find` (one pass each: every secret-sounding name contains one of them).
_KEYWORDS = (b"secret", b"token", b"pass", b"pwd", b"key", b"credential", b"connection_str", b"conn_str")
#: What must follow the hit for the line to be parsed: the rest of a secret-sounding name, then an
#: assignment (`=`, `:`, `:=`, `=>`), a call's next argument (`getenv("X_SECRET", "…")`) or a
#: JavaScript fallback (`process.env.X_SECRET || "…"`).
_KEYWORD_TAIL = re.compile(br"[a-z0-9_.-]*(?:\*\*|__)?\\?[\"']?\]?(?:\*\*|__)?[ \t]*"
                            br"(?:(?::=|=>|=|:)[ \t]*\S|\\?[\"'][ \t]*,|(?:\|\||\?\?))")
_NAME_HAS_WORD_BYTES = re.compile(_NAME_WORD.encode(), re.IGNORECASE)


@dataclass(frozen=True)
class KnownValue:
    """A secret of the project's own (untracked) `.env`: found verbatim in a tracked file, it leaked."""

    key: str
    value: str


def known_env_values(env_file: Path) -> list[KnownValue]:
    """The secret values of an env file worth looking for: values of secret-named keys and URL
    passwords that are neither placeholders, references, made-up values nor local defaults."""
    from readiness_tui.redact import URL_PASSWORD, is_secret_name

    try:
        text = fileio.read_text(env_file, fileio.MAX_ENV, "an env file")  # a FIFO or device never blocks
    except fileio.FileProblem:
        return []
    out: list[KnownValue] = []
    for raw in text.splitlines()[:5000]:
        line = raw.strip()
        if line.startswith("export "):
            line = line[7:].lstrip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        m = URL_PASSWORD.search(value)
        if m:
            pw, user = unquote(m["pw"]), unquote(m["user"])
            if len(pw) >= 6 and not is_dev_password(pw, user) and not pw.isdigit():
                out.append(KnownValue(f"{key} (password)", pw))
            continue
        if not is_secret_name(key) or len(value) < 8 or is_dev_password(value) or value.startswith(
                ("http://", "https://")) or " " in value:
            continue
        decoded = decode_jwt(value) if value.startswith("eyJ") else None
        if decoded is not None and decoded[1].get("role") == "anon" or value.startswith("sb_publishable_"):
            continue  # public keys are meant to be copied into frontends
        out.append(KnownValue(key, value))
    return out


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------

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
    known_values_from: list[str] = field(default_factory=list)
    """Untracked env files whose secret values were looked for in the tracked files."""
    skipped: dict[str, int] = field(default_factory=lambda: {"binary": 0, "huge": 0, "non_utf8": 0, "unreadable": 0})
    skipped_examples: dict[str, list[str]] = field(default_factory=dict)
    duration_s: float = 0.0

    def counts(self) -> dict[str, int]:
        """Number of findings per severity (every severity present, in order)."""
        c = Counter(f.severity for f in self.findings)
        return {s: c.get(s, 0) for s in SEVERITIES}

    def blocking(self) -> list[Finding]:
        """The findings that fail a scan (critical, high, medium)."""
        return [f for f in self.findings if f.severity in BLOCKING]

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
            "known_values_from": self.known_values_from,
            "skipped": dict(self.skipped),
            "skipped_examples": {k: list(v) for k, v in self.skipped_examples.items()},
            "duration_ms": round(self.duration_s * 1000),
        }


_AUTHORITY = re.compile(rb"[^\s/?#'\"`<>()\\,;|]{3,300}")
_LABEL_PREFIX = re.compile(r"[\s>*+|#_-]*(?:\d+\.)?[\sA-Za-z()/*_-]*")
_VALUE_PREFIX = frozenset(b" \t>*+|-_")


class _Found:
    """Spans found in one file so far; later (more generic) rules skip what earlier ones took.

    A span a format rule recognised and cleared (a made-up JWT in a test, a masked `sk_live_…`)
    is claimed too, so a name rule does not report the same value again.
    """

    def __init__(self) -> None:
        self.items: list[tuple[int, int, str, str, str]] = []  # (start, end, rule, severity, value)
        self.cleared: list[tuple[int, int]] = []

    def taken(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e, *_ in self.items) or \
            any(s < end and start < e for s, e in self.cleared)

    def add(self, start: int, end: int, rule: str, severity: str, value: str) -> None:
        if not self.taken(start, end):
            self.items.append((start, end, rule, severity, value))

    def clear(self, start: int, end: int) -> None:
        self.cleared.append((start, end))


def _alnum_at(data: bytes, index: int) -> bool:
    return 0 <= index < len(data) and data[index:index + 1].isalnum()


#: Each literal once, with the rules it can start (OpenAI, Anthropic and OpenRouter share `sk-`):
#: one `bytes.find` pass per literal is most of a scan's time.
_TRIGGERS: dict[bytes, list[Rule]] = {}
for _r in RULES:
    for _t in _r.triggers:
        _TRIGGERS.setdefault(_t, []).append(_r)


def _find_rules(file: _File, found: _Found) -> None:
    data = file.data
    for anchor, rules in _TRIGGERS.items():
        pos = data.find(anchor)
        while pos != -1:
            at = pos
            pos = data.find(anchor, pos + 1)
            for rule in rules:
                m = rule.pattern.match(data, max(0, at - rule.back))
                if m is None or (rule.boundary and _alnum_at(data, m.start() - 1)):
                    continue
                value = _text(m.group(0))
                if is_placeholder(value) or is_fake(value):
                    found.clear(m.start(), m.end())
                    continue
                name, severity = rule.name, rule.severity
                if rule.classify is not None:
                    verdict = rule.classify(value, file, m.start())
                    if verdict is None:
                        found.clear(m.start(), m.end())
                        continue
                    name, severity = verdict
                found.add(m.start(), m.end(), name, severity, value)


def _find_known(file: _File, found: _Found, known: Iterable[KnownValue]) -> None:
    data = file.data
    for kv in known:
        needle = kv.value.encode("utf-8")
        pos = data.find(needle)
        while pos != -1:
            end = pos + len(needle)
            edges_ok = not (needle[:1].isalnum() and _alnum_at(data, pos - 1)) and \
                not (needle[-1:].isalnum() and _alnum_at(data, end))
            if edges_ok:
                found.add(pos, end, ENV_COPY_RULE[0], ENV_COPY_RULE[1], kv.value)
            pos = data.find(needle, end)


def _find_urls(file: _File, found: _Found) -> None:
    data = file.data
    pos = data.find(b"://")
    while pos != -1:
        at_scheme = pos
        pos = data.find(b"://", pos + 3)
        if not _alnum_at(data, at_scheme - 1):
            continue
        m = _AUTHORITY.match(data, at_scheme + 3)
        if m is None:
            continue
        span = m.group(0)
        at = span.rfind(b"@")
        colon = span.find(b":", 0, at)
        if at <= 0 or colon == -1:
            continue
        user, pw = _text(span[:colon]), unquote(_text(span[colon + 1:at]))
        hostport = _text(span[at + 1:])
        host = hostport[1:hostport.find("]")] if hostport.startswith("[") else hostport.split(":", 1)[0]
        if " " in user or not pw:
            continue
        start = m.start() + colon + 1
        if judge_url_password(pw, unquote(user), host, file.role_at(start)):
            found.add(start, m.start() + at, URL_RULE[0], URL_RULE[1], pw)


def _value_hint(data: bytes, line_start: int) -> str | None:
    """The secret name on one of the three lines above a `Value:` line (a heading, a `- name:` entry)."""
    end = line_start - 1
    for _ in range(3):
        if end <= 0:
            return None
        start = data.rfind(b"\n", 0, end) + 1
        text = _text(data[start:end])
        if re.match(r"^[ \t>*+|-]*(?:\*\*|__)?value\b", text, re.IGNORECASE):
            return None
        for m in _NAME_IN_TEXT.finditer(text):
            if name_verdict(m.group(0)) is not None:
                return m.group(0)
        if re.search(r"\b(?:password|secret|token|api key|private key|service role key)\b", text, re.IGNORECASE):
            return re.search(r"(?:password|secret|token|api key|private key|service role key)", text,
                             re.IGNORECASE).group(0)  # type: ignore[union-attr]
        end = start - 1
    return None


def _candidate_lines(file: _File) -> dict[int, str | None]:
    """Line starts worth parsing for named values, with the name a `Value:` line inherits.

    In prose every line with a secret word counts (labels such as `**AWS Secret Access Key:**`
    have spaces in their names, tables have no `=`); elsewhere the word must start an assignment.
    """
    data = file.data
    lowered = data.lower()
    lines: dict[int, str | None] = {}
    prose = file.role == ROLE_DOC
    tables = file.role in (ROLE_DOC, ROLE_EXAMPLE, ROLE_TEST)
    for kw in _KEYWORDS:
        pos = lowered.find(kw)
        while pos != -1:
            start = data.rfind(b"\n", 0, pos) + 1
            if start not in lines:
                name_start = pos
                while name_start > start and (lowered[name_start - 1:name_start].isalnum()
                                              or lowered[name_start - 1] in b"_.-"):
                    name_start -= 1
                tail = _KEYWORD_TAIL.match(lowered, pos + len(kw))
                if prose or (tail is not None and _NAME_HAS_WORD_BYTES.search(lowered, name_start, tail.end())) \
                        or (tables and data[start:pos].lstrip(b" \t").startswith(b"|")):
                    lines[start] = None
            pos = lowered.find(kw, pos + len(kw))
    pos = lowered.find(b"value")
    while pos != -1:
        start = data.rfind(b"\n", 0, pos) + 1
        if all(c in _VALUE_PREFIX for c in data[start:pos]):
            hint = _value_hint(data, start)
            if hint is not None:
                lines[start] = hint
        pos = lowered.find(b"value", pos + 5)
    return lines


def _named_matches(line: str) -> Iterable[re.Match[str]]:
    """`_NAMED` matched only where a secret word's name starts (an unanchored search of a long
    line of prose tries the lazy name prefix at every character)."""
    starts: set[int] = set()
    for word in _NAME_HAS_WORD.finditer(line):
        i = word.start()
        while i > 0 and (line[i - 1].isalnum() or line[i - 1] in "_.-"):
            i -= 1
        if i not in starts:
            starts.add(i)
            if line[max(0, i - 2):i].endswith(("${", "$")):
                continue  # `${GITLAB_TOKEN:?missing}`: an expansion of the variable, not an assignment
            m = _NAMED.match(line, i)
            if m is not None:
                yield m


def _find_named(file: _File, found: _Found) -> None:
    data = file.data
    suffix = PurePosixPath(file.relpath).suffix.lower()
    code_file = suffix in CODE_SUFFIXES
    for start, hint in sorted(_candidate_lines(file).items()):
        end = data.find(b"\n", start)
        end = len(data) if end == -1 else end
        line = _text(data[start:end])
        role = file.role_at(start)
        hits: list[tuple[int, str, str, bool, bool]] = []  # (index in line, name, value, labelled, quoted)
        if role == ROLE_DOC:  # the whole label names the secret (`AWS Secret Access Key`), not its last words
            m = _LABEL_LINE.match(line)
            if m is not None and _NAME_HAS_WORD.search(m.group("label")):
                group = "bv" if m.group("bv") is not None else "uv"
                hits.append((m.start(group), m.group("label"), m.group(group), True, group == "bv"))
        for m in _named_matches(line):
            quoted = m.group("qv") is not None
            value = m.group("qv") if quoted else m.group("uv")
            before = line[:m.start("name")]
            query = not quoted and before.endswith(("?", "&"))  # `…/data.do?method=list&apiKey=…` in a URL
            if query:
                value = re.split(r"[&#]", value, maxsplit=1)[0]
                if len(value) < 6:
                    continue
            elif not quoted and (code_file or (_IDENTIFIER.match(value) and not any(c.isdigit() for c in value))):
                continue  # in code an unquoted value is an expression (`private_key: Ed25519PrivateKey`)
            op = line[m.end("name"):m.start("qv" if quoted else "uv")]
            labelled = role == ROLE_DOC and ":" in op and "=" not in op and bool(_LABEL_PREFIX.fullmatch(before))
            hits.append((m.start("qv" if quoted else "uv"), m.group("name"), value, labelled, quoted))
        if code_file:
            for m in _FALLBACK.finditer(line):
                group = "qv" if m.group("qv") is not None else "jv"
                hits.append((m.start(group), m.group("name") or m.group("jsname"), m.group(group), False, True))
        if hint is not None:
            m = _VALUE_LINE.match(line)
            if m is not None:
                group = "qv" if m.group("qv") is not None else "uv"
                hits.append((m.start(group), hint, m.group(group), True, group == "qv"))
        stripped = line.strip()
        if stripped.startswith("|") and role in (ROLE_DOC, ROLE_EXAMPLE, ROLE_TEST):
            cells = stripped.strip("|").split("|")
            offset = line.find("|") + 1
            positions = []
            for cell in cells:
                positions.append(offset)
                offset += len(cell) + 1
            for i in range(len(cells) - 1):
                if "`" in cells[i] or not _TABLE_LABEL.fullmatch(cells[i].strip()):
                    continue  # a label names a secret; a value (or a date) in a cell is not one
                label, raw = cells[i].strip().strip("*_`"), cells[i + 1].strip()
                value = raw.strip("`*_ ")
                if value and _NAME_HAS_WORD.search(label) and " " not in value:
                    hits.append((positions[i + 1] + cells[i + 1].find(value), label, value, role == ROLE_DOC,
                                 "`" in raw))
        for index, name, value, labelled, quoted in hits:
            verdict = judge_named(name, value, role, labelled, quoted or code_file)
            if verdict is None:
                continue
            vstart = start + len(line[:index].encode("utf-8"))
            found.add(vstart, vstart + len(value.encode("utf-8")), verdict[0], verdict[1], value)


def scan_bytes(data: bytes, relpath: str, known: Iterable[KnownValue] = ()) -> tuple[list[Finding], int]:
    """Findings in one UTF-8 file's bytes, and how many were allowlisted inline.

    Works on bytes: `bytes.find` is about twice as fast as `str.find`, and `bytes.lower()` keeps
    offsets (ASCII only), so keyword hits map straight back to the file. Rules run from the most
    specific (a key's own format) to the most generic (a value under a secret-sounding name); a
    span one rule reported is not reported again.
    """
    file = _File(data, relpath, file_role(relpath))
    found = _Found()
    _find_rules(file, found)
    _find_known(file, found, known)
    _find_urls(file, found)
    _find_named(file, found)
    findings: list[Finding] = []
    allowlisted = 0
    seen: set[tuple[int, str]] = set()
    for start, _end, rule, severity, value in sorted(found.items):
        if file.allowlisted(start):
            allowlisted += 1
            continue
        number = file.number(start)
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
            text = fileio.read_text(directory / ".gitignore", fileio.MAX_CONFIG, "a .gitignore", cut=True)
        except fileio.FileProblem:
            return  # none, or a FIFO or device (never waited on)
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


def baseline_key(project_dir: Path) -> bytes | None:
    """The project's baseline fingerprint key (32 random bytes), or None when it has none."""
    try:
        key = bytes.fromhex((project_dir / BASELINE_KEY).read_text("ascii").strip())
    except (OSError, ValueError):
        return None
    return key if len(key) >= 32 else None


def ensure_baseline_key(project_dir: Path) -> bytes:
    """The project's baseline fingerprint key, created (0600, under `.readiness/`) when it has none."""
    import secrets

    from readiness_tui.store import atomic_write

    key = baseline_key(project_dir)
    if key is None:
        key = secrets.token_bytes(32)
        atomic_write(project_dir / BASELINE_KEY, key.hex().encode("ascii") + b"\n")
    return key


def fingerprint(key: bytes, finding: Finding) -> str:
    """A baseline entry's fingerprint: HMAC-SHA256 of the value's hash under the project's key."""
    return "hmac-sha256:" + hmac.new(key, finding.hashed_secret.encode("ascii"), hashlib.sha256).hexdigest()


def load_baseline(paths: Iterable[Path]) -> set[tuple[str, str]]:
    """(file, hashed_secret or fingerprint) pairs listed by baseline files; bad files are ignored."""
    entries: set[tuple[str, str]] = set()
    for path in paths:
        try:
            data = fileio.read_json(path, fileio.MAX_RECORD, "a secrets baseline")
        except fileio.FileProblem:
            continue
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, dict):
            continue
        for file, items in results.items():
            for item in items if isinstance(items, list) else []:
                for name in ("hashed_secret", "fingerprint"):
                    if isinstance(item, dict) and isinstance(item.get(name), str):
                        entries.add((str(file), item[name]))
    return entries


def baseline_document(result: ScanResult, key: bytes, findings: Iterable[Finding] | None = None) -> dict[str, Any]:
    """A baseline listing these findings by keyed fingerprint (never a value, nor a plain hash of one)."""
    results: dict[str, list[dict[str, Any]]] = {}
    for f in findings if findings is not None else result.findings:
        results.setdefault(f.file, []).append(
            {"type": f.rule, "severity": f.severity, "line_number": f.line, "fingerprint": fingerprint(key, f)})
    return {
        "version": 2,
        "fingerprint": "hmac-sha256 of the value's SHA-1, keyed with secrets-baseline.key",
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


def env_files_for_known_values(root: Path, project_dir: Path | None = None) -> list[Path]:
    """The project's own `.env` files (project directory, then repository root) that exist."""
    out: list[Path] = []
    for base in (project_dir, root):
        if base is not None and (base / ".env").is_file() and (base / ".env") not in out:
            out.append(base / ".env")
    return out


def scan(root: str | Path, *, project_dir: Path | None = None, files: list[str] | None = None,
         max_bytes: int = MAX_FILE_BYTES, exclude: Iterable[str] = (), use_baseline: bool = True,
         progress: Callable[[float, str], None] | None = None,
         known_from: Iterable[Path] | None = None) -> ScanResult:
    """Scan the files of a repository (git-tracked, or a .gitignore-honouring walk) for secrets.

    Args:
        root: The repository (or project) directory; finding paths are relative to it.
        project_dir: The project directory, where `.readiness/secrets-baseline.json` is looked for.
        files: Scan exactly these relative paths instead of listing the repository.
        max_bytes: Larger files are skipped and counted as `huge`.
        exclude: Globs (fnmatch, on the relative path) of files not to scan.
        use_baseline: Drop findings the baseline lists (False to write a new baseline).
        progress: Called with (fraction, message) now and then.
        known_from: Env files whose secret values are looked for verbatim in every scanned file
            (default: the project's `.env`); a value found is a leak whatever its context.
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
    # Each of our baselines is keyed by the key file beside it.
    keys = {k for b in baselines if b.name == BASELINE.name and (k := baseline_key(b.parent.parent)) is not None}
    env_files = list(known_from) if known_from is not None else env_files_for_known_values(root, project_dir)
    values: list[KnownValue] = []
    sources: set[str] = set()
    for env_file in env_files:
        got = known_env_values(env_file)
        values.extend(got)
        rel = os.path.relpath(env_file, root)
        sources.add(Path(rel).as_posix())
        if got:
            result.known_values_from.append(Path(rel).as_posix())
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
        if not stat.S_ISREG(st.st_mode):
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
        findings, allowlisted = scan_bytes(data, rel, () if rel in sources else values)
        result.allowlisted += allowlisted
        for f in findings:
            if (f.file, f.hashed_secret) in known or any((f.file, fingerprint(k, f)) in known for k in keys):
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
    doc = baseline_document(result, ensure_baseline_key(project_dir or root))
    atomic_write(path, (json.dumps(doc, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    return path, result
