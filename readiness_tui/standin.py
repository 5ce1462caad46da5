"""A failing stand-in backend and a copy of the dashboard pointed at it (item 10.10's browser part).

Item 10.10 asks how the dashboard behaves when its backend answers with errors. The real backend
cannot be broken for the purpose, so readiness-tui starts a stand-in on loopback that answers every
request with one error status (503 by default) and starts a second copy of the project's frontend
(its `[commands] frontend` command) with the backend's variable (`BACKEND_API_URL`) pointing at the
stand-in and Streamlit's port set to a free loopback port. The browser then looks at the copy.

The copy is the project's own code: it runs only when the person allowed the project's commands
(`--run-project-commands`), never through a shell, in its own process group that is killed when the
check ends (also on a timeout or Ctrl+C) — through `procs.run_command`, like the project's tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from pathlib import Path

from readiness_tui.http import Http
from readiness_tui.neutral import one_line

#: Streamlit's settings for the copy, through its environment (`STREAMLIT_<SECTION>_<KEY>` wins over config files).
STREAMLIT_ENV = {"STREAMLIT_SERVER_ADDRESS": "127.0.0.1", "STREAMLIT_SERVER_HEADLESS": "true",
                 "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
                 "STREAMLIT_SERVER_RUN_ON_SAVE": "false"}
#: Requests the stand-in lists by name in the evidence (it counts them all).
KEPT_REQUESTS = 10


class FailingBackend:
    """An HTTP server on loopback that answers every request with `status` and a JSON error body.

    It counts the requests it got: a copy of the app that never called it was not exercised.
    """

    def __init__(self, status: int = 503, host: str = "127.0.0.1") -> None:
        self.status = status
        self.host = host
        self.count = 0
        self.requests: list[str] = []
        """The first requests as `METHOD /path` (query strings cut)."""
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the stand-in is not started"
        port = self._server.sockets[0].getsockname()[1]
        return f"http://{self.host}:{port}"

    @property
    def reason(self) -> str:
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return "Error"

    async def __aenter__(self) -> FailingBackend:
        self._server = await asyncio.start_server(self._answer, self.host, 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
            path = rest.rsplit(" ", 1)[0].split("?")[0]
            self.count += 1
            if len(self.requests) < KEPT_REQUESTS:
                self.requests.append(one_line(f"{method} {path}", 120))
            body = json.dumps({"error": self.reason.lower(), "detail": "readiness-tui stand-in backend"}).encode()
            writer.write(f"HTTP/1.1 {self.status} {self.reason}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(body)}\r\nRetry-After: 30\r\nConnection: close\r\n\r\n".encode()
                         + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the copy binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class AppCopy:
    """The project's frontend command on a free loopback port, its backend variables set to `backend_url`.

    `{port}` in the arguments becomes the port (for a frontend that is not started by `streamlit run`).
    Use `async with`: leaving stops the command and everything it started, whatever happened.
    """

    def __init__(self, argv: Sequence[str], cwd: Path, backend_url: str, backend_env: Sequence[str],
                 env: Mapping[str, str] | None = None, timeout: float = 600.0) -> None:
        self.port = free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.cwd = cwd
        self.timeout = timeout
        self.environ = {**os.environ, **(env or {}), **STREAMLIT_ENV, "STREAMLIT_SERVER_PORT": str(self.port),
                        **{name: backend_url for name in backend_env}}
        self.output: deque[str] = deque(maxlen=20)
        self.exit_code: int | None = None
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: asyncio.Future[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> AppCopy:
        from readiness_tui.procs import run_command

        def run() -> None:
            try:
                result = run_command(self.argv, self.cwd, self.timeout, self.environ, self.output.append,
                                     stop=self._stop, tail_lines=20, tail_chars=4000)
                self.exit_code = result.exit_code
            finally:
                self._done.set()

        self._thread = asyncio.ensure_future(asyncio.to_thread(run))
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the command's process group and wait for it (shielded: a cancellation still waits)."""
        self._stop.set()
        if self._thread is not None:
            thread = self._thread
            try:
                await asyncio.shield(thread)
            except asyncio.CancelledError:
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(thread, 10)
                raise
            except Exception:  # noqa: BLE001, S110 - a command that could not start was reported by `ready`
                pass

    async def ready(self, limit: float) -> str:
        """Wait (at most `limit` s) until the copy answers HTTP below 500 on its port; '' or why not."""
        deadline = time.monotonic() + limit
        async with Http(connect_timeout=1.0, read_timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self._done.is_set():
                    return self._ended()
                ex = await http.get(self.url + "/", max_body=200_000, follow_redirects=False)
                if ex.ok and ex.status is not None and ex.status < 500:
                    return ""
                await asyncio.sleep(0.25)
        if self._done.is_set():
            return self._ended()
        return f"the copy did not answer on {self.url} within {limit:g} s"

    def _ended(self) -> str:
        if self._thread is not None and self._thread.done() and self._thread.exception() is not None:
            return f"the frontend command could not start: {one_line(str(self._thread.exception()), 160)}"
        last = next((line for line in reversed(self.output) if line.strip()), "")
        tail = f" (last line: {one_line(last, 160)})" if last else ""
        return f"the frontend command ended with exit code {self.exit_code} before answering{tail}"
