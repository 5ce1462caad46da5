"""A small HTTP/1.1 load generator on asyncio protocols with keep-alive.

Why not httpx: measured here (docs/how-checks-work.md, "The load test") an httpx loop reached
0.08× of `ab -n 1000 -c 10` on one loopback endpoint, so it measured itself rather than the
server. One keep-alive connection per worker, whose protocol parses answers as bytes arrive, spends
almost nothing per request; `benchmarks/load_test.py` compares this client with ab in one run.
Bounded in count (`total`) and time (`max_seconds`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from readiness_tui.http import percentile

ProgressFn = Callable[[float | None, str], None]
_HEADER_LIMIT = 1 << 20


@dataclass
class LoadResult:
    """What a load test measured."""

    url: str
    total: int
    concurrency: int
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    stopped: str = ""
    """Why the test stopped before sending every request (the time budget), or empty."""

    @property
    def answered(self) -> int:
        return len(self.latencies_ms)

    @property
    def failures(self) -> int:
        """Requests without an answer plus answers that are not 2xx (like ab's "Non-2xx responses": a
        redirect is not the page, so a load test of redirects measures nothing the users wait for)."""
        bad_status = sum(n for status, n in self.statuses.items() if status >= 300)
        return sum(self.errors.values()) + bad_status

    @property
    def rps(self) -> float:
        return self.answered / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def pct(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    @property
    def mean_ms(self) -> float:
        return sum(self.latencies_ms) / len(self.latencies_ms) if self.latencies_ms else 0.0

    def errors_by_kind(self) -> dict[str, int]:
        """Network errors by kind plus non-2xx statuses as `http_<code>`."""
        out = dict(self.errors)
        for status, n in sorted(self.statuses.items()):
            if status >= 300:
                out[f"http_{status}"] = n
        return out

    def summary(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "requests": self.total,
            "concurrency": self.concurrency,
            "sent": self.sent,
            "answered": self.answered,
            "elapsed_s": round(self.elapsed_s, 3),
            "requests_per_s": round(self.rps, 1),
            "mean_ms": round(self.mean_ms, 2),
            "p50_ms": round(self.pct(50), 2),
            "p95_ms": round(self.pct(95), 2),
            "p99_ms": round(self.pct(99), 2),
            "max_ms": round(max(self.latencies_ms), 2) if self.latencies_ms else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors_by_kind(),
            **({"stopped": self.stopped} if self.stopped else {}),
        }


class _Closed(Exception):
    """The server closed a kept-alive connection before answering (retry on a fresh one)."""


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r]*chunked", re.IGNORECASE)
_CONNECTION = re.compile(rb"\r\nconnection:[ \t]*([\w-]+)", re.IGNORECASE)


#: Largest answer body the load test accepts (bytes): a health or API answer beyond it is broken, and
#: streaming it would spend the whole time budget on one request.
MAX_BODY = 1024 * 1024


class _TooLarge(ValueError):
    """An answer body beyond `max_body` bytes."""


class _Conn(asyncio.Protocol):
    """One keep-alive connection that parses answers as bytes arrive (no stream reader per request).

    States: `head` (waiting for the header block), `body` (dropping `remaining` bytes), `size` and
    `trailer` (chunked encoding), `eof` (a body delimited by the server closing), `idle`.
    Bodies are counted and dropped, never kept: a huge answer costs no memory.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, head_only: bool, max_body: int = MAX_BODY) -> None:
        self.loop = loop
        self.head_only = head_only
        self.max_body = max_body
        self.body_bytes = 0
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bool]] | None = None
        self.state = "idle"
        self.status = 0
        self.close_after = False
        self.remaining = 0
        self.in_chunks = False
        self.got_bytes = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, payload: bytes) -> asyncio.Future[tuple[int, bool]]:
        """Write one request; the future gives (status, close-after) once the whole answer is in."""
        self.waiter = self.loop.create_future()
        self.state, self.status, self.close_after, self.in_chunks, self.got_bytes = "head", 0, False, False, False
        self.body_bytes = 0
        assert self.transport is not None
        self.transport.write(payload)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        self.buf += data
        try:
            self._advance()
        except ValueError as exc:
            self._fail(exc)

    def eof_received(self) -> bool:
        self._ended(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended(exc)

    def _ended(self, exc: Exception | None) -> None:
        if self.state == "eof":
            self._done()
        elif self.state != "idle":
            self._fail(exc or (asyncio.IncompleteReadError(b"", None) if self.got_bytes else _Closed()))

    def _fail(self, exc: BaseException) -> None:
        self.state = "idle"
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    def _done(self) -> None:
        self.state = "idle"
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.status, self.close_after))

    def _advance(self) -> None:
        buf = self.buf
        while True:
            if self.state == "head":
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > _HEADER_LIMIT:
                        raise ValueError("answer headers too long")
                    return
                head = bytes(buf[: end + 2])
                del buf[: end + 4]
                if not head.startswith(b"HTTP/") or len(head) < 12:
                    raise ValueError(f"not an HTTP status line: {head[:40]!r}")
                self.status = int(head[9:12])
                conn = _CONNECTION.search(head)
                token = conn.group(1).lower() if conn else b""
                self.close_after = token == b"close" or (head.startswith(b"HTTP/1.0") and token != b"keep-alive")
                if self.head_only or self.status in (204, 304) or 100 <= self.status < 200:
                    self._done()
                    return
                if _CHUNKED.search(head):
                    self.state, self.in_chunks = "size", True
                elif (length := _CONTENT_LENGTH.search(head)) is not None:
                    self.state, self.remaining = "body", int(length.group(1))
                    if self.remaining > self.max_body:
                        raise _TooLarge(f"answer of {self.remaining} bytes")
                else:
                    self.state, self.close_after = "eof", True
            elif self.state == "body":
                take = min(self.remaining, len(buf))
                del buf[:take]
                self.remaining -= take
                self.body_bytes += take
                if self.body_bytes > self.max_body + 2 * 65536:  # chunk framing counted loosely
                    raise _TooLarge(f"answer of more than {self.max_body} bytes")
                if self.remaining:
                    return
                if self.in_chunks:
                    self.state = "size"
                else:
                    self._done()
                    return
            elif self.state == "size":
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                size = int(bytes(buf[:end]).split(b";")[0].strip() or b"0", 16)
                del buf[: end + 2]
                self.state, self.remaining = ("trailer", 0) if size == 0 else ("body", size + 2)
            elif self.state == "trailer":
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                del buf[: end + 2]
                if end == 0:
                    self._done()
                    return
            elif self.state == "eof":
                self.body_bytes += len(buf)
                buf.clear()
                if self.body_bytes > self.max_body:
                    raise _TooLarge(f"answer of more than {self.max_body} bytes")
                return
            else:
                buf.clear()  # bytes nobody asked for: ignore them
                return


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connect_refused"
    if isinstance(exc, ssl.SSLError):
        return "tls"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | asyncio.IncompleteReadError):
        return "connection_closed"
    if isinstance(exc, _TooLarge):
        return "body_too_large"
    if isinstance(exc, ValueError):
        return "protocol"
    if isinstance(exc, OSError):
        return "connect_error"
    return type(exc).__name__


