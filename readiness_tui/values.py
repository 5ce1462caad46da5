"""What a configuration value is: a placeholder, a reference, a made-up example, a JWT, or a secret.

One rule for every check and the secret scanner (docs/secrets.md, "Placeholders are not secrets"):

- `is_placeholder`: a stand-in someone was meant to replace (`your-…`, `changeme`, `<…>`, `${VAR}`).
- `is_reference`: a value that says where the secret comes from (`os.environ["X"]`, `process.env.X`,
  `${{ secrets.X }}`, a bare `ALL_CAPS_NAME`) instead of holding it.
- `is_fake`: a value made up for a test or an example (`TestPassword123`, `MyP@ssw0rd`,
  `test-api-key-12345`, `sk-1234567890abcdef`): made of example words and counting sequences.
- `random_material`: how many characters of a value are not words, counters or separators — what
  tells a generated key (`9fQx…`) from a phrase someone typed.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from typing import Any

#: Values that stand for a secret without being one (docs/secrets.md, "Placeholders are not secrets").
_PLACEHOLDER = re.compile(
    r"^(?:your[-_ ].*|.*[-_]here|changeme|change[-_]?me|change[-_]?this.*|replace[-_]?me|todo|tbd|fixme|"
    r"placeholder.*|example.*|.*example(?:key)?|sample.*|dummy.*|fake.*|test|testing|secret|password|passwd|"
    r"none|null|nil|undefined|redacted|\[redacted\]|xxx+.*|x{3,}|\*+|\.\.\.+|…|<[^>]*>|\{\{.*\}\}|\$\{[^}]*\}|"
    r"\$[A-Za-z_][A-Za-z0-9_]*|%\(?[A-Za-z_]*\)?s|\{[A-Za-z_]*\})$",
    re.IGNORECASE,
)
#: Parts of a value that say "put the real one here" (`sk-ant-api03-REPLACE-ME`, `glpat-REPLACE_ME`).
_PLACEHOLDER_MARKERS = ("your-", "your_", "yourdomain", "placeholder", "replace-me", "replace_me", "replaceme",
                        "change-me", "change_me", "changeme", "insert-your", "insert_your", "enter-your",
                        "-goes-here", "_goes_here", "-here-", "redacted")
_NAME_AS_VALUE = re.compile(r"^(?:my)?(?:password|passwd|secret|token|apikey|api_key)[-_]?\d{0,4}$", re.IGNORECASE)
_MASKED = re.compile(r"x{4,}|X{4,}|\*{4,}|0{10,}|\.{3}|…")
#: Published documentation values (AWS docs, Stripe docs) that show up in every tutorial.
KNOWN_PUBLIC_VALUES = frozenset({
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
})


def is_placeholder(value: str) -> bool:
    """True for a value that stands for a secret (`your-…`, `changeme`, `<…>`, `${VAR}`, `xxx…`)."""
    v = value.strip().strip("'\"`")
    if not v or v in KNOWN_PUBLIC_VALUES:
        return True
    if _PLACEHOLDER.match(v):
        return True
    lowered = v.lower()
    if any(marker in lowered for marker in _PLACEHOLDER_MARKERS):
        return True
    # `sk_live_xxxxxxxx`, `ghp_****`: a real prefix with a masked body is a stand-in, not a key.
    if _MASKED.search(v) or _NAME_AS_VALUE.match(v):
        return True
    # A run of one or two repeated characters (`aaaaaaaa`, `00000000`) is a stand-in, not a key
    # (short values such as `300` or `0` are settings, not stand-ins).
    return len(v) >= 6 and len(set(v.replace("-", "").replace("_", ""))) <= 2


def b64url_json(segment: str) -> dict[str, Any] | None:
    """Decode one base64url JWT segment as a JSON object, or None."""
    try:
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, TypeError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None
    return data if isinstance(data, dict) else None


def decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(header, payload) of a JWT, without verifying it; None when it is not a JWT."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    header, payload = b64url_json(parts[0]), b64url_json(parts[1])
    if header is None or payload is None:
        return None
    return header, payload


#: Hosts that stand for "your host here": documentation domains (RFC 2606/6761), template words.
_PLACEHOLDER_HOST = re.compile(
    r"(^|\.)(example\.(com|org|net|edu)|[\w-]+\.(example|invalid))$|yourdomain|your[-_]|placeholder|changeme|"
    r"xxx|(^|\.)domain\.(com|tld)$|(^|\.)mydomain\.|^<|\$\{|\{\{",
    re.IGNORECASE,
)


def placeholder_host(url: str) -> str | None:
    """The host of a URL (or a bare host) when it is a template placeholder nobody may probe, else None.

    `api.yourdomain.com`, `your-project-id.supabase.co`, `example.com` and its subdomains, `*.example`,
    `*.invalid`, `${HOST}`, `<host>`: a probe there would look up (and maybe reach) someone else's
    machine, or nothing at all. Every live probe asks this first.
    """
    from urllib.parse import urlsplit

    text = url.strip()
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    except ValueError:
        host = ""
    host = host or text
    if _PLACEHOLDER_HOST.search(host) or is_placeholder(host):
        return host
    return None


# ---------------------------------------------------------------------------------------------
# References, made-up values and randomness (the secret scanner's judgement of a value)
# ---------------------------------------------------------------------------------------------

#: `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:=default}`, `${NAME:?message}`.
_SHELL_REF = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-=?+])(?P<default>[^}]*))?\}$")
#: Code and template expressions that read a secret from somewhere else.
_REFERENCE = re.compile(
    r"^(?:\$\{\{.*\}\}|\{\{.*\}\}|\{%.*%\}|\$\(.*\)|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%|"
    r"(?:os\.)?(?:environ|getenv|env)\b.*|process\.env\b.*|import\.meta\.env\b.*|Deno\.env\b.*|"
    r"(?:secrets|settings|config|vars|env|ENV|st\.secrets|self|cls|this|args|options)(?:\.[A-Za-z_]\w*|\[.*\])+.*|"
    r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|ENC\[.*\]|vault:.*|arn:aws:.*|projects/[^/]+/secrets/.*|"
    r"!(?:Ref|Sub|GetAtt|ImportValue)\b.*|op://.*|gcp:.*|aws-sm:.*|sm://.*|@Microsoft\.KeyVault.*)$",
    re.DOTALL,
)


def shell_default(value: str) -> str | None:
    """The default of a `${NAME:-default}` reference (None when it has none or is no such reference)."""
    m = _SHELL_REF.match(value.strip())
    if m is None or m["op"] not in (":-", "-", ":=", "="):
        return None
    return m["default"]


def is_reference(value: str) -> bool:
    """True for a value that names where a secret comes from instead of holding it.

    `${VAR}` and `${VAR:-default}` (judge the default with `shell_default`), `$VAR`, `{{ secrets.X }}`,
    `os.environ["X"]`, `process.env.X`, `settings.SECRET_KEY`, a bare environment variable name
    (`SUPABASE_SERVICE_KEY`), a secret manager path (`vault:…`, `arn:aws:…`, `op://…`).
    """
    v = value.strip().strip("'\"`")
    return bool(v) and (_SHELL_REF.match(v) is not None or _REFERENCE.match(v) is not None)


#: Words that mark a value as made up for a test, an example or a local setup (matched after
#: undoing leetspeak: `P@ssw0rd` reads `password`).
FAKE_WORDS = frozenset("""
test tests testing tester unittest fake fakes dummy mock mocked mocking sample samples example examples
demo placeholder changeme changeit password passwd passw pass secret secrets insecure unsafe invalid bogus
stub stubbed foo bar baz qux quux lorem ipsum hunter letmein qwerty azerty asdf asdfgh trustno admin
your mine my default sandbox temp tmp todo fixme fixture fixtures xyz abc abcd abcde abcdef wrong bad
nope none null nothing sekret sekrit topsecret supersecret verysecret shh hidden redacted masked
""".split())
_LONG_FAKE_WORDS = tuple(w for w in FAKE_WORDS if len(w) >= 4)
#: Longer fake words found anywhere inside a token (`mysecretpassword`, `testkey`).
_FAKE_INFIXES = ("password", "passwd", "example", "placeholder", "changeme", "dummy", "sample", "secret",
                 "testing", "fake", "mock", "letmein", "qwerty", "lorem")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
_TOKENS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+|[^A-Za-z0-9]+")
_SEPARATORS = frozenset("-_./: +,|")
_VOWELS = frozenset("aeiouy")
_HEX = re.compile(r"[0-9a-f]{16,}|[0-9A-F]{16,}")


def _is_sequence(token: str) -> bool:
    """`123`, `12345`, `67890`, `987`, `abcdef`, `xyz`, `1111`, `qwerty`: counters and keyboard runs."""
    t = token.lower()
    if len(t) < 3:
        return False
    if len(set(t)) == 1:
        return len(t) >= 4  # `0000`, `aaaa`; a `888` happens in real values
    if t in "qwertyuiopasdfghjklzxcvbnm" or t in "1234567890" or t in "0987654321":
        return True
    steps = {(ord(b) - ord(a)) % (10 if t.isdigit() else 256) for a, b in zip(t, t[1:], strict=False)}
    return steps in ({1}, {9 if t.isdigit() else 255})


def _is_wordish(token: str) -> bool:
    """A run of letters that reads like a word (`roof`, `Storm`, `prod`): vowels spread, no long
    consonant clusters. Generated keys split into short case runs (`xQ`, `Fj`) or consonant piles."""
    t = token.lower()
    if len(t) < 3 or not t.isalpha():
        return False
    vowels = sum(1 for c in t if c in _VOWELS)
    if not 0.2 <= vowels / len(t) <= 0.7:
        return False
    run = 0
    for c in t:
        run = 0 if c in _VOWELS else run + 1
        if run >= 5:
            return False
    return True


def _tokens(value: str) -> list[str]:
    return _TOKENS.findall(value)


def random_material(value: str) -> int:
    """Characters of `value` that are neither words, counting sequences, years nor separators.

    A generated key is nearly all random material (`9fQx2LmZ…`: its length); `RoofCrm2024!` has a
    little (`Crm`, `!`); `test-api-key-12345` has none.
    """
    if _HEX.fullmatch(value) and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
        return len(value)  # `edd15df6…`: hex digits only make word-like runs (`add`, `eef`) by chance
    total = 0
    for tok in _tokens(value):
        if not tok[0].isalnum():
            total += len(set(tok) - _SEPARATORS)  # `!!!!` is one character's worth, `-` none
            continue
        if tok.isdigit():
            if _is_sequence(tok) or (len(tok) == 4 and tok[:2] in ("19", "20")):
                continue
            total += len(tok)
        elif tok.isalpha():
            # A long capitals run (`AKIACOYEBF`) is a generated key's, not a word someone typed.
            lowered = tok.lower()
            if lowered in FAKE_WORDS or any(w in lowered for w in _LONG_FAKE_WORDS) or _is_sequence(tok) \
                    or (_is_wordish(tok) and (len(tok) <= 5 or not tok.isupper())):
                continue
            total += len(tok)
        else:
            total += 1
    return total


def _decoded_text(value: str) -> str | None:
    """The text a base64 value encodes, when it encodes printable ASCII (`dGVzdC1rZXk=` → `test-key`)."""
    if len(value) < 12 or len(value) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", value):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() and len(text) >= 6 else None


_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _typed_run(value: str) -> bool:
    """True when the letters (or digits) of a value, read alone, run through the alphabet or a
    keyboard row (`…PqR5sT2uV4wX7yZ0` hides `pqrstuvwxyz`): someone typed a key-shaped example."""
    letters = "".join(c for c in value.lower() if c.isalpha())
    digits = "".join(c for c in value if c.isdigit())
    for text in (letters, digits):
        up = down = 1
        for a, b in zip(text, text[1:], strict=False):
            step = ord(b) - ord(a)
            up, down = (up + 1 if step == 1 else 1), (down + 1 if step == -1 else 1)
            if up >= 7 or down >= 7:  # hex letters (a-f) cannot run that far
                return True
    return any(row[i:i + 6] in letters for row in _KEYBOARD_ROWS for i in range(len(row) - 5))


def is_fake(value: str) -> bool:
    """True for a value made up for a test, a document or a local setup, not generated as a key.

    Such a value is made of example words (`test`, `example`, `password`, `my`, `foo` — leetspeak
    undone), counting sequences (`123`, `67890`, `abcdef`) and a few other characters; a generated
    key carries many random characters (`random_material`). Base64 is judged by what it encodes.
    """
    v = value.strip().strip("'\"`")
    if not v or is_placeholder(v):
        return True
    if len(v) > 120:
        return False  # nobody types a JWT or a key block of example words: only masks (above) make it fake
    decoded = _decoded_text(v)
    if decoded is not None and decoded != v:
        return is_fake(decoded)
    if _typed_run(v):
        return True
    marked = False
    for tok in _tokens(v):
        if not tok[0].isalnum():
            continue
        plain = tok.translate(_LEET).lower() if not tok.isdigit() else tok
        if plain in FAKE_WORDS or _is_sequence(tok) or any(w in plain for w in _FAKE_INFIXES) \
                or any(w in plain for w in _LONG_FAKE_WORDS):
            marked = True
            break
    if not marked:
        normalised = re.sub(r"[^a-z]", "", v.translate(_LEET).lower())
        marked = any(w in normalised for w in ("password", "passwd", "example", "changeme", "secret", "letmein"))
    material = random_material(v)
    if len(v) <= 24 and sum(1 for c in v if c in "0134578@$!") <= 3:  # `P@ssw0rd`: a few letters swapped
        material = min(material, random_material(v.translate(_LEET)))
    return marked and material < 10


def shannon_entropy(value: str) -> float:
    """Bits per character of `value`."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def looks_generated(value: str, minimum: int = 12) -> bool:
    """True for a value that reads like a generated key: at least `minimum` random characters and
    the entropy of one (`openssl rand -hex 32`, `secrets.token_urlsafe()`, a provider's API key)."""
    v = value.strip()
    # Random text splits into short case and digit runs, a few of which read like words (`Eju`):
    # a long value needs random material for a bit under half its length.
    if len(v) < minimum:
        return False
    entropy = shannon_entropy(v)
    # Entropy against what the alphabet allows: 25 hex digits carry at most 4 bits each.
    if entropy < 0.72 * math.log2(min(len(v), 16 if _HEX.fullmatch(v) else 64)):
        return False
    classes = sum((any(c.islower() for c in v), any(c.isupper() for c in v), any(c.isdigit() for c in v)))
    return random_material(v) >= min(minimum, 0.45 * len(v)) or (len(v) >= 20 and entropy >= 4.0 and classes == 3)


