"""A small HTTP/1.1 load generator on raw asyncio streams with keep-alive.

Why not httpx: measured here (DOMAIN.md) an httpx loop reached 0.08× of `ab -n 1000 -c 10` on one
loopback endpoint, so it measured itself rather than the server. Raw streams with one keep-alive
connection per worker spend almost nothing per request; `benchmarks/load_test.py` compares this
client with ab in one run. Bounded in count (`total`) and time (`max_seconds`).
"""

from __future__ import annotations

import asyncio
import contextlib
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
        """Requests without an answer plus answers with a 4xx/5xx status."""
        bad_status = sum(n for status, n in self.statuses.items() if status >= 400)
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
        """Network errors by kind plus non-2xx/3xx statuses as `http_<code>`."""
        out = dict(self.errors)
        for status, n in sorted(self.statuses.items()):
            if status >= 400:
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


async def _read_response(reader: asyncio.StreamReader, head_only: bool) -> tuple[int, bool]:
    """Read one answer; (status, whether the connection must be closed afterwards)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _Closed() from None
        raise
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ValueError(f"not an HTTP status line: {lines[0][:60]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    close = connection == "close" or (parts[0] == "HTTP/1.0" and connection != "keep-alive")
    if head_only or status in (204, 304) or 100 <= status < 200:
        return status, close
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            await _discard(reader, size + 2)
    elif "content-length" in headers:
        await _discard(reader, int(headers["content-length"]))
    else:
        while await reader.read(65536):
            pass
        close = True
    return status, close


async def _discard(reader: asyncio.StreamReader, n: int) -> None:
    """Read and drop n bytes without holding them all (a huge answer must not fill memory)."""
    while n > 0:
        chunk = await reader.read(min(n, 65536))
        if not chunk:
            raise asyncio.IncompleteReadError(b"", n)
        n -= len(chunk)


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connect_refused"
    if isinstance(exc, ssl.SSLError):
        return "tls"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | asyncio.IncompleteReadError):
        return "connection_closed"
    if isinstance(exc, ValueError | asyncio.LimitOverrunError):
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
) -> LoadResult:
    """Send `total` requests to `url` from `concurrency` keep-alive connections; stop at `max_seconds`."""
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

    async def open_conn() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=tls, server_hostname=host if tls else None, limit=_HEADER_LIMIT),
            connect_timeout,
        )

    async def worker() -> None:
        nonlocal claimed
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
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
                        if conn is None:
                            conn = await open_conn()
                        reader, writer = conn
                        writer.write(request)
                        # asyncio.timeout, not wait_for: no extra task per request (the client stays cheap)
                        async with asyncio.timeout(read_timeout):
                            status, close = await _read_response(reader, head_only)
                    except _Closed:
                        _close(conn)
                        conn = None
                        if fresh or attempt:
                            result.errors["connection_closed"] += 1
                            break
                        continue
                    except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError,
                            asyncio.LimitOverrunError) as exc:
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


def _close(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            conn[1].close()
