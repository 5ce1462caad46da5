"""A small, fast HTTP/1.1 server for the benchmarks (run as its own process: `python _server.py PORT [MODE]`).

MODE `ok` (default): `GET /health` → 200 `{"status":"ok"}` with keep-alive (HTTP/1.0 clients such as
ab get `Connection: close`); `/_stcore/health` → `ok`; `/` → a small Streamlit-like page.
MODE `hang`: accept connections and never answer.
"""

from __future__ import annotations

import asyncio
import sys

HEALTH = b'{"status":"ok"}'
PAGE = (b'<!doctype html><html><head><title>Streamlit</title><script src="./static/js/app.js"></script></head>'
        b'<body><div id="root"></div></body></html>')
BODIES = {b"/health": (b"application/json", HEALTH), b"/_stcore/health": (b"text/plain", b"ok"),
          b"/": (b"text/html", PAGE), b"/static/js/app.js": (b"application/javascript", b"console.log(1);" * 50),
          b"/api/leads?limit=1": (b"application/json", b'[{"id":1}]'),
          b"/openapi.json": (b"application/json", b'{"openapi":"3.0.3","paths":{}}')}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            line = head.split(b"\r\n", 1)[0].split(b" ")
            path = line[1] if len(line) > 1 else b"/"
            v10 = line[-1] == b"HTTP/1.0"
            http10 = v10 and b"keep-alive" not in head.lower()
            extra = b"\r\nConnection: close" if http10 else (b"\r\nConnection: keep-alive" if v10 else b"")
            kind, body = BODIES.get(path, (b"application/json", b'{"error":"not found"}'))
            status = b"200 OK" if path in BODIES else b"404 Not Found"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind + b"\r\nContent-Length: "
                         + str(len(body)).encode() + extra + b"\r\n\r\n" + body)
            await writer.drain()
            if http10:
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client gives up
    writer.close()


async def main(port: int, mode: str) -> None:
    server = await asyncio.start_server(hang if mode == "hang" else handle, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "ok"))