#: Passwords of local development setups (database images' documented defaults, tutorials).
DEV_PASSWORDS = frozenset("""
postgres postgresql password pass passwd admin administrator root toor secret dev development local localhost
test testing changeme changeit example supabase docker guest redis mysql mariadb mongo mongodb rabbitmq
default letmein qwerty 123456 12345678 mysecretpassword pgpass app user airflow superset metabase
keycloak minio minioadmin grafana sonar odoo django flask rails
""".split())

#: Hosts that stand for "this machine" or for documentation (RFC 2606/6761 names).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "host.docker.internal",
                         "docker.for.mac.localhost", "host.containers.internal"})
_EXAMPLE_HOST = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|[^.]+\.(?:example|test|invalid|localhost|local))$"
                           r"|^(?:example|your[-_].*|.*yourdomain.*|.*your-project.*|host|hostname|server|"
                           r"db-host|dbhost|your_host)$", re.IGNORECASE)


def is_local_host(host: str) -> bool:
    """True for loopback and "this machine" host names (127.x.y.z included)."""
    h = host.strip().lower()
    return h in LOCAL_HOSTS or h.startswith("127.") or h.endswith(".localhost")


def is_example_host(host: str) -> bool:
    """True for documentation hosts: `example.com`, `*.test`, `*.invalid`, `your-db-host`, `host`."""
    return bool(_EXAMPLE_HOST.search(host.strip()))


def is_dev_password(password: str, user: str = "") -> bool:
    """True for a password only a local setup uses: an image default, the user name again, made up."""
    p = password.strip()
    return (p.lower() in DEV_PASSWORDS or (bool(user) and p.lower() == user.lower()) or is_fake(p)
            or is_placeholder(p) or is_reference(p) or p.isdigit())
