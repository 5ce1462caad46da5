"""A full `readiness check` against hostile loopback backends: bounded in time and memory, each reported clearly.

Every service URL of the project points at one misbehaving server (hang, reset, a 1 GB answer, invalid
UTF-8, a redirect loop, TLS garbage on https, a closed port). The run must finish within the per-check
timeout plus a few seconds and name what went wrong on the backend items.
"""

from __future__ import annotations

import json
import resource
import socket
import struct
import time
from pathlib import Path

import pytest
from conftest import run_cli
from fixtures.http_servers import RawServer, _read_request, free_port

#: Per-check timeout of these runs (seconds, `check_timeout`), and the whole run's `--timeout`: long enough for
#: every check to tell its failure apart (a load test starts after the other probes), short enough to bound a
#: hanging host. The bound is the run's timeout plus this slack (start-up and the report on a loaded machine).
CHECK_TIMEOUT = 5.0
RUN_TIMEOUT = 10.0
SLACK = 6.0


def _reset(conn: socket.socket) -> None:
    _read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST, not FIN
    conn.close()


def _gigabyte(conn: socket.socket) -> None:
    """Announce and stream 1 GB (until the client hangs up): nothing may read it whole."""
    _read_request(conn)
    size = 1 << 30
    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode())
    block, sent = b"{" * 65536, 0
    while sent < size:
        conn.sendall(block)
        sent += len(block)


def _endless_chunks(conn: socket.socket) -> None:
    """A chunked answer that never ends (no Content-Length to refuse up front)."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
    body = b"<p>" * 20000
    chunk = f"{len(body):x}\r\n".encode() + body + b"\r\n"
    for _ in range(1_000_000):  # bounded: ~60 GB, far beyond any client cap
        conn.sendall(chunk)


def _bad_utf8(conn: socket.socket) -> None:
    _read_request(conn)
    body = b'\xff\xfe\xc3\x28 {"status": "ok\xe9"}'
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                 + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    conn.close()


def _redirect_loop(conn: socket.socket) -> None:
    for _ in range(10_000):
        request = _read_request(conn)
        if not request:
            return
        path = request.split(b" ")[1]
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + path + b"\r\nContent-Length: 0\r\n\r\n")


def _tls_garbage(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.sendall(b"\x16\x03\x01\x00\x05garbagegarbage" * 10)
    conn.close()


def _hang(conn: socket.socket) -> None:
    conn.settimeout(None)
    while conn.recv(4096):
        pass


#: mode → (handler or None for a closed port, scheme, words item 2.3 must say, words item 4.7 must say)
MODES = {
    "hang": (_hang, "http", "read timeout", "did not answer"),
    "reset": (_reset, "http", "connection reset by the server", "connection_closed"),
    "1gb": (_gigabyte, "http", "not with a JSON object", "body_too_large"),
    "endless-chunks": (_endless_chunks, "http", "not with a JSON object", "body_too_large"),
    "invalid-utf8": (_bad_utf8, "http", "not with a JSON object", ""),
    "redirect-loop": (_redirect_loop, "http", "too many redirects", "http_302"),
    "tls-garbage": (_tls_garbage, "https", "TLS handshake failed", "tls"),
    "closed-port": (None, "http", "connection refused", "connect_refused"),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_full_check_against_a_hostile_backend(tmp_path: Path, mode: str) -> None:
    handler, scheme, health_words, load_words = MODES[mode]
    server = RawServer(handler) if handler else None
    port = server.port if server else free_port()
    try:
        project = tmp_path / "proj"
        project.mkdir()
        (project / ".env").write_text(f"BACKEND_API_URL={scheme}://127.0.0.1:{port}\n"
                                      f"FRONTEND_URL={scheme}://127.0.0.1:{port}\n")
        out = tmp_path / "report.json"
        started = time.monotonic()
        done = run_cli("check", str(project), "--format", "json", "--output", str(out),
                       "--timeout", str(RUN_TIMEOUT),
                       env={"READINESS_READ_TIMEOUT": "2", "READINESS_CHECK_TIMEOUT": str(CHECK_TIMEOUT)}, timeout=120)
        elapsed = time.monotonic() - started
    finally:
        if server:
            server.stop()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < RUN_TIMEOUT + SLACK, f"{mode}: a full check took {elapsed:.1f} s"
    # The peak resident memory of this test's children (kB): a 1 GB answer read whole would pass 1 GiB;
    # the check itself stays near 150 MB.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1024 * 1024
    items = {i["id"]: i for s in json.loads(out.read_text())["sections"] for i in s["items"]}
    assert health_words in items["2.3"]["summary"], items["2.3"]
    assert items["2.3"]["status"] in ("fail", "error")
    assert load_words in items["4.7"]["summary"], items["4.7"]
    assert items["4.7"]["status"] in (("pass", "fail", "error") if mode == "invalid-utf8" else ("fail", "error"))
    # Item 10.7 never passes on what is not the API's answer.
    assert items["10.7"]["status"] != "pass" or mode == "invalid-utf8"
    assert "ReadError" not in json.dumps(items) and "_ssl.c" not in json.dumps(items)
