"""The demo's sample services: a backend API and a Streamlit-like frontend, standard library only.

Both are `ThreadingHTTPServer`s on free loopback ports (port 0), served from threads of one child
process that starts in a fraction of a second and ends when the demo's process does. The backend behaves like
a well-configured API (health, strict CORS, rate-limit headers, API docs, a leads endpoint, errors
without internals); the frontend like Streamlit 1.67 with the seed's `enableCORS = false`: it
answers `Access-Control-Allow-Origin: *` and serves its index page for every unknown path.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import select
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

LEADS = [
    {"id": 1, "name": "Harbor View Apartments", "temperature": "hot", "lead_score": 92, "status": "new"},
    {"id": 2, "name": "Maple Street Residence", "temperature": "warm", "lead_score": 71, "status": "contacted"},
    {"id": 3, "name": "Lakeside Office Park", "temperature": "cool", "lead_score": 48, "status": "qualified"},
    {"id": 4, "name": "Pine Ridge Church", "temperature": "cold", "lead_score": 22, "status": "new"},
]

#: Under this path the backend answers every request 503 (a failing backend for item 10.10's copy of the app).
UNAVAILABLE = "/unavailable"

WEEKLY = [{"day": d, "leads": n} for d, n in zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                                                 (4, 7, 5, 9, 6, 2, 3), strict=True)]
PIPELINE = [("hot", 6), ("warm", 11), ("cool", 8), ("cold", 4)]

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

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming; every handler below answers GET
        self.send_error(404, "not found")

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
        elif url.path.startswith(UNAVAILABLE + "/"):
            # The failing backend the dashboard's second copy is pointed at (item 10.10).
            self.json(503, {"error": "service unavailable"}, {**headers, "Retry-After": "30"})
        elif url.path == "/openapi.json":
            self.json(200, OPENAPI, headers)
        elif url.path in ("/docs", "/docs/"):
            self.reply(200, DOCS_HTML.encode(), "text/html; charset=utf-8", headers)
        elif url.path == "/rest/v1/leads":
            # Stands in for the Supabase project's PostgREST API, so 2.4 and 10.8 stay on loopback.
            self.json(200, LEADS[:1], {**headers, "Content-Range": f"0-0/{len(LEADS)}"})
        elif url.path == "/api/stats/weekly":
            self.json(200, {"days": WEEKLY}, headers)
        elif url.path == "/api/stats/pipeline":
            # The deliberate drift the dashboard's Pipeline page trips over: `temperature` renamed `temp`.
            self.json(200, {"rows": [{"temp": t, "count": c} for t, c in PIPELINE]}, headers)
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


#: RFC 6455's fixed GUID for the Sec-WebSocket-Accept answer.
_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Streamlit's protobuf field numbers: BackMsg 11 `rerun_script`; ForwardMsg 6 `script_finished`
#: (status 0: finished successfully). A rerun is answered with that one message.
_RERUN_SCRIPT = 11
_SCRIPT_FINISHED_OK = bytes([6 << 3, 0])


class FrontendHandler(_Handler):
    """A Streamlit-like frontend with the seed's `enableCORS = false`.

    Besides the page and the health endpoint it speaks just enough of Streamlit's session
    WebSocket (`/_stcore/stream`, subprotocol `streamlit`) to run the "script": every rerun request
    is answered with `script_finished`, as a browser session would see.
    """

    def _stream(self) -> None:
        """Accept the WebSocket upgrade and answer reruns until the client closes."""
        key = self.headers.get("Sec-WebSocket-Key", "")
        if self.headers.get("Upgrade", "").lower() != "websocket" or not key:
            self.reply(400, b"expected a WebSocket upgrade", "text/plain")
            return
        accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest()).decode()  # noqa: S324 - RFC 6455
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        if "streamlit" in self.headers.get("Sec-WebSocket-Protocol", ""):
            self.send_header("Sec-WebSocket-Protocol", "streamlit")
        self.end_headers()
        self.close_connection = True
        while True:
            frame = self._read_frame()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 0x8:
                self._send_frame(0x8, payload[:2])
                return
            if opcode == 0x9:
                self._send_frame(0xA, payload)
            elif opcode == 0x2 and payload[:1] == bytes([_RERUN_SCRIPT << 3 | 2]):
                self._send_frame(0x2, _SCRIPT_FINISHED_OK)

    def _read_frame(self) -> tuple[int, bytes] | None:
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        opcode, size = head[0] & 0x0F, head[1] & 0x7F
        if size == 126:
            size = int.from_bytes(self.rfile.read(2), "big")
        elif size == 127:
            size = int.from_bytes(self.rfile.read(8), "big")
        if size > 1 << 20:
            return None
        mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
        data = self.rfile.read(size)
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        size = len(payload)
        head = bytes([0x80 | opcode, size]) if size < 126 else bytes([0x80 | opcode, 126]) + size.to_bytes(2, "big")
        self.wfile.write(head + payload)
        self.wfile.flush()

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path == "/_stcore/stream":
            self._stream()
            return
        # Streamlit with enableCORS = false answers every origin (Access-Control-Allow-Origin: *).
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
    # The checks open many connections at once (load test, rate-limit burst): the default
    # backlog of 5 would turn a burst into connect timeouts.
    request_queue_size = 128


class ServiceThreads:
    """Both services served from daemon threads of the current process; `stop()` closes the sockets."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []

    def start(self) -> ServiceThreads:
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
    def ports(self) -> list[int]:
        """[backend port, frontend port]."""
        return [int(s.server_address[1]) for s in self._servers]

    def stop(self) -> None:
        """Stop serving and close both listening sockets."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers, self._threads = [], []


class DemoServices:
    """The sample services in a child process, so the checks' load does not share the wizard's GIL.

    The child serves until its stdin closes: when this process ends in any way (even SIGKILL) the
    pipe closes and the child exits, so the services never outlive the demo.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.proc: subprocess.Popen[bytes] | None = None
        self.ports: list[int] = []

    def start(self, timeout: float = 20.0) -> DemoServices:
        """Start the child and wait (up to `timeout` s) for the ports it bound."""
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH"))
                                                           if p)}
        self.proc = subprocess.Popen([sys.executable, "-m", "readiness_tui.demo.services", self.host],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else b""
        try:
            ports = json.loads(line)
            self.ports = [int(ports["backend"]), int(ports["frontend"])]
        except (ValueError, KeyError, TypeError):
            self.stop()
            raise RuntimeError("the demo services did not start") from None
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def backend_url(self) -> str:
        return f"http://{self.host}:{self.ports[0]}"

    @property
    def frontend_url(self) -> str:
        return f"http://{self.host}:{self.ports[1]}"

    def stop(self) -> None:
        """Close the child's stdin (it stops), then make sure it is gone; idempotent."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with contextlib.suppress(OSError):
            assert proc.stdout is not None
            proc.stdout.close()

    def kill(self) -> None:
        """Kill the child now and reap it (no grace: the process is ending); idempotent."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(1)

    def __enter__(self) -> DemoServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """Child process: serve both services, print their ports as JSON, stop when stdin closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the demo ends
    args = sys.argv[1:] if argv is None else argv
    services = ServiceThreads(args[0] if args else "127.0.0.1").start()
    backend, frontend = services.ports
    print(json.dumps({"backend": backend, "frontend": frontend}), flush=True)
    with contextlib.suppress(OSError):
        sys.stdin.buffer.read()
    services.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
