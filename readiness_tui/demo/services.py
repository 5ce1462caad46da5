"""The demo's sample services: a backend API and a Streamlit-like frontend, standard library only.

Both are `ThreadingHTTPServer`s on free loopback ports (port 0), served from daemon threads of the
demo's own process, so they start in milliseconds and cannot outlive it. The backend behaves like
a well-configured API (health, strict CORS, rate-limit headers, API docs, a leads endpoint, errors
without internals); the frontend like Streamlit 1.67 with the seed's `enableCORS = false`: it
answers `Access-Control-Allow-Origin: *` and serves its index page for every unknown path.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LEADS = [
    {"id": 1, "name": "Harbor View Apartments", "temperature": "hot", "lead_score": 92, "status": "new"},
    {"id": 2, "name": "Maple Street Residence", "temperature": "warm", "lead_score": 71, "status": "contacted"},
    {"id": 3, "name": "Lakeside Office Park", "temperature": "cool", "lead_score": 48, "status": "qualified"},
    {"id": 4, "name": "Pine Ridge Church", "temperature": "cold", "lead_score": 22, "status": "new"},
]

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Roofs CRM API (demo)", "version": "2.0.0"},
    "paths": {
        "/health": {"get": {"summary": "Health check", "responses": {"200": {"description": "ok"}}}},
        "/api/leads": {"get": {"summary": "List leads", "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 50}}],
            "responses": {"200": {"description": "A page of leads"}}}},
    },
}

DOCS_HTML = """<!doctype html><html><head><title>Roofs CRM API — docs</title></head>
<body><h1>Roofs CRM API</h1><p>OpenAPI description: <a href="/openapi.json">/openapi.json</a></p></body></html>
"""

#: What `streamlit run` serves at `/` (and, in 1.67, at every unknown path): a script-driven shell.
INDEX_HTML = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no" />
    <link rel="shortcut icon" href="./favicon.png" />
    <title>Streamlit</title>
    <script type="module" crossorigin src="./static/js/index.demo.js"></script>
  </head>
  <body>
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
  </body>
</html>
"""

STATIC_JS = ("/* Roofs CRM dashboard bundle (demo) */\n" + "export const refreshSeconds = 30;\n" * 200).encode()

#: Requests per window the backend allows one client before answering 429.
RATE_LIMIT = 5000
RATE_WINDOW_S = 60


class _Handler(BaseHTTPRequestHandler):
    server_version = "demo"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Stay quiet: the wizard owns the terminal."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests get a short plain answer, never the default page with details."""
        body = f"{code} {message or 'error'}\n".encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        if "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 512:
            body = gzip.compress(body)
            headers = {**(headers or {}), "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()


class BackendHandler(_Handler):
    """The sample backend API."""

    def _cors(self) -> dict[str, str]:
        origin = self.headers.get("Origin")
        allowed: str = self.server.allowed_origin  # type: ignore[attr-defined]
        headers = {"Vary": "Origin"}
        if origin and origin == allowed:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
        return headers

    def _limit(self) -> tuple[bool, dict[str, str]]:
        limiter: _Limiter = self.server.limiter  # type: ignore[attr-defined]
        remaining, reset = limiter.take(self.client_address[0])
        headers = {"RateLimit-Limit": str(RATE_LIMIT), "RateLimit-Remaining": str(max(remaining, 0)),
                   "RateLimit-Reset": str(reset)}
        return remaining >= 0, headers

    def json(self, status: int, data: Any, headers: dict[str, str]) -> None:
        self.reply(status, json.dumps(data).encode(), "application/json", headers)

    def do_OPTIONS(self) -> None:  # noqa: N802
        headers = self._cors()
        if "Access-Control-Allow-Origin" in headers:
            headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
        self.reply(204, b"", "text/plain", headers)

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        allowed, headers = self._limit()
        headers.update(self._cors())
        if not allowed:
            self.json(429, {"error": "too many requests"}, {**headers, "Retry-After": headers["RateLimit-Reset"]})
        elif url.path == "/health":
            self.json(200, {"status": "ok", "timestamp": datetime.now(UTC).isoformat()}, headers)
        elif url.path == "/openapi.json":
            self.json(200, OPENAPI, headers)
        elif url.path in ("/docs", "/docs/"):
            self.reply(200, DOCS_HTML.encode(), "text/html; charset=utf-8", headers)
        elif url.path == "/api/leads":
            try:
                limit = int((parse_qs(url.query).get("limit") or ["25"])[0])
            except ValueError:
                self.json(400, {"error": "limit must be an integer"}, headers)
                return
            limit = max(1, min(limit, 50))
            self.json(200, {"items": LEADS[:limit], "total": len(LEADS), "page_size": limit}, headers)
        else:
            self.json(404, {"error": "not found"}, headers)


class FrontendHandler(_Handler):
    """A Streamlit-like frontend with the seed's `enableCORS = false`."""

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        # Streamlit with enableCORS = false answers every origin (DOMAIN.md, Streamlit).
        headers = {"Access-Control-Allow-Origin": "*"}
        if path == "/_stcore/health":
            self.reply(200, b"ok", "text/plain; charset=utf-8", headers)
        elif path.startswith("/static/"):
            self.reply(200, STATIC_JS, "application/javascript", {**headers, "Cache-Control": "max-age=31536000"})
        else:
            headers["Set-Cookie"] = "_streamlit_xsrf=2|demo|token|1700000000; Path=/; SameSite=Lax"
            self.reply(200, INDEX_HTML.encode(), "text/html; charset=utf-8", headers)


class _Limiter:
    """A fixed-window request counter per client address."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window = 0
        self._counts: dict[str, int] = {}

    def take(self, client: str) -> tuple[int, int]:
        now = int(time.time())
        window = now // RATE_WINDOW_S
        with self._lock:
            if window != self._window:
                self._window, self._counts = window, {}
            self._counts[client] = self._counts.get(client, 0) + 1
            return RATE_LIMIT - self._counts[client], RATE_WINDOW_S - now % RATE_WINDOW_S


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class DemoServices:
    """The running sample services; `stop()` closes their sockets (idempotent)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> DemoServices:
        """Bind both services to free ports and serve them from daemon threads."""
        frontend = _Server((self.host, 0), FrontendHandler)
        backend = _Server((self.host, 0), BackendHandler)
        backend.allowed_origin = f"http://{self.host}:{frontend.server_address[1]}"  # type: ignore[attr-defined]
        backend.limiter = _Limiter()  # type: ignore[attr-defined]
        self._servers = [backend, frontend]
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      name="readiness-demo-service", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    @property
    def backend_url(self) -> str:
        return f"http://{self.host}:{self._servers[0].server_address[1]}"

    @property
    def frontend_url(self) -> str:
        return f"http://{self.host}:{self._servers[1].server_address[1]}"

    @property
    def ports(self) -> list[int]:
        return [int(s.server_address[1]) for s in self._servers]

    def stop(self) -> None:
        """Stop serving and close both listening sockets."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers, self._threads = [], []

    def __enter__(self) -> DemoServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