async def run_load(
    url: str,
    total: int,
    concurrency: int,
    *,
    connect_timeout: float = 3.0,
    read_timeout: float = 5.0,
    max_seconds: float = 60.0,
    ssl_context: ssl.SSLContext | None = None,
    method: str = "GET",
    progress: ProgressFn | None = None,
    max_body: int = MAX_BODY,
) -> LoadResult:
    """Send `total` requests to `url` from `concurrency` keep-alive connections; stop at `max_seconds`.

    An answer body beyond `max_body` bytes is an error (`body_too_large`) and its connection is dropped.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    tls = ssl_context if parts.scheme == "https" else None
    if parts.scheme == "https" and tls is None:
        tls = ssl.create_default_context()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = parts.netloc.rpartition("@")[2]
    request = (
        f"{method} {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: readiness-tui-load\r\n"
        "Accept: */*\r\n\r\n"
    ).encode("ascii")
    head_only = method == "HEAD"
    result = LoadResult(url=url, total=total, concurrency=concurrency)
    step = max(1, total // 20)
    started = time.perf_counter()
    budget_end = started + max_seconds
    claimed = 0

    loop = asyncio.get_running_loop()

    async def open_conn() -> _Conn:
        _, proto = await asyncio.wait_for(
            loop.create_connection(lambda: _Conn(loop, head_only, max_body), host, port, ssl=tls,
                                   server_hostname=host if tls else None),
            connect_timeout,
        )
        return proto

    async def worker() -> None:
        nonlocal claimed
        conn: _Conn | None = None
        try:
            while claimed < total:
                if time.perf_counter() >= budget_end:
                    result.stopped = f"time budget of {max_seconds:g} s reached after {result.sent} requests"
                    return
                if not result.latencies_ms and result.errors:
                    # Not one answer yet and already a failure: a dead or hung target. Stop rather than
                    # wait out a timeout per remaining request.
                    result.stopped = f"stopped: no answer to the first {sum(result.errors.values())} requests"
                    return
                claimed += 1
                result.sent += 1
                t0 = time.perf_counter()
                for attempt in (0, 1):
                    fresh = conn is None
                    try:
                        if conn is None or conn.transport is None or conn.transport.is_closing():
                            conn = await open_conn()
                        # asyncio.timeout, not wait_for: no extra task per request (the client stays cheap)
                        async with asyncio.timeout(read_timeout):
                            status, close = await conn.send(request)
                    except _Closed:
                        _close(conn)
                        conn = None
                        if fresh or attempt:
                            result.errors["connection_closed"] += 1
                            break
                        continue
                    except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
                        _close(conn)
                        conn = None
                        result.errors[_error_kind(exc)] += 1
                        break
                    result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                    result.statuses[status] += 1
                    if close:
                        _close(conn)
                        conn = None
                    break
                if progress is not None and result.sent % step == 0:
                    progress(result.sent / total, f"{result.sent}/{total} requests")
        finally:
            _close(conn)

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, min(concurrency, total)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        result.elapsed_s = time.perf_counter() - started
    return result


def _close(conn: _Conn | None) -> None:
    if conn is not None and conn.transport is not None:
        with contextlib.suppress(Exception):
            conn.transport.close()
