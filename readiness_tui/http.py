"""The one HTTP layer of the live checks: httpx (async), bounded, and every exchange kept as evidence.

Timeouts come from the settings (`connect_timeout`, `read_timeout`), redirects are followed and
recorded, bodies are streamed and cut at a size cap (a 1 GB answer is never read whole), invalid
UTF-8 is decoded with replacement characters, and every request/answer is summarised for the
evidence with secrets, cookies and Authorization redacted. httpx is imported lazily: importing this
module costs nothing (`readiness check --help` must not import httpx).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from readiness_tui.redact import REDACTED, Redactor, is_secret_name, redact_url
from readiness_tui.values import placeholder_host

if TYPE_CHECKING:
    from readiness_tui.settings import Settings

#: Default cap on the bytes of an answer read into memory.
MAX_BODY = 1_000_000
#: Characters of a body kept in evidence.
EVIDENCE_BODY = 300

#: Answer headers worth keeping in evidence (the checks judge them).
RELEVANT_HEADERS = (
    "content-type", "content-length", "content-encoding", "location", "server", "vary", "retry-after",
    "access-control-allow-origin", "access-control-allow-credentials", "access-control-allow-methods",
    "access-control-allow-headers", "ratelimit", "ratelimit-policy", "ratelimit-limit", "ratelimit-remaining",
    "ratelimit-reset", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
    "strict-transport-security", "set-cookie",
)
#: Request headers whose values never reach evidence.
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "x-api-key", "apikey"}


_SSL_CACHE: dict[str, ssl.SSLContext] = {}


def ssl_context(settings: Settings | None) -> ssl.SSLContext:
    """A verifying TLS context: the system CAs plus `Settings.ca_bundle` when configured.

    Cached per CA bundle: loading the system CAs costs tens of milliseconds, and a run opens many clients.
    """
    bundle = str(settings.path(settings.ca_bundle)) if settings is not None and settings.ca_bundle else ""
    ctx = _SSL_CACHE.get(bundle)
    if ctx is None:
        ctx = ssl.create_default_context()
        if bundle:
            ctx.load_verify_locations(cafile=bundle)
        _SSL_CACHE[bundle] = ctx
    return ctx


#: Failures that cost a whole timeout: a host that shows one is not asked again by later stages.
SLOW_FAILURES = {"read_timeout", "connect_timeout", "too_slow", "timeout"}


def host_key(url: str) -> str:
    """`host:port` of a URL (default ports filled in)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def dead_hosts(shared: dict[str, Any]) -> dict[str, str]:
    """Hosts of this run that accepted no answer within the timeouts (host:port → reason)."""
    found = shared.get("live.dead_hosts")
    if not isinstance(found, dict):
        found = shared["live.dead_hosts"] = {}
    return found


def safe_url(url: str) -> str:
    """The URL with an embedded password and secret-named query parameters redacted."""
    url = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    query = [(k, REDACTED if is_secret_name(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]")))


def cookie_summary(set_cookie: str) -> str:
    """A Set-Cookie header without the cookie's value: its name and attributes."""
    name, _, rest = set_cookie.partition("=")
    attrs = [a.strip() for a in rest.split(";")[1:] if a.strip()]
    return "; ".join([f"{name.strip()}={REDACTED}", *attrs])


@dataclass
class Exchange:
    """One request and its answer (or the reason there was none)."""

    method: str
    url: str
    status: int | None = None
    ms: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    """Answer headers, lower-case names; repeated headers joined with `, ` (Set-Cookie with ` | `)."""
    body: bytes = b""
    truncated: bool = False
    """True when the body was longer than the cap and only its start was read."""
    redirects: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    """One-line reason when there was no answer."""
    error_kind: str = ""
    """connect_refused, connect_timeout, read_timeout, tls, dns, protocol, too_slow, other."""
    request_headers: dict[str, str] = field(default_factory=dict)
    final_url: str = ""
    body_size: int = 0
    """Bytes of body read from the wire (also when the body itself was not kept)."""

    @property
    def ok(self) -> bool:
        """True when an answer came back (any status)."""
        return self.status is not None

    @property
    def text(self) -> str:
        """The body as text; invalid UTF-8 becomes U+FFFD instead of an error."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            return None

    def header(self, name: str) -> str | None:
        """One answer header (case-insensitive)."""
        return self.headers.get(name.lower())

    def cookies(self) -> list[str]:
        """The raw Set-Cookie values of the answer."""
        raw = self.headers.get("set-cookie")
        return raw.split(" | ") if raw else []

    def evidence(self, redactor: Redactor | None = None, body_chars: int = EVIDENCE_BODY) -> dict[str, Any]:
        """A JSON-safe summary: method, URL, status, time, relevant headers, truncated body; redacted."""
        redactor = redactor or Redactor()
        out: dict[str, Any] = {"request": f"{self.method} {safe_url(self.url)}"}
        sent = {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in self.request_headers.items()}
        if sent:
            out["sent_headers"] = sent
        if self.redirects:
            out["redirects"] = self.redirects
        if self.error:
            out["error"] = self.error
            out["error_kind"] = self.error_kind
        if self.status is not None:
            out["status"] = self.status
        out["ms"] = round(self.ms, 1)
        headers = {}
        for name in RELEVANT_HEADERS:
            value = self.headers.get(name)
            if value is None:
                continue
            if name == "set-cookie":
                value = " | ".join(cookie_summary(c) for c in value.split(" | "))
            elif name == "location":
                value = safe_url(value)
            headers[name] = value
        if headers:
            out["headers"] = headers
        if self.status is not None:
            snippet = self.text[:body_chars]
            out["body"] = snippet + ("…" if len(self.text) > body_chars or self.truncated else "")
            out["body_bytes_read"] = len(self.body)
            if self.truncated:
                out["body_truncated"] = True
        return redactor.data(out)


def join(base: str, path: str) -> str:
    """`base` (a service's base URL) joined with an absolute `path` (which may carry a query)."""
    if path.startswith(("http://", "https://")):
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and its causes, outermost first (httpx wraps the OSError that says what happened 3 levels deep)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _classify(exc: BaseException) -> tuple[str, str]:
    """(kind, one-line reason) of an httpx or OS error."""
    import errno

    import httpx

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # "[SSL: X] x (_ssl.c:1006)": the C source line means nothing to the reader.
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", text)
    cause = exc.__cause__ or exc.__context__
    errnos = {getattr(e, "errno", None) for e in _chain(exc)}
    if errno.ECONNRESET in errnos and not isinstance(exc, httpx.ConnectError):
        return "connection_reset", "connection reset by the server before it answered"
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect_timeout", "connection timed out"
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout):
        return "read_timeout", "no answer before the read timeout"
    if isinstance(exc, httpx.ConnectError):
        chain = f"{text} {cause or ''}"
        if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in chain:
            detail = getattr(cause, "verify_message", "") or text
            return "tls", f"TLS certificate not trusted: {detail}"
        if "SSL" in chain or "TLS" in chain or "WRONG_VERSION_NUMBER" in chain:
            return "tls", f"TLS handshake failed: {text}"
        if "Name or service not known" in chain or "nodename nor servname" in chain or "getaddrinfo" in chain \
                or "Temporary failure in name resolution" in chain or "No address associated" in chain:
            return "dns", f"host name not found: {text}"
        if "refused" in chain.lower() or errno.ECONNREFUSED in errnos:
            return "connect_refused", "connection refused (nothing listens on that port)"
        return "connect_error", f"cannot connect: {text}"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        return "protocol", f"not a valid HTTP answer: {text}"
    if isinstance(exc, httpx.DecodingError):
        return "protocol", f"cannot decode the answer: {text}"
    if isinstance(exc, httpx.TooManyRedirects):
        return "protocol", "too many redirects"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "bad_url", f"not a usable URL: {text}"
    return "other", f"{type(exc).__name__}: {text}"


class Http:
    """An async HTTP client for the live checks (use `async with Http(settings) as http:`)."""

    def __init__(self, settings: Settings | None = None, *, verify: bool = True,
                 connect_timeout: float | None = None, read_timeout: float | None = None,
                 shared: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.shared = shared
        """The run's memo: hosts that time out are recorded there (`dead_hosts`)."""
        self.connect_timeout = connect_timeout or (settings.connect_timeout if settings else 3.0)
        self.read_timeout = read_timeout or (settings.read_timeout if settings else 5.0)
        self.verify = verify
        self.redactor = settings.redactor() if settings is not None else Redactor()
        self._client: Any = None

    async def __aenter__(self) -> Http:
        import httpx

        verify: ssl.SSLContext | bool = ssl_context(self.settings) if self.verify else False
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.read_timeout, connect=self.connect_timeout),
            verify=verify,
            follow_redirects=False,
            headers={"User-Agent": "readiness-tui"},
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=20),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    @property
    def deadline(self) -> float:
        """Longest one exchange may take in all (a server trickling bytes must not hold a check)."""
        return self.connect_timeout + 2 * self.read_timeout

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        content: bytes | str | None = None,
        max_body: int = MAX_BODY,
        follow_redirects: bool = True,
        raw: bool = False,
        keep: bool = True,
    ) -> Exchange:
        """Send one request; never raises for network trouble (the Exchange says what went wrong).

        `raw=True` keeps the body as sent on the wire (compressed), for the compression check;
        `keep=False` reads up to `max_body` bytes and counts them without keeping them (page load).
        """
        exchange = Exchange(method=method, url=url, request_headers=dict(headers or {}))
        placeholder = placeholder_host(url)
        if placeholder is not None:
            # The last guard of the target resolution: nothing is ever sent to a template host.
            exchange.error_kind = "placeholder"
            exchange.error = f"not sent: {placeholder} is a template placeholder"
            return exchange
        started = time.perf_counter()
        try:
            await asyncio.wait_for(
                self._send(exchange, headers, content, max_body, follow_redirects, raw, keep), self.deadline
            )
        except TimeoutError:
            exchange.error_kind = "too_slow"
            exchange.error = f"the answer took longer than {self.deadline:g} s in all"
        except Exception as exc:  # noqa: BLE001 - network trouble is the result, not a crash
            exchange.error_kind, exchange.error = _classify(exc)
        exchange.ms = (time.perf_counter() - started) * 1000
        if self.shared is not None and exchange.error_kind in SLOW_FAILURES:
            dead_hosts(self.shared).setdefault(host_key(url), exchange.error)
        return exchange

    async def _send(self, exchange: Exchange, headers: Mapping[str, str] | None, content: bytes | str | None,
                    max_body: int, follow_redirects: bool, raw: bool, keep: bool) -> None:
        async with self._client.stream(
            exchange.method, exchange.url, headers=dict(headers or {}), content=content,
            follow_redirects=follow_redirects,
        ) as response:
            exchange.redirects = [
                {"status": r.status_code, "url": safe_url(str(r.url)), "location": safe_url(r.headers.get("location", ""))}
                for r in response.history
            ]
            exchange.final_url = str(response.url)
            exchange.status = response.status_code
            merged: dict[str, str] = {}
            for name, value in response.headers.multi_items():
                key = name.lower()
                sep = " | " if key == "set-cookie" else ", "
                merged[key] = f"{merged[key]}{sep}{value}" if key in merged else value
            exchange.headers = merged
            chunks: list[bytes] = []
            size = 0
            stream = response.aiter_raw() if raw else response.aiter_bytes()
            async for chunk in stream:
                if keep:
                    chunks.append(chunk)
                size += len(chunk)
                exchange.body_size = size
                if size > max_body:
                    exchange.truncated = True
                    break
            exchange.body = b"".join(chunks)[:max_body]

    async def get(self, url: str, **kwargs: Any) -> Exchange:
        """A GET request (see `request`)."""
        return await self.request("GET", url, **kwargs)


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


class Quiet:
    """Keeps latency measurements and the load test of one run apart.

    The runner starts every check at once; a load test running beside the health or page-load
    samples would measure itself into their figures. Measuring checks hold `measuring()`; the load
    test calls `wait_quiet()` first, so it starts once they are done (bounded: it never waits longer
    than `limit`).
    """

    def __init__(self) -> None:
        self.active = 0
        self._idle: asyncio.Event | None = None

    @property
    def idle(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            self._idle.set()
        return self._idle

    @contextlib.asynccontextmanager
    async def measuring(self) -> AsyncIterator[None]:
        """Mark a latency measurement in progress (released on return, error or cancellation)."""
        self.active += 1
        self.idle.clear()
        try:
            yield
        finally:
            self.active -= 1
            if not self.active:
                self.idle.set()

    async def wait_quiet(self, limit: float, settle: float = 0.1) -> float:
        """Wait until no measurement runs (after `settle` s for them to start); the seconds waited."""
        started = time.perf_counter()
        await asyncio.sleep(settle)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), max(0.0, limit - settle))
        return time.perf_counter() - started


def quiet(shared: dict[str, Any], name: str = "probes") -> Quiet:
    """A named Quiet of this run (kept in the runner's per-run memo `CheckContext.shared`).

    Phases of one run: `probes` (every live check's requests), then `latency` (health samples and
    the page-load timing, one at a time, on quiet hosts), then `load` (the load test), then the
    rate-limit burst, last so that a limiter it trips cannot spoil the other checks.
    """
    key = f"live.quiet.{name}"
    gate = shared.get(key)
    if not isinstance(gate, Quiet):
        gate = shared[key] = Quiet()
    return gate


def latency_lock(shared: dict[str, Any]) -> asyncio.Lock:
    """One latency sampler at a time in a run (their samples would otherwise overlap)."""
    lock = shared.get("live.latency_lock")
    if not isinstance(lock, asyncio.Lock):
        lock = shared["live.latency_lock"] = asyncio.Lock()
    return lock
